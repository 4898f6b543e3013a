//! An analyst's review of a mitremap report, kept in a file next to the input
//! (`report.txt.mitremap-review.json`): which techniques were accepted, rejected or added, for
//! the whole report or for one chunk, by whom, when, against which model and at what confidence.
//!
//! - The file is keyed by the input's sha256 and each chunk verdict by the chunk's byte range and
//!   the sha256 of its text (the text itself is kept too: training records are made from it).
//!   [`ReviewFile::attach`] resolves the verdicts against a report; when the input changed, chunk
//!   verdicts whose text still exists are re-attached and the others are reported.
//! - Revoked technique IDs are followed to their replacement through the embedded ATT&CK
//!   catalogue; IDs it does not know are reported and left out.
//! - [`ReviewFile::save`] writes atomically under an exclusive lock on `<file>.lock`, merging
//!   with what is on disk (the latest verdict per technique and chunk wins), so two instances
//!   reviewing the same input lose nothing.
//! - A file that cannot be read as a review is never replaced: it is copied to `<file>.bak` and
//!   the error says so.

mod search;
mod training;

pub use search::{full_name, search_catalog};
pub use training::{TRAINING_SOURCE, TrainingRecord, training_records};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mitremap_engine::analysis::{Report, ReviewOverlay, ReviewStatus};
use mitremap_engine::attack::{Catalog, Status};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `schema` field of every review file.
pub const REVIEW_SCHEMA: &str = "mitremap-review";
/// Version of the review file format. Bumped on breaking changes; newer files are refused.
pub const REVIEW_SCHEMA_VERSION: u32 = 1;
/// Appended to the input's file name for the default review file.
pub const SIDECAR_SUFFIX: &str = ".mitremap-review.json";

/// The review file that goes with `input`: `report.txt` -> `report.txt.mitremap-review.json`.
pub fn sidecar_path(input: &Path) -> PathBuf {
    let mut name = input.as_os_str().to_owned();
    name.push(SIDECAR_SUFFIX);
    PathBuf::from(name)
}

/// Who is reviewing: `$USER` (or `$USERNAME`), else `unknown`. `--analyst` overrides it.
pub fn default_analyst() -> String {
    ["USER", "USERNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Why a review file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("cannot read review file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "review file {} is not a valid mitremap review ({reason}); it was left as it is and copied to {}; move it away to start a new review",
        path.display(),
        backup.display()
    )]
    Corrupt {
        path: PathBuf,
        backup: PathBuf,
        reason: String,
    },
    #[error(
        "review file {} is not a valid mitremap review ({reason}), and it could not be copied aside ({backup_error}); it was left as it is",
        path.display()
    )]
    CorruptNoBackup {
        path: PathBuf,
        reason: String,
        backup_error: String,
    },
    #[error("cannot lock review file {}: {source}", path.display())]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Write(#[from] mitremap_export::ExportError),
    #[error("chunk {0} is not in the report")]
    NoSuchChunk(usize),
    #[error("no verdict on {0} here yet: accept, reject or add it first, then note it")]
    NoVerdict(String),
    #[error("{0} is not an ATT&CK technique ID known to this build (ATT&CK {1})")]
    UnknownTechnique(String, String),
}

/// The input a review belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewedInput {
    /// sha256 of the text analysed (as in the JSON report's `input.sha256`).
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub bytes: usize,
}

/// What the analyst decided. `reset` takes an earlier verdict back (kept in the file, so a merge
/// with another instance's older verdict does not bring it back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Accepted,
    Rejected,
    Added,
    Reset,
}

impl Verdict {
    fn status(self) -> Option<ReviewStatus> {
        match self {
            Verdict::Accepted => Some(ReviewStatus::Accepted),
            Verdict::Rejected => Some(ReviewStatus::Rejected),
            Verdict::Added => Some(ReviewStatus::Added),
            Verdict::Reset => None,
        }
    }
}

/// A span of the input: a chunk's byte range, its text and that text's sha256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub sha256: String,
    pub text: String,
}

impl Span {
    fn of(report: &Report, chunk: usize) -> Option<Span> {
        let c = report.chunks.iter().find(|c| c.index == chunk)?;
        let text = report.chunk_text(&c).to_owned();
        Some(Span {
            start: c.range.start,
            end: c.range.end,
            sha256: sha256_hex(&text),
            text,
        })
    }
}

/// The model that made the prediction the analyst judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRef {
    pub name: String,
    pub version: String,
}

