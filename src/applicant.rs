//! What the underwriter typed, and how it becomes what each vendor wants.

use crate::check::CheckKind;
use serde::{Deserialize, Serialize};

/// The identifiers as typed. Empty strings mean "not given".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Applicant {
    pub name: String,
    /// ISO 3166 alpha-2.
    pub country: String,
    /// In any form a person pastes: `+62 812-3456-7890`, `0812 3456 7890`, `6281234567890`.
    pub phone: String,
    pub id_number: String,
    /// Defaults to `national_id` when empty.
    pub id_type: String,
    pub bankcard: String,
    pub email: String,
    pub gaid: String,
    pub app_name: String,
    pub order_id: String,
}

/// Per-check options that are not identifiers of the person.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckOptions {
    /// multiplatform: package_name (credit_rating_estimation, multiplatform_multi,
    /// behavior_analysis_of_repayment, multiplatform_multi_V1_1).
    pub package: Option<String>,
    /// multiple-order: seat, voice or sms.
    pub source: Option<String>,
    /// multiple-order: YYYY-MM-DD.
    pub date: Option<String>,
    /// debts-report: send only mobile_md5.
    pub hash_phone: bool,
    /// credit-willingness: policy_id.
    pub policy_id: Option<String>,
    /// phone-status: the optional `callback` URL the vendor calls when the task is done.
    pub callback: Option<String>,
}

/// A rule an identifier breaks, for one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The applicant/option field (`phone`, `id_number`, `package`, ...).
    pub field: String,
    /// What is expected, in words a person understands.
    pub message: String,
}

/// The applicant's identifiers as normalized, for history rows and search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// E.164 with `+`, e.g. `+6281234567890`; empty when no phone was given.
    pub phone_e164: String,
    pub id_number: String,
    pub name: String,
    pub country: String,
    pub bankcard: String,
    pub email: String,
    pub gaid: String,
}

/// A request ready for the wire: the body fields exactly as the vendor names them.
/// Secrets are never in here; the client adds auth.
#[derive(Debug, Clone, PartialEq)]
pub struct VendorRequest {
    pub check: CheckKind,
    /// Body fields in the vendor's names and order (for phone-status: `phone_number`).
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// Things worth saying beside the result but not blocking (e.g. a number the
    /// numbering plan does not know yet).
    pub warnings: Vec<String>,
    pub identity: Identity,
}

/// The default (and only documented) ID type.
pub const DEFAULT_ID_TYPE: &str = "national_id";
/// The multiplatform package used when none is chosen: offered in every multiplatform country.
pub const DEFAULT_PACKAGE: &str = "multiplatform_multi_V1_1";
/// Every multiplatform package the page lists.
pub const PACKAGES: &[&str] = &[
    "credit_rating_estimation",
    "multiplatform_multi",
    "behavior_analysis_of_repayment",
    "multiplatform_multi_V1_1",
];
/// multiple-order `source` values.
pub const SOURCES: &[&str] = &["seat", "voice", "sms"];

/// Packages the multiplatform page offers in a country (VN, NG and PK get only two).
pub fn packages_for(country: &str) -> &'static [&'static str] {
    match country.trim().to_ascii_uppercase().as_str() {
        "VN" | "NG" | "PK" => &PACKAGES[2..],
        "MX" | "IN" | "TH" | "CO" | "PH" => PACKAGES,
        _ => &[],
    }
}

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_string(),
        message: message.into(),
    }
}

impl Applicant {
    /// The country code upper-cased and trimmed.
    pub fn country_code(&self) -> String {
        self.country.trim().to_ascii_uppercase()
    }

    /// Identifiers as normalized for history, as far as they can be (a phone that does not
    /// parse is kept as typed, digits only, so the row can still be found).
    pub fn identity(&self) -> Identity {
        let country = self.country_code();
        let phone_e164 = if self.phone.trim().is_empty() {
            String::new()
        } else {
            match crate::phone::parse_phone(&country, &self.phone) {
                Ok(p) => p.e164(),
                Err(_) => self.phone.chars().filter(|c| c.is_ascii_digit()).collect(),
            }
        };
        Identity {
            phone_e164,
            id_number: self.id_number.trim().to_string(),
            name: self.name.trim().to_string(),
            country,
            bankcard: digits_only(&self.bankcard),
            email: self.email.trim().to_string(),
            // As typed: an Apple IDFV is upper case, and a re-run from history sends this.
            gaid: self.gaid.trim().to_string(),
        }
    }
}

fn digits_only(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_digit()).collect()
}

