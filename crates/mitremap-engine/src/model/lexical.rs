//! The lexical scorer a model folder may ship beside its ONNX graph (`lexical.bin`), and the blend
//! that combines the two.
//!
//! It is the TF-IDF + logistic-regression classifier of `training/lexical.py`: word 1-2 grams
//! (`\b\w\w+\b` on lower-cased text) and `char_wb` 3-5 grams (each whitespace-separated word padded
//! with one space), sublinear term frequency times idf, each analyzer's part L2-normalised, then one
//! linear score (logit) per label. The training script restates scikit-learn's analyzers the same
//! way and writes reference logits that the engine's parity test checks.
//!
//! Why ship it: on held-out report prose the neural model and the lexical scorer make different
//! mistakes; a blend of their logits, fitted on the tune slice, ranks the right technique first
//! more often than either (docs/model-card.md).
//!
//! File format (little-endian), written by `training/lexical.py`:
//! `b"MMLEX001"`, `u32 n_word, n_char, n_labels, nnz`, `f32 bias[n_labels]`,
//! `f32 idf[n]`, `f32 scale[n]`, `u32 row_start[n + 1]`, `u16 label[nnz]`, `i8 value[nnz]`,
//! `u32 string_start[n + 1]`, then the UTF-8 bytes of every feature (word features first), with
//! `n = n_word + n_char`; a weight is `value * scale[feature]`.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

const MAGIC: &[u8; 8] = b"MMLEX001";
/// Largest `lexical.bin` the engine reads.
pub const MAX_LEXICAL_BYTES: u64 = 256 << 20;

static WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\w\w+\b").expect("word pattern compiles"));

/// How the model's and the lexical scorer's logits are combined (manifest `lexical`):
/// `logit = model_weight * model_logit + lexical_weight * lexical_logit + bias`, the model logit
/// including its per-label threshold shifts (computed against `model_threshold`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BlendSpec {
    /// The scorer's file in the model folder.
    pub file: String,
    pub model_weight: f32,
    pub lexical_weight: f32,
    pub bias: f32,
    /// The global threshold the per-label thresholds were chosen against (the model's own,
    /// before blending); the manifest's `threshold` is the blend's.
    pub model_threshold: f32,
}

/// A loaded lexical scorer.
#[derive(Debug)]
pub struct LexicalScorer {
    word: HashMap<Box<str>, u32>,
    char_wb: HashMap<Box<str>, u32>,
    idf: Vec<f32>,
    scale: Vec<f32>,
    row_start: Vec<u32>,
    labels: Vec<u16>,
    values: Vec<i8>,
    bias: Vec<f32>,
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or("truncated")?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u32s(&mut self, n: usize) -> Result<Vec<u32>, String> {
        let raw = self.take(n.checked_mul(4).ok_or("too large")?)?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect())
    }
    fn f32s(&mut self, n: usize) -> Result<Vec<f32>, String> {
        let raw = self.take(n.checked_mul(4).ok_or("too large")?)?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect())
    }
}

fn check_offsets(offsets: &[u32], end: usize, what: &str) -> Result<(), String> {
    if offsets.first() != Some(&0)
        || offsets.last().map(|&l| l as usize) != Some(end)
        || offsets.windows(2).any(|w| w[0] > w[1])
    {
        return Err(format!("{what} offsets are not increasing from 0 to {end}"));
    }
    Ok(())
}

