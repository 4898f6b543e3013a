//! `model.json`: what a model folder must declare so the engine can run it.
//! The format is documented in `docs/model-manifest.md` and the README.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The manifest version this engine reads.
pub const MANIFEST_VERSION: u32 = 1;
/// The manifest's file name inside a model folder.
pub const MANIFEST_FILE: &str = "model.json";

/// Model family; decides how a chunk is pooled and what masking is valid for explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Architecture {
    /// Decoder classifiers (GPT-2, DistilGPT2): pooled at the last non-pad token.
    Gpt2,
    /// Encoders (BERT, MiniLM, BGE): special tokens around the text, pooled by the graph.
    Bert,
}

/// Which side pad tokens go on. Only `right` is accepted: GPT-2 classifiers find the last real
/// token by looking for the first pad id, so left padding silently gives wrong answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PaddingSide {
    #[default]
    Right,
    Left,
}

/// How logits become confidences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// Single-label: scores over all labels sum to 1 (the original MitreMap model).
    Softmax,
    /// Multi-label: each label scored independently.
    Sigmoid,
}

/// Text preprocessing applied before tokenising, so a model sees what it was trained on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PreprocessProfile {
    /// The original MitreMap notebook's cleaning: lower-case, IoCs and numbers replaced by
    /// placeholder tokens, English stop words removed.
    #[serde(rename = "mitremap-notebook-v1")]
    MitremapNotebookV1,
}

/// Graph input names; `None` means the graph has no such input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputNames {
    pub input_ids: String,
    #[serde(default)]
    pub attention_mask: Option<String>,
    #[serde(default)]
    pub token_type_ids: Option<String>,
}

impl Default for InputNames {
    fn default() -> Self {
        Self {
            input_ids: "input_ids".into(),
            attention_mask: Some("attention_mask".into()),
            token_type_ids: None,
        }
    }
}

/// Labels: a file holding a JSON array of ATT&CK IDs, or the array inline.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LabelsSpec {
    File(String),
    Inline(Vec<String>),
}

/// The parsed `model.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub manifest_version: u32,
    pub name: String,
    pub version: String,
    pub architecture: Architecture,
    #[serde(default = "default_onnx")]
    pub onnx: String,
    #[serde(default = "default_tokenizer")]
    pub tokenizer: String,
    pub labels: LabelsSpec,
    #[serde(default)]
    pub inputs: InputNames,
    #[serde(default = "default_output")]
    pub output: String,
    pub pad_token_id: u32,
    #[serde(default)]
    pub padding_side: PaddingSide,
    pub max_tokens: usize,
    pub activation: Activation,
    /// The model's recommended default threshold (the CLI's `--threshold` overrides it).
    #[serde(default)]
    pub threshold: Option<f32>,
    /// Per-label decision thresholds chosen on held-out data (label ID -> threshold), for labels
    /// whose best threshold differs from the global one. The engine folds each into that label's
    /// score (a logit shift that maps the label's threshold onto `threshold`), so a single
    /// threshold — the CLI's `-t`, the TUI slider — still applies everywhere and moves every
    /// label's cut together. Needs `threshold` and the sigmoid activation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub label_thresholds: BTreeMap<String, f32>,
    /// The model's recommended sentences per chunk (a sentence classifier wants 1; the CLI's
    /// `--chunk-sentences` overrides it). Default 3, like the original notebook.
    #[serde(default)]
    pub chunk_sentences: Option<usize>,
    pub attack_version: String,
    #[serde(default)]
    pub preprocess: Option<PreprocessProfile>,
    /// A lexical scorer blended with the graph's logits (`lexical.bin`, see [`super::lexical`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lexical: Option<super::lexical::BlendSpec>,
    /// sha256 (hex) of each file in the folder, verified on load.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Free-form model card: description, bases, training data and licences, metrics.
    #[serde(default)]
    pub card: serde_json::Value,
}

fn default_onnx() -> String {
    "model.onnx".into()
}
fn default_tokenizer() -> String {
    "tokenizer.json".into()
}
fn default_output() -> String {
    "logits".into()
}

/// Whether the files' checksums were verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Integrity {
    /// Every file the engine reads is listed in `files` and matched its sha256.
    Verified,
    /// Some files the engine reads are not listed in `files` (nothing to check them against).
    Unverified,
}

