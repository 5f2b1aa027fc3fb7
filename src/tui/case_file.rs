//! The applicant's case as the console shows it: built at the edge from what
//! `history::case` gathers (its timeline, headlines and what changed), so the case view
//! never reads stored records. Pure functions; the runtime gathers, tests script these.

use crate::check::{CheckKind, Outcome};
use crate::history::case::{
    self, Case, Change, changes_of, headline, report_fields, report_of, words,
};
use crate::report::Report;
use serde_json::Value;
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// How a field moved since the previous answer of its check, readable without colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Up,
    Down,
    /// Changed, not as a number (a status, a text, a value appearing or going).
    Changed,
}

impl Mark {
    pub fn symbol(self) -> &'static str {
        match self {
            Mark::Up => "▲",
            Mark::Down => "▼",
            Mark::Changed => "*",
        }
    }

    fn between(from: &Value, to: &Value) -> Mark {
        match (from.as_f64(), to.as_f64()) {
            (Some(a), Some(b)) if b > a => Mark::Up,
            (Some(a), Some(b)) if b < a => Mark::Down,
            _ => Mark::Changed,
        }
    }
}

/// One field of a stored report, in the vendor page's name.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldView {
    pub name: String,
    pub value: String,
    /// Set when it differs from the previous answer of the same check.
    pub change: Option<FieldChange>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub mark: Mark,
    pub was: String,
    /// What it means for a decision ("score fell 161 points"), when it matters.
    pub flag: Option<String>,
}

/// One lookup of the case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseEntry {
    pub id: i64,
    pub at: OffsetDateTime,
    pub check: CheckKind,
    pub outcome: Outcome,
    pub headline: String,
    pub operator: String,
    pub purpose: Option<String>,
    pub sandbox: bool,
    pub request_id: String,
    pub phone: String,
    pub id_number: String,
    /// The report's fields, changed ones first; empty unless answered.
    pub fields: Vec<FieldView>,
    /// Changes that are not a report field (a record after a not-hit, and back).
    pub other_changes: Vec<(String, FieldView)>,
    /// The previous answer (ok or not hit) of the same check it is compared with.
    pub compared_with: Option<(i64, OffsetDateTime)>,
    /// The credit-willingness score, when this is one answered.
    pub score: Option<i64>,
    /// The multiple-order list level (the worst record's), when this is one answered on
    /// the list.
    pub level: Option<i64>,
}

/// The case: the applicant's identifiers and every lookup, oldest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CaseFile {
    pub phones: Vec<String>,
    pub id_numbers: Vec<String>,
    pub names: Vec<String>,
    /// A cap was reached: more lookups may belong to this applicant.
    pub truncated: bool,
    pub entries: Vec<CaseEntry>,
}

impl CaseFile {
    pub fn lookup_ids(&self) -> Vec<i64> {
        self.entries.iter().map(|e| e.id).collect()
    }
}

/// A multiple-order answer's worst level, for the timeline and the level chart.
fn worst_level(report: &Report) -> Option<i64> {
    match report {
        Report::MultipleOrder(m) => case::worst_level(m),
        _ => None,
    }
}

/// The console's case from a gathered one: each lookup with its headline, its report's
/// fields marked where they changed since the previous answer of the same check, and the
/// figures the charts draw.
pub fn case_file(case: &Case) -> CaseFile {
    // Each lookup's changes (those that end at it), found once.
    let mut by_lookup: BTreeMap<i64, Vec<Change>> = BTreeMap::new();
    for c in changes_of(case) {
        by_lookup.entry(c.to_lookup).or_default().push(c);
    }
    let mut last_answer: BTreeMap<&str, (i64, OffsetDateTime)> = BTreeMap::new();
    let mut entries = Vec::with_capacity(case.lookups.len());
    for (rec, _) in &case.lookups {
        let answered = matches!(rec.outcome, Outcome::Ok | Outcome::NotHit);
        let compared_with = if answered {
            last_answer.insert(rec.check.cli_name(), (rec.id, rec.created_at))
        } else {
            None
        };
        let mine: &[Change] = by_lookup.get(&rec.id).map_or(&[], Vec::as_slice);
        let report = (rec.outcome == Outcome::Ok)
            .then(|| report_of(rec))
            .flatten();
        let mut fields: Vec<FieldView> = Vec::new();
        let mut unchanged: Vec<FieldView> = Vec::new();
        if let Some(r) = &report {
            for (name, value) in report_fields(r) {
                let change = mine.iter().find(|c| c.field == name).map(|c| FieldChange {
                    mark: Mark::between(&c.from, &c.to),
                    was: words(&c.from),
                    flag: c.flag.clone(),
                });
                // An empty field says nothing unless it just changed.
                if change.is_none() && value.is_null() {
                    continue;
                }
                let view = FieldView {
                    name,
                    value: words(&value),
                    change,
                };
                if view.change.is_some() {
                    fields.push(view);
                } else {
                    unchanged.push(view);
                }
            }
        }
        fields.extend(unchanged);
        let other_changes = mine
            .iter()
            .filter(|c| !fields.iter().any(|f| f.name == c.field))
            .map(|c| {
                (
                    c.field.clone(),
                    FieldView {
                        name: c.field.clone(),
                        value: words(&c.to),
                        change: Some(FieldChange {
                            mark: Mark::between(&c.from, &c.to),
                            was: words(&c.from),
                            flag: c.flag.clone(),
                        }),
                    },
                )
            })
            .collect();
        let score = match &report {
            Some(Report::CreditWillingness(w)) => Some(w.score),
            _ => None,
        };
        entries.push(CaseEntry {
            id: rec.id,
            at: rec.created_at,
            check: rec.check,
            outcome: rec.outcome,
            headline: match (&report, report.as_ref().and_then(worst_level)) {
                // The level first: what a decision turns on, and short enough for a timeline.
                (Some(Report::MultipleOrder(m)), Some(level)) => format!(
                    "level {level} ({}), {} hit(s)",
                    crate::report::OrderRecord {
                        level: Some(level),
                        ..Default::default()
                    }
                    .level_words(),
                    m.count
                ),
                _ => headline(rec),
            },
            operator: rec.operator.clone(),
            purpose: rec.purpose.clone(),
            sandbox: rec.sandbox,
            request_id: rec.vendor_request_id.clone().unwrap_or_default(),
            phone: rec.identity.phone_e164.clone(),
            id_number: rec.identity.id_number.clone(),
            fields,
            other_changes,
            compared_with,
            score,
            level: report.as_ref().and_then(worst_level),
        });
    }
    CaseFile {
        phones: case.applicant.phones.clone(),
        id_numbers: case.applicant.id_numbers.clone(),
        names: case.applicant.names.clone(),
        truncated: case.truncated,
        entries,
    }
}
