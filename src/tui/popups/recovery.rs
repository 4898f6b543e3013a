//! The recovery offer: text of a session that did not end cleanly. Restoring is the confirm key;
//! a reflexive Esc only closes it (the file stays, offered again next start); deleting the text
//! takes the discard key and then yes.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::{Outcome, Popup, Reply, centered, key_name, show, wrapped_height};
use crate::tui::action::Effect;
use crate::tui::app::{App, Recovered};
use crate::tui::keymap::{Command, Context, Keymap};
use crate::tui::theme::Role;
use crate::tui::ui::{fit, safe, safe_lines};

pub const CONTEXTS: &[Context] = &[Context::Popup];

/// What the analyst chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Restore,
    /// Delete the recovered text for good (after discard, then yes).
    Delete,
    /// Closed: the text stays for the next start.
    Later,
}

/// The offer. `confirm_discard`: discard was pressed once; deleting the text for good needs
/// yes now (Esc never deletes it).
#[derive(Debug, Clone)]
pub struct RecoveryOffer {
    pub recovered: Recovered,
    pub confirm_discard: bool,
}

impl RecoveryOffer {
    pub fn new(recovered: Recovered) -> RecoveryOffer {
        RecoveryOffer {
            recovered,
            confirm_discard: false,
        }
    }
}

impl Popup for RecoveryOffer {
    fn on_key(&mut self, key: &KeyEvent, keymap: &Keymap) -> Outcome {
        match on_key(&mut self.confirm_discard, key, keymap) {
            Reply::Keep | Reply::Close => Outcome::Keep,
            Reply::Done(choice) => {
                let recovered = self.recovered.clone();
                Outcome::done(move |app| match choice {
                    Choice::Restore => app.restore(recovered),
                    Choice::Delete => {
                        app.info("recovered text deleted".into());
                        vec![Effect::RemoveRecovery(Some(recovered.path))]
                    }
                    // A reflexive Esc (or n) only closes the offer: the file stays and is
                    // offered again next time.
                    Choice::Later => {
                        app.info(format!(
                            "recovered text kept in {} (offered again next start)",
                            recovered.path.display()
                        ));
                        Vec::new()
                    }
                })
            }
        }
    }
    fn draw(&self, f: &mut Frame, app: &App, area: Rect) {
        draw(f, app, area, &self.recovered, self.confirm_discard)
    }
}

/// `confirm_discard`: discard was pressed once, and only yes deletes now.
pub fn on_key(confirm_discard: &mut bool, key: &KeyEvent, keymap: &Keymap) -> Reply<Choice> {
    let cmd = keymap.command(CONTEXTS, key);
    if *confirm_discard {
        if cmd == Some(Command::Yes) {
            return Reply::Done(Choice::Delete);
        }
        *confirm_discard = false;
        return Reply::Keep;
    }
    match cmd {
        Some(Command::Confirm | Command::Yes) => Reply::Done(Choice::Restore),
        Some(Command::Discard) => {
            *confirm_discard = true;
            Reply::Keep
        }
        Some(Command::Close) => Reply::Done(Choice::Later),
        _ => Reply::Keep,
    }
}

/// The recovery offer, laid out from its wrapped height: the key hints come first in the budget
/// (never cut off), then the explanation, then as much of the text as fits.
pub fn draw(f: &mut Frame, app: &App, area: Rect, r: &Recovered, confirm_discard: bool) {
    let w = area.width.saturating_sub(2).min(64);
    let inner = w.saturating_sub(2) as usize;
    let max_inner_h = area.height.saturating_sub(2) as usize;
    let hints: Vec<Line> = if confirm_discard {
        vec![
            Line::styled(
                format!("Delete these {} bytes for good?", r.text.len()),
                app.theme.style(Role::warning),
            ),
            Line::styled(
                format!(
                    "{}: delete   any other key: back",
                    key_name(&app.keymap, CONTEXTS, Command::Yes)
                ),
                app.theme.style(Role::key),
            ),
        ]
    } else {
        vec![Line::styled(
            format!(
                "{}: restore   {}: later (kept)   {}: discard…",
                key_name(&app.keymap, CONTEXTS, Command::Confirm),
                key_name(&app.keymap, CONTEXTS, Command::Close),
                key_name(&app.keymap, CONTEXTS, Command::Discard)
            ),
            app.theme.style(Role::key),
        )]
    };
    let mut head = vec![Line::styled(
        format!(
            "mitremap did not exit cleanly {}. Its text was saved.",
            r.age
        ),
        app.theme.style(Role::warning),
    )];
    if let Some(orig) = &r.original {
        head.push(Line::styled(
            format!("It was editing {}", safe(&orig.display().to_string())),
            app.theme.style(Role::dim),
        ));
    }
    head.push(Line::styled(
        format!(
            "{} bytes in {}",
            r.text.len(),
            safe(&r.path.display().to_string())
        ),
        app.theme.style(Role::dim),
    ));
    let hints_h = wrapped_height(&hints, inner as u16) as usize;
    let mut lines: Vec<Line> = Vec::new();
    let mut used = hints_h;
    for l in head {
        let h = wrapped_height(std::slice::from_ref(&l), inner as u16) as usize;
        if used + h > max_inner_h {
            break;
        }
        used += h;
        lines.push(l);
    }
    // a preview of the text, one row per line, if there is room (with a blank row around it)
    let room = max_inner_h.saturating_sub(used + 2).min(4);
    if room > 0 {
        lines.push(Line::raw(""));
        for l in safe_lines(&r.text)
            .into_iter()
            .filter(|l| !l.trim().is_empty())
            .take(room)
        {
            lines.push(Line::raw(fit(&l, inner)));
        }
        lines.push(Line::raw(""));
    }
    lines.extend(hints);
    let h = wrapped_height(&lines, inner as u16) + 2;
    let rect = centered(area, w, h);
    show(f, app, rect, " Recover unsaved text? ", lines);
}
