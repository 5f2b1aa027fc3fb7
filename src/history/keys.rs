//! Search keys derived from identifiers, the same way when a row is written and when a
//! query is typed, so that any spelling of a phone, ID or name finds the row.

use unicode_normalization::UnicodeNormalization;

/// Calling codes of the markets served, in the order they are tried when a typed number
/// does not parse for any of them (the shared parser in `crate::phone` is tried first).
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

/// Lower case, accents removed, letters transliterated to what people type on a plain
/// keyboard: what the name index holds and what name queries become.
///
/// Compatibility-decomposed (NFKD: full-width letters and digits become ASCII, a no-break
/// space a space), then only the marks that are *optional* are dropped: the accents of
/// Latin, Greek, Cyrillic and Vietnamese letters, and Arabic short-vowel marks (written or
/// left out at will). Marks that are part of the spelling — Thai and Devanagari vowel signs,
/// viramas, nuktas, tone marks of Thai — are kept, so `สมชาย` does not also match `สมชุย`.
/// Letters that carry no decomposable accent are transliterated (`đ`→`d`, `ø`→`o`, `ł`→`l`,
/// `ß`→`ss`, `æ`→`ae`, `œ`→`oe`, `þ`→`th`, Hausa's hooked letters).
pub fn fold_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd() {
        if is_optional_mark(c) {
            continue;
        }
        for l in c.to_lowercase() {
            // `İ` lower-cases to `i` and a combining dot.
            if is_optional_mark(l) {
                continue;
            }
            match transliterate(l) {
                Some(t) => out.push_str(t),
                None => out.push(l),
            }
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Combining marks a name is written with or without: the diacritical-mark blocks NFD
/// splits Latin, Greek, Cyrillic and Vietnamese letters into, Cyrillic's own combining
/// marks, and Arabic harakat. Not the marks of Indic scripts or Thai (U+0900–U+0DFF,
/// U+0E00–U+0E7F), which spell vowels.
fn is_optional_mark(c: char) -> bool {
    matches!(
        c as u32,
        0x0300..=0x036F // Combining Diacritical Marks
            | 0x0483..=0x0489 // Cyrillic combining marks
            | 0x064B..=0x065F | 0x0670 // Arabic harakat, superscript alef
            | 0x1AB0..=0x1AFF // Combining Diacritical Marks Extended
            | 0x1DC0..=0x1DFF // Combining Diacritical Marks Supplement
            | 0x20D0..=0x20FF // Combining Diacritical Marks for Symbols
            | 0xFE20..=0xFE2F // Combining Half Marks
    )
}

/// Lower-case letters that no decomposition reduces to ASCII, spelled as people type them.
fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'đ' | 'ð' | 'ɗ' => "d",
        'ø' => "o",
        'ł' => "l",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'þ' => "th",
        'ı' => "i",
        'ħ' => "h",
        'ŧ' => "t",
        'ɓ' => "b",
        'ƙ' => "k",
        'ƴ' => "y",
        _ => return None,
    })
}

