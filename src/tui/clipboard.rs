//! The system clipboard through arboard (X11), falling back to OSC 52 (the terminal's own
//! clipboard, which reaches the analyst's machine over SSH).

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

    /// Copies `text`; returns how.
    pub fn copy(&mut self, text: &str, out: &mut impl Write) -> Result<&'static str, String> {
        if let Some(c) = &mut self.system
            && c.set_text(text.to_owned()).is_ok()
        {
            return Ok("system clipboard");
        }
        execute!(out, CopyToClipboard::to_clipboard_from(text.as_bytes()))
            .map_err(|e| format!("cannot copy: {e}"))?;
        Ok("terminal clipboard (OSC 52)")
    }

    /// Reads the system clipboard.
    pub fn read(&mut self) -> Result<String, String> {
        match &mut self.system {
            Some(c) => c
                .get_text()
                .map_err(|e| format!("cannot read the clipboard: {e}")),
            None => Err(format!(
                "cannot read the clipboard: {}; paste with your terminal instead (e.g. ctrl-shift-v)",
                self.why_not
            )),
        }
    }
}
