//! PDF: the text layer, page by page (lopdf parses and decrypts; a text extractor turns each
//! page's content stream into lines). Then the lines a reader does not read as the report are
//! dropped (running headers and footers repeated on most pages, kept once on the first page so a
//! TLP marking or title survives; bare page numbers), words hyphenated at a line end are joined,
//! and ligatures and smart quotes are normalised.
//!
//! Two extractors are wired, [`Extractor::PdfExtract`] (the default, chosen by measurement: see
//! docs/input-formats.md) and [`Extractor::Lopdf`], so the choice can be re-measured
//! (`cargo run -p mitremap-docs --example pdf_compare`).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use crate::sourcemap::TextBuilder;
use crate::{DocError, Extracted, Format, Locator, Options, guard};

const FORMAT: &str = "PDF";
/// Past this, a PDF whose pages each take long to read is given up on (pages already read are
/// not used: a partial report would look complete).
const TIME_LIMIT: Duration = Duration::from_secs(300);

/// A PDF text extractor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extractor {
    /// `pdf-extract`: glyph positions, font encodings and ToUnicode maps, spaces from gaps.
    PdfExtract,
    /// `lopdf`'s own `extract_text`: text-showing operators in order, one line per operator.
    Lopdf,
}

impl Extractor {
    pub fn name(self) -> &'static str {
        match self {
            Extractor::PdfExtract => "pdf-extract",
            Extractor::Lopdf => "lopdf",
        }
    }
}

fn load(bytes: &[u8], password: Option<&str>) -> Result<lopdf::Document, DocError> {
    let options = match password {
        Some(p) => lopdf::LoadOptions::with_password(p),
        None => lopdf::LoadOptions::default(),
    };
    let doc = guard("PDF", || {
        lopdf::Document::load_mem_with_options(bytes, options).map_err(|e| match e {
            lopdf::Error::InvalidPassword => {
                DocError::Encrypted(" and the password given does not open it")
            }
            lopdf::Error::Decryption(_) | lopdf::Error::UnsupportedSecurityHandler(_) => {
                DocError::Encrypted(" with a method that cannot be read")
            }
            e => DocError::malformed(FORMAT, e),
        })
    })?;
    // An empty user password is tried (and used) at load; a document still encrypted after
    // it needs the real one.
    if doc.is_encrypted() && !doc.was_encrypted() {
        return Err(DocError::Encrypted(""));
    }
    Ok(doc)
}

/// One page as read: its text (`None` when the extractor failed on it) and the targets of its
/// link annotations (a defanged URL often hides behind link text).
pub struct RawPage {
    pub text: Option<String>,
    pub links: Vec<String>,
}

fn page_links(doc: &lopdf::Document, page: lopdf::ObjectId) -> Vec<String> {
    let Ok(annotations) = doc.get_page_annotations(page) else {
        return Vec::new();
    };
    let mut links: Vec<String> = Vec::new();
    for annotation in annotations.into_iter().take(10_000) {
        let action = match annotation.get(b"A") {
            Ok(lopdf::Object::Reference(id)) => doc.get_dictionary(*id).ok(),
            Ok(lopdf::Object::Dictionary(d)) => Some(d),
            _ => None,
        };
        let uri = action
            .and_then(|a| a.get(b"URI").ok())
            .and_then(|u| u.as_str().ok())
            .map(|u| String::from_utf8_lossy(u).into_owned());
        if let Some(uri) = uri.as_deref().and_then(crate::keepable_link)
            && !links.contains(&uri)
        {
            links.push(uri);
        }
    }
    links
}

/// Steps of the form-XObject walk per page before the page is called too complex.
const FORM_WALK_LIMIT: usize = 100_000;

