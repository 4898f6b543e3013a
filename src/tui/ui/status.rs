//! The status bar: model, ATT&CK version, progress gauge, elapsed time, messages, key hints.

use mitremap_engine::analysis::format_threshold;
use mitremap_engine::attack::Catalog;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{bar, key_hint, safe};
use crate::tui::app::{App, Focus, ModelState, Notice};
use crate::tui::keymap::{Command, Context};
use crate::tui::theme::Role;

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
    spans.push(Span::styled(
        format!("│ ATT&CK {} ", Catalog::embedded().attack_version),
        t.style(Role::status),
    ));
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
            "edited"
        } else {
            "done"
        };
        spans.push(Span::styled("│ ", t.style(Role::status)));
        spans.push(Span::styled(bar(frac, 8), t.style(Role::gauge)));
        let detail = if area.width >= 100 {
            format!(
                " {state} {}/{} windows, {} chunks ",
                p.windows_done,
                p.windows_total,
                r.chunks.len()
            )
        } else {
            format!(" {state} {}/{} ", p.windows_done, p.windows_total)
        };
        spans.push(Span::styled(detail, t.style(Role::status)));
    }
    if let Some(e) = app.elapsed() {
        spans.push(Span::styled(
            format!("│ {:.1}s ", e.as_secs_f64()),
            t.style(Role::status),
        ));
    }
    spans.push(Span::styled(
        format!("│ ≥{} ", format_threshold(app.threshold)),
        t.style(Role::status),
    ));
    let line1 = Line::from(spans).style(t.style(Role::status));
    f.render_widget(Paragraph::new(line1), Rect { height: 1, ..area });
    let line2 = Rect {
        y: area.y + 1,
        height: 1,
        ..area
    };
    // Messages (errors first) take the second line; key hints otherwise.
    let message = match (&app.notice, &app.model) {
        (Some(Notice::Error(e)), _) => Some((e.clone(), Role::error)),
        (Some(Notice::Info(s, _)), _) => Some((s.clone(), Role::ok)),
        (None, ModelState::Unavailable(e)) => Some((e.clone(), Role::error)),
        _ => None,
    };
    if let Some((m, role)) = message {
        let help = app
            .keymap
            .first_key(Context::Global, Command::Help)
            .map_or_else(String::new, |k| format!("   ({k}: help)"));
        f.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(format!(" {}", safe(&m)), t.style(role)),
                Span::styled(help, t.style(Role::hint)),
            ])),
            line2,
        );
        return;
    }
    let ctx = if app.focus == Focus::Editor {
        Context::Editor
    } else {
        Context::Panes
    };
    let key = |cmd: Command| -> String {
        app.keymap
            .first_key(Context::Global, cmd)
            .or_else(|| app.keymap.first_key(ctx, cmd))
            .map_or_else(|| "?".to_owned(), |k| k.to_string())
    };
    let mut hints = Vec::new();
    for (cmd, label) in [
        (Command::Help, "help"),
        (Command::FocusNext, "pane"),
        (Command::Run, "run"),
        (Command::Cancel, "cancel"),
        (Command::ThresholdUp, "thr+"),
        (Command::ThresholdDown, "thr−"),
        (Command::Export, "export"),
        (Command::Copy, "copy"),
        (Command::Quit, "quit"),
        (Command::Matrix, "matrix"),
        (Command::PasteClipboard, "clipboard"),
    ] {
        hints.extend(key_hint(app, key(cmd), label));
    }
    f.render_widget(Paragraph::new(Line::from(hints)), line2);
}
