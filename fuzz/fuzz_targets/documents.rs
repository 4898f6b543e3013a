//! Fuzz the document readers: every format on any bytes returns text or an error (a panic inside a
//! third-party parser is caught and becomes an error; one escaping is a bug), and the source map
//! only points inside the text. The hostile shapes of tests/documents.rs (zip bomb, billion
//! laughs, deep HTML, many scripts, truncated PDF) make good seeds: see fuzz/README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mitremap_docs::{Format, Limits, Options, extract};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let format = Format::ALL[usize::from(selector) % Format::ALL.len()];
    let options = Options {
        limits: Limits {
            max_text: 1 << 20,
            max_unzipped: 1 << 20,
            max_html_depth: 64,
            max_pages: 64,
        },
        password: None,
    };
    if let Ok(e) = extract(bytes, format, &options) {
        assert!(e.text.len() <= options.limits.max_text + 4);
        for (start, _) in e.map.spans() {
            assert!(start <= e.text.len());
        }
    }
    let _ = mitremap_docs::detect(bytes, Some("x.bin"));
});
