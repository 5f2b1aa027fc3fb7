//! A check's result in our own words. Screens, the CLI and history read these types and
//! never the vendors' wire formats. Field names follow the vendor pages so JSON output
//! matches what an underwriter finds in the vendor's documentation.
//!
//! [`parse_report`] is pure: the client uses it on a success body, and history or the
//! console can re-render a stored raw body with it months later.

pub mod lenient;
mod summary;
mod values;

pub use values::{
    IndicatorValue, NO_RECORD, PhoneStatus, UNABLE, format_number, indicator_status_words,
};

use crate::check::CheckKind;
use lenient::{float, int, present, text};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Report {
    DebtsReport(DebtsReport),
    MultipleOrder(MultipleOrderReport),
    PhoneStatus(PhoneStatusReport),
    Multiplatform(MultiplatformReport),
    CreditWillingness(WillingnessReport),
}

impl Report {
    pub fn check(&self) -> CheckKind {
        match self {
            Report::DebtsReport(_) => CheckKind::DebtsReport,
            Report::MultipleOrder(_) => CheckKind::MultipleOrder,
            Report::PhoneStatus(_) => CheckKind::PhoneStatus,
            Report::Multiplatform(_) => CheckKind::Multiplatform,
            Report::CreditWillingness(_) => CheckKind::CreditWillingness,
        }
    }
}

/// AccuAuth debts_report. A field the vendor left out is `None`, never a made-up zero.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DebtsReport {
    pub reg_total_num: Option<i64>,
    pub apply_total_num: Option<i64>,
    pub approved_total_num: Option<i64>,
    pub reject_total_num: Option<i64>,
    pub loan_total_num: Option<i64>,
    pub apply_amount_min: Option<f64>,
    pub apply_amount_max: Option<f64>,
    pub apply_amount_avg: Option<f64>,
    pub loan_amount_min: Option<f64>,
    pub loan_amount_max: Option<f64>,
    pub loan_amount_avg: Option<f64>,
    pub platform_reg_total: Option<i64>,
    pub platform_apply_total: Option<i64>,
    pub platform_approved_total: Option<i64>,
    pub platform_reject_total: Option<i64>,
    pub platform_loan_total: Option<i64>,
}

/// AccuAuth multiple_order: is the person on the multiple order list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MultipleOrderReport {
    /// Hit or not.
    pub target: bool,
    /// Hit count as sent, or the number of records when the vendor leaves it out.
    pub count: u64,
    pub data: Vec<OrderRecord>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderRecord {
    pub day: Option<String>,
    /// seat, voice or sms.
    pub source: Option<String>,
    pub cid: Option<String>,
    /// Seconds connected to a service agent (seat records only).
    pub duration: Option<String>,
    /// 1 whitelist .. 5 blacklist.
    pub level: Option<i64>,
}

impl OrderRecord {
    pub fn level_words(&self) -> &'static str {
        match self.level {
            Some(1) => "whitelist",
            Some(2) => "secondary whitelist",
            Some(3) => "normal customer",
            Some(4) => "greylist",
            Some(5) => "blacklist",
            Some(_) => "undocumented level",
            None => "no level",
        }
    }
}

/// AccuAuth phone_number: the state of the line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhoneStatusReport {
    /// As the vendor sends it (often masked, e.g. `0062********`).
    pub phone_number: String,
    pub phone_status: PhoneStatus,
}

/// TrustDecision multiplatform: one value per indicator of the chosen package.
/// The vendor names the list `data`; we call it what it holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MultiplatformReport {
    #[serde(alias = "data")]
    pub indicators: Vec<Indicator>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    pub indicator_name: String,
    pub indicator_value: IndicatorValue,
    /// 200 success, 201 no record, 202 cannot be calculated, 500 system error.
    pub indicator_status: Option<i64>,
}

impl Indicator {
    pub fn status_words(&self) -> &'static str {
        indicator_status_words(self.indicator_status)
    }
}

/// TrustDecision credit willingness: the higher the score (300-900), the stronger the
/// willingness to take credit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WillingnessReport {
    pub score: i64,
    pub result: Option<String>,
    pub detail: Option<String>,
    pub order_id: Option<String>,
}

