//! Documents (PDF, HTML, DOCX, Markdown, e-mail) as input: the text the engine analyses comes
//! from `mitremap-docs`, and the report's byte ranges are mapped back to pages and sections
//! here, so the engine never knows a document was involved.

use std::io::Write;

use anyhow::bail;
use mitremap_docs::{Format, Locator, SourceMap};
use mitremap_engine::text::{Document, terminal_safe_line};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// `--input-format` and `--password`.
#[derive(Debug, Clone, clap::Args)]
pub struct DocArgs {
    /// Read the input as FORMAT instead of detecting it from its content (and name): text,
    /// markdown, html, docx, eml, pdf.
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    pub input_format: Option<Format>,
    /// Password of an encrypted PDF (better given as $MITREMAP_PDF_PASSWORD: a command line is
    /// visible to other users).
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "MITREMAP_PDF_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
}

impl DocArgs {
    /// `allow_binary`: `--allow-binary`, which alone lets a binary document be read as text.
    pub fn options(&self, allow_binary: bool) -> DocOptions {
        DocOptions {
            format: self.input_format,
            password: self.password.clone(),
            allow_binary,
        }
    }
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

/// How inputs are read as documents (`--input-format`, `--password`).
#[derive(Debug, Clone, Default)]
pub struct DocOptions {
    /// The format to read every input as, instead of detecting it.
    pub format: Option<Format>,
    /// Password of an encrypted PDF.
    pub password: Option<String>,
    /// `--allow-binary`: a PDF or DOCX read as plain text (`--input-format text`) is not refused.
    pub allow_binary: bool,
}

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

/// Reads `bytes` (from `name`) as the format asked for or detected: the document to analyse, and
/// the source map when it is not plain text. Notes go to stderr, sanitised.
pub fn load(
    name: &str,
    bytes: Vec<u8>,
    options: &DocOptions,
) -> anyhow::Result<(Document, Option<Source>)> {
    let safe_name = terminal_safe_line(name).into_owned();
    let format = match options.format {
        Some(f) => f,
        None => mitremap_docs::detect(&bytes, Some(name))
            .map_err(|e| anyhow::anyhow!("{safe_name}: {e}"))?,
    };
    match format {
        Format::Text if !options.allow_binary && mitremap_docs::is_binary_document(&bytes) => {
            bail!(
                "{safe_name} is a binary document, not text; drop --input-format text to read it \
                 as a document, or pass --allow-binary to analyse its bytes as text"
            )
        }
        Format::Text => {
            let document = Document::from_vec(bytes);
            super::input::note_encoding(name, &document);
            Ok((document, None))
        }
        Format::Markdown => {
            let (len, sha256) = (bytes.len(), sha256(&bytes));
            let document = Document::from_vec(bytes);
            super::input::note_encoding(name, &document);
            let map = mitremap_docs::markdown::section_map(document.text());
            let source = Source {
                format,
                map,
                bytes: len,
                sha256,
                pages: None,
            };
            Ok((document, Some(source)))
        }
        _ => {
            let doc_options = mitremap_docs::Options {
                password: options.password.clone(),
                ..mitremap_docs::Options::default()
            };
            let extracted = mitremap_docs::extract(&bytes, format, &doc_options).map_err(|e| {
                let hint = match e {
                    mitremap_docs::DocError::Encrypted(_) if options.password.is_none() => {
                        " (pass --password, or set $MITREMAP_PDF_PASSWORD)"
                    }
                    _ => "",
                };
                anyhow::anyhow!("{safe_name}: {}{hint}", terminal_safe_line(&e.to_string()))
            })?;
            for note in &extracted.notes {
                // ignore write errors: stderr may be a closed pipe
                let _ = writeln!(
                    std::io::stderr(),
                    "mitremap: note: {safe_name}: {}",
                    terminal_safe_line(note)
                );
            }
            if extracted.text.trim().is_empty() {
                bail!(
                    "{safe_name}: the {} holds no text: nothing to analyse",
                    format.name().to_uppercase()
                );
            }
            let source = Source {
                format,
                map: extracted.map,
                bytes: bytes.len(),
                sha256: sha256(&bytes),
                pages: extracted.pages,
            };
            Ok((Document::from_text(extracted.text), Some(source)))
        }
    }
}

fn sha256(bytes: &[u8]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_and_iocs_get_the_locator_of_their_range() {
        let mut map = SourceMap::default();
        map.push(0, Locator::page(1));
        map.push(100, Locator::page(2));
        let source = Source {
            format: Format::Pdf,
            map,
            bytes: 5000,
            sha256: "00".repeat(32),
            pages: Some(2),
        };
        let mut report = json!({
            "input": {"name": "r.pdf"},
            "chunks": [{"start": 0, "end": 50}, {"start": 60, "end": 150}],
            "iocs": {"items": [{"first": 120}]},
        });
        annotate_report(&mut report, &source);
        assert_eq!(report["input"]["document"]["format"], "pdf");
        assert_eq!(report["input"]["document"]["pages"], 2);
        assert_eq!(report["chunks"][0]["source"], json!({"page": 1}));
        assert!(report["chunks"][0].get("source_end").is_none());
        assert_eq!(report["chunks"][1]["source"], json!({"page": 1}));
        assert_eq!(report["chunks"][1]["source_end"], json!({"page": 2}));
        assert_eq!(report["iocs"]["items"][0]["source"], json!({"page": 2}));
    }
}
