//! The editor pane: visible lines only, soft-wrapped, with the source gutter (the page or section
//! of a document's text, `source_gutter`), the chunk gutter, IoCs coloured by type, the linked
//! chunks, search matches, the selection and the cursor.

use std::ops::Range;

use mitremap_engine::ioc::{Ioc, IocKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::{App, ChunkPos, Focus};
use crate::tui::changes::{Assoc, ChangeSet};
use crate::tui::components::source_gutter::SourceGutter;
use crate::tui::editor::{display, wrap_rows};
use crate::tui::theme::Role;
use crate::tui::ui::pane_block;

/// Columns of the chunk gutter: the widest chunk index (at least 4 digits), `▸` and a space.
fn gutter_width(app: &App) -> u16 {
    let last = app
        .report
        .as_ref()
        .and_then(|r| r.chunks.last())
        .map_or(0, |c| c.index);
    crate::tui::ui::digits(last).max(4) as u16 + 2
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let ed = &app.editor;
    let (row, col) = ed.cursor();
    let mut title = vec![Span::styled(" Report ", app.theme.style(Role::title))];
    let name_at = title.len();
    // "modified" stays until the text is saved (not to be confused with stale results,
    // which the status bar shows); the mode says whether keys type. Short forms when narrow,
    // so the file name keeps some room.
    let mark = (app.modified && !(app.path.is_none() && ed.is_blank())).then(|| {
        if app.path.is_some() {
            ("[+] modified ", "[+] ")
        } else {
            ("[+] not saved ", "[+] ")
        }
    });
    let mode = (app.focus == Focus::Editor).then_some(if app.editor.editing {
        ("EDIT ", "EDIT ", Role::key)
    } else {
        ("read-only ", "RO ", Role::dim)
    });
    let pos = format!("{}:{} ", row + 1, col + 1);
    // narrow: first the word "Report" goes, then the long marks
    let marks_w = mark.map_or(0, |m| m.0.len()) + mode.map_or(0, |m| m.0.len()) + pos.len();
    let name_w = app.name.as_deref().map_or(0, |n| n.chars().count().min(8));
    let fits = |label: usize| label + marks_w + name_w + 3 <= area.width as usize;
    if !fits(8) {
        title[0] = Span::raw(" ");
    }
    let short = !fits(1);
    if let Some((long, brief)) = mark {
        title.push(Span::styled(
            if short { brief } else { long },
            app.theme.style(Role::warning),
        ));
    }
    if let Some((long, brief, role)) = mode {
        title.push(Span::styled(
            if short { brief } else { long },
            app.theme.style(role),
        ));
    }
    title.push(Span::styled(pos, app.theme.style(Role::dim)));
    // the name gets what the marks leave (they must never be cut off)
    if let Some(name) = &app.name {
        let used: usize = title.iter().map(|s| s.width()).sum();
        let room = (area.width as usize).saturating_sub(used + 3).min(40);
        if room >= 4 {
            title.insert(
                name_at,
                Span::styled(
                    format!(
                        "{} ",
                        crate::tui::ui::fit(&crate::tui::ui::safe(name), room - 1)
                    ),
                    app.theme.style(Role::dim),
                ),
            );
        }
    }
    let block = pane_block(app, Line::from(title), Focus::Editor);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let gutter_w = gutter_width(app);
    if inner.width <= gutter_w + 2 || inner.height == 0 {
        return;
    }
    let source_gutter = SourceGutter::new(app, inner.width, gutter_w);
    let source_w = source_gutter.as_ref().map_or(0, |g| g.width);
    let text_rect = Rect {
        x: inner.x + source_w + gutter_w,
        width: inner.width - source_w - gutter_w,
        ..inner
    };
    ed.rect.set(text_rect);
    let width = text_rect.width as usize;
    let height = text_rect.height as usize;
    ed.scroll_to_cursor(width, height);
    ed.area.page.set(height.saturating_sub(1).max(1));

    let overlay = Overlay::new(app);
    let focused = app.focus == Focus::Editor && !app.has_popup();
    let selection = ed.area.selection_range();
    let needle = ed
        .search
        .as_ref()
        .filter(|s| !s.is_empty())
        .map(|s| s.to_lowercase());
    let base = app.theme.style(Role::base);

    let (top, skip) = ed.top.get();
    let mut out_lines: Vec<Line> = Vec::with_capacity(height);
    let mut gutter: Vec<Line> = Vec::with_capacity(height);
    let mut source_rows: Vec<Line> = Vec::new();
    let lines = ed.lines();
    // byte offsets in the text of the line drawn and of the one above (for the source gutter)
    let mut line_byte = if app.editor.line_starts.len() == lines.len() {
        app.editor.line_starts.get(top).copied().unwrap_or(0)
    } else {
        lines[..top.min(lines.len())]
            .iter()
            .map(|l| l.len() + 1)
            .sum()
    };
    let mut previous_byte = top
        .checked_sub(1)
        .and_then(|p| lines.get(p))
        .map(|l| line_byte - l.len() - 1);
    let mut li = top;
    while li < lines.len() && out_lines.len() < height {
        let line = &lines[li];
        let line_start = overlay.line_start(li);
        let iocs = overlay.iocs_in(line_start, line.len());
        let matches: Vec<Range<usize>> = match &needle {
            Some(n) if line.to_lowercase().len() == line.len() => line
                .to_lowercase()
                .match_indices(n.as_str())
                .map(|(i, m)| i..i + m.len())
                .collect(),
            _ => Vec::new(),
        };
        let rows = wrap_rows(line, width);
        let byte_of: Vec<usize> = line.char_indices().map(|(i, _)| i).collect();
        for (ri, &(cs, ce)) in rows.iter().enumerate() {
            if li == top && ri < skip {
                continue;
            }
            if out_lines.len() >= height {
                break;
            }
            if let Some(g) = &source_gutter {
                source_rows.push(g.row(
                    app,
                    line_byte,
                    previous_byte,
                    ri == 0,
                    out_lines.is_empty(),
                ));
            }
            gutter.push(overlay.gutter(
                app,
                line_start,
                line.len(),
                ri == 0,
                gutter_w as usize - 2,
            ));
            let mut spans: Vec<Span> = Vec::new();
            let mut run = String::new();
            let mut run_style = base;
            for (ci, &b) in byte_of.iter().enumerate().take(ce).skip(cs) {
                let c = line[b..].chars().next().unwrap_or(' ');
                let mut style = base;
                if let Some(ls) = line_start {
                    if let Some((_, kind)) = iocs.iter().find(|(r, _)| r.contains(&(ls + b))) {
                        style = style.patch(ioc_style(app, *kind));
                    }
                    if overlay.linked(ls + b) {
                        style = style.patch(app.theme.style(Role::chunk_linked));
                    }
                }
                if matches.iter().any(|m| m.contains(&b)) {
                    style = style.patch(app.theme.style(Role::search_match));
                }
                if let Some(((r1, c1), (r2, c2))) = selection
                    && (li, ci) >= (r1, c1)
                    && (li, ci) < (r2, c2)
                {
                    style = style.patch(app.theme.style(Role::selection));
                }
                if focused && (li, ci) == (row, col) {
                    style = style.patch(app.theme.style(Role::cursor));
                }
                if style != run_style && !run.is_empty() {
                    spans.push(Span::styled(std::mem::take(&mut run), run_style));
                }
                run_style = style;
                run.push_str(&display(c).0);
            }
            if !run.is_empty() {
                spans.push(Span::styled(run, run_style));
            }
            let last_row = ri + 1 == rows.len();
            if focused && li == row && col == ce && last_row {
                spans.push(Span::styled(" ", base.patch(app.theme.style(Role::cursor))));
            }
            out_lines.push(Line::from(spans));
        }
        previous_byte = Some(line_byte);
        line_byte += line.len() + 1;
        li += 1;
    }
    if source_w > 0 {
        let source_rect = Rect {
            width: source_w,
            ..inner
        };
        f.render_widget(Paragraph::new(source_rows), source_rect);
    }
    let gutter_rect = Rect {
        x: inner.x + source_w,
        width: gutter_w,
        ..inner
    };
    f.render_widget(Paragraph::new(gutter), gutter_rect);
    f.render_widget(Paragraph::new(out_lines), text_rect);
    if ed.is_blank() && ed.lines().len() <= 1 {
        // beside the cursor, which sits at 1:1
        let hint = Paragraph::new(vec![
            Line::styled("Paste a threat report here", app.theme.style(Role::dim)),
            Line::styled(
                "(terminal paste, or ctrl-v for the",
                app.theme.style(Role::dim),
            ),
            Line::styled("system clipboard), or start", app.theme.style(Role::dim)),
            Line::styled("mitremap with a FILE.", app.theme.style(Role::dim)),
        ]);
        let r = Rect {
            x: text_rect.x + 2,
            width: text_rect.width.saturating_sub(2),
            ..text_rect
        };
        f.render_widget(hint, r);
    }
}

pub fn ioc_style(app: &App, kind: IocKind) -> Style {
    use IocKind::*;
    app.theme.style(match kind {
        Ipv4 | Ipv4Cidr | Ipv6 | Domain | Url | Email | Asn | Mac => Role::ioc_network,
        Md5 | Sha1 | Sha256 | Sha512 | Ssdeep => Role::ioc_hash,
        WindowsPath | UnixPath | FileName | RegistryKey => Role::ioc_file,
        Cve | AttackId => Role::ioc_vuln,
        _ => Role::ioc_other,
    })
}

/// What the report says about the visible text. Its ranges are in the report's text; while the
/// analyst edits, they are carried through the edits since (`App::text_changes`), so IoCs and
/// chunk boundaries stay on their words until the re-analysis is in.
struct Overlay<'a> {
    line_starts: Option<&'a [usize]>,
    iocs: &'a [Ioc],
    chunks: &'a mitremap_engine::analysis::ChunkTable,
    changes: &'a ChangeSet,
    linked: Vec<Range<usize>>,
    current: Option<Range<usize>>,
}

