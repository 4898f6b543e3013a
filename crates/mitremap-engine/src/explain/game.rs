//! The masking game for one chunk: which tokens are players, how a coalition becomes a token
//! sequence the model accepts, and the sentence -> word -> token hierarchy over the players.

use std::ops::Range;

use crate::model::{Architecture, Classifier, Encoded};

/// How a masked-out content token is removed from the model's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Masking {
    /// Delete masked tokens; the remaining ids keep their order. Special tokens always stay.
    Delete,
    /// Replace masked tokens with this id (e.g. BERT's `[MASK]`), keeping positions.
    Replace(u32),
}

impl Masking {
    /// The default for a model: deletion (see the module docs of [`crate::explain`] for why).
    pub fn for_model(_classifier: &Classifier) -> Self {
        Masking::Delete
    }

    /// BERT-family `[MASK]` replacement if the tokenizer has a mask token and the model is an
    /// encoder; otherwise `None` (replacement is never valid for GPT-2: there is no neutral id).
    pub fn mask_token(classifier: &Classifier) -> Option<Self> {
        if classifier.manifest().architecture != Architecture::Bert {
            return None;
        }
        let tok = classifier.encoder().tokenizer();
        ["[MASK]", "<mask>"]
            .iter()
            .find_map(|t| tok.token_to_id(t))
            .map(Masking::Replace)
    }
}

/// A node of the binary hierarchy: a contiguous run `lo..hi` of content tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    pub lo: usize,
    pub hi: usize,
    /// Children (both or neither).
    pub children: Option<(usize, usize)>,
}

/// A word: a run of content tokens (sub-word pieces) shown as one unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Content-token indices `lo..hi`.
    pub tokens: Range<usize>,
    /// Byte range in the document (union of the pieces' ranges); `None` if no piece has one.
    pub range: Option<Range<usize>>,
}

/// One chunk's masking game.
#[derive(Debug, Clone)]
pub struct ChunkGame {
    ids: Vec<u32>,
    /// Position in `ids` of each content token (the players), in order.
    content: Vec<usize>,
    ranges: Vec<Option<Range<usize>>>,
    masking: Masking,
    words: Vec<Word>,
    /// Content-word indices `lo..hi` of each sentence.
    sentences: Vec<Range<usize>>,
    /// Arena; the root is the last node (if any content).
    nodes: Vec<Node>,
}

impl ChunkGame {
    /// Builds the game for `encoded` with the model's tokenizer (special tokens from its added
    /// tokens; token text for word and sentence boundaries).
    pub fn new(classifier: &Classifier, encoded: &Encoded, masking: Masking) -> Self {
        let tok = classifier.encoder().tokenizer();
        let specials: std::collections::HashSet<u32> = tok
            .get_added_tokens_decoder()
            .into_iter()
            .filter(|(_, t)| t.special)
            .map(|(id, _)| id)
            .collect();
        let is_special = special_positions(encoded, |id| specials.contains(&id));
        let text = |id: u32| tok.id_to_token(id).unwrap_or_default();
        Self::from_parts(encoded, &is_special, text, masking)
    }

    /// Builds the game from explicit special-token flags and a token-text lookup.
    pub fn from_parts(
        encoded: &Encoded,
        is_special: &[bool],
        token_text: impl Fn(u32) -> String,
        masking: Masking,
    ) -> Self {
        let content: Vec<usize> = (0..encoded.ids.len()).filter(|&i| !is_special[i]).collect();
        let ranges: Vec<Option<Range<usize>>> =
            content.iter().map(|&i| encoded.ranges[i].clone()).collect();
        let texts: Vec<String> = content
            .iter()
            .map(|&i| token_text(encoded.ids[i]))
            .collect();
        let words = split_words(&ranges, &texts);
        let sentences = split_sentences(&words, &texts);
        let mut game = Self {
            ids: encoded.ids.clone(),
            content,
            ranges,
            masking,
            words,
            sentences,
            nodes: Vec::new(),
        };
        game.build_tree();
        game
    }

    /// Number of players (content tokens).
    pub fn len(&self) -> usize {
        self.content.len()
    }

    /// Whether the chunk has no content tokens.
    pub fn is_empty(&self) -> bool {
        self.content.is_empty()
    }

    /// Document byte range of each content token.
    pub fn token_ranges(&self) -> &[Option<Range<usize>>] {
        &self.ranges
    }

