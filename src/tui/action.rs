//! What flows into the app (actions) and what it asks the runtime to do (effects).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{KeyEvent, MouseEvent};
use mitremap_engine::analysis::{AnalysisOptions, Analyzer, CancelToken, Event, Report};
use mitremap_engine::model::Classifier;
use mitremap_engine::text::Document;
use mitremap_export::Format;

use super::keymap::Command;

/// Inputs to [`super::app::App::update`].
#[derive(Debug)]
pub enum Action {
    /// The clock moved (drives debounce, recovery saves and elapsed time).
    Tick(Instant),
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// Bracketed paste or clipboard text.
    Paste(String),
    Resize(u16, u16),
    /// A command, as a key bound to it would run it (tests, scripted use).
    #[allow(dead_code)]
    Command(Command),
    ModelLoaded(Result<Arc<Classifier>, String>),
    /// An event of analysis run `generation` (stale generations are ignored).
    Analysis {
        generation: u64,
        event: Event,
    },
    /// Attributions computed on demand for one chunk of run `generation` (merged, not replaced).
    Explained {
        generation: u64,
        chunk: usize,
        result: Result<Vec<mitremap_engine::explain::Explanation>, String>,
    },
    /// Outcome of an export: the path written, or why not.
    ExportDone(Result<PathBuf, String>),
    /// Outcome of saving the text (revision `revision`) to `path`.
    Saved {
        path: PathBuf,
        revision: u64,
        result: Result<(), String>,
    },
    /// Text read from the system clipboard, or why not.
    ClipboardText(Result<String, String>),
    /// Outcome of saving the review file: what was written (other instances' verdicts merged
    /// in), or why not.
    ReviewSaved(Result<mitremap_review::ReviewFile, String>),
    /// A one-line message for the status bar (`Err` shows as an error).
    Notice(Result<String, String>),
    /// SIGTERM / SIGHUP: save what can be saved and leave.
    Signal(i32),
}

/// A background analysis to start.
#[derive(Debug, Clone)]
pub struct AnalysisJob {
    pub generation: u64,
    /// `None`: no model, IoCs only.
    pub analyzer: Option<Analyzer>,
    pub document: Arc<Document>,
    pub options: AnalysisOptions,
    pub cancel: CancelToken,
}

/// Attributions to compute for one chunk (the heatmap asked for them).
#[derive(Debug, Clone)]
pub struct ExplainJob {
    pub generation: u64,
    pub analyzer: Analyzer,
    pub document: Arc<Document>,
    pub chunk: usize,
    pub range: std::ops::Range<usize>,
    pub labels: Vec<usize>,
    pub cancel: CancelToken,
}

/// Side effects the app asks for; the runtime (or a test harness) performs them.
#[derive(Debug)]
pub enum Effect {
    Analyze(AnalysisJob),
    Explain(ExplainJob),
    /// Put text on the clipboard (arboard, falling back to OSC 52).
    Copy {
        text: String,
        what: String,
    },
    ReadClipboard,
    Export {
        format: Format,
        path: PathBuf,
        overwrite: bool,
        report: Box<Report>,
        /// The document the report's text was extracted from (every format names its pages or
        /// sections); `None` for plain text or text edited before the analysis.
        source: Option<Arc<crate::document_source::Source>>,
    },
    /// Save the report text itself to `path` (atomic, like exports; `overwrite`: replace an
    /// existing file). Answered with [`Action::Saved`].
    Save {
        path: PathBuf,
        text: String,
        overwrite: bool,
        revision: u64,
    },
    /// Save the review (atomically, merged under a lock with what another instance saved).
    /// Answered with [`Action::ReviewSaved`].
    SaveReview {
        path: PathBuf,
        file: Box<mitremap_review::ReviewFile>,
    },
    /// Save the editor text in the recovery file (atomic, 0600), with the file it belongs to.
    WriteRecovery {
        text: String,
        original: Option<PathBuf>,
    },
    /// Remove this session's recovery file (clean quit) or the one offered back.
    RemoveRecovery(Option<PathBuf>),
    /// Leave with this exit code.
    Exit(u8),
}
