//! The search prompt: a needle for the report text (case-insensitive).

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Outcome, Popup, Reply, centered, key_name, paste_line, show, typed_char};
use crate::tui::app::App;
use crate::tui::keymap::{Command, Context, Keymap};
use crate::tui::theme::Role;
use crate::tui::ui::safe;

pub const CONTEXTS: &[Context] = &[Context::Popup];

/// The search prompt and the needle typed so far.
#[derive(Debug, Default)]
pub struct Search {
    pub needle: String,
}

pub fn open(_app: &mut App) -> Option<Box<dyn Popup>> {
    Some(Box::new(Search::default()))
}

impl Popup for Search {
    fn on_key(&mut self, key: &KeyEvent, keymap: &Keymap) -> Outcome {
        match on_key(&mut self.needle, key, keymap) {
            Reply::Keep => Outcome::Keep,
            Reply::Close => Outcome::Close,
            Reply::Done(needle) => Outcome::done(move |app| {
                app.search(needle);
                Vec::new()
            }),
        }
    }
    fn paste(&mut self, text: &str) -> bool {
        paste_line(&mut self.needle, text)
    }
    fn draw(&self, f: &mut Frame, app: &App, area: Rect) {
        draw(f, app, area, &self.needle)
    }
}

/// Types into `needle`; the confirm key searches for it.
pub fn on_key(needle: &mut String, key: &KeyEvent, keymap: &Keymap) -> Reply<String> {
    let cmd = keymap.command(CONTEXTS, key);
    if let Some(c) = typed_char(key) {
        needle.push(c);
    } else if key.code == KeyCode::Backspace {
        needle.pop();
    } else if cmd == Some(Command::ClearInput) {
        needle.clear();
    } else if cmd == Some(Command::Confirm) {
        return Reply::Done(needle.clone());
    } else if cmd == Some(Command::Close) {
        return Reply::Close;
    }
    Reply::Keep
}

pub fn draw(f: &mut Frame, app: &App, area: Rect, needle: &str) {
    let lines = vec![Line::from(vec![
        Span::styled("/", app.theme.style(Role::key)),
        Span::raw(safe(needle)),
        Span::styled(" ", app.theme.style(Role::cursor)),
    ])];
    let rect = centered(area, 50, 3);
    let title = format!(
        " Search ({}: find, {}: close) ",
        key_name(&app.keymap, CONTEXTS, Command::Confirm),
        key_name(&app.keymap, CONTEXTS, Command::Close)
    );
    show(f, app, rect, &title, lines);
}
