//! The check tabs' state: which check is shown, tables or raw, how far scrolled, and where
//! the results come from — the live review, or one stored lookup opened read-only
//! (`Source`, decided in one place: `CheckTabs::shown`).
//!
//! Every live run belongs to the applicant it ran for: the identifiers that check sends
//! (`same_owner`). A tab shows only the run of the applicant in the form; runs of others
//! wait, off screen, until that applicant is typed in again (or the next applicant starts).

use super::model::{Answer, StoredLookup};
use crate::applicant::{Identity, VendorRequest};
use crate::check::{CheckKind, Outcome};
use time::OffsetDateTime;

/// One check's state for one applicant.
#[derive(Debug, Clone, PartialEq)]
pub enum Slot {
    Idle,
    /// Looking for a stored result inside the re-run window before paying for a call.
    Checking {
        run_id: u64,
        request: Box<VendorRequest>,
        /// The form's Purpose when the run was asked for (sent with the request).
        purpose: Option<String>,
    },
    /// A stored result was found: the operator decides whether to pay again.
    Confirm {
        run_id: u64,
        request: Box<VendorRequest>,
        purpose: Option<String>,
        stored: Box<Answer>,
    },
    Running {
        run_id: u64,
        started: OffsetDateTime,
    },
    Done {
        answer: Box<Answer>,
        /// The stored result inside the re-run window, kept instead of a new paid call.
        reused: bool,
    },
    /// The operator stopped waiting. A request already sent may still be answered: that
    /// answer is recorded in history all the same, and noted here (`late`).
    Cancelled {
        run_id: u64,
        late: Option<Box<Answer>>,
    },
}

impl Slot {
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            Slot::Checking { .. } | Slot::Running { .. } | Slot::Confirm { .. }
        )
    }

    /// The answer the tab shows (a late answer to a cancelled run is not shown as a result).
    pub fn answer(&self) -> Option<&Answer> {
        match self {
            Slot::Done { answer, .. } => Some(answer),
            Slot::Confirm { stored, .. } => Some(stored),
            _ => None,
        }
    }

    fn run_id(&self) -> Option<u64> {
        match self {
            Slot::Checking { run_id, .. }
            | Slot::Confirm { run_id, .. }
            | Slot::Running { run_id, .. }
            | Slot::Cancelled { run_id, .. } => Some(*run_id),
            Slot::Idle | Slot::Done { .. } => None,
        }
    }
}

/// One check run for one applicant.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub check: CheckKind,
    /// The identifiers it was run with (normalized, as `Applicant::identity` makes them).
    pub owner: Identity,
    pub slot: Slot,
}

/// Whether a result for `check` run with `ran` belongs to the applicant whose identifiers
/// are `now`: the identifiers that check sends are the same. The phone status is about the
/// phone alone; a name or an ID typed later does not make it someone else's.
pub fn same_owner(check: CheckKind, ran: &Identity, now: &Identity) -> bool {
    let phone = ran.phone_e164 == now.phone_e164;
    let country = ran.country == now.country;
    match check {
        CheckKind::PhoneStatus => phone,
        CheckKind::MultipleOrder => phone && country,
        CheckKind::DebtsReport => {
            phone
                && country
                && ran.id_number == now.id_number
                && ran.bankcard == now.bankcard
                && ran.email == now.email
                && ran.gaid == now.gaid
        }
        CheckKind::Multiplatform => {
            phone && country && ran.id_number == now.id_number && ran.name == now.name
        }
        CheckKind::CreditWillingness => phone && country && ran.gaid == now.gaid,
    }
}

/// Where the tabs' results come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The live review of the applicant in the form.
    Live,
    /// A past lookup, read-only (from history, or a finished phone task opened).
    Stored(Box<StoredLookup>),
}

/// What one tab shows, decided once for every screen and action that needs it.
#[derive(Debug, Clone, Copy)]
pub enum Shown<'a> {
    Live(&'a Slot),
    /// A stored lookup; `answer` is `None` on the tabs of the checks it did not run.
    Stored {
        lookup: &'a StoredLookup,
        answer: Option<&'a Answer>,
    },
}

