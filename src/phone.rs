//! Phone numbers as people type and paste them, read against libphonenumber's numbering plans
//! into the forms each vendor wants.
//!
//! Only the plans of the nine countries riskdesk serves are kept: `build.rs` takes them from
//! the data the `phonenumber` crate bundles, and each country's plan is built here on its
//! first use (a few hundred thousand instructions, against ~0.8 G for the crate's
//! every-country `DATABASE`, which nothing in riskdesk touches; see BENCHMARKS.md).

use phonenumber::metadata::{Database, Metadata};
use std::sync::OnceLock;

mod plans {
    include!(concat!(env!("OUT_DIR"), "/phone_plans.rs"));
}

/// The countries whose numbering plans riskdesk knows: ID, IN, MX, TH, CO, PH, VN, NG, PK.
pub use plans::SERVED;

/// A phone number parsed for a country: possible for that country (right length), perhaps
/// unknown to the numbering plan (then `warning` says so; it is never a block, because
/// libphonenumber's data lags new ranges).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    pub country: String,
    pub calling_code: u16,
    /// The national significant number: no country code, no trunk prefix.
    pub national: String,
    pub warning: Option<String>,
}

impl Phone {
    /// `+6281234567890`.
    pub fn e164(&self) -> String {
        format!("+{}{}", self.calling_code, self.national)
    }

    /// `6281234567890`: country code and national number, digits only.
    pub fn with_calling_code(&self) -> String {
        format!("{}{}", self.calling_code, self.national)
    }

    /// The national form with the trunk prefix `0`: `081234567890`.
    pub fn trunk_format(&self) -> String {
        format!("0{}", self.national)
    }

    /// What the multiplatform page asks for: India, Mexico and Colombia without country code
    /// (10 digits); Thailand, the Philippines (11 digits), Vietnam, Nigeria and Pakistan
    /// without country code but starting with 0.
    pub fn multiplatform_format(&self) -> String {
        match self.country.as_str() {
            "TH" | "PH" | "VN" | "NG" | "PK" => self.trunk_format(),
            _ => self.national.clone(),
        }
    }
}

/// One served country's numbering plan, built on first use.
struct Plan {
    id: &'static str,
    code: u16,
    db: Database,
    /// Lengths of a national number a person may have: the plan's mobile and landline
    /// lengths. Other kinds of number (toll-free, ...) pass when the plan knows them.
    lengths: Vec<usize>,
}

impl Plan {
    fn load(id: &'static str) -> Result<Plan, String> {
        let unavailable = || format!("the numbering plan of {id} could not be loaded");
        let meta = plans::plan_metadata(id).ok_or_else(unavailable)?;
        let db = Database::from(vec![meta]).map_err(|e| {
            tracing::error!("numbering plan of {id}: {e}");
            unavailable()
        })?;
        let m = db.by_id(id).ok_or_else(unavailable)?;
        let code = m.country_code();
        let d = m.descriptors();
        let mut lengths: Vec<usize> = [d.mobile(), d.fixed_line()]
            .into_iter()
            .flatten()
            .flat_map(|x| x.possible_length().iter().map(|&n| n as usize))
            .collect();
        lengths.sort_unstable();
        lengths.dedup();
        Ok(Plan {
            id,
            code,
            db,
            lengths,
        })
    }

    fn meta(&self) -> &Metadata {
        self.db
            .by_id(self.id)
            .expect("a plan's database holds its own country")
    }

    /// How well `national` reads as a number of this country.
    fn classify(&self, national: &str) -> Fit {
        let d = self.meta().descriptors();
        // The patterns are anchored (build.rs), so these are whole-number matches. The general
        // pattern covers every type's (libphonenumber builds it so); a mobile is tried first
        // so that the usual case compiles one pattern, not two.
        if d.mobile().is_some_and(|m| m.is_match(national)) {
            return Fit::Mobile;
        }
        if d.general().is_match(national) {
            let other = [
                d.fixed_line(),
                d.toll_free(),
                d.premium_rate(),
                d.shared_cost(),
                d.personal_number(),
                d.voip(),
                d.pager(),
                d.uan(),
                d.voicemail(),
            ];
            if other.into_iter().flatten().any(|x| x.is_match(national)) {
                return Fit::Known;
            }
        }
        // No served country's numbers start with 0 after the trunk prefix.
        if self.lengths.contains(&national.len()) && !national.starts_with('0') {
            Fit::Possible
        } else {
            Fit::Impossible
        }
    }

