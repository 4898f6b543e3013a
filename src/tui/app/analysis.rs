//! Running the analysis and taking in its events: runs, the cached re-run's hand-over, the
//! model, attributions on demand, and the views derived from the report (techniques, ETA).

use super::*;

impl App {
    /// What the heatmap explains: (chunk position, label index, ATT&CK ID, name). The selected
    /// technique when this chunk predicts it, else the chunk's best label.
    pub fn heat_target(&self) -> Option<(ChunkPos, usize, String, String)> {
        let report = self.report.as_ref()?;
        let pos = self.current_chunk?;
        let chunk = report.chunks.get(pos.0)?;
        let from_technique = self.selected_technique().and_then(|t| {
            chunk
                .above(self.threshold)
                .find(|p| {
                    let l = report.label(p.label);
                    l == t.id || t.model_labels.iter().any(|m| m == l)
                })
                .map(|p| (p.label, t.id.clone(), t.name.clone()))
        });
        let (label, id, name) = from_technique.or_else(|| {
            let p = chunk.scores.first()?;
            let l = report.label(p.label);
            let t = mitremap_engine::attack::mapping::map_label(
                l,
                mitremap_engine::attack::Catalog::embedded(),
                report.attack,
            )
            .technique;
            Some((
                p.label,
                t.map_or_else(|| l.to_owned(), |t| t.id.clone()),
                t.map_or_else(|| l.to_owned(), |t| t.name.clone()),
            ))
        })?;
        Some((pos, label, id, name))
    }

    /// The heatmap shows a chunk and label without attributions: ask for them (once).
    pub fn want_explanation(&mut self) -> Option<Effect> {
        let ModelState::Ready(analyzer) = &self.model else {
            return None;
        };
        if self.stale {
            return None;
        }
        let (pos, label, _, _) = self.heat_target()?;
        let report = self.report.as_ref()?;
        let chunk = report.chunks.get(pos.0)?;
        let known = report
            .explanations
            .get(&chunk.index)
            .is_some_and(|v| v.iter().any(|e| e.label_index == label));
        if known || !self.explain_requested.insert((chunk.index, label)) {
            return None;
        }
        let cancel = self
            .job
            .as_ref()
            .map(|j| j.cancel.clone())
            .unwrap_or_default();
        Some(Effect::Explain(crate::tui::action::ExplainJob {
            generation: self.generation,
            analyzer: analyzer.clone(),
            document: report.document.clone(),
            chunk: chunk.index,
            range: chunk.range.clone(),
            labels: vec![label],
            cancel,
        }))
    }

    /// True while attributions for what the heatmap shows are being computed.
    pub fn explaining(&self, chunk: usize) -> bool {
        self.explain_requested.iter().any(|(c, _)| *c == chunk)
    }

    /// Re-aggregates what changed since the last frame (techniques are recomputed at most once
    /// per frame, not once per streamed chunk).
    pub fn refresh(&mut self) {
        if self.techniques_dirty {
            self.techniques_dirty = false;
            self.techniques = self
                .report
                .as_ref()
                .map(|r| r.techniques(self.threshold))
                .unwrap_or_default();
            let reviewed = self
                .techniques
                .iter()
                .filter(|t| t.review.is_reviewed())
                .count();
            self.review_counts = (reviewed, self.techniques.len());
            if self.review.unreviewed_only {
                self.techniques.retain(|t| !t.review.is_reviewed());
            }
            self.results.techniques.selected = self
                .results
                .techniques
                .selected
                .min(self.techniques.len().saturating_sub(1));
            if self.current_chunk.is_none() || self.auto_follow {
                self.follow_technique();
            }
            // nothing predicted yet: show the first chunk rather than an empty heatmap
            if self.current_chunk.is_none() && self.chunk_count() > 0 {
                self.current_chunk = Some(ChunkPos(0));
            }
        }
    }

