//! End-to-end engine runs on the fixture model: streaming, cancellation, chunking limits.

mod common;

use std::sync::Arc;

use mitremap_engine::Error;
use mitremap_engine::analysis::{
    AnalysisOptions, Analyzer, CancelToken, ChunkCache, ChunkResult, Event,
};
use mitremap_engine::text::Document;
use mitremap_engine::text::chunk::{ChunkPlan, TokenBudget, fit_window};
use proptest::prelude::*;

const REPORT: &str = "APT29 sent spearphishing e-mails with a malicious attachment. A macro launched PowerShell. \
It downloaded a payload from hxxp://evil[.]example[.]com/a.ps1. The loader created a Run key. \
Credentials were dumped from LSASS. The actor moved laterally to 10.0.4.12. Files were encrypted.";

fn analyzer() -> Analyzer {
    Analyzer::new(common::fixture())
}

#[test]
fn events_stream_in_order_and_fold_into_a_report() {
    let doc = Document::from_text(REPORT);
    let mut events = Vec::new();
    let timings = analyzer()
        .run(
            &doc,
            &AnalysisOptions::default(),
            &CancelToken::new(),
            &mut |e| events.push(e),
        )
        .unwrap();
    assert!(matches!(events[0], Event::Started(p) if p.windows_total == 3));
    assert!(matches!(&events[1], Event::Iocs(iocs) if iocs.iter().any(|i| i.value == "10.0.4.12")));
    assert!(matches!(events.last(), Some(Event::Finished(_))));
    let chunks: Vec<_> = events
        .iter()
        .filter_map(|e| {
            if let Event::Chunk(c) = e {
                Some(c.clone())
            } else {
                None
            }
        })
        .collect();
    assert_eq!(chunks.len(), 3);
    assert_eq!(timings.chunks, 3);
    // Chunks are 3-sentence windows with exact byte ranges, and every chunk has scores for the top labels.
    assert!(
        REPORT[chunks[0].range.clone()].starts_with("APT29")
            && REPORT[chunks[0].range.clone()]
                .ends_with("payload from hxxp://evil[.]example[.]com/a.ps1.")
    );
    assert!(chunks.iter().all(|c| c.scores.len() >= 3));

    let report = analyzer()
        .analyze(
            Arc::new(doc),
            Some("t".into()),
            &AnalysisOptions::default(),
            &CancelToken::new(),
        )
        .unwrap();
    assert_eq!(report.chunks.len(), 3);
    let json = report.to_json(true);
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["chunks"].as_array().unwrap().len(), 3);
    assert_eq!(json["model"]["name"], "test-fixture-tiny-gpt2");
    // Predictions in the JSON are exactly the chunk scores at or above the threshold.
    for (c, jc) in report.chunks.iter().zip(json["chunks"].as_array().unwrap()) {
        assert_eq!(
            jc["predictions"].as_array().unwrap().len(),
            c.above(0.6).count()
        );
    }
}

#[test]
fn spawned_analysis_streams_chunks_before_finishing() {
    let text = [REPORT; 5].join(" ");
    let (rx, _cancel) = analyzer().spawn(
        Arc::new(Document::from_text(text)),
        AnalysisOptions {
            batch_size: 2,
            ..AnalysisOptions::default()
        },
    );
    let events: Vec<Event> = rx.iter().collect();
    let first_chunk = events
        .iter()
        .position(|e| matches!(e, Event::Chunk(_)))
        .unwrap();
    let progress_before_end = events[..events.len() - 1]
        .iter()
        .filter(|e| matches!(e, Event::Progress(_)))
        .count();
    assert!(first_chunk < events.len() - 1);
    assert!(progress_before_end >= 3, "progress arrives batch by batch");
    assert!(matches!(events.last(), Some(Event::Finished(t)) if t.chunks == 12));
}

#[test]
fn cancelling_mid_report_stops_between_batches() {
    let doc = Document::from_text(REPORT.repeat(50));
    let cancel = CancelToken::new();
    let mut chunks = 0;
    let result = analyzer().run(
        &doc,
        &AnalysisOptions {
            batch_size: 4,
            ..AnalysisOptions::default()
        },
        &cancel,
        &mut |e| {
            if matches!(e, Event::Chunk(_)) {
                chunks += 1;
                cancel.cancel();
            }
        },
    );
    assert!(matches!(result, Err(Error::Cancelled)));
    assert!(chunks < 50, "stopped early after {chunks} chunks");
}

