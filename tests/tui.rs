//! Terminal UI tests without a terminal: snapshots of every pane and popup (ratatui `TestBackend`,
//! two sizes, the fixture model so they are deterministic), the app's state machine driven with an
//! injected clock, and terminal safety of the rendered buffer against hostile report text.

#![allow(dead_code, unused_imports)]

use mitremap::{cli, tui};

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mitremap_engine::model::{Classifier, ModelOptions};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use tui::action::{Action, Effect};
use tui::app::{
    AddDialog, App, AppConfig, ExportDialog, Focus, Help, Recovered, RecoveryOffer, SaveAsDialog,
    StartNote, StartNotes, Tab,
};
use tui::keymap::{Command, Keymap};
use tui::theme::Theme;

const REPORT: &str = "APT29 used PowerShell to download a second-stage payload from 203.0.113.7. The actor dumped LSASS memory with Mimikatz to harvest credentials.
Spearphishing emails carried a malicious attachment named invoice.docm. The payload beaconed to hxxp://evil[.]example[.]com/gate.php over HTTPS.
Files were encrypted with AES and a ransom note was left; sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 matched CVE-2021-44228 exploitation.
Persistence was set in HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run. Internal host 10.0.0.5 was used for staging.
";

const SIZES: [(u16, u16); 2] = [(120, 40), (80, 24)];

fn model() -> Arc<Classifier> {
    static MODEL: OnceLock<Arc<Classifier>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny-gpt2");
            let options = ModelOptions {
                intra_threads: Some(1),
                ..ModelOptions::default()
            };
            Arc::new(Classifier::load(&dir, &options).expect("fixture model loads"))
        })
        .clone()
}

fn t0() -> Instant {
    static T0: OnceLock<Instant> = OnceLock::new();
    *T0.get_or_init(Instant::now)
}

fn new_app(text: &str) -> App {
    app_with_notices(text, Vec::new())
}

/// `new_app` with what is told at start (problems, notes about how the text was opened).
fn app_with_notices(text: &str, notices: Vec<StartNote>) -> App {
    App::new(AppConfig {
        text: text.to_owned(),
        name: Some("report.txt".into()),
        path: None,
        lossy: false,
        unsaved: false,
        threshold: None,
        keymap: Keymap::defaults(),
        theme: Theme::default_theme(),
        notices,
        recovery: None,
        now: t0(),
    })
}

/// Performs effects synchronously, feeding results back; returns the effects it does not perform.
fn drive(app: &mut App, effects: Vec<Effect>) -> Vec<Effect> {
    let mut rest = Vec::new();
    for effect in effects {
        match effect {
            Effect::Analyze(job) => {
                let mut events = Vec::new();
                tui::worker::run_analysis(&job, &mut |e| events.push(e));
                for event in events {
                    let more = app.update(Action::Analysis {
                        generation: job.generation,
                        event,
                    });
                    rest.extend(drive(app, more));
                }
            }
            Effect::Explain(job) => {
                let result = tui::worker::explain(&job);
                let more = app.update(Action::Explained {
                    generation: job.generation,
                    chunk: job.chunk,
                    result,
                });
                rest.extend(drive(app, more));
            }
            Effect::Save {
                path,
                text,
                overwrite,
                revision,
            } => {
                let result = tui::runtime::save_text(&path, &text, overwrite);
                let more = app.update(Action::Saved {
                    path,
                    revision,
                    result,
                });
                rest.extend(drive(app, more));
            }
            Effect::Export {
                format,
                path,
                overwrite,
                report,
                source,
            } => {
                let result = tui::runtime::export(format, &path, overwrite, &report, source);
                let more = app.update(Action::ExportDone(result));
                rest.extend(drive(app, more));
            }
            Effect::SaveReview { path, file } => {
                let result = tui::runtime::save_review(&path, *file);
                let more = app.update(Action::ReviewSaved(result));
                rest.extend(drive(app, more));
            }
            other => rest.push(other),
        }
    }
    rest
}

fn act(app: &mut App, action: Action) -> Vec<Effect> {
    let effects = app.update(action);
    drive(app, effects)
}

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// An app with the fixture model and REPORT fully analysed.
fn analysed(text: &str) -> App {
    let mut app = new_app(text);
    let first = app.start();
    drive(&mut app, first);
    act(&mut app, Action::ModelLoaded(Ok(model())));
    act(&mut app, Action::Tick(t0() + Duration::from_millis(1500)));
    app
}

fn render(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| tui::ui::draw(f, app)).unwrap();
    terminal
}

fn snap(name: &str, app: &App) {
    for (w, h) in SIZES {
        let terminal = render(app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
    }
}

// ---- snapshots ---------------------------------------------------------------------------

#[test]
fn snapshot_main_view_techniques() {
    let mut app = analysed(REPORT);
    act(&mut app, Action::Command(Command::TabTechniques));
    snap("techniques", &app);
}

#[test]
fn snapshot_editor_focused_with_cursor_in_a_chunk() {
    let mut app = analysed(REPORT);
    app.focus = Focus::Editor;
    act(&mut app, key(KeyCode::Down));
    snap("editor", &app);
}

#[test]
fn snapshot_iocs_tab() {
    let mut app = analysed(REPORT);
    act(&mut app, Action::Command(Command::TabIocs));
    act(&mut app, Action::Command(Command::Down));
    snap("iocs", &app);
    act(&mut app, Action::Command(Command::ToggleNoise));
    snap("iocs_noise_hidden", &app);
}

#[test]
fn snapshot_chunks_tab() {
    let mut app = analysed(REPORT);
    act(&mut app, Action::Command(Command::TabChunks));
    act(&mut app, Action::Command(Command::Down));
    snap("chunks", &app);
}

#[test]
fn snapshot_matrix_view() {
    let mut app = analysed(REPORT);
    app.set_threshold(0.2);
    act(&mut app, Action::Command(Command::Matrix));
    snap("matrix", &app);
}

#[test]
fn snapshot_heatmap_focused() {
    let mut app = analysed(REPORT);
    assert_eq!(
        app.focus,
        Focus::Results,
        "a report opens with the results focused"
    );
    act(&mut app, Action::Command(Command::FocusNext));
    assert_eq!(app.focus, Focus::Heatmap);
    snap("heatmap", &app);
}

#[test]
fn snapshot_help_popup() {
    let mut app = analysed(REPORT);
    act(&mut app, Action::Command(Command::Help));
    snap("help", &app);
}

#[test]
fn snapshot_export_dialog_and_overwrite_confirmation() {
    let mut app = analysed(REPORT);
    // a relative path says which folder it is in (not the unseen current folder)
    app.cwd = Some(PathBuf::from("/home/analyst/cases"));
    act(&mut app, Action::Command(Command::Export));
    act(&mut app, key(KeyCode::Down));
    snap("export", &app);
    // Cargo.toml exists in the package root (the tests' working directory): asks first.
    act(&mut app, ctrl('u'));
    act(&mut app, Action::Paste("Cargo.toml".into()));
    act(&mut app, key(KeyCode::Enter));
    assert!(app.popup::<ExportDialog>().is_some_and(|d| d.confirm));
    snap("export_confirm", &app);
    let effects = act(&mut app, key(KeyCode::Char('n')));
    assert!(effects.is_empty(), "declining writes nothing");
}

#[test]
fn snapshot_search_popup() {
    let mut app = analysed(REPORT);
    act(&mut app, Action::Command(Command::Search));
    act(&mut app, Action::Paste("mimikatz".into()));
    snap("search", &app);
    act(&mut app, key(KeyCode::Enter));
    assert_eq!(app.editor.cursor(), (0, 110));
}

#[test]
fn snapshot_recovery_offer() {
    let mut app = new_app("");
    app.open_popup(Box::new(RecoveryOffer::new(Recovered {
        path: PathBuf::from("/home/analyst/.local/state/mitremap/recovery-4242.txt"),
        text: "Unsaved notes: APT29 used PowerShell.\nSecond line.".into(),
        age: "3 min ago".into(),
        original: None,
    })));
    snap("recovery", &app);
}

#[test]
fn snapshot_streaming_first_chunk_only() {
    let mut app = new_app(REPORT);
    app.update(Action::ModelLoaded(Ok(model())));
    let effects = app.start();
    let Some(Effect::Analyze(job)) = effects.into_iter().next() else {
        panic!("expected a run")
    };
    let mut events = Vec::new();
    tui::worker::run_analysis(&job, &mut |e| events.push(e));
    // Started, Iocs, the first chunk and its progress: the rest is still "running".
    for event in events.into_iter().take(5) {
        app.update(Action::Analysis {
            generation: job.generation,
            event,
        });
    }
    app.update(Action::Tick(t0() + Duration::from_millis(700)));
    assert!(app.is_running());
    snap("streaming", &app);
}

#[test]
fn snapshot_without_model_iocs_still_work() {
    let mut app = new_app(REPORT);
    let first = app.start();
    drive(&mut app, first);
    act(
        &mut app,
        Action::ModelLoaded(Err(
            "models/default: model.onnx is missing; reinstall the model".into(),
        )),
    );
    assert!(app.model_unavailable());
    assert!(!app.ioc_groups.is_empty(), "IoCs work without a model");
    snap("no_model", &app);
}

#[test]
fn snapshot_empty_editor_and_too_small() {
    let app = new_app("");
    snap("empty", &app);
    let terminal = render(&app, 40, 10);
    insta::assert_snapshot!("too_small_40x10", terminal.backend());
}

// ---- state machine -----------------------------------------------------------------------

#[test]
fn run_streams_into_one_report() {
    let app = analysed(REPORT);
    let report = app.report.as_ref().unwrap();
    assert!(report.is_done());
    assert_eq!(report.chunks.len(), 3);
    assert!(!app.techniques.is_empty());
    assert!(app.ioc_groups.iter().any(|(k, _)| k.as_str() == "cve"));
    assert!(!app.is_running());
}

#[test]
fn cancel_stops_the_running_analysis() {
    let mut app = new_app(REPORT);
    app.update(Action::ModelLoaded(Ok(model())));
    let effects = app.start();
    let Some(Effect::Analyze(job)) = effects.into_iter().next() else {
        panic!("expected a run")
    };
    assert!(app.is_running());
    act(&mut app, Action::Command(Command::Cancel));
    assert!(job.cancel.is_cancelled());
    assert!(!app.is_running());
    assert!(app.report.as_ref().unwrap().cancelled);
}

#[test]
fn editing_cancels_and_reruns_after_the_debounce() {
    let mut app = new_app(REPORT);
    app.update(Action::ModelLoaded(Ok(model())));
    let Some(Effect::Analyze(first)) = app.start().into_iter().next() else {
        panic!("expected a run")
    };
    let generation = app.generation;
    app.update(Action::Command(Command::Edit));
    let edit_at = t0() + Duration::from_secs(5);
    app.update(Action::Tick(edit_at));
    assert!(app.update(key(KeyCode::Char('x'))).is_empty());
    assert!(first.cancel.is_cancelled(), "the edit cancels the run");
    assert!(app.stale);
    // typing again 300 ms later pushes the re-run back
    app.update(Action::Tick(edit_at + Duration::from_millis(300)));
    app.update(key(KeyCode::Char('y')));
    let quiet = app.update(Action::Tick(edit_at + Duration::from_millis(650)));
    assert!(!quiet.iter().any(|e| matches!(e, Effect::Analyze(_))));
    let due = app.update(Action::Tick(edit_at + Duration::from_millis(701)));
    let job = due
        .into_iter()
        .find_map(|e| match e {
            Effect::Analyze(j) => Some(j),
            _ => None,
        })
        .expect("re-run after the pause");
    assert_eq!(job.generation, generation + 1);
    assert!(job.document.text().starts_with("xyAPT29"));
    // events of the cancelled run are ignored
    app.update(Action::Analysis {
        generation,
        event: mitremap_engine::analysis::Event::Cancelled,
    });
    assert!(app.is_running());
    drive(&mut app, vec![Effect::Analyze(job)]);
    assert!(!app.is_running() && !app.stale);
}

#[test]
fn attributions_are_computed_on_demand() {
    let text = REPORT.repeat(20);
    let mut app = analysed(&text);
    let report = app.report.as_ref().unwrap();
    assert!(report.chunks.len() > 20);
    assert!(
        report.explanations.len() <= 1,
        "not explained during the run"
    );
    // showing another chunk in the heatmap asks for its attributions
    act(&mut app, Action::Command(Command::TabChunks));
    act(&mut app, Action::Command(Command::Down));
    act(&mut app, Action::Command(Command::Down));
    let index = app
        .report
        .as_ref()
        .unwrap()
        .chunks
        .get(app.current_chunk.unwrap().0)
        .unwrap()
        .index;
    let explained = |app: &App| {
        app.report
            .as_ref()
            .unwrap()
            .explanations
            .get(&index)
            .is_some_and(|v| !v.is_empty())
    };
    assert!(!explained(&app));
    let effects = app.update(Action::Tick(t0() + Duration::from_secs(3)));
    assert!(effects.iter().any(|e| matches!(e, Effect::Explain(_))));
    drive(&mut app, effects);
    assert!(explained(&app));
    // asked once only
    let again = app.update(Action::Tick(t0() + Duration::from_secs(4)));
    assert!(!again.iter().any(|e| matches!(e, Effect::Explain(_))));
}

#[test]
fn recovery_save_follows_edits() {
    let mut app = analysed(REPORT);
    app.update(Action::Command(Command::Edit));
    let at = t0() + Duration::from_secs(10);
    app.update(Action::Tick(at));
    app.update(key(KeyCode::Char('z')));
    let effects = app.update(Action::Tick(at + Duration::from_millis(1001)));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::WriteRecovery { text, .. } if text.starts_with("zAPT29")))
    );
    // SIGHUP: save again and leave with 128+1
    let effects = app.update(Action::Signal(1));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::WriteRecovery { .. }))
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::Exit(129))));
}

