//! The applicant form: text inputs, the country selector, check options, and validation
//! as you type (every offered check's `prepare` runs on each change).

use crate::applicant::{
    Applicant, CheckOptions, FieldError, Identity, SOURCES, packages_for, prepare,
};
use crate::check::CheckKind;
use crossterm::event::KeyEvent;

use ratatui_textarea::TextArea;

pub use super::fields::FieldId;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// Every country some check is offered in, in a stable order.
pub const COUNTRIES: &[&str] = &["ID", "IN", "MX", "TH", "CO", "PH", "VN", "NG", "PK"];

/// The error under an empty Purpose when the team requires one.
pub const PURPOSE_REQUIRED: &str =
    "required by the team ([team] require_purpose): say why, e.g. application 8841";

/// Whether a check can run with what is typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Readiness {
    Ready,
    /// Offered, but fields are missing or wrong: the errors' fields, joined.
    Needs(String),
    /// Not offered for the country: why.
    NotOffered(String),
}

pub struct Form {
    inputs: BTreeMap<&'static str, TextArea<'static>>,
    pub focus: usize,
    pub country: usize,
    /// 0 = the default package; n = packages_for(country)[n-1].
    pub package: usize,
    /// 0 = none; n = SOURCES[n-1].
    pub source: usize,
    pub hash_phone: bool,
    /// Fields the operator has changed; errors show under these (all after a run attempt).
    touched: Vec<FieldId>,
    pub show_all_errors: bool,
    errors: BTreeMap<String, Vec<String>>,
    readiness: Vec<(CheckKind, Readiness)>,
    /// The normalized identifiers as of the last validation (parsing a phone is not free,
    /// and screens compare identities on every frame).
    identity: Identity,
    /// `[team] require_purpose`: an empty Purpose is a field error and nothing is sent.
    require_purpose: bool,
}

fn input() -> TextArea<'static> {
    let mut t = TextArea::default();
    t.set_cursor_line_style(ratatui::style::Style::default());
    t
}

impl Default for Form {
    fn default() -> Self {
        Form::new()
    }
}

impl Form {
    pub fn new() -> Form {
        let inputs = FieldId::ALL
            .iter()
            .filter(|f| f.is_text())
            .map(|f| (f.key(), input()))
            .collect();
        let mut form = Form {
            inputs,
            focus: 1,
            country: 0,
            package: 0,
            source: 0,
            hash_phone: false,
            touched: Vec::new(),
            show_all_errors: false,
            errors: BTreeMap::new(),
            readiness: Vec::new(),
            identity: Identity::default(),
            require_purpose: false,
        };
        form.validate(OffsetDateTime::UNIX_EPOCH);
        form
    }

    /// The next applicant: every field and option empty again, the focus on the phone as
    /// at start. The country stays: a desk reviews one market at a time.
    /// The purpose clears too: it is this applicant's (an application or complaint number).
    pub fn clear(&mut self, now: OffsetDateTime) {
        let country = self.country;
        let require_purpose = self.require_purpose;
        *self = Form::new();
        self.country = country;
        self.require_purpose = require_purpose;
        self.validate(now);
    }

    /// Ctrl-U as in a shell: erases the focused text field before the cursor.
    pub fn clear_before_cursor(&mut self) -> bool {
        let field = self.focused();
        let changed = self
            .inputs
            .get_mut(field.key())
            .is_some_and(|t| t.delete_line_by_head());
        if changed {
            self.touch(field);
        }
        changed
    }

    pub fn focused(&self) -> FieldId {
        FieldId::ALL[self.focus.min(FieldId::ALL.len() - 1)]
    }

    pub fn focus_field(&mut self, field: FieldId) {
        if let Some(i) = FieldId::ALL.iter().position(|f| *f == field) {
            self.focus = i;
        }
    }

    pub fn move_focus(&mut self, down: bool) {
        let n = FieldId::ALL.len();
        self.focus = if down {
            (self.focus + 1) % n
        } else {
            (self.focus + n - 1) % n
        };
    }

    pub fn text(&self, field: FieldId) -> String {
        self.inputs
            .get(field.key())
            .map(|t| t.lines().join(""))
            .unwrap_or_default()
    }

