//! Where a report's text came from when it was read from a document (PDF, HTML, DOCX, Markdown,
//! e-mail), and how every export names it: JSON chunks and IoCs get a `source` locator, STIX
//! evidence a locator and indicators "First seen: page N", Navigator techniques a `source`
//! entry, CSV a `source` column and Markdown the page or section. Shared by the CLI and the TUI
//! so that an export names the same places whichever front end wrote it; the engine never knows
//! a document was involved.

use mitremap_docs::{Format, Locator, SourceMap};
use mitremap_export::ExportOptions;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The document an input was read as, when it was not plain text.
#[derive(Debug, Clone)]
pub struct Source {
    pub format: Format,
    pub map: SourceMap,
    /// Size and SHA-256 of the file as read (the report's `input.bytes`/`sha256` are those of the
    /// extracted text).
    pub bytes: usize,
    pub sha256: String,
    pub pages: Option<usize>,
}

impl Source {
    /// The document `original` (the file's bytes) was read as, with the map of its extracted text.
    pub fn new(format: Format, map: SourceMap, original: &[u8], pages: Option<usize>) -> Self {
        Self {
            format,
            map,
            bytes: original.len(),
            sha256: sha256(original),
            pages,
        }
    }

    /// `PDF`, `HTML`, `DOCX`, `EML`, `MARKDOWN`: how the status bar names the format.
    pub fn label(&self) -> String {
        self.format.name().to_uppercase()
    }

    /// Where the byte range `start..end` of the analysed text came from, as JSON fields:
    /// `source`, and `source_end` when the range ends in another place (a chunk across pages).
    fn fields(&self, start: usize, end: usize) -> Vec<(&'static str, Value)> {
        let Some((first, last)) = self.map.locate_range(start..end) else {
            return Vec::new();
        };
        let mut fields = vec![("source", locator_json(first))];
        if last != first {
            fields.push(("source_end", locator_json(last)));
        }
        fields
    }

    /// `input.document` of the JSON report.
    fn input_json(&self) -> Value {
        let mut v = json!({
            "format": self.format.name(),
            "bytes": self.bytes,
            "sha256": self.sha256,
        });
        if let Some(pages) = self.pages {
            v["pages"] = json!(pages);
        }
        v
    }
}

/// The labels (`page 3`, `paragraph 12, "Persistence"`) the CSV and Markdown exports give the
/// places of chunks and IoCs.
pub fn source_labels(map: &SourceMap) -> mitremap_export::SourceLabels {
    mitremap_export::SourceLabels::from_spans(map.spans().map(|(start, l)| (start, l.label())))
}

fn locator_json(l: &Locator) -> Value {
    serde_json::to_value(l).unwrap_or(Value::Null)
}

/// Renders an export of `report` (any format), naming the places of `source` when the text came
/// from a document: the one path the CLI's `analyze -f` and the TUI's export dialog share.
pub fn render(
    format: mitremap_export::Format,
    report: &mitremap_engine::analysis::Report,
    options: &ExportOptions,
    source: Option<&Source>,
) -> anyhow::Result<Vec<u8>> {
    let Some(source) = source else {
        return Ok(mitremap_export::render(format, report, options)?);
    };
    let options = ExportOptions {
        source: Some(std::sync::Arc::new(source_labels(&source.map))),
        ..options.clone()
    };
    match format {
        mitremap_export::Format::Json => {
            let bytes = mitremap_export::render(format, report, &options)?;
            let mut value: Value = serde_json::from_slice(&bytes)?;
            annotate_report(&mut value, source);
            let mut out = mitremap_export::json::to_vec_pretty(&value)?;
            out.push(b'\n');
            Ok(out)
        }
        mitremap_export::Format::Navigator => {
            let bytes = mitremap_export::render(format, report, &options)?;
            annotate_navigator(&bytes, report, source)
        }
        mitremap_export::Format::Stix => {
            let bytes = mitremap_export::render(format, report, &options)?;
            annotate_stix(&bytes, report, source)
        }
        _ => Ok(mitremap_export::render(format, report, &options)?),
    }
}

pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Adds the document's fields to a JSON report: `input.document`, and `source` (and
/// `source_end`) on every chunk and IoC.
pub fn annotate_report(report: &mut Value, source: &Source) {
    report["input"]["document"] = source.input_json();
    if let Some(chunks) = report["chunks"].as_array_mut() {
        for chunk in chunks {
            let (Some(start), Some(end)) = (chunk["start"].as_u64(), chunk["end"].as_u64()) else {
                continue;
            };
            for (key, value) in source.fields(start as usize, end as usize) {
                chunk[key] = value;
            }
        }
    }
    if let Some(items) = report["iocs"]["items"].as_array_mut() {
        annotate_iocs(items, source);
    }
}

/// Adds `source` to every IoC summary (`first` is the byte offset of its first occurrence).
pub fn annotate_iocs(items: &mut [Value], source: &Source) {
    for item in items {
        let Some(first) = item["first"].as_u64() else {
            continue;
        };
        if let Some(l) = source.map.locate(first as usize) {
            item["source"] = locator_json(l);
        }
    }
}

/// Adds to a STIX bundle where things are in the document: each attack-pattern's evidence
/// passage gets a `source` locator (declared by the evidence extension), and each indicator's
/// description names the place of its first occurrence.
pub fn annotate_stix(
    bundle: &[u8],
    report: &mitremap_engine::analysis::Report,
    source: &Source,
) -> anyhow::Result<Vec<u8>> {
    let mut bundle: Value = serde_json::from_slice(bundle)?;
    let summaries = report.ioc_summaries();
    if let Some(objects) = bundle["objects"].as_array_mut() {
        for object in objects {
            match object["type"].as_str() {
                Some("attack-pattern") => {
                    if let Some(evidence) = object["x_mitremap_evidence"].as_array_mut() {
                        for e in evidence {
                            if let Some(l) = e["start"]
                                .as_u64()
                                .and_then(|s| source.map.locate(s as usize))
                            {
                                e["source"] = locator_json(l);
                            }
                        }
                    }
                }
                Some("indicator") => {
                    // the indicator's name is "<kind label>: <value>" (stix.rs)
                    let name = object["name"].as_str().unwrap_or_default();
                    let first = summaries
                        .iter()
                        .find(|s| name == format!("{}: {}", s.kind.label(), s.value))
                        .map(|s| s.first);
                    if let (Some(first), Some(desc)) = (first, object["description"].as_str())
                        && let Some(l) = source.map.locate(first)
                    {
                        object["description"] = json!(format!("{desc} First seen: {}.", l.label()));
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = mitremap_export::json::to_vec_pretty(&bundle)?;
    out.push(b'\n');
    Ok(out)
}

/// Adds to a Navigator layer where each technique's evidence is in the document: a `source`
/// metadata entry (`page 1; page 3`) from the chunks its `chunks` entry lists, and the document's
/// format and pages in the layer's metadata. Navigator shows metadata in a technique's tooltip.
pub fn annotate_navigator(
    layer: &[u8],
    report: &mitremap_engine::analysis::Report,
    source: &Source,
) -> anyhow::Result<Vec<u8>> {
    let mut layer: Value = serde_json::from_slice(layer)?;
    let range_of = |index: usize| {
        report
            .chunks
            .iter()
            .find(|c| c.index == index)
            .map(|c| c.range.clone())
    };
    if let Some(techniques) = layer["techniques"].as_array_mut() {
        for technique in techniques {
            let Some(metadata) = technique["metadata"].as_array_mut() else {
                continue;
            };
            let chunks: Vec<usize> = metadata
                .iter()
                .find(|m| m["name"] == "chunks")
                .and_then(|m| m["value"].as_str())
                .map(|v| v.split(',').filter_map(|c| c.trim().parse().ok()).collect())
                .unwrap_or_default();
            let mut labels: Vec<String> = Vec::new();
            for range in chunks.into_iter().filter_map(range_of) {
                if let Some(l) = source.map.locate(range.start).map(Locator::label)
                    && !labels.contains(&l)
                {
                    labels.push(l);
                }
            }
            if !labels.is_empty() {
                metadata.push(json!({"name": "source", "value": labels.join("; ")}));
            }
        }
    }
    if let Some(metadata) = layer["metadata"].as_array_mut() {
        let mut value = source.format.name().to_owned();
        if let Some(pages) = source.pages {
            value.push_str(&format!(", {pages} pages"));
        }
        metadata.push(json!({"name": "source document", "value": value}));
    }
    let mut out = mitremap_export::json::to_string_pretty(&layer)?.into_bytes();
    out.push(b'\n');
    Ok(out)
}
