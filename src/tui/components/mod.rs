//! The panes, as components (the gitui layout): each owns its part of the state, its keys and
//! its drawing. So far the results pane's tabs (`results/`), the report pane's drawing (`editor`;
//! its model is `tui::editor`) and the chunk view (`heatmap`: drawing and scroll); which chunk is
//! on show is shared by the panes and stays on `App`; the status bar is drawn from `ui/`.

pub mod editor;
pub mod heatmap;
pub mod results;
pub mod status;
