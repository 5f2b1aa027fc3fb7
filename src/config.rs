//! Configuration: `config.toml` in the platform config dir, overridable by flags and env.
//!
//! Parsing errors name the file, line and key. Secrets live in [`Secret`], whose `Debug`
//! and `Display` never show the value.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A credential. Its `Debug`/`Display` print `***`; only [`Secret::expose`] gives the value,
/// and only the vendor client calls it, to put it on the wire.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How AccuAuth request bodies are encoded (its pages never name one; public clients use form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyEncoding {
    #[default]
    Form,
    Json,
}

pub const DEFAULT_DEBTS_REPORT_URL: &str = "https://cloudapi.indonesia.accuauth.com";
pub const DEFAULT_MULTIPLE_ORDER_URL: &str = "https://cloudapi.accuauth.in";
pub const DEFAULT_PHONE_STATUS_URL: &str = "https://cloudapi.mexico.accuauth.com";

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccuAuthConfig {
    pub api_id: Option<Secret>,
    pub api_secret: Option<Secret>,
    pub body: BodyEncoding,
    /// Base URLs: the endpoint paths (`/check/...`) are appended.
    pub debts_report_url: String,
    pub multiple_order_url: String,
    pub phone_status_url: String,
}

impl Default for AccuAuthConfig {
    fn default() -> Self {
        AccuAuthConfig {
            api_id: None,
            api_secret: None,
            body: BodyEncoding::Form,
            debts_report_url: DEFAULT_DEBTS_REPORT_URL.into(),
            multiple_order_url: DEFAULT_MULTIPLE_ORDER_URL.into(),
            phone_status_url: DEFAULT_PHONE_STATUS_URL.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrustDecisionConfig {
    pub partner_code: Option<Secret>,
    pub partner_key: Option<Secret>,
    /// Full endpoint URLs (no default: the product paths are not public).
    pub multiplatform_url: Option<String>,
    pub credit_willingness_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub timeout_secs: u64,
    pub max_retries: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            timeout_secs: 30,
            max_retries: 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HistoryConfig {
    /// Lookups older than this many days are purged at start; `None` keeps everything.
    pub retain_days: Option<u32>,
    /// The team history (`postgres://user@host/db`); `None` keeps the local SQLite file.
    /// `RISKDESK_HISTORY_URL` wins over it. A secret: it may hold a password.
    pub url: Option<Secret>,
}

/// Rules a team sets for every desk (`[team]`).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TeamConfig {
    /// Every lookup must say why it is made (`check --purpose`, the console's Purpose
    /// field): without one nothing is sent.
    pub require_purpose: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// Re-running the same check with the same identifiers within this window first shows
    /// the stored result and asks before spending another paid call.
    pub rerun_window_hours: u64,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            rerun_window_hours: 24,
        }
    }
}

/// The whole configuration, after file, env and flags are merged.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub theme: String,
    pub mask_pii: bool,
    pub accuauth: AccuAuthConfig,
    pub trustdecision: TrustDecisionConfig,
    pub http: HttpConfig,
    pub history: HistoryConfig,
    pub console: ConsoleConfig,
    pub team: TeamConfig,
    /// Key binding overrides: action name -> key spec (e.g. `run_all = "ctrl-r"`).
    pub keys: std::collections::BTreeMap<String, String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            theme: "default".into(),
            mask_pii: true,
            accuauth: AccuAuthConfig::default(),
            trustdecision: TrustDecisionConfig::default(),
            http: HttpConfig::default(),
            history: HistoryConfig::default(),
            console: ConsoleConfig::default(),
            team: TeamConfig::default(),
            keys: Default::default(),
        }
    }
}

/// Where riskdesk reads its config and keeps its data, after flags and env are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The config file to read; `None` when no file was named and the default is absent.
    pub config_file: Option<std::path::PathBuf>,
    /// The directory user themes are looked up in (`<config dir>/themes`).
    pub config_dir: Option<std::path::PathBuf>,
    pub data_dir: std::path::PathBuf,
}

/// A config that was read, with what deserves a warning (e.g. a world-readable secret).
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub paths: Paths,
    pub warnings: Vec<String>,
}

