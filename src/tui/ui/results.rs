//! The results pane: techniques, IoCs grouped by type, and one row per chunk.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use mitremap_engine::analysis::ReviewStatus;

use super::pane_block;
use crate::tui::app::{App, Focus, Tab};
use crate::tui::theme::Role;

/// Draws the pane; returns (y of the first list row, list scroll offset) for mouse clicks.
pub fn draw(f: &mut Frame, app: &App, area: Rect) -> (u16, usize) {
    let block = pane_block(app, tabs_title(app, area.width), Focus::Results);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height < 2 {
        return (0, 0);
    }
    let list_h = inner.height as usize - 1;
    // Only the visible rows are built: a 5 MB report has tens of thousands of IoCs and chunks.
    let (header, rows, offset) =
        app.results
            .tab
            .component()
            .rows(app, inner.width as usize, list_h);
    let mut lines = vec![header];
    lines.extend(rows);
    f.render_widget(Paragraph::new(lines), inner);
    (inner.y + 1, offset)
}

fn tabs_title(app: &App, width: u16) -> Line<'static> {
    let short = width < 56;
    let mut spans = vec![Span::raw(" ")];
    for tab in Tab::all() {
        let title = if short {
            tab.short_title()
        } else {
            tab.title()
        };
        let label = match tab.component().count(app) {
            Some(n) => format!(" {title} {n} "),
            None => format!(" {title} "),
        };
        let style = if tab == app.results.tab {
            app.theme.style(Role::tab_active)
        } else {
            app.theme.style(Role::title)
        };
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    // the threshold only where it fits whole (the status bar always shows it)
    let threshold = format!("≥{} ", super::threshold_label(app));
    let used: usize = spans.iter().map(|s| s.width()).sum();
    if used + super::width_of(threshold.trim_end()) + 2 <= width as usize {
        spans.push(Span::styled(threshold, app.theme.style(Role::key)));
    }
    Line::from(spans)
}

pub(crate) fn empty_message(app: &App) -> &'static str {
    if app.report.is_none() {
        "No text yet."
    } else if app.is_running() {
        "Analysing…"
    } else if app.stale {
        "Text edited; re-running shortly."
    } else {
        "Nothing at this threshold (lower it with -)."
    }
}

/// Header, rows, and the selected row (techniques) or the scroll offset (windowed lists).
pub(crate) type Rows = (Line<'static>, Vec<Line<'static>>, usize);

pub(crate) fn sel_style(app: &App, selected: bool) -> Style {
    if selected && app.focus == Focus::Results {
        app.theme.style(Role::selected)
    } else if selected {
        app.theme
            .style(Role::selected)
            .remove_modifier(ratatui::style::Modifier::BOLD)
    } else {
        Style::default()
    }
}

/// A verdict's mark in lists (see `tui::review::mark`).
pub fn review_mark(status: ReviewStatus) -> &'static str {
    crate::tui::review::mark(status)
}

/// Accepted and added read as good, rejected as struck out, unreviewed dim.
pub fn review_style(app: &App, status: ReviewStatus) -> Style {
    match status {
        ReviewStatus::Accepted | ReviewStatus::Added => app.theme.style(Role::ok),
        ReviewStatus::Rejected => app.theme.style(Role::error),
        ReviewStatus::Unreviewed => app.theme.style(Role::dim),
    }
}