impl Manifest {
    /// Reads and validates `dir/model.json` (not the files it points to).
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = read_regular(&path, MAX_JSON_BYTES).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound if !dir.exists() => {
                Error::model(dir, "folder does not exist; pass --model DIR with a model folder (see `mitremap models`)")
            }
            std::io::ErrorKind::NotFound => Error::model(&path, "missing; a model folder needs model.json (see docs/model-manifest.md)"),
            _ => Error::model(&path, format!("cannot read: {e}")),
        })?;
        Self::parse(&bytes, &path)
    }

    /// Parses and validates manifest bytes; `path` is only used in error messages.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Self> {
        let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| {
            Error::model(
                path,
                format!("invalid manifest: {e}; see docs/model-manifest.md"),
            )
        })?;
        manifest.validate(path)?;
        Ok(manifest)
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let fail = |reason: String| Err(Error::model(path, reason));
        if self.manifest_version != MANIFEST_VERSION {
            return fail(format!(
                "manifest_version {} is not supported (this mitremap reads {MANIFEST_VERSION}); upgrade mitremap or re-export the model",
                self.manifest_version
            ));
        }
        if self.padding_side != PaddingSide::Right {
            return fail("padding_side must be \"right\": sequence classifiers pool the last real token, left padding gives wrong scores".into());
        }
        if !(2..=16_384).contains(&self.max_tokens) {
            return fail(format!(
                "max_tokens {} is out of range 2..=16384",
                self.max_tokens
            ));
        }
        for name in [&self.onnx, &self.tokenizer]
            .into_iter()
            .chain(match &self.labels {
                LabelsSpec::File(f) => Some(f),
                LabelsSpec::Inline(_) => None,
            })
        {
            if !is_plain_file_name(name) {
                return fail(format!(
                    "file name {name:?} must be a plain name inside the model folder"
                ));
            }
        }
        if let Some(blend) = &self.lexical {
            if !is_plain_file_name(&blend.file) {
                return fail(format!(
                    "lexical.file {:?} must be a plain name inside the model folder",
                    blend.file
                ));
            }
            if self.activation != Activation::Sigmoid {
                return fail("a lexical blend needs the sigmoid activation".into());
            }
            if ![blend.model_weight, blend.lexical_weight, blend.bias]
                .iter()
                .all(|w| w.is_finite())
            {
                return fail("lexical weights must be finite numbers".into());
            }
            if !(blend.model_threshold > 0.0 && blend.model_threshold < 1.0) {
                return fail("lexical.model_threshold must be strictly within 0..1".into());
            }
        }
        if let Some(n) = self.chunk_sentences
            && !(1..=1000).contains(&n)
        {
            return fail(format!("chunk_sentences {n} is out of range 1..=1000"));
        }
        if let Some(t) = self.threshold
            && !(0.0..=1.0).contains(&t)
        {
            return fail(format!("threshold {t} is not within 0..1"));
        }
        if !self.label_thresholds.is_empty() {
            match self.threshold {
                Some(t) if t > 0.0 && t < 1.0 => {}
                _ => {
                    return fail(
                        "label_thresholds need a global threshold strictly within 0..1".into(),
                    );
                }
            }
            if self.activation != Activation::Sigmoid {
                return fail("label_thresholds need the sigmoid activation".into());
            }
            if let Some((label, t)) = self
                .label_thresholds
                .iter()
                .find(|(_, t)| !(**t > 0.0 && **t < 1.0))
            {
                return fail(format!(
                    "label_thresholds[{label:?}] = {t} is not strictly within 0..1"
                ));
            }
        }
        Ok(())
    }

    /// The logit shift per label (in label order) that maps each `label_thresholds` entry onto
    /// the global threshold; `None` when there are no per-label thresholds. Fails on a label that
    /// is not in `labels`.
    pub fn logit_offsets(&self, labels: &[String], dir: &Path) -> Result<Option<Vec<f32>>> {
        // With a lexical blend the per-label cuts belong to the graph alone, chosen against its
        // own threshold; the manifest's `threshold` is then the blend's.
        let reference = match &self.lexical {
            Some(blend) => Some(blend.model_threshold),
            None => self.threshold,
        };
        let Some(global) = reference.filter(|_| !self.label_thresholds.is_empty()) else {
            return Ok(None);
        };
        let logit = |p: f32| (p / (1.0 - p)).ln();
        let mut offsets = vec![0.0; labels.len()];
        for (label, &t) in &self.label_thresholds {
            let Some(i) = labels.iter().position(|l| l == label) else {
                return Err(Error::model(
                    dir.join(MANIFEST_FILE),
                    format!(
                        "label_thresholds names {label:?}, which is not one of the model's labels"
                    ),
                ));
            };
            offsets[i] = logit(global) - logit(t);
        }
        Ok(Some(offsets))
    }

    /// Loads the label list (inline or from its file) and checks every entry looks like an ATT&CK ID.
    pub fn load_labels(&self, dir: &Path) -> Result<Vec<String>> {
        match &self.labels {
            LabelsSpec::Inline(v) => check_labels(v.clone(), &dir.join(MANIFEST_FILE)),
            LabelsSpec::File(f) => {
                let path = dir.join(f);
                let bytes = read_regular(&path, MAX_JSON_BYTES)
                    .map_err(|e| Error::model(&path, format!("cannot read labels: {e}")))?;
                parse_labels(&bytes, &path)
            }
        }
    }

    /// Checks every file listed in `files` against its sha256; says whether the files the engine
    /// reads were all covered.
    pub fn verify_files(&self, dir: &Path) -> Result<Integrity> {
        for (name, expected) in &self.files {
            if !is_plain_file_name(name) {
                return Err(Error::model(
                    dir.join(MANIFEST_FILE),
                    format!("files entry {name:?} must be a plain file name"),
                ));
            }
            let path = dir.join(name);
            let actual =
                sha256_file(&path).map_err(|e| Error::model(&path, format!("cannot read: {e}")))?;
            if !actual.eq_ignore_ascii_case(expected) {
                return Err(Error::model(
                    &path,
                    format!(
                        "sha256 mismatch (expected {expected}, found {actual}): the file is corrupt or was modified; re-install the model"
                    ),
                ));
            }
        }
        let mut needed = vec![&self.onnx, &self.tokenizer];
        if let LabelsSpec::File(f) = &self.labels {
            needed.push(f);
        }
        if let Some(blend) = &self.lexical {
            needed.push(&blend.file);
        }
        Ok(if needed.iter().all(|n| self.files.contains_key(*n)) {
            Integrity::Verified
        } else {
            Integrity::Unverified
        })
    }

    /// Path of the ONNX graph.
    pub fn onnx_path(&self, dir: &Path) -> PathBuf {
        dir.join(&self.onnx)
    }

    /// Path of `tokenizer.json`.
    pub fn tokenizer_path(&self, dir: &Path) -> PathBuf {
        dir.join(&self.tokenizer)
    }
}

