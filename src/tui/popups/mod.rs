//! Popups as layers (helix's compositor, gitui's popups): every open popup is a `Box<dyn Popup>`
//! on the app's stack; the top one gets the keys and they are drawn bottom to top. A popup owns
//! its state, turns keys into what they mean through the keymap (its own section, then
//! `[popup]`, via [`Keymap::command`]) and draws itself. It never reaches into the app while it
//! handles a key: it answers an [`Outcome`], and what it wants done to the app travels as a
//! callback the app's pure `update(action) -> effects` core runs (so every popup is tested
//! through the same state tests as the rest).
//!
//! Adding a popup: a module here with a struct implementing [`Popup`] and an `open` function
//! (an [`Opener`]), and one line in [`OPENERS`] naming the command that opens it; that command
//! is a line in `keymap.rs`'s `commands!` and a key in `keymap.toml`. Nothing else matches on
//! popups.

pub mod add_technique;
pub mod export;
pub mod help;
pub mod note;
pub mod recovery;
pub mod save_as;
pub mod search;
pub mod start_notes;

use std::any::Any;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::action::Effect;
use super::app::App;
use super::keymap::{Command, Context, Keymap};
use super::theme::Role;

/// What a popup asks of the app: run on it once the key is handled.
pub type AppCallback = Box<dyn FnOnce(&mut App) -> Vec<Effect>>;

/// What a key did to a popup (the layer's answer to the compositor).
pub enum Outcome {
    /// Still open (its state may have changed).
    Keep,
    /// Closed, nothing to do.
    Close,
    /// Closed, with something for the app to do.
    Done(AppCallback),
    /// Still open, with something for the app to do (e.g. say why nothing happened).
    KeepAnd(AppCallback),
}

impl Outcome {
    pub fn done(f: impl FnOnce(&mut App) -> Vec<Effect> + 'static) -> Outcome {
        Outcome::Done(Box::new(f))
    }
    pub fn keep_and(f: impl FnOnce(&mut App) -> Vec<Effect> + 'static) -> Outcome {
        Outcome::KeepAnd(Box::new(f))
    }
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Outcome::Keep => "Keep",
            Outcome::Close => "Close",
            Outcome::Done(_) => "Done(..)",
            Outcome::KeepAnd(_) => "KeepAnd(..)",
        })
    }
}

/// A layer over the panes.
pub trait Popup: Any {
    /// The keymap sections its keys are looked up in, in order.
    fn contexts(&self) -> &'static [Context] {
        &[Context::Popup]
    }
    /// A key pressed while it is on top (the global quit key never reaches it).
    fn on_key(&mut self, key: &KeyEvent, keymap: &Keymap) -> Outcome;
    /// Text pasted while it is on top; true when it took it (a text prompt).
    fn paste(&mut self, _text: &str) -> bool {
        false
    }
    fn draw(&self, f: &mut Frame, app: &App, area: Rect);
}

/// Opens a popup for a command: `None` when it cannot open now (the opener says why).
pub type Opener = fn(&mut App) -> Option<Box<dyn Popup>>;

/// The one table of popups a command opens (the help, the export dialog...). A command found
/// here never reaches the app's own command handling.
pub const OPENERS: &[(Command, Opener)] = &[
    (Command::Help, help::open),
    (Command::Search, search::open),
    (Command::SaveAs, save_as::open),
    (Command::Export, export::open),
    (Command::AddTechnique, add_technique::open),
    (Command::Note, note::open),
];

/// Draws the open popups, bottom to top.
pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    for popup in app.popups() {
        popup.draw(f, app, area);
    }
}

/// One line of pasted text for a prompt (a newline would end the prompt's line).
pub fn paste_line(line: &mut String, text: &str) -> bool {
    line.push_str(&text.replace(['\n', '\r'], " "));
    true
}

pub fn scope_label(scope: mitremap_review::Scope) -> String {
    match scope {
        mitremap_review::Scope::Report => "for the report".to_owned(),
        mitremap_review::Scope::Chunk(c) => format!("in chunk {c}"),
    }
}

/// What a key did to a popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<T> {
    /// Still open (its state may have changed).
    Keep,
    /// Closed, nothing to do.
    Close,
    /// Closed, with something for the app to do.
    Done(T),
}

/// A key typed into a popup's text prompt (a character without ctrl or alt).
pub fn typed_char(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    }
}

/// A one-line path prompt: typed characters, Backspace, the clear key. True when `key` was one.
pub fn edit_line(line: &mut String, key: &KeyEvent, cmd: Option<Command>) -> bool {
    if let Some(c) = typed_char(key) {
        line.push(c);
    } else if cmd == Some(Command::ClearInput) {
        line.clear();
    } else if key.code == KeyCode::Backspace {
        line.pop();
    } else {
        return false;
    }
    true
}

/// The first key of a command in a popup's sections, for its hints (they follow the keymap).
pub fn key_name(keymap: &Keymap, contexts: &[Context], cmd: Command) -> String {
    contexts
        .iter()
        .find_map(|ctx| keymap.first_key(*ctx, cmd))
        .map_or_else(|| "?".to_owned(), |k| k.to_string())
}

/// A bordered popup with `lines`, word-wrapped.
pub fn show(f: &mut Frame, app: &App, rect: Rect, title: &str, lines: Vec<Line<'_>>) {
    f.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(Line::styled(title, app.theme.style(Role::title)))
        .border_style(app.theme.style(Role::border_focus))
        .style(app.theme.style(Role::base));
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(r);
    r
}

/// Rows `lines` take when word-wrapped to `width` columns (as the popup's paragraph wraps them).
pub fn wrapped_height(lines: &[Line<'_>], width: u16) -> u16 {
    if width == 0 {
        return lines.len() as u16;
    }
    Paragraph::new(lines.to_vec())
        .wrap(Wrap { trim: false })
        .line_count(width) as u16
}

/// The path being typed (with a cursor), and under it the folder a relative path is in: that
/// folder is otherwise invisible to the analyst. Shared by the export and save-as prompts.
pub fn path_field(app: &App, path: &str, cwd_width: usize) -> Vec<Line<'static>> {
    use crate::tui::ui::{fit, safe};
    use ratatui::text::Span;
    let mut lines = vec![Line::from(vec![
        Span::styled(safe(path), app.theme.style(Role::key)),
        Span::styled(" ", app.theme.style(Role::cursor)),
    ])];
    if std::path::Path::new(path).is_relative()
        && !path.is_empty()
        && let Some(cwd) = &app.cwd
    {
        lines.push(Line::styled(
            format!("in {}", fit(&safe(&cwd.display().to_string()), cwd_width)),
            app.theme.style(Role::dim),
        ));
    }
    lines
}

/// The last line of a path prompt: the overwrite question while `confirm` is set, else how to
/// write (`action`, e.g. "write") or close. `key` names a command's key in the prompt's context.
pub fn write_footer(
    app: &App,
    path: &str,
    confirm: bool,
    (question, action): (&str, &str),
    key: impl Fn(Command) -> String,
) -> Line<'static> {
    use crate::tui::ui::safe;
    if confirm {
        // any key but yes goes back, so "n" is always true
        Line::styled(
            format!("{} exists. {question} {}/n", safe(path), key(Command::Yes)),
            app.theme.style(Role::warning),
        )
    } else {
        Line::styled(
            format!(
                "{}: {action} (atomically)   {}: close",
                key(Command::Confirm),
                key(Command::Close)
            ),
            app.theme.style(Role::hint),
        )
    }
}
