use std::sync::Arc;

use mitremap_engine::analysis::{
    ChunkResult, Event, ModelInfo, Report, ReportOptions, ReviewStatus,
};
use mitremap_engine::model::{Activation, Architecture, Integrity};
use mitremap_engine::text::Document;

use super::*;

const SENTENCES: [&str; 3] = [
    "The actor ran PowerShell scripts.",
    "Credentials were dumped from LSASS.",
    "Files were encrypted for ransom.",
];

/// A report over `sentences` (one chunk each) where the model scored `T1086` (revoked, now
/// T1059.001), `T1003.001` and `T1486` as given per chunk.
fn report_of(sentences: &[&str], rows: &[[f32; 3]]) -> Report {
    let text = sentences.join(" ");
    let doc = Arc::new(Document::from_text(text.clone()));
    let model = ModelInfo {
        name: "test-model".into(),
        version: "1.2.3".into(),
        architecture: Architecture::Gpt2,
        activation: Activation::Sigmoid,
        attack_version: "18.1".into(),
        integrity: Integrity::Verified,
        labels: vec!["T1086".into(), "T1003.001".into(), "T1486".into()],
    };
    let options = ReportOptions {
        threshold: 0.5,
        chunk_sentences: 1,
        max_tokens: None,
        explain: false,
    };
    let mut report = Report::new(doc, Some("report.txt".into()), Some(model), options);
    let mut start = 0;
    for (i, (s, row)) in sentences.iter().zip(rows).enumerate() {
        let at = text[start..].find(s).unwrap() + start;
        report.apply(&Event::Chunk(ChunkResult::from_scores(
            i,
            at..at + s.len(),
            8,
            row,
            0.05,
        )));
        start = at + s.len();
    }
    report
}

fn report() -> Report {
    report_of(
        &SENTENCES,
        &[[0.9, 0.1, 0.1], [0.1, 0.8, 0.2], [0.1, 0.1, 0.7]],
    )
}

fn reviewer(analyst: &str, second: u8) -> Reviewer {
    Reviewer {
        analyst: analyst.into(),
        now: Some(
            time::macros::datetime!(2026-01-02 03:04:00 UTC)
                + time::Duration::seconds(i64::from(second)),
        ),
    }
}

#[test]
fn sidecar_is_named_after_the_input() {
    assert_eq!(
        sidecar_path(Path::new("/x/report.txt")),
        Path::new("/x/report.txt.mitremap-review.json")
    );
}

#[test]
fn verdicts_round_trip_through_the_file_with_who_when_model_and_confidence() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let report = report();
    let mut review = ReviewFile::new(&report);
    review
        .record(
            &report,
            &reviewer("alice", 1),
            "T1003.001",
            Scope::Chunk(1),
            Verdict::Accepted,
            Some("seen in memory dump".into()),
        )
        .unwrap();
    review
        .record(
            &report,
            &reviewer("alice", 2),
            "T1486",
            Scope::Report,
            Verdict::Rejected,
            None,
        )
        .unwrap();
    review.save(&path).unwrap();

    let loaded = ReviewFile::load(&path).unwrap().unwrap();
    assert_eq!(loaded, review);
    // Saved in a stable order: report-level verdicts first, then by chunk.
    let v = &loaded.verdicts[1];
    assert_eq!(v.technique, "T1003.001");
    assert_eq!(v.analyst, "alice");
    assert_eq!(v.at, "2026-01-02T03:04:01.000000000Z");
    assert_eq!(v.model.as_ref().unwrap().version, "1.2.3");
    assert_eq!(v.confidence, Some(0.8));
    assert_eq!(v.chunk.as_ref().unwrap().text, SENTENCES[1]);
    assert_eq!(v.note.as_deref(), Some("seen in memory dump"));
    // The report-level verdict keeps the text that predicted it.
    assert_eq!(loaded.verdicts[0].technique, "T1486");
    assert_eq!(loaded.verdicts[0].evidence[0].text, SENTENCES[2]);

    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(json["schema"], "mitremap-review");
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["input"]["sha256"], report.input.sha256.as_str());

    let mut reviewed = report.clone();
    reviewed.review = Some(loaded.attach(&report).overlay);
    let statuses: Vec<(String, ReviewStatus)> = reviewed
        .techniques(0.5)
        .into_iter()
        .map(|h| (h.id, h.review))
        .collect();
    assert_eq!(
        statuses,
        [
            ("T1059.001".to_owned(), ReviewStatus::Unreviewed),
            ("T1003.001".to_owned(), ReviewStatus::Accepted),
            ("T1486".to_owned(), ReviewStatus::Rejected),
        ]
    );
    assert_eq!(reviewed.review_progress(0.5), (2, 3));
    assert!(!reviewed.fully_reviewed());
}

