//! The analysis of one document, built incrementally from events, and its versioned JSON form.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Arc;

use mitremap_ioc::{Ioc, IocSummary};
use serde::Serialize;
use serde_json::Value;

use super::chunks::{ChunkSpan, ChunkTable};
use super::review::{ReviewOverlay, ReviewStatus};
use super::{AnalysisOptions, Event, Progress};
use crate::attack::mapping::{MappingKind, map_label};
use crate::attack::{Catalog, Status, technique_url};
use crate::explain::Explanation;
use crate::model::{Activation, Architecture, Classifier, Integrity};
use crate::text::Document;

/// Version of the JSON report schema (`schemas/report.schema.json`). Bumped on breaking changes.
pub const SCHEMA_VERSION: u32 = 1;

/// How many of a chunk's best labels the JSON lists under `top`, above threshold or not.
const TOP_PER_CHUNK: usize = 3;

/// Chunk confidences below this add nothing to a technique's report-level evidence (see
/// [`Report::techniques`]): on a long report, hundreds of near-zero scores would otherwise add
/// up to a listing. Equal to the default `keep_scores_min`, so every score that counts is kept.
pub const EVIDENCE_FLOOR: f32 = 0.05;

/// Timings of one analysis, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Timings {
    pub total_ms: f64,
    pub tokenize_ms: f64,
    pub inference_ms: f64,
    pub explain_ms: f64,
    pub chunks: usize,
    /// Tokens fed to the model (special tokens included, padding excluded).
    pub tokens: usize,
}

/// One label's score on one chunk.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChunkPrediction {
    /// Index into the model's label list.
    pub label: usize,
    pub score: f32,
}

/// The model's verdict on one chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkResult {
    pub index: usize,
    /// Byte range of the chunk in the document.
    pub range: Range<usize>,
    /// Tokens the model saw (special tokens included).
    pub tokens: usize,
    /// Scores, highest first: every label at or above `keep_scores_min` plus the top 3 (the
    /// JSON's `top`)
    /// (sparse, so a 100 MB report doesn't hold labels x chunks floats).
    pub scores: Vec<ChunkPrediction>,
    /// Words longer than [`crate::text::chunk::MAX_WORD_BYTES`] in the chunk that the model saw
    /// cut to their first `MAX_WORD_BYTES` (the range covers them whole).
    pub cut_words: usize,
}

impl ChunkResult {
    /// Keeps the informative part of a full score row.
    pub fn from_scores(
        index: usize,
        range: Range<usize>,
        tokens: usize,
        row: &[f32],
        keep_min: f32,
    ) -> Self {
        let mut order: Vec<usize> = (0..row.len()).collect();
        order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
        let mut scores: Vec<ChunkPrediction> = order
            .into_iter()
            .enumerate()
            .filter(|&(rank, label)| rank < TOP_PER_CHUNK || row[label] >= keep_min)
            .map(|(_, label)| ChunkPrediction {
                label,
                score: row[label],
            })
            .collect();
        // Millions of chunks (50 MB of one-line sentences): no spare capacity per chunk.
        scores.shrink_to_fit();
        Self {
            index,
            range,
            tokens,
            scores,
            cut_words: 0,
        }
    }

    /// Predictions at or above `threshold`.
    pub fn above(&self, threshold: f32) -> impl Iterator<Item = &ChunkPrediction> {
        self.scores.iter().take_while(move |p| p.score >= threshold)
    }
}

/// About the input.
#[derive(Debug, Clone, Serialize)]
pub struct InputInfo {
    /// File name, `-` for stdin, or a name given by the front end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub sha256: String,
    pub bytes: usize,
    /// The input was not valid UTF-8 and was decoded lossily.
    pub lossy_utf8: bool,
    /// `utf-16le` / `utf-16be` when the input was UTF-16 and decoded (offsets then refer to the
    /// decoded UTF-8 text); absent for UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
    /// The text analysed was edited (in the terminal UI) and differs from the file `name` as
    /// saved: `sha256` and `bytes` are those of the text analysed, not of that file.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub edited: bool,
}

/// About the model that produced the report.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    pub name: String,
    pub version: String,
    pub architecture: Architecture,
    pub activation: Activation,
    pub attack_version: String,
    pub integrity: Integrity,
    /// ATT&CK IDs in output order.
    #[serde(skip)]
    pub labels: Vec<String>,
}

impl ModelInfo {
    pub fn of(classifier: &Classifier) -> Self {
        let m = classifier.manifest();
        Self {
            name: m.name.clone(),
            version: m.version.clone(),
            architecture: m.architecture,
            activation: m.activation,
            attack_version: m.attack_version.clone(),
            integrity: classifier.integrity(),
            labels: classifier.labels().to_vec(),
        }
    }
}

