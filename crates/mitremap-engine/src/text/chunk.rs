//! Grouping sentences into model-sized chunks.
//!
//! Chunks are non-overlapping windows of N sentences (3 by default, like the original notebook).
//! A window whose tokens exceed the model's budget is first split between sentences and, for a
//! single over-long sentence, on token boundaries: the model never sees a silently truncated chunk.
//!
//! Memory stays bounded whatever the input: windows are made one at a time ([`windows`]), the
//! tokenizer is never given more than [`MAX_ENCODE_BYTES`] at once (a longer sentence is cut into
//! pieces at whitespace or punctuation first), and a word longer than [`MAX_WORD_BYTES`] is cut to
//! its first [`MAX_WORD_BYTES`] before tokenising — the tokenizer maps any word over 100
//! characters to one `[UNK]` anyway, so the model sees the same token; the chunk is flagged as
//! holding a cut word ([`Fitted::cut_words`]).

use std::ops::Range;

use super::sentences::{Sentences, sentences};
use crate::Result;

/// The most bytes given to the tokenizer at once. A chunk of the shipped model (126 content
/// tokens) is a few hundred bytes of prose, so only pathological sentences are cut by this.
pub const MAX_ENCODE_BYTES: usize = 16 * 1024;

/// A word (a run of letters and digits, as the tokenizer's pre-tokenizer splits them) longer
/// than this is cut to its first `MAX_WORD_BYTES` before tokenising.
pub const MAX_WORD_BYTES: usize = 1024;

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
    /// Holds every window: for large texts use [`windows`], which makes them one at a time.
    pub fn new(text: &str, sentences_per_chunk: usize) -> Self {
        Self {
            windows: windows(text, sentences_per_chunk).collect(),
        }
    }
}

/// The sentence windows of `text`, `sentences_per_chunk` sentences each (minimum 1), made one at a
/// time (the same windows as [`ChunkPlan::new`]).
pub fn windows(text: &str, sentences_per_chunk: usize) -> Windows<'_> {
    Windows {
        sentences: sentences(text),
        per: sentences_per_chunk.max(1),
    }
}

/// Iterator over sentence windows (see [`windows`]).
#[derive(Debug, Clone)]
pub struct Windows<'a> {
    sentences: Sentences<'a>,
    per: usize,
}

impl Iterator for Windows<'_> {
    type Item = Window;

    fn next(&mut self) -> Option<Window> {
        let group: Vec<Range<usize>> = self.sentences.by_ref().take(self.per).collect();
        let (first, last) = (group.first()?, group.last()?);
        Some(Window {
            range: first.start..last.end,
            sentences: group,
        })
    }
}

/// One chunk cut from a window.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted<E> {
    /// Byte range in the document.
    pub range: Range<usize>,
    pub encoded: E,
    /// Words in the chunk longer than [`MAX_WORD_BYTES`] that the tokenizer saw cut to their
    /// first [`MAX_WORD_BYTES`] (the range still covers them whole).
    pub cut_words: usize,
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
/// every non-whitespace byte of the window. Holds all of the window's chunks: the analysis uses
/// [`fit_window_each`], which hands them over one at a time.
pub fn fit_window<B: TokenBudget>(
    text: &str,
    window: &Window,
    budget: &B,
) -> Result<Vec<(Range<usize>, B::Encoded)>> {
    let mut out = Vec::new();
    fit_window_each(text, window, budget, &mut |fitted| {
        out.push((fitted.range, fitted.encoded));
        Ok(())
    })?;
    Ok(out)
}

/// Like [`fit_window`], but hands each chunk to `emit` as soon as it is made, in document order,
/// so a window of any size needs memory for one [`MAX_ENCODE_BYTES`] piece at a time.
pub fn fit_window_each<B: TokenBudget>(
    text: &str,
    window: &Window,
    budget: &B,
    emit: &mut dyn FnMut(Fitted<B::Encoded>) -> Result<()>,
) -> Result<()> {
    let small = |range: &Range<usize>| {
        range.len() <= MAX_ENCODE_BYTES && longest_word(&text[range.clone()]) <= MAX_WORD_BYTES
    };
    if small(&window.range) {
        let encoded = budget.encode(&text[window.range.clone()])?;
        if budget.content_tokens(&encoded) <= budget.budget() {
            return emit(Fitted {
                range: window.range.clone(),
                encoded,
                cut_words: 0,
            });
        }
    }
    // Pack whole sentences greedily, then split any sentence that is too long on its own.
    let mut group: Option<Range<usize>> = None;
    for sentence in &window.sentences {
        if !small(sentence) {
            if let Some(g) = group.take() {
                fit_range(text, g, budget, emit)?;
            }
            fit_large(text, sentence.clone(), budget, emit)?;
            continue;
        }
        let candidate = group
            .as_ref()
            .map_or(sentence.clone(), |g| g.start..sentence.end);
        if candidate.len() <= MAX_ENCODE_BYTES {
            let enc = budget.encode(&text[candidate.clone()])?;
            if budget.content_tokens(&enc) <= budget.budget() {
                group = Some(candidate);
                continue;
            }
        }
        if let Some(g) = group.take() {
            fit_range(text, g, budget, emit)?;
        }
        group = Some(sentence.clone());
    }
    if let Some(g) = group {
        fit_range(text, g, budget, emit)?;
    }
    Ok(())
}