#[test]
fn a_later_verdict_on_the_same_technique_replaces_the_earlier_and_reset_clears_it() {
    let report = report();
    let mut review = ReviewFile::new(&report);
    review
        .record(
            &report,
            &reviewer("a", 1),
            "T1486",
            Scope::Chunk(2),
            Verdict::Accepted,
            None,
        )
        .unwrap();
    review
        .record(
            &report,
            &reviewer("a", 2),
            "T1486",
            Scope::Chunk(2),
            Verdict::Rejected,
            None,
        )
        .unwrap();
    assert_eq!(review.verdicts.len(), 1);
    assert_eq!(review.verdicts[0].verdict, Verdict::Rejected);
    review
        .record(
            &report,
            &reviewer("a", 3),
            "T1486",
            Scope::Chunk(2),
            Verdict::Reset,
            None,
        )
        .unwrap();
    assert!(review.attach(&report).overlay.is_empty());
}

#[test]
fn unknown_ids_are_refused_when_recorded() {
    let report = report();
    let mut review = ReviewFile::new(&report);
    let err = review
        .record(
            &report,
            &reviewer("a", 1),
            "T9999",
            Scope::Report,
            Verdict::Added,
            None,
        )
        .unwrap_err();
    assert!(err.to_string().contains("T9999"), "{err}");
    assert!(review.verdicts.is_empty());
}

#[test]
fn a_truncated_file_is_reported_kept_and_copied_to_bak_and_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let report = report();
    let mut review = ReviewFile::new(&report);
    review
        .record(
            &report,
            &reviewer("a", 1),
            "T1486",
            Scope::Report,
            Verdict::Accepted,
            None,
        )
        .unwrap();
    review.save(&path).unwrap();
    let full = std::fs::read(&path).unwrap();
    let truncated = &full[..full.len() / 2];
    std::fs::write(&path, truncated).unwrap();

    let err = ReviewFile::load(&path).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("truncated"), "{msg}");
    assert!(msg.contains("r.json.bak"), "{msg}");
    assert_eq!(
        std::fs::read(dir.path().join("r.json.bak")).unwrap(),
        truncated
    );

    // Saving over it is refused: the damaged file is still there, not an empty review.
    let mut fresh = ReviewFile::new(&report);
    assert!(matches!(
        fresh.save(&path),
        Err(ReviewError::Corrupt { .. })
    ));
    assert_eq!(std::fs::read(&path).unwrap(), truncated);

    // Another damaged version does not overwrite the first backup.
    std::fs::write(&path, b"{\"schema\": \"something-else\"}").unwrap();
    let msg = ReviewFile::load(&path).unwrap_err().to_string();
    assert!(
        msg.contains("r.json.bak.1") && msg.contains("schema"),
        "{msg}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("r.json.bak")).unwrap(),
        truncated
    );
}

#[test]
fn newer_schema_versions_and_tampered_spans_are_refused() {
    let report = report();
    let mut review = ReviewFile::new(&report);
    review
        .record(
            &report,
            &reviewer("a", 1),
            "T1486",
            Scope::Chunk(2),
            Verdict::Accepted,
            None,
        )
        .unwrap();
    let mut value = serde_json::to_value(&review).unwrap();
    value["schema_version"] = 2.into();
    let err = ReviewFile::parse(&serde_json::to_vec(&value).unwrap()).unwrap_err();
    assert!(err.contains("schema_version 2"), "{err}");
    value["schema_version"] = 1.into();
    value["verdicts"][0]["chunk"]["text"] = "other text".into();
    let err = ReviewFile::parse(&serde_json::to_vec(&value).unwrap()).unwrap_err();
    assert!(err.contains("sha256"), "{err}");
}