#[test]
fn quitting_with_unsaved_text_asks_once() {
    let mut app = analysed(REPORT);
    assert_eq!(
        app.update(ctrl('q'))
            .iter()
            .filter(|e| matches!(e, Effect::Exit(0)))
            .count(),
        1,
        "text from a file quits at once"
    );
    let mut app = analysed(REPORT);
    app.update(Action::Command(Command::Edit));
    app.update(Action::Paste("pasted notes".into()));
    assert!(app.update(ctrl('q')).is_empty(), "first quit only warns");
    app.update(key(KeyCode::Right));
    assert!(app.update(ctrl('q')).is_empty(), "another key disarms");
    let effects = app.update(ctrl('q'));
    assert!(effects.iter().any(|e| matches!(e, Effect::Exit(0))));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::RemoveRecovery(None)))
    );
}

#[test]
fn mouse_focuses_selects_and_scrolls() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = analysed(REPORT);
    app.set_threshold(0.2);
    act(&mut app, Action::Command(Command::TabTechniques));
    app.focus = Focus::Editor;
    render(&app, 120, 40); // records where the panes are
    let areas = app.areas.get();
    let click = |column, row| {
        Action::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    act(&mut app, click(areas.results.x + 3, areas.list_top + 2));
    assert_eq!(app.focus, Focus::Results);
    assert_eq!(app.results.techniques.selected, 2);
    // a click in the text moves the cursor there
    let r = app.editor.rect.get();
    act(&mut app, click(r.x + 4, r.y + 1));
    assert_eq!(app.focus, Focus::Editor);
    assert_eq!(app.editor.cursor().0, 0);
    assert!(app.editor.cursor().1 > 4, "second wrapped row of line 1");
    act(
        &mut app,
        Action::Mouse(MouseEvent {
            kind: MouseEventKind::ScrollDown,
            column: r.x + 1,
            row: r.y + 1,
            modifiers: KeyModifiers::NONE,
        }),
    );
    assert_eq!(app.editor.cursor().0, 3);
}

#[test]
fn threshold_changes_refilter_live() {
    let mut app = analysed(REPORT);
    let at_default = app.techniques.len();
    act(&mut app, Action::Command(Command::TabTechniques));
    for _ in 0..8 {
        act(&mut app, key(KeyCode::Char('-')));
    }
    assert!((app.threshold - 0.2).abs() < 1e-6);
    assert!(app.techniques.len() > at_default);
    // listed: a chunk at the threshold, or evidence at it with a chunk at half of it
    let listed = |t: &mitremap_engine::analysis::TechniqueHit, thr: f32| {
        t.confidence >= thr || (t.evidence_only && t.evidence >= thr && t.confidence >= thr / 2.0)
    };
    assert!(app.techniques.iter().all(|t| listed(t, 0.2)));
    let at_low = app.techniques.len();
    act(&mut app, Action::Command(Command::ThresholdUp));
    assert!((app.threshold - 0.25).abs() < 1e-6);
    app.set_threshold(0.99);
    assert!(app.techniques.len() < at_low);
    assert!(app.techniques.iter().all(|t| listed(t, 0.99)));
}

#[test]
fn export_writes_the_file_atomically_and_confirms_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    let mut app = analysed(REPORT);
    act(&mut app, Action::Command(Command::Export));
    act(&mut app, ctrl('u'));
    act(&mut app, Action::Paste(path.display().to_string()));
    act(&mut app, key(KeyCode::Enter));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("export written")).unwrap();
    assert_eq!(json["schema"], "mitremap-report");
    assert_eq!(
        json["techniques"].as_array().unwrap().len(),
        app.techniques.len()
    );
    // again: asks, then overwrites on y
    std::fs::write(&path, "old").unwrap();
    act(&mut app, Action::Command(Command::Export));
    act(&mut app, ctrl('u'));
    act(&mut app, Action::Paste(path.display().to_string()));
    act(&mut app, key(KeyCode::Enter));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
    act(&mut app, key(KeyCode::Char('y')));
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("mitremap-report")
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temp files left");
}

#[test]
fn recovery_file_is_private_atomic_and_offered_back() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("mitremap");
    let r = tui::recovery::Recovery::new(state.clone());
    r.write("secret report text").unwrap();
    let meta = std::fs::metadata(&r.path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(
        std::fs::metadata(&state).unwrap().permissions().mode() & 0o777,
        0o700
    );
    // a file left by a session that is gone (no such pid) is offered back
    let stale = state.join("recovery-999999999.txt");
    std::fs::rename(&r.path, &stale).unwrap();
    let recovered = r.find_previous().expect("offered back");
    assert_eq!(
        (recovered.path.clone(), recovered.text.as_str()),
        (stale.clone(), "secret report text")
    );
    // accepting restores the text and removes the file
    let mut app = new_app("");
    app.open_popup(Box::new(RecoveryOffer::new(recovered)));
    let effects = app.update(key(KeyCode::Enter));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::RemoveRecovery(Some(p)) if *p == stale))
    );
    assert_eq!(app.editor.text(), "secret report text");
}

#[test]
fn panic_report_is_written_privately_to_the_state_folder() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("mitremap");
    let path = tui::recovery::write_panic_report(&state, "panicked at src/tui/app.rs: boom")
        .expect("report written");
    assert!(path.starts_with(&state));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("boom") && text.contains("backtrace"));
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn no_color_keeps_highlights_as_modifiers() {
    use ratatui::style::{Color, Modifier};
    use tui::theme::Role;
    let t = Theme::default_theme().without_colors();
    for role in Role::ALL {
        let s = t.style(*role);
        assert!(
            matches!(s.fg, None | Some(Color::Reset)) && matches!(s.bg, None | Some(Color::Reset)),
            "{} keeps a colour",
            role.name()
        );
    }
    assert!(
        t.style(Role::selected)
            .add_modifier
            .contains(Modifier::REVERSED)
    );
    assert!(
        t.style(Role::heat_pos2)
            .add_modifier
            .contains(Modifier::BOLD)
    );
    assert_ne!(t.style(Role::heat_pos2), t.style(Role::heat_neg2));
}

#[test]
fn bad_theme_and_keymap_files_name_the_file_and_fall_back() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("keymap.toml"),
        "[panes]\nquit = [\"ctrl-nope\"]\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("themes")).unwrap();
    std::fs::write(
        dir.path().join("themes/mine.toml"),
        "[styles]\nbase = { fg = \"plaid\" }\n",
    )
    .unwrap();
    let (_, keymap, notices) = tui::load_look(Some("mine"), Some(dir.path()));
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices[0].contains("mine.toml") && notices[0].contains("plaid"));
    assert!(notices[1].contains("keymap.toml"));
    assert_eq!(
        keymap.lookup(
            tui::keymap::Context::Panes,
            tui::keymap::Key::parse("q").unwrap()
        ),
        Some(Command::Quit)
    );
    for name in ["dark", "light", "high-contrast", "colorblind"] {
        assert!(tui::theme::Theme::load(name, None).is_ok());
    }
}

// ---- terminal safety ---------------------------------------------------------------------

#[test]
fn hostile_report_text_never_reaches_the_buffer_raw() {
    let corpus = [
        "clipboard write \x1b]52;c;ZWNobyBwd25lZA==\x07 done.",
        "title set \x1b]0;you have been pwned\x07 and \x1b]2;again\x1b\\ too.",
        "cursor moves \x1b[2J\x1b[H\x1b[10;10H\x1b[6n over there.",
        "hyperlink \x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ here.",
        "C1 CSI \u{9b}31m red \u{9b}2J and \u{9d}0;t\u{9c} with DCS \x1bP+q\x1b\\.",
        "bidi \u{202e}cod.exe\u{202c} and \u{2066}isolate\u{2069} and \u{200f}mark.",
        "bell \x07 backspace \x08 del \x7f nul \0 vt \x0b ff \x0c cr \r end.",
        "url http://evil.example/\x1b]52;c;AAAA\x07/path used by APT29 to run PowerShell.",
    ]
    .join("\n");
    let mut app = analysed(&corpus);
    let mut screens = Vec::new();
    for tab in [
        Command::TabTechniques,
        Command::TabIocs,
        Command::TabChunks,
        Command::Matrix,
    ] {
        act(&mut app, Action::Command(tab));
        screens.push(render(&app, 120, 40));
        screens.push(render(&app, 80, 24));
    }
    app.focus = Focus::Heatmap;
    for _ in 0..3 {
        act(&mut app, Action::Command(Command::NextChunk));
        screens.push(render(&app, 120, 40));
    }
    act(&mut app, Action::Command(Command::Search));
    act(&mut app, Action::Paste("\x1b]0;x\x07 \u{202e}".into()));
    screens.push(render(&app, 120, 40));
    app.close_popups();
    act(&mut app, Action::Command(Command::Export));
    act(&mut app, Action::Paste("out\x1b[2J\u{9b}.json".into()));
    screens.push(render(&app, 120, 40));
    app.close_popups();
    app.error("error quoting \x1b]52;c;AAAA\x07 input \u{202e}".into());
    screens.push(render(&app, 120, 40));
    for terminal in &screens {
        for cell in terminal.backend().buffer().content() {
            for c in cell.symbol().chars() {
                assert!(
                    !mitremap_engine::text::sanitize::is_unsafe_char(c, false),
                    "unsafe char U+{:04X} in the rendered buffer:\n{}",
                    c as u32,
                    terminal.backend()
                );
            }
        }
    }
    // and the stand-ins are visible
    let all: String = screens.iter().map(|t| t.backend().to_string()).collect();
    assert!(all.contains('␛'), "ESC shown as ␛");
    assert!(all.contains("⟨U+202E⟩"), "bidi override shown visibly");
}

// ---- timings (run with --ignored --nocapture; not a pass/fail test) ----------------------

#[test]
#[ignore = "timing report, run explicitly"]
fn timings_big_report() {
    let big = REPORT.repeat(5_000_000 / REPORT.len());
    let t = Instant::now();
    let mut app = new_app(&big);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| tui::ui::draw(f, &app)).unwrap();
    eprintln!("start to first frame (5 MB text): {:?}", t.elapsed());
    let t = Instant::now();
    let _ = app.start();
    eprintln!("starting the first run (document, hash): {:?}", t.elapsed());
    app.update(Action::Command(Command::Edit));
    for i in 0..5 {
        let t = Instant::now();
        app.update(key(KeyCode::Char('x')));
        let upd = t.elapsed();
        let t = Instant::now();
        terminal.draw(|f| tui::ui::draw(f, &app)).unwrap();
        eprintln!("keystroke {i}: update {upd:?}, frame {:?}", t.elapsed());
    }
    let t = Instant::now();
    let text = app.editor.text();
    eprintln!("join text: {:?} ({} bytes)", t.elapsed(), text.len());
    let t = Instant::now();
    let effects = app.update(Action::Tick(t0() + Duration::from_secs(30)));
    eprintln!("debounced re-run start: {:?}", t.elapsed());
    drop(effects);

    // frames while results stream in: 3000 chunks of the 5 MB report applied, then a frame
    app.update(Action::ModelLoaded(Ok(model())));
    let Some(Effect::Analyze(job)) = app.update(Action::Command(Command::Run)).into_iter().next()
    else {
        panic!("expected a run")
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = job.clone();
    std::thread::spawn(move || {
        tui::worker::run_analysis(&worker, &mut |e| {
            let _ = tx.send(e);
        })
    });
    let mut worst = Duration::ZERO;
    let mut n = 0;
    for event in rx.iter() {
        app.update(Action::Analysis {
            generation: job.generation,
            event,
        });
        n += 1;
        if n % 250 == 0 {
            let t = Instant::now();
            app.update(Action::Tick(t0() + Duration::from_secs(40)));
            terminal.draw(|f| tui::ui::draw(f, &app)).unwrap();
            worst = worst.max(t.elapsed());
        }
        if n >= 6000 {
            job.cancel.cancel();
            break;
        }
    }
    eprintln!(
        "worst frame (refresh + draw) while {} chunks streamed in: {worst:?}",
        app.chunk_count()
    );
}

