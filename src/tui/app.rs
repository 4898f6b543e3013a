//! The app's state machine: `update(Action) -> Vec<Effect>`, no terminal, no threads, no clock
//! of its own (time arrives with `Action::Tick`), so every behaviour is testable.

use mitremap_engine::analysis::format_threshold;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEvent, MouseEventKind};
use mitremap_engine::analysis::{
    AnalysisOptions, Analyzer, CancelToken, ChunkCache, DEFAULT_THRESHOLD, Event, Report,
    ReportOptions, TechniqueHit,
};
use mitremap_engine::ioc::{IocKind, IocSummary};
use mitremap_engine::text::Document;
use mitremap_export::Format;
use ratatui::layout::Rect;

use super::action::{Action, AnalysisJob, Effect};
use super::changes::{Assoc, Change, ChangeSet};
use super::components::heatmap::ChunkView;
use super::components::results::ReviewTarget;
use super::editor::Editor;
use super::keymap::{Command, Context, Keymap};
use super::review::ReviewState;
use super::theme::Theme;
use mitremap_review::{Scope, Verdict};

/// Pause after the last edit before re-running the analysis.
pub const DEBOUNCE: Duration = Duration::from_millis(400);
/// Pause after the last edit before saving the recovery file.
pub const RECOVERY_DELAY: Duration = Duration::from_secs(1);
/// A pause in typing this long starts a new undo step.
pub const UNDO_PAUSE: Duration = Duration::from_secs(1);
/// How long an info message stays in the status bar.
const NOTICE_TTL: Duration = Duration::from_secs(6);
const THRESHOLD_STEP: f32 = 0.05;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Editor,
    Results,
    Heatmap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Techniques,
    Iocs,
    Chunks,
    Matrix,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Techniques, Tab::Iocs, Tab::Chunks, Tab::Matrix];
    pub fn title(self) -> &'static str {
        self.component().title()
    }
    pub fn short_title(self) -> &'static str {
        self.component().short_title()
    }
}

/// A chunk's place in `report.chunks`: what the panes select and show. Not the engine's chunk
/// number (`ChunkResult::index`: what reviews, the gutter and techniques' chunk lists name);
/// [`chunk_pos`] turns one into the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChunkPos(pub usize);

pub enum ModelState {
    Loading,
    Ready(Analyzer),
    Unavailable(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    Info(String, Instant),
    Error(String),
}

pub use super::popups::Popup;
pub use super::popups::Reply;
pub use super::popups::add_technique::{ADD_MATCHES, AddDialog};
pub use super::popups::export::{ExportDialog, ExportRequest};
pub use super::popups::note::NoteDialog;
pub use super::popups::save_as::{SaveAsDialog, SaveRequest};
use super::popups::{help, recovery, search};

/// Text saved by a session that did not end cleanly, offered back.
#[derive(Debug, Clone)]
pub struct Recovered {
    /// The recovery file.
    pub path: PathBuf,
    pub text: String,
    /// "3 min ago".
    pub age: String,
    /// The file that session was editing, if it had one.
    pub original: Option<PathBuf>,
}

/// A running analysis.
pub struct Job {
    #[allow(dead_code)]
    pub generation: u64,
    pub cancel: CancelToken,
    pub started: Instant,
}

/// Everything the app needs to start.
pub struct AppConfig {
    pub text: String,
    /// Input name for the report (`-` for stdin, the file name...).
    pub name: Option<String>,
    /// The file the text was read from (saving writes there). `None`: stdin or an empty session.
    pub path: Option<PathBuf>,
    /// The file was not valid UTF-8 and was decoded lossily.
    pub lossy: bool,
    /// The text exists nowhere else (stdin, recovery): keep a recovery copy.
    pub unsaved: bool,
    pub threshold: Option<f32>,
    pub keymap: Keymap,
    pub theme: Theme,
    /// Problems found while starting (bad theme or keymap file...), shown in the status bar.
    pub notices: Vec<String>,
    pub recovery: Option<Recovered>,
    pub now: Instant,
}

/// The document a text was extracted from, while the text is unedited.
pub struct DocumentSource {
    /// `PDF`, `HTML`, `DOCX`, `EML`.
    pub format: String,
    pub map: mitremap_docs::SourceMap,
}

pub struct App {
    /// The document the text came from (PDF page, section... of the cursor in the status bar);
    /// meaningful while `revision` is 0: an edit makes the text a plain-text document.
    pub source: Option<DocumentSource>,
    pub editor: Editor,
    pub name: Option<String>,
    /// The file the text belongs to: read from it, or last saved to it.
    pub path: Option<PathBuf>,
    /// Typing changes the text. Only when the analyst chose to edit (or the session started
    /// empty); leaving the report pane ends it, so command keys never land in the text.
    pub editing: bool,
    /// The text differs from `path` (or, without a path, exists nowhere else) until saved.
    pub modified: bool,
    /// Bumped on every change of the text.
    pub revision: u64,
    /// Hash of the text as last read or saved (`None`: never saved anywhere).
    clean_hash: Option<u64>,
    /// The file was decoded lossily (reported while the text is unmodified).
    input_lossy: bool,
    /// Revision of the text the current report was made from.
    report_revision: u64,
    /// A save in flight: (revision, hash of the text written).
    pending_save: Option<(u64, u64)>,
    /// Said once an export in flight finishes (partial result, stale text).
    export_note: Option<String>,
    /// When a key last went into the text (a pause starts a new undo step).
    last_typed: Option<Instant>,
    /// The last export's format and folder, offered again by the next export.
    last_export: Option<(usize, PathBuf)>,
    /// The format of the export in flight.
    export_format: usize,
    /// The working folder, which relative export and save paths are in (shown in the dialogs).
    pub cwd: Option<PathBuf>,
    pub focus: Focus,
    pub tab: Tab,
    pub threshold: f32,
    threshold_explicit: bool,
    pub model: ModelState,
    pub report: Option<Report>,
    /// The TLP marking written in the text (the most restrictive one), shown in the status bar
    /// and carried by exports.
    pub marking: Option<mitremap_export::Tlp>,
    /// A re-run's report while it takes the unchanged results from the cache: the previous
    /// report stays on screen (marked stale) until the new one has them.
    incoming: Option<Incoming>,
    /// Byte offset of each line of the editor's text (report ranges, carried through
    /// `text_changes`, are drawn against it).
    pub line_starts: Vec<usize>,
    /// The edits from the on-screen report's text to the editor's: IoC highlights and chunk
    /// boundaries follow the words they were found on while the analyst types.
    pub text_changes: ChangeSet,
    /// The editor changed since the report's text was taken.
    pub stale: bool,
    pub techniques: Vec<TechniqueHit>,
    techniques_dirty: bool,
    pub ioc_groups: Vec<(IocKind, Vec<IocSummary>)>,
    pub hide_noise: bool,
    pub sel_technique: usize,
    pub sel_ioc: usize,
    pub sel_chunk: usize,
    /// The matrix's tactic cursor (a column in display order, see `ui::matrix::cursor`).
    pub matrix_col: usize,
    /// Chunk shown in the heatmap (index into `report.chunks`).
    pub current_chunk: Option<ChunkPos>,
    /// The chunk view's own state (its scroll).
    pub chunk_view: ChunkView,
    pub popup: Option<Popup>,
    pub notice: Option<Notice>,
    pub keymap: Keymap,
    pub theme: Theme,
    pub job: Option<Job>,
    pub generation: u64,
    /// Duration of the last finished run.
    pub last_elapsed: Option<Duration>,
    pub rerun_at: Option<Instant>,
    pub recovery_at: Option<Instant>,
    pub now: Instant,
    pub size: (u16, u16),
    /// Pane rectangles from the last frame (for the mouse).
    pub areas: std::cell::Cell<Areas>,
    pub quit: bool,
    /// (chunk index, label) attributions asked for in this run.
    pub explain_requested: std::collections::HashSet<(usize, usize)>,
    /// The heatmap follows the selected technique's best chunk until the user picks a chunk.
    pub auto_follow: bool,
    /// Quit was pressed once with unsaved text; the next quit leaves.
    pub quit_armed: bool,
    /// The analyst's review of this text (accept / reject / reset, saved as they are made).
    pub review: ReviewState,
    /// (techniques with a verdict, techniques) at the current threshold, for the status bar.
    pub review_counts: (usize, usize),
}

/// A report taking over from the one on screen (see `App::incoming`).
#[derive(Debug)]
struct Incoming {
    report: Report,
    /// The edits since its text was taken.
    changes: ChangeSet,
    revision: u64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Areas {
    pub editor: Rect,
    pub results: Rect,
    pub heatmap: Rect,
    /// First list row's y and the list's scroll offset in the results pane.
    pub list_top: u16,
    pub list_offset: usize,
}

impl App {
    pub fn new(config: AppConfig) -> App {
        let editor = Editor::new(&config.text);
        // A report opens read-only with the results focused; an empty session in the editor.
        let blank = editor.is_blank();
        let clean_hash = (!config.unsaved).then(|| text_hash(&editor.text()));
        let (review, review_problem) = ReviewState::open(
            config.path.as_deref(),
            None,
            mitremap_review::default_analyst(),
        );
        let mut app = App {
            source: None,
            modified: config.unsaved && !blank,
            editor,
            name: config.name,
            path: config.path,
            editing: blank,
            revision: 0,
            clean_hash,
            input_lossy: config.lossy,
            report_revision: 0,
            pending_save: None,
            export_note: None,
            last_typed: None,
            last_export: None,
            export_format: 0,
            cwd: std::env::current_dir().ok(),
            focus: if blank { Focus::Editor } else { Focus::Results },
            tab: Tab::Techniques,
            threshold: config.threshold.unwrap_or(DEFAULT_THRESHOLD),
            threshold_explicit: config.threshold.is_some(),
            model: ModelState::Loading,
            report: None,
            marking: None,
            incoming: None,
            line_starts: Vec::new(),
            text_changes: ChangeSet::default(),
            stale: true,
            techniques: Vec::new(),
            techniques_dirty: false,
            ioc_groups: Vec::new(),
            hide_noise: false,
            sel_technique: 0,
            sel_ioc: 0,
            sel_chunk: 0,
            matrix_col: 0,
            current_chunk: None,
            chunk_view: ChunkView::default(),
            popup: None,
            notice: None,
            keymap: config.keymap,
            theme: config.theme,
            job: None,
            generation: 0,
            last_elapsed: None,
            rerun_at: None,
            recovery_at: None,
            now: config.now,
            size: (0, 0),
            areas: Default::default(),
            quit: false,
            explain_requested: Default::default(),
            auto_follow: true,
            quit_armed: false,
            review,
            review_counts: (0, 0),
        };
        if let Some(problem) = review_problem {
            app.notice = Some(Notice::Error(problem));
        }
        if !config.notices.is_empty() {
            if config.recovery.is_some() {
                app.notice = Some(Notice::Error(config.notices.join(" · ")));
            } else {
                // in full, not squeezed into (and cut off by) the status line
                app.popup = Some(Popup::Problems(config.notices));
            }
        }
        if app.modified {
            app.recovery_at = Some(config.now + RECOVERY_DELAY);
        }
        if let Some(recovered) = config.recovery {
            app.popup = Some(Popup::Recovery {
                recovered,
                confirm_discard: false,
            });
        }
        app
    }

