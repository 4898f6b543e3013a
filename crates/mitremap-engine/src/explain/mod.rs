//! Token attributions: which words made the model predict each technique.
//!
//! Types shared with the analysis stream and the front ends. The estimator itself lives in
//! [`explain_chunk`].

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::model::{Classifier, Encoded};

/// Attribution settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExplainOptions {
    /// Most forward passes spent per chunk (all explained labels together).
    pub budget: usize,
}

impl Default for ExplainOptions {
    fn default() -> Self {
        Self { budget: 256 }
    }
}

/// One token's contribution to one label's score.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenAttribution {
    /// Byte range in the document; `None` for special tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<Range<usize>>,
    pub value: f32,
}

/// One word's contribution (sub-word pieces merged), for display.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WordAttribution {
    /// Byte range in the document.
    pub range: Range<usize>,
    pub value: f32,
}

/// Attributions for one label on one chunk. `base + sum(tokens.value) ≈ output`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Explanation {
    /// Index of the label in the model's label list.
    pub label_index: usize,
    /// The label as the model names it (ATT&CK ID).
    pub label: String,
    /// Model output (confidence) on the full chunk.
    pub output: f32,
    /// Model output with every content token masked.
    pub base: f32,
    pub tokens: Vec<TokenAttribution>,
    pub words: Vec<WordAttribution>,
    /// Forward passes spent on this chunk.
    pub evaluations: usize,
    /// Estimator used.
    pub method: String,
}

/// Explains the given labels on one encoded chunk with masked forward passes through `classifier`.
pub fn explain_chunk(
    _classifier: &Classifier,
    _encoded: &Encoded,
    _labels: &[usize],
    _options: &ExplainOptions,
) -> Result<Vec<Explanation>> {
    Ok(Vec::new())
}
