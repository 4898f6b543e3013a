//! The chunk view (heatmap) pane: the linked chunk's words coloured by their contribution to the selected
//! technique (diverging palette; positive and negative also differ by modifier, so the map reads
//! in 16 colours, for colour-blind users and under NO_COLOR), a legend and the top words.

use mitremap_engine::analysis::Report;
use mitremap_engine::explain::Explanation;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::tui::app::{App, Focus};
use crate::tui::theme::Role;
use crate::tui::ui::{conf_style, pane_block, safe, safe_lines};

/// The chunk view's state: how far its text is scrolled (back to the top when another chunk or
/// item is shown).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkView {
    pub scroll: u16,
}

impl ChunkView {
    /// Scroll keys and the wheel while the chunk view has the focus.
    pub fn scroll_by(&mut self, delta: isize) {
        self.scroll = (self.scroll as isize + delta).clamp(0, u16::MAX as isize) as u16;
    }
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let chunk = app
        .report
        .as_ref()
        .and_then(|r| Some((r, r.chunks.get(app.current_chunk?.0)?)));
    let target = app.heat_target();
    let mut title = vec![Span::styled(" Heatmap ", app.theme.style(Role::title))];
    if let Some((_, c)) = &chunk {
        title.push(Span::styled(
            format!("chunk {} ", c.index),
            app.theme.style(Role::dim),
        ));
    }
    if let Some((_, _, id, name)) = &target {
        title.push(Span::styled(
            format!("· {} {} ", safe(id), safe(name)),
            app.theme.style(Role::dim),
        ));
        // the verdict on this technique in this chunk (what the review keys act on here)
        if let (Some((report, c)), true) = (&chunk, !app.stale)
            && let Some(review) = &report.review
        {
            let status = review.chunk_status(c.index, id);
            title.push(Span::styled(
                format!("{} {status} ", crate::tui::ui::results::review_mark(status)),
                crate::tui::ui::results::review_style(app, status),
            ));
        }
    }
    let block = pane_block(app, Line::from(title), Focus::Heatmap);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some((report, chunk)) = chunk.filter(|_| !app.stale) else {
        let msg = if app.stale {
            "Text edited; the heatmap returns after the re-run."
        } else if app.report.as_ref().is_some_and(|r| !r.chunks.is_empty()) {
            "Select a technique, a chunk, or move the cursor into the text."
        } else if app.model_unavailable() {
            "No model loaded: no per-chunk predictions to explain."
        } else {
            "Results appear here chunk by chunk."
        };
        f.render_widget(
            Paragraph::new(msg)
                .style(app.theme.style(Role::dim))
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    };
    let label = target.as_ref().map(|t| t.1);
    let explanation = label.and_then(|label| {
        report
            .explanations
            .get(&chunk.index)?
            .iter()
            .find(|e| e.label_index == label)
    });
    // Summary first (always visible), then the chunk text (scrolls).
    let mut preds = vec![Span::styled("Predictions: ", app.theme.style(Role::dim))];
    let above: Vec<_> = chunk.above(app.threshold).take(4).collect();
    if above.is_empty() {
        preds.push(Span::styled(
            "none above the threshold",
            app.theme.style(Role::dim),
        ));
    }
    for p in above {
        preds.push(Span::styled(
            format!("{} {:.2}  ", safe(report.label(p.label)), p.score),
            conf_style(app, p.score),
        ));
    }
    let mut lines: Vec<Line> = Vec::new();
    match explanation {
        Some(e) => {
            lines.push(top_words(app, report, e));
            lines.push(Line::from(preds));
            lines.push(legend(app));
            lines.push(Line::raw(""));
            lines.extend(coloured_text(app, report, chunk.range.clone(), e));
        }
        None => {
            let why = if app.explaining(chunk.index) {
                "Computing word attributions…"
            } else if app.model_unavailable() {
                "No model: no attributions."
            } else {
                "No word attributions for this chunk."
            };
            lines.push(Line::styled(why, app.theme.style(Role::dim)));
            lines.push(Line::from(preds));
            lines.push(Line::raw(""));
            for l in safe_lines(report.chunk_text(chunk)) {
                lines.push(Line::raw(l));
            }
        }
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((app.chunk_view.scroll, 0)),
        inner,
    );
}

fn heat_style(app: &App, v: f32, max: f32) -> Style {
    let x = if max > 0.0 { v / max } else { 0.0 };
    app.theme.style(if x >= 0.5 {
        Role::heat_pos2
    } else if x >= 0.15 {
        Role::heat_pos1
    } else if x <= -0.5 {
        Role::heat_neg2
    } else if x <= -0.15 {
        Role::heat_neg1
    } else {
        Role::heat_zero
    })
}

fn legend(app: &App) -> Line<'static> {
    Line::from(vec![
        Span::styled("against", app.theme.style(Role::dim)),
        Span::styled(" −− ", app.theme.style(Role::heat_neg2)),
        Span::styled(" − ", app.theme.style(Role::heat_neg1)),
        Span::styled(" 0 ", app.theme.style(Role::heat_zero)),
        Span::styled(" + ", app.theme.style(Role::heat_pos1)),
        Span::styled(" ++ ", app.theme.style(Role::heat_pos2)),
        Span::styled("for", app.theme.style(Role::dim)),
    ])
}

