//! One applicant's case: every lookup sharing a phone or an ID number with the ones found,
//! oldest first, and what changed between consecutive answers of each check.
//!
//! [`gather`] only reads a [`History`]; [`changes`] and [`headline`] are pure over stored
//! records, so the CLI, a Markdown file or the console can say the same thing.

use super::{History, HistoryError, KeyQuery, LookupRecord, LookupSummary, MAX_LIMIT, SearchQuery};
use super::{id_key, phone_candidates, phone_nsn};
use crate::check::{CheckKind, Outcome};
use crate::report::{IndicatorValue, MultipleOrderReport, PhoneStatus, Report};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

mod markdown;
pub use markdown::{CaseFileHeader, cell, write_markdown, write_markdown_from};

/// At most this many lookups make a case (and a name lists candidates from at most this
/// many rows): a case is always bounded.
pub const CASE_CAP: usize = 10_000;
/// At most this many distinct phones and ID numbers are joined in the second round.
pub const KEY_CAP: usize = 100;

/// How the applicant is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseKey {
    /// Any spelling `history search` accepts.
    Phone(String),
    IdNumber(String),
}

/// The applicant's identifiers as found in the case's lookups.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applicant {
    pub phones: Vec<String>,
    pub id_numbers: Vec<String>,
    pub names: Vec<String>,
}

/// The gathered case: lookups oldest → newest, with their uuids.
#[derive(Debug, Clone, Default)]
pub struct Case {
    pub applicant: Applicant,
    pub lookups: Vec<(LookupRecord, String)>,
    /// A cap was reached: more lookups may belong to this applicant.
    pub truncated: bool,
}

/// One applicant a name fragment may stand for (names never join lookups).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub phone_e164: String,
    pub id_number: String,
    pub names: Vec<String>,
    pub lookups: usize,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen: OffsetDateTime,
}

/// One changed field between two consecutive answers of a check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub check: CheckKind,
    /// The vendor page's name for the field (`score`, `level`, `phone_status`, ...).
    pub field: String,
    pub from: Value,
    pub to: Value,
    pub from_lookup: i64,
    pub to_lookup: i64,
    #[serde(skip)]
    pub from_at: OffsetDateTime,
    /// When the later lookup was made.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// What it means for a decision, when it matters ("score fell 161 points").
    pub flag: Option<String>,
}

