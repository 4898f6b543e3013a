//! Entering and leaving the terminal UI, restoring the terminal on every way out: normal exit,
//! errors (a guard's `Drop`), panics (a hook that also writes a report and exits non-zero) and
//! signals (handled in the event loop).

use std::io::{Stdout, Write, stdout};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::recovery::write_panic_report;

static ACTIVE: AtomicBool = AtomicBool::new(false);

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Restores the terminal when dropped.
pub struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

pub fn enter() -> anyhow::Result<(Term, TerminalGuard)> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let guard = TerminalGuard;
    execute!(
        stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste,
        cursor::Hide
    )?;
    let terminal = Terminal::new(CrosstermBackend::new(stdout()))?;
    Ok((terminal, guard))
}

/// Leaves raw mode and the alternate screen (idempotent).
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = stdout();
        let _ = execute!(
            out,
            DisableBracketedPaste,
            DisableMouseCapture,
            LeaveAlternateScreen,
            cursor::Show
        );
        let _ = disable_raw_mode();
        let _ = out.flush();
    }
}

/// On panic: restore the terminal, write a report to the state folder, say where, exit 101.
pub fn install_panic_hook(state_dir: Option<PathBuf>) {
    std::panic::set_hook(Box::new(move |info| {
        restore();
        let report = state_dir
            .as_deref()
            .and_then(|d| write_panic_report(d, &info.to_string()));
        let msg = mitremap_engine::text::terminal_safe_line(&info.to_string()).into_owned();
        eprintln!("mitremap: internal error: {msg}");
        match report {
            Some(p) => eprintln!(
                "mitremap: a report was written to {}; unsaved text is in the recovery file there",
                p.display()
            ),
            None => eprintln!("mitremap: could not write a panic report"),
        }
        std::process::exit(101);
    }));
}
