//! Polls spread out: one gate per vendor host, shared by every task this process polls there.
//! At most [`MAX_POLLS_PER_HOST`] polls are in flight to a host at once; a rate-limit answer
//! holds every poll to that host back for a while and stretches every task's schedule (the
//! slowdown), which answers then ease again. Resumed tasks start at jittered offsets
//! ([`resume_jitter`]) instead of all at once.

use super::next_poll_delay;
use crate::check::Outcome;
use crate::vendor::ErrorKind;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// At most this many polls are in flight to one vendor host at once, process-wide.
pub const MAX_POLLS_PER_HOST: usize = 4;
/// A rate-limit answer doubles the host's slowdown, up to this factor; an answer halves it.
pub const MAX_SLOWDOWN: u32 = 16;
/// After a rate-limit answer no poll goes to that host for this long, times the slowdown.
pub const RATE_LIMIT_COOLDOWN: Duration = Duration::from_secs(5);
/// However slowed, no task waits longer than this between polls.
pub const MAX_POLL_DELAY: Duration = Duration::from_secs(600);

/// The polls of one vendor host: in-flight slots and the shared pace.
#[derive(Debug)]
pub struct PollGate {
    host: String,
    slots: tokio::sync::Semaphore,
    pace: Mutex<Pace>,
}

#[derive(Debug, Clone, Copy)]
struct Pace {
    /// No poll to the host starts before this instant.
    not_before: Option<Instant>,
    /// Every task's own backoff is multiplied by this (1 = the vendor is not pushing back).
    slowdown: u32,
}

/// `host:port` of a URL (what the gates are keyed on); the trimmed text when it is no URL.
pub fn host_of(url: &str) -> String {
    match reqwest::Url::parse(url.trim()) {
        Ok(u) => match (u.host_str(), u.port_or_known_default()) {
            (Some(h), Some(p)) => format!("{}:{p}", h.to_ascii_lowercase()),
            (Some(h), None) => h.to_ascii_lowercase(),
            _ => url.trim().to_string(),
        },
        Err(_) => url.trim().to_string(),
    }
}

impl PollGate {
    /// A gate of its own (tests); the program uses [`PollGate::for_url`].
    pub fn new(host: impl Into<String>) -> PollGate {
        PollGate {
            host: host.into(),
            slots: tokio::sync::Semaphore::new(MAX_POLLS_PER_HOST),
            pace: Mutex::new(Pace {
                not_before: None,
                slowdown: 1,
            }),
        }
    }

    /// The process-wide gate for the host of `url` (the configured phone-status URL): every
    /// poller in the process that polls that host shares it.
    pub fn for_url(url: &str) -> Arc<PollGate> {
        static GATES: OnceLock<Mutex<HashMap<String, Arc<PollGate>>>> = OnceLock::new();
        let host = host_of(url);
        let mut gates = GATES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        gates
            .entry(host.clone())
            .or_insert_with(|| Arc::new(PollGate::new(host)))
            .clone()
    }

    /// The gate for the phone-status host of a config (as the client was built from it).
    pub fn for_config(config: &crate::config::Config) -> Arc<PollGate> {
        PollGate::for_url(&config.accuauth.phone_status_url)
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    fn pace(&self) -> std::sync::MutexGuard<'_, Pace> {
        self.pace.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The factor every task's backoff is stretched by right now (1 = not slowed).
    pub fn slowdown(&self) -> u32 {
        self.pace().slowdown
    }

    /// Polls to this host in flight right now.
    pub fn in_flight(&self) -> usize {
        MAX_POLLS_PER_HOST - self.slots.available_permits()
    }

    /// Delay before poll number `attempts + 1` of a task: its own backoff
    /// ([`next_poll_delay`]) stretched by the host's slowdown.
    pub fn delay(&self, attempts: u32) -> Duration {
        (next_poll_delay(attempts) * self.slowdown()).min(MAX_POLL_DELAY)
    }

    /// How long from `now` until a poll may start (zero when it may start now).
    pub fn wait_at(&self, now: Instant) -> Duration {
        self.pace()
            .not_before
            .map_or(Duration::ZERO, |t| t.saturating_duration_since(now))
    }

    /// Takes a poll's answer into the host's pace: a rate limit doubles the slowdown and
    /// holds every poll back; an answer (a status, or still pending) halves it.
    pub fn observe_at(&self, outcome: Outcome, kind: Option<ErrorKind>, now: Instant) {
        let mut pace = self.pace();
        if kind == Some(ErrorKind::RateLimited) {
            pace.slowdown = (pace.slowdown * 2).min(MAX_SLOWDOWN);
            let until = now + RATE_LIMIT_COOLDOWN * pace.slowdown;
            pace.not_before = Some(pace.not_before.map_or(until, |t| t.max(until)));
        } else if matches!(outcome, Outcome::Ok | Outcome::NotHit | Outcome::Pending) {
            pace.slowdown = (pace.slowdown / 2).max(1);
        }
    }

    /// Waits until a poll may go to this host (past any rate-limit hold, and a slot free);
    /// the poll holds the returned permit while it is in flight.
    pub async fn enter(&self) -> tokio::sync::SemaphorePermit<'_> {
        loop {
            let wait = self.wait_at(Instant::now());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
                continue;
            }
            let permit = self
                .slots
                .acquire()
                .await
                .expect("a poll gate's semaphore is never closed");
            // A rate limit may have come back while this waited for a slot.
            if self.wait_at(Instant::now()).is_zero() {
                return permit;
            }
        }
    }
}

