//! Reports as they arrive: the bytes of a PDF, HTML page, DOCX, Markdown file or e-mail in,
//! UTF-8 text for the engine out, with a [`SourceMap`] from byte ranges of that text back to where
//! they came from (PDF page, HTML element and section, DOCX paragraph, e-mail part).
//!
//! The engine never sees a document: a front end extracts the text here, analyses it, and maps
//! the byte ranges of chunks and IoCs through the source map.
//!
//! Every extractor runs behind [`guard`]: a panic inside a third-party parser becomes a
//! [`DocError`], input and output sizes are bounded, and XML entity declarations are refused.

mod docx;
mod email;
mod guard;
mod html;
pub mod markdown;
pub mod pdf;
mod sourcemap;
mod text;

use std::fmt;
use std::str::FromStr;

pub use guard::guard;
pub use sourcemap::{Locator, SourceMap};

/// The formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Text,
    Markdown,
    Html,
    Docx,
    Eml,
    Pdf,
}

impl Format {
    /// Every format, in the order `--input-format` lists them.
    pub const ALL: [Format; 6] = [
        Format::Text,
        Format::Markdown,
        Format::Html,
        Format::Docx,
        Format::Eml,
        Format::Pdf,
    ];

    /// The name used on the command line and in the JSON report.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Markdown => "markdown",
            Format::Html => "html",
            Format::Docx => "docx",
            Format::Eml => "eml",
            Format::Pdf => "pdf",
        }
    }

    /// Formats whose bytes are not text (the front end must not refuse them as binary).
    pub fn is_binary(self) -> bool {
        matches!(self, Format::Docx | Format::Pdf)
    }

    /// The extracted text is the input itself (offsets in the text are offsets in the file).
    pub fn is_identity(self) -> bool {
        matches!(self, Format::Text | Format::Markdown)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "text" | "txt" | "plain" => Format::Text,
            "markdown" | "md" => Format::Markdown,
            "html" | "htm" => Format::Html,
            "docx" => Format::Docx,
            "eml" | "email" | "mail" => Format::Eml,
            "pdf" => Format::Pdf,
            _ => {
                return Err(format!(
                    "{s:?} is not an input format (text, markdown, html, docx, eml, pdf)"
                ));
            }
        })
    }
}

/// Why a document could not be read. Every message is one line.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("the PDF is encrypted{0}; mitremap cannot read it without the password")]
    Encrypted(&'static str),
    #[error(
        "the PDF has no text layer ({pages} page{} without any text: a scan?): it needs OCR first, which mitremap does not do",
        if *pages == 1 { "" } else { "s" }
    )]
    NeedsOcr { pages: usize },
    #[error("not a readable {format}: {detail}")]
    Malformed {
        format: &'static str,
        detail: String,
    },
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Unsupported(String),
    #[error(
        "the {format} reader failed on this file (internal error: {detail}); the file is probably malformed"
    )]
    Panicked {
        format: &'static str,
        detail: String,
    },
}

impl DocError {
    pub(crate) fn malformed(format: &'static str, detail: impl fmt::Display) -> Self {
        DocError::Malformed {
            format,
            detail: one_line(&detail.to_string(), 200),
        }
    }
}

/// Bounds on what an extraction may use.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Most bytes of extracted text.
    pub max_text: usize,
    /// Most bytes decompressed from one zip member (DOCX) before it is called a zip bomb.
    pub max_unzipped: u64,
    /// Most elements open at once that an HTML page's structure is followed to; deeper elements
    /// are read as if they were their ancestor at that depth.
    pub max_html_depth: usize,
    /// Most pages of a PDF read.
    pub max_pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_text: 256 << 20,
            max_unzipped: 128 << 20,
            max_html_depth: 256,
            max_pages: 20_000,
        }
    }
}

/// Options of one extraction.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub limits: Limits,
    /// Password of an encrypted PDF.
    pub password: Option<String>,
}

/// The text of a document and where each part of it came from.
#[derive(Debug, Clone)]
pub struct Extracted {
    pub format: Format,
    /// The text the engine analyses.
    pub text: String,
    pub map: SourceMap,
    /// Pages (PDF) read.
    pub pages: Option<usize>,
    /// Things a reader should know (pages without text, attachments not opened, ...), one line each.
    pub notes: Vec<String>,
}

/// The format of `bytes`, by content first: magic bytes for PDF, DOCX (zip) and legacy formats,
/// then sniffing for HTML and e-mail; the file name's extension decides only between formats the
/// content cannot tell apart (Markdown and plain text) or when the content says nothing.
pub fn detect(bytes: &[u8], file_name: Option<&str>) -> Result<Format, DocError> {
    let ext = file_name
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    let head = &bytes[..bytes.len().min(4096)];
    // A PDF may start with junk before its header; readers accept it within the first KiB.
    if memfind(&head[..head.len().min(1024)], b"%PDF-").is_some() {
        return Ok(Format::Pdf);
    }
    if head.starts_with(b"PK\x03\x04") {
        return Ok(Format::Docx);
    }
    if head.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return Err(DocError::Unsupported(
            "a legacy Office file (.doc/.xls, or a password-protected DOCX: OLE2) is not read: save it as DOCX or PDF".into(),
        ));
    }
    if head.starts_with(b"{\\rtf") {
        return Err(DocError::Unsupported(
            "RTF is not read: save it as DOCX or PDF".into(),
        ));
    }
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}');
    if html::looks_like_html(text) {
        return Ok(Format::Html);
    }
    if email::looks_like_email(text) {
        return Ok(Format::Eml);
    }
    Ok(match ext.as_deref() {
        Some("md" | "markdown" | "mdown" | "mkd") => Format::Markdown,
        Some("html" | "htm" | "xhtml") => Format::Html,
        Some("eml") => Format::Eml,
        _ if markdown::looks_like_markdown(text) => Format::Markdown,
        _ => Format::Text,
    })
}