/// A page whose form XObjects draw each other in a loop (or nest past 32 levels): pdf-extract
/// would recurse without end and overflow the stack, which no `catch_unwind` can catch.
fn forms_loop(doc: &lopdf::Document, page: lopdf::ObjectId) -> bool {
    fn dict<'a>(doc: &'a lopdf::Document, o: &'a lopdf::Object) -> Option<&'a lopdf::Dictionary> {
        doc.dereference(o).ok().and_then(|(_, o)| o.as_dict().ok())
    }
    fn walk(
        doc: &lopdf::Document,
        resources: &lopdf::Dictionary,
        stack: &mut Vec<lopdf::ObjectId>,
        steps: &mut usize,
    ) -> bool {
        let Some(xobjects) = resources.get(b"XObject").ok().and_then(|x| dict(doc, x)) else {
            return false;
        };
        for (_, object) in xobjects.iter() {
            *steps += 1;
            if *steps > FORM_WALK_LIMIT || stack.len() > 32 {
                return true;
            }
            let Ok(id) = object.as_reference() else {
                continue;
            };
            let Some(stream) = doc.get_object(id).ok().and_then(|o| o.as_stream().ok()) else {
                continue;
            };
            if stream
                .dict
                .get(b"Subtype")
                .and_then(lopdf::Object::as_name)
                .ok()
                != Some(b"Form")
            {
                continue;
            }
            if stack.contains(&id) {
                return true;
            }
            // A form without resources draws with its parent's (and so may reach itself again).
            let own = stream
                .dict
                .get(b"Resources")
                .ok()
                .and_then(|r| dict(doc, r));
            stack.push(id);
            let looped = walk(doc, own.unwrap_or(resources), stack, steps);
            stack.pop();
            if looped {
                return true;
            }
        }
        false
    }
    let Ok((direct, inherited)) = doc.get_page_resources(page) else {
        return false;
    };
    let mut steps = 0;
    let mut stack = Vec::new();
    direct
        .into_iter()
        .any(|r| walk(doc, r, &mut stack, &mut steps))
        || inherited.into_iter().any(|id| {
            doc.get_dictionary(id)
                .is_ok_and(|r| walk(doc, r, &mut stack, &mut steps))
        })
}

/// Each page as `extractor` reads it.
pub fn raw_pages(
    bytes: &[u8],
    password: Option<&str>,
    extractor: Extractor,
    max_pages: usize,
) -> Result<Vec<RawPage>, DocError> {
    let doc = load(bytes, password)?;
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(DocError::malformed(FORMAT, "it has no pages"));
    }
    if pages.len() > max_pages {
        return Err(DocError::TooLarge(format!(
            "the PDF has {} pages, more than the {max_pages} read; refused",
            pages.len()
        )));
    }
    let started = Instant::now();
    let mut out = Vec::with_capacity(pages.len());
    for (&number, &page_id) in pages.iter() {
        if started.elapsed() > TIME_LIMIT {
            return Err(DocError::TooLarge(format!(
                "reading the PDF took over {} s (stopped at page {number}); refused",
                TIME_LIMIT.as_secs()
            )));
        }
        if guard("PDF", || Ok(forms_loop(&doc, page_id))).unwrap_or(true) {
            out.push(RawPage {
                text: None,
                links: Vec::new(),
            });
            continue;
        }
        let text = guard("PDF", || match extractor {
            Extractor::PdfExtract => {
                let mut s = String::new();
                {
                    let mut output = pdf_extract::PlainTextOutput::new(&mut s);
                    pdf_extract::output_doc_page(&doc, &mut output, number)
                        .map_err(|e| DocError::malformed(FORMAT, format!("{e:?}")))?;
                }
                Ok(s)
            }
            Extractor::Lopdf => doc
                .extract_text(&[number])
                .map_err(|e| DocError::malformed(FORMAT, e)),
        });
        let links = guard("PDF", || Ok(page_links(&doc, page_id))).unwrap_or_default();
        out.push(RawPage {
            text: text.ok(),
            links,
        });
    }
    Ok(out)
}

pub fn extract(bytes: &[u8], options: &Options) -> Result<Extracted, DocError> {
    extract_with(bytes, options, Extractor::PdfExtract)
}

