//! The documented errors an identifier can select, in each vendor's own wording.

/// An AccuAuth error envelope: HTTP status, `status` field and `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccuError {
    pub http: u16,
    pub status: &'static str,
    pub reason: &'static str,
}

/// A TrustDecision error: `code` and `message`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TdError {
    pub code: u32,
    pub message: &'static str,
}

/// The AccuAuth errors an identifier can select (UNAUTHORIZED comes from wrong credentials,
/// NOT_HIT from the debts rows). The index (1-based) is the key's last two digits.
pub const ACCUAUTH_ERRORS: &[AccuError] = &[
    AccuError {
        http: 400,
        status: "INVALID_ARGUMENT",
        reason: "Request parameter is invalid",
    },
    AccuError {
        http: 400,
        status: "QUERY_FAILED",
        reason: "query failed, please retry later",
    },
    AccuError {
        http: 400,
        status: "ABNORMAL_BEHAVIOURS_DETECTED",
        reason: "abnormal behaviours detected",
    },
    AccuError {
        http: 401,
        status: "KEY_EXPIRED",
        reason: "Your API ID has expired",
    },
    AccuError {
        http: 403,
        status: "NO_PERMISSION",
        reason: "You are not authorized to use this API",
    },
    AccuError {
        http: 403,
        status: "OUT_OF_QUOTA",
        reason: "API calls quota exceeded",
    },
    AccuError {
        http: 403,
        status: "RATE_LIMIT_EXCEEDED",
        reason: "API request frequency exceeds the limit",
    },
    AccuError {
        http: 404,
        status: "NOT_FOUND",
        reason: "Requested API cannot be found",
    },
    AccuError {
        http: 500,
        status: "INTERNAL_ERROR",
        reason: "Internal server error",
    },
    AccuError {
        http: 512,
        status: "SOURCE_SERVICE_UNAVAILABLE",
        reason: "source service unavailable",
    },
];

/// The multiplatform page's error codes (its own wording).
pub const MULTIPLATFORM_ERRORS: &[TdError] = &[
    TdError {
        code: 300,
        message: "Service not purchased or not effective",
    },
    TdError {
        code: 301,
        message: "Service not purchased",
    },
    TdError {
        code: 302,
        message: "Service has been suspend",
    },
    TdError {
        code: 303,
        message: "Not enough balance",
    },
    TdError {
        code: 304,
        message: "Service expired",
    },
    TdError {
        code: 9055,
        message: "The country partner located has no service",
    },
    TdError {
        code: 9060,
        message: "name empty",
    },
    TdError {
        code: 9061,
        message: "id_number error",
    },
    TdError {
        code: 9081,
        message: "The format of the phone number does not match with the country",
    },
    TdError {
        code: 9500,
        message: "Internal error",
    },
];

/// The credit willingness page's error codes (its own wording).
pub const WILLINGNESS_ERRORS: &[TdError] = &[
    TdError {
        code: 301,
        message: "Service not purchased",
    },
    TdError {
        code: 302,
        message: "Traffic blocked",
    },
    TdError {
        code: 303,
        message: "Traffic insufficient",
    },
    TdError {
        code: 304,
        message: "Service expired",
    },
    TdError {
        code: 305,
        message: "Daily maximum volume reached",
    },
    TdError {
        code: 11000,
        message: "order_id input parameter empty",
    },
    TdError {
        code: 11001,
        message: "event_time input parameter error",
    },
    TdError {
        code: 11002,
        message: "Input parameter parsing failed",
    },
    TdError {
        code: 11302,
        message: "scenario input parameter error",
    },
    TdError {
        code: 11400,
        message: "The corresponding workflow cannot be found",
    },
    TdError {
        code: 11401,
        message: "Workflow execution error",
    },
    TdError {
        code: 11500,
        message: "System error",
    },
];
