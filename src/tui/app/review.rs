//! The analyst's review on the app: what the verdict keys act on, recording verdicts.

use super::*;

impl App {
    /// Uses the review file `explicit` (else the sidecar of the text's file) and records verdicts
    /// as `analyst` (else `$USER`): `mitremap --review FILE --analyst NAME`.
    pub fn open_review(&mut self, explicit: Option<PathBuf>, analyst: Option<String>) {
        let analyst = analyst.unwrap_or_else(mitremap_review::default_analyst);
        let (review, problem) = ReviewState::open(self.path.as_deref(), explicit, analyst);
        self.review = review;
        if let Some(problem) = problem {
            self.error(problem);
        }
        self.apply_review();
    }

    /// Lays the review over the report on screen (again, after a verdict or a finished run).
    pub(crate) fn apply_review(&mut self) {
        let Some(report) = &mut self.report else {
            return;
        };
        let warnings = self.review.apply(report);
        if !warnings.is_empty() {
            self.error(format!("review: {}", warnings.join("; ")));
        }
        self.techniques_dirty = true;
    }

    /// What a verdict key applies to: the selected technique for the whole report in the
    /// techniques list and the matrix; in the chunk view, the chunks tab and the report text,
    /// the technique the heatmap shows in its chunk.
    pub(crate) fn verdict_target(&self) -> Option<(String, Scope)> {
        let target = self.results.tab.component().review_target();
        match (self.focus, target) {
            (Focus::Results, ReviewTarget::SelectedTechnique) => self
                .selected_technique()
                .map(|t| (t.id.clone(), Scope::Report)),
            (Focus::Results, ReviewTarget::Nothing) => None,
            _ => {
                let (pos, _, id, _) = self.heat_target()?;
                let chunk = self.report.as_ref()?.chunks.get(pos.0)?.index;
                Some((id, Scope::Chunk(chunk)))
            }
        }
    }

    /// Where an added technique goes: the whole report from the techniques list and the matrix,
    /// else the chunk on show (chunk view, chunks tab, report text).
    pub(crate) fn add_scope(&self) -> Option<Scope> {
        let target = self.results.tab.component().review_target();
        match (self.focus, target) {
            (Focus::Results, ReviewTarget::SelectedTechnique) => Some(Scope::Report),
            (Focus::Results, ReviewTarget::Nothing) => None,
            _ => {
                let pos = self.current_chunk?;
                Some(Scope::Chunk(self.report.as_ref()?.chunks.get(pos.0)?.index))
            }
        }
    }

    pub(crate) fn review_ready(&mut self) -> bool {
        if self.stale || self.report.as_ref().is_none_or(|r| !r.is_done()) {
            self.error("wait for the analysis to finish before reviewing".into());
            return false;
        }
        true
    }

    pub(super) fn give_verdict(&mut self, verdict: Verdict) -> Vec<Effect> {
        if self.stale || self.report.as_ref().is_none_or(|r| !r.is_done()) {
            self.error("wait for the analysis to finish before reviewing".into());
            return Vec::new();
        }
        let Some((technique, scope)) = self.verdict_target() else {
            self.error("select a technique (or a chunk) to review".into());
            return Vec::new();
        };
        self.record_verdict(technique, scope, verdict)
    }

    /// Records a verdict, lays it over the report and asks for the review file to be saved.
    pub(crate) fn record_verdict(
        &mut self,
        technique: String,
        scope: Scope,
        verdict: Verdict,
    ) -> Vec<Effect> {
        let Some(report) = &self.report else {
            return Vec::new();
        };
        match self.review.record(report, &technique, scope, verdict) {
            Ok((path, file)) => {
                self.apply_review();
                self.refresh();
                let what = match verdict {
                    Verdict::Accepted => "accepted",
                    Verdict::Rejected => "rejected",
                    Verdict::Added => "added",
                    Verdict::Reset => "reset",
                };
                let scope = match scope {
                    Scope::Report => "for the report".to_owned(),
                    Scope::Chunk(c) => format!("in chunk {c}"),
                };
                let (done, total) = self.review_counts;
                self.info(format!(
                    "{what} {technique} {scope} · {done}/{total} reviewed"
                ));
                vec![Effect::SaveReview {
                    path,
                    file: Box::new(file),
                }]
            }
            Err(e) => {
                self.error(e);
                Vec::new()
            }
        }
    }
}