    /// Uses the review file `explicit` (else the sidecar of the text's file) and records verdicts
    /// as `analyst` (else `$USER`): `mitremap --review FILE --analyst NAME`.
    pub fn open_review(&mut self, explicit: Option<PathBuf>, analyst: Option<String>) {
        let analyst = analyst.unwrap_or_else(mitremap_review::default_analyst);
        let (review, problem) = ReviewState::open(self.path.as_deref(), explicit, analyst);
        self.review = review;
        if let Some(problem) = problem {
            self.error(problem);
        }
        self.apply_review();
    }

    /// Lays the review over the report on screen (again, after a verdict or a finished run).
    fn apply_review(&mut self) {
        let Some(report) = &mut self.report else {
            return;
        };
        let warnings = self.review.apply(report);
        if !warnings.is_empty() {
            self.error(format!("review: {}", warnings.join("; ")));
        }
        self.techniques_dirty = true;
    }

    /// What a verdict key applies to: the selected technique for the whole report in the
    /// techniques list and the matrix; in the chunk view, the chunks tab and the report text,
    /// the technique the heatmap shows in its chunk.
    fn verdict_target(&self) -> Option<(String, Scope)> {
        let target = self.tab.component().review_target();
        match (self.focus, target) {
            (Focus::Results, ReviewTarget::SelectedTechnique) => self
                .selected_technique()
                .map(|t| (t.id.clone(), Scope::Report)),
            (Focus::Results, ReviewTarget::Nothing) => None,
            _ => {
                let (pos, _, id, _) = self.heat_target()?;
                let chunk = self.report.as_ref()?.chunks.get(pos.0)?.index;
                Some((id, Scope::Chunk(chunk)))
            }
        }
    }

    /// Where an added technique goes: the whole report from the techniques list and the matrix,
    /// else the chunk on show (chunk view, chunks tab, report text).
    fn add_scope(&self) -> Option<Scope> {
        let target = self.tab.component().review_target();
        match (self.focus, target) {
            (Focus::Results, ReviewTarget::SelectedTechnique) => Some(Scope::Report),
            (Focus::Results, ReviewTarget::Nothing) => None,
            _ => {
                let pos = self.current_chunk?;
                Some(Scope::Chunk(self.report.as_ref()?.chunks.get(pos.0)?.index))
            }
        }
    }

    fn review_ready(&mut self) -> bool {
        if self.stale || self.report.as_ref().is_none_or(|r| !r.is_done()) {
            self.error("wait for the analysis to finish before reviewing".into());
            return false;
        }
        true
    }

    fn open_add_dialog(&mut self) {
        if !self.review_ready() {
            return;
        }
        match self.add_scope() {
            Some(scope) => self.popup = Some(Popup::AddTechnique(AddDialog::new(scope))),
            None => self.error("select a technique or a chunk to add a technique to".into()),
        }
    }

    fn open_note_dialog(&mut self) {
        if !self.review_ready() {
            return;
        }
        let Some((technique, scope)) = self.verdict_target() else {
            self.error("select a technique (or a chunk) to note".into());
            return;
        };
        let text = match (&self.review.file, &self.report) {
            (Some(file), Some(report)) => file
                .note(report, &technique, scope)
                .unwrap_or_default()
                .to_owned(),
            _ => String::new(),
        };
        self.popup = Some(Popup::Note(NoteDialog {
            text,
            technique,
            scope,
        }));
    }

    fn add_key(&mut self, mut d: AddDialog, key: KeyEvent) -> Vec<Effect> {
        match d.on_key(&key, &self.keymap) {
            Reply::Keep => {}
            Reply::Close => return Vec::new(),
            Reply::Done(Some(id)) => return self.record_verdict(id, d.scope, Verdict::Added),
            Reply::Done(None) => self.error("no technique matches: type an ID or a name".into()),
        }
        self.popup = Some(Popup::AddTechnique(d));
        Vec::new()
    }

    fn note_key(&mut self, mut d: NoteDialog, key: KeyEvent) -> Vec<Effect> {
        match d.on_key(&key, &self.keymap) {
            Reply::Keep => {}
            Reply::Close => return Vec::new(),
            Reply::Done(()) => {
                let Some(report) = &self.report else {
                    return Vec::new();
                };
                return match self.review.note(report, &d.technique, d.scope, &d.text) {
                    Ok((path, file)) => {
                        self.apply_review();
                        self.refresh();
                        self.info(format!("noted {}", d.technique));
                        vec![Effect::SaveReview {
                            path,
                            file: Box::new(file),
                        }]
                    }
                    Err(e) => {
                        self.error(e);
                        Vec::new()
                    }
                };
            }
        }
        self.popup = Some(Popup::Note(d));
        Vec::new()
    }

    fn give_verdict(&mut self, verdict: Verdict) -> Vec<Effect> {
        if self.stale || self.report.as_ref().is_none_or(|r| !r.is_done()) {
            self.error("wait for the analysis to finish before reviewing".into());
            return Vec::new();
        }
        let Some((technique, scope)) = self.verdict_target() else {
            self.error("select a technique (or a chunk) to review".into());
            return Vec::new();
        };
        self.record_verdict(technique, scope, verdict)
    }

