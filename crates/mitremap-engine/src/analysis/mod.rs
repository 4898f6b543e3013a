//! Running an analysis: chunks -> batched inference -> events, streamed as chunks complete.
//!
//! [`Analyzer::run`] is synchronous and CPU-bound: front ends run it on a worker thread
//! ([`Analyzer::spawn`] does that and hands back a channel) and fold the [`Event`]s into their own
//! state, usually a [`Report`]. Cancellation is checked between batches.

mod cache;
mod chunks;
mod report;
mod review;

pub use cache::{CacheStats, ChunkCache};
pub use chunks::{ChunkRef, ChunkScores, ChunkSpan, ChunkTable, Chunks, MAX_DOCUMENT_BYTES};
pub use report::{
    ChunkPrediction, ChunkResult, EVIDENCE_FLOOR, InputInfo, LabelMapping, ModelInfo, Report,
    ReportOptions, SCHEMA_VERSION, TechniqueHit, Timings,
};
pub use review::{ReviewOverlay, ReviewStatus};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Instant;

use mitremap_ioc::Ioc;

use crate::explain::{self, ExplainOptions, Explanation};
use crate::model::{Classifier, Encoded};
use crate::text::Document;
use crate::text::chunk::{fit_window_each, windows};
use crate::{Error, Result};

/// The original notebook's confidence cut-off.
pub const DEFAULT_THRESHOLD: f32 = 0.6;

/// A threshold as people read it: two decimals, or three when the third is needed (`0.60`,
/// `0.475`), so a model's `0.475` is never shown as `0.47`.
pub fn format_threshold(threshold: f32) -> String {
    let t = format!("{threshold:.3}");
    match t.strip_suffix('0') {
        Some(two) => two.to_string(),
        None => t,
    }
}
/// Batches of look-ahead sorted by length before batches are cut (see [`Analyzer::run`]).
const LOOKAHEAD_BATCHES: usize = 4;
/// The original notebook's chunk size in sentences.
pub const DEFAULT_CHUNK_SENTENCES: usize = 3;

/// What to compute and how.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisOptions {
    /// Predictions at or above this confidence count (default 0.6).
    pub threshold: f32,
    /// Sentences per chunk (default 3).
    pub chunk_sentences: usize,
    /// Chunks per inference batch (default 1). int8 dynamically-quantised graphs compute their
    /// activation scales over the whole batch, padding included, so in a batch a chunk's score
    /// depends slightly on its neighbours; batch 1 keeps scores reproducible. Larger batches are
    /// cut from a length-sorted look-ahead (and capped in padded tokens) for throughput.
    pub batch_size: usize,
    /// Per-chunk scores kept for later re-thresholding: every label at or above this, plus the top 3.
    pub keep_scores_min: f32,
    /// Compute token attributions for every prediction above the threshold.
    pub explain: Option<ExplainOptions>,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        Self {
            threshold: DEFAULT_THRESHOLD,
            chunk_sentences: DEFAULT_CHUNK_SENTENCES,
            batch_size: 1,
            keep_scores_min: 0.05,
            explain: None,
        }
    }
}

impl AnalysisOptions {
    /// Defaults with the model's own recommendations (threshold, sentences per chunk) applied.
    pub fn for_model(manifest: &crate::model::Manifest) -> Self {
        let defaults = Self::default();
        Self {
            threshold: manifest.threshold.unwrap_or(defaults.threshold),
            chunk_sentences: manifest.chunk_sentences.unwrap_or(defaults.chunk_sentences),
            ..defaults
        }
    }
}

/// A flag the caller sets to stop an analysis; checked between batches.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Progress counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Chunks scored so far.
    pub chunks_done: usize,
    /// Sentence windows processed so far (a window can become several chunks).
    pub windows_done: usize,
    pub windows_total: usize,
    /// Bytes of the document covered by processed windows.
    pub bytes_done: usize,
    pub bytes_total: usize,
    /// Windows the analyzer's [`ChunkCache`] held when the run started (they cost no model work).
    pub windows_cached_total: usize,
    /// Of `windows_done`, those taken from the cache.
    pub windows_cached: usize,
}

impl Progress {
    /// Windows the model has to score in this run, and of those, how many it has scored.
    pub fn model_work(&self) -> (usize, usize) {
        (
            self.windows_total.saturating_sub(self.windows_cached_total),
            self.windows_done.saturating_sub(self.windows_cached),
        )
    }
}

