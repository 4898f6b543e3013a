//! The readers on the real fixtures of tests/fixtures/documents (see its LICENSE.md).

use mitremap_docs::{Format, Options, detect, extract};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/documents")
            .join(name),
    )
    .unwrap()
}

/// A two-column page is read column by column: every left-column sentence, in order, before the
/// first right-column one.
#[test]
fn two_columns_are_read_in_column_order() {
    let bytes = fixture("two-columns.pdf");
    assert_eq!(detect(&bytes, None).unwrap(), Format::Pdf);
    let e = extract(&bytes, Format::Pdf, &Options::default()).unwrap();
    let flat = e.text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut at = 0;
    for side in ["Left", "Right"] {
        for i in 1..40 {
            let tool = if side == "Left" {
                format!("Left column sentence number {i} says the actor used tool L{i}.")
            } else {
                format!("Right column sentence number {i} says the beacon went to host R{i}.")
            };
            let found = flat[at..]
                .find(&tool)
                .unwrap_or_else(|| panic!("{tool:?} not after byte {at} in {flat}"));
            at += found + tool.len();
        }
    }
}

/// The same report read from each format holds the same sentences and indicators.
#[test]
fn every_format_of_the_report_holds_its_indicators() {
    for name in [
        "glass-harbor.pdf",
        "glass-harbor.docx",
        "glass-harbor.html",
        "glass-harbor.md",
    ] {
        let bytes = fixture(name);
        let format = detect(&bytes, Some(name)).unwrap();
        let e = extract(&bytes, format, &Options::default()).unwrap();
        for needle in [
            "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
            "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
            "C:\\ProgramData\\Harbor\\harborsvc.dll",
            "hxxps://files.harbor-notice[.]com/claim/8841.html",
            "hxxp://198.51.100[.]14/gate.php",
            "The operators dumped credentials from LSASS memory",
        ] {
            let flat = e.text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                flat.contains(needle),
                "{name}: {needle:?} not in {}",
                e.text
            );
        }
        // Every span of the map starts inside the text.
        assert!(e.map.spans().all(|(start, _)| start <= e.text.len()));
        if format == Format::Pdf {
            assert_eq!(e.pages, Some(2));
        }
    }
}
