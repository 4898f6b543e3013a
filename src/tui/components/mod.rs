//! The panes, as components (the gitui layout): each owns its part of the state, its keys and
//! its drawing. So far the results pane's tabs; the report editor, the chunk view and the status
//! bar are still drawn from `ui/` with their state on `App`.

pub mod results;
