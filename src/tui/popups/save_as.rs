//! The save-as prompt: a path for the report text, then yes before replacing an existing file.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::{
    Outcome, Popup, Reply, centered, edit_line, key_name, paste_line, path_field, show,
    wrapped_height, write_footer,
};
use crate::tui::app::App;
use crate::tui::keymap::{Command, Context, Keymap};
use crate::tui::theme::Role;

/// The save-as prompt: a path, then y/n before replacing an existing file.
#[derive(Debug, Clone)]
pub struct SaveAsDialog {
    pub path: String,
    pub confirm: bool,
}

/// Where the app is asked to save the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveRequest {
    pub path: String,
    pub overwrite: bool,
}

/// Starts at the text's own file, if it has one.
pub fn open(app: &mut App) -> Option<Box<dyn Popup>> {
    let path = app
        .path
        .as_ref()
        .map_or_else(String::new, |p| p.display().to_string());
    Some(Box::new(SaveAsDialog::new(path)))
}

impl Popup for SaveAsDialog {
    fn on_key(&mut self, key: &KeyEvent, keymap: &Keymap) -> Outcome {
        match SaveAsDialog::on_key(self, key, keymap) {
            Reply::Keep => Outcome::Keep,
            Reply::Close => Outcome::Close,
            Reply::Done(r) => {
                Outcome::done(move |app| app.save_to(std::path::PathBuf::from(r.path), r.overwrite))
            }
        }
    }
    fn paste(&mut self, text: &str) -> bool {
        paste_line(&mut self.path, text)
    }
    fn draw(&self, f: &mut Frame, app: &App, area: Rect) {
        SaveAsDialog::draw(self, f, app, area)
    }
}

impl SaveAsDialog {
    pub const CONTEXTS: &'static [Context] = &[Context::Popup];

    pub fn new(path: String) -> SaveAsDialog {
        SaveAsDialog {
            path,
            confirm: false,
        }
    }

    pub fn on_key(&mut self, key: &KeyEvent, keymap: &Keymap) -> Reply<SaveRequest> {
        let cmd = keymap.command(Self::CONTEXTS, key);
        if self.confirm {
            if cmd == Some(Command::Yes) {
                return Reply::Done(SaveRequest {
                    path: self.path.clone(),
                    overwrite: true,
                });
            }
            self.confirm = false;
            return Reply::Keep;
        }
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
                    return Reply::Done(SaveRequest {
                        path: self.path.clone(),
                        overwrite: false,
                    });
                }
            }
            _ => {
                edit_line(&mut self.path, key, cmd);
            }
        }
        Reply::Keep
    }

    pub fn draw(&self, f: &mut Frame, app: &App, area: Rect) {
        let key = |cmd| key_name(&app.keymap, Self::CONTEXTS, cmd);
        let mut lines = vec![Line::styled(
            format!(
                "Save the report text to (type to edit, {} clears):",
                key(Command::ClearInput)
            ),
            app.theme.style(Role::dim),
        )];
        lines.extend(path_field(app, &self.path, 58));
        lines.push(Line::raw(""));
        lines.push(write_footer(
            app,
            &self.path,
            self.confirm,
            ("Replace it?", "save"),
            key,
        ));
        let w = area.width.saturating_sub(2).min(64);
        let rect = centered(area, w, wrapped_height(&lines, w.saturating_sub(2)) + 2);
        show(f, app, rect, " Save as ", lines);
    }
}