/// A jump (search, Enter on a result) clears the selection: a stale anchor used to stretch to
/// the target, and the next typed key replaced everything in between.
#[test]
fn a_jump_clears_the_selection_so_the_next_key_replaces_nothing() {
    let mut app = analysed(REPORT);
    app.focus = Focus::Editor;
    app.editor.jump(0, 0);
    for _ in 0..3 {
        act(
            &mut app,
            Action::Key(KeyEvent::new(KeyCode::Right, KeyModifiers::SHIFT)),
        );
    }
    assert!(app.editor.area.is_selecting(), "shift+right selects");
    act(&mut app, Action::Command(Command::Search));
    act(&mut app, Action::Paste("mimikatz".into()));
    act(&mut app, key(KeyCode::Enter));
    assert!(
        !app.editor.area.is_selecting(),
        "search jump kept the selection"
    );
    app.update(Action::Command(Command::Edit));
    let before = app.editor.text().len();
    act(&mut app, key(KeyCode::Char('x')));
    assert_eq!(
        app.editor.text().len(),
        before + 1,
        "a typed key replaced text"
    );

    // Enter on a technique jumps to its chunk: same rule.
    let mut app = analysed(REPORT);
    app.focus = Focus::Editor;
    app.editor.jump(0, 0);
    act(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::Right, KeyModifiers::SHIFT)),
    );
    assert!(app.editor.area.is_selecting());
    app.focus = Focus::Results;
    app.results.tab = Tab::Iocs;
    act(&mut app, key(KeyCode::Enter));
    assert_eq!(app.focus, Focus::Editor, "Enter on an IoC jumps to it");
    assert!(
        !app.editor.area.is_selecting(),
        "activate jump kept the selection"
    );
}

/// In a container every start can get the same PID: two sessions must never share a recovery
/// file, and a live session's file is never offered to another one.
#[test]
fn sessions_with_the_same_pid_keep_separate_recovery_files() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("mitremap");
    let first = tui::recovery::Recovery::new(state.clone());
    let second = tui::recovery::Recovery::new(state.clone());
    assert_ne!(first.path, second.path, "same PID, same file");
    first.write("first session's unsaved report").unwrap();
    second.write("second session's text").unwrap();
    assert_eq!(
        std::fs::read_to_string(&first.path).unwrap(),
        "first session's unsaved report"
    );
    // The first session is still running: its file is not offered to a third one.
    let third = tui::recovery::Recovery::new(state.clone());
    assert!(
        third.find_previous().is_none(),
        "a live session's file was offered"
    );
    // Once it has ended, it is.
    let first_path = first.path.clone();
    drop(first);
    let recovered = third
        .find_previous()
        .expect("offered back after the session ended");
    assert_eq!(recovered.path, first_path);
    assert_eq!(recovered.text, "first session's unsaved report");
}

/// Copied IoCs are defanged by default (a live URL pasted into a ticket is a hazard); the
/// copy_fanged key copies them as written.
#[test]
fn copied_iocs_are_defanged_unless_asked_for_live() {
    let mut app = analysed(REPORT);
    app.focus = Focus::Results;
    app.results.tab = Tab::Iocs;
    let copied = |effects: Vec<Effect>| -> (String, String) {
        effects
            .into_iter()
            .find_map(|e| match e {
                Effect::Copy { text, what } => Some((text, what)),
                _ => None,
            })
            .expect("a copy effect")
    };
    let (defanged, what) = copied(app.update(Action::Command(Command::Copy)));
    assert!(what.contains("defanged"), "{what}");
    let (live, what) = copied(app.update(Action::Command(Command::CopyFanged)));
    assert!(what.contains("live"), "{what}");
    assert_ne!(defanged, live, "the copied IoC was not defanged");
    assert_eq!(mitremap_engine::ioc::refang(&defanged), live);
    let (all, _) = copied(app.update(Action::Command(Command::CopyAll)));
    assert!(
        !all.contains("203.0.113.7"),
        "whole-result copy carries a live IoC"
    );
    assert!(all.contains("203[.]0[.]113[.]7"), "{all}");
}

// ---- the analyst's text: read-only until asked, modified until saved (issue 14) ----------

/// The screen as text, one line per row.
fn screen(app: &App, w: u16, h: u16) -> String {
    let terminal = render(app, w, h);
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// An app for a report read from `path` (as `mitremap FILE` starts it), analysed.
fn opened(path: &Path) -> App {
    let text = std::fs::read_to_string(path).unwrap();
    let mut app = App::new(AppConfig {
        text,
        name: Some(path.display().to_string()),
        path: Some(path.to_path_buf()),
        lossy: false,
        unsaved: false,
        threshold: None,
        keymap: Keymap::defaults(),
        theme: Theme::default_theme(),
        notices: Vec::new(),
        recovery: None,
        now: t0(),
    });
    let first = app.start();
    drive(&mut app, first);
    act(&mut app, Action::ModelLoaded(Ok(model())));
    act(&mut app, Action::Tick(t0() + Duration::from_millis(1500)));
    app
}

fn report_file(dir: &Path) -> PathBuf {
    let path = dir.join("report.txt");
    std::fs::write(&path, REPORT).unwrap();
    path
}

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        act(app, key(KeyCode::Char(c)));
    }
}

/// Command keys (q + - m j...) used to be typed into the report: the editor had focus at start.
#[test]
fn a_file_opens_read_only_with_the_results_focused() {
    let dir = tempfile::tempdir().unwrap();
    let path = report_file(dir.path());
    let mut app = opened(&path);
    assert_eq!(app.focus, Focus::Results);
    assert!(!app.editor.editing);
    for c in ['+', '-', 'm', 'j', 'k', 'n', 'm', '1'] {
        act(&mut app, key(KeyCode::Char(c)));
    }
    assert_eq!(app.editor.text(), REPORT, "a command key edited the report");
    assert!(!app.modified);
    // Tab to the report: still read-only; typing says how to edit instead of editing
    act(&mut app, Action::Command(Command::FocusNext));
    act(&mut app, Action::Command(Command::FocusNext));
    assert_eq!(app.focus, Focus::Editor);
    typed(&mut app, "xyz");
    act(&mut app, key(KeyCode::Backspace));
    act(&mut app, Action::Paste("pasted".into()));
    assert_eq!(app.editor.text(), REPORT, "the read-only report changed");
    assert!(screen(&app, 120, 40).contains("read-only: press i to edit"));
    // arrows still move the cursor in the read-only report
    act(&mut app, key(KeyCode::Down));
    assert_eq!(app.editor.cursor().0, 1);
    // i edits; Esc leaves editing (back to the results) and the report is read-only again
    act(&mut app, key(KeyCode::Char('i')));
    assert!(app.editor.editing);
    typed(&mut app, "q+");
    assert!(app.editor.text().contains("q+Spearphishing"));
    assert!(app.modified);
    act(&mut app, key(KeyCode::Esc));
    assert_eq!(app.focus, Focus::Results);
    assert!(!app.editor.editing);
    act(&mut app, Action::Command(Command::FocusPrev));
    assert_eq!(app.focus, Focus::Editor);
    typed(&mut app, "zz");
    assert!(!app.editor.text().contains("zz"));
    // Enter on the read-only report edits too
    act(&mut app, key(KeyCode::Enter));
    assert!(app.editor.editing);
}

#[test]
fn an_empty_session_opens_in_the_editor_ready_to_type() {
    let mut app = new_app("");
    assert_eq!(app.focus, Focus::Editor);
    assert!(app.editor.editing);
    typed(&mut app, "APT29 q");
    assert_eq!(app.editor.text(), "APT29 q");
    assert!(app.modified && app.has_unsaved_text());
}

/// "modified" stays against the file until it is saved (the old `edited` mark only meant
/// "results stale" and vanished after the re-run); undoing back to the saved text clears it.
#[test]
fn modified_mark_stays_until_saved_and_is_not_the_stale_mark() {
    let dir = tempfile::tempdir().unwrap();
    let path = report_file(dir.path());
    let mut app = opened(&path);
    assert!(!screen(&app, 120, 40).contains("modified"));
    act(&mut app, Action::Command(Command::Edit));
    typed(&mut app, "Note: ");
    assert!(app.stale && app.modified);
    // the re-run finishes: results are fresh, the text is still not saved
    act(&mut app, Action::Tick(t0() + Duration::from_secs(30)));
    assert!(!app.stale, "re-run after the pause");
    let s = screen(&app, 80, 24);
    assert!(s.contains("[+] modified"), "{s}");
    assert!(screen(&app, 120, 40).contains("[+] modified"));
    for _ in 0..6 {
        act(&mut app, ctrl('z'));
    }
    assert_eq!(app.editor.text(), REPORT);
    assert!(!app.modified, "undone back to the file's text");
    let effects = app.update(Action::Tick(t0() + Duration::from_secs(60)));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::RemoveRecovery(None))),
        "no recovery copy kept of text that is the file's again: {effects:?}"
    );
    assert!(!screen(&app, 120, 40).contains("modified"));
}

#[test]
fn save_writes_the_text_atomically_and_keeps_the_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = report_file(dir.path());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let mut app = opened(&path);
    act(&mut app, Action::Command(Command::Edit));
    typed(&mut app, "Cleaned: ");
    let rest = act(&mut app, ctrl('s'));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("Cleaned: {REPORT}")
    );
    assert!(!app.modified && !app.has_unsaved_text());
    assert!(
        rest.iter()
            .any(|e| matches!(e, Effect::RemoveRecovery(None))),
        "the recovery copy is dropped once the text is on disk"
    );
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "no temp files left");
    assert!(!screen(&app, 120, 40).contains("modified"));
    // quitting after a save does not ask
    assert!(
        act(&mut app, key(KeyCode::Esc)).is_empty() && {
            let e = act(&mut app, key(KeyCode::Char('q')));
            e.iter().any(|e| matches!(e, Effect::Exit(0)))
        }
    );
}

#[test]
fn save_as_asks_for_a_path_and_before_replacing_a_file() {
    let dir = tempfile::tempdir().unwrap();
    // piped text: exists nowhere else, no file to save to
    let mut app = App::new(AppConfig {
        text: REPORT.into(),
        name: Some("-".into()),
        path: None,
        lossy: false,
        unsaved: true,
        threshold: None,
        keymap: Keymap::defaults(),
        theme: Theme::default_theme(),
        notices: Vec::new(),
        recovery: None,
        now: t0(),
    });
    assert!(app.modified && app.has_unsaved_text());
    assert!(screen(&app, 120, 40).contains("[+] not saved"));
    act(&mut app, ctrl('s'));
    assert!(
        app.popup::<SaveAsDialog>().is_some(),
        "no file yet: save as"
    );
    app.cwd = Some(PathBuf::from("/home/analyst/cases"));
    act(&mut app, Action::Paste("notes/cleaned.txt".into()));
    insta::assert_snapshot!("save_as_80x24", render(&app, 80, 24).backend());
    let target = dir.path().join("cleaned.txt");
    act(&mut app, ctrl('u'));
    act(&mut app, Action::Paste(target.display().to_string()));
    act(&mut app, key(KeyCode::Enter));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), REPORT);
    assert_eq!(app.path.as_deref(), Some(target.as_path()));
    assert_eq!(
        app.name.as_deref(),
        Some(target.display().to_string().as_str())
    );
    assert!(!app.modified);
    // save as over an existing file asks first; n keeps it
    let other = dir.path().join("other.txt");
    std::fs::write(&other, "keep me").unwrap();
    let alt_s = Action::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::ALT));
    act(&mut app, alt_s);
    act(&mut app, ctrl('u'));
    act(&mut app, Action::Paste(other.display().to_string()));
    act(&mut app, key(KeyCode::Enter));
    assert!(app.popup::<SaveAsDialog>().is_some_and(|d| d.confirm));
    assert!(screen(&app, 80, 24).contains("Replace it? y/n"));
    act(&mut app, key(KeyCode::Char('n')));
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "keep me");
    act(&mut app, key(KeyCode::Enter));
    act(&mut app, key(KeyCode::Char('y')));
    assert_eq!(std::fs::read_to_string(&other).unwrap(), REPORT);
    assert_eq!(app.path.as_deref(), Some(other.as_path()));
}

