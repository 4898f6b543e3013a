//! Owen values over the chunk's binary sentence -> word -> token hierarchy, estimated by budgeted,
//! prioritised recursive splitting (the algorithm of SHAP's Partition explainer, batched).
//!
//! A queue entry is a node `N` with children `L`, `R`, a context coalition `m00` (tokens outside
//! `N` that are present) and the model's scores `f00 = f(m00)`, `f11 = f(m00 ∪ N)`, with weight
//! `w`. Expanding it costs two forward passes, `f10 = f(m00 ∪ L)` and `f01 = f(m00 ∪ R)`, and
//! queues four entries of weight `w/2`: `L` with its sibling absent (`m00 -> m10`) and present
//! (`m01 -> m11`), and `R` likewise. Their masses `(f11 - f00)·w/2` sum to the parent's mass, so
//! every unexpanded entry's mass, spread evenly over its tokens when the budget ends, keeps the
//! total at exactly `f(all) - f(none)`. Expanded all the way down, the result is the exact Owen
//! value of each token for this hierarchy.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use super::game::ChunkGame;
use crate::{Error, Result};

/// A batch scorer: token-id sequences in, with the coalition each stands for (bit `i` of a
/// coalition: content token `i` present, see [`ChunkGame::present_text`]), one row of label scores
/// per sequence out.
pub type ScoreFn<'a> = dyn FnMut(&[&[u32]], &[&[u64]]) -> Result<Vec<Vec<f32>>> + 'a;

/// Fewest forward passes an explanation needs: the full input and the fully masked one.
pub const MIN_BUDGET: usize = 2;

/// Padded tokens per forward-pass batch (rows × longest sequence) the estimator aims at.
const BATCH_TOKENS: usize = 8192;
const MAX_ROWS: usize = 64;
const MIN_ROWS: usize = 8;
/// A forward-pass batch holds sequences at least this fraction as long as its longest.
const BUCKET_RATIO: f64 = 0.7;

/// Stop once no queued node holds more than this share of the largest `|output - base|`...
pub const RELATIVE_TOLERANCE: f64 = 0.005;
/// ...or more than this much confidence in absolute terms.
pub const ABSOLUTE_TOLERANCE: f64 = 1e-4;

/// Raw estimate for several labels of one chunk.
#[derive(Debug, Clone)]
pub struct Estimate {
    /// Per explained label: score on the full chunk.
    pub output: Vec<f32>,
    /// Per explained label: score with every content token masked.
    pub base: Vec<f32>,
    /// Per explained label, per content token: attribution.
    pub tokens: Vec<Vec<f64>>,
    /// Forward passes (sequences scored).
    pub evaluations: usize,
    /// Whether it stopped because the queue converged (rather than on the budget).
    pub converged: bool,
}

type Mask = Vec<u64>;

struct Entry {
    priority: f64,
    seq: u64,
    node: usize,
    m00: Mask,
    f00: Vec<f32>,
    f11: Vec<f32>,
    weight: f64,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority
            .total_cmp(&other.priority)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

/// Scores coalitions through `score`, remembering every result (a repeated coalition is free).
pub(crate) struct Evaluator<'g, 's, 'f> {
    game: &'g ChunkGame,
    labels: &'g [usize],
    score: &'s mut ScoreFn<'f>,
    cache: HashMap<Mask, Vec<f32>>,
    pub evaluations: usize,
}

impl<'g, 's, 'f> Evaluator<'g, 's, 'f> {
    pub(crate) fn new(
        game: &'g ChunkGame,
        labels: &'g [usize],
        score: &'s mut ScoreFn<'f>,
    ) -> Self {
        Self {
            game,
            labels,
            score,
            cache: HashMap::new(),
            evaluations: 0,
        }
    }

    pub(crate) fn empty_mask(&self) -> Mask {
        vec![0; self.game.len().div_ceil(64)]
    }

    /// Number of these masks not yet scored (duplicates counted once).
    fn uncached(&self, masks: &[Mask]) -> usize {
        let mut seen = std::collections::HashSet::new();
        masks
            .iter()
            .filter(|m| !self.cache.contains_key(*m) && seen.insert(*m))
            .count()
    }

