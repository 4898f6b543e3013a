//! Adding a technique the model missed: a catalogue search by ID or name (fuzzy), sub-techniques
//! listed with their parent's name.

use crossterm::event::{KeyCode, KeyEvent};
use mitremap_review::Scope;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Outcome, Popup, Reply, centered, key_name, paste_line, scope_label, show, typed_char};
use crate::tui::app::App;
use crate::tui::keymap::{Command, Context, Keymap};
use crate::tui::theme::Role;
use crate::tui::ui::{fit, safe};

/// How many catalogue matches the add dialog lists.
pub const ADD_MATCHES: usize = 10;

/// Adding a technique the model missed: a catalogue search (ID or name, fuzzy).
#[derive(Debug, Clone)]
pub struct AddDialog {
    pub query: String,
    /// Position in the matches.
    pub selected: usize,
    /// The whole report, or the chunk the dialog was opened on.
    pub scope: Scope,
}

/// On the whole report or the chunk on show (see `App::add_scope`).
pub fn open(app: &mut App) -> Option<Box<dyn Popup>> {
    if !app.review_ready() {
        return None;
    }
    match app.add_scope() {
        Some(scope) => Some(Box::new(AddDialog::new(scope))),
        None => {
            app.error("select a technique or a chunk to add a technique to".into());
            None
        }
    }
}

impl Popup for AddDialog {
    fn on_key(&mut self, key: &KeyEvent, keymap: &Keymap) -> Outcome {
        match AddDialog::on_key(self, key, keymap) {
            Reply::Keep => Outcome::Keep,
            Reply::Close => Outcome::Close,
            Reply::Done(Some(id)) => {
                let scope = self.scope;
                Outcome::done(move |app| {
                    app.record_verdict(id, scope, mitremap_review::Verdict::Added)
                })
            }
            Reply::Done(None) => Outcome::keep_and(|app| {
                app.error("no technique matches: type an ID or a name".into());
                Vec::new()
            }),
        }
    }
    fn paste(&mut self, text: &str) -> bool {
        paste_line(&mut self.query, text)
    }
    fn draw(&self, f: &mut Frame, app: &App, area: Rect) {
        AddDialog::draw(self, f, app, area)
    }
}

impl AddDialog {
    pub const CONTEXTS: &'static [Context] = &[Context::Popup];

    pub fn new(scope: Scope) -> AddDialog {
        AddDialog {
            query: String::new(),
            selected: 0,
            scope,
        }
    }

    /// Done with the chosen technique's ID; `Done(None)`: nothing matches.
    pub fn on_key(&mut self, key: &KeyEvent, keymap: &Keymap) -> Reply<Option<String>> {
        let cmd = keymap.command(Self::CONTEXTS, key);
        if let Some(c) = typed_char(key) {
            self.query.push(c);
            self.selected = 0;
        } else if key.code == KeyCode::Backspace {
            self.query.pop();
            self.selected = 0;
        } else if cmd == Some(Command::ClearInput) {
            self.query.clear();
            self.selected = 0;
        } else if cmd == Some(Command::Down) {
            let n = mitremap_review::search_catalog(&self.query, ADD_MATCHES).len();
            self.selected = (self.selected + 1).min(n.saturating_sub(1));
        } else if cmd == Some(Command::Up) {
            self.selected = self.selected.saturating_sub(1);
        } else if cmd == Some(Command::Confirm) {
            let found = mitremap_review::search_catalog(&self.query, ADD_MATCHES);
            return Reply::Done(found.get(self.selected).map(|t| t.id.clone()));
        } else if cmd == Some(Command::Close) {
            return Reply::Close;
        }
        Reply::Keep
    }

    /// The catalogue search for a technique the model missed: ID or name, fuzzy, sub-techniques
    /// listed with their parent's name.
    pub fn draw(&self, f: &mut Frame, app: &App, area: Rect) {
        let d = self;
        let w = area.width.saturating_sub(2).min(72);
        let inner = w.saturating_sub(2) as usize;
        let mut lines = vec![Line::from(vec![
            Span::styled("Technique ID or name: ", app.theme.style(Role::dim)),
            Span::styled(safe(&d.query), app.theme.style(Role::key)),
            Span::styled(" ", app.theme.style(Role::cursor)),
        ])];
        let found = mitremap_review::search_catalog(&d.query, ADD_MATCHES);
        if found.is_empty() {
            lines.push(Line::styled(
                if d.query.trim().is_empty() {
                    "e.g. T1566.001, phishing, pwrshl"
                } else {
                    "no technique matches"
                },
                app.theme.style(Role::dim),
            ));
        }
        for (i, t) in found.iter().enumerate() {
            let style = if i == d.selected {
                app.theme.style(Role::selected)
            } else {
                app.theme.style(Role::base)
            };
            let text = format!(
                " {} {:<10}{}",
                if i == d.selected { "▸" } else { " " },
                t.id,
                mitremap_review::full_name(t)
            );
            lines.push(Line::styled(fit(&text, inner), style));
        }
        for _ in found.len().max(1)..ADD_MATCHES {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(
            format!(
                "{}/{}: choose   {}: add   {}: close",
                key_name(&app.keymap, Self::CONTEXTS, Command::Up),
                key_name(&app.keymap, Self::CONTEXTS, Command::Down),
                key_name(&app.keymap, Self::CONTEXTS, Command::Confirm),
                key_name(&app.keymap, Self::CONTEXTS, Command::Close)
            ),
            app.theme.style(Role::hint),
        ));
        let rect = centered(area, w, lines.len() as u16 + 2);
        let title = format!(
            " Add a technique the model missed ({}) ",
            scope_label(d.scope)
        );
        show(f, app, rect, &title, lines);
    }
}
