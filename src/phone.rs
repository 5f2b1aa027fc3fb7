//! Phone numbers as people paste them, parsed against libphonenumber's data (the
//! `phonenumber` crate) into the forms each vendor wants.

use phonenumber::metadata::DATABASE;

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

/// Parses `raw` (e.g. `+62 812-3456-7890`, `0812 3456 7890`, `6281234567890`) as a number of
/// `country`. The error says what is expected, in words.
pub fn parse_phone(country: &str, raw: &str) -> Result<Phone, String> {
    let country = country.trim().to_ascii_uppercase();
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("required".into());
    }
    if let Some(bad) = raw
        .chars()
        .find(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')' | '+')))
    {
        return Err(format!(
            "'{bad}' is not allowed in a phone number: use digits, spaces, dashes, dots, brackets and a leading +"
        ));
    }
    if raw.chars().skip(1).any(|c| c == '+') {
        return Err("a + may only lead the number".into());
    }
    let meta = DATABASE
        .by_id(country.as_str())
        .ok_or_else(|| format!("no numbering plan is known for country '{country}'"))?;
    let code = meta.country_code();
    let code_str = code.to_string();
    // The data keeps possible lengths per number type; a person may give a landline too.
    let d = meta.descriptors();
    let mut lengths: Vec<usize> = [Some(d.general()), d.mobile(), d.fixed_line()]
        .into_iter()
        .flatten()
        .flat_map(|x| x.possible_length().iter().map(|&n| n as usize))
        .collect();
    lengths.sort_unstable();
    lengths.dedup();
    let possible = |n: &str| lengths.contains(&n.len());
    let expected = describe_lengths(&lengths);

    let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    let international = raw.starts_with('+') || digits.starts_with("00");
    let national = if international {
        let rest = if raw.starts_with('+') {
            digits.as_str()
        } else {
            &digits[2..]
        };
        match rest.strip_prefix(code_str.as_str()) {
            Some(n) => n.trim_start_matches('0').to_string(),
            None => {
                return Err(format!(
                    "this is not a {country} number: {country} numbers start with +{code}"
                ));
            }
        }
    } else if let Some(n) = digits.strip_prefix('0') {
        // The trunk prefix of the countries riskdesk serves.
        n.to_string()
    } else {
        // Without + or a trunk 0 the digits may or may not start with the country code:
        // prefer the reading the numbering plan knows, then the one with a possible length.
        let as_typed = Some(digits.clone()).filter(|d| possible(d));
        let without_code = digits
            .strip_prefix(code_str.as_str())
            .map(|n| drop_legacy_mobile_one(code, n.to_string()))
            .filter(|n| possible(n));
        let known = |n: &Option<String>| n.as_ref().is_some_and(|n| is_known(code, n));
        if known(&as_typed) {
            as_typed.unwrap_or_default()
        } else if known(&without_code) {
            without_code.unwrap_or_default()
        } else {
            as_typed.or(without_code).unwrap_or_else(|| digits.clone())
        }
    };

    let national = drop_legacy_mobile_one(code, national);
    if national.is_empty() {
        return Err(format!(
            "too short: expected {expected} after the country code"
        ));
    }
    if national.len() < lengths.first().copied().unwrap_or(0) {
        return Err(format!(
            "too short: {country} numbers have {expected} after the country code (+{code}), this has {}",
            national.len()
        ));
    }
    if national.len() > lengths.last().copied().unwrap_or(usize::MAX) {
        return Err(format!(
            "too long: {country} numbers have {expected} after the country code (+{code}), this has {}",
            national.len()
        ));
    }
    if !possible(&national) {
        return Err(format!(
            "wrong length: {country} numbers have {expected} after the country code (+{code}), this has {}",
            national.len()
        ));
    }
    let warning = (!is_known(code, &national)).then(|| {
        format!("+{code}{national} is not in the {country} numbering plan libphonenumber knows; sent anyway (its data lags new ranges)")
    });
    Ok(Phone {
        country,
        calling_code: code,
        national,
        warning,
    })
}

/// Mexico dropped the mobile "1" after +52 in 2019; people still paste `+52 1 55 …`.
fn drop_legacy_mobile_one(code: u16, national: String) -> String {
    match national.strip_prefix('1') {
        Some(rest) if code == 52 && national.len() == 11 => rest.to_string(),
        _ => national,
    }
}

/// Whether libphonenumber's numbering plan knows `+{code}{national}`.
fn is_known(code: u16, national: &str) -> bool {
    phonenumber::parse(None, format!("+{code}{national}"))
        .map(|n| phonenumber::is_valid(&n))
        .unwrap_or(false)
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
