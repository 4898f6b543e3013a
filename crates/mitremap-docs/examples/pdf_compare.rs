//! Compares the two wired PDF text extractors on PDFs whose true text is known.
//!
//! `cargo run -p mitremap-docs --release --example pdf_compare -- A.pdf A.txt [B.pdf B.txt ...]`
//!
//! For each PDF and extractor: word recall (share of the true text's words found, counted as a
//! multiset), order (longest common subsequence of the word sequences over the true word count),
//! and time. Words are compared after the same clean-up the front end applies.

use std::collections::HashMap;
use std::time::Instant;

use mitremap_docs::pdf::{Extractor, extract_with};
use mitremap_docs::{Format, Options};

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '.' && c != '-')
        .map(|w| w.trim_matches(['.', '-']).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

/// Whitespace-separated tokens that look like identifiers or indicators (`a_b`, `x.dll`,
/// `C:\\path`, `a/b`): a line break or space inside one breaks an IoC.
fn indicator_tokens(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(|w| w.trim_matches(|c: char| ",;:()\"'`[]".contains(c) || c == '.'))
        .filter(|w| w.len() >= 4 && w.chars().any(|c| "_./\\".contains(c)))
        .map(str::to_owned)
        .collect()
}

fn recall(truth: &[String], got: &[String]) -> f64 {
    let mut bag: HashMap<&str, usize> = HashMap::new();
    for w in got {
        *bag.entry(w).or_default() += 1;
    }
    let found = truth
        .iter()
        .filter(|w| {
            bag.get_mut(w.as_str())
                .filter(|n| **n > 0)
                .map(|n| *n -= 1)
                .is_some()
        })
        .count();
    found as f64 / truth.len().max(1) as f64
}

fn lcs(a: &[String], b: &[String]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    for x in a {
        let mut cur = vec![0usize; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        prev = cur;
    }
    prev[b.len()]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 || !args.len().is_multiple_of(2) {
        eprintln!("usage: pdf_compare A.pdf A.txt [B.pdf B.txt ...]");
        std::process::exit(2);
    }
    println!(
        "| PDF | extractor | word recall | order (LCS) | indicator-like tokens intact | ms | MB/s |"
    );
    println!("|---|---|---|---|---|---|---|");
    for pair in args.chunks(2) {
        let pdf = std::fs::read(&pair[0]).expect("read PDF");
        let truth_text = std::fs::read_to_string(&pair[1]).expect("read truth");
        let truth = words(&truth_text);
        let truth_tokens = indicator_tokens(&truth_text);
        for extractor in [Extractor::PdfExtract, Extractor::Lopdf] {
            let started = Instant::now();
            let result = extract_with(&pdf, &Options::default(), extractor);
            let secs = started.elapsed().as_secs_f64();
            let name = std::path::Path::new(&pair[0])
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match result {
                Ok(e) => {
                    assert_eq!(e.format, Format::Pdf);
                    let got = words(&e.text);
                    println!(
                        "| {name} | {} | {:.3} | {:.3} | {:.3} ({}) | {:.1} | {:.2} |",
                        extractor.name(),
                        recall(&truth, &got),
                        lcs(&truth, &got) as f64 / truth.len().max(1) as f64,
                        recall(&truth_tokens, &indicator_tokens(&e.text)),
                        truth_tokens.len(),
                        secs * 1000.0,
                        pdf.len() as f64 / 1e6 / secs
                    );
                    if std::env::var_os("SHOW").is_some() {
                        println!("```\n{}\n```", e.text);
                    }
                }
                Err(e) => println!("| {name} | {} | error: {e} | | | | |", extractor.name()),
            }
        }
    }
}