    pub(super) fn start_run(&mut self) -> Vec<Effect> {
        if let Some(job) = self.job.take() {
            job.cancel.cancel();
        }
        self.rerun_at = None;
        self.generation += 1;
        self.current_chunk = None;
        self.auto_follow = true;
        self.techniques_dirty = true;
        if self.editor.is_blank() {
            self.report = None;
            self.incoming = None;
            self.stale = false;
            self.ioc_groups.clear();
            self.editor.line_starts.clear();
            self.text_changes = ChangeSet::default();
            self.refresh();
            return Vec::new();
        }
        let text = self.editor.text();
        self.editor.line_starts = line_starts(self.editor.lines());
        let document = Arc::new(Document::from_text(text));
        self.explain_requested.clear();
        let analyzer = match &self.model {
            ModelState::Ready(a) => Some(a.clone()),
            _ => None,
        };
        // The model's own recommendations (e.g. one sentence per chunk for a sentence
        // classifier), with the threshold the analyst set.
        let model_defaults = analyzer
            .as_ref()
            .map(|a| AnalysisOptions::for_model(a.classifier().manifest()))
            .unwrap_or_default();
        let options = AnalysisOptions {
            threshold: self.threshold,
            // Attributions cost hundreds of forward passes per chunk: explaining every chunk
            // would stall the stream, so the heatmap asks for the chunk it shows instead.
            explain: None,
            ..model_defaults
        };
        let report = match &analyzer {
            Some(a) => a.new_report(document.clone(), self.name.clone(), &options),
            None => Report::new(
                document.clone(),
                self.name.clone(),
                None,
                ReportOptions::of(&options, None),
            ),
        };
        let mut report = report;
        // Honest about what was analysed: text changed since it was read from (or saved to)
        // the named file says so, with the sha256 and size of the text itself.
        report.input.edited = self.modified && self.path.is_some();
        report.input.lossy_utf8 = !self.modified && self.input_lossy;
        self.incoming = Some(Incoming {
            report,
            changes: ChangeSet::default(),
            revision: self.revision,
        });
        // A cached re-run brings the unchanged results back within moments: the old ones stay
        // on screen (stale) until then. Otherwise the new report shows from the start.
        let cached = analyzer
            .as_ref()
            .is_some_and(|a| a.cache().is_some_and(|c| !c.is_empty()));
        if !cached || self.report.is_none() {
            self.take_incoming();
        }
        let cancel = CancelToken::new();
        self.job = Some(Job {
            generation: self.generation,
            cancel: cancel.clone(),
            started: self.now,
        });
        self.refresh();
        vec![Effect::Analyze(AnalysisJob {
            generation: self.generation,
            analyzer,
            document,
            options,
            cancel,
        })]
    }

    pub(super) fn cancel_run(&mut self) {
        match self.job.take() {
            Some(job) => {
                job.cancel.cancel();
                if let Some(r) = &mut self.report {
                    r.cancelled = true;
                }
                self.info("analysis cancelled".into());
            }
            None if self.rerun_at.take().is_some() => self.info("re-run cancelled".into()),
            None => self.info("nothing is running".into()),
        }
    }

    pub(super) fn model_loaded(
        &mut self,
        result: Result<Arc<mitremap_engine::model::Classifier>, String>,
    ) -> Vec<Effect> {
        match result {
            Ok(classifier) => {
                if !self.threshold_explicit
                    && let Some(t) = classifier.manifest().threshold
                {
                    self.threshold = t;
                }
                // Scored sentence windows are kept, so a re-run after an edit scores only what changed.
                self.model = ModelState::Ready(
                    Analyzer::new(classifier).with_cache(Arc::new(ChunkCache::default())),
                );
                self.start_run()
            }
            Err(e) => {
                let e = format!("model unavailable: {e} (IoCs still work)");
                self.model = ModelState::Unavailable(e.clone());
                self.error(e);
                Vec::new()
            }
        }
    }

    /// The incoming report becomes the one on screen.
    pub(super) fn take_incoming(&mut self) {
        let Some(incoming) = self.incoming.take() else {
            return;
        };
        self.text_changes = incoming.changes;
        self.report_revision = incoming.revision;
        self.ioc_groups = group_iocs(incoming.report.ioc_summaries());
        self.results.iocs.selected = self
            .results
            .iocs
            .selected
            .min(self.visible_iocs().count().saturating_sub(1));
        self.report = Some(incoming.report);
        self.stale = self.revision != self.report_revision;
        self.current_chunk = None;
        self.techniques_dirty = true;
        self.apply_review();
    }

