//! The scenario table: which identifier gets which answer. The single source of both the
//! sandbox's behaviour and the README table.

pub use super::errors::{
    ACCUAUTH_ERRORS, AccuError, MULTIPLATFORM_ERRORS, TdError, WILLINGNESS_ERRORS,
};
use super::wire::Fault;
use crate::check::CheckKind;
use std::sync::OnceLock;
use std::time::Duration;

/// One row: an identifier value that makes one check answer in a known way. `B` is
/// [`Behaviour`] for the ordinary rows of [`scenarios()`] and [`Trap`] for the rows of
/// [`traps()`].
#[derive(Debug, Clone)]
pub struct Scenario<B = Behaviour> {
    pub check: CheckKind,
    /// The applicant's country for this row.
    pub country: &'static str,
    /// Which identifier selects the row: `phone` or `id_number`.
    pub identifier: &'static str,
    /// The value as an underwriter would type it (national format for phones).
    pub key: String,
    pub behaviour: B,
}

/// A row of [`traps()`].
pub type TrapScenario = Scenario<Trap>;

/// What a trap row makes the sandbox do: the vendors' bad days that cost money when a
/// client gets them wrong (issue 8). Kept out of [`Behaviour`] and [`scenarios()`] so
/// suites that walk every ordinary row (and match on every `Behaviour`) never meet a
/// hanging poll or a connection that is cut after it was billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trap {
    /// Reads the whole request, counts it (see `Sandbox::received`), then closes the
    /// connection without a byte of answer: the vendor may have done and billed the work.
    DropAfterRequest,
    /// phone-status: `task_id` at submit; the task's first `task_result` poll hangs for
    /// `SandboxOptions::poll_hang` (or until the client gives up or the sandbox stops),
    /// every later poll answers this status at once. Which polls came is kept in memory
    /// per task id: a sandbox restart forgets it (the next poll hangs again).
    FirstPollHangs(&'static str),
    /// phone-status: `task_id` at submit; every poll answers this error with the
    /// `task_id` echoed in the body.
    PollErrorEchoingTaskId(AccuError),
    /// HTTP 400 `PENDING` ("check in progress") without a `task_id`: at the phone-status
    /// submit, or from a check that has no tasks at all.
    PendingWithoutTaskId,
}

/// What the row makes the sandbox answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Behaviour {
    Debts(Debts),
    Orders(Orders),
    Phone(PhoneFlow),
    Indicators(Indicators),
    Willingness(Willingness),
    AccuAuthError(AccuError),
    TrustDecisionError(TdError),
    Fault(Fault),
}

/// debts_report answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Debts {
    /// A few registrations, one loan; documented key spelling, `result` an object.
    Clean,
    /// Many applications, rejections and platforms; keys with trailing spaces as in the
    /// page's sample.
    HeavyBorrower,
    /// `result` as the documented array of one object (the sample sends an object).
    DocumentedArray,
    /// HTTP 400 `NOT_HIT`: no record.
    NotHit,
    /// This many applications; approvals, rejections, loans and platforms grow with them
    /// (a step of a sequence row).
    Applications(u16),
}

/// multiple_order answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orders {
    /// `target: false`.
    Miss,
    /// Level 5, three records from each source; `cid`/`duration` strings in some records and
    /// numbers in others.
    Blacklist,
    /// Level 4, two seat records with numeric `cid`/`duration`.
    Greylist,
    /// Level 3 (normal customer), one seat record (a step of a sequence row).
    Normal,
}

/// How a phone_number task goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneFlow {
    /// `task_id` at submit; PENDING until the pending time passed, then this status.
    After(&'static str),
    /// `result` at submit with this status.
    Immediate(&'static str),
    /// PENDING until the task expires after 24 h.
    Never,
    /// `task_id` at submit; polls answer this error.
    PollError(AccuError),
}

/// multiplatform indicator sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indicators {
    /// Every indicator status 200 with modest values.
    Clean,
    /// Every indicator 200 with high multi-borrowing values.
    Heavy,
    /// Every indicator 201 with -999.
    NoRecord,
    /// Statuses 200, 201 (-999), 202 (-1111) and 500 (-1111) in turn.
    Mixed,
    /// Like Clean, with every value sent as a string.
    Strings,
}

/// credit willingness answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Willingness {
    Score(u16),
    /// The score sent as a JSON string (drift).
    ScoreAsString(u16),
}

