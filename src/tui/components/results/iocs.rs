//! The IoCs tab: IoCs grouped by type (private and benign ones dimmed, or hidden).

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{ResultsTab, ReviewTarget};
use crate::tui::app::{App, ChunkPos};
use crate::tui::keymap::Command;
use crate::tui::theme::Role;
use crate::tui::ui::results::{Rows, empty_message, sel_style};
use crate::tui::ui::{fit, safe};

pub struct Iocs;

/// The tab's own state.
#[derive(Debug, Clone, Default)]
pub struct IocsState {
    /// Row among the visible IoCs.
    pub selected: usize,
    /// Private and benign IoCs hidden (else dimmed).
    pub hide_noise: bool,
}

impl ResultsTab for Iocs {
    fn title(&self) -> &'static str {
        "IoCs"
    }

    fn short_title(&self) -> &'static str {
        "IoC"
    }

    fn command(&self) -> Command {
        Command::TabIocs
    }

    fn count(&self, app: &App) -> Option<usize> {
        Some(app.visible_iocs().count())
    }

    fn len(&self, app: &App) -> usize {
        app.visible_iocs().count()
    }

    fn selected(&self, app: &App) -> usize {
        app.results.iocs.selected
    }

    fn select(&self, app: &mut App, i: usize) {
        app.results.iocs.selected = i;
    }

    /// Rows count the group headers.
    fn click_row(&self, app: &mut App, row: usize) {
        let mut r = 0;
        let mut item = 0;
        let mut target = None;
        'groups: for (_, items) in app.visible_groups() {
            r += 1; // the group's header row
            for _ in items {
                if r == row {
                    target = Some(item);
                    break 'groups;
                }
                r += 1;
                item += 1;
            }
        }
        if let Some(t) = target {
            app.results.iocs.selected = t;
        }
    }

    fn jump_target(&self, app: &App) -> Option<usize> {
        app.selected_ioc().map(|s| s.first)
    }

    fn linked_chunks(&self, _app: &App) -> Vec<ChunkPos> {
        Vec::new()
    }

    /// Defanged unless `fanged` (a live URL pasted into a ticket or chat is a hazard).
    fn copy_item(&self, app: &App, fanged: bool) -> Option<(String, String)> {
        app.selected_ioc().map(|s| {
            if fanged {
                (
                    s.value.clone(),
                    format!("{} (live, not defanged)", s.kind.as_str()),
                )
            } else {
                (
                    mitremap_engine::ioc::defang(&s.value, s.kind),
                    format!("{} (defanged)", s.kind.as_str()),
                )
            }
        })
    }

    fn review_target(&self) -> ReviewTarget {
        ReviewTarget::Nothing
    }

    fn rows(&self, app: &App, width: usize, list_h: usize) -> Rows {
        rows(app, width, list_h)
    }
}

/// Header, the visible rows and the scroll offset.
pub fn rows(app: &App, width: usize, list_h: usize) -> Rows {
    let noise = if app.results.iocs.hide_noise {
        "hidden"
    } else {
        "dimmed"
    };
    let header = Line::styled(
        format!("IoCs by type (private/benign {noise}; n toggles)"),
        app.theme.style(Role::dim),
    );
    // the selected item's row (group headers count) decides the scroll offset
    let mut selected_row = 0;
    let mut row = 0;
    let mut item = 0;
    for (_, items) in app.visible_groups() {
        row += 1;
        if app.results.iocs.selected < item + items.len() {
            selected_row = row + app.results.iocs.selected - item;
            break;
        }
        row += items.len();
        item += items.len();
    }
    let offset = selected_row.saturating_sub(list_h.saturating_sub(1));
    let visible = offset..offset + list_h;
    let mut rows = Vec::new();
    let mut row = 0;
    let mut item = 0;
    for (kind, items) in app.visible_groups() {
        if row >= visible.end {
            break;
        }
        if row + 1 + items.len() <= visible.start {
            row += 1 + items.len();
            item += items.len();
            continue;
        }
        if visible.contains(&row) {
            rows.push(Line::from(vec![
                Span::styled(
                    format!("{} ", kind.as_str()),
                    crate::tui::ui::ioc_style(app, kind),
                ),
                Span::styled(format!("({})", items.len()), app.theme.style(Role::dim)),
            ]));
        }
        row += 1;
        for s in items {
            let sel = item == app.results.iocs.selected;
            if !visible.contains(&row) {
                row += 1;
                item += 1;
                continue;
            }
            row += 1;
            let tag = match (s.flags.private, s.flags.benign, s.flags.lookalike) {
                (true, _, _) => " private",
                (_, true, _) => " benign",
                (_, _, true) => " lookalike",
                _ => "",
            };
            let count = if s.count > 1 {
                format!(" ×{}", s.count)
            } else {
                String::new()
            };
            let value_w = width.saturating_sub(2 + count.len() + tag.len());
            let mut style = if s.flags.is_noise() {
                app.theme.style(Role::dim)
            } else {
                Style::default()
            };
            style = style.patch(sel_style(app, sel));
            rows.push(
                Line::from(vec![
                    Span::raw(format!("  {}", fit(&safe(&s.value), value_w))),
                    Span::styled(count, app.theme.style(Role::dim)),
                    Span::styled(tag.to_owned(), app.theme.style(Role::dim)),
                ])
                .style(style),
            );
            item += 1;
        }
    }
    if rows.is_empty() {
        let msg = if app.report.is_some() && !app.is_running() && !app.stale {
            "No IoCs found."
        } else {
            empty_message(app)
        };
        rows.push(Line::styled(msg, app.theme.style(Role::dim)));
    }
    (header, rows, offset)
}
