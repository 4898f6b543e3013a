//! Decoding untrusted input into the text every byte range refers to.

use sha2::{Digest, Sha256};

/// The analysed text. All byte ranges reported by the engine (chunks, IoCs, attributions) index
/// into [`Document::text`]; for valid UTF-8 input that is the input itself, byte for byte.
#[derive(Debug, Clone)]
pub struct Document {
    text: String,
    sha256: String,
    input_bytes: usize,
    lossy: bool,
    nul_bytes: usize,
    utf16: Option<Utf16>,
}

/// A UTF-16 input, and how it was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utf16 {
    pub big_endian: bool,
    /// Recognised by its byte-order mark (else by NUL bytes in every other position).
    pub bom: bool,
}

impl std::fmt::Display for Utf16 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let order = if self.big_endian { "BE" } else { "LE" };
        let how = if self.bom {
            "byte-order mark"
        } else {
            "no byte-order mark; recognised by its NUL bytes"
        };
        write!(f, "UTF-16{order} ({how})")
    }
}

/// Bytes looked at to recognise UTF-16 without a byte-order mark (and binary input).
const SNIFF_BYTES: usize = 64 * 1024;

/// Recognises UTF-16: a byte-order mark (`FF FE` little-endian, `FE FF` big-endian), or, without
/// one, a NUL in at least half of the odd (LE) or even (BE) positions of the first 64 KiB and in
/// almost none (≤ 1%) of the others, over at least 4 code units — ASCII-heavy text stored as UTF-16. Either way the first
/// 64 KiB must decode to text (no unpaired surrogates, ≤ 10% control characters), so a binary
/// that happens to start with `FF FE` is not taken for text.
pub fn detect_utf16(bytes: &[u8]) -> Option<Utf16> {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES) & !1];
    let found = match head {
        [0xFF, 0xFE, ..] => Utf16 {
            big_endian: false,
            bom: true,
        },
        [0xFE, 0xFF, ..] => Utf16 {
            big_endian: true,
            bom: true,
        },
        _ => {
            let units = head.len() / 2;
            // Too little to tell from a few bytes with NULs in them.
            if units < 4 {
                return None;
            }
            let zeros = |offset: usize| {
                head.iter()
                    .skip(offset)
                    .step_by(2)
                    .filter(|&&b| b == 0)
                    .count()
            };
            let (even, odd) = (zeros(0), zeros(1));
            let mostly = |n: usize| n * 2 >= units;
            let hardly = |n: usize| n * 100 <= units;
            if mostly(odd) && hardly(even) {
                Utf16 {
                    big_endian: false,
                    bom: false,
                }
            } else if mostly(even) && hardly(odd) {
                Utf16 {
                    big_endian: true,
                    bom: false,
                }
            } else {
                return None;
            }
        }
    };
    let sample = head
        .get(if found.bom { 2 } else { 0 }..)
        .unwrap_or_default();
    let mut chars = 0usize;
    let mut controls = 0usize;
    // A surrogate pair cut by the 64 KiB window is not an error.
    let complete = if bytes.len() > head.len() {
        &sample[..sample.len().saturating_sub(2)]
    } else {
        sample
    };
    for c in char::decode_utf16(units(complete, found.big_endian)) {
        let Ok(c) = c else { return None };
        chars += 1;
        controls +=
            usize::from((c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1b'));
    }
    (controls * 10 <= chars).then_some(found)
}

fn units(bytes: &[u8], big_endian: bool) -> impl Iterator<Item = u16> + '_ {
    bytes.chunks_exact(2).map(move |p| {
        if big_endian {
            u16::from_be_bytes([p[0], p[1]])
        } else {
            u16::from_le_bytes([p[0], p[1]])
        }
    })
}

/// Decodes UTF-16 (byte-order mark dropped); unpaired surrogates and an odd last byte become
/// U+FFFD. Returns the text and whether anything was replaced.
fn decode_utf16(bytes: &[u8], format: Utf16) -> (String, bool) {
    let body = if format.bom { &bytes[2..] } else { bytes };
    let mut text = String::with_capacity(body.len() / 2);
    let mut lossy = body.len() % 2 == 1;
    for c in char::decode_utf16(units(body, format.big_endian)) {
        text.push(c.unwrap_or_else(|_| {
            lossy = true;
            char::REPLACEMENT_CHARACTER
        }));
    }
    if body.len() % 2 == 1 {
        text.push(char::REPLACEMENT_CHARACTER);
    }
    (text, lossy)
}

