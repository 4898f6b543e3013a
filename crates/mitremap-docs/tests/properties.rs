//! Any bytes, read as any format, give text or an error (never an escaping panic), and the source
//! map points inside the text. The stable twin of `fuzz/fuzz_targets/documents.rs`; the seeds
//! are real fixtures with bytes flipped, cut or spliced.

use mitremap_docs::{Format, Limits, Options, extract};
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/documents")
            .join(name),
    )
    .unwrap()
}

fn options() -> Options {
    Options {
        limits: Limits {
            max_text: 1 << 20,
            max_unzipped: 4 << 20,
            max_html_depth: 64,
            max_pages: 64,
        },
        password: None,
    }
}

fn check(bytes: &[u8], format: Format) {
    if let Ok(e) = extract(bytes, format, &options()) {
        for (start, _) in e.map.spans() {
            assert!(start <= e.text.len());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn damaged_fixtures_never_panic(
        which in 0usize..5,
        cut in 0.0f64..1.0,
        flips in proptest::collection::vec((0.0f64..1.0, any::<u8>()), 0..16),
        format in 0usize..6,
    ) {
        let name = ["glass-harbor.pdf", "glass-harbor.docx", "glass-harbor.html", "glass-harbor.eml", "glass-harbor.md"][which];
        let mut bytes = fixture(name);
        for (at, b) in flips {
            let i = ((bytes.len() - 1) as f64 * at) as usize;
            bytes[i] = b;
        }
        bytes.truncate((bytes.len() as f64 * cut) as usize + 1);
        check(&bytes, Format::ALL[format]);
        // As detected, too.
        if let Ok(detected) = mitremap_docs::detect(&bytes, Some(name)) {
            check(&bytes, detected);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), format in 0usize..6) {
        check(&bytes, Format::ALL[format]);
    }
}

/// Found by `fuzz/fuzz_targets/documents.rs`: an HTML page whose last element ends in spaces
/// opened a span that the final trim cut away, so the map pointed past the end of the text (the
/// fixture is the fuzzer's mutation of `tests/fixtures/documents/glass-harbor.html`).
#[test]
fn trailing_spaces_trimmed_away_leave_no_span_past_the_text() {
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fuzz-html-trailing-spaces.html"),
    )
    .unwrap();
    let e = extract(&bytes, Format::Html, &options()).expect("the page has text");
    for (start, locator) in e.map.spans() {
        assert!(
            start <= e.text.len(),
            "span {locator:?} starts at {start}, text is {} bytes",
            e.text.len()
        );
    }
}