impl<'a> Shown<'a> {
    pub fn answer(self) -> Option<&'a Answer> {
        match self {
            Shown::Live(slot) => slot.answer(),
            Shown::Stored { answer, .. } => answer,
        }
    }
}

/// How many runs are kept for applicants no longer on screen (the oldest finished go first;
/// everything is in history anyway).
const KEPT_RUNS: usize = 64;

static IDLE: Slot = Slot::Idle;

#[derive(Debug, Clone)]
pub struct CheckTabs {
    pub tab: usize,
    pub raw: bool,
    /// Lines scrolled in the results body, kept within what the last draw laid out.
    pub scroll: u16,
    pub source: Source,
    runs: Vec<Run>,
    /// The identifiers of the applicant in the form (the app keeps this current).
    on_screen: Identity,
}

impl Default for CheckTabs {
    fn default() -> Self {
        CheckTabs::new()
    }
}

impl CheckTabs {
    pub fn new() -> CheckTabs {
        CheckTabs {
            tab: 0,
            raw: false,
            scroll: 0,
            source: Source::Live,
            runs: Vec::new(),
            on_screen: Identity::default(),
        }
    }

    /// The form now holds these identifiers: the tabs show that applicant's runs.
    pub fn follow(&mut self, on_screen: &Identity) {
        if self.on_screen != *on_screen {
            self.on_screen = on_screen.clone();
            self.scroll = 0;
        }
    }

    pub fn on_screen(&self) -> &Identity {
        &self.on_screen
    }

    /// Whether a run of `check` with `owner` is the applicant on screen's.
    pub fn is_on_screen(&self, check: CheckKind, owner: &Identity) -> bool {
        same_owner(check, owner, &self.on_screen)
    }

    pub fn current(&self) -> CheckKind {
        CheckKind::ALL[self.tab.min(CheckKind::ALL.len() - 1)]
    }

    pub fn select(&mut self, check: CheckKind) {
        let i = index(check);
        if i != self.tab {
            self.tab = i;
            self.scroll = 0;
        }
    }

    pub fn stored(&self) -> Option<&StoredLookup> {
        match &self.source {
            Source::Stored(s) => Some(s),
            Source::Live => None,
        }
    }

    pub fn show_stored(&mut self, lookup: StoredLookup) {
        self.select(lookup.answer.check);
        self.source = Source::Stored(Box::new(lookup));
        self.scroll = 0;
    }

    /// Back to the live review; whether a stored lookup was shown.
    pub fn show_live(&mut self) -> bool {
        let was = matches!(self.source, Source::Stored(_));
        self.source = Source::Live;
        if was {
            self.scroll = 0;
        }
        was
    }

    /// The live slot of `check` for the applicant on screen.
    pub fn slot(&self, check: CheckKind) -> &Slot {
        self.run(check, &self.on_screen)
            .map(|r| &r.slot)
            .unwrap_or(&IDLE)
    }

    fn run(&self, check: CheckKind, form: &Identity) -> Option<&Run> {
        self.runs
            .iter()
            .rev()
            .find(|r| r.check == check && same_owner(check, &r.owner, form))
    }

