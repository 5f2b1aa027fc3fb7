//! The async client: a thin wrapper that sends what [`request`](super::request) builds,
//! reads answers with [`envelope`](super::envelope) and retries as [`retry`](super::retry)
//! allows.

use super::envelope::{Answer, Endpoint, interpret};
use super::error::{ErrorKind, HINT_MAY_HAVE_BILLED, VendorError};
use super::request::{self, Outgoing};
use super::result::{Attempt, CheckResult};
use super::retry::{retry_delay, should_retry};
use crate::applicant::VendorRequest;
use crate::check::{CheckKind, Outcome, Vendor};
use crate::config::{AccuAuthConfig, BodyEncoding, Config, TrustDecisionConfig};
use serde_json::{Map, Value};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

/// One `reqwest::Client` and the vendor settings; cheap to clone (an `Arc` inside).
#[derive(Clone)]
pub struct VendorClient {
    inner: Arc<Inner>,
}

struct Inner {
    /// Built on first use: building reads the system's root certificates (~30 ms), which
    /// the console's first frame must not wait for, and the sandbox never needs.
    http: std::sync::OnceLock<Result<reqwest::Client, String>>,
    accuauth: AccuAuthConfig,
    trustdecision: TrustDecisionConfig,
    timeout: Duration,
    max_retries: u32,
    /// Every configured URL is plain http (the sandbox on loopback): no TLS can happen, so
    /// the system's root certificates (most of a `check`'s start-up work) are not loaded.
    plain_http_only: bool,
}

// Written by hand so no future field can print a credential.
impl std::fmt::Debug for VendorClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VendorClient")
            .field("timeout", &self.inner.timeout)
            .field("max_retries", &self.inner.max_retries)
            .finish_non_exhaustive()
    }
}

static CRYPTO_PROVIDER: Once = Once::new();

/// The most of an answer the client reads.
const MAX_BODY_BYTES: usize = 8 << 20;

impl VendorClient {
    /// The longest one call can take: every attempt timing out, plus the capped backoff
    /// between them. A poll lease must outlast it.
    pub fn worst_case_call(&self) -> Duration {
        let attempts = self.inner.max_retries + 1;
        self.inner.timeout * attempts + super::retry::backoff_delay(u32::MAX, 1.0) * attempts
    }

