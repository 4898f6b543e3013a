//! Traffic Light Protocol markings in the text (`TLP:AMBER+STRICT`, `TLP: RED`, `TLP:WHITE`).
//!
//! A marking is a property of the *document*, not an indicator: it is never returned by
//! [`crate::extract`]. [`tlp_markings`] lists every marking with its range, and
//! [`document_tlp`] gives the most restrictive one, the default marking an export should carry.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// A TLP 2.0 level (TLP 1.0 `WHITE` is read as `CLEAR`). Ordered from least to most restrictive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

impl Tlp {
    /// The canonical TLP 2.0 label, e.g. `"TLP:AMBER+STRICT"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }
}

/// One TLP marking found in the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlpMarking {
    pub tlp: Tlp,
    /// The exact original text (`&text[range] == raw`).
    pub raw: String,
    pub range: Range<usize>,
}

static TLP_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\bTLP(?::\x20?|\x20)(CLEAR|WHITE|GREEN|AMBER\x20?\+\x20?STRICT|AMBER|RED|Clear|White|Green|Amber\x20?\+\x20?Strict|Amber|Red)\b",
    )
    .unwrap()
});

/// Every TLP marking in `text`, in order.
pub fn tlp_markings(text: &str) -> Vec<TlpMarking> {
    if !text.contains("TLP") {
        return Vec::new();
    }
    TLP_RE
        .captures_iter(text)
        .filter_map(|c| {
            let m = c.get(0)?;
            let colour = c.get(1)?.as_str().to_ascii_uppercase().replace(' ', "");
            let tlp = match colour.as_str() {
                "CLEAR" | "WHITE" => Tlp::Clear,
                "GREEN" => Tlp::Green,
                "AMBER" => Tlp::Amber,
                "AMBER+STRICT" => Tlp::AmberStrict,
                "RED" => Tlp::Red,
                _ => return None,
            };
            Some(TlpMarking {
                tlp,
                raw: m.as_str().to_string(),
                range: m.range(),
            })
        })
        .collect()
}

/// The most restrictive marking in the text, if any: the default marking for exports of it.
pub fn document_tlp(text: &str) -> Option<Tlp> {
    tlp_markings(text).into_iter().map(|m| m.tlp).max()
}
