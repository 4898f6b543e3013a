//! The terminal UI (`mitremap [FILE]`): an editor with the report, the results (techniques, IoCs,
//! chunks, ATT&CK matrix) and a token heatmap, driving the engine in the background.
//!
//! Layout of this module: `app` is the state machine (`update(Action) -> Vec<Effect>`), `ui/`
//! draws it, `runtime` is the event loop that performs effects, `worker` runs the model off the
//! UI thread, `terminal`/`recovery` make sure the terminal is restored and no text is lost.

pub mod action;
pub mod app;
pub mod changes;
pub mod clipboard;
pub mod components;
pub mod editor;
pub mod keymap;
pub mod paths;
pub mod popups;
pub mod recovery;
pub mod review;
pub mod runtime;
pub mod terminal;
pub mod textbuf;
pub mod theme;
pub mod ui;
pub mod worker;

use std::io::{IsTerminal, Read};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, bail};
use mitremap_engine::model::ModelOptions;
use mitremap_engine::text::Document;
use mitremap_engine::text::document::looks_binary;

use crate::cli::TuiArgs;
use app::{App, AppConfig, StartNote};
use keymap::Keymap;
use recovery::Recovery;
use theme::Theme;

pub fn run(args: TuiArgs) -> anyhow::Result<ExitCode> {
    let Opened {
        text,
        name,
        path,
        lossy,
        unsaved,
        mut notices,
        source,
    } = read_text(args.file.as_deref())?;
    let config_dir = paths::config_dir();
    let state_dir = paths::state_dir();
    let (theme, keymap, config_problems) = load_look(args.theme.as_deref(), config_dir.as_deref());
    notices.extend(config_problems.into_iter().map(StartNote::Problem));
    let recovery = state_dir.clone().map(Recovery::new);
    let previous = recovery.as_ref().and_then(Recovery::find_previous);
    let mut app = App::new(AppConfig {
        text,
        name,
        path,
        lossy,
        unsaved,
        threshold: args.threshold,
        keymap,
        theme,
        notices,
        recovery: previous,
        now: Instant::now(),
    });
    if args.review.is_some() || args.analyst.is_some() {
        app.open_review(args.review.clone(), args.analyst.clone());
    }
    app.source = source;
    let model_dir = worker::model_dir(args.model.model.as_deref());
    let model_options = ModelOptions {
        ort_lib: args.model.ort_lib.clone(),
        intra_threads: args.model.threads,
    };

    terminal::install_panic_hook(state_dir);
    let (term, _guard) = terminal::enter()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let code = rt.block_on(runtime::run(term, app, recovery, move |tx| {
        worker::spawn_model_load(model_dir, model_options, tx)
    }));
    terminal::restore();
    rt.shutdown_background();
    let code = code?;
    // The analysis was cancelled on the way out; its thread ends after the batch it is in. Exiting
    // while a thread is inside ONNX Runtime runs the library's destructors under it (a segfault
    // on quit), so wait for them briefly, and past that leave without exit handlers: everything
    // that matters (recovery file, saves) is already written.
    if !worker::wait_idle(std::time::Duration::from_secs(3)) {
        leave_now(code);
    }
    Ok(ExitCode::from(code))
}

/// Exits at once, skipping exit handlers (a background thread is still inside the model).
fn leave_now(code: u8) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    #[cfg(unix)]
    // SAFETY: `_exit` only ends the process; the terminal is restored and files are written.
    unsafe {
        libc::_exit(i32::from(code))
    }
    #[cfg(not(unix))]
    std::process::exit(i32::from(code))
}

/// The starting text and where it came from.
struct Opened {
    text: String,
    name: Option<String>,
    /// The file (saving writes back there); `None` for stdin or nothing.
    path: Option<std::path::PathBuf>,
    lossy: bool,
    /// The text exists nowhere else (stdin).
    unsaved: bool,
    /// How the text was opened (extracted, decoded, bytes replaced): told at start.
    notices: Vec<StartNote>,
    /// The document (PDF, HTML, ...) the text was extracted from.
    source: Option<app::DocumentSource>,
}