/// What changed in a case, as the writers read it: found already, or being found on another
/// thread while they write the timeline (the writers wait for it only when they reach
/// "what changed").
pub enum Changes<'a, 's> {
    Found(std::borrow::Cow<'a, [Change]>),
    Finding(Option<std::thread::ScopedJoinHandle<'s, Vec<Change>>>),
}

impl Changes<'_, '_> {
    /// The changes, waiting for them if they are still being found (a panic there is
    /// this thread's).
    pub fn get(&mut self) -> &[Change] {
        if let Changes::Finding(handle) = self {
            let found = match handle.take().map(|h| h.join()) {
                Some(Ok(found)) => found,
                Some(Err(panic)) => std::panic::resume_unwind(panic),
                None => Vec::new(),
            };
            *self = Changes::Found(std::borrow::Cow::Owned(found));
        }
        match self {
            Changes::Found(found) => found,
            Changes::Finding(_) => &[],
        }
    }
}

impl<'a> From<&'a [Change]> for Changes<'a, '_> {
    fn from(found: &'a [Change]) -> Self {
        Changes::Found(std::borrow::Cow::Borrowed(found))
    }
}

/// Pages through every row `text` finds (within the dates), keeping those `keep` accepts;
/// at most [`CASE_CAP`] rows read. Returns the rows and whether the cap was reached.
fn walk(
    h: &dyn History,
    text: &str,
    since: Option<time::Date>,
    until: Option<time::Date>,
    keep: &mut dyn FnMut(&LookupSummary) -> bool,
) -> Result<(Vec<LookupSummary>, bool), HistoryError> {
    let mut q = SearchQuery {
        text: text.to_string(),
        since,
        until,
        limit: MAX_LIMIT.min(CASE_CAP),
        ..SearchQuery::default()
    };
    let mut rows = Vec::new();
    let mut read = 0usize;
    // Name scans may return short pages: the page count is bounded too.
    for _ in 0..100 {
        let page = h.search(&q)?;
        read += page.rows.len();
        rows.extend(page.rows.into_iter().filter(|r| keep(r)));
        match page.next {
            Some(next) if read < CASE_CAP => q.before = Some(next),
            Some(_) => return Ok((rows, true)),
            None => return Ok((rows, false)),
        }
    }
    Ok((rows, true))
}

/// The phone and ID-number keys a lookup is found by.
fn keys_of(r: &LookupRecord) -> (String, String) {
    let i = &r.identity;
    (phone_nsn(&i.phone_e164, &i.country), id_key(&i.id_number))
}

/// Gathers the case of the applicant `key` names: the lookups found by it, then every
/// lookup sharing a phone or an ID number with those (one more round), each once, oldest
/// → newest, within `since`..=`until` (UTC days).
///
/// Both rounds go through the store's key indexes ([`History::ids_by_keys`]); only rows
/// not read yet are read ([`History::get_many_for_case`]). The second round's keys include the
/// first's, so its ids are the case (the newest [`CASE_CAP`] when there are more).
pub fn gather(
    h: &dyn History,
    key: &CaseKey,
    since: Option<time::Date>,
    until: Option<time::Date>,
) -> Result<Case, HistoryError> {
    gather_all(h, std::slice::from_ref(key), since, until)
}

/// [`gather`] from several keys of one applicant at once (the console's form or history row
/// holds a phone and an ID number): every key seeds the first round, so the case is the
/// one both would find together, in one pass.
pub fn gather_all(
    h: &dyn History,
    seeds: &[CaseKey],
    since: Option<time::Date>,
    until: Option<time::Date>,
) -> Result<Case, HistoryError> {
    let mut keys = KeyQuery {
        since,
        until,
        limit: CASE_CAP,
        ..KeyQuery::default()
    };
    for key in seeds {
        match key {
            CaseKey::Phone(p) => keys.phone_nsns.extend(phone_candidates(p)),
            CaseKey::IdNumber(n) => keys.id_keys.push(id_key(n)),
        }
    }
    keys.phone_nsns.sort();
    keys.phone_nsns.dedup();
    keys.id_keys.sort();
    keys.id_keys.dedup();
    keys.phone_nsns.retain(|k| !k.is_empty());
    keys.id_keys.retain(|k| !k.is_empty());
    let (first, mut truncated) = h.ids_by_keys(&keys)?;
    // The records stay where they were read (they are large): only ids are looked up.
    let mut found: Vec<(LookupRecord, String)> = h.get_many_for_case(&first)?;
    let mut phones: BTreeSet<String> = keys.phone_nsns.iter().cloned().collect();
    let mut ids: BTreeSet<String> = keys.id_keys.iter().cloned().collect();
    let before = phones.len() + ids.len();
    let mut seen_identity: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    for (r, _) in &found {
        let i = &r.identity;
        if !seen_identity.insert((&i.phone_e164, &i.country, &i.id_number)) {
            continue;
        }
        let (p, i) = keys_of(r);
        for (set, k) in [(&mut phones, p), (&mut ids, i)] {
            if !k.is_empty() && !set.contains(&k) {
                if set.len() >= KEY_CAP {
                    truncated = true;
                } else {
                    set.insert(k);
                }
            }
        }
    }
    if phones.len() + ids.len() > before {
        keys.phone_nsns = phones.into_iter().collect();
        keys.id_keys = ids.into_iter().collect();
        let (all, more) = h.ids_by_keys(&keys)?;
        // The key cap may have dropped keys already: that stays said.
        truncated |= more;
        let wanted: BTreeSet<i64> = all.iter().copied().collect();
        found.retain(|(r, _)| wanted.contains(&r.id));
        let have: BTreeSet<i64> = found.iter().map(|(r, _)| r.id).collect();
        let missing: Vec<i64> = all.into_iter().filter(|id| !have.contains(id)).collect();
        found.extend(h.get_many_for_case(&missing)?);
    }
    // Who ran each lookup is the database's word where it has one (a team history's role,
    // stamped by the server), as `history show` says it.
    let ids: Vec<i64> = found.iter().map(|(r, _)| r.id).collect();
    let roles: BTreeMap<i64, String> = h.operator_roles(&ids)?.into_iter().collect();
    if !roles.is_empty() {
        for (r, _) in &mut found {
            if let Some(role) = roles.get(&r.id) {
                r.operator = role.clone();
            }
        }
    }
    Ok(Case::of_lookups(found, truncated))
}

impl Case {
    /// A case of these lookups: ordered oldest first, the applicant's phones, ID numbers and
    /// names in the order first seen (each once).
    pub fn of_lookups(mut lookups: Vec<(LookupRecord, String)>, truncated: bool) -> Case {
        lookups.sort_by_key(|(r, _)| (r.created_at, r.id));
        let mut applicant = Applicant::default();
        let mut seen = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        for (r, _) in &lookups {
            let i = &r.identity;
            if !i.phone_e164.is_empty() && seen.0.insert(i.phone_e164.clone()) {
                applicant.phones.push(i.phone_e164.clone());
            }
            if !i.id_number.is_empty() && seen.1.insert(id_key(&i.id_number)) {
                applicant.id_numbers.push(i.id_number.clone());
            }
            let name = i.name.trim();
            if !name.is_empty() && seen.2.insert(name.to_string()) {
                applicant.names.push(name.to_string());
            }
        }
        Case {
            applicant,
            lookups,
            truncated,
        }
    }
}

/// The distinct phone / ID number pairs whose lookups carry a name matching `name`, most
/// recently seen first. Returns them and whether the scan was capped.
pub fn candidates(
    h: &dyn History,
    name: &str,
    since: Option<time::Date>,
    until: Option<time::Date>,
) -> Result<(Vec<Candidate>, bool), HistoryError> {
    let wanted = super::fold_text(name).to_lowercase();
    let (rows, capped) = walk(h, name, since, until, &mut |r| {
        super::fold_text(&r.name).to_lowercase().contains(&wanted)
    })?;
    let mut by_pair: BTreeMap<(String, String), Candidate> = BTreeMap::new();
    for r in rows {
        let c = by_pair
            .entry((r.phone_e164.clone(), id_key(&r.id_number)))
            .or_insert_with(|| Candidate {
                phone_e164: r.phone_e164.clone(),
                id_number: r.id_number.clone(),
                names: Vec::new(),
                lookups: 0,
                last_seen: r.created_at,
            });
        c.lookups += 1;
        c.last_seen = c.last_seen.max(r.created_at);
        let n = r.name.trim().to_string();
        if !n.is_empty() && !c.names.contains(&n) {
            c.names.push(n);
        }
    }
    let mut out: Vec<Candidate> = by_pair.into_values().collect();
    out.sort_by_key(|c| std::cmp::Reverse(c.last_seen));
    Ok((out, capped))
}

/// The stored report, when it reads as one.
pub fn report_of(rec: &LookupRecord) -> Option<Report> {
    use serde::Deserialize;
    let v = rec.report.as_ref()?;
    // The variant straight from its `type` (what `Report`'s internal tag holds): serde's
    // tagged-enum path buffers the whole value first, and a case reads a thousand of them.
    let direct = match v.get("type").and_then(Value::as_str) {
        Some("debts_report") => Deserialize::deserialize(v).ok().map(Report::DebtsReport),
        Some("multiple_order") => Deserialize::deserialize(v).ok().map(Report::MultipleOrder),
        Some("phone_status") => Deserialize::deserialize(v).ok().map(Report::PhoneStatus),
        Some("multiplatform") => Deserialize::deserialize(v).ok().map(Report::Multiplatform),
        Some("credit_willingness") => Deserialize::deserialize(v)
            .ok()
            .map(Report::CreditWillingness),
        _ => None,
    };
    direct.or_else(|| Report::deserialize(v).ok())
}

/// The lookup's headline: the report's gist when answered, else what happened.
pub fn headline(rec: &LookupRecord) -> String {
    match rec.outcome {
        Outcome::Ok => match report_of(rec) {
            Some(Report::CreditWillingness(w)) => format!(
                "score {}{}",
                w.score,
                w.result.map(|r| format!(" ({r})")).unwrap_or_default()
            ),
            Some(r) => r.summary(),
            None => "answered (no readable report)".into(),
        },
        Outcome::NotHit => "no record (not hit)".into(),
        Outcome::Pending => "pending".into(),
        Outcome::Skipped => rec
            .error_message
            .clone()
            .map(|m| format!("skipped: {m}"))
            .unwrap_or_else(|| "skipped".into()),
        Outcome::Error => {
            let why = rec
                .error_message
                .clone()
                .or_else(|| rec.error_kind.clone())
                .or_else(|| rec.vendor_status.clone())
                .unwrap_or_else(|| "failed".into());
            format!("error: {why}")
        }
    }
}

/// A report as named fields, in the vendor pages' names (the names [`Change::field`]
/// carries); special values spelled out. The console marks changed fields by these names.
pub fn report_fields(report: &Report) -> Vec<(String, Value)> {
    match report {
        Report::DebtsReport(d) => match serde_json::to_value(d) {
            Ok(Value::Object(m)) => m.into_iter().collect(),
            _ => Vec::new(),
        },
        Report::MultipleOrder(m) => vec![
            ("target".into(), json!(m.target)),
            ("count".into(), json!(m.count)),
            (
                "level".into(),
                worst_level(m).map_or(Value::Null, Value::from),
            ),
        ],
        Report::PhoneStatus(p) => vec![("phone_status".into(), json!(p.phone_status.as_str()))],
        Report::Multiplatform(m) => m
            .indicators
            .iter()
            .map(|i| {
                let v = match &i.indicator_value {
                    IndicatorValue::Number(f) => json!(f),
                    IndicatorValue::Text(s) => json!(s),
                    IndicatorValue::NoRecord => json!("no record"),
                    IndicatorValue::Unable => json!("unable to calculate"),
                    IndicatorValue::Missing => Value::Null,
                };
                (i.indicator_name.clone(), v)
            })
            .collect(),
        Report::CreditWillingness(w) => vec![
            ("score".into(), json!(w.score)),
            ("result".into(), json!(w.result)),
            ("detail".into(), json!(w.detail)),
        ],
    }
}

/// A multiple-order answer's worst (highest) level; none when the phone is not listed.
pub fn worst_level(m: &MultipleOrderReport) -> Option<i64> {
    if !m.target {
        return None;
    }
    m.data.iter().filter_map(|r| r.level).max()
}

fn level_words(level: &Value) -> &'static str {
    crate::report::OrderRecord {
        level: level.as_i64(),
        ..Default::default()
    }
    .level_words()
}

fn number(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn plural(n: f64) -> String {
    crate::report::format_number(n.abs())
}

/// What a changed field means, when it matters to a decision.
fn flag(check: CheckKind, field: &str, from: &Value, to: &Value) -> Option<String> {
    match (check, field) {
        (CheckKind::CreditWillingness, "score") => {
            let d = number(to)? - number(from)?;
            let word = if d < 0.0 { "fell" } else { "rose" };
            let unit = if d.abs() == 1.0 { "point" } else { "points" };
            Some(format!("score {word} {} {unit}", plural(d)))
        }
        (CheckKind::MultipleOrder, "level") => {
            let (a, b) = (from.as_i64(), to.as_i64());
            Some(match (a, b) {
                (_, Some(5)) => "newly blacklisted".into(),
                (Some(5), _) => "no longer blacklisted".into(),
                (None, Some(_)) => format!("now on the list: {}", level_words(to)),
                (Some(_), None) => "no longer on the list".into(),
                (Some(x), Some(y)) if y > x => format!("level worsened to {}", level_words(to)),
                _ => format!("level improved to {}", level_words(to)),
            })
        }
        (CheckKind::PhoneStatus, "phone_status") => {
            let now = PhoneStatus::parse(to.as_str().unwrap_or_default());
            let was = PhoneStatus::parse(from.as_str().unwrap_or_default());
            Some(match now {
                PhoneStatus::TurnedOff => "phone now turned off".into(),
                PhoneStatus::Empty => "phone number now empty (not in service)".into(),
                PhoneStatus::Ring | PhoneStatus::Connected
                    if matches!(was, PhoneStatus::TurnedOff | PhoneStatus::Empty) =>
                {
                    "phone back in service".into()
                }
                _ => format!("phone now {}", now.as_str()),
            })
        }
        (CheckKind::Multiplatform, _) => match (from, to) {
            (Value::String(s), Value::Number(_)) if s == "no record" => Some("first record".into()),
            (Value::Number(_), Value::String(s)) if s == "no record" => Some("record gone".into()),
            _ => None,
        },
        (CheckKind::DebtsReport, f) if f.ends_with("_num") || f.ends_with("_total") => {
            let d = number(to)? - number(from)?;
            let word = if d < 0.0 { "fell" } else { "rose" };
            Some(format!("{f} {word} by {}", plural(d)))
        }
        _ => None,
    }
}

/// What changed, per check, between consecutive answers (ok or not-hit) in `lookups`
/// (oldest first): each changed field of consecutive ok reports, and the switches between
/// a record and no record. Errors, pending and skipped lookups are not compared.
pub fn changes(lookups: &[LookupRecord]) -> Vec<Change> {
    changes_in(lookups.iter())
}

/// [`changes`] of a gathered case's lookups.
pub fn changes_of(case: &Case) -> Vec<Change> {
    changes_in(case.lookups.iter().map(|(r, _)| r))
}

fn changes_in<'a>(lookups: impl Iterator<Item = &'a LookupRecord>) -> Vec<Change> {
    /// The last answer of a check, with its report's fields read once.
    type Last<'a> = (&'a LookupRecord, Option<Vec<(String, Value)>>);
    let mut out = Vec::new();
    let mut last: BTreeMap<&str, Last<'a>> = BTreeMap::new();
    for rec in lookups {
        if !matches!(rec.outcome, Outcome::Ok | Outcome::NotHit) {
            continue;
        }
        let check = rec.check;
        let now = (rec.outcome == Outcome::Ok)
            .then(|| report_of(rec).map(|r| report_fields(&r)))
            .flatten();
        let Some((prev, before)) = last.insert(check.cli_name(), (rec, now)) else {
            continue;
        };
        let after = &last[check.cli_name()].1;
        let change = |field: &str, from: Value, to: Value, flag: Option<String>| Change {
            check,
            field: field.to_string(),
            from,
            to,
            from_lookup: prev.id,
            to_lookup: rec.id,
            from_at: prev.created_at,
            at: rec.created_at,
            flag,
        };
        match (prev.outcome, rec.outcome) {
            (Outcome::NotHit, Outcome::Ok) => out.push(change(
                "outcome",
                json!("not_hit"),
                json!("ok"),
                Some("first record after not-hit".into()),
            )),
            (Outcome::Ok, Outcome::NotHit) => out.push(change(
                "outcome",
                json!("ok"),
                json!("not_hit"),
                Some("no record now (was a hit)".into()),
            )),
            (Outcome::Ok, Outcome::Ok) => {
                let (Some(before), Some(after)) = (before, after) else {
                    continue;
                };
                // The earlier answer's fields in its order, then the ones only the later has.
                let find = |list: &[(String, Value)], k: &str| {
                    list.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
                };
                let names = before.iter().map(|(k, _)| k).chain(
                    after
                        .iter()
                        .map(|(k, _)| k)
                        .filter(|k| !before.iter().any(|(b, _)| b == *k)),
                );
                for name in names {
                    let from = find(&before, name).unwrap_or(Value::Null);
                    let to = find(after, name).unwrap_or(Value::Null);
                    if from != to {
                        let f = flag(check, name, &from, &to);
                        out.push(change(name, from, to, f));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// A change's value as a person reads it.
pub fn words(v: &Value) -> String {
    match v {
        Value::Null => "none".into(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n
            .as_f64()
            .map(crate::report::format_number)
            .unwrap_or_else(|| n.to_string()),
        other => other.to_string(),
    }
}

/// `YYYY-MM-DD HH:MM` (UTC, as stored).
fn when(t: OffsetDateTime) -> String {
    let (h, m, _) = t.to_hms();
    format!("{} {h:02}:{m:02}", day(t))
}

/// `YYYY-MM-DD`: written by hand, a thousand times a case (`time`'s formatter interprets
/// its description on every call).
fn day(t: OffsetDateTime) -> String {
    let (y, m, d) = t.to_calendar_date();
    if (0..=9999).contains(&y) {
        format!("{y:04}-{:02}-{d:02}", m as u8)
    } else {
        let f = time::macros::format_description!("[year]-[month]-[day]");
        t.format(f).unwrap_or_else(|_| t.to_string())
    }
}

fn phone_shown(p: &str, reveal: bool) -> String {
    if reveal {
        p.to_string()
    } else {
        super::cli::mask_phone(p)
    }
}

fn id_shown(n: &str, reveal: bool) -> String {
    if reveal {
        n.to_string()
    } else {
        crate::applicant::mask_id(n)
    }
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "-".into()
    } else {
        v.join(", ")
    }
}

/// The case as text: identifiers, the timeline oldest → newest, then what changed.
pub fn write_text(
    out: &mut dyn std::io::Write,
    case: &Case,
    changes: &[Change],
    reveal: bool,
) -> std::io::Result<()> {
    write_text_from(out, case, &mut changes.into(), reveal)
}

/// [`write_text`], the changes read from `changes` once the timeline is written.
pub fn write_text_from(
    out: &mut dyn std::io::Write,
    case: &Case,
    changes: &mut Changes<'_, '_>,
    reveal: bool,
) -> std::io::Result<()> {
    let a = &case.applicant;
    let phones: Vec<String> = a.phones.iter().map(|p| phone_shown(p, reveal)).collect();
    let ids: Vec<String> = a.id_numbers.iter().map(|n| id_shown(n, reveal)).collect();
    writeln!(out, "Applicant")?;
    writeln!(out, "  phone:      {}", list(&phones))?;
    writeln!(out, "  ID number:  {}", list(&ids))?;
    writeln!(out, "  name:       {}", list(&a.names))?;
    writeln!(out)?;
    writeln!(
        out,
        "Timeline ({} lookups, oldest first, UTC)",
        case.lookups.len()
    )?;
    for (r, _) in &case.lookups {
        let who = match &r.purpose {
            Some(p) => format!("{} ({p})", r.operator),
            None => r.operator.clone(),
        };
        writeln!(
            out,
            "  {}  {:<18}  {:<8}  {}  [by {who}; lookup {}]{}",
            when(r.created_at),
            r.check.cli_name(),
            r.outcome.as_str(),
            headline(r),
            r.id,
            if r.sandbox { " [sandbox]" } else { "" },
        )?;
    }
    if case.truncated {
        writeln!(
            out,
            "  (more lookups may belong here: the case stops at {CASE_CAP}; narrow it with --since/--until)"
        )?;
    }
    writeln!(out)?;
    writeln!(out, "What changed")?;
    let changes = changes.get();
    if changes.is_empty() {
        writeln!(out, "  nothing between consecutive answers")?;
    }
    let mut check: Option<CheckKind> = None;
    let mut sorted: Vec<&Change> = changes.iter().collect();
    sorted.sort_by_key(|c| c.check.cli_name());
    for c in sorted {
        if check != Some(c.check) {
            writeln!(out, "  {}", c.check.cli_name())?;
            check = Some(c.check);
        }
        writeln!(
            out,
            "    {} → {}  {}: {} → {}{}  (lookups {} → {})",
            day(c.from_at),
            day(c.at),
            c.field,
            words(&c.from),
            words(&c.to),
            c.flag
                .as_ref()
                .map(|f| format!("  — {f}"))
                .unwrap_or_default(),
            c.from_lookup,
            c.to_lookup,
        )?;
    }
    Ok(())
}

/// One lookup of the JSON case (field order is the output's).
#[derive(Serialize)]
struct LookupJson<'a> {
    id: i64,
    uuid: &'a str,
    created_at: Option<String>,
    check: CheckKind,
    outcome: Outcome,
    headline: String,
    operator: &'a str,
    purpose: &'a Option<String>,
    sandbox: bool,
    phone_e164: String,
    id_number: String,
    name: &'a str,
    vendor_status: &'a Option<String>,
    vendor_request_id: &'a Option<String>,
    error_kind: &'a Option<String>,
    error_message: &'a Option<String>,
    report: &'a Option<Value>,
}

#[derive(Serialize)]
struct ApplicantJson<'a> {
    phones: Vec<String>,
    id_numbers: Vec<String>,
    names: &'a [String],
}

#[derive(Serialize)]
struct CaseJson<'a> {
    applicant: ApplicantJson<'a>,
    lookups: Vec<LookupJson<'a>>,
    changes: &'a [Change],
    truncated: bool,
}

fn case_json<'a>(case: &'a Case, changes: &'a [Change], reveal: bool) -> CaseJson<'a> {
    case_json_with(case, lookups_json(case, reveal), changes, reveal)
}

fn lookups_json(case: &Case, reveal: bool) -> Vec<LookupJson<'_>> {
    case.lookups
        .iter()
        .map(|(r, uuid)| LookupJson {
            id: r.id,
            uuid,
            created_at: r
                .created_at
                .format(&time::format_description::well_known::Rfc3339)
                .ok(),
            check: r.check,
            outcome: r.outcome,
            headline: headline(r),
            operator: &r.operator,
            purpose: &r.purpose,
            sandbox: r.sandbox,
            phone_e164: phone_shown(&r.identity.phone_e164, reveal),
            id_number: id_shown(&r.identity.id_number, reveal),
            name: &r.identity.name,
            vendor_status: &r.vendor_status,
            vendor_request_id: &r.vendor_request_id,
            error_kind: &r.error_kind,
            error_message: &r.error_message,
            report: &r.report,
        })
        .collect()
}

fn case_json_with<'a>(
    case: &'a Case,
    lookups: Vec<LookupJson<'a>>,
    changes: &'a [Change],
    reveal: bool,
) -> CaseJson<'a> {
    let a = &case.applicant;
    CaseJson {
        applicant: ApplicantJson {
            phones: a.phones.iter().map(|p| phone_shown(p, reveal)).collect(),
            id_numbers: a.id_numbers.iter().map(|n| id_shown(n, reveal)).collect(),
            names: &a.names,
        },
        lookups,
        changes,
        truncated: case.truncated,
    }
}

