//! The results pane's tabs, one module each: a tab says what its list is (length, selection,
//! what Enter jumps to, what is copied, which chunks light up in the report, what the review
//! keys act on) and draws its rows; the app's core asks the tab on show ([`Tab::component`])
//! instead of matching on every tab.
//!
//! Adding a tab: a module here with a unit struct implementing [`ResultsTab`] and one line in
//! [`TABS`]; the command that shows it is a line in `keymap.rs`'s `commands!` and a key in
//! `keymap.toml`'s `[panes]`. A tab with state beyond what the app holds (a cursor of its own)
//! keeps it in a struct of its module, one field of [`ResultsPane`].

pub mod chunks;
pub mod iocs;
pub mod matrix;
pub mod techniques;

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::tui::app::{App, ChunkPos};
use crate::tui::keymap::Command;
use crate::tui::ui::results::Rows;

/// What the review keys act on while a tab is focused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewTarget {
    /// The selected technique, for the whole report.
    SelectedTechnique,
    /// The technique the chunk view shows, in its chunk.
    ChunkOnShow,
    Nothing,
}

/// The results tabs, in the order they are shown (and `next_tab` goes through them).
pub static TABS: &[&dyn ResultsTab] = &[
    &techniques::Techniques,
    &iocs::Iocs,
    &chunks::Chunks,
    &matrix::Matrix,
];

/// A results tab: its place in [`TABS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tab(usize);

/// The tabs the app's own logic names (the techniques list is where the others lead back to;
/// the chunk cursor and the matrix's tactic moves depend on the tab).
#[allow(non_upper_case_globals)]
impl Tab {
    pub const Techniques: Tab = Tab(0);
    pub const Iocs: Tab = Tab(1);
    pub const Chunks: Tab = Tab(2);
    pub const Matrix: Tab = Tab(3);
}

/// The results pane's state: the tab on show and each tab's own.
#[derive(Debug, Clone)]
pub struct ResultsPane {
    pub tab: Tab,
    pub techniques: techniques::TechniquesState,
    pub iocs: iocs::IocsState,
    pub chunks: chunks::ChunksState,
    pub matrix: matrix::MatrixState,
}

impl Default for ResultsPane {
    fn default() -> ResultsPane {
        ResultsPane {
            tab: Tab::Techniques,
            techniques: Default::default(),
            iocs: Default::default(),
            chunks: Default::default(),
            matrix: Default::default(),
        }
    }
}

pub trait ResultsTab: Sync {
    fn title(&self) -> &'static str;
    /// The title when the pane is narrow.
    fn short_title(&self) -> &'static str;
    /// The command that shows the tab.
    fn command(&self) -> Command;
    /// The number beside the title, if any.
    fn count(&self, _app: &App) -> Option<usize> {
        None
    }
    /// Selectable rows.
    fn len(&self, app: &App) -> usize;
    fn selected(&self, app: &App) -> usize;
    fn select(&self, app: &mut App, i: usize);
    /// The tab comes up.
    fn on_show(&self, _app: &mut App) {}
    /// Up/down keys and the wheel.
    fn move_by(&self, app: &mut App, delta: isize) {
        let len = self.len(app);
        if len == 0 {
            return;
        }
        let new = (self.selected(app) as isize)
            .saturating_add(delta)
            .clamp(0, len as isize - 1) as usize;
        app.select_item(new);
    }
    /// A click on list row `row` (0: the first row under the header).
    fn click_row(&self, app: &mut App, row: usize) {
        if row < self.len(app) {
            app.select_item(row);
        }
    }
    /// Where Enter jumps to: a byte of the report's text.
    fn jump_target(&self, app: &App) -> Option<usize>;
    /// Chunks (positions in `report.chunks`) to highlight in the report.
    fn linked_chunks(&self, app: &App) -> Vec<ChunkPos>;
    /// (text, what it is) for the copy keys; IoCs defanged unless `fanged`.
    fn copy_item(&self, app: &App, fanged: bool) -> Option<(String, String)>;
    fn review_target(&self) -> ReviewTarget;
    /// Header, the visible rows and the list's scroll offset.
    fn rows(&self, app: &App, width: usize, list_h: usize) -> Rows;
    /// Its command again, while it is on show, goes back to the techniques (the matrix).
    fn toggles_back(&self) -> bool {
        false
    }
    /// The tab draws a pane of its own across the top of the screen (see `draw_pane`).
    fn own_pane(&self) -> bool {
        false
    }
    /// A tab that draws a whole pane of its own across the top (the matrix) does it here and
    /// returns (first list row y, offset) for the mouse; `None`: a list in the results pane.
    fn draw_pane(&self, _f: &mut Frame, _app: &App, _area: Rect) -> Option<(u16, usize)> {
        None
    }
}

impl Tab {
    /// Every tab, in order.
    pub fn all() -> impl Iterator<Item = Tab> {
        (0..TABS.len()).map(Tab)
    }

    /// The module that implements the tab.
    pub fn component(self) -> &'static dyn ResultsTab {
        TABS[self.0]
    }

    pub fn title(self) -> &'static str {
        self.component().title()
    }

    pub fn short_title(self) -> &'static str {
        self.component().short_title()
    }

    /// The tab after this one (the last: the first).
    pub fn next(self) -> Tab {
        Tab((self.0 + 1) % TABS.len())
    }

    /// The tab a command shows.
    pub fn for_command(cmd: Command) -> Option<Tab> {
        Tab::all().find(|t| t.component().command() == cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keymap::{Context, Keymap};

    /// A tab is reached through its own command, and the default keymap binds it (so the help
    /// lists it): what a new tab module must provide besides its list.
    #[test]
    fn every_tab_has_its_own_command_and_key() {
        let keymap = Keymap::defaults();
        for tab in Tab::all() {
            let cmd = tab.component().command();
            assert_eq!(Tab::for_command(cmd), Some(tab), "{}", tab.title());
            assert!(
                keymap.first_key(Context::Panes, cmd).is_some(),
                "no key shows {}",
                tab.title()
            );
        }
    }

    /// The tabs the app names are the modules listed at their place in `TABS`.
    #[test]
    fn named_tabs_are_their_modules() {
        assert_eq!(Tab::Techniques.title(), techniques::Techniques.title());
        assert_eq!(Tab::Iocs.title(), iocs::Iocs.title());
        assert_eq!(Tab::Chunks.title(), chunks::Chunks.title());
        assert_eq!(Tab::Matrix.title(), matrix::Matrix.title());
    }
}
