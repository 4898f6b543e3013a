//! The editor's text buffer: lines, cursor, selection, undo/redo, and the editing keys.
//!
//! Every change is one `replace(range, text)`, so undo and redo are the same operation and an
//! edit costs O(changed lines), never O(document): typing in a 5 MB report stays instant.
//! (`ratatui-textarea` rebuilds a screen map of the whole text on every edit: ~80 ms at 5 MB.)

use std::cell::Cell;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use unicode_segmentation::UnicodeSegmentation;

use super::changes::{Change, ChangeSet};

/// (row, column in chars).
pub type Pos = (usize, usize);

const MAX_UNDO: usize = 500;
const TAB: &str = "    ";

#[derive(Debug, Clone)]
struct Edit {
    start: Pos,
    removed: String,
    inserted: String,
    cursor_before: Pos,
}

/// What the newest undo step is still growing by: typing extends it until a word ends, the
/// cursor moves, another kind of edit comes, or the app sees a pause ([`TextBuf::break_group`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Insert,
    Backspace,
    Delete,
}

#[derive(Debug, Clone)]
pub struct TextBuf {
    lines: Vec<String>,
    cursor: Pos,
    anchor: Option<Pos>,
    undo: Vec<Edit>,
    redo: Vec<Edit>,
    group: Option<Group>,
    yank: String,
    /// Every change to the text (undo and redo included) since [`TextBuf::take_changes`].
    changes: ChangeSet,
    /// Rows a page up/down moves (set by the renderer).
    pub page: Cell<usize>,
}

