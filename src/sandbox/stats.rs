//! What the sandbox received, for tests that must know how many requests reached the
//! vendor (a billed check sent twice is billed twice). Counted once the whole request has
//! been read, before any answer or fault. In memory: a restart starts from zero.

use crate::check::CheckKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Request counts, as `Sandbox::stats` returns them and `GET /_sandbox/stats` serves them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxStats {
    /// Every request whose body was read, by path (`/check/debts_report`, `/td/multiplatform`,
    /// unknown paths too).
    pub requests: BTreeMap<String, u64>,
    /// Requests that selected a scenario or trap row, by check name (`debts-report`, …)
    /// then row key. A phone row counts its submits and every poll of its tasks.
    pub scenarios: BTreeMap<String, BTreeMap<String, u64>>,
    /// Faults drawn by `SandboxOptions::random_faults` and put on an answer, by
    /// [`Fault::name`](super::Fault::name) (`hang`, `drop`, `502`, `truncated`, …).
    #[serde(default)]
    pub faults: BTreeMap<String, u64>,
    /// Answers hanging or held back right now (a `hang` fault, a hanging first poll). One
    /// ends when its client closes the connection (gives up) or the sandbox stops.
    #[serde(default)]
    pub hanging: u64,
}

impl SandboxStats {
    /// How many requests selected the row (`check`, `key`).
    pub fn received(&self, check: CheckKind, key: &str) -> u64 {
        self.scenarios
            .get(check_name(check))
            .and_then(|m| m.get(key))
            .copied()
            .unwrap_or(0)
    }

    /// How many requests came to `path`.
    pub fn received_on(&self, path: &str) -> u64 {
        self.requests.get(path).copied().unwrap_or(0)
    }
}

/// The check's CLI name, as the README table spells it.
pub(crate) fn check_name(c: CheckKind) -> &'static str {
    match c {
        CheckKind::DebtsReport => "debts-report",
        CheckKind::MultipleOrder => "multiple-order",
        CheckKind::PhoneStatus => "phone-status",
        CheckKind::Multiplatform => "multiplatform",
        CheckKind::CreditWillingness => "credit-willingness",
    }
}

/// The live counters.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    inner: Mutex<SandboxStats>,
}

impl Counters {
    fn lock(&self) -> std::sync::MutexGuard<'_, SandboxStats> {
        // Counts stay meaningful after a panic elsewhere; keep going.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn request(&self, path: &str) {
        *self.lock().requests.entry(path.to_string()).or_default() += 1;
    }

    pub fn row(&self, check: CheckKind, key: &str) {
        *self
            .lock()
            .scenarios
            .entry(check_name(check).to_string())
            .or_default()
            .entry(key.to_string())
            .or_default() += 1;
    }

    pub fn fault(&self, name: &str) {
        *self.lock().faults.entry(name.to_string()).or_default() += 1;
    }

    /// Counts a hanging answer until the guard is dropped (with the answer's future).
    pub fn hanging(self: &Arc<Self>) -> HangingGuard {
        self.lock().hanging += 1;
        HangingGuard(self.clone())
    }

    pub fn snapshot(&self) -> SandboxStats {
        self.lock().clone()
    }
}

/// Held while an answer hangs; see [`Counters::hanging`].
pub(crate) struct HangingGuard(Arc<Counters>);

impl Drop for HangingGuard {
    fn drop(&mut self) {
        let mut s = self.0.lock();
        s.hanging = s.hanging.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_path_and_row() {
        let c = Counters::default();
        c.request("/check/debts_report");
        c.request("/check/debts_report");
        c.row(CheckKind::DebtsReport, "081255000001");
        let s = c.snapshot();
        assert_eq!(s.received_on("/check/debts_report"), 2);
        assert_eq!(s.received_on("/elsewhere"), 0);
        assert_eq!(s.received(CheckKind::DebtsReport, "081255000001"), 1);
        assert_eq!(s.received(CheckKind::CreditWillingness, "081255000001"), 0);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["scenarios"]["debts-report"]["081255000001"], 1);
        let back: SandboxStats = serde_json::from_value(json).unwrap();
        assert_eq!(back, s);
    }
}
