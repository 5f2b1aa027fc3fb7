//! The four AccuAuth endpoints: header auth, form or JSON bodies, `{status, result|reason,
//! request_id}` envelopes with the documented HTTP statuses.

use super::AppState;
use super::data::{debts_result, orders_result};
use super::lookup;
use super::scenarios::{
    AccuError, Behaviour, Debts, PHONE_STATUSES, PhoneFlow, Scenario, Trap, scenarios, sequences,
    traps,
};
use super::task_id;
use super::wire::{Fault, Planned, deliver, md5_hex, parse_fields, request_id, stable_hash};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

type Fields = HashMap<String, String>;

/// How long a task_id is valid (the task_result page: "valid within 24 hours").
const TASK_VALIDITY: time::Duration = time::Duration::hours(24);

fn ok(result: Value) -> Planned {
    Planned::ok(json!({ "status": "OK", "result": result, "request_id": request_id() }))
}

fn error(http: u16, status: &str, reason: &str) -> Planned {
    Planned::new(
        StatusCode::from_u16(http).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        json!({ "status": status, "reason": reason, "request_id": request_id() }),
    )
}

/// The documented pending answer (task_result page: HTTP 400 `PENDING`, "check in
/// progress"), with no `task_id`.
fn pending() -> Planned {
    error(400, "PENDING", "check in progress")
}

fn not_hit() -> Planned {
    error(400, "NOT_HIT", "Target is not hit")
}

fn vendor_error(e: &AccuError) -> Planned {
    error(e.http, e.status, e.reason)
}

fn invalid(reason: &str) -> Planned {
    error(400, "INVALID_ARGUMENT", reason)
}

fn not_found(field: &str) -> Planned {
    invalid(&format!("argument '{field}': not found"))
}

fn bad_value(field: &str) -> Planned {
    invalid(&format!("argument '{field}': invalid"))
}

/// Auth, body parsing and fault delivery around one endpoint's logic. The request is
/// counted first: axum has read the whole body by now. `answer` is told whether its answer
/// will reach the client whole (no fault from the options swallows it).
async fn serve(
    st: Arc<AppState>,
    path: &str,
    headers: HeaderMap,
    body: Bytes,
    answer: impl FnOnce(&AppState, &Fields, bool) -> (Planned, Option<Fault>),
) -> Response {
    st.counters.request(path);
    if !st.opts.latency.is_zero() {
        tokio::time::sleep(st.opts.latency).await;
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let creds = &st.opts.credentials;
    let option = st.option_fault();
    let (planned, fault) = if header("X-DF-API-ID") != Some(creds.api_id.as_str())
        || header("X-DF-API-SECRET") != Some(creds.api_secret.as_str())
    {
        (
            error(401, "UNAUTHORIZED", "Unauthorized or access is denied"),
            None,
        )
    } else {
        match parse_fields(&headers, &body) {
            None => (
                invalid("request body is neither JSON nor form-encoded"),
                None,
            ),
            Some(fields) => answer(&st, &fields, option.delivers()),
        }
    };
    st.respond(planned, fault, option).await
}

/// A present, non-empty field.
fn field<'a>(f: &'a Fields, name: &str) -> Option<&'a str> {
    f.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

fn is_md5(s: &str) -> bool {
    s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit())
}

fn is_phone_digits(s: &str) -> bool {
    let d = s.strip_prefix('+').unwrap_or(s);
    (8..=15).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit())
}

/// `/check/phone_number/o1`'s `phone_number`: "with country code 52" (DESIGN.md; the submit
/// endpoint has no page of its own). A Mexican number is 52 and ten digits, the first not
/// 0 or 1: since 2019 there is no mobile `1` after 52 (`521…`, 13 digits) and no trunk
/// prefix. Lenient where the text is silent: a leading `+` is accepted.
fn is_mexican_with_country_code(s: &str) -> bool {
    let d = s.strip_prefix('+').unwrap_or(s);
    d.len() == 12
        && d.chars().all(|c| c.is_ascii_digit())
        && d.starts_with("52")
        && !matches!(d.as_bytes()[2], b'0' | b'1')
}

