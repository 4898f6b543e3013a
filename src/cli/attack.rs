//! `mitremap attack`: the ATT&CK catalogue in use, and `attack import` of MITRE's STIX bundle
//! into the user's data folder (offline ATT&CK updates).

use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use mitremap_engine::attack::{Catalog, Origin, stix, store};
use mitremap_engine::text::terminal_safe_line;

#[derive(Debug, Args)]
pub struct AttackArgs {
    #[command(subcommand)]
    pub action: Option<AttackAction>,
}

#[derive(Debug, Subcommand)]
pub enum AttackAction {
    /// Show the catalogue in use and the installed ones (the default).
    Show,
    /// Install an ATT&CK release from MITRE's STIX bundle (enterprise-attack.json from
    /// mitre-attack/attack-stix-data or mitre/cti) into $XDG_DATA_HOME/mitremap/attack/.
    Import {
        /// The bundle, e.g. enterprise-attack.json or enterprise-attack-19.0.json.
        file: PathBuf,
    },
}

/// Checks the form of `--attack-version` (what is installed is checked when it is used).
pub fn parse_attack_version(s: &str) -> Result<String, String> {
    if store::is_version(s) {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "{:?} is not an ATT&CK release number (like 18.1 or 19)",
            terminal_safe_line(s)
        ))
    }
}

/// Chooses the catalogue this process reports in (see [`store::select`]).
pub fn select(pin: Option<&str>) -> anyhow::Result<&'static Catalog> {
    store::select(pin).map_err(|e| {
        anyhow!(
            "{e}; --attack-version {} uses the embedded catalogue",
            Catalog::embedded().attack_version
        )
    })
}

pub fn run(args: AttackArgs, pin: Option<&str>) -> anyhow::Result<ExitCode> {
    match args.action.unwrap_or(AttackAction::Show) {
        AttackAction::Show => show(pin),
        AttackAction::Import { file } => import(&file),
    }
}

/// One line per fact: `ATT&CK 19 (imported ...)`.
pub fn describe(catalog: &Catalog) -> String {
    match catalog.origin() {
        Origin::Embedded => format!("ATT&CK {} (embedded catalogue)", catalog.attack_version),
        Origin::File(path) => format!(
            "ATT&CK {} (imported catalogue {})",
            catalog.attack_version,
            terminal_safe_line(&path.display().to_string())
        ),
    }
}

fn show(pin: Option<&str>) -> anyhow::Result<ExitCode> {
    let catalog = select(pin)?;
    let installed = store::installed();
    println!("in use:     {}", describe(catalog));
    println!(
        "source:     {}",
        terminal_safe_line(if catalog.source.is_empty() {
            "unknown"
        } else {
            &catalog.source
        })
    );
    println!(
        "techniques: {} active ({} with revoked and deprecated ones), {} tactics",
        catalog.active_count(),
        catalog.techniques().len(),
        catalog.tactics.len()
    );
    let tactics: Vec<String> = catalog
        .tactics
        .iter()
        .map(|t| terminal_safe_line(&t.name).into_owned())
        .collect();
    println!("tactics:    {}", tactics.join(", "));
    let embedded = Catalog::embedded();
    if catalog.attack_version != embedded.attack_version {
        let crosswalk = mitremap_engine::attack::mapping::Crosswalk::embedded();
        let via = if store::major(&catalog.attack_version) >= store::major(&crosswalk.to) {
            format!(
                "revoked-by relationships, then the {} -> {} crosswalk",
                crosswalk.from, crosswalk.to
            )
        } else {
            "revoked-by relationships".to_owned()
        };
        println!(
            "labels:     models name ATT&CK {} IDs; each is reported in ATT&CK {} ({via}; labels with no equivalent are shown as such)",
            embedded.attack_version, catalog.attack_version
        );
    }
    let mut available = vec![format!("{} (embedded)", embedded.attack_version)];
    available.extend(installed.iter().map(|i| {
        format!(
            "{} ({})",
            i.version,
            terminal_safe_line(&i.path.display().to_string())
        )
    }));
    println!("installed:  {}", available.join(", "));
    println!("notice:     {}", terminal_safe_line(&catalog.notice));
    Ok(ExitCode::SUCCESS)
}

fn import(file: &Path) -> anyhow::Result<ExitCode> {
    let shown = terminal_safe_line(&file.display().to_string()).into_owned();
    let meta = std::fs::metadata(file).with_context(|| shown.clone())?;
    if meta.is_dir() {
        bail!("{shown} is a folder; give the bundle file (enterprise-attack.json)");
    }
    let name = file
        .file_name()
        .map_or_else(|| shown.clone(), |n| n.to_string_lossy().into_owned());
    let opened = std::fs::File::open(file).with_context(|| shown.clone())?;
    let now = time::OffsetDateTime::now_utc();
    let source = format!(
        "{} imported {:04}-{:02}-{:02}",
        terminal_safe_line(&name),
        now.year(),
        u8::from(now.month()),
        now.day()
    );
    let meta_len = meta.is_file().then_some(meta.len());
    let catalog =
        stix::import_hashed(opened, meta_len, source).map_err(|e| anyhow!("{shown}: {e}"))?;

    let dir = store::catalogue_dir()
        .ok_or_else(|| anyhow!("no data folder: set HOME or XDG_DATA_HOME"))?;
    // What is written here is loaded by every later run: refuse a folder others could write to
    // now (before creating anything in it) rather than write a catalogue that will be refused.
    if let Some(existing) = dir.ancestors().find(|a| a.exists()) {
        mitremap_engine::locate::ensure_trusted(existing).map_err(|e| anyhow!("{e}"))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
    mitremap_engine::locate::ensure_trusted(&dir).map_err(|e| anyhow!("{e}"))?;
    let target = dir.join(store::file_name(&catalog.attack_version));
    let json = serde_json::to_vec(&catalog)?;
    mitremap_export::write_atomic(&target, &json, true)?;
    // Read back as a run will: the file must load.
    let installed = store::load(&target).map_err(|e| anyhow!("{e}"))?;
    let active = installed.active_count();
    println!(
        "imported ATT&CK {} from {shown}: {active} active techniques ({} in all), {} tactics",
        installed.attack_version,
        installed.techniques().len(),
        installed.tactics.len()
    );
    println!(
        "installed as {}",
        terminal_safe_line(&target.display().to_string())
    );
    let newest = store::installed()
        .last()
        .map(|i| i.version.clone())
        .filter(|v| {
            store::compare_versions(v, &Catalog::embedded().attack_version) == Ordering::Greater
        })
        .unwrap_or_else(|| Catalog::embedded().attack_version.clone());
    if store::compare_versions(&newest, &installed.attack_version) == Ordering::Equal {
        println!("in use from now on (the newest installed; --attack-version pins another)");
    } else {
        println!(
            "ATT&CK {newest} stays in use (newer); --attack-version {} uses this one",
            installed.attack_version
        );
    }
    Ok(ExitCode::SUCCESS)
}