pub fn extract_with(
    bytes: &[u8],
    options: &Options,
    extractor: Extractor,
) -> Result<Extracted, DocError> {
    let raw = raw_pages(
        bytes,
        options.password.as_deref(),
        extractor,
        options.limits.max_pages,
    )?;
    let page_count = raw.len();
    let failed: Vec<usize> = (1..=page_count)
        .filter(|&i| raw[i - 1].text.is_none())
        .collect();
    if failed.len() == page_count {
        return Err(DocError::malformed(
            FORMAT,
            "no page could be read (damaged or truncated file?)",
        ));
    }
    let links: Vec<Vec<String>> = raw.iter().map(|p| p.links.clone()).collect();
    let mut pages = clean_pages(
        raw.into_iter()
            .map(|p| p.text.unwrap_or_default())
            .collect(),
    );
    for (page, links) in pages.iter_mut().zip(links) {
        let hidden: Vec<String> = links
            .into_iter()
            .filter(|l| !page.contains(l.as_str()))
            .collect();
        if !hidden.is_empty() {
            page.push_str(&format!(
                "\n\nLink targets on this page: {}",
                hidden.join(" ")
            ));
        }
    }
    let has_text = |p: &String| p.chars().any(char::is_alphanumeric);
    if !pages.iter().any(has_text) {
        return Err(DocError::NeedsOcr { pages: page_count });
    }
    let mut notes = Vec::new();
    let empty: Vec<usize> = (1..=page_count)
        .filter(|&i| !failed.contains(&i) && !has_text(&pages[i - 1]))
        .collect();
    if !empty.is_empty() {
        notes.push(format!(
            "{} of {page_count} pages have no text layer (images? they would need OCR): {}",
            empty.len(),
            page_list(&empty)
        ));
    }
    if !failed.is_empty() {
        notes.push(format!(
            "{} of {page_count} pages could not be read and are left out: {}",
            failed.len(),
            page_list(&failed)
        ));
    }
    let mut out = TextBuilder::new(options.limits.max_text);
    for (i, page) in pages.iter().enumerate() {
        if has_text(page) {
            out.paragraph_break();
            out.push(page, &Locator::page(i as u32 + 1));
        }
    }
    let (text, map) = out.finish()?;
    Ok(Extracted {
        format: Format::Pdf,
        text,
        map,
        pages: Some(page_count),
        notes,
    })
}

fn page_list(pages: &[usize]) -> String {
    let mut s: Vec<String> = pages.iter().take(10).map(usize::to_string).collect();
    if pages.len() > 10 {
        s.push("…".into());
    }
    s.join(", ")
}

/// A line's shape with digits folded, so `Page 3 of 20` and `Page 4 of 20` are one header.
fn furniture_key(line: &str) -> String {
    line.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

fn is_page_number(line: &str) -> bool {
    let t = line
        .trim()
        .trim_matches(|c: char| c == '-' || c == '–' || c.is_whitespace())
        .to_ascii_lowercase();
    let t = t.strip_prefix("page").unwrap_or(&t).trim();
    let mut parts = t
        .split(|c: char| c == '/' || c.is_whitespace())
        .filter(|p| !p.is_empty() && *p != "of");
    let first = parts.next();
    let second = parts.next();
    let numeric = |p: &str| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit());
    first.is_some_and(numeric) && second.is_none_or(numeric) && parts.next().is_none()
}

/// Lines at the top or bottom of a page that may be running headers, footers or page numbers.
const EDGE_LINES: usize = 3;

