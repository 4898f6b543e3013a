//! Drawing the app from its state. Every piece of report text goes through the engine's
//! sanitiser (`safe`, `safe_multiline`) before it reaches a ratatui buffer.

pub(crate) mod matrix;
pub(crate) mod results;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Wrap};

use super::app::{App, Areas, Focus};
pub(crate) use super::components::editor::ioc_style;
use super::popups;
use super::theme::Role;

/// Smallest terminal the layout works in.
pub const MIN_SIZE: (u16, u16) = (50, 12);

/// Draws one frame.
pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let msg = format!(
            "Terminal too small: {}x{} (mitremap needs at least {}x{}). Enlarge the window, or press ctrl-q to quit.",
            area.width, area.height, MIN_SIZE.0, MIN_SIZE.1
        );
        f.render_widget(
            Paragraph::new(msg)
                .style(app.theme.style(Role::warning))
                .wrap(Wrap { trim: true }),
            area,
        );
        // a popup still shows (the recovery offer at start must be answerable)
        popups::draw(f, app, area);
        return;
    }
    let [main, status_area] =
        Layout::vertical([Constraint::Min(6), Constraint::Length(2)]).areas(area);
    // a tab with a pane of its own (the matrix) takes the top; lists share the right side
    let wide = app.results.tab.component().own_pane();
    let (editor_area, results_area, heatmap_area) = if wide {
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(main);
        let [e, h] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
            .areas(bottom);
        (e, top, h)
    } else {
        let left = if main.width >= 110 { 50 } else { 45 };
        let [e, right] = Layout::horizontal([
            Constraint::Percentage(left),
            Constraint::Percentage(100 - left),
        ])
        .areas(main);
        let [r, h] =
            Layout::vertical([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(right);
        (e, r, h)
    };
    let mut areas = Areas {
        editor: editor_area,
        results: results_area,
        heatmap: heatmap_area,
        ..Areas::default()
    };
    super::components::editor::draw(f, app, editor_area);
    let (list_top, list_offset) = match app.results.tab.component().draw_pane(f, app, results_area)
    {
        Some(drawn) => drawn,
        None => results::draw(f, app, results_area),
    };
    areas.list_top = list_top;
    areas.list_offset = list_offset;
    super::components::heatmap::draw(f, app, heatmap_area);
    super::components::status::draw(f, app, status_area);
    app.areas.set(areas);
    popups::draw(f, app, area);
}

/// A pane's frame, highlighted when focused.
pub(crate) fn pane_block<'a>(app: &App, title: Line<'a>, focus: Focus) -> Block<'a> {
    let focused = app.focus == focus && !app.has_popup();
    let (style, border) = if focused {
        (app.theme.style(Role::border_focus), BorderType::Thick)
    } else {
        (app.theme.style(Role::border), BorderType::Plain)
    };
    Block::bordered()
        .border_type(border)
        .border_style(style)
        .title(title)
        .style(app.theme.style(Role::base))
}

/// One line of untrusted text, safe for the terminal.
pub(crate) fn safe(s: &str) -> String {
    mitremap_engine::text::terminal_safe_line(s).into_owned()
}

/// Untrusted text split into lines, each safe for the terminal.
pub(crate) fn safe_lines(s: &str) -> Vec<String> {
    s.split('\n').map(safe).collect()
}

/// The threshold as shown: `…` while the model (and so its threshold) is still loading.
pub(crate) fn threshold_label(app: &App) -> String {
    app.shown_threshold().map_or_else(
        || "…".to_owned(),
        mitremap_engine::analysis::format_threshold,
    )
}

/// Decimal digits of `n` (numeric columns are sized from their content, never cut).
pub(crate) fn digits(n: usize) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

/// Display width in terminal columns.
pub(crate) fn width_of(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Truncates to `width` columns with an ellipsis.
pub(crate) fn fit(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut w = 0;
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return s.to_owned();
    }
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// A confidence bar of `cells` cells with eighth-block precision.
pub(crate) fn bar(value: f32, cells: usize) -> String {
    const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let total = (value.clamp(0.0, 1.0) * (cells * 8) as f32).round() as usize;
    let mut s = "█".repeat(total / 8);
    if total / 8 < cells {
        s.push(EIGHTHS[total % 8]);
        s.push_str(&" ".repeat(cells - total / 8 - 1));
    }
    s
}

pub(crate) fn conf_style(app: &App, c: f32) -> Style {
    app.theme.style(if c >= 0.8 {
        Role::conf_high
    } else if c >= 0.6 {
        Role::conf_mid
    } else {
        Role::conf_low
    })
}

pub(crate) fn key_hint<'a>(app: &App, key: String, label: &'a str) -> Vec<Span<'a>> {
    vec![
        Span::styled(key, app.theme.style(Role::key)),
        Span::styled(format!(" {label}  "), app.theme.style(Role::hint)),
    ]
}