/// One verdict on one technique, for the whole report (`chunk` absent) or for one chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerdictRecord {
    /// ATT&CK ID as the analyst gave it (revoked IDs are mapped when the review is applied).
    pub technique: String,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk: Option<Span>,
    /// Report-level verdicts: the chunks that predicted the technique when it was judged (the
    /// text the verdict is about, for training records).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Span>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub analyst: String,
    /// RFC 3339, UTC, nanoseconds.
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelRef>,
    /// The model's confidence for the technique (in that chunk, or best over the report) when
    /// the verdict was given; absent when the model had no score for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
}

impl VerdictRecord {
    /// What two records must share to be verdicts on the same thing.
    fn key(&self) -> VerdictKey {
        (
            self.technique.clone(),
            self.chunk
                .as_ref()
                .map(|s| (s.start, s.end, s.sha256.clone())),
        )
    }

    fn time(&self) -> Option<time::OffsetDateTime> {
        time::OffsetDateTime::parse(&self.at, &time::format_description::well_known::Rfc3339).ok()
    }

    /// True when `self` was given after `other` (ties: `self`, the one being saved).
    fn is_newer_or_same(&self, other: &VerdictRecord) -> bool {
        match (self.time(), other.time()) {
            (Some(a), Some(b)) => a >= b,
            _ => self.at >= other.at,
        }
    }
}

/// Technique and, for a chunk verdict, the chunk's (start, end, text sha256): two records with
/// the same key are verdicts on the same thing.
type VerdictKey = (String, Option<(usize, usize, String)>);

/// Where a verdict applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The technique in the whole report.
    Report,
    /// The technique in one chunk (by chunk index).
    Chunk(usize),
}

/// Who gives verdicts and when (injected so tests are reproducible).
#[derive(Debug, Clone)]
pub struct Reviewer {
    pub analyst: String,
    pub now: Option<time::OffsetDateTime>,
}

impl Reviewer {
    pub fn new(analyst: impl Into<String>) -> Self {
        Self {
            analyst: analyst.into(),
            now: None,
        }
    }

    fn timestamp(&self) -> String {
        format_time(self.now.unwrap_or_else(time::OffsetDateTime::now_utc))
    }
}

fn format_time(t: time::OffsetDateTime) -> String {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:9]Z"
    );
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_default()
}

/// A review file's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewFile {
    pub schema: String,
    pub schema_version: u32,
    pub input: ReviewedInput,
    /// At most one record per technique and chunk (the latest).
    pub verdicts: Vec<VerdictRecord>,
}

/// A verdict that could not be attached to the report it was applied to.
#[derive(Debug, Clone, PartialEq)]
pub struct LostVerdict {
    pub technique: String,
    pub verdict: Verdict,
    /// The span it was about (its text no longer occurs in the input).
    pub span: Span,
}

/// A review resolved against one report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attachment {
    pub overlay: ReviewOverlay,
    /// The review was made on a different input (sha256 differs).
    pub input_changed: bool,
    /// Chunk verdicts found again at a different place (changed input or chunking).
    pub reattached: usize,
    /// Chunk verdicts whose text no longer exists in the input.
    pub lost: Vec<LostVerdict>,
    /// Revoked IDs in the review and the technique each was mapped to.
    pub remapped: Vec<(String, String)>,
    /// IDs the embedded catalogue does not know (left out).
    pub unknown: Vec<String>,
}

impl Attachment {
    /// One line per problem, for stderr or the status bar.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.input_changed {
            out.push(format!(
                "the review was made on a different version of this input: {} chunk verdict(s) re-attached where their text still exists, {} could not be",
                self.reattached,
                self.lost.len()
            ));
        } else if self.reattached > 0 || !self.lost.is_empty() {
            out.push(format!(
                "the input was chunked differently: {} chunk verdict(s) re-attached, {} could not be",
                self.reattached,
                self.lost.len()
            ));
        }
        for lost in &self.lost {
            out.push(format!(
                "not re-attached: {} {} on bytes {}..{} (that text is no longer in the input)",
                lost.verdict_name(),
                lost.technique,
                lost.span.start,
                lost.span.end
            ));
        }
        for (old, new) in &self.remapped {
            out.push(format!(
                "{old} is revoked in ATT&CK {}: its verdict applies to {new}",
                Catalog::embedded().attack_version
            ));
        }
        for id in &self.unknown {
            out.push(format!(
                "{id} is not in ATT&CK {}: its verdict is left out",
                Catalog::embedded().attack_version
            ));
        }
        out
    }
}