    /// Records a verdict, lays it over the report and asks for the review file to be saved.
    fn record_verdict(&mut self, technique: String, scope: Scope, verdict: Verdict) -> Vec<Effect> {
        let Some(report) = &self.report else {
            return Vec::new();
        };
        match self.review.record(report, &technique, scope, verdict) {
            Ok((path, file)) => {
                self.apply_review();
                self.refresh();
                let what = match verdict {
                    Verdict::Accepted => "accepted",
                    Verdict::Rejected => "rejected",
                    Verdict::Added => "added",
                    Verdict::Reset => "reset",
                };
                let scope = match scope {
                    Scope::Report => "for the report".to_owned(),
                    Scope::Chunk(c) => format!("in chunk {c}"),
                };
                let (done, total) = self.review_counts;
                self.info(format!(
                    "{what} {technique} {scope} · {done}/{total} reviewed"
                ));
                vec![Effect::SaveReview {
                    path,
                    file: Box::new(file),
                }]
            }
            Err(e) => {
                self.error(e);
                Vec::new()
            }
        }
    }

    /// Effects to perform at start: the first run (IoCs at once; techniques once the model is in).
    pub fn start(&mut self) -> Vec<Effect> {
        self.start_run()
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Tick(now) => self.tick(now),
            Action::Key(key) => self.on_key(key),
            Action::Mouse(m) => self.on_mouse(m),
            Action::Paste(text) => self.paste(&text),
            Action::Resize(w, h) => {
                self.size = (w, h);
                Vec::new()
            }
            Action::Command(cmd) => self.command(cmd),
            Action::ModelLoaded(result) => self.model_loaded(result),
            Action::Analysis { generation, event } => self.on_event(generation, event),
            Action::Explained {
                generation,
                chunk,
                result,
            } => {
                if generation == self.generation
                    && let Some(report) = &mut self.report
                {
                    match result {
                        Ok(ex) => {
                            let slot = report.explanations.entry(chunk).or_default();
                            for e in ex {
                                slot.retain(|x| x.label_index != e.label_index);
                                slot.push(e);
                            }
                        }
                        Err(e) => self.error(format!("attributions failed: {e}")),
                    }
                }
                Vec::new()
            }
            Action::ExportDone(result) => {
                let note = self.export_note.take();
                if let Ok(path) = &result {
                    let dir = std::path::absolute(path)
                        .ok()
                        .and_then(|p| p.parent().map(std::path::Path::to_path_buf));
                    if let Some(dir) = dir {
                        self.last_export = Some((self.export_format, dir));
                    }
                }
                match (result, note) {
                    (Ok(path), None) => self.info(format!("exported {}", path.display())),
                    // a partial or outdated export is said, not only written in the file
                    (Ok(path), Some(note)) => {
                        self.error(format!("exported {} ({note})", path.display()))
                    }
                    (Err(e), _) => self.error(format!("export failed: {e}")),
                }
                Vec::new()
            }
            Action::Saved {
                path,
                revision,
                result,
            } => self.saved(path, revision, result),
            Action::ClipboardText(result) => match result {
                Ok(text) if !text.is_empty() => self.paste(&text),
                Ok(_) => {
                    self.info("the clipboard is empty".into());
                    Vec::new()
                }
                Err(e) => {
                    self.error(e);
                    Vec::new()
                }
            },
            Action::ReviewSaved(result) => {
                match result {
                    Ok(written) => {
                        self.review.saved(written);
                        self.apply_review();
                        self.refresh();
                    }
                    Err(e) => self.error(format!("review not saved: {e}")),
                }
                Vec::new()
            }
            Action::Notice(n) => {
                match n {
                    Ok(s) => self.info(s),
                    Err(e) => self.error(e),
                }
                Vec::new()
            }
            Action::Signal(sig) => {
                if let Some(job) = &self.job {
                    job.cancel.cancel();
                }
                self.quit = true;
                let mut out = Vec::new();
                if self.has_unsaved_text() {
                    out.push(self.write_recovery());
                }
                out.push(Effect::Exit(128u8.saturating_add(sig as u8)));
                out
            }
        }
    }

    /// Leaving: cancels the analysis (and its explanations) so the background threads end
    /// before the process exits; returns `code`.
    pub fn stop_work(&self, code: u8) -> u8 {
        if let Some(job) = &self.job {
            job.cancel.cancel();
        }
        code
    }

    /// The threshold shown: `None` until it is known (the model's own, unless one was given;
    /// the first frames used to show the engine's 0.60 before the model's 0.325 arrived).
    pub fn shown_threshold(&self) -> Option<f32> {
        match self.model {
            ModelState::Loading if !self.threshold_explicit => None,
            _ => Some(self.threshold),
        }
    }

    /// Text that would be lost on quitting: changed since read or saved, or never saved (an
    /// empty text without a file is nothing to lose).
    pub fn has_unsaved_text(&self) -> bool {
        self.modified && !(self.path.is_none() && self.editor.is_blank())
    }

    /// The text the report was read from, or saved to, is no longer what the editor holds.
    fn text_changed(&mut self) {
        self.revision += 1;
        self.modified = true;
        self.carry_edits();
    }

    /// The editor's latest edits: report ranges are carried through them (for the report on
    /// screen and the one taking over), and line starts follow.
    fn carry_edits(&mut self) {
        let changes = self.editor.area.take_changes();
        self.text_changes.extend(&changes);
        if let Some(incoming) = &mut self.incoming {
            incoming.changes.extend(&changes);
        }
        self.line_starts = line_starts(self.editor.lines());
    }

    /// After undo/redo: back at the saved text means unmodified again.
    fn recheck_modified(&mut self) {
        self.revision += 1;
        self.carry_edits();
        let text = self.editor.text();
        self.modified = match self.clean_hash {
            Some(h) => text_hash(&text) != h,
            None => !text.trim().is_empty(),
        };
    }

    fn write_recovery(&self) -> Effect {
        Effect::WriteRecovery {
            text: self.editor.text(),
            original: self.path.clone(),
        }
    }

    /// Saves the text to `path` (atomically); `overwrite` replaces an existing file.
    fn save_to(&mut self, path: PathBuf, overwrite: bool) -> Vec<Effect> {
        let text = self.editor.text();
        self.pending_save = Some((self.revision, text_hash(&text)));
        vec![Effect::Save {
            path,
            text,
            overwrite,
            revision: self.revision,
        }]
    }

    fn saved(&mut self, path: PathBuf, revision: u64, result: Result<(), String>) -> Vec<Effect> {
        // a later save (of a newer revision) may be in flight: leave its record alone
        let pending = match self.pending_save {
            Some((rev, _)) if rev == revision => self.pending_save.take(),
            _ => None,
        };
        if let Err(e) = result {
            self.error(format!("not saved: {e}"));
            return Vec::new();
        }
        let shown = path.display().to_string();
        self.name = Some(shown.clone());
        self.review.moved_to(&path);
        self.path = Some(path);
        self.input_lossy = false;
        if let Some((rev, hash)) = pending {
            self.clean_hash = Some(hash);
            self.modified = self.revision != rev;
            // the current results are of exactly the saved text: they are of this file now
            if self.report_revision == rev
                && let Some(r) = &mut self.report
            {
                r.input.name = self.name.clone();
                r.input.edited = false;
            }
        }
        if self.modified {
            self.info(format!("saved {shown} (edited since: still modified)"));
            return Vec::new();
        }
        self.info(format!("saved {shown}"));
        self.recovery_at = None;
        // the text is on disk now: the recovery copy is not needed
        vec![Effect::RemoveRecovery(None)]
    }

    pub fn info(&mut self, s: String) {
        self.notice = Some(Notice::Info(s, self.now));
    }

    pub fn error(&mut self, s: String) {
        self.notice = Some(Notice::Error(s));
    }

