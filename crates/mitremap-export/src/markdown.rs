//! A short human report in Markdown (CommonMark + GFM tables).
//!
//! IoCs are defanged by default (`hxxp`, `[.]`, `[@]`, `[:]`), in the IoC lists and inside the
//! quoted evidence, so the report is safe to paste into chat or e-mail; `fanged` keeps them as
//! extracted. All text from the input is made safe: control and bidi characters become visible
//! stand-ins (`terminal_safe_line`) and Markdown-significant ASCII punctuation is backslash-escaped,
//! `|` included, so input text can neither break a table nor inject links, HTML or headings.

use std::fmt::Write as _;

use mitremap_engine::analysis::Report;
use mitremap_engine::text::terminal_safe_line;
use mitremap_ioc::{IocKind, defang};

use crate::ExportOptions;
use crate::common::{self, evidence, percent, tactic_name, tactics_in_order};

/// Evidence quotes are cut to this many characters.
const QUOTE_MAX: usize = 500;

pub(crate) fn render(report: &Report, options: &ExportOptions) -> Vec<u8> {
    let mut md = String::new();
    let name = common::input_name(report);
    let threshold = report.options.threshold;
    let hits = report.techniques(threshold);
    let catalog = report.attack;

    let _ = writeln!(md, "# ATT&CK mapping: {}\n", escape(&name));
    if let Some(tlp) = options.tlp {
        let _ = writeln!(md, "**{}**\n", escape(tlp.label()));
    }
    let _ = writeln!(
        md,
        "- **Input:** {} (SHA-256 `{}`, {} bytes{})",
        escape(&name),
        report.input.sha256,
        report.input.bytes,
        if report.input.lossy_utf8 {
            ", not valid UTF-8: decoded lossily"
        } else {
            ""
        }
    );
    let _ = writeln!(
        md,
        "- **Model:** {} (ATT&CK {})",
        escape(&common::model_label(report)),
        escape(&common::model_attack_version(report))
    );
    if common::attack_version(report) != common::model_attack_version(report) {
        let _ = writeln!(
            md,
            "- **ATT&CK:** Enterprise {} ({} catalogue; model labels carried over from {})",
            escape(&common::attack_version(report)),
            catalog.origin_kind(),
            escape(&common::model_attack_version(report))
        );
    }
    let _ = writeln!(md, "- **Confidence threshold:** {threshold:.2}");
    let _ = writeln!(md, "- **Generated:** {}", common::timestamp(options));
    let status = if report.cancelled {
        "cancelled: partial results"
    } else if report.error.is_some() {
        "failed: partial results"
    } else if report.timings.is_some() {
        "complete"
    } else {
        "in progress: partial results"
    };
    let _ = writeln!(md, "- **Analysis:** {status}");
    let _ = writeln!(md, "\n{}\n", common::review_sentence(report));

    let _ = writeln!(md, "## Techniques ({})\n", hits.len());
    if hits.is_empty() {
        md.push_str("No technique reached the confidence threshold.\n\n");
    } else {
        let reviewed = report.review.is_some();
        if reviewed {
            md.push_str("| ID | Technique | Tactics | Confidence | Passages | Review |\n");
            md.push_str("|----|-----------|---------|-----------:|---------:|--------|\n");
        } else {
            md.push_str("| ID | Technique | Tactics | Confidence | Passages |\n");
            md.push_str("|----|-----------|---------|-----------:|---------:|\n");
        }
        for hit in &hits {
            let tactics: Vec<String> = tactics_in_order(catalog, &hit.tactics)
                .into_iter()
                .map(|t| tactic_name(catalog, t))
                .collect();
            let _ = write!(
                md,
                "| [{}]({}) | {} | {} | {}%{} | {} |",
                escape(&hit.id),
                hit.url,
                escape(&match hit.mapping_note() {
                    Some(note) => format!("{} <- {note}", hit.name),
                    None => hit.name.clone(),
                }),
                escape(&tactics.join(", ")),
                percent(hit.confidence),
                if hit.evidence_only { "\\*" } else { "" },
                hit.chunk_count
            );
            if reviewed {
                let _ = write!(md, " {} |", hit.review);
            }
            md.push('\n');
        }
        if hits.iter().any(|h| h.evidence_only) {
            md.push_str(
                "\n\\* No single passage reaches the threshold: listed because its confidences \
                 summed over passages do.\n",
            );
        }
        md.push_str("\n### Evidence\n\n");
        for hit in &hits {
            let Some(best) = evidence(report, hit).into_iter().next() else {
                continue;
            };
            let place = options
                .source
                .as_deref()
                .and_then(|l| l.at(best.range.start))
                .map(|l| format!(", {}", escape(l)))
                .unwrap_or_default();
            let _ = writeln!(
                md,
                "**{} {}**: {}% in chunk {} (bytes {}-{}{place})\n",
                escape(&hit.id),
                escape(&hit.name),
                percent(best.score),
                best.chunk,
                best.range.start,
                best.range.end
            );
            let quote = quote_text(report, best.range.clone(), options.fanged);
            let _ = writeln!(md, "> {quote}\n");
        }
    }

    let summaries = report.ioc_summaries();
    let _ = writeln!(md, "## Indicators of compromise ({})\n", summaries.len());
    if summaries.is_empty() {
        md.push_str("None found.\n\n");
    } else {
        if options.fanged {
            md.push_str("Indicators are **live** (not defanged): handle with care.\n\n");
        } else {
            md.push_str(
                "Indicators are defanged (`hxxp`, `[.]`, `[@]`, `[:]`) so this report is safe to paste.\n\n",
            );
        }
        for kind in IocKind::ALL {
            let of_kind: Vec<_> = summaries.iter().filter(|s| s.kind == *kind).collect();
            if of_kind.is_empty() {
                continue;
            }
            let _ = writeln!(md, "### {} ({})\n", escape(kind.label()), of_kind.len());
            for s in of_kind {
                let value = if options.fanged {
                    s.value.clone()
                } else {
                    defang(&s.value, s.kind)
                };
                let mut notes = Vec::new();
                if s.count > 1 {
                    notes.push(format!("{}×", s.count));
                }
                if s.flags.private {
                    notes.push("private/reserved".to_owned());
                }
                if s.flags.benign {
                    notes.push("well-known benign".to_owned());
                }
                if let Some(l) = options.source.as_deref().and_then(|l| l.at(s.first)) {
                    notes.push(format!("first on {}", escape(l)));
                }
                if s.flags.lookalike {
                    notes.push(
                        "lookalike of a Latin name, written with letters of another script"
                            .to_owned(),
                    );
                }
                let notes = if notes.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", notes.join(", "))
                };
                let _ = writeln!(md, "- {}{notes}", code_span(&value));
            }
            md.push('\n');
        }
    }

    md.push_str("## ATT&CK notice\n\n");
    let _ = writeln!(md, "{}", escape(&catalog.notice));
    md.into_bytes()
}

