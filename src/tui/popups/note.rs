//! A note on the verdict on a technique (kept when the verdict changes; empty removes it).

use crossterm::event::{KeyCode, KeyEvent};
use mitremap_review::Scope;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{
    Outcome, Popup, Reply, centered, key_name, paste_line, scope_label, show, typed_char,
    wrapped_height,
};
use crate::tui::action::Effect;
use crate::tui::app::App;
use crate::tui::keymap::{Command, Context, Keymap};
use crate::tui::theme::Role;
use crate::tui::ui::safe;

/// A note on the verdict on a technique.
#[derive(Debug, Clone)]
pub struct NoteDialog {
    pub text: String,
    pub technique: String,
    pub scope: Scope,
}

/// On the technique the verdict keys act on, with the note it has.
pub fn open(app: &mut App) -> Option<Box<dyn Popup>> {
    if !app.review_ready() {
        return None;
    }
    let Some((technique, scope)) = app.verdict_target() else {
        app.error("select a technique (or a chunk) to note".into());
        return None;
    };
    let text = match (&app.review.file, &app.report) {
        (Some(file), Some(report)) => file
            .note(report, &technique, scope)
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    };
    Some(Box::new(NoteDialog {
        text,
        technique,
        scope,
    }))
}

impl Popup for NoteDialog {
    fn on_key(&mut self, key: &KeyEvent, keymap: &Keymap) -> Outcome {
        match NoteDialog::on_key(self, key, keymap) {
            Reply::Keep => Outcome::Keep,
            Reply::Close => Outcome::Close,
            Reply::Done(()) => {
                let d = self.clone();
                Outcome::done(move |app| save_note(app, d))
            }
        }
    }
    fn paste(&mut self, text: &str) -> bool {
        paste_line(&mut self.text, text)
    }
    fn draw(&self, f: &mut Frame, app: &App, area: Rect) {
        NoteDialog::draw(self, f, app, area)
    }
}

/// Saves the note (an empty one removes it) and asks for the review file to be written.
fn save_note(app: &mut App, d: NoteDialog) -> Vec<Effect> {
    let Some(report) = &app.report else {
        return Vec::new();
    };
    match app.review.note(report, &d.technique, d.scope, &d.text) {
        Ok((path, file)) => {
            app.apply_review();
            app.refresh();
            app.info(format!("noted {}", d.technique));
            vec![Effect::SaveReview {
                path,
                file: Box::new(file),
            }]
        }
        Err(e) => {
            app.error(e);
            Vec::new()
        }
    }
}

impl NoteDialog {
    pub const CONTEXTS: &'static [Context] = &[Context::Popup];

    /// Done: save the note as it is now.
    pub fn on_key(&mut self, key: &KeyEvent, keymap: &Keymap) -> Reply<()> {
        let cmd = keymap.command(Self::CONTEXTS, key);
        if let Some(c) = typed_char(key) {
            self.text.push(c);
        } else if key.code == KeyCode::Backspace {
            self.text.pop();
        } else if cmd == Some(Command::ClearInput) {
            self.text.clear();
        } else if cmd == Some(Command::Confirm) {
            return Reply::Done(());
        } else if cmd == Some(Command::Close) {
            return Reply::Close;
        }
        Reply::Keep
    }

    pub fn draw(&self, f: &mut Frame, app: &App, area: Rect) {
        let d = self;
        let w = area.width.saturating_sub(2).min(72);
        let lines = vec![
            Line::from(vec![
                Span::styled(safe(&d.text), app.theme.style(Role::key)),
                Span::styled(" ", app.theme.style(Role::cursor)),
            ]),
            Line::raw(""),
            Line::styled(
                format!(
                    "{}: save (empty: remove)   {}: close",
                    key_name(&app.keymap, Self::CONTEXTS, Command::Confirm),
                    key_name(&app.keymap, Self::CONTEXTS, Command::Close)
                ),
                app.theme.style(Role::hint),
            ),
        ];
        let h = wrapped_height(&lines, w.saturating_sub(2)) + 2;
        let rect = centered(area, w, h);
        let title = format!(
            " Note on {} ({}) ",
            safe(&d.technique),
            scope_label(d.scope)
        );
        show(f, app, rect, &title, lines);
    }
}
