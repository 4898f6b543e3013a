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

/// Exit code after a hang-up (128 + SIGHUP), as a shell reports it.
const HANGUP_EXIT: i32 = 129;

/// On panic: restore the terminal, write a report to the state folder, say where, exit 101.
/// A panic from writing to a terminal that is gone (std's `print!` family panics with "failed
/// printing to stdout/stderr" on EIO, and ratatui's `Drop` prints with `eprintln!`) is a hang-up,
/// not a bug: the text is already in the recovery file, so leave quietly without a report.
pub fn install_panic_hook(state_dir: Option<PathBuf>) {
    std::panic::set_hook(Box::new(move |info| {
        restore();
        let text = info.to_string();
        if is_dead_terminal_panic(&text) {
            std::process::exit(HANGUP_EXIT);
        }
        let report = state_dir
            .as_deref()
            .and_then(|d| write_panic_report(d, &text));
        let msg = mitremap_engine::text::terminal_safe_line(&text).into_owned();
        let mut err = std::io::stderr();
        let _ = writeln!(err, "mitremap: internal error: {msg}");
        let _ = match report {
            Some(p) => writeln!(
                err,
                "mitremap: a report was written to {}; unsaved text is in the recovery file there",
                p.display()
            ),
            None => writeln!(err, "mitremap: could not write a panic report"),
        };
        std::process::exit(101);
    }));
}

/// True for the panics std raises when stdout/stderr cannot be written (a closed terminal).
fn is_dead_terminal_panic(message: &str) -> bool {
    message.contains("failed printing to stdout") || message.contains("failed printing to stderr")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_write_to_a_dead_terminal_is_recognised_as_a_hang_up() {
        let std_message = "panicked at library/std/src/io/stdio.rs:1165:9:\nfailed printing to stderr: Input/output error (os error 5)";
        assert!(super::is_dead_terminal_panic(std_message));
        assert!(!super::is_dead_terminal_panic("index out of bounds"));
    }
}
