//! `mitremap iocs`: indicators of compromise only (no model needed).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use mitremap_engine::ioc;
use serde_json::json;

use super::input::{ReadLimits, read_input};
use super::table::ioc_table;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IocFormat {
    /// `{"iocs": {type: [values]}, "details": [...]}`
    Json,
    /// Human-readable table.
    Table,
}

#[derive(Debug, Args)]
pub struct IocsArgs {
    /// Report to scan: a file (text, Markdown, HTML, DOCX, PDF or .eml, detected by content), or
    /// `-` for stdin (piped stdin is read when no FILE is given).
    pub input: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = IocFormat::Json)]
    pub format: IocFormat,
    /// Leave out private/reserved IPs and well-known benign domains.
    #[arg(long)]
    pub hide_noise: bool,
    /// Scan input that looks binary.
    #[arg(long)]
    pub allow_binary: bool,
    /// Refuse inputs larger than SIZE (bytes, or with K/M/G), before reading past it.
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = super::input::parse_size)]
    pub max_input: u64,
    #[command(flatten)]
    pub documents: super::document::DocArgs,
}

pub fn run(args: IocsArgs) -> anyhow::Result<ExitCode> {
    let limits = ReadLimits {
        allow_binary: args.allow_binary,
        max_input: args.max_input,
    };
    let input = read_input(
        args.input.as_deref(),
        limits,
        &args.documents.options(args.allow_binary),
    )?;
    let summaries: Vec<_> = ioc::summarize(&ioc::extract(input.document.text()))
        .into_iter()
        .filter(|s| !(args.hide_noise && s.flags.is_noise()))
        .collect();
    let out = match args.format {
        IocFormat::Table => {
            let locate = input
                .source
                .as_ref()
                .map(|source| move |offset: usize| source.map.locate(offset).map(|l| l.label()));
            ioc_table(
                &summaries,
                false,
                locate
                    .as_ref()
                    .map(|f| f as &dyn Fn(usize) -> Option<String>),
            )
        }
        IocFormat::Json => {
            let mut by_type: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
            for s in &summaries {
                by_type.entry(s.kind.as_str()).or_default().push(&s.value);
            }
            let mut details = serde_json::to_value(&summaries)?;
            if let (Some(source), Some(items)) = (&input.source, details.as_array_mut()) {
                super::document::annotate_iocs(items, source);
            }
            let mut s = mitremap_export::json::to_string_pretty(
                &json!({"iocs": by_type, "details": details}),
            )?;
            s.push('\n');
            s
        }
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    Ok(ExitCode::SUCCESS)
}
