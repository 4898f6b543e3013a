//! Exporters for mitremap reports: the versioned JSON, STIX 2.1 bundles, ATT&CK Navigator layers,
//! CSV and Markdown — and atomic file writes so an export never leaves a half-written file.

mod atomic;
mod common;
mod csv_out;
pub mod json;
mod markdown;
mod navigator;
mod source;
pub mod stix;

pub use atomic::{check_destination, write_atomic, write_atomic_with};
pub use source::SourceLabels;

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

    /// Parses a command-line name (inverse of [`Format::name`]; `md` and `layer` accepted too).
    pub fn from_name(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "stix" | "stix2" | "stix21" => Some(Format::Stix),
            "navigator" | "layer" => Some(Format::Navigator),
            "csv" => Some(Format::Csv),
            "markdown" | "md" => Some(Format::Markdown),
            _ => None,
        }
    }

    /// MIME type of the output.
    pub fn mime_type(self) -> &'static str {
        match self {
            Format::Json | Format::Navigator => "application/json",
            Format::Stix => "application/stix+json;version=2.1",
            Format::Csv => "text/csv",
            Format::Markdown => "text/markdown",
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
    /// TLP 2.0 marking for the STIX bundle (every object gets it in `object_marking_refs`) and the
    /// Markdown report (a banner line). `None`: unmarked.
    pub tlp: Option<Tlp>,
    /// Export IoCs flagged as noise (private/reserved addresses, well-known benign domains) as STIX
    /// indicators too. Off by default: such indicators do harm in blocking feeds. CSV and Markdown
    /// always list them, with their flags.
    pub include_noise: bool,
    /// Keep techniques an analyst rejected in STIX and Navigator exports (marked as rejected).
    /// Off by default: a rejected technique is not intelligence. JSON, CSV and Markdown always
    /// list them with their review status.
    pub include_rejected: bool,
    /// Where the analysed text came from when it was extracted from a document (PDF page,
    /// section...): CSV fills its `source` column and Markdown names the place of each evidence
    /// passage and IoC. `None`: plain text, or text edited since it was extracted.
    pub source: Option<std::sync::Arc<SourceLabels>>,
}

/// Traffic Light Protocol 2.0 levels, with the OASIS STIX 2.1 TLP 2.0 marking definitions
/// (`cti-stix-common-objects`, extension `extension-definition--60a3c5c5-…`). TLP 1.0's WHITE
/// (the STIX 2.1 spec's own `marking-definition--613f2e26-…`) is accepted on input as CLEAR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

impl Tlp {
    /// Every level, least restrictive first.
    pub const ALL: [Tlp; 5] = [
        Tlp::Clear,
        Tlp::Green,
        Tlp::Amber,
        Tlp::AmberStrict,
        Tlp::Red,
    ];

    /// The lower-case name (`amber+strict`), as in the STIX `tlp_2_0` property and on the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    /// The label (`TLP:AMBER+STRICT`).
    pub fn label(self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }

    /// The id of the OASIS TLP 2.0 STIX 2.1 marking-definition.
    pub fn stix_id(self) -> &'static str {
        match self {
            Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
            Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
            Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
            Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
            Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        }
    }
}

impl From<mitremap_ioc::Tlp> for Tlp {
    fn from(t: mitremap_ioc::Tlp) -> Self {
        match t {
            mitremap_ioc::Tlp::Clear => Tlp::Clear,
            mitremap_ioc::Tlp::Green => Tlp::Green,
            mitremap_ioc::Tlp::Amber => Tlp::Amber,
            mitremap_ioc::Tlp::AmberStrict => Tlp::AmberStrict,
            mitremap_ioc::Tlp::Red => Tlp::Red,
        }
    }
}

/// The marking the report's own text carries (`TLP:AMBER+STRICT` in a header, ...), the most
/// restrictive one if several: what an export should be marked unless the analyst says otherwise.
pub fn marking_in_text(report: &mitremap_engine::analysis::Report) -> Option<Tlp> {
    mitremap_ioc::document_tlp(report.document.text()).map(Tlp::from)
}

impl std::fmt::Display for Tlp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Tlp {
    type Err = String;

    /// Case-insensitive; an optional `TLP:` prefix; `amber+strict`, `amber-strict` or
    /// `amber_strict`; `white` (TLP 1.0) means `clear`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let l = s.trim().to_ascii_lowercase();
        let l = l.strip_prefix("tlp:").unwrap_or(&l);
        match l {
            "clear" | "white" => Ok(Tlp::Clear),
            "green" => Ok(Tlp::Green),
            "amber" => Ok(Tlp::Amber),
            "amber+strict" | "amber-strict" | "amber_strict" => Ok(Tlp::AmberStrict),
            "red" => Ok(Tlp::Red),
            _ => Err(format!(
                "unknown TLP level {s:?} (expected clear, green, amber, amber+strict or red)"
            )),
        }
    }
}

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{} already exists; pass --force to overwrite it", path.display())]
    Exists { path: std::path::PathBuf },
    #[error("refusing to write {}: it is {kind}", path.display())]
    NotAFile {
        path: std::path::PathBuf,
        kind: &'static str,
    },
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{0} export is not available yet")]
    Unsupported(&'static str),
    #[error("cannot serialise the report: {0}")]
    Serialize(#[from] serde_json::Error),
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
}

/// Renders a report in the given format.
pub fn render(
    format: Format,
    report: &Report,
    options: &ExportOptions,
) -> Result<Vec<u8>, ExportError> {
    match format {
        Format::Json => {
            // Serialised from a borrowed view: no Value tree, no copies of chunk texts.
            let mut view = report.json_view(options.include_text);
            if options.omit_timings {
                view = view.without_timings();
            }
            let mut out = json::to_vec_pretty(&view)?;
            out.push(b'\n');
            Ok(out)
        }
        Format::Stix => Ok(stix::render(report, options)?),
        Format::Navigator => Ok(navigator::render(report, options)?),
        Format::Csv => csv_out::render(report, options.source.as_deref()),
        Format::Markdown => Ok(markdown::render(report, options)),
    }
}
