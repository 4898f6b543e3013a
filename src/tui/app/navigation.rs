//! Moving through the results and the report: tabs, selections, the linked chunk, jumps, copy.

use super::*;

impl App {
    pub(super) fn set_tab(&mut self, tab: Tab) {
        self.results.tab = tab;
        self.set_focus(Focus::Results);
        tab.component().on_show(self);
    }

    pub(super) fn scroll_focused(&mut self, delta: isize) {
        match self.focus {
            Focus::Heatmap => self.chunk_view.scroll_by(delta),
            Focus::Editor => {
                self.editor.scroll_lines(delta.clamp(-1_000_000, 1_000_000));
                self.follow_cursor();
            }
            Focus::Results => self.move_selection(delta),
        }
    }

    pub(super) fn move_selection(&mut self, delta: isize) {
        self.results.tab.component().move_by(self, delta);
    }

    /// Number of selectable rows in the current tab.
    pub fn list_len(&self) -> usize {
        self.results.tab.component().len(self)
    }

    /// Selects row `i` of the current tab (the chunk view starts at its top).
    pub(crate) fn select_item(&mut self, i: usize) {
        self.results.tab.component().select(self, i);
        self.chunk_view = ChunkView::default();
    }

    /// A click on list row `row` (counting group headers in the IoC tab).
    pub(super) fn select_row(&mut self, row: usize) {
        self.results.tab.component().click_row(self, row);
    }

    pub(super) fn activate(&mut self) {
        let byte = self.results.tab.component().jump_target(self);
        if let Some(b) = byte {
            // found in the report's text: where that is in the text being edited
            self.editor
                .jump_to_byte(self.text_changes.map(b, Assoc::After));
            self.set_focus(Focus::Editor);
        }
    }

    /// Moves through the selected technique's chunks (or all chunks).
    /// Moves the matrix's cursor: `dx` tactics sideways (onto the tactic's best technique), `dy`
    /// techniques within the tactic.
    pub(crate) fn matrix_move(&mut self, dx: isize, dy: isize) {
        use crate::tui::ui::matrix;
        let (cols, _) = matrix::columns(self, matrix::inner_width(self));
        if cols.is_empty() {
            return;
        }
        let cur = matrix::cursor(self, &cols);
        let col = (cur as isize + dx).clamp(0, cols.len() as isize - 1) as usize;
        self.results.matrix.col = col;
        let items = &cols[col].items;
        if items.is_empty() {
            return;
        }
        let row = if col == cur {
            let at = items
                .iter()
                .position(|&i| i == self.results.techniques.selected);
            at.map_or(0, |r| {
                (r as isize)
                    .saturating_add(dy)
                    .clamp(0, items.len() as isize - 1) as usize
            })
        } else {
            0
        };
        let pick = items[row];
        if pick != self.results.techniques.selected || col != cur {
            self.select_item(pick);
        }
    }

    pub(super) fn step_chunk(&mut self, delta: isize) {
        if self.results.tab == Tab::Matrix {
            self.matrix_move(delta, 0);
            return;
        }
        let Some(report) = &self.report else { return };
        let candidates: Vec<ChunkPos> = match (
            self.results.tab,
            self.techniques.get(self.results.techniques.selected),
        ) {
            (Tab::Techniques | Tab::Matrix, Some(t)) => t
                .chunks
                .iter()
                .filter_map(|ci| chunk_pos(report, *ci))
                .collect(),
            _ => (0..report.chunks.len()).map(ChunkPos).collect(),
        };
        if candidates.is_empty() {
            return;
        }
        let pos = self
            .current_chunk
            .and_then(|c| candidates.iter().position(|x| *x == c));
        let next = match pos {
            Some(p) => (p as isize + delta).rem_euclid(candidates.len() as isize) as usize,
            None => 0,
        };
        self.current_chunk = Some(candidates[next]);
        self.auto_follow = false;
        if self.results.tab == Tab::Chunks {
            self.results.chunks.selected = candidates[next].0;
        }
        self.chunk_view = ChunkView::default();
    }

