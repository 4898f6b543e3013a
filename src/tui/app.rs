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

mod analysis;
mod input;
mod navigation;
mod review;
mod text;

pub use input::KeyUse;
pub use text::{line_starts, text_hash};

use super::action::{Action, AnalysisJob, Effect};
use super::changes::{Assoc, Change, ChangeSet};
use super::components::heatmap::ChunkView;
use super::components::results::{ResultsPane, ReviewTarget};
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
const THRESHOLD_STEP: f32 = 0.05;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Editor,
    Results,
    Heatmap,
}

pub use super::components::results::Tab;

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

pub use super::components::status::{Notice, StatusLine};

pub use super::popups::add_technique::{ADD_MATCHES, AddDialog};
pub use super::popups::export::{ExportDialog, ExportRequest};
pub use super::popups::help::Help;
pub use super::popups::note::NoteDialog;
pub use super::popups::recovery::RecoveryOffer;
pub use super::popups::save_as::{SaveAsDialog, SaveRequest};
pub use super::popups::search::Search;
pub use super::popups::start_notes::{StartNote, StartNotes};
pub use super::popups::{Opener, Outcome, Popup, Reply};

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
    /// What to tell the analyst at start: problems (a bad theme or keymap file...) and notes on
    /// how the text was opened; shown in a popup (in the status bar when recovery is offered).
    pub notices: Vec<StartNote>,
    pub recovery: Option<Recovered>,
    pub now: Instant,
}

/// The document a text was extracted from (meaningful while the text is unedited).
pub use crate::document_source::Source as DocumentSource;