    /// What the tab of `check` shows.
    pub fn shown(&self, check: CheckKind) -> Shown<'_> {
        match &self.source {
            Source::Stored(lookup) => Shown::Stored {
                lookup,
                answer: (lookup.answer.check == check).then_some(&lookup.answer),
            },
            Source::Live => Shown::Live(self.slot(check)),
        }
    }

    /// What the open tab shows.
    pub fn shown_now(&self) -> Shown<'_> {
        self.shown(self.current())
    }

    /// The check whose stored result waits for a yes/no, first in tab order.
    pub fn confirming(&self) -> Option<CheckKind> {
        if self.stored().is_some() {
            return None;
        }
        CheckKind::ALL
            .into_iter()
            .find(|c| matches!(self.slot(*c), Slot::Confirm { .. }))
    }

    /// Puts `slot` as the state of `check` for `owner`, replacing that applicant's previous
    /// run of it.
    pub fn set(&mut self, check: CheckKind, owner: &Identity, slot: Slot) {
        self.runs
            .retain(|r| !(r.check == check && same_owner(check, &r.owner, owner)));
        self.runs.push(Run {
            check,
            owner: owner.clone(),
            slot,
        });
        if self.runs.len() > KEPT_RUNS
            && let Some(i) = self.runs.iter().position(|r| !r.slot.is_busy())
        {
            self.runs.remove(i);
        }
    }

    /// The run waiting on `run_id` (checking, confirming, running, or cancelled).
    pub fn by_run_id(&mut self, run_id: u64) -> Option<&mut Run> {
        self.runs
            .iter_mut()
            .find(|r| r.slot.run_id() == Some(run_id))
    }

    /// Every run (for marking answers saved, ticking, cancelling).
    pub fn runs(&self) -> &[Run] {
        &self.runs
    }

    pub fn runs_mut(&mut self) -> impl Iterator<Item = &mut Run> {
        self.runs.iter_mut()
    }

    /// Whether something shows elapsed time or waits on history.
    pub fn busy(&self) -> bool {
        self.runs
            .iter()
            .any(|r| matches!(r.slot, Slot::Running { .. } | Slot::Checking { .. }))
    }

    /// The next applicant: every finished result leaves (it is in history); checks still
    /// waiting on a vendor go on, and say so when they answer.
    pub fn clear_finished(&mut self) {
        self.runs.retain(|r| r.slot.is_busy());
        self.source = Source::Live;
        self.raw = false;
        self.scroll = 0;
    }

    /// A phone task finished: its result goes to the phone tab of the applicant with that
    /// phone, over nothing, a pending answer or an older one — never over a newer run.
    pub fn file_phone_result(&mut self, phone: &str, answer: &Answer) {
        let owner = Identity {
            phone_e164: phone.to_string(),
            ..Identity::default()
        };
        let check = CheckKind::PhoneStatus;
        let replace = match self.run(check, &owner).map(|r| &r.slot) {
            None | Some(Slot::Idle) | Some(Slot::Cancelled { .. }) => true,
            Some(Slot::Done { answer: a, .. }) => {
                a.as_ref() != answer && (a.outcome == Outcome::Pending || a.at < answer.at)
            }
            Some(_) => false,
        };
        if replace {
            // Keeps the identifiers the phone check ran with when it is still here.
            let owner = self
                .run(check, &owner)
                .map(|r| r.owner.clone())
                .unwrap_or(owner);
            self.set(
                check,
                &owner,
                Slot::Done {
                    answer: Box::new(answer.clone()),
                    reused: false,
                },
            );
        }
    }
}

pub fn index(check: CheckKind) -> usize {
    CheckKind::ALL.iter().position(|c| *c == check).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(phone: &str, id_number: &str, name: &str) -> Identity {
        Identity {
            phone_e164: phone.into(),
            id_number: id_number.into(),
            name: name.into(),
            country: "MX".into(),
            ..Identity::default()
        }
    }

    #[test]
    fn the_phone_status_belongs_to_the_phone_alone() {
        let ran = id("+525512340003", "", "");
        let form = id("+525512340003", "RDSK800101HDFMPL02", "Juan Perez");
        assert!(same_owner(CheckKind::PhoneStatus, &ran, &form));
        assert!(!same_owner(CheckKind::Multiplatform, &ran, &form));
        assert!(!same_owner(
            CheckKind::PhoneStatus,
            &ran,
            &id("+525512340004", "", "")
        ));
    }

    #[test]
    fn a_tab_shows_only_the_applicant_in_the_form() {
        let mut tabs = CheckTabs::new();
        let a = id("+525512340003", "X", "A");
        let b = id("+525512340004", "Y", "B");
        tabs.set(
            CheckKind::Multiplatform,
            &a,
            Slot::Running {
                run_id: 1,
                started: OffsetDateTime::UNIX_EPOCH,
            },
        );
        tabs.follow(&a);
        assert!(tabs.slot(CheckKind::Multiplatform).is_busy());
        tabs.follow(&b);
        assert_eq!(tabs.slot(CheckKind::Multiplatform), &Slot::Idle);
        assert!(tabs.by_run_id(1).is_some());
        tabs.clear_finished();
        assert!(tabs.busy(), "a check still waiting on the vendor goes on");
    }
}
