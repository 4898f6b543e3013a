//! `mitremap analyze`: techniques (and IoCs) for one report, as JSON, a table or an export format.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, ValueEnum};
use mitremap_engine::analysis::{AnalysisOptions, Analyzer, CancelToken};
use mitremap_engine::explain::ExplainOptions;
use mitremap_engine::model::Classifier;
use mitremap_export::{ExportOptions, Format};

use super::input::{ReadLimits, load_model, read_input};
use super::{ModelArgs, parse_threshold, table};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Versioned JSON report (schemas/report.schema.json).
    Json,
    /// Human-readable table.
    Table,
    /// STIX 2.1 bundle.
    Stix,
    /// ATT&CK Navigator layer (format 4.5).
    Navigator,
    /// CSV: one row per technique and per IoC.
    Csv,
    /// Markdown report (IoCs defanged unless --fanged).
    Markdown,
}

impl OutputFormat {
    fn export(self) -> Option<Format> {
        match self {
            OutputFormat::Json => Some(Format::Json),
            OutputFormat::Table => None,
            OutputFormat::Stix => Some(Format::Stix),
            OutputFormat::Navigator => Some(Format::Navigator),
            OutputFormat::Csv => Some(Format::Csv),
            OutputFormat::Markdown => Some(Format::Markdown),
        }
    }
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Report to analyse: a file (text, Markdown, HTML, DOCX, PDF or .eml, detected by content),
    /// `-` for stdin (piped stdin is read when no FILE is given), or a folder (batch mode: every
    /// file in it, one JSON line per report).
    pub input: Option<PathBuf>,
    /// Batch mode over a JSONL stream (`-` for stdin): each line `{"id": ..., "text": ...}`;
    /// writes one JSON report per line. Read a line at a time; a line over --max-input is
    /// reported in its place.
    #[arg(long, value_name = "FILE", conflicts_with = "input")]
    pub jsonl: Option<PathBuf>,
    /// Batch mode: reports analysed concurrently (they share one model session).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 2, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub jobs: usize,
    /// Keep predictions with confidence >= this (default: the model's recommendation, else 0.6);
    /// a technique is also listed when its confidences summed over chunks reach it.
    #[arg(long, short = 't', value_name = "0..1", value_parser = parse_threshold)]
    pub threshold: Option<f32>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Json)]
    pub format: OutputFormat,
    /// Write to FILE instead of stdout (`-` means stdout). A regular file is replaced atomically
    /// and keeps its mode; a FIFO or device is written in place; a symlink is followed.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Overwrite the output file if it is an existing regular file.
    #[arg(long)]
    pub force: bool,
    /// Sentences per chunk (default: the model's recommendation, else 3 like the original notebook).
    #[arg(long, value_name = "N", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub chunk_sentences: Option<usize>,
    /// Chunks per inference batch. 1 keeps int8 scores independent of neighbouring chunks; larger
    /// batches (sorted by length) trade that for throughput.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=512))]
    pub batch_size: usize,
    /// Compute token attributions for every prediction above the threshold.
    #[arg(long)]
    pub explain: bool,
    /// Forward passes per chunk for --explain.
    #[arg(long, value_name = "N", default_value_t = ExplainOptions::default().budget, requires = "explain")]
    pub explain_budget: usize,
    /// Keep IoCs fanged in Markdown output.
    #[arg(long)]
    pub fanged: bool,
    /// TLP 2.0 marking for STIX and Markdown exports: clear, green, amber, amber+strict, red.
    #[arg(long, value_name = "LEVEL", value_parser = parse_tlp)]
    pub tlp: Option<mitremap_export::Tlp>,
    /// Also export private/reserved IPs and well-known benign domains as STIX indicators.
    #[arg(long)]
    pub include_noise: bool,
    /// Analyse input that looks binary.
    #[arg(long)]
    pub allow_binary: bool,
    /// Refuse inputs larger than SIZE (bytes, or with K/M/G), before reading past it (in batch
    /// mode: each file, each JSONL line).
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = super::input::parse_size)]
    pub max_input: u64,
    /// Name recorded for the input (default: the file name, `-` for stdin).
    #[arg(long)]
    pub name: Option<String>,
    /// Apply an analyst's review (e.g. `report.txt.mitremap-review.json`, written by the terminal
    /// UI) to the output: each technique gets its verdict; verdicts on text that changed are
    /// re-attached where the text still exists, the others are named on stderr.
    #[arg(long, value_name = "FILE", conflicts_with = "jsonl")]
    pub review: Option<PathBuf>,
    /// With --review: keep techniques the analyst rejected in STIX and Navigator output.
    #[arg(long)]
    pub include_rejected: bool,
    #[command(flatten)]
    pub documents: super::document::DocArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

