//! Markdown: the text is the file itself (link targets, where defanged URLs often hide, and code
//! blocks stay exactly as written); the source map gives each part the heading it is under.

use crate::{Extracted, Format, Locator, SourceMap};

pub fn extract(bytes: &[u8]) -> Extracted {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let map = section_map(&text);
    Extracted {
        format: Format::Markdown,
        text,
        map,
        pages: None,
        notes: Vec::new(),
    }
}

/// The first non-blank line is an ATX heading (`# Title`).
pub fn looks_like_markdown(text: &str) -> bool {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .and_then(atx_heading)
        .is_some()
}

fn atx_heading(line: &str) -> Option<&str> {
    let t = line.trim_start_matches(' ');
    if line.len() - t.len() > 3 {
        return None;
    }
    let hashes = t.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let rest = &t[hashes..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let title = rest.trim().trim_end_matches('#').trim();
    (!title.is_empty()).then_some(title)
}

/// Sections of a Markdown text by its ATX headings (`#`..`######`), outside fenced code blocks.
pub fn section_map(text: &str) -> SourceMap {
    let mut map = SourceMap::default();
    let mut offset = 0;
    let mut fence: Option<&str> = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(f) = fence {
            if trimmed.starts_with(f) {
                fence = None;
            }
        } else if trimmed.starts_with("```") {
            fence = Some("```");
        } else if trimmed.starts_with("~~~") {
            fence = Some("~~~");
        } else if let Some(title) = atx_heading(line.trim_end()) {
            map.push(
                offset,
                Locator {
                    section: Some(crate::one_line(title, 120)),
                    ..Locator::default()
                },
            );
        }
        offset += line.len();
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_outside_code_fences_make_sections() {
        let text = "# Report\nintro\n## IoCs\n```\n# not a heading\n```\nhxxp://x[.]example\n";
        let map = section_map(text);
        assert_eq!(map.len(), 2);
        let at = |needle: &str| {
            map.locate(text.find(needle).unwrap())
                .and_then(|l| l.section.clone())
        };
        assert_eq!(at("intro").as_deref(), Some("Report"));
        assert_eq!(at("hxxp").as_deref(), Some("IoCs"));
        assert_eq!(at("not a heading").as_deref(), Some("IoCs"));
        assert!(looks_like_markdown("\n# Title\ntext"));
        assert!(!looks_like_markdown("#hashtag text"));
    }
}