    fn tick(&mut self, now: Instant) -> Vec<Effect> {
        self.now = now;
        let mut out = Vec::new();
        if let Some(Notice::Info(_, at)) = &self.notice
            && now.duration_since(*at) > NOTICE_TTL
        {
            self.notice = None;
        }
        if self.rerun_at.is_some_and(|t| now >= t) {
            self.rerun_at = None;
            out.extend(self.start_run());
        }
        if self.recovery_at.is_some_and(|t| now >= t) {
            self.recovery_at = None;
            out.push(if self.has_unsaved_text() {
                self.write_recovery()
            } else {
                // back at the saved text (undo) or emptied: no copy to keep
                Effect::RemoveRecovery(None)
            });
        }
        self.refresh();
        out.extend(self.want_explanation());
        out
    }

    /// What the heatmap explains: (chunk position, label index, ATT&CK ID, name). The selected
    /// technique when this chunk predicts it, else the chunk's best label.
    pub fn heat_target(&self) -> Option<(ChunkPos, usize, String, String)> {
        let report = self.report.as_ref()?;
        let pos = self.current_chunk?;
        let chunk = report.chunks.get(pos.0)?;
        let from_technique = self.selected_technique().and_then(|t| {
            chunk
                .above(self.threshold)
                .find(|p| {
                    let l = report.label(p.label);
                    l == t.id || t.model_labels.iter().any(|m| m == l)
                })
                .map(|p| (p.label, t.id.clone(), t.name.clone()))
        });
        let (label, id, name) = from_technique.or_else(|| {
            let p = chunk.scores.first()?;
            let l = report.label(p.label);
            let t = mitremap_engine::attack::mapping::map_label(
                l,
                mitremap_engine::attack::Catalog::embedded(),
                report.attack,
            )
            .technique;
            Some((
                p.label,
                t.map_or_else(|| l.to_owned(), |t| t.id.clone()),
                t.map_or_else(|| l.to_owned(), |t| t.name.clone()),
            ))
        })?;
        Some((pos, label, id, name))
    }

    /// The heatmap shows a chunk and label without attributions: ask for them (once).
    pub fn want_explanation(&mut self) -> Option<Effect> {
        let ModelState::Ready(analyzer) = &self.model else {
            return None;
        };
        if self.stale {
            return None;
        }
        let (pos, label, _, _) = self.heat_target()?;
        let report = self.report.as_ref()?;
        let chunk = report.chunks.get(pos.0)?;
        let known = report
            .explanations
            .get(&chunk.index)
            .is_some_and(|v| v.iter().any(|e| e.label_index == label));
        if known || !self.explain_requested.insert((chunk.index, label)) {
            return None;
        }
        let cancel = self
            .job
            .as_ref()
            .map(|j| j.cancel.clone())
            .unwrap_or_default();
        Some(Effect::Explain(super::action::ExplainJob {
            generation: self.generation,
            analyzer: analyzer.clone(),
            document: report.document.clone(),
            chunk: chunk.index,
            range: chunk.range.clone(),
            labels: vec![label],
            cancel,
        }))
    }

    /// True while attributions for what the heatmap shows are being computed.
    pub fn explaining(&self, chunk: usize) -> bool {
        self.explain_requested.iter().any(|(c, _)| *c == chunk)
    }

    /// Re-aggregates what changed since the last frame (techniques are recomputed at most once
    /// per frame, not once per streamed chunk).
    pub fn refresh(&mut self) {
        if self.techniques_dirty {
            self.techniques_dirty = false;
            self.techniques = self
                .report
                .as_ref()
                .map(|r| r.techniques(self.threshold))
                .unwrap_or_default();
            let reviewed = self
                .techniques
                .iter()
                .filter(|t| t.review.is_reviewed())
                .count();
            self.review_counts = (reviewed, self.techniques.len());
            if self.review.unreviewed_only {
                self.techniques.retain(|t| !t.review.is_reviewed());
            }
            self.sel_technique = self
                .sel_technique
                .min(self.techniques.len().saturating_sub(1));
            if self.current_chunk.is_none() || self.auto_follow {
                self.follow_technique();
            }
            // nothing predicted yet: show the first chunk rather than an empty heatmap
            if self.current_chunk.is_none() && self.chunk_count() > 0 {
                self.current_chunk = Some(ChunkPos(0));
            }
        }
    }

    // ---- analysis ----------------------------------------------------------------------

    fn start_run(&mut self) -> Vec<Effect> {
        if let Some(job) = self.job.take() {
            job.cancel.cancel();
        }
        self.rerun_at = None;
        self.generation += 1;
        self.current_chunk = None;
        self.auto_follow = true;
        self.techniques_dirty = true;
        if self.editor.is_blank() {
            self.report = None;
            self.incoming = None;
            self.stale = false;
            self.ioc_groups.clear();
            self.line_starts.clear();
            self.text_changes = ChangeSet::default();
            self.refresh();
            return Vec::new();
        }
        let text = self.editor.text();
        self.line_starts = line_starts(self.editor.lines());
        let document = Arc::new(Document::from_text(text));
        self.explain_requested.clear();
        let analyzer = match &self.model {
            ModelState::Ready(a) => Some(a.clone()),
            _ => None,
        };
        // The model's own recommendations (e.g. one sentence per chunk for a sentence
        // classifier), with the threshold the analyst set.
        let model_defaults = analyzer
            .as_ref()
            .map(|a| AnalysisOptions::for_model(a.classifier().manifest()))
            .unwrap_or_default();
        let options = AnalysisOptions {
            threshold: self.threshold,
            // Attributions cost hundreds of forward passes per chunk: explaining every chunk
            // would stall the stream, so the heatmap asks for the chunk it shows instead.
            explain: None,
            ..model_defaults
        };
        let report = match &analyzer {
            Some(a) => a.new_report(document.clone(), self.name.clone(), &options),
            None => Report::new(
                document.clone(),
                self.name.clone(),
                None,
                ReportOptions::of(&options, None),
            ),
        };
        let mut report = report;
        // Honest about what was analysed: text changed since it was read from (or saved to)
        // the named file says so, with the sha256 and size of the text itself.
        report.input.edited = self.modified && self.path.is_some();
        report.input.lossy_utf8 = !self.modified && self.input_lossy;
        self.incoming = Some(Incoming {
            report,
            changes: ChangeSet::default(),
            revision: self.revision,
        });
        // A cached re-run brings the unchanged results back within moments: the old ones stay
        // on screen (stale) until then. Otherwise the new report shows from the start.
        let cached = analyzer
            .as_ref()
            .is_some_and(|a| a.cache().is_some_and(|c| !c.is_empty()));
        if !cached || self.report.is_none() {
            self.take_incoming();
        }
        let cancel = CancelToken::new();
        self.job = Some(Job {
            generation: self.generation,
            cancel: cancel.clone(),
            started: self.now,
        });
        self.refresh();
        vec![Effect::Analyze(AnalysisJob {
            generation: self.generation,
            analyzer,
            document,
            options,
            cancel,
        })]
    }

    fn cancel_run(&mut self) {
        match self.job.take() {
            Some(job) => {
                job.cancel.cancel();
                if let Some(r) = &mut self.report {
                    r.cancelled = true;
                }
                self.info("analysis cancelled".into());
            }
            None if self.rerun_at.take().is_some() => self.info("re-run cancelled".into()),
            None => self.info("nothing is running".into()),
        }
    }

    fn model_loaded(
        &mut self,
        result: Result<Arc<mitremap_engine::model::Classifier>, String>,
    ) -> Vec<Effect> {
        match result {
            Ok(classifier) => {
                if !self.threshold_explicit
                    && let Some(t) = classifier.manifest().threshold
                {
                    self.threshold = t;
                }
                // Scored sentence windows are kept, so a re-run after an edit scores only what changed.
                self.model = ModelState::Ready(
                    Analyzer::new(classifier).with_cache(Arc::new(ChunkCache::default())),
                );
                self.start_run()
            }
            Err(e) => {
                let e = format!("model unavailable: {e} (IoCs still work)");
                self.model = ModelState::Unavailable(e.clone());
                self.error(e);
                Vec::new()
            }
        }
    }

