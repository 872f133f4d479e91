//! Blue-green health check: N consecutive successes within a timeout (R-DEP-7).
//!
//! Probes are considered in time order from `started_at` up to and including
//! `started_at + timeout`; any failure resets the streak. The verdict is
//! Passed at the probe that completes the streak, TimedOut once `now` is past
//! the deadline without a pass, and Waiting otherwise.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// N and the timeout (defaults: 3 consecutive successes within 300 s — the policy names no number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheckPolicy {
    /// Consecutive successes needed.
    pub required_consecutive: u32,
    /// Deadline after the start, in seconds.
    pub timeout_seconds: u32,
}

impl Default for HealthCheckPolicy {
    fn default() -> Self {
        Self {
            required_consecutive: 3,
            timeout_seconds: 300,
        }
    }
}

/// One probe of the idle colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    /// When it answered.
    pub at: DateTime<Utc>,
    /// Whether it was healthy.
    pub ok: bool,
}

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum HealthVerdict {
    /// Streak complete.
    Passed {
        /// Time of the probe that completed the streak.
        at: DateTime<Utc>,
    },
    /// Still within the timeout.
    Waiting {
        /// Current streak.
        consecutive: u32,
    },
    /// Deadline passed without a full streak.
    TimedOut {
        /// Longest streak seen.
        best_streak: u32,
    },
}

/// Evaluates the probes so far (see module docs).
pub fn evaluate_health(
    policy: &HealthCheckPolicy,
    started_at: DateTime<Utc>,
    probes: &[Probe],
    now: DateTime<Utc>,
) -> HealthVerdict {
    if policy.required_consecutive == 0 {
        return HealthVerdict::Passed { at: started_at };
    }
    let deadline = started_at
        .checked_add_signed(TimeDelta::seconds(i64::from(policy.timeout_seconds)))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let mut sorted: Vec<Probe> = probes
        .iter()
        .copied()
        .filter(|p| p.at >= started_at && p.at <= deadline)
        .collect();
    sorted.sort_by_key(|p| p.at);
    let (mut streak, mut best) = (0u32, 0u32);
    for p in sorted {
        streak = if p.ok { streak + 1 } else { 0 };
        best = best.max(streak);
        if streak >= policy.required_consecutive {
            return HealthVerdict::Passed { at: p.at };
        }
    }
    if now > deadline {
        HealthVerdict::TimedOut { best_streak: best }
    } else {
        HealthVerdict::Waiting {
            consecutive: streak,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + TimeDelta::seconds(s)
    }
    fn p(s: i64, ok: bool) -> Probe {
        Probe { at: t(s), ok }
    }

    #[test]
    fn r_dep_7_consecutive_successes_within_timeout() {
        let pol = HealthCheckPolicy::default();
        assert_eq!(
            evaluate_health(&pol, t(0), &[p(10, true), p(20, true), p(30, true)], t(30)),
            HealthVerdict::Passed { at: t(30) }
        );
        // A failure resets the streak; unordered input is sorted.
        let probes = [
            p(40, true),
            p(10, true),
            p(20, true),
            p(30, false),
            p(50, true),
        ];
        assert_eq!(
            evaluate_health(&pol, t(0), &probes, t(50)),
            HealthVerdict::Waiting { consecutive: 2 }
        );
        assert_eq!(
            evaluate_health(&pol, t(0), &probes, t(301)),
            HealthVerdict::TimedOut { best_streak: 2 }
        );
        // Successes after the deadline do not count.
        let late = [p(290, true), p(300, true), p(310, true)];
        assert_eq!(
            evaluate_health(&pol, t(0), &late, t(400)),
            HealthVerdict::TimedOut { best_streak: 2 }
        );
        // Probes before the start are ignored.
        assert_eq!(
            evaluate_health(
                &pol,
                t(100),
                &[p(10, true), p(20, true), p(110, true)],
                t(110)
            ),
            HealthVerdict::Waiting { consecutive: 1 }
        );
    }
}