/// The first bytes of an input are those of a document format that is binary (PDF, DOCX), so a
/// front end that refuses binary input must let it through.
pub fn is_binary_document(head: &[u8]) -> bool {
    memfind(&head[..head.len().min(1024)], b"%PDF-").is_some()
        || head.starts_with(b"PK\x03\x04")
        // Legacy Office: let through to be refused with a message that says what it is.
        || head.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
}

/// Extracts the text of `bytes` read as `format` (see [`detect`]).
pub fn extract(bytes: &[u8], format: Format, options: &Options) -> Result<Extracted, DocError> {
    let extracted = guard(format.name(), || match format {
        Format::Text => Ok(text::extract(bytes)),
        Format::Markdown => Ok(markdown::extract(bytes)),
        Format::Html => html::extract(bytes, &options.limits),
        Format::Docx => docx::extract(bytes, &options.limits),
        Format::Eml => email::extract(bytes, &options.limits),
        Format::Pdf => pdf::extract(bytes, options),
    })?;
    if extracted.text.len() > options.limits.max_text {
        return Err(text_too_large(options.limits.max_text));
    }
    Ok(extracted)
}

pub(crate) fn text_too_large(limit: usize) -> DocError {
    DocError::TooLarge(format!(
        "the document's text is larger than {} MiB; refused",
        limit >> 20
    ))
}

/// `s` on one line, at most `max` bytes (cut at a character boundary).
pub(crate) fn one_line(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if out.len() > max {
        let mut cut = max;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

/// An absolute link target worth keeping as text (defanged ones included), percent-decoded where
/// that gives printable ASCII (`%5B.%5D` is `[.]`).
pub(crate) fn keepable_link(target: &str) -> Option<String> {
    let t = target.trim();
    let lower = t.to_ascii_lowercase();
    let absolute = [
        "http://",
        "https://",
        "ftp://",
        "hxxp://",
        "hxxps://",
        "hxxp[:]//",
        "hxxps[:]//",
    ]
    .iter()
    .any(|s| lower.starts_with(s));
    if !absolute || t.len() > 2048 {
        return None;
    }
    let bytes = t.as_bytes();
    let mut out = String::with_capacity(t.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = t.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
            && (b.is_ascii_graphic() || b == b' ')
        {
            out.push(b as char);
            i += 3;
            continue;
        }
        let c = t[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    Some(one_line(&out, 2048))
}

pub(crate) fn memfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Typographic forms that hide words and IoCs from matching: ligatures, smart quotes, soft hyphens
/// and no-break spaces, replaced by their plain forms (the text is built, so offsets stay true).
pub(crate) fn normalise_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\u{FB00}' => out.push_str("ff"),
            '\u{FB01}' => out.push_str("fi"),
            '\u{FB02}' => out.push_str("fl"),
            '\u{FB03}' => out.push_str("ffi"),
            '\u{FB04}' => out.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => out.push_str("st"),
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' => out.push('\''),
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' => out.push('"'),
            '\u{00AD}' => {}
            '\u{00A0}' | '\u{2007}' | '\u{202F}' => out.push(' '),
            '\0' => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
pub(crate) fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    normalise_into(&mut out, s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_is_by_content_before_the_extension() {
        assert_eq!(
            detect(b"%PDF-1.7\n...", Some("x.txt")).unwrap(),
            Format::Pdf
        );
        assert_eq!(detect(b"PK\x03\x04rest", None).unwrap(), Format::Docx);
        assert_eq!(
            detect(b"<!DOCTYPE html><html><body>x", Some("a.txt")).unwrap(),
            Format::Html
        );
        assert_eq!(
            detect(
                b"From: a@b.example\r\nTo: c@d.example\r\nSubject: hi\r\n\r\nbody",
                None
            )
            .unwrap(),
            Format::Eml
        );
        assert_eq!(
            detect(b"plain words", Some("r.md")).unwrap(),
            Format::Markdown
        );
        assert_eq!(detect(b"plain words", Some("r.txt")).unwrap(), Format::Text);
        assert_eq!(detect(b"plain words", None).unwrap(), Format::Text);
        let err = detect(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1....", Some("x.doc")).unwrap_err();
        assert!(err.to_string().contains("legacy Office"), "{err}");
    }

    #[test]
    fn link_targets_are_kept_decoded() {
        assert_eq!(
            keepable_link("hxxps://files.harbor-notice%5B.%5Dcom/a%20b").as_deref(),
            Some("hxxps://files.harbor-notice[.]com/a b")
        );
        assert_eq!(keepable_link("/relative"), None);
        assert_eq!(keepable_link("mailto:x@y"), None);
    }

    #[test]
    fn typography_is_normalised() {
        assert_eq!(
            normalise("\u{FB01}le \u{201C}x\u{201D} it\u{2019}s co\u{00AD}de\u{00A0}."),
            "file \"x\" it's code ."
        );
    }

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>().unwrap(), f);
        }
        assert!("docm".parse::<Format>().is_err());
    }
}