    /// The incoming report becomes the one on screen.
    fn take_incoming(&mut self) {
        let Some(incoming) = self.incoming.take() else {
            return;
        };
        self.text_changes = incoming.changes;
        self.report_revision = incoming.revision;
        self.ioc_groups = group_iocs(incoming.report.ioc_summaries());
        self.sel_ioc = self
            .sel_ioc
            .min(self.visible_iocs().count().saturating_sub(1));
        self.report = Some(incoming.report);
        self.stale = self.revision != self.report_revision;
        self.current_chunk = None;
        self.techniques_dirty = true;
        self.apply_review();
    }

    fn on_event(&mut self, generation: u64, event: Event) -> Vec<Effect> {
        if generation != self.generation {
            return Vec::new();
        }
        if let Some(incoming) = &mut self.incoming {
            incoming.report.apply(&event);
            // the cached results up to the first changed window are in (or the run ended)
            if matches!(
                event,
                Event::Progress(_) | Event::Finished(_) | Event::Failed(_) | Event::Cancelled
            ) {
                self.take_incoming();
            } else {
                return Vec::new();
            }
        } else if let Some(report) = &mut self.report {
            report.apply(&event);
        } else {
            return Vec::new();
        }
        let Some(report) = &mut self.report else {
            return Vec::new();
        };
        match &event {
            Event::Iocs(_) => {
                self.marking = mitremap_export::marking_in_text(report);
                self.ioc_groups = group_iocs(report.ioc_summaries());
                self.sel_ioc = 0;
            }
            Event::Chunk(_) | Event::Explained { .. } => self.techniques_dirty = true,
            Event::Finished(_) | Event::Cancelled | Event::Failed(_) => {
                if let Some(job) = self.job.take() {
                    self.last_elapsed = Some(self.now.duration_since(job.started));
                }
                if let Event::Failed(e) = &event {
                    self.error(format!("analysis failed: {e}"));
                }
                self.techniques_dirty = true;
                // chunk verdicts attach once their chunks are in
                self.apply_review();
            }
            _ => {}
        }
        Vec::new()
    }

    // ---- input ------------------------------------------------------------------------

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        let armed = std::mem::take(&mut self.quit_armed);
        if self.popup.is_some() {
            if self.keymap.command(&[Context::Global], &key) == Some(Command::Quit) {
                self.quit_armed = armed;
                return self.command(Command::Quit);
            }
            return self.popup_key(key);
        }
        match self.resolve(&key) {
            KeyUse::Command(cmd) => {
                if cmd == Command::Quit {
                    // `q q` (or ctrl-q ctrl-q) quits: only another key disarms
                    self.quit_armed = armed;
                }
                self.command(cmd)
            }
            KeyUse::Type => self.editor_input(key),
            KeyUse::Move => {
                self.editor.area.input(key);
                self.follow_cursor();
                Vec::new()
            }
            KeyUse::ReadOnly => {
                self.read_only_hint();
                Vec::new()
            }
            KeyUse::Nothing => Vec::new(),
        }
    }

