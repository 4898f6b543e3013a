//! Shared test helpers: a real report from the committed fixture model on a fixed, IoC-rich text.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use mitremap_engine::analysis::{AnalysisOptions, Analyzer, CancelToken, Report};
use mitremap_engine::model::{Classifier, ModelOptions};
use mitremap_engine::text::Document;
use mitremap_export::ExportOptions;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fixed threat-report text with every IoC kind the STIX exporter maps (and some it skips).
pub const INPUT: &str = "\
APT29 used PowerShell to download a second-stage payload from 185.220.101.45 and 2a0b:4140:ab12::7. \
The actor dumped credentials from LSASS memory with Mimikatz. \
Spear-phishing e-mails from billing@evil-corp[.]net carried a macro document invoice_2024.docm.\n\n\
The loader contacted hxxps://update.evil-corp[.]net/gate.php?id=7&k='x' and the internal host 10.0.0.5 over HTTPS. \
It persisted via HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater and dropped C:\\Users\\Public\\svchost.exe. \
Hashes: MD5 44d88612fea8a8f36de82e1278abb02f, SHA-1 3395856ce81f2b7382dee72602f798b642f14140, \
SHA-256 275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f.\n\n\
Files were encrypted after exploiting CVE-2023-4966; the script /tmp/.x/run.sh wrote README_DECRYPT.txt. \
The C2 ran in AS13335 and a device with MAC 00:1A:2B:3C:4D:5E beaconed to 45.33.32.156 | see T1486 and rule \"APT29_Loader\". \
Ransom was paid to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa; see www.microsoft.com for the *advisory* <b>[1]</b>.\n";

/// The timestamp every export in the tests uses.
pub fn fixed_now() -> time::OffsetDateTime {
    time::macros::datetime!(2026-01-02 03:04:05.678 UTC)
}

/// Export options with the fixed timestamp.
pub fn options() -> ExportOptions {
    ExportOptions {
        now: Some(fixed_now()),
        include_text: true,
        omit_timings: true,
        ..ExportOptions::default()
    }
}

/// The fixture model, loaded once per test binary.
pub fn fixture() -> Arc<Classifier> {
    static MODEL: OnceLock<Arc<Classifier>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let options = ModelOptions {
                intra_threads: Some(1),
                ..ModelOptions::default()
            };
            Arc::new(
                Classifier::load(&repo_root().join("tests/fixtures/tiny-gpt2"), &options)
                    .expect("fixture model loads; run tools/setup-ort.sh first"),
            )
        })
        .clone()
}

/// The report of the fixture model on [`INPUT`]. The fixture's scores are random but fixed;
/// a low threshold makes several techniques pass so every exporter has rows to write.
pub fn report() -> Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(fresh_report).clone()
}

/// A new analysis of [`INPUT`] (for determinism checks across runs).
pub fn fresh_report() -> Report {
    {
        {
            let analyzer = Analyzer::new(fixture());
            let options = AnalysisOptions {
                threshold: 0.2,
                chunk_sentences: 2,
                ..AnalysisOptions::default()
            };
            analyzer
                .analyze(
                    Arc::new(Document::from_text(INPUT)),
                    Some("apt29-loader-report.txt".into()),
                    &options,
                    &CancelToken::new(),
                )
                .expect("fixture analysis runs")
        }
    }
}

/// A catalogue imported from one of the STIX bundles in `tests/fixtures/attack/` (kept for the
/// rest of the test binary, as a run keeps its catalogue).
pub fn imported_catalogue(file: &str) -> &'static mitremap_engine::attack::Catalog {
    use mitremap_engine::attack::{Origin, stix};
    let path = repo_root().join("tests/fixtures/attack").join(file);
    let bundle = std::fs::File::open(&path).unwrap();
    let catalog = stix::import(bundle, None, file.to_owned())
        .unwrap()
        .with_origin(Origin::File(path));
    Box::leak(Box::new(catalog))
}

/// Text for [`labelled_report`]: one sentence per chunk.
pub const LABELLED_TEXT: &str = "The actor disabled Defender. \
It impaired defences on the host. \
Tools were copied laterally. \
The payload was packed. \
Rundll32 ran the loader. \
PowerShell fetched stage two.";

/// A report whose model names `labels` (ATT&CK v18.1 IDs), chunk `i` (sentence `i` of
/// [`LABELLED_TEXT`]) scoring label `i` at 0.9 and the others at 0.01, made in `catalog`.
pub fn labelled_report(
    labels: &[&str],
    catalog: &'static mitremap_engine::attack::Catalog,
) -> Report {
    use mitremap_engine::analysis::{ChunkResult, Event, ModelInfo, ReportOptions};
    use mitremap_engine::model::{Activation, Architecture, Integrity};
    let doc = Arc::new(Document::from_text(LABELLED_TEXT));
    let model = ModelInfo {
        name: "labelled".into(),
        version: "1".into(),
        architecture: Architecture::Gpt2,
        activation: Activation::Sigmoid,
        attack_version: "18.1".into(),
        integrity: Integrity::Verified,
        labels: labels.iter().map(|s| s.to_string()).collect(),
    };
    let options = ReportOptions {
        threshold: 0.5,
        chunk_sentences: 1,
        max_tokens: None,
        explain: false,
    };
    let mut report = Report::new(
        doc.clone(),
        Some("labelled.txt".into()),
        Some(model),
        options,
    );
    report.attack = catalog;
    let sentences: Vec<(usize, usize)> = {
        let text = doc.text();
        let mut out = Vec::new();
        let mut start = 0;
        for (i, _) in text.match_indices(". ") {
            out.push((start, i + 1));
            start = i + 2;
        }
        out.push((start, text.len()));
        out
    };
    for (i, _) in labels.iter().enumerate() {
        let (start, end) = sentences[i % sentences.len()];
        let mut row = vec![0.01; labels.len()];
        row[i] = 0.9;
        report.apply(&Event::Chunk(ChunkResult::from_scores(
            i,
            start..end,
            8,
            &row,
            0.05,
        )));
    }
    report.apply(&Event::Finished(Default::default()));
    report
}
