//! Token attributions: which words made the model predict each technique.
//!
//! # Method: Owen values over a sentence -> word -> token hierarchy (Partition)
//!
//! [`explain_chunk`] estimates, for every requested label at once, the Owen value of each content
//! token of the chunk with respect to a fixed hierarchy: the chunk's sentences, each sentence's
//! words, each word's sub-word pieces (every level split into balanced binary halves by token
//! count). It is the algorithm of SHAP's Partition explainer ([`partition`]): starting from the
//! root, a node is expanded by scoring its two halves in the current context, and its four
//! (child, sibling absent/present) sub-problems are queued by the mass `|f(with) - f(without)|`
//! they carry; the largest mass is expanded first, in batches through the classifier's one ONNX
//! session, until the budget is spent or no queued node carries more than
//! [`partition::RELATIVE_TOLERANCE`] of the chunk's `|output - base|` (early exit). Mass still
//! queued at the end is spread evenly over that group's tokens.
//!
//! The Owen split doubles the sub-problems at every level, so 128 passes alone would leave most
//! of an 80-token chunk at phrase resolution. The default [`partition::Expansion::Adaptive`]
//! therefore uses the Owen split only while the remaining budget could still take every queued
//! group down to single tokens; past that point a group is split with one ordering (one pass:
//! left half then right half given the context, or the reverse, alternating), which is still
//! exactly additive. With budget to spare it is the exact Owen value; at 128 passes it reaches
//! token resolution on a 3-sentence chunk and was more faithful on the deletion check than
//! Owen-only splitting (AODC 0.406 vs 0.377; leave-one-word-out 0.418, random 0.041).
//!
//! Why this and not KernelSHAP with paired sampling:
//! * **Additivity is exact by construction.** Every split hands its parent's mass to its children
//!   unchanged, so `base + Σ tokens = output` up to float rounding (< 1e-5 in practice; the tests
//!   assert 1e-4) at any budget, with no constrained regression to solve.
//! * **It degrades gracefully with the budget.** A 256-pass budget cannot resolve ~60 words by
//!   sampling (KernelSHAP needs several passes per feature before its regression stops being
//!   noise); Partition spends the passes where the output changes — coarse (sentence or phrase
//!   level) where nothing happens, token-level where the prediction comes from — and a word that
//!   was never split still gets the correct total for its group.
//! * **Deterministic without an RNG**: the expansion order is a priority queue with a stable tie
//!   break, so the same chunk and budget give the same numbers.
//! * **All labels share the passes**: one forward pass scores every label; the queue's priority
//!   is the largest mass over the explained labels.
//!
//! # Masking (what "absent" means)
//! Masked content tokens are **deleted**; special tokens (`[CLS]`, `[SEP]`) always stay
//! ([`Masking::Delete`], [`game::ChunkGame::sequence`]).
//! * GPT-2: deletion is the only valid choice. Sequences stay right-padded by the classifier and
//!   pooled at their last real token; no pad/EOS id is ever put inside a sequence. The fully masked
//!   input (no tokens at all) is scored alone in its own batch, where the classifier's single pad
//!   position is the whole row (so its score does not depend on other rows' lengths).
//! * BERT family: deletion rather than `[MASK]` replacement because (a) the masked input is then a
//!   text the classifier could really be given — the chunk without those words — which is what an
//!   analyst means by "this word mattered" and what the deletion faithfulness check measures;
//!   (b) the fine-tuned classifier never saw `[MASK]`, so runs of it are off-distribution inputs
//!   whose effect on the pooled output is arbitrary; (c) a masked pass is on average half as long,
//!   which roughly halves the cost of an explanation. `[MASK]` replacement stays available
//!   ([`Masking::mask_token`]) for comparison.
//!
//! Attributions are over exactly the tokens the model saw (after the model's preprocessing
//! profile); `tokens` lists the content tokens in order with their document byte ranges, and
//! `words` merges sub-word pieces into words (whitespace-separated runs, leading/trailing
//! punctuation split off) whose ranges slice the document. Placeholder tokens introduced by
//! preprocessing have no range: they keep their value in `tokens` but appear in no word.

pub mod game;
pub mod partition;

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::model::{Classifier, Encoded};

pub use game::{ChunkGame, Masking};
pub use partition::Estimate;

/// The default evaluation budget (forward passes per chunk, all labels together).
///
/// 128 passes take a 3-sentence chunk (~80 tokens) down to single tokens (Owen splits at the top
/// where the output changes most), and on the AnnoCTR dev deletion check it is 10x random and
/// close to leave-one-word-out occlusion (`tools/explain/RESULTS.md`); with deletion masking a pass
/// averages half the chunk, so an explanation costs about 64 full-length forward passes — well
/// under a second for the default MiniLM on 2 idle cores. SHAP's notebook default was 500.
pub const DEFAULT_BUDGET: usize = 128;

/// Name of the estimator, as put in [`Explanation::method`].
pub const METHOD: &str = "partition-owen-adaptive";

/// Attribution settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExplainOptions {
    /// Most forward passes spent per chunk (all explained labels together); at least 2.
    pub budget: usize,
}

impl Default for ExplainOptions {
    fn default() -> Self {
        Self {
            budget: DEFAULT_BUDGET,
        }
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
///
/// `encoded` must be the chunk as the classifier saw it, its ranges indexing into `text` (the
/// document, after [`Encoded::shift`]). A blended model's lexical part scores the text each
/// coalition leaves ([`ChunkGame::present_text`]), so the explanation covers the blend.
/// Returns one [`Explanation`] per label, in the order given; with no labels, nothing is scored.
pub fn explain_chunk(
    classifier: &Classifier,
    text: &str,
    encoded: &Encoded,
    labels: &[usize],
    options: &ExplainOptions,
) -> Result<Vec<Explanation>> {
    if labels.is_empty() {
        return Ok(Vec::new());
    }
    let game = ChunkGame::new(classifier, encoded, Masking::for_model(classifier));
    let estimate = partition::estimate(&game, labels, options.budget, &mut |batch, coalitions| {
        if !classifier.is_blended() {
            return classifier.scores(batch);
        }
        let texts: Vec<String> = coalitions
            .iter()
            .map(|m| game.present_text(text, |i| m[i / 64] >> (i % 64) & 1 == 1))
            .collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        classifier.scores_with_text(batch, &texts)
    })?;
    Ok(explanations(
        &game,
        labels,
        classifier.labels(),
        &estimate,
        METHOD,
    ))
}

/// Turns a raw estimate into one [`Explanation`] per label (tokens and merged words).
pub fn explanations(
    game: &ChunkGame,
    labels: &[usize],
    names: &[String],
    estimate: &Estimate,
    method: &str,
) -> Vec<Explanation> {
    labels
        .iter()
        .enumerate()
        .map(|(j, &label)| {
            let values = &estimate.tokens[j];
            let tokens = game
                .token_ranges()
                .iter()
                .zip(values)
                .map(|(range, &v)| TokenAttribution {
                    range: range.clone(),
                    value: v as f32,
                })
                .collect();
            let words = game
                .words()
                .iter()
                .filter_map(|w| {
                    w.range.clone().map(|range| WordAttribution {
                        range,
                        value: values[w.tokens.clone()].iter().sum::<f64>() as f32,
                    })
                })
                .collect();
            Explanation {
                label_index: label,
                label: names.get(label).cloned().unwrap_or_default(),
                output: estimate.output[j],
                base: estimate.base[j],
                tokens,
                words,
                evaluations: estimate.evaluations,
                method: method.to_owned(),
            }
        })
        .collect()
}