#[test]
fn a_100_kb_sentence_without_punctuation_is_split_never_truncated() {
    let text = "the actor ran tools on hosts and moved data ".repeat(2300); // ~100 kB, no punctuation
    let doc = Document::from_text(text.clone());
    let model = common::fixture();
    let mut covered = 0;
    let mut chunks = 0;
    analyzer()
        .run(
            &doc,
            &AnalysisOptions::default(),
            &CancelToken::new(),
            &mut |e| {
                if let Event::Chunk(c) = e {
                    assert!(c.tokens <= model.manifest().max_tokens);
                    covered += text[c.range.clone()].split_whitespace().count();
                    chunks += 1;
                }
            },
        )
        .unwrap();
    assert!(chunks > 30, "{chunks} chunks");
    assert_eq!(
        covered,
        text.split_whitespace().count(),
        "every word is in some chunk"
    );
}

#[test]
fn empty_and_whitespace_input_give_no_chunks() {
    for text in ["", "  \n\t  \n"] {
        let mut chunks = 0;
        analyzer()
            .run(
                &Document::from_text(text),
                &AnalysisOptions::default(),
                &CancelToken::new(),
                &mut |e| {
                    chunks += matches!(e, Event::Chunk(_)) as usize;
                },
            )
            .unwrap();
        assert_eq!(chunks, 0);
    }
}

