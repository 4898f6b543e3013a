//! The editor's model: a [`TextBuf`] (editing, undo/redo, selection) plus the
//! viewport, text search and byte-offset mapping the other panes link to. Rendering is in
//! `components/editor.rs` so report text is sanitised and highlighted there.

use std::borrow::Cow;
use std::cell::Cell;

use ratatui::layout::Rect;
use unicode_width::UnicodeWidthChar;

use super::textbuf::TextBuf;

/// Tabs are shown as this many spaces.
const TAB: &str = "    ";

pub struct Editor {
    pub area: TextBuf,
    /// First visible line and how many of its wrapped rows are scrolled off.
    pub top: Cell<(usize, usize)>,
    /// Where the text was last drawn (for mouse clicks).
    pub rect: Cell<Rect>,
    /// Current search needle (case-insensitive).
    pub search: Option<String>,
    /// Typing changes the text. Only when the analyst chose to edit (or the session started
    /// empty); leaving the report pane ends it, so command keys never land in the text.
    pub editing: bool,
    /// When a key last went into the text (a pause starts a new undo step).
    pub last_typed: Option<std::time::Instant>,
    /// Byte offset of each line of the text (report ranges are drawn against it).
    pub line_starts: Vec<usize>,
}

impl Editor {
    pub fn new(text: &str) -> Editor {
        let mut e = Editor {
            area: TextBuf::new(Vec::new()),
            top: Cell::new((0, 0)),
            rect: Cell::new(Rect::default()),
            search: None,
            editing: false,
            last_typed: None,
            line_starts: Vec::new(),
        };
        e.set_text(text);
        e
    }

    /// Replaces the whole text (history restarts).
    pub fn set_text(&mut self, text: &str) {
        let lines: Vec<String> = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l).to_owned())
            .collect();
        self.area = TextBuf::new(lines);
        self.top.set((0, 0));
    }

    /// The text as the engine sees it: lines joined with `\n`.
    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    pub fn is_blank(&self) -> bool {
        self.area.lines().iter().all(|l| l.trim().is_empty())
    }

    pub fn lines(&self) -> &[String] {
        self.area.lines()
    }

    /// (row, column in chars).
    pub fn cursor(&self) -> (usize, usize) {
        self.area.cursor()
    }

    /// Byte offset of the cursor in [`Editor::text`].
    pub fn cursor_byte(&self) -> usize {
        let (row, col) = self.cursor();
        let lines = self.area.lines();
        let before: usize = lines[..row].iter().map(|l| l.len() + 1).sum();
        before + char_to_byte(&lines[row], col)
    }

    /// Moves the cursor to a (row, char column), clamped.
    pub fn jump(&mut self, row: usize, col: usize) {
        self.area.jump(row, col);
    }

    /// Moves the cursor to a byte offset of [`Editor::text`]. A jump clears the selection, as in
    /// every editor: a stale anchor would otherwise stretch to the target and the next key would
    /// replace everything in between.
    pub fn jump_to_byte(&mut self, byte: usize) {
        self.area.cancel_selection();
        let mut start = 0;
        let mut target = (0, 0);
        for (row, line) in self.area.lines().iter().enumerate() {
            if byte <= start + line.len() {
                target = (row, line[..(byte - start).min(line.len())].chars().count());
                break;
            }
            start += line.len() + 1;
            target = (row, line.chars().count());
        }
        self.jump(target.0, target.1);
    }

    /// Finds the next (or previous) case-insensitive occurrence of the needle and moves there.
    pub fn search_step(&mut self, forward: bool) -> bool {
        let Some(needle) = self.search.clone().filter(|s| !s.is_empty()) else {
            return false;
        };
        let needle = needle.to_lowercase();
        let (row, col) = self.cursor();
        let lines = self.area.lines();
        let n = lines.len();
        let mut found = None;
        for step in 0..=n {
            let r = if forward {
                (row + step) % n
            } else {
                (row + n - step % n) % n
            };
            let hay = lines[r].to_lowercase();
            if hay.len() != lines[r].len() {
                continue; // lowercase changed byte lengths; offsets would not map back
            }
            let cands: Vec<usize> = hay.match_indices(&needle).map(|(i, _)| i).collect();
            let cur = char_to_byte(&lines[r], col);
            let pick = if step == 0 {
                if forward {
                    cands.into_iter().find(|&i| i > cur)
                } else {
                    cands.into_iter().rev().find(|&i| i < cur)
                }
            } else if step == n {
                // wrapped around to the start row
                if forward {
                    cands.into_iter().find(|&i| i <= cur)
                } else {
                    cands.into_iter().rev().find(|&i| i >= cur)
                }
            } else if forward {
                cands.into_iter().next()
            } else {
                cands.into_iter().next_back()
            };
            if let Some(i) = pick {
                found = Some((r, lines[r][..i].chars().count()));
                break;
            }
        }
        match found {
            Some((r, c)) => {
                self.area.cancel_selection();
                self.jump(r, c);
                true
            }
            None => false,
        }
    }

    /// Maps a click inside the last drawn text area to a (row, column).
    pub fn position_at(&self, x: u16, y: u16) -> Option<(usize, usize)> {
        let rect = self.rect.get();
        if rect.width == 0 || y < rect.y || y >= rect.y + rect.height || x < rect.x {
            return None;
        }
        let width = rect.width as usize;
        let (mut line, mut skip) = self.top.get();
        let mut remaining = (y - rect.y) as usize;
        let lines = self.area.lines();
        while line < lines.len() {
            let rows = wrap_rows(&lines[line], width);
            if remaining < rows.len() - skip {
                let (start, _) = rows[skip + remaining];
                let mut col = start;
                let mut w = 0;
                for c in lines[line].chars().skip(start) {
                    let cw = display(c).1;
                    if w + cw > (x - rect.x) as usize {
                        break;
                    }
                    w += cw;
                    col += 1;
                    if col >= rows[skip + remaining].1 {
                        break;
                    }
                }
                return Some((line, col));
            }
            remaining -= rows.len() - skip;
            skip = 0;
            line += 1;
        }
        Some((lines.len().saturating_sub(1), usize::MAX))
    }

    /// Scrolls so the cursor is visible in a `width` x `height` text area.
    pub fn scroll_to_cursor(&self, width: usize, height: usize) {
        if width == 0 || height == 0 {
            return;
        }
        let lines = self.area.lines();
        let (crow, ccol) = self.cursor();
        let cursor_sub = row_of_col(&wrap_rows(&lines[crow], width), ccol);
        let (mut top, mut skip) = self.top.get();
        top = top.min(lines.len().saturating_sub(1));
        if (crow, cursor_sub) < (top, skip) {
            self.top.set((crow, cursor_sub));
            return;
        }
        // rows from the top of the viewport to the cursor row, inclusive
        let mut rows = 0;
        let mut l = top;
        while l < crow && rows <= height {
            rows += wrap_rows(&lines[l], width).len() - if l == top { skip } else { 0 };
            l += 1;
        }
        rows += cursor_sub + 1 - if crow == top { skip } else { 0 };
        if rows <= height {
            self.top.set((top, skip));
            return;
        }
        // put the cursor on the last row: walk back height-1 rows
        let (mut line, mut sub) = (crow, cursor_sub);
        let mut left = height - 1;
        while left > 0 {
            if sub >= left {
                sub -= left;
                left = 0;
            } else {
                left -= sub + 1;
                if line == 0 {
                    sub = 0;
                    break;
                }
                line -= 1;
                sub = wrap_rows(&lines[line], width).len() - 1;
            }
        }
        (top, skip) = (line, sub);
        self.top.set((top, skip));
    }

    /// Scrolls the viewport by `delta` lines and moves the cursor along.
    pub fn scroll_lines(&mut self, delta: isize) {
        let (row, col) = self.cursor();
        let target = row.saturating_add_signed(delta);
        self.jump(target, col);
    }
}