/// A row whose answer changes from one answered call to the next (issue 12): the n-th
/// call the sandbox answers gets `steps[n - 1]`, every call after the last step gets the
/// last step. Calls are counted per row ([`SandboxOptions::sequence_dir`]: in the data
/// directory for the built-in sandbox, so separate `riskdesk check` runs advance it).
/// Steps are ordinary answers; a phone row has at most one step with a task (its tasks
/// answer that step's status).
///
/// [`SandboxOptions::sequence_dir`]: super::SandboxOptions::sequence_dir
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sequence(pub &'static [Behaviour]);

impl Sequence {
    /// The answer of the `n`-th answered call (1-based).
    pub fn step(&self, n: u64) -> &'static Behaviour {
        let i = usize::try_from(n.max(1) - 1).unwrap_or(usize::MAX);
        &self.0[i.min(self.0.len() - 1)]
    }
}

/// A row of [`sequences()`].
pub type SequenceScenario = Scenario<Sequence>;

/// The eight documented phone_status values.
pub const PHONE_STATUSES: [&str; 8] = [
    "ring",
    "connected",
    "empty",
    "busy",
    "turned_off",
    "outside_service_area",
    "line_abnormal",
    "temp_unavailable",
];

/// Per-identifier faults; the key's last two digits are the 1-based index.
pub const IDENTIFIER_FAULTS: [Fault; 6] = [
    Fault::Latency(Duration::from_millis(1500)),
    Fault::Hang,
    Fault::DropConnection,
    Fault::BadGateway,
    Fault::TruncatedJson,
    Fault::Trickle(Duration::from_millis(100)),
];

/// Every scenario row, in table order.
pub fn scenarios() -> &'static [Scenario] {
    static TABLE: OnceLock<Vec<Scenario>> = OnceLock::new();
    TABLE.get_or_init(build)
}

/// The trap rows, in table order (after the ordinary rows in the README). Their keys never
/// collide with an ordinary row's key for the same check.
pub fn traps() -> &'static [TrapScenario] {
    static TABLE: OnceLock<Vec<TrapScenario>> = OnceLock::new();
    TABLE.get_or_init(build_traps)
}

/// The rows whose answers change from one call to the next, in table order (after the
/// ordinary rows and the traps in the README). Their keys never collide with another
/// table's key for the same check.
pub fn sequences() -> &'static [SequenceScenario] {
    static TABLE: OnceLock<Vec<SequenceScenario>> = OnceLock::new();
    TABLE.get_or_init(build_sequences)
}

/// The Indonesian applicant of the debts and willingness sequences (one phone, two rows).
pub const SEQUENCE_PHONE_ID: &str = "081240120001";
/// The Indian phone of the multiple-order sequence.
pub const SEQUENCE_PHONE_IN: &str = "9440120001";
/// The Mexican phone of the phone-status sequence (also a fine multiplatform phone).
pub const SEQUENCE_PHONE_MX: &str = "5540120001";
/// The ID number of the multiplatform sequence.
pub const SEQUENCE_ID_NUMBER: &str = "RDSK800101HDFSQN01";

fn build_sequences() -> Vec<SequenceScenario> {
    use Behaviour as B;
    use CheckKind::*;
    const DEBTS: &[Behaviour] = &[
        B::Debts(Debts::NotHit),
        B::Debts(Debts::Applications(6)),
        B::Debts(Debts::Applications(19)),
        B::Debts(Debts::Applications(57)),
    ];
    const ORDERS: &[Behaviour] = &[B::Orders(Orders::Normal), B::Orders(Orders::Blacklist)];
    const PHONE: &[Behaviour] = &[
        B::Phone(PhoneFlow::Immediate("connected")),
        B::Phone(PhoneFlow::After("turned_off")),
    ];
    const INDICATORS: &[Behaviour] = &[
        B::Indicators(Indicators::Mixed),
        B::Indicators(Indicators::Clean),
        B::Indicators(Indicators::Heavy),
    ];
    const SCORES: &[Behaviour] = &[
        B::Willingness(Willingness::Score(701)),
        B::Willingness(Willingness::Score(640)),
        B::Willingness(Willingness::Score(540)),
    ];
    vec![
        row(
            DebtsReport,
            "ID",
            "phone",
            SEQUENCE_PHONE_ID,
            Sequence(DEBTS),
        ),
        row(
            MultipleOrder,
            "IN",
            "phone",
            SEQUENCE_PHONE_IN,
            Sequence(ORDERS),
        ),
        row(
            PhoneStatus,
            "MX",
            "phone",
            SEQUENCE_PHONE_MX,
            Sequence(PHONE),
        ),
        row(
            Multiplatform,
            "any",
            "id_number",
            SEQUENCE_ID_NUMBER,
            Sequence(INDICATORS),
        ),
        row(
            CreditWillingness,
            "ID",
            "phone",
            SEQUENCE_PHONE_ID,
            Sequence(SCORES),
        ),
    ]
}

