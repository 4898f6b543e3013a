//! Token attributions on the committed fixture model (real ONNX graph, real ONNX Runtime).

mod common;

use std::cell::RefCell;
use std::collections::BTreeSet;

use mitremap_engine::analysis::{AnalysisOptions, Analyzer, CancelToken, Event};
use mitremap_engine::explain::{
    self, ChunkGame, ExplainOptions, Explanation, Masking, explain_chunk, partition,
};
use mitremap_engine::model::{Classifier, Encoded};
use mitremap_engine::text::Document;

/// Additivity: |base + Σ tokens − output| must stay within this (exact by construction; this
/// only absorbs f32/f64 rounding).
const TOLERANCE: f32 = 1e-4;

const TEXTS: &[&str] = &[
    "APT29 used PowerShell to download a second-stage payload from 203.0.113.7.",
    "The actor dumped credentials from LSASS memory with Mimikatz.",
    "Spearphishing emails carried a malicious Word attachment. Opening it ran a macro that dropped \
     rundll32.exe into %APPDATA% and created a Run key for persistence. The implant beaconed over \
     HTTPS to evil.example.com.",
    "Files were encrypted and a ransom note was left on the desktop.",
    "ok",
];

fn encode_at(model: &Classifier, doc: &str, start: usize, end: usize) -> Encoded {
    let mut e = model.encoder().encode(&doc[start..end]).unwrap();
    e.shift(start);
    e
}

fn all_labels(model: &Classifier) -> Vec<usize> {
    (0..model.labels().len()).collect()
}

fn check_additive(ex: &Explanation) {
    let sum: f32 = ex.tokens.iter().map(|t| t.value).sum();
    let err = (ex.base + sum - ex.output).abs();
    assert!(
        err <= TOLERANCE,
        "{}: base {} + Σ {} != output {} (err {err})",
        ex.label,
        ex.base,
        sum,
        ex.output
    );
}

#[test]
fn attributions_add_up_to_output_minus_base() {
    let model = common::fixture();
    let labels = all_labels(&model);
    for text in TEXTS {
        let e = model.encoder().encode(text).unwrap();
        let direct = model.scores(&[&e.ids]).unwrap().remove(0);
        for budget in [2, 7, 32, 256, 4096] {
            let out = explain_chunk(&model, text, &e, &labels, &ExplainOptions { budget }).unwrap();
            assert_eq!(out.len(), labels.len());
            for (ex, &l) in out.iter().zip(&labels) {
                assert_eq!(ex.label_index, l);
                assert_eq!(ex.label, model.labels()[l]);
                assert!(
                    (ex.output - direct[l]).abs() < 1e-5,
                    "output is the model's score"
                );
                check_additive(ex);
                // Words hold every token that has a range.
                let words: f32 = ex.words.iter().map(|w| w.value).sum();
                let tokens: f32 = ex.tokens.iter().map(|t| t.value).sum();
                assert!(
                    (words - tokens).abs() <= TOLERANCE,
                    "{text}: {words} vs {tokens}"
                );
                assert_eq!(ex.method, explain::METHOD);
            }
        }
    }
}

#[test]
fn attributions_cover_only_content_tokens_and_words_slice_the_document() {
    let model = common::fixture();
    let doc = format!("Preamble that is not explained. {}", TEXTS[2]);
    let start = doc.find("Spearphishing").unwrap();
    let e = encode_at(&model, &doc, start, doc.len());
    let out = explain_chunk(&model, &doc, &e, &[0, 3], &ExplainOptions::default()).unwrap();
    for ex in &out {
        assert_eq!(ex.tokens.len(), e.content_len());
        let expected: Vec<_> = e.ranges.iter().flatten().cloned().collect();
        let got: Vec<_> = ex.tokens.iter().filter_map(|t| t.range.clone()).collect();
        assert_eq!(got, expected, "tokens carry the document ranges, in order");
        let mut last_end = start;
        for w in &ex.words {
            assert!(w.range.start >= last_end && w.range.end > w.range.start);
            let word = &doc[w.range.clone()]; // panics if not on char boundaries
            assert!(!word.contains(char::is_whitespace), "{word:?}");
            last_end = w.range.end;
        }
        assert!(last_end <= doc.len());
        let words: Vec<&str> = ex.words.iter().map(|w| &doc[w.range.clone()]).collect();
        for expected in [
            "Spearphishing",
            "rundll32.exe",
            "evil.example.com",
            "persistence",
        ] {
            assert!(words.contains(&expected), "{expected} in {words:?}");
        }
        assert!(words.contains(&"."), "sentence punctuation is its own word");
    }
}

