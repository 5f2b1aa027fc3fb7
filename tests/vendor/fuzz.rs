//! No byte string as a body, under any HTTP status, makes the parser panic.

use proptest::prelude::*;
use riskdesk::check::Outcome;
use riskdesk::report::parse_report;
use riskdesk::vendor::{Endpoint, interpret};

const ENDPOINTS: [Endpoint; 6] = [
    Endpoint::DebtsReport,
    Endpoint::MultipleOrder,
    Endpoint::PhoneSubmit,
    Endpoint::PhoneTaskResult,
    Endpoint::Multiplatform,
    Endpoint::CreditWillingness,
];

/// Bodies that look like vendor JSON, so the fuzzer reaches past the JSON parser.
fn jsonish() -> impl Strategy<Value = Vec<u8>> {
    let atom = prop_oneof![
        Just("\"status\"".to_string()),
        Just("\"result\"".to_string()),
        Just("\"code\"".to_string()),
        Just("\"data\"".to_string()),
        Just("\"task_id\"".to_string()),
        Just("\"score\"".to_string()),
        Just("\"indicator_value\"".to_string()),
        Just("\"OK\"".to_string()),
        Just("\"NOT_HIT\"".to_string()),
        Just("200".to_string()),
        Just("-999".to_string()),
        Just("1e400".to_string()),
        Just("null".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(":".to_string()),
        Just(",".to_string()),
        "[a-z ]{0,6}".prop_map(|s| format!("\"{s}\"")),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
    ];
    prop::collection::vec(atom, 0..40).prop_map(|parts| parts.concat().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_body_under_any_status_panics_the_parser(
        body in prop_oneof![prop::collection::vec(any::<u8>(), 0..512), jsonish()],
        status in 0u16..1000,
        which in 0usize..6,
    ) {
        let endpoint = ENDPOINTS[which];
        let answer = interpret(endpoint, status, &body);
        prop_assert!(answer.report.is_some() || answer.error.is_some() || answer.outcome != Outcome::Ok);
        let _ = parse_report(endpoint.check(), &body);
    }
}
