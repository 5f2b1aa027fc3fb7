//! The plain domain: identifier normalization per check, phone parsing, config parsing.

use riskdesk::applicant::{Applicant, CheckOptions, md5_hex, prepare};
use riskdesk::check::CheckKind;
use riskdesk::config::{self, Env};
use riskdesk::phone::parse_phone;
use time::macros::datetime;

const NOW: time::OffsetDateTime = datetime!(2026-11-22 10:15:30.123 +07:00);

fn applicant(country: &str, phone: &str) -> Applicant {
    Applicant {
        country: country.into(),
        phone: phone.into(),
        ..Default::default()
    }
}

fn field<'a>(r: &'a riskdesk::applicant::VendorRequest, k: &str) -> Option<&'a str> {
    r.fields.get(k).and_then(|v| v.as_str())
}

fn errors(check: CheckKind, a: &Applicant, o: &CheckOptions) -> Vec<(String, String)> {
    prepare(check, a, o, NOW)
        .expect_err("should be refused")
        .into_iter()
        .map(|e| (e.field, e.message))
        .collect()
}

#[test]
fn the_multiple_order_page_md5_example() {
    // The page: mobile_no = md5(915586685366). 5586685366 is not a number libphonenumber
    // knows (a warning), but it is possible for India and must go through.
    let r = prepare(
        CheckKind::MultipleOrder,
        &applicant("IN", "5586685366"),
        &CheckOptions::default(),
        NOW,
    )
    .unwrap();
    assert_eq!(
        field(&r, "mobile_no"),
        Some(md5_hex("915586685366").as_str())
    );
    assert_eq!(md5_hex("915586685366").len(), 32);
    assert!(
        md5_hex("915586685366")
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    );
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert_eq!(r.identity.phone_e164, "+915586685366");
    // Any pasted form of the same number hashes the same.
    for typed in [
        "+91 55866 85366",
        "915586685366",
        "05586685366",
        "0091-5586685366",
    ] {
        let r2 = prepare(
            CheckKind::MultipleOrder,
            &applicant("IN", typed),
            &CheckOptions::default(),
            NOW,
        )
        .unwrap();
        assert_eq!(
            r2.fields.get("mobile_no"),
            r.fields.get("mobile_no"),
            "{typed}"
        );
    }
}