    /// Scores of the explained labels for each mask.
    pub(crate) fn eval(&mut self, masks: &[Mask]) -> Result<Vec<Vec<f32>>> {
        let mut todo: Vec<&Mask> = Vec::new();
        for m in masks {
            if !self.cache.contains_key(m) && !todo.contains(&m) {
                todo.push(m);
            }
        }
        let seqs: Vec<Vec<u32>> = todo
            .iter()
            .map(|m| self.game.sequence(|i| m[i / 64] >> (i % 64) & 1 == 1))
            .collect();
        let mut rows: Vec<Option<Vec<f32>>> = vec![None; seqs.len()];
        for idx in length_buckets(&seqs) {
            let batch: Vec<&[u32]> = idx.iter().map(|&i| seqs[i].as_slice()).collect();
            let coalitions: Vec<&[u64]> = idx.iter().map(|&i| todo[i].as_slice()).collect();
            let out = (self.score)(&batch, &coalitions)?;
            if out.len() != batch.len() {
                return Err(Error::Inference(format!(
                    "scorer returned {} rows for {} sequences",
                    out.len(),
                    batch.len()
                )));
            }
            self.evaluations += batch.len();
            for (&i, row) in idx.iter().zip(out) {
                let picked = self
                    .labels
                    .iter()
                    .map(|&l| {
                        row.get(l).copied().ok_or_else(|| {
                            Error::Inference(format!(
                                "label index {l} out of range ({} scores)",
                                row.len()
                            ))
                        })
                    })
                    .collect::<Result<Vec<f32>>>()?;
                rows[i] = Some(picked);
            }
        }
        for (m, row) in todo.into_iter().zip(rows) {
            self.cache.insert(m.clone(), row.unwrap_or_default());
        }
        Ok(masks.iter().map(|m| self.cache[m].clone()).collect())
    }
}

/// Groups sequence indices into batches of similar length: the classifier pads every row to the
/// batch's longest, and masked sequences (deletion) range from a few tokens to the whole chunk, so
/// one mixed batch would pay for the longest row on every row. Sorted longest first, a batch is
/// cut when the next row is shorter than [`BUCKET_RATIO`] of the batch's first. Empty sequences
/// (GPT-2, everything deleted) each get their own batch: padded next to longer rows, a row with no
/// real token would attend over pad positions.
fn length_buckets(seqs: &[Vec<u32>]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..seqs.len()).collect();
    order.sort_by(|&a, &b| seqs[b].len().cmp(&seqs[a].len()).then(a.cmp(&b)));
    let mut out: Vec<Vec<usize>> = Vec::new();
    for i in order {
        let len = seqs[i].len();
        match out.last_mut() {
            Some(batch)
                if len > 0 && (len as f64) >= BUCKET_RATIO * seqs[batch[0]].len() as f64 =>
            {
                batch.push(i)
            }
            _ => out.push(vec![i]),
        }
    }
    out
}

fn with_range(mask: &Mask, lo: usize, hi: usize) -> Mask {
    let mut m = mask.clone();
    for i in lo..hi {
        m[i / 64] |= 1 << (i % 64);
    }
    m
}

fn gap(f11: &[f32], f00: &[f32]) -> f64 {
    f11.iter()
        .zip(f00)
        .map(|(a, b)| f64::from(a - b).abs())
        .fold(0.0, f64::max)
}

/// Estimates Owen values for `labels` on `game` with at most `budget` forward passes.
pub fn estimate(
    game: &ChunkGame,
    labels: &[usize],
    budget: usize,
    score: &mut ScoreFn<'_>,
) -> Result<Estimate> {
    estimate_with(game, labels, budget, Expansion::default(), score)
}

/// How a queued group is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expansion {
    /// Always the Owen split: both halves scored, both sibling contexts queued (2 passes; SHAP's
    /// Partition explainer). Exact Owen values once the queue is exhausted.
    Owen,
    /// The Owen split while the budget left could still resolve every queued group to single
    /// tokens; otherwise one ordering (1 pass: left half first, or right half first, alternating),
    /// so a small budget still reaches token resolution everywhere. Additive all the same, and
    /// identical to [`Expansion::Owen`] when the budget suffices. The default: on AnnoCTR dev
    /// chunks at 128 passes its deletion AODC is 0.406 against Owen-only's 0.377
    /// (`tools/explain/RESULTS.md`).
    #[default]
    Adaptive,
}