impl<'a> Overlay<'a> {
    fn new(app: &'a App) -> Overlay<'a> {
        match &app.report {
            Some(r) => {
                let changes = &app.text_changes;
                let range = |i: ChunkPos| {
                    r.chunks
                        .get(i.0)
                        .map(|c| changes.map_range(c.range.clone()))
                };
                let mut linked: Vec<Range<usize>> =
                    app.linked_chunks().into_iter().filter_map(range).collect();
                linked.sort_by_key(|r| r.start);
                Overlay {
                    line_starts: Some(&app.editor.line_starts),
                    iocs: &r.iocs,
                    chunks: &r.chunks,
                    changes,
                    linked,
                    current: app.current_chunk.and_then(range),
                }
            }
            None => Overlay {
                line_starts: None,
                iocs: &[],
                chunks: mitremap_engine::analysis::ChunkTable::empty(),
                changes: &app.text_changes,
                linked: Vec::new(),
                current: None,
            },
        }
    }

    fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts?.get(line).copied()
    }

    /// The IoCs starting on a line, as (range in the editor's text, kind); deleted ones are gone.
    fn iocs_in(&self, start: Option<usize>, len: usize) -> Vec<(Range<usize>, IocKind)> {
        let Some(start) = start else {
            return Vec::new();
        };
        let at = |i: &Ioc| self.changes.map(i.range.start, Assoc::After);
        let a = self.iocs.partition_point(|i| at(i) < start);
        let b = self.iocs.partition_point(|i| at(i) < start + len);
        self.iocs[a..b]
            .iter()
            .map(|i| (self.changes.map_range(i.range.clone()), i.kind))
            .filter(|(r, _)| !r.is_empty())
            .collect()
    }

