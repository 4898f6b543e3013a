//! Problems found at start (theme, keymap, config), in full; any key closes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::{centered, show, wrapped_height};
use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::tui::ui::safe;

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