/// Exports of edited text used to carry the file's name as if it were that file.
#[test]
fn exports_of_edited_text_say_so_with_the_hash_of_the_text_analysed() {
    let sha = |b: &[u8]| {
        mitremap_engine::text::Document::from_bytes(b)
            .sha256()
            .to_owned()
    };
    let dir = tempfile::tempdir().unwrap();
    let path = report_file(dir.path());
    let mut app = opened(&path);
    let export_json = |app: &mut App, name: &str| -> serde_json::Value {
        let out = dir.path().join(name);
        act(app, Action::Command(Command::Export));
        if let Some(d) = app.popup_mut::<ExportDialog>() {
            d.format = 0; // JSON (the dialog offers the last export's format)
        }
        act(app, ctrl('u'));
        act(app, Action::Paste(out.display().to_string()));
        act(app, key(KeyCode::Enter));
        serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap()
    };
    let file_sha = sha(REPORT.as_bytes());
    let json = export_json(&mut app, "a.json");
    assert_eq!(json["input"]["sha256"], file_sha.as_str());
    assert!(json["input"].get("edited").is_none());
    // edit, re-run, export: marked edited, hash and size of the text analysed
    act(&mut app, Action::Command(Command::Edit));
    typed(&mut app, "Edited: ");
    act(&mut app, Action::Tick(t0() + Duration::from_secs(30)));
    assert!(!app.stale);
    let json = export_json(&mut app, "b.json");
    let text = app.editor.text();
    assert_eq!(json["input"]["edited"], true);
    assert_eq!(json["input"]["sha256"], sha(text.as_bytes()).as_str());
    assert_eq!(json["input"]["bytes"], text.len());
    assert!(
        matches!(app.status.notice(), Some(tui::app::Notice::Error(m)) if m.contains("edited"))
    );
    // the Markdown export names it as edited too
    let md = dir.path().join("c.md");
    act(&mut app, Action::Command(Command::Export));
    for _ in 0..4 {
        act(&mut app, key(KeyCode::Down)); // Markdown is the last format
    }
    act(&mut app, ctrl('u'));
    act(&mut app, Action::Paste(md.display().to_string()));
    act(&mut app, key(KeyCode::Enter));
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains("(edited, not as saved)"), "{md}");
    // once saved, the same results are of the file by that name
    act(&mut app, ctrl('s'));
    let json = export_json(&mut app, "d.json");
    assert!(json["input"].get("edited").is_none());
    assert_eq!(
        sha(&std::fs::read(&path).unwrap()),
        json["input"]["sha256"].as_str().unwrap()
    );
}

// ---- quit and the footer (issue 14, item 6) ----------------------------------------------

/// `q` twice never quit with unsaved text: the first `q` armed, the second re-armed.
#[test]
fn q_twice_quits_with_unsaved_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = report_file(dir.path());
    let mut app = opened(&path);
    act(&mut app, Action::Command(Command::Edit));
    typed(&mut app, "x");
    act(&mut app, key(KeyCode::Esc));
    assert!(
        act(&mut app, key(KeyCode::Char('q'))).is_empty(),
        "first q warns"
    );
    assert!(screen(&app, 80, 24).contains("unsaved: q again quits and discards, ctrl-s saves"));
    let effects = act(&mut app, key(KeyCode::Char('q')));
    assert!(effects.iter().any(|e| matches!(e, Effect::Exit(0))));
}

/// The footer shows the focused pane's keys and always keeps help and quit, even at 80x24 and
/// with a long message.
#[test]
fn footer_keeps_help_and_quit_in_every_pane() {
    let dir = tempfile::tempdir().unwrap();
    let path = report_file(dir.path());
    let mut app = opened(&path);
    let footer = |app: &App, w: u16, h: u16| -> String {
        screen(app, w, h).lines().last().unwrap().to_owned()
    };
    let check = |app: &App, want: &[&str]| {
        for (w, h) in [(120, 40), (80, 24), (50, 12)] {
            let f = footer(app, w, h);
            assert!(f.contains("help") && f.contains("quit"), "{w}x{h}: {f}");
            if w >= 80 {
                for k in want {
                    assert!(f.contains(k), "{w}x{h}: {k:?} missing: {f}");
                }
            }
        }
    };
    check(&app, &["? help", "q quit", "i edit", "enter show"]);
    act(&mut app, Action::Command(Command::FocusNext));
    check(&app, &["? help", "q quit", "scroll"]);
    act(&mut app, Action::Command(Command::FocusNext));
    check(&app, &["? help", "q quit", "i edit", "esc results"]);
    act(&mut app, Action::Command(Command::Edit));
    app.status.clear();
    check(&app, &["f1 help", "ctrl-q quit", "esc done", "ctrl-s save"]);
    app.error("a very long error message ".repeat(10));
    check(&app, &["f1 help", "ctrl-q quit"]);
}

// ---- the recovery offer (issue 14, item 5) -----------------------------------------------

fn recovery_offer(original: Option<PathBuf>) -> Recovered {
    Recovered {
        path: PathBuf::from(
            "/home/analyst-with-a-long-name/.local/state/mitremap/recovery-1764646000123456789-4242-00ff00ff00ff00ff.txt",
        ),
        text: "Unsaved notes: APT29 used PowerShell.\nSecond line.\nThird.\nFourth.\nFifth.".into(),
        age: "17 min ago".into(),
        original,
    }
}

/// The key hints were cut off whenever the first line wrapped (any crash older than ~10 s).
#[test]
fn recovery_offer_keeps_its_key_hints_at_every_size() {
    let mut app = new_app("");
    app.open_popup(Box::new(RecoveryOffer::new(recovery_offer(Some(
        PathBuf::from("/srv/cases/2025/very-long-case-folder-name/incident-report-draft.txt"),
    )))));
    for (w, h) in [(120, 40), (80, 24), (40, 12)] {
        let s = screen(&app, w, h);
        for hint in ["enter: restore", "esc: later (kept)", "d: discard"] {
            assert!(s.contains(hint), "{w}x{h}: {hint:?} cut off:\n{s}");
        }
        insta::assert_snapshot!(
            format!("recovery_long_{w}x{h}"),
            render(&app, w, h).backend()
        );
    }
}

/// A reflexive Esc deleted the recovered text; now Esc keeps it and only d then y deletes it.
#[test]
fn recovery_offer_esc_keeps_the_text_and_discarding_needs_a_second_key() {
    let offer = || Box::new(RecoveryOffer::new(recovery_offer(None)));
    let removes = |effects: &[Effect]| {
        effects
            .iter()
            .any(|e| matches!(e, Effect::RemoveRecovery(Some(_))))
    };
    let mut app = new_app("");
    app.open_popup(offer());
    assert!(!removes(&app.update(key(KeyCode::Esc))), "Esc deleted it");
    assert!(!app.has_popup());
    app.open_popup(offer());
    assert!(!removes(&app.update(key(KeyCode::Char('n')))));
    app.open_popup(offer());
    assert!(!removes(&app.update(key(KeyCode::Char('d')))));
    assert!(
        app.popup::<RecoveryOffer>()
            .is_some_and(|r| r.confirm_discard)
    );
    assert!(screen(&app, 80, 24).contains("y: delete"));
    // anything but y goes back to the offer
    assert!(!removes(&app.update(key(KeyCode::Esc))));
    assert!(
        app.popup::<RecoveryOffer>()
            .is_some_and(|r| !r.confirm_discard)
    );
    app.update(key(KeyCode::Char('d')));
    assert!(removes(&app.update(key(KeyCode::Char('y')))));
    assert!(!app.has_popup());
    assert_eq!(app.editor.text(), "", "nothing restored");
}

/// Restoring used to rename the text "recovered": now it keeps the file it was editing, so
/// ctrl-s writes back there.
#[test]
fn restoring_keeps_the_original_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let original = report_file(dir.path());
    let r = tui::recovery::Recovery::new(state.clone());
    r.write_for("APT29 notes, cleaned up by hand.", Some(&original))
        .unwrap();
    let stale = state.join("recovery-999999999.txt");
    std::fs::rename(&r.path, &stale).unwrap();
    std::fs::rename(r.path.with_extension("path"), stale.with_extension("path")).unwrap();
    let recovered = r.find_previous().expect("offered back");
    assert_eq!(recovered.original.as_deref(), Some(original.as_path()));
    let mut app = new_app("");
    app.open_popup(Box::new(RecoveryOffer::new(recovered)));
    let effects = act(&mut app, key(KeyCode::Enter));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::RemoveRecovery(Some(p)) if *p == stale))
    );
    assert_eq!(app.path.as_deref(), Some(original.as_path()));
    assert_eq!(
        app.name.as_deref(),
        Some(original.display().to_string().as_str())
    );
    assert!(app.modified, "restored text is not saved yet");
    act(&mut app, ctrl('s'));
    assert_eq!(
        std::fs::read_to_string(&original).unwrap(),
        "APT29 notes, cleaned up by hand."
    );
    // the runtime removes the recovery file with what it remembers
    tui::recovery::remove_recovery_file(&stale);
    assert!(!stale.with_extension("path").exists());
}

// ---- numbers are never cut (issue 14, item 8) ---------------------------------------------

/// The `#ch` column showed 3456 as `345`; 5-digit chunk indices broke the row alignment.
#[test]
fn numeric_columns_are_sized_from_their_content() {
    let mut app = analysed(REPORT);
    app.set_threshold(0.2);
    act(&mut app, Action::Command(Command::TabTechniques));
    app.techniques[0].chunk_count = 3456;
    for (w, h) in [(120, 40), (80, 24)] {
        let s = screen(&app, w, h);
        let row = s.lines().nth(2).unwrap();
        assert!(row.contains(" 3456"), "{w}x{h}: count cut: {row}");
        assert!(
            s.lines().nth(1).unwrap().contains("#ch"),
            "{w}x{h}: header cut\n{s}"
        );
    }
    let report = app.report.as_mut().unwrap();
    report.chunks = (report.chunks.iter().enumerate())
        .map(|(i, c)| mitremap_engine::analysis::ChunkResult {
            index: [7, 12345, 99999][i],
            ..c.to_result()
        })
        .collect();
    act(&mut app, Action::Command(Command::TabChunks));
    for (w, h) in [(120, 40), (80, 24)] {
        let s = screen(&app, w, h);
        // the column where a number (followed by the two spaces before Predictions) ends
        let col = |line: &str, number: &str| {
            let needle = format!("{number}  ");
            let pane = line.find('┃').unwrap_or(0);
            let at = pane
                + line[pane..]
                    .find(&needle)
                    .unwrap_or_else(|| panic!("{needle:?} in {line}"));
            line[..at].chars().count() + number.chars().count()
        };
        let lines: Vec<&str> = s.lines().collect();
        let header = col(lines[1], "#");
        assert_eq!(col(lines[2], "7"), header, "{w}x{h}\n{s}");
        assert_eq!(col(lines[3], "12345"), header, "{w}x{h}\n{s}");
        assert_eq!(col(lines[4], "99999"), header, "{w}x{h}\n{s}");
        // the gutter numbers them in full too
        assert!(s.contains("12345▸"), "{w}x{h}\n{s}");
    }
}

// ---- smaller ones (issue 14, item 11) -----------------------------------------------------

/// The first frames showed the engine's 0.60 and "done 0/0" before the model (and its own
/// threshold) was known.
#[test]
fn no_threshold_or_done_0_of_0_before_the_model_is_known() {
    let mut app = new_app(REPORT);
    let first = app.start();
    drive(&mut app, first);
    for (w, h) in [(120, 40), (80, 24)] {
        let s = screen(&app, w, h);
        assert!(
            !s.contains("0.60"),
            "{w}x{h}: a threshold before the model's\n{s}"
        );
        assert!(!s.contains("0/0"), "{w}x{h}\n{s}");
        assert!(s.contains("≥…"), "{w}x{h}\n{s}");
    }
    act(&mut app, Action::ModelLoaded(Ok(model())));
    assert_eq!(app.shown_threshold(), Some(app.threshold));
    assert!(screen(&app, 120, 40).contains(&format!("≥{:.2}", app.threshold)));
    // a threshold set while the model loads is the analyst's, not replaced by the model's
    let mut app = new_app(REPORT);
    act(&mut app, Action::Command(Command::ThresholdDown));
    let chosen = app.threshold;
    assert!(app.shown_threshold().is_some());
    act(&mut app, Action::ModelLoaded(Ok(model())));
    assert_eq!(app.threshold, chosen);
}

/// The TUI's export wrote `complete: false` with only a message the "exported" notice
/// immediately replaced.
#[test]
fn exporting_a_partial_result_says_so_when_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("partial.json");
    let mut app = new_app(REPORT);
    app.update(Action::ModelLoaded(Ok(model())));
    let Some(Effect::Analyze(job)) = app.start().into_iter().next() else {
        panic!("expected a run")
    };
    let mut events = Vec::new();
    tui::worker::run_analysis(&job, &mut |e| events.push(e));
    for event in events.into_iter().take(4) {
        app.update(Action::Analysis {
            generation: job.generation,
            event,
        });
    }
    assert!(app.is_running());
    act(&mut app, Action::Command(Command::Export));
    act(&mut app, ctrl('u'));
    act(&mut app, Action::Paste(out.display().to_string()));
    act(&mut app, key(KeyCode::Enter));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(json["complete"], false);
    assert!(
        matches!(app.status.notice(), Some(tui::app::Notice::Error(m)) if m.contains("partial")),
        "{:?}",
        app.status.notice()
    );
}

