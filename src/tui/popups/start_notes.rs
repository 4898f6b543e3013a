//! What the analyst should know at start, in full; any key closes. Problems (a bad theme, keymap
//! or config entry, worked around) and notes about how the text was opened (extracted from a
//! PDF, decoded from UTF-16, bytes replaced) are told apart: a PDF's page count is not a problem.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::{Outcome, Popup, centered, show, wrapped_height};
use crate::tui::app::App;
use crate::tui::keymap::Keymap;
use crate::tui::theme::Role;
use crate::tui::ui::safe;

/// One thing to tell the analyst at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartNote {
    /// Something was wrong and was worked around (the rest of the file applies).
    Problem(String),
    /// How the text was opened: nothing went wrong, but it is not the file's bytes as they are.
    AboutText(String),
}

impl StartNote {
    pub fn text(&self) -> &str {
        match self {
            StartNote::Problem(s) | StartNote::AboutText(s) => s,
        }
    }
}

/// The start notes, in full: any key closes.
#[derive(Debug)]
pub struct StartNotes(pub Vec<StartNote>);

impl Popup for StartNotes {
    fn on_key(&mut self, _key: &KeyEvent, _keymap: &Keymap) -> Outcome {
        Outcome::Close
    }
    fn draw(&self, f: &mut Frame, app: &App, area: Rect) {
        draw(f, app, area, &self.0)
    }
}

pub fn draw(f: &mut Frame, app: &App, area: Rect, notes: &[StartNote]) {
    let problems = notes.iter().any(|n| matches!(n, StartNote::Problem(_)));
    let about = notes.iter().any(|n| matches!(n, StartNote::AboutText(_)));
    // problems first: they are what the analyst may want to fix
    let ordered = notes
        .iter()
        .filter(|n| matches!(n, StartNote::Problem(_)))
        .chain(
            notes
                .iter()
                .filter(|n| matches!(n, StartNote::AboutText(_))),
        );
    let mut lines: Vec<Line> = ordered
        .map(|n| {
            Line::styled(
                format!("• {}", safe(n.text())),
                app.theme.style(Role::warning),
            )
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        if problems {
            "The rest applies as usual. Any key closes."
        } else {
            "Any key closes."
        },
        app.theme.style(Role::key),
    ));
    let title = match (problems, about) {
        (true, false) => " Problems at start ",
        (false, _) => " About this text ",
        (true, true) => " Problems at start, and about this text ",
    };
    let w = area.width.saturating_sub(2).min(90);
    let h = wrapped_height(&lines, w.saturating_sub(2)) + 2;
    let rect = centered(area, w, h);
    show(f, app, rect, title, lines);
}