/// Why a body gave no report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("the answer is not JSON")]
    NotJson,
    #[error("the answer is not a JSON object")]
    NotObject,
    #[error("the answer has no {0}")]
    Missing(&'static str),
}

/// Parses a success body (the whole envelope, as the vendor sent it) into a report.
pub fn parse_report(check: CheckKind, body: &[u8]) -> Result<Report, ReportError> {
    let value = lenient::parse_json(body).ok_or(ReportError::NotJson)?;
    let envelope = lenient::trimmed_object(&value).ok_or(ReportError::NotObject)?;
    report_from_envelope(check, &envelope)
}

/// Builds the report from an envelope whose keys are already trimmed.
pub fn report_from_envelope(
    check: CheckKind,
    envelope: &Map<String, Value>,
) -> Result<Report, ReportError> {
    match check {
        CheckKind::DebtsReport => {
            let result = accuauth_result(envelope)?;
            Ok(Report::DebtsReport(debts(&result)))
        }
        CheckKind::MultipleOrder => {
            let result = accuauth_result(envelope)?;
            Ok(Report::MultipleOrder(multiple_order(&result)))
        }
        CheckKind::PhoneStatus => {
            let result = accuauth_result(envelope)?;
            let phone_status =
                text(&result, "phone_status").ok_or(ReportError::Missing("phone_status"))?;
            Ok(Report::PhoneStatus(PhoneStatusReport {
                phone_number: text(&result, "phone_number").unwrap_or_default(),
                phone_status: PhoneStatus::parse(&phone_status),
            }))
        }
        CheckKind::Multiplatform => {
            let data = present(envelope, "data").ok_or(ReportError::Missing("data"))?;
            let indicators = lenient::objects(data)
                .iter()
                .filter_map(indicator)
                .collect();
            Ok(Report::Multiplatform(MultiplatformReport { indicators }))
        }
        CheckKind::CreditWillingness => {
            // Some deployments nest the answer in `data`; the page puts it at the top.
            let nested = present(envelope, "data").and_then(lenient::one_object);
            let source = match &nested {
                Some(inner) if int(inner, "score").is_some() => inner,
                _ => envelope,
            };
            let score = int(source, "score").ok_or(ReportError::Missing("score"))?;
            Ok(Report::CreditWillingness(WillingnessReport {
                score,
                result: text(source, "result"),
                detail: text(source, "detail"),
                order_id: text(source, "order_id").or_else(|| text(envelope, "order_id")),
            }))
        }
    }
}

fn accuauth_result(envelope: &Map<String, Value>) -> Result<Map<String, Value>, ReportError> {
    present(envelope, "result")
        .and_then(lenient::one_object)
        .ok_or(ReportError::Missing("result"))
}

fn debts(r: &Map<String, Value>) -> DebtsReport {
    DebtsReport {
        reg_total_num: int(r, "reg_total_num"),
        apply_total_num: int(r, "apply_total_num"),
        approved_total_num: int(r, "approved_total_num"),
        reject_total_num: int(r, "reject_total_num"),
        loan_total_num: int(r, "loan_total_num"),
        apply_amount_min: float(r, "apply_amount_min"),
        apply_amount_max: float(r, "apply_amount_max"),
        apply_amount_avg: float(r, "apply_amount_avg"),
        loan_amount_min: float(r, "loan_amount_min"),
        loan_amount_max: float(r, "loan_amount_max"),
        loan_amount_avg: float(r, "loan_amount_avg"),
        platform_reg_total: int(r, "platform_reg_total"),
        platform_apply_total: int(r, "platform_apply_total"),
        platform_approved_total: int(r, "platform_approved_total"),
        platform_reject_total: int(r, "platform_reject_total"),
        platform_loan_total: int(r, "platform_loan_total"),
    }
}

