//! Grouping sentences into model-sized chunks.
//!
//! Chunks are non-overlapping windows of N sentences (3 by default, like the original notebook).
//! A window whose tokens exceed the model's budget is first split between sentences and, for a
//! single over-long sentence, on token boundaries: the model never sees a silently truncated chunk.

use std::ops::Range;

use super::sentences::split_sentences;
use crate::Result;

/// A window of consecutive sentences, before token capping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Byte range in the document, from the first sentence's start to the last one's end.
    pub range: Range<usize>,
    /// The sentences' byte ranges.
    pub sentences: Vec<Range<usize>>,
}

/// The sentence windows of a document, computed without tokenising (cheap, so progress can be
/// shown before any model work starts).
#[derive(Debug, Clone)]
pub struct ChunkPlan {
    pub windows: Vec<Window>,
}

impl ChunkPlan {
    /// Splits `text` into sentences and groups them `sentences_per_chunk` at a time (minimum 1).
    pub fn new(text: &str, sentences_per_chunk: usize) -> Self {
        let per = sentences_per_chunk.max(1);
        let sentences = split_sentences(text);
        let windows = sentences
            .chunks(per)
            .map(|group| Window {
                range: group[0].start..group[group.len() - 1].end,
                sentences: group.to_vec(),
            })
            .collect();
        Self { windows }
    }
}

/// Something that can tokenise text and says how many content tokens fit in one model input.
/// Implemented by the model's encoder; tests use a whitespace tokenizer.
pub trait TokenBudget {
    /// The tokenised form of a piece of text.
    type Encoded;
    /// Tokenises `text` (content only: special tokens are not counted against the budget).
    fn encode(&self, text: &str) -> Result<Self::Encoded>;
    /// Number of content tokens in an encoding.
    fn content_tokens(&self, encoded: &Self::Encoded) -> usize;
    /// Byte ranges (relative to the encoded text) of the content tokens, in order.
    fn token_ranges(&self, encoded: &Self::Encoded) -> Vec<Range<usize>>;
    /// The most content tokens one model input may hold.
    fn budget(&self) -> usize;
}

/// Cuts a window into chunks that each fit the budget; returns each chunk's byte range (in the
/// document) with its encoding. Ranges are trimmed, ordered, non-overlapping and together cover
/// every non-whitespace byte of the window.
pub fn fit_window<B: TokenBudget>(
    text: &str,
    window: &Window,
    budget: &B,
) -> Result<Vec<(Range<usize>, B::Encoded)>> {
    let mut out = Vec::new();
    let encoded = budget.encode(&text[window.range.clone()])?;
    if budget.content_tokens(&encoded) <= budget.budget() {
        out.push((window.range.clone(), encoded));
        return Ok(out);
    }
    // Pack whole sentences greedily, then split any sentence that is too long on its own.
    let mut group: Option<Range<usize>> = None;
    for sentence in &window.sentences {
        let candidate = group
            .as_ref()
            .map_or(sentence.clone(), |g| g.start..sentence.end);
        let enc = budget.encode(&text[candidate.clone()])?;
        if budget.content_tokens(&enc) <= budget.budget() {
            group = Some(candidate);
            continue;
        }
        if let Some(g) = group.take() {
            fit_range(text, g, budget, &mut out)?;
        }
        group = Some(sentence.clone());
    }
    if let Some(g) = group {
        fit_range(text, g, budget, &mut out)?;
    }
    Ok(out)
}

/// Emits `range` as one chunk if it fits, otherwise cuts it on token boundaries.
fn fit_range<B: TokenBudget>(
    text: &str,
    range: Range<usize>,
    budget: &B,
    out: &mut Vec<(Range<usize>, B::Encoded)>,
) -> Result<()> {
    let encoded = budget.encode(&text[range.clone()])?;
    let count = budget.content_tokens(&encoded);
    if count <= budget.budget() {
        out.push((range, encoded));
        return Ok(());
    }
    let tokens = budget.token_ranges(&encoded);
    // Re-tokenising a piece can merge differently at its edges, so cut a little short and
    // re-check each piece (recursing on the rare piece that still overflows).
    let step = (budget.budget().saturating_sub(budget.budget() / 16)).max(1);
    let mut piece_start = range.start;
    let mut index = step;
    while index < tokens.len() {
        let cut = range.start + tokens[index].start;
        if cut > piece_start && text.is_char_boundary(cut) {
            push_piece(text, piece_start..cut, budget, out)?;
            piece_start = cut;
        }
        index += step;
    }
    push_piece(text, piece_start..range.end, budget, out)
}

