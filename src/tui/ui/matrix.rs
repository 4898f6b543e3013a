//! The matrix view: tactics as columns (like the ATT&CK Navigator), the predicted techniques lit
//! by confidence.
//!
//! Columns are as wide as their longest cell (technique names whole, up to [`MAX_COL`]). When
//! every tactic fits they stand in kill-chain order; when not, tactics with hits come first (in
//! kill-chain order) and the view scrolls sideways with the tactic cursor (←/→), so every hit
//! can be reached at any width. A legend says what the colours mean.

use mitremap_engine::attack::Catalog;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{fit, pane_block, safe, width_of};
use crate::tui::app::{App, Focus};
use crate::tui::theme::Role;

/// Widest a column grows (`T1547.001 Registry Run Keys / Startup Folder` fits).
pub const MAX_COL: usize = 46;

/// Confidence at or above which a cell is drawn as high, and as medium.
const HIGH: f32 = 0.8;
const MID: f32 = 0.6;

/// One tactic column as laid out at some width.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    /// Techniques (indices into `app.techniques`), highest confidence first.
    pub items: Vec<usize>,
    /// Columns taken, the gap to the next column included.
    pub width: usize,
}

/// A technique's cell: ID and name, after its verdict's mark in a reviewed report.
fn cell_text(app: &App, t: &mitremap_engine::analysis::TechniqueHit) -> String {
    let reviewed = app.report.as_ref().is_some_and(|r| r.review.is_some());
    if reviewed {
        safe(&format!(
            "{} {} {}",
            crate::tui::review::mark(t.review),
            t.id,
            t.name
        ))
    } else {
        safe(&format!("{} {}", t.id, t.name))
    }
}

/// The columns in display order at `width` columns, and whether tactics with hits were moved
/// first because not all fit.
pub fn columns(app: &App, width: usize) -> (Vec<Column>, bool) {
    let catalog = Catalog::active();
    let cell = |i: usize| width_of(&cell_text(app, &app.techniques[i]));
    let all: Vec<Column> = catalog
        .tactics
        .iter()
        .map(|tactic| {
            let mut items: Vec<usize> = app
                .techniques
                .iter()
                .enumerate()
                .filter(|(_, t)| t.tactics.contains(&tactic.shortname))
                .map(|(i, _)| i)
                .collect();
            items.sort_by(|&a, &b| {
                app.techniques[b]
                    .confidence
                    .total_cmp(&app.techniques[a].confidence)
            });
            let name = tactic.name.clone();
            let header = width_of(&header(&name, items.len()));
            let widest = items.iter().map(|&i| cell(i)).max().unwrap_or(0);
            Column {
                width: header.max(widest).min(MAX_COL) + 1,
                name,
                items,
            }
        })
        .collect();
    if all.iter().map(|c| c.width).sum::<usize>() <= width + 1 {
        return (all, false);
    }
    let (hits, empty): (Vec<Column>, Vec<Column>) =
        all.into_iter().partition(|c| !c.items.is_empty());
    let moved = !hits.is_empty() && !empty.is_empty();
    (hits.into_iter().chain(empty).collect(), moved)
}

fn header(name: &str, hits: usize) -> String {
    format!("{name} ({hits})")
}

/// The column the tactic cursor is on: the one asked for while it holds the selected technique
/// (or holds none), else the first column holding it.
pub fn cursor(app: &App, cols: &[Column]) -> usize {
    if cols.is_empty() {
        return 0;
    }
    let asked = app.results.matrix.col.min(cols.len() - 1);
    let holds = |c: &Column| c.items.contains(&app.results.techniques.selected);
    if holds(&cols[asked]) || cols[asked].items.is_empty() {
        return asked;
    }
    cols.iter().position(holds).unwrap_or(asked)
}

/// The first column shown so that the cursor column is visible (as far left as possible).
fn first_shown(cols: &[Column], cursor: usize, width: usize) -> usize {
    let mut used = 0;
    let mut first = cursor;
    for i in (0..=cursor).rev() {
        if used + cols[i].width > width + 1 && i != cursor {
            break;
        }
        used += cols[i].width;
        first = i;
    }
    first
}

