//! The save-as prompt: a path for the report text, then yes before replacing an existing file.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Reply, centered, edit_line, key_name, show, wrapped_height};
use crate::tui::app::App;
use crate::tui::keymap::{Command, Context, Keymap};
use crate::tui::theme::Role;
use crate::tui::ui::{fit, safe};

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
        let mut lines = vec![
            Line::styled(
                format!(
                    "Save the report text to (type to edit, {} clears):",
                    key(Command::ClearInput)
                ),
                app.theme.style(Role::dim),
            ),
            Line::from(vec![
                Span::styled(safe(&self.path), app.theme.style(Role::key)),
                Span::styled(" ", app.theme.style(Role::cursor)),
            ]),
        ];
        if std::path::Path::new(&self.path).is_relative()
            && !self.path.is_empty()
            && let Some(cwd) = &app.cwd
        {
            lines.push(Line::styled(
                format!("in {}", fit(&safe(&cwd.display().to_string()), 58)),
                app.theme.style(Role::dim),
            ));
        }
        lines.push(Line::raw(""));
        if self.confirm {
            lines.push(Line::styled(
                format!(
                    "{} exists. Replace it? {}/n",
                    safe(&self.path),
                    key(Command::Yes)
                ),
                app.theme.style(Role::warning),
            ));
        } else {
            lines.push(Line::styled(
                format!(
                    "{}: save (atomically)   {}: close",
                    key(Command::Confirm),
                    key(Command::Close)
                ),
                app.theme.style(Role::hint),
            ));
        }
        let w = area.width.saturating_sub(2).min(64);
        let rect = centered(area, w, wrapped_height(&lines, w.saturating_sub(2)) + 2);
        show(f, app, rect, " Save as ", lines);
    }
}