fn push_piece<B: TokenBudget>(
    text: &str,
    range: Range<usize>,
    budget: &B,
    out: &mut Vec<(Range<usize>, B::Encoded)>,
) -> Result<()> {
    let piece = &text[range.clone()];
    let lead = piece.len() - piece.trim_start().len();
    let trimmed = piece.trim();
    if trimmed.is_empty() {
        return Ok(());
    }
    let range = range.start + lead..range.start + lead + trimmed.len();
    let encoded = budget.encode(trimmed)?;
    if budget.content_tokens(&encoded) <= budget.budget() {
        out.push((range, encoded));
        return Ok(());
    }
    // Still too long: halve it on a token boundary.
    let tokens = budget.token_ranges(&encoded);
    let mid = tokens.len() / 2;
    let cut = range.start + tokens[mid.max(1)].start;
    if cut <= range.start || cut >= range.end || !text.is_char_boundary(cut) {
        // One token longer than the whole budget cannot happen with a budget >= 1; guard anyway.
        out.push((range, encoded));
        return Ok(());
    }
    push_piece(text, range.start..cut, budget, out)?;
    push_piece(text, cut..range.end, budget, out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Whitespace tokenizer: every run of non-whitespace is one token.
    pub(crate) struct Words(pub usize);

    impl TokenBudget for Words {
        type Encoded = Vec<Range<usize>>;
        fn encode(&self, text: &str) -> Result<Self::Encoded> {
            let mut out = Vec::new();
            let mut start = None;
            for (i, c) in text.char_indices() {
                match (c.is_whitespace(), start) {
                    (false, None) => start = Some(i),
                    (true, Some(s)) => {
                        out.push(s..i);
                        start = None;
                    }
                    _ => {}
                }
            }
            if let Some(s) = start {
                out.push(s..text.len());
            }
            Ok(out)
        }
        fn content_tokens(&self, encoded: &Self::Encoded) -> usize {
            encoded.len()
        }
        fn token_ranges(&self, encoded: &Self::Encoded) -> Vec<Range<usize>> {
            encoded.clone()
        }
        fn budget(&self) -> usize {
            self.0
        }
    }

    pub(crate) fn chunk_all(text: &str, per: usize, budget: usize) -> Vec<Range<usize>> {
        let plan = ChunkPlan::new(text, per);
        plan.windows
            .iter()
            .flat_map(|w| fit_window(text, w, &Words(budget)).unwrap())
            .map(|(r, _)| r)
            .collect()
    }

    #[test]
    fn groups_three_sentences() {
        let text = "One is here. Two is here. Three is here. Four is here. Five is here.";
        let chunks: Vec<_> = chunk_all(text, 3, 100)
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(
            chunks,
            [
                "One is here. Two is here. Three is here.",
                "Four is here. Five is here."
            ]
        );
    }

    #[test]
    fn long_windows_split_between_sentences_then_on_tokens() {
        let text = "a b c d. e f g h. i j k l m n o p q r s t u v w x.";
        let chunks = chunk_all(text, 3, 8);
        for r in &chunks {
            assert!(
                Words(8).encode(&text[r.clone()]).unwrap().len() <= 8,
                "{:?}",
                &text[r.clone()]
            );
        }
        assert_eq!(&text[chunks[0].clone()], "a b c d. e f g h.");
        // The 16-word sentence is cut on word boundaries, nothing dropped.
        let rest: Vec<&str> = chunks[1..].iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(rest.join(" "), "i j k l m n o p q r s t u v w x.");
    }

    #[test]
    fn giant_sentence_without_punctuation_is_never_truncated() {
        let text = "word ".repeat(10_000);
        let chunks = chunk_all(&text, 3, 100);
        let words: usize = chunks
            .iter()
            .map(|r| Words(100).encode(&text[r.clone()]).unwrap().len())
            .sum();
        assert_eq!(words, 10_000);
        assert!(
            chunks
                .iter()
                .all(|r| Words(100).encode(&text[r.clone()]).unwrap().len() <= 100)
        );
    }
}
