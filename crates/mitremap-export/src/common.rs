//! Helpers shared by the exporters: timestamps, confidence scaling, evidence lookup, text trimming.

use mitremap_engine::analysis::{EVIDENCE_FLOOR, Report, ReviewStatus, TechniqueHit};
use mitremap_engine::attack::Catalog;
use mitremap_engine::attack::mapping::MappingKind;
use time::OffsetDateTime;

use crate::ExportOptions;

/// The export timestamp, UTC, millisecond precision: `2026-01-02T03:04:05.678Z` (the form STIX
/// 2.1 recommends; also what Navigator metadata and Markdown show).
pub(crate) fn timestamp(options: &ExportOptions) -> String {
    let now = options
        .now
        .unwrap_or_else(OffsetDateTime::now_utc)
        .to_offset(time::UtcOffset::UTC);
    // Written by hand rather than with a `time` formatter: it cannot fail, whatever the year.
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.millisecond()
    )
}

/// What the export says about review: unreviewed machine output, partly reviewed (with counts),
/// or fully reviewed, in which case it no longer says "unreviewed".
pub(crate) fn review_sentence(report: &Report) -> String {
    let hits = report.techniques(report.options.threshold);
    let count = |s: ReviewStatus| hits.iter().filter(|h| h.review == s).count();
    let (accepted, rejected, added) = (
        count(ReviewStatus::Accepted),
        count(ReviewStatus::Rejected),
        count(ReviewStatus::Added),
    );
    let reviewed = accepted + rejected + added;
    let counts = format!("{accepted} accepted, {rejected} rejected, {added} added");
    if report.review.is_none() || reviewed == 0 {
        "Predictions are machine-generated and unreviewed.".to_owned()
    } else if reviewed == hits.len() {
        format!("Every technique was reviewed by an analyst: {counts}.")
    } else {
        format!(
            "Predictions are machine-generated; an analyst reviewed {reviewed} of {} technique(s): {counts}, {} not yet reviewed.",
            hits.len(),
            hits.len() - reviewed
        )
    }
}

/// The techniques a feed-style export (STIX, Navigator) carries: an analyst's rejections are
/// left out unless `include_rejected`.
pub(crate) fn exported_hits(report: &Report, options: &ExportOptions) -> Vec<TechniqueHit> {
    report
        .techniques(report.options.threshold)
        .into_iter()
        .filter(|h| options.include_rejected || h.review != ReviewStatus::Rejected)
        .collect()
}

/// A model score (0-1) as an integer percentage (0-100), the scale STIX `confidence` and the
/// Navigator score use.
pub(crate) fn percent(score: f32) -> u8 {
    if score.is_nan() {
        return 0;
    }
    (f64::from(score) * 100.0).round().clamp(0.0, 100.0) as u8
}

/// Four decimals, as in the JSON report.
pub(crate) fn round4(x: f32) -> f64 {
    (f64::from(x) * 10_000.0).round() / 10_000.0
}

/// One chunk that predicted a technique.
#[derive(Debug, Clone)]
pub(crate) struct Evidence<'a> {
    pub chunk: usize,
    pub range: std::ops::Range<usize>,
    pub score: f32,
    pub text: &'a str,
}

/// The chunks that predicted `hit` at or above the report's threshold, best score first (ties:
/// earlier chunk first). For a technique an analyst added, the chunks it was added to, with
/// whatever score the model gave it there (0 when it kept none).
pub(crate) fn evidence<'a>(report: &'a Report, hit: &TechniqueHit) -> Vec<Evidence<'a>> {
    let added = hit.review == ReviewStatus::Added;
    // A hit listed on evidence alone has no chunk at the threshold: its support is below it.
    let threshold = if added {
        f32::NEG_INFINITY
    } else if hit.evidence_only {
        EVIDENCE_FLOOR.min(report.options.threshold)
    } else {
        report.options.threshold
    };
    let mut out: Vec<Evidence<'a>> = report
        .chunks
        .iter()
        .filter(|c| hit.chunks.binary_search(&c.index).is_ok())
        .filter_map(|c| {
            let score = c
                .above(threshold)
                .filter(|p| {
                    let label = report.label(p.label);
                    label == hit.id
                        || hit.model_labels.iter().any(|l| l == label)
                        // a parent listed on its family's evidence: its sub-techniques' scores
                        || hit.evidence_only
                            && label
                                .strip_prefix(hit.id.as_str())
                                .is_some_and(|r| r.starts_with('.'))
                })
                .map(|p| p.score)
                .fold(None, |best: Option<f32>, s| {
                    Some(best.map_or(s, |b| b.max(s)))
                })
                .or(added.then_some(0.0))?;
            Some(Evidence {
                chunk: c.index,
                range: c.range.clone(),
                score,
                text: report.chunk_text(c),
            })
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.chunk.cmp(&b.chunk)));
    out
}