    fn expected(&self) -> String {
        describe_lengths(&self.lengths)
    }
}

/// How a reading of the digits fits the numbering plan, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fit {
    /// A mobile number the plan knows: applicants give their mobiles, so this wins.
    Mobile,
    /// Another kind of number the plan knows (a landline, toll-free, ...).
    Known,
    /// A possible length, in no range the plan knows (its data lags new ranges).
    Possible,
    Impossible,
}

static PLANS: [OnceLock<Result<Plan, String>>; SERVED.len()] =
    [const { OnceLock::new() }; SERVED.len()];

fn plan(country: &str) -> Result<&'static Plan, String> {
    let Some(i) = SERVED.iter().position(|c| *c == country) else {
        return Err(format!(
            "riskdesk has no numbering plan for country '{country}': it serves {}",
            SERVED.join(", ")
        ));
    };
    PLANS[i]
        .get_or_init(|| Plan::load(SERVED[i]))
        .as_ref()
        .map_err(Clone::clone)
}

/// Parses `raw` as a number of `country`, in any spelling people use: `+62 812-3456-7890`,
/// `0812 3456 7890`, `6281234567890`, `62 (0) 812 3456 7890`, `＋６２ ８１２…`, Mexico's
/// retired `044 55 …`/`01 55 …`/`+52 1 55 …`. Where the digits read both as a mobile and as
/// another kind of number, the mobile reading wins. The error says what is expected, in words.
pub fn parse_phone(country: &str, raw: &str) -> Result<Phone, String> {
    let country = country.trim().to_ascii_uppercase();
    let typed = normalize(raw)?;
    let plan = plan(&country)?;
    let code = plan.code.to_string();

    let Some(readings) = readings_of(plan.code, &typed) else {
        let after_prefix = if typed.plus {
            typed.digits.as_str()
        } else {
            &typed.digits[2..]
        };
        return Err(not_this_country(
            &country,
            plan.code,
            after_prefix,
            typed.plus,
        ));
    };

    let (best, fit) = readings
        .iter()
        .map(|n| (n, plan.classify(n)))
        .min_by_key(|(_, fit)| *fit)
        .expect("there is at least one reading");
    if fit == Fit::Impossible {
        return Err(length_error(plan, &country, &readings[0]));
    }
    let national = best.clone();
    let warning = (fit == Fit::Possible).then(|| {
        format!(
            "+{code}{national} is not in the {country} numbering plan libphonenumber knows; sent anyway (its data lags new ranges)"
        )
    });
    Ok(Phone {
        country,
        calling_code: plan.code,
        national,
        warning,
    })
}

/// The digits after the country code: a trunk `0` written after it (`+62 (0) 812…`) is not
/// part of the number.
/// Every way the typed digits may be meant in the country of calling code `code`, most
/// literal first; `None` when they carry another country's code after `+` or `00`.
fn readings_of(code: u16, typed: &Typed) -> Option<Vec<String>> {
    let code_text = code.to_string();
    let mut readings: Vec<String> = Vec::new();
    if typed.plus || typed.digits.starts_with("00") {
        let after_prefix = if typed.plus {
            typed.digits.as_str()
        } else {
            &typed.digits[2..]
        };
        let rest = after_prefix.strip_prefix(code_text.as_str())?;
        readings.push(after_country_code(code, rest));
    } else if let Some(rest) = typed.digits.strip_prefix('0') {
        // The trunk prefix of every served country (Mexico's retired ones included).
        readings.push(legacy_mexican(code, rest, true).to_string());
    } else {
        readings.push(legacy_mexican(code, &typed.digits, false).to_string());
        if let Some(rest) = typed.digits.strip_prefix(code_text.as_str()) {
            readings.push(after_country_code(code, rest));
        }
    }
    Some(readings)
}

/// The national numbers `raw` may stand for in the country of calling code `code`: the
/// readings [`parse_phone`] chooses among, without the numbering plan (none is loaded, so
/// this costs microseconds). For search keys, where an extra reading is one more index probe.
pub fn national_readings(code: u16, raw: &str) -> Vec<String> {
    normalize(raw)
        .ok()
        .and_then(|typed| readings_of(code, &typed))
        .unwrap_or_default()
}