#[test]
fn md5_is_lowercase_hex_of_known_value() {
    assert_eq!(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
}

#[test]
fn indonesian_phone_in_every_pasted_form() {
    for typed in [
        "+62 812-3456-7890",
        "0812 3456 7890",
        "6281234567890",
        "(0812) 3456.7890",
    ] {
        let p = parse_phone("ID", typed).unwrap_or_else(|e| panic!("{typed}: {e}"));
        assert_eq!(p.e164(), "+6281234567890", "{typed}");
        assert_eq!(p.trunk_format(), "081234567890");
        assert!(p.warning.is_none(), "{typed}: {:?}", p.warning);
    }
}

#[test]
fn debts_report_sends_mobile_or_only_its_hash() {
    let mut a = applicant("ID", "0812 3456 7890");
    a.id_number = "3171 0123 4567 8901".into();
    a.email = "budi@example.co.id".into();
    let r = prepare(CheckKind::DebtsReport, &a, &CheckOptions::default(), NOW).unwrap();
    assert_eq!(field(&r, "mobile"), Some("6281234567890"));
    assert_eq!(field(&r, "idcard"), Some("3171012345678901"));
    assert_eq!(field(&r, "email"), Some("budi@example.co.id"));
    assert!(r.fields.get("mobile_md5").is_none());
    let hashed = prepare(
        CheckKind::DebtsReport,
        &a,
        &CheckOptions {
            hash_phone: true,
            ..Default::default()
        },
        NOW,
    )
    .unwrap();
    assert_eq!(
        field(&hashed, "mobile_md5"),
        Some(md5_hex("6281234567890").as_str())
    );
    assert!(
        hashed.fields.get("mobile").is_none(),
        "only the hash is sent"
    );
}

#[test]
fn phone_status_prefixes_52() {
    let r = prepare(
        CheckKind::PhoneStatus,
        &applicant("MX", "55 1234 5678"),
        &CheckOptions::default(),
        NOW,
    )
    .unwrap();
    assert_eq!(field(&r, "phone_number"), Some("525512345678"));
    let r = prepare(
        CheckKind::PhoneStatus,
        &applicant("MX", "+52 55 1234 5678"),
        &CheckOptions::default(),
        NOW,
    )
    .unwrap();
    assert_eq!(field(&r, "phone_number"), Some("525512345678"));
}

fn mp(country: &str, phone: &str) -> Applicant {
    Applicant {
        country: country.into(),
        phone: phone.into(),
        name: "Ana Pérez".into(),
        id_number: if country == "MX" {
            "PEGA850101MDFRRN09".into()
        } else {
            "ABC1234567".into()
        },
        ..Default::default()
    }
}

#[test]
fn multiplatform_phone_rules_per_country() {
    let cases = [
        ("IN", "+91 98765 43210", "9876543210"),
        ("MX", "+52 55 1234 5678", "5512345678"),
        ("TH", "+66 81 234 5678", "0812345678"),
        ("PH", "+63 917 123 4567", "09171234567"),
        ("VN", "+84 91 234 56 78", "0912345678"),
        ("NG", "+234 803 123 4567", "08031234567"),
        ("PK", "+92 300 1234567", "03001234567"),
        ("CO", "+57 321 1234567", "3211234567"),
    ];
    for (country, typed, wire) in cases {
        let r = prepare(
            CheckKind::Multiplatform,
            &mp(country, typed),
            &CheckOptions::default(),
            NOW,
        )
        .unwrap_or_else(|e| panic!("{country}: {e:?}"));
        assert_eq!(field(&r, "phone_number"), Some(wire), "{country}");
        assert_eq!(field(&r, "country"), Some(country));
        assert_eq!(field(&r, "id_type"), Some("national_id"));
        assert_eq!(field(&r, "package_name"), Some("multiplatform_multi_V1_1"));
        assert_eq!(field(&r, "name"), Some("Ana Pérez"));
    }
    // India/Mexico/Thailand: 10 digits in total; the Philippines: 11.
    assert_eq!(
        prepare(
            CheckKind::Multiplatform,
            &mp("TH", "0812345678"),
            &CheckOptions::default(),
            NOW
        )
        .unwrap()
        .fields["phone_number"]
            .as_str()
            .unwrap()
            .len(),
        10
    );
}

#[test]
fn multiplatform_packages_per_country() {
    let with = |p: &str| CheckOptions {
        package: Some(p.into()),
        ..Default::default()
    };
    assert!(
        prepare(
            CheckKind::Multiplatform,
            &mp("IN", "9876543210"),
            &with("credit_rating_estimation"),
            NOW
        )
        .is_ok()
    );
    for c in ["VN", "NG", "PK"] {
        let phone = match c {
            "VN" => "0912345678",
            "NG" => "08031234567",
            _ => "03001234567",
        };
        let e = errors(
            CheckKind::Multiplatform,
            &mp(c, phone),
            &with("credit_rating_estimation"),
        );
        assert_eq!(e[0].0, "package", "{c}");
        assert!(
            e[0].1.contains("behavior_analysis_of_repayment"),
            "{}",
            e[0].1
        );
        assert!(
            prepare(
                CheckKind::Multiplatform,
                &mp(c, phone),
                &with("behavior_analysis_of_repayment"),
                NOW
            )
            .is_ok()
        );
    }
}

#[test]
fn credit_willingness_needs_phone_or_gaid_and_stamps_event_time() {
    let mut a = applicant("ID", "+62 812 3456 7890");
    a.order_id = "ORD-1".into();
    let r = prepare(
        CheckKind::CreditWillingness,
        &a,
        &CheckOptions::default(),
        NOW,
    )
    .unwrap();
    assert_eq!(field(&r, "phone_number"), Some("081234567890"));
    assert_eq!(field(&r, "product_id"), Some("CreditWillingnessPhone"));
    assert_eq!(
        field(&r, "event_time"),
        Some("2026-11-22T10:15:30.123+07:00")
    );
    assert_eq!(field(&r, "order_id"), Some("ORD-1"));
    assert_eq!(field(&r, "country"), Some("ID"));

    let only_gaid = Applicant {
        country: "ID".into(),
        gaid: "38400000-8CF0-11BD-B23E-10B96E40000D".into(),
        ..Default::default()
    };
    let r = prepare(
        CheckKind::CreditWillingness,
        &only_gaid,
        &CheckOptions::default(),
        NOW,
    )
    .unwrap();
    // Sent as typed (trimmed): Apple's IDFVs are upper case.
    assert_eq!(
        field(&r, "gaid"),
        Some("38400000-8CF0-11BD-B23E-10B96E40000D")
    );
    assert!(r.fields.get("phone_number").is_none());

    let neither = applicant("ID", "");
    let e = errors(
        CheckKind::CreditWillingness,
        &neither,
        &CheckOptions::default(),
    );
    assert_eq!(e[0].0, "phone");
}

#[test]
fn bad_inputs_are_field_errors() {
    let o = CheckOptions::default();
    let cases: Vec<(CheckKind, Applicant, CheckOptions, &str, &str)> = vec![
        (
            CheckKind::DebtsReport,
            applicant("ID", "0812abc4567"),
            o.clone(),
            "phone",
            "not allowed",
        ),
        (
            CheckKind::DebtsReport,
            applicant("ID", "0812"),
            o.clone(),
            "phone",
            "too short",
        ),
        (
            CheckKind::DebtsReport,
            applicant("ID", "0812345678901234567"),
            o.clone(),
            "phone",
            "too long",
        ),
        (
            CheckKind::DebtsReport,
            applicant("ID", ""),
            o.clone(),
            "phone",
            "required",
        ),
        (
            CheckKind::DebtsReport,
            applicant("ID", "+91 98765 43210"),
            o.clone(),
            "phone",
            "not a ID number",
        ),
        (
            CheckKind::DebtsReport,
            applicant("MX", "5512345678"),
            o.clone(),
            "country",
            "offered only for ID",
        ),
        (
            CheckKind::DebtsReport,
            applicant("", "0812 3456 7890"),
            o.clone(),
            "country",
            "required",
        ),
        (
            CheckKind::DebtsReport,
            Applicant {
                email: "nope".into(),
                ..applicant("ID", "081234567890")
            },
            o.clone(),
            "email",
            "not an email",
        ),
        (
            CheckKind::DebtsReport,
            Applicant {
                gaid: "xyz".into(),
                ..applicant("ID", "081234567890")
            },
            o.clone(),
            "gaid",
            "UUID",
        ),
        (
            CheckKind::DebtsReport,
            Applicant {
                bankcard: "12ab".into(),
                ..applicant("ID", "081234567890")
            },
            o.clone(),
            "bankcard",
            "digits",
        ),
        (
            CheckKind::DebtsReport,
            Applicant {
                id_number: "123".into(),
                ..applicant("ID", "081234567890")
            },
            o.clone(),
            "id_number",
            "16 digits",
        ),
        (
            CheckKind::MultipleOrder,
            applicant("IN", "9876543210"),
            CheckOptions {
                source: Some("email".into()),
                ..o.clone()
            },
            "source",
            "seat, voice or sms",
        ),
        (
            CheckKind::MultipleOrder,
            applicant("IN", "9876543210"),
            CheckOptions {
                date: Some("2024-13-01".into()),
                ..o.clone()
            },
            "date",
            "YYYY-MM-DD",
        ),
        (
            CheckKind::MultipleOrder,
            applicant("IN", "9876543210"),
            CheckOptions {
                date: Some("2027-01-01".into()),
                ..o.clone()
            },
            "date",
            "future",
        ),
        (
            CheckKind::Multiplatform,
            Applicant {
                name: String::new(),
                ..mp("IN", "9876543210")
            },
            o.clone(),
            "name",
            "required",
        ),
        (
            CheckKind::Multiplatform,
            Applicant {
                id_number: "SHORT".into(),
                ..mp("MX", "5512345678")
            },
            o.clone(),
            "id_number",
            "18 characters",
        ),
        (
            CheckKind::Multiplatform,
            Applicant {
                id_type: "passport".into(),
                ..mp("IN", "9876543210")
            },
            o.clone(),
            "id_type",
            "national_id",
        ),
        (
            CheckKind::Multiplatform,
            mp("ID", "081234567890"),
            o.clone(),
            "country",
            "offered only",
        ),
        (
            CheckKind::Multiplatform,
            mp("IN", "98765"),
            CheckOptions {
                package: Some("nope".into()),
                ..o.clone()
            },
            "phone",
            "too short",
        ),
        (
            CheckKind::CreditWillingness,
            applicant("ID", "+62 21 5555 1234"),
            o.clone(),
            "phone",
            "08",
        ),
        (
            CheckKind::PhoneStatus,
            applicant("MX", "55 1234 567"),
            o.clone(),
            "phone",
            "too short",
        ),
    ];
    for (check, a, opts, want_field, want_text) in cases {
        let e = errors(check, &a, &opts);
        assert!(
            e.iter()
                .any(|(f, m)| f == want_field && m.contains(want_text)),
            "{check} {a:?}: wanted {want_field} ~ {want_text}, got {e:?}"
        );
    }
}

#[test]
fn every_violated_rule_is_reported_at_once() {
    let a = Applicant {
        country: "IN".into(),
        phone: "12".into(),
        ..Default::default()
    };
    let e = errors(
        CheckKind::Multiplatform,
        &a,
        &CheckOptions {
            package: Some("x".into()),
            ..Default::default()
        },
    );
    let fields: Vec<&str> = e.iter().map(|(f, _)| f.as_str()).collect();
    for f in ["id_number", "name", "phone", "package"] {
        assert!(fields.contains(&f), "{f} missing in {fields:?}");
    }
}

#[test]
fn masks() {
    assert_eq!(
        riskdesk::applicant::mask_phone("081234567890"),
        "0812****7890"
    );
    assert_eq!(
        riskdesk::applicant::mask_id("3171012345678901"),
        "************8901"
    );
    assert_eq!(riskdesk::applicant::mask_phone("123"), "***");
}

fn write(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
    let p = dir.path().join("config.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn config_reads_every_key_and_env_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        r#"
theme = "light"
mask_pii = false
[accuauth]
api_id = "id-1"
body = "json"
multiple_order_url = "http://127.0.0.1:9/"
[trustdecision]
partner_code = "pc"
multiplatform_url = "https://sg.apitd.net/x"
[http]
timeout_secs = 5
max_retries = 0
[history]
retain_days = 90
"#,
    );
    let env = Env {
        accuauth_api_secret: Some("from-env".into()),
        data_dir: Some(dir.path().display().to_string()),
        ..Default::default()
    };
    let l = config::load(Some(&p), None, &env).unwrap();
    let c = &l.config;
    assert_eq!(c.theme, "light");
    assert!(!c.mask_pii);
    assert_eq!(c.accuauth.body, config::BodyEncoding::Json);
    assert_eq!(c.accuauth.api_secret.as_ref().unwrap().expose(), "from-env");
    assert_eq!(
        c.accuauth.debts_report_url,
        config::DEFAULT_DEBTS_REPORT_URL
    );
    assert_eq!(c.http.timeout_secs, 5);
    assert_eq!(c.history.retain_days, Some(90));
    assert!(c.has_credentials());
    assert_eq!(l.paths.data_dir, dir.path());
    assert!(
        !format!("{c:?}").contains("from-env"),
        "Debug never shows a secret"
    );
}

#[test]
fn config_errors_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "theme = \"x\"\n[accuauth]\napi_idd = \"a\"\n",
            3,
            "accuauth.api_idd",
            "unknown field",
        ),
        (
            "[http]\ntimeout_secs = \"slow\"\n",
            2,
            "http.timeout_secs",
            "expected u64",
        ),
        (
            "[http]\ntimeout_secs = 0\n",
            2,
            "http.timeout_secs",
            "1 to 600",
        ),
        (
            "[accuauth]\nbody = \"xml\"\n",
            2,
            "accuauth.body",
            "unknown variant",
        ),
        (
            "[accuauth]\nphone_status_url = \"ftp:/x\"\n",
            2,
            "accuauth.phone_status_url",
            "http(s) URL",
        ),
        ("mask_pii = true\ntheme = \n", 2, "theme", ""),
    ];
    for (text, line, key, msg) in cases {
        let p = write(&dir, text);
        let e = config::load(Some(&p), Some(dir.path()), &Env::default()).unwrap_err();
        let s = e.to_string();
        assert!(
            s.starts_with(&format!("{}:{line}: {key}", p.display())),
            "{text:?} -> {s}"
        );
        assert!(s.contains(msg), "{text:?} -> {s}");
    }
    let missing = dir.path().join("nope.toml");
    assert!(
        config::load(Some(&missing), Some(dir.path()), &Env::default())
            .unwrap_err()
            .to_string()
            .contains("nope.toml")
    );
}

