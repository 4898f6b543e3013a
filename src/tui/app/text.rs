//! The report text as the analyst's work: edits, modified-since-saved, saving, the recovery
//! copy, restoring recovered text, exporting.

use super::*;

impl App {
    /// Text that would be lost on quitting: changed since read or saved, or never saved (an
    /// empty text without a file is nothing to lose).
    pub fn has_unsaved_text(&self) -> bool {
        self.modified && !(self.path.is_none() && self.editor.is_blank())
    }

    /// The text the report was read from, or saved to, is no longer what the editor holds.
    pub(super) fn text_changed(&mut self) {
        self.revision += 1;
        self.modified = true;
        self.carry_edits();
    }

    /// The editor's latest edits: report ranges are carried through them (for the report on
    /// screen and the one taking over), and line starts follow.
    pub(super) fn carry_edits(&mut self) {
        let changes = self.editor.area.take_changes();
        self.text_changes.extend(&changes);
        if let Some(incoming) = &mut self.incoming {
            incoming.changes.extend(&changes);
        }
        self.editor.line_starts = line_starts(self.editor.lines());
    }

    /// After undo/redo: back at the saved text means unmodified again.
    pub(super) fn recheck_modified(&mut self) {
        self.revision += 1;
        self.carry_edits();
        let text = self.editor.text();
        self.modified = match self.clean_hash {
            Some(h) => text_hash(&text) != h,
            None => !text.trim().is_empty(),
        };
    }

    pub(super) fn write_recovery(&self) -> Effect {
        Effect::WriteRecovery {
            text: self.editor.text(),
            original: self.path.clone(),
        }
    }

    /// Saves the text to `path` (atomically); `overwrite` replaces an existing file.
    pub(crate) fn save_to(&mut self, path: PathBuf, overwrite: bool) -> Vec<Effect> {
        let text = self.editor.text();
        self.pending_save = Some((self.revision, text_hash(&text)));
        vec![Effect::Save {
            path,
            text,
            overwrite,
            revision: self.revision,
        }]
    }

    pub(super) fn saved(
        &mut self,
        path: PathBuf,
        revision: u64,
        result: Result<(), String>,
    ) -> Vec<Effect> {
        // a later save (of a newer revision) may be in flight: leave its record alone
        let pending = match self.pending_save {
            Some((rev, _)) if rev == revision => self.pending_save.take(),
            _ => None,
        };
        if let Err(e) = result {
            self.error(format!("not saved: {e}"));
            return Vec::new();
        }
        let shown = path.display().to_string();
        self.name = Some(shown.clone());
        self.review.moved_to(&path);
        self.path = Some(path);
        self.input_lossy = false;
        if let Some((rev, hash)) = pending {
            self.clean_hash = Some(hash);
            self.modified = self.revision != rev;
            // the current results are of exactly the saved text: they are of this file now
            if self.report_revision == rev
                && let Some(r) = &mut self.report
            {
                r.input.name = self.name.clone();
                r.input.edited = false;
            }
        }
        if self.modified {
            self.info(format!("saved {shown} (edited since: still modified)"));
            return Vec::new();
        }
        self.info(format!("saved {shown}"));
        self.recovery_at = None;
        // the text is on disk now: the recovery copy is not needed
        vec![Effect::RemoveRecovery(None)]
    }

    /// Restores recovered text, under the name of the file it was editing (saving writes there).
    pub(crate) fn restore(&mut self, recovered: Recovered) -> Vec<Effect> {
        let Recovered {
            path,
            text,
            original,
            ..
        } = recovered;
        let old_len = self.editor.text().len();
        self.editor.set_text(&text);
        // the whole text changed: nothing of the old report's ranges is on the new text
        let whole = Change {
            start: 0,
            removed: old_len,
            inserted: text.len(),
        };
        self.text_changes.push(whole);
        if let Some(incoming) = &mut self.incoming {
            incoming.changes.push(whole);
        }
        self.name = Some(
            original
                .as_ref()
                .map_or_else(|| "recovered".into(), |p| p.display().to_string()),
        );
        self.path = original;
        self.clean_hash = None;
        self.input_lossy = false;
        self.text_changed();
        self.modified = !self.editor.is_blank();
        self.info(format!(
            "restored {} bytes from {} (not saved yet)",
            text.len(),
            path.display()
        ));
        self.recovery_at = Some(self.now);
        [Effect::RemoveRecovery(Some(path))]
            .into_iter()
            .chain(self.start_run())
            .collect()
    }