/// A config problem, always naming the file and, where it can, the line and key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {key}: {message}")]
    Invalid {
        path: std::path::PathBuf,
        line: usize,
        key: String,
        message: String,
    },
    #[error("no data directory: set --data-dir or RISKDESK_DATA_DIR")]
    NoDataDir,
    #[error("{0}")]
    Env(String),
}

/// The environment variables riskdesk reads; a trait-free struct so tests pass their own.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub config: Option<String>,
    pub data_dir: Option<String>,
    pub accuauth_api_id: Option<String>,
    pub accuauth_api_secret: Option<String>,
    pub td_partner_code: Option<String>,
    pub td_partner_key: Option<String>,
}

impl Env {
    pub fn from_process() -> Env {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Env {
            config: get("RISKDESK_CONFIG"),
            data_dir: get("RISKDESK_DATA_DIR"),
            accuauth_api_id: get("RISKDESK_ACCUAUTH_API_ID"),
            accuauth_api_secret: get("RISKDESK_ACCUAUTH_API_SECRET"),
            td_partner_code: get("RISKDESK_TD_PARTNER_CODE"),
            td_partner_key: get("RISKDESK_TD_PARTNER_KEY"),
        }
    }
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "riskdesk")
}

/// Resolves paths (flag, then env, then the platform default) and reads the config.
pub fn load(
    config_flag: Option<&std::path::Path>,
    data_dir_flag: Option<&std::path::Path>,
    env: &Env,
) -> Result<Loaded, ConfigError> {
    use std::path::PathBuf;
    let dirs = project_dirs();
    let named = config_flag
        .map(PathBuf::from)
        .or_else(|| env.config.as_ref().map(PathBuf::from));
    let (config_file, must_exist) = match named {
        Some(p) => (Some(p), true),
        None => (
            dirs.as_ref().map(|d| d.config_dir().join("config.toml")),
            false,
        ),
    };
    let config_file = config_file.filter(|p| must_exist || p.exists());
    let config_dir = config_file
        .as_ref()
        .and_then(|p| p.parent().map(PathBuf::from))
        .or_else(|| dirs.as_ref().map(|d| d.config_dir().to_path_buf()));
    let data_dir = data_dir_flag
        .map(PathBuf::from)
        .or_else(|| env.data_dir.as_ref().map(PathBuf::from))
        .or_else(|| dirs.as_ref().map(|d| d.data_dir().to_path_buf()))
        .ok_or(ConfigError::NoDataDir)?;

    let mut warnings = Vec::new();
    let mut config = match &config_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            let config = parse(&text, path)?;
            if let Some(w) = permission_warning(path, &config) {
                warnings.push(w);
            }
            config
        }
        None => Config::default(),
    };
    apply_env(&mut config, env);
    Ok(Loaded {
        config,
        paths: Paths {
            config_file,
            config_dir,
            data_dir,
        },
        warnings,
    })
}

fn apply_env(config: &mut Config, env: &Env) {
    if let Some(v) = &env.accuauth_api_id {
        config.accuauth.api_id = Some(Secret::new(v.clone()));
    }
    if let Some(v) = &env.accuauth_api_secret {
        config.accuauth.api_secret = Some(Secret::new(v.clone()));
    }
    if let Some(v) = &env.td_partner_code {
        config.trustdecision.partner_code = Some(Secret::new(v.clone()));
    }
    if let Some(v) = &env.td_partner_key {
        config.trustdecision.partner_key = Some(Secret::new(v.clone()));
    }
}

#[cfg(unix)]
fn permission_warning(path: &std::path::Path, config: &Config) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let holds_secret =
        config.accuauth.api_secret.is_some() || config.trustdecision.partner_key.is_some();
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (holds_secret && mode & 0o077 != 0).then(|| {
        format!(
            "{} holds a secret and can be read by group or others (mode {:o}): run chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        )
    })
}

#[cfg(not(unix))]
fn permission_warning(_: &std::path::Path, _: &Config) -> Option<String> {
    None
}