/// The options a report was made with.
#[derive(Debug, Clone, Serialize)]
pub struct ReportOptions {
    pub threshold: f32,
    pub chunk_sentences: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<usize>,
    pub explain: bool,
}

impl ReportOptions {
    pub fn of(options: &AnalysisOptions, max_tokens: Option<usize>) -> Self {
        Self {
            threshold: options.threshold,
            chunk_sentences: options.chunk_sentences,
            max_tokens,
            explain: options.explain.is_some(),
        }
    }
}

/// The report-level listing rule (see [`Report::techniques`]): a technique is listed when its best
/// chunk reaches the threshold, or when its evidence does and its best chunk reaches half of it —
/// what no passage states with even half the confidence stays noise however often it recurs
/// (the half was chosen on the tune reports).
fn listed(best: f32, evidence: f32, threshold: f32) -> bool {
    best >= threshold || (evidence >= threshold && best >= threshold / 2.0)
}

/// A parent technique with its sub-techniques, aggregated over chunks (see [`Report::techniques`]).
#[derive(Default)]
struct Family {
    evidence: f32,
    best: f32,
    chunks: Vec<usize>,
    /// Chunks counted in the first pass of [`Report::techniques`] (the length `chunks` gets).
    chunk_count: usize,
}

/// A technique predicted somewhere in the report, aggregated over chunks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TechniqueHit {
    /// The ATT&CK ID reported (a revoked model label is reported as its replacement).
    pub id: String,
    pub name: String,
    pub tactics: Vec<String>,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stix_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Status in the catalogue (`deprecated` techniques have no replacement).
    pub status: Option<Status>,
    /// Best confidence over the chunks.
    pub confidence: f32,
    /// Sum of its chunk confidences at or above [`EVIDENCE_FLOOR`]: how much of the report
    /// supports it. Never below `confidence` when that is at least the floor.
    pub evidence: f32,
    /// Listed because its evidence reaches the threshold though no single chunk does (a
    /// technique described weakly in several places).
    pub evidence_only: bool,
    pub chunk_count: usize,
    /// Indices of the chunks at or above the threshold, ascending; for an `evidence_only`
    /// technique, the chunks whose confidence counted toward its evidence.
    pub chunks: Vec<usize>,
    /// The model labels that map here, when they differ from `id` (revoked IDs).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub model_labels: Vec<String>,
    /// How model labels were carried into the catalogue in use, for every label that was not
    /// reported as itself (revoked, moved, split, approximate, deprecated, unmapped).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mapping: Vec<LabelMapping>,
    /// The analyst's verdict (see [`Report::review`]); `unreviewed` without one.
    pub review: ReviewStatus,
}

impl TechniqueHit {
    /// Where the model labels came from when they were not reported as themselves, for people:
    /// `T1562.001 (moved), T1562 (split; also T1686)`. `None` when every label is the ID itself
    /// (an unmapped label says so in its name).
    pub fn mapping_note(&self) -> Option<String> {
        let notes: Vec<String> = self
            .mapping
            .iter()
            .filter_map(|m| {
                let how = match m.kind {
                    MappingKind::Same | MappingKind::Unmapped => return None,
                    MappingKind::Deprecated => return Some("deprecated, no replacement".into()),
                    MappingKind::Revoked => "revoked",
                    MappingKind::Moved => "moved",
                    MappingKind::Approximate => "moved, approximate",
                    MappingKind::Split => "split",
                };
                Some(if m.alternatives.is_empty() {
                    format!("{} ({how})", m.label)
                } else {
                    format!("{} ({how}; also {})", m.label, m.alternatives.join(", "))
                })
            })
            .collect();
        (!notes.is_empty()).then(|| notes.join(", "))
    }
}

/// How one model label was carried into the catalogue in use (see [`crate::attack::mapping`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelMapping {
    /// The model's label (an ATT&CK ID of the model's release).
    pub label: String,
    pub kind: MappingKind,
    /// Other techniques the label was split into, besides the one reported.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<String>,
}

/// A document's analysis, possibly still in progress.
#[derive(Debug, Clone)]
pub struct Report {
    pub document: Arc<Document>,
    pub input: InputInfo,
    pub model: Option<ModelInfo>,
    pub options: ReportOptions,
    /// Sorted by chunk index; compact (see [`ChunkTable`]).
    pub chunks: ChunkTable,
    pub iocs: Vec<Ioc>,
    /// Attributions per chunk index.
    pub explanations: BTreeMap<usize, Vec<Explanation>>,
    pub progress: Progress,
    pub timings: Option<Timings>,
    pub error: Option<String>,
    pub cancelled: bool,
    /// The ATT&CK catalogue the report is made in (the process's [`Catalog::active`] when it was
    /// created): technique names, tactics and the version the exports name.
    pub attack: &'static Catalog,
    /// An analyst's verdicts on this report's techniques (`mitremap-review` resolves a review
    /// file into this). `None`: never reviewed.
    pub review: Option<ReviewOverlay>,
}

