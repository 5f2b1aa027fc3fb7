//! Themes: semantic colour slots loaded from `themes/*.toml` (built in) or from
//! `<config dir>/themes/NAME.toml`, which overrides a built-in of the same name.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// The names of the themes that ship with riskdesk.
pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

/// An sRGB colour; kept as bytes so contrast can be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub fn parse(s: &str) -> Option<Rgb> {
        let h = s.trim().strip_prefix('#')?;
        if h.len() != 6 || !h.is_ascii() {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
        Some(Rgb(byte(0)?, byte(2)?, byte(4)?))
    }

    pub fn color(self) -> Color {
        Color::Rgb(self.0, self.1, self.2)
    }

    /// WCAG 2 relative luminance.
    pub fn luminance(self) -> f64 {
        let lin = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(self.0) + 0.7152 * lin(self.1) + 0.0722 * lin(self.2)
    }

    /// WCAG 2 contrast ratio, 1.0 to 21.0.
    pub fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }
}

/// The semantic slots every screen draws with.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub background: Rgb,
    pub text: Rgb,
    pub muted: Rgb,
    pub accent: Rgb,
    pub ok: Rgb,
    pub warn: Rgb,
    pub risk_high: Rgb,
    pub pending: Rgb,
    pub border: Rgb,
    pub selection_bg: Rgb,
    pub selection_fg: Rgb,
    pub sandbox: Rgb,
}

/// The foreground slots drawn on the background (for contrast checks).
pub const FOREGROUND_SLOTS: &[&str] = &[
    "text",
    "muted",
    "accent",
    "ok",
    "warn",
    "risk_high",
    "pending",
    "sandbox",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    #[serde(default)]
    colors: BTreeMap<String, String>,
}

impl Theme {
    /// The built-in dark theme; parsing a file we ship cannot fail.
    pub fn default_dark() -> Theme {
        Theme::hard_coded()
    }

    fn hard_coded() -> Theme {
        Theme {
            name: "default".into(),
            background: Rgb(0x16, 0x18, 0x1d),
            text: Rgb(0xe3, 0xe6, 0xeb),
            muted: Rgb(0x8b, 0x92, 0x9e),
            accent: Rgb(0x6c, 0xb6, 0xff),
            ok: Rgb(0x57, 0xc7, 0x85),
            warn: Rgb(0xe6, 0xb4, 0x50),
            risk_high: Rgb(0xff, 0x6b, 0x6b),
            pending: Rgb(0xc3, 0x9b, 0xff),
            border: Rgb(0x4a, 0x50, 0x5c),
            selection_bg: Rgb(0x2f, 0x4a, 0x6e),
            selection_fg: Rgb(0xff, 0xff, 0xff),
            sandbox: Rgb(0xff, 0xb0, 0x20),
        }
    }

    pub fn slot(&self, name: &str) -> Option<Rgb> {
        Some(match name {
            "background" => self.background,
            "text" => self.text,
            "muted" => self.muted,
            "accent" => self.accent,
            "ok" => self.ok,
            "warn" => self.warn,
            "risk_high" => self.risk_high,
            "pending" => self.pending,
            "border" => self.border,
            "selection_bg" => self.selection_bg,
            "selection_fg" => self.selection_fg,
            "sandbox" => self.sandbox,
            _ => return None,
        })
    }

    fn slot_mut(&mut self, name: &str) -> Option<&mut Rgb> {
        Some(match name {
            "background" => &mut self.background,
            "text" => &mut self.text,
            "muted" => &mut self.muted,
            "accent" => &mut self.accent,
            "ok" => &mut self.ok,
            "warn" => &mut self.warn,
            "risk_high" => &mut self.risk_high,
            "pending" => &mut self.pending,
            "border" => &mut self.border,
            "selection_bg" => &mut self.selection_bg,
            "selection_fg" => &mut self.selection_fg,
            "sandbox" => &mut self.sandbox,
            _ => return None,
        })
    }