/// The case as JSON: `{"applicant", "lookups", "changes"}`; identifiers masked unless
/// `reveal`.
pub fn to_json(case: &Case, changes: &[Change], reveal: bool) -> Value {
    serde_json::to_value(case_json(case, changes, reveal)).unwrap_or(Value::Null)
}

/// [`to_json`] written straight to `out`, pretty, with a final newline (no value tree
/// built on the way).
pub fn write_json(
    out: &mut dyn std::io::Write,
    case: &Case,
    changes: &[Change],
    reveal: bool,
) -> std::io::Result<()> {
    write_json_from(out, case, &mut changes.into(), reveal)
}

/// [`write_json`], the changes read from `changes` once the lookups are made ready.
pub fn write_json_from(
    out: &mut dyn std::io::Write,
    case: &Case,
    changes: &mut Changes<'_, '_>,
    reveal: bool,
) -> std::io::Result<()> {
    let lookups = lookups_json(case, reveal);
    let json = case_json_with(case, lookups, changes.get(), reveal);
    serde_json::to_writer_pretty(&mut *out, &json)?;
    writeln!(out)
}

/// The candidates a name may stand for, masked unless `reveal`.
pub fn write_candidates(
    out: &mut dyn std::io::Write,
    found: &[Candidate],
    reveal: bool,
) -> std::io::Result<()> {
    if found.is_empty() {
        return writeln!(out, "no applicant with that name");
    }
    writeln!(
        out,
        "{:<16}  {:<20}  {:>7}  {:<16}  NAMES",
        "PHONE", "ID NUMBER", "LOOKUPS", "LAST SEEN (UTC)"
    )?;
    for c in found {
        writeln!(
            out,
            "{:<16}  {:<20}  {:>7}  {:<16}  {}",
            phone_shown(&c.phone_e164, reveal),
            id_shown(&c.id_number, reveal),
            c.lookups,
            when(c.last_seen),
            c.names.join(" / "),
        )?;
    }
    writeln!(
        out,
        "names never join lookups: pick one with --phone or --id-number"
    )
}

