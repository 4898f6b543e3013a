//! Batch mode of `mitremap analyze`: a folder of reports or a JSONL stream in, one JSON line per
//! report out. One model session is shared by `--jobs` workers; reading, chunking, tokenising and
//! IoC extraction of one report overlap with inference of another.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, bail};
use mitremap_engine::analysis::{AnalysisOptions, Analyzer, CancelToken};
use mitremap_engine::text::Document;
use serde_json::{Value, json};

/// One report to analyse.
pub enum Item {
    File(PathBuf),
    Inline {
        name: String,
        text: String,
    },
    /// A JSONL line that could not be used: reported in its place, the batch goes on.
    Invalid {
        name: String,
        error: String,
    },
}

impl Item {
    fn name(&self) -> String {
        match self {
            Item::File(p) => p.display().to_string(),
            Item::Inline { name, .. } | Item::Invalid { name, .. } => name.clone(),
        }
    }
}

/// Every regular file directly inside `dir`, sorted by name (hidden files skipped).
pub fn folder_items(dir: &Path) -> anyhow::Result<Vec<Item>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read folder {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("folder {} holds no files to analyse", dir.display());
    }
    Ok(files.into_iter().map(Item::File).collect())
}

/// Parses a JSONL stream: each line an object with `text` and optionally `id` or `name`. A bad
/// line (not UTF-8, not JSON, no `text`) becomes an error item reported in its place with its
/// line number; the other lines are still analysed (the run exits non-zero at the end). A UTF-8
/// byte-order mark at the start is skipped.
pub fn jsonl_items(mut reader: impl BufRead, source: &str) -> anyhow::Result<Vec<Item>> {
    let mut items = Vec::new();
    let mut buf = Vec::new();
    let mut n = 0usize;
    loop {
        buf.clear();
        let read = reader
            .read_until(b'\n', &mut buf)
            .with_context(|| format!("cannot read {source}"))?;
        if read == 0 {
            break;
        }
        n += 1;
        let mut bytes = buf.as_slice();
        if n == 1 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        let at = format!("{source}:{n}");
        let invalid = |error: String| Item::Invalid {
            name: at.clone(),
            error: format!("{at}: {error}"),
        };
        let Ok(line) = std::str::from_utf8(bytes) else {
            items.push(invalid("not valid UTF-8".into()));
            continue;
        };
        if line.trim().is_empty() {
            continue;
        }
        // Only the fields used are kept (a 50 MB `text` is decoded once, not into a `Value`
        // and then copied).
        if !line.trim_start().starts_with('{') {
            items.push(invalid("not a JSON object".into()));
            continue;
        }
        let line: JsonlLine = match serde_json::from_str(line) {
            Ok(l) => l,
            // `id` and `name` take any value: a data error can only be a `text` of the wrong type.
            Err(e) if e.is_data() => {
                items.push(invalid("each line needs a \"text\" string".into()));
                continue;
            }
            Err(e) => {
                items.push(invalid(format!("not a JSON object ({e})")));
                continue;
            }
        };
        let Some(text) = line.text else {
            items.push(invalid("each line needs a \"text\" string".into()));
            continue;
        };
        let name = line
            .id
            .or(line.name)
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
            .unwrap_or(at);
        items.push(Item::Inline { name, text });
    }
    Ok(items)
}

/// The fields of a JSONL line that are used; others are ignored.
#[derive(serde::Deserialize)]
struct JsonlLine {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    name: Option<Value>,
}

/// Opens a JSONL source (`-` for stdin).
pub fn open_jsonl(path: &Path) -> anyhow::Result<Vec<Item>> {
    if path == Path::new("-") {
        return jsonl_items(std::io::stdin().lock(), "stdin");
    }
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    jsonl_items(BufReader::new(file), &path.display().to_string())
}

/// Analyses every item with `jobs` workers and writes one compact JSON line per report to `out`,
/// in input order. Returns how many reports failed.
pub fn run(
    items: Vec<Item>,
    analyzer: &Analyzer,
    options: &AnalysisOptions,
    jobs: usize,
    (limits, documents): (super::input::ReadLimits, &super::document::DocOptions),
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    let started = Instant::now();
    let total = items.len();
    let queue = Arc::new(Mutex::new(items.into_iter().enumerate()));
    let (tx, rx) = mpsc::channel::<(usize, String, bool)>();
    let failed = std::thread::scope(|scope| -> anyhow::Result<usize> {
        for _ in 0..jobs.max(1).min(total.max(1)) {
            let queue = queue.clone();
            let tx = tx.clone();
            scope.spawn(move || {
                loop {
                    let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                    let Some((index, item)) = next else { break };
                    let (line, ok) = analyze_one(item, analyzer, options, limits, documents);
                    if tx.send((index, line, ok)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Re-order: write lines in input order as soon as the next one is ready.
        let mut pending = std::collections::BTreeMap::new();
        let mut next = 0;
        let mut failed = 0;
        for (index, line, ok) in rx {
            failed += usize::from(!ok);
            pending.insert(index, line);
            while let Some(line) = pending.remove(&next) {
                writeln!(out, "{line}")?;
                next += 1;
            }
        }
        out.flush()?;
        Ok(failed)
    })?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "mitremap: {total} reports in {secs:.2} s ({:.2} reports/s), {failed} failed",
        total as f64 / secs.max(1e-9)
    );
    Ok(failed)
}

fn analyze_one(
    item: Item,
    analyzer: &Analyzer,
    options: &AnalysisOptions,
    limits: super::input::ReadLimits,
    documents: &super::document::DocOptions,
) -> (String, bool) {
    let name = item.name();
    // The text is moved into the document, and the report line is serialised from a borrowed
    // view: one copy of a large text, not three.
    let result = (|| -> anyhow::Result<String> {
        let (document, source) = match item {
            Item::File(path) => {
                let bytes = super::input::read_file_bounded(&path, limits)?;
                super::document::load(&name, bytes, documents)?
            }
            Item::Inline { text, .. } => (Document::from_text(text), None),
            Item::Invalid { error, .. } => bail!("{error}"),
        };
        if document.is_blank() {
            bail!("empty (nothing but whitespace)");
        }
        let report = analyzer.analyze(
            Arc::new(document),
            Some(name.clone()),
            options,
            &CancelToken::new(),
        )?;
        Ok(match source {
            None => mitremap_export::json::to_string_compact(&report.json_view(true))?,
            Some(source) => {
                let mut value = serde_json::to_value(report.json_view(true))?;
                super::document::annotate_report(&mut value, &source);
                mitremap_export::json::to_string_compact(&value)?
            }
        })
    })();
    // Serialising a `Value` cannot fail (its map keys are strings).
    let line = |v: &Value| mitremap_export::json::to_string_compact(v).unwrap_or_default();
    match result {
        Ok(l) => (l, true),
        Err(e) => (
            line(&json!({"input": {"name": name}, "error": format!("{e:#}")})),
            false,
        ),
    }
}
