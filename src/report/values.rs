//! Vendor values with special meanings, spelled out: phone statuses and indicator values.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// AccuAuth `phone_status`, the eight documented values plus whatever else arrives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PhoneStatus {
    Ring,
    Connected,
    Empty,
    Busy,
    TurnedOff,
    OutsideServiceArea,
    LineAbnormal,
    TempUnavailable,
    /// A value the page does not list, kept as sent.
    Other(String),
}

impl PhoneStatus {
    pub const KNOWN: [PhoneStatus; 8] = [
        PhoneStatus::Ring,
        PhoneStatus::Connected,
        PhoneStatus::Empty,
        PhoneStatus::Busy,
        PhoneStatus::TurnedOff,
        PhoneStatus::OutsideServiceArea,
        PhoneStatus::LineAbnormal,
        PhoneStatus::TempUnavailable,
    ];

    /// Lenient: case and surrounding spaces are ignored, `-` and ` ` read as `_`.
    pub fn parse(raw: &str) -> PhoneStatus {
        let wanted = raw.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        PhoneStatus::KNOWN
            .into_iter()
            .find(|s| s.as_str() == wanted)
            .unwrap_or_else(|| PhoneStatus::Other(raw.trim().to_string()))
    }

    /// The vendor's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            PhoneStatus::Ring => "ring",
            PhoneStatus::Connected => "connected",
            PhoneStatus::Empty => "empty",
            PhoneStatus::Busy => "busy",
            PhoneStatus::TurnedOff => "turned_off",
            PhoneStatus::OutsideServiceArea => "outside_service_area",
            PhoneStatus::LineAbnormal => "line_abnormal",
            PhoneStatus::TempUnavailable => "temp_unavailable",
            PhoneStatus::Other(s) => s,
        }
    }

    /// What the status means, in the page's words.
    pub fn words(&self) -> &str {
        match self {
            PhoneStatus::Ring => "The phone is on and rings",
            PhoneStatus::Connected => "User connected the phone",
            PhoneStatus::Empty => "The phone number is empty (not in service)",
            PhoneStatus::Busy => "The phone is busy now",
            PhoneStatus::TurnedOff => "The phone is turned off",
            PhoneStatus::OutsideServiceArea => "The phone is not in the service area",
            PhoneStatus::LineAbnormal => "Line abnormality, try again later",
            PhoneStatus::TempUnavailable => "Temporarily unreachable, try again later",
            PhoneStatus::Other(_) => "A status the vendor's page does not describe",
        }
    }
}

impl Serialize for PhoneStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PhoneStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(PhoneStatus::parse(&String::deserialize(d)?))
    }
}

/// TrustDecision's "no record in the library".
pub const NO_RECORD: i64 = -999;
/// TrustDecision's "unable to calculate".
pub const UNABLE: i64 = -1111;

/// A TrustDecision `indicator_value` (its type varies by indicator).
#[derive(Debug, Clone, PartialEq)]
pub enum IndicatorValue {
    Number(f64),
    Text(String),
    /// -999: no record in the library.
    NoRecord,
    /// -1111: unable to calculate.
    Unable,
    /// Null or absent.
    Missing,
}

impl IndicatorValue {
    pub fn from_json(value: &Value) -> IndicatorValue {
        match value {
            Value::Null => IndicatorValue::Missing,
            Value::Number(n) => Self::from_number(n.as_f64().unwrap_or(f64::NAN), n.to_string()),
            Value::String(s) => match s.trim().parse::<f64>() {
                Ok(f) if f.is_finite() => Self::from_number(f, s.trim().to_string()),
                _ => IndicatorValue::Text(s.clone()),
            },
            other => IndicatorValue::Text(other.to_string()),
        }
    }

    fn from_number(f: f64, raw: String) -> IndicatorValue {
        if f == NO_RECORD as f64 {
            IndicatorValue::NoRecord
        } else if f == UNABLE as f64 {
            IndicatorValue::Unable
        } else if f.is_finite() {
            IndicatorValue::Number(f)
        } else {
            IndicatorValue::Text(raw)
        }
    }

    /// The value as a person reads it, special values spelled out.
    pub fn words(&self) -> String {
        match self {
            IndicatorValue::Number(f) => format_number(*f),
            IndicatorValue::Text(s) => s.clone(),
            IndicatorValue::NoRecord => "no record (-999)".into(),
            IndicatorValue::Unable => "unable to calculate (-1111)".into(),
            IndicatorValue::Missing => "no value".into(),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            IndicatorValue::Number(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                Value::from(*f as i64)
            }
            IndicatorValue::Number(f) => Value::from(*f),
            IndicatorValue::Text(s) => Value::from(s.clone()),
            IndicatorValue::NoRecord => Value::from(NO_RECORD),
            IndicatorValue::Unable => Value::from(UNABLE),
            IndicatorValue::Missing => Value::Null,
        }
    }
}

/// Whole numbers without a trailing `.0`.
pub fn format_number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

impl Serialize for IndicatorValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl<'de> Deserialize<'de> for IndicatorValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(IndicatorValue::from_json(&Value::deserialize(d)?))
    }
}

/// What an `indicator_status` means.
pub fn indicator_status_words(status: Option<i64>) -> &'static str {
    match status {
        Some(200) => "success",
        Some(201) => "no record of the phone number and ID number",
        Some(202) => "indicator cannot be calculated",
        Some(500) => "vendor system error",
        Some(_) => "undocumented status",
        None => "no status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn phone_statuses_round_trip() {
        for s in PhoneStatus::KNOWN {
            assert_eq!(PhoneStatus::parse(s.as_str()), s);
            assert!(!s.words().is_empty());
        }
        assert_eq!(PhoneStatus::parse(" Turned-Off "), PhoneStatus::TurnedOff);
        assert_eq!(
            PhoneStatus::parse("ported"),
            PhoneStatus::Other("ported".into())
        );
    }

    #[test]
    fn special_indicator_values() {
        assert_eq!(
            IndicatorValue::from_json(&json!(-999)),
            IndicatorValue::NoRecord
        );
        assert_eq!(
            IndicatorValue::from_json(&json!("-1111")),
            IndicatorValue::Unable
        );
        assert_eq!(
            IndicatorValue::from_json(&json!(1)),
            IndicatorValue::Number(1.0)
        );
        assert_eq!(
            IndicatorValue::from_json(&json!("A")),
            IndicatorValue::Text("A".into())
        );
        assert_eq!(IndicatorValue::NoRecord.words(), "no record (-999)");
        assert_eq!(
            serde_json::to_value(IndicatorValue::Unable).unwrap(),
            json!(-1111)
        );
        assert_eq!(
            serde_json::to_value(IndicatorValue::Number(2.0)).unwrap(),
            json!(2)
        );
    }
}
