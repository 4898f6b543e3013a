//! Running a model folder's ONNX graph: one session per model, reused; batches padded on the right.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;

use super::encoder::TextEncoder;
use super::lexical::{BlendSpec, LexicalScorer, MAX_LEXICAL_BYTES};
use super::manifest::{Activation, Integrity, Manifest};
use super::runtime;
use crate::{Error, Result};

/// How to open a model.
#[derive(Debug, Clone, Default)]
pub struct ModelOptions {
    /// Path of `libonnxruntime` (otherwise searched, see [`runtime::candidate_paths`]).
    pub ort_lib: Option<PathBuf>,
    /// Threads ONNX Runtime may use inside one operator (default: all cores).
    pub intra_threads: Option<usize>,
}

/// A loaded model: manifest, labels, tokenizer and one ONNX Runtime session.
pub struct Classifier {
    dir: PathBuf,
    manifest: Manifest,
    labels: Vec<String>,
    /// Per-label logit shifts from the manifest's `label_thresholds` (None: no per-label cut).
    logit_offsets: Option<Vec<f32>>,
    integrity: Integrity,
    encoder: TextEncoder,
    session: Mutex<Session>,
    /// The lexical scorer and how it is blended, when the manifest declares one.
    lexical: Option<(LexicalScorer, BlendSpec)>,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("dir", &self.dir)
            .field("name", &self.manifest.name)
            .finish()
    }
}

