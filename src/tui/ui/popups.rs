//! Popups: help (generated from the keymap), export dialog, search prompt, recovery offer.

use mitremap_export::Format;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::{fit, safe, safe_lines};
use crate::tui::app::{App, Popup};
use crate::tui::theme::Role;

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    match &app.popup {
        None => {}
        Some(Popup::Help { scroll }) => help(f, app, area, *scroll),
        Some(Popup::Export(d)) => {
            let mut lines = vec![Line::styled("Format (↑/↓):", app.theme.style(Role::dim))];
            for (i, fmt) in Format::ALL.iter().enumerate() {
                let style = if i == d.format {
                    app.theme.style(Role::selected)
                } else {
                    app.theme.style(Role::base)
                };
                lines.push(Line::styled(
                    format!(
                        " {} {:<10} *.{} ",
                        if i == d.format { "▸" } else { " " },
                        fmt.name(),
                        fmt.extension()
                    ),
                    style,
                ));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "Path (type to edit, ctrl-u clears):",
                app.theme.style(Role::dim),
            ));
            lines.push(Line::from(vec![
                Span::styled(safe(&d.path), app.theme.style(Role::key)),
                Span::styled(" ", app.theme.style(Role::cursor)),
            ]));
            lines.push(Line::raw(""));
            if d.confirm {
                lines.push(Line::styled(
                    format!("{} exists. Overwrite? y/n", safe(&d.path)),
                    app.theme.style(Role::warning),
                ));
            } else {
                lines.push(Line::styled(
                    "enter: write (atomically)   esc: close",
                    app.theme.style(Role::hint),
                ));
            }
            let rect = centered(area, 60, lines.len() as u16 + 2);
            show(f, app, rect, " Export ", lines);
        }
        Some(Popup::Search(s)) => {
            let lines = vec![Line::from(vec![
                Span::styled("/", app.theme.style(Role::key)),
                Span::raw(safe(s)),
                Span::styled(" ", app.theme.style(Role::cursor)),
            ])];
            let rect = centered(area, 50, 3);
            show(f, app, rect, " Search (enter: find, esc: close) ", lines);
        }
        Some(Popup::Recovery { path, text, age }) => {
            let mut lines = vec![
                Line::styled(
                    format!("mitremap did not exit cleanly {age}. Its text was saved:"),
                    app.theme.style(Role::warning),
                ),
                Line::styled(
                    fit(&safe(&path.display().to_string()), 56),
                    app.theme.style(Role::dim),
                ),
                Line::raw(""),
            ];
            for l in safe_lines(text)
                .into_iter()
                .filter(|l| !l.trim().is_empty())
                .take(4)
            {
                lines.push(Line::raw(fit(&l, 56)));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!("{} bytes. enter/y: restore   n/esc: discard", text.len()),
                app.theme.style(Role::key),
            ));
            let rect = centered(area, 60, lines.len() as u16 + 2);
            show(f, app, rect, " Recover unsaved text? ", lines);
        }
    }
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
                    "editor" => "In the editor (other keys edit; shift+arrows select, ctrl+arrows move by word, ctrl-x cuts)".to_owned(),
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

fn show(f: &mut Frame, app: &App, rect: Rect, title: &'static str, lines: Vec<Line<'_>>) {
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

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(r);
    r
}
