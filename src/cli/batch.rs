//! Batch mode of `mitremap analyze`: a folder of reports or a JSONL stream in, one JSON line per
//! report out. One model session is shared by `--jobs` workers; reading, chunking, tokenising and
//! IoC extraction of one report overlap with inference of another.

use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, bail};
use mitremap_engine::analysis::{AnalysisOptions, Analyzer, CancelToken};
use mitremap_engine::text::Document;
use serde_json::{Value, json};
use tempfile::SpooledTempFile;

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

/// The reports of a batch, made one at a time as the workers ask for them (a JSONL file is read
/// a line at a time, never whole).
pub type Items = Box<dyn Iterator<Item = Item> + Send>;

/// Every regular file directly inside `dir` (see [`folder_items`]), as batch items.
pub fn folder_batch(dir: &Path) -> anyhow::Result<Items> {
    Ok(Box::new(folder_items(dir)?.into_iter()))
}

/// Parses a JSONL stream lazily: each line an object with `text` and optionally `id` or `name`. A
/// bad line (not UTF-8, not JSON, no `text`, longer than `max_line` bytes) becomes an error item
/// reported in its place with its line number; the other lines are still analysed (the run exits
/// non-zero at the end). A UTF-8 byte-order mark at the start is skipped. Only one line is held at
/// a time, and of a line over `max_line` only its first `max_line` bytes are read into memory.
pub struct JsonlItems<R> {
    reader: R,
    source: String,
    line: usize,
    max_line: u64,
    done: bool,
}

impl<R: BufRead> JsonlItems<R> {
    pub fn new(reader: R, source: &str, max_line: u64) -> Self {
        Self {
            reader,
            source: source.to_owned(),
            line: 0,
            max_line,
            done: false,
        }
    }
}

/// One line of a stream, read up to a size limit.
enum Line {
    End,
    Text(Vec<u8>),
    /// Longer than the limit: the rest was skipped; its length in bytes.
    TooLong(u64),
}

/// Reads up to and including the next `\n`, keeping at most `limit` bytes of it (the newline
/// excluded): a longer line is skipped to its end without being held.
fn read_line_bounded(reader: &mut impl BufRead, limit: u64) -> std::io::Result<Line> {
    let mut line = Vec::new();
    let mut total = 0u64;
    let mut any = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            break;
        }
        any = true;
        let (part, used, end) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], i + 1, true),
            None => (available, available.len(), false),
        };
        total += part.len() as u64;
        if total <= limit {
            line.extend_from_slice(part);
        } else if !line.is_empty() {
            line = Vec::new(); // over the limit: drop what was kept
        }
        reader.consume(used);
        if end {
            break;
        }
    }
    Ok(match (any, total > limit) {
        (false, _) => Line::End,
        (true, true) => Line::TooLong(total),
        (true, false) => Line::Text(line),
    })
}

impl<R: BufRead> Iterator for JsonlItems<R> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        while !self.done {
            let read = read_line_bounded(&mut self.reader, self.max_line);
            self.line += 1;
            let at = format!("{}:{}", self.source, self.line);
            let invalid = |error: String| Item::Invalid {
                name: at.clone(),
                error: format!("{at}: {error}"),
            };
            let bytes = match read {
                Ok(Line::End) => return None,
                Ok(Line::Text(bytes)) => bytes,
                Ok(Line::TooLong(len)) => {
                    return Some(invalid(format!(
                        "the line is {}, larger than the {} input limit; pass --max-input SIZE to raise it",
                        super::input::human(len),
                        super::input::human(self.max_line)
                    )));
                }
                Err(e) => {
                    // A stream that fails mid-way ends the batch here, reported in place.
                    self.done = true;
                    return Some(invalid(format!("cannot read: {e}")));
                }
            };
            if let Some(item) = self.parse(&bytes, at) {
                return Some(item);
            }
        }
        None
    }
}

impl<R> JsonlItems<R> {
    /// The item of one line; `None` for a blank line.
    fn parse(&self, bytes: &[u8], at: String) -> Option<Item> {
        let mut bytes = bytes;
        if self.line == 1 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        let invalid = |error: &str| Item::Invalid {
            name: at.clone(),
            error: format!("{at}: {error}"),
        };
        let Ok(line) = std::str::from_utf8(bytes) else {
            return Some(invalid("not valid UTF-8"));
        };
        if line.trim().is_empty() {
            return None;
        }
        // Only the fields used are kept (a 50 MB `text` is decoded once, not into a `Value`
        // and then copied).
        if !line.trim_start().starts_with('{') {
            return Some(invalid("not a JSON object"));
        }
        let line: JsonlLine = match serde_json::from_str(line) {
            Ok(l) => l,
            // `id` and `name` take any value: a data error can only be a `text` of the wrong type.
            Err(e) if e.is_data() => return Some(invalid("each line needs a \"text\" string")),
            Err(e) => return Some(invalid(&format!("not a JSON object ({e})"))),
        };
        let Some(text) = line.text else {
            return Some(invalid("each line needs a \"text\" string"));
        };
        let name = line
            .id
            .or(line.name)
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
            .unwrap_or(at);
        Some(Item::Inline { name, text })
    }
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

/// Opens a JSONL source (`-` for stdin); lines longer than `max_line` bytes are reported, not
/// read.
pub fn open_jsonl(path: &Path, max_line: u64) -> anyhow::Result<Items> {
    if path == Path::new("-") {
        return Ok(Box::new(JsonlItems::new(
            BufReader::new(std::io::stdin()),
            "stdin",
            max_line,
        )));
    }
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Box::new(JsonlItems::new(
        BufReader::new(file),
        &path.display().to_string(),
        max_line,
    )))
}

