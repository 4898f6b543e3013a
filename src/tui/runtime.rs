//! The thin async event loop: terminal events, worker results, signals and a clock tick go into
//! `App::update`; the effects it returns are performed here; frames are drawn from the state.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossterm::event::Event as TermEvent;
use mitremap_export::{ExportOptions, write_atomic};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::action::{Action, Effect};
use super::app::App;
use super::clipboard::Clipboard;
use super::recovery::Recovery;
use super::terminal::Term;
use super::ui;

const TICK: Duration = Duration::from_millis(100);
/// Frames are drawn at most this often while results stream in.
const FRAME: Duration = Duration::from_millis(33);
/// Most queued actions handled before a frame is drawn.
const BATCH: usize = 4096;

pub struct Runtime {
    pub tx: UnboundedSender<Action>,
    pub recovery: Option<Recovery>,
    pub clipboard: Option<Clipboard>,
    /// Bumped when the recovery file is removed, so a write still in flight doesn't bring it back.
    recovery_epoch: Arc<Mutex<u64>>,
}

pub async fn run(
    mut terminal: Term,
    mut app: App,
    recovery: Option<Recovery>,
    start: impl FnOnce(UnboundedSender<Action>),
) -> anyhow::Result<u8> {
    let (tx, mut rx) = unbounded_channel::<Action>();
    let mut rt = Runtime {
        tx: tx.clone(),
        recovery,
        clipboard: None,
        recovery_epoch: Arc::default(),
    };
    let size = terminal.size()?;
    app.update(Action::Resize(size.width, size.height));
    // First frame before anything slow (model loading happens on a thread).
    if terminal.draw(|f| ui::draw(f, &app)).is_err() {
        return Ok(rt.hang_up(&mut app, &mut terminal));
    }
    start(tx.clone());
    let first = app.start();
    if let Some(code) = rt.perform(first, &mut terminal) {
        return Ok(app.stop_work(code));
    }

    let mut events = spawn_input()?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut tick = tokio::time::interval(TICK);
    let mut last_frame = Instant::now();
    loop {
        let action = tokio::select! {
            ev = events.recv() => match term_action(ev) {
                Some(action) => action,
                None => continue,
            },
            Some(a) = rx.recv() => a,
            _ = tick.tick() => Action::Tick(Instant::now()),
            _ = sigterm.recv() => Action::Signal(15),
            _ = sighup.recv() => Action::Signal(1),
            _ = sigint.recv() => Action::Signal(2),
        };
        let streaming = matches!(action, Action::Analysis { .. });
        app.now = Instant::now();
        let effects = app.update(action);
        if let Some(code) = rt.perform(effects, &mut terminal) {
            return Ok(app.stop_work(code));
        }
        // Drain every input event already read (a burst of typed-ahead text or a paste without
        // bracketed paste arrives as thousands of key events) before drawing: one frame per
        // burst, not one per key.
        for _ in 0..BATCH {
            let ev = match events.try_recv() {
                Ok(ev) => Some(ev),
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => None,
            };
            let Some(a) = term_action(ev) else { continue };
            app.now = Instant::now();
            let effects = app.update(a);
            if let Some(code) = rt.perform(effects, &mut terminal) {
                return Ok(app.stop_work(code));
            }
        }
        // Drain what queued up (a burst of chunk events) before drawing.
        for _ in 0..BATCH {
            let Ok(a) = rx.try_recv() else { break };
            app.now = Instant::now();
            let effects = app.update(a);
            if let Some(code) = rt.perform(effects, &mut terminal) {
                return Ok(app.stop_work(code));
            }
        }
        if !streaming || last_frame.elapsed() >= FRAME {
            let effects = app.update(Action::Tick(Instant::now()));
            if let Some(code) = rt.perform(effects, &mut terminal) {
                return Ok(app.stop_work(code));
            }
            // A draw that fails is a terminal that went away (EIO after an SSH drop): leave as
            // on SIGHUP, text in the recovery file, whichever of the two is noticed first.
            if terminal.draw(|f| ui::draw(f, &app)).is_err() {
                return Ok(rt.hang_up(&mut app, &mut terminal));
            }
            last_frame = Instant::now();
        }
    }
}

/// Terminal input, read on its own thread with crossterm's blocking reader and sent over a
/// channel, so the loop can take every event already read before it draws.
///
/// crossterm is built with `use-dev-tty`: its default (mio) reader reads the terminal 1,024 bytes
/// at a time and waits on an edge-triggered poll, so the rest of a longer burst (a paste without
/// bracketed paste, key repeat) stayed unread until the next key arrived; the `/dev/tty` reader
/// polls level-triggered and reads it all.
fn spawn_input() -> std::io::Result<UnboundedReceiver<std::io::Result<TermEvent>>> {
    let (tx, rx) = unbounded_channel();
    std::thread::Builder::new()
        .name("mitremap-input".into())
        .spawn(move || {
            loop {
                let event = crossterm::event::read();
                let failed = event.is_err();
                if tx.send(event).is_err() || failed {
                    break;
                }
            }
        })?;
    Ok(rx)
}

/// The action for a terminal event; `None` for events the app ignores. A read error or the input
/// thread gone (`ev` is `None`) means the terminal went away (SSH dropped): like SIGHUP.
fn term_action(ev: Option<std::io::Result<TermEvent>>) -> Option<Action> {
    match ev {
        Some(Ok(ev)) => match ev {
            TermEvent::Key(k) => Some(Action::Key(k)),
            TermEvent::Mouse(m) => Some(Action::Mouse(m)),
            TermEvent::Paste(s) => Some(Action::Paste(s)),
            TermEvent::Resize(w, h) => Some(Action::Resize(w, h)),
            _ => None,
        },
        Some(Err(_)) | None => Some(Action::Signal(1)),
    }
}

