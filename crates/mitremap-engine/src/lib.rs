//! The mitremap engine: threat-intelligence text in, ATT&CK techniques, IoCs and attributions out.
//!
//! Data flows one way:
//!
//! ```text
//! bytes -> text::Document -> text::chunk (sentences -> N-sentence windows, token-capped)
//!       -> model::Classifier (tokenise, batch, ONNX Runtime, activation)
//!       -> explain (masked forward passes through the same classifier)
//!       -> analysis::Event stream -> analysis::Report (aggregated per technique)
//! ```
//!
//! IoCs come from [`mitremap_ioc`] over the same document. Nothing in this crate touches a terminal:
//! the CLI, the TUI and the exporters are thin layers on top.

pub mod analysis;
pub mod attack;
mod error;
pub mod explain;
pub mod locate;
pub mod model;
pub mod text;

pub use error::{Error, Result};
pub use mitremap_ioc as ioc;