/// How a character is shown: control characters, C1 and bidi overrides become visible stand-ins
/// (via the engine's sanitiser), tabs become spaces.
pub fn display(c: char) -> (Cow<'static, str>, usize) {
    if c == '\t' {
        return (Cow::Borrowed(TAB), TAB.len());
    }
    if mitremap_engine::text::sanitize::is_unsafe_char(c, false) {
        let mut buf = [0u8; 4];
        let s = mitremap_engine::text::terminal_safe_line(c.encode_utf8(&mut buf)).into_owned();
        let w = s.chars().map(|c| c.width().unwrap_or(0)).sum();
        return (Cow::Owned(s), w);
    }
    (Cow::Owned(c.to_string()), c.width().unwrap_or(0))
}

/// Wrapped rows of a line as (first char index, end char index), at least one row. Rows break
/// after the last space that fits (word wrap), or mid-word when a word is wider than the row.
pub fn wrap_rows(line: &str, width: usize) -> Vec<(usize, usize)> {
    let mut rows = Vec::new();
    let (mut start, mut w, mut since) = (0, 0, 0);
    let mut space: Option<usize> = None;
    let mut n = 0;
    for (i, c) in line.chars().enumerate() {
        let cw = if c == '\t' {
            TAB.len()
        } else if mitremap_engine::text::sanitize::is_unsafe_char(c, false) {
            display(c).1
        } else {
            c.width().unwrap_or(0)
        };
        if w + cw > width && i > start && c != ' ' {
            match space.filter(|&b| b > start && b <= i) {
                Some(b) => {
                    rows.push((start, b));
                    start = b;
                    w = since;
                }
                None => {
                    rows.push((start, i));
                    start = i;
                    w = 0;
                    since = 0;
                }
            }
            space = None;
        }
        w += cw;
        if c == ' ' {
            space = Some(i + 1);
            since = 0;
        } else {
            since += cw;
        }
        n = i + 1;
    }
    rows.push((start, n));
    rows
}

/// Which wrapped row holds char column `col` (the end of line belongs to the last row, unless
/// that row is full, in which case the cursor gets a row of its own).
pub fn row_of_col(rows: &[(usize, usize)], col: usize) -> usize {
    rows.iter()
        .position(|&(s, e)| col >= s && col < e)
        .unwrap_or(rows.len() - 1)
}

pub fn char_to_byte(line: &str, col: usize) -> usize {
    line.char_indices().nth(col).map_or(line.len(), |(i, _)| i)
}
