//! The chunks tab: one row per chunk, its best predictions and its text.

use ratatui::text::{Line, Span};

use super::{ResultsTab, ReviewTarget};
use crate::tui::app::{App, ChunkPos};
use crate::tui::keymap::Command;
use crate::tui::theme::Role;
use crate::tui::ui::results::{Rows, empty_message, review_mark, sel_style};
use crate::tui::ui::{fit, safe};

pub struct Chunks;

/// The tab's own state.
#[derive(Debug, Clone, Default)]
pub struct ChunksState {
    /// Position in `report.chunks`.
    pub selected: usize,
}

impl ResultsTab for Chunks {
    fn title(&self) -> &'static str {
        "Chunks"
    }

    fn short_title(&self) -> &'static str {
        "Chunk"
    }

    fn command(&self) -> Command {
        Command::TabChunks
    }

    fn count(&self, app: &App) -> Option<usize> {
        Some(app.chunk_count())
    }

    fn len(&self, app: &App) -> usize {
        app.chunk_count()
    }

    fn selected(&self, app: &App) -> usize {
        app.results.chunks.selected
    }

    fn select(&self, app: &mut App, i: usize) {
        app.results.chunks.selected = i;
        app.current_chunk = Some(ChunkPos(i));
        app.auto_follow = false;
    }

    fn on_show(&self, app: &mut App) {
        app.auto_follow = false;
        app.current_chunk = app
            .chunk_count()
            .checked_sub(1)
            .map(|m| ChunkPos(app.results.chunks.selected.min(m)))
    }

    fn jump_target(&self, app: &App) -> Option<usize> {
        super::techniques::chunk_start(app)
    }

    fn linked_chunks(&self, app: &App) -> Vec<ChunkPos> {
        app.current_chunk.into_iter().collect()
    }

    fn copy_item(&self, app: &App, _fanged: bool) -> Option<(String, String)> {
        app.current_chunk.and_then(|i| {
            let r = app.report.as_ref()?;
            let c = r.chunks.get(i.0)?;
            Some((r.chunk_text(&c).to_owned(), format!("chunk {}", c.index)))
        })
    }

    fn review_target(&self) -> ReviewTarget {
        ReviewTarget::ChunkOnShow
    }

    fn rows(&self, app: &App, width: usize, list_h: usize) -> Rows {
        rows(app, width, list_h)
    }
}

/// Header, the visible rows and the scroll offset.
pub fn rows(app: &App, width: usize, list_h: usize) -> Rows {
    let pred_w = 24;
    // as wide as the last chunk's index, so 5-digit indices keep the rows aligned
    let idx_w = app
        .report
        .as_ref()
        .and_then(|r| r.chunks.last())
        .map_or(1, |c| crate::tui::ui::digits(c.index))
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
    let offset = app
        .results
        .chunks
        .selected
        .saturating_sub(list_h.saturating_sub(1));
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
            let sel = i == app.results.chunks.selected;
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