fn multiple_order(r: &Map<String, Value>) -> MultipleOrderReport {
    let data: Vec<OrderRecord> = present(r, "data")
        .map(lenient::objects)
        .unwrap_or_default()
        .iter()
        .map(|d| OrderRecord {
            day: text(d, "day"),
            source: text(d, "source"),
            cid: text(d, "cid"),
            duration: text(d, "duration"),
            level: int(d, "level"),
        })
        .collect();
    let count = int(r, "count")
        .and_then(|c| u64::try_from(c).ok())
        .unwrap_or(data.len() as u64);
    // `target` is documented as a string and sent as a boolean; with neither, a count says it.
    let target = r
        .get("target")
        .and_then(lenient::as_bool)
        .unwrap_or(count > 0);
    MultipleOrderReport {
        target,
        count,
        data,
    }
}

fn indicator(m: &Map<String, Value>) -> Option<Indicator> {
    Some(Indicator {
        indicator_name: text(m, "indicator_name")?,
        indicator_value: m
            .get("indicator_value")
            .map(IndicatorValue::from_json)
            .unwrap_or(IndicatorValue::Missing),
        indicator_status: int(m, "indicator_status"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debts_sample_with_padded_keys() {
        let body = br#"{"status":"OK","result":{"reg_total_num":24,"apply_total_num ":"6","apply_amount_avg ":6000},"request_id":"T"}"#;
        let Report::DebtsReport(r) = parse_report(CheckKind::DebtsReport, body).unwrap() else {
            panic!("wrong report")
        };
        assert_eq!(r.reg_total_num, Some(24));
        assert_eq!(r.apply_total_num, Some(6));
        assert_eq!(r.apply_amount_avg, Some(6000.0));
        assert_eq!(r.loan_total_num, None);
    }

    #[test]
    fn debts_result_as_array_of_one() {
        let body = br#"{"status":"OK","result":[{"reg_total_num":"3"}]}"#;
        let report = parse_report(CheckKind::DebtsReport, body).unwrap();
        assert!(matches!(
            report,
            Report::DebtsReport(DebtsReport {
                reg_total_num: Some(3),
                ..
            })
        ));
    }

    #[test]
    fn multiple_order_leniency() {
        let body = br#"{"result":{"target":"true","data":{"day":"2022-10-03","cid":11323,"duration":17,"level":"5"}}}"#;
        let Report::MultipleOrder(r) = parse_report(CheckKind::MultipleOrder, body).unwrap() else {
            panic!("wrong report")
        };
        assert!(r.target);
        assert_eq!(r.count, 1);
        assert_eq!(r.data[0].cid.as_deref(), Some("11323"));
        assert_eq!(r.data[0].duration.as_deref(), Some("17"));
        assert_eq!(r.data[0].level_words(), "blacklist");
    }

    #[test]
    fn missing_parts_are_errors_not_panics() {
        assert_eq!(
            parse_report(CheckKind::PhoneStatus, b"nope"),
            Err(ReportError::NotJson)
        );
        assert_eq!(
            parse_report(CheckKind::PhoneStatus, b"[1]"),
            Err(ReportError::NotObject)
        );
        assert_eq!(
            parse_report(CheckKind::PhoneStatus, br#"{"status":"PENDING"}"#),
            Err(ReportError::Missing("result"))
        );
        assert_eq!(
            parse_report(CheckKind::CreditWillingness, br#"{"code":200}"#),
            Err(ReportError::Missing("score"))
        );
    }

    #[test]
    fn willingness_score_as_string() {
        let body = br#"{"code":"200","score":"838","result":null,"order_id":"123"}"#;
        let Report::CreditWillingness(r) =
            parse_report(CheckKind::CreditWillingness, body).unwrap()
        else {
            panic!("wrong report")
        };
        assert_eq!(r.score, 838);
        assert_eq!(r.result, None);
        assert_eq!(r.order_id.as_deref(), Some("123"));
    }

    #[test]
    fn report_round_trips_through_json() {
        let body = br#"{"code":200,"data":[{"indicator_name":"a","indicator_status":201,"indicator_value":-999},{"indicator_name":"b","indicator_value":"x"}]}"#;
        let report = parse_report(CheckKind::Multiplatform, body).unwrap();
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["type"], "multiplatform");
        assert_eq!(json["indicators"][0]["indicator_value"], -999);
        let back: Report = serde_json::from_value(json).unwrap();
        assert_eq!(back, report);
        assert_eq!(back.check(), CheckKind::Multiplatform);
    }
}
