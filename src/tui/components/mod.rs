//! The panes, as components (the gitui layout): each owns its part of the state, its keys and
//! its drawing. The results pane's tabs (`results/`: the tab on show and each tab's selection),
//! the report pane's drawing (`editor`; its model, with the cursor, selection, scroll and the
//! editing mode, is `tui::editor`) with the page or section gutter of a document's text
//! (`source_gutter`), the chunk view (`heatmap`: drawing and scroll) and the status
//! bar (`status`: drawing and its message). Which technique and chunk are on show is shared by
//! the panes and stays on `App`.

pub mod editor;
pub mod heatmap;
pub mod results;
pub mod source_gutter;
pub mod status;
