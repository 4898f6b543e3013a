//! Exporters for mitremap reports: the versioned JSON, STIX 2.1 bundles, ATT&CK Navigator layers,
//! CSV and Markdown — and atomic file writes so an export never leaves a half-written file.

mod atomic;

pub use atomic::write_atomic;

use mitremap_engine::analysis::Report;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The engine's versioned report schema (`schemas/report.schema.json`).
    Json,
    /// A STIX 2.1 bundle.
    Stix,
    /// An ATT&CK Navigator layer (format 4.5).
    Navigator,
    /// CSV, one row per technique and one per IoC (RFC 4180).
    Csv,
    /// A short human-readable report, IoCs defanged by default.
    Markdown,
}

impl Format {
    /// All formats, in menu order.
    pub const ALL: [Format; 5] = [
        Format::Json,
        Format::Stix,
        Format::Navigator,
        Format::Csv,
        Format::Markdown,
    ];

    /// Conventional file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Stix => "stix.json",
            Format::Navigator => "layer.json",
            Format::Csv => "csv",
            Format::Markdown => "md",
        }
    }

    /// Name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Stix => "stix",
            Format::Navigator => "navigator",
            Format::Csv => "csv",
            Format::Markdown => "markdown",
        }
    }
}

/// Export settings.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Timestamp written into STIX/Navigator output; `None` means now. Tests inject a fixed one.
    pub now: Option<time::OffsetDateTime>,
    /// Keep IoCs fanged in Markdown (default: defanged, safe to paste into chat or e-mail).
    pub fanged: bool,
    /// Put each chunk's text in the JSON export.
    pub include_text: bool,
    /// Leave timings out of the JSON export (for reproducible files).
    pub omit_timings: bool,
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{} already exists; pass --force to overwrite it", path.display())]
    Exists { path: std::path::PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{0} export is not available yet")]
    Unsupported(&'static str),
    #[error("cannot serialise the report: {0}")]
    Serialize(#[from] serde_json::Error),
}

/// Renders a report in the given format.
pub fn render(
    format: Format,
    report: &Report,
    options: &ExportOptions,
) -> Result<Vec<u8>, ExportError> {
    match format {
        Format::Json => {
            let mut value = report.to_json(options.include_text);
            if options.omit_timings {
                value["timings"] = serde_json::Value::Null;
            }
            let mut out = serde_json::to_vec_pretty(&value)?;
            out.push(b'\n');
            Ok(out)
        }
        other => Err(ExportError::Unsupported(other.name())),
    }
}
