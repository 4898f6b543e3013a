//! Problems found at start (theme, keymap, config), in full; any key closes.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::{Outcome, Popup, centered, show, wrapped_height};
use crate::tui::app::App;
use crate::tui::keymap::Keymap;
use crate::tui::theme::Role;
use crate::tui::ui::safe;

/// Problems found at start, in full: any key closes.
#[derive(Debug)]
pub struct Problems(pub Vec<String>);

impl Popup for Problems {
    fn on_key(&mut self, _key: &KeyEvent, _keymap: &Keymap) -> Outcome {
        Outcome::Close
    }
    fn draw(&self, f: &mut Frame, app: &App, area: Rect) {
        draw(f, app, area, &self.0)
    }
}

pub fn draw(f: &mut Frame, app: &App, area: Rect, problems: &[String]) {
    let mut lines: Vec<Line> = problems
        .iter()
        .map(|p| Line::styled(format!("• {}", safe(p)), app.theme.style(Role::warning)))
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "The rest applies as usual. Any key closes.",
        app.theme.style(Role::key),
    ));
    let w = area.width.saturating_sub(2).min(90);
    let h = wrapped_height(&lines, w.saturating_sub(2)) + 2;
    let rect = centered(area, w, h);
    show(f, app, rect, " Problems at start ", lines);
}
