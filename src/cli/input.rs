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
    /// The document (PDF, HTML, ...) the text was extracted from; `None` for plain text.
    pub source: Option<super::document::Source>,
}

/// Parses a size: bytes, or a number with K/M/G (powers of 1024; `KiB`, `MB`... accepted).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (e.g. 256M, 1G, 500000)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?} (use K, M or G)")),
    };
    match n.checked_mul(mult) {
        Some(v) if v > 0 => Ok(v),
        _ => Err(format!("{s:?} is not a usable size")),
    }
}

/// Human form of a byte count for messages.
pub(super) fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// Reads at most `cap` bytes. The first 64 KiB decide whether the input is text, so a 1 GB binary
/// is refused after 64 KiB, not after reading it all; past `cap` it stops with a clear error.
pub fn read_bounded(
    mut reader: impl Read,
    name: &str,
    cap: u64,
    allow_binary: bool,
) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let head = (64 * 1024).min(cap + 1);
    (&mut reader)
        .take(head)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {name}"))?;
    // PDF and DOCX are binary formats read as documents, not refused.
    if looks_binary(&bytes) && !mitremap_docs::is_binary_document(&bytes) {
        if !allow_binary {
            bail!(
                "{name} looks like a binary file, not text; pass --allow-binary to analyse it anyway"
            );
        }
        // Say what --allow-binary does: it reads the bytes as UTF-8 text, nothing more.
        let _ = writeln!(
            std::io::stderr(),
            "mitremap: note: {} looks binary; analysing it as text anyway (--allow-binary): invalid \
             UTF-8 becomes U+FFFD and NUL bytes stay, so strings stored as UTF-16 or between NULs \
             inside it are not seen as IoCs (extract them first, e.g. `strings -e l FILE`)",
            mitremap_engine::text::terminal_safe_line(name)
        );
    }
    let rest = (cap + 1).saturating_sub(bytes.len() as u64);
    reader
        .take(rest)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {name}"))?;
    if bytes.len() as u64 > cap {
        bail!(
            "{name} is larger than the {} input limit; pass --max-input SIZE to raise it",
            human(cap)
        );
    }
    Ok(bytes)
}

/// How much of an input is read, and whether binary-looking input is accepted.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    pub allow_binary: bool,
    pub max_input: u64,
}

/// Reads a file within `limits`: a regular file over the limit is refused by its size before
/// any of it is read; anything else (a FIFO) by counting.
pub fn read_file_bounded(path: &Path, limits: ReadLimits) -> anyhow::Result<Vec<u8>> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {name}"))?;
    if let Ok(meta) = file.metadata()
        && meta.is_file()
        && meta.len() > limits.max_input
    {
        bail!(
            "{name} is {}, larger than the {} input limit; pass --max-input SIZE to raise it",
            human(meta.len()),
            human(limits.max_input)
        );
    }
    read_bounded(file, &name, limits.max_input, limits.allow_binary)
}

/// Reads `FILE`, or stdin for `-` or when stdin is a pipe, within `limits`. Refuses binary input
/// unless allowed; warns (on stderr) when invalid UTF-8 was decoded lossily.
pub fn read_input(
    path: Option<&Path>,
    limits: ReadLimits,
    doc_options: &super::document::DocOptions,
) -> anyhow::Result<Input> {
    let (name, bytes) = match path {
        Some(p) if p != Path::new("-") => (p.display().to_string(), read_file_bounded(p, limits)?),
        _ => {
            let stdin = std::io::stdin();
            if path.is_none() && stdin.is_terminal() {
                bail!("no input: pass a FILE, `-` for stdin, or pipe text in (see --help)");
            }
            let bytes = read_bounded(stdin.lock(), "stdin", limits.max_input, limits.allow_binary)?;
            ("-".to_owned(), bytes)
        }
    };
    let (document, source) = super::document::load(&name, bytes, doc_options)?;
    Ok(Input {
        name,
        document: Arc::new(document),
        source,
    })
}

/// Once per input, on stderr, sanitised (a file name can carry escape sequences): a UTF-16 input
/// that was decoded, or invalid UTF-8 that was replaced.
pub fn note_encoding(name: &str, document: &Document) {
    let name = mitremap_engine::text::terminal_safe_line(name);
    if let Some(format) = document.utf16() {
        let _ = writeln!(
            std::io::stderr(),
            "mitremap: note: {name} is {format}; decoded to UTF-8 (offsets in the report refer to \
             the decoded text){}",
            if document.lossy() {
                ", unpaired surrogates replaced with U+FFFD"
            } else {
                ""
            }
        );
    } else if document.lossy() {
        // Once, and sanitised: a file name can carry escape sequences.
        let _ = writeln!(
            std::io::stderr(),
            "mitremap: warning: {name} is not valid UTF-8; invalid bytes were replaced with U+FFFD"
        );
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units_and_bad_ones_are_refused() {
        assert_eq!(parse_size("256M"), Ok(256 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("500KiB"), Ok(500 << 10));
        assert_eq!(parse_size("1234"), Ok(1234));
        for bad in ["", "0", "-1", "12X", "M", "99999999999999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reading_stops_at_the_cap_and_binary_is_judged_on_the_first_block() {
        let text = vec![b'a'; 10_000];
        assert_eq!(
            read_bounded(&text[..], "x", 10_000, false).unwrap().len(),
            10_000
        );
        let err = read_bounded(&text[..], "x", 9_999, false).unwrap_err();
        assert!(err.to_string().contains("--max-input"), "{err}");
        // An endless binary stream is refused after its first block, without reading on.
        let err = read_bounded(std::io::repeat(0), "zeros", u64::MAX - 1, false).unwrap_err();
        assert!(err.to_string().contains("binary"), "{err}");
        // An endless text stream stops at the cap.
        let err = read_bounded(std::io::repeat(b'a'), "a", 1 << 20, false).unwrap_err();
        assert!(err.to_string().contains("1 MiB input limit"), "{err}");
    }
}
