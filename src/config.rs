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

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HistoryConfig {
    /// Lookups older than this many days are purged at start; `None` keeps everything.
    pub retain_days: Option<u32>,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            retain_days: Some(365),
        }
    }
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
            keys: Default::default(),
        }
    }
}