/// What an analysis reports, in order: `Started`, `Iocs`, then `Chunk` (and `Explained`) with
/// `Progress` after each batch, and finally `Finished` — or `Failed` / `Cancelled` from
/// [`Analyzer::spawn`].
#[derive(Debug, Clone)]
pub enum Event {
    Started(Progress),
    Iocs(Vec<Ioc>),
    Chunk(ChunkResult),
    Explained {
        chunk: usize,
        explanations: Vec<Explanation>,
    },
    Progress(Progress),
    Finished(Timings),
    Failed(String),
    Cancelled,
}

/// Runs analyses with one shared model session (and, optionally, a cache of scored windows).
#[derive(Debug, Clone)]
pub struct Analyzer {
    classifier: Arc<Classifier>,
    cache: Option<Arc<ChunkCache>>,
}

impl Analyzer {
    pub fn new(classifier: Arc<Classifier>) -> Self {
        Self {
            classifier,
            cache: None,
        }
    }

    /// Keeps scored windows in `cache` and reuses them: a run over a lightly edited text scores
    /// only the sentence windows whose text changed (results are identical to a full run; runs
    /// with `explain` set bypass the cache).
    pub fn with_cache(mut self, cache: Arc<ChunkCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The cache given with [`Analyzer::with_cache`].
    pub fn cache(&self) -> Option<&Arc<ChunkCache>> {
        self.cache.as_ref()
    }

    /// The model.
    pub fn classifier(&self) -> &Arc<Classifier> {
        &self.classifier
    }

    /// A new, empty report for `doc` with this model, to fold events into.
    pub fn new_report(
        &self,
        doc: Arc<Document>,
        name: Option<String>,
        options: &AnalysisOptions,
    ) -> Report {
        Report::new(
            doc,
            name,
            Some(ModelInfo::of(&self.classifier)),
            ReportOptions::of(options, Some(self.classifier.manifest().max_tokens)),
        )
    }

    /// Analyses `doc`, calling `sink` with each event as it happens. Returns the timings, or
    /// `Error::Cancelled` if `cancel` was set. With a cache, windows it holds are emitted as they
    /// are reached (no model work) and only the others are scored; `Timings::chunks` counts every
    /// chunk, `tokens` and the times only the model's work.
    pub fn run(
        &self,
        doc: &Document,
        options: &AnalysisOptions,
        cancel: &CancelToken,
        sink: &mut dyn FnMut(Event),
    ) -> Result<Timings> {
        let started = Instant::now();
        let text = doc.text();
        if text.len() > MAX_DOCUMENT_BYTES {
            return Err(Error::DocumentTooLarge { bytes: text.len() });
        }
        // Windows are made one at a time (a 50 MB report of one-line sentences holds millions);
        // counting them first costs a pass of sentence splitting, not memory. With a cache (the
        // TUI) that pass also keys every window, 32 bytes each.
        let cache = self.cache.as_deref().filter(|_| options.explain.is_none());
        let prefix = cache.map(|_| cache::key_prefix(&self.classifier, options));
        let mut windows_total = 0usize;
        let mut keys: Vec<[u8; 32]> = Vec::new();
        for window in windows(text, options.chunk_sentences) {
            windows_total += 1;
            if let Some(prefix) = &prefix {
                keys.push(cache::window_key(prefix, text, &window));
            }
        }
        let mut progress = Progress {
            windows_total,
            bytes_total: text.len(),
            windows_cached_total: cache.map_or(0, |c| c.begin_run(&keys)),
            ..Progress::default()
        };
        sink(Event::Started(progress));
        sink(Event::Iocs(mitremap_ioc::extract(text)));

        let encoder = self.classifier.encoder();
        let mut timings = Timings::default();
        // (chunk index, byte range, encoding, cut words): indices are given in document order when
        // a chunk is made, so batches can be formed out of order; `Report::apply` files chunks by
        // index.
        let mut pending: Vec<Pending> = Vec::new();
        // Windows being scored, to be kept in the cache once all their chunks are in.
        let mut filling = Filling::default();
        let mut next_index = 0usize;
        let mut scored = 0usize;
        let mut cached_since_progress = 0usize;
        let batch_size = options.batch_size.max(1);
        // Batches are cut from a sorted look-ahead of this many chunks, so rows of a batch have
        // similar lengths and little padding (document order wastes ~65% on padding at batch 8).
        let lookahead = batch_size * LOOKAHEAD_BATCHES;
        let mut first = true; // first batch: one chunk, for a fast first result
        for (w, window) in windows(text, options.chunk_sentences).enumerate() {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            if let Some(cache) = cache {
                if let Some(chunks) = cache.get(&keys[w], window.range.start, next_index) {
                    next_index += chunks.len();
                    timings.chunks += chunks.len();
                    for chunk in chunks {
                        sink(Event::Chunk(chunk));
                    }
                    progress.windows_done += 1;
                    progress.windows_cached += 1;
                    progress.bytes_done = window.range.end;
                    progress.chunks_done = scored + timings.chunks;
                    cached_since_progress += 1;
                    if cached_since_progress >= CACHED_PROGRESS_EVERY {
                        cached_since_progress = 0;
                        sink(Event::Progress(progress));
                    }
                    continue;
                }
                // what the cache gave so far is on screen before any model work
                if cached_since_progress > 0 {
                    cached_since_progress = 0;
                    sink(Event::Progress(progress));
                }
            }
            // Counted before its chunks are scored (as when a window was tokenised whole first):
            // progress sent while scoring them includes it.
            progress.windows_done += 1;
            progress.bytes_done = window.range.end;
            let t = Instant::now();
            let mut scoring_ms = 0.0;
            let first_index = next_index;
            if cache.is_some() {
                filling.open(first_index, keys[w], window.range.start);
            }
            // Chunks are scored as they are made: a window of any size (one 100 MB sentence)
            // never holds more than a look-ahead of encodings.
            fit_window_each(text, &window, encoder, &mut |fitted| {
                pending.push(Pending {
                    index: next_index,
                    range: fitted.range,
                    encoded: fitted.encoded,
                    cut_words: fitted.cut_words,
                });
                next_index += 1;
                if first {
                    let s = Instant::now();
                    let batch = vec![pending.remove(0)];
                    let done =
                        self.score_batch(text, batch, options, cancel, &mut timings, sink)?;
                    scored += done.rows;
                    filling.record(cache, done.kept);
                    progress.chunks_done = scored + timings.chunks;
                    sink(Event::Progress(progress));
                    first = false;
                    scoring_ms += ms(s);
                }
                if pending.len() >= lookahead {
                    let s = Instant::now();
                    pending.sort_by_key(|p| p.encoded.ids.len());
                    while pending.len() >= batch_size {
                        let batch = take_batch(&mut pending, batch_size);
                        let done =
                            self.score_batch(text, batch, options, cancel, &mut timings, sink)?;
                        scored += done.rows;
                        filling.record(cache, done.kept);
                        progress.chunks_done = scored + timings.chunks;
                        sink(Event::Progress(progress));
                    }
                    scoring_ms += ms(s);
                }
                Ok(())
            })?;
            // the window's size is known now: complete (and cache) it once all its chunks are in
            filling.close(cache, first_index, next_index - first_index);
            timings.tokenize_ms += (ms(t) - scoring_ms).max(0.0);
        }
        pending.sort_by_key(|p| p.encoded.ids.len());
        while !pending.is_empty() {
            let batch = take_batch(&mut pending, batch_size);
            let done = self.score_batch(text, batch, options, cancel, &mut timings, sink)?;
            scored += done.rows;
            filling.record(cache, done.kept);
        }
        timings.chunks += scored;
        progress.chunks_done = timings.chunks;
        progress.bytes_done = text.len();
        sink(Event::Progress(progress));
        timings.total_ms = ms(started);
        sink(Event::Finished(timings));
        Ok(timings)
    }

    /// Scores one batch and emits its events; returns the chunks it scored.
    fn score_batch(
        &self,
        doc_text: &str,
        batch: Vec<Pending>,
        options: &AnalysisOptions,
        cancel: &CancelToken,
        timings: &mut Timings,
        sink: &mut dyn FnMut(Event),
    ) -> Result<Scored> {
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        // results are kept only for the cache (which runs that explain bypass)
        let keep = self.cache.is_some() && options.explain.is_none();
        let t = Instant::now();
        let ids: Vec<&[u32]> = batch.iter().map(|p| p.encoded.ids.as_slice()).collect();
        // Encodings are chunk-relative here; a lexical part reads the span the tokens cover.
        let texts: Vec<&str> = batch
            .iter()
            .map(|p| p.encoded.covered(&doc_text[p.range.clone()]))
            .collect();
        let scores = self.classifier.scores_with_text(&ids, &texts)?;
        timings.inference_ms += ms(t);
        timings.tokens += ids.iter().map(|s| s.len()).sum::<usize>();
        let mut to_explain = Vec::new();
        let mut done = Scored {
            rows: batch.len(),
            kept: Vec::new(),
        };
        for (pending, row) in batch.into_iter().zip(scores) {
            let Pending {
                index,
                range,
                mut encoded,
                cut_words,
            } = pending;
            let mut result = ChunkResult::from_scores(
                index,
                range.clone(),
                encoded.ids.len(),
                &row,
                options.keep_scores_min,
            );
            result.cut_words = cut_words;
            if options.explain.is_some() {
                let labels: Vec<usize> = row
                    .iter()
                    .enumerate()
                    .filter(|&(_, &s)| s >= options.threshold)
                    .map(|(i, _)| i)
                    .collect();
                if !labels.is_empty() {
                    encoded.shift(range.start);
                    to_explain.push((index, encoded, labels));
                }
            }
            if keep {
                done.kept.push(result.clone());
            }
            sink(Event::Chunk(result));
        }
        if let Some(explain_options) = &options.explain {
            for (chunk, encoded, labels) in to_explain {
                if cancel.is_cancelled() {
                    return Err(Error::Cancelled);
                }
                let t = Instant::now();
                let explanations = explain::explain_chunk(
                    &self.classifier,
                    doc_text,
                    &encoded,
                    &labels,
                    explain_options,
                )?;
                timings.explain_ms += ms(t);
                sink(Event::Explained {
                    chunk,
                    explanations,
                });
            }
        }
        Ok(done)
    }

    /// Runs the analysis and collects it into a report.
    pub fn analyze(
        &self,
        doc: Arc<Document>,
        name: Option<String>,
        options: &AnalysisOptions,
        cancel: &CancelToken,
    ) -> Result<Report> {
        let mut report = self.new_report(doc.clone(), name, options);
        self.run(&doc, options, cancel, &mut |event| {
            report.apply_owned(event)
        })?;
        Ok(report)
    }

    /// Runs the analysis on a new thread; events arrive on the returned channel, ending with
    /// `Finished`, `Failed` or `Cancelled`. Dropping the receiver does not stop the work: cancel.
    pub fn spawn(
        &self,
        doc: Arc<Document>,
        options: AnalysisOptions,
    ) -> (Receiver<Event>, CancelToken) {
        let (tx, rx) = channel();
        let cancel = CancelToken::new();
        let worker = self.clone();
        let token = cancel.clone();
        std::thread::Builder::new()
            .name("mitremap-analysis".into())
            .spawn(move || worker.run_to_channel(&doc, &options, &token, &tx))
            .expect("spawning the analysis thread");
        (rx, cancel)
    }

    /// Like [`Analyzer::run`], but sends events (including the final `Failed`/`Cancelled`) to `tx`.
    pub fn run_to_channel(
        &self,
        doc: &Document,
        options: &AnalysisOptions,
        cancel: &CancelToken,
        tx: &Sender<Event>,
    ) {
        let outcome = self.run(doc, options, cancel, &mut |event| {
            let _ = tx.send(event);
        });
        match outcome {
            Ok(_) => {}
            Err(Error::Cancelled) => {
                let _ = tx.send(Event::Cancelled);
            }
            Err(e) => {
                let _ = tx.send(Event::Failed(e.to_string()));
            }
        }
    }
}

/// IoCs only, for when no model is available: the events a model-less analysis produces.
pub fn iocs_only(doc: &Document, sink: &mut dyn FnMut(Event)) {
    let progress = Progress {
        bytes_total: doc.text().len(),
        bytes_done: doc.text().len(),
        ..Progress::default()
    };
    sink(Event::Started(progress));
    sink(Event::Iocs(mitremap_ioc::extract(doc.text())));
    sink(Event::Finished(Timings::default()));
}

/// With a cache, a `Progress` event after this many windows taken from it in a row.
const CACHED_PROGRESS_EVERY: usize = 1024;

/// A chunk made but not scored yet.
struct Pending {
    index: usize,
    range: std::ops::Range<usize>,
    encoded: Encoded,
    cut_words: usize,
}

/// What a batch scored: how many chunks, and (with a cache) the results to keep.
struct Scored {
    rows: usize,
    kept: Vec<ChunkResult>,
}

/// Windows scored in this run, waiting for all their chunks before they go into the cache. A
/// window's chunks are scored while it is still being cut (its size is known only at the end),
/// so an entry is opened first and closed with its chunk count.
#[derive(Default)]
struct Filling {
    /// first chunk index -> the window
    windows: std::collections::BTreeMap<usize, OpenWindow>,
}

struct OpenWindow {
    key: [u8; 32],
    start: usize,
    /// Chunks it has, once it is closed.
    expected: Option<usize>,
    scored: Vec<ChunkResult>,
}

impl Filling {
    fn open(&mut self, first_index: usize, key: [u8; 32], start: usize) {
        let open = OpenWindow {
            key,
            start,
            expected: None,
            scored: Vec::new(),
        };
        self.windows.insert(first_index, open);
    }