fn after_country_code(code: u16, rest: &str) -> String {
    let without_zero = rest.trim_start_matches('0');
    let had_zero = without_zero.len() < rest.len();
    legacy_mexican(code, without_zero, had_zero).to_string()
}

/// Mexico's retired prefixes, still pasted: `044`/`045` (a mobile called from a landline, in
/// the same or another city), `01`/`02` (long distance), and the mobile `1` after `+52`. Since
/// 2019 every Mexican number is the ten digits that follow them.
fn legacy_mexican(code: u16, national: &str, after_zero: bool) -> &str {
    if code != 52 {
        return national;
    }
    let prefixes: &[&str] = if after_zero {
        &["44", "45", "1", "2"]
    } else {
        &["1"]
    };
    prefixes
        .iter()
        .find_map(|p| {
            national
                .strip_prefix(p)
                .filter(|rest| rest.len() == 10 && !rest.starts_with('0'))
        })
        .unwrap_or(national)
}

fn not_this_country(country: &str, code: u16, digits: &str, plus: bool) -> String {
    let prefix = if plus { "+" } else { "00" };
    if digits.is_empty() {
        return format!(
            "the country code is missing after {prefix}: {country} numbers start with +{code}"
        );
    }
    if plus && digits.starts_with('0') {
        return format!(
            "after + comes the country code, not 0: write +{code} {} or 0{}",
            digits.trim_start_matches('0'),
            digits.trim_start_matches('0')
        );
    }
    let other = plans::CALLING_CODES
        .iter()
        .find(|(_, c)| digits.starts_with(&c.to_string()))
        .map(|(id, c)| format!(" (+{c} is {id})"))
        .unwrap_or_default();
    format!("this is not a {country} number: {country} numbers start with +{code}{other}")
}

fn length_error(plan: &Plan, country: &str, national: &str) -> String {
    let lengths = &plan.lengths;
    let expected = plan.expected();
    let code = plan.code;
    let n = national.len();
    let what = if n < lengths.first().copied().unwrap_or(0) {
        "too short"
    } else if n > lengths.last().copied().unwrap_or(usize::MAX) {
        "too long"
    } else {
        "wrong length"
    };
    format!(
        "{what}: {country} numbers have {expected} after the country code (+{code}) or the leading 0, this has {n}"
    )
}

/// What was typed, reduced to its digits.
#[derive(Debug)]
struct Typed {
    /// A leading `+` (the digits start with the country code).
    plus: bool,
    digits: String,
}

/// Longest input read: no spelling of a phone number is longer.
const MAX_TYPED_CHARS: usize = 64;

/// Digits in any script people type them in (ASCII, full-width, Arabic-Indic, Devanagari,
/// Bengali, Thai), separators dropped, a leading `+` (or full-width `＋`) kept.
fn normalize(raw: &str) -> Result<Typed, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("required".into());
    }
    if raw.chars().count() > MAX_TYPED_CHARS {
        return Err(format!(
            "too long: a phone number is at most {MAX_TYPED_CHARS} characters with its spaces and dashes"
        ));
    }
    let mut typed = Typed {
        plus: false,
        digits: String::new(),
    };
    for c in raw.chars() {
        if let Some(d) = digit_value(c) {
            typed.digits.push(char::from(b'0' + d));
        } else if matches!(c, '+' | '\u{FF0B}') {
            if typed.plus || !typed.digits.is_empty() {
                return Err("a + may only lead the number".into());
            }
            typed.plus = true;
        } else if !is_separator(c) {
            let shown = if c.is_control() || c.is_whitespace() || is_invisible(c) {
                format!("U+{:04X}", c as u32)
            } else {
                format!("'{c}'")
            };
            return Err(format!(
                "{shown} is not allowed in a phone number: use digits, spaces, dashes, dots, slashes, brackets and a leading +"
            ));
        }
    }
    if typed.digits.is_empty() {
        return Err(
            "no digits: a phone number is digits, with a leading + for the country code".into(),
        );
    }
    Ok(typed)
}

fn digit_value(c: char) -> Option<u8> {
    const ZEROS: [u32; 7] = [
        '0' as u32, 0xFF10, // full-width
        0x0660, // Arabic-Indic
        0x06F0, // Extended Arabic-Indic (Urdu)
        0x0966, // Devanagari
        0x09E6, // Bengali
        0x0E50, // Thai
    ];
    let c = c as u32;
    ZEROS
        .iter()
        .find(|&&zero| (zero..=zero + 9).contains(&c))
        .map(|&zero| (c - zero) as u8)
}