impl Runtime {
    /// The terminal is gone: what SIGHUP does (recovery file written before leaving).
    fn hang_up(&mut self, app: &mut App, terminal: &mut Term) -> u8 {
        let effects = app.update(Action::Signal(1));
        let code = self.perform(effects, terminal).unwrap_or(129);
        app.stop_work(code)
    }

    /// Performs effects; returns an exit code when one asks to leave.
    fn perform(&mut self, effects: Vec<Effect>, terminal: &mut Term) -> Option<u8> {
        let exiting = effects.iter().any(|e| matches!(e, Effect::Exit(_)));
        for effect in effects {
            match effect {
                Effect::Analyze(job) => super::worker::spawn_analysis(job, self.tx.clone()),
                Effect::Explain(job) => super::worker::spawn_explain(job, self.tx.clone()),
                Effect::Copy { text, what } => {
                    let clipboard = self.clipboard.get_or_insert_with(Clipboard::new);
                    let result = clipboard.copy(&text, terminal.backend_mut());
                    let _ = self.tx.send(Action::Notice(result.map(|how| {
                        format!("copied {what} ({} chars) to {how}", text.chars().count())
                    })));
                }
                Effect::ReadClipboard => {
                    // X11 round trips (or a dead forwarded display) must not stall a frame.
                    let tx = self.tx.clone();
                    std::thread::spawn(move || {
                        let _ = tx.send(Action::ClipboardText(Clipboard::new().read()));
                    });
                }
                Effect::Export {
                    format,
                    path,
                    overwrite,
                    report,
                    source,
                } => {
                    let tx = self.tx.clone();
                    std::thread::spawn(move || {
                        let _ = tx.send(Action::ExportDone(export(
                            format, &path, overwrite, &report, source,
                        )));
                    });
                }
                Effect::Save {
                    path,
                    text,
                    overwrite,
                    revision,
                } => {
                    let tx = self.tx.clone();
                    std::thread::spawn(move || {
                        let result = save_text(&path, &text, overwrite);
                        let _ = tx.send(Action::Saved {
                            path,
                            revision,
                            result,
                        });
                    });
                }
                Effect::SaveReview { path, file } => {
                    // On this thread, small and at once: a verdict is on disk before the next
                    // key (and before a quit).
                    let _ = self.tx.send(Action::ReviewSaved(save_review(&path, *file)));
                }
                Effect::WriteRecovery { text, original } => {
                    // fsync of a big text must not stall a frame: write on a thread, except
                    // when leaving (the process is about to exit).
                    if let Some(r) = self.recovery.clone() {
                        let tx = self.tx.clone();
                        let epoch = self.recovery_epoch.clone();
                        let at = *lock(&epoch);
                        let write = move || {
                            let current = lock(&epoch);
                            if *current != at {
                                return; // removed meanwhile (clean quit)
                            }
                            if let Err(e) = r.write_for(&text, original.as_deref()) {
                                let _ = tx.send(Action::Notice(Err(format!(
                                    "cannot save the recovery file {}: {e}",
                                    r.path.display()
                                ))));
                            }
                        };
                        if exiting {
                            write();
                        } else {
                            std::thread::spawn(write);
                        }
                    }
                }
                Effect::RemoveRecovery(path) => match (path, &self.recovery) {
                    (Some(p), _) => super::recovery::remove_recovery_file(&p),
                    (None, Some(r)) => {
                        let mut epoch = lock(&self.recovery_epoch);
                        *epoch += 1;
                        r.remove();
                    }
                    (None, None) => {}
                },
                Effect::Exit(code) => return Some(code),
            }
        }
        None
    }
}

fn lock(m: &Mutex<u64>) -> std::sync::MutexGuard<'_, u64> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Renders and writes an export atomically (also used by tests). `source`: the document the
/// report's text came from; every format names its pages or sections, as `mitremap analyze` does.
pub fn export(
    format: mitremap_export::Format,
    path: &std::path::Path,
    overwrite: bool,
    report: &mitremap_engine::analysis::Report,
    source: Option<Arc<crate::document_source::Source>>,
) -> Result<std::path::PathBuf, String> {
    // The marking written in the text goes with the export (as in `mitremap analyze`).
    let options = ExportOptions {
        tlp: mitremap_export::marking_in_text(report),
        ..ExportOptions::default()
    };
    let bytes = crate::document_source::render(format, report, &options, source.as_deref())
        .map_err(|e| e.to_string())?;
    write_atomic(path, &bytes, overwrite).map_err(|e| e.to_string())?;
    Ok(path.to_path_buf())
}

/// Saves a review: atomic, under the review file's lock, merged with what another instance
/// saved meanwhile; returns what was written (also used by tests).
pub fn save_review(
    path: &std::path::Path,
    mut file: mitremap_review::ReviewFile,
) -> Result<mitremap_review::ReviewFile, String> {
    file.save(path).map_err(|e| e.to_string())?;
    Ok(file)
}

/// Saves the report text itself with the exports' atomic write (temporary file in the same
/// folder, fsync, rename; an existing file keeps its mode; refused without `overwrite`).
pub fn save_text(path: &std::path::Path, text: &str, overwrite: bool) -> Result<(), String> {
    write_atomic(path, text.as_bytes(), overwrite).map_err(|e| e.to_string())
}
