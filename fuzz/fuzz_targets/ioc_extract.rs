//! Fuzz the IoC extractor: no panics, and every hit's byte range slices the input to its `raw`
//! text on char boundaries. The same property runs on stable in
//! `crates/mitremap-ioc/tests/properties.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let hits = mitremap_ioc::extract(&text);
    for h in &hits {
        assert!(text.is_char_boundary(h.range.start) && text.is_char_boundary(h.range.end));
        assert_eq!(&text[h.range.clone()], h.raw);
    }
    assert!(hits.windows(2).all(|w| w[0].range.start <= w[1].range.start));
    let once = mitremap_ioc::refang(&text);
    assert_eq!(mitremap_ioc::refang(&once), once);
});