#[test]
fn a_changed_input_reattaches_verdicts_whose_text_still_exists_and_reports_the_others() {
    let report = report();
    let mut review = ReviewFile::new(&report);
    for (chunk, id) in [(0, "T1086"), (1, "T1003.001"), (2, "T1486")] {
        review
            .record(
                &report,
                &reviewer("a", 1),
                id,
                Scope::Chunk(chunk),
                Verdict::Accepted,
                None,
            )
            .unwrap();
    }
    // New version: a sentence inserted before (ranges shift) and the last one rewritten.
    let changed = report_of(
        &[
            "A new first sentence.",
            SENTENCES[0],
            SENTENCES[1],
            "Files were encrypted.",
        ],
        &[[0.1; 3], [0.9, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.9]],
    );
    let attached = review.attach(&changed);
    assert!(attached.input_changed);
    assert_eq!(attached.reattached, 2);
    assert_eq!(
        attached.overlay.chunks.keys().cloned().collect::<Vec<_>>(),
        [(1, "T1059.001".to_owned()), (2, "T1003.001".to_owned())]
    );
    assert_eq!(attached.lost.len(), 1);
    assert_eq!(attached.lost[0].technique, "T1486");
    let warnings = attached.warnings().join("\n");
    assert!(warnings.contains("different version"), "{warnings}");
    assert!(
        warnings.contains("not re-attached: accepted T1486"),
        "{warnings}"
    );
    // Same input: nothing to re-attach.
    let same = review.attach(&report);
    assert!(!same.input_changed && same.reattached == 0 && same.lost.is_empty());
}

#[test]
fn revoked_ids_are_mapped_to_their_replacement_and_unknown_ones_reported() {
    let report = report();
    let mut review = ReviewFile::new(&report);
    review
        .record(
            &report,
            &reviewer("a", 1),
            "T1086",
            Scope::Report,
            Verdict::Accepted,
            None,
        )
        .unwrap();
    // An ID from a newer ATT&CK (or a typo) in a hand-edited or newer file.
    let mut unknown = review.verdicts[0].clone();
    unknown.technique = "T9999".into();
    review.verdicts.push(unknown);
    let attached = review.attach(&report);
    assert_eq!(
        attached.overlay.report.get("T1059.001"),
        Some(&ReviewStatus::Accepted)
    );
    assert_eq!(
        attached.remapped,
        [("T1086".to_owned(), "T1059.001".to_owned())]
    );
    assert_eq!(attached.unknown, ["T9999"]);
    let warnings = attached.warnings().join("\n");
    assert!(
        warnings.contains("T1086 is revoked") && warnings.contains("T9999 is not in ATT&CK"),
        "{warnings}"
    );
}

#[test]
fn two_writers_lose_no_verdicts_and_the_later_verdict_wins() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let report = report();
    let mut a = ReviewFile::open(&path, &report).unwrap();
    let mut b = ReviewFile::open(&path, &report).unwrap();
    a.record(
        &report,
        &reviewer("alice", 1),
        "T1486",
        Scope::Report,
        Verdict::Accepted,
        None,
    )
    .unwrap();
    b.record(
        &report,
        &reviewer("bob", 2),
        "T1003.001",
        Scope::Chunk(1),
        Verdict::Rejected,
        None,
    )
    .unwrap();
    // Bob disagrees with Alice, later.
    b.record(
        &report,
        &reviewer("bob", 3),
        "T1486",
        Scope::Report,
        Verdict::Rejected,
        None,
    )
    .unwrap();
    a.save(&path).unwrap();
    b.save(&path).unwrap();
    // Alice saves again with her older verdict still in memory: Bob's later one stays.
    a.save(&path).unwrap();
    let on_disk = ReviewFile::load(&path).unwrap().unwrap();
    assert_eq!(on_disk, a);
    let verdicts: Vec<(&str, Verdict, &str)> = on_disk
        .verdicts
        .iter()
        .map(|v| (v.technique.as_str(), v.verdict, v.analyst.as_str()))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("T1486", Verdict::Rejected, "bob"),
            ("T1003.001", Verdict::Rejected, "bob")
        ]
    );
}

