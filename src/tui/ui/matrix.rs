//! The matrix view: tactics as columns in kill-chain order (like the ATT&CK Navigator), the
//! predicted techniques lit by confidence.

use mitremap_engine::attack::Catalog;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{fit, pane_block, safe};
use crate::tui::app::{App, Focus};
use crate::tui::theme::Role;

const MIN_COL: usize = 11;

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
    let catalog = Catalog::embedded();
    let width = inner.width as usize;
    let hits = |short: &str| -> Vec<usize> {
        let mut v: Vec<usize> = app
            .techniques
            .iter()
            .enumerate()
            .filter(|(_, t)| t.tactics.iter().any(|x| x == short))
            .map(|(i, _)| i)
            .collect();
        v.sort_by(|&a, &b| {
            app.techniques[b]
                .confidence
                .total_cmp(&app.techniques[a].confidence)
        });
        v
    };
    let all: Vec<(&str, &str, Vec<usize>)> = catalog
        .tactics
        .iter()
        .map(|t| (t.shortname.as_str(), t.name.as_str(), hits(&t.shortname)))
        .collect();
    let fits_all = all.len() * MIN_COL <= width;
    let mut cols: Vec<&(&str, &str, Vec<usize>)> = if fits_all {
        all.iter().collect()
    } else {
        all.iter().filter(|c| !c.2.is_empty()).collect()
    };
    let hidden = all.len() - cols.len();
    let max_cols = (width / MIN_COL).max(1);
    let truncated = cols.len() > max_cols;
    cols.truncate(max_cols);
    let cw = if cols.is_empty() {
        width
    } else {
        width / cols.len()
    };
    let mut lines: Vec<Line> = Vec::new();
    let mut header = Vec::new();
    for (_, name, items) in &cols {
        header.push(Span::styled(
            format!("{:<cw$}", fit(&format!("{name} ({})", items.len()), cw - 1)),
            app.theme.style(Role::title),
        ));
    }
    lines.push(Line::from(header));
    let depth = cols.iter().map(|c| c.2.len()).max().unwrap_or(0);
    let body_h = inner.height as usize - 2;
    for r in 0..depth.min(body_h) {
        let mut spans = Vec::new();
        for (_, _, items) in &cols {
            match items.get(r) {
                Some(&i) => {
                    let t = &app.techniques[i];
                    let role = if t.confidence >= 0.8 {
                        Role::matrix_high
                    } else if t.confidence >= 0.6 {
                        Role::matrix_mid
                    } else {
                        Role::matrix_low
                    };
                    let mut style = app.theme.style(role);
                    if i == app.sel_technique {
                        style = style.patch(app.theme.style(Role::selected));
                    }
                    let label = format!("{} {}", t.id, t.name);
                    spans.push(Span::styled(fit(&safe(&label), cw - 1), style));
                    let used = fit(&safe(&label), cw - 1).chars().count();
                    spans.push(Span::raw(" ".repeat(cw.saturating_sub(used))));
                }
                None => spans.push(Span::raw(" ".repeat(cw))),
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
            app.theme.style(Role::dim),
        ));
    }
    let mut note = Vec::new();
    if hidden > 0 {
        note.push(format!(
            "{hidden} tactics without hits hidden (widen the terminal to see all)"
        ));
    }
    if truncated {
        note.push("more tactics to the right".to_owned());
    }
    if depth > body_h {
        note.push(format!("{} more rows", depth - body_h));
    }
    f.render_widget(Paragraph::new(lines), inner);
    if !note.is_empty() {
        let y = inner.y + inner.height - 1;
        f.render_widget(
            Paragraph::new(Line::styled(note.join(" · "), app.theme.style(Role::dim))),
            Rect {
                y,
                height: 1,
                ..inner
            },
        );
    }
}
