//! ATT&CK Navigator layers, layer format 4.5 (Navigator 5.x).
//!
//! - `versions`: `attack` is the major release of the ATT&CK catalogue in use (`18.1` -> `18`),
//!   the form Navigator expects; `navigator` `5.2.0`; `layer` `4.5`.
//! - One technique entry per (technique, tactic), tactics in kill-chain order, as Navigator itself
//!   writes layers; a technique without a known tactic gets one entry without `tactic` (then it
//!   applies under every tactic).
//! - `score` is the confidence as an integer percentage, 0-100 (the model's best score over the
//!   chunks); the gradient runs from the report's threshold to 100.
//! - `comment` holds the best evidence passage, on one line, cut at 400 characters.
//! - No `filters`: predictions carry no platform, and Navigator shows every platform when the
//!   filter is absent; listing platforms by name would hide techniques if a name changes between
//!   ATT&CK releases.
//! - Entries sorted by score (highest first), then technique ID, then tactic order; the layer's
//!   own `sorting` is 3 (score, descending).

use mitremap_engine::analysis::{Report, ReviewStatus};
use serde_json::{Value, json};

use crate::ExportOptions;
use crate::common::{self, evidence, percent, round4};

/// The Navigator version the layer is written for.
pub const NAVIGATOR_VERSION: &str = "5.2.0";
/// The layer format version.
pub const LAYER_VERSION: &str = "4.5";
/// Comment length limit, in characters.
const COMMENT_MAX: usize = 400;

/// Low to high confidence.
const GRADIENT: [&str; 3] = ["#ffe766", "#ffaf66", "#ff6666"];
/// Techniques an analyst accepted (green), added (blue) or rejected (grey; only with
/// `include_rejected`). Unreviewed ones keep the confidence gradient.
const ACCEPTED_COLOR: &str = "#8ec843";
const ADDED_COLOR: &str = "#66b3ff";
const REJECTED_COLOR: &str = "#bbbbbb";

fn review_color(status: ReviewStatus) -> Option<&'static str> {
    match status {
        ReviewStatus::Unreviewed => None,
        ReviewStatus::Accepted => Some(ACCEPTED_COLOR),
        ReviewStatus::Added => Some(ADDED_COLOR),
        ReviewStatus::Rejected => Some(REJECTED_COLOR),
    }
}

fn legend(report: &Report, min: u8) -> Value {
    let mut items = vec![
        json!({"label": format!("confidence {min}%"), "color": GRADIENT[0]}),
        json!({"label": format!("confidence {}%", (u32::from(min) + 100) / 2), "color": GRADIENT[1]}),
        json!({"label": "confidence 100%", "color": GRADIENT[2]}),
    ];
    if report.review.is_some() {
        items.push(json!({"label": "accepted by an analyst", "color": ACCEPTED_COLOR}));
        items.push(json!({"label": "added by an analyst", "color": ADDED_COLOR}));
        items.push(json!({"label": "rejected by an analyst", "color": REJECTED_COLOR}));
    }
    Value::Array(items)
}

pub(crate) fn render(
    report: &Report,
    options: &ExportOptions,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = crate::json::to_vec_pretty(&layer(report, options))?;
    out.push(b'\n');
    Ok(out)
}