#[cfg(unix)]
#[test]
fn world_readable_secret_warns() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "[accuauth]\napi_id = \"a\"\napi_secret = \"b\"\n");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    let l = config::load(Some(&p), Some(dir.path()), &Env::default()).unwrap();
    assert_eq!(l.warnings.len(), 1);
    assert!(l.warnings[0].contains("chmod 600"));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(
        config::load(Some(&p), Some(dir.path()), &Env::default())
            .unwrap()
            .warnings
            .is_empty()
    );
}

#[test]
fn digits_without_plus_prefer_the_reading_the_plan_knows() {
    // 12 digits starting with 62: a possible Indonesian national length, but as a national
    // number unknown; +62 812 3456 789 is a known mobile.
    let p = parse_phone("ID", "628123456789").unwrap();
    assert_eq!(p.e164(), "+628123456789");
    let p = parse_phone("IN", "919876543210").unwrap();
    assert_eq!(p.e164(), "+919876543210");
    let p = parse_phone("IN", "9198765432").unwrap();
    assert_eq!(p.national, "9198765432");
}

#[test]
fn config_errors_never_echo_a_credential() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "[accuauth]\napi_secret = 987654321\n");
    let e = config::load(Some(&p), Some(dir.path()), &Env::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("accuauth.api_secret"), "{e}");
    assert!(!e.contains("987654321"), "{e}");
    let p = write(&dir, "[history]\nretain_days = 4000000000\n");
    let e = config::load(Some(&p), Some(dir.path()), &Env::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("history.retain_days") && e.contains("36500"),
        "{e}"
    );
}

