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
    /// The model's recommended sentences per chunk (a sentence classifier wants 1; the CLI's
    /// `--chunk-sentences` overrides it). Default 3, like the original notebook.
    #[serde(default)]
    pub chunk_sentences: Option<usize>,
    pub attack_version: String,
    #[serde(default)]
    pub preprocess: Option<PreprocessProfile>,
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
        let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
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
        Ok(())
    }

    /// Loads the label list (inline or from its file) and checks every entry looks like an ATT&CK ID.
    pub fn load_labels(&self, dir: &Path) -> Result<Vec<String>> {
        match &self.labels {
            LabelsSpec::Inline(v) => check_labels(v.clone(), &dir.join(MANIFEST_FILE)),
            LabelsSpec::File(f) => {
                let path = dir.join(f);
                let bytes = std::fs::read(&path)
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

/// Hex sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
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