impl Report {
    pub fn new(
        document: Arc<Document>,
        name: Option<String>,
        model: Option<ModelInfo>,
        options: ReportOptions,
    ) -> Self {
        let input = InputInfo {
            name,
            sha256: document.sha256().to_owned(),
            bytes: document.input_bytes(),
            lossy_utf8: document.lossy(),
            encoding: document
                .utf16()
                .map(|u| if u.big_endian { "utf-16be" } else { "utf-16le" }),
            edited: false,
        };
        Self {
            document,
            input,
            model,
            options,
            chunks: ChunkTable::new(),
            iocs: Vec::new(),
            explanations: BTreeMap::new(),
            progress: Progress::default(),
            timings: None,
            error: None,
            cancelled: false,
            attack: Catalog::active(),
            review: None,
        }
    }

    /// Like [`Report::apply`], but moves the IoCs and the chunk out of the event instead of
    /// copying them (100 MB of prose holds ~200 MB of IoCs: one copy, not two).
    pub fn apply_owned(&mut self, event: Event) {
        match event {
            Event::Iocs(iocs) => self.iocs = iocs,
            other => self.apply(&other),
        }
    }

    /// Folds one event in. Chunks may arrive in any order; they are kept sorted by index.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Started(p) => {
                self.progress = *p;
                // At least one chunk per window: no doubling slack on millions of chunks.
                self.chunks
                    .reserve_exact(p.windows_total.saturating_sub(self.chunks.len()));
            }
            Event::Progress(p) => self.progress = *p,
            Event::Iocs(iocs) => self.iocs = iocs.clone(),
            Event::Chunk(chunk) => self.chunks.insert(chunk),
            Event::Explained {
                chunk,
                explanations,
            } => {
                self.explanations.insert(*chunk, explanations.clone());
            }
            Event::Finished(t) => self.timings = Some(*t),
            Event::Failed(e) => self.error = Some(e.clone()),
            Event::Cancelled => self.cancelled = true,
        }
    }

    /// True once the analysis ended (finished, failed or cancelled).
    pub fn is_done(&self) -> bool {
        self.timings.is_some() || self.error.is_some() || self.cancelled
    }

    /// The text of a chunk.
    pub fn chunk_text(&self, chunk: impl ChunkSpan) -> &str {
        &self.document.text()[chunk.span()]
    }

    /// The model's name for a label index.
    pub fn label(&self, index: usize) -> &str {
        self.model
            .as_ref()
            .and_then(|m| m.labels.get(index))
            .map_or("?", String::as_str)
    }

    /// Over-long words the model saw cut (see [`ChunkResult::cut_words`]), and where the first
    /// of them starts in the document.
    pub fn cut_words(&self) -> (usize, Option<usize>) {
        let mut first = None;
        let mut count = 0;
        for c in self.chunks.iter().filter(|c| c.cut_words > 0) {
            count += c.cut_words;
            first = first.or(Some(c.range.start));
        }
        (count, first)
    }

    /// Techniques the report describes at `threshold`, aggregated over chunks; highest
    /// confidence first.
    ///
    /// A technique is listed when its best chunk confidence reaches `threshold`, or when its
    /// evidence (the sum of its chunk confidences at or above [`EVIDENCE_FLOOR`]) does and its
    /// best chunk reaches half of `threshold`. Summing lets a
    /// technique that several passages describe without one saying it outright reach the list,
    /// as analysts read a report. A parent technique is also listed (on evidence) when its
    /// family — it and its sub-techniques — adds up to the threshold and none of them is listed
    /// otherwise. On the whole AnnoCTR dev reports this raised report-level recall from 0.50 to
    /// about 0.6 at the same threshold (docs/model-card.md).
    pub fn techniques(&self, threshold: f32) -> Vec<TechniqueHit> {
        let catalog = self.attack;
        // Model labels are IDs of the embedded release (the label space the models are trained
        // on); each is carried into the catalogue in use once.
        let labels = Catalog::embedded();
        let mut mapped = HashMap::new();
        let mut hits: BTreeMap<String, TechniqueHit> = BTreeMap::new();
        // The technique and family each label's scores count for (for the second pass).
        let mut label_ids: HashMap<usize, (String, String)> = HashMap::new();
        // Per technique: chunks where it reaches the threshold, and where it reaches the floor
        // (the lengths its chunk list can get, reserved exactly before the second pass).
        let mut chunk_counts: HashMap<String, (usize, usize)> = HashMap::new();
        let floor = EVIDENCE_FLOOR.min(threshold);
        // Best score per ID in the current chunk: two labels mapping to one ID (a revoked label
        // and its replacement) count once per chunk.
        let mut in_chunk: BTreeMap<String, f32> = BTreeMap::new();
        // The same per parent technique, its sub-techniques included (see below).
        let mut family_in_chunk: BTreeMap<String, f32> = BTreeMap::new();
        let mut families: BTreeMap<String, Family> = BTreeMap::new();
        // First pass: scores only. Chunk lists are gathered in a second pass, for the techniques
        // listed: on millions of chunks, lists for every technique above the evidence floor
        // would take more memory than the chunks themselves.
        for chunk in &self.chunks {
            in_chunk.clear();
            family_in_chunk.clear();
            for p in chunk.above(floor) {
                let label = self.label(p.label);
                let m = mapped
                    .entry(p.label)
                    .or_insert_with(|| map_label(label, labels, catalog));
                let resolved = m.technique;
                let id = resolved.map_or(label, |t| t.id.as_str()).to_owned();
                let hit = hits.entry(id.clone()).or_insert_with(|| TechniqueHit {
                    name: resolved.map_or_else(
                        || match labels.get(label) {
                            Some(t) if catalog.attack_version != labels.attack_version => {
                                format!("{} (no v{} equivalent)", t.name, catalog.attack_version)
                            }
                            _ => format!("{label} (not in ATT&CK {})", catalog.attack_version),
                        },
                        |t| t.name.clone(),
                    ),
                    tactics: resolved.map(|t| t.tactics.clone()).unwrap_or_default(),
                    url: technique_url(&id),
                    stix_id: resolved.map(|t| t.stix_id.clone()),
                    parent: resolved.and_then(|t| t.parent.clone()),
                    status: resolved.map(|t| t.status),
                    id,
                    confidence: 0.0,
                    evidence: 0.0,
                    evidence_only: false,
                    chunk_count: 0,
                    chunks: Vec::new(),
                    model_labels: Vec::new(),
                    mapping: Vec::new(),
                    review: ReviewStatus::Unreviewed,
                });
                hit.confidence = hit.confidence.max(p.score);
                let best_here = in_chunk.entry(hit.id.clone()).or_insert(0.0);
                *best_here = best_here.max(p.score);
                let family = hit.parent.clone().unwrap_or_else(|| hit.id.clone());
                label_ids
                    .entry(p.label)
                    .or_insert_with(|| (hit.id.clone(), family.clone()));
                let best_here = family_in_chunk.entry(family).or_insert(0.0);
                *best_here = best_here.max(p.score);
                if label != hit.id && !hit.model_labels.iter().any(|l| l == label) {
                    hit.model_labels.push(label.to_owned());
                }
                if m.kind != MappingKind::Same && !hit.mapping.iter().any(|l| l.label == label) {
                    hit.mapping.push(LabelMapping {
                        label: label.to_owned(),
                        kind: m.kind,
                        alternatives: m.alternatives.clone(),
                    });
                }
            }
            for (id, &score) in &in_chunk {
                if let (Some(hit), true) = (hits.get_mut(id), score >= EVIDENCE_FLOOR) {
                    hit.evidence += score;
                }
                let above = usize::from(score >= threshold);
                match chunk_counts.get_mut(id) {
                    Some((at_threshold, at_floor)) => {
                        *at_threshold += above;
                        *at_floor += 1;
                    }
                    None => {
                        chunk_counts.insert(id.clone(), (above, 1));
                    }
                }
            }
            for (id, &score) in family_in_chunk
                .iter()
                .filter(|(_, s)| **s >= EVIDENCE_FLOOR)
            {
                let family = families.entry(id.clone()).or_default();
                family.evidence += score;
                family.best = family.best.max(score);
                family.chunk_count += 1;
            }
        }
        hits.retain(|_, h| listed(h.confidence, h.evidence, threshold));
        // A parent technique whose family (it and its sub-techniques) adds up to the threshold,
        // though none of them is listed: the model is unsure which sub-technique, not that the
        // report describes the technique.
        families.retain(|id, family| {
            let represented = hits
                .values()
                .any(|h| h.id == *id || h.parent.as_deref() == Some(id.as_str()));
            !represented && listed(family.best, family.evidence, threshold)
        });
        // Second pass: the chunks of what is listed. A technique lists the chunks at or above the
        // threshold; one listed on evidence alone lists the chunks that counted toward it; a
        // family the chunks where one of its members reached the evidence floor.
        for h in hits.values_mut() {
            h.evidence_only = h.confidence < threshold;
            let (at_threshold, at_floor) = chunk_counts.get(&h.id).copied().unwrap_or_default();
            h.chunks.reserve_exact(if h.evidence_only {
                at_floor
            } else {
                at_threshold
            });
        }
        for f in families.values_mut() {
            f.chunks.reserve_exact(f.chunk_count);
        }
        if !hits.is_empty() || !families.is_empty() {
            for chunk in &self.chunks {
                for p in chunk.above(floor) {
                    let Some((id, family)) = label_ids.get(&p.label) else {
                        continue;
                    };
                    if let Some(hit) = hits.get_mut(id)
                        && (hit.evidence_only || p.score >= threshold)
                        && hit.chunks.last() != Some(&chunk.index)
                    {
                        hit.chunks.push(chunk.index);
                    }
                    if let Some(f) = families.get_mut(family)
                        && p.score >= EVIDENCE_FLOOR
                        && f.chunks.last() != Some(&chunk.index)
                    {
                        f.chunks.push(chunk.index);
                    }
                }
            }
        }
        let mut out: Vec<TechniqueHit> = hits
            .into_values()
            .map(|mut h| {
                h.chunks.sort_unstable();
                h.chunks.dedup();
                h.chunk_count = h.chunks.len();
                if let Some(review) = &self.review {
                    h.review = review.technique_status(&h.id, &h.chunks);
                }
                h
            })
            .collect();
        for (id, family) in families {
            let Some(t) = catalog.get(&id) else { continue };
            let review = self.review.as_ref().map_or(ReviewStatus::Unreviewed, |r| {
                r.technique_status(&id, &family.chunks)
            });
            out.push(TechniqueHit {
                id: id.clone(),
                name: t.name.clone(),
                tactics: t.tactics.clone(),
                url: technique_url(&id),
                stix_id: Some(t.stix_id.clone()),
                parent: None,
                status: Some(t.status),
                confidence: family.best,
                evidence: family.evidence,
                evidence_only: true,
                chunk_count: family.chunks.len(),
                chunks: family.chunks,
                model_labels: Vec::new(),
                mapping: Vec::new(),
                review,
            });
        }
        if let Some(review) = &self.review {
            let predicted: std::collections::HashSet<String> =
                out.iter().map(|h| h.id.clone()).collect();
            for (id, chunks) in review.added() {
                if !predicted.contains(id) {
                    out.push(self.added_hit(id, chunks));
                }
            }
        }
        out.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then_with(|| a.id.cmp(&b.id))
        });
        out
    }

    /// A technique the analyst added (or accepted for the report) that the model did not predict
    /// above the threshold: its confidence is the model's best score for it in those chunks (0
    /// when it was not kept, or for a report-level verdict).
    fn added_hit(&self, id: &str, mut chunks: Vec<usize>) -> TechniqueHit {
        // Model labels are IDs of the embedded release; the analyst's ID is looked up in the
        // release in use first.
        let catalog = Catalog::embedded();
        let resolved = self.attack.get(id).or_else(|| catalog.get(id));
        chunks.sort_unstable();
        chunks.dedup();
        let confidence = self
            .chunks
            .iter()
            .filter(|c| chunks.binary_search(&c.index).is_ok())
            .flat_map(|c| c.scores.iter())
            .filter(|p| {
                catalog
                    .resolve(self.label(p.label))
                    .is_some_and(|t| t.id == id)
            })
            .map(|p| p.score)
            .fold(0.0_f32, f32::max);
        TechniqueHit {
            id: id.to_owned(),
            name: resolved.map_or_else(|| id.to_owned(), |t| t.name.clone()),
            tactics: resolved.map(|t| t.tactics.clone()).unwrap_or_default(),
            url: technique_url(id),
            stix_id: resolved.map(|t| t.stix_id.clone()),
            parent: resolved.and_then(|t| t.parent.clone()),
            status: resolved.map(|t| t.status),
            confidence,
            evidence: confidence,
            evidence_only: false,
            chunk_count: chunks.len(),
            chunks,
            model_labels: Vec::new(),
            mapping: Vec::new(),
            review: self
                .review
                .as_ref()
                .map_or(ReviewStatus::Added, |r| r.technique_status(id, &[])),
        }
    }

    /// How many of the techniques at `threshold` (added ones included) carry a verdict, and how
    /// many there are: the status bar's "12/31 reviewed".
    pub fn review_progress(&self, threshold: f32) -> (usize, usize) {
        let hits = self.techniques(threshold);
        let reviewed = hits.iter().filter(|h| h.review.is_reviewed()).count();
        (reviewed, hits.len())
    }

    /// True when every technique has a verdict and there is at least one verdict: exports then no
    /// longer call the report unreviewed.
    pub fn fully_reviewed(&self) -> bool {
        let (reviewed, total) = self.review_progress(self.options.threshold);
        total > 0 && reviewed == total
    }

    /// IoCs deduplicated per type.
    pub fn ioc_summaries(&self) -> Vec<IocSummary> {
        mitremap_ioc::summarize(&self.iocs)
    }

    /// The versioned JSON document (`schemas/report.schema.json`) as a value. `include_text` puts
    /// each chunk's text in the output. For large reports prefer [`Report::json_view`], which
    /// serialises straight to a writer without building the tree.
    pub fn to_json(&self, include_text: bool) -> Value {
        serde_json::to_value(self.json_view(include_text)).unwrap_or(Value::Null)
    }

    /// A borrowed, serialisable view of the JSON document: `serde_json::to_writer(w, &view)`
    /// streams it without copying chunk texts or building a `Value` tree.
    pub fn json_view(&self, include_text: bool) -> ReportJson<'_> {
        let catalog = self.attack;
        let hits = self.techniques(self.options.threshold);
        let summaries = self.ioc_summaries();
        ReportJson {
            schema: "mitremap-report",
            schema_version: SCHEMA_VERSION,
            generator: Generator {
                name: "mitremap",
                version: env!("CARGO_PKG_VERSION"),
            },
            input: &self.input,
            model: self.model.as_ref(),
            attack: AttackJson {
                domain: "enterprise-attack",
                version: &catalog.attack_version,
                source: catalog.origin_kind(),
                notice: &catalog.notice,
            },
            options: &self.options,
            complete: self.timings.is_some(),
            // counted from the same list (one aggregation over the chunks, not two)
            review: self.review.as_ref().map(|_| {
                let reviewed = hits.iter().filter(|h| h.review.is_reviewed()).count();
                ReviewSummaryJson {
                    reviewed,
                    techniques: hits.len(),
                    complete: !hits.is_empty() && reviewed == hits.len(),
                }
            }),
            techniques: hits.into_iter().map(TechniqueJson::from).collect(),
            chunks: ChunksJson {
                report: self,
                include_text,
            },
            iocs: IocsJson {
                by_type: by_type(&summaries),
                items: summaries,
            },
            timings: self.timings,
        }
    }
}