/// The answer of a scenario row that selects an error.
fn common(s: &Scenario) -> Option<(Planned, Option<Fault>)> {
    match &s.behaviour {
        Behaviour::AccuAuthError(e) => Some((vendor_error(e), None)),
        _ => None,
    }
}

/// The fault a scenario row puts on the otherwise ordinary answer.
pub(crate) fn row_fault(s: Option<&Scenario>) -> Option<Fault> {
    match s.map(|s| &s.behaviour) {
        Some(Behaviour::Fault(f)) => Some(*f),
        _ => None,
    }
}

pub(crate) async fn debts_report(
    st: State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(
        st.0,
        "/check/debts_report",
        headers,
        body,
        |st, f, delivers| {
            let mobile = field(f, "mobile");
            let hashed = field(f, "mobile_md5");
            if mobile.is_none() && hashed.is_none() {
                return (not_found("mobile"), None);
            }
            if mobile.is_some_and(|m| !is_phone_digits(m)) {
                return (bad_value("mobile"), None);
            }
            if mobile.is_none() && hashed.is_some_and(|h| !is_md5(h)) {
                return (bad_value("mobile_md5"), None);
            }
            if field(f, "idcard")
                .is_some_and(|v| v.len() != 16 || !v.chars().all(|c| c.is_ascii_digit()))
            {
                return (bad_value("idcard"), None);
            }
            if field(f, "bankcard").is_some_and(|v| {
                !(8..=19).contains(&v.len()) || !v.chars().all(|c| c.is_ascii_digit())
            }) {
                return (bad_value("bankcard"), None);
            }
            if field(f, "email").is_some_and(|v| !v.contains('@')) {
                return (bad_value("email"), None);
            }
            let scenario = lookup::find_debts(scenarios(), mobile, hashed);
            let trap = lookup::find_debts(traps(), mobile, hashed);
            let seq = lookup::find_debts(sequences(), mobile, hashed);
            st.count(scenario);
            st.count(trap);
            st.count(seq);
            if let Some(answer) = scenario.and_then(common) {
                return answer;
            }
            let seed = stable_hash(
                &mobile
                    .map(lookup::id_national)
                    .or(hashed.map(str::to_ascii_lowercase))
                    .unwrap_or_default(),
            );
            if let Some(answer) = trap.and_then(|t| trap_at_once(t, ok(debts_result(None, seed)))) {
                return answer;
            }
            // The page gives `mobile` no format, so any spelling is taken; but no Indonesian
            // number has a 0 after the country code (`62 0812…`), and a row's number with the
            // country code written twice (`6262…`) is not that number: the vendor has no record
            // of either (the answer seen from it for both: NOT_HIT), and neither must read as
            // the row.
            let digits = mobile.map(|m| m.trim_start_matches('+')).unwrap_or("");
            if digits.starts_with("620") || lookup::doubled_country_code(digits) {
                return (not_hit(), None);
            }
            let step = seq.map(|s| st.step(s, delivers));
            match scenario.map(|s| &s.behaviour).or(step) {
                Some(Behaviour::Fault(fault)) => (ok(debts_result(None, seed)), Some(*fault)),
                Some(Behaviour::Debts(Debts::NotHit)) => (not_hit(), None),
                Some(Behaviour::Debts(plan)) => (ok(debts_result(Some(*plan), seed)), None),
                _ if seed.is_multiple_of(7) => (not_hit(), None),
                _ => (ok(debts_result(None, seed)), None),
            }
        },
    )
    .await
}

