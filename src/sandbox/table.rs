//! The README's scenario section, generated from the scenario table so the two never drift.

use super::scenarios::{
    Behaviour, Debts, Indicators, Orders, PhoneFlow, Scenario, Sequence, Trap, Willingness,
    scenarios, sequences, traps,
};
use super::sequence::SEQUENCE_DIR;
use super::stats::check_name;
use super::{
    CREDIT_WILLINGNESS_PATH, MULTIPLATFORM_PATH, SANDBOX_API_ID, SANDBOX_API_SECRET,
    SANDBOX_PARTNER_CODE, SANDBOX_PARTNER_KEY, STATS_PATH,
};
use crate::check::CheckKind;

impl Scenario<Trap> {
    /// What the sandbox does for this trap row, in words (the README's "answer" column).
    pub fn answer(&self) -> String {
        match self.behaviour {
            Trap::DropAfterRequest => {
                let what = if self.check == CheckKind::PhoneStatus {
                    "the submit"
                } else {
                    "the request"
                };
                format!(
                    "trap: reads {what} whole and counts it, then closes the connection without a byte of answer"
                )
            }
            Trap::FirstPollHangs(s) => format!(
                "trap: `task_id`; the task's first poll hangs (`poll_hang`, 10 min by default), every later poll answers `{s}` at once"
            ),
            Trap::PollErrorEchoingTaskId(e) => format!(
                "trap: `task_id`; every poll answers HTTP {} `{}` with the `task_id` echoed in the body",
                e.http, e.status
            ),
            Trap::PendingWithoutTaskId => {
                "trap: HTTP 400 `PENDING` (\"check in progress\") without a `task_id`".into()
            }
        }
    }
}

impl Scenario<Sequence> {
    /// The answers in turn, in words (the README's "answer" column).
    pub fn answer(&self) -> String {
        let steps = self.behaviour.0;
        let words: Vec<String> = steps
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let step = Scenario {
                    check: self.check,
                    country: self.country,
                    identifier: self.identifier,
                    key: self.key.clone(),
                    behaviour: b.clone(),
                };
                let nth = match i + 1 {
                    1 => "1st".to_string(),
                    2 => "2nd".to_string(),
                    3 => "3rd".to_string(),
                    n => format!("{n}th"),
                };
                let nth = match (i, i + 1 == steps.len()) {
                    (0, _) => format!("{nth} call"),
                    (_, true) => format!("{nth} and later"),
                    _ => nth,
                };
                format!("{nth}: {}", step.answer())
            })
            .collect();
        format!("changes per call (see below): {}", words.join("; "))
    }
}

impl Scenario {
    /// What the sandbox answers for this row, in words (the README's "answer" column).
    pub fn answer(&self) -> String {
        match &self.behaviour {
            Behaviour::Debts(Debts::Clean) => {
                "OK: clean applicant, 3 registrations, 1 loan of IDR 1,500,000".into()
            }
            Behaviour::Debts(Debts::HeavyBorrower) => "OK: heavy borrower, 57 applications, 48 rejections, 23 platforms; keys with trailing spaces as in the page's sample".into(),
            Behaviour::Debts(Debts::DocumentedArray) => {
                "OK: `result` as the documented array of one object".into()
            }
            Behaviour::Debts(Debts::NotHit) => "HTTP 400 `NOT_HIT` (no record)".into(),
            Behaviour::Debts(Debts::Applications(n)) => format!("OK: {n} applications"),
            Behaviour::Orders(Orders::Miss) => "OK: `target: false` (clean miss)".into(),
            Behaviour::Orders(Orders::Blacklist) => "OK: blacklist (level 5), 3 records from each of seat, voice and sms; `cid`/`duration` as strings or numbers".into(),
            Behaviour::Orders(Orders::Normal) => {
                "OK: level 3 (normal customer), 1 seat record".into()
            }
            Behaviour::Orders(Orders::Greylist) => {
                "OK: greylist (level 4), 2 seat records with numeric `cid`/`duration`".into()
            }
            Behaviour::Phone(PhoneFlow::After(s)) => {
                format!("`task_id`; PENDING, then `{s}` after the pending time")
            }
            Behaviour::Phone(PhoneFlow::Immediate(s)) => {
                format!("`result` at submit: `{s}` (no task)")
            }
            Behaviour::Phone(PhoneFlow::Never) => {
                "`task_id`; PENDING until the task expires after 24 h".into()
            }
            Behaviour::Phone(PhoneFlow::PollError(e)) => {
                format!("`task_id`; every poll answers HTTP {} `{}`", e.http, e.status)
            }
            Behaviour::Indicators(i) => match i {
                Indicators::Clean => "code 200: every indicator_status 200, modest values",
                Indicators::Heavy => "code 200: every indicator_status 200, heavy multi-borrowing values",
                Indicators::NoRecord => "code 200: every indicator 201 with -999",
                Indicators::Mixed => "code 200: indicator_status 200, 201 (-999), 202 (-1111), 500 (-1111) in turn",
                Indicators::Strings => "code 200: values sent as strings",
            }
            .into(),
            Behaviour::Willingness(Willingness::Score(s)) => format!("code 200, score {s}"),
            Behaviour::Willingness(Willingness::ScoreAsString(s)) => {
                format!("code 200, score \"{s}\" as a string")
            }
            Behaviour::AccuAuthError(e) => format!("HTTP {} `{}`", e.http, e.status),
            Behaviour::TrustDecisionError(e) => format!("code {}: {}", e.code, e.message),
            Behaviour::Fault(f) => f.describe(),
        }
    }
}