    /// Parses a theme file; slots it leaves out keep the default theme's colour.
    /// The error names the file's problem and the slot.
    pub fn parse(text: &str, fallback_name: &str) -> Result<Theme, String> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut theme = Theme::hard_coded();
        theme.name = file.name.unwrap_or_else(|| fallback_name.to_string());
        for (slot, value) in &file.colors {
            let parsed = Rgb::parse(value)
                .ok_or_else(|| format!("colors.{slot} = '{value}': expected \"#rrggbb\""))?;
            *theme
                .slot_mut(slot)
                .ok_or_else(|| format!("colors.{slot}: not a theme slot"))? = parsed;
        }
        Ok(theme)
    }

    /// The theme called `name`: a user file in `<config_dir>/themes/` wins over a built-in.
    /// Anything wrong is reported in the second value and the default theme is used.
    pub fn load(name: &str, config_dir: Option<&Path>) -> (Theme, Option<String>) {
        let name = name.trim();
        if let Some(dir) = config_dir {
            let path = dir.join("themes").join(format!("{name}.toml"));
            if path.is_file() {
                return match std::fs::read_to_string(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|t| Theme::parse(&t, name))
                {
                    Ok(t) => (t, None),
                    Err(e) => (
                        Theme::hard_coded(),
                        Some(format!(
                            "theme file {}: {e}; using the default theme",
                            path.display()
                        )),
                    ),
                };
            }
        }
        match BUILTIN.iter().find(|(n, _)| *n == name) {
            Some((n, text)) => match Theme::parse(text, n) {
                Ok(t) => (t, None),
                Err(e) => (
                    Theme::hard_coded(),
                    Some(format!("built-in theme {n}: {e}")),
                ),
            },
            None => (
                Theme::hard_coded(),
                Some(format!(
                    "no theme named '{name}' (built in: {}); using the default theme",
                    builtin_names().join(", ")
                )),
            ),
        }
    }

    pub fn base(&self) -> Style {
        Style::new()
            .fg(self.text.color())
            .bg(self.background.color())
    }
    pub fn fg(&self, c: Rgb) -> Style {
        Style::new().fg(c.color())
    }
    pub fn muted(&self) -> Style {
        self.fg(self.muted)
    }
    pub fn accent(&self) -> Style {
        self.fg(self.accent)
    }
    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.fg(self.accent).add_modifier(Modifier::BOLD)
        } else {
            self.fg(self.border)
        }
    }
    pub fn selection(&self) -> Style {
        Style::new()
            .fg(self.selection_fg.color())
            .bg(self.selection_bg.color())
    }
    pub fn title(&self) -> Style {
        self.fg(self.text).add_modifier(Modifier::BOLD)
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::default_dark()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_and_default_matches_file() {
        for name in builtin_names() {
            let (t, warning) = Theme::load(name, None);
            assert_eq!(warning, None, "{name}");
            assert_eq!(t.name, name);
        }
        let (file_default, _) = Theme::load("default", None);
        assert_eq!(file_default, Theme::hard_coded());
    }

    #[test]
    fn bad_and_unknown_themes_fall_back() {
        let (t, w) = Theme::load("nope", None);
        assert_eq!(t.name, "default");
        assert!(w.unwrap().contains("no theme named 'nope'"));
        let err = Theme::parse("[colors]\ntext = \"red\"", "x").unwrap_err();
        assert!(err.contains("colors.text"));
        assert!(Theme::parse("[colors]\nfoo = \"#000000\"", "x").is_err());
        assert!(Theme::parse("not toml at all [", "x").is_err());
    }

    #[test]
    fn user_theme_overrides_builtin() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        std::fs::write(
            dir.path().join("themes/light.toml"),
            "[colors]\naccent = \"#123456\"\n",
        )
        .unwrap();
        let (t, w) = Theme::load("light", Some(dir.path()));
        assert_eq!(w, None);
        assert_eq!(t.accent, Rgb(0x12, 0x34, 0x56));
        std::fs::write(dir.path().join("themes/broken.toml"), "[colors\n").unwrap();
        let (t, w) = Theme::load("broken", Some(dir.path()));
        assert_eq!(t.name, "default");
        assert!(w.unwrap().contains("broken.toml"));
    }

    #[test]
    fn contrast_formula() {
        let black = Rgb(0, 0, 0);
        let white = Rgb(255, 255, 255);
        assert!((black.contrast(white) - 21.0).abs() < 0.01);
        assert!((white.contrast(white) - 1.0).abs() < 0.01);
    }
}
