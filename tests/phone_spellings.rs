//! Every spelling of a phone number gives the right number (issue 8, item 5).
//!
//! The expected E.164 values are written from the national numbering plans (as
//! libphonenumber's PhoneNumberMetadata.xml describes them), not from riskdesk's output:
//!
//! - ID +62: mobiles 8[1-35-9] + 7 to 10 digits (9 to 12 in all, trunk 0: 0812…); Jakarta
//!   landlines 21 + 7 or 8 digits.
//! - IN +91: 10 digits; mobiles start 6–9; Delhi landlines 11 + 8 digits; trunk 0.
//! - MX +52: 10 digits, no trunk prefix since 2019; the retired 044/045 (mobile), 01/02 (long
//!   distance) and the mobile 1 after +52 are dropped.
//! - TH +66: mobiles 9 digits (6x, 8x, 9x), Bangkok landlines 2 + 7 digits; trunk 0.
//! - CO +57: mobiles 3xx + 7 digits, landlines 60x + 7 digits (10 digits in all).
//! - PH +63: mobiles 9xx + 7 digits, Manila landlines 2 + 8 digits; trunk 0.
//! - VN +84: mobiles 9 digits (3x, 5x, 7x, 8x, 9x), landlines 10 digits (2x); trunk 0.
//! - NG +234: mobiles 10 digits (70x, 80x, 81x, 90x, 91x); trunk 0.
//! - PK +92: mobiles 3xx + 7 digits, Karachi landlines 21 + 8 digits; trunk 0.
//!
//! Each expectation is also checked against the full libphonenumber data (the phonenumber
//! crate's every-country database): valid, in the right country, of the kind written here.

use phonenumber::Type;
use proptest::prelude::*;
use riskdesk::phone::{SERVED, parse_phone};