/// The poll errors trap rows echo `task_id` with: one that ends the task (an error about
/// the task), one that refuses the credentials (the task should pause), one that says the
/// work was not done (the poll should be repeated). All three are on the task_result page.
pub const ECHOED_POLL_ERRORS: [AccuError; 3] = [
    AccuError {
        http: 400,
        status: "INVALID_ARGUMENT",
        reason: "argument 'task_id': invalid",
    },
    AccuError {
        http: 401,
        status: "UNAUTHORIZED",
        reason: "Unauthorized or access is denied",
    },
    AccuError {
        http: 500,
        status: "INTERNAL_ERROR",
        reason: "Internal server error",
    },
];

fn build_traps() -> Vec<TrapScenario> {
    use CheckKind::*;
    use Trap as T;
    let mut t = vec![
        row(
            DebtsReport,
            "ID",
            "phone",
            "081255000001",
            T::DropAfterRequest,
        ),
        row(
            DebtsReport,
            "ID",
            "phone",
            "081255000002",
            T::PendingWithoutTaskId,
        ),
        row(
            MultipleOrder,
            "IN",
            "phone",
            "9550000001",
            T::DropAfterRequest,
        ),
        row(
            MultipleOrder,
            "IN",
            "phone",
            "9550000002",
            T::PendingWithoutTaskId,
        ),
        row(
            PhoneStatus,
            "MX",
            "phone",
            "5555000001",
            T::DropAfterRequest,
        ),
        row(
            PhoneStatus,
            "MX",
            "phone",
            "5555000002",
            T::PendingWithoutTaskId,
        ),
        row(
            PhoneStatus,
            "MX",
            "phone",
            "5555000003",
            T::FirstPollHangs("ring"),
        ),
    ];
    for (i, e) in ECHOED_POLL_ERRORS.iter().enumerate() {
        t.push(row(
            PhoneStatus,
            "MX",
            "phone",
            format!("55550000{:02}", i + 4),
            T::PollErrorEchoingTaskId(*e),
        ));
    }
    t.push(row(
        Multiplatform,
        "any",
        "id_number",
        "RDSK800101HDFTRP01",
        T::DropAfterRequest,
    ));
    t.push(row(
        CreditWillingness,
        "ID",
        "phone",
        "081255000001",
        T::DropAfterRequest,
    ));
    t
}

fn row<B>(
    check: CheckKind,
    country: &'static str,
    identifier: &'static str,
    key: impl Into<String>,
    behaviour: B,
) -> Scenario<B> {
    Scenario {
        check,
        country,
        identifier,
        key: key.into(),
        behaviour,
    }
}

/// A check, its country, the identifier and how the n-th fault's key is spelled.
type FaultKeys = (CheckKind, &'static str, &'static str, fn(usize) -> String);