fn by_type(summaries: &[IocSummary]) -> BTreeMap<&'static str, Vec<String>> {
    let mut map: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for s in summaries {
        map.entry(s.kind.as_str())
            .or_default()
            .push(s.value.clone());
    }
    map
}

/// The serialisable shape of the JSON report (see [`Report::json_view`]).
#[derive(Serialize)]
pub struct ReportJson<'a> {
    schema: &'static str,
    schema_version: u32,
    generator: Generator,
    input: &'a InputInfo,
    model: Option<&'a ModelInfo>,
    attack: AttackJson<'a>,
    options: &'a ReportOptions,
    complete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    review: Option<ReviewSummaryJson>,
    techniques: Vec<TechniqueJson>,
    chunks: ChunksJson<'a>,
    iocs: IocsJson,
    timings: Option<Timings>,
}

impl ReportJson<'_> {
    /// Leaves `timings` out (null), for reproducible files.
    pub fn without_timings(mut self) -> Self {
        self.timings = None;
        self
    }
}

/// How far the analyst's review got (only in reviewed reports).
#[derive(Serialize)]
struct ReviewSummaryJson {
    reviewed: usize,
    techniques: usize,
    complete: bool,
}

#[derive(Serialize)]
struct Generator {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct AttackJson<'a> {
    domain: &'static str,
    version: &'a str,
    /// `embedded` or `imported` (`mitremap attack import`).
    source: &'static str,
    notice: &'a str,
}