impl Classifier {
    /// Opens a model folder: validates the manifest, verifies file checksums, loads the tokenizer and
    /// the graph, and checks that the graph's inputs, its output width and the tokenizer's vocabulary
    /// agree with the manifest (one trial inference).
    pub fn load(dir: &Path, options: &ModelOptions) -> Result<Self> {
        ensure_model_trusted(dir)?;
        let manifest = Manifest::load(dir)?;
        let integrity = manifest.verify_files(dir)?;
        let labels = manifest.load_labels(dir)?;
        let logit_offsets = manifest.logit_offsets(&labels, dir)?;
        let encoder = TextEncoder::load(
            &manifest.tokenizer_path(dir),
            manifest.max_tokens,
            manifest.preprocess,
        )?;
        let lexical = match &manifest.lexical {
            None => None,
            Some(blend) => {
                let path = dir.join(&blend.file);
                let bytes = super::manifest::read_regular(&path, MAX_LEXICAL_BYTES)
                    .map_err(|e| Error::model(&path, format!("cannot read lexical scorer: {e}")))?;
                let scorer = LexicalScorer::parse(&bytes, labels.len()).map_err(|e| {
                    Error::model(
                        &path,
                        format!("invalid lexical scorer: {e}; re-install the model"),
                    )
                })?;
                Some((scorer, blend.clone()))
            }
        };
        let (_, env) = runtime::environment(options.ort_lib.as_deref())?;
        let onnx = manifest.onnx_path(dir);
        if !onnx.exists() {
            return Err(Error::model(
                &onnx,
                "ONNX graph missing; re-install the model folder",
            ));
        }
        // ONNX Runtime reads the graph itself: make sure it is a bounded regular file first.
        super::manifest::open_regular(&onnx, super::manifest::MAX_GRAPH_BYTES)
            .map_err(|e| Error::model(&onnx, format!("cannot read ONNX graph: {e}")))?;
        let threads = options
            .intra_threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1);
        let bad = |e: ort::Error| {
            Error::model(
                &onnx,
                format!("cannot load ONNX graph: {}", first_line(&e.to_string())),
            )
        };
        let session = Session::builder(env)
            .map_err(bad)?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|e| bad(e.into()))?
            .with_intra_threads(threads)
            .map_err(|e| bad(e.into()))?
            .with_inter_threads(1)
            .map_err(|e| bad(e.into()))?
            // No busy-waiting between runs: jump hosts are shared, and the TUI idles between
            // batches; spinning threads measured 2x slower wall time on a loaded 2-core box.
            .with_intra_op_spinning(false)
            .map_err(|e| bad(e.into()))?
            .commit_from_file(&onnx)
            .map_err(bad)?;
        let classifier = Self {
            dir: dir.to_path_buf(),
            manifest,
            labels,
            logit_offsets,
            integrity,
            encoder,
            session: Mutex::new(session),
            lexical,
        };
        classifier.check_graph(&onnx)?;
        Ok(classifier)
    }

    fn check_graph(&self, onnx: &Path) -> Result<()> {
        {
            let session = self
                .session
                .lock()
                .map_err(|_| Error::Inference("session lock poisoned".into()))?;
            let inputs: Vec<&str> = session.inputs().iter().map(|o| o.name()).collect();
            let names = &self.manifest.inputs;
            for wanted in [
                Some(&names.input_ids),
                names.attention_mask.as_ref(),
                names.token_type_ids.as_ref(),
            ]
            .into_iter()
            .flatten()
            {
                if !inputs.contains(&wanted.as_str()) {
                    return Err(Error::model(
                        onnx,
                        format!(
                            "graph has no input {wanted:?} (it has {inputs:?}); fix \"inputs\" in model.json"
                        ),
                    ));
                }
            }
            if let Some(extra) = inputs.iter().find(|i| {
                ![
                    Some(&names.input_ids),
                    names.attention_mask.as_ref(),
                    names.token_type_ids.as_ref(),
                ]
                .into_iter()
                .flatten()
                .any(|n| n == *i)
            }) {
                return Err(Error::model(
                    onnx,
                    format!("graph input {extra:?} is not declared in model.json \"inputs\""),
                ));
            }
            if !session
                .outputs()
                .iter()
                .any(|o| o.name() == self.manifest.output)
            {
                return Err(Error::model(
                    onnx,
                    format!(
                        "graph has no output {:?}; fix \"output\" in model.json",
                        self.manifest.output
                    ),
                ));
            }
        }
        let manifest_path = self.dir.join(super::manifest::MANIFEST_FILE);
        let vocab = self.encoder.vocab_size();
        if self.manifest.pad_token_id as usize >= vocab {
            return Err(Error::model(
                &manifest_path,
                format!(
                    "pad_token_id {} is outside the tokenizer's vocabulary ({vocab} tokens); fix \"pad_token_id\"",
                    self.manifest.pad_token_id
                ),
            ));
        }
        // One trial run with the highest token id: catches a tokenizer larger than the embedding
        // table and a label list that does not match the output width.
        let probe = (vocab.saturating_sub(1)) as u32;
        let logits = self.logits(&[&[probe, probe]]).map_err(|e| {
            Error::model(
                onnx,
                format!("trial inference failed ({e}); does tokenizer.json belong to this graph?"),
            )
        })?;
        // And one at the longest sequence the engine will feed: a max_tokens beyond the graph's
        // position embeddings would otherwise fail mid-analysis with a raw runtime error.
        let longest = vec![probe; self.manifest.max_tokens];
        self.logits(&[&longest]).map_err(|e| {
            Error::model(
                &manifest_path,
                format!(
                    "max_tokens {} is more than the graph accepts (a trial inference at that length failed: {e}); lower \"max_tokens\"",
                    self.manifest.max_tokens
                ),
            )
        })?;
        let width = logits.first().map_or(0, Vec::len);
        if width != self.labels.len() {
            return Err(Error::model(
                self.dir.join(super::manifest::MANIFEST_FILE),
                format!(
                    "the graph outputs {width} scores but the manifest lists {} labels",
                    self.labels.len()
                ),
            ));
        }
        Ok(())
    }

    /// The model folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// ATT&CK IDs in output order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Whether every file was checked against the manifest's sha256.
    pub fn integrity(&self) -> Integrity {
        self.integrity
    }

    /// The tokenizer (and preprocessing) the model expects.
    pub fn encoder(&self) -> &TextEncoder {
        &self.encoder
    }

    /// Raw logits for a batch of token-id sequences (special tokens included), padded on the right
    /// with the manifest's pad id. Sequences longer than `max_tokens` are rejected, never cut.
    pub fn logits(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let longest = batch.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
        if longest > self.manifest.max_tokens {
            return Err(Error::Inference(format!(
                "sequence of {longest} tokens exceeds max_tokens {}",
                self.manifest.max_tokens
            )));
        }
        let rows = batch.len();
        let pad = i64::from(self.manifest.pad_token_id);
        let mut ids = vec![pad; rows * longest];
        let mut mask = vec![0i64; rows * longest];
        for (row, seq) in batch.iter().enumerate() {
            for (col, &id) in seq.iter().enumerate() {
                ids[row * longest + col] = i64::from(id);
                mask[row * longest + col] = 1;
            }
        }
        let shape = [rows as i64, longest as i64];
        let err = |e: ort::Error| Error::Inference(first_line(&e.to_string()));
        let names = &self.manifest.inputs;
        let mut inputs: Vec<(String, ort::session::SessionInputValue<'_>)> = Vec::with_capacity(3);
        if let Some(name) = &names.token_type_ids {
            inputs.push((
                name.clone(),
                Tensor::from_array((shape, vec![0i64; rows * longest]))
                    .map_err(err)?
                    .into(),
            ));
        }
        if let Some(name) = &names.attention_mask {
            inputs.push((
                name.clone(),
                Tensor::from_array((shape, mask)).map_err(err)?.into(),
            ));
        }
        inputs.push((
            names.input_ids.clone(),
            Tensor::from_array((shape, ids)).map_err(err)?.into(),
        ));
        let mut session = self
            .session
            .lock()
            .map_err(|_| Error::Inference("session lock poisoned".into()))?;
        let outputs = session.run(inputs).map_err(err)?;
        let value = outputs.get(&self.manifest.output).ok_or_else(|| {
            Error::Inference(format!(
                "graph produced no output {:?}",
                self.manifest.output
            ))
        })?;
        let (out_shape, data) = value.try_extract_tensor::<f32>().map_err(err)?;
        let width = if out_shape.len() == 2 && out_shape[0] as usize == rows {
            out_shape[1] as usize
        } else {
            0
        };
        if width == 0 || data.len() != rows * width {
            return Err(Error::Inference(format!(
                "output {:?} has shape {:?}, expected [{rows}, labels]",
                self.manifest.output, &**out_shape
            )));
        }
        Ok(data.chunks(width).map(<[f32]>::to_vec).collect())
    }

    /// Whether the model blends a lexical scorer (then scoring needs each sequence's text).
    pub fn is_blended(&self) -> bool {
        self.lexical.is_some()
    }

    /// Confidences (after the manifest's activation) for a batch of token-id sequences. A model
    /// that blends a lexical scorer needs the text too: use [`Self::scores_with_text`].
    pub fn scores(&self, batch: &[&[u32]]) -> Result<Vec<Vec<f32>>> {
        if self.lexical.is_some() {
            return Err(Error::Inference(
                "this model blends a lexical scorer: score it with the text (scores_with_text)"
                    .into(),
            ));
        }
        self.scores_with_text(batch, &[])
    }

    /// Confidences for a batch of token-id sequences and, for a blended model, the text each
    /// sequence stands for (`texts[i]` for `batch[i]`; ignored by a model without a lexical part).
    pub fn scores_with_text(&self, batch: &[&[u32]], texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let mut logits = self.logits(batch)?;
        if let Some((_, _)) = &self.lexical
            && texts.len() != batch.len()
        {
            return Err(Error::Inference(format!(
                "{} texts for {} sequences",
                texts.len(),
                batch.len()
            )));
        }
        for (i, row) in logits.iter_mut().enumerate() {
            if let Some(offsets) = &self.logit_offsets {
                row.iter_mut().zip(offsets).for_each(|(x, o)| *x += o);
            }
            if let Some((scorer, blend)) = &self.lexical {
                let lexical = scorer.logits(texts[i]);
                row.iter_mut().zip(lexical).for_each(|(x, l)| {
                    *x = blend.model_weight * *x + blend.lexical_weight * l + blend.bias;
                });
            }
            activate(self.manifest.activation, row);
        }
        Ok(logits)
    }

    /// Convenience: tokenises and scores whole texts (each must fit in `max_tokens`).
    pub fn score_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let encoded = texts
            .iter()
            .map(|t| self.encoder.encode(t))
            .collect::<Result<Vec<_>>>()?;
        let batch: Vec<&[u32]> = encoded.iter().map(|e| e.ids.as_slice()).collect();
        // The lexical part reads the same span of text the tokens cover.
        let spans: Vec<&str> = texts
            .iter()
            .zip(&encoded)
            .map(|(t, e)| e.covered(t))
            .collect();
        self.scores_with_text(&batch, &spans)
    }
}

/// Applies softmax or sigmoid in place.
pub fn activate(activation: Activation, row: &mut [f32]) {
    match activation {
        Activation::Sigmoid => row.iter_mut().for_each(|x| *x = 1.0 / (1.0 + (-*x).exp())),
        Activation::Softmax => {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0;
            for x in row.iter_mut() {
                *x = (*x - max).exp();
                sum += *x;
            }
            row.iter_mut().for_each(|x| *x /= sum);
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

/// Refuses a model folder, or any file in it, that another user could have written: a planted
/// manifest names its own sha256s, so the integrity check alone cannot catch it.
fn ensure_model_trusted(dir: &Path) -> Result<()> {
    if !dir.exists() {
        // Manifest::load says what is missing and what to do.
        return Ok(());
    }
    crate::locate::ensure_trusted(dir).map_err(Error::Untrusted)?;
    let entries = std::fs::read_dir(dir).map_err(|e| Error::model(dir, e.to_string()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_file() {
            crate::locate::ensure_trusted(&path).map_err(Error::Untrusted)?;
        }
    }
    Ok(())
}
