//! The mitremap front ends over [`mitremap_engine`]: the headless CLI ([`cli`]) and the terminal
//! UI ([`tui`]). `src/main.rs` only parses arguments and dispatches.

pub mod cli;
pub mod document_source;
pub mod tui;