impl LostVerdict {
    fn verdict_name(&self) -> &'static str {
        match self.verdict {
            Verdict::Accepted => "accepted",
            Verdict::Rejected => "rejected",
            Verdict::Added => "added",
            Verdict::Reset => "reset",
        }
    }
}

impl ReviewFile {
    /// An empty review of `report`'s input.
    pub fn new(report: &Report) -> Self {
        Self {
            schema: REVIEW_SCHEMA.to_owned(),
            schema_version: REVIEW_SCHEMA_VERSION,
            input: ReviewedInput {
                sha256: report.input.sha256.clone(),
                name: report.input.name.clone(),
                bytes: report.input.bytes,
            },
            verdicts: Vec::new(),
        }
    }

    /// Reads a review file. `Ok(None)` when there is none. A file that is not a valid review
    /// (truncated, not JSON, wrong schema, a newer version) is left untouched, copied to
    /// `<path>.bak` (or `.bak.1`, ... if that exists with other content), and reported.
    pub fn load(path: &Path) -> Result<Option<ReviewFile>, ReviewError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(ReviewError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        match Self::parse(&bytes) {
            Ok(file) => Ok(Some(file)),
            Err(reason) => Err(match back_up(path, &bytes) {
                Ok(backup) => ReviewError::Corrupt {
                    path: path.to_path_buf(),
                    backup,
                    reason,
                },
                Err(e) => ReviewError::CorruptNoBackup {
                    path: path.to_path_buf(),
                    reason,
                    backup_error: e.to_string(),
                },
            }),
        }
    }

