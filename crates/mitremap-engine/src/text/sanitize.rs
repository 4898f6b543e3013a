//! Making untrusted text safe to show in a terminal.
//!
//! Threat reports quote malware, shell sessions and garbage: an ESC byte in a report must never
//! reach the terminal, where it could move the cursor, retitle the window, write the clipboard
//! (OSC 52) or forge a hyperlink. Every control character is replaced by a visible stand-in:
//! C0 controls by their Unicode "control picture" (ESC -> `␛`), DEL by `␡`, C1 controls and
//! bidirectional overrides (which can make `exe.txt` display as `txt.exe`) by `⟨U+XXXX⟩`.

use std::borrow::Cow;

/// Sanitises text that may span several lines: keeps `\n` and `\t`, replaces everything else.
pub fn terminal_safe(s: &str) -> Cow<'_, str> {
    sanitize(s, true)
}

/// Sanitises text shown on one line (table cells, status bar): newlines and tabs become visible too
/// (`\n` -> `␤`, `\t` -> one space, `\r` -> `␍`).
pub fn terminal_safe_line(s: &str) -> Cow<'_, str> {
    sanitize(s, false)
}

/// True for characters that [`terminal_safe`] replaces.
pub fn is_unsafe_char(c: char, keep_newlines: bool) -> bool {
    match c {
        '\n' | '\t' => !keep_newlines,
        c if (c as u32) < 0x20 || c == '\u{7f}' => true,
        '\u{80}'..='\u{9f}' => true,
        c => is_bidi_control(c),
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn sanitize(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe_char(c, keep_newlines)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if !is_unsafe_char(c, keep_newlines) {
            out.push(c);
            continue;
        }
        match c {
            '\t' => out.push(' '),
            '\n' => out.push('\u{2424}'),
            c if (c as u32) < 0x20 => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('?')),
            '\u{7f}' => out.push('\u{2421}'),
            c => {
                use std::fmt::Write;
                let _ = write!(out, "\u{27e8}U+{:04X}\u{27e9}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_made_visible() {
        let attack = "title\x1b]0;pwned\x07 clip\x1b]52;c;ZXZpbA==\x07 \u{9b}31m \u{202e}exe.txt";
        let safe = terminal_safe(attack);
        assert!(
            !safe
                .chars()
                .any(|c| c == '\x1b' || c == '\x07' || c == '\u{9b}' || c == '\u{202e}')
        );
        assert!(safe.contains("␛]0;pwned␇"));
        assert!(safe.contains("⟨U+202E⟩exe.txt"));
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(
            terminal_safe("plain\ntext\twith tab"),
            Cow::Borrowed(_)
        ));
        assert_eq!(terminal_safe_line("a\nb\tc"), "a␤b c");
    }
}