    /// Writes the report on screen as the export dialog asks.
    pub(crate) fn export(&mut self, d: ExportRequest) -> Vec<Effect> {
        let Some(report) = &self.report else {
            self.error("nothing to export: the editor is empty".into());
            return Vec::new();
        };
        let mut report = report.clone();
        report.options.threshold = self.threshold;
        let mut notes = Vec::new();
        if !report.is_done() {
            notes.push("partial: the analysis had not finished, complete: false");
        }
        if self.stale {
            notes.push("of the text as last analysed: edited since");
        }
        if report.input.edited {
            notes.push("of edited text, not of the file as saved");
        }
        self.export_note = (!notes.is_empty()).then(|| notes.join("; "));
        self.export_format = d.format;
        // the document's places hold for a report of the text as extracted, before any edit
        let source = self
            .source
            .as_ref()
            .filter(|_| self.report_revision == 0)
            .map(|s| std::sync::Arc::new(s.clone()));
        vec![Effect::Export {
            format: Format::ALL[d.format],
            path: PathBuf::from(d.path),
            overwrite: d.overwrite,
            report: Box::new(report),
            source,
        }]
    }

    /// Undo (or redo) one step of the text.
    pub(super) fn undo_step(&mut self, redo: bool) {
        let changed = if redo {
            self.editor.area.redo()
        } else {
            self.editor.area.undo()
        };
        if changed {
            self.recheck_modified();
            self.after_change();
        }
    }

    pub(super) fn editor_input(&mut self, key: KeyEvent) -> Vec<Effect> {
        if self
            .editor
            .last_typed
            .is_none_or(|t| self.now.saturating_duration_since(t) >= UNDO_PAUSE)
        {
            self.editor.area.break_group();
        }
        self.editor.last_typed = Some(self.now);
        let modified = self.editor.area.input(key);
        if modified {
            self.edited();
        } else {
            self.follow_cursor();
        }
        Vec::new()
    }

    /// The text changed: stop the analysis, re-run after a pause, save a recovery copy soon.
    pub(super) fn edited(&mut self) {
        self.text_changed();
        self.after_change();
    }

    pub(super) fn after_change(&mut self) {
        if let Some(job) = self.job.take() {
            job.cancel.cancel();
        }
        self.stale = true;
        // Big texts wait a little longer, so a burst of typing isn't interrupted by re-runs.
        let lines = self.editor.lines().len() as u64;
        self.rerun_at = Some(self.now + DEBOUNCE + Duration::from_millis((lines / 100).min(1200)));
        self.recovery_at = Some(self.now + RECOVERY_DELAY);
    }

    pub(super) fn paste(&mut self, text: &str) -> Vec<Effect> {
        if let Some(popup) = self.popups.last_mut() {
            // a text prompt takes it; other popups ignore it
            popup.paste(text);
            return Vec::new();
        }
        // Pasting edits: into an empty report, or when editing (a stray middle click on a
        // read-only report must not change it).
        let editing = self.focus == Focus::Editor && self.editor.editing;
        if !editing && !self.editor.is_blank() {
            self.read_only_hint();
            return Vec::new();
        }
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        self.focus = Focus::Editor;
        self.editor.editing = true;
        self.editor.area.insert_str(&text);
        self.edited();
        self.info(format!("pasted {} bytes", text.len()));
        Vec::new()
    }

    pub(super) fn start_editing(&mut self) {
        self.focus = Focus::Editor;
        if !self.editor.editing {
            self.editor.editing = true;
            let back = self
                .keymap
                .first_key(Context::Editor, Command::FocusResults)
                .map_or_else(String::new, |k| format!("; {k} when done"));
            let save = self
                .keymap
                .first_key(Context::Global, Command::Save)
                .map_or_else(String::new, |k| format!(", {k} saves"));
            self.info(format!("editing the report{back}{save}"));
        }
    }
}

/// Byte offset of each line of the text the lines make joined with `\n`.
pub fn line_starts(lines: &[String]) -> Vec<usize> {
    lines
        .iter()
        .scan(0, |at, l| {
            let start = *at;
            *at += l.len() + 1;
            Some(start)
        })
        .collect()
}

/// A fast fingerprint of the text, to tell "back at the saved text" after undo.
pub fn text_hash(text: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(text)
}