/// Keymap problems are reported by line (the good entries apply) and shown in full in a popup at
/// start, not squeezed into a cut-off status line.
#[test]
fn keymap_problems_are_shown_in_full_at_start() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("keymap.toml"),
        "[panes]\ncopy = [\"c\"]\nrun = [\"q\"]\n[global]\nquit = []\n",
    )
    .unwrap();
    let (_, keymap, notices) = tui::load_look(None, Some(dir.path()));
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices[0].contains("keymap.toml: line 3:"), "{notices:?}");
    assert!(notices[1].contains("line 5:") && notices[1].contains("quit needs"));
    let k = |s| tui::keymap::Key::parse(s).unwrap();
    use tui::keymap::Context;
    assert_eq!(keymap.lookup(Context::Panes, k("c")), Some(Command::Copy));
    assert_eq!(
        keymap.lookup(Context::Global, k("ctrl-q")),
        Some(Command::Quit)
    );
    let mut app = App::new(AppConfig {
        text: REPORT.into(),
        name: None,
        path: None,
        lossy: false,
        unsaved: false,
        threshold: None,
        keymap,
        theme: Theme::default_theme(),
        notices: notices
            .iter()
            .map(|n| {
                StartNote::Problem(
                    n.replace(&dir.path().display().to_string(), "~/.config/mitremap"),
                )
            })
            .collect(),
        recovery: None,
        now: t0(),
    });
    assert!(app.popup::<StartNotes>().is_some());
    let s = screen(&app, 80, 24);
    assert!(
        s.contains("Problems at start")
            && s.contains("[global] quit needs")
            && s.contains("The rest applies as usual. Any key closes"),
        "{s}"
    );
    insta::assert_snapshot!("problems_80x24", render(&app, 80, 24).backend());
    // any key closes it, and does nothing else
    assert!(app.update(key(KeyCode::Char('q'))).is_empty());
    assert!(!app.has_popup());
}

/// How a document was opened is a note about the text, not a problem: the popup says so, and says
/// "the rest applies" only when something was worked around (both kinds: problems first).
#[test]
fn notes_about_the_text_are_not_called_problems() {
    let extracted = StartNote::AboutText(
        "report.pdf: text extracted from the PDF (21 pages); editing makes it a plain-text \
         document, saved to a new file"
            .into(),
    );
    let app = app_with_notices(REPORT, vec![extracted.clone()]);
    assert!(app.popup::<StartNotes>().is_some());
    let s = screen(&app, 100, 30);
    assert!(
        s.contains("About this text") && s.contains("(21 pages)"),
        "{s}"
    );
    assert!(
        !s.contains("Problem") && !s.contains("rest applies") && s.contains("Any key closes"),
        "{s}"
    );
    let problem = StartNote::Problem("theme ~/.config/mitremap/plaid.toml: unknown colour".into());
    let app = app_with_notices(REPORT, vec![extracted, problem]);
    let s = screen(&app, 100, 30);
    assert!(
        s.contains("Problems at start, and about this text") && s.contains("rest applies"),
        "{s}"
    );
    let (problem_row, note_row) = (
        s.find("unknown colour").unwrap(),
        s.find("(21 pages)").unwrap(),
    );
    assert!(problem_row < note_row, "problems come first:\n{s}");
}

/// Undo was one character per step; a pause in typing now starts a new step.
#[test]
fn undo_takes_back_words_and_pauses_not_keys() {
    let mut app = new_app("");
    let at = t0() + Duration::from_secs(100);
    app.update(Action::Tick(at));
    typed(&mut app, "APT29 used ");
    app.update(Action::Tick(at + Duration::from_secs(3)));
    typed(&mut app, "PowerShell");
    // within a word, a short hesitation is not a new step; a pause is
    app.update(Action::Tick(at + Duration::from_millis(3300)));
    typed(&mut app, "Em");
    app.update(Action::Tick(at + Duration::from_millis(4500)));
    typed(&mut app, "pire");
    act(&mut app, ctrl('z'));
    assert_eq!(app.editor.text(), "APT29 used PowerShellEm");
    act(&mut app, ctrl('z'));
    assert_eq!(app.editor.text(), "APT29 used ");
    act(&mut app, ctrl('z'));
    assert_eq!(app.editor.text(), "APT29 ");
}

/// The results title cut the threshold to "≥0" once the tab counts grew; it is shown whole or
/// not at all (the status bar always has it), and the report's title keeps the modified mark.
#[test]
fn titles_never_cut_the_threshold_or_the_modified_mark() {
    let mut app = analysed(&REPORT.repeat(40));
    app.set_threshold(0.2);
    for (w, h) in [(120, 40), (80, 24)] {
        let s = screen(&app, w, h);
        let title = s.lines().next().unwrap();
        if let Some(at) = title.find('≥') {
            assert!(title[at..].starts_with("≥0.20"), "{w}x{h}: {title}");
        }
        assert!(s.lines().nth(h as usize - 2).unwrap().contains("≥0.20"));
    }
    act(&mut app, Action::Command(Command::Edit));
    typed(&mut app, "x");
    for (w, h) in [(120, 40), (80, 24)] {
        let title = screen(&app, w, h).lines().next().unwrap().to_owned();
        assert!(title.contains("[+] not saved EDIT"), "{w}x{h}: {title}");
    }
}

/// The light theme drew borders and dim text in ANSI 7 ("gray"), near-invisible on white.
#[test]
fn light_theme_text_on_the_background_is_readable() {
    use ratatui::style::Color;
    use tui::theme::Role;
    let theme = Theme::load("light", None).unwrap();
    for role in [
        Role::base,
        Role::border,
        Role::dim,
        Role::hint,
        Role::gutter,
        Role::conf_low,
        Role::warning,
    ] {
        let fg = theme.style(role).fg;
        assert!(
            !matches!(
                fg,
                Some(
                    Color::Gray
                        | Color::White
                        | Color::Yellow
                        | Color::LightYellow
                        | Color::LightCyan
                        | Color::LightGreen
                )
            ),
            "light theme {}: {fg:?} is near-invisible on white",
            role.name()
        );
        if let Some(Color::Rgb(r, g, b)) = fg {
            // at least 3:1 against white (WCAG's minimum for borders and large text)
            let lum = |c: u8| {
                let c = c as f64 / 255.0;
                if c <= 0.03928 {
                    c / 12.92
                } else {
                    ((c + 0.055) / 1.055).powf(2.4)
                }
            };
            let l = 0.2126 * lum(r) + 0.7152 * lum(g) + 0.0722 * lum(b);
            let contrast = 1.05 / (l + 0.05);
            assert!(
                contrast >= 3.0,
                "light theme {}: contrast {contrast:.2}",
                role.name()
            );
        }
    }
}

/// The export path was relative to an unseen current folder and forgotten after each export.
#[test]
fn export_remembers_its_folder_and_format() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = analysed(REPORT);
    act(&mut app, Action::Command(Command::Export));
    act(&mut app, key(KeyCode::Down)); // STIX
    act(&mut app, ctrl('u'));
    act(
        &mut app,
        Action::Paste(dir.path().join("first.json").display().to_string()),
    );
    act(&mut app, key(KeyCode::Enter));
    assert!(dir.path().join("first.json").exists());
    act(&mut app, Action::Command(Command::Export));
    let Some(d) = app.popup::<ExportDialog>() else {
        panic!("export dialog")
    };
    assert_eq!(d.format, 1, "the last format again");
    assert!(
        d.path.starts_with(&dir.path().display().to_string()),
        "the last folder again: {}",
        d.path
    );
}

/// config.toml silently ignored unknown keys (a typo in `theme` did nothing, without a word).
#[test]
fn config_toml_reports_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "them = \"light\"\n").unwrap();
    let (_, _, notices) = tui::load_look(None, Some(dir.path()));
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].contains("config.toml") && notices[0].contains("them"),
        "{notices:?}"
    );
}

/// Two saves in flight (typing between them): the first one finishing must not make the second
/// one forget to clear "modified".
#[test]
fn overlapping_saves_end_unmodified() {
    let dir = tempfile::tempdir().unwrap();
    let path = report_file(dir.path());
    let mut app = opened(&path);
    act(&mut app, Action::Command(Command::Edit));
    typed(&mut app, "a");
    let first = app.update(ctrl('s'));
    typed(&mut app, " b");
    let second = app.update(ctrl('s'));
    let (first, second) = (drive(&mut app, first), drive(&mut app, second));
    assert!(
        first.is_empty()
            || second
                .iter()
                .any(|e| matches!(e, Effect::RemoveRecovery(None)))
    );
    assert!(!app.modified, "both saves done, text saved");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("a b{REPORT}")
    );
}

/// A file that was not valid UTF-8 was reported as `lossy_utf8: false` from the TUI (the text
/// analysed is the decoded one).
#[test]
fn a_lossily_decoded_file_is_reported_as_such() {
    let mut app = App::new(AppConfig {
        text: "APT29 \u{FFFD} used PowerShell.".into(),
        name: Some("bad.txt".into()),
        path: Some(PathBuf::from("bad.txt")),
        lossy: true,
        unsaved: false,
        threshold: None,
        keymap: Keymap::defaults(),
        theme: Theme::default_theme(),
        notices: Vec::new(),
        recovery: None,
        now: t0(),
    });
    let first = app.start();
    drive(&mut app, first);
    let input = &app.report.as_ref().unwrap().input;
    assert!(input.lossy_utf8 && !input.edited);
}

/// The status line cut the threshold ("≥0.6") while a long run was in progress at 80 columns.
#[test]
fn status_line_keeps_the_threshold_whole() {
    let mut app = new_app(&REPORT.repeat(300));
    app.update(Action::ModelLoaded(Ok(model())));
    let Some(Effect::Analyze(job)) = app.start().into_iter().next() else {
        panic!("expected a run")
    };
    let mut events = Vec::new();
    tui::worker::run_analysis(&job, &mut |e| events.push(e));
    for event in events.into_iter().take(5) {
        app.update(Action::Analysis {
            generation: job.generation,
            event,
        });
    }
    app.update(Action::Tick(t0() + Duration::from_millis(123_456)));
    assert!(app.is_running());
    for (w, h) in [(120, 40), (80, 24), (60, 20), (50, 12)] {
        let s = screen(&app, w, h);
        let status = s.lines().nth(h as usize - 2).unwrap();
        assert!(status.contains("≥0.60"), "{w}x{h}: {status}");
    }
}

/// Typing in a large report restarted the whole analysis (minutes at 5 MB after every key): a
/// re-run scores only the sentences the edit touched, the old results stay on screen until the
/// unchanged ones are back from the cache, and the outcome equals a full analysis.
#[test]
fn an_edit_rescores_only_the_sentences_it_touched() {
    let text = REPORT.repeat(4);
    let mut app = analysed(&text);
    let cache = match &app.model {
        tui::app::ModelState::Ready(a) => a.cache().expect("the TUI keeps a cache").clone(),
        _ => panic!("model ready"),
    };
    let old_chunks = app.report.as_ref().unwrap().chunks.len();
    let before = cache.stats();
    act(&mut app, Action::Command(Command::Edit));
    // the third line of the second copy: one sentence changes
    for _ in 0..6 {
        act(&mut app, key(KeyCode::Down));
    }
    typed(&mut app, "Note ");
    let due = app.update(Action::Tick(t0() + Duration::from_secs(10)));
    let job = due
        .into_iter()
        .find_map(|e| match e {
            Effect::Analyze(j) => Some(j),
            _ => None,
        })
        .expect("re-run after the pause");
    assert!(job.document.text().contains("\nNote Files were"));
    let edit_at = job.document.text().find("\nNote Files were").unwrap();
    let before_edit = app
        .report
        .as_ref()
        .unwrap()
        .chunks
        .iter()
        .filter(|c| c.range.end <= edit_at)
        .count();
    let mut events = Vec::new();
    tui::worker::run_analysis(&job, &mut |e| events.push(e));
    let shown = |app: &App| app.report.as_ref().unwrap().document.text().to_owned();
    let mut replaced_at = None;
    for (i, event) in events.into_iter().enumerate() {
        let progress = matches!(event, mitremap_engine::analysis::Event::Progress(_));
        if replaced_at.is_none() {
            // the previous results stay until the cached ones are in
            assert_eq!(shown(&app), text);
            assert_eq!(app.report.as_ref().unwrap().chunks.len(), old_chunks);
        }
        act(
            &mut app,
            Action::Analysis {
                generation: job.generation,
                event,
            },
        );
        if progress && replaced_at.is_none() {
            replaced_at = Some(i);
            assert_eq!(shown(&app), job.document.text());
            // every chunk before the edit is back at once
            assert!(before_edit >= 2);
            assert!(app.report.as_ref().unwrap().chunks.len() >= before_edit);
        }
    }
    assert!(replaced_at.is_some());
    assert!(!app.is_running() && !app.stale);
    let after = cache.stats();
    assert_eq!(
        after.misses - before.misses,
        1,
        "one sentence scored: {after:?}"
    );
    // the same chunks as a full analysis of the edited text without a cache
    let full = mitremap_engine::analysis::Analyzer::new(model())
        .analyze(
            job.document.clone(),
            None,
            &job.options,
            &mitremap_engine::analysis::CancelToken::new(),
        )
        .unwrap();
    assert_eq!(app.report.as_ref().unwrap().chunks, full.chunks);
}

