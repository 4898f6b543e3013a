//! Fuzz the sentence splitter and chunker with the real GPT-2 tokenizer and a tiny token budget:
//! no panics; chunks ordered, on char boundaries, within budget; every non-whitespace byte in
//! exactly one chunk.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use mitremap_engine::model::TextEncoder;
use mitremap_engine::text::chunk::{ChunkPlan, TokenBudget, fit_window};

static ENCODER: LazyLock<TextEncoder> = LazyLock::new(|| {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/tiny-gpt2/tokenizer.json");
    TextEncoder::load(std::path::Path::new(path), 12, None).expect("fixture tokenizer")
});

fuzz_target!(|data: &[u8]| {
    let Some((&per, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let plan = ChunkPlan::new(&text, usize::from(per % 6) + 1);
    let mut seen = vec![0u8; text.len()];
    let mut last_end = 0;
    for window in &plan.windows {
        for (range, encoded) in fit_window(&text, window, &*ENCODER).expect("tokenizer never fails on text") {
            assert!(range.start >= last_end && range.start < range.end);
            assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
            assert!(ENCODER.content_tokens(&encoded) <= ENCODER.budget());
            seen[range.clone()].iter_mut().for_each(|b| *b += 1);
            last_end = range.end;
        }
    }
    for (i, c) in text.char_indices() {
        assert!(c.is_whitespace() || seen[i] == 1, "byte {i} covered {} times", seen[i]);
    }
});
