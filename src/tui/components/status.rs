//! The status bar: model, ATT&CK version, progress gauge, elapsed time, messages, key hints.
//! It owns the message on show ([`StatusLine`]); the rest it reads from the app.

use mitremap_engine::attack::Catalog;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use std::time::{Duration, Instant};

use crate::tui::app::{App, Focus, ModelState};
use crate::tui::keymap::Command;
use crate::tui::theme::Role;
use crate::tui::ui::{bar, key_hint, safe};

/// How long an info message stays in the status bar.
const NOTICE_TTL: Duration = Duration::from_secs(6);

#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    Info(String, Instant),
    Error(String),
}

/// The status bar's message: an info fades after a while, an error stays until the next one.
#[derive(Debug, Default)]
pub struct StatusLine {
    notice: Option<Notice>,
}

impl StatusLine {
    pub fn info(&mut self, s: String, now: Instant) {
        self.notice = Some(Notice::Info(s, now));
    }

    pub fn error(&mut self, s: String) {
        self.notice = Some(Notice::Error(s));
    }

    pub fn clear(&mut self) {
        self.notice = None;
    }

    /// The clock moved: an info shown long enough goes.
    pub fn tick(&mut self, now: Instant) {
        if let Some(Notice::Info(_, at)) = &self.notice
            && now.duration_since(*at) > NOTICE_TTL
        {
            self.notice = None;
        }
    }

    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }

    /// The message's text ("" when there is none).
    #[allow(dead_code)]
    pub fn text(&self) -> &str {
        match &self.notice {
            Some(Notice::Info(s, _) | Notice::Error(s)) => s,
            None => "",
        }
    }
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let mut spans = Vec::new();
    match &app.model {
        ModelState::Loading => spans.push(Span::styled(" loading model… ", t.style(Role::warning))),
        ModelState::Ready(a) => {
            let m = a.classifier().manifest();
            spans.push(Span::styled(
                format!(" {} {} ", safe(&m.name), safe(&m.version)),
                t.style(Role::ok),
            ));
        }
        ModelState::Unavailable(_) => {
            spans.push(Span::styled(" no model (IoCs only) ", t.style(Role::error)))
        }
    }
    let attack_at = spans.len();
    spans.push(Span::styled(
        format!("│ ATT&CK {} ", Catalog::active().attack_version),
        t.style(Role::status),
    ));
    // Where the cursor is in the document the text came from, until an edit makes it plain text.
    if let Some(source) = &app.source {
        let where_ = if app.revision == 0 {
            source
                .map
                .locate(app.editor.cursor_byte())
                .map(|l| format!("│ from {}, {} ", source.label(), safe(&l.label())))
                .unwrap_or_else(|| format!("│ from {} ", source.label()))
        } else {
            format!("│ edited: plain text (was {}) ", source.label())
        };
        spans.push(Span::styled(where_, t.style(Role::status)));
    }
    let mut eta_at = None;
    if let Some(r) = &app.report {
        let p = r.progress;
        let frac = if p.bytes_total == 0 {
            1.0
        } else {
            p.bytes_done as f32 / p.bytes_total as f32
        };
        let state = if app.is_running() {
            "analysing"
        } else if r.error.is_some() {
            "failed"
        } else if r.cancelled {
            "cancelled"
        } else if app.stale {
            "stale"
        } else {
            "done"
        };
        spans.push(Span::styled("│ ", t.style(Role::status)));
        spans.push(Span::styled(bar(frac, 8), t.style(Role::gauge)));
        let detail = if matches!(app.model, ModelState::Loading) && r.model.is_none() {
            // an IoC-only pass while the model loads: no "done 0/0"
            " IoCs only until the model is in ".to_owned()
        } else if area.width >= 100 {
            let cached = if p.windows_cached > 0 && app.is_running() {
                format!(" ({} cached)", p.windows_cached)
            } else {
                String::new()
            };
            format!(
                " {state} {}/{} windows{cached}, {} chunks ",
                p.windows_done,
                p.windows_total,
                r.chunks.len(),
            )
        } else {
            format!(" {state} {}/{} ", p.windows_done, p.windows_total)
        };
        spans.push(Span::styled(detail, t.style(Role::status)));
        if let Some(eta) = eta_text(app) {
            eta_at = Some(spans.len());
            spans.push(Span::styled(eta, t.style(Role::status)));
        }
    }
    let elapsed_at = app.elapsed().map(|e| {
        spans.push(Span::styled(
            format!("│ {:.1}s ", e.as_secs_f64()),
            t.style(Role::status),
        ));
        spans.len() - 1
    });
    spans.push(Span::styled(
        format!("│ ≥{} ", crate::tui::ui::threshold_label(app)),
        t.style(Role::status),
    ));
    // "12/31 reviewed" once the text has a review file to keep verdicts in
    if app.review.path.is_some() && app.report.is_some() {
        let (done, total) = app.review_counts;
        let filter = if app.review.unreviewed_only {
            ", unreviewed shown"
        } else {
            ""
        };
        spans.push(Span::styled(
            format!("│ {done}/{total} reviewed{filter} "),
            t.style(Role::status),
        ));
    }
    if let Some(marking) = app.marking {
        spans.push(Span::styled(
            format!("│ {} ", marking.label()),
            t.style(Role::status),
        ));
    }
    // Narrow: the elapsed time, the ATT&CK version, then the estimate of the time left give
    // way, so the threshold (a number) is never cut.
    let total = |spans: &[Span]| spans.iter().map(|s| s.width()).sum::<usize>();
    if total(&spans) > area.width as usize
        && let Some(i) = elapsed_at
    {
        spans.remove(i);
    }
    if total(&spans) > area.width as usize {
        spans.remove(attack_at);
        eta_at = eta_at.map(|i| i - 1);
    }
    if total(&spans) > area.width as usize
        && let Some(i) = eta_at
    {
        spans.remove(i);
    }
    // then the model's name is shortened
    let over = total(&spans).saturating_sub(area.width as usize);
    if over > 0 {
        let model = &spans[0];
        let keep = model.width().saturating_sub(over + 1);
        spans[0] = Span::styled(
            format!("{} ", crate::tui::ui::fit(model.content.trim_end(), keep)),
            model.style,
        );
    }
    let line1 = Line::from(spans).style(t.style(Role::status));
    f.render_widget(Paragraph::new(line1), Rect { height: 1, ..area });
    let line2 = Rect {
        y: area.y + 1,
        height: 1,
        ..area
    };
    // The second line: the keys of the focused pane, help and quit always first (never cut
    // off); a message takes the room of the other hints.
    let message = match (app.status.notice(), &app.model) {
        (Some(Notice::Error(e)), _) => Some((e.clone(), Role::error)),
        (Some(Notice::Info(s, _)), _) => Some((s.clone(), Role::ok)),
        (None, ModelState::Unavailable(e)) => Some((e.clone(), Role::error)),
        _ => None,
    };
    let contexts = app.contexts();
    let key = |cmd: Command| -> Option<String> {
        // the pane's own key first (q in the panes), the global one otherwise (ctrl-q typing)
        contexts
            .iter()
            .rev()
            .find_map(|c| app.keymap.first_key(*c, cmd))
            .map(|k| k.to_string())
    };
    let always = [(Command::Help, "help"), (Command::Quit, "quit")];
    let pane: &[(Command, &str)] = match (app.focus, app.editor.editing) {
        (Focus::Editor, true) => &[
            (Command::FocusResults, "done"),
            (Command::Save, "save"),
            (Command::Undo, "undo"),
            (Command::Search, "find"),
            (Command::Copy, "copy"),
            (Command::Run, "run"),
            (Command::FocusNext, "pane"),
        ],
        (Focus::Editor, false) => &[
            (Command::Edit, "edit"),
            (Command::FocusResults, "results"),
            (Command::Search, "find"),
            (Command::Copy, "copy"),
            (Command::Save, "save"),
            (Command::FocusNext, "pane"),
            (Command::Export, "export"),
        ],
        (Focus::Results, _) => &[
            (Command::Activate, "show"),
            (Command::Edit, "edit"),
            (Command::FocusNext, "pane"),
            (Command::NextTab, "tab"),
            (Command::Export, "export"),
            (Command::Copy, "copy"),
            (Command::ThresholdUp, "thr+"),
            (Command::ThresholdDown, "thr−"),
            (Command::Matrix, "matrix"),
            (Command::Save, "save"),
            (Command::Accept, "accept"),
            (Command::Reject, "reject"),
        ],
        (Focus::Heatmap, _) => &[
            (Command::Down, "scroll"),
            (Command::NextChunk, "chunk"),
            (Command::Edit, "edit"),
            (Command::FocusNext, "pane"),
            (Command::Export, "export"),
            (Command::Copy, "copy"),
            (Command::ThresholdUp, "thr+"),
            (Command::ThresholdDown, "thr−"),
        ],
    };
    let width = area.width as usize;
    let mut fixed: Vec<Span> = Vec::new();
    for (cmd, label) in always {
        if let Some(k) = key(cmd) {
            fixed.extend(key_hint(app, k, label));
        }
    }
    let fixed_w: usize = fixed.iter().map(|s| s.width()).sum();
    let mut spans: Vec<Span> = Vec::new();
    if let Some((m, role)) = message {
        // message on the left, help and quit kept at the right
        let room = width.saturating_sub(fixed_w + 2);
        let m = crate::tui::ui::fit(&format!(" {}", safe(&m)), room);
        let pad = width.saturating_sub(crate::tui::ui::width_of(&m) + fixed_w);
        spans.push(Span::styled(m, t.style(role)));
        spans.push(Span::raw(" ".repeat(pad)));
        spans.extend(fixed);
    } else {
        spans.push(Span::raw(" "));
        spans.extend(fixed);
        let mut used = fixed_w + 1;
        for (cmd, label) in pane {
            let Some(k) = key(*cmd) else { continue };
            let hint = key_hint(app, k, label);
            let w: usize = hint.iter().map(|s| s.width()).sum();
            if used + w > width + 2 {
                break;
            }
            used += w;
            spans.extend(hint);
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), line2);
}

/// `~1m05s left ` while an analysis with a known pace runs (nothing under a second).
fn eta_text(app: &App) -> Option<String> {
    let secs = app.eta()?.as_secs();
    Some(match secs {
        0 => return None,
        1..=59 => format!("~{secs}s left "),
        60..=3599 => format!("~{}m{:02}s left ", secs / 60, secs % 60),
        _ => format!("~{}h{:02}m left ", secs / 3600, secs % 3600 / 60),
    })
}
