//! The error taxonomy, and every documented AccuAuth status and TrustDecision code mapped
//! onto it with words a person understands and what to do next.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    InvalidInput,
    Unauthorized,
    NoPermission,
    OutOfQuota,
    RateLimited,
    NotFound,
    VendorDown,
    Timeout,
    /// No connection could be made: the request never left this machine.
    Transport,
    /// The connection broke after the request was sent (or while its answer was read): the
    /// vendor may have done, and billed, the work.
    Interrupted,
    Malformed,
    TaskExpired,
    Unknown,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 13] = [
        ErrorKind::InvalidInput,
        ErrorKind::Unauthorized,
        ErrorKind::NoPermission,
        ErrorKind::OutOfQuota,
        ErrorKind::RateLimited,
        ErrorKind::NotFound,
        ErrorKind::VendorDown,
        ErrorKind::Timeout,
        ErrorKind::Transport,
        ErrorKind::Interrupted,
        ErrorKind::Malformed,
        ErrorKind::TaskExpired,
        ErrorKind::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::NoPermission => "no_permission",
            ErrorKind::OutOfQuota => "out_of_quota",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::NotFound => "not_found",
            ErrorKind::VendorDown => "vendor_down",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Transport => "transport",
            ErrorKind::Interrupted => "interrupted",
            ErrorKind::Malformed => "malformed",
            ErrorKind::TaskExpired => "task_expired",
            ErrorKind::Unknown => "unknown",
        }
    }

    /// Whether this kind of failure may succeed when sent again. The client narrows this
    /// further (see `retry::should_retry`): only INTERNAL_ERROR, SOURCE_SERVICE_UNAVAILABLE,
    /// RATE_LIMIT_EXCEEDED and connections that were never made are re-sent, since a paid
    /// call that may have reached the vendor must not be repeated. A timeout or an
    /// interrupted connection is never re-sent: the vendor may have done (and billed) the work.
    pub fn retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited | ErrorKind::VendorDown | ErrorKind::Transport
        )
    }
}

impl ErrorKind {
    /// What to do about this kind of failure, for an error whose specific hint was not
    /// kept (history stores the kind and message only).
    pub fn default_hint(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => HINT_INPUT,
            ErrorKind::Unauthorized => HINT_CREDENTIALS,
            ErrorKind::NoPermission => HINT_CONTRACT,
            ErrorKind::OutOfQuota => HINT_QUOTA,
            ErrorKind::RateLimited => "Wait a minute and run the check again.",
            ErrorKind::NotFound => HINT_URL,
            ErrorKind::VendorDown | ErrorKind::Transport => HINT_LATER,
            ErrorKind::Timeout | ErrorKind::Interrupted => HINT_MAY_HAVE_BILLED,
            ErrorKind::Malformed => {
                "Keep the raw answer (it is stored in history) and report it to the vendor."
            }
            ErrorKind::TaskExpired => "Submit the phone-status check again to get a new task.",
            ErrorKind::Unknown => "Keep the raw answer and ask the vendor what it means.",
        }
    }
}

