//! Which vendor checks exist, who runs them, and where they are offered.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The two vendors riskdesk talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Vendor {
    AccuAuth,
    TrustDecision,
}

impl Vendor {
    pub fn label(self) -> &'static str {
        match self {
            Vendor::AccuAuth => "AccuAuth",
            Vendor::TrustDecision => "TrustDecision",
        }
    }
}

/// One vendor risk check. The CLI names (`debts-report`, ...) are the stable spelling
/// used on the command line, in history rows and in JSON output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    DebtsReport,
    MultipleOrder,
    PhoneStatus,
    Multiplatform,
    CreditWillingness,
}

/// How a lookup ended, as the CLI, history and console spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The vendor answered with data.
    Ok,
    /// The vendor answered "no record" (AccuAuth NOT_HIT): an answer, not a failure.
    NotHit,
    /// A phone task was accepted and has no result yet.
    Pending,
    /// The vendor or the network failed, or the vendor refused the request.
    Error,
    /// Not sent: the identifiers the check needs were missing or invalid.
    Skipped,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Ok,
        Outcome::NotHit,
        Outcome::Pending,
        Outcome::Error,
        Outcome::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NotHit => "not_hit",
            Outcome::Pending => "pending",
            Outcome::Error => "error",
            Outcome::Skipped => "skipped",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == wanted)
            .ok_or_else(|| {
                format!("unknown outcome '{s}': expected ok, not_hit, pending, error or skipped")
            })
    }
}

/// Countries the TrustDecision multiplatform page lists.
pub const MULTIPLATFORM_COUNTRIES: &[&str] = &["MX", "IN", "TH", "CO", "PH", "VN", "NG", "PK"];

impl CheckKind {
    pub const ALL: [CheckKind; 5] = [
        CheckKind::DebtsReport,
        CheckKind::MultipleOrder,
        CheckKind::PhoneStatus,
        CheckKind::Multiplatform,
        CheckKind::CreditWillingness,
    ];

    pub fn cli_name(self) -> &'static str {
        match self {
            CheckKind::DebtsReport => "debts-report",
            CheckKind::MultipleOrder => "multiple-order",
            CheckKind::PhoneStatus => "phone-status",
            CheckKind::Multiplatform => "multiplatform",
            CheckKind::CreditWillingness => "credit-willingness",
        }
    }

    /// A short human title, for tabs and tables.
    pub fn title(self) -> &'static str {
        match self {
            CheckKind::DebtsReport => "Debts report",
            CheckKind::MultipleOrder => "Multiple order",
            CheckKind::PhoneStatus => "Phone status",
            CheckKind::Multiplatform => "Multiplatform",
            CheckKind::CreditWillingness => "Credit willingness",
        }
    }

    pub fn vendor(self) -> Vendor {
        match self {
            CheckKind::DebtsReport | CheckKind::MultipleOrder | CheckKind::PhoneStatus => {
                Vendor::AccuAuth
            }
            CheckKind::Multiplatform | CheckKind::CreditWillingness => Vendor::TrustDecision,
        }
    }

    /// ISO 3166 alpha-2 countries in which the vendor offers this check.
    pub fn countries(self) -> &'static [&'static str] {
        match self {
            CheckKind::DebtsReport => &["ID"],
            CheckKind::MultipleOrder => &["IN"],
            CheckKind::PhoneStatus => &["MX"],
            CheckKind::Multiplatform => MULTIPLATFORM_COUNTRIES,
            CheckKind::CreditWillingness => &["ID"],
        }
    }

    pub fn offered_in(self, country: &str) -> bool {
        self.countries()
            .iter()
            .any(|c| c.eq_ignore_ascii_case(country.trim()))
    }

    /// Why the check is not offered for `country`, or `None` when it is.
    pub fn not_offered_reason(self, country: &str) -> Option<String> {
        if self.offered_in(country) {
            None
        } else {
            Some(format!(
                "{} is offered only for {}",
                self.title(),
                self.countries().join(", ")
            ))
        }
    }

    /// The checks offered for a country, in display order.
    pub fn offered_for(country: &str) -> Vec<CheckKind> {
        CheckKind::ALL
            .into_iter()
            .filter(|c| c.offered_in(country))
            .collect()
    }
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.cli_name())
    }
}

impl FromStr for CheckKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        CheckKind::ALL
            .into_iter()
            .find(|c| c.cli_name() == wanted)
            .ok_or_else(|| {
                format!(
                    "unknown check '{s}': expected one of {}",
                    CheckKind::ALL.map(|c| c.cli_name()).join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in CheckKind::ALL {
            assert_eq!(c.cli_name().parse::<CheckKind>().unwrap(), c);
            assert_eq!(serde_json::to_value(c).unwrap(), c.cli_name());
        }
        assert!("debts_report".parse::<CheckKind>().is_ok());
        assert!("nope".parse::<CheckKind>().is_err());
    }

    #[test]
    fn offered_by_country() {
        assert_eq!(
            CheckKind::offered_for("ID"),
            vec![CheckKind::DebtsReport, CheckKind::CreditWillingness]
        );
        assert_eq!(
            CheckKind::offered_for("in"),
            vec![CheckKind::MultipleOrder, CheckKind::Multiplatform]
        );
        assert_eq!(
            CheckKind::offered_for("MX"),
            vec![CheckKind::PhoneStatus, CheckKind::Multiplatform]
        );
        assert!(CheckKind::offered_for("FR").is_empty());
        assert!(CheckKind::DebtsReport.not_offered_reason("MX").is_some());
    }
}
