//! CSV (RFC 4180, via the `csv` crate): a header, one row per technique, then one row per IoC.
//!
//! Columns: `record_type` (`technique` or `ioc`), `id`, `name`, `tactics` (`;`-separated
//! shortnames, kill-chain order), `confidence` (0-1, four decimals), `chunk_count`, `chunks`
//! (`;`-separated indices), `url`, `ioc_type`, `value` (refanged, as extracted), `count`,
//! `first_offset` (byte), `private`, `benign`, `review` (`unreviewed`, `accepted`, `rejected` or
//! `added`), `source` (when the input was a document: where in it, e.g. `page 3`; for a technique
//! the places of its chunks, `;`-separated, for an IoC that of its first occurrence). Cells that
//! do not apply are empty.
//!
//! Text cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or
//! carriage return) get a leading `'` (OWASP "CSV injection"); values are otherwise verbatim.

use mitremap_engine::analysis::Report;

use crate::common::{round4, tactics_in_order};
use crate::{ExportError, SourceLabels};

const HEADER: [&str; 16] = [
    "record_type",
    "id",
    "name",
    "tactics",
    "confidence",
    "chunk_count",
    "chunks",
    "url",
    "ioc_type",
    "value",
    "count",
    "first_offset",
    "private",
    "benign",
    "review",
    "source",
];

pub(crate) fn render(
    report: &Report,
    source: Option<&SourceLabels>,
) -> Result<Vec<u8>, ExportError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    w.write_record(HEADER)?;
    for t in report.techniques(report.options.threshold) {
        let chunks: Vec<String> = t.chunks.iter().map(usize::to_string).collect();
        let places = source.map_or_else(String::new, |labels| {
            let starts = report
                .chunks
                .iter()
                .filter(|c| t.chunks.binary_search(&c.index).is_ok())
                .map(|c| c.range.start);
            labels.of_all(starts).join(";")
        });
        w.write_record([
            "technique".to_owned(),
            guard(&t.id),
            guard(&t.name),
            tactics_in_order(report.attack, &t.tactics).join(";"),
            format!("{:.4}", round4(t.confidence)),
            t.chunk_count.to_string(),
            chunks.join(";"),
            guard(&t.url),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            t.review.to_string(),
            guard(&places),
        ])?;
    }
    for s in report.ioc_summaries() {
        w.write_record([
            "ioc".to_owned(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            s.kind.as_str().to_owned(),
            guard(&s.value),
            s.count.to_string(),
            s.first.to_string(),
            s.flags.private.to_string(),
            s.flags.benign.to_string(),
            String::new(),
            guard(source.and_then(|l| l.at(s.first)).unwrap_or_default()),
        ])?;
    }
    w.flush().map_err(csv::Error::from)?;
    w.into_inner()
        .map_err(|e| ExportError::Csv(csv::Error::from(e.into_error())))
}

/// Neutralises spreadsheet formulas.
fn guard(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(super::guard("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(super::guard("-x"), "'-x");
        assert_eq!(super::guard("evil.example"), "evil.example");
    }
}