    /// The keymap contexts that apply now, in lookup order.
    pub fn contexts(&self) -> &'static [Context] {
        match (self.focus, self.editing) {
            (Focus::Editor, true) => &[Context::Global, Context::Editor],
            (Focus::Editor, false) => &[Context::Global, Context::View, Context::Panes],
            _ => &[Context::Global, Context::Panes],
        }
    }

    /// The one place a key becomes what it does, in every context (popups aside).
    pub fn resolve(&self, key: &KeyEvent) -> KeyUse {
        if self.focus == Focus::Editor && !self.editing {
            // read-only report: arrows move (and select) the cursor before pane keys apply
            if let Some(cmd) = self.keymap.command(&[Context::Global, Context::View], key) {
                return KeyUse::Command(cmd);
            }
            if is_movement(key.code) {
                return KeyUse::Move;
            }
            if let Some(cmd) = self.keymap.command(&[Context::Panes], key) {
                return KeyUse::Command(cmd);
            }
            return if would_edit(key) {
                KeyUse::ReadOnly
            } else {
                KeyUse::Nothing
            };
        }
        if let Some(cmd) = self.keymap.command(self.contexts(), key) {
            return KeyUse::Command(cmd);
        }
        if self.focus == Focus::Editor {
            KeyUse::Type
        } else {
            KeyUse::Nothing
        }
    }

    fn read_only_hint(&mut self) {
        let key = self
            .keymap
            .first_key(Context::View, Command::Edit)
            .or_else(|| self.keymap.first_key(Context::Panes, Command::Edit))
            .map_or_else(|| "the edit key".to_owned(), |k| k.to_string());
        self.info(format!("the report is read-only: press {key} to edit it"));
    }

    /// Focus moves; leaving the report ends editing (coming back is read-only until asked).
    fn set_focus(&mut self, focus: Focus) {
        if focus != Focus::Editor || self.focus != Focus::Editor {
            self.editing = false;
        }
        self.focus = focus;
    }

    fn start_editing(&mut self) {
        self.focus = Focus::Editor;
        if !self.editing {
            self.editing = true;
            let back = self
                .keymap
                .first_key(Context::Editor, Command::FocusResults)
                .map_or_else(String::new, |k| format!("; {k} when done"));
            let save = self
                .keymap
                .first_key(Context::Global, Command::Save)
                .map_or_else(String::new, |k| format!(", {k} saves"));
            self.info(format!("editing the report{back}{save}"));
        }
    }

    fn editor_input(&mut self, key: KeyEvent) -> Vec<Effect> {
        if self
            .last_typed
            .is_none_or(|t| self.now.saturating_duration_since(t) >= UNDO_PAUSE)
        {
            self.editor.area.break_group();
        }
        self.last_typed = Some(self.now);
        let modified = self.editor.area.input(key);
        if modified {
            self.edited();
        } else {
            self.follow_cursor();
        }
        Vec::new()
    }

    /// The text changed: stop the analysis, re-run after a pause, save a recovery copy soon.
    fn edited(&mut self) {
        self.text_changed();
        self.after_change();
    }

    fn after_change(&mut self) {
        if let Some(job) = self.job.take() {
            job.cancel.cancel();
        }
        self.stale = true;
        // Big texts wait a little longer, so a burst of typing isn't interrupted by re-runs.
        let lines = self.editor.lines().len() as u64;
        self.rerun_at = Some(self.now + DEBOUNCE + Duration::from_millis((lines / 100).min(1200)));
        self.recovery_at = Some(self.now + RECOVERY_DELAY);
    }

    fn paste(&mut self, text: &str) -> Vec<Effect> {
        if let Some(Popup::Search(s))
        | Some(Popup::Export(ExportDialog { path: s, .. }))
        | Some(Popup::SaveAs(SaveAsDialog { path: s, .. }))
        | Some(Popup::AddTechnique(AddDialog { query: s, .. }))
        | Some(Popup::Note(NoteDialog { text: s, .. })) = &mut self.popup
        {
            s.push_str(&text.replace(['\n', '\r'], " "));
            return Vec::new();
        }
        if self.popup.is_some() {
            return Vec::new();
        }
        // Pasting edits: into an empty report, or when editing (a stray middle click on a
        // read-only report must not change it).
        let editing = self.focus == Focus::Editor && self.editing;
        if !editing && !self.editor.is_blank() {
            self.read_only_hint();
            return Vec::new();
        }
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        self.focus = Focus::Editor;
        self.editing = true;
        self.editor.area.insert_str(&text);
        self.edited();
        self.info(format!("pasted {} bytes", text.len()));
        Vec::new()
    }

    fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        if self.popup.is_some() {
            return Vec::new();
        }
        let areas = self.areas.get();
        let pos = ratatui::layout::Position::new(m.column, m.row);
        let pane = if areas.editor.contains(pos) {
            Some(Focus::Editor)
        } else if areas.results.contains(pos) {
            Some(Focus::Results)
        } else if areas.heatmap.contains(pos) {
            Some(Focus::Heatmap)
        } else {
            None
        };
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                let Some(pane) = pane else { return Vec::new() };
                self.set_focus(pane);
                match pane {
                    Focus::Editor => {
                        if let Some((r, c)) = self.editor.position_at(m.column, m.row) {
                            self.editor.area.cancel_selection();
                            self.editor.jump(r, c);
                            self.follow_cursor();
                        }
                    }
                    Focus::Results if m.row >= areas.list_top => {
                        let row = (m.row - areas.list_top) as usize + areas.list_offset;
                        self.select_row(row);
                    }
                    _ => {}
                }
            }
            MouseEventKind::Drag(MouseButton::Left) if pane == Some(Focus::Editor) => {
                if let Some((r, c)) = self.editor.position_at(m.column, m.row) {
                    if !self.editor.area.is_selecting() {
                        self.editor.area.start_selection();
                    }
                    self.editor.jump(r, c);
                }
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let down = m.kind == MouseEventKind::ScrollDown;
                match pane {
                    Some(Focus::Editor) => {
                        self.editor.scroll_lines(if down { 3 } else { -3 });
                        self.follow_cursor();
                    }
                    Some(Focus::Results) => self.move_selection(if down { 3 } else { -3 }),
                    Some(Focus::Heatmap) => self.chunk_view.scroll_by(if down { 2 } else { -2 }),
                    None => {}
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn popup_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(popup) = self.popup.take() else {
            return Vec::new();
        };
        match popup {
            Popup::Help { mut scroll } => {
                if help::on_key(&mut scroll, &key, &self.keymap) == Reply::Keep {
                    self.popup = Some(Popup::Help { scroll });
                }
            }
            Popup::Search(mut needle) => match search::on_key(&mut needle, &key, &self.keymap) {
                Reply::Keep => self.popup = Some(Popup::Search(needle)),
                Reply::Close => {}
                Reply::Done(needle) => {
                    self.editor.search = Some(needle.clone());
                    self.set_focus(Focus::Editor);
                    if !self.editor.search_step(true) {
                        self.error(format!(
                            "not found: {}",
                            mitremap_engine::text::terminal_safe_line(&needle)
                        ));
                    } else {
                        self.follow_cursor();
                    }
                }
            },
            Popup::Recovery {
                recovered,
                mut confirm_discard,
            } => match recovery::on_key(&mut confirm_discard, &key, &self.keymap) {
                Reply::Keep | Reply::Close => {
                    self.popup = Some(Popup::Recovery {
                        recovered,
                        confirm_discard,
                    })
                }
                Reply::Done(recovery::Choice::Restore) => return self.restore(recovered),
                Reply::Done(recovery::Choice::Delete) => {
                    self.info("recovered text deleted".into());
                    return vec![Effect::RemoveRecovery(Some(recovered.path))];
                }
                // A reflexive Esc (or n) only closes the offer: the file stays and is offered
                // again next time.
                Reply::Done(recovery::Choice::Later) => self.info(format!(
                    "recovered text kept in {} (offered again next start)",
                    recovered.path.display()
                )),
            },
            Popup::Export(d) => return self.export_key(d, key),
            Popup::SaveAs(d) => return self.save_as_key(d, key),
            Popup::AddTechnique(d) => return self.add_key(d, key),
            Popup::Note(d) => return self.note_key(d, key),
            Popup::Problems(_) => {}
        }
        Vec::new()
    }

    /// Restores recovered text, under the name of the file it was editing (saving writes there).
    fn restore(&mut self, recovered: Recovered) -> Vec<Effect> {
        let Recovered {
            path,
            text,
            original,
            ..
        } = recovered;
        let old_len = self.editor.text().len();
        self.editor.set_text(&text);
        // the whole text changed: nothing of the old report's ranges is on the new text
        let whole = Change {
            start: 0,
            removed: old_len,
            inserted: text.len(),
        };
        self.text_changes.push(whole);
        if let Some(incoming) = &mut self.incoming {
            incoming.changes.push(whole);
        }
        self.name = Some(
            original
                .as_ref()
                .map_or_else(|| "recovered".into(), |p| p.display().to_string()),
        );
        self.path = original;
        self.clean_hash = None;
        self.input_lossy = false;
        self.text_changed();
        self.modified = !self.editor.is_blank();
        self.info(format!(
            "restored {} bytes from {} (not saved yet)",
            text.len(),
            path.display()
        ));
        self.recovery_at = Some(self.now);
        [Effect::RemoveRecovery(Some(path))]
            .into_iter()
            .chain(self.start_run())
            .collect()
    }

    fn save_as_key(&mut self, mut d: SaveAsDialog, key: KeyEvent) -> Vec<Effect> {
        match d.on_key(&key, &self.keymap) {
            Reply::Keep => self.popup = Some(Popup::SaveAs(d)),
            Reply::Close => {}
            Reply::Done(r) => return self.save_to(PathBuf::from(r.path), r.overwrite),
        }
        Vec::new()
    }

    fn export_key(&mut self, mut d: ExportDialog, key: KeyEvent) -> Vec<Effect> {
        match d.on_key(&key, &self.keymap) {
            Reply::Keep => self.popup = Some(Popup::Export(d)),
            Reply::Close => {}
            Reply::Done(r) => return self.do_export(r),
        }
        Vec::new()
    }

    fn do_export(&mut self, d: ExportRequest) -> Vec<Effect> {
        let Some(report) = &self.report else {
            self.error("nothing to export: the editor is empty".into());
            return Vec::new();
        };
        let mut report = report.clone();
        report.options.threshold = self.threshold;
        let mut notes = Vec::new();
        if !report.is_done() {
            notes.push("partial: the analysis had not finished, complete: false");
        }
        if self.stale {
            notes.push("of the text as last analysed: edited since");
        }
        if report.input.edited {
            notes.push("of edited text, not of the file as saved");
        }
        self.export_note = (!notes.is_empty()).then(|| notes.join("; "));
        self.export_format = d.format;
        // the document's places hold for a report of the text as extracted, before any edit
        let source = self
            .source
            .as_ref()
            .filter(|_| self.report_revision == 0)
            .map(|s| Arc::new(super::runtime::source_labels(&s.map)));
        vec![Effect::Export {
            format: Format::ALL[d.format],
            path: PathBuf::from(d.path),
            overwrite: d.overwrite,
            report: Box::new(report),
            source,
        }]
    }

    // ---- commands ---------------------------------------------------------------------

    pub fn command(&mut self, cmd: Command) -> Vec<Effect> {
        match cmd {
            Command::Quit => {
                if self.has_unsaved_text() && !self.quit_armed {
                    self.quit_armed = true;
                    // the key of the pane in use (q in the panes, ctrl-q while typing)
                    let again = self
                        .contexts()
                        .iter()
                        .rev()
                        .find_map(|c| self.keymap.first_key(*c, Command::Quit))
                        .map_or_else(|| "quit".to_owned(), |k| k.to_string());
                    let save = self
                        .keymap
                        .first_key(Context::Global, Command::Save)
                        .map_or_else(String::new, |k| format!(", {k} saves"));
                    let what = if self.path.is_some() {
                        "unsaved"
                    } else {
                        "only here"
                    };
                    // short: it must fit beside the help and quit hints at 80 columns
                    self.error(format!("{what}: {again} again quits and discards{save}"));
                    return Vec::new();
                }
                if let Some(job) = self.job.take() {
                    job.cancel.cancel();
                }
                self.quit = true;
                return vec![Effect::RemoveRecovery(None), Effect::Exit(0)];
            }
            Command::Help => {
                self.popup = match self.popup {
                    Some(Popup::Help { .. }) => None,
                    _ => Some(Popup::Help { scroll: 0 }),
                }
            }
            Command::FocusNext | Command::FocusPrev => {
                let order = [Focus::Editor, Focus::Results, Focus::Heatmap];
                let i = order.iter().position(|f| *f == self.focus).unwrap_or(0);
                let step = if cmd == Command::FocusNext { 1 } else { 2 };
                self.set_focus(order[(i + step) % 3]);
            }
            Command::FocusEditor => self.set_focus(Focus::Editor),
            Command::FocusResults => self.set_focus(Focus::Results),
            Command::Edit => self.start_editing(),
            Command::Save => {
                return match self.path.clone() {
                    Some(p) => self.save_to(p, true),
                    None => self.command(Command::SaveAs),
                };
            }
            Command::SaveAs => {
                self.popup = Some(Popup::SaveAs(SaveAsDialog::new(
                    self.path
                        .as_ref()
                        .map_or_else(String::new, |p| p.display().to_string()),
                )))
            }
            Command::Run => {
                self.info("analysing".into());
                return self.start_run();
            }
            Command::Cancel => self.cancel_run(),
            Command::Export => {
                // the last export's format and folder again (not the unseen current folder)
                let (format, dir) = self
                    .last_export
                    .clone()
                    .map_or((0, None), |(f, d)| (f, Some(d)));
                let stem = self
                    .name
                    .as_deref()
                    .filter(|n| *n != "-" && *n != "recovered")
                    .and_then(|n| std::path::Path::new(n).file_stem())
                    .map_or_else(
                        || "mitremap-report".to_owned(),
                        |s| s.to_string_lossy().into_owned(),
                    );
                let file = format!("{stem}.{}", Format::ALL[format].extension());
                self.popup = Some(Popup::Export(ExportDialog::new(
                    format,
                    match dir {
                        Some(d) => d.join(file).display().to_string(),
                        None => file,
                    },
                )));
            }
            Command::Copy => return self.copy_selected(false),
            Command::CopyFanged => return self.copy_selected(true),
            Command::CopyAll => {
                return match &self.report {
                    Some(r) => vec![Effect::Copy {
                        text: summary_text(r, &self.techniques),
                        what: "the whole result".into(),
                    }],
                    None => {
                        self.error("nothing to copy".into());
                        Vec::new()
                    }
                };
            }
            Command::PasteClipboard => return vec![Effect::ReadClipboard],
            Command::Search => self.popup = Some(Popup::Search(String::new())),
            Command::SearchNext | Command::SearchPrev => {
                if self.editor.search_step(cmd == Command::SearchNext) {
                    self.follow_cursor();
                } else {
                    self.error("no match".into());
                }
            }
            Command::Undo => {
                if self.editor.area.undo() {
                    self.recheck_modified();
                    self.after_change();
                }
            }
            Command::Redo => {
                if self.editor.area.redo() {
                    self.recheck_modified();
                    self.after_change();
                }
            }
            Command::SelectAll => self.editor.area.select_all(),
            Command::ThresholdUp | Command::ThresholdDown => {
                // the analyst's choice now: the model's default no longer replaces it
                self.threshold_explicit = true;
                let delta = if cmd == Command::ThresholdUp {
                    THRESHOLD_STEP
                } else {
                    -THRESHOLD_STEP
                };
                self.set_threshold(self.threshold + delta);
            }
            Command::NextTab => {
                let i = Tab::ALL.iter().position(|t| *t == self.tab).unwrap_or(0);
                self.set_tab(Tab::ALL[(i + 1) % Tab::ALL.len()]);
            }
            // a results tab's key (the matrix's toggles back to the techniques)
            Command::TabTechniques | Command::TabIocs | Command::TabChunks => {
                if let Some(tab) = Tab::for_command(cmd) {
                    self.set_tab(tab)
                }
            }
            Command::Matrix => self.set_tab(if self.tab == Tab::Matrix {
                Tab::Techniques
            } else {
                Tab::Matrix
            }),
            Command::ToggleNoise => {
                self.hide_noise = !self.hide_noise;
                self.sel_ioc = 0;
                self.info(if self.hide_noise {
                    "private and benign IoCs hidden".into()
                } else {
                    "private and benign IoCs shown".into()
                });
            }
            Command::Up => self.scroll_focused(-1),
            Command::Down => self.scroll_focused(1),
            Command::PageUp => self.scroll_focused(-10),
            Command::PageDown => self.scroll_focused(10),
            Command::Top => self.scroll_focused(isize::MIN / 2),
            Command::Bottom => self.scroll_focused(isize::MAX / 2),
            Command::Activate => self.activate(),
            Command::NextChunk => self.step_chunk(1),
            Command::PrevChunk => self.step_chunk(-1),
            // popup commands mean something only in a popup (`popup_key`)
            Command::Accept => return self.give_verdict(Verdict::Accepted),
            Command::Reject => return self.give_verdict(Verdict::Rejected),
            Command::ResetVerdict => return self.give_verdict(Verdict::Reset),
            Command::AddTechnique => self.open_add_dialog(),
            Command::Note => self.open_note_dialog(),
            Command::UnreviewedOnly => {
                self.review.unreviewed_only = !self.review.unreviewed_only;
                self.techniques_dirty = true;
                self.refresh();
                self.info(if self.review.unreviewed_only {
                    "showing unreviewed techniques only".into()
                } else {
                    "showing all techniques".into()
                });
            }
            // popup keys (the popups read them themselves)
            Command::Confirm
            | Command::Close
            | Command::Discard
            | Command::Yes
            | Command::ClearInput
            | Command::NextFormat
            | Command::PrevFormat => {}
        }
        Vec::new()
    }

    pub fn set_threshold(&mut self, t: f32) {
        self.threshold = ((t.clamp(0.05, 0.99)) * 100.0).round() / 100.0;
        if let Some(r) = &mut self.report {
            r.options.threshold = self.threshold;
        }
        self.techniques_dirty = true;
        self.refresh();
        self.info(format!("threshold {}", format_threshold(self.threshold)));
    }

    fn set_tab(&mut self, tab: Tab) {
        self.tab = tab;
        self.set_focus(Focus::Results);
        tab.component().on_show(self);
    }

    fn scroll_focused(&mut self, delta: isize) {
        match self.focus {
            Focus::Heatmap => self.chunk_view.scroll_by(delta),
            Focus::Editor => {
                self.editor.scroll_lines(delta.clamp(-1_000_000, 1_000_000));
                self.follow_cursor();
            }
            Focus::Results => self.move_selection(delta),
        }
    }

    fn move_selection(&mut self, delta: isize) {
        self.tab.component().move_by(self, delta);
    }

    /// Number of selectable rows in the current tab.
    pub fn list_len(&self) -> usize {
        self.tab.component().len(self)
    }

    /// Selects row `i` of the current tab (the chunk view starts at its top).
    pub(crate) fn select_item(&mut self, i: usize) {
        self.tab.component().select(self, i);
        self.chunk_view = ChunkView::default();
    }

    /// A click on list row `row` (counting group headers in the IoC tab).
    fn select_row(&mut self, row: usize) {
        self.tab.component().click_row(self, row);
    }

    fn activate(&mut self) {
        let byte = self.tab.component().jump_target(self);
        if let Some(b) = byte {
            // found in the report's text: where that is in the text being edited
            self.editor
                .jump_to_byte(self.text_changes.map(b, Assoc::After));
            self.set_focus(Focus::Editor);
        }
    }

    /// Moves through the selected technique's chunks (or all chunks).
    /// Moves the matrix's cursor: `dx` tactics sideways (onto the tactic's best technique), `dy`
    /// techniques within the tactic.
    pub(crate) fn matrix_move(&mut self, dx: isize, dy: isize) {
        use super::ui::matrix;
        let (cols, _) = matrix::columns(self, matrix::inner_width(self));
        if cols.is_empty() {
            return;
        }
        let cur = matrix::cursor(self, &cols);
        let col = (cur as isize + dx).clamp(0, cols.len() as isize - 1) as usize;
        self.matrix_col = col;
        let items = &cols[col].items;
        if items.is_empty() {
            return;
        }
        let row = if col == cur {
            let at = items.iter().position(|&i| i == self.sel_technique);
            at.map_or(0, |r| {
                (r as isize)
                    .saturating_add(dy)
                    .clamp(0, items.len() as isize - 1) as usize
            })
        } else {
            0
        };
        let pick = items[row];
        if pick != self.sel_technique || col != cur {
            self.select_item(pick);
        }
    }

    fn step_chunk(&mut self, delta: isize) {
        if self.tab == Tab::Matrix {
            self.matrix_move(delta, 0);
            return;
        }
        let Some(report) = &self.report else { return };
        let candidates: Vec<ChunkPos> = match (self.tab, self.techniques.get(self.sel_technique)) {
            (Tab::Techniques | Tab::Matrix, Some(t)) => t
                .chunks
                .iter()
                .filter_map(|ci| chunk_pos(report, *ci))
                .collect(),
            _ => (0..report.chunks.len()).map(ChunkPos).collect(),
        };
        if candidates.is_empty() {
            return;
        }
        let pos = self
            .current_chunk
            .and_then(|c| candidates.iter().position(|x| *x == c));
        let next = match pos {
            Some(p) => (p as isize + delta).rem_euclid(candidates.len() as isize) as usize,
            None => 0,
        };
        self.current_chunk = Some(candidates[next]);
        self.auto_follow = false;
        if self.tab == Tab::Chunks {
            self.sel_chunk = candidates[next].0;
        }
        self.chunk_view = ChunkView::default();
    }

    /// After the editor cursor moved: the chunk under it becomes the linked chunk.
    fn follow_cursor(&mut self) {
        let Some(report) = &self.report else { return };
        let byte = self.editor.cursor_byte();
        // the chunks where they are now, after the edits since the analysis
        let changes = &self.text_changes;
        let i = report
            .chunks
            .partition_point(|c| changes.map(c.range.end, Assoc::Before) <= byte);
        if report
            .chunks
            .get(i)
            .is_some_and(|c| changes.map(c.range.start, Assoc::After) <= byte)
        {
            self.current_chunk = Some(ChunkPos(i));
            self.auto_follow = false;
            if self.tab == Tab::Chunks {
                self.sel_chunk = i;
            }
        }
    }

    /// The selected technique's best chunk becomes the linked chunk.
    pub(crate) fn follow_technique(&mut self) {
        let (Some(report), Some(t)) = (&self.report, self.techniques.get(self.sel_technique))
        else {
            return;
        };
        let best = t
            .chunks
            .iter()
            .filter_map(|ci| chunk_pos(report, *ci))
            .max_by(|&a, &b| {
                let score = |i: ChunkPos| {
                    report.chunks.get(i.0).map_or(0.0, |c| {
                        c.scores
                            .iter()
                            .filter(|p| {
                                let l = report.label(p.label);
                                l == t.id || t.model_labels.iter().any(|m| m == l)
                            })
                            .map(|p| p.score)
                            .fold(0.0f32, f32::max)
                    })
                };
                score(a).total_cmp(&score(b)).then(b.cmp(&a))
            });
        if best.is_some() {
            self.current_chunk = best;
        }
    }

    /// Copies what is selected. IoCs are defanged unless `fanged` (a live URL pasted into a
    /// ticket or chat is a hazard), as in the Markdown export.
    fn copy_selected(&mut self, fanged: bool) -> Vec<Effect> {
        if self.focus == Focus::Editor {
            if self.editor.area.is_selecting() {
                self.editor.area.copy();
                let text = self.editor.area.yank_text();
                return vec![Effect::Copy {
                    text,
                    what: "the selection".into(),
                }];
            }
            self.info("select text first (shift+arrows or the mouse)".into());
            return Vec::new();
        }
        let item = self.tab.component().copy_item(self, fanged);
        match item {
            Some((text, what)) => vec![Effect::Copy { text, what }],
            None => {
                self.error("nothing selected".into());
                Vec::new()
            }
        }
    }

    // ---- derived views ----------------------------------------------------------------

    pub fn chunk_count(&self) -> usize {
        self.report.as_ref().map_or(0, |r| r.chunks.len())
    }

    /// IoC groups after the noise filter.
    pub fn visible_groups(&self) -> impl Iterator<Item = (IocKind, Vec<&IocSummary>)> {
        self.ioc_groups.iter().filter_map(|(k, items)| {
            let v: Vec<&IocSummary> = items
                .iter()
                .filter(|s| !(self.hide_noise && s.flags.is_noise()))
                .collect();
            (!v.is_empty()).then_some((*k, v))
        })
    }

    pub fn visible_iocs(&self) -> impl Iterator<Item = &IocSummary> {
        self.ioc_groups
            .iter()
            .flat_map(|(_, v)| v.iter())
            .filter(|s| !(self.hide_noise && s.flags.is_noise()))
    }

    pub fn selected_ioc(&self) -> Option<&IocSummary> {
        self.visible_iocs().nth(self.sel_ioc)
    }

    pub fn selected_technique(&self) -> Option<&TechniqueHit> {
        self.techniques.get(self.sel_technique)
    }

    /// Chunk indices (positions in `report.chunks`) to highlight in the editor.
    pub fn linked_chunks(&self) -> Vec<ChunkPos> {
        self.tab.component().linked_chunks(self)
    }

    pub fn model_unavailable(&self) -> bool {
        matches!(self.model, ModelState::Unavailable(_))
    }

    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// Time the running analysis still needs, from the model's pace so far on the windows it has
    /// to score (cached ones cost nothing); `None` before there is a pace to go by.
    pub fn eta(&self) -> Option<Duration> {
        let job = self.job.as_ref()?;
        let report = self
            .incoming
            .as_ref()
            .map(|i| &i.report)
            .or(self.report.as_ref())?;
        let (total, done) = report.progress.model_work();
        if done == 0 || done >= total {
            return None;
        }
        let elapsed = self.now.duration_since(job.started);
        Some(elapsed.mul_f64((total - done) as f64 / done as f64))
    }

    /// Elapsed time of the running (or last) analysis, by the app's clock.
    pub fn elapsed(&self) -> Option<Duration> {
        match &self.job {
            Some(j) => Some(self.now.duration_since(j.started)),
            None => self.last_elapsed,
        }
    }
}