#[test]
fn nul_bytes_and_invalid_utf8_are_analysed_not_fatal() {
    let doc = Document::from_bytes(
        b"APT29 used \0PowerShell.\0\xff\xfe Then it beaconed to 203.0.113.9.",
    );
    assert!(doc.lossy());
    let report = analyzer()
        .analyze(
            Arc::new(doc),
            None,
            &AnalysisOptions::default(),
            &CancelToken::new(),
        )
        .unwrap();
    assert_eq!(report.chunks.len(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Every non-whitespace byte of the input lies in exactly one chunk; chunks are ordered,
    /// non-overlapping, on char boundaries and within the model's token budget.
    #[test]
    fn chunks_cover_every_byte_once_within_budget(text in "(\\PC|[ \\n.!?]){0,400}", per in 1usize..5) {
        let model = common::fixture();
        let encoder = model.encoder();
        let plan = ChunkPlan::new(&text, per);
        let mut last_end = 0;
        let mut seen = vec![0u8; text.len()];
        for window in &plan.windows {
            for (range, encoded) in fit_window(&text, window, encoder).unwrap() {
                prop_assert!(range.start >= last_end);
                prop_assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
                prop_assert!(encoder.content_tokens(&encoded) <= encoder.budget());
                for b in &mut seen[range.clone()] { *b += 1; }
                last_end = range.end;
            }
        }
        for (i, c) in text.char_indices() {
            if !c.is_whitespace() {
                prop_assert_eq!(seen[i], 1, "byte {} ({:?}) covered {} times", i, c, seen[i]);
            }
        }
    }
}

#[test]
fn tiny_budget_chunks_stay_within_budget_on_unicode() {
    // Multi-byte characters split across byte-level BPE tokens must not produce cuts inside a char.
    let text = "攻撃者は🦀🦀🦀 émoji naïve Ünïcödé ".repeat(200);
    let model = common::fixture();
    let plan = ChunkPlan::new(&text, 3);
    let mut n = 0;
    for w in &plan.windows {
        for (range, enc) in fit_window(&text, w, model.encoder()).unwrap() {
            assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
            assert!(enc.ids.len() <= 512);
            n += 1;
        }
    }
    assert!(n >= 2);
}

/// Chunk results of a run, in index order.
fn chunks_of(analyzer: &Analyzer, text: &str, options: &AnalysisOptions) -> Vec<ChunkResult> {
    let report = analyzer
        .analyze(
            Arc::new(Document::from_text(text)),
            None,
            options,
            &CancelToken::new(),
        )
        .unwrap();
    report.chunks.to_vec()
}

#[test]
fn a_cached_rerun_scores_only_the_windows_an_edit_touched_and_equals_a_full_run() {
    let options = AnalysisOptions {
        chunk_sentences: 1,
        ..AnalysisOptions::default()
    };
    let cache = Arc::new(ChunkCache::default());
    let cached = analyzer().with_cache(cache.clone());
    let windows = REPORT.matches(". ").count() + 1;

    let first = chunks_of(&cached, REPORT, &options);
    assert_eq!(first, chunks_of(&analyzer(), REPORT, &options));
    assert_eq!(
        cache.stats().misses,
        windows,
        "a cold cache scores every window"
    );
    assert_eq!(cache.stats().hits, 0);

    // the same text again: no model work at all
    let again = chunks_of(&cached, REPORT, &options);
    assert_eq!(again, first);
    assert_eq!(cache.stats().misses, windows);
    assert_eq!(cache.stats().hits, windows);

    // one sentence edited (and the text before it shifted): only that window is scored
    let edited = format!(
        "Note: {}",
        REPORT.replace(
            "A macro launched PowerShell.",
            "A macro launched PowerShell twice."
        )
    );
    let mut progress = Vec::new();
    let report = cached
        .analyze(
            Arc::new(Document::from_text(&edited)),
            None,
            &options,
            &CancelToken::new(),
        )
        .unwrap();
    let mut scored = 0;
    cached
        .run(
            &Document::from_text(&edited),
            &options,
            &CancelToken::new(),
            &mut |e| {
                if let Event::Progress(p) = e {
                    progress.push(p);
                }
                if let Event::Finished(t) = e {
                    scored = t.tokens;
                }
            },
        )
        .unwrap();
    let stats = cache.stats();
    // "Note: APT29 ..." changed the first window's text, the edit the second's
    assert_eq!(stats.misses, windows + 2, "{stats:?}");
    assert_eq!(
        report.chunks.to_vec(),
        chunks_of(&analyzer(), &edited, &options),
        "cached results equal a full re-analysis"
    );
    // the third run of the edited text: all from the cache, no tokens fed to the model
    assert_eq!(scored, 0);
    let last = progress.last().unwrap();
    assert_eq!(last.windows_cached_total, windows);
    assert_eq!(last.model_work(), (0, 0));
    assert_eq!(cache.stats().misses, windows + 2);
}

#[test]
fn runs_that_explain_bypass_the_cache() {
    let cache = Arc::new(ChunkCache::default());
    let cached = analyzer().with_cache(cache.clone());
    let options = AnalysisOptions {
        explain: Some(Default::default()),
        ..AnalysisOptions::default()
    };
    chunks_of(&cached, REPORT, &options);
    assert_eq!(cache.stats(), Default::default());
    assert!(cache.is_empty());
}

/// Times a cold run and a cached re-run after a one-word edit (run explicitly, in release for
/// real numbers: `cargo test --release -p mitremap-engine --test analysis cached_rerun -- --ignored --nocapture`).
#[test]
#[ignore = "timing report, run explicitly"]
fn timing_cached_rerun() {
    let mb: usize = std::env::var("MITREMAP_TIMING_MB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    // every sentence distinct (numbered), so the cold run scores them all
    let text: String = (0..mb * 1_000_000 / REPORT.len())
        .map(|i| REPORT.replace(". ", &format!(" {i}. ")))
        .collect::<Vec<_>>()
        .join(" ");
    let options = AnalysisOptions {
        chunk_sentences: 1,
        ..AnalysisOptions::default()
    };
    let cache = Arc::new(ChunkCache::default());
    let cached = analyzer().with_cache(cache.clone());
    let t = std::time::Instant::now();
    chunks_of(&cached, &text, &options);
    eprintln!(
        "cold run, {} bytes: {:?} ({:?})",
        text.len(),
        t.elapsed(),
        cache.stats()
    );
    let mid = text.len() / 2;
    let at = text[mid..].find(". ").unwrap() + mid + 2;
    let edited = format!("{}Edited {}", &text[..at], &text[at..]);
    let t = std::time::Instant::now();
    chunks_of(&cached, &edited, &options);
    eprintln!(
        "re-run after one edit: {:?} ({:?})",
        t.elapsed(),
        cache.stats()
    );
}