    /// Parses and checks a review file's bytes.
    pub fn parse(bytes: &[u8]) -> Result<ReviewFile, String> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
            if e.is_eof() {
                format!("truncated: {e}")
            } else {
                e.to_string()
            }
        })?;
        if value.get("schema").and_then(|s| s.as_str()) != Some(REVIEW_SCHEMA) {
            return Err(format!("\"schema\" is not {REVIEW_SCHEMA:?}"));
        }
        match value.get("schema_version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(REVIEW_SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(format!(
                    "schema_version {v} is not supported (this mitremap reads {REVIEW_SCHEMA_VERSION})"
                ));
            }
            None => return Err("no schema_version".to_owned()),
        }
        let file: ReviewFile = serde_json::from_value(value).map_err(|e| e.to_string())?;
        for (i, v) in file.verdicts.iter().enumerate() {
            for span in v.chunk.iter().chain(&v.evidence) {
                if sha256_hex(&span.text) != span.sha256 || span.start > span.end {
                    return Err(format!(
                        "verdict {i} ({}): its span's text does not match its sha256 or range",
                        v.technique
                    ));
                }
            }
        }
        Ok(file)
    }

    /// The review in `path` if there is one for this input, else a new one. A review of another
    /// input is returned as it is (see [`ReviewFile::attach`], which re-attaches what it can).
    pub fn open(path: &Path, report: &Report) -> Result<ReviewFile, ReviewError> {
        Ok(Self::load(path)?.unwrap_or_else(|| Self::new(report)))
    }

    /// Records a verdict (replacing an earlier one on the same technique and scope). The
    /// technique must be in the catalogue (revoked IDs are stored as given and mapped when
    /// applied). Confidence and model are taken from the report as it is now.
    pub fn record(
        &mut self,
        report: &Report,
        reviewer: &Reviewer,
        technique: &str,
        scope: Scope,
        verdict: Verdict,
        note: Option<String>,
    ) -> Result<(), ReviewError> {
        let catalog = Catalog::embedded();
        let Some(current) = catalog.resolve(technique) else {
            return Err(ReviewError::UnknownTechnique(
                technique.to_owned(),
                catalog.attack_version.clone(),
            ));
        };
        let threshold = report.options.threshold;
        let (chunk, evidence, confidence) = match scope {
            Scope::Chunk(index) => {
                let span = Span::of(report, index).ok_or(ReviewError::NoSuchChunk(index))?;
                let confidence = chunk_confidence(report, index, &current.id);
                (Some(span), Vec::new(), confidence)
            }
            Scope::Report => {
                let hit = report
                    .techniques(threshold)
                    .into_iter()
                    .find(|h| h.id == current.id);
                let evidence = hit
                    .as_ref()
                    .map(|h| {
                        h.chunks
                            .iter()
                            .filter_map(|&c| Span::of(report, c))
                            .collect()
                    })
                    .unwrap_or_default();
                (None, evidence, hit.map(|h| h.confidence))
            }
        };
        let record = VerdictRecord {
            technique: technique.to_owned(),
            verdict,
            chunk,
            evidence,
            note: note.filter(|n| !n.trim().is_empty()),
            analyst: reviewer.analyst.clone(),
            at: reviewer.timestamp(),
            model: report.model.as_ref().map(|m| ModelRef {
                name: m.name.clone(),
                version: m.version.clone(),
            }),
            confidence,
        };
        self.upsert(record);
        Ok(())
    }

    /// Puts `record` in, replacing the record on the same technique and scope (a new verdict
    /// without a note keeps the note already there).
    fn upsert(&mut self, mut record: VerdictRecord) {
        let key = record.key();
        match self.verdicts.iter_mut().find(|v| v.key() == key) {
            Some(existing) => {
                if record.note.is_none() {
                    record.note = existing.note.take();
                }
                *existing = record;
            }
            None => self.verdicts.push(record),
        }
    }

    /// The note on the verdict on `technique` in `scope`, if there is one.
    pub fn note(&self, report: &Report, technique: &str, scope: Scope) -> Option<&str> {
        let key = self.scope_key(report, technique, scope)?;
        self.verdicts
            .iter()
            .find(|v| v.key() == key)
            .and_then(|v| v.note.as_deref())
    }

    /// Sets the note (empty: removes it) of the verdict already given on `technique` in
    /// `scope`, as `reviewer` now (so a merge keeps the newer note).
    pub fn set_note(
        &mut self,
        report: &Report,
        reviewer: &Reviewer,
        technique: &str,
        scope: Scope,
        note: &str,
    ) -> Result<(), ReviewError> {
        let key = self
            .scope_key(report, technique, scope)
            .ok_or_else(|| ReviewError::NoVerdict(technique.to_owned()))?;
        let record = self
            .verdicts
            .iter_mut()
            .find(|v| v.key() == key && v.verdict != Verdict::Reset)
            .ok_or_else(|| ReviewError::NoVerdict(technique.to_owned()))?;
        let note = note.trim();
        record.note = (!note.is_empty()).then(|| note.to_owned());
        record.analyst = reviewer.analyst.clone();
        record.at = reviewer.timestamp();
        Ok(())
    }

    /// The merge key a verdict on `technique` in `scope` of `report` has.
    fn scope_key(&self, report: &Report, technique: &str, scope: Scope) -> Option<VerdictKey> {
        let span = match scope {
            Scope::Report => None,
            Scope::Chunk(index) => {
                let s = Span::of(report, index)?;
                Some((s.start, s.end, s.sha256))
            }
        };
        Some((technique.to_owned(), span))
    }

    /// Merges `other` into `self`: per technique and scope, the later verdict wins.
    pub fn merge(&mut self, other: &ReviewFile) {
        for theirs in &other.verdicts {
            let key = theirs.key();
            match self.verdicts.iter_mut().find(|v| v.key() == key) {
                Some(ours) => {
                    if !ours.is_newer_or_same(theirs) {
                        *ours = theirs.clone();
                    }
                }
                None => self.verdicts.push(theirs.clone()),
            }
        }
    }

    /// Writes the review to `path` atomically, under an exclusive lock on `<path>.lock`, merged
    /// with what another instance may have saved there since (later verdicts win): afterwards
    /// `self` is what was written, the other instance's verdicts included. A file at `path` that is not a valid review is never replaced (see [`ReviewFile::load`]).
    pub fn save(&mut self, path: &Path) -> Result<(), ReviewError> {
        let _lock = lock(path)?;
        // Whatever input the file on disk was made for: chunk verdicts carry their own text, so
        // keeping them loses nothing and overwriting them would.
        if let Some(on_disk) = Self::load(path)? {
            self.merge(&on_disk);
        }
        self.verdicts.sort_by(|a, b| {
            (a.chunk.as_ref().map(|s| (s.start, s.end)), &a.technique)
                .cmp(&(b.chunk.as_ref().map(|s| (s.start, s.end)), &b.technique))
        });
        let mut bytes =
            serde_json::to_vec_pretty(self).map_err(mitremap_export::ExportError::from)?;
        bytes.push(b'\n');
        mitremap_export::write_atomic(path, &bytes, true)?;
        Ok(())
    }

    /// Resolves the verdicts against `report`: revoked IDs mapped, unknown IDs left out, chunk
    /// verdicts attached to the chunk with the same range and text, else (changed input or
    /// chunking) to the chunk where their text now is, else reported as lost.
    pub fn attach(&self, report: &Report) -> Attachment {
        let catalog = Catalog::embedded();
        let mut out = Attachment {
            input_changed: self.input.sha256 != report.input.sha256,
            ..Attachment::default()
        };
        // Chunk text hashes, computed only if some verdict needs looking for.
        let mut chunk_hashes: Option<BTreeMap<String, usize>> = None;
        for record in &self.verdicts {
            let Some(status) = record.verdict.status() else {
                continue;
            };
            let id = match catalog.get(&record.technique) {
                None => {
                    if !out.unknown.contains(&record.technique) {
                        out.unknown.push(record.technique.clone());
                    }
                    continue;
                }
                Some(t) if t.status == Status::Revoked => {
                    let new = catalog
                        .resolve(&t.id)
                        .map_or(t.id.clone(), |r| r.id.clone());
                    let pair = (t.id.clone(), new.clone());
                    if !out.remapped.contains(&pair) {
                        out.remapped.push(pair);
                    }
                    new
                }
                Some(t) => t.id.clone(),
            };
            match &record.chunk {
                None => {
                    out.overlay.report.insert(id.clone(), status);
                    if let Some(note) = &record.note {
                        out.overlay.notes.insert(id, note.clone());
                    }
                }
                Some(span) => {
                    let in_place = report.chunks.iter().find(|c| {
                        c.range == (span.start..span.end) && report.chunk_text(c) == span.text
                    });
                    let index = match in_place {
                        Some(c) => Some(c.index),
                        None => {
                            let found = find_span(report, span, &mut chunk_hashes);
                            if found.is_some() {
                                out.reattached += 1;
                            }
                            found
                        }
                    };
                    match index {
                        Some(index) => {
                            out.overlay.chunks.insert((index, id), status);
                        }
                        None => out.lost.push(LostVerdict {
                            technique: record.technique.clone(),
                            verdict: record.verdict,
                            span: span.clone(),
                        }),
                    }
                }
            }
        }
        out
    }
}