/// `M`: a mobile number; `F`: a landline.
const TABLE: &[(&str, &str, &str, char)] = &[
    // Indonesia.
    ("ID", "+62 812-3456-7890", "+6281234567890", 'M'),
    ("ID", "0812 3456 7890", "+6281234567890", 'M'),
    ("ID", "6281234567890", "+6281234567890", 'M'),
    ("ID", "812 3456 7890", "+6281234567890", 'M'),
    ("ID", "+62 0812 3456 7890", "+6281234567890", 'M'),
    ("ID", "62 (0) 812 3456 7890", "+6281234567890", 'M'),
    ("ID", "62 0812 3456 7890", "+6281234567890", 'M'),
    ("ID", "0062 812 3456 7890", "+6281234567890", 'M'),
    ("ID", "0812\u{00A0}3456\u{00A0}7890", "+6281234567890", 'M'),
    ("ID", "0812\u{202F}3456\u{202F}7890", "+6281234567890", 'M'),
    ("ID", "0812\t3456\t7890", "+6281234567890", 'M'),
    ("ID", "0812/3456/7890", "+6281234567890", 'M'),
    ("ID", "0812_3456_7890", "+6281234567890", 'M'),
    ("ID", "０８１２３４５６７８９０", "+6281234567890", 'M'),
    (
        "ID",
        "＋６２ ８１２ ３４５６ ７８９０",
        "+6281234567890",
        'M',
    ),
    // A 9-digit mobile after 62; the digits also read as an 11-digit landline: mobile wins.
    ("ID", "62812345678", "+62812345678", 'M'),
    ("ID", "+62 812 345 678", "+62812345678", 'M'),
    ("ID", "62857123456", "+62857123456", 'M'),
    ("ID", "0857-1234-5678", "+6285712345678", 'M'),
    ("ID", "(021) 5555 1234", "+622155551234", 'F'),
    ("ID", "+62 21 5555 1234", "+622155551234", 'F'),
    ("ID", "62 21 5555 1234", "+622155551234", 'F'),
    // India.
    ("IN", "+91 98765 43210", "+919876543210", 'M'),
    ("IN", "+91 098765 43210", "+919876543210", 'M'),
    ("IN", "098765 43210", "+919876543210", 'M'),
    ("IN", "91 98765 43210", "+919876543210", 'M'),
    ("IN", "91 (0) 98765 43210", "+919876543210", 'M'),
    ("IN", "0091 98765 43210", "+919876543210", 'M'),
    ("IN", "9876543210", "+919876543210", 'M'),
    ("IN", "+91-98765-43210", "+919876543210", 'M'),
    ("IN", "९८७६५ ४३२१०", "+919876543210", 'M'),
    // Ten digits starting 91 are a whole mobile; after 91 only 8 would be left.
    ("IN", "9198765432", "+919198765432", 'M'),
    ("IN", "011 2345 6789", "+911123456789", 'F'),
    // Mexico.
    ("MX", "+52 55 1234 5678", "+525512345678", 'M'),
    ("MX", "55 1234 5678", "+525512345678", 'M'),
    ("MX", "52 55 1234 5678", "+525512345678", 'M'),
    ("MX", "+52 (55) 1234-5678", "+525512345678", 'M'),
    ("MX", "+52 1 55 1234 5678", "+525512345678", 'M'),
    ("MX", "52 1 55 1234 5678", "+525512345678", 'M'),
    ("MX", "5215512345678", "+525512345678", 'M'),
    ("MX", "0052 1 55 1234 5678", "+525512345678", 'M'),
    ("MX", "044 55 1234 5678", "+525512345678", 'M'),
    ("MX", "045 33 1234 5678", "+523312345678", 'M'),
    ("MX", "01 55 1234 5678", "+525512345678", 'M'),
    ("MX", "01 81 1234 5678", "+528112345678", 'M'),
    ("MX", "1 55 1234 5678", "+525512345678", 'M'),
    ("MX", "＋52 55 1234 5678", "+525512345678", 'M'),
    // Thailand.
    ("TH", "+66 81 234 5678", "+66812345678", 'M'),
    ("TH", "081 234 5678", "+66812345678", 'M'),
    ("TH", "66 81 234 5678", "+66812345678", 'M'),
    ("TH", "+66 (0) 81 234 5678", "+66812345678", 'M'),
    ("TH", "66 081 234 5678", "+66812345678", 'M'),
    ("TH", "0066 81 234 5678", "+66812345678", 'M'),
    ("TH", "๐๘๑ ๒๓๔ ๕๖๗๘", "+66812345678", 'M'),
    ("TH", "095-123-4567", "+66951234567", 'M'),
    ("TH", "02 123 4567", "+6621234567", 'F'),
    // Colombia.
    ("CO", "+57 321 1234567", "+573211234567", 'M'),
    ("CO", "321 123 4567", "+573211234567", 'M'),
    ("CO", "57 321 123 4567", "+573211234567", 'M'),
    ("CO", "0057 321 123 4567", "+573211234567", 'M'),
    ("CO", "57 0321 123 4567", "+573211234567", 'M'),
    ("CO", "601 234 5678", "+576012345678", 'F'),
    ("CO", "+57 601 234 5678", "+576012345678", 'F'),
    // The Philippines.
    ("PH", "+63 917 123 4567", "+639171234567", 'M'),
    ("PH", "0917 123 4567", "+639171234567", 'M'),
    ("PH", "63 917 123 4567", "+639171234567", 'M'),
    ("PH", "+63 0917 123 4567", "+639171234567", 'M'),
    ("PH", "0063 917 123 4567", "+639171234567", 'M'),
    ("PH", "917-123-4567", "+639171234567", 'M'),
    ("PH", "(02) 8123 4567", "+63281234567", 'F'),
    // Vietnam.
    ("VN", "84 0912345678", "+84912345678", 'M'),
    ("VN", "+84 91 234 56 78", "+84912345678", 'M'),
    ("VN", "0912 345 678", "+84912345678", 'M'),
    ("VN", "84912345678", "+84912345678", 'M'),
    ("VN", "+84 (0) 912 345 678", "+84912345678", 'M'),
    ("VN", "0084 912 345 678", "+84912345678", 'M'),
    // Nine digits starting 84 are a whole mobile (084 …); after 84 only 7 would be left.
    ("VN", "849 123 456", "+84849123456", 'M'),
    ("VN", "0３８ ７６５ ４３２１", "+84387654321", 'M'),
    ("VN", "024 3825 1234", "+842438251234", 'F'),
    // Nigeria.
    ("NG", "+234 803 123 4567", "+2348031234567", 'M'),
    ("NG", "0803 123 4567", "+2348031234567", 'M'),
    ("NG", "234 803 123 4567", "+2348031234567", 'M'),
    ("NG", "+234 (0) 803 123 4567", "+2348031234567", 'M'),
    ("NG", "234 0803 123 4567", "+2348031234567", 'M'),
    ("NG", "00234 803 123 4567", "+2348031234567", 'M'),
    ("NG", "0909 876 5432", "+2349098765432", 'M'),
    // Pakistan.
    ("PK", "+92 300 1234567", "+923001234567", 'M'),
    ("PK", "0300 1234567", "+923001234567", 'M'),
    ("PK", "92 300 1234567", "+923001234567", 'M'),
    ("PK", "+92 (0) 300 1234567", "+923001234567", 'M'),
    ("PK", "92 0300 1234567", "+923001234567", 'M'),
    ("PK", "0092 300 1234567", "+923001234567", 'M'),
    ("PK", "0300-1234567", "+923001234567", 'M'),
    ("PK", "۰۳۰۰ ۱۲۳۴۵۶۷", "+923001234567", 'M'),
    ("PK", "(021) 3456 7890", "+922134567890", 'F'),
];

