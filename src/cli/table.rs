//! Plain-text tables for the terminal. Every cell is sanitised: report text never reaches the
//! terminal raw.

use mitremap_engine::analysis::{Report, TechniqueHit};
use mitremap_engine::ioc::IocSummary;
use mitremap_engine::text::terminal_safe_line;

/// Where a byte offset of the analysed text is in the source document (`page 2`), for documents.
pub type Locate<'a> = Option<&'a dyn Fn(usize) -> Option<String>>;

/// Techniques, then IoCs.
pub fn report_table(report: &Report, locate: Locate<'_>) -> String {
    let threshold = report.options.threshold;
    let techniques = report.techniques(threshold);
    let mut out = String::new();
    let model = report
        .model
        .as_ref()
        .map_or("none".to_owned(), |m| format!("{} {}", m.name, m.version));
    out.push_str(&format!(
        "{} chunks, model {}, threshold {}: {} techniques in ATT&CK {}\n\n",
        report.chunks.len(),
        terminal_safe_line(&model),
        mitremap_engine::analysis::format_threshold(threshold),
        techniques.len(),
        report.attack.attack_version
    ));
    if let Some(t) = mitremap_export::marking_in_text(report) {
        out.push_str(&format!("marked {} in the text\n\n", t.label()));
    }
    if !techniques.is_empty() {
        let rows: Vec<Vec<String>> = techniques
            .iter()
            .map(|t| {
                let mut row = vec![
                    t.id.clone(),
                    format!(
                        "{:.3}{}",
                        t.confidence,
                        if t.evidence_only { "*" } else { "" }
                    ),
                    format!("{:.2}", t.evidence),
                    t.chunk_count.to_string(),
                    t.tactics.join(","),
                    terminal_safe_line(&name_with_mapping(t)).into_owned(),
                ];
                if report.review.is_some() {
                    row.insert(1, t.review.to_string());
                }
                row
            })
            .collect();
        let header: &[&str] = if report.review.is_some() {
            &[
                "TECHNIQUE",
                "REVIEW",
                "CONF",
                "EVIDENCE",
                "CHUNKS",
                "TACTICS",
                "NAME",
            ]
        } else {
            &["TECHNIQUE", "CONF", "EVIDENCE", "CHUNKS", "TACTICS", "NAME"]
        };
        out.push_str(&render(header, &rows));
        if techniques.iter().any(|t| t.evidence_only) {
            out.push_str(
                "* no single chunk reaches the threshold; listed because its evidence \
                 (confidences summed over chunks) does\n",
            );
        }
        out.push('\n');
    }
    out.push_str(&ioc_table(&report.ioc_summaries(), false, locate));
    out
}

/// The technique's name, and where its model labels came from when they were not reported as
/// themselves: `Disable or Modify Tools <- T1562.001 (moved)`.
fn name_with_mapping(t: &TechniqueHit) -> String {
    match t.mapping_note() {
        Some(note) => format!("{} <- {note}", t.name),
        None => t.name.clone(),
    }
}

/// IoCs grouped by type; with `locate`, a WHERE column gives the first occurrence's place in the
/// document.
pub fn ioc_table(summaries: &[IocSummary], hide_noise: bool, locate: Locate<'_>) -> String {
    let rows: Vec<Vec<String>> = summaries
        .iter()
        .filter(|s| !(hide_noise && s.flags.is_noise()))
        .map(|s| {
            let mut note = Vec::new();
            if s.flags.private {
                note.push("private");
            }
            if s.flags.benign {
                note.push("benign");
            }
            if s.flags.lookalike {
                note.push("lookalike");
            }
            let mut row = vec![
                s.kind.as_str().to_owned(),
                terminal_safe_line(&s.value).into_owned(),
                s.count.to_string(),
                note.join(","),
            ];
            if let Some(locate) = locate {
                let place = locate(s.first).unwrap_or_default();
                row.push(terminal_safe_line(&place).into_owned());
            }
            row
        })
        .collect();
    if rows.is_empty() {
        return "no IoCs\n".to_owned();
    }
    let mut header = vec!["TYPE", "VALUE", "COUNT", "FLAGS"];
    if locate.is_some() {
        header.push("WHERE");
    }
    render(&header, &rows)
}

fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let last = cells.len() - 1;
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            out.push_str(cell);
            if i < last {
                out.push_str(&" ".repeat(w - cell.chars().count() + 2));
            }
        }
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for row in rows {
        line(row.iter().map(String::as_str).collect(), &mut out);
    }
    out
}