/// Turns what was typed into the request one check sends, or every rule it breaks.
/// No request may be sent while this returns errors.
pub fn prepare(
    check: CheckKind,
    a: &Applicant,
    opts: &CheckOptions,
    now: time::OffsetDateTime,
) -> Result<VendorRequest, Vec<FieldError>> {
    let mut b = Builder::default();
    let country = a.country_code();
    if country.is_empty() {
        b.errors.push(err(
            "country",
            "required: a two-letter ISO 3166 code such as ID, IN or MX",
        ));
    } else if let Some(reason) = check.not_offered_reason(&country) {
        b.errors.push(err("country", reason));
    }
    if b.errors.is_empty() {
        match check {
            CheckKind::DebtsReport => b.debts_report(a, opts, &country),
            CheckKind::MultipleOrder => b.multiple_order(a, opts, &country, now),
            CheckKind::PhoneStatus => b.phone_status(a, opts, &country),
            CheckKind::Multiplatform => b.multiplatform(a, opts, &country),
            CheckKind::CreditWillingness => b.credit_willingness(a, opts, &country, now),
        }
    }
    if b.errors.is_empty() {
        Ok(VendorRequest {
            check,
            fields: b.fields,
            warnings: b.warnings,
            identity: a.identity(),
        })
    } else {
        Err(b.errors)
    }
}

#[derive(Default)]
struct Builder {
    fields: serde_json::Map<String, serde_json::Value>,
    warnings: Vec<String>,
    errors: Vec<FieldError>,
}

impl Builder {
    fn put(&mut self, key: &str, value: impl Into<String>) {
        self.fields
            .insert(key.to_string(), serde_json::Value::String(value.into()));
    }

    /// The phone, parsed for `country`; records the error or the warning.
    fn phone(
        &mut self,
        a: &Applicant,
        country: &str,
        required: bool,
    ) -> Option<crate::phone::Phone> {
        if a.phone.trim().is_empty() {
            if required {
                self.errors.push(err("phone", "required for this check"));
            }
            return None;
        }
        match crate::phone::parse_phone(country, &a.phone) {
            Ok(p) => {
                if let Some(w) = &p.warning {
                    self.warnings.push(w.clone());
                }
                Some(p)
            }
            Err(message) => {
                self.errors.push(err("phone", message));
                None
            }
        }
    }

    fn optional_fields(&mut self, a: &Applicant, keys: &[(&str, &str)]) {
        for (field, wire) in keys {
            let checked = match *field {
                "id_number" => check_nik(&a.id_number),
                "bankcard" => check_bankcard(&a.bankcard),
                "email" => check_email(&a.email),
                "gaid" => check_gaid(&a.gaid),
                _ => unreachable!("optional_fields is called with known fields"),
            };
            match checked {
                Ok(Some(v)) => self.put(wire, v),
                Ok(None) => {}
                Err(m) => self.errors.push(err(field, m)),
            }
        }
    }

    fn debts_report(&mut self, a: &Applicant, opts: &CheckOptions, country: &str) {
        if let Some(p) = self.phone(a, country, true) {
            // Hashed like multiple-order's mobile_no: country code + national number.
            if opts.hash_phone {
                self.put("mobile_md5", md5_hex(&p.with_calling_code()));
            } else {
                self.put("mobile", p.with_calling_code());
            }
        }
        self.optional_fields(
            a,
            &[
                ("id_number", "idcard"),
                ("bankcard", "bankcard"),
                ("gaid", "gaid"),
                ("email", "email"),
            ],
        );
    }