#[test]
fn phone_status_takes_an_optional_callback() {
    let a = applicant("MX", "5512345678");
    let with = |u: &str| CheckOptions {
        callback: Some(u.into()),
        ..Default::default()
    };
    let r = prepare(
        CheckKind::PhoneStatus,
        &a,
        &with("https://hooks.example.com/phone"),
        NOW,
    )
    .unwrap();
    assert_eq!(
        field(&r, "callback"),
        Some("https://hooks.example.com/phone")
    );
    let e = errors(CheckKind::PhoneStatus, &a, &with("ftp://x y"));
    assert_eq!(e[0].0, "callback");
    assert!(
        prepare(CheckKind::PhoneStatus, &a, &CheckOptions::default(), NOW)
            .unwrap()
            .fields
            .get("callback")
            .is_none()
    );
}

#[test]
fn legacy_mexican_mobile_one_is_dropped() {
    assert_eq!(
        parse_phone("MX", "+52 1 55 1234 5678").unwrap().e164(),
        "+525512345678"
    );
    assert_eq!(
        parse_phone("MX", "52 1 55 1234 5678").unwrap().e164(),
        "+525512345678"
    );
}

#[test]
fn phones_issue_8_found_sent_wrong_are_sent_right() {
    let sent = |check: CheckKind, country: &str, typed: &str, key: &str| {
        let a = if check == CheckKind::Multiplatform {
            mp(country, typed)
        } else {
            applicant(country, typed)
        };
        let r = prepare(check, &a, &CheckOptions::default(), NOW)
            .unwrap_or_else(|e| panic!("{typed}: {e:?}"));
        field(&r, key).map(str::to_string)
    };
    // A 9-digit Indonesian mobile after 62 (was 6262812345678, a landline reading).
    assert_eq!(
        sent(CheckKind::DebtsReport, "ID", "62812345678", "mobile").as_deref(),
        Some("62812345678")
    );
    // A trunk 0 after the country code (was 62081234567890).
    assert_eq!(
        sent(CheckKind::DebtsReport, "ID", "62 0812 3456 7890", "mobile").as_deref(),
        Some("6281234567890")
    );
    // Vietnam with its code and the trunk 0 (was 00912345678).
    assert_eq!(
        sent(
            CheckKind::Multiplatform,
            "VN",
            "84 0912345678",
            "phone_number"
        )
        .as_deref(),
        Some("0912345678")
    );
    // Mexico's retired mobile prefix, from a landline.
    assert_eq!(
        sent(
            CheckKind::PhoneStatus,
            "MX",
            "044 55 1234 5678",
            "phone_number"
        )
        .as_deref(),
        Some("525512345678")
    );
}