#[test]
fn every_spelling_gives_the_number_the_plan_says() {
    assert!(TABLE.len() >= 60);
    for country in SERVED {
        assert!(
            TABLE.iter().filter(|(c, ..)| *c == country).count() >= 5,
            "{country} has too few spellings"
        );
    }
    let mut wrong = Vec::new();
    for (country, typed, want, _) in TABLE {
        match parse_phone(country, typed) {
            Ok(p) if p.e164() == *want && p.warning.is_none() => {}
            Ok(p) => wrong.push(format!(
                "{country} {typed:?}: got {} (warning {:?}), want {want}",
                p.e164(),
                p.warning
            )),
            Err(e) => wrong.push(format!("{country} {typed:?}: error {e}, want {want}")),
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// The expectations themselves, checked against libphonenumber's every-country data.
#[test]
fn the_expected_numbers_are_what_libphonenumber_says() {
    for (country, typed, want, kind) in TABLE {
        let n = phonenumber::parse(None, want).unwrap_or_else(|e| panic!("{want}: {e}"));
        assert!(phonenumber::is_valid(&n), "{want} ({typed})");
        assert_eq!(
            n.country()
                .id()
                .map(|id| id.as_ref().to_string())
                .as_deref(),
            Some(*country),
            "{want}"
        );
        let t = n.number_type(&phonenumber::metadata::DATABASE);
        let ok = match kind {
            'M' => matches!(t, Type::Mobile | Type::FixedLineOrMobile),
            _ => matches!(t, Type::FixedLine | Type::FixedLineOrMobile),
        };
        assert!(ok, "{want} ({typed}) is {t:?}, not {kind}");
    }
}

#[test]
fn wrong_input_gets_a_clear_error() {
    let cases = [
        ("ID", "0812", "too short: ID numbers have 7 to 12 digits"),
        (
            "IN",
            "+91 98765 432101",
            "too long: IN numbers have 10 digits",
        ),
        ("MX", "55 1234 567", "too short: MX numbers have 10 digits"),
        (
            "ID",
            "+91 98765 43210",
            "this is not a ID number: ID numbers start with +62 (+91 is IN)",
        ),
        (
            "VN",
            "+62 812 3456 7890",
            "VN numbers start with +84 (+62 is ID)",
        ),
        (
            "ID",
            "0812-3456-7890 ext. 12",
            "'e' is not allowed in a phone number",
        ),
        ("ID", "0812 + 3456", "a + may only lead the number"),
        (
            "ID",
            "+0812 3456 7890",
            "after + comes the country code, not 0: write +62 81234567890",
        ),
        ("MX", "010000000000", "too long: MX numbers have 10 digits"),
        ("ID", "   ", "required"),
        ("ID", "-- --", "no digits"),
        (
            "US",
            "+1 202 555 0100",
            "no numbering plan for country 'US'",
        ),
    ];
    for (country, typed, want) in cases {
        let e = parse_phone(country, typed).expect_err(typed);
        assert!(e.contains(want), "{country} {typed:?}: {e}");
    }
}

fn served() -> impl Strategy<Value = &'static str> {
    prop::sample::select(SERVED.to_vec())
}

/// Strings shaped like phone numbers: a prefix, maybe a country code, maybe a trunk 0,
/// digits, separators anywhere.
fn phone_like() -> impl Strategy<Value = String> {
    let prefix = prop::sample::select(vec!["", "+", "00", "0", "＋", "+0"]);
    let code = prop::sample::select(vec![
        "", "62", "91", "52", "66", "57", "63", "84", "234", "92", "1",
    ]);
    let trunk = prop::sample::select(vec!["", "0", "(0)", "1", "44", "045"]);
    let sep = prop::sample::select(vec![
        "", " ", "-", ".", "/", "_", "\t", "\u{00A0}", "\u{202F}", "(", ")",
    ]);
    (
        prefix,
        code,
        trunk,
        prop::collection::vec(("[0-9]", sep), 0..16),
    )
        .prop_map(|(p, c, t, digits)| {
            let mut s = format!("{p}{c}{t}");
            for (d, sep) in digits {
                s.push_str(&d);
                s.push_str(sep);
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any string, for any served country: no panic; what parses round-trips through E.164
    /// (and through the national form with the trunk 0).
    #[test]
    fn parsing_never_panics_and_round_trips(
        country in served(),
        typed in prop_oneof![
            any::<String>(),
            "[+＋]?[0-9０-９ ()./_\t\u{00A0}\u{202F}-]{0,24}",
            phone_like(),
        ],
    ) {
        if let Ok(p) = parse_phone(country, &typed) {
            prop_assert_eq!(&p.country, country);
            prop_assert!(p.national.chars().all(|c| c.is_ascii_digit()));
            prop_assert!(!p.national.starts_with('0'));
            let e164 = p.e164();
            let again = parse_phone(country, &e164);
            prop_assert!(again.is_ok(), "{:?} -> {} -> {:?}", typed, e164, again);
            let again = again.unwrap();
            prop_assert_eq!(again.e164(), e164.clone());
            prop_assert_eq!(again.warning.is_some(), p.warning.is_some());
            let national = parse_phone(country, &p.trunk_format()).map(|q| q.e164());
            prop_assert_eq!(national, Ok(e164));
        }
    }
}
