//! Colour themes: `themes/*.toml` embedded in the binary, user themes from the config folder,
//! and `NO_COLOR` (colours dropped, modifiers kept so highlights stay visible).

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// Themes shipped in the binary, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("colorblind", include_str!("../../themes/colorblind.toml")),
];

macro_rules! roles {
    ($($role:ident),* $(,)?) => {
        /// What a style is for. Theme files name roles in snake_case.
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Role { $($role),* }
        impl Role {
            pub const ALL: &'static [Role] = &[$(Role::$role),*];
            pub fn name(self) -> &'static str {
                match self { $(Role::$role => stringify!($role)),* }
            }
        }
    };
}

roles!(
    base,
    border,
    border_focus,
    title,
    tab_active,
    selected,
    dim,
    error,
    warning,
    ok,
    key,
    hint,
    status,
    gutter,
    gutter_current,
    chunk_linked,
    cursor,
    selection,
    search_match,
    conf_high,
    conf_mid,
    conf_low,
    gauge,
    ioc_network,
    ioc_hash,
    ioc_file,
    ioc_vuln,
    ioc_other,
    heat_neg2,
    heat_neg1,
    heat_zero,
    heat_pos1,
    heat_pos2,
    matrix_high,
    matrix_mid,
    matrix_low,
);

/// A resolved theme: one style per role.
#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    styles: HashMap<Role, Style>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    #[serde(default)]
    styles: HashMap<String, StyleDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleDef {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    mods: Vec<String>,
}

impl Theme {
    /// Looks a role's style up.
    pub fn style(&self, role: Role) -> Style {
        self.styles.get(&role).copied().unwrap_or_default()
    }

    /// The default (dark) theme.
    pub fn default_theme() -> Theme {
        Self::parse(BUILTIN[0].1, None).expect("embedded dark theme is valid")
    }

    /// Parses a theme file; roles it leaves out come from `fallback` (or the dark theme).
    pub fn parse(text: &str, fallback: Option<&Theme>) -> Result<Theme, String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| one_line(&e.to_string()))?;
        let mut styles = match fallback {
            Some(f) => f.styles.clone(),
            None => HashMap::new(),
        };
        for (key, def) in &file.styles {
            let role = Role::ALL
                .iter()
                .copied()
                .find(|r| r.name() == key)
                .ok_or_else(|| format!("unknown style {key:?}"))?;
            styles.insert(role, def.to_style().map_err(|e| format!("{key}: {e}"))?);
        }
        Ok(Theme {
            name: file.name.unwrap_or_else(|| "custom".into()),
            styles,
        })
    }

    /// Resolves a theme by name: built-in names, else `<config>/themes/<name>.toml`, else a path.
    pub fn load(name: &str, config_dir: Option<&Path>) -> Result<Theme, String> {
        let dark = Self::default_theme();
        if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name) {
            return Self::parse(text, Some(&dark));
        }
        let mut candidates = Vec::new();
        if let Some(dir) = config_dir {
            candidates.push(dir.join("themes").join(format!("{name}.toml")));
        }
        candidates.push(Path::new(name).to_path_buf());
        for path in candidates {
            if path.is_file() {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("theme {}: {e}", path.display()))?;
                return Self::parse(&text, Some(&dark)).map_err(|e| {
                    format!("theme {}: {e}; using the default theme", path.display())
                });
            }
        }
        Err(format!(
            "unknown theme {name:?} (built in: dark, light, high-contrast, colorblind); using the default theme"
        ))
    }

    /// `NO_COLOR`: drops every colour, keeps modifiers and adds some so highlights stay visible.
    pub fn without_colors(mut self) -> Theme {
        for (role, style) in self.styles.iter_mut() {
            let mut s = Style::default().add_modifier(style.add_modifier);
            s = s.add_modifier(match role {
                Role::selected | Role::tab_active | Role::cursor | Role::selection => {
                    Modifier::REVERSED
                }
                Role::search_match | Role::heat_pos2 | Role::matrix_high => {
                    Modifier::REVERSED | Modifier::BOLD
                }
                Role::heat_neg2 => Modifier::ITALIC | Modifier::DIM | Modifier::UNDERLINED,
                Role::matrix_mid | Role::gutter_current | Role::conf_high => Modifier::BOLD,
                Role::dim | Role::conf_low | Role::gutter | Role::matrix_low => Modifier::DIM,
                _ => Modifier::empty(),
            });
            *style = s;
        }
        self.name.push_str(" (NO_COLOR)");
        self
    }
}

impl StyleDef {
    fn to_style(&self) -> Result<Style, String> {
        let mut style = Style::default();
        if let Some(fg) = &self.fg {
            style = style.fg(parse_color(fg)?);
        }
        if let Some(bg) = &self.bg {
            style = style.bg(parse_color(bg)?);
        }
        for m in &self.mods {
            style = style.add_modifier(match m.as_str() {
                "bold" => Modifier::BOLD,
                "dim" => Modifier::DIM,
                "italic" => Modifier::ITALIC,
                "underlined" => Modifier::UNDERLINED,
                "reversed" => Modifier::REVERSED,
                "crossed_out" => Modifier::CROSSED_OUT,
                other => return Err(format!("unknown modifier {other:?}")),
            });
        }
        Ok(style)
    }
}

fn parse_color(s: &str) -> Result<Color, String> {
    Color::from_str(s).map_err(|_| format!("unknown colour {s:?}"))
}

/// Errors from `toml` span several lines; the status bar has one.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_themes_parse_and_define_every_role() {
        for (name, text) in BUILTIN {
            let t = Theme::parse(text, None).unwrap_or_else(|e| panic!("{name}: {e}"));
            for role in Role::ALL {
                assert!(t.styles.contains_key(role), "{name} lacks {}", role.name());
            }
        }
    }
}
