//! Building a request for the wire: URL, auth and body. Pure; secrets stay in [`Secret`]s
//! so a Debug print of an outgoing request cannot show them.

use super::envelope::Endpoint;
use super::error::{ErrorKind, VendorError};
use crate::check::Vendor;
use crate::config::{AccuAuthConfig, BodyEncoding, Secret, TrustDecisionConfig};
use serde_json::{Map, Value, json};

#[derive(Debug, Clone)]
pub struct Outgoing {
    pub endpoint: Endpoint,
    /// Without query: safe to log, show and store.
    pub url: String,
    /// TrustDecision auth, appended as the query string.
    pub query: Vec<(&'static str, Secret)>,
    /// AccuAuth auth headers.
    pub headers: Vec<(&'static str, Secret)>,
    pub encoding: BodyEncoding,
    pub fields: Map<String, Value>,
}

impl Outgoing {
    pub fn content_type(&self) -> &'static str {
        match self.encoding {
            BodyEncoding::Form => "application/x-www-form-urlencoded",
            BodyEncoding::Json => "application/json",
        }
    }

    /// The request as history stores it: never a secret, never the query.
    pub fn request_sent(&self) -> Value {
        json!({
            "url": self.url,
            "method": "POST",
            "content_type": self.content_type(),
            "body": Value::Object(self.fields.clone()),
        })
    }

    /// Form pairs: strings as they are, numbers and booleans as text, nulls left out.
    pub fn form_pairs(&self) -> Vec<(String, String)> {
        self.fields
            .iter()
            .filter_map(|(k, v)| {
                let text = match v {
                    Value::Null => return None,
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                Some((k.clone(), text))
            })
            .collect()
    }
}

/// The URL with any query or fragment cut off.
pub fn strip_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url).trim()
}

fn secret(value: &Option<Secret>) -> Option<Secret> {
    value
        .as_ref()
        .filter(|s| !s.expose().trim().is_empty())
        .cloned()
}

fn not_configured(what: String, hint: &str) -> VendorError {
    VendorError::new(ErrorKind::Unauthorized, what, hint)
}

fn no_url(what: String, hint: &str) -> VendorError {
    VendorError::new(ErrorKind::NotFound, what, hint)
}

/// Builds the request for `endpoint`, or says which configuration is missing.
pub fn build(
    endpoint: Endpoint,
    fields: &Map<String, Value>,
    accuauth: &AccuAuthConfig,
    trustdecision: &TrustDecisionConfig,
) -> Result<Outgoing, VendorError> {
    let check = endpoint.check();
    match endpoint.vendor() {
        Vendor::AccuAuth => {
            let (Some(id), Some(key)) = (secret(&accuauth.api_id), secret(&accuauth.api_secret))
            else {
                return Err(not_configured(
                    "No AccuAuth API id and secret are configured".into(),
                    "Set [accuauth] api_id and api_secret in config.toml, or \
                     RISKDESK_ACCUAUTH_API_ID and RISKDESK_ACCUAUTH_API_SECRET.",
                ));
            };
            let (base, key_name) = match check {
                crate::check::CheckKind::DebtsReport => {
                    (&accuauth.debts_report_url, "debts_report_url")
                }
                crate::check::CheckKind::MultipleOrder => {
                    (&accuauth.multiple_order_url, "multiple_order_url")
                }
                _ => (&accuauth.phone_status_url, "phone_status_url"),
            };
            let base = strip_query(base).trim_end_matches('/');
            let path = endpoint.accuauth_path().unwrap_or_default();
            let url = format!("{base}{path}");
            if !is_http_url(base) {
                return Err(no_url(
                    format!("The AccuAuth URL for {check} is not an http(s) URL"),
                    &format!("Set [accuauth] {key_name} in config.toml to the vendor's base URL."),
                ));
            }
            Ok(Outgoing {
                endpoint,
                url,
                query: Vec::new(),
                headers: vec![("X-DF-API-ID", id), ("X-DF-API-SECRET", key)],
                encoding: accuauth.body,
                fields: fields.clone(),
            })
        }
        Vendor::TrustDecision => {
            let (Some(code), Some(key)) = (
                secret(&trustdecision.partner_code),
                secret(&trustdecision.partner_key),
            ) else {
                return Err(not_configured(
                    "No TrustDecision partner code and key are configured".into(),
                    "Set [trustdecision] partner_code and partner_key in config.toml, or \
                     RISKDESK_TD_PARTNER_CODE and RISKDESK_TD_PARTNER_KEY.",
                ));
            };
            let (url, key_name) = match check {
                crate::check::CheckKind::Multiplatform => {
                    (&trustdecision.multiplatform_url, "multiplatform_url")
                }
                _ => (
                    &trustdecision.credit_willingness_url,
                    "credit_willingness_url",
                ),
            };
            let url = url.as_deref().map(strip_query).unwrap_or_default();
            if !is_http_url(url) {
                return Err(no_url(
                    format!("No usable TrustDecision URL is configured for {check}"),
                    &format!(
                        "Set [trustdecision] {key_name} in config.toml to the full endpoint \
                         URL TrustDecision gave you (there is no default)."
                    ),
                ));
            }
            Ok(Outgoing {
                endpoint,
                url: url.to_string(),
                query: vec![("partner_code", code), ("partner_key", key)],
                headers: Vec::new(),
                encoding: BodyEncoding::Json,
                fields: fields.clone(),
            })
        }
    }
}

