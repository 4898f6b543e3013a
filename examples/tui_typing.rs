//! What a key costs in the terminal UI: the app's `update` for a typed character plus the frame
//! drawn after it, on a 5 MB report against a 5 KB one measured in the same run (the ratio says
//! how much the report's size costs; the absolute times depend on the machine and the profile).
//!
//! ```text
//! cargo run --release --example tui_typing        # or without --release: a debug build
//! cargo run --release --example tui_typing -- 20  # a 20 MB report instead of 5
//! ```
//!
//! Both reports are the same threat-report paragraph repeated, with their IoCs found (the
//! analysis without a model, so no model is needed) and on screen while typing: the edits are
//! carried onto the highlights, the recovery and re-run timers are set, the frame is drawn at
//! 120x40 into ratatui's test backend (all of the drawing, none of the terminal's own I/O).

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mitremap::tui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tui::action::{Action, Effect};
use tui::app::{App, AppConfig};
use tui::keymap::{Command, Keymap};
use tui::theme::Theme;

const PARAGRAPH: &str = "APT29 used PowerShell to download a second-stage payload from 203.0.113.7. \
The actor dumped LSASS memory with Mimikatz to harvest credentials.\nSpearphishing emails carried \
a malicious attachment named invoice.docm. The payload beaconed to \
hxxp://evil[.]example[.]com/gate.php over HTTPS.\nFiles were encrypted with AES and a ransom note \
was left; sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 matched \
CVE-2021-44228 exploitation.\nPersistence was set in \
HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run. Internal host 10.0.0.5 was used for staging.\n";

const KEYS: usize = 300;

struct Timing {
    bytes: usize,
    lines: usize,
    iocs: usize,
    update: Vec<Duration>,
    frame: Vec<Duration>,
}

fn session(bytes: usize) -> Timing {
    let text = PARAGRAPH.repeat(bytes.div_ceil(PARAGRAPH.len()));
    let now = Instant::now();
    let mut app = App::new(AppConfig {
        text,
        name: Some("bench.txt".into()),
        path: None,
        lossy: false,
        unsaved: false,
        threshold: None,
        keymap: Keymap::defaults(),
        theme: Theme::default_theme(),
        notices: Vec::new(),
        recovery: None,
        now,
    });
    // the IoC pass of the analysis (no model: the analyzer is absent), run here synchronously
    for effect in app.start() {
        if let Effect::Analyze(job) = effect {
            let mut events = Vec::new();
            tui::worker::run_analysis(&job, &mut |e| events.push(e));
            for event in events {
                app.update(Action::Analysis {
                    generation: job.generation,
                    event,
                });
            }
        }
    }
    let iocs = app.report.as_ref().map_or(0, |r| r.iocs.len());
    app.update(Action::Command(Command::Edit));
    // type in the middle of the report, where every range after the cursor moves
    let middle = app.editor.lines().len() / 2;
    app.editor.jump(middle, 0);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test backend");
    terminal.draw(|f| tui::ui::draw(f, &app)).expect("draw");
    let (mut update, mut frame) = (Vec::new(), Vec::new());
    let typed = "Seen again in a later campaign ".chars().cycle().take(KEYS);
    for (i, c) in typed.enumerate() {
        // the app's clock moves 50 ms a key (a fast typist); no re-run fires meanwhile, as
        // none would while someone types this fast
        let at = now + Duration::from_millis(50 * i as u64);
        app.now = at;
        let t = Instant::now();
        app.update(Action::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
        update.push(t.elapsed());
        let t = Instant::now();
        terminal.draw(|f| tui::ui::draw(f, &app)).expect("draw");
        frame.push(t.elapsed());
    }
    assert!(app.editor.lines()[middle].starts_with("Seen again"));
    Timing {
        bytes: app.editor.text().len(),
        lines: app.editor.lines().len(),
        iocs,
        update,
        frame,
    }
}

fn percentile(v: &[Duration], p: f64) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let mb: usize = std::env::args()
        .nth(1)
        .map_or(5, |a| a.parse().expect("size in MB"));
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!("per key: update + draw (120x40), {KEYS} keys typed mid-report, {profile} build");
    let small = session(5_000);
    let big = session(mb * 1_000_000);
    let total = |t: &Timing| -> Vec<Duration> {
        t.update
            .iter()
            .zip(&t.frame)
            .map(|(u, f)| *u + *f)
            .collect()
    };
    for (name, t) in [("baseline", &small), ("large", &big)] {
        let all = total(t);
        println!(
            "{name:>8}: {:>9} bytes, {:>6} lines, {:>6} IoCs | median {:.3} ms (update {:.3} + draw {:.3}), p99 {:.3} ms, max {:.3} ms",
            t.bytes,
            t.lines,
            t.iocs,
            ms(percentile(&all, 0.5)),
            ms(percentile(&t.update, 0.5)),
            ms(percentile(&t.frame, 0.5)),
            ms(percentile(&all, 0.99)),
            ms(*all.iter().max().expect("keys")),
        );
    }
    let ratio = ms(percentile(&total(&big), 0.5)) / ms(percentile(&total(&small), 0.5));
    let p99 = ms(percentile(&total(&big), 0.99));
    println!(
        "ratio large/baseline (median): {ratio:.2}; large p99 {p99:.3} ms: {} the 16 ms budget",
        if p99 < 16.0 { "within" } else { "OVER" }
    );
}