pub struct App {
    /// The document the text came from (PDF page, section... of the cursor in the status bar);
    /// meaningful while `revision` is 0: an edit makes the text a plain-text document.
    pub source: Option<DocumentSource>,
    pub editor: Editor,
    pub name: Option<String>,
    /// The file the text belongs to: read from it, or last saved to it.
    pub path: Option<PathBuf>,
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
    /// The last export's format and folder, offered again by the next export.
    last_export: Option<(usize, PathBuf)>,
    /// The format of the export in flight.
    export_format: usize,
    /// The working folder, which relative export and save paths are in (shown in the dialogs).
    pub cwd: Option<PathBuf>,
    pub focus: Focus,
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
    /// The edits from the on-screen report's text to the editor's: IoC highlights and chunk
    /// boundaries follow the words they were found on while the analyst types.
    pub text_changes: ChangeSet,
    /// The editor changed since the report's text was taken.
    pub stale: bool,
    pub techniques: Vec<TechniqueHit>,
    techniques_dirty: bool,
    pub ioc_groups: Vec<(IocKind, Vec<IocSummary>)>,
    /// The results pane: the tab on show and each tab's own state (its selection...).
    pub results: ResultsPane,
    /// Chunk shown in the heatmap (index into `report.chunks`).
    pub current_chunk: Option<ChunkPos>,
    /// The chunk view's own state (its scroll).
    pub chunk_view: ChunkView,
    /// The open popups, bottom to top: the top one has the keys.
    popups: Vec<Box<dyn Popup>>,
    /// Which command opens which popup ([`super::popups::OPENERS`], and any registered since).
    openers: Vec<(Command, Opener)>,
    /// The status bar's message.
    pub status: StatusLine,
    pub keymap: Keymap,
    pub theme: Theme,
    pub job: Option<Job>,
    pub generation: u64,
    /// Duration of the last finished run.
    last_elapsed: Option<Duration>,
    rerun_at: Option<Instant>,
    recovery_at: Option<Instant>,
    pub now: Instant,
    pub size: (u16, u16),
    /// Pane rectangles from the last frame (for the mouse).
    pub areas: std::cell::Cell<Areas>,
    quit: bool,
    /// (chunk index, label) attributions asked for in this run.
    explain_requested: std::collections::HashSet<(usize, usize)>,
    /// The heatmap follows the selected technique's best chunk until the user picks a chunk.
    pub auto_follow: bool,
    /// Quit was pressed once with unsaved text; the next quit leaves.
    quit_armed: bool,
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
        let mut editor = Editor::new(&config.text);
        // A report opens read-only with the results focused; an empty session in the editor.
        let blank = editor.is_blank();
        editor.editing = blank;
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
            revision: 0,
            clean_hash,
            input_lossy: config.lossy,
            report_revision: 0,
            pending_save: None,
            export_note: None,
            last_export: None,
            export_format: 0,
            cwd: std::env::current_dir().ok(),
            focus: if blank { Focus::Editor } else { Focus::Results },
            threshold: config.threshold.unwrap_or(DEFAULT_THRESHOLD),
            threshold_explicit: config.threshold.is_some(),
            model: ModelState::Loading,
            report: None,
            marking: None,
            incoming: None,
            text_changes: ChangeSet::default(),
            stale: true,
            techniques: Vec::new(),
            techniques_dirty: false,
            ioc_groups: Vec::new(),
            results: ResultsPane::default(),
            current_chunk: None,
            chunk_view: ChunkView::default(),
            popups: Vec::new(),
            openers: super::popups::OPENERS.to_vec(),
            status: StatusLine::default(),
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
            app.status.error(problem);
        }
        if !config.notices.is_empty() {
            if config.recovery.is_some() {
                let all: Vec<&str> = config.notices.iter().map(StartNote::text).collect();
                app.status.error(all.join(" · "));
            } else {
                // in full, not squeezed into (and cut off by) the status line
                app.open_popup(Box::new(StartNotes(config.notices)));
            }
        }
        if app.modified {
            app.recovery_at = Some(config.now + RECOVERY_DELAY);
        }
        if let Some(recovered) = config.recovery {
            app.open_popup(Box::new(RecoveryOffer::new(recovered)));
        }
        app
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

    pub fn info(&mut self, s: String) {
        self.status.info(s, self.now);
    }

    pub fn error(&mut self, s: String) {
        self.status.error(s);
    }

    fn tick(&mut self, now: Instant) -> Vec<Effect> {
        self.now = now;
        let mut out = Vec::new();
        self.status.tick(now);
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

    // ---- analysis ----------------------------------------------------------------------

    // ---- input ------------------------------------------------------------------------

    // ---- commands ---------------------------------------------------------------------

    pub fn command(&mut self, cmd: Command) -> Vec<Effect> {
        // a results tab's command (the matrix's toggles back to the techniques)
        if let Some(tab) = Tab::for_command(cmd) {
            let back = tab == self.results.tab && tab.component().toggles_back();
            self.set_tab(if back { Tab::Techniques } else { tab });
            return Vec::new();
        }
        if let Some(&(_, open)) = self.openers.iter().find(|(c, _)| *c == cmd) {
            if let Some(popup) = open(self) {
                self.open_popup(popup);
            }
            return Vec::new();
        }
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
            Command::Run => {
                self.info("analysing".into());
                return self.start_run();
            }
            Command::Cancel => self.cancel_run(),
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
            Command::SearchNext | Command::SearchPrev => {
                if self.editor.search_step(cmd == Command::SearchNext) {
                    self.follow_cursor();
                } else {
                    self.error("no match".into());
                }
            }
            Command::Undo => self.undo_step(false),
            Command::Redo => self.undo_step(true),
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
            Command::NextTab => self.set_tab(self.results.tab.next()),
            Command::ToggleNoise => {
                self.results.iocs.hide_noise = !self.results.iocs.hide_noise;
                self.results.iocs.selected = 0;
                self.info(if self.results.iocs.hide_noise {
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
            // review keys
            Command::Accept => return self.give_verdict(Verdict::Accepted),
            Command::Reject => return self.give_verdict(Verdict::Rejected),
            Command::ResetVerdict => return self.give_verdict(Verdict::Reset),
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
            // popup keys (the popups read them themselves), and the commands that show a tab
            // or open a popup (looked up above): no arm here, so adding a tab or a popup is
            // its module and one line in `results::TABS` or `popups::OPENERS`
            _ => {}
        }
        Vec::new()
    }

    // ---- popups ------------------------------------------------------------------------

    /// Opens `popup` on top of the others.
    pub fn open_popup(&mut self, popup: Box<dyn Popup>) {
        self.popups.push(popup);
    }

    /// Closes the popup on top.
    pub fn close_popup(&mut self) {
        self.popups.pop();
    }

    pub fn close_popups(&mut self) {
        self.popups.clear();
    }

    pub fn has_popup(&self) -> bool {
        !self.popups.is_empty()
    }

    /// The open popups, bottom to top.
    pub fn popups(&self) -> impl Iterator<Item = &dyn Popup> {
        self.popups.iter().map(|p| &**p)
    }

    /// The popup on top, if it is a `T`.
    pub fn popup<T: Popup>(&self) -> Option<&T> {
        let top: &dyn std::any::Any = &**self.popups.last()?;
        top.downcast_ref()
    }

    /// The popup on top, if it is a `T`, to change.
    pub fn popup_mut<T: Popup>(&mut self) -> Option<&mut T> {
        let top: &mut dyn std::any::Any = &mut **self.popups.last_mut()?;
        top.downcast_mut()
    }

    /// Makes `cmd` open a popup (in place of what it did): what a line in `popups::OPENERS`
    /// does, at run time (tests register popups of their own this way).
    #[allow(dead_code)]
    pub fn register_popup(&mut self, cmd: Command, open: Opener) {
        self.openers.retain(|(c, _)| *c != cmd);
        self.openers.push((cmd, open));
    }

    /// Searches the report text for `needle` (the search prompt's confirm) and shows the match.
    pub(crate) fn search(&mut self, needle: String) {
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

    /// The last export's format and folder, offered again by the next export.
    pub(crate) fn last_export(&self) -> Option<(usize, PathBuf)> {
        self.last_export.clone()
    }

    // ---- derived views ----------------------------------------------------------------
}

/// Position in `report.chunks` (sorted by index) of chunk `index`.
pub fn chunk_pos(report: &Report, index: usize) -> Option<ChunkPos> {
    report
        .chunks
        .binary_search_by_key(&index, |c| c.index)
        .ok()
        .map(ChunkPos)
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