    pub fn new(config: &Config) -> anyhow::Result<VendorClient> {
        // reqwest is built with rustls-no-provider: one provider must be installed per
        // process before the first client. Another component may have done it already.
        CRYPTO_PROVIDER.call_once(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let timeout = Duration::from_secs(config.http.timeout_secs.max(1));
        let a = &config.accuauth;
        let t = &config.trustdecision;
        let plain_http_only = [
            Some(&a.debts_report_url),
            Some(&a.multiple_order_url),
            Some(&a.phone_status_url),
            t.multiplatform_url.as_ref(),
            t.credit_willingness_url.as_ref(),
        ]
        .into_iter()
        .flatten()
        .all(|u| u.trim().to_ascii_lowercase().starts_with("http://"));
        Ok(VendorClient {
            inner: Arc::new(Inner {
                http: std::sync::OnceLock::new(),
                accuauth: config.accuauth.clone(),
                trustdecision: config.trustdecision.clone(),
                timeout,
                max_retries: config.http.max_retries,
                plain_http_only,
            }),
        })
    }

    fn http(&self) -> Result<&reqwest::Client, String> {
        let timeout = self.inner.timeout;
        let plain_http_only = self.inner.plain_http_only;
        self.inner
            .http
            .get_or_init(|| {
                let builder = reqwest::Client::builder();
                let builder = if plain_http_only {
                    builder.tls_certs_only(Vec::new())
                } else {
                    builder
                };
                builder
                    .timeout(timeout)
                    .connect_timeout(timeout.min(Duration::from_secs(10)))
                    // A redirect would carry the TrustDecision query auth (and AccuAuth's
                    // headers) to another host; the configured URL must be the final one.
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!("riskdesk/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| format!("cannot build the HTTP client: {}", e.without_url()))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Runs a check: one call (phone-status: the submit call, which may come back pending
    /// with a `task_id` to poll).
    pub async fn run(&self, req: &VendorRequest) -> CheckResult {
        let endpoint = Endpoint::for_check(req.check);
        self.call(endpoint, &req.fields, req.warnings.clone()).await
    }

    /// Asks for the result of a pending phone-status task.
    pub async fn poll_phone_task(&self, task_id: &str) -> CheckResult {
        let mut fields = Map::new();
        fields.insert("task_id".into(), Value::from(task_id));
        let mut result = self
            .call(Endpoint::PhoneTaskResult, &fields, Vec::new())
            .await;
        if result.outcome == Outcome::Pending && result.task_id.is_none() {
            result.task_id = Some(task_id.to_string());
        }
        // A poll is a read: nothing more is billed, and the task is polled again on its
        // schedule, so the "may have billed" hint of a submit does not apply.
        if let Some(e) = result.error.as_mut()
            && matches!(e.kind, ErrorKind::Timeout | ErrorKind::Interrupted)
        {
            e.hint = "Polling is only a read: riskdesk polls the task again on its schedule \
                      until its 24 hours run out."
                .into();
        }
        result
    }

    /// Credentials and every URL of the vendor are present.
    pub fn is_configured(&self, vendor: Vendor) -> bool {
        CheckKind::ALL
            .into_iter()
            .filter(|c| c.vendor() == vendor)
            .all(|c| self.is_check_configured(c))
    }

    /// Credentials and the URL this check needs are present.
    pub fn is_check_configured(&self, check: CheckKind) -> bool {
        self.configuration_problem(check).is_none()
    }

    /// What configuration a check lacks, in words, or `None` when it can run.
    pub fn configuration_problem(&self, check: CheckKind) -> Option<VendorError> {
        self.outgoing(Endpoint::for_check(check), &Map::new()).err()
    }

    fn outgoing(
        &self,
        endpoint: Endpoint,
        fields: &Map<String, Value>,
    ) -> Result<Outgoing, VendorError> {
        request::build(
            endpoint,
            fields,
            &self.inner.accuauth,
            &self.inner.trustdecision,
        )
    }

    async fn call(
        &self,
        endpoint: Endpoint,
        fields: &Map<String, Value>,
        warnings: Vec<String>,
    ) -> CheckResult {
        let started = Instant::now();
        let check = endpoint.check();
        let outgoing = self.outgoing(endpoint, fields);
        let request_sent = match &outgoing {
            Ok(o) => o.request_sent(),
            Err(_) => {
                serde_json::json!({ "method": "POST", "body": Value::Object(fields.clone()) })
            }
        };
        let mut result = CheckResult {
            check,
            outcome: Outcome::Error,
            vendor_status: None,
            vendor_request_id: None,
            http_status: None,
            latency_ms: 0,
            attempts: 0,
            attempt_log: Vec::new(),
            request_sent,
            raw_body: Vec::new(),
            report: None,
            task_id: None,
            error: None,
            warnings,
        };
        match outgoing {
            Err(error) => {
                tracing::warn!(check = %check, kind = %error.kind, "vendor call not sent: {}", error.message);
                result.error = Some(error);
            }
            Ok(outgoing) => loop {
                result.attempts += 1;
                let sent_at = Instant::now();
                let (http_status, raw_body, answer) = self.send_once(&outgoing).await;
                result.attempt_log.push(Attempt {
                    http_status,
                    vendor_status: answer.vendor_status.clone(),
                    vendor_request_id: answer.vendor_request_id.clone(),
                    error_kind: answer.error.as_ref().map(|e| e.kind.as_str().to_string()),
                    latency_ms: sent_at.elapsed().as_millis().try_into().unwrap_or(u64::MAX),
                });
                let retry = result.attempts <= self.inner.max_retries && should_retry(&answer);
                let delay = retry_delay(result.attempts, &answer, rand::random::<f64>());
                result.http_status = http_status;
                result.raw_body = raw_body;
                let Answer {
                    outcome,
                    vendor_status,
                    vendor_request_id,
                    report,
                    task_id,
                    error,
                } = answer;
                result.outcome = outcome;
                result.vendor_status = vendor_status;
                result.vendor_request_id = vendor_request_id;
                result.report = report;
                result.task_id = task_id;
                result.error = error;
                if !retry {
                    break;
                }
                tracing::warn!(
                    check = %check,
                    attempt = result.attempts,
                    http_status,
                    delay_ms = delay.as_millis() as u64,
                    "vendor call failed; retrying"
                );
                tokio::time::sleep(delay).await;
            },
        }
        result.latency_ms = started.elapsed().as_millis().try_into().unwrap_or(u64::MAX);
        result.redact(&self.secrets());
        tracing::info!(
            check = %check,
            outcome = %result.outcome,
            http_status = result.http_status,
            vendor_status = result.vendor_status.as_deref().unwrap_or(""),
            attempts = result.attempts,
            latency_ms = result.latency_ms,
            error_kind = result.error.as_ref().map(|e| e.kind.as_str()).unwrap_or(""),
            "vendor call finished"
        );
        result
    }

    /// One request: the HTTP status (none when no response came), the body and its meaning.
    async fn send_once(&self, out: &Outgoing) -> (Option<u16>, Vec<u8>, Answer) {
        let vendor = out.endpoint.vendor().label();
        // Only the URL without query is ever logged: TrustDecision auth lives in the query.
        tracing::info!(url = %out.url, "vendor request");
        let http = match self.http() {
            Ok(h) => h,
            Err(message) => {
                let error = VendorError::new(
                    ErrorKind::Transport,
                    message,
                    "The machine's TLS set-up is broken (root certificates): fix it and retry.",
                );
                return (None, Vec::new(), Answer::failed(error));
            }
        };
        let mut builder = http.post(&out.url);
        if !out.query.is_empty() {
            let query: Vec<(&str, &str)> =
                out.query.iter().map(|(k, v)| (*k, v.expose())).collect();
            builder = builder.query(&query);
        }
        for (name, value) in &out.headers {
            builder = builder.header(*name, value.expose());
        }
        builder = match out.encoding {
            BodyEncoding::Form => builder.form(&out.form_pairs()),
            BodyEncoding::Json => builder.json(&out.fields),
        };
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                return (
                    None,
                    Vec::new(),
                    Answer::failed(self.transport_error(vendor, e, false)),
                );
            }
        };
        let status = response.status().as_u16();
        let mut response = response;
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if body.len() + chunk.len() > MAX_BODY_BYTES => {
                    // Vendor answers are a few KiB; a huge body is a fault, not data to hoard.
                    body.extend_from_slice(&chunk[..MAX_BODY_BYTES - body.len()]);
                    let error = VendorError::new(
                        ErrorKind::Malformed,
                        format!(
                            "{vendor} sent an answer larger than {} MiB",
                            MAX_BODY_BYTES >> 20
                        ),
                        "Keep the stored start of the answer and report it to the vendor.",
                    );
                    return (Some(status), body, Answer::failed(error));
                }
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(e) => {
                    let error = self.transport_error(vendor, e, true);
                    return (Some(status), body, Answer::failed(error));
                }
            }
        }
        let answer = interpret(out.endpoint, status, &body);
        (Some(status), body, answer)
    }

    /// Files a failed send or read. Only a connection that was never made (refused, DNS,
    /// TLS handshake, connect timeout) is `Transport`, the one kind re-sent: everything after
    /// the request may have been written could have reached the vendor and been billed.
    fn transport_error(&self, vendor: &str, error: reqwest::Error, responded: bool) -> VendorError {
        let (is_connect, is_timeout) = (error.is_connect(), error.is_timeout());
        let cause = root_cause(&error.without_url());
        let secs = self.inner.timeout.as_secs();
        if is_connect && !responded {
            VendorError::new(
                ErrorKind::Transport,
                format!("Could not connect to {vendor}: {cause}; the request was not sent"),
                "Check the network connection and the vendor URL in config.toml.",
            )
        } else if is_timeout {
            VendorError::new(
                ErrorKind::Timeout,
                format!("{vendor} did not answer within {secs} s"),
                format!(
                    "{} If the vendor is often this slow, raise http.timeout_secs.",
                    HINT_MAY_HAVE_BILLED
                ),
            )
        } else if responded {
            VendorError::new(
                ErrorKind::Interrupted,
                format!("The answer from {vendor} broke off before its end: {cause}"),
                HINT_MAY_HAVE_BILLED,
            )
        } else {
            VendorError::new(
                ErrorKind::Interrupted,
                format!("The connection to {vendor} broke after the request was sent: {cause}"),
                HINT_MAY_HAVE_BILLED,
            )
        }
    }

    fn secrets(&self) -> Vec<&str> {
        let a = &self.inner.accuauth;
        let t = &self.inner.trustdecision;
        [&a.api_id, &a.api_secret, &t.partner_code, &t.partner_key]
            .into_iter()
            .flatten()
            .map(|s| s.expose())
            .collect()
    }
}

/// The innermost cause, which says what actually went wrong ("connection refused").
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    let text = current.to_string();
    text.chars().take(200).collect()
}
