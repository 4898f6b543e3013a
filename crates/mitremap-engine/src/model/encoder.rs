//! Tokenising chunk text for the model, with token byte ranges mapped back to the original text.

use std::ops::Range;
use std::path::Path;

use tokenizers::Tokenizer;

use super::manifest::PreprocessProfile;
use super::preprocess;
use crate::text::chunk::TokenBudget;
use crate::{Error, Result};

/// A tokenised piece of text, ready to batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// Token ids, special tokens included.
    pub ids: Vec<u32>,
    /// For each id: the byte range it came from in the encoded text, `None` for special tokens
    /// and for placeholder tokens that stand for no single span.
    pub ranges: Vec<Option<Range<usize>>>,
    /// How many of `ids` are special tokens (`[CLS]`, `[SEP]`).
    pub special: usize,
}

impl Encoded {
    /// Number of content (non-special) tokens.
    pub fn content_len(&self) -> usize {
        self.ids.len() - self.special
    }

    /// The span of `text` from the first token's start to the last token's end (what a lexical
    /// scorer reads for these tokens; `""` when no token has a range). `text` is the string the
    /// ranges index into.
    pub fn covered<'t>(&self, text: &'t str) -> &'t str {
        let mut ranged = self.ranges.iter().flatten();
        let Some(first) = ranged.next() else {
            return "";
        };
        let end = ranged.last().map_or(first.end, |r| r.end);
        text.get(first.start..end).unwrap_or("")
    }

    /// Shifts every range by `offset` (from chunk-relative to document offsets).
    pub fn shift(&mut self, offset: usize) {
        for r in self.ranges.iter_mut().flatten() {
            *r = r.start + offset..r.end + offset;
        }
    }
}

/// The model's tokenizer plus its preprocessing profile and token budget.
pub struct TextEncoder {
    tokenizer: Tokenizer,
    preprocess: Option<PreprocessProfile>,
    max_tokens: usize,
    special_per_sequence: usize,
}

impl TextEncoder {
    /// Loads `tokenizer.json`. Truncation and padding configured in the file are switched off:
    /// the chunker guarantees the length and the classifier pads.
    pub fn load(
        path: &Path,
        max_tokens: usize,
        preprocess: Option<PreprocessProfile>,
    ) -> Result<Self> {
        let bytes = super::manifest::read_regular(path, super::manifest::MAX_TOKENIZER_BYTES)
            .map_err(|e| Error::model(path, format!("cannot read tokenizer: {e}")))?;
        let mut tokenizer = Tokenizer::from_bytes(&bytes).map_err(|e| {
            Error::model(
                path,
                format!("cannot load tokenizer: {e}; is this a Hugging Face tokenizer.json?"),
            )
        })?;
        tokenizer
            .with_truncation(None)
            .map_err(|e| Error::model(path, format!("cannot disable truncation: {e}")))?;
        tokenizer.with_padding(None);
        let special_per_sequence = tokenizer
            .encode("", true)
            .map_err(|e| Error::model(path, format!("tokenizer fails on empty text: {e}")))?
            .len();
        if special_per_sequence >= max_tokens {
            return Err(Error::model(
                path,
                format!(
                    "{special_per_sequence} special tokens leave no room within max_tokens {max_tokens}"
                ),
            ));
        }
        Ok(Self {
            tokenizer,
            preprocess,
            max_tokens,
            special_per_sequence,
        })
    }

    /// The underlying tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Vocabulary size including added tokens.
    pub fn vocab_size(&self) -> usize {
        self.tokenizer.get_vocab_size(true)
    }

    /// The longest sequence (special tokens included) the model accepts.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// Tokenises text exactly as the model will see it: preprocessing (if the model has a profile),
    /// then the tokenizer with its special tokens. Ranges refer to `text` (the original, before
    /// preprocessing), so attributions land on what the analyst wrote.
    pub fn encode(&self, text: &str) -> Result<Encoded> {
        match self.preprocess {
            None => self.encode_plain(text),
            Some(profile) => {
                let processed = preprocess::apply(profile, text);
                let mut encoded = self.encode_plain(&processed.text)?;
                for r in encoded.ranges.iter_mut() {
                    *r = r.as_ref().and_then(|r| processed.original_range(r.clone()));
                }
                Ok(encoded)
            }
        }
    }

    /// The text the model sees for `text` (after preprocessing, if any).
    pub fn model_text(&self, text: &str) -> String {
        match self.preprocess {
            None => text.to_owned(),
            Some(profile) => preprocess::apply(profile, text).text,
        }
    }

    fn encode_plain(&self, text: &str) -> Result<Encoded> {
        let encoding = self
            .tokenizer
            .encode(text, true)
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        let special_mask = encoding.get_special_tokens_mask();
        let ranges = encoding
            .get_offsets()
            .iter()
            .zip(special_mask)
            .map(|(&(start, end), &special)| {
                (special == 0 && end > start && end <= text.len()).then_some(start..end)
            })
            .collect();
        let special = special_mask.iter().filter(|&&m| m != 0).count();
        Ok(Encoded {
            ids: encoding.get_ids().to_vec(),
            ranges,
            special,
        })
    }
}

impl TokenBudget for TextEncoder {
    type Encoded = Encoded;

    fn encode(&self, text: &str) -> Result<Encoded> {
        TextEncoder::encode(self, text)
    }

    fn content_tokens(&self, encoded: &Encoded) -> usize {
        encoded.content_len()
    }

    fn token_ranges(&self, encoded: &Encoded) -> Vec<Range<usize>> {
        encoded.ranges.iter().flatten().cloned().collect()
    }

    fn budget(&self) -> usize {
        self.max_tokens - self.special_per_sequence
    }
}
