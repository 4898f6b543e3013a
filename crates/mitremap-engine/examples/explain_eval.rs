//! Explanation timing and faithfulness on a model folder (see `tools/explain/RESULTS.md`).
//!
//! ```text
//! cargo run --release -p mitremap-engine --example explain_eval -- time MODEL_DIR TEXTS.txt [--budget N] [--threads N]
//! cargo run --release -p mitremap-engine --example explain_eval -- faithfulness MODEL_DIR DATA.jsonl [--chunks N] [--budget N] [--threads N]
//! ```
//!
//! `time`: one chunk per line of TEXTS.txt; explains every label at or above the model's threshold
//! (at least the top one) at the given budget and prints one JSON line per chunk with the seconds.
//!
//! `faithfulness`: 3-sentence chunks of AnnoCTR `dev/` sentences (real report prose, in document
//! order) from the shared `train.jsonl`; for the top-1 label of each chunk, deletes the k words with
//! the highest attribution (k = 1..=10) and reports the confidence drop per k and the area over the
//! deletion curve (AODC = mean drop over k) for Partition with Owen-only splits, Partition with
//! adaptive splits (the default), Partition with `[MASK]` replacement (BERT only, Owen splits),
//! leave-one-word-out occlusion, and random word order (5 seeded orders).

use std::path::Path;
use std::time::Instant;

use mitremap_engine::explain::{self, ChunkGame, ExplainOptions, Masking, partition};
use mitremap_engine::model::{Classifier, ModelOptions};

const KMAX: usize = 10;

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!(
            "usage: explain_eval time|faithfulness MODEL_DIR FILE [--budget N] [--threads N] [--chunks N]"
        );
        std::process::exit(2);
    }
    let threads = arg(&args, "--threads", 2);
    let budget = arg(&args, "--budget", ExplainOptions::default().budget);
    let model = Classifier::load(
        Path::new(&args[1]),
        &ModelOptions {
            intra_threads: Some(threads),
            ..ModelOptions::default()
        },
    )
    .expect("model loads");
    match args[0].as_str() {
        "time" => time(&model, &args[2], budget),
        "faithfulness" => faithfulness(&model, &args[2], budget, arg(&args, "--chunks", 60)),
        other => panic!("unknown command {other}"),
    }
}

fn threshold(model: &Classifier) -> f32 {
    model
        .manifest()
        .threshold
        .unwrap_or(mitremap_engine::analysis::DEFAULT_THRESHOLD)
}

fn time(model: &Classifier, file: &str, budget: usize) {
    let text = std::fs::read_to_string(file).expect("texts file");
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let encoded = model.encoder().encode(line).expect("encodes");
        if encoded.ids.len() > model.manifest().max_tokens {
            eprintln!("skipped: {} tokens > max_tokens", encoded.ids.len());
            continue;
        }
        let cpu = cpu_seconds();
        let started = Instant::now();
        let scores = model.score_texts(&[line]).expect("scores").remove(0);
        let labels = labels_to_explain(&scores, threshold(model));
        let out =
            explain::explain_chunk(model, line, &encoded, &labels, &ExplainOptions { budget })
                .expect("explains");
        let secs = started.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu;
        let top = out.iter().map(|e| {
            let mut w = e.words.clone();
            w.sort_by(|a, b| b.value.total_cmp(&a.value));
            let words: Vec<String> = w.iter().take(5).map(|w| format!("{}:{:+.3}", &line[w.range.clone()], w.value)).collect();
            serde_json::json!({"label": e.label, "output": e.output, "base": e.base, "top_words": words})
        }).collect::<Vec<_>>();
        println!(
            "{}",
            serde_json::json!({
                "tokens": encoded.ids.len(),
                "labels": labels.len(),
                "evaluations": out.first().map_or(0, |e| e.evaluations),
                "seconds": secs,
                "cpu_seconds": cpu,
                "explanations": top,
            })
        );
    }
}

/// CPU time of this process (user + system, all threads), from /proc; 0 elsewhere. Less
/// sensitive than wall time to other work on a shared machine.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let Some(after) = stat.rsplit_once(')').map(|(_, a)| a) else {
        return 0.0;
    };
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the command name: state is field 3, utime 14 and stime 15 (1-based, whole line).
    let ticks = |i: usize| {
        fields
            .get(i - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(14) + ticks(15)) / 100.0
}