impl LexicalScorer {
    /// Parses `lexical.bin`; `n_labels` is the model's label count. Every count, offset and label
    /// index is checked, so a corrupt file is refused with a reason rather than mis-scored.
    pub fn parse(bytes: &[u8], n_labels: usize) -> Result<Self, String> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(8).map_err(|_| "not a lexical scorer file")? != MAGIC {
            return Err("not a lexical scorer file (bad magic)".into());
        }
        let n_word = r.u32()? as usize;
        let n_char = r.u32()? as usize;
        let labels = r.u32()? as usize;
        let nnz = r.u32()? as usize;
        if labels != n_labels {
            return Err(format!(
                "it scores {labels} labels but the model has {n_labels}"
            ));
        }
        let n = n_word.checked_add(n_char).ok_or("too many features")?;
        // Every count is bounded by the file's size before anything is allocated.
        if n.saturating_mul(13).saturating_add(nnz.saturating_mul(3)) > bytes.len() {
            return Err("truncated (counts exceed the file size)".into());
        }
        let bias = r.f32s(labels)?;
        let idf = r.f32s(n)?;
        let scale = r.f32s(n)?;
        let row_start = r.u32s(n + 1)?;
        check_offsets(&row_start, nnz, "weight row")?;
        let label_raw = r.take(nnz * 2)?;
        let label_idx: Vec<u16> = label_raw
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        if let Some(bad) = label_idx.iter().find(|&&l| l as usize >= labels) {
            return Err(format!(
                "weight for label {bad}, beyond the {labels} labels"
            ));
        }
        let values: Vec<i8> = r.take(nnz)?.iter().map(|&b| b as i8).collect();
        let string_start = r.u32s(n + 1)?;
        let blob = &bytes[r.at..];
        check_offsets(&string_start, blob.len(), "feature string")?;
        let text = std::str::from_utf8(blob).map_err(|_| "feature strings are not UTF-8")?;
        let mut word = HashMap::with_capacity(n_word);
        let mut char_wb = HashMap::with_capacity(n_char);
        for (i, w) in string_start.windows(2).enumerate() {
            let s = text
                .get(w[0] as usize..w[1] as usize)
                .ok_or("a feature string is cut inside a character")?;
            let map = if i < n_word { &mut word } else { &mut char_wb };
            if map.insert(s.into(), i as u32).is_some() {
                return Err(format!("feature {s:?} is listed twice"));
            }
        }
        if [&bias, &idf, &scale]
            .iter()
            .any(|v| v.iter().any(|x| !x.is_finite()))
        {
            return Err("non-finite weight".into());
        }
        Ok(Self {
            word,
            char_wb,
            idf,
            scale,
            row_start,
            labels: label_idx,
            values,
            bias,
        })
    }

    /// Number of features (word and char).
    pub fn features(&self) -> usize {
        self.idf.len()
    }

    /// One logit per label for `text`.
    pub fn logits(&self, text: &str) -> Vec<f32> {
        let lower = text.to_lowercase();
        let mut out: Vec<f64> = self.bias.iter().map(|&b| f64::from(b)).collect();
        let mut counts: HashMap<u32, u32> = HashMap::new();
        // word 1-2 grams
        let words: Vec<&str> = WORD.find_iter(&lower).map(|m| m.as_str()).collect();
        let mut bigram = String::new();
        for (i, w) in words.iter().enumerate() {
            if let Some(&f) = self.word.get(*w) {
                *counts.entry(f).or_default() += 1;
            }
            if let Some(next) = words.get(i + 1) {
                bigram.clear();
                bigram.push_str(w);
                bigram.push(' ');
                bigram.push_str(next);
                if let Some(&f) = self.word.get(bigram.as_str()) {
                    *counts.entry(f).or_default() += 1;
                }
            }
        }
        self.add_part(&mut counts, &mut out);
        // char_wb 3-5 grams: " word " windows, a word shorter than n counted once
        let mut padded: Vec<char> = Vec::new();
        let mut gram = String::new();
        for w in lower.split(is_python_space).filter(|w| !w.is_empty()) {
            padded.clear();
            padded.push(' ');
            padded.extend(w.chars());
            padded.push(' ');
            for n in 3..=5 {
                let last = padded.len().saturating_sub(n);
                for start in 0..=last {
                    gram.clear();
                    gram.extend(&padded[start..(start + n).min(padded.len())]);
                    if let Some(&f) = self.char_wb.get(gram.as_str()) {
                        *counts.entry(f).or_default() += 1;
                    }
                }
                if padded.len() <= n {
                    break;
                }
            }
        }
        self.add_part(&mut counts, &mut out);
        out.into_iter().map(|x| x as f32).collect()
    }

    /// Adds one analyzer's L2-normalised sublinear tf-idf times the weights; empties `counts`.
    fn add_part(&self, counts: &mut HashMap<u32, u32>, out: &mut [f64]) {
        let part: Vec<(u32, f64)> = counts
            .drain()
            .map(|(f, c)| {
                (
                    f,
                    (1.0 + f64::from(c).ln()) * f64::from(self.idf[f as usize]),
                )
            })
            .collect();
        let norm = part.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
        if norm == 0.0 {
            return;
        }
        for (f, v) in part {
            let x = v / norm;
            let (s, e) = (
                self.row_start[f as usize] as usize,
                self.row_start[f as usize + 1] as usize,
            );
            let scale = f64::from(self.scale[f as usize]);
            for k in s..e {
                out[self.labels[k] as usize] += x * f64::from(self.values[k]) * scale;
            }
        }
    }
}

/// Python's `str.split()` whitespace (Unicode White_Space plus the ASCII information separators).
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-feature, two-label file in the format `training/lexical.py` writes.
    fn tiny() -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        for v in [1u32, 1, 2, 2] {
            b.extend(v.to_le_bytes());
        }
        for f in [-1.0f32, -2.0, 1.0, 1.0, 0.1, 0.1] {
            b.extend(f.to_le_bytes()); // bias[2], idf[2], scale[2]
        }
        for v in [0u32, 1, 2] {
            b.extend(v.to_le_bytes());
        }
        b.extend(0u16.to_le_bytes());
        b.extend(1u16.to_le_bytes());
        b.extend([10u8, 20]);
        for v in [0u32, 10, 13] {
            b.extend(v.to_le_bytes());
        }
        b.extend(b"powershellshe");
        b
    }

    #[test]
    fn scores_word_and_char_features() {
        let s = LexicalScorer::parse(&tiny(), 2).unwrap();
        assert_eq!(s.features(), 2);
        // "PowerShell" -> word "powershell" (weight 1.0 on label 0), char " powershell " holds
        // "she" once (weight 2.0 on label 1); each part normalised to 1.
        let l = s.logits("Ran PowerShell.");
        assert!((l[0] - 0.0).abs() < 1e-6, "{l:?}");
        assert!((l[1] - 0.0).abs() < 1e-6, "{l:?}");
        let none = s.logits("nothing here");
        assert_eq!(none, vec![-1.0, -2.0]);
    }

    #[test]
    fn refuses_corrupt_files() {
        let good = tiny();
        assert!(
            LexicalScorer::parse(&good, 3)
                .unwrap_err()
                .contains("labels")
        );
        assert!(LexicalScorer::parse(b"nope", 2).is_err());
        for cut in [8, 20, 40, good.len() - 1] {
            assert!(
                LexicalScorer::parse(&good[..cut], 2).is_err(),
                "cut at {cut}"
            );
        }
        let mut bad_label = good.clone();
        let at = 8 + 16 + 24 + 12; // first label index
        bad_label[at] = 9;
        assert!(
            LexicalScorer::parse(&bad_label, 2)
                .unwrap_err()
                .contains("beyond")
        );
        let mut huge = good.clone();
        huge[20..24].copy_from_slice(&u32::MAX.to_le_bytes()); // nnz
        assert!(LexicalScorer::parse(&huge, 2).is_err());
    }
}
