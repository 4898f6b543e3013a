//! Shared test helpers: the committed fixture model.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use mitremap_engine::model::{Classifier, ModelOptions};

/// `tests/fixtures/tiny-gpt2` at the repository root.
pub fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/tiny-gpt2")
}

/// The fixture model, loaded once per test binary.
pub fn fixture() -> Arc<Classifier> {
    static MODEL: OnceLock<Arc<Classifier>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let options = ModelOptions {
                intra_threads: Some(1),
                ..ModelOptions::default()
            };
            Arc::new(
                Classifier::load(&fixture_dir(), &options)
                    .expect("fixture model loads; run tools/setup-ort.sh first"),
            )
        })
        .clone()
}

/// Copies the fixture folder into a temp dir so a test can break it.
pub fn fixture_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture_dir()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}