pub(crate) async fn multiple_order(
    st: State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(
        st.0,
        "/check/multiple_order/o1",
        headers,
        body,
        |st, f, delivers| {
            let Some(mobile_no) = field(f, "mobile_no") else {
                return (not_found("mobile_no"), None);
            };
            if !is_md5(mobile_no) {
                return (bad_value("mobile_no"), None);
            }
            // The page: "MD5 value of the mobile number with country code, example:
            // md5(915586685366)". The md5 of any other spelling of a row's number (without the
            // country code, with a trunk 0 or a '+') is refused, so a client that hashes the
            // wrong text fails its test instead of reading a clean miss. (Hex in either case is
            // accepted: the page does not say.)
            if let Some(what) = lookup::misspelled_mobile_no(mobile_no) {
                return (
                    invalid(&format!(
                        "argument 'mobile_no': invalid: md5 of {what}; \
                     expected md5 of country code + number, e.g. md5(915586685366)"
                    )),
                    None,
                );
            }
            let source = field(f, "source");
            if source.is_some_and(|s| !["seat", "voice", "sms"].contains(&s)) {
                return (bad_value("source"), None);
            }
            let format = time::macros::format_description!("[year]-[month]-[day]");
            let until = match field(f, "date").map(|d| time::Date::parse(d, format)) {
                None => None,
                Some(Ok(d)) => Some(d),
                Some(Err(_)) => return (bad_value("date"), None),
            };
            let scenario = lookup::find_orders(scenarios(), mobile_no);
            let trap = lookup::find_orders(traps(), mobile_no);
            let seq = lookup::find_orders(sequences(), mobile_no);
            st.count(scenario);
            st.count(trap);
            st.count(seq);
            if let Some(answer) = scenario.and_then(common) {
                return answer;
            }
            let step = seq.map(|s| st.step(s, delivers));
            let plan = match scenario.map(|s| &s.behaviour).or(step) {
                Some(Behaviour::Orders(o)) => Some(*o),
                _ => None,
            };
            let seed = stable_hash(&mobile_no.to_ascii_lowercase());
            let today = st.opts.clock.now().date();
            let answer = || ok(orders_result(plan, seed, today, source, until));
            if let Some(at_once) = trap.and_then(|t| trap_at_once(t, answer())) {
                return at_once;
            }
            (answer(), row_fault(scenario))
        },
    )
    .await
}

fn masked_result(status: &str) -> Value {
    // The page's sample masks the number ("0062********"); do the same for Mexico.
    json!({ "phone_number": "0052********", "phone_status": status })
}

pub(crate) async fn phone_number(
    st: State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(
        st.0,
        "/check/phone_number/o1",
        headers,
        body,
        |st, f, delivers| {
            let Some(phone) = field(f, "phone_number") else {
                return (not_found("phone_number"), None);
            };
            if !is_mexican_with_country_code(phone) {
                return (bad_value("phone_number"), None);
            }
            let d = phone.strip_prefix('+').unwrap_or(phone);
            let scenario = lookup::find_phone(scenarios(), d);
            let trap = lookup::find_phone(traps(), d);
            let seq = lookup::find_phone(sequences(), d);
            st.count(scenario);
            st.count(trap);
            st.count(seq);
            if let Some(answer) = scenario.and_then(common) {
                return answer;
            }
            // A dropped submit answers like a fault row: a `result` at once, never delivered.
            if let Some(answer) = trap.and_then(|t| trap_at_once(t, ok(masked_result(ordinary(d)))))
            {
                return answer;
            }
            let flow = match seq.map(|s| st.step(s, delivers)) {
                Some(Behaviour::Phone(flow)) => *flow,
                _ => phone_flow(d),
            };
            let fault = row_fault(scenario);
            if let PhoneFlow::Immediate(status) = flow {
                return (ok(masked_result(status)), fault);
            }
            let task_id = task_id::issue(st.opts.clock.now(), d);
            let body = json!({ "status": "OK", "task_id": task_id, "request_id": request_id() });
            (Planned::ok(body), fault)
        },
    )
    .await
}

/// The status a number without a row gets, from its hash.
fn ordinary(number: &str) -> &'static str {
    let tail = &number[number.len().saturating_sub(10)..];
    PHONE_STATUSES[(stable_hash(tail) % 8) as usize]
}

