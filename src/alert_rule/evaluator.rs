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
//!
//! A worker that polls stored samples on a timer should not feed every poll
//! in: [`next_observation`] turns "the newest sample, if any" into an
//! observation with a **staleness window**, so a sample that is merely late
//! (one missing scrape or minute) is no observation at all, and only data
//! that stopped for longer than the window counts as missing — otherwise a
//! single gap would resolve a firing alert and fire it again a moment later.

use super::metric::{threshold_base, MetricUnit, UnitError};
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
    /// The threshold's unit does not fit the metric's.
    #[error(transparent)]
    Unit(#[from] UnitError),
}

/// One evaluation step (see module docs), samples compared in the
/// condition's own base units ([`super::AlertCondition::holds`]).
pub fn evaluate(rule: &AlertRule, state: AlertState, obs: Observation) -> Result<Step, EvalError> {
    let threshold = rule.condition.threshold_base();
    step_with(rule, state, obs, threshold)
}

/// One evaluation step for a metric measured in `unit`: a bare threshold is
/// in the metric's unit (`disk_usage > 90` is 90 %), samples are in the
/// metric's base units ([`super::metric`]); a threshold whose unit does not
/// fit is an error, never a silent comparison.
pub fn evaluate_in(
    rule: &AlertRule,
    unit: MetricUnit,
    state: AlertState,
    obs: Observation,
) -> Result<Step, EvalError> {
    let threshold = threshold_base(&rule.condition, unit)?;
    step_with(rule, state, obs, threshold)
}

/// What a poll at `now` observes, given the newest stored sample
/// (`latest`, time and value) and the time of the last observation already
/// applied to the state (`last_observed`):
///
/// * a sample newer than the last observation → that sample;
/// * nothing new, but the newest sample is at most `stale_after` old → `None`
///   (the data is late, not gone: the state stays as it is);
/// * no sample within `stale_after` of `now` → `Missing` at `now`, once
///   (later polls find nothing newer than that and return `None`).
pub fn next_observation(
    latest: Option<(DateTime<Utc>, f64)>,
    last_observed: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    stale_after: TimeDelta,
) -> Option<Observation> {
    let newer = |t: DateTime<Utc>| last_observed.is_none_or(|l| t > l);
    match latest {
        Some((at, value)) if newer(at) => Some(Observation::Sample { at, value }),
        Some((at, _)) if now - at <= stale_after => None,
        _ if newer(now) && last_observed.is_none_or(|l| now - l > stale_after) => {
            Some(Observation::Missing { at: now })
        }
        _ => None,
    }
}

fn step_with(
    rule: &AlertRule,
    state: AlertState,
    obs: Observation,
    threshold: f64,
) -> Result<Step, EvalError> {
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
        Observation::Sample { value, .. } => {
            !value.is_nan() && rule.condition.comparator().apply(value, threshold)
        }
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

    #[test]
    fn r_mon_3_evaluate_in_reads_a_bare_threshold_in_the_metrics_unit() {
        use super::super::{AlertCondition, MetricUnit};
        let mut rule = default_rules()[2].clone(); // disk_usage > 90% for 5m
        rule.condition = AlertCondition::parse("disk_usage > 90").unwrap();
        let st = evaluate_in(&rule, MetricUnit::Percent, AlertState::Inactive, s(0, 0.95)).unwrap();
        assert_eq!(st.transition, Some(Transition::BecamePending));
        // Without the unit the bare 90 would be compared with the ratio 0.95.
        let st = evaluate(&rule, AlertState::Inactive, s(0, 0.95)).unwrap();
        assert_eq!(st.transition, None);
        rule.condition = AlertCondition::parse("disk_usage > 90ms").unwrap();
        assert!(matches!(
            evaluate_in(&rule, MetricUnit::Percent, AlertState::Inactive, s(0, 0.95)),
            Err(EvalError::Unit(_))
        ));
    }

    #[test]
    fn r_mon_4_staleness_window_turns_late_data_into_no_observation() {
        let stale = TimeDelta::minutes(3);
        let secs = |m: i64, sec: i64| t(m) + TimeDelta::seconds(sec);
        // A new sample is observed once.
        assert_eq!(
            next_observation(Some((t(1), 0.5)), Some(t(0)), secs(1, 10), stale),
            Some(s(1, 0.5))
        );
        assert_eq!(
            next_observation(Some((t(1), 0.5)), Some(t(1)), secs(1, 20), stale),
            None
        );
        // Late but within the window: nothing happens.
        assert_eq!(
            next_observation(Some((t(1), 0.5)), Some(t(1)), t(4), stale),
            None
        );
        // Gone for longer than the window: missing, once.
        let missing = next_observation(Some((t(1), 0.5)), Some(t(1)), secs(4, 10), stale);
        assert_eq!(missing, Some(Observation::Missing { at: secs(4, 10) }));
        assert_eq!(
            next_observation(Some((t(1), 0.5)), Some(secs(4, 10)), secs(4, 20), stale),
            None
        );
        assert_eq!(
            next_observation(None, None, t(0), stale),
            Some(Observation::Missing { at: t(0) })
        );
    }

    /// Polls every 10 s over samples that arrive once a minute, one of
    /// which never comes: the alert fires once and does not resolve.
    #[test]
    fn r_mon_4_one_missing_sample_does_not_resolve_and_refire() {
        let rule = &default_rules()[0]; // error_rate > 5% for 5m
        let samples: Vec<(i64, f64)> = (0..12).filter(|m| *m != 7).map(|m| (m, 0.2)).collect();
        let stale = TimeDelta::minutes(3);
        let mut state = AlertState::Inactive;
        let mut last = None;
        let mut transitions = Vec::new();
        for tick in 0..(12 * 6) {
            let now = t(0) + TimeDelta::seconds(tick * 10);
            let latest = samples
                .iter()
                .rfind(|(m, _)| t(*m) <= now)
                .map(|(m, v)| (t(*m), *v));
            if let Some(obs) = next_observation(latest, last, now, stale) {
                let st = evaluate(rule, state, obs).unwrap();
                state = st.state;
                last = Some(obs.at());
                transitions.extend(st.transition);
            }
        }
        assert_eq!(
            transitions,
            vec![Transition::BecamePending, Transition::Fired]
        );
        assert!(matches!(state, AlertState::Firing { .. }));
    }
}