    /// Words over the content tokens, in order, covering every content token once.
    pub fn words(&self) -> &[Word] {
        &self.words
    }

    /// Sentences as word-index ranges.
    pub fn sentences(&self) -> &[Range<usize>] {
        &self.sentences
    }

    /// The binary hierarchy; the root is the last node.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The masking in use.
    pub fn masking(&self) -> Masking {
        self.masking
    }

    /// The text a coalition leaves of `text` (the string the token ranges index into), for a
    /// lexical scorer: the present tokens' spans, with the original text between two present
    /// tokens that are neighbours and one space where masked tokens were removed. Every token
    /// present gives `encoded.covered(text)`, the span the analysis scored.
    pub fn present_text(&self, text: &str, on: impl Fn(usize) -> bool) -> String {
        let mut out = String::new();
        let mut prev_end: Option<usize> = None; // end of the previous ranged token, if present
        for (i, range) in self.ranges.iter().enumerate() {
            let Some(range) = range else { continue };
            if !on(i) {
                if prev_end.is_some() {
                    prev_end = None;
                    out.push(' ');
                }
                continue;
            }
            let span = text.get(range.clone()).unwrap_or("");
            match prev_end {
                Some(end) => out.push_str(text.get(end..range.start).unwrap_or(" ")),
                None if !out.is_empty() && !out.ends_with(' ') => out.push(' '),
                None => {}
            }
            out.push_str(span);
            prev_end = Some(range.end);
        }
        out.truncate(out.trim_end().len());
        out
    }

    /// The model input for a coalition (`on[i]`: content token `i` present). Special tokens are
    /// always kept; masked content tokens are deleted or replaced per [`Masking`].
    pub fn sequence(&self, on: impl Fn(usize) -> bool) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.ids.len());
        let mut next = 0usize; // index into content
        for (pos, &id) in self.ids.iter().enumerate() {
            if next < self.content.len() && self.content[next] == pos {
                if on(next) {
                    out.push(id);
                } else if let Masking::Replace(mask) = self.masking {
                    out.push(mask);
                }
                next += 1;
            } else {
                out.push(id);
            }
        }
        out
    }

    fn build_tree(&mut self) {
        if self.content.is_empty() {
            return;
        }
        // sentence -> word -> token, each level split into balanced binary halves by token count.
        let tree = Tree::Group(
            self.sentences
                .iter()
                .map(|s| {
                    Tree::Group(
                        self.words[s.clone()]
                            .iter()
                            .map(|w| Tree::Group(w.tokens.clone().map(Tree::Leaf).collect()))
                            .collect(),
                    )
                })
                .collect(),
        );
        let mut nodes = Vec::with_capacity(2 * self.content.len());
        build(&mut nodes, std::slice::from_ref(&tree));
        self.nodes = nodes;
    }
}

enum Tree {
    Leaf(usize),
    Group(Vec<Tree>),
}

impl Tree {
    fn span(&self) -> (usize, usize) {
        match self {
            Tree::Leaf(i) => (*i, i + 1),
            Tree::Group(items) => (items[0].span().0, items[items.len() - 1].span().1),
        }
    }
}

/// Pushes the binary tree over `items` (siblings) and returns its root's index.
fn build(nodes: &mut Vec<Node>, items: &[Tree]) -> usize {
    if items.len() == 1 {
        return match &items[0] {
            Tree::Leaf(i) => {
                nodes.push(Node {
                    lo: *i,
                    hi: i + 1,
                    children: None,
                });
                nodes.len() - 1
            }
            Tree::Group(children) => build(nodes, children),
        };
    }
    let lo = items[0].span().0;
    let hi = items[items.len() - 1].span().1;
    // Split where the token counts of the halves are closest.
    let mut best = (usize::MAX, 1);
    for (k, item) in items.iter().enumerate().skip(1) {
        let mid = item.span().0;
        let diff = (mid - lo).abs_diff(hi - mid);
        if diff < best.0 {
            best = (diff, k);
        }
    }
    let left = build(nodes, &items[..best.1]);
    let right = build(nodes, &items[best.1..]);
    nodes.push(Node {
        lo,
        hi,
        children: Some((left, right)),
    });
    nodes.len() - 1
}

