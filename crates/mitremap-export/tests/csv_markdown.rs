//! CSV (RFC 4180 framing, one row per technique and per IoC) and Markdown (escaping, defanging).

mod common;

use mitremap_export::{ExportOptions, Format, render};

fn text(format: Format, options: &ExportOptions) -> String {
    String::from_utf8(render(format, &common::report(), options).unwrap()).unwrap()
}

#[test]
fn csv_is_rfc_4180_with_one_row_per_technique_and_ioc() {
    let out = text(Format::Csv, &common::options());
    // CRLF line breaks, including after the last record.
    assert!(out.ends_with("\r\n"));
    assert!(!out.replace("\r\n", "").contains('\n'));
    let report = common::report();
    let mut reader = csv::ReaderBuilder::new().from_reader(out.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "record_type");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let techniques = rows.iter().filter(|r| &r[0] == "technique").count();
    let iocs = rows.iter().filter(|r| &r[0] == "ioc").count();
    assert_eq!(
        techniques,
        report.techniques(report.options.threshold).len()
    );
    assert_eq!(iocs, report.ioc_summaries().len());
    assert_eq!(rows.len(), techniques + iocs);
    assert!(rows.iter().all(|r| r.len() == header.len()));
    // Round trip of a value needing no quoting and one with a backslash.
    let reg = rows.iter().find(|r| &r[8] == "registry_key").unwrap();
    assert!(reg[9].starts_with(r"HKEY_LOCAL_MACHINE\Software"));
}

#[test]
fn csv_quotes_commas_quotes_and_newlines() {
    let doc = std::sync::Arc::new(mitremap_engine::text::Document::from_text(
        "Dropped \"a,b\nc.exe\" and =cmd.exe via evil.example.",
    ));
    let options = mitremap_engine::analysis::ReportOptions {
        threshold: 0.5,
        chunk_sentences: 3,
        max_tokens: None,
        explain: false,
    };
    let mut report = mitremap_engine::analysis::Report::new(doc.clone(), None, None, options);
    mitremap_engine::analysis::iocs_only(&doc, &mut |e| report.apply(&e));
    // Whatever the extractor finds, every value survives a round trip through a CSV reader.
    let out = render(Format::Csv, &report, &common::options()).unwrap();
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let values: Vec<String> = reader.records().map(|r| r.unwrap()[9].to_owned()).collect();
    let expected: Vec<String> = report
        .ioc_summaries()
        .iter()
        .map(|s| {
            if s.value.starts_with(['=', '+', '-', '@']) {
                format!("'{}", s.value)
            } else {
                s.value.clone()
            }
        })
        .collect();
    assert_eq!(values, expected);
}

#[test]
fn markdown_defangs_by_default_and_keeps_fanged_on_request() {
    let md = text(Format::Markdown, &common::options());
    for live in [
        "185.220.101.45",
        "https://update",
        "billing@evil-corp.net",
        "www.microsoft.com",
    ] {
        assert!(!md.contains(live), "{live} is live in the defanged report");
    }
    assert!(md.contains("`185[.]220[.]101[.]45`"));
    assert!(md.contains("hxxps://update[.]evil-corp[.]net"));
    assert!(
        md.contains("billing\\[@\\]evil-corp\\[.\\]net"),
        "evidence quotes are defanged too"
    );
    let fanged = text(
        Format::Markdown,
        &ExportOptions {
            fanged: true,
            ..common::options()
        },
    );
    assert!(fanged.contains("`185.220.101.45`"));
    assert!(fanged.contains("`https://update.evil-corp.net/gate.php?id=7&k=`"));
}

#[test]
fn markdown_table_has_links_and_escaped_cells() {
    let md = text(Format::Markdown, &common::options());
    assert!(md.contains(
        "| [T1059.001](https://attack.mitre.org/techniques/T1059/001/) | PowerShell \\<- T1086 (revoked) | Execution |"
    ), "the revoked model label T1086 is named beside its replacement: {md}");
    // Every table row has the same number of unescaped pipes as the header.
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
    let pipes = |l: &str| {
        l.match_indices('|')
            .filter(|(i, _)| *i == 0 || &l[i - 1..*i] != "\\")
            .count()
    };
    assert!(rows.iter().all(|r| pipes(r) == pipes(rows[0])));
    // Input text cannot inject HTML, emphasis or table cells.
    assert!(md.contains("\\*advisory\\* \\<b\\>\\[1\\]\\</b\\>"));
    assert!(md.contains("45\\[.\\]33\\[.\\]32\\[.\\]156 \\| see T1486"));
    assert!(md.contains("## ATT&CK notice"));
    assert!(md.contains("The MITRE Corporation"));
}

#[test]
fn markdown_sanitises_control_characters() {
    let doc = std::sync::Arc::new(mitremap_engine::text::Document::from_text("x"));
    let options = mitremap_engine::analysis::ReportOptions {
        threshold: 0.5,
        chunk_sentences: 3,
        max_tokens: None,
        explain: false,
    };
    let report = mitremap_engine::analysis::Report::new(
        doc,
        Some("evil\u{1b}]52;c;AAAA\u{7}\u{202e}name|# x".into()),
        None,
        options,
    );
    let md =
        String::from_utf8(render(Format::Markdown, &report, &common::options()).unwrap()).unwrap();
    assert!(
        !md.chars()
            .any(|c| c == '\u{1b}' || c == '\u{7}' || c == '\u{202e}')
    );
    assert!(
        md.starts_with("# ATT&CK mapping: evil␛\\]52;c;AAAA␇⟨U+202E⟩name\\|# x\n"),
        "{md}"
    );
}
