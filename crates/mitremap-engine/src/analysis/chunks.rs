//! A report's per-chunk results, stored compactly.
//!
//! 100 MB of one-line sentences is ~4 million chunks. As one `ChunkResult` each (a 64-byte struct
//! and a heap list of 16-byte predictions) they took ~130 bytes a chunk, over 500 MB in all. Here
//! a chunk is one fixed 24-byte row, and the kept scores of every chunk share one list of
//! 8-byte entries: ~48 bytes a chunk with the usual three scores.
//!
//! Offsets are `u32`: [`Analyzer::run`](super::Analyzer::run) refuses documents over
//! [`MAX_DOCUMENT_BYTES`], so a chunk's index, byte range and token count fit. Cut words (at most
//! one per token) and kept scores (at most one per label) fit in `u16`. The shared score list
//! holds up to `u32::MAX` entries (32 GiB of them): past that a chunk keeps no scores rather than
//! panicking, a size no machine this runs on reaches.

use std::ops::Range;

use super::report::{ChunkPrediction, ChunkResult};

/// The largest document an analysis takes (4 GiB - 1 bytes): chunk offsets are stored as `u32`.
pub const MAX_DOCUMENT_BYTES: usize = u32::MAX as usize;

/// One chunk's fixed-size part; its scores are `scores[scores_at..scores_at + scores_len]`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Row {
    index: u32,
    start: u32,
    end: u32,
    tokens: u32,
    scores_at: u32,
    cut_words: u16,
    scores_len: u16,
}

/// One kept score: a label index and its confidence (the model's f32, unrounded).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Score {
    label: u32,
    score: f32,
}

impl Score {
    fn prediction(self) -> ChunkPrediction {
        ChunkPrediction {
            label: self.label as usize,
            score: self.score,
        }
    }
}

/// Values that fit by the document size limit (see the module doc); saturates instead of
/// panicking should a caller bypass [`Analyzer::run`](super::Analyzer::run).
fn narrow(n: usize) -> u32 {
    debug_assert!(
        n <= MAX_DOCUMENT_BYTES,
        "chunk value {n} over the u32 range"
    );
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Counts bounded by a model's token or label count (see the module doc).
fn narrow16(n: usize) -> u16 {
    debug_assert!(
        n <= usize::from(u16::MAX),
        "chunk count {n} over the u16 range"
    );
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// The chunks of a report, sorted by chunk index (they may arrive in any order).
#[derive(Debug, Clone, Default)]
pub struct ChunkTable {
    rows: Vec<Row>,
    scores: Vec<Score>,
}

/// A borrowed view of one chunk's result (see [`ChunkResult`] for the fields).
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkRef<'a> {
    pub index: usize,
    /// Byte range of the chunk in the document.
    pub range: Range<usize>,
    /// Tokens the model saw (special tokens included).
    pub tokens: usize,
    /// Scores, highest first: every label at or above `keep_scores_min` plus the top 3.
    pub scores: ChunkScores<'a>,
    /// Words longer than [`crate::text::chunk::MAX_WORD_BYTES`] the model saw cut.
    pub cut_words: usize,
}

impl<'a> ChunkRef<'a> {
    /// Predictions at or above `threshold`.
    pub fn above(&self, threshold: f32) -> impl Iterator<Item = ChunkPrediction> + use<'a> {
        self.scores.iter().take_while(move |p| p.score >= threshold)
    }

    /// An owned copy.
    pub fn to_result(&self) -> ChunkResult {
        ChunkResult {
            index: self.index,
            range: self.range.clone(),
            tokens: self.tokens,
            scores: self.scores.to_vec(),
            cut_words: self.cut_words,
        }
    }
}

/// One chunk's kept scores, highest first; read as [`ChunkPrediction`] values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChunkScores<'a>(&'a [Score]);

impl<'a> ChunkScores<'a> {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The best score.
    pub fn first(&self) -> Option<ChunkPrediction> {
        self.0.first().map(|s| s.prediction())
    }

    pub fn get(&self, i: usize) -> Option<ChunkPrediction> {
        self.0.get(i).map(|s| s.prediction())
    }

    pub fn iter(
        &self,
    ) -> impl DoubleEndedIterator<Item = ChunkPrediction> + ExactSizeIterator + Clone + use<'a>
    {
        self.0.iter().map(|s| s.prediction())
    }