impl Document {
    /// Decodes raw bytes. Invalid UTF-8 is replaced by U+FFFD (and [`Document::lossy`] says so);
    /// the hash is taken over the original bytes so it identifies the input file.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let sha256 = hex::encode(Sha256::digest(bytes));
        let utf16 = detect_utf16(bytes);
        let (text, lossy) = match (utf16, std::str::from_utf8(bytes)) {
            (Some(format), _) => decode_utf16(bytes, format),
            (None, Ok(s)) => (s.to_owned(), false),
            (None, Err(_)) => (String::from_utf8_lossy(bytes).into_owned(), true),
        };
        Self {
            nul_bytes: memchr_count(0, text.as_bytes()),
            text,
            sha256,
            input_bytes: bytes.len(),
            lossy,
            utf16,
        }
    }

    /// Like [`Document::from_bytes`], but takes ownership: valid UTF-8 is not copied (a 100 MB
    /// input costs 100 MB, not 200).
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let input_bytes = bytes.len();
        let utf16 = detect_utf16(&bytes);
        let (text, lossy) = match utf16 {
            Some(format) => decode_utf16(&bytes, format),
            None => match String::from_utf8(bytes) {
                Ok(s) => (s, false),
                Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
            },
        };
        Self {
            nul_bytes: memchr_count(0, text.as_bytes()),
            text,
            sha256,
            input_bytes,
            lossy,
            utf16,
        }
    }

    /// Wraps text that is already a Rust string (editor contents, tests).
    pub fn from_text(text: impl Into<String>) -> Self {
        let text = text.into();
        let sha256 = hex::encode(Sha256::digest(text.as_bytes()));
        let nul_bytes = memchr_count(0, text.as_bytes());
        Self {
            input_bytes: text.len(),
            text,
            sha256,
            lossy: false,
            nul_bytes,
            utf16: None,
        }
    }

    /// The decoded text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Hex sha256 of the original input bytes.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Size of the original input in bytes.
    pub fn input_bytes(&self) -> usize {
        self.input_bytes
    }

    /// True when the input was not valid UTF-8 and was decoded lossily.
    pub fn lossy(&self) -> bool {
        self.lossy
    }

    /// Set when the input was UTF-16 and decoded: every byte range then refers to the decoded
    /// (UTF-8) text, not to the file's bytes.
    pub fn utf16(&self) -> Option<Utf16> {
        self.utf16
    }

    /// Number of NUL characters in the decoded text.
    pub fn nul_bytes(&self) -> usize {
        self.nul_bytes
    }

    /// True when the text holds nothing but whitespace.
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// Takes the text out, e.g. to hand it to an editor.
    pub fn into_text(self) -> String {
        self.text
    }
}

/// Heuristic used by front ends to refuse binary files unless forced: a NUL byte in the first
/// 64 KiB, or more than 10% control bytes other than tab/newline/carriage return/form feed/ESC.
/// UTF-16 text ([`detect_utf16`]) is not binary: [`Document`] decodes it.
pub fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    if head.is_empty() || detect_utf16(bytes).is_some() {
        return false;
    }
    if head.contains(&0) {
        return true;
    }
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    controls * 10 > head.len()
}

fn memchr_count(needle: u8, haystack: &[u8]) -> usize {
    haystack.iter().filter(|&&b| b == needle).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_decoded_lossily_and_flagged() {
        let doc = Document::from_bytes(b"ok \xff\xfe text");
        assert!(doc.lossy());
        assert!(doc.text().contains('\u{FFFD}'));
        assert_eq!(doc.input_bytes(), 10);
    }

    #[test]
    fn valid_utf8_is_kept_byte_for_byte() {
        let doc = Document::from_bytes("naïve — text".as_bytes());
        assert!(!doc.lossy());
        assert_eq!(doc.text(), "naïve — text");
    }

    #[test]
    fn binary_detection() {
        assert!(looks_binary(b"\x7fELF\x02\x01\x01\x00\x00\x00"));
        assert!(!looks_binary(b"APT29 used PowerShell.\n"));
        assert!(!looks_binary(b""));
        assert!(!looks_binary(
            b"colour \x1b[31mred\x1b[0m is text, not binary"
        ));
    }

    #[test]
    fn owned_and_borrowed_decoding_agree() {
        for input in [&b"plain text"[..], b"bad \xff utf8", b""] {
            let a = Document::from_bytes(input);
            let b = Document::from_vec(input.to_vec());
            assert_eq!(
                (a.text(), a.sha256(), a.lossy(), a.input_bytes()),
                (b.text(), b.sha256(), b.lossy(), b.input_bytes())
            );
        }
    }

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(if big_endian {
                &[0xFE, 0xFF]
            } else {
                &[0xFF, 0xFE]
            });
        }
        for u in text.encode_utf16() {
            out.extend_from_slice(&if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            });
        }
        out
    }

    #[test]
    fn utf16_is_decoded_with_or_without_a_bom() {
        let text = "APT29 used PowerShell from 203.0.113.7 — naïve 攻撃 🦀.\r\n";
        for big_endian in [false, true] {
            for bom in [false, true] {
                let bytes = utf16(text, big_endian, bom);
                assert!(!looks_binary(&bytes), "{big_endian} {bom}");
                for doc in [
                    Document::from_bytes(&bytes),
                    Document::from_vec(bytes.clone()),
                ] {
                    assert_eq!(doc.text(), text);
                    assert!(!doc.lossy());
                    assert_eq!(doc.utf16(), Some(Utf16 { big_endian, bom }));
                    assert_eq!(doc.input_bytes(), bytes.len());
                    assert_eq!(doc.nul_bytes(), 0);
                }
            }
        }
        // Binary stays binary: NULs everywhere, a BOM in front of garbage, UTF-32.
        assert!(looks_binary(&[0u8; 100]));
        assert!(looks_binary(b"\xFF\xFE\x01\x00\x02\x00\x03\x00\x04\x00"));
        assert!(looks_binary(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00"));
        assert!(detect_utf16(&utf16("a\0b\0c\0d\0", false, false)).is_none());
        // Plain UTF-8 is never taken for UTF-16.
        assert!(detect_utf16("plain text, even \u{feff} here".as_bytes()).is_none());
        // An unpaired surrogate in the body (past the sniffed head) becomes U+FFFD, flagged.
        let mut bytes = utf16(&"a".repeat(40_000), false, true);
        bytes.extend_from_slice(&[0x00, 0xD8, b'b', 0]);
        let doc = Document::from_vec(bytes);
        assert!(doc.lossy() && doc.text().ends_with("\u{FFFD}b"));
    }

    #[test]
    fn nul_bytes_are_counted() {
        assert_eq!(Document::from_bytes(b"a\0b\0").nul_bytes(), 2);
    }
}