fn layer(report: &Report, options: &ExportOptions) -> Value {
    let threshold = report.options.threshold;
    let hits = common::exported_hits(report, options);
    let mut techniques: Vec<Value> = Vec::new();
    // Labels with no technique in the report's ATT&CK release have no cell in its matrix
    // (Navigator would drop them without a word): they are named in the metadata instead.
    let mut unmapped: Vec<String> = Vec::new();
    for hit in &hits {
        if common::is_unmapped(hit) {
            unmapped.push(format!(
                "{} {} ({}%)",
                hit.id,
                hit.name,
                percent(hit.confidence)
            ));
            continue;
        }
        let ev = evidence(report, hit);
        let score = percent(hit.confidence);
        let chunk_list: Vec<String> = hit.chunks.iter().map(usize::to_string).collect();
        let comment = match ev.first() {
            Some(e) => format!(
                "Confidence {score}% in {} passage(s). Best evidence (chunk {}, bytes {}-{}): \"{}\"",
                hit.chunk_count,
                e.chunk,
                e.range.start,
                e.range.end,
                common::one_line(e.text, COMMENT_MAX)
            ),
            None => format!("Confidence {score}%."),
        };
        let comment = match hit.review {
            ReviewStatus::Unreviewed => comment,
            ReviewStatus::Accepted => format!("Accepted by an analyst. {comment}"),
            ReviewStatus::Rejected => format!("Rejected by an analyst. {comment}"),
            ReviewStatus::Added => {
                format!("Added by an analyst (the model's confidence {score}%).")
            }
        };
        let comment = common::truncate_chars(&comment, COMMENT_MAX + 120);
        let mut metadata = vec![
            json!({"name": "confidence", "value": format!("{}", round4(hit.confidence))}),
            json!({"name": "chunks", "value": chunk_list.join(", ")}),
        ];
        if !hit.model_labels.is_empty() {
            metadata.push(json!({"name": "model labels", "value": hit.model_labels.join(", ")}));
        }
        if report.review.is_some() {
            metadata.push(json!({"name": "review", "value": hit.review.as_str()}));
        }
        let tactics = common::tactics_in_order(report.attack, &hit.tactics);
        let tactic_slots: Vec<Option<&str>> = if tactics.is_empty() {
            vec![None]
        } else {
            tactics.into_iter().map(Some).collect()
        };
        for tactic in tactic_slots {
            let mut t = serde_json::Map::new();
            t.insert("techniqueID".into(), json!(hit.id));
            if let Some(tactic) = tactic {
                t.insert("tactic".into(), json!(tactic));
            }
            t.insert("score".into(), json!(score));
            // An analyst's verdict overrides the confidence gradient.
            if let Some(color) = review_color(hit.review) {
                t.insert("color".into(), json!(color));
            }
            t.insert("comment".into(), json!(comment));
            t.insert("enabled".into(), json!(true));
            t.insert("metadata".into(), json!(metadata));
            t.insert("links".into(), json!([{"label": "ATT&CK", "url": hit.url}]));
            t.insert("showSubtechniques".into(), json!(false));
            techniques.push(Value::Object(t));
        }
    }
    let min = percent(threshold).min(99);
    let name = common::input_name(report);
    let attack = common::attack_version(report);
    let attack_major = attack.split('.').next().unwrap_or(&attack).to_owned();
    let mut layer = json!({
        "name": format!("mitremap: {name}"),
        "versions": {"attack": attack_major, "navigator": NAVIGATOR_VERSION, "layer": LAYER_VERSION},
        "domain": "enterprise-attack",
        "description": format!(
            "Techniques predicted by {} (ATT&CK {attack}) in {name}, at confidence >= {:.2}. Score = confidence in percent. {}",
            common::model_label(report),
            threshold,
            common::review_sentence(report),
        ),
        "sorting": 3,
        "layout": {
            "layout": "side",
            "aggregateFunction": "max",
            "showID": true,
            "showName": true,
            "showAggregateScores": false,
            "countUnscored": false,
            "expandedSubtechniques": "annotated"
        },
        "hideDisabled": false,
        "techniques": techniques,
        "gradient": {"colors": GRADIENT, "minValue": min, "maxValue": 100},
        "legendItems": legend(report, min),
        "showTacticRowBackground": false,
        "tacticRowBackground": "#dddddd",
        "selectTechniquesAcrossTactics": true,
        "selectSubtechniquesWithParent": false,
        "selectVisibleTechniques": false,
        "metadata": [
            {"name": "input", "value": name},
            {"name": "input sha256", "value": report.input.sha256},
            {"name": "model", "value": common::model_label(report)},
            {"name": "threshold", "value": format!("{threshold:.2}")},
            {"name": "attack", "value": format!("Enterprise {attack} ({} catalogue)", report.attack.origin_kind())},
            {"name": "generated", "value": common::timestamp(options)}
        ]
    });
    if !unmapped.is_empty()
        && let Some(metadata) = layer["metadata"].as_array_mut()
    {
        metadata.push(json!({
            "name": format!("not in ATT&CK {attack}"),
            "value": unmapped.join("; "),
        }));
    }
    layer
}
