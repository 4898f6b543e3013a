//! The results pane: techniques, IoCs grouped by type, and one row per chunk.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use mitremap_engine::analysis::ReviewStatus;

use super::{bar, conf_style, fit, pane_block, safe};
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
    let (header, rows, offset) = match app.tab {
        Tab::Techniques | Tab::Matrix => {
            let (h, rows, sel) = techniques(app, inner.width as usize);
            let offset = sel.saturating_sub(list_h.saturating_sub(1));
            (
                h,
                rows.into_iter().skip(offset).take(list_h).collect(),
                offset,
            )
        }
        Tab::Iocs => iocs(app, inner.width as usize, list_h),
        Tab::Chunks => chunks(app, inner.width as usize, list_h),
    };
    let mut lines = vec![header];
    lines.extend(rows);
    f.render_widget(Paragraph::new(lines), inner);
    (inner.y + 1, offset)
}

fn tabs_title(app: &App, width: u16) -> Line<'static> {
    let short = width < 56;
    let counts = [
        app.techniques.len(),
        app.visible_iocs().count(),
        app.chunk_count(),
    ];
    let mut spans = vec![Span::raw(" ")];
    for (i, tab) in Tab::ALL.iter().enumerate() {
        let title = if short {
            tab.short_title()
        } else {
            tab.title()
        };
        let label = match counts.get(i) {
            Some(n) => format!(" {title} {n} "),
            None => format!(" {title} "),
        };
        let style = if *tab == app.tab {
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

fn empty_message(app: &App) -> &'static str {
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
type Rows = (Line<'static>, Vec<Line<'static>>, usize);

fn sel_style(app: &App, selected: bool) -> Style {
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

fn techniques(app: &App, width: usize) -> Rows {
    let show_tactic = width >= 56;
    // the chunk count column is as wide as its biggest number (never cut: 3456 is not 345)
    let count_w = app
        .techniques
        .iter()
        .map(|t| super::digits(t.chunk_count))
        .max()
        .unwrap_or(1)
        .max(3);
    // a reviewed report: each row starts with its verdict's mark
    let reviewed = app.report.as_ref().is_some_and(|r| r.review.is_some());
    let mark_w = if reviewed { 2 } else { 0 };
    // [mark], ID, name, [tactic], bar + confidence ("Confidence"), count
    let fixed = mark_w + 10 + 11 + 1 + count_w + if show_tactic { 13 } else { 0 };
    let name_w = width.saturating_sub(fixed);
    let mut header = format!(
        "{}{:<9} {:<name_w$}",
        if reviewed { "  " } else { "" },
        "ID",
        "Technique"
    );
    if show_tactic {
        header.push_str(&format!(" {:<12}", "Tactic"));
    }
    header.push_str(&format!(" Confidence {:>count_w$}", "#ch"));
    let header = Line::styled(header, app.theme.style(Role::dim));
    if app.techniques.is_empty() {
        if app.model_unavailable() {
            return (
                header,
                vec![Line::styled(
                    "No model: techniques unavailable (IoCs still work).",
                    app.theme.style(Role::warning),
                )],
                0,
            );
        }
        return (
            header,
            vec![Line::styled(empty_message(app), app.theme.style(Role::dim))],
            0,
        );
    }
    let rows = app
        .techniques
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let sel = i == app.sel_technique;
            let mut spans = Vec::new();
            if reviewed {
                spans.push(Span::styled(
                    format!("{} ", review_mark(t.review)),
                    review_style(app, t.review),
                ));
            }
            spans.extend([
                Span::raw(format!("{:<9} ", safe(&t.id))),
                Span::raw(format!("{:<name_w$}", fit(&safe(&t.name), name_w))),
            ]);
            if show_tactic {
                let tactic = t.tactics.first().map_or("", String::as_str);
                spans.push(Span::styled(
                    format!(" {:<12}", fit(&safe(tactic), 12)),
                    app.theme.style(Role::dim),
                ));
            }
            spans.push(Span::raw(" "));
            spans.push(Span::styled(
                bar(t.confidence, 5),
                conf_style(app, t.confidence),
            ));
            // `~`: no chunk reaches the threshold; listed on its evidence summed over chunks.
            spans.push(Span::styled(
                format!(
                    "{}{:.2}",
                    if t.evidence_only { '~' } else { ' ' },
                    t.confidence
                ),
                conf_style(app, t.confidence),
            ));
            spans.push(Span::raw(format!(" {:>count_w$}", t.chunk_count)));
            Line::from(spans).style(sel_style(app, sel))
        })
        .collect();
    (header, rows, app.sel_technique)
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

fn iocs(app: &App, width: usize, list_h: usize) -> Rows {
    let noise = if app.hide_noise { "hidden" } else { "dimmed" };
    let header = Line::styled(
        format!("IoCs by type (private/benign {noise}; n toggles)"),
        app.theme.style(Role::dim),
    );
    // the selected item's row (group headers count) decides the scroll offset
    let mut selected_row = 0;
    let mut row = 0;
    let mut item = 0;
    for (_, items) in app.visible_groups() {
        row += 1;
        if app.sel_ioc < item + items.len() {
            selected_row = row + app.sel_ioc - item;
            break;
        }
        row += items.len();
        item += items.len();
    }
    let offset = selected_row.saturating_sub(list_h.saturating_sub(1));
    let visible = offset..offset + list_h;
    let mut rows = Vec::new();
    let mut row = 0;
    let mut item = 0;
    for (kind, items) in app.visible_groups() {
        if row >= visible.end {
            break;
        }
        if row + 1 + items.len() <= visible.start {
            row += 1 + items.len();
            item += items.len();
            continue;
        }
        if visible.contains(&row) {
            rows.push(Line::from(vec![
                Span::styled(
                    format!("{} ", kind.as_str()),
                    super::editor::ioc_style(app, kind),
                ),
                Span::styled(format!("({})", items.len()), app.theme.style(Role::dim)),
            ]));
        }
        row += 1;
        for s in items {
            let sel = item == app.sel_ioc;
            if !visible.contains(&row) {
                row += 1;
                item += 1;
                continue;
            }
            row += 1;
            let tag = match (s.flags.private, s.flags.benign, s.flags.lookalike) {
                (true, _, _) => " private",
                (_, true, _) => " benign",
                (_, _, true) => " lookalike",
                _ => "",
            };
            let count = if s.count > 1 {
                format!(" ×{}", s.count)
            } else {
                String::new()
            };
            let value_w = width.saturating_sub(2 + count.len() + tag.len());
            let mut style = if s.flags.is_noise() {
                app.theme.style(Role::dim)
            } else {
                Style::default()
            };
            style = style.patch(sel_style(app, sel));
            rows.push(
                Line::from(vec![
                    Span::raw(format!("  {}", fit(&safe(&s.value), value_w))),
                    Span::styled(count, app.theme.style(Role::dim)),
                    Span::styled(tag.to_owned(), app.theme.style(Role::dim)),
                ])
                .style(style),
            );
            item += 1;
        }
    }
    if rows.is_empty() {
        let msg = if app.report.is_some() && !app.is_running() && !app.stale {
            "No IoCs found."
        } else {
            empty_message(app)
        };
        rows.push(Line::styled(msg, app.theme.style(Role::dim)));
    }
    (header, rows, offset)
}

fn chunks(app: &App, width: usize, list_h: usize) -> Rows {
    let pred_w = 24;
    // as wide as the last chunk's index, so 5-digit indices keep the rows aligned
    let idx_w = app
        .report
        .as_ref()
        .and_then(|r| r.chunks.last())
        .map_or(1, |c| super::digits(c.index))
        .max(4);
    let header = Line::styled(
        format!("{:>idx_w$}  {:<pred_w$} Text", "#", "Predictions"),
        app.theme.style(Role::dim),
    );
    let Some(report) = &app.report else {
        return (
            header,
            vec![Line::styled(empty_message(app), app.theme.style(Role::dim))],
            0,
        );
    };
    if report.chunks.is_empty() {
        return (
            header,
            vec![Line::styled(empty_message(app), app.theme.style(Role::dim))],
            0,
        );
    }
    let offset = app.sel_chunk.saturating_sub(list_h.saturating_sub(1));
    let text_w = width.saturating_sub(idx_w + 2 + pred_w + 1);
    let rows = report
        .chunks
        .iter()
        .enumerate()
        .skip(offset)
        .take(list_h)
        .map(|(i, c)| {
            let preds: Vec<String> = c
                .above(app.threshold)
                .take(2)
                .map(|p| {
                    let label = report.label(p.label);
                    match &report.review {
                        Some(review) => {
                            let id = mitremap_engine::attack::Catalog::embedded()
                                .resolve(label)
                                .map_or(label, |t| t.id.as_str());
                            let status = review.chunk_status(c.index, id);
                            format!("{}{label} {:.2}", review_mark(status), p.score)
                        }
                        None => format!("{label} {:.2}", p.score),
                    }
                })
                .collect();
            let preds = if preds.is_empty() {
                "—".to_owned()
            } else {
                preds.join(", ")
            };
            let text = report
                .chunk_text(&c)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let sel = i == app.sel_chunk;
            Line::from(vec![
                Span::styled(format!("{:>idx_w$}  ", c.index), app.theme.style(Role::dim)),
                Span::styled(
                    format!("{:<pred_w$} ", fit(&safe(&preds), pred_w)),
                    app.theme.style(Role::conf_mid),
                ),
                Span::raw(fit(&safe(&text), text_w)),
            ])
            .style(sel_style(app, sel))
        })
        .collect();
    (header, rows, offset)
}