    fn close(&mut self, cache: Option<&ChunkCache>, first_index: usize, chunks: usize) {
        if let Some(window) = self.windows.get_mut(&first_index) {
            window.expected = Some(chunks);
        }
        self.complete(cache, first_index);
    }

    fn record(&mut self, cache: Option<&ChunkCache>, done: Vec<ChunkResult>) {
        for chunk in done {
            // the window whose first chunk index is the largest one <= this chunk's
            let Some((&first, window)) = self.windows.range_mut(..=chunk.index).next_back() else {
                continue;
            };
            window.scored.push(chunk);
            self.complete(cache, first);
        }
    }

    fn complete(&mut self, cache: Option<&ChunkCache>, first: usize) {
        let Some(cache) = cache else { return };
        let ready = self
            .windows
            .get(&first)
            .is_some_and(|w| w.expected == Some(w.scored.len()));
        if ready {
            let mut window = self.windows.remove(&first).expect("present");
            window.scored.sort_by_key(|c| c.index);
            cache.insert(window.key, window.start, &window.scored);
        }
    }
}

/// Most padded tokens (rows x longest row) in one batch: long chunks get smaller batches, so
/// ONNX Runtime's arena (which keeps the largest batch it has seen) stays bounded.
const MAX_BATCH_TOKENS: usize = 2048;

/// Takes up to `batch_size` chunks from the front of a length-sorted queue, fewer when their
/// padded size would pass [`MAX_BATCH_TOKENS`] (always at least one).
fn take_batch(pending: &mut Vec<Pending>, batch_size: usize) -> Vec<Pending> {
    let mut n = 1;
    while n < batch_size.min(pending.len())
        && (n + 1) * pending[n].encoded.ids.len() <= MAX_BATCH_TOKENS
    {
        n += 1;
    }
    pending.drain(..n).collect()
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(index: usize, tokens: usize) -> Pending {
        Pending {
            index,
            range: 0..1,
            encoded: Encoded {
                ids: vec![1; tokens],
                ranges: vec![None; tokens],
                special: 0,
            },
            cut_words: 0,
        }
    }

    #[test]
    fn thresholds_are_shown_to_three_decimals() {
        assert_eq!(super::format_threshold(0.475), "0.475");
        assert_eq!(super::format_threshold(0.6), "0.60");
        assert_eq!(super::format_threshold(0.525_000_04), "0.525");
        assert_eq!(super::format_threshold(1.0), "1.00");
        assert_eq!(super::format_threshold(0.05), "0.05");
    }

    #[test]
    fn batches_are_capped_by_padded_tokens() {
        let mut short: Vec<_> = (0..10).map(|i| chunk(i, 40)).collect();
        assert_eq!(
            take_batch(&mut short, 8).len(),
            8,
            "short chunks fill a batch"
        );
        let mut long: Vec<_> = (0..10).map(|i| chunk(i, 500)).collect();
        assert_eq!(
            take_batch(&mut long, 8).len(),
            4,
            "4 x 500 tokens fit in 2048"
        );
        let mut huge = vec![chunk(0, 4000), chunk(1, 4000)];
        assert_eq!(take_batch(&mut huge, 8).len(), 1, "always at least one");
    }
}
