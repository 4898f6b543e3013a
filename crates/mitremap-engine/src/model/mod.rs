//! Model folders: manifest, ONNX Runtime, tokenizer, preprocessing and the classifier.

pub mod classifier;
pub mod encoder;
pub mod lexical;
pub mod manifest;
pub mod preprocess;
pub mod runtime;

pub use classifier::{Classifier, ModelOptions, activate};
pub use encoder::{Encoded, TextEncoder};
pub use lexical::{BlendSpec, LexicalScorer};
pub use manifest::{Activation, Architecture, Integrity, Manifest, PreprocessProfile};
pub use runtime::{RuntimeInfo, init_runtime};

use std::path::{Path, PathBuf};

/// A model folder found on disk, with its manifest (not loaded into ONNX Runtime).
#[derive(Debug, Clone)]
pub struct InstalledModel {
    pub dir: PathBuf,
    pub manifest: std::result::Result<Manifest, String>,
}

/// Lists the model folders (sub-folders holding `model.json`) under each root.
pub fn list_models(roots: &[PathBuf]) -> Vec<InstalledModel> {
    let mut out = Vec::new();
    for root in roots {
        let Ok(entries) = std::fs::read_dir(root) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join(manifest::MANIFEST_FILE).is_file())
            .collect();
        dirs.sort();
        for dir in dirs {
            let manifest = Manifest::load(&dir).map_err(|e| e.to_string());
            out.push(InstalledModel { dir, manifest });
        }
    }
    out
}

/// True if `dir` looks like a model folder.
pub fn is_model_dir(dir: &Path) -> bool {
    dir.join(manifest::MANIFEST_FILE).is_file()
}