fn is_http_url(url: &str) -> bool {
    reqwest::Url::parse(url)
        .map(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("mobile".into(), json!("6281234567890"));
        m.insert("count".into(), json!(2));
        m.insert("gaid".into(), Value::Null);
        m
    }

    fn accuauth() -> AccuAuthConfig {
        AccuAuthConfig {
            api_id: Some(Secret::new("id-1")),
            api_secret: Some(Secret::new("secret-1")),
            debts_report_url: "https://example.test/".into(),
            ..AccuAuthConfig::default()
        }
    }

    #[test]
    fn accuauth_request() {
        let td = TrustDecisionConfig::default();
        let out = build(Endpoint::DebtsReport, &fields(), &accuauth(), &td).unwrap();
        assert_eq!(out.url, "https://example.test/check/debts_report");
        assert_eq!(out.headers[0].0, "X-DF-API-ID");
        assert_eq!(out.content_type(), "application/x-www-form-urlencoded");
        assert_eq!(
            out.form_pairs(),
            vec![
                ("mobile".to_string(), "6281234567890".to_string()),
                ("count".to_string(), "2".to_string())
            ]
        );
        let sent = out.request_sent().to_string();
        assert!(!sent.contains("secret-1") && !format!("{out:?}").contains("secret-1"));
    }

    #[test]
    fn missing_configuration_is_an_error() {
        let td = TrustDecisionConfig::default();
        let e = build(Endpoint::Multiplatform, &fields(), &accuauth(), &td).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unauthorized);
        let td = TrustDecisionConfig {
            partner_code: Some(Secret::new("c")),
            partner_key: Some(Secret::new("k")),
            ..TrustDecisionConfig::default()
        };
        let e = build(Endpoint::Multiplatform, &fields(), &accuauth(), &td).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        let no_auth = AccuAuthConfig::default();
        assert!(build(Endpoint::PhoneSubmit, &fields(), &no_auth, &td).is_err());
    }

    #[test]
    fn trustdecision_url_never_keeps_a_query() {
        let td = TrustDecisionConfig {
            partner_code: Some(Secret::new("c")),
            partner_key: Some(Secret::new("k")),
            credit_willingness_url: Some("https://td.test/cw?partner_key=oops".into()),
            ..TrustDecisionConfig::default()
        };
        let out = build(Endpoint::CreditWillingness, &fields(), &accuauth(), &td).unwrap();
        assert_eq!(out.url, "https://td.test/cw");
        assert_eq!(out.content_type(), "application/json");
    }
}
