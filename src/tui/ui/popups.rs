//! Popups: help (generated from the keymap), export dialog, search prompt, recovery offer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::{fit, safe, safe_lines};
use crate::tui::app::{ADD_MATCHES, AddDialog, App, NoteDialog, Popup, Recovered};
use crate::tui::keymap::{Command, Context};
pub use crate::tui::popups::{centered, show, wrapped_height};
use crate::tui::theme::Role;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    match &app.popup {
        None => {}
        Some(Popup::Help { scroll }) => help(f, app, area, *scroll),
        Some(Popup::Export(d)) => d.draw(f, app, area),
        Some(Popup::Search(s)) => {
            let lines = vec![Line::from(vec![
                Span::styled("/", app.theme.style(Role::key)),
                Span::raw(safe(s)),
                Span::styled(" ", app.theme.style(Role::cursor)),
            ])];
            let rect = centered(area, 50, 3);
            let title = format!(
                " Search ({}: find, {}: close) ",
                pk(app, Command::Confirm),
                pk(app, Command::Close)
            );
            show(f, app, rect, &title, lines);
        }
        Some(Popup::SaveAs(d)) => d.draw(f, app, area),
        Some(Popup::Recovery {
            recovered,
            confirm_discard,
        }) => recovery(f, app, area, recovered, *confirm_discard),
        Some(Popup::AddTechnique(d)) => add_technique(f, app, area, d),
        Some(Popup::Note(d)) => note(f, app, area, d),
        Some(Popup::Problems(problems)) => {
            let mut lines: Vec<Line> = problems
                .iter()
                .map(|p| Line::styled(format!("• {}", safe(p)), app.theme.style(Role::warning)))
                .collect();
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "The rest applies as usual. Any key closes.",
                app.theme.style(Role::key),
            ));
            let w = area.width.saturating_sub(2).min(90);
            let h = wrapped_height(&lines, w.saturating_sub(2)) + 2;
            let rect = centered(area, w, h);
            show(f, app, rect, " Problems at start ", lines);
        }
    }
}

fn scope_label(scope: mitremap_review::Scope) -> String {
    match scope {
        mitremap_review::Scope::Report => "for the report".to_owned(),
        mitremap_review::Scope::Chunk(c) => format!("in chunk {c}"),
    }
}

/// The catalogue search for a technique the model missed: ID or name, fuzzy, sub-techniques
/// listed with their parent's name.
fn add_technique(f: &mut Frame, app: &App, area: Rect, d: &AddDialog) {
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
            "↑/↓: choose   {}: add   {}: close",
            pk(app, Command::Confirm),
            pk(app, Command::Close)
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

fn note(f: &mut Frame, app: &App, area: Rect, d: &NoteDialog) {
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
                pk(app, Command::Confirm),
                pk(app, Command::Close)
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

/// The recovery offer, laid out from its wrapped height: the key hints come first in the budget
/// (never cut off), then the explanation, then as much of the text as fits.
fn recovery(f: &mut Frame, app: &App, area: Rect, r: &Recovered, confirm_discard: bool) {
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
                format!("{}: delete   any other key: back", pk(app, Command::Yes)),
                app.theme.style(Role::key),
            ),
        ]
    } else {
        vec![Line::styled(
            format!(
                "{}: restore   {}: later (kept)   {}: discard…",
                pk(app, Command::Confirm),
                pk(app, Command::Close),
                pk(app, Command::Discard)
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

fn help(f: &mut Frame, app: &App, area: Rect, scroll: u16) {
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

/// The first key of a popup command, for the popups' hints (they follow the keymap).
fn pk(app: &App, cmd: Command) -> String {
    app.keymap
        .first_key(Context::Popup, cmd)
        .map_or_else(|| "?".to_owned(), |k| k.to_string())
}