/// What people put between digit groups, pasted from anywhere: any space (no-break and narrow
/// no-break included), tabs, dashes, dots, brackets, slashes, underscores and their
/// full-width forms, and the invisible marks word processors and right-to-left text add.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || is_invisible(c)
        || matches!(
            c,
            '-' | '.' | '(' | ')' | '[' | ']' | '/' | '_' | '\u{2010}'
                ..='\u{2015}'
                    | '\u{2212}'
                    | '\u{00AD}'
                    | '\u{FF08}'
                    | '\u{FF09}'
                    | '\u{FF0D}'
                    | '\u{FF0E}'
                    | '\u{FF0F}'
                    | '\u{FF3F}'
        )
}

/// Zero-width characters and direction marks: invisible, so never what someone meant to type.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

fn describe_lengths(lengths: &[usize]) -> String {
    match lengths {
        [] => "digits".into(),
        [one] => format!("{one} digits"),
        [first, .., last] if lengths.len() == last - first + 1 => {
            format!("{first} to {last} digits")
        }
        _ => format!(
            "{} digits",
            lengths
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_served_plan_loads_from_the_bundled_data() {
        for (id, code) in plans::CALLING_CODES {
            let p = plan(id).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(p.code, code);
            assert!(!p.lengths.is_empty(), "{id}");
            // The plan's own example numbers read as what they are.
            let d = p.meta().descriptors();
            let mobile = d
                .mobile()
                .and_then(|m| m.example())
                .expect("a mobile example");
            assert_eq!(p.classify(mobile), Fit::Mobile, "{id} {mobile}");
        }
        assert!(matches!(plan("US"), Err(e) if e.contains("serves ID, IN")));
    }

    #[test]
    fn patterns_match_whole_numbers_only() {
        // TH's general pattern (?:001800|[2-57]|[689]\d)\d{7}|1\d{7,9} has no length list:
        // unanchored, the 9 digits at the start of a 10-digit number would match.
        let th = plan("TH").unwrap();
        assert!(th.meta().descriptors().general().is_match("812345678"));
        assert!(!th.meta().descriptors().general().is_match("8123456789"));
        assert_eq!(th.classify("812345678"), Fit::Mobile);
        assert_eq!(th.classify("8123456789"), Fit::Impossible);
        let id = plan("ID").unwrap();
        assert_eq!(id.classify("812345678"), Fit::Mobile);
        assert_eq!(id.classify("8123456789012"), Fit::Impossible);
    }

    #[test]
    fn separators_and_scripts() {
        let t = normalize("＋６２\u{00A0}812\u{202F}3456\t7890").unwrap();
        assert!(t.plus);
        assert_eq!(t.digits, "6281234567890");
        assert_eq!(normalize("۰۳۰۰ ۱۲۳۴۵۶۷").unwrap().digits, "03001234567");
        assert_eq!(normalize("๐๘๑ ๒๓๔ ๕๖๗๘").unwrap().digits, "0812345678");
        assert!(normalize("0812\u{0007}").unwrap_err().contains("U+0007"));
        assert!(
            normalize("0812 3456 7890 ext 5")
                .unwrap_err()
                .contains("'e'")
        );
        assert_eq!(
            normalize("--").unwrap_err().split(':').next(),
            Some("no digits")
        );
        assert_eq!(normalize("  ").unwrap_err(), "required");
        assert!(normalize("0812+3").unwrap_err().contains("may only lead"));
    }

    #[test]
    fn errors_say_what_is_expected() {
        let e = parse_phone("ID", "0812").unwrap_err();
        assert!(
            e.starts_with("too short: ID numbers have 7 to 12 digits"),
            "{e}"
        );
        let e = parse_phone("IN", "+91 98765 432101").unwrap_err();
        assert!(e.starts_with("too long: IN numbers have 10 digits"), "{e}");
        let e = parse_phone("ID", "+91 98765 43210").unwrap_err();
        assert!(
            e.contains("not a ID number") && e.contains("+91 is IN"),
            "{e}"
        );
        let e = parse_phone("ID", "+0812 3456 7890").unwrap_err();
        assert!(e.contains("+62 81234567890 or 081234567890"), "{e}");
        let e = parse_phone("XX", "0812 3456 7890").unwrap_err();
        assert!(e.contains("no numbering plan for country 'XX'"), "{e}");
    }
}