impl AnalyzeArgs {
    fn limits(&self) -> ReadLimits {
        ReadLimits {
            allow_binary: self.allow_binary,
            max_input: self.max_input,
        }
    }
}

pub fn run(mut args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    if args.output.as_deref() == Some(std::path::Path::new("-")) {
        args.output = None;
    }
    // Fail before a long analysis, not after it.
    if let Some(out) = &args.output {
        mitremap_export::check_destination(out, args.force)?;
    }
    let batch_items = match (&args.jsonl, &args.input) {
        (Some(jsonl), _) => Some(super::batch::open_jsonl(jsonl, args.max_input)?),
        (None, Some(dir)) if dir.is_dir() => Some(super::batch::folder_batch(dir)?),
        _ => None,
    };
    if let Some(items) = batch_items {
        if args.review.is_some() {
            bail!("--review applies to one report, not to a folder or --jsonl batch");
        }
        return run_batch(&args, items);
    }
    // A damaged review file is reported before the analysis, not after it.
    if let Some(review) = &args.review {
        mitremap_review::ReviewFile::load(review)?;
    }
    let input = read_input(
        args.input.as_deref(),
        args.limits(),
        &args.documents.options(args.allow_binary),
    )?;
    if input.document.is_blank() {
        bail!(
            "{} is empty (nothing but whitespace): nothing to analyse",
            input.name
        );
    }
    let classifier = load_model(&args.model)?;
    let options = analysis_options(&args, &classifier);
    let analyzer = Analyzer::new(classifier);
    let name = args.name.clone().unwrap_or(input.name.clone());
    let mut report = analyzer.analyze(
        input.document.clone(),
        Some(name),
        &options,
        &CancelToken::new(),
    )?;
    if let Some(review) = &args.review {
        super::review::apply(&mut report, review)?;
    }
    let (cut, first) = report.cut_words();
    if let Some(first) = first {
        eprintln!(
            "mitremap: note: {cut} word{} longer than {} bytes (the first at byte {first}) {} cut \
             to {} bytes before tokenising (a WordPiece tokenizer, like the shipped model's, reads a word over 100 \
             characters as one [UNK] token either way); chunks holding one have \"cut_words\" in \
             the JSON; IoCs are extracted from the whole text",
            if cut == 1 { "" } else { "s" },
            mitremap_engine::text::chunk::MAX_WORD_BYTES,
            if cut == 1 { "was" } else { "were" },
            mitremap_engine::text::chunk::MAX_WORD_BYTES,
        );
    }

    // The JSON report streams straight to its destination (no second copy of a large report in
    // memory); other formats are rendered first.
    let write: Box<WriteOutput> = match args.format.export() {
        Some(Format::Json) => match &input.source {
            None => Box::new(|w: &mut dyn Write| {
                mitremap_export::json::to_writer_pretty(&mut *w, &report.json_view(true))?;
                w.write_all(b"\n")
            }),
            // A document's report carries pages/sections: built as a value to add them.
            Some(source) => {
                let mut value = serde_json::to_value(report.json_view(true))?;
                super::document::annotate_report(&mut value, source);
                Box::new(move |w: &mut dyn Write| {
                    mitremap_export::json::to_writer_pretty(&mut *w, &value)?;
                    w.write_all(b"\n")
                })
            }
        },
        Some(format) => {
            // Unless --tlp says otherwise, an export carries the marking written in the text
            // (a TLP:AMBER report must not leave as an unmarked bundle), and says so.
            let tlp = args.tlp.or_else(|| {
                let found = mitremap_export::marking_in_text(&report);
                if let Some(t) = found {
                    // ignore write errors: stderr may be a closed pipe
                    let _ = writeln!(
                        std::io::stderr(),
                        "mitremap: note: the text is marked {}: the export carries it (--tlp LEVEL to change)",
                        t.label()
                    );
                }
                found
            });
            let export = ExportOptions {
                fanged: args.fanged,
                include_text: true,
                tlp,
                include_noise: args.include_noise,
                include_rejected: args.include_rejected,
                ..ExportOptions::default()
            };
            let bytes =
                crate::document_source::render(format, &report, &export, input.source.as_ref())?;
            Box::new(move |w: &mut dyn Write| w.write_all(&bytes))
        }
        None => {
            let locate = input
                .source
                .as_ref()
                .map(|source| move |offset: usize| source.map.locate(offset).map(|l| l.label()));
            let table = table::report_table(
                &report,
                locate
                    .as_ref()
                    .map(|f| f as &dyn Fn(usize) -> Option<String>),
            );
            Box::new(move |w: &mut dyn Write| w.write_all(table.as_bytes()))
        }
    };
    match &args.output {
        Some(path) => mitremap_export::write_atomic_with(path, args.force, |w| write(w))?,
        None => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            if let Err(e) = write(&mut stdout).and_then(|_| stdout.flush())
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                return Err(e.into());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the command's output to a destination (a file being written atomically, or stdout).
type WriteOutput<'a> = dyn Fn(&mut dyn Write) -> std::io::Result<()> + 'a;

fn analysis_options(args: &AnalyzeArgs, classifier: &Classifier) -> AnalysisOptions {
    let model = AnalysisOptions::for_model(classifier.manifest());
    AnalysisOptions {
        threshold: args.threshold.unwrap_or(model.threshold),
        chunk_sentences: args.chunk_sentences.unwrap_or(model.chunk_sentences),
        batch_size: args.batch_size,
        explain: args.explain.then_some(ExplainOptions {
            budget: args.explain_budget,
        }),
        ..model
    }
}

/// Folder or JSONL input: JSON lines out (the only format that makes sense for many reports).
fn run_batch(args: &AnalyzeArgs, items: super::batch::Items) -> anyhow::Result<ExitCode> {
    if args.format != OutputFormat::Json {
        bail!(
            "batch mode (a folder or --jsonl) writes JSON lines; drop --format {:?}",
            args.format
        );
    }
    let classifier = load_model(&args.model)?;
    let options = analysis_options(args, &classifier);
    let analyzer = Analyzer::new(classifier);
    let limits = args.limits();
    let documents = args.documents.options(args.allow_binary);
    let failed = match &args.output {
        None => super::batch::run(
            items,
            &analyzer,
            &options,
            args.jobs,
            (limits, &documents),
            &mut std::io::stdout().lock(),
        )?,
        Some(path) => {
            // Streamed into the temporary file, not held: a batch's output can be large.
            let mut failed = 0;
            let mut batch_error = None;
            let written = mitremap_export::write_atomic_with(path, args.force, |w| {
                let mut w = std::io::BufWriter::new(w);
                match super::batch::run(
                    items,
                    &analyzer,
                    &options,
                    args.jobs,
                    (limits, &documents),
                    &mut w,
                ) {
                    Ok(n) => {
                        failed = n;
                        w.flush()
                    }
                    Err(e) => {
                        let io = std::io::Error::other(format!("{e:#}"));
                        batch_error = Some(e);
                        Err(io)
                    }
                }
            });
            if let Some(e) = batch_error {
                return Err(e);
            }
            written?;
            failed
        }
    };
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn parse_tlp(s: &str) -> Result<mitremap_export::Tlp, String> {
    s.parse()
        .map_err(|_| format!("{s:?} is not a TLP level (clear, green, amber, amber+strict, red)"))
}
