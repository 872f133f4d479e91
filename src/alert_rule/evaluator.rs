//! The alert life cycle as a pure function (R-MON-4), with Prometheus `for:`
//! semantics:
//!
//! * a true sample starts **Pending** (or **Firing** at once when the rule's
//!   duration is 0);
//! * Pending becomes **Firing** at the first true sample at least `duration`
//!   after the pending start — i.e. only after the condition held for the
//!   whole duration;
//! * a false sample, a missing sample (gap) or NaN resets Pending to
//!   **Inactive**, and turns Firing into **Resolved** (Prometheus resolves an
//!   alert whose series vanished);
//! * Resolved stays Resolved on false samples and starts Pending again on a
//!   true one.
//!
//! Each step also reports the [`Transition`] it made, so the caller stores
//! transitions and notifies exactly once per firing.

use super::AlertRule;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// State of one alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AlertState {
    /// Condition not holding.
    Inactive,
    /// Condition holding since `since`, not yet for the whole duration.
    Pending {
        /// First true sample of this run.
        since: DateTime<Utc>,
    },
    /// Condition held for the duration.
    Firing {
        /// First true sample of this run (Prometheus `activeAt`).
        since: DateTime<Utc>,
        /// When it started firing.
        fired_at: DateTime<Utc>,
    },
    /// Was firing, condition stopped holding at `at`.
    Resolved {
        /// When it resolved.
        at: DateTime<Utc>,
    },
}

/// One evaluation input.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Observation {
    /// A sample in the condition's base units (see [`super::AlertCondition::holds`]).
    Sample {
        /// Sample time.
        at: DateTime<Utc>,
        /// Value.
        value: f64,
    },
    /// No sample at `at` (scrape failed, series absent).
    Missing {
        /// Evaluation time.
        at: DateTime<Utc>,
    },
}

impl Observation {
    /// Time of the observation.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Sample { at, .. } | Self::Missing { at } => *at,
        }
    }
}

/// What changed in a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// Inactive/Resolved → Pending.
    BecamePending,
    /// → Firing (notify).
    Fired,
    /// Pending → Inactive.
    PendingReset,
    /// Firing → Resolved (notify resolution).
    Resolved,
}

/// Result of one evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The new state.
    pub state: AlertState,
    /// The transition made, if any.
    pub transition: Option<Transition>,
}

/// Evaluation errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum EvalError {
    /// Observation older than the state it would change.
    #[error("observation at {at} is older than the current state (since {since})")]
    OutOfOrder {
        /// Observation time.
        at: DateTime<Utc>,
        /// State time.
        since: DateTime<Utc>,
    },
    /// Rule duration does not fit in a time span.
    #[error("rule duration is too long")]
    DurationTooLong,
}

/// One evaluation step (see module docs).
pub fn evaluate(rule: &AlertRule, state: AlertState, obs: Observation) -> Result<Step, EvalError> {
    let at = obs.at();
    let state_time = match state {
        AlertState::Inactive => None,
        AlertState::Pending { since } => Some(since),
        AlertState::Firing { fired_at, .. } => Some(fired_at),
        AlertState::Resolved { at } => Some(at),
    };
    if let Some(since) = state_time.filter(|s| at < *s) {
        return Err(EvalError::OutOfOrder { at, since });
    }
    let hold = rule
        .duration
        .as_timedelta()
        .ok_or(EvalError::DurationTooLong)?;
    let holds = match obs {
        Observation::Sample { value, .. } => rule.condition.holds(value),
        Observation::Missing { .. } => false,
    };
    let step = |state, transition| Ok(Step { state, transition });
    match (state, holds) {
        (AlertState::Inactive | AlertState::Resolved { .. }, true) => {
            if hold <= TimeDelta::zero() {
                step(
                    AlertState::Firing {
                        since: at,
                        fired_at: at,
                    },
                    Some(Transition::Fired),
                )
            } else {
                step(
                    AlertState::Pending { since: at },
                    Some(Transition::BecamePending),
                )
            }
        }
        (AlertState::Pending { since }, true) => {
            if at - since >= hold {
                step(
                    AlertState::Firing {
                        since,
                        fired_at: at,
                    },
                    Some(Transition::Fired),
                )
            } else {
                step(state, None)
            }
        }
        (AlertState::Firing { .. }, true) => step(state, None),
        (AlertState::Pending { .. }, false) => {
            step(AlertState::Inactive, Some(Transition::PendingReset))
        }
        (AlertState::Firing { .. }, false) => {
            step(AlertState::Resolved { at }, Some(Transition::Resolved))
        }
        (AlertState::Inactive | AlertState::Resolved { .. }, false) => step(state, None),
    }
}