/// Drops running headers/footers and page numbers, joins hyphenated words, tidies blank lines.
fn clean_pages(pages: Vec<String>) -> Vec<String> {
    let pages: Vec<Vec<String>> = pages
        .iter()
        .map(|p| p.lines().map(|l| l.trim_end().to_owned()).collect())
        .collect();
    let edges = |lines: &[String]| -> Vec<usize> {
        let filled: Vec<usize> = (0..lines.len())
            .filter(|&i| !lines[i].trim().is_empty())
            .collect();
        let mut idx: Vec<usize> = filled.iter().take(EDGE_LINES).copied().collect();
        idx.extend(filled.iter().rev().take(EDGE_LINES));
        idx.sort_unstable();
        idx.dedup();
        idx
    };
    let mut counts: HashMap<String, usize> = HashMap::new();
    for lines in &pages {
        let keys: HashSet<String> = edges(lines)
            .into_iter()
            .map(|i| furniture_key(&lines[i]))
            .collect();
        for k in keys {
            *counts.entry(k).or_default() += 1;
        }
    }
    let n = pages.len();
    let repeated = |key: &str| n >= 3 && counts.get(key).is_some_and(|&c| c * 2 >= n && c >= 3);
    pages
        .iter()
        .enumerate()
        .map(|(page, lines)| {
            let drop: HashSet<usize> = edges(lines)
                .into_iter()
                .filter(|&i| {
                    (n >= 2 && is_page_number(&lines[i]))
                        || (page > 0 && repeated(&furniture_key(&lines[i])))
                })
                .collect();
            let kept: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| !drop.contains(i))
                .map(|(_, l)| l.as_str())
                .collect();
            join_lines(&kept)
        })
        .collect()
}

/// `mal-` + `ware` at a line end becomes `malware`, unless the word looks like part of an
/// indicator (a dot or slash in it) where the hyphen may be real (`evil-` + `domain.com`).
fn joins_hyphenated(line: &str, next: &str) -> bool {
    let Some(stem) = line.strip_suffix('-') else {
        return false;
    };
    let word = stem.rsplit(char::is_whitespace).next().unwrap_or("");
    let follow = next
        .trim_start()
        .split(char::is_whitespace)
        .next()
        .unwrap_or("");
    let follow_core = follow.trim_end_matches(['.', ',', ';', ':', ')', '"', '\'']);
    word.chars().count() >= 2
        && word.chars().all(char::is_alphabetic)
        && follow.chars().next().is_some_and(char::is_lowercase)
        && follow_core.chars().all(char::is_alphabetic)
}

/// A hash cut by a narrow table cell: hex at the end of a line and hex at the start of the next
/// that together are as long as an MD5, SHA-1, SHA-256 or SHA-512.
fn joins_wrapped_hash(line: &str, next: &str) -> bool {
    let tail = line.rsplit(char::is_whitespace).next().unwrap_or("");
    let head = next
        .trim_start()
        .split(char::is_whitespace)
        .next()
        .unwrap_or("");
    let hex = |s: &str| s.len() >= 4 && s.chars().all(|c| c.is_ascii_hexdigit());
    hex(tail) && hex(head) && [32, 40, 64, 128].contains(&(tail.len() + head.len()))
}

/// A path or URL cut at a separator: `HKCU\` + `Software\...`, `https://host/` + `path`.
fn joins_wrapped_path(line: &str, next: &str) -> bool {
    let tail = line.rsplit(char::is_whitespace).next().unwrap_or("");
    let next_starts_word = next.chars().next().is_some_and(|c| !c.is_whitespace());
    next_starts_word
        && tail.len() >= 3
        && (tail.ends_with('\\') || (tail.ends_with('/') && tail.contains("://")))
}