/// Width of the matrix's inner area as last drawn (for key handling).
pub fn inner_width(app: &App) -> usize {
    let results = app.areas.get().results;
    let w = if results.width > 0 {
        results.width
    } else {
        app.size.0
    };
    w.saturating_sub(2) as usize
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let title = Line::from(vec![
        Span::styled(" ATT&CK matrix ", app.theme.style(Role::title)),
        Span::styled(
            format!("≥{}  (m: back to the list) ", super::threshold_label(app)),
            app.theme.style(Role::dim),
        ),
    ]);
    let block = pane_block(app, title, Focus::Results);
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height < 3 {
        return;
    }
    let width = inner.width as usize;
    let (cols, moved) = columns(app, width);
    let cur = cursor(app, &cols);
    let first = first_shown(&cols, cur, width);
    // the columns that fit from `first` (at least one, cut if wider than the pane)
    let mut shown = Vec::new();
    let mut used = 0;
    for (i, c) in cols.iter().enumerate().skip(first) {
        if used + c.width > width + 1 && !shown.is_empty() {
            break;
        }
        let w = c.width.min(width + 1 - used);
        shown.push((i, w));
        used += w;
    }
    let after = cols.len() - first - shown.len();
    let t = &app.theme;
    let mut lines: Vec<Line> = Vec::new();
    let mut head = Vec::new();
    for &(i, w) in &shown {
        let c = &cols[i];
        let mut style = t.style(Role::title);
        if i == cur {
            style = style.patch(t.style(Role::selected));
        }
        let text = fit(&header(&c.name, c.items.len()), w.saturating_sub(1));
        let pad = w.saturating_sub(width_of(&text));
        head.push(Span::styled(text, style));
        head.push(Span::raw(" ".repeat(pad)));
    }
    lines.push(Line::from(head));
    let depth = cols.iter().map(|c| c.items.len()).max().unwrap_or(0);
    let body_h = inner.height as usize - 2;
    // rows scroll with the selection in the cursor column
    let sel_row = cols
        .get(cur)
        .and_then(|c| {
            c.items
                .iter()
                .position(|&i| i == app.results.techniques.selected)
        })
        .unwrap_or(0);
    let top = (sel_row + 1).saturating_sub(body_h);
    for r in top..depth.min(top + body_h) {
        let mut spans = Vec::new();
        for &(ci, w) in &shown {
            match cols[ci].items.get(r) {
                Some(&i) => {
                    let tech = &app.techniques[i];
                    let role = if tech.confidence >= HIGH {
                        Role::matrix_high
                    } else if tech.confidence >= MID {
                        Role::matrix_mid
                    } else {
                        Role::matrix_low
                    };
                    let mut style = t.style(role);
                    if i == app.results.techniques.selected {
                        style = style.patch(t.style(Role::selected));
                    }
                    let label = fit(&cell_text(app, tech), w.saturating_sub(1));
                    let pad = w.saturating_sub(width_of(&label));
                    spans.push(Span::styled(label, style));
                    spans.push(Span::raw(" ".repeat(pad)));
                }
                None => spans.push(Span::raw(" ".repeat(w))),
            }
        }
        lines.push(Line::from(spans));
    }
    if app.techniques.is_empty() {
        lines.push(Line::styled(
            if app.model_unavailable() {
                "No model: no techniques to place."
            } else {
                "No techniques at this threshold yet."
            },
            t.style(Role::dim),
        ));
    }
    f.render_widget(Paragraph::new(lines), inner);

    // The last line: the legend, then where the other tactics are.
    let dim = t.style(Role::dim);
    let mut legend = vec![
        Span::styled("■ ≥0.80", t.style(Role::matrix_high)),
        Span::raw(" "),
        Span::styled("■ ≥0.60", t.style(Role::matrix_mid)),
        Span::raw(" "),
        Span::styled(
            format!("■ ≥{}", super::threshold_label(app)),
            t.style(Role::matrix_low),
        ),
    ];
    let mut notes = Vec::new();
    if first > 0 {
        notes.push(format!("◂ {first} more"));
    }
    if after > 0 {
        notes.push(format!("{after} more ▸"));
    }
    if first > 0 || after > 0 {
        notes.push("←/→ tactics".to_owned());
        if moved {
            notes.push("tactics with hits first".to_owned());
        }
    }
    let hidden_rows = depth.saturating_sub(top + body_h);
    if hidden_rows > 0 {
        notes.push(format!("{hidden_rows} more rows ▾"));
    }
    for note in notes {
        let used: usize = legend.iter().map(|s| s.width()).sum();
        if used + 3 + width_of(&note) > width {
            break;
        }
        legend.push(Span::styled(" · ", dim));
        legend.push(Span::styled(note, dim));
    }
    let y = inner.y + inner.height - 1;
    f.render_widget(
        Paragraph::new(Line::from(legend)),
        Rect {
            y,
            height: 1,
            ..inner
        },
    );
}