impl Config {
    /// Whether any vendor credentials are configured (file or env). Without any, riskdesk
    /// runs on its built-in sandbox.
    pub fn has_credentials(&self) -> bool {
        let set = |s: &Option<Secret>| s.as_ref().is_some_and(|s| !s.is_empty());
        (set(&self.accuauth.api_id) && set(&self.accuauth.api_secret))
            || (set(&self.trustdecision.partner_code) && set(&self.trustdecision.partner_key))
    }
}

/// Parses config text; errors name the file, the line and the dotted key.
pub fn parse(text: &str, path: &std::path::Path) -> Result<Config, ConfigError> {
    let config: Config = toml::from_str(text).map_err(|e| {
        let (line, key) = match e.span() {
            Some(span) => locate_span(text, span.start),
            None => (0, String::new()),
        };
        // toml quotes the offending value: never for a credential.
        let secret = ["api_id", "api_secret", "partner_code", "partner_key"]
            .iter()
            .any(|k| key.ends_with(k));
        let message = if secret {
            "must be a quoted string (the value is not shown: it is a credential)".to_string()
        } else {
            e.message().trim().to_string()
        };
        ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            key,
            message,
        }
    })?;
    validate(&config).map_err(|(key, message)| ConfigError::Invalid {
        path: path.to_path_buf(),
        line: locate_key(text, &key),
        key,
        message,
    })?;
    Ok(config)
}

/// The 1-based line of `offset` and the dotted key written there (`section.key`).
fn locate_span(text: &str, offset: usize) -> (usize, String) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line_no = before.matches('\n').count() + 1;
    let line = text.lines().nth(line_no - 1).unwrap_or("");
    let section = before
        .lines()
        .filter_map(|l| {
            let t = l.trim();
            (t.starts_with('[') && t.ends_with(']'))
                .then(|| t.trim_matches(|c| c == '[' || c == ']').trim().to_string())
        })
        .next_back();
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    let dotted = match (section, key) {
        (Some(s), Some(k)) => format!("{s}.{k}"),
        (None, Some(k)) => k,
        (Some(s), None) => s,
        (None, None) => "(file)".into(),
    };
    (line_no, dotted)
}

/// The 1-based line on which a dotted key (`http.timeout_secs`) is set, or 0.
fn locate_key(text: &str, dotted: &str) -> usize {
    let (section, key) = match dotted.rsplit_once('.') {
        Some((s, k)) => (Some(s), k),
        None => (None, dotted),
    };
    let mut current: Option<String> = None;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('[') && t.ends_with(']') {
            current = Some(t.trim_matches(|c| c == '[' || c == ']').trim().to_string());
            continue;
        }
        if let Some((k, _)) = t.split_once('=')
            && k.trim().trim_matches('"') == key
            && current.as_deref() == section
        {
            return i + 1;
        }
    }
    0
}

/// A configured URL as an error may show it: never a query, a fragment or user:password,
/// which may hold a credential (TrustDecision's partner_key travels in the query), also when
/// the URL is malformed (`host/path?partner_key=…` without a scheme).
fn url_for_message(v: &str) -> String {
    let (scheme, rest) = match v.find("://") {
        Some(i) => (&v[..i + 3], &v[i + 3..]),
        None => ("", v),
    };
    // A password may hold '/': anything before the last '@' ahead of a query is hidden.
    let authority_end = rest.find(['?', '#']).unwrap_or(rest.len());
    let (userinfo, rest) = match rest[..authority_end].rfind('@') {
        Some(at) => ("…@", &rest[at + 1..]),
        None => ("", rest),
    };
    let cut = rest.find(['?', '#', '&', '=', ';']).unwrap_or(rest.len());
    let shown: String = rest[..cut].chars().take(120).collect();
    let hidden = if shown.len() < rest.len() { "…" } else { "" };
    format!("{scheme}{userinfo}{shown}{hidden}")
}

