//! Edits as byte-offset changes (helix-core's `ChangeSet` idea, without a rope): every edit of
//! the text buffer is recorded as "at byte `start`, `removed` bytes became `inserted` bytes",
//! so ranges found in an older text (the report's IoCs and chunks) can be carried onto the text
//! the analyst is typing in, and highlights stay on their words until the re-analysis is in.

/// A byte offset in a text (the editor's lines joined with `\n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct BytePos(pub usize);

/// Which side of text inserted exactly at a position the position ends up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assoc {
    /// Stays before the inserted text (a range's end that must not grow).
    Before,
    /// Moves past the inserted text (a range's start that must not grow).
    After,
}

/// One edit, in the coordinates of the text before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub start: usize,
    pub removed: usize,
    pub inserted: usize,
}

impl Change {
    /// Where `pos` (of the text before the change) is in the text after it. A position inside
    /// the removed bytes goes to the edge `assoc` names.
    pub fn map(&self, pos: usize, assoc: Assoc) -> usize {
        let end = self.start + self.removed;
        if pos < self.start {
            pos
        } else if pos > end || (pos == end && self.removed > 0) {
            pos - self.removed + self.inserted
        } else {
            match assoc {
                Assoc::Before => self.start,
                Assoc::After => self.start + self.inserted,
            }
        }
    }
}

impl From<Change> for ChangeSet {
    fn from(c: Change) -> ChangeSet {
        let mut set = ChangeSet::default();
        set.push(c);
        set
    }
}

/// The changes from one text to another, in order. Typing and deleting at one place merge into
/// one change, so the list stays as long as the number of places edited, not of keys pressed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    changes: Vec<Change>,
}

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.changes.len()
    }

    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// Appends a change made to the text this set leads to.
    pub fn push(&mut self, c: Change) {
        if c.removed == 0 && c.inserted == 0 {
            return;
        }
        if let Some(last) = self.changes.last_mut() {
            // `c` touches or overlaps what `last` inserted: one change covers both. The region
            // [lo, hi) of the text between them holds `last`'s insertion whole; before `last`
            // it was `hi - lo - last.inserted + last.removed` bytes, after `c` it is
            // `hi - lo - c.removed + c.inserted`.
            let ins_end = last.start + last.inserted;
            if c.start <= ins_end && c.start + c.removed >= last.start {
                let lo = c.start.min(last.start);
                let hi = (c.start + c.removed).max(ins_end);
                *last = Change {
                    start: lo,
                    removed: hi - lo - last.inserted + last.removed,
                    inserted: hi - lo - c.removed + c.inserted,
                };
                if last.removed == 0 && last.inserted == 0 {
                    self.changes.pop();
                }
                return;
            }
        }
        self.changes.push(c);
    }

    /// Appends every change of `other` (made after these).
    pub fn extend(&mut self, other: &ChangeSet) {
        for c in &other.changes {
            self.push(*c);
        }
    }

    pub fn map(&self, pos: usize, assoc: Assoc) -> usize {
        self.changes.iter().fold(pos, |p, c| c.map(p, assoc))
    }

    /// A range of the old text in the new one; it never grows by text inserted at its edges and
    /// a range whose text was deleted whole becomes empty.
    pub fn map_range(&self, r: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let start = self.map(r.start, Assoc::After);
        let end = self.map(r.end, Assoc::Before).max(start);
        start..end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &mut String, c: Change) {
        text.replace_range(c.start..c.start + c.removed, &"x".repeat(c.inserted));
    }

    #[test]
    fn typing_merges_into_one_change() {
        let mut set = ChangeSet::default();
        for i in 0..5 {
            set.push(Change {
                start: 10 + i,
                removed: 0,
                inserted: 1,
            });
        }
        // two backspaces, then a forward delete past the typed text
        set.push(Change {
            start: 13,
            removed: 2,
            inserted: 0,
        });
        set.push(Change {
            start: 13,
            removed: 2,
            inserted: 0,
        });
        assert_eq!(
            set.changes,
            [Change {
                start: 10,
                removed: 2,
                inserted: 3
            }]
        );
        assert_eq!(set.map(5, Assoc::After), 5);
        assert_eq!(set.map(20, Assoc::After), 21);
        assert_eq!(set.map_range(10..12), 13..13, "deleted whole: empty");
    }

    #[test]
    fn ranges_do_not_grow_at_their_edges() {
        let mut set = ChangeSet::default();
        set.push(Change {
            start: 4,
            removed: 0,
            inserted: 3,
        });
        assert_eq!(set.map_range(4..8), 7..11, "typed before the word");
        assert_eq!(set.map_range(0..4), 0..4, "typed after the word");
        assert_eq!(set.map_range(2..6), 2..9, "typed inside the word");
    }

    proptest::proptest! {
        /// A merged set maps like the changes one after another, and what it says the new text
        /// is as long as the text the changes made.
        #[test]
        fn merging_maps_as_the_changes_do(
            edits in proptest::collection::vec((0usize..60, 0usize..4, 0usize..4), 0..40),
            probe in 0usize..80,
        ) {
            let mut text = "y".repeat(40);
            let mut set = ChangeSet::default();
            let mut each = Vec::new();
            for (at, removed, inserted) in edits {
                let start = at.min(text.len());
                let removed = removed.min(text.len() - start);
                let c = Change { start, removed, inserted };
                apply(&mut text, c);
                set.push(c);
                each.push(c);
            }
            let grown: isize = set.changes.iter().map(|c| c.inserted as isize - c.removed as isize).sum();
            proptest::prop_assert_eq!(40 + grown, text.len() as isize);
            let probe = probe.min(40);
            for assoc in [Assoc::Before, Assoc::After] {
                let merged = set.map(probe, assoc);
                proptest::prop_assert!(merged <= text.len());
                // merging may move a position that an edit reached to the other edge of the
                // merged region; one that no edit reached lands where the edits put it
                let mut touched = false;
                let one_by_one = each.iter().fold(probe, |p, c| {
                    touched |= c.start <= p && p <= c.start + c.removed;
                    c.map(p, assoc)
                });
                if !touched {
                    proptest::prop_assert_eq!(merged, one_by_one);
                }
            }
        }
    }
}
