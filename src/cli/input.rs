//! Reading the report to analyse and finding the model.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use mitremap_engine::model::{Classifier, ModelOptions};
use mitremap_engine::text::Document;
use mitremap_engine::text::document::looks_binary;

use super::ModelArgs;

/// Where the input came from, for messages and the report's `input.name`.
pub struct Input {
    pub name: String,
    pub document: Arc<Document>,
}

/// Reads `FILE`, or stdin for `-` or when stdin is a pipe. Refuses binary input unless
/// `allow_binary`; warns (on stderr) when invalid UTF-8 was decoded lossily.
pub fn read_input(path: Option<&Path>, allow_binary: bool) -> anyhow::Result<Input> {
    let (name, bytes) = match path {
        Some(p) if p != Path::new("-") => {
            let bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
            (p.display().to_string(), bytes)
        }
        _ => {
            let stdin = std::io::stdin();
            if path.is_none() && stdin.is_terminal() {
                bail!("no input: pass a FILE, `-` for stdin, or pipe text in (see --help)");
            }
            let mut bytes = Vec::new();
            stdin
                .lock()
                .read_to_end(&mut bytes)
                .context("cannot read stdin")?;
            ("-".to_owned(), bytes)
        }
    };
    if !allow_binary && looks_binary(&bytes) {
        bail!(
            "{name} looks like a binary file, not text; pass --allow-binary to analyse it anyway"
        );
    }
    let document = Document::from_vec(bytes);
    if document.lossy() {
        // Once, and sanitised: a file name can carry escape sequences.
        let _ = writeln!(
            std::io::stderr(),
            "mitremap: warning: {} is not valid UTF-8; invalid bytes were replaced with U+FFFD",
            mitremap_engine::text::terminal_safe_line(&name)
        );
    }
    Ok(Input {
        name,
        document: Arc::new(document),
    })
}

/// Folders searched for installed models, in order: the installation (`<prefix>/share/mitremap/
/// models`, or the build checkout's `models/`) and `$XDG_DATA_HOME/mitremap/models`. Never the
/// working directory or its parents (see `mitremap_engine::locate`).
pub fn model_search_roots() -> Vec<PathBuf> {
    mitremap_engine::locate::model_roots()
        .into_iter()
        .filter(|p| p.is_dir())
        .collect()
}

/// The model folder to use: `--model`/`$MITREMAP_MODEL`, else the first `default` model found.
pub fn default_model_dir(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = explicit {
        return Ok(dir.to_path_buf());
    }
    for root in model_search_roots() {
        let dir = root.join("default");
        if mitremap_engine::model::is_model_dir(&dir) {
            return Ok(dir);
        }
    }
    bail!(
        "no model found: the shipped models/default is missing; pass --model DIR (see `mitremap models`)"
    )
}

/// Loads the model chosen by the arguments.
pub fn load_model(args: &ModelArgs) -> anyhow::Result<Arc<Classifier>> {
    let dir = default_model_dir(args.model.as_deref())?;
    let options = ModelOptions {
        ort_lib: args.ort_lib.clone(),
        intra_threads: args.threads,
    };
    Ok(Arc::new(Classifier::load(&dir, &options)?))
}
