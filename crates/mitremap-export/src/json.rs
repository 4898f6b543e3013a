//! JSON that is safe to print on a terminal. serde_json escapes only what JSON requires (C0
//! controls, `"` and `\`), so report text could still carry a C1 control (the 8-bit CSI U+009B),
//! DEL or a bidirectional override raw to stdout. These writers escape those too, as `\uXXXX`:
//! the document parses to exactly the same strings.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

/// True for characters a terminal may act on or that reorder what is shown.
pub fn needs_escape(c: char) -> bool {
    matches!(c,
        '\u{7f}'..='\u{9f}'            // DEL and C1 controls
        | '\u{200e}' | '\u{200f}'      // LRM, RLM
        | '\u{202a}'..='\u{202e}'      // LRE, RLE, PDF, LRO, RLO
        | '\u{2066}'..='\u{2069}'      // LRI, RLI, FSI, PDI
        | '\u{061c}'                   // ALM
        | '\u{2028}' | '\u{2029}') // line / paragraph separators
}

fn write_escaped<W: ?Sized + Write>(writer: &mut W, fragment: &str) -> io::Result<()> {
    let mut start = 0;
    for (i, c) in fragment.char_indices() {
        if needs_escape(c) {
            writer.write_all(&fragment.as_bytes()[start..i])?;
            // Every such character is in the BMP: one \uXXXX escape.
            write!(writer, "\\u{:04x}", c as u32)?;
            start = i + c.len_utf8();
        }
    }
    writer.write_all(&fragment.as_bytes()[start..])
}

/// Compact output with the extra escapes.
struct SafeCompact;

impl Formatter for SafeCompact {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        write_escaped(writer, fragment)
    }
}

/// Pretty output (two-space indent, as `serde_json::to_writer_pretty`) with the extra escapes.
struct SafePretty(PrettyFormatter<'static>);

impl Formatter for SafePretty {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        write_escaped(writer, fragment)
    }
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Pretty JSON into a writer (terminal-safe escapes).
pub fn to_writer_pretty<W: Write, T: ?Sized + Serialize>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser =
        serde_json::Serializer::with_formatter(writer, SafePretty(PrettyFormatter::new()));
    value.serialize(&mut ser)
}

/// Pretty JSON bytes (terminal-safe escapes).
pub fn to_vec_pretty<T: ?Sized + Serialize>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(256);
    to_writer_pretty(&mut out, value)?;
    Ok(out)
}

/// Pretty JSON text (terminal-safe escapes).
pub fn to_string_pretty<T: ?Sized + Serialize>(value: &T) -> serde_json::Result<String> {
    let out = to_vec_pretty(value)?;
    // The formatter writes UTF-8 fragments and ASCII escapes only.
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

/// One-line JSON into a writer (terminal-safe escapes), e.g. for JSON lines too large to hold.
pub fn to_writer_compact<W: Write, T: ?Sized + Serialize>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(writer, SafeCompact);
    value.serialize(&mut ser)
}

/// One-line JSON (terminal-safe escapes), e.g. for JSON lines.
pub fn to_string_compact<T: ?Sized + Serialize>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, SafeCompact);
    value.serialize(&mut ser)?;
    // The formatter writes UTF-8 fragments and ASCII escapes only.
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c1_del_and_bidi_are_escaped_and_round_trip() {
        let hostile = "a\u{9b}31mb\u{7f}c\u{202e}d\u{2066}e\u{1b}[0m ünïcödé";
        let value = serde_json::json!({"text": hostile, "list": [hostile]});
        for out in [
            String::from_utf8(to_vec_pretty(&value).unwrap()).unwrap(),
            to_string_compact(&value).unwrap(),
        ] {
            for c in out.chars() {
                assert!(
                    !needs_escape(c) && !c.is_control() || c == '\n',
                    "{c:?} in {out}"
                );
            }
            assert!(out.contains("\\u009b") && out.contains("\\u202e"), "{out}");
            assert!(out.contains("ünïcödé"));
            let back: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(back, value);
        }
        // Same layout as serde_json's pretty printer for ordinary text.
        let plain = serde_json::json!({"a": [1, {"b": "c"}]});
        assert_eq!(
            to_vec_pretty(&plain).unwrap(),
            serde_json::to_vec_pretty(&plain).unwrap()
        );
    }
}