/// The status line's estimate counts only the windows the model still has to score.
#[test]
fn the_estimate_left_ignores_cached_windows() {
    let mut app = new_app(REPORT);
    app.update(Action::ModelLoaded(Ok(model())));
    let _ = app.start();
    let generation = app.generation;
    app.update(Action::Tick(t0() + Duration::from_secs(10)));
    let started = app.job.as_ref().unwrap().started;
    app.update(Action::Tick(started + Duration::from_secs(10)));
    let progress = mitremap_engine::analysis::Progress {
        windows_total: 1000,
        windows_cached_total: 900,
        windows_done: 920,
        windows_cached: 900,
        ..Default::default()
    };
    app.update(Action::Analysis {
        generation,
        event: mitremap_engine::analysis::Event::Progress(progress),
    });
    // 20 of 100 windows scored in 10 s: 80 left, 40 s
    assert_eq!(app.eta(), Some(Duration::from_secs(40)));
    let status = format!("{:?}", render(&app, 120, 40).backend());
    assert!(
        status.contains("(900 cached)") && status.contains("~40s left"),
        "{status}"
    );
}

/// A report with hits in twelve tactics, Exfiltration and Impact among them (made up, so the
/// layout is tested whatever the fixture model predicts).
fn matrix_app() -> App {
    let mut app = analysed(REPORT);
    app.set_threshold(0.2);
    act(&mut app, Action::Command(Command::Matrix));
    let template = app.techniques[0].clone();
    let catalog = mitremap_engine::attack::Catalog::embedded();
    let mut hits: Vec<_> = [
        ("T1486", 0.95),
        ("T1566.001", 0.91),
        ("T1003.001", 0.88),
        ("T1059.001", 0.85),
        ("T1071.001", 0.81),
        ("T1041", 0.77),
        ("T1547.001", 0.70),
        ("T1490", 0.66),
        ("T1021.001", 0.62),
        ("T1027", 0.55),
        ("T1082", 0.50),
        ("T1005", 0.45),
    ]
    .into_iter()
    .map(|(id, confidence)| {
        let t = catalog.get(id).expect("in the catalogue");
        mitremap_engine::analysis::TechniqueHit {
            id: id.to_owned(),
            name: t.name.clone(),
            tactics: t.tactics.clone(),
            confidence,
            ..template.clone()
        }
    })
    .collect();
    hits.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    app.techniques = hits;
    app.results.techniques.selected = 0;
    app
}

fn text_of(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The matrix hid tactics with hits (Exfiltration, Impact at 120 columns) and cut names to ~9
/// characters at 200 while empty tactics took the room.
#[test]
fn snapshot_matrix_scrolls_with_tactics_with_hits_first() {
    let app = matrix_app();
    for (w, h) in [(80, 24), (120, 40), (200, 50)] {
        let terminal = render(&app, w, h);
        insta::assert_snapshot!(format!("matrix_many_{w}x{h}"), terminal.backend());
        let text = text_of(&terminal);
        // names whole, a legend for the colours
        assert!(text.contains("T1486 Data Encrypted for Impact"), "{text}");
        assert!(text.contains("■ ≥0.80"), "{text}");
    }
    // at 200 columns the tactics with hits come first, empty ones after them
    let text = text_of(&render(&app, 200, 50));
    let header = text.lines().nth(1).unwrap();
    assert!(
        header.contains("Impact (2)") && !header.contains("(0)"),
        "{header}"
    );
    assert!(text.contains("T1021.001 Remote Desktop Protocol"), "{text}");
}

#[test]
fn every_tactic_with_hits_can_be_reached_sideways() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = matrix_app();
        let mut seen = String::new();
        for step in [Command::PrevChunk, Command::NextChunk] {
            for _ in 0..16 {
                seen.push_str(&text_of(&render(&app, w, h)));
                act(&mut app, Action::Command(step));
            }
        }
        for tactic in ["Exfiltration (1)", "Impact (2)", "Initial Access (1)"] {
            assert!(seen.contains(tactic), "{tactic} never shown at {w}x{h}");
        }
        // the cursor ends on the last column; left goes back to the first tactic with hits
        for _ in 0..20 {
            render(&app, w, h);
            act(&mut app, Action::Command(Command::PrevChunk));
        }
        let text = text_of(&render(&app, w, h));
        assert!(text.contains("Initial Access (1)"), "{text}");
        assert_eq!(
            app.techniques[app.results.techniques.selected].id,
            "T1566.001"
        );
        // down moves within the tactic: Impact has two techniques
        while app.techniques[app.results.techniques.selected].id != "T1486" {
            render(&app, w, h);
            act(&mut app, Action::Command(Command::NextChunk));
        }
        render(&app, w, h);
        act(&mut app, Action::Command(Command::Down));
        assert_eq!(app.techniques[app.results.techniques.selected].id, "T1490");
    }
}

/// Popup keys were hard-coded outside the keymap: they come from its `[popup]` section now, so
/// they can be changed and the help lists them.
#[test]
fn popup_keys_come_from_the_keymap() {
    let scroll = |app: &App| app.popup::<Help>().map(|h| h.scroll);
    let mut app = analysed(REPORT);
    act(&mut app, Action::Command(Command::Help));
    act(&mut app, key(KeyCode::Char('j')));
    assert_eq!(scroll(&app), Some(1), "j scrolls the help by default");

    let mut keymap = Keymap::defaults();
    let problems = keymap.merge("[popup]\ndown = [\"x\"]\n").unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert!(
        keymap
            .help_rows()
            .iter()
            .any(|(ctx, cmd, keys)| ctx.name() == "popup" && *cmd == Command::Down && keys == "x")
    );
    let mut app = analysed(REPORT);
    app.keymap = keymap;
    act(&mut app, Action::Command(Command::Help));
    act(&mut app, key(KeyCode::Char('x')));
    assert_eq!(scroll(&app), Some(1), "x scrolls the help");
    act(&mut app, key(KeyCode::Char('j')));
    assert_eq!(
        scroll(&app),
        None,
        "j is no longer bound in popups: it closes the help"
    );
    // the help lists the popup keys
    act(&mut app, Action::Command(Command::Help));
    let text = text_of(&render(&app, 120, 200));
    assert!(text.contains("In popups"), "{text}");
}

/// Issue 15: the TLP marking written in the report is shown to the analyst (status bar) and goes
/// with the TUI's exports; an unmarked report shows none.
#[test]
fn the_tlp_marking_in_the_text_is_shown_and_exported() {
    let text = format!("TLP:AMBER+STRICT\n\n{REPORT}");
    let app = analysed(&text);
    assert_eq!(app.marking, Some(mitremap_export::Tlp::AmberStrict));
    let s = screen(&app, 120, 40);
    let status = s.lines().nth(38).unwrap();
    assert!(status.contains("TLP:AMBER+STRICT"), "{status}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.json");
    tui::runtime::export(
        mitremap_export::Format::Stix,
        &path,
        false,
        app.report.as_ref().unwrap(),
        None,
    )
    .unwrap();
    let bundle = std::fs::read_to_string(&path).unwrap();
    assert!(
        bundle.contains("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"),
        "the export carries the marking"
    );
    let plain = analysed(REPORT);
    assert_eq!(plain.marking, None);
    assert!(!screen(&plain, 120, 40).contains("TLP:"));
}

// ---- review ----------------------------------------------------------------------------------

fn notice_text(app: &App) -> String {
    app.status.text().to_owned()
}

fn statuses(app: &App) -> Vec<(String, mitremap_engine::analysis::ReviewStatus)> {
    app.techniques
        .iter()
        .map(|t| (t.id.clone(), t.review))
        .collect()
}

/// Accept, reject (report level and in one chunk), reset and the unreviewed filter, saved to the
/// sidecar as they are made; a new session on the same file finds them; an export carries them.
#[test]
fn review_verdicts_are_saved_as_made_and_restored_on_reopen() {
    use mitremap_engine::analysis::ReviewStatus::*;
    let dir = tempfile::tempdir().unwrap();
    let path = report_file(dir.path());
    let sidecar = dir.path().join("report.txt.mitremap-review.json");
    let mut app = opened(&path);
    app.set_threshold(0.2);
    assert!(app.techniques.len() >= 3, "{:?}", statuses(&app));
    assert!(app.techniques.iter().all(|t| t.review == Unreviewed));
    let total = app.techniques.len();
    assert_eq!(app.review_counts, (0, total));
    let first = app.techniques[0].id.clone();
    let second = app.techniques[1].id.clone();

    // Techniques list: for the whole report.
    act(&mut app, key(KeyCode::Char('a')));
    assert_eq!(app.techniques[0].review, Accepted);
    assert!(sidecar.is_file(), "saved at once");
    act(&mut app, key(KeyCode::Char('j')));
    act(&mut app, key(KeyCode::Char('d')));
    assert_eq!(app.techniques[1].review, Rejected);
    assert_eq!(app.review_counts, (2, total));
    let on_disk = mitremap_review::ReviewFile::load(&sidecar)
        .unwrap()
        .unwrap();
    assert_eq!(on_disk.verdicts.len(), 2);
    assert!(on_disk.verdicts.iter().all(|v| v.chunk.is_none()));

    // The chunk view: the technique it shows, in that chunk only.
    act(&mut app, Action::Command(Command::FocusNext));
    assert_eq!(app.focus, Focus::Heatmap);
    let (pos, _, shown, _) = app.heat_target().unwrap();
    let chunk = app
        .report
        .as_ref()
        .unwrap()
        .chunks
        .get(pos.0)
        .unwrap()
        .index;
    act(&mut app, key(KeyCode::Char('a')));
    let review = app.report.as_ref().unwrap().review.clone().unwrap();
    assert_eq!(review.chunk_status(chunk, &shown), Accepted);
    assert!(notice_text(&app).contains(&format!("in chunk {chunk}")));

    // Reset takes a verdict back; the filter shows what is left to review.
    act(&mut app, Action::Command(Command::FocusNext));
    act(&mut app, Action::Command(Command::FocusNext));
    assert_eq!(app.focus, Focus::Results);
    act(&mut app, Action::Command(Command::Top));
    act(&mut app, key(KeyCode::Char('u')));
    assert_eq!(app.techniques[0].id, first);
    assert_ne!(app.techniques[0].review, Accepted);
    act(&mut app, key(KeyCode::Char('a')));
    act(&mut app, key(KeyCode::Char('f')));
    assert!(
        app.techniques.iter().all(|t| t.review == Unreviewed),
        "{:?}",
        statuses(&app)
    );
    assert!(
        !app.techniques
            .iter()
            .any(|t| t.id == first || t.id == second)
    );
    act(&mut app, key(KeyCode::Char('f')));
    assert_eq!(app.techniques.len(), total);

    // A new session on the same file finds the verdicts.
    drop(app);
    let mut again = opened(&path);
    again.set_threshold(0.2);
    let restored = statuses(&again);
    assert!(
        restored.contains(&(first.clone(), Accepted)),
        "{restored:?}"
    );
    assert!(
        restored.contains(&(second.clone(), Rejected)),
        "{restored:?}"
    );
    assert_eq!(
        again
            .report
            .as_ref()
            .unwrap()
            .review
            .as_ref()
            .unwrap()
            .chunk_status(chunk, &shown),
        Accepted
    );

    // An export from the TUI carries them.
    let out = dir.path().join("out.json");
    tui::runtime::export(
        mitremap_export::Format::Json,
        &out,
        false,
        again.report.as_ref().unwrap(),
        None,
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let review_of = |id: &str| {
        v["techniques"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .map(|t| t["review"].clone())
    };
    assert_eq!(review_of(&first), Some("accepted".into()));
    assert_eq!(review_of(&second), Some("rejected".into()));
}

/// A damaged review file is said at start, kept, and never replaced by the verdicts made after.
#[test]
fn a_damaged_review_file_refuses_verdicts_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = report_file(dir.path());
    let sidecar = dir.path().join("report.txt.mitremap-review.json");
    std::fs::write(
        &sidecar,
        b"{\"schema\": \"mitremap-review\", \"schema_version\": 1, \"inp",
    )
    .unwrap();
    let mut app = opened(&path);
    app.set_threshold(0.2);
    act(&mut app, key(KeyCode::Char('a')));
    assert!(
        notice_text(&app).contains("review not saved") && notice_text(&app).contains(".bak"),
        "{}",
        notice_text(&app)
    );
    assert_eq!(
        std::fs::read(&sidecar).unwrap(),
        b"{\"schema\": \"mitremap-review\", \"schema_version\": 1, \"inp"
    );
    assert!(
        dir.path()
            .join("report.txt.mitremap-review.json.bak")
            .is_file()
    );
}

/// Pasted text has no file to keep a review next to: the verdict is refused with the reason.
#[test]
fn without_a_file_verdicts_ask_for_one() {
    let mut app = analysed(REPORT);
    act(&mut app, key(KeyCode::Char('a')));
    assert!(
        notice_text(&app).contains("save the text first"),
        "{}",
        notice_text(&app)
    );
    assert!(app.report.as_ref().unwrap().review.is_none());
}

#[test]
fn snapshot_reviewed_techniques() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = analysed(REPORT);
    app.open_review(Some(dir.path().join("review.json")), Some("tester".into()));
    app.set_threshold(0.2);
    act(&mut app, key(KeyCode::Char('a')));
    act(&mut app, key(KeyCode::Char('j')));
    act(&mut app, key(KeyCode::Char('d')));
    act(&mut app, Action::Tick(t0() + Duration::from_secs(60))); // the notice fades
    snap("reviewed", &app);
    act(&mut app, Action::Command(Command::Matrix));
    snap("reviewed_matrix", &app);
}