fn join_lines(lines: &[&str]) -> String {
    let mut out = String::new();
    let mut blank_run = 0;
    let mut carry = String::new();
    for (i, line) in lines.iter().enumerate() {
        let mut line = if carry.is_empty() {
            (*line).to_owned()
        } else {
            format!("{carry}{}", line.trim_start())
        };
        carry.clear();
        if let Some(next) = lines.get(i + 1) {
            if joins_hyphenated(&line, next) {
                line.pop();
                carry = line;
                continue;
            }
            if joins_wrapped_hash(&line, next) || joins_wrapped_path(&line, next) {
                carry = line;
                continue;
            }
        }
        if line.trim().is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&carry);
    out.trim_matches('\n').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_headers_footers_and_page_numbers_go_once_kept_on_page_one() {
        let page = |n: usize, body: &str| {
            format!("TLP:AMBER  Example Threat Report\n\n{body}\n\nPage {n} of 4\n")
        };
        let pages = vec![
            page(1, "Intro line about the actor."),
            page(
                2,
                "The loader uses rundll32 for execu-\ntion of the payload.",
            ),
            page(
                3,
                "It beacons to evil-\ndomain.example every hour.\nRun key HKCU\\\nSoftware\\Run and hxxp://x[.]example/\ngate.php",
            ),
            page(
                4,
                "- 4 -\nSHA-256 2c26b46b68ffc68ff99b453c1d3041341\n3422d706483bfa0f98a5e886266e7ae\nConclusion.",
            ),
        ];
        let clean = clean_pages(pages);
        assert_eq!(
            clean[0],
            "TLP:AMBER  Example Threat Report\n\nIntro line about the actor."
        );
        assert_eq!(
            clean[1],
            "The loader uses rundll32 for execution of the payload."
        );
        // A hyphen before an indicator-looking word is kept (and the line break with it).
        assert_eq!(
            clean[2],
            "It beacons to evil-\ndomain.example every hour.\nRun key HKCU\\Software\\Run and hxxp://x[.]example/gate.php"
        );
        assert_eq!(
            clean[3],
            "SHA-256 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae\nConclusion."
        );
    }

    #[test]
    fn page_numbers_are_recognised() {
        for yes in ["3", "Page 3", "page 3 of 20", "- 12 -", "4/9"] {
            assert!(is_page_number(yes), "{yes}");
        }
        for no in ["3 hosts", "Page three", "192.168.1.1", "2024-05-01", ""] {
            assert!(!is_page_number(no), "{no}");
        }
    }

    /// A PDF whose page draws a form that draws itself: the page is left out (pdf-extract would
    /// recurse until the stack overflows), the others are read.
    #[test]
    fn a_form_that_draws_itself_is_left_out_not_followed() {
        use lopdf::{Document, Object, Stream, dictionary};
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        });
        let form_id = doc.new_object_id();
        let form = Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 100.into(), 100.into()],
                "Resources" => dictionary! { "XObject" => dictionary! { "X1" => form_id } },
            },
            b"/X1 Do".to_vec(),
        );
        doc.objects.insert(form_id, Object::Stream(form));
        let page = |doc: &mut Document, content: &[u8], resources: lopdf::Dictionary| {
            let contents = doc.add_object(Stream::new(dictionary! {}, content.to_vec()));
            doc.add_object(dictionary! {
                "Type" => "Page", "Parent" => pages_id, "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
                "Contents" => contents,
                "Resources" => resources,
            })
        };
        let good = page(
            &mut doc,
            b"BT /F1 12 Tf 72 700 Td (Beacon to 198.51.100.3 seen.) Tj ET",
            dictionary! { "Font" => dictionary! { "F1" => font } },
        );
        let looping = page(
            &mut doc,
            b"/X1 Do",
            dictionary! { "XObject" => dictionary! { "X1" => form_id } },
        );
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages", "Kids" => vec![good.into(), looping.into()], "Count" => 2,
            }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        let e = extract(&bytes, &Options::default()).unwrap();
        assert!(
            e.text.contains("Beacon to 198.51.100.3 seen."),
            "{}",
            e.text
        );
        assert!(
            e.notes
                .iter()
                .any(|n| n.contains("could not be read") && n.ends_with(": 2")),
            "{:?}",
            e.notes
        );
    }

    #[test]
    fn garbage_and_truncation_are_errors_not_panics() {
        let opts = Options::default();
        for bytes in [
            &b"%PDF-1.7\n"[..],
            b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\nxref\n0 1\n",
            b"%PDF-\xff\xff\xff\xff trailer << /Root 9 0 R >>",
        ] {
            let err = extract(bytes, &opts).unwrap_err();
            assert!(
                matches!(err, DocError::Malformed { .. } | DocError::Panicked { .. }),
                "{err:?}"
            );
        }
    }
}
