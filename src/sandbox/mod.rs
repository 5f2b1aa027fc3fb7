//! A vendor simulator on loopback: the six AccuAuth and TrustDecision endpoints as their
//! pages describe them, with deterministic scenarios keyed on identifiers and injectable
//! faults. Written from `vendor-docs/`, not from riskdesk's client, so each catches the
//! other's mistakes: it accepts only what the pages define (where they are vague, the
//! lenient reading, written down where the check is made). Trap rows rehearse the vendors'
//! bad days, and it counts what it received (`Sandbox::stats`, `GET /_sandbox/stats`).
//! Imports nothing from riskdesk but `check`.

mod accuauth;
mod clock;
mod data;
mod errors;
mod faults;
mod lookup;
mod scenarios;
mod sequence;
mod stats;
mod table;
mod task_id;
mod trustdecision;
mod wire;

pub use accuauth::mobile_no_for;
pub use clock::{Clock, ManualClock, SystemClock};
pub use faults::{DEFAULT_FAULT_MIX, RandomFaults, parse_percent};
pub use scenarios::{
    ACCUAUTH_ERRORS, AccuError, Behaviour, Debts, ECHOED_POLL_ERRORS, IDENTIFIER_FAULTS,
    Indicators, MULTIPLATFORM_ERRORS, Orders, PHONE_STATUSES, PhoneFlow, SEQUENCE_ID_NUMBER,
    SEQUENCE_PHONE_ID, SEQUENCE_PHONE_IN, SEQUENCE_PHONE_MX, Scenario, Sequence, SequenceScenario,
    TdError, Trap, TrapScenario, WILLINGNESS_ERRORS, Willingness, scenarios, sequences, traps,
};
pub use sequence::{SEQUENCE_DIR, counter_name, next_in};
pub use stats::SandboxStats;
pub use table::scenarios_markdown;
pub use wire::Fault;

use axum::Router;
use axum::routing::{get, post};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// The AccuAuth `X-DF-API-ID` the sandbox accepts.
pub const SANDBOX_API_ID: &str = "sandbox-api-id";
/// The AccuAuth `X-DF-API-SECRET` the sandbox accepts.
pub const SANDBOX_API_SECRET: &str = "sandbox-api-secret";
/// The TrustDecision `partner_code` the sandbox accepts.
pub const SANDBOX_PARTNER_CODE: &str = "sandbox-partner";
/// The TrustDecision `partner_key` the sandbox accepts.
pub const SANDBOX_PARTNER_KEY: &str = "sandbox-partner-key";
/// Where the multiplatform product lives on the sandbox.
pub const MULTIPLATFORM_PATH: &str = "/td/multiplatform";
/// Where the credit willingness product lives on the sandbox.
pub const CREDIT_WILLINGNESS_PATH: &str = "/td/credit_willingness";
/// `GET` here answers the request counts as JSON ([`SandboxStats`]).
pub const STATS_PATH: &str = "/_sandbox/stats";

/// The credentials a sandbox accepts: the `SANDBOX_*` constants by default. Tests set their
/// own (e.g. canaries) to prove a credential never leaves the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct SandboxCredentials {
    pub api_id: String,
    pub api_secret: String,
    pub partner_code: String,
    pub partner_key: String,
}

impl Default for SandboxCredentials {
    fn default() -> Self {
        SandboxCredentials {
            api_id: SANDBOX_API_ID.into(),
            api_secret: SANDBOX_API_SECRET.into(),
            partner_code: SANDBOX_PARTNER_CODE.into(),
            partner_key: SANDBOX_PARTNER_KEY.into(),
        }
    }
}

// By hand: a test's canary secret must not reach Debug output either.
impl std::fmt::Debug for SandboxCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxCredentials")
            .field("api_id", &self.api_id)
            .field("api_secret", &"***")
            .field("partner_code", &self.partner_code)
            .field("partner_key", &"***")
            .finish()
    }
}

