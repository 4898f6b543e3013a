//! Documents (PDF, HTML, DOCX, Markdown, e-mail) as input: the text the engine analyses comes
//! from `mitremap-docs`, and the report's byte ranges are mapped back to pages and sections
//! here, so the engine never knows a document was involved.

use std::io::Write;

use anyhow::bail;
use mitremap_docs::Format;
use mitremap_engine::text::{Document, terminal_safe_line};

pub use crate::document_source::{Source, annotate_iocs, annotate_report};

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
            let sha256 = crate::document_source::sha256(&bytes);
            let len = bytes.len();
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
            let source = Source::new(format, extracted.map, &bytes, extracted.pages);
            Ok((Document::from_text(extracted.text), Some(source)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mitremap_docs::{Locator, SourceMap};
    use serde_json::json;

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