/// The chunk a span's text is in now: the chunk with exactly that text, else the chunk that
/// contains the text's first occurrence.
fn find_span(
    report: &Report,
    span: &Span,
    hashes: &mut Option<BTreeMap<String, usize>>,
) -> Option<usize> {
    let hashes = hashes.get_or_insert_with(|| {
        report
            .chunks
            .iter()
            .map(|c| (sha256_hex(report.chunk_text(&c)), c.index))
            .collect()
    });
    if let Some(&index) = hashes.get(&span.sha256) {
        return Some(index);
    }
    if span.text.is_empty() {
        return None;
    }
    let at = report.document.text().find(&span.text)?;
    report
        .chunks
        .iter()
        .find(|c| c.range.start <= at && at < c.range.end)
        .map(|c| c.index)
}

/// The model's score for `technique` (or a revoked label that maps to it) in one chunk.
fn chunk_confidence(report: &Report, chunk: usize, technique: &str) -> Option<f32> {
    let catalog = Catalog::embedded();
    let c = report.chunks.iter().find(|c| c.index == chunk)?;
    c.scores
        .iter()
        .filter(|p| {
            let label = report.label(p.label);
            label == technique || catalog.resolve(label).is_some_and(|t| t.id == technique)
        })
        .map(|p| p.score)
        .reduce(f32::max)
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Copies an unreadable review aside: `<path>.bak`, or `.bak.N` when a different `.bak` exists.
fn back_up(path: &Path, bytes: &[u8]) -> Result<PathBuf, mitremap_export::ExportError> {
    for n in 0..100 {
        let mut name = path.as_os_str().to_owned();
        name.push(if n == 0 {
            ".bak".to_owned()
        } else {
            format!(".bak.{n}")
        });
        let backup = PathBuf::from(name);
        match std::fs::read(&backup) {
            Ok(existing) if existing == bytes => return Ok(backup),
            Ok(_) => continue,
            Err(_) => match mitremap_export::write_atomic(&backup, bytes, false) {
                Ok(()) => return Ok(backup),
                Err(mitremap_export::ExportError::Exists { .. }) => continue,
                Err(e) => return Err(e),
            },
        }
    }
    Err(mitremap_export::ExportError::Exists {
        path: path.to_path_buf(),
    })
}

/// Holds an exclusive advisory lock on `<path>.lock` until dropped (released by the OS if the
/// process dies, so a crash never leaves the review locked).
fn lock(path: &Path) -> Result<std::fs::File, ReviewError> {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let lock_path = PathBuf::from(name);
    let err = |source| ReviewError::Lock {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(err)?;
    file.lock().map_err(err)?;
    Ok(file)
}

#[cfg(test)]
mod tests;
