//! The report pane's source gutter: for a text extracted from a document, where each visible line
//! came from (`p3` for PDF page 3, the section of a DOCX/HTML/Markdown file, the part of an
//! e-mail). The first line of each page or section is marked; the pane's top row always says
//! where it is (dimmed when it continues from above). The map describes the extracted text only:
//! from the first edit the text is a plain-text document and the gutter goes.

use mitremap_docs::{Locator, SourceMap};
use ratatui::text::Line;

use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::tui::ui::{digits, fit, safe, width_of};

/// Columns the text keeps at least; below that the source gutter is hidden (the status bar still
/// says where the cursor is).
pub const MIN_TEXT_WIDTH: u16 = 30;
/// Most columns a section label takes (with its trailing space).
const MAX_SECTION_WIDTH: u16 = 13;
/// A section label narrower than this says nothing: hidden instead.
const MIN_SECTION_WIDTH: u16 = 5;

/// What a line shows in the gutter: the page (`p3`), else the section (`§Persistence`), else the
/// e-mail part (`body 1`). An HTML element path alone is too long to say anything here.
pub fn short_label(l: &Locator) -> Option<String> {
    if let Some(p) = l.page {
        return Some(format!("p{p}"));
    }
    if let Some(s) = l.section.as_deref().filter(|s| !s.trim().is_empty()) {
        return Some(format!("§{}", safe(s.trim())));
    }
    l.part.as_deref().map(|p| {
        // `body 1 (text/plain)`: the kind is for the status bar
        safe(p.split(" (").next().unwrap_or(p))
    })
}

/// The source gutter of one frame.
pub struct SourceGutter<'a> {
    map: &'a SourceMap,
    /// Columns, the trailing space included.
    pub width: u16,
}

impl<'a> SourceGutter<'a> {
    /// The gutter for a pane whose inside is `inner_width` columns, `taken` of them by the chunk
    /// gutter; `None` when the text is not an unedited document's, nothing in the map has a
    /// short label, or the pane is too narrow to spare the columns.
    pub fn new(app: &'a App, inner_width: u16, taken: u16) -> Option<SourceGutter<'a>> {
        let source = app.source.as_ref().filter(|_| app.revision == 0)?;
        let map = &source.map;
        let spare = inner_width
            .saturating_sub(taken)
            .saturating_sub(MIN_TEXT_WIDTH);
        let last_page = map.spans().filter_map(|(_, l)| l.page).max();
        let width = match last_page {
            // a page number is never cut: the gutter fits it whole or goes
            Some(p) => {
                let w = digits(p as usize) as u16 + 2;
                (w <= spare).then_some(w)?
            }
            None => {
                let widest = map
                    .spans()
                    .filter_map(|(_, l)| short_label(l))
                    .map(|s| width_of(&s) as u16 + 1)
                    .max()?;
                let w = widest.min(MAX_SECTION_WIDTH).min(spare);
                (w >= MIN_SECTION_WIDTH).then_some(w)?
            }
        };
        Some(SourceGutter { map, width })
    }

    /// The label of the text from byte `start` on.
    fn label_at(&self, start: usize) -> Option<String> {
        self.map.locate(start).and_then(short_label)
    }

    /// The gutter cell of a screen row. `start`: the byte offset of the row's line in the text;
    /// `previous`: that of the line above (`None` for the first line); `first_row`: the row is
    /// the line's first (not a wrapped continuation); `top`: the pane's top row.
    pub fn row(
        &self,
        app: &App,
        start: usize,
        previous: Option<usize>,
        first_row: bool,
        top: bool,
    ) -> Line<'static> {
        let label = self.label_at(start);
        let starts_here = first_row && previous.and_then(|p| self.label_at(p)) != label;
        let style = if starts_here {
            app.theme.style(Role::gutter_current)
        } else if top {
            app.theme.style(Role::dim)
        } else {
            return Line::raw("");
        };
        match label {
            Some(l) => {
                let room = self.width as usize - 1;
                Line::styled(format!("{:<room$} ", fit(&l, room)), style)
            }
            None => Line::raw(""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_short_and_safe() {
        assert_eq!(short_label(&Locator::page(12)).as_deref(), Some("p12"));
        let section = Locator {
            paragraph: Some(4),
            section: Some("Persist\u{1b}[2Jence".into()),
            ..Locator::default()
        };
        assert_eq!(
            short_label(&section).as_deref(),
            Some("§Persist␛[2Jence"),
            "escape sequences from the document never reach the terminal"
        );
        let part = Locator {
            part: Some("body 1 (text/plain)".into()),
            ..Locator::default()
        };
        assert_eq!(short_label(&part).as_deref(), Some("body 1"));
        let element = Locator {
            element: Some("html>body>p".into()),
            ..Locator::default()
        };
        assert_eq!(short_label(&element), None);
    }
}