/// How a sandbox runs.
#[derive(Clone)]
pub struct SandboxOptions {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Added to every answer.
    pub latency: Duration,
    /// How long a phone task stays PENDING, measured on `clock`.
    pub phone_pending: Duration,
    /// How long the first poll of a `Trap::FirstPollHangs` task hangs before it answers
    /// (real time, not `clock`): longer than any client timeout by default (10 minutes).
    /// The hang also ends when the client closes the connection or the sandbox stops.
    pub poll_hang: Duration,
    pub clock: Arc<dyn Clock>,
    /// A fault on every answer (per-identifier faults are scenario rows).
    pub fault: Option<Fault>,
    /// Faults on a share of answers, drawn per request from a seed (`--fault-percent`).
    /// A scenario row's fault or `fault` wins over a drawn one; every answer takes a draw.
    pub random_faults: Option<RandomFaults>,
    pub credentials: SandboxCredentials,
    /// Where the calls of the rows whose answers change ([`sequences()`]) are counted: a
    /// data directory (counters in `<dir>/sandbox-sequence/`, shared by every sandbox and
    /// process using it: the built-in sandbox of each riskdesk run), or `None` to count in
    /// memory for this sandbox's life.
    pub sequence_dir: Option<PathBuf>,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            latency: Duration::ZERO,
            phone_pending: Duration::from_secs(8),
            poll_hang: Duration::from_secs(600),
            clock: Arc::new(SystemClock),
            fault: None,
            random_faults: None,
            credentials: SandboxCredentials::default(),
            sequence_dir: None,
        }
    }
}

impl std::fmt::Debug for SandboxOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxOptions")
            .field("listen", &self.listen)
            .field("latency", &self.latency)
            .field("phone_pending", &self.phone_pending)
            .field("poll_hang", &self.poll_hang)
            .field("fault", &self.fault)
            .field("random_faults", &self.random_faults)
            .field("credentials", &self.credentials)
            .field("sequence_dir", &self.sequence_dir)
            .finish_non_exhaustive()
    }
}

/// What every handler shares.
pub(crate) struct AppState {
    pub opts: SandboxOptions,
    /// Turns true at shutdown; hanging answers watch it.
    pub stop: watch::Receiver<bool>,
    /// What was received; shared with the [`Sandbox`] handle.
    pub counters: Arc<stats::Counters>,
    /// The `Trap::FirstPollHangs` tasks whose first poll came (lowercase task ids). Task
    /// ids themselves carry their state; this is the only task state the sandbox keeps,
    /// and a restart forgets it.
    first_polls: Mutex<HashSet<String>>,
    /// How many answers have taken a draw of `opts.random_faults`.
    draws: AtomicU64,
    /// The calls of each sequence row.
    sequences: sequence::Sequences,
}

/// The fault the options put on one answer, decided before the answer is planned (a
/// sequence row advances only when its answer will reach the client).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OptionFault {
    fault: Option<Fault>,
    /// Drawn from `random_faults` (counted in the stats when it is the one sent).
    drawn: bool,
}

impl OptionFault {
    /// Whether an answer sent under this fault reaches the client whole.
    pub fn delivers(&self) -> bool {
        self.fault.is_none_or(|f| f.delivers())
    }
}

impl AppState {
    /// Counts a request that selected `row`.
    pub fn count<B>(&self, row: Option<&Scenario<B>>) {
        if let Some(r) = row {
            self.counters.row(r.check, &r.key);
        }
    }

    /// The options' fault for the next answer: the one on every answer, else a drawn one.
    /// Every answer takes a draw, once.
    pub fn option_fault(&self) -> OptionFault {
        let drawn = self
            .opts
            .random_faults
            .as_ref()
            .and_then(|r| r.draw(self.draws.fetch_add(1, Ordering::Relaxed)));
        match self.opts.fault {
            Some(f) => OptionFault {
                fault: Some(f),
                drawn: false,
            },
            None => OptionFault {
                fault: drawn,
                drawn: drawn.is_some(),
            },
        }
    }

