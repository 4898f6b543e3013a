//! Text handling: decoding untrusted input, sentence splitting, chunking and terminal-safe rendering.

pub mod chunk;
pub mod document;
pub mod sanitize;
pub mod sentences;

pub use chunk::{ChunkPlan, Fitted, TokenBudget, Window};
pub use document::Document;
pub use sanitize::{terminal_safe, terminal_safe_line};
pub use sentences::{sentences, split_sentences};