/// How the task for a number goes: its scenario row, else an ordinary status from its hash.
/// Fault rows answer at once, so the fault is the only thing a test of them sees. A
/// sequence row's tasks go as its one step with a task.
fn phone_flow(number: &str) -> PhoneFlow {
    if let Some(seq) = lookup::find_phone(sequences(), number) {
        let task = seq.behaviour.0.iter().find_map(|b| match b {
            Behaviour::Phone(PhoneFlow::Immediate(_)) => None,
            Behaviour::Phone(flow) => Some(*flow),
            _ => None,
        });
        return task.unwrap_or(PhoneFlow::Never);
    }
    match lookup::find_phone(scenarios(), number).map(|s| &s.behaviour) {
        Some(Behaviour::Phone(flow)) => *flow,
        Some(Behaviour::Fault(_)) => PhoneFlow::Immediate(ordinary(number)),
        _ => PhoneFlow::After(ordinary(number)),
    }
}

/// The answer of a trap row that acts on the request itself (not on a task): `answer`
/// sent into a connection that is then cut, or `PENDING` without a `task_id`. `None` for
/// the traps that act on polls.
fn trap_at_once(t: &Scenario<Trap>, answer: Planned) -> Option<(Planned, Option<Fault>)> {
    match t.behaviour {
        Trap::DropAfterRequest => Some((answer, Some(Fault::DropConnection))),
        Trap::PendingWithoutTaskId => Some((pending(), None)),
        Trap::FirstPollHangs(_) | Trap::PollErrorEchoingTaskId(_) => None,
    }
}

pub(crate) async fn task_result(
    st: State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(
        st.0,
        "/check/phone_number/task_result/o1",
        headers,
        body,
        |st, f, _| {
            let Some(task_id) = field(f, "task_id") else {
                return (not_found("task_id"), None);
            };
            let now = st.opts.clock.now();
            let Some(task) = task_id::read(task_id) else {
                return (invalid("argument 'task_id': task not found"), None);
            };
            let age = now - task.created;
            if age >= TASK_VALIDITY {
                return (
                    invalid("argument 'task_id': task expired, a task_id is valid within 24 hours"),
                    None,
                );
            }
            let trap = lookup::find_phone(traps(), &task.number);
            st.count(lookup::find_phone(scenarios(), &task.number));
            st.count(lookup::find_phone(sequences(), &task.number));
            st.count(trap);
            match trap.map(|t| t.behaviour) {
                Some(Trap::FirstPollHangs(status)) => {
                    let answer = ok(masked_result(status));
                    return if st.first_poll(task_id) {
                        (answer.held(st.opts.poll_hang), None)
                    } else {
                        (answer, None)
                    };
                }
                Some(Trap::PollErrorEchoingTaskId(e)) => {
                    let body = json!({
                        "status": e.status,
                        "reason": e.reason,
                        "task_id": task_id,
                        "request_id": request_id(),
                    });
                    let http = StatusCode::from_u16(e.http).unwrap_or(StatusCode::BAD_REQUEST);
                    return (Planned::new(http, body), None);
                }
                _ => {}
            }
            let still = (pending(), None);
            match phone_flow(&task.number) {
                PhoneFlow::Never => still,
                PhoneFlow::PollError(e) => (vendor_error(&e), None),
                PhoneFlow::After(status) | PhoneFlow::Immediate(status) => {
                    if age < st.opts.phone_pending {
                        still
                    } else {
                        (ok(masked_result(status)), None)
                    }
                }
            }
        },
    )
    .await
}

/// Any other path: the documented 404.
pub(crate) async fn unknown_path(st: State<Arc<AppState>>, uri: Uri) -> Response {
    st.counters.request(uri.path());
    let p = error(404, "NOT_FOUND", "Requested API cannot be found");
    let (_, never) = tokio::sync::watch::channel(false);
    deliver(p, None, never).await
}

/// md5 of a number with country code, as multiple_order wants it (for tests and docs).
pub fn mobile_no_for(number_with_country_code: &str) -> String {
    md5_hex(number_with_country_code)
}