/// A [`TechniqueHit`] with its confidence rounded for stable output.
#[derive(Serialize)]
struct TechniqueJson {
    id: String,
    name: String,
    tactics: Vec<String>,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    stix_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<String>,
    status: Option<Status>,
    confidence: f64,
    evidence: f64,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    evidence_only: bool,
    chunk_count: usize,
    chunks: Vec<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    model_labels: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    mapping: Vec<LabelMapping>,
    review: ReviewStatus,
}

impl From<TechniqueHit> for TechniqueJson {
    fn from(t: TechniqueHit) -> Self {
        Self {
            confidence: round4(t.confidence),
            evidence: round4(t.evidence),
            evidence_only: t.evidence_only,
            id: t.id,
            name: t.name,
            tactics: t.tactics,
            url: t.url,
            stix_id: t.stix_id,
            parent: t.parent,
            status: t.status,
            chunk_count: t.chunk_count,
            chunks: t.chunks,
            model_labels: t.model_labels,
            mapping: t.mapping,
            review: t.review,
        }
    }
}

#[derive(Serialize)]
struct IocsJson {
    by_type: BTreeMap<&'static str, Vec<String>>,
    items: Vec<IocSummary>,
}

/// Chunks serialised one by one from the report (no intermediate copies).
struct ChunksJson<'a> {
    report: &'a Report,
    include_text: bool,
}

