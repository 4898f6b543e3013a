//! From byte ranges of the extracted text back to places in the source document.

use std::ops::Range;

use serde::Serialize;

/// A place in the source document. Only the fields that make sense for the format are set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Locator {
    /// PDF page, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// DOCX paragraph (body paragraphs and table-cell paragraphs, in order), from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paragraph: Option<u32>,
    /// The nearest heading above (HTML, DOCX, Markdown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// HTML element path, e.g. `html>body>main>article#post>p`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
    /// E-mail part: `headers`, `body 1 (text/plain)`, `attachments`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
}

impl Locator {
    pub fn page(page: u32) -> Self {
        Self {
            page: Some(page),
            ..Self::default()
        }
    }

    /// A short human label: `page 3`, `paragraph 12, "Persistence"`, `body 1 (text/html), "IoCs"`.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.part {
            parts.push(p.clone());
        }
        if let Some(p) = self.page {
            parts.push(format!("page {p}"));
        }
        if let Some(p) = self.paragraph {
            parts.push(format!("paragraph {p}"));
        }
        if let Some(s) = &self.section {
            parts.push(format!("\"{s}\""));
        }
        if parts.is_empty()
            && let Some(e) = &self.element
        {
            parts.push(e.clone());
        }
        parts.join(", ")
    }
}

/// Sorted spans of the extracted text, each with the locator of its source. A span runs from its
/// start to the next span's start.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    starts: Vec<usize>,
    locators: Vec<Locator>,
}

impl SourceMap {
    /// Records that the text from `start` on comes from `locator` (a start before the last one is
    /// moved up to it; a locator equal to the last one is merged).
    pub fn push(&mut self, start: usize, locator: Locator) {
        if self.locators.last() == Some(&locator) {
            return;
        }
        let start = start.max(self.starts.last().copied().unwrap_or(0));
        if self.starts.last() == Some(&start) {
            self.starts.pop();
            self.locators.pop();
            if self.locators.last() == Some(&locator) {
                return;
            }
        }
        self.starts.push(start);
        self.locators.push(locator);
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Where the byte at `offset` of the extracted text came from.
    pub fn locate(&self, offset: usize) -> Option<&Locator> {
        let i = self.starts.partition_point(|&s| s <= offset);
        i.checked_sub(1).map(|i| &self.locators[i])
    }

    /// Where the first and the last byte of `range` came from (the same locator for a range within
    /// one span).
    pub fn locate_range(&self, range: Range<usize>) -> Option<(&Locator, &Locator)> {
        let first = self.locate(range.start)?;
        let last = self.locate(range.end.saturating_sub(1).max(range.start))?;
        Some((first, last))
    }

    /// The spans in order: `(start, locator)`.
    pub fn spans(&self) -> impl Iterator<Item = (usize, &Locator)> {
        self.starts.iter().copied().zip(self.locators.iter())
    }

    /// Forgets the spans that start past `len`, after the text was cut back to `len` bytes (a
    /// span opened for spaces that were then trimmed would otherwise point past the text).
    fn cut_to(&mut self, len: usize) {
        let keep = self.starts.partition_point(|&start| start <= len);
        self.starts.truncate(keep);
        self.locators.truncate(keep);
    }
}

/// Line ends as `\n` only: the terminal UI's editor keeps LF lines, so offsets into extracted text
/// stay the same there.
fn lf_only(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\r') {
        s.replace("\r\n", "\n").replace('\r', "\n").into()
    } else {
        s.into()
    }
}

/// Text being built with its source map: extractors push text under a current locator.
#[derive(Debug, Default)]
pub(crate) struct TextBuilder {
    pub text: String,
    pub map: SourceMap,
    limit: usize,
    over: bool,
}

impl TextBuilder {
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }

    /// Appends `s` (normalised) as coming from `locator`.
    pub fn push(&mut self, s: &str, locator: &Locator) {
        if s.is_empty() || self.over {
            return;
        }
        if self.map.locators.last() != Some(locator) {
            self.map.push(self.text.len(), locator.clone());
        }
        crate::normalise_into(&mut self.text, &lf_only(s));
        if self.text.len() > self.limit {
            self.over = true;
        }
    }

    /// Appends `s` as it is (verbatim code, headers).
    pub fn push_raw(&mut self, s: &str, locator: &Locator) {
        if s.is_empty() || self.over {
            return;
        }
        if self.map.locators.last() != Some(locator) {
            self.map.push(self.text.len(), locator.clone());
        }
        self.text.push_str(&lf_only(s));
        if self.text.len() > self.limit {
            self.over = true;
        }
    }

    /// Drops spaces and tabs at the end of the text.
    pub fn trim_end_spaces(&mut self) {
        let kept = self.text.trim_end_matches([' ', '\t']).len();
        self.text.truncate(kept);
        self.map.cut_to(kept);
    }

    /// Ends the current line unless the text is empty or already ends one.
    pub fn line_break(&mut self) {
        self.trim_end_spaces();
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
    }

    /// Ensures an empty line before what comes next (paragraph break).
    pub fn paragraph_break(&mut self) {
        self.line_break();
        if !self.text.is_empty() && !self.text.ends_with("\n\n") {
            self.text.push('\n');
        }
    }

    pub fn ends_with_space(&self) -> bool {
        self.text.is_empty() || self.text.ends_with(|c: char| c.is_whitespace())
    }

    pub fn finish(self) -> Result<(String, SourceMap), crate::DocError> {
        if self.over {
            return Err(crate::text_too_large(self.limit));
        }
        let mut text = self.text;
        let trimmed = text.trim_end().len();
        text.truncate(trimmed);
        text.push('\n');
        let mut map = self.map;
        map.cut_to(trimmed);
        Ok((text, map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_the_span_that_holds_them() {
        let mut map = SourceMap::default();
        map.push(0, Locator::page(1));
        map.push(10, Locator::page(2));
        map.push(10, Locator::page(3)); // replaces the empty span of page 2
        map.push(25, Locator::page(3)); // same locator: merged
        assert_eq!(map.len(), 2);
        assert_eq!(map.locate(0).unwrap().page, Some(1));
        assert_eq!(map.locate(9).unwrap().page, Some(1));
        assert_eq!(map.locate(10).unwrap().page, Some(3));
        assert_eq!(map.locate(1000).unwrap().page, Some(3));
        let (a, b) = map.locate_range(5..12).unwrap();
        assert_eq!((a.page, b.page), (Some(1), Some(3)));
        let (a, b) = map.locate_range(5..10).unwrap();
        assert_eq!((a.page, b.page), (Some(1), Some(1)));
        assert!(SourceMap::default().locate(0).is_none());
    }

    #[test]
    fn labels_read_naturally() {
        let l = Locator {
            paragraph: Some(12),
            section: Some("Persistence".into()),
            ..Locator::default()
        };
        assert_eq!(l.label(), "paragraph 12, \"Persistence\"");
        assert_eq!(Locator::page(3).label(), "page 3");
    }
}
