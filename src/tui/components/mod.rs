//! The panes, as components (the gitui layout): each owns its part of the state, its keys and
//! its drawing. So far the results pane's tabs (`results/`), and the drawing of the report pane
//! (`editor`; its model is `tui::editor`) and the chunk view (`heatmap`), whose state is still
//! on `App`; the status bar is drawn from `ui/`.

pub mod editor;
pub mod heatmap;
pub mod results;