    /// After the editor cursor moved: the chunk under it becomes the linked chunk.
    pub(super) fn follow_cursor(&mut self) {
        let Some(report) = &self.report else { return };
        let byte = self.editor.cursor_byte();
        // the chunks where they are now, after the edits since the analysis
        let changes = &self.text_changes;
        let i = report
            .chunks
            .partition_point(|c| changes.map(c.range.end, Assoc::Before) <= byte);
        if report
            .chunks
            .get(i)
            .is_some_and(|c| changes.map(c.range.start, Assoc::After) <= byte)
        {
            self.current_chunk = Some(ChunkPos(i));
            self.auto_follow = false;
            if self.results.tab == Tab::Chunks {
                self.results.chunks.selected = i;
            }
        }
    }

    /// The selected technique's best chunk becomes the linked chunk.
    pub(crate) fn follow_technique(&mut self) {
        let (Some(report), Some(t)) = (
            &self.report,
            self.techniques.get(self.results.techniques.selected),
        ) else {
            return;
        };
        let best = t
            .chunks
            .iter()
            .filter_map(|ci| chunk_pos(report, *ci))
            .max_by(|&a, &b| {
                let score = |i: ChunkPos| {
                    report.chunks.get(i.0).map_or(0.0, |c| {
                        c.scores
                            .iter()
                            .filter(|p| {
                                let l = report.label(p.label);
                                l == t.id || t.model_labels.iter().any(|m| m == l)
                            })
                            .map(|p| p.score)
                            .fold(0.0f32, f32::max)
                    })
                };
                score(a).total_cmp(&score(b)).then(b.cmp(&a))
            });
        if best.is_some() {
            self.current_chunk = best;
        }
    }

    /// Copies what is selected. IoCs are defanged unless `fanged` (a live URL pasted into a
    /// ticket or chat is a hazard), as in the Markdown export.
    pub(super) fn copy_selected(&mut self, fanged: bool) -> Vec<Effect> {
        if self.focus == Focus::Editor {
            if self.editor.area.is_selecting() {
                self.editor.area.copy();
                let text = self.editor.area.yank_text();
                return vec![Effect::Copy {
                    text,
                    what: "the selection".into(),
                }];
            }
            self.info("select text first (shift+arrows or the mouse)".into());
            return Vec::new();
        }
        let item = self.results.tab.component().copy_item(self, fanged);
        match item {
            Some((text, what)) => vec![Effect::Copy { text, what }],
            None => {
                self.error("nothing selected".into());
                Vec::new()
            }
        }
    }

    /// IoC groups after the noise filter.
    pub fn visible_groups(&self) -> impl Iterator<Item = (IocKind, Vec<&IocSummary>)> {
        self.ioc_groups.iter().filter_map(|(k, items)| {
            let v: Vec<&IocSummary> = items
                .iter()
                .filter(|s| !(self.results.iocs.hide_noise && s.flags.is_noise()))
                .collect();
            (!v.is_empty()).then_some((*k, v))
        })
    }

    pub fn visible_iocs(&self) -> impl Iterator<Item = &IocSummary> {
        self.ioc_groups
            .iter()
            .flat_map(|(_, v)| v.iter())
            .filter(|s| !(self.results.iocs.hide_noise && s.flags.is_noise()))
    }

    pub fn selected_ioc(&self) -> Option<&IocSummary> {
        self.visible_iocs().nth(self.results.iocs.selected)
    }

    pub fn selected_technique(&self) -> Option<&TechniqueHit> {
        self.techniques.get(self.results.techniques.selected)
    }

    /// Chunk indices (positions in `report.chunks`) to highlight in the editor.
    pub fn linked_chunks(&self) -> Vec<ChunkPos> {
        self.results.tab.component().linked_chunks(self)
    }
}
