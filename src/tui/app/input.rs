//! Keys and the mouse: the one place a key becomes what it does (popups get theirs first), focus.

use super::*;

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        let armed = std::mem::take(&mut self.quit_armed);
        if let Some(mut popup) = self.popups.pop() {
            if self.keymap.command(&[Context::Global], &key) == Some(Command::Quit) {
                self.popups.push(popup);
                self.quit_armed = armed;
                return self.command(Command::Quit);
            }
            return match popup.on_key(&key, &self.keymap) {
                Outcome::Keep => {
                    self.popups.push(popup);
                    Vec::new()
                }
                Outcome::Close => Vec::new(),
                Outcome::Done(then) => then(self),
                Outcome::KeepAnd(then) => {
                    self.popups.push(popup);
                    then(self)
                }
            };
        }
        match self.resolve(&key) {
            KeyUse::Command(cmd) => {
                if cmd == Command::Quit {
                    // `q q` (or ctrl-q ctrl-q) quits: only another key disarms
                    self.quit_armed = armed;
                }
                self.command(cmd)
            }
            KeyUse::Type => self.editor_input(key),
            KeyUse::Move => {
                self.editor.area.input(key);
                self.follow_cursor();
                Vec::new()
            }
            KeyUse::ReadOnly => {
                self.read_only_hint();
                Vec::new()
            }
            KeyUse::Nothing => Vec::new(),
        }
    }

    /// The keymap contexts that apply now, in lookup order.
    pub fn contexts(&self) -> &'static [Context] {
        match (self.focus, self.editor.editing) {
            (Focus::Editor, true) => &[Context::Global, Context::Editor],
            (Focus::Editor, false) => &[Context::Global, Context::View, Context::Panes],
            _ => &[Context::Global, Context::Panes],
        }
    }

    /// The one place a key becomes what it does, in every context (popups aside).
    pub fn resolve(&self, key: &KeyEvent) -> KeyUse {
        if self.focus == Focus::Editor && !self.editor.editing {
            // read-only report: arrows move (and select) the cursor before pane keys apply
            if let Some(cmd) = self.keymap.command(&[Context::Global, Context::View], key) {
                return KeyUse::Command(cmd);
            }
            if is_movement(key.code) {
                return KeyUse::Move;
            }
            if let Some(cmd) = self.keymap.command(&[Context::Panes], key) {
                return KeyUse::Command(cmd);
            }
            return if would_edit(key) {
                KeyUse::ReadOnly
            } else {
                KeyUse::Nothing
            };
        }
        if let Some(cmd) = self.keymap.command(self.contexts(), key) {
            return KeyUse::Command(cmd);
        }
        if self.focus == Focus::Editor {
            KeyUse::Type
        } else {
            KeyUse::Nothing
        }
    }

    pub(super) fn read_only_hint(&mut self) {
        let key = self
            .keymap
            .first_key(Context::View, Command::Edit)
            .or_else(|| self.keymap.first_key(Context::Panes, Command::Edit))
            .map_or_else(|| "the edit key".to_owned(), |k| k.to_string());
        self.info(format!("the report is read-only: press {key} to edit it"));
    }

    /// Focus moves; leaving the report ends editing (coming back is read-only until asked).
    pub(super) fn set_focus(&mut self, focus: Focus) {
        if focus != Focus::Editor || self.focus != Focus::Editor {
            self.editor.editing = false;
        }
        self.focus = focus;
    }

    pub(super) fn on_mouse(&mut self, m: MouseEvent) -> Vec<Effect> {
        if self.has_popup() {
            return Vec::new();
        }
        let areas = self.areas.get();
        let pos = ratatui::layout::Position::new(m.column, m.row);
        let pane = if areas.editor.contains(pos) {
            Some(Focus::Editor)
        } else if areas.results.contains(pos) {
            Some(Focus::Results)
        } else if areas.heatmap.contains(pos) {
            Some(Focus::Heatmap)
        } else {
            None
        };
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                let Some(pane) = pane else { return Vec::new() };
                self.set_focus(pane);
                match pane {
                    Focus::Editor => {
                        if let Some((r, c)) = self.editor.position_at(m.column, m.row) {
                            self.editor.area.cancel_selection();
                            self.editor.jump(r, c);
                            self.follow_cursor();
                        }
                    }
                    Focus::Results if m.row >= areas.list_top => {
                        let row = (m.row - areas.list_top) as usize + areas.list_offset;
                        self.select_row(row);
                    }
                    _ => {}
                }
            }
            MouseEventKind::Drag(MouseButton::Left) if pane == Some(Focus::Editor) => {
                if let Some((r, c)) = self.editor.position_at(m.column, m.row) {
                    if !self.editor.area.is_selecting() {
                        self.editor.area.start_selection();
                    }
                    self.editor.jump(r, c);
                }
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let down = m.kind == MouseEventKind::ScrollDown;
                match pane {
                    Some(Focus::Editor) => {
                        self.editor.scroll_lines(if down { 3 } else { -3 });
                        self.follow_cursor();
                    }
                    Some(Focus::Results) => self.move_selection(if down { 3 } else { -3 }),
                    Some(Focus::Heatmap) => self.chunk_view.scroll_by(if down { 2 } else { -2 }),
                    None => {}
                }
            }
            _ => {}
        }
        Vec::new()
    }
}

/// What a key does where it is pressed (see [`App::resolve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUse {
    Command(Command),
    /// Typed into the report (editing).
    Type,
    /// Moves the cursor or the selection in the read-only report.
    Move,
    /// Would change the read-only report: a hint says how to edit.
    ReadOnly,
    Nothing,
}

pub(super) fn is_movement(code: KeyCode) -> bool {
    matches!(
        code,
        KeyCode::Left
            | KeyCode::Right
            | KeyCode::Up
            | KeyCode::Down
            | KeyCode::Home
            | KeyCode::End
            | KeyCode::PageUp
            | KeyCode::PageDown
    )
}

pub(super) fn would_edit(key: &KeyEvent) -> bool {
    let ctrl_alt = key
        .modifiers
        .intersects(crossterm::event::KeyModifiers::CONTROL | crossterm::event::KeyModifiers::ALT);
    match key.code {
        KeyCode::Char(_) => !ctrl_alt,
        KeyCode::Backspace | KeyCode::Delete | KeyCode::Enter | KeyCode::Tab => true,
        _ => false,
    }
}