#[test]
fn special_tokens_are_never_players() {
    // A BERT-shaped encoding: [CLS] a b [SEP]; the specials keep their place in every sequence.
    let encoded = Encoded {
        ids: vec![101, 7, 8, 102],
        ranges: vec![None, Some(0..1), Some(2..3), None],
        special: 2,
    };
    let flags = explain::game::special_positions(&encoded, |id| id == 101 || id == 102);
    assert_eq!(flags, vec![true, false, false, true]);
    let game = ChunkGame::from_parts(&encoded, &flags, |id| format!("t{id}"), Masking::Delete);
    assert_eq!(game.len(), 2);
    assert_eq!(game.sequence(|_| false), vec![101, 102]);
    assert_eq!(game.sequence(|i| i == 1), vec![101, 8, 102]);
    let masked = ChunkGame::from_parts(
        &encoded,
        &flags,
        |id| format!("t{id}"),
        Masking::Replace(103),
    );
    assert_eq!(masked.sequence(|i| i == 0), vec![101, 7, 103, 102]);
}

#[test]
fn budget_is_respected_and_counted() {
    let model = common::fixture();
    let e = model.encoder().encode(TEXTS[2]).unwrap();
    let labels = all_labels(&model);
    for budget in [0, 1, 2, 3, 4, 5, 9, 40, 128] {
        let rows = RefCell::new(0usize);
        let game = ChunkGame::new(&model, &e, Masking::for_model(&model));
        let est = partition::estimate(&game, &labels, budget, &mut |batch, _| {
            *rows.borrow_mut() += batch.len();
            model.scores(batch)
        })
        .unwrap();
        assert_eq!(
            est.evaluations,
            *rows.borrow(),
            "evaluations counts every scored row"
        );
        assert!(
            est.evaluations <= budget.max(partition::MIN_BUDGET),
            "budget {budget}: {} passes",
            est.evaluations
        );
        let out = explain_chunk(&model, TEXTS[2], &e, &labels, &ExplainOptions { budget }).unwrap();
        assert_eq!(out[0].evaluations, est.evaluations);
        out.iter().for_each(check_additive);
    }
}

#[test]
fn adaptive_splits_are_additive_within_budget_and_exact_when_unconstrained() {
    let model = common::fixture();
    let labels = all_labels(&model);
    for text in TEXTS {
        let e = model.encoder().encode(text).unwrap();
        let game = ChunkGame::new(&model, &e, Masking::for_model(&model));
        for budget in [3, 10, 40, 128] {
            let est = partition::estimate_with(
                &game,
                &labels,
                budget,
                partition::Expansion::Adaptive,
                &mut |b, _| model.scores(b),
            )
            .unwrap();
            assert!(est.evaluations <= budget);
            for (j, t) in est.tokens.iter().enumerate() {
                let sum: f64 = t.iter().sum();
                let err = (f64::from(est.base[j]) + sum - f64::from(est.output[j])).abs();
                assert!(err <= f64::from(TOLERANCE), "{text} budget {budget}: {err}");
            }
        }
        // With budget to spare, adaptive = Owen everywhere = the exact Owen values.
        let a = partition::estimate_with(
            &game,
            &labels,
            1 << 20,
            partition::Expansion::Adaptive,
            &mut |b, _| model.scores(b),
        )
        .unwrap();
        let o = partition::estimate_with(
            &game,
            &labels,
            1 << 20,
            partition::Expansion::Owen,
            &mut |b, _| model.scores(b),
        )
        .unwrap();
        assert!(a.converged && o.converged);
        for (x, y) in a.tokens.iter().flatten().zip(o.tokens.iter().flatten()) {
            assert!((x - y).abs() < 1e-4, "{text}: {x} vs {y}");
        }
    }
}

#[test]
fn converges_early_on_a_short_chunk() {
    let model = common::fixture();
    let e = model.encoder().encode(TEXTS[1]).unwrap();
    let game = ChunkGame::new(&model, &e, Masking::for_model(&model));
    let est = partition::estimate(&game, &[0, 1], 100_000, &mut |b, _| model.scores(b)).unwrap();
    assert!(est.converged);
    // Exact Owen values need at most 2 passes per (node, context) pair; far below the budget.
    assert!(est.evaluations < 100_000);
}

#[test]
fn two_players_get_exact_shapley_values() {
    // With an unlimited budget the estimate is the exact Owen value; for two players (one each
    // side of the root) that is their Shapley value, checked here by brute force.
    let model = common::fixture();
    let e = model.encoder().encode("Hello world").unwrap();
    let game = ChunkGame::new(&model, &e, Masking::Delete);
    assert_eq!(game.len(), 2, "{:?}", e.ids);
    let est = partition::estimate(&game, &[5, 2], 10_000, &mut |b, _| model.scores(b)).unwrap();
    assert!(est.converged);
    for (j, label) in [5, 2].into_iter().enumerate() {
        let f = |a: bool, b: bool| {
            let seq = game.sequence(|i| if i == 0 { a } else { b });
            model.scores(&[&seq]).unwrap()[0][label]
        };
        let phi0 = 0.5 * ((f(true, false) - f(false, false)) + (f(true, true) - f(false, true)));
        let phi1 = 0.5 * ((f(false, true) - f(false, false)) + (f(true, true) - f(true, false)));
        assert!((est.tokens[j][0] as f32 - phi0).abs() < 1e-5);
        assert!((est.tokens[j][1] as f32 - phi1).abs() < 1e-5);
    }
}