    /// The answer of this call of a sequence row, counting the call, when the answer will
    /// reach the client (`delivers`); else the row's first step, not counted (the client
    /// gets the fault, not this answer).
    pub fn step(&self, row: &SequenceScenario, delivers: bool) -> &'static Behaviour {
        if delivers {
            row.behaviour.step(self.sequences.next(row.check, &row.key))
        } else {
            row.behaviour.step(1)
        }
    }

    /// Sends `planned` with its fault: the scenario row's (`row_fault`), else the options'
    /// (`option`, a drawn one counted in the stats). A hanging or held answer is counted
    /// in `hanging` until it ends, which is also when its client closes the connection:
    /// hyper then drops this future.
    pub async fn respond(
        &self,
        planned: wire::Planned,
        row_fault: Option<Fault>,
        option: OptionFault,
    ) -> axum::response::Response {
        let fault = row_fault.or_else(|| {
            if let (Some(f), true) = (option.fault, option.drawn) {
                self.counters.fault(f.name());
            }
            option.fault
        });
        let _hanging =
            (fault == Some(Fault::Hang) || planned.hold.is_some()).then(|| self.counters.hanging());
        wire::deliver(planned, fault, self.stop.clone()).await
    }

    /// Whether this is the first poll of `task_id` (and remembers that it came).
    pub fn first_poll(&self, task_id: &str) -> bool {
        self.first_polls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(task_id.trim().to_ascii_lowercase())
    }
}