/// [`estimate`] with an explicit split strategy.
pub fn estimate_with(
    game: &ChunkGame,
    labels: &[usize],
    budget: usize,
    expansion: Expansion,
    score: &mut ScoreFn<'_>,
) -> Result<Estimate> {
    let budget = budget.max(MIN_BUDGET);
    let n = game.len();
    let k = labels.len();
    let mut ev = Evaluator::new(game, labels, score);
    let none = ev.empty_mask();
    let all = with_range(&none, 0, n);
    let first = ev.eval(&[all, none.clone()])?;
    let (f_all, f_none) = (first[0].clone(), first[1].clone());
    let nodes = game.nodes();
    let mut values = vec![0f64; nodes.len() * k];
    let mut tokens = vec![vec![0f64; n]; k];
    if n == 0 {
        return Ok(Estimate {
            output: f_all,
            base: f_none,
            tokens,
            evaluations: ev.evaluations,
            converged: true,
        });
    }

    let scale = gap(&f_all, &f_none);
    let tolerance = (RELATIVE_TOLERANCE * scale).max(ABSOLUTE_TOLERANCE);
    let seq_len = game.sequence(|_| true).len().max(1);
    let rows_cap = (BATCH_TOKENS / seq_len).clamp(MIN_ROWS, MAX_ROWS);

    let mut heap = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<Entry>,
                    values: &mut Vec<f64>,
                    node: usize,
                    m00: Mask,
                    f00: Vec<f32>,
                    f11: Vec<f32>,
                    weight: f64| {
        if nodes[node].children.is_none() {
            for l in 0..k {
                values[node * k + l] += f64::from(f11[l] - f00[l]) * weight;
            }
        } else {
            seq += 1;
            heap.push(Entry {
                priority: gap(&f11, &f00) * weight,
                seq,
                node,
                m00,
                f00,
                f11,
                weight,
            });
        }
    };
    let root = nodes.len() - 1;
    // Passes a one-ordering split of every queued group down to single tokens would still need.
    let mut single_need = if nodes[root].children.is_some() {
        n - 1
    } else {
        0
    };
    push(
        &mut heap,
        &mut values,
        root,
        none,
        f_none.clone(),
        f_all.clone(),
        1.0,
    );

    let mut converged = false;
    loop {
        match heap.peek() {
            None => {
                converged = true;
                break;
            }
            Some(top) if top.priority <= tolerance => {
                converged = true;
                break;
            }
            _ => {}
        }
        // Take the highest-mass entries whose new passes fit the budget and the batch.
        let mut items: Vec<(Entry, Mask, Mask, bool, bool)> = Vec::new();
        let mut masks: Vec<Mask> = Vec::new();
        while let Some(top) = heap.peek() {
            if top.priority <= tolerance || masks.len() + 2 > rows_cap {
                break;
            }
            let node = nodes[top.node];
            let (l, r) = node.children.expect("queued nodes are internal");
            let size = node.hi - node.lo;
            // Owen split (both halves scored, both contexts queued) unless, in adaptive mode, the
            // budget left after it could no longer resolve every queued group to single tokens
            // with one ordering; then one ordering (one pass), alternating left/right first.
            let left_after = budget.saturating_sub(ev.evaluations + masks.len());
            let need_now = single_need - (size - 1);
            let both = expansion == Expansion::Owen || left_after >= 2 + need_now + 2 * (size - 2);
            let left_first = both || top.seq % 2 == 0;
            let m10 = with_range(&top.m00, nodes[l].lo, nodes[l].hi);
            let m01 = with_range(&top.m00, nodes[r].lo, nodes[r].hi);
            let added = usize::from(both) + 1;
            if both || left_first {
                masks.push(m10.clone());
            }
            if both || !left_first {
                masks.push(m01.clone());
            }
            if ev.evaluations + ev.uncached(&masks) > budget {
                masks.truncate(masks.len() - added);
                break;
            }
            let entry = heap.pop().expect("peeked");
            single_need = need_now;
            items.push((entry, m10, m01, both, left_first));
        }
        if items.is_empty() {
            break; // budget spent
        }
        let scores = ev.eval(&masks)?;
        let mut next = scores.into_iter();
        for (e, m10, m01, both, left_first) in items {
            let (l, r) = nodes[e.node].children.expect("internal");
            let mut q = |node: usize, m00: Mask, f00: Vec<f32>, f11: Vec<f32>, w: f64| {
                if nodes[node].children.is_some() {
                    single_need += nodes[node].hi - nodes[node].lo - 1;
                }
                push(&mut heap, &mut values, node, m00, f00, f11, w);
            };
            if both {
                let f10 = next.next().expect("scored");
                let f01 = next.next().expect("scored");
                let w = e.weight / 2.0;
                q(l, e.m00.clone(), e.f00.clone(), f10.clone(), w);
                q(r, e.m00, e.f00, f01.clone(), w);
                q(l, m01, f01, e.f11.clone(), w);
                q(r, m10, f10, e.f11, w);
            } else if left_first {
                let f10 = next.next().expect("scored");
                q(l, e.m00, e.f00, f10.clone(), e.weight);
                q(r, m10, f10, e.f11, e.weight);
            } else {
                let f01 = next.next().expect("scored");
                q(r, e.m00, e.f00, f01.clone(), e.weight);
                q(l, m01, f01, e.f11, e.weight);
            }
        }
    }
    // Unexpanded entries keep their whole mass on their node.
    for e in heap.into_vec() {
        for l in 0..k {
            values[e.node * k + l] += f64::from(e.f11[l] - e.f00[l]) * e.weight;
        }
    }
    // Push node values down to the tokens, evenly per token (children come before parents).
    for idx in (0..nodes.len()).rev() {
        let node = nodes[idx];
        match node.children {
            Some((a, b)) => {
                let size = (node.hi - node.lo) as f64;
                for c in [a, b] {
                    let share = (nodes[c].hi - nodes[c].lo) as f64 / size;
                    for l in 0..k {
                        values[c * k + l] += values[idx * k + l] * share;
                    }
                }
            }
            None => {
                for (l, t) in tokens.iter_mut().enumerate() {
                    t[node.lo] += values[idx * k + l];
                }
            }
        }
    }
    Ok(Estimate {
        output: f_all,
        base: f_none,
        tokens,
        evaluations: ev.evaluations,
        converged,
    })
}

