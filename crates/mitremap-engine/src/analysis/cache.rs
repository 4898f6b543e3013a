//! Results of sentence windows kept between analyses, so re-analysing an edited text scores only
//! the windows the edit touched.
//!
//! A window's chunks (their ranges within the window, token counts and kept scores) are a pure
//! function of the model, the options that shape a [`ChunkResult`] and the window's text with its
//! sentence boundaries: the encoder tokenises each chunk on its own and the lexical part reads
//! only the chunk's text. The key is a sha256 over all of these, so a hit is exactly what scoring
//! the window again would give (at batch size 1; larger batches are keyed apart, see
//! [`AnalysisOptions::batch_size`]).
//!
//! Attach one to an [`Analyzer`](super::Analyzer) with
//! [`Analyzer::with_cache`](super::Analyzer::with_cache); runs that compute explanations bypass it
//! (explanations are tied to token positions in one document).

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

use super::{AnalysisOptions, ChunkPrediction, ChunkResult};
use crate::model::Classifier;
use crate::text::chunk::Window;

/// Windows kept by default: a 5 MB report has ~50k sentence windows.
pub const DEFAULT_CAPACITY: usize = 200_000;

/// One chunk of a cached window, its range relative to the window's start.
#[derive(Debug, Clone, PartialEq)]
struct CachedChunk {
    range: Range<usize>,
    tokens: usize,
    scores: Vec<ChunkPrediction>,
    cut_words: usize,
}

#[derive(Debug)]
struct Entry {
    chunks: Vec<CachedChunk>,
    /// The run that last used this entry (for eviction).
    used: u64,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<[u8; 32], Entry>,
    run: u64,
}

/// Scored windows by (model, options, window text); shared by the runs of one analyzer.
#[derive(Debug)]
pub struct ChunkCache {
    inner: Mutex<Inner>,
    capacity: usize,
    hits: AtomicUsize,
    misses: AtomicUsize,
}

impl Default for ChunkCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

/// Windows served from the cache and windows scored by the model, since the cache was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    pub hits: usize,
    pub misses: usize,
}

impl ChunkCache {
    /// A cache keeping at most about `capacity` windows (entries the latest run did not use go
    /// first when it is full).
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            capacity: capacity.max(1),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
        }
    }

    /// Hits and misses so far (a miss is a window the model scored).
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    /// Windows held.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // a panic while holding the lock leaves consistent data (whole entries only)
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a run: how many of `keys` are held (for progress and an estimate of the work left).
    pub(super) fn begin_run(&self, keys: &[[u8; 32]]) -> usize {
        let mut inner = self.lock();
        inner.run += 1;
        keys.iter()
            .filter(|k| inner.entries.contains_key(*k))
            .count()
    }

    /// The chunks of a held window, placed at `window_start` and numbered from `first_index`.
    pub(super) fn get(
        &self,
        key: &[u8; 32],
        window_start: usize,
        first_index: usize,
    ) -> Option<Vec<ChunkResult>> {
        let mut inner = self.lock();
        let run = inner.run;
        let entry = inner.entries.get_mut(key)?;
        entry.used = run;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(
            entry
                .chunks
                .iter()
                .enumerate()
                .map(|(i, c)| ChunkResult {
                    index: first_index + i,
                    range: c.range.start + window_start..c.range.end + window_start,
                    tokens: c.tokens,
                    scores: c.scores.clone(),
                    cut_words: c.cut_words,
                })
                .collect(),
        )
    }

    /// Keeps the scored chunks of one window (in document order).
    pub(super) fn insert(&self, key: [u8; 32], window_start: usize, chunks: &[ChunkResult]) {
        self.misses.fetch_add(1, Ordering::Relaxed);
        let chunks = chunks
            .iter()
            .map(|c| CachedChunk {
                range: c.range.start - window_start..c.range.end - window_start,
                tokens: c.tokens,
                scores: c.scores.clone(),
                cut_words: c.cut_words,
            })
            .collect();
        let mut inner = self.lock();
        if inner.entries.len() >= self.capacity {
            let run = inner.run;
            inner.entries.retain(|_, e| e.used == run);
            if inner.entries.len() >= self.capacity {
                inner.entries.clear();
            }
        }
        let used = inner.run;
        inner.entries.insert(key, Entry { chunks, used });
    }
}

/// What every key of one run starts with: the model and the options that shape a chunk's result.
pub(super) fn key_prefix(classifier: &Classifier, options: &AnalysisOptions) -> Sha256 {
    let m = classifier.manifest();
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(b"mitremap chunk cache 1");
    field(m.name.as_bytes());
    field(m.version.as_bytes());
    field(classifier.dir().as_os_str().as_encoded_bytes());
    for (file, sha) in &m.files {
        field(file.as_bytes());
        field(sha.as_bytes());
    }
    field(&(m.max_tokens as u64).to_le_bytes());
    field(&(options.batch_size.max(1) as u64).to_le_bytes());
    field(&options.keep_scores_min.to_bits().to_le_bytes());
    h
}

/// The key of one window: the run's prefix, the window's sentence boundaries and its text.
pub(super) fn window_key(prefix: &Sha256, text: &str, window: &Window) -> [u8; 32] {
    let mut h = prefix.clone();
    let start = window.range.start;
    h.update((window.sentences.len() as u64).to_le_bytes());
    for s in &window.sentences {
        h.update(((s.start - start) as u64).to_le_bytes());
        h.update(((s.end - start) as u64).to_le_bytes());
    }
    h.update(text[window.range.clone()].as_bytes());
    h.finalize().into()
}
