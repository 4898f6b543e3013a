//! Golden files for every format on the fixed input with the fixture model (insta snapshots under
//! `tests/snapshots/`), and determinism: the same report rendered twice, and a second analysis of
//! the same input, give identical bytes.

mod common;

use mitremap_export::{ExportOptions, Format, Tlp, render};

fn text(format: Format, options: &ExportOptions) -> String {
    let bytes = render(format, &common::report(), options).expect("renders");
    String::from_utf8(bytes).expect("exports are UTF-8")
}

#[test]
fn json_golden() {
    insta::assert_snapshot!("report.json", text(Format::Json, &common::options()));
}

#[test]
fn stix_golden() {
    insta::assert_snapshot!("report.stix.json", text(Format::Stix, &common::options()));
}

#[test]
fn stix_with_tlp_golden() {
    let options = ExportOptions {
        tlp: Some(Tlp::AmberStrict),
        ..common::options()
    };
    insta::assert_snapshot!(
        "report-tlp-amber-strict.stix.json",
        text(Format::Stix, &options)
    );
}

#[test]
fn navigator_golden() {
    insta::assert_snapshot!(
        "report.layer.json",
        text(Format::Navigator, &common::options())
    );
}

#[test]
fn csv_golden() {
    insta::assert_snapshot!("report.csv", text(Format::Csv, &common::options()));
}

#[test]
fn markdown_golden() {
    insta::assert_snapshot!("report.md", text(Format::Markdown, &common::options()));
}

#[test]
fn markdown_fanged_golden() {
    let options = ExportOptions {
        fanged: true,
        tlp: Some(Tlp::Green),
        ..common::options()
    };
    insta::assert_snapshot!("report-fanged.md", text(Format::Markdown, &options));
}

#[test]
fn every_format_is_deterministic() {
    let first = common::report();
    let second = common::fresh_report();
    for format in Format::ALL {
        for tlp in [None, Some(Tlp::Red)] {
            let options = ExportOptions {
                tlp,
                ..common::options()
            };
            let a = render(format, &first, &options).unwrap();
            let b = render(format, &first, &options).unwrap();
            let c = render(format, &second, &options).unwrap();
            assert_eq!(a, b, "{} differs between two renders", format.name());
            assert_eq!(a, c, "{} differs between two analyses", format.name());
        }
    }
}

#[test]
fn timestamps_are_injected() {
    for format in [Format::Stix, Format::Navigator, Format::Markdown] {
        let out = text(format, &common::options());
        assert!(
            out.contains("2026-01-02T03:04:05.678Z"),
            "{} lacks the injected time",
            format.name()
        );
    }
}