fn validate(c: &Config) -> Result<(), (String, String)> {
    let url = |key: &str, v: &str| -> Result<(), (String, String)> {
        match reqwest::Url::parse(v) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
            _ => Err((
                key.to_string(),
                format!(
                    "'{}' is not an http(s) URL, e.g. https://cloudapi.accuauth.in",
                    url_for_message(v)
                ),
            )),
        }
    };
    url("accuauth.debts_report_url", &c.accuauth.debts_report_url)?;
    url(
        "accuauth.multiple_order_url",
        &c.accuauth.multiple_order_url,
    )?;
    url("accuauth.phone_status_url", &c.accuauth.phone_status_url)?;
    for (key, u) in [
        (
            "trustdecision.multiplatform_url",
            &c.trustdecision.multiplatform_url,
        ),
        (
            "trustdecision.credit_willingness_url",
            &c.trustdecision.credit_willingness_url,
        ),
    ] {
        if let Some(u) = u {
            // The client puts partner_code and partner_key in the query and never logs it:
            // a query written here would be dropped, so say so instead.
            if u.contains('?') {
                return Err((
                    key.into(),
                    "give the endpoint URL without a query: riskdesk adds partner_code and partner_key itself".into(),
                ));
            }
            url(key, u)?;
        }
    }
    if !(1..=600).contains(&c.http.timeout_secs) {
        return Err((
            "http.timeout_secs".into(),
            "must be 1 to 600 seconds".into(),
        ));
    }
    if c.http.max_retries > 10 {
        return Err(("http.max_retries".into(), "must be 0 to 10".into()));
    }
    if c.theme.trim().is_empty() {
        return Err(("theme".into(), "must name a theme, e.g. \"default\"".into()));
    }
    if c.history.retain_days.is_some_and(|d| d > 36_500) {
        return Err((
            "history.retain_days".into(),
            "must be at most 36500 days (100 years); leave it out to keep everything".into(),
        ));
    }
    if c.history.retain_days == Some(0) {
        return Err((
            "history.retain_days".into(),
            "must be at least 1 day (leave it out to keep everything)".into(),
        ));
    }
    if let Some(u) = &c.history.url {
        let u = u.expose().trim();
        let is_url = u.starts_with("postgres://") || u.starts_with("postgresql://");
        if !u.is_empty() && !is_url {
            return Err((
                "history.url".into(),
                format!(
                    "'{}' is not a PostgreSQL URL, e.g. postgres://ana@db.example/riskdesk",
                    url_for_message(u)
                ),
            ));
        }
    }
    if c.console.rerun_window_hours > 24 * 365 {
        return Err((
            "console.rerun_window_hours".into(),
            "must be at most a year".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_history_url_never_echoes_its_password() {
        for url in [
            "mysql://ana:CANARY@db/riskdesk",
            "ana:CANARY@db/riskdesk",
            "db?password=CANARY",
        ] {
            let text = format!("[history]\nurl = \"{url}\"\n");
            let err = parse(&text, std::path::Path::new("/x/config.toml"))
                .expect_err(url)
                .to_string();
            assert!(
                err.contains("history.url") && !err.contains("CANARY"),
                "{err}"
            );
        }
        let ok = "[history]\nurl = \"postgres://ana:CANARY@db/riskdesk\"\n";
        let c = parse(ok, std::path::Path::new("/x/config.toml")).expect("valid");
        assert!(!format!("{c:?}").contains("CANARY"));
    }

    #[test]
    fn a_bad_trustdecision_url_never_echoes_its_query() {
        let canary = "CANARY+k/ey=9";
        for url in [
            format!("apitd.net/multi?partner_code=pc&partner_key={canary}"),
            format!("https://apitd.net/multi?partner_key={canary}"),
            format!("apitd.net/multi&partner_key={canary}"),
            format!("ftp://user:{canary}@apitd.net/multi"),
            format!("https://user:{canary}@/multi"),
        ] {
            let text = format!("[trustdecision]\nmultiplatform_url = \"{url}\"\n");
            let err = parse(&text, std::path::Path::new("/x/config.toml"))
                .expect_err(&url)
                .to_string();
            assert!(!err.contains("CANARY") && !err.contains("k/ey"), "{err}");
            assert!(err.contains("multiplatform_url"), "{err}");
        }
        assert_eq!(url_for_message("https://h/p?partner_key=x"), "https://h/p…");
        assert_eq!(url_for_message("https://u:pw@h/p"), "https://…@h/p");
        assert_eq!(url_for_message("nonsense"), "nonsense");
    }
}
