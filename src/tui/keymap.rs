//! Key bindings: the defaults embedded from `keymap.toml`, user overrides from the config folder,
//! and the help overlay's table.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::theme::one_line;

pub const DEFAULT_KEYMAP: &str = include_str!("keymap.toml");

macro_rules! commands {
    ($($cmd:ident => $name:literal, $help:literal;)*) => {
        /// What a key does.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Command { $($cmd),* }
        impl Command {
            pub const ALL: &'static [Command] = &[$(Command::$cmd),*];
            #[allow(dead_code)]
            pub fn name(self) -> &'static str { match self { $(Command::$cmd => $name),* } }
            pub fn help(self) -> &'static str { match self { $(Command::$cmd => $help),* } }
            pub fn from_name(s: &str) -> Option<Command> {
                match s { $($name => Some(Command::$cmd),)* _ => None }
            }
        }
    };
}

commands! {
    Quit => "quit", "quit (press twice when the text is not saved)";
    Help => "help", "show or hide this help";
    FocusNext => "focus_next", "focus the next pane";
    FocusPrev => "focus_prev", "focus the previous pane";
    FocusEditor => "focus_editor", "focus the report (read-only)";
    FocusResults => "focus_results", "back to the results (ends editing)";
    Edit => "edit", "edit the report text (it is read-only until then)";
    Save => "save", "save the report text (asks for a path when it has no file)";
    SaveAs => "save_as", "save the report text to another file";
    Run => "run", "analyse now";
    Cancel => "cancel", "cancel the running analysis";
    Export => "export", "export (JSON, STIX, Navigator, CSV, Markdown)";
    Copy => "copy", "copy the selection or item (IoCs defanged)";
    CopyAll => "copy_all", "copy the whole result (IoCs defanged)";
    CopyFanged => "copy_fanged", "copy the selected IoC live (not defanged)";
    PasteClipboard => "paste_clipboard", "paste the system clipboard into the editor";
    Search => "search", "search the editor text";
    SearchNext => "search_next", "next search match";
    SearchPrev => "search_prev", "previous search match";
    Undo => "undo", "undo";
    Redo => "redo", "redo";
    SelectAll => "select_all", "select all text";
    ThresholdUp => "threshold_up", "raise the confidence threshold";
    ThresholdDown => "threshold_down", "lower the confidence threshold";
    NextTab => "next_tab", "next results tab";
    TabTechniques => "tab_techniques", "techniques tab";
    TabIocs => "tab_iocs", "IoCs tab";
    TabChunks => "tab_chunks", "per-chunk tab";
    Matrix => "matrix", "ATT&CK matrix view";
    ToggleNoise => "toggle_noise", "hide/show private and benign IoCs";
    Up => "up", "move up";
    Down => "down", "move down";
    PageUp => "page_up", "page up";
    PageDown => "page_down", "page down";
    Top => "top", "first row";
    Bottom => "bottom", "last row";
    Activate => "activate", "show the selected item in the editor";
    NextChunk => "next_chunk", "next chunk of the technique (matrix: next tactic)";
    PrevChunk => "prev_chunk", "previous chunk of the technique (matrix: previous tactic)";
    Accept => "accept", "review: accept (list: whole report; chunk view: this chunk)";
    Reject => "reject", "review: reject (list: whole report; chunk view: this chunk)";
    ResetVerdict => "reset_verdict", "review: take the verdict back";
    UnreviewedOnly => "unreviewed_only", "review: show only unreviewed techniques (again: all)";
    AddTechnique => "add_technique", "review: add a technique the model missed (search ID/name)";
    Note => "note", "review: write a note on the verdict";
    Confirm => "confirm", "do it: search, restore the recovered text, export, save";
    Close => "close", "close the popup (a recovered text is kept for the next start)";
    Discard => "discard", "delete the recovered text (asks for yes)";
    Yes => "yes", "yes: delete, replace the file, restore";
    ClearInput => "clear_input", "clear the path being typed";
    NextFormat => "next_format", "next export format (the popup's down key too)";
    PrevFormat => "prev_format", "previous export format (the popup's up key too)";
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    /// The report while it is being edited (other keys type).
    Editor,
    /// The report while it is read-only (focused, not being edited).
    View,
    Panes,
    /// Popups (help, search, export, save as, recovery); text prompts type other keys.
    Popup,
    /// The export dialog (looked up before `Popup`).
    Export,
}