/// Candidates as JSON, masked unless `reveal`.
pub fn candidates_json(found: &[Candidate], reveal: bool) -> Value {
    let rows: Vec<Value> = found
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
            v["phone_e164"] = json!(phone_shown(&c.phone_e164, reveal));
            v["id_number"] = json!(id_shown(&c.id_number, reveal));
            v
        })
        .collect();
    json!({ "candidates": rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::parse_report;

    #[test]
    fn dates_are_written_as_time_writes_them() {
        use time::macros::datetime;
        assert_eq!(day(datetime!(2026-03-05 07:08:09 UTC)), "2026-03-05");
        assert_eq!(when(datetime!(2026-03-05 07:08:09 UTC)), "2026-03-05 07:08");
        assert_eq!(when(datetime!(0042-12-31 23:59 UTC)), "0042-12-31 23:59");
        // Before year 0, `time` writes it (with its sign).
        assert_eq!(day(datetime!(-0001-01-02 00:00 UTC)), "-0001-01-02");
    }

    fn rec(id: i64, day: u8, check: CheckKind, outcome: Outcome, body: &str) -> LookupRecord {
        let report = (outcome == Outcome::Ok)
            .then(|| serde_json::to_value(parse_report(check, body.as_bytes()).unwrap()).unwrap());
        LookupRecord {
            id,
            created_at: time::macros::datetime!(2026-03-01 09:00 UTC)
                + time::Duration::days(day.into()),
            operator: "ana".into(),
            purpose: None,
            sandbox: true,
            check,
            identity: Default::default(),
            request: Value::Null,
            http_status: Some(200),
            vendor_status: None,
            vendor_request_id: None,
            outcome,
            error_kind: None,
            error_message: None,
            latency_ms: 1,
            raw_response: body.as_bytes().to_vec(),
            report,
            task_id: None,
            attempts: Vec::new(),
        }
    }

    fn flags(c: &[Change]) -> Vec<String> {
        c.iter().filter_map(|c| c.flag.clone()).collect()
    }

    #[test]
    fn score_falls_and_rises() {
        let w = CheckKind::CreditWillingness;
        let c = changes(&[
            rec(1, 0, w, Outcome::Ok, r#"{"code":200,"score":701}"#),
            rec(2, 1, w, Outcome::Error, ""),
            rec(3, 2, w, Outcome::Ok, r#"{"code":200,"score":540}"#),
            rec(4, 3, w, Outcome::Ok, r#"{"code":200,"score":541}"#),
        ]);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!((c[0].from_lookup, c[0].to_lookup), (1, 3));
        assert_eq!(
            (c[0].from.clone(), c[0].to.clone()),
            (json!(701), json!(540))
        );
        assert_eq!(flags(&c), ["score fell 161 points", "score rose 1 point"]);
        assert_eq!(c[0].field, "score");
    }

    /// Changes found on another thread while the timeline is written read exactly as
    /// changes found before, in every format.
    #[test]
    fn changes_being_found_write_as_changes_found() {
        let m = CheckKind::MultipleOrder;
        let lookups = vec![
            rec(
                1,
                0,
                m,
                Outcome::Ok,
                r#"{"result":{"target":false,"count":0}}"#,
            ),
            rec(2, 1, m, Outcome::NotHit, "{}"),
            rec(
                3,
                2,
                m,
                Outcome::Ok,
                r#"{"result":{"target":true,"count":2,"data":[{"level":5}]}}"#,
            ),
        ];
        let case = Case::of_lookups(
            lookups
                .into_iter()
                .map(|r| (r, "uuid".to_string()))
                .collect(),
            false,
        );
        let found = changes_of(&case);
        assert!(!found.is_empty());
        let header = CaseFileHeader {
            generated_at: time::macros::datetime!(2026-03-09 10:00 UTC),
            generated_by: "ana".into(),
            purpose: None,
        };
        type Writer = fn(&mut Vec<u8>, &Case, &mut Changes<'_, '_>, &CaseFileHeader);
        let writers: [Writer; 3] = [
            |o, c, ch, _| write_text_from(o, c, ch, false).unwrap(),
            |o, c, ch, _| write_json_from(o, c, ch, false).unwrap(),
            |o, c, ch, h| write_markdown_from(o, c, ch, h, false).unwrap(),
        ];
        for write in writers {
            let mut before = Vec::new();
            write(&mut before, &case, &mut found.as_slice().into(), &header);
            let mut during = Vec::new();
            std::thread::scope(|s| {
                let mut ch = Changes::Finding(Some(s.spawn(|| changes_of(&case))));
                write(&mut during, &case, &mut ch, &header);
            });
            assert_eq!(String::from_utf8(during), String::from_utf8(before));
        }
    }

    #[test]
    fn level_changes_and_blacklist() {
        let m = CheckKind::MultipleOrder;
        let c = changes(&[
            rec(
                1,
                0,
                m,
                Outcome::Ok,
                r#"{"result":{"target":false,"count":0}}"#,
            ),
            rec(
                2,
                1,
                m,
                Outcome::Ok,
                r#"{"result":{"target":true,"count":1,"data":[{"level":3}]}}"#,
            ),
            rec(
                3,
                2,
                m,
                Outcome::Ok,
                r#"{"result":{"target":true,"count":2,"data":[{"level":3},{"level":5}]}}"#,
            ),
        ]);
        let level: Vec<&Change> = c.iter().filter(|c| c.field == "level").collect();
        assert_eq!(level.len(), 2);
        assert_eq!(
            level[0].flag.as_deref(),
            Some("now on the list: normal customer")
        );
        assert_eq!(level[1].flag.as_deref(), Some("newly blacklisted"));
        assert_eq!(
            (level[1].from.clone(), level[1].to.clone()),
            (json!(3), json!(5))
        );
        assert!(c.iter().any(|c| c.field == "count" && c.to == json!(2)));
    }

    #[test]
    fn counts_and_amounts() {
        let d = CheckKind::DebtsReport;
        let c = changes(&[
            rec(
                1,
                0,
                d,
                Outcome::Ok,
                r#"{"status":"OK","result":{"apply_total_num":6,"apply_amount_avg":6000}}"#,
            ),
            rec(
                2,
                5,
                d,
                Outcome::Ok,
                r#"{"status":"OK","result":{"apply_total_num":57,"apply_amount_avg":6000,"loan_total_num":2}}"#,
            ),
        ]);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0].field, "apply_total_num");
        assert_eq!(c[0].flag.as_deref(), Some("apply_total_num rose by 51"));
        assert_eq!(
            (c[1].from.clone(), c[1].to.clone()),
            (Value::Null, json!(2))
        );
        assert_eq!(c[1].flag, None);
    }

    #[test]
    fn phone_status_and_not_hit() {
        let p = CheckKind::PhoneStatus;
        let c = changes(&[
            rec(
                1,
                0,
                p,
                Outcome::Ok,
                r#"{"status":"OK","result":{"phone_status":"ring"}}"#,
            ),
            rec(2, 1, p, Outcome::Pending, ""),
            rec(
                3,
                2,
                p,
                Outcome::Ok,
                r#"{"status":"OK","result":{"phone_status":"turned_off"}}"#,
            ),
        ]);
        assert_eq!(flags(&c), ["phone now turned off"]);
        let d = CheckKind::DebtsReport;
        let c = changes(&[
            rec(1, 0, d, Outcome::NotHit, ""),
            rec(
                2,
                1,
                d,
                Outcome::Ok,
                r#"{"status":"OK","result":{"apply_total_num":1}}"#,
            ),
        ]);
        assert_eq!(flags(&c), ["first record after not-hit"]);
        assert_eq!(c[0].field, "outcome");
    }

    #[test]
    fn special_indicator_values_are_not_numbers() {
        let m = CheckKind::Multiplatform;
        let body = |a: &str, b: &str| {
            format!(
                r#"{{"code":200,"data":[{{"indicator_name":"a","indicator_value":{a}}},{{"indicator_name":"b","indicator_value":{b}}}]}}"#
            )
        };
        let c = changes(&[
            rec(1, 0, m, Outcome::Ok, &body("-999", "3")),
            rec(2, 1, m, Outcome::Ok, &body("4", "-1111")),
            rec(3, 2, m, Outcome::Ok, &body("4", "-1111")),
        ]);
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0].from, json!("no record"));
        assert_eq!(c[0].flag.as_deref(), Some("first record"));
        assert_eq!(c[1].to, json!("unable to calculate"));
        assert_eq!(words(&c[1].to), "unable to calculate");
        assert_eq!(c[1].flag, None);
    }
}
