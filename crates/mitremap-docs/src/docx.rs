//! DOCX: the body of `word/document.xml`, paragraph by paragraph. Table rows become lines with
//! tab-separated cells; an external hyperlink's target is kept after its text when the text does
//! not show it. Page headers and footers, footnotes, comments, text boxes' alternate content,
//! deleted revisions and field codes are not read.
//!
//! Zip members are read through a cap (a zip bomb stops at [`Limits::max_unzipped`](crate::Limits)
//! whatever sizes it declares) and XML with a document type declaration is refused, so entity
//! definitions (billion laughs) are never expanded.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::sourcemap::TextBuilder;
use crate::{DocError, Extracted, Format, Limits, Locator};

const FORMAT: &str = "DOCX";
/// More members than any real document has.
const MAX_MEMBERS: usize = 20_000;

pub fn extract(bytes: &[u8], limits: &Limits) -> Result<Extracted, DocError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| DocError::malformed(FORMAT, format!("not a valid zip archive ({e})")))?;
    if zip.len() > MAX_MEMBERS {
        return Err(DocError::TooLarge(format!(
            "the DOCX holds {} files, more than the {MAX_MEMBERS} a document can have; refused",
            zip.len()
        )));
    }
    let document =
        read_member(&mut zip, "word/document.xml", limits.max_unzipped)?.ok_or_else(|| {
            DocError::malformed(
                FORMAT,
                "a zip archive without word/document.xml (an OpenDocument or other Office file?)",
            )
        })?;
    let links = match read_member(
        &mut zip,
        "word/_rels/document.xml.rels",
        limits.max_unzipped,
    )? {
        Some(rels) => relationships(&rels)?,
        None => HashMap::new(),
    };
    let mut out = TextBuilder::new(limits.max_text);
    body(&document, &links, &mut out)?;
    let (text, map) = out.finish()?;
    Ok(Extracted {
        format: Format::Docx,
        text,
        map,
        pages: None,
        notes: Vec::new(),
    })
}

/// One member as text, read through `limit` whatever size it declares; `None` when absent.
fn read_member(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    limit: u64,
) -> Result<Option<String>, DocError> {
    let member = match zip.by_name(name) {
        Ok(m) => m,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(DocError::malformed(FORMAT, format!("{name}: {e}"))),
    };
    let too_large = || {
        DocError::TooLarge(format!(
            "{name} in the DOCX unpacks to more than {} MiB (a zip bomb?); refused",
            limit >> 20
        ))
    };
    if member.size() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    member
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| DocError::malformed(FORMAT, format!("{name}: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

fn local_name(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_owned()
}

fn attribute(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == local)
            .then(|| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .ok()
                    .map(|v| v.into_owned())
            })
            .flatten()
    })
}

fn xml_error(e: impl std::fmt::Display) -> DocError {
    DocError::malformed(FORMAT, format!("bad XML ({e})"))
}

fn refuse_doctype() -> DocError {
    DocError::Unsupported(
        "the DOCX's XML declares a document type (entity definitions, as in a billion-laughs \
         attack); refused"
            .into(),
    )
}

/// External hyperlink targets by relationship id.
fn relationships(xml: &str) -> Result<HashMap<String, String>, DocError> {
    let mut reader = Reader::from_str(xml);
    let mut links = HashMap::new();
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) | Event::Empty(e) if local_name(&e) == "Relationship" => {
                if attribute(&e, "TargetMode").as_deref() == Some("External")
                    && let (Some(id), Some(target)) = (attribute(&e, "Id"), attribute(&e, "Target"))
                {
                    links.insert(id, target);
                }
            }
            Event::DocType(_) => return Err(refuse_doctype()),
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(links)
}

/// The text of one entity or character reference: the five XML ones and `&#...;` only.
fn reference(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let n = name.strip_prefix('#')?;
            let code = match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => n.parse().ok()?,
            };
            char::from_u32(code)?
        }
    })
}