impl Context {
    pub const ALL: [Context; 6] = [
        Context::Global,
        Context::Editor,
        Context::View,
        Context::Panes,
        Context::Popup,
        Context::Export,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Editor => "editor",
            Context::View => "view",
            Context::Panes => "panes",
            Context::Popup => "popup",
            Context::Export => "export",
        }
    }

    /// A popup's section: it sees only the global quit key.
    pub fn is_popup(self) -> bool {
        matches!(self, Context::Popup | Context::Export)
    }
}

/// A key with modifiers, normalised so that `G` and `shift-g` compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    pub fn from_event(e: &KeyEvent) -> Key {
        Key::new(e.code, e.modifiers)
    }

    pub fn parse(s: &str) -> Result<Key, String> {
        let mut rest = s;
        let mut mods = KeyModifiers::NONE;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            if rest.len() == len {
                break;
            }
            mods |= m;
            rest = &rest[len..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" => KeyCode::PageUp,
                "pagedown" => KeyCode::PageDown,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "enter" => KeyCode::Enter,
                "esc" => KeyCode::Esc,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" => KeyCode::Delete,
                "insert" => KeyCode::Insert,
                f if f.starts_with('f')
                    && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
                {
                    KeyCode::F(f[1..].parse().unwrap_or(1))
                }
                _ => return Err(format!("unknown key {s:?}")),
            },
        };
        Ok(Key::new(code, mods))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            other => write!(f, "{}", format!("{other:?}").to_ascii_lowercase()),
        }
    }
}

/// Bindings that cannot all work: (context, key, command, other context, other command). The
/// same key for two commands in one section, or a section's key that a global binding hides
/// (global keys are looked up first).
fn conflicts(
    bindings: &BTreeMap<Context, BTreeMap<Command, Vec<Key>>>,
) -> Vec<(Context, Key, Command, Context, Command)> {
    let mut seen: HashMap<(Context, Key), Command> = HashMap::new();
    let mut out = Vec::new();
    for (ctx, cmds) in bindings {
        for (cmd, keys) in cmds {
            for key in keys {
                if let Some(&other) = seen.get(&(*ctx, *key))
                    && other != *cmd
                {
                    out.push((*ctx, *key, *cmd, *ctx, other));
                }
                seen.insert((*ctx, *key), *cmd);
            }
        }
    }
    for (ctx, cmds) in bindings.iter().filter(|(c, _)| **c != Context::Global) {
        for (cmd, keys) in cmds {
            for key in keys {
                // a popup sees only the global quit key
                if let Some(&global) = seen.get(&(Context::Global, *key))
                    && global != *cmd
                    && (!ctx.is_popup() || global == Command::Quit)
                {
                    out.push((*ctx, *key, *cmd, Context::Global, global));
                }
                // a popup's own section is looked up before [popup]: it must not hide its keys
                if ctx.is_popup()
                    && *ctx != Context::Popup
                    && let Some(&shared) = seen.get(&(Context::Popup, *key))
                    && shared != *cmd
                {
                    out.push((*ctx, *key, *cmd, Context::Popup, shared));
                }
            }
        }
    }
    out
}

/// The resolved key bindings.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: BTreeMap<Context, BTreeMap<Command, Vec<Key>>>,
    lookup: HashMap<(Context, Key), Command>,
}

type KeymapFile = BTreeMap<String, BTreeMap<String, toml::Spanned<toml::Value>>>;

/// One `command = [keys]` line of a keymap file.
struct Entry {
    ctx: Context,
    cmd: Command,
    keys: Vec<Key>,
    line: usize,
}