/// One evidence passage for a blockquote: on one line, IoCs defanged unless `fanged`, escaped,
/// cut to [`QUOTE_MAX`] characters.
fn quote_text(report: &Report, range: std::ops::Range<usize>, fanged: bool) -> String {
    let text = report.document.text();
    // Non-overlapping IoC occurrences inside the passage, earliest (then longest) first.
    let mut iocs: Vec<_> = report
        .iocs
        .iter()
        .filter(|i| i.range.start >= range.start && i.range.end <= range.end)
        .collect();
    iocs.sort_by(|a, b| {
        a.range
            .start
            .cmp(&b.range.start)
            .then(b.range.end.cmp(&a.range.end))
    });
    let mut plain = String::new();
    let mut cursor = range.start;
    for ioc in iocs {
        if ioc.range.start < cursor {
            continue;
        }
        plain.push_str(&text[cursor..ioc.range.start]);
        let live = matches!(
            ioc.kind,
            IocKind::Ipv4
                | IocKind::Ipv4Cidr
                | IocKind::Ipv6
                | IocKind::Domain
                | IocKind::Url
                | IocKind::Email
        );
        if fanged || !live {
            // Kept as written (other kinds are not clickable; their normalised value may differ).
            plain.push_str(&text[ioc.range.clone()]);
        } else {
            plain.push_str(&defang(&ioc.value, ioc.kind));
        }
        cursor = ioc.range.end;
    }
    plain.push_str(&text[cursor..range.end]);
    escape(&common::one_line(&plain, QUOTE_MAX))
}

/// Makes text inert in Markdown with as few backslashes as possible (they show up literally in
/// chat clients that do not render Markdown): controls made visible, then the characters that are
/// significant anywhere in a line (backslash, backtick, `* _ [ ] < > | & ~`) backslash-escaped, and a
/// leading block marker (`# + - = > !`, `1.`, `1)`) escaped so the text cannot start a heading,
/// list or quote.
pub(crate) fn escape(s: &str) -> String {
    let safe = terminal_safe_line(s);
    let mut out = String::with_capacity(safe.len() + 8);
    let digits = safe.bytes().take_while(u8::is_ascii_digit).count();
    for (i, c) in safe.char_indices() {
        let inline = matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '~'
        );
        let at_start = i == 0 && matches!(c, '#' | '+' | '-' | '=' | '!');
        let list_number = digits > 0 && i == digits && matches!(c, '.' | ')');
        if inline || at_start || list_number {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A code span that holds `s` literally, whatever backticks it contains (list items only: inside a
/// GFM table a `|` would still split the cell).
fn code_span(s: &str) -> String {
    let s = terminal_safe_line(s);
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest > 0 || s.starts_with(' ') || s.ends_with(' ') {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_defuses_markdown_and_controls() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("[x](javascript:y)"), "\\[x\\](javascript:y)");
        assert_eq!(escape("<img src=x>"), "\\<img src=x\\>");
        assert_eq!(escape("# h\n*b*"), "\\# h␤\\*b\\*");
        assert_eq!(escape("\u{1b}[31m"), "␛\\[31m");
        assert_eq!(escape("12. x-y"), "12\\. x-y");
        assert_eq!(escape("- a &amp; b"), "\\- a \\&amp; b");
        assert_eq!(escape("a.b 1. c"), "a.b 1. c");
    }

    #[test]
    fn code_spans_survive_backticks() {
        assert_eq!(code_span("a.b"), "`a.b`");
        assert_eq!(code_span("a`b"), "`` a`b ``");
    }
}