fn build() -> Vec<Scenario> {
    use Behaviour as B;
    use CheckKind::*;
    let mut t = vec![
        row(
            DebtsReport,
            "ID",
            "phone",
            "081234567890",
            B::Debts(Debts::Clean),
        ),
        row(
            DebtsReport,
            "ID",
            "phone",
            "081298765432",
            B::Debts(Debts::HeavyBorrower),
        ),
        row(
            DebtsReport,
            "ID",
            "phone",
            "081233330001",
            B::Debts(Debts::DocumentedArray),
        ),
        row(
            DebtsReport,
            "ID",
            "phone",
            "081211110000",
            B::Debts(Debts::NotHit),
        ),
        // A 9-digit Indonesian mobile (the willingness page's sample number): typed as
        // `62812345678` it must reach the vendor as `62812345678`, not `6262812345678`.
        row(
            DebtsReport,
            "ID",
            "phone",
            "0812345678",
            B::Debts(Debts::Clean),
        ),
    ];
    for (i, e) in ACCUAUTH_ERRORS.iter().enumerate() {
        t.push(row(
            DebtsReport,
            "ID",
            "phone",
            format!("0812990000{:02}", i + 1),
            B::AccuAuthError(*e),
        ));
    }
    for (i, f) in IDENTIFIER_FAULTS.iter().enumerate() {
        t.push(row(
            DebtsReport,
            "ID",
            "phone",
            format!("0812660000{:02}", i + 1),
            B::Fault(*f),
        ));
    }
    t.push(row(
        MultipleOrder,
        "IN",
        "phone",
        "9876543210",
        B::Orders(Orders::Miss),
    ));
    t.push(row(
        MultipleOrder,
        "IN",
        "phone",
        "9123456789",
        B::Orders(Orders::Blacklist),
    ));
    t.push(row(
        MultipleOrder,
        "IN",
        "phone",
        "9812345670",
        B::Orders(Orders::Greylist),
    ));
    for (i, e) in ACCUAUTH_ERRORS.iter().enumerate() {
        t.push(row(
            MultipleOrder,
            "IN",
            "phone",
            format!("90000000{:02}", i + 1),
            B::AccuAuthError(*e),
        ));
    }
    for (i, s) in PHONE_STATUSES.iter().enumerate() {
        t.push(row(
            PhoneStatus,
            "MX",
            "phone",
            format!("55123400{:02}", i + 1),
            B::Phone(PhoneFlow::After(s)),
        ));
    }
    t.push(row(
        PhoneStatus,
        "MX",
        "phone",
        "5512340009",
        B::Phone(PhoneFlow::Immediate("connected")),
    ));
    t.push(row(
        PhoneStatus,
        "MX",
        "phone",
        "5512340010",
        B::Phone(PhoneFlow::Never),
    ));
    t.push(row(
        PhoneStatus,
        "MX",
        "phone",
        "5512340011",
        B::Phone(PhoneFlow::PollError(ACCUAUTH_ERRORS[8])),
    ));
    t.push(row(
        PhoneStatus,
        "MX",
        "phone",
        "5512340012",
        B::Phone(PhoneFlow::PollError(ACCUAUTH_ERRORS[6])),
    ));
    for (i, e) in ACCUAUTH_ERRORS.iter().enumerate() {
        t.push(row(
            PhoneStatus,
            "MX",
            "phone",
            format!("55990000{:02}", i + 1),
            B::AccuAuthError(*e),
        ));
    }
    let sets = [
        Indicators::Clean,
        Indicators::NoRecord,
        Indicators::Mixed,
        Indicators::Heavy,
        Indicators::Strings,
    ];
    for (i, s) in sets.iter().enumerate() {
        t.push(row(
            Multiplatform,
            "any",
            "id_number",
            format!("RDSK800101HDFMPL{i:02}"),
            B::Indicators(*s),
        ));
    }
    for e in MULTIPLATFORM_ERRORS {
        t.push(row(
            Multiplatform,
            "any",
            "id_number",
            format!("RDSKERR{:011}", e.code),
            B::TrustDecisionError(*e),
        ));
    }
    t.push(row(
        CreditWillingness,
        "ID",
        "phone",
        "081234567890",
        B::Willingness(Willingness::Score(838)),
    ));
    t.push(row(
        CreditWillingness,
        "ID",
        "phone",
        "081298765432",
        B::Willingness(Willingness::Score(412)),
    ));
    for score in [300, 450, 600, 750, 900] {
        t.push(row(
            CreditWillingness,
            "ID",
            "phone",
            format!("08127777{score:04}"),
            B::Willingness(Willingness::Score(score)),
        ));
    }
    t.push(row(
        CreditWillingness,
        "ID",
        "phone",
        "081277770655",
        B::Willingness(Willingness::ScoreAsString(655)),
    ));
    for e in WILLINGNESS_ERRORS {
        t.push(row(
            CreditWillingness,
            "ID",
            "phone",
            format!("0812880{:05}", e.code),
            B::TrustDecisionError(*e),
        ));
    }
    // The same faults for the other checks, so every client path can be rehearsed.
    let fault_keys: [FaultKeys; 4] = [
        (MultipleOrder, "IN", "phone", |n| format!("91000000{n:02}")),
        (PhoneStatus, "MX", "phone", |n| format!("55660000{n:02}")),
        (Multiplatform, "any", "id_number", |n| {
            format!("RDSK800101HDFFLT{n:02}")
        }),
        (CreditWillingness, "ID", "phone", |n| {
            format!("0812660000{n:02}")
        }),
    ];
    for (check, country, identifier, key) in fault_keys {
        for (i, f) in IDENTIFIER_FAULTS.iter().enumerate() {
            t.push(row(check, country, identifier, key(i + 1), B::Fault(*f)));
        }
    }
    t
}
