//! The panes, as components (the gitui layout): each owns its part of the state, its keys and
//! its drawing. So far the results pane's tabs (`results/`) and the chunk view's drawing
//! (`heatmap`, its scroll still on `App`); the report editor and the status bar are drawn from
//! `ui/` with their state on `App`.

pub mod heatmap;
pub mod results;
