//! Allowed downtime and the error budget of a number of minutes (R-SLA-1,
//! R-SLA-4). The minutes a month is judged on come from
//! [`super::month`] (decision 0110); these functions only do the arithmetic.

use super::SlaPolicy;
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Downtime a period may have at the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedDowntime {
    /// Minutes the budget is computed on (for a month: its eligible minutes).
    pub period_minutes: u64,
    /// Allowed downtime in milliseconds, rounded down (exact for whole-minute
    /// multiples of 1/60 000 of the target; rounding down never changes
    /// whether a whole number of milliseconds fits).
    pub allowed_millis: u64,
}

impl AllowedDowntime {
    /// Allowed downtime in minutes (43.2 for a 30-day month at 99.9%).
    pub fn minutes(&self) -> f64 {
        self.allowed_millis as f64 / 60_000.0
    }
}

/// Allowed downtime over `period_minutes` at the policy's target:
/// `period_minutes × (1 − target)`.
pub fn allowed_downtime(policy: &SlaPolicy, period_minutes: u64) -> AllowedDowntime {
    let millis = u128::from(period_minutes) * 60_000 * u128::from(policy.budget_ppm()) / 1_000_000;
    AllowedDowntime {
        period_minutes,
        allowed_millis: u64::try_from(millis).unwrap_or(u64::MAX),
    }
}

/// Number of days in a calendar month (`None` for an invalid month).
pub fn days_in_month(year: i32, month: u32) -> Option<u32> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = first.checked_add_months(Months::new(1))?;
    let last = next.pred_opt()?;
    Some(last.day())
}

/// The error budget of a period and how much of it is used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBudget {
    /// Budget for the whole period in milliseconds.
    pub allowed_millis: u64,
    /// Downtime counted so far in milliseconds.
    pub consumed_millis: u64,
    /// Allowed − consumed; negative when overspent.
    pub remaining_millis: i64,
}

impl ErrorBudget {
    /// Remaining budget in minutes (negative when overspent).
    pub fn remaining_minutes(&self) -> f64 {
        self.remaining_millis as f64 / 60_000.0
    }
    /// Remaining fraction of the budget (1.0 untouched, ≤ 0 spent; `None` for a zero budget).
    pub fn remaining_fraction(&self) -> Option<f64> {
        (self.allowed_millis > 0).then(|| self.remaining_millis as f64 / self.allowed_millis as f64)
    }
}

/// Error budget of a period of `period_minutes` given `down_minutes` of
/// counted downtime so far (R-SLA-4).
///
/// `period_minutes` must be the same minutes availability is computed on —
/// for a month, the eligible minutes of [`super::month_report`], which calls
/// this — otherwise the budget and the availability verdict can disagree
/// (decision 0110).
pub fn error_budget(policy: &SlaPolicy, period_minutes: u64, down_minutes: u64) -> ErrorBudget {
    let allowed = allowed_downtime(policy, period_minutes).allowed_millis;
    let consumed = down_minutes.saturating_mul(60_000);
    let remaining = i128::from(allowed) - i128::from(consumed);
    ErrorBudget {
        allowed_millis: allowed,
        consumed_millis: consumed,
        remaining_millis: i64::try_from(remaining).unwrap_or(if remaining < 0 {
            i64::MIN
        } else {
            i64::MAX
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn r_sla_1_policy_figures() {
        let p = SlaPolicy::default();
        assert_eq!(p.target_percent(), 99.9);
        let apr = allowed_downtime(&p, 30 * 1_440);
        assert_eq!(apr.allowed_millis, 2_592_000);
        assert_eq!(apr.minutes(), 43.2);
        assert_eq!(allowed_downtime(&p, 31 * 1_440).minutes(), 44.64);
        assert_eq!(allowed_downtime(&p, 28 * 1_440).minutes(), 40.32);
        assert_eq!(allowed_downtime(&p, 29 * 1_440).minutes(), 41.76);
        assert_eq!(days_in_month(2028, 2), Some(29));
        assert_eq!(days_in_month(2026, 2), Some(28));
        assert_eq!(days_in_month(2026, 13), None);
    }

    #[test]
    fn r_sla_1_target_is_a_parameter() {
        let p = SlaPolicy {
            target_ppm: 999_500,
            ..SlaPolicy::default()
        };
        assert_eq!(allowed_downtime(&p, 43_200).minutes(), 21.6);
        let p = SlaPolicy {
            target_ppm: 2_000_000,
            ..SlaPolicy::default()
        };
        assert_eq!(allowed_downtime(&p, 43_200).allowed_millis, 0);
    }

    #[test]
    fn r_sla_4_error_budget_remaining() {
        let b = error_budget(&SlaPolicy::default(), 43_200, 13);
        assert_eq!(b.remaining_millis, 2_592_000 - 780_000);
        assert!((b.remaining_minutes() - 30.2).abs() < 1e-9);
        let over = error_budget(&SlaPolicy::default(), 43_200, 50);
        assert!(over.remaining_millis < 0);
        assert!(over.remaining_fraction().unwrap() < 0.0);
    }

    proptest! {
        #[test]
        fn r_sla_1_allowed_never_exceeds_period(minutes in 0u64..10_000_000, ppm in 0u32..=1_200_000) {
            let a = allowed_downtime(&SlaPolicy { target_ppm: ppm, ..SlaPolicy::default() }, minutes);
            prop_assert!(a.allowed_millis <= minutes * 60_000);
        }
    }
}