/// The README text between the scenario markers, generated from [`scenarios()`].
pub fn scenarios_markdown() -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "The sandbox (`riskdesk sandbox`, or in-process when no vendor credentials are configured) \
answers from this table. Any identifier not in it gets a deterministic ordinary answer derived from \
a hash of the identifier.\n\n\
Credentials it accepts: AccuAuth `X-DF-API-ID: {SANDBOX_API_ID}`, `X-DF-API-SECRET: {SANDBOX_API_SECRET}`; \
TrustDecision `partner_code={SANDBOX_PARTNER_CODE}`, `partner_key={SANDBOX_PARTNER_KEY}`. \
AccuAuth paths are the vendor's (`/check/...`); TrustDecision lives at `{MULTIPLATFORM_PATH}` and \
`{CREDIT_WILLINGNESS_PATH}`.\n\n"
    ));
    s.push_str("| check | country | identifier | value | answer |\n");
    s.push_str("|---|---|---|---|---|\n");
    let rows = scenarios()
        .iter()
        .map(|r| (r.check, r.country, r.identifier, &r.key, r.answer()))
        .chain(
            traps()
                .iter()
                .map(|r| (r.check, r.country, r.identifier, &r.key, r.answer())),
        )
        .chain(
            sequences()
                .iter()
                .map(|r| (r.check, r.country, r.identifier, &r.key, r.answer())),
        );
    for (check, country, identifier, key, answer) in rows {
        s.push_str(&format!(
            "| {} | {country} | {identifier} | `{key}` | {answer} |\n",
            check_name(check),
        ));
    }
    s.push_str(
        "\nRows marked *trap* rehearse the vendors' bad days (`sandbox::traps()`, apart from \
`sandbox::scenarios()` so suites that walk every ordinary row never meet them).\n\n\
",
    );
    s.push_str(&format!(
        "Rows whose answer *changes per call* (`sandbox::sequences()`) rehearse an applicant checked again weeks \
later, for `riskdesk history applicant`: the n-th call the sandbox answers gets the n-th answer, and every \
call after the last answer gets the last one again. Only answered calls count: a request refused for its \
credentials or fields, or whose answer a fault swallows (`hang`, `drop`, `502`, `truncated`), does not \
advance the row; polls of a task never do. The built-in sandbox (each `riskdesk check`, `tasks` or console \
run without credentials, or with `--sandbox`) counts in the data directory, \
`<data dir>/{SEQUENCE_DIR}/<check>-<value>`, one byte per call, so separate runs advance the same row, and \
two runs at once never get the same answer; delete that directory (or one file in it) to start the rows \
again. `riskdesk sandbox` and `Sandbox::start` with the default options count in memory: a restart \
starts again. The Indonesian phone `{id}` is one applicant for both debts-report and credit-willingness; \
`{mx}` is a good multiplatform phone for `{idn}`; the phone-status row's tasks answer its task step's \
status after the pending time.\n\n",
        id = super::SEQUENCE_PHONE_ID,
        mx = super::SEQUENCE_PHONE_MX,
        idn = super::SEQUENCE_ID_NUMBER,
    ));
    s.push_str(
        "Phones are keyed in national format: debts-report accepts `mobile` as `62…`, `+62…` or `0…`, \
or `mobile_md5` of any of those; multiple-order matches `mobile_no` = md5(`91` + the ten digits); \
phone-status matches the last ten digits of `phone_number`. \
Multiplatform rows are keyed on `id_number` in any supported country.\n\n\
Only what the pages define is accepted, so a client mistake fails a test instead of being forgiven:\n\n\
- multiple-order `mobile_no` must be the md5 of country code + number (the page's `md5(915586685366)`); the md5 \
of a row's number spelled any other way (without `91`, with a trunk `0`, `+91`, `0091`, `910…`) is HTTP 400 \
`INVALID_ARGUMENT`, reason `argument 'mobile_no': invalid: md5 of …`. Hex in either case is accepted.\n\
- phone-status `phone_number` is `52` and ten digits, the first not 0 or 1 (a leading `+` is accepted; the \
retired mobile `1`, `521…`, is not); anything else HTTP 400 `INVALID_ARGUMENT`, reason \
`argument 'phone_number': invalid`.\n\
- multiplatform `phone_number`, without country code, digits only, else 9081: IN, MX and CO 10 digits not \
starting with 0 (the page does not name Colombia; its numbers are 10 digits without a trunk prefix); TH 10 digits \
starting with 0; PH 11 digits starting with 0; VN, NG and PK starting with 0, 9 to 11 digits (the page gives no \
length). Never `00…`.\n\
- credit-willingness `phone_number`: digits starting `08`, 10 to 13 digits, else 11001.\n\
- debts-report `mobile` has no documented format: any of 8 to 15 digits (after an optional `+`) is taken. \
No Indonesian number has a `0` after the country code, so `620…` answers `NOT_HIT`, as does a row's number with \
the country code written twice (`6262…`): the vendor has no record of either.\n\n\
Choices where the pages are silent:\n\n\
- AccuAuth wrong or missing `X-DF-API-ID`/`X-DF-API-SECRET`: HTTP 401 `UNAUTHORIZED`. A missing field: \
HTTP 400 `INVALID_ARGUMENT`, reason `argument 'NAME': not found`; a malformed one: `argument 'NAME': invalid`. \
Unknown paths: HTTP 404 `NOT_FOUND`.\n\
- `/check/phone_number/o1` answers HTTP 200 `{\"status\":\"OK\",\"task_id\":\"…\",\"request_id\":\"…\"}` \
(`task_id` top-level) or `{\"status\":\"OK\",\"result\":{\"phone_number\":\"0052********\",\"phone_status\":\"…\"},…}`.\n\
- multiple-order `source` keeps only that source's records; `date` is the backtrack start: records on or before \
that day (record days are relative to today). A hit whose records are all filtered out answers `target: false`.\n\
- A `task_id` carries its issue time and number under a checksum, so a sandbox started later (riskdesk keeps \
its phone tasks across restarts) still answers for it.\n\
- A `task_id` no sandbox issued: HTTP 400 `INVALID_ARGUMENT`, reason `argument 'task_id': task not found` \
(the documented `NOT_FOUND` means \"Requested API cannot be found\", not an unknown task).\n\
- A task older than 24 hours: HTTP 400 `INVALID_ARGUMENT`, reason \
`argument 'task_id': task expired, a task_id is valid within 24 hours`.\n\
- TrustDecision answers HTTP 200 with the `code` in the body, errors included. A missing `partner_code`/`partner_key` is \
9060 `partner_code empty` (multiplatform) or 11000 `partner_code input parameter empty` (willingness); wrong values are \
300 `Service not purchased or not effective` (multiplatform) or 301 `Service not purchased` (willingness).\n\
- Multiplatform validation: a missing field 9060 `{parameter} empty`; `id_type` other than `national_id`, an unsupported \
country or a package not offered there 9061 `{parameter} error`; a phone not in the country's format 9081. \
Willingness validation: 11000 `{field} input parameter empty`, 11001 `{field} input parameter error` \
(country other than ID, phone not starting 08, event_time not ISO 8601), 11002 for a body that is not a JSON object.\n\
- Multiplatform indicator names are illustrative (the page only shows `indicator_name_1`).\n\
- Faults for every answer: `SandboxOptions::fault` (parses from `latency:MS`, `hang`, `drop`, `502`, `truncated`, `trickle:MS`). Per identifier: the fault rows above, for every check; under a phone-status fault the answer is a `result` at submit. \
A dropped connection (fault or trap) is cut after the whole request was read: the request counts as received.\n\
- The first poll of a hanging-poll trap task waits `SandboxOptions::poll_hang` (10 minutes by default, real time), \
or until the client closes the connection or the sandbox stops, then answers; only that task's later polls answer at \
once. Which tasks had their first poll is kept in memory: a sandbox restart forgets it. `PENDING` without a \
`task_id` and errors echoing `task_id` are HTTP 400 (401/500 for the echoed errors) as the task_result page lists them.\n",
    );
    s.push_str(&format!(
        "- What was received: `Sandbox::stats()` / `Sandbox::received(check, key)` in process, or `GET {STATS_PATH}` \
(JSON: `requests` by path, `scenarios` by check name then row key; a phone row counts its submits and every poll \
of its tasks). Counted once the whole request was read, before any answer or fault; a restart starts from zero.\n"
    ));
    s
}