/// A running sandbox. Dropping it or calling [`Sandbox::shutdown`] stops it.
pub struct Sandbox {
    addr: SocketAddr,
    credentials: SandboxCredentials,
    counters: Arc<stats::Counters>,
    stop: watch::Sender<bool>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl Sandbox {
    /// Binds and starts serving in the background.
    pub async fn start(opts: SandboxOptions) -> anyhow::Result<Sandbox> {
        // Simulated vendors with well-known credentials must not be reachable from the network.
        if !opts.listen.ip().is_loopback() {
            anyhow::bail!(
                "sandbox: {} is not a loopback address; listen on 127.0.0.1 or [::1]",
                opts.listen
            );
        }
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .map_err(|e| anyhow::anyhow!("sandbox: cannot listen on {}: {e}", opts.listen))?;
        let addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let credentials = opts.credentials.clone();
        let counters = Arc::new(stats::Counters::default());
        let sequences = sequence::Sequences::new(opts.sequence_dir.clone());
        let state = Arc::new(AppState {
            sequences,
            opts,
            stop: stop_rx.clone(),
            counters: counters.clone(),
            first_polls: Mutex::new(HashSet::new()),
            draws: AtomicU64::new(0),
        });
        let app = router(state);
        let mut stop_signal = stop_rx;
        let server = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stop_signal.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::warn!("sandbox server stopped: {e}");
            }
        });
        Ok(Sandbox {
            addr,
            credentials,
            counters,
            stop: stop_tx,
            server: Some(server),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The AccuAuth base URL for all three AccuAuth hosts: `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn multiplatform_url(&self) -> String {
        format!("{}{MULTIPLATFORM_PATH}", self.base_url())
    }

    pub fn credit_willingness_url(&self) -> String {
        format!("{}{CREDIT_WILLINGNESS_PATH}", self.base_url())
    }

    /// Where `GET` answers the request counts (for a sandbox in another process).
    pub fn stats_url(&self) -> String {
        format!("{}{STATS_PATH}", self.base_url())
    }

    /// What this sandbox has received so far.
    pub fn stats(&self) -> SandboxStats {
        self.counters.snapshot()
    }

    /// How many requests selected the scenario or trap row (`check`, `key`), e.g. how
    /// many times a billed check whose connection is cut after the request was sent.
    pub fn received(&self, check: crate::check::CheckKind, key: &str) -> u64 {
        self.stats().received(check, key)
    }

    /// `[accuauth]` and `[trustdecision]` sections pointing at this sandbox.
    pub fn config_snippet(&self) -> String {
        let q = |v: &str| toml::Value::String(v.to_string()).to_string();
        let c = &self.credentials;
        let base = q(&self.base_url());
        format!(
            "[accuauth]\n\
             api_id = {}\n\
             api_secret = {}\n\
             body = \"form\"\n\
             debts_report_url = {base}\n\
             multiple_order_url = {base}\n\
             phone_status_url = {base}\n\
             \n\
             [trustdecision]\n\
             partner_code = {}\n\
             partner_key = {}\n\
             multiplatform_url = {}\n\
             credit_willingness_url = {}\n",
            q(&c.api_id),
            q(&c.api_secret),
            q(&c.partner_code),
            q(&c.partner_key),
            q(&self.multiplatform_url()),
            q(&self.credit_willingness_url())
        )
    }

    /// Stops accepting, ends hanging answers and waits (briefly) for open connections.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), server)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // The server task winds down on its own: graceful shutdown closes idle connections
        // and hanging answers end on the same signal.
        let _ = self.stop.send(true);
    }
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/check/debts_report", post(accuauth::debts_report))
        .route("/check/multiple_order/o1", post(accuauth::multiple_order))
        .route("/check/phone_number/o1", post(accuauth::phone_number))
        .route(
            "/check/phone_number/task_result/o1",
            post(accuauth::task_result),
        )
        .route(MULTIPLATFORM_PATH, post(trustdecision::multiplatform))
        .route(
            CREDIT_WILLINGNESS_PATH,
            post(trustdecision::credit_willingness),
        )
        .route(STATS_PATH, get(stats_json))
        .fallback(accuauth::unknown_path)
        .method_not_allowed_fallback(accuauth::unknown_path)
        .with_state(state)
}

async fn stats_json(st: axum::extract::State<Arc<AppState>>) -> axum::Json<SandboxStats> {
    axum::Json(st.counters.snapshot())
}

/// `riskdesk sandbox`: prints where it listens, the credentials it accepts and a config
/// snippet, then serves until Ctrl-C.
pub async fn run_standalone(
    opts: SandboxOptions,
    out: &mut (dyn std::io::Write + Send),
) -> anyhow::Result<()> {
    run_until(opts, out, async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("sandbox: cannot wait for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    })
    .await
}

async fn run_until(
    opts: SandboxOptions,
    out: &mut (dyn std::io::Write + Send),
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let sandbox = Sandbox::start(opts.clone()).await?;
    writeln!(out, "riskdesk SANDBOX: simulated vendors, never real data")?;
    writeln!(out, "listening on {}", sandbox.base_url())?;
    let c = &opts.credentials;
    writeln!(
        out,
        "AccuAuth: X-DF-API-ID = {}, X-DF-API-SECRET = {}",
        c.api_id, c.api_secret
    )?;
    writeln!(
        out,
        "TrustDecision: partner_code = {}, partner_key = {}",
        c.partner_code, c.partner_key
    )?;
    writeln!(
        out,
        "latency {} ms, phone tasks pending {} s, first poll of a hanging-poll task {} s{}",
        opts.latency.as_millis(),
        opts.phone_pending.as_secs(),
        opts.poll_hang.as_secs(),
        opts.fault
            .map(|f| format!(", fault on every answer: {}", f.describe()))
            .or_else(|| opts
                .random_faults
                .as_ref()
                .map(|r| format!(", faults on {}", r.describe())))
            .unwrap_or_default()
    )?;
    writeln!(
        out,
        "\nPaste into config.toml:\n\n{}",
        sandbox.config_snippet()
    )?;
    writeln!(out, "Request counts: GET {}", sandbox.stats_url())?;
    writeln!(out, "Scenarios: see the README. Serving until Ctrl-C.")?;
    out.flush()?;
    stop.await;
    sandbox.shutdown().await;
    writeln!(out, "sandbox stopped")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn standalone_prints_where_and_how_then_stops() {
        let mut out = Vec::new();
        run_until(SandboxOptions::default(), &mut out, async {})
            .await
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("listening on http://127.0.0.1:"), "{text}");
        assert!(text.contains(SANDBOX_API_SECRET) && text.contains(SANDBOX_PARTNER_KEY));
        assert!(text.contains("[trustdecision]") && text.contains(MULTIPLATFORM_PATH));
        assert!(text.ends_with("sandbox stopped\n"));
    }

    fn client(timeout: Duration) -> reqwest::Client {
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .expect("client")
    }

    async fn post(client: &reqwest::Client, sb: &Sandbox) -> reqwest::Result<reqwest::Response> {
        client
            .post(format!("{}/check/debts_report", sb.base_url()))
            .header("X-DF-API-ID", SANDBOX_API_ID)
            .header("X-DF-API-SECRET", SANDBOX_API_SECRET)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("mobile=6281377000001")
            .send()
            .await
    }

    /// A hanging answer ends when its client gives up, not only when the sandbox stops.
    #[tokio::test]
    async fn a_hang_ends_when_the_client_gives_up() {
        let sb = Sandbox::start(SandboxOptions {
            fault: Some(Fault::Hang),
            ..SandboxOptions::default()
        })
        .await
        .unwrap();
        let client = client(Duration::from_millis(600));
        let request = tokio::spawn({
            let client = client.clone();
            let url = sb.base_url();
            async move {
                client
                    .post(format!("{url}/check/debts_report"))
                    .body("mobile=6281377000001")
                    .send()
                    .await
            }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while sb.stats().hanging != 1 {
            assert!(std::time::Instant::now() < deadline, "the hang never began");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let err = request.await.unwrap().expect_err("the client gave up");
        assert!(err.is_timeout(), "{err}");
        while sb.stats().hanging != 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the answer still hangs after its client gave up"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        sb.shutdown().await;
    }

    #[tokio::test]
    async fn drawn_faults_reach_the_wire_and_are_counted() {
        let sb = Sandbox::start(SandboxOptions {
            random_faults: Some(RandomFaults {
                mix: vec![Fault::BadGateway],
                ..RandomFaults::new(50.0, 11)
            }),
            ..SandboxOptions::default()
        })
        .await
        .unwrap();
        let client = client(Duration::from_secs(10));
        let mut gateway = Vec::new();
        for _ in 0..40 {
            gateway.push(post(&client, &sb).await.unwrap().status() == 502);
        }
        let expected: Vec<bool> = {
            let r = RandomFaults {
                mix: vec![Fault::BadGateway],
                ..RandomFaults::new(50.0, 11)
            };
            (0..40).map(|n| r.draw(n).is_some()).collect()
        };
        assert_eq!(gateway, expected, "the n-th answer gets the n-th draw");
        let bad = gateway.iter().filter(|g| **g).count() as u64;
        assert!(bad > 0 && bad < 40);
        assert_eq!(sb.stats().faults.get("502"), Some(&bad));
        sb.shutdown().await;
    }

    #[tokio::test]
    async fn only_loopback_addresses_are_served() {
        let opts = SandboxOptions {
            listen: SocketAddr::from(([0, 0, 0, 0], 0)),
            ..SandboxOptions::default()
        };
        let err = Sandbox::start(opts).await.err().expect("refused");
        assert!(err.to_string().contains("not a loopback address"), "{err}");
    }

    #[tokio::test]
    async fn a_busy_address_is_an_error_not_a_panic() {
        let first = Sandbox::start(SandboxOptions::default()).await.unwrap();
        let opts = SandboxOptions {
            listen: first.addr(),
            ..SandboxOptions::default()
        };
        let err = Sandbox::start(opts).await.err().expect("address in use");
        assert!(err.to_string().contains("cannot listen"));
    }
}