    fn multiple_order(
        &mut self,
        a: &Applicant,
        opts: &CheckOptions,
        country: &str,
        now: time::OffsetDateTime,
    ) {
        if let Some(p) = self.phone(a, country, true) {
            self.put("mobile_no", md5_hex(&p.with_calling_code()));
        }
        if let Some(source) = opts
            .source
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let lower = source.to_ascii_lowercase();
            if SOURCES.contains(&lower.as_str()) {
                self.put("source", lower);
            } else {
                self.errors.push(err(
                    "source",
                    format!("'{source}' is not a source: expected seat, voice or sms"),
                ));
            }
        }
        if let Some(date) = opts
            .date
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match check_date(date, now.date()) {
                Ok(d) => self.put("date", d),
                Err(m) => self.errors.push(err("date", m)),
            }
        }
    }

    fn phone_status(&mut self, a: &Applicant, opts: &CheckOptions, country: &str) {
        if let Some(p) = self.phone(a, country, true) {
            self.put("phone_number", p.with_calling_code());
        }
        if let Some(url) = opts
            .callback
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let ok = url.len() <= 2000
                && (url.starts_with("https://") || url.starts_with("http://"))
                && !url.chars().any(|c| c.is_whitespace() || c.is_control());
            if ok {
                self.put("callback", url);
            } else {
                self.errors.push(err(
                    "callback",
                    "an http(s) URL without spaces, e.g. https://example.com/hook",
                ));
            }
        }
    }

    fn multiplatform(&mut self, a: &Applicant, opts: &CheckOptions, country: &str) {
        let id = a.id_number.trim();
        match check_id_number(country, id) {
            Ok(v) => self.put("id_number", v),
            Err(m) => self.errors.push(err("id_number", m)),
        }
        match check_id_type(&a.id_type) {
            Ok(v) => self.put("id_type", v),
            Err(m) => self.errors.push(err("id_type", m)),
        }
        self.put("country", country);
        match check_name(&a.name) {
            Ok(v) => self.put("name", v),
            Err(m) => self.errors.push(err("name", m)),
        }
        if let Some(p) = self.phone(a, country, true) {
            self.put("phone_number", p.multiplatform_format());
        }
        let app = a.app_name.trim();
        if app.chars().count() > 100 {
            self.errors.push(err("app_name", "at most 100 characters"));
        } else if !app.is_empty() {
            self.put("app_name", app);
        }
        let package = opts
            .package
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_PACKAGE);
        let offered = packages_for(country);
        match offered.iter().find(|p| p.eq_ignore_ascii_case(package)) {
            Some(p) => self.put("package_name", *p),
            None => self.errors.push(err(
                "package",
                format!(
                    "'{package}' is not offered in {country}: choose one of {}",
                    offered.join(", ")
                ),
            )),
        }
        if app.is_empty()
            && !matches!(
                self.fields.get("package_name").and_then(|v| v.as_str()),
                Some("behavior_analysis_of_repayment" | "multiplatform_multi_V1_1")
            )
        {
            self.warnings
                .push("app_name is strongly recommended for this package".to_string());
        }
    }

    fn credit_willingness(
        &mut self,
        a: &Applicant,
        opts: &CheckOptions,
        country: &str,
        now: time::OffsetDateTime,
    ) {
        let gaid = match check_gaid(&a.gaid) {
            Ok(g) => g,
            Err(m) => {
                self.errors.push(err("gaid", m));
                None
            }
        };
        let phone_given = !a.phone.trim().is_empty();
        if !phone_given && gaid.is_none() && a.gaid.trim().is_empty() {
            self.errors.push(err(
                "phone",
                "give the phone (starting with 08) or the GAID: credit willingness needs at least one",
            ));
        }
        self.put("country", country);
        if let Some(p) = self.phone(a, country, false) {
            let local = p.trunk_format();
            if local.starts_with("08") {
                self.put("phone_number", local);
            } else {
                self.errors.push(err(
                    "phone",
                    "credit willingness takes Indonesian mobile numbers only (08…)",
                ));
            }
        }
        if let Some(g) = gaid {
            self.put("gaid", g);
        }
        self.put("event_time", event_time(now));
        self.put("product_id", "CreditWillingnessPhone");
        let order = a.order_id.trim();
        if order.chars().count() > 200 {
            self.errors.push(err("order_id", "at most 200 characters"));
        } else if !order.is_empty() {
            self.put("order_id", order);
        }
        if let Some(policy) = opts
            .policy_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            self.put("policy_id", policy);
        }
    }
}

/// Lowercase hex md5, as the multiple-order page's `md5(915586685366)`.
pub fn md5_hex(s: &str) -> String {
    use md5::{Digest, Md5};
    let digest = Md5::digest(s.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// ISO 8601 with milliseconds and offset, as the willingness page shows:
/// `2021-10-12T14:20:50.521+07:00`.
pub fn event_time(now: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory]:[offset_minute]"
    );
    now.format(f).unwrap_or_else(|_| now.to_string())
}

fn check_date(s: &str, today: time::Date) -> Result<String, String> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    let d =
        time::Date::parse(s, f).map_err(|_| format!("'{s}' is not a date: expected YYYY-MM-DD"))?;
    if d > today {
        return Err(format!(
            "{s} is in the future: the backtrack start must be today or earlier"
        ));
    }
    Ok(d.format(f).unwrap_or_else(|_| s.to_string()))
}

fn check_nik(s: &str) -> Result<Option<String>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let d: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.'))
        .collect();
    if !d.chars().all(|c| c.is_ascii_digit()) {
        return Err("an Indonesian ID card number (NIK) has digits only".into());
    }
    if d.len() != 16 {
        return Err(format!(
            "an Indonesian ID card number (NIK) has 16 digits, this has {}",
            d.len()
        ));
    }
    Ok(Some(d))
}

fn check_id_number(country: &str, s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("required for this check".into());
    }
    let compact: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("letters and digits only".into());
    }
    if country == "MX" && compact.len() != 18 {
        return Err(format!(
            "a CURP has 18 characters, this has {}",
            compact.len()
        ));
    }
    if !(4..=30).contains(&compact.len()) {
        return Err("between 4 and 30 letters and digits".into());
    }
    Ok(compact.to_ascii_uppercase())
}