    pub(super) fn on_event(&mut self, generation: u64, event: Event) -> Vec<Effect> {
        if generation != self.generation {
            return Vec::new();
        }
        if let Some(incoming) = &mut self.incoming {
            incoming.report.apply(&event);
            // the cached results up to the first changed window are in (or the run ended)
            if matches!(
                event,
                Event::Progress(_) | Event::Finished(_) | Event::Failed(_) | Event::Cancelled
            ) {
                self.take_incoming();
            } else {
                return Vec::new();
            }
        } else if let Some(report) = &mut self.report {
            report.apply(&event);
        } else {
            return Vec::new();
        }
        let Some(report) = &mut self.report else {
            return Vec::new();
        };
        match &event {
            Event::Iocs(_) => {
                self.marking = mitremap_export::marking_in_text(report);
                self.ioc_groups = group_iocs(report.ioc_summaries());
                self.results.iocs.selected = 0;
            }
            Event::Chunk(_) | Event::Explained { .. } => self.techniques_dirty = true,
            Event::Finished(_) | Event::Cancelled | Event::Failed(_) => {
                if let Some(job) = self.job.take() {
                    self.last_elapsed = Some(self.now.duration_since(job.started));
                }
                if let Event::Failed(e) = &event {
                    self.error(format!("analysis failed: {e}"));
                }
                self.techniques_dirty = true;
                // chunk verdicts attach once their chunks are in
                self.apply_review();
            }
            _ => {}
        }
        Vec::new()
    }

    /// Time the running analysis still needs, from the model's pace so far on the windows it has
    /// to score (cached ones cost nothing); `None` before there is a pace to go by.
    pub fn eta(&self) -> Option<Duration> {
        let job = self.job.as_ref()?;
        let report = self
            .incoming
            .as_ref()
            .map(|i| &i.report)
            .or(self.report.as_ref())?;
        let (total, done) = report.progress.model_work();
        if done == 0 || done >= total {
            return None;
        }
        let elapsed = self.now.duration_since(job.started);
        Some(elapsed.mul_f64((total - done) as f64 / done as f64))
    }

    /// Elapsed time of the running (or last) analysis, by the app's clock.
    pub fn elapsed(&self) -> Option<Duration> {
        match &self.job {
            Some(j) => Some(self.now.duration_since(j.started)),
            None => self.last_elapsed,
        }
    }

    /// The threshold shown: `None` until it is known (the model's own, unless one was given;
    /// the first frames used to show the engine's 0.60 before the model's 0.325 arrived).
    pub fn shown_threshold(&self) -> Option<f32> {
        match self.model {
            ModelState::Loading if !self.threshold_explicit => None,
            _ => Some(self.threshold),
        }
    }

    pub fn model_unavailable(&self) -> bool {
        matches!(self.model, ModelState::Unavailable(_))
    }

    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    pub fn chunk_count(&self) -> usize {
        self.report.as_ref().map_or(0, |r| r.chunks.len())
    }

    pub fn set_threshold(&mut self, t: f32) {
        self.threshold = ((t.clamp(0.05, 0.99)) * 100.0).round() / 100.0;
        if let Some(r) = &mut self.report {
            r.options.threshold = self.threshold;
        }
        self.techniques_dirty = true;
        self.refresh();
        self.info(format!("threshold {}", format_threshold(self.threshold)));
    }
}

pub(super) fn group_iocs(summaries: Vec<IocSummary>) -> Vec<(IocKind, Vec<IocSummary>)> {
    let mut groups: Vec<(IocKind, Vec<IocSummary>)> = Vec::new();
    for s in summaries {
        match groups.iter_mut().find(|(k, _)| *k == s.kind) {
            Some((_, v)) => v.push(s),
            None => groups.push((s.kind, vec![s])),
        }
    }
    groups.sort_by_key(|(k, _)| IocKind::ALL.iter().position(|x| x == k));
    groups
}