/// `s` on one line (runs of whitespace, newlines included, become one space), trimmed, control
/// characters made visible, and cut to at most `max` characters at a word boundary with `…`.
pub(crate) fn one_line(s: &str, max: usize) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let safe = mitremap_engine::text::terminal_safe_line(&joined).into_owned();
    truncate_chars(&safe, max)
}

/// Cuts `s` to at most `max` characters (the cut prefers the last space in the final fifth), with
/// `…` appended when anything was cut.
pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let keep = max.saturating_sub(1);
    let end = s.char_indices().nth(keep).map_or(s.len(), |(i, _)| i);
    let head = &s[..end];
    let cut = match head.rfind(' ') {
        Some(i) if head[..i].chars().count() >= keep * 4 / 5 => &head[..i],
        _ => head,
    };
    format!("{}…", cut.trim_end())
}

/// The name to give the export: the input's name, or a short hash when it had none. Text edited
/// in the terminal UI says so: the export is not of the file by that name.
pub(crate) fn input_name(report: &Report) -> String {
    match report.input.name.as_deref() {
        Some(n) if !n.trim().is_empty() && report.input.edited => {
            format!("{} (edited, not as saved)", one_line(n, 200))
        }
        Some(n) if !n.trim().is_empty() => one_line(n, 200),
        _ => format!(
            "input sha256:{}",
            &report.input.sha256[..report.input.sha256.len().min(12)]
        ),
    }
}

/// The ATT&CK release the report is made in: the catalogue in use when it was made (technique
/// names and tactics come from it).
pub(crate) fn attack_version(report: &Report) -> String {
    report.attack.attack_version.clone()
}

/// The ATT&CK release of the model's labels (the embedded catalogue's without a model).
pub(crate) fn model_attack_version(report: &Report) -> String {
    report.model.as_ref().map_or_else(
        || Catalog::embedded().attack_version.clone(),
        |m| m.attack_version.clone(),
    )
}

/// True when no technique of the report's catalogue corresponds to the hit's model label.
pub(crate) fn is_unmapped(hit: &TechniqueHit) -> bool {
    hit.mapping.iter().any(|m| m.kind == MappingKind::Unmapped)
}

/// `name version` of the model, or `no model`.
pub(crate) fn model_label(report: &Report) -> String {
    report.model.as_ref().map_or_else(
        || "no model".to_owned(),
        |m| format!("{} {}", m.name, m.version),
    )
}

/// Tactic shortnames in kill-chain (matrix column) order; unknown ones last, as given.
pub(crate) fn tactics_in_order<'t>(catalog: &Catalog, tactics: &'t [String]) -> Vec<&'t str> {
    let pos = |t: &str| {
        catalog
            .tactics
            .iter()
            .position(|c| c.shortname == t)
            .unwrap_or(usize::MAX)
    };
    let mut out: Vec<&str> = tactics.iter().map(String::as_str).collect();
    out.sort_by_key(|t| pos(t));
    out
}

/// A tactic's display name (`Command and Control`), falling back to the shortname.
pub(crate) fn tactic_name(catalog: &Catalog, shortname: &str) -> String {
    catalog
        .tactic(shortname)
        .map_or_else(|| shortname.to_owned(), |t| t.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_milliseconds_and_z() {
        let options = ExportOptions {
            now: Some(time::macros::datetime!(2026-01-02 03:04:05.678901 +02:00)),
            ..ExportOptions::default()
        };
        assert_eq!(timestamp(&options), "2026-01-02T01:04:05.678Z");
    }

    #[test]
    fn percentages_round_and_clamp() {
        assert_eq!(percent(0.874), 87);
        assert_eq!(percent(0.875), 88);
        assert_eq!(percent(1.5), 100);
        assert_eq!(percent(-1.0), 0);
        assert_eq!(percent(f32::NAN), 0);
    }

    #[test]
    fn truncation_is_on_char_boundaries() {
        assert_eq!(truncate_chars("héllo wörld", 20), "héllo wörld");
        assert_eq!(truncate_chars("ééééé", 3), "éé…");
        assert_eq!(truncate_chars("aaaa bbbb cccc", 12), "aaaa bbbb…");
        assert_eq!(one_line(" a\n\tb\u{1b}c ", 10), "a b␛c");
    }
}