/// Analyses every item with `jobs` workers and writes one compact JSON line per report to `out`,
/// in input order. Returns how many reports failed.
///
/// Items are taken from `items` only as results are written: at most `2 x jobs` reports are read,
/// being analysed or waiting for an earlier one to be written at any time, so a long JSONL file
/// (or one slow report holding up the order) does not pile up in memory.
pub fn run(
    items: Items,
    analyzer: &Analyzer,
    options: &AnalysisOptions,
    jobs: usize,
    (limits, documents): (super::input::ReadLimits, &super::document::DocOptions),
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    let started = Instant::now();
    let jobs = jobs.max(1);
    let queue = Mutex::new(items.enumerate());
    let credits = Credits::new(2 * jobs);
    let (tx, rx) = mpsc::channel::<(usize, SpooledTempFile, bool)>();
    let (total, failed) = std::thread::scope(|scope| -> anyhow::Result<(usize, usize)> {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (queue, credits) = (&queue, &credits);
            scope.spawn(move || {
                loop {
                    if !credits.take() {
                        break;
                    }
                    let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                    let Some((index, item)) = next else {
                        credits.close();
                        break;
                    };
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
        let written = (|| -> anyhow::Result<()> {
            for (index, line, ok) in &rx {
                failed += usize::from(!ok);
                pending.insert(index, line);
                while let Some(line) = pending.remove(&next) {
                    write_line(out, line)?;
                    next += 1;
                    credits.give();
                }
            }
            out.flush()?;
            Ok(())
        })();
        if written.is_err() {
            // Workers waiting for room must not wait for a writer that stopped.
            credits.close();
        }
        written?;
        Ok((next, failed))
    })?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!("mitremap: {}, {failed} failed", throughput(total, secs));
    Ok(failed)
}

/// "3 reports in 4.20 s (0.71 reports/s)"; a slow batch says seconds a report instead of a rate
/// that rounds to 0.00 (one 50 MB report took an hour).
fn throughput(total: usize, secs: f64) -> String {
    let noun = if total == 1 { "report" } else { "reports" };
    let rate = total as f64 / secs.max(1e-9);
    if total == 0 || rate >= 0.1 {
        format!("{total} {noun} in {secs:.2} s ({rate:.2} reports/s)")
    } else {
        format!(
            "{total} {noun} in {secs:.2} s ({:.1} s a report)",
            secs / total as f64
        )
    }
}

/// How many more reports may be taken before the writer catches up (a counting semaphore).
struct Credits {
    state: Mutex<(usize, bool)>,
    changed: std::sync::Condvar,
}

impl Credits {
    fn new(n: usize) -> Self {
        Self {
            state: Mutex::new((n, false)),
            changed: std::sync::Condvar::new(),
        }
    }

    /// Waits for a credit; false once closed (no more items, or the writer stopped).
    fn take(&self) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        loop {
            match *state {
                (_, true) => return false,
                (0, false) => match self.changed.wait(state) {
                    Ok(s) => state = s,
                    Err(_) => return false,
                },
                (ref mut n, false) => {
                    *n -= 1;
                    return true;
                }
            }
        }
    }

    fn give(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.0 += 1;
            self.changed.notify_one();
        }
    }

    fn close(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.1 = true;
            self.changed.notify_all();
        }
    }
}

/// A report line kept in memory up to this size, in an unnamed temporary file past it: a line
/// waits until the lines before it are written, and a 50 MB report's line (its chunk texts
/// included) is larger than the report.
const LINE_IN_MEMORY_MAX: usize = 4 << 20;

/// Analyses one item; its JSON line (without the newline), and whether it succeeded.
fn analyze_one(
    item: Item,
    analyzer: &Analyzer,
    options: &AnalysisOptions,
    limits: super::input::ReadLimits,
    documents: &super::document::DocOptions,
) -> (SpooledTempFile, bool) {
    let name = item.name();
    // The text is moved into the document, and the report line is serialised from a borrowed
    // view: one copy of a large text.
    let result = (|| -> anyhow::Result<SpooledTempFile> {
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
        let mut line = SpooledTempFile::new(LINE_IN_MEMORY_MAX);
        let mut w = std::io::BufWriter::new(&mut line);
        match source {
            None => mitremap_export::json::to_writer_compact(&mut w, &report.json_view(true)),
            Some(source) => {
                let mut value = serde_json::to_value(report.json_view(true))?;
                super::document::annotate_report(&mut value, &source);
                mitremap_export::json::to_writer_compact(&mut w, &value)
            }
        }
        .context("cannot hold the report's line (temporary file)")?;
        w.flush()
            .context("cannot hold the report's line (temporary file)")?;
        drop(w);
        Ok(line)
    })();
    match result {
        Ok(line) => (line, true),
        Err(e) => {
            let mut line = SpooledTempFile::new(LINE_IN_MEMORY_MAX);
            // Serialising a small `Value` into memory cannot fail (its map keys are strings).
            let _ = mitremap_export::json::to_writer_compact(
                &mut line,
                &json!({"input": {"name": name}, "error": format!("{e:#}")}),
            );
            (line, false)
        }
    }
}