/// The window the first polls of `n` resumed tasks are spread over: one second plus half a
/// second a task, at most 30 s.
pub fn resume_window(n: usize) -> Duration {
    let n = n.min(1000) as u32;
    (Duration::from_secs(1) + Duration::from_millis(500) * n).min(Duration::from_secs(30))
}

/// When the first poll of one of `n` resumed tasks goes out: uniform over [`resume_window`].
pub fn resume_jitter(n: usize) -> Duration {
    resume_window(n).mul_f64(rand::random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_key_the_gates() {
        assert_eq!(
            host_of("https://API.example.com/v1/"),
            "api.example.com:443"
        );
        assert_eq!(host_of("http://127.0.0.1:8080"), "127.0.0.1:8080");
        let a = PollGate::for_url("http://gate-test.invalid:81/x");
        let b = PollGate::for_url("http://gate-test.invalid:81/other/path");
        let c = PollGate::for_url("http://gate-test.invalid:82/x");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }

    #[test]
    fn a_rate_limit_slows_every_task_of_the_host_and_answers_ease_it() {
        let gate = PollGate::new("vendor:443");
        let t0 = Instant::now();
        assert_eq!(gate.wait_at(t0), Duration::ZERO);
        assert_eq!(gate.delay(0), next_poll_delay(0));
        assert_eq!(gate.delay(3), next_poll_delay(3));

        // One task is told to slow down: every task's next poll respects it.
        gate.observe_at(Outcome::Error, Some(ErrorKind::RateLimited), t0);
        assert_eq!(gate.slowdown(), 2);
        assert_eq!(gate.wait_at(t0), RATE_LIMIT_COOLDOWN * 2);
        assert_eq!(gate.delay(0), next_poll_delay(0) * 2);
        assert_eq!(gate.delay(3), next_poll_delay(3) * 2);
        assert_eq!(gate.wait_at(t0 + RATE_LIMIT_COOLDOWN * 2), Duration::ZERO);

        // Again and again: the slowdown grows, capped, and the hold never shrinks.
        for _ in 0..10 {
            gate.observe_at(Outcome::Error, Some(ErrorKind::RateLimited), t0);
        }
        assert_eq!(gate.slowdown(), MAX_SLOWDOWN);
        assert_eq!(gate.delay(30), MAX_POLL_DELAY);
        assert_eq!(gate.wait_at(t0), RATE_LIMIT_COOLDOWN * MAX_SLOWDOWN);

        // Other failures leave the pace alone; answers halve the slowdown.
        gate.observe_at(Outcome::Error, Some(ErrorKind::Timeout), t0);
        assert_eq!(gate.slowdown(), MAX_SLOWDOWN);
        gate.observe_at(Outcome::Pending, None, t0);
        assert_eq!(gate.slowdown(), MAX_SLOWDOWN / 2);
        for _ in 0..10 {
            gate.observe_at(Outcome::Ok, None, t0);
        }
        assert_eq!(gate.slowdown(), 1);
    }

    #[tokio::test]
    async fn entering_waits_out_a_rate_limit_hold() {
        let gate = PollGate::new("vendor:443");
        let started = Instant::now();
        let permit = gate.enter().await;
        assert_eq!(gate.in_flight(), 1);
        drop(permit);
        assert!(started.elapsed() < Duration::from_millis(200));
        // A hold a quarter second out (as a rate limit sets it).
        gate.pace().not_before = Some(Instant::now() + Duration::from_millis(250));
        let started = Instant::now();
        let _permit = gate.enter().await;
        assert!(started.elapsed() >= Duration::from_millis(240));
    }

    #[tokio::test]
    async fn no_more_than_four_polls_are_in_flight() {
        let gate = Arc::new(PollGate::new("vendor:443"));
        let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let polls = (0..10).map(|_| {
            let gate = gate.clone();
            let peak = peak.clone();
            tokio::spawn(async move {
                let _permit = gate.enter().await;
                peak.fetch_max(gate.in_flight(), std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
            })
        });
        for p in polls.collect::<Vec<_>>() {
            p.await.unwrap();
        }
        assert_eq!(
            peak.load(std::sync::atomic::Ordering::SeqCst),
            MAX_POLLS_PER_HOST
        );
        assert_eq!(gate.in_flight(), 0);
    }

    #[test]
    fn resumed_first_polls_are_spread_over_a_window_that_grows_with_the_tasks() {
        assert_eq!(resume_window(0), Duration::from_secs(1));
        assert_eq!(resume_window(10), Duration::from_secs(6));
        assert_eq!(resume_window(usize::MAX), Duration::from_secs(30));
        let offsets: Vec<Duration> = (0..200).map(|_| resume_jitter(10)).collect();
        assert!(offsets.iter().all(|d| *d <= resume_window(10)));
        let early = offsets
            .iter()
            .filter(|d| **d < Duration::from_secs(3))
            .count();
        assert!(
            (40..160).contains(&early),
            "not spread: {early} of 200 early"
        );
    }
}