impl Keymap {
    /// The embedded defaults.
    pub fn defaults() -> Keymap {
        let mut k = Keymap {
            bindings: BTreeMap::new(),
            lookup: HashMap::new(),
        };
        let problems = k.merge(DEFAULT_KEYMAP).expect("embedded keymap is TOML");
        assert!(problems.is_empty(), "embedded keymap: {problems:?}");
        k
    }

    /// Applies a keymap file over these bindings: each command listed replaces its keys in its
    /// section. Text that is not TOML of that shape is an error and changes nothing. Otherwise
    /// each entry stands on its own: an unknown section, command or key, a key bound to two
    /// commands in one section, a key a global binding would hide, or leaving no global quit
    /// key, rejects that entry (its previous keys stay) and is reported with its line; the good
    /// entries apply. Returns the problems.
    pub fn merge(&mut self, text: &str) -> Result<Vec<String>, String> {
        let file: KeymapFile = toml::from_str(text).map_err(|e| one_line(&e.to_string()))?;
        let line_of = |span: std::ops::Range<usize>| {
            text[..span.start.min(text.len())].matches('\n').count() + 1
        };
        let mut problems: Vec<(usize, String)> = Vec::new();
        let mut entries: Vec<Entry> = Vec::new();
        for (section, items) in &file {
            let ctx = Context::ALL.into_iter().find(|c| c.name() == section);
            for (name, value) in items {
                let line = line_of(value.span());
                let Some(ctx) = ctx else {
                    problems.push((
                        line,
                        format!(
                            "unknown section [{section}] (global, editor, view, panes, popup, export)"
                        ),
                    ));
                    continue;
                };
                let Some(cmd) = Command::from_name(name) else {
                    problems.push((line, format!("unknown command {name:?} in [{section}]")));
                    continue;
                };
                let keys = match value.get_ref() {
                    toml::Value::Array(items) => items
                        .iter()
                        .map(|v| match v {
                            toml::Value::String(k) => Key::parse(k).and_then(|key| {
                                if key.code == KeyCode::F(3) && !key.mods.is_empty() {
                                    Err(format!(
                                        "{k:?} never arrives (terminals send it as a cursor \
                                         position report); use another key"
                                    ))
                                } else {
                                    Ok(key)
                                }
                            }),
                            other => Err(format!("{other} is not a key name")),
                        })
                        .collect::<Result<Vec<_>, _>>(),
                    _ => Err("expected a list of keys, like [\"q\"]".to_owned()),
                };
                match keys {
                    Ok(keys) => entries.push(Entry {
                        ctx,
                        cmd,
                        keys,
                        line,
                    }),
                    Err(e) => problems.push((line, format!("[{section}] {name}: {e}"))),
                }
            }
        }
        // Apply the good entries; an entry in a conflict is rejected and the rest re-applied
        // until none is left (each round rejects at least one entry, so this ends).
        let base = self.bindings.clone();
        let mut rejected = vec![false; entries.len()];
        let bindings = loop {
            let mut staged = base.clone();
            for (e, _) in entries.iter().zip(&rejected).filter(|(_, r)| !**r) {
                staged
                    .entry(e.ctx)
                    .or_default()
                    .insert(e.cmd, e.keys.clone());
            }
            let mut changed = false;
            for (ctx, key, a, other_ctx, b) in conflicts(&staged) {
                for (i, e) in entries.iter().enumerate() {
                    let involved = (e.ctx == ctx && e.cmd == a || e.ctx == other_ctx && e.cmd == b)
                        && e.keys.contains(&key);
                    if involved && !rejected[i] {
                        rejected[i] = true;
                        changed = true;
                        let (oc, ocmd) = if e.ctx == ctx && e.cmd == a {
                            (other_ctx, b)
                        } else {
                            (ctx, a)
                        };
                        problems.push((
                            e.line,
                            format!(
                                "[{}] {} = {key}: {key} is already {} in [{}]; entry ignored",
                                e.ctx.name(),
                                e.cmd.name(),
                                ocmd.name(),
                                oc.name()
                            ),
                        ));
                    }
                }
            }
            // quit must stay reachable everywhere (also while typing)
            let no_quit = staged
                .get(&Context::Global)
                .and_then(|c| c.get(&Command::Quit))
                .is_none_or(|k| k.is_empty());
            if no_quit {
                for (i, e) in entries.iter().enumerate() {
                    if e.ctx == Context::Global && e.cmd == Command::Quit && !rejected[i] {
                        rejected[i] = true;
                        changed = true;
                        problems.push((
                            e.line,
                            "[global] quit needs at least one key (it is how to leave while typing); entry ignored"
                                .to_owned(),
                        ));
                    }
                }
            }
            if !changed {
                break staged;
            }
        };
        self.bindings = bindings;
        self.lookup = self
            .bindings
            .iter()
            .flat_map(|(ctx, cmds)| {
                cmds.iter()
                    .flat_map(move |(cmd, keys)| keys.iter().map(move |k| ((*ctx, *k), *cmd)))
            })
            .collect();
        problems.sort();
        Ok(problems
            .into_iter()
            .map(|(line, p)| format!("line {line}: {p}"))
            .collect())
    }

