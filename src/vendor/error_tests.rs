//! Unit tests for the status and code mapping.

use super::error::*;

#[test]
fn every_documented_accuauth_status_has_a_kind() {
    let cases = [
        ("INVALID_ARGUMENT", ErrorKind::InvalidInput),
        ("QUERY_FAILED", ErrorKind::VendorDown),
        ("ABNORMAL_BEHAVIOURS_DETECTED", ErrorKind::NoPermission),
        ("UNAUTHORIZED", ErrorKind::Unauthorized),
        ("KEY_EXPIRED", ErrorKind::Unauthorized),
        ("NO_PERMISSION", ErrorKind::NoPermission),
        ("OUT_OF_QUOTA", ErrorKind::OutOfQuota),
        ("RATE_LIMIT_EXCEEDED", ErrorKind::RateLimited),
        ("NOT_FOUND", ErrorKind::NotFound),
        ("INTERNAL_ERROR", ErrorKind::VendorDown),
        ("SOURCE_SERVICE_UNAVAILABLE", ErrorKind::VendorDown),
        ("SOMETHING_NEW", ErrorKind::Unknown),
    ];
    for (status, kind) in cases {
        let e = accuauth_error(status, Some("why"), false);
        assert_eq!(e.kind, kind, "{status}");
        assert_eq!(e.code.as_deref(), Some(status));
        assert!(e.message.contains("why") && !e.hint.is_empty(), "{status}");
    }
    assert_eq!(
        accuauth_error("SOMETHING_NEW", None, false).message,
        "AccuAuth answered status SOMETHING_NEW"
    );
    assert_eq!(
        accuauth_error("INVALID_ARGUMENT", None, true).kind,
        ErrorKind::TaskExpired
    );
}

#[test]
fn every_documented_trustdecision_code_has_a_kind() {
    let cases = [
        ("300", ErrorKind::NoPermission),
        ("301", ErrorKind::NoPermission),
        ("302", ErrorKind::NoPermission),
        ("303", ErrorKind::OutOfQuota),
        ("304", ErrorKind::NoPermission),
        ("305", ErrorKind::OutOfQuota),
        ("9055", ErrorKind::NoPermission),
        ("9060", ErrorKind::InvalidInput),
        ("9061", ErrorKind::InvalidInput),
        ("9081", ErrorKind::InvalidInput),
        ("9500", ErrorKind::VendorDown),
        ("11000", ErrorKind::InvalidInput),
        ("11001", ErrorKind::InvalidInput),
        ("11002", ErrorKind::InvalidInput),
        ("11302", ErrorKind::InvalidInput),
        ("11400", ErrorKind::NotFound),
        ("11401", ErrorKind::VendorDown),
        ("11500", ErrorKind::VendorDown),
        ("777", ErrorKind::Unknown),
    ];
    for (code, kind) in cases {
        let e = trustdecision_error(code, Some("country error"));
        assert_eq!(e.kind, kind, "{code}");
        assert!(e.message.contains("country error"), "{code}");
    }
}

#[test]
fn retryable_kinds() {
    let retryable: Vec<_> = ErrorKind::ALL
        .into_iter()
        .filter(|k| k.retryable())
        .collect();
    assert_eq!(
        retryable,
        [
            ErrorKind::RateLimited,
            ErrorKind::VendorDown,
            ErrorKind::Transport
        ]
    );
    for k in ErrorKind::ALL {
        assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        assert_eq!(k.as_str().parse::<ErrorKind>(), Ok(k));
        assert!(!k.default_hint().is_empty());
    }
}