/// Parses a labels file: a JSON array of ATT&CK technique IDs.
pub fn parse_labels(bytes: &[u8], path: &Path) -> Result<Vec<String>> {
    let labels = serde_json::from_slice::<Vec<String>>(bytes).map_err(|e| {
        Error::model(
            path,
            format!("labels must be a JSON array of ATT&CK IDs: {e}"),
        )
    })?;
    check_labels(labels, path)
}

fn check_labels(labels: Vec<String>, path: &Path) -> Result<Vec<String>> {
    if labels.is_empty() {
        return Err(Error::model(path, "the label list is empty"));
    }
    if let Some(bad) = labels.iter().find(|l| !is_technique_id(l)) {
        return Err(Error::model(
            path,
            format!("label {bad:?} is not an ATT&CK technique ID like T1059 or T1059.001"),
        ));
    }
    Ok(labels)
}

fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// `T1234` or `T1234.567`.
pub fn is_technique_id(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => b[0] == b'T' && digits(&b[1..]),
        9 => b[0] == b'T' && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..]),
        _ => false,
    }
}

/// Largest `model.json` / `labels.json` read (a real one is a few kB).
pub const MAX_JSON_BYTES: u64 = 16 << 20;
/// Largest `tokenizer.json` read (real ones are 0.5-5 MB).
pub const MAX_TOKENIZER_BYTES: u64 = 256 << 20;
/// Largest ONNX graph accepted (ONNX's protobuf limit is 2 GiB; external data is not used).
pub const MAX_GRAPH_BYTES: u64 = 4 << 30;

/// Opens `path` only if it is a regular file (after symlinks) of at most `cap` bytes. A FIFO or
/// device (`/dev/zero`) planted as a model file would otherwise block forever or be read until
/// memory runs out. The open itself is non-blocking, so a file swapped for a FIFO after the
/// check cannot hang it either.
pub fn open_regular(path: &Path, cap: u64) -> std::io::Result<std::fs::File> {
    use std::io::{Error, ErrorKind};
    let not_regular = || Error::new(ErrorKind::InvalidInput, "not a regular file");
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    if meta.len() > cap {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!("{} bytes is over the {} byte limit", meta.len(), cap),
        ));
    }
    Ok(file)
}

/// Reads a whole regular file of at most `cap` bytes (see [`open_regular`]).
pub fn read_regular(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = open_regular(path, cap)?;
    let mut bytes = Vec::new();
    // `take` also bounds a file that grows after the size check.
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("over the {cap} byte limit"),
        ));
    }
    Ok(bytes)
}

/// Hex sha256 of a file, streamed (regular files only, see [`open_regular`]).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = open_regular(path, MAX_GRAPH_BYTES)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technique_ids() {
        assert!(is_technique_id("T1059"));
        assert!(is_technique_id("T1059.001"));
        assert!(!is_technique_id("TA0002"));
        assert!(!is_technique_id("T105"));
        assert!(!is_technique_id("t1059"));
    }

    #[test]
    fn plain_file_names_only() {
        assert!(is_plain_file_name("model.onnx"));
        assert!(!is_plain_file_name("../etc/passwd"));
        assert!(!is_plain_file_name("/abs"));
        assert!(!is_plain_file_name(".."));
    }
}