impl std::str::FromStr for ErrorKind {
    type Err = String;
    /// Reads the stored spelling (`invalid_input`, ...) back.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        ErrorKind::ALL
            .into_iter()
            .find(|k| k.as_str() == wanted)
            .ok_or_else(|| format!("unknown error kind '{s}'"))
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed lookup: what happened (with the vendor's reason) and what to do about it.
/// Never holds a secret: messages are built from vendor answers and our own words, and the
/// client redacts configured secrets from anything a vendor echoes back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{message}")]
pub struct VendorError {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: String,
    /// The vendor's status or code as sent, when there was one.
    pub code: Option<String>,
}

impl VendorError {
    pub fn new(kind: ErrorKind, message: impl Into<String>, hint: impl Into<String>) -> Self {
        VendorError {
            kind,
            message: message.into(),
            hint: hint.into(),
            code: None,
        }
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }
}

fn with_reason(what: &str, reason: Option<&str>) -> String {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => format!("{what}: {r}"),
        None => what.to_string(),
    }
}

const HINT_INPUT: &str = "Correct the identifier the reason names and run the check again.";
const HINT_CREDENTIALS: &str =
    "Check the credentials in config.toml or the RISKDESK_* environment variables.";
const HINT_CONTRACT: &str = "Ask your account manager to enable this product for your account.";
const HINT_QUOTA: &str = "Ask your account manager to top up the quota; do not retry now.";
const HINT_LATER: &str = "The vendor is having trouble; try again in a few minutes.";
const HINT_URL: &str = "Check the endpoint URL in config.toml.";
/// For every failure after the request may have reached the vendor.
pub const HINT_MAY_HAVE_BILLED: &str = "The vendor may have done (and billed) the work: look \
     for this lookup in history before running it again.";

/// Maps an AccuAuth error `status` (anything but OK, PENDING and NOT_HIT).
/// `task_result` says the request was a phone task poll, where an invalid argument is
/// about the task id.
pub fn accuauth_error(status: &str, reason: Option<&str>, task_result: bool) -> VendorError {
    use ErrorKind::*;
    let (kind, what, hint) = match status {
        "INVALID_ARGUMENT" if task_result => (
            TaskExpired,
            "AccuAuth does not know this phone task (ids are valid for 24 hours)",
            "Submit the phone-status check again to get a new task.",
        ),
        "INVALID_ARGUMENT" => (
            InvalidInput,
            "AccuAuth rejected a request parameter",
            HINT_INPUT,
        ),
        "QUERY_FAILED" => (
            VendorDown,
            "AccuAuth could not complete the query",
            HINT_LATER,
        ),
        "ABNORMAL_BEHAVIOURS_DETECTED" => (
            NoPermission,
            "AccuAuth flagged abnormal calling behaviour on this account",
            "Stop sending and contact AccuAuth before running more checks.",
        ),
        "UNAUTHORIZED" => (
            Unauthorized,
            "AccuAuth refused the API id or secret",
            HINT_CREDENTIALS,
        ),
        "KEY_EXPIRED" => (
            Unauthorized,
            "The AccuAuth API id has expired",
            "Ask AccuAuth for a new API id and secret and put them in the config.",
        ),
        "NO_PERMISSION" => (
            NoPermission,
            "This AccuAuth account may not use this API",
            HINT_CONTRACT,
        ),
        "OUT_OF_QUOTA" => (OutOfQuota, "The AccuAuth call quota is used up", HINT_QUOTA),
        "RATE_LIMIT_EXCEEDED" => (
            RateLimited,
            "Too many requests to AccuAuth in a short time",
            "Wait a minute and run the check again.",
        ),
        "NOT_FOUND" => (
            NotFound,
            "AccuAuth does not know the requested API",
            HINT_URL,
        ),
        "INTERNAL_ERROR" => (VendorDown, "AccuAuth had an internal error", HINT_LATER),
        "SOURCE_SERVICE_UNAVAILABLE" => (
            VendorDown,
            "AccuAuth's data source is unavailable",
            HINT_LATER,
        ),
        other => {
            return VendorError::new(
                Unknown,
                with_reason(&format!("AccuAuth answered status {other}"), reason),
                "This status is not documented; keep the raw answer and ask AccuAuth.",
            )
            .with_code(other);
        }
    };
    VendorError::new(kind, with_reason(what, reason), hint).with_code(status)
}

/// Maps a TrustDecision `code` other than 200.
pub fn trustdecision_error(code: &str, message: Option<&str>) -> VendorError {
    use ErrorKind::*;
    let (kind, what, hint) = match code {
        "300" | "301" => (
            NoPermission,
            "TrustDecision: service not purchased or not effective",
            HINT_CONTRACT,
        ),
        "302" => (
            NoPermission,
            "TrustDecision: service suspended or traffic blocked",
            "Contact TrustDecision to lift the suspension.",
        ),
        "303" => (
            OutOfQuota,
            "TrustDecision: not enough balance or traffic left",
            HINT_QUOTA,
        ),
        "304" => (
            NoPermission,
            "TrustDecision: the service has expired",
            "Ask TrustDecision to renew the service.",
        ),
        "305" => (
            OutOfQuota,
            "TrustDecision: the daily maximum volume is reached",
            "Run the check again tomorrow, or ask TrustDecision to raise the daily limit.",
        ),
        "9055" => (
            NoPermission,
            "TrustDecision offers no service in the partner's country or region",
            HINT_CONTRACT,
        ),
        "9060" | "11000" => (
            InvalidInput,
            "TrustDecision: a required parameter is empty",
            HINT_INPUT,
        ),
        "9061" | "11001" => (
            InvalidInput,
            "TrustDecision: a parameter is wrong",
            HINT_INPUT,
        ),
        "9081" => (
            InvalidInput,
            "TrustDecision: the phone number does not match the country's format",
            "Check the phone number and the country, then run the check again.",
        ),
        "11002" => (
            InvalidInput,
            "TrustDecision could not parse the request parameters",
            "This is a riskdesk bug if it repeats; keep the request and report it.",
        ),
        "11302" => (
            InvalidInput,
            "TrustDecision: the scenario parameter is wrong",
            "Check the product and policy settings with TrustDecision.",
        ),
        "11400" => (
            NotFound,
            "TrustDecision cannot find the workflow for this request",
            "Check the endpoint URL and product with TrustDecision.",
        ),
        "11401" => (
            VendorDown,
            "TrustDecision: the workflow failed to run",
            HINT_LATER,
        ),
        "9500" | "11500" => (
            VendorDown,
            "TrustDecision had an internal error",
            HINT_LATER,
        ),
        other => {
            return VendorError::new(
                Unknown,
                with_reason(&format!("TrustDecision answered code {other}"), message),
                "This code is not documented; keep the raw answer and ask TrustDecision.",
            )
            .with_code(other);
        }
    };
    VendorError::new(kind, with_reason(what, message), hint).with_code(code)
}

/// An HTTP error status with no usable vendor status or code in the body.
pub fn http_error(vendor: &str, http_status: u16, excerpt: Option<&str>) -> VendorError {
    use ErrorKind::*;
    let (kind, hint) = match http_status {
        401 => (Unauthorized, HINT_CREDENTIALS),
        403 => (NoPermission, HINT_CONTRACT),
        300..=399 => (
            NotFound,
            "The URL redirects elsewhere; riskdesk does not follow redirects (they would \
             carry credentials). Put the final URL in config.toml.",
        ),
        404 | 405 => (NotFound, HINT_URL),
        408 | 504 => (Timeout, HINT_LATER),
        429 => (RateLimited, "Wait a minute and run the check again."),
        500..=599 => (VendorDown, HINT_LATER),
        _ => (
            Malformed,
            "Keep the raw answer and report it to the vendor.",
        ),
    };
    let what = if (300..400).contains(&http_status) {
        format!("{vendor} answered HTTP {http_status}, a redirect")
    } else {
        format!("{vendor} answered HTTP {http_status} without its usual envelope")
    };
    VendorError::new(kind, with_reason(&what, excerpt), hint).with_code(http_status.to_string())
}
