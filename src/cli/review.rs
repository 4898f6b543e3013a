//! `mitremap review export` (training records from review files) and the `--review FILE` option
//! of `mitremap analyze` (a review applied to headless output).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use mitremap_engine::analysis::Report;
use mitremap_engine::text::terminal_safe_line;
use mitremap_review::{ReviewFile, training_records};

#[derive(Debug, Args)]
pub struct ReviewArgs {
    #[command(subcommand)]
    pub command: ReviewCommand,
}

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Write the verdicts of review files as training JSONL: one line per reviewed passage,
    /// `{text, techniques, negatives, source: "analyst_review", doc}` (doc: the input's sha256),
    /// which training/dataset.py reads as the `analyst_review` source.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Review files (`<input>.mitremap-review.json`).
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
    /// Write to FILE instead of stdout (replaced atomically).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: ReviewArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ReviewCommand::Export(args) => export(args),
    }
}

fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let output = args.output.filter(|p| p != Path::new("-"));
    if let Some(out) = &output {
        mitremap_export::check_destination(out, args.force)?;
    }
    let mut files = Vec::with_capacity(args.files.len());
    for path in &args.files {
        match ReviewFile::load(path)? {
            Some(file) => files.push(file),
            None => bail!("{}: no such review file", path.display()),
        }
    }
    let records = training_records(&files);
    let mut bytes = Vec::new();
    for record in &records {
        serde_json::to_writer(&mut bytes, record)?;
        bytes.push(b'\n');
    }
    match &output {
        Some(path) => mitremap_export::write_atomic(path, &bytes, args.force)?,
        None => {
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout.write_all(&bytes).and_then(|_| stdout.flush())
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                return Err(e.into());
            }
        }
    }
    let docs: std::collections::BTreeSet<&str> = records.iter().map(|r| r.doc.as_str()).collect();
    let _ = writeln!(
        std::io::stderr(),
        "mitremap: {} training record(s) from {} review file(s) ({} document(s))",
        records.len(),
        files.len(),
        docs.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Applies the review in `path` to `report` (`analyze --review`): verdicts re-attached where the
/// input changed, revoked IDs mapped; what could not be applied is said on stderr. A missing or
/// unreadable review file is an error.
pub fn apply(report: &mut Report, path: &Path) -> anyhow::Result<()> {
    let file = ReviewFile::load(path)?
        .with_context(|| format!("{}: no such review file", path.display()))?;
    let attached = file.attach(report);
    for warning in attached.warnings() {
        let _ = writeln!(
            std::io::stderr(),
            "mitremap: review: {}",
            terminal_safe_line(&warning)
        );
    }
    report.review = Some(attached.overlay);
    Ok(())
}