/// Byte offset of each line of the text the lines make joined with `\n`.
pub fn line_starts(lines: &[String]) -> Vec<usize> {
    lines
        .iter()
        .scan(0, |at, l| {
            let start = *at;
            *at += l.len() + 1;
            Some(start)
        })
        .collect()
}

/// Position in `report.chunks` (sorted by index) of chunk `index`.
pub fn chunk_pos(report: &Report, index: usize) -> Option<ChunkPos> {
    report
        .chunks
        .binary_search_by_key(&index, |c| c.index)
        .ok()
        .map(ChunkPos)
}

fn group_iocs(summaries: Vec<IocSummary>) -> Vec<(IocKind, Vec<IocSummary>)> {
    let mut groups: Vec<(IocKind, Vec<IocSummary>)> = Vec::new();
    for s in summaries {
        match groups.iter_mut().find(|(k, _)| *k == s.kind) {
            Some((_, v)) => v.push(s),
            None => groups.push((s.kind, vec![s])),
        }
    }
    groups.sort_by_key(|(k, _)| IocKind::ALL.iter().position(|x| x == k));
    groups
}

/// The whole result as plain text (tab-separated), for the clipboard.
pub fn summary_text(report: &Report, techniques: &[TechniqueHit]) -> String {
    let mut out = String::from("# ATT&CK techniques\n");
    for t in techniques {
        out.push_str(&format!(
            "{}\t{}\t{}\t{:.2}\t{} chunks\n",
            t.id,
            t.name,
            t.tactics.join(","),
            t.confidence,
            t.chunk_count
        ));
    }
    out.push_str("\n# IoCs\n");
    for s in report.ioc_summaries() {
        out.push_str(&format!(
            "{}\t{}\t{}\n",
            s.kind.as_str(),
            mitremap_engine::ioc::defang(&s.value, s.kind),
            s.count
        ));
    }
    out
}

/// What a key does where it is pressed (see [`App::resolve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUse {
    Command(Command),
    /// Typed into the report (editing).
    Type,
    /// Moves the cursor or the selection in the read-only report.
    Move,
    /// Would change the read-only report: a hint says how to edit.
    ReadOnly,
    Nothing,
}

fn is_movement(code: KeyCode) -> bool {
    matches!(
        code,
        KeyCode::Left
            | KeyCode::Right
            | KeyCode::Up
            | KeyCode::Down
            | KeyCode::Home
            | KeyCode::End
            | KeyCode::PageUp
            | KeyCode::PageDown
    )
}

fn would_edit(key: &KeyEvent) -> bool {
    let ctrl_alt = key
        .modifiers
        .intersects(crossterm::event::KeyModifiers::CONTROL | crossterm::event::KeyModifiers::ALT);
    match key.code {
        KeyCode::Char(_) => !ctrl_alt,
        KeyCode::Backspace | KeyCode::Delete | KeyCode::Enter | KeyCode::Tab => true,
        _ => false,
    }
}

/// A fast fingerprint of the text, to tell "back at the saved text" after undo.
pub fn text_hash(text: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(text)
}
