//! The analyst's review in the terminal UI: the review file next to the report
//! (`report.txt.mitremap-review.json`, see `mitremap_review`), verdicts recorded as they are
//! made and laid over the report on screen.

use std::path::PathBuf;

use mitremap_engine::analysis::{Report, ReviewStatus};
use mitremap_review::{ReviewFile, Reviewer, Scope, Verdict};

/// The review of the text on screen.
#[derive(Debug)]
pub struct ReviewState {
    /// The review file (`None`: the text has no file yet, e.g. pasted or piped).
    pub path: Option<PathBuf>,
    /// The review as last loaded, recorded or saved (with other instances' verdicts merged in).
    pub file: Option<ReviewFile>,
    pub reviewer: Reviewer,
    /// The review file could not be read (damaged: kept and copied to `.bak`): verdicts are
    /// refused rather than written over it.
    pub broken: Option<String>,
    /// Show only techniques without a verdict.
    pub unreviewed_only: bool,
    /// The review file was named (`--review`): it stays where it is when the text is saved
    /// elsewhere.
    explicit: bool,
    /// Input of the last report whose re-attachment problems were said (said once per input).
    warned_for: Option<String>,
}

impl ReviewState {
    /// The review for the text in `input` (its sidecar, or `explicit`), read now. A damaged
    /// review file is reported in the returned problem and not used.
    pub fn open(
        input: Option<&std::path::Path>,
        explicit: Option<PathBuf>,
        analyst: String,
    ) -> (ReviewState, Option<String>) {
        let named = explicit.is_some();
        let path = explicit.or_else(|| input.map(mitremap_review::sidecar_path));
        let mut state = ReviewState {
            path,
            explicit: named,
            file: None,
            reviewer: Reviewer::new(analyst),
            broken: None,
            unreviewed_only: false,
            warned_for: None,
        };
        let mut problem = None;
        if let Some(path) = &state.path {
            match ReviewFile::load(path) {
                Ok(file) => state.file = file,
                Err(e) => {
                    let e = e.to_string();
                    state.broken = Some(e.clone());
                    problem = Some(e);
                }
            }
        }
        (state, problem)
    }

    /// Lays the review over `report` (none when there is no verdict). Returns what could not be
    /// applied (verdicts whose text is gone, revoked or unknown IDs), once per input and only
    /// when the model's analysis is done (chunks still streaming in are not "lost").
    pub fn apply(&mut self, report: &mut Report) -> Vec<String> {
        let Some(file) = &self.file else {
            report.review = None;
            return Vec::new();
        };
        let attached = file.attach(report);
        let mut warnings = Vec::new();
        // Not on the IoC-only pass made while the model loads: it has no chunks to attach to.
        if report.is_done()
            && report.model.is_some()
            && self.warned_for.as_deref() != Some(report.input.sha256.as_str())
        {
            self.warned_for = Some(report.input.sha256.clone());
            warnings = attached.warnings();
        }
        report.review = Some(attached.overlay);
        warnings
    }

    /// Records a verdict on `technique` (`None` verdict: reset) and returns the review to save.
    pub fn record(
        &mut self,
        report: &Report,
        technique: &str,
        scope: Scope,
        verdict: Verdict,
    ) -> Result<(PathBuf, ReviewFile), String> {
        if let Some(e) = &self.broken {
            return Err(format!("review not saved: {e}"));
        }
        let Some(path) = self.path.clone() else {
            return Err(
                "the review is kept next to the report's file: save the text first".to_owned(),
            );
        };
        let file = self.file.get_or_insert_with(|| ReviewFile::new(report));
        file.record(report, &self.reviewer, technique, scope, verdict, None)
            .map_err(|e| e.to_string())?;
        Ok((path, file.clone()))
    }

    /// Sets the note on the verdict already given on `technique` in `scope`.
    pub fn note(
        &mut self,
        report: &Report,
        technique: &str,
        scope: Scope,
        note: &str,
    ) -> Result<(PathBuf, ReviewFile), String> {
        if let Some(e) = &self.broken {
            return Err(format!("review not saved: {e}"));
        }
        let (Some(path), Some(file)) = (self.path.clone(), self.file.as_mut()) else {
            return Err(format!(
                "no verdict on {technique} here yet: accept, reject or add it first"
            ));
        };
        file.set_note(report, &self.reviewer, technique, scope, note)
            .map_err(|e| e.to_string())?;
        Ok((path, file.clone()))
    }

    /// A save finished: what was written holds other instances' verdicts too.
    pub fn saved(&mut self, written: ReviewFile) {
        match &mut self.file {
            // verdicts made while the save was under way stay (they are newer)
            Some(file) => file.merge(&written),
            None => self.file = Some(written),
        }
    }

    /// The text was saved to a (new) file: the review goes next to it from now on (unless a
    /// review file was named).
    pub fn moved_to(&mut self, input: &std::path::Path) {
        if self.broken.is_none() && !self.explicit {
            self.path = Some(mitremap_review::sidecar_path(input));
        }
    }
}

/// The mark a technique's verdict gets in lists: ✓ accepted, ✗ rejected, + added, · unreviewed.
pub fn mark(status: ReviewStatus) -> &'static str {
    match status {
        ReviewStatus::Unreviewed => "·",
        ReviewStatus::Accepted => "✓",
        ReviewStatus::Rejected => "✗",
        ReviewStatus::Added => "+",
    }
}