impl TextBuf {
    pub fn new(mut lines: Vec<String>) -> TextBuf {
        if lines.is_empty() {
            lines.push(String::new());
        }
        TextBuf {
            lines,
            cursor: (0, 0),
            anchor: None,
            undo: Vec::new(),
            redo: Vec::new(),
            group: None,
            yank: String::new(),
            changes: ChangeSet::default(),
            page: Cell::new(20),
        }
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    pub fn cursor(&self) -> Pos {
        self.cursor
    }

    fn line_chars(&self, row: usize) -> usize {
        self.lines[row].chars().count()
    }

    fn byte(&self, (r, c): Pos) -> usize {
        let l = &self.lines[r];
        l.char_indices().nth(c).map_or(l.len(), |(i, _)| i)
    }

    fn clamp(&self, (r, c): Pos) -> Pos {
        let r = r.min(self.lines.len() - 1);
        (r, c.min(self.line_chars(r)))
    }

    /// Moves the cursor (clamped); keeps the selection anchor if one is set.
    pub fn jump(&mut self, row: usize, col: usize) {
        self.cursor = self.clamp((row, col));
        self.group = None;
    }

    /// The next edit starts a new undo step (the app calls this after a pause in typing).
    pub fn break_group(&mut self) {
        self.group = None;
    }

    /// The changes made since the last call, as byte offsets of the text joined with `\n`.
    pub fn take_changes(&mut self) -> ChangeSet {
        std::mem::take(&mut self.changes)
    }

    /// Byte offset of the start of `row` in the joined text.
    fn row_offset(&self, row: usize) -> usize {
        self.lines[..row].iter().map(|l| l.len() + 1).sum()
    }

    /// Number of undo steps (for tests and the status).
    pub fn undo_len(&self) -> usize {
        self.undo.len()
    }

    // ---- selection --------------------------------------------------------------------

    pub fn start_selection(&mut self) {
        self.anchor = Some(self.cursor);
    }

    pub fn cancel_selection(&mut self) {
        self.anchor = None;
    }

    pub fn is_selecting(&self) -> bool {
        self.anchor.is_some()
    }

    pub fn select_all(&mut self) {
        self.anchor = Some((0, 0));
        let last = self.lines.len() - 1;
        self.cursor = (last, self.line_chars(last));
    }

    /// Ordered (start, end) of the selection, end exclusive.
    pub fn selection_range(&self) -> Option<(Pos, Pos)> {
        let a = self.anchor?;
        let b = self.cursor;
        (a != b).then(|| if a < b { (a, b) } else { (b, a) })
    }

    pub fn copy(&mut self) {
        if let Some((a, b)) = self.selection_range() {
            self.yank = self.text_range(a, b);
        }
    }

    pub fn yank_text(&self) -> String {
        self.yank.clone()
    }

    // ---- editing ------------------------------------------------------------------------

    fn text_range(&self, a: Pos, b: Pos) -> String {
        let (ba, bb) = (self.byte(a), self.byte(b));
        if a.0 == b.0 {
            return self.lines[a.0][ba..bb].to_owned();
        }
        let mut s = String::from(&self.lines[a.0][ba..]);
        for l in &self.lines[a.0 + 1..b.0] {
            s.push('\n');
            s.push_str(l);
        }
        s.push('\n');
        s.push_str(&self.lines[b.0][..bb]);
        s
    }

    /// Where text inserted at `start` ends.
    fn pos_after(start: Pos, text: &str) -> Pos {
        match text.rfind('\n') {
            None => (start.0, start.1 + text.chars().count()),
            Some(i) => (
                start.0 + text.matches('\n').count(),
                text[i + 1..].chars().count(),
            ),
        }
    }

    /// Replaces `a..b` by `text`; returns the end of the inserted text.
    fn replace(&mut self, a: Pos, b: Pos, text: &str) -> Pos {
        let (ba, bb) = (self.byte(a), self.byte(b));
        let start = self.row_offset(a.0) + ba;
        let end = start - ba
            + self.lines[a.0..b.0]
                .iter()
                .map(|l| l.len() + 1)
                .sum::<usize>()
            + bb;
        self.changes.push(Change {
            start,
            removed: end - start,
            inserted: text.len(),
        });
        let prefix = &self.lines[a.0][..ba];
        let suffix = &self.lines[b.0][bb..];
        let mut joined = String::with_capacity(prefix.len() + text.len() + suffix.len());
        joined.push_str(prefix);
        joined.push_str(text);
        joined.push_str(suffix);
        let new: Vec<String> = joined.split('\n').map(str::to_owned).collect();
        self.lines.splice(a.0..=b.0, new);
        Self::pos_after(a, text)
    }

    fn edit(&mut self, a: Pos, b: Pos, text: &str) -> bool {
        self.group = None;
        if a == b && text.is_empty() {
            return false;
        }
        let removed = self.text_range(a, b);
        let cursor_before = self.cursor;
        self.cursor = self.replace(a, b, text);
        self.anchor = None;
        self.redo.clear();
        if self.undo.len() == MAX_UNDO {
            self.undo.remove(0);
        }
        self.undo.push(Edit {
            start: a,
            removed,
            inserted: text.to_owned(),
            cursor_before,
        });
        true
    }

    /// Typed text (a key, Enter, Tab): without a selection it extends the newest undo step while
    /// the same word goes on, so undo takes back a word (with its trailing space), not a key.
    fn type_text(&mut self, text: &str) -> bool {
        if self.anchor.is_some() || text.is_empty() {
            let changed = self.insert_str(text);
            self.group = Some(Group::Insert);
            return changed;
        }
        let starts_word = text.starts_with(|c: char| !c.is_whitespace());
        let extend = self.group == Some(Group::Insert)
            && self.undo.last().is_some_and(|e| {
                Self::pos_after(e.start, &e.inserted) == self.cursor
                    // a new word after a space is a new step
                    && !(starts_word && e.inserted.ends_with(char::is_whitespace))
            });
        if !extend {
            let changed = self.edit(self.cursor, self.cursor, text);
            self.group = Some(Group::Insert);
            return changed;
        }
        self.cursor = self.replace(self.cursor, self.cursor, text);
        self.redo.clear();
        if let Some(e) = self.undo.last_mut() {
            e.inserted.push_str(text);
        }
        true
    }

    /// Backspace or Delete of one character: consecutive ones are one undo step per word.
    fn delete_char(&mut self, forward: bool) -> bool {
        if self.delete_selection() {
            return true;
        }
        let (a, b) = if forward {
            (self.cursor, self.right(self.cursor))
        } else {
            (self.left(self.cursor), self.cursor)
        };
        if a == b {
            return false;
        }
        let kind = if forward {
            Group::Delete
        } else {
            Group::Backspace
        };
        let gone = self.text_range(a, b);
        let extend = self.group == Some(kind)
            && self.undo.last().is_some_and(|e| {
                e.inserted.is_empty()
                    && e.start == self.cursor
                    // deleting into the previous word starts a new step
                    && !(gone.starts_with(char::is_whitespace)
                        && if forward {
                            e.removed.ends_with(|c: char| !c.is_whitespace())
                        } else {
                            e.removed.starts_with(|c: char| !c.is_whitespace())
                        })
            });
        if !extend {
            let changed = self.edit(a, b, "");
            self.group = Some(kind);
            return changed;
        }
        self.cursor = self.replace(a, b, "");
        self.redo.clear();
        if let Some(e) = self.undo.last_mut() {
            if forward {
                e.removed.push_str(&gone);
            } else {
                e.start = a;
                e.removed.insert_str(0, &gone);
            }
        }
        true
    }

    /// Inserts text at the cursor, replacing the selection. `\r\n` and `\r` become `\n`.
    pub fn insert_str(&mut self, text: &str) -> bool {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let (a, b) = self.selection_range().unwrap_or((self.cursor, self.cursor));
        self.edit(a, b, &text)
    }

    fn delete_selection(&mut self) -> bool {
        match self.selection_range() {
            Some((a, b)) => self.edit(a, b, ""),
            None => false,
        }
    }

    pub fn undo(&mut self) -> bool {
        self.group = None;
        let Some(e) = self.undo.pop() else {
            return false;
        };
        let end = Self::pos_after(e.start, &e.inserted);
        self.replace(e.start, end, &e.removed);
        self.cursor = self.clamp(e.cursor_before);
        self.anchor = None;
        self.redo.push(e);
        true
    }

    pub fn redo(&mut self) -> bool {
        self.group = None;
        let Some(e) = self.redo.pop() else {
            return false;
        };
        let end = Self::pos_after(e.start, &e.removed);
        self.cursor = self.replace(e.start, end, &e.inserted);
        self.anchor = None;
        self.undo.push(e);
        true
    }

    // ---- movement -----------------------------------------------------------------------

    /// One grapheme cluster left (an accented letter written with a combining mark, or an
    /// emoji sequence, is one step and one Backspace, as in other editors).
    fn left(&self, p: Pos) -> Pos {
        match p {
            (0, 0) => p,
            (r, 0) => (r - 1, self.line_chars(r - 1)),
            (r, c) => {
                let line = &self.lines[r];
                let byte = self.byte(p);
                let prev = line[..byte]
                    .grapheme_indices(true)
                    .next_back()
                    .map_or(0, |(i, _)| i);
                (r, c - line[prev..byte].chars().count().max(1))
            }
        }
    }

    /// One grapheme cluster right.
    fn right(&self, p: Pos) -> Pos {
        let (r, c) = p;
        if c < self.line_chars(r) {
            let line = &self.lines[r];
            let step = line[self.byte(p)..]
                .graphemes(true)
                .next()
                .map_or(1, |g| g.chars().count());
            (r, c + step)
        } else if r + 1 < self.lines.len() {
            (r + 1, 0)
        } else {
            p
        }
    }

    fn char_at(&self, (r, c): Pos) -> Option<char> {
        self.lines[r].chars().nth(c)
    }

    fn word_left(&self, mut p: Pos) -> Pos {
        // skip spaces, then the word
        loop {
            let q = self.left(p);
            if q == p || q.0 != p.0 && p != self.cursor {
                return q;
            }
            if self.char_at(q).is_some_and(|c| !c.is_whitespace()) {
                p = q;
                break;
            }
            p = q;
        }
        loop {
            let q = self.left(p);
            if q == p || q.0 != p.0 || self.char_at(q).is_none_or(char::is_whitespace) {
                return p;
            }
            p = q;
        }
    }

    fn word_right(&self, mut p: Pos) -> Pos {
        let start_row = p.0;
        while self.char_at(p).is_some_and(|c| !c.is_whitespace()) {
            p = self.right(p);
        }
        loop {
            let q = self.right(p);
            if q == p || self.char_at(p).is_some_and(|c| !c.is_whitespace()) {
                return p;
            }
            if q.0 != start_row && self.char_at(q).is_some() {
                return q;
            }
            p = q;
        }
    }

    fn vertical(&self, delta: isize) -> Pos {
        let (r, c) = self.cursor;
        let r = r.saturating_add_signed(delta).min(self.lines.len() - 1);
        (r, c.min(self.line_chars(r)))
    }

    /// Handles an editing or movement key; returns true when the text changed.
    pub fn input(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        let (r, _) = self.cursor;
        let target = match key.code {
            KeyCode::Left if ctrl || alt => Some(self.word_left(self.cursor)),
            KeyCode::Right if ctrl || alt => Some(self.word_right(self.cursor)),
            KeyCode::Left => Some(self.left(self.cursor)),
            KeyCode::Right => Some(self.right(self.cursor)),
            KeyCode::Up => Some(self.vertical(-1)),
            KeyCode::Down => Some(self.vertical(1)),
            KeyCode::PageUp => Some(self.vertical(-(self.page.get() as isize))),
            KeyCode::PageDown => Some(self.vertical(self.page.get() as isize)),
            KeyCode::Home if ctrl => Some((0, 0)),
            KeyCode::End if ctrl => {
                let last = self.lines.len() - 1;
                Some((last, self.line_chars(last)))
            }
            KeyCode::Home => Some((r, 0)),
            KeyCode::End => Some((r, self.line_chars(r))),
            KeyCode::Char('a') if ctrl => Some((r, 0)),
            KeyCode::Char('e') if ctrl => Some((r, self.line_chars(r))),
            _ => None,
        };
        if let Some(t) = target {
            if shift {
                if self.anchor.is_none() {
                    self.anchor = Some(self.cursor);
                }
            } else {
                self.anchor = None;
            }
            self.cursor = t;
            self.group = None;
            return false;
        }
        match key.code {
            KeyCode::Char('x') if ctrl => {
                self.copy();
                self.delete_selection()
            }
            KeyCode::Char('h') if ctrl => self.delete_char(false),
            KeyCode::Char('d') if ctrl => self.delete_char(true),
            KeyCode::Char('w') if ctrl => {
                let a = self.word_left(self.cursor);
                self.edit(a, self.cursor, "")
            }
            KeyCode::Char('k') if ctrl => {
                let end = (r, self.line_chars(r));
                if end == self.cursor {
                    self.delete()
                } else {
                    self.edit(self.cursor, end, "")
                }
            }
            KeyCode::Backspace if ctrl || alt => {
                let a = self.word_left(self.cursor);
                self.edit(a, self.cursor, "")
            }
            KeyCode::Char(ch) if !ctrl && !alt => {
                let mut buf = [0u8; 4];
                self.type_text(ch.encode_utf8(&mut buf))
            }
            KeyCode::Enter => self.type_text("\n"),
            KeyCode::Tab => self.type_text(TAB),
            KeyCode::Backspace => self.delete_char(false),
            KeyCode::Delete => self.delete_char(true),
            _ => false,
        }
    }

    fn delete(&mut self) -> bool {
        if self.delete_selection() {
            return true;
        }
        let b = self.right(self.cursor);
        self.edit(self.cursor, b, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buf(s: &str) -> TextBuf {
        TextBuf::new(s.split('\n').map(str::to_owned).collect())
    }

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn edits_undo_and_redo() {
        let mut b = buf("héllo\nworld");
        b.jump(0, 5);
        assert!(b.input(k(KeyCode::Char('!'))));
        b.insert_str("\nnew\r\nline");
        assert_eq!(b.lines(), ["héllo!", "new", "line", "world"]);
        assert_eq!(b.cursor(), (2, 4));
        b.jump(3, 0);
        assert!(b.input(k(KeyCode::Backspace)));
        assert_eq!(b.lines(), ["héllo!", "new", "lineworld"]);
        assert!(b.undo() && b.undo() && b.undo());
        assert_eq!(b.lines(), ["héllo", "world"]);
        assert!(b.redo());
        assert_eq!(b.lines(), ["héllo!", "world"]);
    }

    #[test]
    fn shift_selects_and_typing_replaces() {
        let mut b = buf("abc def");
        let shift_right = KeyEvent::new(KeyCode::Right, KeyModifiers::SHIFT);
        b.input(shift_right);
        b.input(shift_right);
        assert_eq!(b.selection_range(), Some(((0, 0), (0, 2))));
        b.copy();
        assert_eq!(b.yank_text(), "ab");
        b.input(k(KeyCode::Char('X')));
        assert_eq!(b.lines(), ["Xc def"]);
        b.select_all();
        b.input(k(KeyCode::Delete));
        assert_eq!(b.lines(), [""]);
    }

    fn typed(b: &mut TextBuf, s: &str) {
        for c in s.chars() {
            let code = if c == '\n' {
                KeyCode::Enter
            } else {
                KeyCode::Char(c)
            };
            b.input(k(code));
        }
    }

    /// Undo was one character per step: 50 presses for a typed sentence.
    #[test]
    fn typing_undoes_by_word() {
        let mut b = buf("");
        typed(&mut b, "APT29 used PowerShell.");
        assert_eq!(b.undo_len(), 3, "one step per word");
        assert!(b.undo());
        assert_eq!(b.lines(), ["APT29 used "]);
        assert!(b.undo());
        assert_eq!(b.lines(), ["APT29 "]);
        assert!(b.redo() && b.redo());
        assert_eq!(b.lines(), ["APT29 used PowerShell."]);
        // a move starts a new step; so does a pause (the app calls break_group)
        typed(&mut b, "x");
        b.input(k(KeyCode::Left));
        b.input(k(KeyCode::Right));
        typed(&mut b, "y");
        b.break_group();
        typed(&mut b, "z");
        assert!(b.undo());
        assert_eq!(b.lines(), ["APT29 used PowerShell.xy"]);
        assert!(b.undo());
        assert_eq!(b.lines(), ["APT29 used PowerShell.x"]);
        // backspaces group by word too
        b.break_group();
        for _ in 0..("PowerShell.x".len()) {
            b.input(k(KeyCode::Backspace));
        }
        assert_eq!(b.lines(), ["APT29 used "]);
        b.input(k(KeyCode::Backspace));
        b.input(k(KeyCode::Backspace));
        assert_eq!(b.lines(), ["APT29 use"]);
        assert!(b.undo());
        assert_eq!(b.lines(), ["APT29 used "]);
        assert!(b.undo());
        assert_eq!(b.lines(), ["APT29 used PowerShell.x"]);
        // a paste is one step of its own
        b.insert_str("PASTED");
        typed(&mut b, "a");
        assert!(b.undo());
        assert_eq!(b.lines(), ["APT29 used PowerShell.xPASTED"]);
    }

    proptest::proptest! {
        /// Random edits (typing, deleting, moving, selecting, pasting, cutting), then undo until
        /// nothing is left: the original text, whatever the grouping did.
        #[test]
        fn undo_all_restores_the_original(
            start in "[a-z \n]{0,40}",
            ops in proptest::collection::vec((0u8..12, "[a-z .\n]{1,6}"), 0..80),
        ) {
            let mut b = buf(&start);
            let original = b.lines().to_vec();
            for (op, text) in ops {
                match op {
                    0..=3 => typed(&mut b, &text[..1]),
                    4 => { b.input(k(KeyCode::Backspace)); }
                    5 => { b.input(k(KeyCode::Delete)); }
                    6 => { b.input(k(KeyCode::Left)); }
                    7 => { b.input(k(KeyCode::Up)); }
                    8 => { b.input(KeyEvent::new(KeyCode::Right, KeyModifiers::SHIFT)); }
                    9 => { b.insert_str(&text); }
                    10 => { b.input(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::CONTROL)); }
                    _ => b.break_group(),
                }
            }
            while b.undo() {}
            proptest::prop_assert_eq!(b.lines(), &original[..]);
        }
    }

    proptest::proptest! {
        /// The recorded changes carry ranges of the original text (its words) through random
        /// edits: always on char boundaries of the text now, in order; a word no edit touched
        /// still covers the same word; undoing everything restores the original exactly.
        #[test]
        fn changes_carry_ranges_through_edits(
            start in "[a-zé€ \n]{0,40}",
            ops in proptest::collection::vec((0u8..12, "[a-zé€ .\n]{1,6}"), 0..60),
        ) {
            let mut b = buf(&start);
            let original = b.lines().join("\n");
            let mut words: Vec<(String, std::ops::Range<usize>, bool)> = Vec::new();
            let mut at = 0;
            for w in original.split([' ', '\n']) {
                if !w.is_empty() {
                    words.push((w.to_owned(), at..at + w.len(), true));
                }
                at += w.len() + 1;
            }
            let mut ops = ops;
            // then undo everything, one op at a time, carrying the ranges through that too
            ops.extend(std::iter::repeat_n((99, String::new()), 200));
            let mut total = ChangeSet::default();
            for (op, text) in ops {
                match op {
                    0..=3 => typed(&mut b, &text[..text.chars().next().map_or(0, char::len_utf8)]),
                    4 => { b.input(k(KeyCode::Backspace)); }
                    5 => { b.input(k(KeyCode::Delete)); }
                    6 => { b.input(k(KeyCode::Left)); }
                    7 => { b.input(k(KeyCode::Up)); }
                    8 => { b.input(KeyEvent::new(KeyCode::Right, KeyModifiers::SHIFT)); }
                    9 => { b.insert_str(&text); }
                    10 => { b.input(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::CONTROL)); }
                    99 => { b.undo(); }
                    _ => b.break_group(),
                }
                let changes = b.take_changes();
                total.extend(&changes);
                let now = b.lines().join("\n");
                let mut last = 0;
                for (word, range, intact) in &mut words {
                    for c in changes.changes() {
                        // text typed at a word's edge is not part of it, but it is an edit there
                        *intact &= !(c.start <= range.end && c.start + c.removed >= range.start);
                        *range = ChangeSet::from(*c).map_range(range.clone());
                    }
                    proptest::prop_assert!(range.start <= range.end && range.end <= now.len());
                    proptest::prop_assert!(now.is_char_boundary(range.start) && now.is_char_boundary(range.end));
                    proptest::prop_assert!(range.start >= last, "ranges stay in order");
                    last = range.end;
                    if *intact {
                        proptest::prop_assert_eq!(&now[range.clone()], word.as_str());
                    }
                }
            }
            proptest::prop_assert_eq!(&b.lines().join("\n"), &original);
            // the same, with every change merged into one set as the app keeps them
            let mut last = 0;
            for w in original.split([' ', '\n']).scan(0, |at, w| { let r = *at..*at + w.len(); *at += w.len() + 1; Some(r) }) {
                let r = total.map_range(w);
                proptest::prop_assert!(r.end <= original.len());
                proptest::prop_assert!(original.is_char_boundary(r.start) && original.is_char_boundary(r.end));
                proptest::prop_assert!(r.start >= last);
                last = r.end;
            }
        }
    }

    /// Moves and deletes went by code point: an accent written as a combining mark, or an emoji
    /// sequence, took several keys and Backspace left half a character.
    #[test]
    fn moves_and_deletes_by_grapheme_cluster() {
        let mut b = buf("ae\u{301}b\u{1F469}\u{200D}\u{1F4BB}c");
        b.input(k(KeyCode::Right));
        b.input(k(KeyCode::Right));
        assert_eq!(b.cursor(), (0, 3), "é (e + U+0301) is one step");
        b.input(k(KeyCode::Right));
        b.input(k(KeyCode::Right));
        assert_eq!(b.cursor(), (0, 7), "the ZWJ emoji sequence is one step");
        b.input(k(KeyCode::Backspace));
        assert_eq!(b.lines(), ["ae\u{301}bc"]);
        b.input(k(KeyCode::Left));
        b.input(k(KeyCode::Backspace));
        assert_eq!(b.lines(), ["abc"]);
        b.input(k(KeyCode::Delete));
        assert_eq!(b.lines(), ["ac"]);
    }

    #[test]
    fn word_moves() {
        let mut b = buf("one two  three");
        let cr = KeyEvent::new(KeyCode::Right, KeyModifiers::CONTROL);
        b.input(cr);
        assert_eq!(b.cursor(), (0, 4));
        b.input(cr);
        assert_eq!(b.cursor(), (0, 9));
        let cl = KeyEvent::new(KeyCode::Left, KeyModifiers::CONTROL);
        b.input(cl);
        assert_eq!(b.cursor(), (0, 4));
    }
}