/// Positions of special tokens: `encoded.special` of them, taken from the ends of the sequence
/// (where post-processors put `[CLS]`/`[SEP]`/`<s>`), among range-less special ids.
pub fn special_positions(encoded: &Encoded, is_special_id: impl Fn(u32) -> bool) -> Vec<bool> {
    let n = encoded.ids.len();
    let mut flags = vec![false; n];
    let candidate = |i: usize| encoded.ranges[i].is_none() && is_special_id(encoded.ids[i]);
    let mut left = encoded.special;
    let mut i = 0;
    while left > 0 && i < n && candidate(i) {
        flags[i] = true;
        left -= 1;
        i += 1;
    }
    let mut j = n;
    while left > 0 && j > i && candidate(j - 1) {
        flags[j - 1] = true;
        left -= 1;
        j -= 1;
    }
    if left > 0 {
        for (k, flag) in flags.iter_mut().enumerate() {
            if left > 0 && !*flag && candidate(k) {
                *flag = true;
                left -= 1;
            }
        }
    }
    flags
}

/// Byte-level BPE / SentencePiece markers standing for one whitespace byte of the original text.
const SPACE_MARKS: [char; 5] = ['Ġ', 'Ċ', 'ĉ', 'č', '▁'];

/// Token text without the tokenizer's whitespace / continuation markers.
fn bare(text: &str) -> &str {
    text.trim_start_matches("##")
        .trim_start_matches(SPACE_MARKS)
}

/// Leading whitespace bytes a token's text stands for.
fn space_prefix(text: &str) -> usize {
    text.chars().take_while(|c| SPACE_MARKS.contains(c)).count()
}

fn starts_word(text: &str) -> bool {
    space_prefix(text) > 0
}

fn is_space(text: &str) -> bool {
    !text.is_empty() && bare(text).is_empty() && !text.starts_with("##")
}

fn is_punct(text: &str) -> bool {
    let b = bare(text);
    !b.is_empty() && b.chars().all(|c| c.is_ascii_punctuation())
}

fn ends_sentence(text: &str) -> bool {
    is_punct(text) && bare(text).chars().any(|c| matches!(c, '.' | '!' | '?'))
}

/// Words: whitespace-separated runs of pieces (a gap between byte ranges, or a word-start marker),
/// with leading and trailing punctuation pieces split off as their own words (so `PowerShell.`
/// is two words but `203.0.113.7` and `rundll32.exe` stay one).
fn split_words(ranges: &[Option<Range<usize>>], texts: &[String]) -> Vec<Word> {
    let n = ranges.len();
    let mut units: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    for i in 1..=n {
        let boundary = i == n
            || match (&ranges[i - 1], &ranges[i]) {
                (Some(a), Some(b)) => {
                    b.start > a.end || starts_word(&texts[i]) || is_space(&texts[i - 1])
                }
                _ => true,
            };
        if boundary {
            units.push(start..i);
            start = i;
        }
    }
    let mut words = Vec::with_capacity(units.len());
    for unit in units {
        let (mut lo, mut hi) = (unit.start, unit.end);
        while lo < hi && is_punct(&texts[lo]) {
            words.push(lo..lo + 1);
            lo += 1;
        }
        let mut tail = Vec::new();
        while hi > lo && is_punct(&texts[hi - 1]) {
            tail.push(hi - 1..hi);
            hi -= 1;
        }
        if lo < hi {
            words.push(lo..hi);
        }
        words.extend(tail.into_iter().rev());
    }
    words
        .into_iter()
        .map(|tokens| {
            // Offsets of byte-level pieces may include the leading space: trim it off the word.
            let start = tokens.clone().find_map(|i| {
                ranges[i]
                    .as_ref()
                    .map(|r| (r.start + space_prefix(&texts[i])).min(r.end))
            });
            let end = tokens
                .clone()
                .rev()
                .find_map(|i| ranges[i].as_ref().map(|r| r.end));
            let range = match (start, end) {
                (Some(s), Some(e)) if e > s => Some(s..e),
                _ => None,
            };
            Word { tokens, range }
        })
        .collect()
}

/// Sentences: runs of words ending in a word made of `.`, `!` or `?` punctuation.
fn split_sentences(words: &[Word], texts: &[String]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, w) in words.iter().enumerate() {
        let last = w.tokens.end - 1;
        if w.tokens.len() == 1 && ends_sentence(&texts[last]) && i + 1 < words.len() {
            // Keep runs of closing punctuation (`.)` or `?!`) with the sentence they close.
            let next = &words[i + 1];
            if next.tokens.len() == 1 && is_punct(&texts[next.tokens.start]) {
                continue;
            }
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < words.len() {
        out.push(start..words.len());
    }
    out
}