fn coloured_text(
    app: &App,
    report: &Report,
    range: std::ops::Range<usize>,
    e: &Explanation,
) -> Vec<Line<'static>> {
    let text = report.document.text();
    let max = e.words.iter().map(|w| w.value.abs()).fold(0.0f32, f32::max);
    let mut words: Vec<_> = e
        .words
        .iter()
        .filter(|w| w.range.start >= range.start && w.range.end <= range.end)
        .filter(|w| text.is_char_boundary(w.range.start) && text.is_char_boundary(w.range.end))
        .collect();
    words.sort_by_key(|w| w.range.start);
    let mut lines = vec![Line::default()];
    let mut push = |s: &str, style: Style| {
        for (i, part) in s.split('\n').enumerate() {
            if i > 0 {
                lines.push(Line::default());
            }
            if !part.is_empty()
                && let Some(l) = lines.last_mut()
            {
                l.spans.push(Span::styled(safe(part), style));
            }
        }
    };
    let mut at = range.start;
    for w in words {
        if w.range.start < at {
            continue;
        }
        push(&text[at..w.range.start], app.theme.style(Role::heat_zero));
        push(&text[w.range.clone()], heat_style(app, w.value, max));
        at = w.range.end;
    }
    push(&text[at..range.end], app.theme.style(Role::heat_zero));
    lines
}

fn top_words(app: &App, report: &Report, e: &Explanation) -> Line<'static> {
    let text = report.document.text();
    let mut words: Vec<_> = e
        .words
        .iter()
        .filter(|w| w.value > 0.0)
        .filter(|w| {
            text.get(w.range.clone())
                .is_some_and(|s| s.chars().any(char::is_alphanumeric))
        })
        .collect();
    words.sort_by(|a, b| b.value.total_cmp(&a.value));
    let max = e.words.iter().map(|w| w.value.abs()).fold(0.0f32, f32::max);
    let mut spans = vec![Span::styled("Top words: ", app.theme.style(Role::dim))];
    if words.is_empty() {
        spans.push(Span::styled(
            "none pushed towards it",
            app.theme.style(Role::dim),
        ));
    }
    for w in words.into_iter().take(6) {
        let word = text.get(w.range.clone()).unwrap_or("?");
        spans.push(Span::styled(safe(word), heat_style(app, w.value, max)));
        spans.push(Span::styled(
            format!(" {:+.2}  ", w.value),
            app.theme.style(Role::dim),
        ));
    }
    Line::from(spans)
}