impl Serialize for ChunksJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let report = self.report;
        let mut seq = serializer.serialize_seq(Some(report.chunks.len()))?;
        for c in &report.chunks {
            seq.serialize_element(&ChunkJson {
                index: c.index,
                start: c.range.start,
                end: c.range.end,
                tokens: c.tokens,
                cut_words: c.cut_words,
                predictions: c
                    .above(report.options.threshold)
                    .map(|p| PredictionJson::of(report, c.index, &p))
                    .collect(),
                top: c
                    .scores
                    .iter()
                    .take(TOP_PER_CHUNK)
                    .map(|p| PredictionJson::of(report, c.index, &p))
                    .collect(),
                added: report.review.as_ref().map_or_else(Vec::new, |r| {
                    r.chunks
                        .range((c.index, String::new())..(c.index + 1, String::new()))
                        .filter(|(_, s)| **s == ReviewStatus::Added)
                        .map(|((_, id), _)| id.as_str())
                        .collect()
                }),
                text: self.include_text.then(|| report.chunk_text(&c)),
                explanations: report.explanations.get(&c.index),
            })?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct ChunkJson<'a> {
    index: usize,
    start: usize,
    end: usize,
    tokens: usize,
    #[serde(skip_serializing_if = "is_zero")]
    cut_words: usize,
    predictions: Vec<PredictionJson<'a>>,
    top: Vec<PredictionJson<'a>>,
    /// Techniques the analyst added to this chunk.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    added: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    explanations: Option<&'a Vec<Explanation>>,
}

