//! Popups, one module each (the gitui layout): a popup owns its state, turns keys into what they
//! mean through the keymap (its own section, then `[popup]`, via [`Keymap::command`]) and draws
//! itself. It never touches the app: a key gives a [`Reply`], and the app's pure
//! `update(action) -> effects` core does what the reply asks (so every popup is tested through
//! the same state tests as the rest).
//!
//! Adding a popup: a module here with its state struct, `CONTEXTS`, `on_key -> Reply<_>` and
//! `draw`; a variant of [`Popup`]; its keys in `keymap.toml` (a section of its own is a
//! [`Context`] variant, listed by the help like the others); one arm in `App::popup_key` and one
//! in `ui::popups::draw`.

pub mod add_technique;
pub mod export;
pub mod help;
pub mod note;
pub mod problems;
pub mod recovery;
pub mod save_as;
pub mod search;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::app::{App, Recovered};
use super::keymap::{Command, Context, Keymap};
use super::theme::Role;

/// The popup on top of the panes (at most one).
pub enum Popup {
    Help {
        scroll: u16,
    },
    Export(export::ExportDialog),
    SaveAs(save_as::SaveAsDialog),
    Search(String),
    /// Problems found at start (theme, keymap, config), in full: any key closes.
    Problems(Vec<String>),
    AddTechnique(add_technique::AddDialog),
    Note(note::NoteDialog),
    /// Offer back text of a session that did not end cleanly. `confirm_discard`: `d` was
    /// pressed once; deleting the text for good needs `y` now (Esc never deletes it).
    Recovery {
        recovered: Recovered,
        confirm_discard: bool,
    },
}

/// Draws the popup, if one is open.
pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    match &app.popup {
        None => {}
        Some(Popup::Help { scroll }) => help::draw(f, app, area, *scroll),
        Some(Popup::Export(d)) => d.draw(f, app, area),
        Some(Popup::Search(s)) => search::draw(f, app, area, s),
        Some(Popup::SaveAs(d)) => d.draw(f, app, area),
        Some(Popup::Recovery {
            recovered,
            confirm_discard,
        }) => recovery::draw(f, app, area, recovered, *confirm_discard),
        Some(Popup::AddTechnique(d)) => d.draw(f, app, area),
        Some(Popup::Note(d)) => d.draw(f, app, area),
        Some(Popup::Problems(problems)) => problems::draw(f, app, area, problems),
    }
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
