//! The two TrustDecision products: partner_code/partner_key in the query, JSON bodies,
//! HTTP 200 with a `code` in the body for success and failure alike.

use super::accuauth::row_fault;
use super::data::indicators;
use super::lookup;
use super::scenarios::{Behaviour, TdError, Trap, Willingness, scenarios, sequences, traps};
use super::wire::{
    Fault, Planned, form_fields, hex_sequence_id, stable_hash, willingness_sequence_id,
};
use super::{AppState, CREDIT_WILLINGNESS_PATH, MULTIPLATFORM_PATH, SandboxCredentials};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Multiplatform countries and their packages (VN, NG and PK get only two).
const ALL_PACKAGES: [&str; 4] = [
    "credit_rating_estimation",
    "multiplatform_multi",
    "behavior_analysis_of_repayment",
    "multiplatform_multi_V1_1",
];

fn packages(country: &str) -> Option<&'static [&'static str]> {
    match country {
        "MX" | "IN" | "TH" | "CO" | "PH" => Some(&ALL_PACKAGES),
        "VN" | "NG" | "PK" => Some(&ALL_PACKAGES[2..]),
        _ => None,
    }
}

/// Which credential check fails, if any: (missing field, or None for wrong values).
enum AuthFailure {
    Missing(&'static str),
    Wrong,
}

fn check_auth(creds: &SandboxCredentials, query: Option<&str>) -> Result<(), AuthFailure> {
    let q = form_fields(query.unwrap_or("").as_bytes());
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let code = get("partner_code").ok_or(AuthFailure::Missing("partner_code"))?;
    let key = get("partner_key").ok_or(AuthFailure::Missing("partner_key"))?;
    if code == creds.partner_code && key == creds.partner_key {
        Ok(())
    } else {
        Err(AuthFailure::Wrong)
    }
}

/// A field as text: strings trimmed, numbers in their JSON spelling, null/empty as absent.
fn text(body: &Map<String, Value>, key: &str) -> Option<String> {
    match body.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Counts the request (its body has been read), then answers with latency and faults.
/// `answer` is told whether its answer will reach the client whole.
async fn serve(
    st: Arc<AppState>,
    path: &str,
    answer: impl FnOnce(&AppState, bool) -> (Planned, Option<Fault>),
) -> Response {
    st.counters.request(path);
    if !st.opts.latency.is_zero() {
        tokio::time::sleep(st.opts.latency).await;
    }
    let option = st.option_fault();
    let (planned, fault) = answer(&st, option.delivers());
    st.respond(planned, fault, option).await
}

fn mp_error(code: u32, message: &str) -> (Planned, Option<Fault>) {
    let body = json!({ "code": code, "sequence_id": hex_sequence_id(), "message": message });
    (Planned::ok(body), None)
}

pub(crate) async fn multiplatform(
    st: State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    serve(st.0, MULTIPLATFORM_PATH, |st, delivers| {
        match check_auth(&st.opts.credentials, query.as_deref()) {
            Err(AuthFailure::Missing(p)) => return mp_error(9060, &format!("{p} empty")),
            Err(AuthFailure::Wrong) => return mp_error(300, "Service not purchased or not effective"),
            Ok(()) => {}
        }
        let Ok(Value::Object(b)) = serde_json::from_slice::<Value>(&body) else {
            return mp_error(9061, "request body error");
        };
        let mut fields = Vec::new();
        for p in ["id_number", "id_type", "country", "name", "phone_number", "package_name"] {
            match text(&b, p) {
                Some(v) => fields.push(v),
                None => return mp_error(9060, &format!("{p} empty")),
            }
        }
        let [id_number, id_type, country, _name, phone, package] = &fields[..] else {
            return mp_error(9500, "Internal error");
        };
        if id_type != "national_id" {
            return mp_error(9061, "id_type error");
        }
        let Some(offered) = packages(country) else {
            return mp_error(9061, "country error");
        };
        if !offered.contains(&package.as_str()) {
            return mp_error(9061, "package_name error");
        }
        if !phone_fits(country, phone) {
            return mp_error(9081, "The format of the phone number does not match with the country");
        }
        let scenario = lookup::find_multiplatform(scenarios(), id_number);
        let trap = lookup::find_multiplatform(traps(), id_number);
        let seq = lookup::find_multiplatform(sequences(), id_number);
        st.count(scenario);
        st.count(trap);
        st.count(seq);
        let step = seq.map(|s| st.step(s, delivers));
        let plan = match scenario.map(|s| &s.behaviour).or(step) {
            Some(Behaviour::TrustDecisionError(e)) => return mp_error(e.code, e.message),
            Some(Behaviour::Indicators(i)) => Some(*i),
            _ => None,
        };
        let data = indicators(plan, package, country, stable_hash(&id_number.to_ascii_uppercase()));
        let body = json!({ "code": 200, "message": "Success", "sequence_id": hex_sequence_id(), "data": data });
        (Planned::ok(body), row_fault(scenario).or(trap_fault(trap.map(|t| t.behaviour))))
    })
    .await
}

/// The fault a trap row puts on an otherwise ordinary TrustDecision answer.
fn trap_fault(t: Option<Trap>) -> Option<Fault> {
    match t {
        Some(Trap::DropAfterRequest) => Some(Fault::DropConnection),
        _ => None,
    }
}

/// The page's phone rules, word for word: "India/Mexico/Thailand: without country code, 10
/// digits in total; Philippines: without country code, a total of 11 digits Nigeria,
/// Vietnam, Thailand, Pakistan: without country code, starting with 0". Read as:
///
/// - IN, MX: 10 digits. Not starting with 0 either: no Indian or Mexican number does, so a
///   leading 0 is a trunk prefix in front of a 9-digit remnant, or a lost digit.
/// - CO: the page names no rule; Colombian numbers are 10 digits with no trunk prefix, so
///   the India/Mexico rule is the lenient reading (any spelling of a Colombian number
///   without country code is 10 digits not starting with 0).
/// - TH: named under both rules: 10 digits starting with 0 (a mobile in its national form).
/// - PH: 11 digits; the page does not say "starting with 0", but a Philippine number
///   without country code has 11 digits only with its trunk 0 (`09171234567`), so 11
///   digits starting with a single 0.
/// - VN, NG, PK: starting with 0, no length given: the lenient reading takes any national
///   form, 9 to 11 digits with the trunk 0.
///
/// Everywhere: digits only, and a single leading 0: `00…` is an international prefix (or
/// a trunk 0 kept after stripping a country code), never a number without country code.
fn phone_fits(country: &str, phone: &str) -> bool {
    if !phone.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let n = phone.len();
    let zero = phone.starts_with('0') && !phone.starts_with("00");
    match country {
        "IN" | "MX" | "CO" => n == 10 && !phone.starts_with('0'),
        "TH" => n == 10 && zero,
        "PH" => n == 11 && zero,
        _ => zero && (9..=11).contains(&n),
    }
}

fn cw_error(e: TdError) -> (Planned, Option<Fault>) {
    cw_error_text(e.code, e.message)
}

fn cw_error_text(code: u32, message: &str) -> (Planned, Option<Fault>) {
    let body = json!({
        "code": code,
        "message": message,
        "sequence_id": willingness_sequence_id(time::OffsetDateTime::now_utc()),
    });
    (Planned::ok(body), None)
}

fn empty(p: &str) -> (Planned, Option<Fault>) {
    cw_error_text(11000, &format!("{p} input parameter empty"))
}

fn wrong(p: &str) -> (Planned, Option<Fault>) {
    cw_error_text(11001, &format!("{p} input parameter error"))
}

pub(crate) async fn credit_willingness(
    st: State<Arc<AppState>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    serve(st.0, CREDIT_WILLINGNESS_PATH, |st, delivers| {
        match check_auth(&st.opts.credentials, query.as_deref()) {
            Err(AuthFailure::Missing(p)) => return empty(p),
            Err(AuthFailure::Wrong) => return cw_error_text(301, "Service not purchased"),
            Ok(()) => {}
        }
        let Ok(Value::Object(b)) = serde_json::from_slice::<Value>(&body) else {
            return cw_error_text(11002, "Input parameter parsing failed");
        };
        let Some(event_time) = text(&b, "event_time") else {
            return empty("event_time");
        };
        if time::OffsetDateTime::parse(&event_time, &time::format_description::well_known::Rfc3339)
            .is_err()
        {
            return wrong("event_time");
        }
        match text(&b, "product_id") {
            None => return empty("product_id"),
            Some(p) if p != "CreditWillingnessPhone" => return wrong("product_id"),
            Some(_) => {}
        }
        match text(&b, "country") {
            None => return empty("country"),
            Some(c) if c != "ID" => return wrong("country"),
            Some(_) => {}
        }
        let phone = text(&b, "phone_number");
        let gaid = text(&b, "gaid");
        if phone.is_none() && gaid.is_none() {
            return empty("phone_number");
        }
        // The page: "Do not include the "+" sign or /(); Indonesian phone numbers start with
        // "08"" (sample `0812345678`). Digits only, starting 08; no length is given, so any
        // Indonesian mobile in national form (08 and 8 to 11 more digits) is taken.
        if let Some(p) = &phone
            && (!p.starts_with("08")
                || !(10..=13).contains(&p.len())
                || !p.chars().all(|c| c.is_ascii_digit()))
        {
            return wrong("phone_number");
        }
        let order_id = text(&b, "order_id");
        if order_id.as_ref().is_some_and(|o| o.chars().count() > 200) {
            return wrong("order_id");
        }
        let scenario = phone
            .as_deref()
            .and_then(|p| lookup::find_willingness(scenarios(), p));
        let trap = phone
            .as_deref()
            .and_then(|p| lookup::find_willingness(traps(), p));
        let seq = phone
            .as_deref()
            .and_then(|p| lookup::find_willingness(sequences(), p));
        st.count(scenario);
        st.count(trap);
        st.count(seq);
        let step = seq.map(|s| st.step(s, delivers));
        let score = match scenario.map(|s| &s.behaviour).or(step) {
            Some(Behaviour::TrustDecisionError(e)) => return cw_error(*e),
            Some(Behaviour::Willingness(Willingness::ScoreAsString(s))) => json!(s.to_string()),
            Some(Behaviour::Willingness(Willingness::Score(s))) => json!(s),
            _ => {
                let seed = stable_hash(phone.as_deref().or(gaid.as_deref()).unwrap_or_default());
                json!(300 + seed % 601)
            }
        };
        let body = json!({
            "code": 200,
            "detail": null,
            "message": "Success",
            "order_id": order_id,
            "result": null,
            "score": score,
            "sequence_id": willingness_sequence_id(st.opts.clock.now()),
        });
        (
            Planned::ok(body),
            row_fault(scenario).or(trap_fault(trap.map(|t| t.behaviour))),
        )
    })
    .await
}