/// Copies a finished line to `out`, then a newline.
fn write_line(out: &mut dyn Write, mut line: SpooledTempFile) -> std::io::Result<()> {
    line.seek(SeekFrom::Start(0))?;
    std::io::copy(&mut line, out)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use super::*;

    /// The batch's last stderr line: a slow batch is not "0.00 reports/s", one report is one.
    #[test]
    fn throughput_reads_right_for_fast_slow_and_single_batches() {
        assert_eq!(throughput(3, 4.2), "3 reports in 4.20 s (0.71 reports/s)");
        assert_eq!(
            throughput(1, 3294.65),
            "1 report in 3294.65 s (3294.7 s a report)"
        );
        assert_eq!(throughput(0, 0.01), "0 reports in 0.01 s (0.00 reports/s)");
    }

    /// The same JSONL line over and over, without end; counts the bytes handed out.
    struct Endless {
        line: &'static [u8],
        at: usize,
        handed: u64,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.line.len() - self.at);
            buf[..n].copy_from_slice(&self.line[self.at..self.at + n]);
            self.at = (self.at + n) % self.line.len();
            self.handed += n as u64;
            Ok(n)
        }
    }

    fn texts(items: impl Iterator<Item = Item>) -> Vec<Result<String, String>> {
        items
            .map(|item| match item {
                Item::Inline { text, .. } => Ok(text),
                Item::Invalid { error, .. } => Err(error),
                Item::File(p) => Err(p.display().to_string()),
            })
            .collect()
    }

    /// A JSONL stream is read a line at a time as items are asked for: an endless stream gives
    /// its first items (reading the whole input first would never return).
    #[test]
    fn jsonl_is_read_as_items_are_taken() {
        let endless = Endless {
            line: b"{\"text\": \"APT29 used PowerShell.\"}\n",
            at: 0,
            handed: 0,
        };
        let mut items = JsonlItems::new(BufReader::new(endless), "s", 1 << 20);
        let first = texts(items.by_ref().take(3));
        assert_eq!(first, vec![Ok("APT29 used PowerShell.".to_owned()); 3]);
        // one BufReader fill (8 KiB), not more
        assert!(items.reader.get_ref().handed <= 8 * 1024);
    }

    /// A line over the limit (`--max-input`) is reported in its place with its number and
    /// skipped to its end; only the first `limit` bytes of it are ever kept, and the lines after
    /// it are still read.
    #[test]
    fn a_line_over_the_limit_is_reported_and_the_next_lines_read() {
        let stream = Cursor::new(b"{\"text\": \"first\"}\n{\"text\": \"".to_vec())
            .chain(std::io::repeat(b'a').take(50 << 20))
            .chain(Cursor::new(b"\"}\n\n{\"text\": \"third\"}".to_vec()));
        let got = texts(JsonlItems::new(
            BufReader::new(stream),
            "big.jsonl",
            1 << 20,
        ));
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0], Ok("first".to_owned()));
        let error = got[1].as_ref().unwrap_err();
        assert!(
            error.starts_with("big.jsonl:2: the line is 50 MiB, larger than the 1 MiB input limit")
                && error.contains("--max-input"),
            "{error}"
        );
        assert_eq!(got[2], Ok("third".to_owned()));
    }

    /// A report line over the in-memory size goes through a temporary file and comes out whole.
    #[test]
    fn a_large_report_line_is_held_on_disk_and_written_whole() {
        let text: Vec<u8> = (0..LINE_IN_MEMORY_MAX + 12345)
            .map(|i| b'a' + (i % 26) as u8)
            .collect();
        let mut line = SpooledTempFile::new(LINE_IN_MEMORY_MAX);
        line.write_all(&text).unwrap();
        assert!(line.is_rolled());
        let mut out = Vec::new();
        write_line(&mut out, line).unwrap();
        assert_eq!(out.len(), text.len() + 1);
        assert!(out.starts_with(&text) && out.ends_with(b"\n"));
    }

    #[test]
    fn lines_are_cut_at_the_limit_exactly() {
        let mut r = Cursor::new(b"abcd\nabcde\nab".to_vec());
        assert!(matches!(read_line_bounded(&mut r, 4), Ok(Line::Text(l)) if l == b"abcd"));
        assert!(matches!(read_line_bounded(&mut r, 4), Ok(Line::TooLong(5))));
        assert!(matches!(read_line_bounded(&mut r, 4), Ok(Line::Text(l)) if l == b"ab"));
        assert!(matches!(read_line_bounded(&mut r, 4), Ok(Line::End)));
    }
}