fn check_id_type(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() || s.eq_ignore_ascii_case(DEFAULT_ID_TYPE) {
        Ok(DEFAULT_ID_TYPE.into())
    } else {
        Err(format!(
            "'{s}' is not an ID type the vendor accepts: expected national_id"
        ))
    }
}

fn check_name(s: &str) -> Result<String, String> {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        return Err("required for this check".into());
    }
    if s.chars().count() > 100 {
        return Err("at most 100 characters".into());
    }
    if s.chars().any(|c| c.is_control() || c.is_ascii_digit()) {
        return Err("a name has no digits or control characters".into());
    }
    Ok(s)
}

fn check_bankcard(s: &str) -> Result<Option<String>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
    {
        return Err("a bank card number has digits only (spaces and dashes are ignored)".into());
    }
    let d = digits_only(s);
    if !(8..=19).contains(&d.len()) {
        return Err(format!(
            "a bank card number has 8 to 19 digits, this has {}",
            d.len()
        ));
    }
    Ok(Some(d))
}

fn check_email(s: &str) -> Result<Option<String>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.len() > 254 {
        return Err("an email address has at most 254 characters".into());
    }
    let ok = match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        Ok(Some(s.to_string()))
    } else {
        Err(format!(
            "'{s}' is not an email address: expected name@domain.tld"
        ))
    }
}

/// A GAID (Android, lower-case hex by convention) or an IDFV (Apple, upper case): a UUID,
/// checked case-blind and sent exactly as typed, only trimmed.
fn check_gaid(s: &str) -> Result<Option<String>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let groups: Vec<&str> = s.split('-').collect();
    let shape = [8, 4, 4, 4, 12];
    let ok = groups.len() == 5
        && groups
            .iter()
            .zip(shape)
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()));
    if ok {
        Ok(Some(s.to_string()))
    } else {
        Err("a GAID/IDFV is a UUID: 8-4-4-4-12 hex digits, e.g. 38400000-8cf0-11bd-b23e-10b96e40000d".into())
    }
}

/// `0812****7890`: the first four and last four characters of a phone, the rest starred.
pub fn mask_phone(s: &str) -> String {
    mask_middle(s, 4, 4)
}

/// An ID or bank card number with only its last four characters visible.
pub fn mask_id(s: &str) -> String {
    mask_middle(s, 0, 4)
}

fn mask_middle(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let stars = chars.len() - head - tail;
    chars[..head]
        .iter()
        .chain(std::iter::repeat_n(&'*', stars))
        .chain(chars[chars.len() - tail..].iter())
        .collect()
}

static LOCAL_OFFSET: std::sync::OnceLock<time::UtcOffset> = std::sync::OnceLock::new();

/// Reads the machine's UTC offset. Call it once at start, before any thread is spawned:
/// on Unix the `time` crate refuses to read it from a multi-threaded process.
pub fn init_local_offset() {
    let offset = time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC);
    let _ = LOCAL_OFFSET.set(offset);
}

/// Now, in the operator's offset when it was read at start (else UTC): what `event_time` carries.
pub fn local_now() -> time::OffsetDateTime {
    let offset = LOCAL_OFFSET.get().copied().unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::now_utc().to_offset(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaid_and_idfv_are_sent_as_typed_only_trimmed() {
        let idfv = "E621E1F8-C36C-495A-93FC-0C247A3E6E5F";
        assert_eq!(
            check_gaid(&format!("  {idfv}\t")),
            Ok(Some(idfv.to_string()))
        );
        let gaid = "38400000-8cf0-11bd-b23e-10b96e40000d";
        assert_eq!(check_gaid(gaid), Ok(Some(gaid.to_string())));
        assert_eq!(check_gaid(" "), Ok(None));
        assert!(check_gaid("E621E1F8C36C495A93FC0C247A3E6E5F").is_err());
        assert!(check_gaid("G621E1F8-C36C-495A-93FC-0C247A3E6E5F").is_err());

        let a = Applicant {
            country: "ID".into(),
            gaid: format!(" {idfv} "),
            ..Default::default()
        };
        let now = time::macros::datetime!(2026-11-22 10:15:30 +07:00);
        for check in [CheckKind::CreditWillingness, CheckKind::DebtsReport] {
            let mut a = a.clone();
            if check == CheckKind::DebtsReport {
                a.phone = "0812 3456 7890".into();
            }
            let r = prepare(check, &a, &CheckOptions::default(), now).unwrap();
            assert_eq!(r.fields["gaid"], serde_json::json!(idfv), "{check}");
            assert_eq!(r.identity.gaid, idfv);
        }
    }
}