fn body(xml: &str, links: &HashMap<String, String>, out: &mut TextBuilder) -> Result<(), DocError> {
    let mut reader = Reader::from_str(xml);
    let mut paragraph = String::new();
    let mut paragraph_number = 0u32;
    let mut heading = false;
    let mut section: Option<String> = None;
    let mut in_text = false;
    // Deleted revisions, field instructions and the fallback copy of alternate content.
    let mut skipped = 0usize;
    let mut cell_depth = 0usize;
    let mut link: Option<(usize, String)> = None;
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) => match local_name(&e).as_str() {
                "p" => {
                    paragraph.clear();
                    heading = false;
                    paragraph_number += 1;
                }
                "t" => in_text = true,
                "delText" | "instrText" | "Fallback" => skipped += 1,
                "tc" => cell_depth += 1,
                "hyperlink" => {
                    link = attribute(&e, "id")
                        .and_then(|id| links.get(&id).cloned())
                        .map(|target| (paragraph.len(), target));
                }
                _ => {}
            },
            Event::Empty(e) => match local_name(&e).as_str() {
                "tab" if skipped == 0 => paragraph.push('\t'),
                "br" | "cr" if skipped == 0 => paragraph.push('\n'),
                "pStyle" => {
                    let style = attribute(&e, "val")
                        .unwrap_or_default()
                        .to_ascii_lowercase();
                    heading = style.starts_with("heading") || style == "title";
                }
                "p" => paragraph_number += 1,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() as &str {
                "t" => in_text = false,
                "delText" | "instrText" | "Fallback" => skipped = skipped.saturating_sub(1),
                "hyperlink" => {
                    if let Some((start, target)) = link.take()
                        && let Some(target) = crate::keepable_link(&target)
                        && !paragraph[start.min(paragraph.len())..].contains(target.as_str())
                    {
                        paragraph.push_str(&format!(" ({target})"));
                    }
                }
                "p" => {
                    let text = paragraph.trim_end();
                    if heading && !text.trim().is_empty() {
                        section = Some(crate::one_line(text.trim(), 120));
                        out.paragraph_break();
                    }
                    let locator = Locator {
                        paragraph: Some(paragraph_number),
                        section: section.clone(),
                        ..Locator::default()
                    };
                    out.push(text, &locator);
                    if cell_depth > 0 {
                        if !text.is_empty() && !out.ends_with_space() {
                            out.push(" ", &locator);
                        }
                    } else if heading {
                        out.paragraph_break();
                    } else {
                        out.line_break();
                    }
                    paragraph.clear();
                }
                "tc" => {
                    cell_depth = cell_depth.saturating_sub(1);
                    out.trim_end_spaces();
                    out.push_raw("\t", &Locator::default());
                }
                "tr" => out.line_break(),
                "tbl" => out.paragraph_break(),
                _ => {}
            },
            Event::Text(t) if in_text && skipped == 0 => paragraph.push_str(&t.xml10_content()),
            Event::CData(t) if in_text && skipped == 0 => paragraph.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text && skipped == 0 => {
                if let Some(c) = reference(&r.xml10_content()) {
                    paragraph.push(c);
                }
            }
            Event::DocType(_) => return Err(refuse_doctype()),
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    pub(crate) fn docx(document_xml: &str) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            zip.start_file("word/document.xml", opts).unwrap();
            zip.write_all(document_xml.as_bytes()).unwrap();
            zip.finish().unwrap();
        }
        buf.into_inner()
    }

    const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

    #[test]
    fn paragraphs_headings_and_tables() {
        let xml = format!(
            r#"<?xml version="1.0"?><w:document {W}><w:body>
<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Persistence</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">The actor &amp; friends ran </w:t></w:r><w:r><w:t>schtasks</w:t></w:r><w:del><w:r><w:delText>gone</w:delText></w:r></w:del></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>10.1.2.3</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>C2</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
</w:body></w:document>"#
        );
        let e = extract(&docx(&xml), &Limits::default()).unwrap();
        assert_eq!(
            e.text,
            "Persistence\n\nThe actor & friends ran schtasks\n10.1.2.3\tC2\n"
        );
        let at = |needle: &str| e.map.locate(e.text.find(needle).unwrap()).unwrap().clone();
        assert_eq!(at("schtasks").paragraph, Some(2));
        assert_eq!(at("schtasks").section.as_deref(), Some("Persistence"));
        assert_eq!(at("C2").paragraph, Some(4));
    }

    #[test]
    fn billion_laughs_is_refused_not_expanded() {
        let xml = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><w:document><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>"#;
        let err = extract(&docx(xml), &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("billion-laughs"), "{err}");
    }

    #[test]
    fn a_zip_bomb_stops_at_the_cap() {
        // 64 MiB of zeros deflate to ~64 KiB; a 1 MiB cap stops the read early.
        let mut buf = Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            zip.start_file("word/document.xml", opts).unwrap();
            let zeros = vec![b' '; 1 << 20];
            for _ in 0..64 {
                zip.write_all(&zeros).unwrap();
            }
            zip.finish().unwrap();
        }
        let bytes = buf.into_inner();
        assert!(bytes.len() < 1 << 20);
        let limits = Limits {
            max_unzipped: 1 << 20,
            ..Limits::default()
        };
        let err = extract(&bytes, &limits).unwrap_err();
        assert!(err.to_string().contains("zip bomb"), "{err}");
    }

    #[test]
    fn not_a_docx() {
        let err = extract(b"PK\x03\x04 truncated", &Limits::default()).unwrap_err();
        assert!(err.to_string().starts_with("not a readable DOCX"), "{err}");
    }
}