#[derive(Serialize)]
struct PredictionJson<'a> {
    technique: &'a str,
    confidence: f64,
    /// The verdict on this technique in this chunk (only in reviewed reports).
    #[serde(skip_serializing_if = "Option::is_none")]
    review: Option<ReviewStatus>,
}

impl<'a> PredictionJson<'a> {
    fn of(report: &'a Report, chunk: usize, p: &ChunkPrediction) -> Self {
        let technique = report.label(p.label);
        let review = report.review.as_ref().map(|r| {
            let id = Catalog::embedded()
                .resolve(technique)
                .map_or(technique, |t| t.id.as_str());
            r.chunk_status(chunk, id)
        });
        Self {
            technique,
            confidence: round4(p.score),
            review,
        }
    }
}

/// Four decimals: enough for confidences, and stable across platforms' float printing.
fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn round4(x: f32) -> f64 {
    (f64::from(x) * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report_with(labels: &[&str], rows: &[&[f32]]) -> Report {
        let doc = Arc::new(Document::from_text("a. b. c. d."));
        let model = ModelInfo {
            name: "m".into(),
            version: "1".into(),
            architecture: Architecture::Gpt2,
            activation: Activation::Softmax,
            attack_version: "18.1".into(),
            integrity: Integrity::Verified,
            labels: labels.iter().map(|s| s.to_string()).collect(),
        };
        let options = ReportOptions {
            threshold: 0.6,
            chunk_sentences: 1,
            max_tokens: Some(16),
            explain: false,
        };
        let mut r = Report::new(doc, None, Some(model), options);
        for (i, row) in rows.iter().enumerate() {
            r.apply(&Event::Chunk(ChunkResult::from_scores(
                i,
                i * 3..i * 3 + 2,
                4,
                row,
                0.05,
            )));
        }
        r
    }

    #[test]
    fn aggregates_best_confidence_and_chunks() {
        let r = report_with(
            &["T1059.001", "T1003"],
            &[&[0.9, 0.1], &[0.7, 0.65], &[0.2, 0.8]],
        );
        let t = r.techniques(0.6);
        assert_eq!(t.len(), 2);
        assert_eq!(
            (t[0].id.as_str(), t[0].confidence, t[0].chunks.clone()),
            ("T1059.001", 0.9, vec![0, 1])
        );
        assert_eq!((t[1].id.as_str(), t[1].chunk_count), ("T1003", 2));
        assert_eq!(t[0].tactics, ["execution"]);
        // No chunk reaches 0.95, but both are supported across chunks (1.8 and 1.55).
        let strict = r.techniques(0.95);
        assert_eq!(strict.len(), 2);
        assert!(strict.iter().all(|h| h.evidence_only));
    }

    #[test]
    fn weak_mentions_in_several_chunks_add_up_to_a_listing() {
        let r = report_with(
            &["T1059.001", "T1003", "T1021", "T1105"],
            &[
                &[0.9, 0.3, 0.04, 0.25],
                &[0.1, 0.35, 0.04, 0.25],
                &[0.0, 0.02, 0.04, 0.25],
            ],
        );
        let t = r.techniques(0.6);
        // T1003: best 0.35, evidence 0.65 (0.02 is under the floor) -> listed, evidence only,
        // its chunks are the supporting ones. T1021: 3 x 0.04, all under the floor -> not listed.
        // T1105: evidence 0.75 but no chunk reaches half the threshold -> not listed.
        assert_eq!(
            t.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
            ["T1059.001", "T1003"]
        );
        assert!((t[1].evidence - 0.65).abs() < 1e-6);
        assert!(t[1].evidence_only && !t[0].evidence_only);
        assert_eq!((t[1].confidence, t[1].chunks.clone()), (0.35, vec![0, 1]));
        assert_eq!(t[0].chunks, [0]);
        assert!((t[0].evidence - 1.0).abs() < 1e-6);
        // Above its evidence nothing is listed on it.
        assert_eq!(r.techniques(0.7).len(), 1);
    }

    #[test]
    fn a_family_of_weak_sub_techniques_lists_its_parent() {
        let r = report_with(&["T1059.001", "T1059.003"], &[&[0.3, 0.0], &[0.0, 0.35]]);
        let t = r.techniques(0.6);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].id, "T1059");
        assert!(t[0].evidence_only);
        assert!((t[0].evidence - 0.65).abs() < 1e-6);
        assert_eq!((t[0].confidence, t[0].chunks.clone()), (0.35, vec![0, 1]));
        // A listed sub-technique already represents the family: no parent added.
        let r = report_with(&["T1059.001", "T1059.003"], &[&[0.7, 0.0], &[0.0, 0.35]]);
        let ids: Vec<String> = r.techniques(0.6).into_iter().map(|h| h.id).collect();
        assert_eq!(ids, ["T1059.001"]);
    }

    #[test]
    fn revoked_labels_are_reported_as_their_replacement() {
        let r = report_with(&["T1086", "T1059.001"], &[&[0.9, 0.1], &[0.1, 0.7]]);
        let t = r.techniques(0.6);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].id, "T1059.001");
        assert_eq!(t[0].model_labels, ["T1086"]);
        assert_eq!(t[0].chunks, [0, 1]);
    }

    #[test]
    fn verdicts_give_each_technique_a_status_and_keep_confirmed_ones_the_model_missed() {
        let mut r = report_with(
            &["T1059.001", "T1003"],
            &[&[0.9, 0.1], &[0.7, 0.65], &[0.2, 0.8]],
        );
        let mut overlay = ReviewOverlay::default();
        overlay
            .report
            .insert("T1059.001".into(), ReviewStatus::Rejected);
        // Accepted for the report, but under the threshold (or no longer predicted).
        overlay
            .report
            .insert("T1486".into(), ReviewStatus::Accepted);
        overlay
            .chunks
            .insert((2, "T1566".into()), ReviewStatus::Added);
        r.review = Some(overlay);
        let statuses: Vec<(String, ReviewStatus, Vec<usize>)> = r
            .techniques(0.6)
            .into_iter()
            .map(|h| (h.id, h.review, h.chunks))
            .collect();
        assert_eq!(
            statuses,
            [
                ("T1059.001".to_owned(), ReviewStatus::Rejected, vec![0, 1]),
                ("T1003".to_owned(), ReviewStatus::Unreviewed, vec![1, 2]),
                ("T1486".to_owned(), ReviewStatus::Accepted, vec![]),
                ("T1566".to_owned(), ReviewStatus::Added, vec![2]),
            ]
        );
        assert_eq!(r.review_progress(0.6), (3, 4));
        assert!(!r.fully_reviewed());
        let json = r.to_json(false);
        assert_eq!(json["review"]["reviewed"], 3);
        assert_eq!(json["chunks"][2]["added"][0], "T1566");
        assert_eq!(json["chunks"][0]["predictions"][0]["review"], "rejected");
    }

    #[test]
    fn chunks_arriving_out_of_order_are_sorted() {
        let mut r = report_with(&["T1003"], &[]);
        for i in [2, 0, 1] {
            r.apply(&Event::Chunk(ChunkResult::from_scores(
                i,
                0..1,
                1,
                &[0.5],
                0.05,
            )));
        }
        assert_eq!(
            r.chunks.iter().map(|c| c.index).collect::<Vec<_>>(),
            [0, 1, 2]
        );
    }
}
