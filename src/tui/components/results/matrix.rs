//! The ATT&CK matrix: the techniques tab laid out by tactic, drawn across the top of the screen
//! (drawing in `ui::matrix`).

use ratatui::Frame;
use ratatui::layout::Rect;

use super::techniques::{Techniques, chunk_start, copy_technique, technique_chunks};
use super::{ResultsTab, ReviewTarget};
use crate::tui::app::{App, ChunkPos};
use crate::tui::keymap::Command;
use crate::tui::ui::results::Rows;

pub struct Matrix;

/// The tab's own state.
#[derive(Debug, Clone, Default)]
pub struct MatrixState {
    /// The tactic cursor (a column in display order, see `ui::matrix::cursor`).
    pub col: usize,
}

impl ResultsTab for Matrix {
    fn title(&self) -> &'static str {
        "Matrix"
    }

    fn short_title(&self) -> &'static str {
        "Matrix"
    }

    fn command(&self) -> Command {
        Command::Matrix
    }

    fn toggles_back(&self) -> bool {
        true
    }

    fn len(&self, app: &App) -> usize {
        app.techniques.len()
    }

    fn selected(&self, app: &App) -> usize {
        app.results.techniques.selected
    }

    fn select(&self, app: &mut App, i: usize) {
        Techniques.select(app, i)
    }

    fn on_show(&self, app: &mut App) {
        Techniques.on_show(app)
    }

    /// Up and down move within the tactic.
    fn move_by(&self, app: &mut App, delta: isize) {
        app.matrix_move(0, delta);
    }

    /// Cells are not list rows.
    fn click_row(&self, _app: &mut App, _row: usize) {}

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
        Techniques.rows(app, width, list_h)
    }

    fn own_pane(&self) -> bool {
        true
    }

    fn draw_pane(&self, f: &mut Frame, app: &App, area: Rect) -> Option<(u16, usize)> {
        crate::tui::ui::matrix::draw(f, app, area);
        Some((0, 0))
    }
}