/// A technique the model missed, found in the catalogue by a fuzzy name, added to the report
/// and to a chunk; a note on it; both saved.
#[test]
fn add_a_missed_technique_and_a_note() {
    use mitremap_engine::analysis::ReviewStatus::*;
    let dir = tempfile::tempdir().unwrap();
    let path = report_file(dir.path());
    let sidecar = dir.path().join("report.txt.mitremap-review.json");
    let mut app = opened(&path);
    assert!(!app.techniques.iter().any(|t| t.id == "T1105"));
    act(&mut app, key(KeyCode::Char('A')));
    assert!(app.popup::<AddDialog>().is_some());
    typed(&mut app, "ingress tool");
    act(&mut app, key(KeyCode::Enter));
    assert!(!app.has_popup());
    let added = app.techniques.iter().find(|t| t.id == "T1105").unwrap();
    assert_eq!(added.review, Added);
    assert!(notice_text(&app).contains("added T1105 for the report"));

    // Escape closes without adding; arrows choose among the matches.
    act(&mut app, key(KeyCode::Char('A')));
    typed(&mut app, "T1059");
    act(&mut app, key(KeyCode::Down));
    act(&mut app, key(KeyCode::Esc));
    assert!(!app.has_popup());
    assert!(!app.techniques.iter().any(|t| t.id.starts_with("T1059.")));

    // In the chunk view: added to that chunk.
    act(&mut app, Action::Command(Command::FocusNext));
    let chunk = app
        .report
        .as_ref()
        .unwrap()
        .chunks
        .get(app.current_chunk.unwrap().0)
        .unwrap()
        .index;
    act(&mut app, key(KeyCode::Char('A')));
    typed(&mut app, "pwrshl");
    act(&mut app, key(KeyCode::Enter));
    let review = app.report.as_ref().unwrap().review.clone().unwrap();
    assert_eq!(review.chunk_status(chunk, "T1059.001"), Added);

    // A note on the report-level addition.
    act(&mut app, Action::Command(Command::FocusNext));
    act(&mut app, Action::Command(Command::FocusNext));
    let at = app.techniques.iter().position(|t| t.id == "T1105").unwrap();
    act(&mut app, Action::Command(Command::Top));
    for _ in 0..at {
        act(&mut app, Action::Command(Command::Down));
    }
    act(&mut app, key(KeyCode::Char('o')));
    typed(&mut app, "seen in the proxy logs");
    act(&mut app, key(KeyCode::Enter));
    let file = mitremap_review::ReviewFile::load(&sidecar)
        .unwrap()
        .unwrap();
    let record = file
        .verdicts
        .iter()
        .find(|v| v.technique == "T1105")
        .unwrap();
    assert_eq!(record.note.as_deref(), Some("seen in the proxy logs"));
    assert!(file.verdicts.iter().any(|v| v.technique == "T1059.001"
        && v.verdict == mitremap_review::Verdict::Added
        && v.chunk.is_some()));
}

#[test]
fn snapshot_add_technique_popup() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = analysed(REPORT);
    app.open_review(Some(dir.path().join("review.json")), Some("tester".into()));
    act(&mut app, key(KeyCode::Char('A')));
    typed(&mut app, "phish");
    act(&mut app, key(KeyCode::Down));
    snap("add_technique", &app);
}

/// Pasted text: verdicts need a file; after saving the text the review goes next to it. A review
/// file named with --review stays where it is.
#[test]
fn saving_pasted_text_gives_the_review_a_home() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = analysed(REPORT);
    app.set_threshold(0.2);
    act(&mut app, key(KeyCode::Char('a')));
    assert!(notice_text(&app).contains("save the text first"));
    let text_path = dir.path().join("pasted.txt");
    let effects = app.update(Action::Saved {
        path: text_path.clone(),
        revision: app.revision,
        result: Ok(()),
    });
    drive(&mut app, effects);
    act(&mut app, key(KeyCode::Char('a')));
    assert!(dir.path().join("pasted.txt.mitremap-review.json").is_file());

    let named = dir.path().join("named-review.json");
    let mut other = analysed(REPORT);
    other.open_review(Some(named.clone()), None);
    let effects = other.update(Action::Saved {
        path: dir.path().join("other.txt"),
        revision: other.revision,
        result: Ok(()),
    });
    drive(&mut other, effects);
    act(&mut other, key(KeyCode::Char('a')));
    assert!(named.is_file());
    assert!(!dir.path().join("other.txt.mitremap-review.json").exists());
}

// ---- a document opened in the UI (issue 17) ----------------------------------------------

/// A PDF opens as its extracted text: the status bar says which page the cursor is on, until an
/// edit makes the text a plain-text document.
#[test]
fn a_pdf_shows_the_page_of_the_cursor_until_edited() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/documents/glass-harbor.pdf");
    let bytes = std::fs::read(&path).unwrap();
    let extracted = mitremap_docs::extract(
        &bytes,
        mitremap_docs::Format::Pdf,
        &mitremap_docs::Options::default(),
    )
    .unwrap();
    let gate = extracted.text.find("gate.php").unwrap();
    let mut app = new_app(&extracted.text);
    app.source = Some(mitremap::tui::app::DocumentSource::new(
        mitremap_docs::Format::Pdf,
        extracted.map,
        &bytes,
        extracted.pages,
    ));
    assert!(screen(&app, 120, 30).contains("from PDF, page 1"));
    app.editor.jump_to_byte(gate);
    assert!(screen(&app, 120, 30).contains("from PDF, page 2"));
    act(&mut app, key(KeyCode::Char('i')));
    act(&mut app, key(KeyCode::Char('x')));
    let shown = screen(&app, 120, 30);
    assert!(shown.contains("edited: plain text (was PDF)"), "{shown}");
    assert!(!shown.contains("from PDF, page"));
}

/// An app showing a document's text as `mitremap FILE` opens it (not analysed: the gutter needs
/// no report).
fn document_app(name: &str, format: &str) -> App {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/documents")
        .join(name);
    let bytes = std::fs::read(&path).unwrap();
    let detected = mitremap_docs::detect(&bytes, Some(name)).unwrap();
    let extracted =
        mitremap_docs::extract(&bytes, detected, &mitremap_docs::Options::default()).unwrap();
    let mut app = new_app(&extracted.text);
    let source =
        mitremap::tui::app::DocumentSource::new(detected, extracted.map, &bytes, extracted.pages);
    assert_eq!(source.label(), format);
    app.source = Some(source);
    app
}

/// The first `width` columns inside the editor pane, one string per text row.
fn source_column(app: &App, w: u16, h: u16, width: usize) -> Vec<String> {
    let shown = screen(app, w, h);
    let rows = app.areas.get().editor.height.saturating_sub(2) as usize;
    shown
        .lines()
        .skip(1)
        .take(rows)
        .map(|l| l.chars().skip(1).take(width).collect())
        .collect()
}

/// The source gutter (issue 17: "from PDF, page N"): the first line of each page is marked, the
/// top row always says which page it is on, every other row is blank; its width follows the last
/// page number; a narrow pane keeps its text instead; the first edit removes it for good.
#[test]
fn a_pdf_shows_its_pages_in_the_gutter_until_edited() {
    use mitremap::tui::components::source_gutter::SourceGutter;
    let mut app = document_app("glass-harbor-long.pdf", "PDF");
    let map = &app.source.as_ref().unwrap().map;
    let page5 = map
        .spans()
        .find(|(_, l)| l.page == Some(5))
        .map(|(s, _)| s)
        .expect("the fixture has a page 5");
    assert_eq!(
        SourceGutter::new(&app, 58, 6).unwrap().width,
        4,
        "p21 + space"
    );
    assert!(
        SourceGutter::new(&app, 38, 6).is_none(),
        "a 40-column pane keeps its text"
    );
    let short = document_app("glass-harbor.pdf", "PDF");
    assert_eq!(
        SourceGutter::new(&short, 58, 6).unwrap().width,
        3,
        "p2 + space"
    );

    let column = source_column(&app, 120, 40, 4);
    assert_eq!(column[0], "p1  ", "{column:#?}");
    assert!(
        column[1..]
            .iter()
            .all(|c| c == "    " || c.starts_with('p'))
    );

    // at the start of page 5: that row is marked, the rows around it are not
    app.editor.jump_to_byte(page5);
    let column = source_column(&app, 120, 40, 4);
    let (row, _) = column
        .iter()
        .enumerate()
        .find(|(_, c)| *c == "p5  ")
        .unwrap_or_else(|| panic!("page 5 is marked: {column:#?}"));
    assert!(row > 0, "page 5 starts below the top row");
    assert!(column[0].starts_with("p4") || column[0].starts_with("p5"));
    for (i, c) in column.iter().enumerate().skip(1) {
        assert!(
            i == row || c.trim().is_empty() || c.starts_with('p'),
            "{column:#?}"
        );
    }
    let marked = column.iter().filter(|c| !c.trim().is_empty()).count();
    assert!(
        marked <= 3,
        "only page starts and the top row are labelled: {column:#?}"
    );

    // an 80-column terminal: the pane is too narrow to spare the columns
    assert!(
        source_column(&app, 80, 24, 4)
            .iter()
            .all(|c| !c.starts_with('p')),
        "{:#?}",
        source_column(&app, 80, 24, 4)
    );

    // an edit: plain text; no page is shown any more, not even after undoing
    act(&mut app, key(KeyCode::Char('i')));
    act(&mut app, key(KeyCode::Char('x')));
    act(&mut app, ctrl('z'));
    let column = source_column(&app, 120, 40, 4);
    assert!(column.iter().all(|c| !c.starts_with('p')), "{column:#?}");
    assert!(screen(&app, 120, 40).contains("edited: plain text (was PDF)"));
}

/// A DOCX has no pages: its gutter names the section each part starts in.
#[test]
fn a_docx_shows_its_sections_in_the_gutter() {
    let app = document_app("glass-harbor.docx", "DOCX");
    let column = source_column(&app, 120, 40, 6);
    let sections: Vec<&String> = column.iter().filter(|c| c.starts_with('§')).collect();
    assert!(sections.len() >= 2, "{column:#?}");
}

/// Exports `format` through the export dialog to `path`.
fn export_from_dialog(app: &mut App, format: mitremap_export::Format, path: &Path) {
    act(app, Action::Command(Command::Export));
    for _ in 0..mitremap_export::Format::ALL.len() {
        match app.popup::<ExportDialog>() {
            Some(d) if mitremap_export::Format::ALL[d.format] == format => break,
            _ => act(app, key(KeyCode::Down)),
        };
    }
    act(app, ctrl('u'));
    act(app, Action::Paste(path.display().to_string()));
    act(app, key(KeyCode::Enter));
}