    /// A chunk's range in the editor's text.
    fn chunk_range(&self, i: usize) -> Range<usize> {
        self.chunks
            .get(i)
            .map_or(0..0, |c| self.changes.map_range(c.range.clone()))
    }

    fn linked(&self, byte: usize) -> bool {
        let i = self.linked.partition_point(|r| r.end <= byte);
        self.linked.get(i).is_some_and(|r| r.contains(&byte))
    }

    fn gutter(
        &self,
        app: &App,
        start: Option<usize>,
        len: usize,
        first_row: bool,
        digits: usize,
    ) -> Line<'static> {
        let Some(start) = start else {
            return Line::raw("");
        };
        let i = self
            .chunks
            .partition_point(|c| self.changes.map(c.range.end, Assoc::Before) <= start);
        if i >= self.chunks.len() {
            return Line::raw("");
        }
        let chunk = self.chunk_range(i);
        // a chunk starting on this line is numbered; otherwise the line continues one
        let starting = (i..self.chunks.len())
            .map(|j| (j, self.chunk_range(j)))
            .take_while(|(_, r)| r.start <= start + len)
            .find(|(_, r)| r.start >= start);
        let shown = starting.as_ref().map_or(&chunk, |(_, r)| r);
        let is_current = self.current.as_ref() == Some(shown);
        let is_linked = self.linked.contains(shown);
        let style = if is_current {
            app.theme.style(Role::gutter_current)
        } else if is_linked {
            app.theme
                .style(Role::gutter)
                .patch(app.theme.style(Role::chunk_linked))
        } else {
            app.theme.style(Role::gutter)
        };
        let text = match starting {
            Some((j, _)) if first_row => {
                let index = self.chunks.get(j).map_or(j, |c| c.index);
                format!("{index:>digits$}▸")
            }
            _ if chunk.start > start + len => " ".repeat(digits + 1),
            _ => format!("{}│", " ".repeat(digits)),
        };
        Line::styled(text, style)
    }
}
