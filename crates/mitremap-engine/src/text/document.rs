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
}

impl Document {
    /// Decodes raw bytes. Invalid UTF-8 is replaced by U+FFFD (and [`Document::lossy`] says so);
    /// the hash is taken over the original bytes so it identifies the input file.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let sha256 = hex::encode(Sha256::digest(bytes));
        let nul_bytes = memchr_count(0, bytes);
        let (text, lossy) = match std::str::from_utf8(bytes) {
            Ok(s) => (s.to_owned(), false),
            Err(_) => (String::from_utf8_lossy(bytes).into_owned(), true),
        };
        Self {
            text,
            sha256,
            input_bytes: bytes.len(),
            lossy,
            nul_bytes,
        }
    }

    /// Like [`Document::from_bytes`], but takes ownership: valid UTF-8 is not copied (a 100 MB
    /// input costs 100 MB, not 200).
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let nul_bytes = memchr_count(0, &bytes);
        let input_bytes = bytes.len();
        let (text, lossy) = match String::from_utf8(bytes) {
            Ok(s) => (s, false),
            Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
        };
        Self {
            text,
            sha256,
            input_bytes,
            lossy,
            nul_bytes,
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

    /// Number of NUL bytes in the input.
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
pub fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    if head.is_empty() {
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

    #[test]
    fn nul_bytes_are_counted() {
        assert_eq!(Document::from_bytes(b"a\0b\0").nul_bytes(), 2);
    }
}