/// Exports written from the UI go through the exporters with the document's places, as
/// `mitremap analyze` writes them: CSV fills its `source` column, Markdown says "first on page N",
/// JSON gives every chunk and IoC its page, STIX says "First seen: page N", Navigator names the
/// document.
/// Once the text is edited and re-analysed, the places no longer hold and are left out.
#[test]
fn tui_exports_of_a_pdf_name_the_pages_until_edited() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = document_app("glass-harbor.pdf", "PDF");
    let first = app.start();
    drive(&mut app, first);
    act(&mut app, Action::ModelLoaded(Ok(model())));
    act(&mut app, Action::Tick(t0() + Duration::from_millis(1500)));
    assert!(app.report.as_ref().is_some_and(|r| r.is_done()));

    let csv = dir.path().join("out.csv");
    export_from_dialog(&mut app, mitremap_export::Format::Csv, &csv);
    let written = std::fs::read_to_string(&csv).expect("CSV written");
    let mut lines = written.lines();
    assert!(
        lines.next().unwrap().ends_with(",review,source"),
        "{written}"
    );
    // the code block with the C2 URL is on the PDF's second page
    let gate = lines
        .find(|l| l.contains(",http://198.51.100.14/gate.php,"))
        .unwrap_or_else(|| panic!("{written}"));
    assert!(gate.ends_with(",page 2"), "{gate}");

    let md = dir.path().join("out.md");
    export_from_dialog(&mut app, mitremap_export::Format::Markdown, &md);
    let written = std::fs::read_to_string(&md).expect("Markdown written");
    let gate = written
        .lines()
        .find(|l| l.contains("198[.]51[.]100[.]14/gate.php"))
        .unwrap_or_else(|| panic!("{written}"));
    assert!(gate.contains("first on page 2"), "{gate}");

    // JSON, STIX and Navigator name the places as `mitremap analyze report.pdf -f ...` does
    let json_path = dir.path().join("out.json");
    export_from_dialog(&mut app, mitremap_export::Format::Json, &json_path);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json_path).expect("JSON written")).unwrap();
    assert_eq!(json["input"]["document"]["format"], "pdf");
    let gate = json["iocs"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["value"].as_str().unwrap_or("").contains("gate.php"))
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(gate["source"], serde_json::json!({"page": 2}), "{gate}");
    assert!(
        json["chunks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["source"]["page"].is_u64()),
        "every chunk has its page"
    );
    let stix_path = dir.path().join("out.stix.json");
    export_from_dialog(&mut app, mitremap_export::Format::Stix, &stix_path);
    let stix = std::fs::read_to_string(&stix_path).expect("STIX written");
    assert!(stix.contains("First seen: page 1."), "{stix}");
    let layer_path = dir.path().join("out.layer.json");
    export_from_dialog(&mut app, mitremap_export::Format::Navigator, &layer_path);
    let layer = std::fs::read_to_string(&layer_path).expect("layer written");
    assert!(layer.contains("\"source document\""), "{layer}");

    // edited and analysed again: plain text, no pages
    act(&mut app, key(KeyCode::Char('i')));
    act(&mut app, key(KeyCode::Char('x')));
    act(&mut app, key(KeyCode::Esc));
    act(&mut app, Action::Tick(t0() + Duration::from_secs(30)));
    assert!(!app.stale, "re-analysed");
    let csv = dir.path().join("edited.csv");
    export_from_dialog(&mut app, mitremap_export::Format::Csv, &csv);
    let written = std::fs::read_to_string(&csv).expect("CSV written");
    assert!(!written.contains("page "), "{written}");
    let json_path = dir.path().join("edited.json");
    export_from_dialog(&mut app, mitremap_export::Format::Json, &json_path);
    let json = std::fs::read_to_string(&json_path).expect("JSON written");
    assert!(!json.contains("\"document\""), "{json}");
}

#[test]
fn snapshot_pdf_page_gutter() {
    let mut app = document_app("glass-harbor-long.pdf", "PDF");
    let first = app.start();
    drive(&mut app, first);
    act(&mut app, Action::ModelLoaded(Ok(model())));
    act(&mut app, Action::Tick(t0() + Duration::from_millis(1500)));
    let page5 = app
        .source
        .as_ref()
        .unwrap()
        .map
        .spans()
        .find(|(_, l)| l.page == Some(5))
        .map(|(s, _)| s)
        .unwrap();
    app.editor.jump_to_byte(page5);
    snap("pdf_gutter", &app);
}

/// IoC highlights and chunk boundaries vanished (stale) from the first key until the
/// re-analysis: the report's ranges are now carried through the edits, so typing before an IoC
/// keeps it highlighted on the same word, and the chunk gutter on the same lines.
#[test]
fn a_highlight_survives_typing_before_it() {
    use tui::theme::Role;
    let mut app = analysed(REPORT);
    let ip = REPORT.find("10.0.0.5").unwrap();
    let report = app.report.as_ref().unwrap();
    let ioc = report
        .iocs
        .iter()
        .find(|i| i.range.start == ip)
        .expect("the fixture finds 10.0.0.5")
        .clone();
    let chunks_before = report.chunks.len();
    act(&mut app, Action::Command(Command::Edit));
    app.editor.jump(0, 0);
    typed(&mut app, "Seen again: ");
    act(&mut app, key(KeyCode::Enter));
    assert!(app.stale, "the results are stale until the re-run");
    assert_eq!(app.report.as_ref().unwrap().chunks.len(), chunks_before);
    let text = app.editor.text();
    let mapped = app.text_changes.map_range(ioc.range.clone());
    assert_eq!(
        &text[mapped.clone()],
        "10.0.0.5",
        "the range moved with the text"
    );
    for c in &app.report.as_ref().unwrap().chunks {
        let r = app.text_changes.map_range(c.range.clone());
        assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
        assert_eq!(
            &text[r],
            &REPORT[c.range.clone()],
            "chunk {} moved whole",
            c.index
        );
    }
    // on screen: the IP still has the network IoC colour, the typed words have none
    let (w, h) = (120, 40);
    let terminal = render(&app, w, h);
    let buf = terminal.backend().buffer();
    let network = app.theme.style(Role::ioc_network);
    let rows: Vec<String> = (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect())
        .collect();
    let (y, row) = rows
        .iter()
        .enumerate()
        .find(|(_, r)| r.contains("10.0.0.5"))
        .expect("the IP is on screen");
    let x = row[..row.find("10.0.0.5").unwrap()].chars().count() as u16;
    for dx in 0..8 {
        assert_eq!(
            buf[(x + dx, y as u16)].fg,
            network.fg.unwrap(),
            "IP cell {dx} lost its highlight"
        );
    }
    let (y, row) = rows
        .iter()
        .enumerate()
        .find(|(_, r)| r.contains("Seen again:"))
        .unwrap();
    let x = row[..row.find("Seen again:").unwrap()].chars().count() as u16;
    assert_ne!(buf[(x, y as u16)].fg, network.fg.unwrap());
    // the first chunk is still numbered on the line it starts on (now the second line)
    assert!(
        rows.iter().any(|r| r.contains("0▸ APT29")),
        "{}",
        rows.join("\n")
    );
    // the cursor's chunk is found where the chunks are now (it stopped following while stale):
    // the last sentence, "Internal host 10.0.0.5 was used for staging.", is chunk 2
    let ctrl_end = KeyEvent::new(KeyCode::End, KeyModifiers::CONTROL);
    act(&mut app, Action::Key(ctrl_end));
    act(&mut app, key(KeyCode::Up));
    act(&mut app, key(KeyCode::End));
    act(&mut app, key(KeyCode::Left));
    assert!(app.editor.lines()[app.editor.cursor().0].ends_with("for staging."));
    assert_eq!(app.current_chunk, Some(tui::app::ChunkPos(2)));
    act(&mut app, key(KeyCode::Home));
    assert_eq!(
        app.current_chunk,
        Some(tui::app::ChunkPos(1)),
        "Persistence... is chunk 1"
    );
}

/// The export dialog's format keys were hard-coded (↑/↓/tab), so the help could not list them
/// and a keymap could not change them: they come from the keymap's [export] section now.
#[test]
fn the_export_dialogs_keys_come_from_the_keymap_and_the_help_lists_them() {
    let mut app = analysed(REPORT);
    act(&mut app, Action::Command(Command::Help));
    let mut help = screen(&app, 120, 40);
    for _ in 0..200 {
        if help.contains("next export format") {
            break;
        }
        act(&mut app, key(KeyCode::Down));
        help = screen(&app, 120, 40);
    }
    assert!(help.contains("In the export dialog"), "{help}");
    assert!(help.contains("next export format"), "{help}");
    act(&mut app, key(KeyCode::Esc));
    let mut keymap = Keymap::defaults();
    let problems = keymap
        .merge("[export]\nnext_format = [\"right\"]\n")
        .unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    app.keymap = keymap;
    act(&mut app, Action::Command(Command::Export));
    let format = |app: &App| {
        app.popup::<ExportDialog>()
            .expect("the export dialog closed")
            .format
    };
    act(&mut app, key(KeyCode::Right));
    assert_eq!(format(&app), 1);
    act(&mut app, key(KeyCode::Tab));
    assert_eq!(format(&app), 1, "tab was rebound");
    act(&mut app, key(KeyCode::Up));
    assert_eq!(format(&app), 0, "the popup's up key still moves");
}

/// Seen in the theme screenshots: the selected technique row kept the tactic's dim grey and the
/// confidence's green on the selection, unreadable on the high-contrast theme's white selection.
#[test]
fn the_selected_rows_text_takes_the_selections_colours() {
    use tui::theme::Role;
    let mut app = analysed(REPORT);
    app.theme = Theme::load("high-contrast", None).unwrap();
    let terminal = render(&app, 120, 40);
    let buf = terminal.backend().buffer();
    let selected = app.theme.style(Role::selected);
    let row = (0..40)
        .find(|&y| buf[(62, y)].bg == selected.bg.unwrap())
        .expect("a selected row in the results pane");
    let mut seen = 0;
    for x in 60..120 {
        let cell = &buf[(x, row)];
        if cell.bg == selected.bg.unwrap() && cell.symbol().chars().all(char::is_alphanumeric) {
            assert_eq!(cell.fg, selected.fg.unwrap(), "{:?} at {x}", cell.symbol());
            seen += 1;
        }
    }
    assert!(seen > 10, "{seen} letters on the selected row");
}

// ---- extending the UI ------------------------------------------------------------------------

/// A popup the app has never heard of: defined here, registered with one entry, it opens from
/// a key through the keymap, draws, reads its keys through the keymap, asks the app for
/// something and closes. No match arm anywhere in the app names it: what a new popup module
/// needs is itself and its line in `popups::OPENERS`.
mod test_popup {
    use super::*;
    use crossterm::event::KeyEvent;
    use ratatui::Frame;
    use ratatui::layout::Rect;
    use ratatui::text::Line;
    use tui::keymap::Context;
    use tui::popups::{self, Outcome, Popup};

    /// Counts the keys it is given; confirm tells the app how many.
    pub struct Counter {
        pub keys: usize,
    }

    pub fn open(_app: &mut App) -> Option<Box<dyn Popup>> {
        Some(Box::new(Counter { keys: 0 }))
    }

    impl Popup for Counter {
        fn on_key(&mut self, key: &KeyEvent, keymap: &Keymap) -> Outcome {
            match keymap.command(&[Context::Popup], key) {
                Some(Command::Close) => Outcome::Close,
                Some(Command::Confirm) => {
                    let keys = self.keys;
                    Outcome::done(move |app| {
                        app.info(format!("counted {keys} keys"));
                        Vec::new()
                    })
                }
                _ => {
                    self.keys += 1;
                    Outcome::Keep
                }
            }
        }

        fn draw(&self, f: &mut Frame, app: &App, area: Rect) {
            let rect = popups::centered(area, 30, 3);
            let lines = vec![Line::raw(format!("{} keys so far", self.keys))];
            popups::show(f, app, rect, " Test counter ", lines);
        }
    }
}

#[test]
fn a_popup_is_one_module_and_one_registration() {
    let mut keymap = Keymap::defaults();
    let problems = keymap.merge("[panes]\ncopy_all = [\"f12\"]\n").unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let mut app = analysed(REPORT);
    app.keymap = keymap;
    // the one entry (a line in `popups::OPENERS` for a popup of the app's own)
    app.register_popup(Command::CopyAll, test_popup::open);
    let effects = act(&mut app, key(KeyCode::F(12)));
    assert!(
        effects.is_empty(),
        "the key copied instead of opening the popup: {effects:?}"
    );
    assert!(app.popup::<test_popup::Counter>().is_some(), "not opened");
    act(&mut app, key(KeyCode::Char('a')));
    act(&mut app, key(KeyCode::Char('j')));
    assert_eq!(app.popup::<test_popup::Counter>().unwrap().keys, 2);
    insta::assert_snapshot!("test_popup_80x24", render(&app, 80, 24).backend());
    act(&mut app, key(KeyCode::Enter));
    assert!(!app.has_popup(), "confirm closes it");
    assert_eq!(notice_text(&app), "counted 2 keys");
    // opened again and closed with a close key of the keymap's [popup]: nothing asked of the app
    act(&mut app, key(KeyCode::F(12)));
    assert!(app.has_popup());
    act(&mut app, key(KeyCode::Char('q')));
    assert!(!app.has_popup());
    assert_eq!(notice_text(&app), "counted 2 keys");
}