#[cfg(test)]
mod tests {
    use super::super::default_rules;
    use super::*;
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap() + TimeDelta::minutes(min)
    }
    fn s(min: i64, value: f64) -> Observation {
        Observation::Sample { at: t(min), value }
    }

    fn run(obs: &[Observation]) -> Vec<Step> {
        let rule = &default_rules()[0]; // error_rate > 5% for 5m
        let mut state = AlertState::Inactive;
        obs.iter()
            .map(|o| {
                let st = evaluate(rule, state, *o).unwrap();
                state = st.state;
                st
            })
            .collect()
    }

    #[test]
    fn r_mon_4_fires_only_after_whole_duration() {
        let steps = run(&[
            s(0, 0.06),
            s(1, 0.07),
            s(4, 0.08),
            s(5, 0.06),
            s(6, 0.06),
            s(7, 0.01),
            s(8, 0.01),
        ]);
        let tr: Vec<Option<Transition>> = steps.iter().map(|s| s.transition).collect();
        use Transition::*;
        assert_eq!(
            tr,
            vec![
                Some(BecamePending),
                None,
                None,
                Some(Fired),
                None,
                Some(Resolved),
                None
            ]
        );
        assert_eq!(
            steps[3].state,
            AlertState::Firing {
                since: t(0),
                fired_at: t(5)
            }
        );
        assert_eq!(steps[5].state, AlertState::Resolved { at: t(7) });
    }

    #[test]
    fn r_mon_4_gap_or_false_resets_pending() {
        let steps = run(&[
            s(0, 0.06),
            Observation::Missing { at: t(2) },
            s(3, 0.06),
            s(7, 0.06),
            s(8, 0.06),
        ]);
        assert_eq!(steps[1].state, AlertState::Inactive);
        assert_eq!(steps[1].transition, Some(Transition::PendingReset));
        assert_eq!(steps[3].state, AlertState::Pending { since: t(3) });
        assert_eq!(steps[4].transition, Some(Transition::Fired));
        let steps = run(&[s(0, 0.06), s(2, 0.05), s(5, 0.06)]); // 5% is not > 5%
        assert_eq!(steps[2].state, AlertState::Pending { since: t(5) });
        let steps = run(&[s(0, 0.06), s(5, f64::NAN)]);
        assert_eq!(steps[1].state, AlertState::Inactive);
    }

    #[test]
    fn r_mon_4_gap_resolves_firing_and_resolved_can_restart() {
        let steps = run(&[
            s(0, 0.06),
            s(5, 0.06),
            Observation::Missing { at: t(6) },
            s(7, 0.06),
        ]);
        assert_eq!(steps[2].state, AlertState::Resolved { at: t(6) });
        assert_eq!(steps[3].state, AlertState::Pending { since: t(7) });
    }

    #[test]
    fn r_mon_4_zero_duration_fires_immediately_and_out_of_order_is_an_error() {
        let mut rule = default_rules()[0].clone();
        rule.duration = super::super::AlertDuration::parse("0s").unwrap();
        let st = evaluate(&rule, AlertState::Inactive, s(0, 0.5)).unwrap();
        assert_eq!(st.transition, Some(Transition::Fired));
        let e = evaluate(&rule, AlertState::Pending { since: t(5) }, s(1, 0.5));
        assert!(matches!(e, Err(EvalError::OutOfOrder { .. })));
    }
}