    pub fn to_vec(&self) -> Vec<ChunkPrediction> {
        self.iter().collect()
    }
}

impl ChunkTable {
    pub const fn new() -> Self {
        Self {
            rows: Vec::new(),
            scores: Vec::new(),
        }
    }

    /// A table with no chunks, to borrow where there is no report.
    pub fn empty() -> &'static ChunkTable {
        static EMPTY: ChunkTable = ChunkTable::new();
        &EMPTY
    }

    /// Number of chunks.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Room for `additional` more chunks with three scores each, allocated exactly (no doubling
    /// slack on millions of chunks).
    pub fn reserve_exact(&mut self, additional: usize) {
        self.rows.reserve_exact(additional);
        self.scores.reserve_exact(additional.saturating_mul(3));
    }

    /// Files `chunk` by its index (a chunk with an index already present goes after it).
    pub fn insert(&mut self, chunk: &ChunkResult) {
        if self.scores.capacity() - self.scores.len() < chunk.scores.len() {
            // Grow by a quarter, not double: past the reservation this is the largest list.
            let grow = (self.scores.capacity() / 4).max(chunk.scores.len()).max(64);
            self.scores.reserve_exact(grow);
        }
        if self.rows.len() == self.rows.capacity() {
            self.rows.reserve_exact((self.rows.capacity() / 4).max(16));
        }
        let kept = narrow16(chunk.scores.len());
        let (scores_at, scores_len) = match u32::try_from(self.scores.len() + usize::from(kept)) {
            Ok(_) => (self.scores.len() as u32, kept),
            Err(_) => (0, 0), // the list is full (see the module doc)
        };
        self.scores.extend(
            chunk.scores[..usize::from(scores_len)]
                .iter()
                .map(|p| Score {
                    label: narrow(p.label),
                    score: p.score,
                }),
        );
        let row = Row {
            index: narrow(chunk.index),
            start: narrow(chunk.range.start),
            end: narrow(chunk.range.end),
            tokens: narrow(chunk.tokens),
            cut_words: narrow16(chunk.cut_words),
            scores_len,
            scores_at,
        };
        // Chunks mostly arrive in order: append without searching.
        if self.rows.last().is_none_or(|r| r.index <= row.index) {
            self.rows.push(row);
        } else {
            let at = self.rows.partition_point(|r| r.index <= row.index);
            self.rows.insert(at, row);
        }
    }

    fn view(&self, row: &Row) -> ChunkRef<'_> {
        let at = row.scores_at as usize;
        ChunkRef {
            index: row.index as usize,
            range: row.start as usize..row.end as usize,
            tokens: row.tokens as usize,
            scores: ChunkScores(&self.scores[at..at + row.scores_len as usize]),
            cut_words: row.cut_words as usize,
        }
    }

    /// The chunk at position `pos` (not chunk index; see [`ChunkTable::position`]).
    pub fn get(&self, pos: usize) -> Option<ChunkRef<'_>> {
        self.rows.get(pos).map(|r| self.view(r))
    }

    pub fn first(&self) -> Option<ChunkRef<'_>> {
        self.get(0)
    }

    pub fn last(&self) -> Option<ChunkRef<'_>> {
        self.rows.last().map(|r| self.view(r))
    }

    /// Chunks in index order.
    pub fn iter(&self) -> Chunks<'_> {
        Chunks {
            table: self,
            rows: self.rows.iter(),
        }
    }

    /// Position of the chunk with index `index`.
    pub fn position(&self, index: usize) -> Option<usize> {
        self.rows
            .binary_search_by_key(&index, |r| r.index as usize)
            .ok()
    }

    /// As [`slice::binary_search_by_key`], over the chunks in order.
    pub fn binary_search_by_key<B: Ord>(
        &self,
        key: &B,
        mut f: impl FnMut(&ChunkRef<'_>) -> B,
    ) -> Result<usize, usize> {
        self.rows.binary_search_by(|r| f(&self.view(r)).cmp(key))
    }

    /// As [`slice::partition_point`], over the chunks in order.
    pub fn partition_point(&self, mut pred: impl FnMut(&ChunkRef<'_>) -> bool) -> usize {
        self.rows.partition_point(|r| pred(&self.view(r)))
    }

    /// Owned copies of every chunk.
    pub fn to_vec(&self) -> Vec<ChunkResult> {
        self.iter().map(|c| c.to_result()).collect()
    }

    /// Bytes held by the table (its allocations, reserved capacity included).
    pub fn heap_bytes(&self) -> usize {
        self.rows.capacity() * size_of::<Row>() + self.scores.capacity() * size_of::<Score>()
    }
}

/// Equal when they hold the same chunks (however the scores are laid out in the shared list).
impl PartialEq for ChunkTable {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// The chunks of a [`ChunkTable`] in index order, as views.
#[derive(Debug, Clone)]
pub struct Chunks<'a> {
    table: &'a ChunkTable,
    rows: std::slice::Iter<'a, Row>,
}

impl<'a> Iterator for Chunks<'a> {
    type Item = ChunkRef<'a>;

    fn next(&mut self) -> Option<ChunkRef<'a>> {
        self.rows.next().map(|r| self.table.view(r))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.rows.size_hint()
    }
}