/// An ID number as compared: letters and digits only, upper case (full-width ones too).
pub fn id_key(s: &str) -> String {
    s.nfkd()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The national significant number stored for a row's phone: what the shared phone parser
/// (`crate::phone::parse_phone`) reads for the row's country; when it cannot (a country not
/// served, a number it refuses), E.164 minus the calling code of the row's country (or of
/// any served market when the country is unknown).
pub fn phone_nsn(phone_e164: &str, country: &str) -> String {
    if phone_e164.trim().is_empty() {
        return String::new();
    }
    if let Ok(p) = crate::phone::parse_phone(country, phone_e164) {
        return p.national;
    }
    let digits = ascii_digits(phone_e164);
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

/// A digit in the scripts people type phone numbers in (ASCII, full-width, Arabic-Indic,
/// Urdu, Devanagari, Bengali, Thai), as its value.
fn digit_value(c: char) -> Option<u8> {
    const ZEROS: [u32; 7] = [0x30, 0xFF10, 0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50];
    let c = c as u32;
    ZEROS
        .iter()
        .find(|&&zero| (zero..=zero + 9).contains(&c))
        .map(|&zero| (c - zero) as u8)
}

fn ascii_digits(s: &str) -> String {
    s.chars()
        .filter_map(digit_value)
        .map(|d| char::from(b'0' + d))
        .collect()
}

/// Every national significant number a typed phone may stand for: what the shared phone
/// parser reads for each served country (so `+62 0812-3456-7890`, `62-0812…`, full-width
/// digits, no-break spaces and Mexico's `044 55…` all reach the stored key), plus the digits
/// without leading zeros and that minus each known calling code (a number the parser
/// refuses may still be stored). Empty when the text is not a phone (letters in it, or too
/// few digits).
pub fn phone_candidates(text: &str) -> Vec<String> {
    let t = text.trim();
    if t.is_empty() || t.chars().any(char::is_alphabetic) {
        return Vec::new();
    }
    let digits = ascii_digits(t);
    let d = digits.trim_start_matches('0');
    if d.len() < MIN_PHONE_DIGITS {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    let mut add = |c: &str| {
        if c.len() >= MIN_PHONE_DIGITS && !out.iter().any(|o| o == c) {
            out.push(c.to_string());
        }
    };
    // Every reading the parser would choose among, for every served country: lexical, so
    // no numbering plan is loaded (that costs milliseconds per country in a short-lived
    // command). A superset of the parser's choice; each extra key is one more index probe.
    for (_, code) in CALLING_CODES {
        let code: u16 = code.parse().expect("calling codes are numbers");
        for reading in crate::phone::national_readings(code, t) {
            add(&reading);
        }
    }
    add(d);
    for (_, code) in CALLING_CODES {
        if let Some(rest) = d.strip_prefix(code) {
            // `62 0812…`: a trunk 0 written after the country code.
            let rest = rest.trim_start_matches('0');
            add(rest);
            add(strip_mx_mobile_one(code, rest));
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

/// A lookup's uuid as stores spell it (lowercase, hyphenated 8-4-4-4-12), from any case,
/// with or without hyphens or braces; `None` when `s` is not a uuid.
pub fn parse_uuid(s: &str) -> Option<String> {
    let hex: String = s
        .trim()
        .trim_start_matches(['{', '('])
        .trim_end_matches(['}', ')'])
        .chars()
        .filter(|c| *c != '-')
        .collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    Some(hyphenated(&hex.to_ascii_lowercase()))
}

/// 32 hex digits as a uuid is written: 8-4-4-4-12.
pub(crate) fn hyphenated(h: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

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
    fn phone_candidates_hold_every_number_the_parser_reads() {
        // phone_candidates reads lexically (no numbering plan); whatever national number the
        // parser picks for any served country must be among its keys.
        for typed in [
            "+62 812-3456-7890",
            "0812 3456 7890",
            "6281234567890",
            "62 (0) 812 3456 7890",
            "0062 812 3456 7890",
            "044 55 1234 5678",
            "045 33 1234 5678",
            "01 55 1234 5678",
            "+52 1 55 1234 5678",
            "521 55 1234 5678",
            "55 1234 5678",
            "+91 98765 43210",
            "098765 43210",
            "+66 81 234 5678",
            "+234 803 123 4567",
            "0803 123 4567",
            "+92 300 1234567",
            "+84 91 234 56 78",
            "+63 917 123 4567",
            "+57 321 1234567",
        ] {
            let keys = phone_candidates(typed);
            for country in crate::phone::SERVED {
                if let Ok(p) = crate::phone::parse_phone(country, typed) {
                    assert!(
                        keys.contains(&p.national),
                        "{typed:?} in {country}: {} not in {keys:?}",
                        p.national
                    );
                }
            }
        }
    }

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
        assert_eq!(id_key("３１７１ ２３４５"), "31712345");
    }

    #[test]
    fn every_spelling_of_a_name_folds_alike() {
        for (typed, folded) in [
            ("Đặng Văn Lâm", "dang van lam"),
            ("ĐẶNG", "dang"),
            ("Søren Ørsted", "soren orsted"),
            ("Łukasz Wałęsa", "lukasz walesa"),
            ("Straße", "strasse"),
            ("ẞTRASSE", "sstrasse"),
            ("Æsa Cœur", "aesa coeur"),
            ("Þór Guðmundsson", "thor gudmundsson"),
            ("Ｂｕｄｉ\u{3000}Ｓａｎｔｏｓｏ", "budi santoso"),
            ("Budi\u{00A0}Santoso\u{202F}Jr", "budi santoso jr"),
            ("İlkay", "ilkay"),
            ("Ɗanjuma Ɓello", "danjuma bello"),
            ("Ολυμπία", "ολυμπια"),
            ("Йосиф Ёлкин", "иосиф елкин"),
            ("مُحَمَّد", "محمد"),
        ] {
            assert_eq!(fold_text(typed), folded, "{typed}");
        }
        // Vowel signs spell Thai and Devanagari names: kept, so different names stay apart.
        assert_eq!(fold_text("สมชาย"), "สมชาย");
        assert_ne!(fold_text("สมชาย"), fold_text("สมชุย"));
        assert_eq!(fold_text("प्रिया"), "प्रिया");
        assert_ne!(fold_text("प्रिया"), fold_text("प्रया"));
        assert!(fold_text("प्रिया").chars().count() == "प्रिया".chars().count());
    }

    #[test]
    fn typed_phones_reach_the_key_through_the_shared_parser() {
        let stored = phone_nsn("+6281234567890", "ID");
        for typed in [
            "+62 0812-3456-7890",
            "62-0812-3456-7890",
            "＋６２ ８１２ ３４５６ ７８９０",
            "0812\u{00A0}3456\u{00A0}7890",
            "62 (0) 812 3456 7890",
        ] {
            assert!(
                phone_candidates(typed).contains(&stored),
                "{typed}: {:?}",
                phone_candidates(typed)
            );
        }
        let mx = phone_nsn("+525512345678", "MX");
        assert_eq!(mx, "5512345678");
        for typed in ["044 55 1234 5678", "045 55 1234 5678", "01 55 1234 5678"] {
            assert!(phone_candidates(typed).contains(&mx), "{typed}");
        }
        // A number the parser refuses is still keyed, the old way.
        assert_eq!(phone_nsn("+62123", "ID"), "62123");
        assert_eq!(phone_nsn("", "ID"), "");
    }

    #[test]
    fn calling_codes_cover_the_served_countries() {
        let ours: Vec<&str> = CALLING_CODES.iter().map(|(c, _)| *c).collect();
        assert_eq!(ours, crate::phone::SERVED.to_vec());
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
    fn uuids_parse_in_any_spelling() {
        let want = Some("0f8fad5b-d9cb-469f-a165-70867728950e".to_string());
        for s in [
            "0f8fad5b-d9cb-469f-a165-70867728950e",
            "0F8FAD5B-D9CB-469F-A165-70867728950E",
            " {0f8fad5b-d9cb-469f-a165-70867728950e} ",
            "0f8fad5bd9cb469fa16570867728950e",
        ] {
            assert_eq!(parse_uuid(s), want, "{s:?}");
        }
        for s in [
            "",
            "42",
            "0f8fad5b-d9cb-469f-a165-70867728950",
            "zf8fad5bd9cb469fa16570867728950e",
        ] {
            assert_eq!(parse_uuid(s), None, "{s:?}");
        }
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