/// True for the characters the tokenizer's pre-tokenizer keeps together in one word: letters and
/// digits, except CJK ideographs (which BERT-style tokenizers split one by one).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk_ideograph(c)
}

fn is_cjk_ideograph(c: char) -> bool {
    matches!(u32::from(c),
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Length in bytes of the longest word in `s`.
fn longest_word(s: &str) -> usize {
    let mut longest = 0;
    let mut start = None;
    for (i, c) in s.char_indices() {
        match (is_word_char(c), start) {
            (true, None) => start = Some(i),
            (false, Some(st)) => {
                longest = longest.max(i - st);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(st) = start {
        longest = longest.max(s.len() - st);
    }
    longest
}

/// A sentence too long to tokenise at once, or holding an over-long word: cut into pieces of at
/// most [`MAX_ENCODE_BYTES`] (at the last whitespace, else the last non-word character, of each
/// piece), each fitted on its own; over-long words become chunks of their own, tokenised cut.
fn fit_large<B: TokenBudget>(
    text: &str,
    range: Range<usize>,
    budget: &B,
    emit: &mut dyn FnMut(Fitted<B::Encoded>) -> Result<()>,
) -> Result<()> {
    let mut piece_start = range.start;
    // Last whitespace / non-word boundary seen in the current piece (a cut position).
    let mut last_space: Option<usize> = None;
    let mut last_break: Option<usize> = None;
    let mut word_start: Option<usize> = None;
    let mut iter = text[range.clone()]
        .char_indices()
        .map(|(i, c)| (i + range.start, c));
    loop {
        let next = iter.next();
        let (i, c) = match next {
            Some(ic) => ic,
            None => (range.end, ' '),
        };
        let at_end = next.is_none();
        if is_word_char(c) && !at_end {
            if word_start.is_none() {
                word_start = Some(i);
            }
        } else {
            if let Some(ws) = word_start.take()
                && i - ws > MAX_WORD_BYTES
            {
                // An over-long word: what came before it, then the word on its own.
                if piece_start < ws {
                    fit_range(text, piece_start..ws, budget, emit)?;
                }
                fit_cut_word(text, ws..i, budget, emit)?;
                piece_start = i;
                last_space = None;
                last_break = None;
            }
            if !at_end {
                if c.is_whitespace() {
                    last_space = Some(i);
                }
                last_break = Some(i + c.len_utf8());
            }
        }
        if at_end {
            break;
        }
        // Keep each piece within the encode limit, cutting at the best boundary seen.
        if i + c.len_utf8() - piece_start > MAX_ENCODE_BYTES
            && word_start.is_none_or(|ws| ws > piece_start)
        {
            let cut = last_space
                .filter(|&p| p > piece_start)
                .or(last_break.filter(|&p| p > piece_start))
                .or(word_start.filter(|&p| p > piece_start));
            if let Some(cut) = cut {
                fit_range(text, piece_start..cut, budget, emit)?;
                piece_start = cut;
                last_space = None;
                last_break = None;
            }
        }
    }
    if piece_start < range.end {
        fit_range(text, piece_start..range.end, budget, emit)?;
    }
    Ok(())
}

/// An over-long word: tokenised cut to its first [`MAX_WORD_BYTES`]; the last chunk's range is
/// stretched over the rest of the word, so ranges still cover the whole text.
fn fit_cut_word<B: TokenBudget>(
    text: &str,
    word: Range<usize>,
    budget: &B,
    emit: &mut dyn FnMut(Fitted<B::Encoded>) -> Result<()>,
) -> Result<()> {
    let mut end = word.start + MAX_WORD_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut held: Option<Fitted<B::Encoded>> = None;
    fit_range(text, word.start..end, budget, &mut |fitted| {
        if let Some(prev) = held.replace(fitted) {
            emit(prev)?;
        }
        Ok(())
    })?;
    match held {
        Some(mut last) => {
            last.range.end = word.end;
            last.cut_words = 1;
            emit(last)
        }
        None => Ok(()),
    }
}

/// Emits `range` as one chunk if it fits, otherwise cuts it on token boundaries.
fn fit_range<B: TokenBudget>(
    text: &str,
    range: Range<usize>,
    budget: &B,
    out: &mut dyn FnMut(Fitted<B::Encoded>) -> Result<()>,
) -> Result<()> {
    // Pieces cut at whitespace start with it: encodings are relative to the trimmed range.
    let Some(range) = trim_range(text, range) else {
        return Ok(());
    };
    let encoded = budget.encode(&text[range.clone()])?;
    let count = budget.content_tokens(&encoded);
    if count <= budget.budget() {
        return out(Fitted {
            range,
            encoded,
            cut_words: 0,
        });
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
    out: &mut dyn FnMut(Fitted<B::Encoded>) -> Result<()>,
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
        return out(Fitted {
            range,
            encoded,
            cut_words: 0,
        });
    }
    // Still too long: halve it on a token boundary.
    let tokens = budget.token_ranges(&encoded);
    let mid = tokens.len() / 2;
    let cut = range.start + tokens[mid.max(1)].start;
    if cut <= range.start || cut >= range.end || !text.is_char_boundary(cut) {
        // One token longer than the whole budget cannot happen with a budget >= 1; guard anyway.
        return out(Fitted {
            range,
            encoded,
            cut_words: 0,
        });
    }
    push_piece(text, range.start..cut, budget, out)?;
    push_piece(text, cut..range.end, budget, out)
}

/// `range` without surrounding whitespace; `None` when nothing else is left.
fn trim_range(text: &str, range: Range<usize>) -> Option<Range<usize>> {
    let piece = &text[range.clone()];
    let lead = piece.len() - piece.trim_start().len();
    let trimmed = piece.trim();
    (!trimmed.is_empty()).then(|| range.start + lead..range.start + lead + trimmed.len())
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

    /// [`Words`] that fails when given more than [`MAX_ENCODE_BYTES`] at once.
    struct Bounded(usize);

    impl TokenBudget for Bounded {
        type Encoded = Vec<Range<usize>>;
        fn encode(&self, text: &str) -> Result<Self::Encoded> {
            assert!(
                text.len() <= MAX_ENCODE_BYTES,
                "tokenizer given {} bytes",
                text.len()
            );
            Words(self.0).encode(text)
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

    fn fit_bounded(text: &str, per: usize, budget: usize) -> Vec<Fitted<Vec<Range<usize>>>> {
        let mut out = Vec::new();
        for w in windows(text, per) {
            fit_window_each(text, &w, &Bounded(budget), &mut |f| {
                out.push(f);
                Ok(())
            })
            .unwrap();
        }
        out
    }

    /// Every non-whitespace byte is in exactly one chunk, in order.
    fn assert_covers(text: &str, chunks: &[Fitted<Vec<Range<usize>>>]) {
        let mut at = 0;
        for c in chunks {
            assert!(c.range.start >= at, "overlap at {:?}", c.range);
            assert!(
                text[at..c.range.start].trim().is_empty(),
                "gap before {:?}",
                c.range
            );
            at = c.range.end;
        }
        assert!(text[at..].trim().is_empty());
    }

    #[test]
    fn a_huge_sentence_is_tokenised_a_bounded_piece_at_a_time() {
        // 1 MB of words without a sentence end: one window, never tokenised whole.
        let text = "lorem ipsum dolor ".repeat(60_000);
        let chunks = fit_bounded(&text, 3, 100);
        assert_covers(&text, &chunks);
        assert!(
            chunks
                .iter()
                .all(|c| c.encoded.len() <= 100 && c.cut_words == 0)
        );
        let words: usize = chunks.iter().map(|c| c.encoded.len()).sum();
        assert_eq!(words, 180_000, "no word lost");
        // No whitespace at all, but punctuation: cut between words.
        let text = "ab,".repeat(100_000);
        let chunks = fit_bounded(&text, 1, 100);
        assert_covers(&text, &chunks);
        assert!(chunks.iter().all(|c| c.cut_words == 0));
    }

    #[test]
    fn over_long_words_are_cut_before_tokenising_and_flagged() {
        let word = "A".repeat(3 * 1024 * 1024);
        let text = format!("Before it. Then {word} and after. Last one.");
        let chunks = fit_bounded(&text, 3, 100);
        assert_covers(&text, &chunks);
        let cut: Vec<_> = chunks.iter().filter(|c| c.cut_words > 0).collect();
        assert_eq!(cut.len(), 1);
        let start = text.find(&word).unwrap();
        assert_eq!(
            cut[0].range,
            start..start + word.len(),
            "the chunk covers the whole word"
        );
        // The tokenizer saw the word cut to MAX_WORD_BYTES.
        assert_eq!(cut[0].encoded.len(), 1);
        assert_eq!(cut[0].encoded[0], 0..MAX_WORD_BYTES);
        let rest: Vec<&str> = chunks
            .iter()
            .filter(|c| c.cut_words == 0)
            .map(|c| &text[c.range.clone()])
            .collect();
        // The sentence holding the word is cut around it; its neighbours stay whole.
        assert_eq!(rest, ["Before it.", "Then", "and after.", "Last one."]);
        // A word of exactly the limit is not cut; multi-byte words are cut on a char boundary.
        let text = format!("x {} y", "é".repeat(MAX_WORD_BYTES / 2));
        assert!(fit_bounded(&text, 1, 100).iter().all(|c| c.cut_words == 0));
        let text = format!("{}z", "é".repeat(MAX_WORD_BYTES));
        let chunks = fit_bounded(&text, 1, 100);
        assert_covers(&text, &chunks);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].cut_words, 1);
    }

    #[test]
    fn lazy_windows_match_the_plan() {
        let text = "One. Two. Three.\n\n- four\n- five\nSix. Seven.";
        for per in 1..4 {
            assert_eq!(
                windows(text, per).collect::<Vec<_>>(),
                ChunkPlan::new(text, per).windows
            );
        }
    }
}
