//! Search keys derived from identifiers, the same way when a row is written and when a
//! query is typed, so that any spelling of a phone, ID or name finds the row.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Calling codes of the markets served, in the order they are tried.
const CALLING_CODES: &[(&str, &str)] = &[
    ("ID", "62"),
    ("IN", "91"),
    ("MX", "52"),
    ("TH", "66"),
    ("CO", "57"),
    ("PH", "63"),
    ("VN", "84"),
    ("NG", "234"),
    ("PK", "92"),
];

/// Fewer digits than this are never treated as a phone (they would match too much).
const MIN_PHONE_DIGITS: usize = 6;

/// Lower case, accents removed: what the name index holds and what name queries become.
pub fn fold_text(s: &str) -> String {
    s.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// An ID number as compared: letters and digits only, upper case.
pub fn id_key(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The national significant number stored for a row's phone: E.164 minus the calling
/// code of the row's country (or of any served market when the country is unknown).
pub fn phone_nsn(phone_e164: &str, country: &str) -> String {
    let digits: String = phone_e164.chars().filter(char::is_ascii_digit).collect();
    let d = digits.trim_start_matches('0');
    let own = CALLING_CODES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(country.trim()))
        .map(|(_, code)| *code);
    let codes: Vec<&str> = match own {
        Some(code) => vec![code],
        None => CALLING_CODES.iter().map(|(_, code)| *code).collect(),
    };
    for code in codes {
        if let Some(rest) = d.strip_prefix(code)
            && rest.len() >= MIN_PHONE_DIGITS
        {
            return strip_mx_mobile_one(code, rest).to_string();
        }
    }
    d.to_string()
}

/// Mexico's retired mobile prefix `1` after 52 (`+52 1 55...`) names the same line.
fn strip_mx_mobile_one<'a>(code: &str, rest: &'a str) -> &'a str {
    match rest.strip_prefix('1') {
        Some(r) if code == "52" && r.len() == 10 => r,
        _ => rest,
    }
}

/// Every national significant number a typed phone may stand for: the digits without
/// leading zeros, and that minus each known calling code. Empty when the text is not a
/// phone (letters in it, or too few digits).
pub fn phone_candidates(text: &str) -> Vec<String> {
    let t = text.trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')' | '.'))
    {
        return Vec::new();
    }
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let d = digits.trim_start_matches('0');
    if d.len() < MIN_PHONE_DIGITS {
        return Vec::new();
    }
    let mut out = vec![d.to_string()];
    for (_, code) in CALLING_CODES {
        if let Some(rest) = d.strip_prefix(code)
            && rest.len() >= MIN_PHONE_DIGITS
        {
            for c in [rest, strip_mx_mobile_one(code, rest)] {
                if !out.iter().any(|o| o == c) {
                    out.push(c.to_string());
                }
            }
        }
    }
    out
}

/// Keys that name a credential; their values never reach the database.
pub(crate) fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace('-', "_");
    k.contains("secret")
        || k.contains("partner_key")
        || k.contains("password")
        || k == "authorization"
        || k == "api_key"
        || k == "partner_code"
}

/// Removes every secret-named key, at any depth.
pub(crate) fn scrub(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => serde_json::Value::Object(
            m.iter()
                .filter(|(k, _)| !is_secret_key(k))
                .map(|(k, v)| (k.clone(), scrub(v)))
                .collect(),
        ),
        serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(scrub).collect()),
        other => other.clone(),
    }
}

const STAMP: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
);

/// The stored spelling of an instant: fixed-width UTC, so text order is time order and
/// the sqlite3 shell shows it as is.
pub(crate) fn stamp(t: time::OffsetDateTime) -> String {
    let utc = t.to_offset(time::UtcOffset::UTC);
    // Years outside 0..=9999 would break the fixed width; clamp them (never seen in practice).
    let utc = if utc.year() < 0 {
        time::OffsetDateTime::UNIX_EPOCH
    } else if utc.year() > 9999 {
        time::macros::datetime!(9999-12-31 23:59:59.999999 UTC)
    } else {
        utc
    };
    utc.format(STAMP).unwrap_or_else(|_| utc.to_string())
}

/// Reads a stored instant; `None` when a row was edited into something else.
pub(crate) fn parse_stamp(s: &str) -> Option<time::OffsetDateTime> {
    time::PrimitiveDateTime::parse(s, STAMP)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
        .or_else(|| {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
        })
}

/// The start of a UTC day, as stored.
pub(crate) fn day_start(d: time::Date) -> String {
    stamp(d.midnight().assume_utc())
}

/// Truncates to what the store keeps, so that a record read back equals the one written.
pub fn to_stored_precision(t: time::OffsetDateTime) -> time::OffsetDateTime {
    parse_stamp(&stamp(t)).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_reaches_the_stored_key() {
        let stored = phone_nsn("+6281234567890", "ID");
        assert_eq!(stored, "81234567890");
        for typed in [
            "+62 812-3456-7890",
            "0812 3456 7890",
            "6281234567890",
            "81234567890",
            "(0812) 3456.7890",
        ] {
            assert!(
                phone_candidates(typed).contains(&stored),
                "{typed}: {:?}",
                phone_candidates(typed)
            );
        }
        assert_eq!(phone_nsn("+5215512345678", "MX"), "5512345678");
        assert!(phone_candidates("+52 1 55 1234 5678").contains(&"5512345678".to_string()));
        assert_eq!(phone_nsn("+2348031234567", ""), "8031234567");
    }

    #[test]
    fn not_a_phone() {
        assert!(phone_candidates("Budi").is_empty());
        assert!(phone_candidates("12345").is_empty());
        assert!(phone_candidates("").is_empty());
        assert!(phone_candidates("AB12345678").is_empty());
    }

    #[test]
    fn folding_and_ids() {
        assert_eq!(fold_text("  José  ÁLVAREZ "), "jose alvarez");
        assert_eq!(fold_text("Nguyễn Thị"), "nguyen thi");
        assert_eq!(id_key("gomc-800101 hdfrrn09"), "GOMC800101HDFRRN09");
    }

    #[test]
    fn secrets_are_scrubbed_at_any_depth() {
        let v = serde_json::json!({"mobile": "62812", "api_secret": "x",
            "auth": {"partner_key": "y", "Partner-Key": "z", "keep": 1}, "list": [{"X-Api-Secret": "w"}]});
        let s = scrub(&v).to_string();
        assert!(
            !s.contains("\"x\"")
                && !s.contains("\"y\"")
                && !s.contains("\"z\"")
                && !s.contains("\"w\"")
        );
        assert!(s.contains("keep") && s.contains("62812"));
    }

    #[test]
    fn stamps_sort_and_round_trip() {
        let t = time::macros::datetime!(2026-03-03 10:11:12.123456789 +07:00);
        let s = stamp(t);
        assert_eq!(s, "2026-03-03T03:11:12.123456Z");
        assert_eq!(parse_stamp(&s), Some(to_stored_precision(t)));
        assert!(stamp(t) < stamp(t + time::Duration::microseconds(1)));
        assert_eq!(parse_stamp("garbage"), None);
    }
}
