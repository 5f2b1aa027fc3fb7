//! Faults on a share of answers (`--fault-percent`): the n-th request the sandbox serves gets
//! a fault or not by a pure function of the seed and n, so a run that sends its requests in
//! the same order sees the same faults on the same requests, on any machine.

use super::wire::Fault;

/// Misbehave on `percent` % of answers, each time one of `mix` (evenly).
#[derive(Debug, Clone, PartialEq)]
pub struct RandomFaults {
    /// Share of answers that get a fault, 0–100 (fractions allowed: 0.5 is one in 200).
    pub percent: f64,
    /// The faults to choose from, evenly; empty means none.
    pub mix: Vec<Fault>,
    /// Same seed, same sequence of draws.
    pub seed: u64,
}

/// What `--fault-mix` defaults to: the four ways an answer goes wrong that a client cannot
/// wait out.
pub const DEFAULT_FAULT_MIX: [Fault; 4] = [
    Fault::Hang,
    Fault::DropConnection,
    Fault::BadGateway,
    Fault::TruncatedJson,
];

impl RandomFaults {
    /// `percent` of answers, the default mix.
    pub fn new(percent: f64, seed: u64) -> Self {
        RandomFaults {
            percent,
            mix: DEFAULT_FAULT_MIX.to_vec(),
            seed,
        }
    }

    /// The fault of the `n`-th request (0-based), if it gets one.
    pub fn draw(&self, n: u64) -> Option<Fault> {
        if self.mix.is_empty() || self.percent.is_nan() || self.percent <= 0.0 {
            return None;
        }
        let h = splitmix64(self.seed.wrapping_add(n.wrapping_mul(GOLDEN_GAMMA)));
        // The top 53 bits as a uniform number in [0, 100).
        let u = (h >> 11) as f64 * (100.0 / (1u64 << 53) as f64);
        if u >= self.percent {
            return None;
        }
        // Which one from bits the comparison above barely used.
        let pick = splitmix64(h) % self.mix.len() as u64;
        Some(self.mix[pick as usize])
    }

    /// `1% of answers (hang, drop, 502, truncated; seed 7)`.
    pub fn describe(&self) -> String {
        let names: Vec<&str> = self.mix.iter().map(Fault::name).collect();
        format!(
            "{}% of answers ({}; seed {})",
            self.percent,
            names.join(", "),
            self.seed
        )
    }
}

/// Parses `--fault-percent`: a number from 0 to 100, fractions allowed.
pub fn parse_percent(s: &str) -> Result<f64, String> {
    let p: f64 = s
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("'{s}' is not a number"))?;
    if !(0.0..=100.0).contains(&p) {
        return Err(format!("{p} is not a percentage from 0 to 100"));
    }
    Ok(p)
}

const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's output function: a well-mixed 64-bit value from any input.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(GOLDEN_GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn count(f: &RandomFaults, draws: u64) -> HashMap<Fault, u64> {
        let mut by = HashMap::new();
        for n in 0..draws {
            if let Some(fault) = f.draw(n) {
                *by.entry(fault).or_default() += 1;
            }
        }
        by
    }

    #[test]
    fn the_rate_holds_over_ten_thousand_draws() {
        // Binomial(10_000, p): tolerance of about four standard deviations.
        for (percent, tolerance) in [(1.0, 40), (0.5, 30), (10.0, 120), (50.0, 200)] {
            for seed in [0, 1, 42, u64::MAX] {
                let by = count(&RandomFaults::new(percent, seed), 10_000);
                let total: u64 = by.values().sum();
                let expected = (percent * 100.0) as u64;
                assert!(
                    total.abs_diff(expected) <= tolerance,
                    "{percent}% seed {seed}: {total} faults in 10,000, expected {expected}"
                );
            }
        }
    }

    #[test]
    fn every_fault_of_the_mix_comes_about_evenly() {
        let by = count(&RandomFaults::new(20.0, 3), 10_000);
        assert_eq!(by.len(), 4, "{by:?}");
        for fault in DEFAULT_FAULT_MIX {
            let n = by[&fault];
            assert!((400..=600).contains(&n), "{fault:?}: {n} of ~500");
        }
        let only = RandomFaults {
            mix: vec![Fault::BadGateway],
            ..RandomFaults::new(20.0, 3)
        };
        assert_eq!(
            count(&only, 10_000).keys().collect::<Vec<_>>(),
            [&Fault::BadGateway]
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_draws_and_another_seed_others() {
        let draws = |seed| -> Vec<Option<Fault>> {
            let f = RandomFaults::new(1.0, seed);
            (0..10_000).map(|n| f.draw(n)).collect()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
    }

    #[test]
    fn zero_never_and_a_hundred_always() {
        assert!(count(&RandomFaults::new(0.0, 1), 10_000).is_empty());
        assert_eq!(
            count(&RandomFaults::new(100.0, 1), 10_000)
                .values()
                .sum::<u64>(),
            10_000
        );
        let empty = RandomFaults {
            mix: vec![],
            ..RandomFaults::new(100.0, 1)
        };
        assert_eq!(empty.draw(0), None);
    }

    #[test]
    fn percentages_parse_within_bounds() {
        assert_eq!(parse_percent("1"), Ok(1.0));
        assert_eq!(parse_percent("0.25"), Ok(0.25));
        assert_eq!(parse_percent("5%"), Ok(5.0));
        assert_eq!(parse_percent("100"), Ok(100.0));
        assert!(parse_percent("100.5").is_err());
        assert!(parse_percent("-1").is_err());
        assert!(parse_percent("NaN").is_err());
        assert!(parse_percent("lots").is_err());
    }
}