impl DoubleEndedIterator for Chunks<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.rows.next_back().map(|r| self.table.view(r))
    }
}

impl ExactSizeIterator for Chunks<'_> {}

impl<'a> IntoIterator for &'a ChunkTable {
    type Item = ChunkRef<'a>;
    type IntoIter = Chunks<'a>;

    fn into_iter(self) -> Chunks<'a> {
        self.iter()
    }
}

impl FromIterator<ChunkResult> for ChunkTable {
    fn from_iter<I: IntoIterator<Item = ChunkResult>>(iter: I) -> Self {
        let mut table = Self::new();
        for chunk in iter {
            table.insert(&chunk);
        }
        table
    }
}

impl From<Vec<ChunkResult>> for ChunkTable {
    fn from(chunks: Vec<ChunkResult>) -> Self {
        chunks.into_iter().collect()
    }
}

/// A chunk's byte range, for [`Report::chunk_text`](super::Report::chunk_text) on owned results
/// and views alike.
pub trait ChunkSpan {
    fn span(&self) -> Range<usize>;
}

impl ChunkSpan for ChunkResult {
    fn span(&self) -> Range<usize> {
        self.range.clone()
    }
}

impl ChunkSpan for ChunkRef<'_> {
    fn span(&self) -> Range<usize> {
        self.range.clone()
    }
}

impl<T: ChunkSpan + ?Sized> ChunkSpan for &T {
    fn span(&self) -> Range<usize> {
        (**self).span()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(index: usize, scores: &[(usize, f32)]) -> ChunkResult {
        ChunkResult {
            index,
            range: index * 10..index * 10 + 7,
            tokens: 5 + index,
            scores: scores
                .iter()
                .map(|&(label, score)| ChunkPrediction { label, score })
                .collect(),
            cut_words: index % 2,
        }
    }

    #[test]
    fn keeps_every_field_and_sorts_by_index() {
        let given = [
            chunk(2, &[(4, 0.9), (1, 0.5), (0, 0.01)]),
            chunk(0, &[(3, 0.7)]),
            chunk(1, &[(2, 0.6), (5, 0.2), (6, 0.1), (7, 0.06)]),
        ];
        let table: ChunkTable = given.iter().cloned().collect();
        let mut want = given.to_vec();
        want.sort_by_key(|c| c.index);
        assert_eq!(table.to_vec(), want);
        assert_eq!(table.len(), 3);
        assert_eq!(table.position(2), Some(2));
        assert_eq!(table.position(9), None);
        let c = table.get(2).unwrap();
        assert_eq!(c.above(0.5).map(|p| p.label).collect::<Vec<_>>(), [4, 1]);
        assert_eq!(c.scores.first().map(|p| p.label), Some(4));
        assert_eq!(table.partition_point(|c| c.range.end <= 15), 1);
        assert_eq!(table.binary_search_by_key(&20, |c| c.range.start), Ok(2));
    }

    #[test]
    fn a_chunk_with_three_scores_takes_48_bytes() {
        let mut table = ChunkTable::new();
        table.reserve_exact(1000);
        for i in 0..1000 {
            table.insert(&chunk(i, &[(1, 0.9), (2, 0.5), (3, 0.1)]));
        }
        assert_eq!(table.heap_bytes(), 1000 * 48);
    }
}