#[test]
fn concurrent_saves_from_threads_keep_every_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("r.json"));
    let report = Arc::new(report());
    let ids = ["T1486", "T1003.001", "T1059.001", "T1566", "T1082", "T1021"];
    let threads: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let (path, report) = (path.clone(), report.clone());
            let id = id.to_string();
            std::thread::spawn(move || {
                let mut review = ReviewFile::new(&report);
                review
                    .record(
                        &report,
                        &reviewer(&format!("analyst{i}"), i as u8),
                        &id,
                        Scope::Report,
                        Verdict::Added,
                        None,
                    )
                    .unwrap();
                review.save(&path).unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let on_disk = ReviewFile::load(&path).unwrap().unwrap();
    let mut found: Vec<&str> = on_disk
        .verdicts
        .iter()
        .map(|v| v.technique.as_str())
        .collect();
    found.sort_unstable();
    let mut expected = ids.to_vec();
    expected.sort_unstable();
    assert_eq!(found, expected);
}

#[test]
fn training_records_hold_present_and_rejected_techniques_per_text() {
    let report = report();
    let mut review = ReviewFile::new(&report);
    let r = reviewer("a", 1);
    review
        .record(&report, &r, "T1086", Scope::Report, Verdict::Accepted, None)
        .unwrap();
    review
        .record(
            &report,
            &r,
            "T1003.001",
            Scope::Chunk(1),
            Verdict::Rejected,
            None,
        )
        .unwrap();
    review
        .record(&report, &r, "T1555", Scope::Chunk(1), Verdict::Added, None)
        .unwrap();
    review
        .record(&report, &r, "T1486", Scope::Chunk(2), Verdict::Reset, None)
        .unwrap();
    let records = training_records(&[review]);
    let lines: Vec<String> = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    let doc = &report.input.sha256;
    assert_eq!(
        lines,
        [
            format!(
                r#"{{"text":"{}","techniques":["T1059.001"],"negatives":[],"source":"analyst_review","doc":"{doc}"}}"#,
                SENTENCES[0]
            ),
            format!(
                r#"{{"text":"{}","techniques":["T1555"],"negatives":["T1003.001"],"source":"analyst_review","doc":"{doc}"}}"#,
                SENTENCES[1]
            ),
        ]
    );
}

#[test]
fn notes_go_on_an_existing_verdict_and_survive_a_new_verdict() {
    let report = report();
    let mut review = ReviewFile::new(&report);
    let err = review
        .set_note(&report, &reviewer("a", 1), "T1486", Scope::Report, "why")
        .unwrap_err();
    assert!(err.to_string().contains("no verdict on T1486"), "{err}");
    review
        .record(
            &report,
            &reviewer("a", 1),
            "T1486",
            Scope::Chunk(2),
            Verdict::Accepted,
            None,
        )
        .unwrap();
    review
        .set_note(
            &report,
            &reviewer("b", 2),
            "T1486",
            Scope::Chunk(2),
            "  ransom note seen ",
        )
        .unwrap();
    assert_eq!(
        review.note(&report, "T1486", Scope::Chunk(2)),
        Some("ransom note seen")
    );
    assert_eq!(review.verdicts[0].analyst, "b");
    // Changing the verdict keeps the note; an empty note removes it.
    review
        .record(
            &report,
            &reviewer("a", 3),
            "T1486",
            Scope::Chunk(2),
            Verdict::Rejected,
            None,
        )
        .unwrap();
    assert_eq!(
        review.note(&report, "T1486", Scope::Chunk(2)),
        Some("ransom note seen")
    );
    review
        .set_note(&report, &reviewer("a", 4), "T1486", Scope::Chunk(2), "")
        .unwrap();
    assert_eq!(review.note(&report, "T1486", Scope::Chunk(2)), None);
}
