use std::path::PathBuf;

/// Every failure the engine reports. Messages are one line, name the file involved and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No `libonnxruntime` was found anywhere we looked.
    #[error(
        "ONNX Runtime library not found (looked in {searched}); run `{fix}` or pass --ort-lib PATH"
    )]
    RuntimeMissing { searched: String, fix: String },
    /// A library was found but cannot be used (wrong version, not ONNX Runtime, ...).
    #[error("ONNX Runtime at {}: {reason}; run `{fix}` or pass --ort-lib PATH", path.display())]
    RuntimeUnusable {
        path: PathBuf,
        reason: String,
        fix: String,
    },
    /// The runtime failed to load earlier in this process (the message of that failure).
    #[error("{0}")]
    Runtime(String),
    /// A model folder or one of its files is missing, corrupt or inconsistent.
    #[error("model {}: {reason}", path.display())]
    Model { path: PathBuf, reason: String },
    /// ONNX Runtime failed while running the graph.
    #[error("inference failed: {0}")]
    Inference(String),
    /// The tokenizer failed on some input.
    #[error("tokenizer failed: {0}")]
    Tokenizer(String),
    /// A library or model another user could have written (see `locate::ensure_trusted`).
    #[error("{0}")]
    Untrusted(String),
    /// The document is larger than an analysis takes ([`crate::analysis::MAX_DOCUMENT_BYTES`]).
    #[error("the text is {bytes} bytes; an analysis takes at most 4 GiB (4,294,967,295 bytes)")]
    DocumentTooLarge { bytes: usize },
    /// The analysis was cancelled by its caller.
    #[error("analysis cancelled")]
    Cancelled,
}

impl Error {
    pub(crate) fn model(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Model {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