    /// Defaults plus `path` when it exists. Each problem names the file and line; the good
    /// entries apply, a file that is not TOML changes nothing.
    pub fn load(path: Option<&Path>) -> (Keymap, Vec<String>) {
        let mut keymap = Keymap::defaults();
        let Some(path) = path.filter(|p| p.exists()) else {
            return (keymap, Vec::new());
        };
        let result = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| keymap.merge(&text));
        match result {
            Ok(problems) => {
                let problems = problems
                    .into_iter()
                    .map(|p| format!("keymap {}: {p}", path.display()))
                    .collect();
                (keymap, problems)
            }
            Err(e) => (
                Keymap::defaults(),
                vec![format!(
                    "keymap {}: {e}; using the default keys",
                    path.display()
                )],
            ),
        }
    }

    pub fn lookup(&self, ctx: Context, key: Key) -> Option<Command> {
        self.lookup.get(&(ctx, key)).copied()
    }

    /// What `key` means in `contexts`, the first that binds it: the one lookup every pane and
    /// popup goes through.
    pub fn command(&self, contexts: &[Context], key: &KeyEvent) -> Option<Command> {
        let key = Key::from_event(key);
        contexts.iter().find_map(|ctx| self.lookup(*ctx, key))
    }

    /// The first key bound to `cmd` in `ctx`, for hints.
    pub fn first_key(&self, ctx: Context, cmd: Command) -> Option<Key> {
        self.bindings.get(&ctx)?.get(&cmd)?.first().copied()
    }

    /// (context, command, keys) for the help overlay, in a stable order.
    pub fn help_rows(&self) -> Vec<(Context, Command, String)> {
        let mut rows = Vec::new();
        for (ctx, cmds) in &self.bindings {
            for cmd in Command::ALL {
                if let Some(keys) = cmds.get(cmd).filter(|k| !k.is_empty()) {
                    let keys: Vec<String> = keys.iter().map(Key::to_string).collect();
                    rows.push((*ctx, *cmd, keys.join(" ")));
                }
            }
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_overrides() {
        assert_eq!(
            Key::parse("ctrl-q").unwrap(),
            Key::new(KeyCode::Char('q'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            Key::parse("G").unwrap(),
            Key::new(KeyCode::Char('G'), KeyModifiers::SHIFT)
        );
        assert_eq!(Key::parse("alt--").unwrap().code, KeyCode::Char('-'));
        assert_eq!(Key::parse("shift-f3").unwrap().code, KeyCode::F(3));
        let mut k = Keymap::defaults();
        k.merge("[panes]\nquit = [\"Q\"]\n").unwrap();
        assert_eq!(
            k.lookup(Context::Panes, Key::parse("Q").unwrap()),
            Some(Command::Quit)
        );
        assert_eq!(k.lookup(Context::Panes, Key::parse("q").unwrap()), None);
        let problems = k.merge("[panes]\nfly = [\"x\"]\n").unwrap();
        assert!(problems[0].contains("unknown command"), "{problems:?}");
        assert!(k.merge("[panes\n").is_err(), "not TOML");
    }

    /// shift-F3 never arrived under tmux/xterm: a modified F3 is `CSI 1;<mod>R`, which
    /// crossterm reads as a cursor position report. No default may rely on one.
    #[test]
    fn no_default_key_is_one_that_never_arrives() {
        let k = Keymap::defaults();
        for (ctx, cmd, _) in k.help_rows() {
            for key in &k.bindings[&ctx][&cmd] {
                assert!(
                    key.code != KeyCode::F(3) || key.mods.is_empty(),
                    "[{}] {} = {key}",
                    ctx.name(),
                    cmd.name()
                );
            }
        }
        assert_eq!(
            k.lookup(Context::Panes, Key::parse("N").unwrap()),
            Some(Command::SearchPrev)
        );
    }

    #[test]
    fn the_defaults_have_no_conflicts() {
        let k = Keymap::defaults();
        assert!(
            conflicts(&k.bindings).is_empty(),
            "{:?}",
            conflicts(&k.bindings)
        );
    }

    /// A keymap with a duplicate or conflicting binding was accepted silently (and could lose
    /// quit); one bad entry discarded the whole file.
    #[test]
    fn bad_entries_are_rejected_by_line_and_the_good_ones_kept() {
        let mut k = Keymap::defaults();
        let text = "[panes]\n\
                    run = [\"q\"]\n\
                    copy = [\"c\"]\n\
                    top = [\"ctrl-nope\"]\n\
                    [global]\n\
                    cancel = [\"ctrl-q\"]\n\
                    [editor]\n\
                    select_all = [\"f1\"]\n";
        let problems = k.merge(text).unwrap();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].starts_with("line 2:") && problems[0].contains("q is already quit"));
        assert!(problems[1].starts_with("line 4:") && problems[1].contains("ctrl-nope"));
        assert!(problems[2].starts_with("line 6:") && problems[2].contains("already quit"));
        assert!(problems[3].starts_with("line 8:") && problems[3].contains("[global]"));
        let key = |s| Key::parse(s).unwrap();
        // the good entry applies, the rejected ones keep their keys, quit survives
        assert_eq!(k.lookup(Context::Panes, key("c")), Some(Command::Copy));
        assert_eq!(k.lookup(Context::Panes, key("y")), None);
        assert_eq!(k.lookup(Context::Panes, key("q")), Some(Command::Quit));
        assert_eq!(k.lookup(Context::Panes, key("r")), Some(Command::Run));
        assert_eq!(
            k.lookup(Context::Global, key("ctrl-q")),
            Some(Command::Quit)
        );
        assert_eq!(k.lookup(Context::Global, key("f6")), Some(Command::Cancel));
        // two entries in one section wanting the same key: both rejected
        let mut k = Keymap::defaults();
        let problems = k
            .merge("[panes]\nrun = [\"z\"]\ncancel = [\"z\"]\n")
            .unwrap();
        assert_eq!(problems.len(), 2, "{problems:?}");
        // quit cannot be left without a global key
        let mut k = Keymap::defaults();
        let problems = k.merge("[global]\nquit = []\n").unwrap();
        assert!(problems[0].contains("quit needs"), "{problems:?}");
        assert_eq!(
            k.lookup(Context::Global, key("ctrl-q")),
            Some(Command::Quit)
        );
        // a key that never arrives is refused
        let mut k = Keymap::defaults();
        let problems = k.merge("[global]\nsearch_prev = [\"shift-f3\"]\n").unwrap();
        assert!(problems[0].contains("never arrives"), "{problems:?}");
        // swapping two keys is fine
        let mut k = Keymap::defaults();
        let problems = k
            .merge("[panes]\nrun = [\"x\"]\ncancel = [\"r\"]\n")
            .unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(k.lookup(Context::Panes, key("x")), Some(Command::Run));
    }
}