fn labels_to_explain(scores: &[f32], threshold: f32) -> Vec<usize> {
    let mut labels: Vec<usize> = (0..scores.len())
        .filter(|&l| scores[l] >= threshold)
        .collect();
    if labels.is_empty() {
        let top = (0..scores.len())
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
            .unwrap_or(0);
        labels.push(top);
    }
    labels
}

/// AnnoCTR dev sentences grouped into 3-sentence chunks per document, in document order.
fn dev_chunks(file: &str, max: usize) -> Vec<String> {
    let text = std::fs::read_to_string(file).expect("data file");
    let mut docs: Vec<(String, Vec<(usize, String)>)> = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("jsonl");
        let id = v["source_id"].as_str().unwrap_or("");
        if v["source"] != "annoctr" || !id.starts_with("dev/") {
            continue;
        }
        let (doc, n) = id.rsplit_once('#').unwrap_or((id, "0"));
        let n: usize = n.parse().unwrap_or(0);
        let sentence = v["text"].as_str().unwrap_or("").to_owned();
        match docs.iter_mut().find(|(d, _)| d == doc) {
            Some((_, s)) => s.push((n, sentence)),
            None => docs.push((doc.to_owned(), vec![(n, sentence)])),
        }
    }
    let mut chunks = Vec::new();
    for (_, mut sentences) in docs {
        sentences.sort();
        for group in sentences.chunks(3) {
            chunks.push(
                group
                    .iter()
                    .map(|(_, s)| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
    }
    // Spread the sample over documents deterministically.
    let step = (chunks.len() / max.max(1)).max(1);
    chunks.into_iter().step_by(step).take(max).collect()
}

struct XorShift(u64);
impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// Confidence drop f(x) - f(x without the first k words of `order`), k = 1..=KMAX.
fn deletion_curve(
    model: &Classifier,
    game: &ChunkGame,
    order: &[usize],
    label: usize,
    full: f32,
) -> Vec<f64> {
    let words = game.words();
    let seqs: Vec<Vec<u32>> = (1..=KMAX)
        .map(|k| {
            let mut on = vec![true; game.len()];
            for &w in order.iter().take(k) {
                for t in words[w].tokens.clone() {
                    on[t] = false;
                }
            }
            game.sequence(|i| on[i])
        })
        .collect();
    let batch: Vec<&[u32]> = seqs.iter().map(Vec::as_slice).collect();
    let mut out = Vec::with_capacity(KMAX);
    for (seq, row) in batch.iter().zip(model.scores(&batch).expect("scores")) {
        let _ = seq;
        out.push(f64::from(full - row[label]));
    }
    out
}

fn word_order(game: &ChunkGame, values: &[f64]) -> Vec<usize> {
    let scores: Vec<f64> = game
        .words()
        .iter()
        .map(|w| values[w.tokens.clone()].iter().sum())
        .collect();
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order
}

fn faithfulness(model: &Classifier, file: &str, budget: usize, max_chunks: usize) {
    if model.is_blended() {
        // The deletion curves below score token sequences alone; a blended model's lexical part
        // would need each sequence's text (see explain::explain_chunk), not wired in here yet.
        eprintln!(
            "faithfulness: this model blends a lexical scorer; not supported by this harness"
        );
        std::process::exit(2);
    }
    let chunks = dev_chunks(file, max_chunks);
    let mut methods: Vec<(&str, Vec<f64>, f64, usize)> = vec![
        ("partition, Owen splits only", vec![0.0; KMAX], 0.0, 0),
        ("occlusion (leave-one-word-out)", vec![0.0; KMAX], 0.0, 0),
        ("random (5 orders)", vec![0.0; KMAX], 0.0, 0),
    ];
    methods.push((
        "partition, adaptive splits (default)",
        vec![0.0; KMAX],
        0.0,
        0,
    ));
    let mask = Masking::mask_token(model);
    if mask.is_some() {
        methods.push(("partition, [MASK] replacement", vec![0.0; KMAX], 0.0, 0));
    }
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut used = 0usize;
    let mut tokens = 0usize;
    for text in &chunks {
        let encoded = model.encoder().encode(text).expect("encodes");
        if encoded.ids.len() > model.manifest().max_tokens {
            continue;
        }
        let scores = model.scores(&[&encoded.ids]).expect("scores").remove(0);
        let label = (0..scores.len())
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
            .unwrap();
        let full = scores[label];
        let game = ChunkGame::new(model, &encoded, Masking::Delete);
        if game.words().len() < KMAX + 1 {
            continue;
        }
        used += 1;
        tokens += encoded.ids.len();
        let mut score = |b: &[&[u32]], _: &[&[u64]]| model.scores(b);
        let run = |m: usize,
                   values: &[f64],
                   evals: usize,
                   secs: f64,
                   methods: &mut Vec<(&str, Vec<f64>, f64, usize)>| {
            let curve = deletion_curve(model, &game, &word_order(&game, values), label, full);
            for (acc, d) in methods[m].1.iter_mut().zip(curve) {
                *acc += d;
            }
            methods[m].2 += secs;
            methods[m].3 += evals;
        };
        let t = Instant::now();
        let est = partition::estimate_with(
            &game,
            &[label],
            budget,
            partition::Expansion::Owen,
            &mut score,
        )
        .expect("partition");
        run(
            0,
            &est.tokens[0],
            est.evaluations,
            t.elapsed().as_secs_f64(),
            &mut methods,
        );
        let t = Instant::now();
        let occ = partition::occlusion(&game, &[label], &mut score).expect("occlusion");
        run(
            1,
            &occ.tokens[0],
            occ.evaluations,
            t.elapsed().as_secs_f64(),
            &mut methods,
        );
        let mut random = vec![0.0; KMAX];
        for _ in 0..5 {
            let mut order: Vec<usize> = (0..game.words().len()).collect();
            rng.shuffle(&mut order);
            for (acc, d) in random
                .iter_mut()
                .zip(deletion_curve(model, &game, &order, label, full))
            {
                *acc += d / 5.0;
            }
        }
        for (acc, d) in methods[2].1.iter_mut().zip(random) {
            *acc += d;
        }
        let t = Instant::now();
        let est = partition::estimate_with(
            &game,
            &[label],
            budget,
            partition::Expansion::Adaptive,
            &mut score,
        )
        .expect("partition");
        run(
            3,
            &est.tokens[0],
            est.evaluations,
            t.elapsed().as_secs_f64(),
            &mut methods,
        );
        if let Some(mask) = mask {
            let masked = ChunkGame::new(model, &encoded, mask);
            let t = Instant::now();
            let est = partition::estimate_with(
                &masked,
                &[label],
                budget,
                partition::Expansion::Owen,
                &mut score,
            )
            .expect("partition");
            run(
                4,
                &est.tokens[0],
                est.evaluations,
                t.elapsed().as_secs_f64(),
                &mut methods,
            );
        }
    }
    let n = used.max(1) as f64;
    println!(
        "model {} | {} chunks (3 AnnoCTR dev sentences each, mean {:.0} tokens) | top-1 label | budget {budget}",
        model.manifest().name,
        used,
        tokens as f64 / n
    );
    println!(
        "confidence drop after deleting the top-k words (mean over chunks); AODC = mean over k=1..{KMAX}"
    );
    println!("| method | k=1 | k=3 | k=5 | k=10 | AODC | passes/chunk | s/chunk |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, curve, secs, evals) in &methods {
        let c: Vec<f64> = curve.iter().map(|x| x / n).collect();
        let aodc = c.iter().sum::<f64>() / KMAX as f64;
        println!(
            "| {name} | {:.4} | {:.4} | {:.4} | {:.4} | **{aodc:.4}** | {} | {} |",
            c[0],
            c[2],
            c[4],
            c[9],
            if *evals > 0 {
                format!("{:.0}", *evals as f64 / n)
            } else {
                "-".into()
            },
            if *secs > 0.0 {
                format!("{:.3}", secs / n)
            } else {
                "-".into()
            },
        );
    }
}
