//! The help: every key binding, generated from the keymap (so it lists what is bound, remapped
//! keys included), scrollable; any other key closes it.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::{Outcome, Popup, Reply, centered};
use crate::tui::app::App;
use crate::tui::keymap::{Command, Context, Keymap};
use crate::tui::theme::Role;
use crate::tui::ui::fit;

pub const CONTEXTS: &[Context] = &[Context::Popup];

/// The help popup and its scroll.
#[derive(Debug, Default)]
pub struct Help {
    pub scroll: u16,
}

/// The help key toggles it: pressed while the help is on top, it closes it.
pub fn open(app: &mut App) -> Option<Box<dyn Popup>> {
    if app.popup::<Help>().is_some() {
        app.close_popup();
        return None;
    }
    Some(Box::new(Help::default()))
}

impl Popup for Help {
    fn on_key(&mut self, key: &KeyEvent, keymap: &Keymap) -> Outcome {
        match on_key(&mut self.scroll, key, keymap) {
            Reply::Keep => Outcome::Keep,
            _ => Outcome::Close,
        }
    }
    fn draw(&self, f: &mut Frame, app: &App, area: Rect) {
        draw(f, app, area, self.scroll)
    }
}

/// Scrolls `scroll`; any key that is not a scroll key closes the help.
pub fn on_key(scroll: &mut u16, key: &KeyEvent, keymap: &Keymap) -> Reply<()> {
    *scroll = match keymap.command(CONTEXTS, key) {
        Some(Command::Down) => *scroll + 1,
        Some(Command::Up) => scroll.saturating_sub(1),
        Some(Command::PageDown) => *scroll + 10,
        Some(Command::PageUp) => scroll.saturating_sub(10),
        _ => return Reply::Close,
    };
    Reply::Keep
}

/// The help, generated from the keymap: every section, in lookup order.
pub fn draw(f: &mut Frame, app: &App, area: Rect, scroll: u16) {
    let mut lines = Vec::new();
    let mut last = None;
    for (ctx, cmd, keys) in app.keymap.help_rows() {
        if last != Some(ctx) {
            if last.is_some() {
                lines.push(Line::raw(""));
            }
            lines.push(Line::styled(
                match ctx.name() {
                    "global" => "Everywhere".to_owned(),
                    "editor" => "While editing the report (other keys type; shift+arrows select, ctrl+arrows move by word, ctrl-x cuts)".to_owned(),
                    "view" => "In the report while it is read-only (arrows move, shift+arrows select; the panes' keys work too)".to_owned(),
                    "popup" => "In popups (text prompts type letters)".to_owned(),
                    "export" => "In the export dialog (and the popup keys)".to_owned(),
                    _ => "In the results and heatmap panes".to_owned(),
                },
                app.theme.style(Role::title),
            ));
            last = Some(ctx);
        }
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {:<22}", fit(&keys, 22)),
                app.theme.style(Role::key),
            ),
            Span::raw(cmd.help()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Mouse: click to focus/select, drag to select text, wheel to scroll. Keys: $XDG_CONFIG_HOME/mitremap/keymap.toml",
        app.theme.style(Role::dim),
    ));
    let h = area.height.saturating_sub(2).min(lines.len() as u16 + 2);
    let rect = centered(area, area.width.saturating_sub(4).min(90), h);
    f.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(Line::styled(
            " Keys (↑/↓ scroll, f1 closes) ",
            app.theme.style(Role::title),
        ))
        .border_style(app.theme.style(Role::border_focus))
        .style(app.theme.style(Role::base));
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        rect,
    );
}