/// Leave-one-word-out occlusion: each word's score is `f(all) - f(all without the word)`
/// (spread evenly over its pieces). Not additive; for comparison in faithfulness checks.
pub fn occlusion(game: &ChunkGame, labels: &[usize], score: &mut ScoreFn<'_>) -> Result<Estimate> {
    let n = game.len();
    let k = labels.len();
    let mut ev = Evaluator::new(game, labels, score);
    let none = ev.empty_mask();
    let all = with_range(&none, 0, n);
    let first = ev.eval(&[all.clone(), none])?;
    let mut tokens = vec![vec![0f64; n]; k];
    let masks: Vec<Mask> = game
        .words()
        .iter()
        .map(|w| {
            let mut m = all.clone();
            for i in w.tokens.clone() {
                m[i / 64] &= !(1 << (i % 64));
            }
            m
        })
        .collect();
    let mut scores = Vec::with_capacity(masks.len());
    for batch in masks.chunks(MAX_ROWS) {
        scores.extend(ev.eval(batch)?);
    }
    for (w, s) in game.words().iter().zip(scores) {
        let share = 1.0 / w.tokens.len() as f64;
        for (l, t) in tokens.iter_mut().enumerate() {
            for i in w.tokens.clone() {
                t[i] = f64::from(first[0][l] - s[l]) * share;
            }
        }
    }
    Ok(Estimate {
        output: first[0].clone(),
        base: first[1].clone(),
        tokens,
        evaluations: ev.evaluations,
        converged: true,
    })
}