#[test]
fn explanations_are_deterministic() {
    let model = common::fixture();
    let labels = all_labels(&model);
    for text in TEXTS {
        let e = model.encoder().encode(text).unwrap();
        let a = explain_chunk(&model, text, &e, &labels, &ExplainOptions { budget: 64 }).unwrap();
        let b = explain_chunk(&model, text, &e, &labels, &ExplainOptions { budget: 64 }).unwrap();
        assert_eq!(a, b);
    }
}

#[test]
fn gpt2_masking_never_puts_a_pad_id_in_a_sequence() {
    let model = common::fixture();
    let pad = model.manifest().pad_token_id;
    let labels = all_labels(&model);
    for text in TEXTS {
        let e = model.encoder().encode(text).unwrap();
        let game = ChunkGame::new(&model, &e, Masking::for_model(&model));
        let seen = RefCell::new(Vec::<Vec<Vec<u32>>>::new());
        partition::estimate(&game, &labels, 256, &mut |batch, _| {
            seen.borrow_mut()
                .push(batch.iter().map(|s| s.to_vec()).collect());
            model.scores(batch)
        })
        .unwrap();
        for batch in seen.borrow().iter() {
            for seq in batch {
                assert!(!seq.contains(&pad), "pad id inside {seq:?}");
                // Deletion keeps order: every sequence is a subsequence of the chunk.
                let mut it = e.ids.iter();
                assert!(seq.iter().all(|id| it.any(|x| x == id)));
                if seq.is_empty() {
                    assert_eq!(batch.len(), 1, "the empty sequence is scored alone");
                }
            }
        }
    }
}

#[test]
fn no_labels_or_no_content_cost_nothing_extra() {
    let model = common::fixture();
    let e = model.encoder().encode(TEXTS[0]).unwrap();
    assert!(
        explain_chunk(&model, TEXTS[0], &e, &[], &ExplainOptions::default())
            .unwrap()
            .is_empty()
    );
    let empty = Encoded {
        ids: vec![],
        ranges: vec![],
        special: 0,
    };
    let out = explain_chunk(&model, "", &empty, &[1], &ExplainOptions::default()).unwrap();
    assert!(out[0].tokens.is_empty() && out[0].words.is_empty());
    assert_eq!(out[0].output, out[0].base);
}

#[test]
fn analyzer_explains_every_prediction_above_the_threshold() {
    let model = common::fixture();
    let analyzer = Analyzer::new(model.clone());
    let text = format!("{} {} {}", TEXTS[0], TEXTS[2], TEXTS[3]);
    let doc = Document::from_text(text.clone());
    let options = AnalysisOptions {
        threshold: 0.15,
        chunk_sentences: 2,
        explain: Some(ExplainOptions { budget: 48 }),
        ..AnalysisOptions::default()
    };
    let mut expected: Vec<(usize, BTreeSet<usize>, std::ops::Range<usize>)> = Vec::new();
    let mut explained: Vec<(usize, Vec<Explanation>)> = Vec::new();
    analyzer
        .run(
            &doc,
            &options,
            &CancelToken::new(),
            &mut |event| match event {
                Event::Chunk(c) => {
                    let above = c
                        .scores
                        .iter()
                        .filter(|p| p.score >= options.threshold)
                        .map(|p| p.label)
                        .collect();
                    expected.push((c.index, above, c.range.clone()));
                }
                Event::Explained {
                    chunk,
                    explanations,
                } => explained.push((chunk, explanations)),
                _ => {}
            },
        )
        .unwrap();
    assert!(expected.len() >= 2, "several chunks");
    let with_labels: Vec<_> = expected.iter().filter(|(_, s, _)| !s.is_empty()).collect();
    assert!(
        !with_labels.is_empty(),
        "threshold low enough to predict something"
    );
    assert_eq!(explained.len(), with_labels.len());
    for ((index, labels, range), (chunk, exs)) in with_labels.into_iter().zip(&explained) {
        assert_eq!(index, chunk);
        let got: BTreeSet<usize> = exs.iter().map(|e| e.label_index).collect();
        assert_eq!(labels, &got);
        for ex in exs {
            check_additive(ex);
            assert!(ex.evaluations <= 48);
            for w in &ex.words {
                assert!(w.range.start >= range.start && w.range.end <= range.end);
                let _ = &text[w.range.clone()];
            }
        }
    }
}

#[test]
fn explanations_serialise() {
    let model = common::fixture();
    let e = model.encoder().encode(TEXTS[1]).unwrap();
    let out = explain_chunk(&model, TEXTS[1], &e, &[2], &ExplainOptions { budget: 16 }).unwrap();
    let json = serde_json::to_string(&out).unwrap();
    let back: Vec<Explanation> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, out);
    assert_eq!(ExplainOptions::default().budget, explain::DEFAULT_BUDGET);
}