    pub fn textarea(&self, field: FieldId) -> Option<&TextArea<'static>> {
        self.inputs.get(field.key())
    }

    pub fn set_text(&mut self, field: FieldId, value: &str) {
        if let Some(t) = self.inputs.get_mut(field.key()) {
            *t = input();
            t.insert_str(one_line(value));
        }
    }

    /// Whether an empty Purpose stops every check (`[team] require_purpose`).
    pub fn set_require_purpose(&mut self, required: bool, now: OffsetDateTime) {
        self.require_purpose = required;
        self.validate(now);
    }

    /// Why the applicant is looked up, trimmed; `None` when blank. Not part of the
    /// applicant: it goes with each run to history (and with each stored lookup opened).
    pub fn purpose(&self) -> Option<String> {
        let p = self.text(FieldId::Purpose);
        let p = p.trim();
        (!p.is_empty()).then(|| p.to_string())
    }

    /// The error that stops every check when the team requires a purpose and none is given.
    pub fn purpose_missing(&self) -> bool {
        self.require_purpose && self.purpose().is_none()
    }

    pub fn country_code(&self) -> &'static str {
        COUNTRIES[self.country.min(COUNTRIES.len() - 1)]
    }

    pub fn set_country(&mut self, code: &str) {
        if let Some(i) = COUNTRIES
            .iter()
            .position(|c| c.eq_ignore_ascii_case(code.trim()))
        {
            self.country = i;
            self.package = 0;
        }
    }

    /// The package choices for the country, the first being the default.
    pub fn package_choices(&self) -> Vec<&'static str> {
        let mut v = vec!["default"];
        v.extend_from_slice(packages_for(self.country_code()));
        v
    }

    pub fn package_label(&self) -> &'static str {
        let choices = self.package_choices();
        choices[self.package.min(choices.len() - 1)]
    }

    pub fn source_label(&self) -> &'static str {
        if self.source == 0 {
            "any"
        } else {
            SOURCES[(self.source - 1).min(SOURCES.len() - 1)]
        }
    }

    pub fn applicant(&self) -> Applicant {
        Applicant {
            name: self.text(FieldId::Name),
            country: self.country_code().to_string(),
            phone: self.text(FieldId::Phone),
            id_number: self.text(FieldId::IdNumber),
            id_type: String::new(),
            bankcard: self.text(FieldId::Bankcard),
            email: self.text(FieldId::Email),
            gaid: self.text(FieldId::Gaid),
            app_name: self.text(FieldId::AppName),
            order_id: self.text(FieldId::OrderId),
        }
    }

    pub fn options(&self) -> CheckOptions {
        let non_empty = |s: String| (!s.trim().is_empty()).then_some(s);
        CheckOptions {
            package: (self.package > 0).then(|| self.package_label().to_string()),
            source: (self.source > 0).then(|| self.source_label().to_string()),
            date: non_empty(self.text(FieldId::Date)),
            hash_phone: self.hash_phone,
            policy_id: non_empty(self.text(FieldId::PolicyId)),
            ..CheckOptions::default()
        }
    }

    /// Takes the options a stored request was sent with (package, source, date, hash, ...).
    pub fn apply_request_options(&mut self, request: &serde_json::Map<String, serde_json::Value>) {
        let get = |k: &str| {
            request
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        let package = get("package_name");
        if let Some(i) = self.package_choices().iter().position(|p| *p == package) {
            self.package = i;
        }
        let source = get("source");
        self.source = SOURCES
            .iter()
            .position(|s| *s == source)
            .map_or(0, |i| i + 1);
        self.set_text(FieldId::Date, &get("date"));
        self.hash_phone = request.contains_key("mobile_md5");
        self.set_text(FieldId::PolicyId, &get("policy_id"));
        self.set_text(FieldId::AppName, &get("app_name"));
        self.set_text(FieldId::OrderId, &get("order_id"));
    }

    /// Runs every offered check's `prepare` and files each error under its field.
    pub fn validate(&mut self, now: OffsetDateTime) {
        let applicant = self.applicant();
        let options = self.options();
        let country = self.country_code();
        self.identity = applicant.identity();
        self.errors.clear();
        self.readiness.clear();
        for check in CheckKind::ALL {
            let readiness = match check.not_offered_reason(country) {
                Some(reason) => Readiness::NotOffered(reason),
                None => match prepare(check, &applicant, &options, now) {
                    Ok(_) => Readiness::Ready,
                    Err(errors) => {
                        let mut fields: Vec<&str> = Vec::new();
                        for FieldError { field, message } in &errors {
                            let list = self.errors.entry(field.clone()).or_default();
                            let tagged = format!("{message} ({})", check.title());
                            if !list.iter().any(|m| m.starts_with(message.as_str())) {
                                list.push(tagged);
                            }
                            if !fields.contains(&field.as_str()) {
                                fields.push(field.as_str());
                            }
                        }
                        Readiness::Needs(fields.join(", "))
                    }
                },
            };
            let readiness = match readiness {
                Readiness::Ready if self.purpose_missing() => Readiness::Needs("purpose".into()),
                Readiness::Needs(fields) if self.purpose_missing() => {
                    Readiness::Needs(format!("{fields}, purpose"))
                }
                other => other,
            };
            self.readiness.push((check, readiness));
        }
        if self.purpose_missing() {
            self.errors.insert(
                FieldId::Purpose.key().to_string(),
                vec![PURPOSE_REQUIRED.to_string()],
            );
        }
    }

    /// The applicant's normalized identifiers, as of the last `validate`.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    pub fn readiness(&self, check: CheckKind) -> Readiness {
        self.readiness
            .iter()
            .find(|(c, _)| *c == check)
            .map(|(_, r)| r.clone())
            .unwrap_or(Readiness::NotOffered(String::new()))
    }

    /// The errors shown under a field (only once touched, or after a run attempt).
    pub fn errors_for(&self, field: FieldId) -> &[String] {
        if !self.show_all_errors && !self.touched.contains(&field) {
            return &[];
        }
        self.errors
            .get(field.key())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn touch(&mut self, field: FieldId) {
        if !self.touched.contains(&field) {
            self.touched.push(field);
        }
    }

    /// Pasted text goes into the focused text input, newlines folded away.
    pub fn paste_text(&mut self, text: &str) -> bool {
        let field = self.focused();
        match self.inputs.get_mut(field.key()) {
            Some(t) => {
                let changed = t.insert_str(one_line(text));
                if changed {
                    self.touch(field);
                }
                changed
            }
            None => false,
        }
    }

    /// The selector or check box under the focus steps forwards or back; whether it did.
    pub(super) fn cycle(&mut self, forward: bool) -> bool {
        let field = self.focused();
        let step = |i: usize, n: usize| {
            if forward {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            }
        };
        match field {
            FieldId::Country => {
                self.country = step(self.country, COUNTRIES.len());
                self.package = 0;
            }
            FieldId::Package => self.package = step(self.package, self.package_choices().len()),
            FieldId::Source => self.source = step(self.source, SOURCES.len() + 1),
            FieldId::HashPhone => self.hash_phone = !self.hash_phone,
            _ => return false,
        }
        self.touch(field);
        true
    }

    /// Typing a letter in the country selector jumps to the next country starting with it.
    pub(super) fn country_letter(&mut self, c: char) -> bool {
        let c = c.to_ascii_uppercase();
        let n = COUNTRIES.len();
        let start = self.country + 1;
        match (0..n)
            .map(|k| (start + k) % n)
            .find(|i| COUNTRIES[*i].starts_with(c))
        {
            Some(i) => {
                self.country = i;
                self.package = 0;
                self.touch(FieldId::Country);
                true
            }
            None => false,
        }
    }

    /// An editing key for the focused text input: whether the value changed, or `None`
    /// when no text input has the focus.
    pub(super) fn edit(&mut self, key: &KeyEvent) -> Option<bool> {
        let field = self.focused();
        let t = self.inputs.get_mut(field.key())?;
        let changed = t.input(*key);
        if t.lines().len() > 1 {
            // A single-line input: fold anything that split it back together.
            let joined = t.lines().join("");
            *t = input();
            t.insert_str(joined);
        }
        if changed {
            self.touch(field);
        }
        Some(changed)
    }
}

fn one_line(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '\r')
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}
