//! The export dialog: a format list and a path; replacing a file asks first.

use crossterm::event::KeyEvent;
use mitremap_export::Format;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::{
    Outcome, Popup, Reply, centered, edit_line, key_name, paste_line, path_field, show,
    write_footer,
};
use crate::tui::app::App;
use crate::tui::keymap::{Command, Context, Keymap};
use crate::tui::theme::Role;

/// The export dialog.
#[derive(Debug, Clone)]
pub struct ExportDialog {
    /// Position in [`Format::ALL`].
    pub format: usize,
    pub path: String,
    /// Waiting for y/n before overwriting `path`.
    pub confirm: bool,
}

/// What the dialog asks the app to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRequest {
    pub format: usize,
    pub path: String,
    pub overwrite: bool,
}

/// The last export's format and folder again (not the unseen current folder), the file named
/// after the text's.
pub fn open(app: &mut App) -> Option<Box<dyn Popup>> {
    let (format, dir) = app.last_export().map_or((0, None), |(f, d)| (f, Some(d)));
    let stem = app
        .name
        .as_deref()
        .filter(|n| *n != "-" && *n != "recovered")
        .and_then(|n| std::path::Path::new(n).file_stem())
        .map_or_else(
            || "mitremap-report".to_owned(),
            |s| s.to_string_lossy().into_owned(),
        );
    let file = format!("{stem}.{}", Format::ALL[format].extension());
    Some(Box::new(ExportDialog::new(
        format,
        match dir {
            Some(d) => d.join(file).display().to_string(),
            None => file,
        },
    )))
}

impl Popup for ExportDialog {
    fn contexts(&self) -> &'static [Context] {
        Self::CONTEXTS
    }
    fn on_key(&mut self, key: &KeyEvent, keymap: &Keymap) -> Outcome {
        match ExportDialog::on_key(self, key, keymap) {
            Reply::Keep => Outcome::Keep,
            Reply::Close => Outcome::Close,
            Reply::Done(r) => Outcome::done(move |app| app.export(r)),
        }
    }
    fn paste(&mut self, text: &str) -> bool {
        paste_line(&mut self.path, text)
    }
    fn draw(&self, f: &mut Frame, app: &App, area: Rect) {
        ExportDialog::draw(self, f, app, area)
    }
}

impl ExportDialog {
    /// Its own keys first, then the popups' shared ones.
    pub const CONTEXTS: &'static [Context] = &[Context::Export, Context::Popup];

    pub fn new(format: usize, path: String) -> ExportDialog {
        ExportDialog {
            format,
            path,
            confirm: false,
        }
    }

    pub fn on_key(&mut self, key: &KeyEvent, keymap: &Keymap) -> Reply<ExportRequest> {
        let cmd = keymap.command(Self::CONTEXTS, key);
        if self.confirm {
            if cmd == Some(Command::Yes) {
                return Reply::Done(self.request(true));
            }
            // any other key goes back to the dialog
            self.confirm = false;
            return Reply::Keep;
        }
        // letters type into the path, so `n` and `q` are never a close here
        if super::typed_char(key).is_some() {
            edit_line(&mut self.path, key, cmd);
            return Reply::Keep;
        }
        match cmd {
            Some(Command::Close) => return Reply::Close,
            Some(Command::Confirm) if !self.path.trim().is_empty() => {
                if std::path::Path::new(&self.path).exists() {
                    self.confirm = true;
                } else {
                    return Reply::Done(self.request(false));
                }
            }
            Some(Command::Down | Command::NextFormat) => {
                self.set_format((self.format + 1) % Format::ALL.len())
            }
            Some(Command::Up | Command::PrevFormat) => {
                self.set_format((self.format + Format::ALL.len() - 1) % Format::ALL.len())
            }
            _ => {
                edit_line(&mut self.path, key, cmd);
            }
        }
        Reply::Keep
    }

    fn request(&self, overwrite: bool) -> ExportRequest {
        ExportRequest {
            format: self.format,
            path: self.path.clone(),
            overwrite,
        }
    }

    /// Picks a format; a path ending in the old format's extension follows it.
    pub fn set_format(&mut self, f: usize) {
        let old = Format::ALL[self.format].extension();
        let new = Format::ALL[f].extension();
        if let Some(stem) = self.path.strip_suffix(old) {
            self.path = format!("{stem}{new}");
        }
        self.format = f;
    }

    pub fn draw(&self, f: &mut Frame, app: &App, area: Rect) {
        let key = |cmd| key_name(&app.keymap, Self::CONTEXTS, cmd);
        let mut lines = vec![Line::styled(
            format!("Format ({}/{}):", key(Command::Up), key(Command::Down)),
            app.theme.style(Role::dim),
        )];
        for (i, fmt) in Format::ALL.iter().enumerate() {
            let style = if i == self.format {
                app.theme.style(Role::selected)
            } else {
                app.theme.style(Role::base)
            };
            lines.push(Line::styled(
                format!(
                    " {} {:<10} *.{} ",
                    if i == self.format { "▸" } else { " " },
                    fmt.name(),
                    fmt.extension()
                ),
                style,
            ));
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("Path (type to edit, {} clears):", key(Command::ClearInput)),
            app.theme.style(Role::dim),
        ));
        lines.extend(path_field(app, &self.path, 54));
        lines.push(Line::raw(""));
        lines.push(write_footer(
            app,
            &self.path,
            self.confirm,
            ("Overwrite?", "write"),
            key,
        ));
        let rect = centered(area, 60, lines.len() as u16 + 2);
        show(f, app, rect, " Export ", lines);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    /// The format keys were hard-coded (and missing from the help): they come from the keymap.
    #[test]
    fn format_keys_come_from_the_keymap() {
        let mut keymap = Keymap::defaults();
        let mut d = ExportDialog::new(0, format!("out.{}", Format::ALL[0].extension()));
        d.on_key(&k(KeyCode::Tab), &keymap);
        assert_eq!(d.format, 1);
        assert!(d.path.ends_with(Format::ALL[1].extension()), "{}", d.path);
        d.on_key(&k(KeyCode::Up), &keymap);
        assert_eq!(d.format, 0);
        let problems = keymap
            .merge("[export]\nnext_format = [\"right\"]\n")
            .unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        d.on_key(&k(KeyCode::Tab), &keymap);
        assert_eq!(d.format, 0, "tab is no longer bound");
        d.on_key(&k(KeyCode::Right), &keymap);
        assert_eq!(d.format, 1);
        // letters type, even those bound to close
        d.on_key(&k(KeyCode::Char('q')), &keymap);
        assert!(d.path.ends_with('q'));
        let ctrl_u = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL);
        assert_eq!(d.on_key(&ctrl_u, &keymap), Reply::Keep);
        assert!(d.path.is_empty());
        assert_eq!(d.on_key(&k(KeyCode::Esc), &keymap), Reply::Close);
        // a key the [popup] section uses cannot be taken over by [export]
        let problems = keymap.merge("[export]\nprev_format = [\"esc\"]\n").unwrap();
        assert!(
            problems[0].contains("already close in [popup]"),
            "{problems:?}"
        );
    }
}