/// The starting text: FILE, `-`/piped stdin, or nothing.
fn read_text(path: Option<&Path>) -> anyhow::Result<Opened> {
    let file = path.filter(|p| *p != Path::new("-")).map(Path::to_path_buf);
    let (bytes, name, unsaved) = match path {
        Some(p) if p != Path::new("-") => (
            std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
            p.display().to_string(),
            false,
        ),
        Some(_) => (read_stdin()?, "-".to_owned(), true),
        None if !std::io::stdin().is_terminal() => (read_stdin()?, "-".to_owned(), true),
        None => {
            return Ok(Opened {
                text: String::new(),
                name: None,
                path: None,
                lossy: false,
                unsaved: false,
                notices: Vec::new(),
                source: None,
            });
        }
    };
    // A document opens as its extracted text, read-only until edited, never saved over the
    // document itself (no path: saving asks where).
    let format =
        mitremap_docs::detect(&bytes, Some(&name)).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    if !format.is_identity() {
        let extracted = mitremap_docs::extract(&bytes, format, &mitremap_docs::Options::default())
            .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        let label = format.name().to_uppercase();
        let mut notices = vec![StartNote::AboutText(format!(
            "{name}: text extracted from the {label}{}; editing makes it a plain-text document, saved \
             to a new file",
            extracted
                .pages
                .map(|p| format!(" ({p} page{})", if p == 1 { "" } else { "s" }))
                .unwrap_or_default()
        ))];
        notices.extend(
            extracted
                .notes
                .iter()
                .map(|n| StartNote::AboutText(format!("{name}: {n}"))),
        );
        return Ok(Opened {
            text: extracted.text,
            name: Some(name),
            path: None,
            lossy: false,
            // The document holds the text: quitting unedited asks nothing.
            unsaved: false,
            notices,
            source: Some(app::DocumentSource::new(
                format,
                extracted.map,
                &bytes,
                extracted.pages,
            )),
        });
    }
    if looks_binary(&bytes) {
        bail!(
            "{name} looks like a binary file, not text; use `mitremap analyze --allow-binary` to analyse it anyway"
        );
    }
    let doc = Document::from_vec(bytes);
    let mut notices = Vec::new();
    if let Some(format) = doc.utf16() {
        notices.push(StartNote::AboutText(format!(
            "{name} is {format}; shown decoded, and saving writes UTF-8{}",
            if doc.lossy() {
                " (unpaired surrogates were replaced with U+FFFD)"
            } else {
                ""
            }
        )));
    } else if doc.lossy() {
        notices.push(StartNote::AboutText(format!(
            "{name} is not valid UTF-8; invalid bytes were replaced with U+FFFD"
        )));
    }
    let lossy = doc.lossy();
    Ok(Opened {
        text: doc.into_text(),
        name: Some(name),
        path: file,
        lossy,
        unsaved,
        notices,
        source: None,
    })
}

fn read_stdin() -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .context("cannot read stdin")?;
    Ok(bytes)
}

/// Theme and keymap: `--theme`, else `theme = "..."` in config.toml, else dark; NO_COLOR drops
/// colours; keymap.toml overrides keys. Problems become status-bar notices naming the file.
pub fn load_look(flag: Option<&str>, config_dir: Option<&Path>) -> (Theme, Keymap, Vec<String>) {
    let mut notices = Vec::new();
    let mut name = flag.map(str::to_owned);
    if name.is_none()
        && let Some(cfg) = config_dir
            .map(|d| d.join("config.toml"))
            .filter(|p| p.exists())
    {
        /// `config.toml`: only `theme` so far; anything else is reported, not ignored.
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Config {
            theme: Option<String>,
        }
        match std::fs::read_to_string(&cfg)
            .map_err(|e| e.to_string())
            .and_then(|t| toml::from_str::<Config>(&t).map_err(|e| theme::one_line(&e.to_string())))
        {
            Ok(c) => name = c.theme,
            Err(e) => notices.push(format!("config {}: {e}; using defaults", cfg.display())),
        }
    }
    let mut theme = match Theme::load(name.as_deref().unwrap_or("dark"), config_dir) {
        Ok(t) => t,
        Err(e) => {
            notices.push(e);
            Theme::default_theme()
        }
    };
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        theme = theme.without_colors();
    }
    let keymap_path = config_dir.map(|d| d.join("keymap.toml"));
    let (keymap, err) = Keymap::load(keymap_path.as_deref());
    notices.extend(err);
    (theme, keymap, notices)
}
