//! The techniques tab: techniques at the threshold, best first, with their verdicts.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{ResultsTab, ReviewTarget};
use crate::tui::app::App;
use crate::tui::keymap::Command;
use crate::tui::theme::Role;
use crate::tui::ui::results::{Rows, empty_message, review_mark, review_style, sel_style};
use crate::tui::ui::{bar, conf_style, fit, safe};

use crate::tui::app::{ChunkPos, chunk_pos};

pub struct Techniques;

/// The tab's own state (the matrix selects among the same techniques).
#[derive(Debug, Clone, Default)]
pub struct TechniquesState {
    /// Position in `App::techniques`.
    pub selected: usize,
}

impl ResultsTab for Techniques {
    fn title(&self) -> &'static str {
        "Techniques"
    }

    fn short_title(&self) -> &'static str {
        "Tech"
    }

    fn command(&self) -> Command {
        Command::TabTechniques
    }

    fn count(&self, app: &App) -> Option<usize> {
        Some(app.techniques.len())
    }

    fn len(&self, app: &App) -> usize {
        app.techniques.len()
    }

    fn selected(&self, app: &App) -> usize {
        app.results.techniques.selected
    }

    fn select(&self, app: &mut App, i: usize) {
        app.results.techniques.selected = i;
        app.current_chunk = None;
        app.auto_follow = true;
        app.follow_technique();
    }

    fn on_show(&self, app: &mut App) {
        app.auto_follow = true;
        app.follow_technique()
    }

    fn jump_target(&self, app: &App) -> Option<usize> {
        chunk_start(app)
    }

    fn linked_chunks(&self, app: &App) -> Vec<ChunkPos> {
        technique_chunks(app)
    }

    fn copy_item(&self, app: &App, _fanged: bool) -> Option<(String, String)> {
        copy_technique(app)
    }

    fn review_target(&self) -> ReviewTarget {
        ReviewTarget::SelectedTechnique
    }

    fn rows(&self, app: &App, width: usize, list_h: usize) -> Rows {
        let (h, rows, sel) = rows(app, width);
        let offset = sel.saturating_sub(list_h.saturating_sub(1));
        (
            h,
            rows.into_iter().skip(offset).take(list_h).collect(),
            offset,
        )
    }
}

/// Start of the chunk on show (where Enter jumps), in the report's text.
pub fn chunk_start(app: &App) -> Option<usize> {
    app.current_chunk
        .and_then(|i| app.report.as_ref()?.chunks.get(i.0))
        .map(|c| c.range.start)
}

/// The selected technique's chunks (positions in `report.chunks`).
pub fn technique_chunks(app: &App) -> Vec<ChunkPos> {
    let Some(report) = &app.report else {
        return Vec::new();
    };
    app.selected_technique()
        .map(|t| {
            t.chunks
                .iter()
                .filter_map(|ci| chunk_pos(report, *ci))
                .collect()
        })
        .unwrap_or_default()
}

/// The selected technique as a tab-separated line.
pub fn copy_technique(app: &App) -> Option<(String, String)> {
    app.selected_technique().map(|t| {
        (
            format!("{}\t{}\t{:.2}\t{}", t.id, t.name, t.confidence, t.url),
            t.id.clone(),
        )
    })
}

/// Header, rows and the selected row.
pub fn rows(app: &App, width: usize) -> Rows {
    let show_tactic = width >= 56;
    // the chunk count column is as wide as its biggest number (never cut: 3456 is not 345)
    let count_w = app
        .techniques
        .iter()
        .map(|t| crate::tui::ui::digits(t.chunk_count))
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
            let sel = i == app.results.techniques.selected;
            // coloured text on the selected row takes the selection's colours (dim grey or
            // green on the high-contrast theme's white selection was unreadable); bars keep theirs
            let text = |style: Style| {
                if sel {
                    style.patch(sel_style(app, true))
                } else {
                    style
                }
            };
            let mut spans = Vec::new();
            if reviewed {
                spans.push(Span::styled(
                    format!("{} ", review_mark(t.review)),
                    text(review_style(app, t.review)),
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
                    text(app.theme.style(Role::dim)),
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
                text(conf_style(app, t.confidence)),
            ));
            spans.push(Span::raw(format!(" {:>count_w$}", t.chunk_count)));
            Line::from(spans).style(sel_style(app, sel))
        })
        .collect();
    (header, rows, app.results.techniques.selected)
}
