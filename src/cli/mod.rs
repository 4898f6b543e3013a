//! The headless commands: `analyze`, `iocs`, `models` (and the hidden `generate`).

mod analyze;
pub mod attack;
mod batch;
mod document;
mod generate;
mod input;
mod iocs;
mod models;
mod review;
mod table;

pub use input::{default_model_dir, model_search_roots};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

const AFTER_HELP: &str = "\
Examples:
  mitremap report.txt                        open a report in the terminal UI
  pbpaste | mitremap analyze --format table  analyse the clipboard on macOS
  mitremap analyze report.txt -o out.json    JSON report (schema: schemas/report.schema.json)
  mitremap analyze report.txt --format stix -o bundle.json
  mitremap iocs report.txt --format table
  mitremap analyze report.txt --review report.txt.mitremap-review.json --format stix -o b.json
  mitremap review export *.mitremap-review.json -o reviews.jsonl
  mitremap analyze report.pdf                PDF, HTML, DOCX, Markdown or .eml (detected by content;
                                             --input-format to say which); JSON gives each chunk's
                                             and IoC's page or section
  mitremap models
  mitremap attack                            the ATT&CK release in use
  mitremap attack import enterprise-attack.json

Lookup (first hit wins; never the working directory or its parents):
  ONNX Runtime  --ort-lib or $ORT_DYLIB_PATH (alone: a named path that fails is an error),
                else beside the executable, <prefix>/lib/, the build
                checkout's .ort/lib/ (cargo builds only; tools/setup-ort.sh),
                $XDG_DATA_HOME/mitremap/lib/ (tools/install-data.sh)
  model         --model, $MITREMAP_MODEL, <prefix>/share/mitremap/models/default, the build
                checkout's models/default (cargo builds only),
                $XDG_DATA_HOME/mitremap/models/default
  ATT&CK        --attack-version, $MITREMAP_ATTACK_VERSION, else the newest of the embedded
                catalogue and $XDG_DATA_HOME/mitremap/attack/ (mitremap attack import)
(<prefix>: the folder above the executable's bin/, e.g. an unpacked release archive.)
Files or folders writable by another user are refused.";

/// Map threat-intel prose to MITRE ATT&CK techniques and IoCs, offline.
#[derive(Debug, Parser)]
#[command(name = "mitremap", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub tui: TuiArgs,
    /// ATT&CK release to report in: the embedded one (18.1) or one installed with
    /// `mitremap attack import` (default: the newest).
    #[arg(long, value_name = "VERSION", global = true, env = "MITREMAP_ATTACK_VERSION", value_parser = attack::parse_attack_version)]
    pub attack_version: Option<String>,
}

/// Options of the terminal UI (`mitremap [FILE]`).
#[derive(Debug, Clone, Args)]
pub struct TuiArgs {
    /// Report to open (a file, or `-` for stdin; piped stdin is read automatically).
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Confidence threshold for showing a technique.
    #[arg(long, value_name = "0..1", value_parser = parse_threshold)]
    pub threshold: Option<f32>,
    /// Colour theme: dark, light, high-contrast, colorblind, or a theme file in the config folder.
    #[arg(long)]
    pub theme: Option<String>,
    /// Review file to read and save verdicts in (default: FILE.mitremap-review.json).
    #[arg(long, value_name = "PATH")]
    pub review: Option<PathBuf>,
    /// Name recorded with each verdict (default: $USER).
    #[arg(long, value_name = "NAME")]
    pub analyst: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Predict ATT&CK techniques (and extract IoCs) from a report.
    Analyze(Box<analyze::AnalyzeArgs>),
    /// Extract indicators of compromise from a report.
    Iocs(iocs::IocsArgs),
    /// List installed models with their model cards.
    Models(models::ModelsArgs),
    /// Show the ATT&CK catalogue in use, or import a newer release from MITRE's STIX bundle.
    Attack(attack::AttackArgs),
    /// Analysts' reviews: `review export` writes their verdicts as training data.
    Review(review::ReviewArgs),
    /// Write the man pages or a shell completion script (for packagers; see tools/package.sh).
    #[command(hide = true)]
    Generate(generate::GenerateArgs),
}

/// Which model to use and how to run it.
#[derive(Debug, Clone, Args)]
pub struct ModelArgs {
    /// Model folder (default: $MITREMAP_MODEL, else the installed models/default).
    #[arg(long, value_name = "DIR", global = true, env = "MITREMAP_MODEL")]
    pub model: Option<PathBuf>,
    /// Path of libonnxruntime (default: $ORT_DYLIB_PATH, then the installation; see below).
    #[arg(long, value_name = "PATH", global = true)]
    pub ort_lib: Option<PathBuf>,
    /// Threads ONNX Runtime may use, 1..=1024 (default: all cores).
    #[arg(long, value_name = "N", global = true, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    pub threads: Option<usize>,
}

/// Runs a headless command; `attack_version` is `--attack-version`.
pub fn run(command: Command, attack_version: Option<&str>) -> anyhow::Result<ExitCode> {
    match command {
        Command::Analyze(args) => {
            attack::select(attack_version)?;
            analyze::run(*args)
        }
        Command::Attack(args) => attack::run(args, attack_version),
        Command::Iocs(args) => iocs::run(args),
        Command::Models(args) => models::run(args),
        Command::Review(args) => review::run(args),
        Command::Generate(args) => generate::run(args),
    }
}

/// `mitremap --version`: the binary, the ONNX Runtime it finds (loading it, from the same trusted
/// places an analysis would), the embedded ATT&CK catalogue and the default model's ATT&CK version.
pub fn version_text() -> String {
    use mitremap_engine::text::terminal_safe_line;
    let mut out = format!("mitremap {}", env!("CARGO_PKG_VERSION"));
    match mitremap_engine::model::runtime::init_runtime(None) {
        Ok(rt) => out.push_str(&format!(
            "\nONNX Runtime {} ({})",
            terminal_safe_line(&rt.version),
            terminal_safe_line(&rt.path.display().to_string())
        )),
        Err(e) => out.push_str(&format!(
            "\nONNX Runtime: {}",
            terminal_safe_line(&e.to_string())
        )),
    }
    // `--version` never fails: a catalogue that cannot be used is named with the reason.
    let pin = std::env::var("MITREMAP_ATTACK_VERSION")
        .ok()
        .filter(|v| !v.is_empty());
    match attack::select(pin.as_deref()) {
        Ok(catalog) => out.push_str(&format!("\n{}", attack::describe(catalog))),
        Err(e) => out.push_str(&format!(
            "\nATT&CK: {}",
            terminal_safe_line(&format!("{e:#}"))
        )),
    }
    match default_model_dir(None).ok().and_then(|d| {
        mitremap_engine::model::manifest::Manifest::load(&d)
            .ok()
            .map(|m| (d, m))
    }) {
        Some((dir, m)) => out.push_str(&format!(
            "\ndefault model {} {} (labels from ATT&CK {}) at {}",
            terminal_safe_line(&m.name),
            terminal_safe_line(&m.version),
            terminal_safe_line(&m.attack_version),
            terminal_safe_line(&dir.display().to_string())
        )),
        None => out.push_str("\ndefault model: none installed"),
    }
    out
}

/// Logs (including ONNX Runtime's, routed through `tracing`) go to stderr, warnings and up
/// unless `MITREMAP_LOG` says otherwise (e.g. `MITREMAP_LOG=debug`).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MITREMAP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

pub fn parse_threshold(s: &str) -> Result<f32, String> {
    let v: f32 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not between 0 and 1"))
    }
}
