//! Service levels: allowed downtime, availability with exclusions, error
//! budget and burn rate, latency histograms and the error/latency targets
//! (R-SLA-1 … R-SLA-4).
//!
//! The availability target is held as parts per million (`999_000` = 99.9%)
//! so that allowed downtime is exact integer arithmetic: a 30-day month at
//! 99.9% allows exactly 2 592 000 ms = 43.2 min.
//!
//! A month is judged by [`month_report`] (decision 0110): availability,
//! allowed downtime, used downtime and the verdict are all computed on the
//! same *eligible* minutes (the local month's real minutes minus exclusions,
//! and minus no-data minutes under the default [`NoDataPolicy::Exclude`]), so
//! "target missed" and "budget left" can never be shown together.

pub mod availability;
pub mod burn_rate;
pub mod downtime;
pub mod histogram;
pub mod month;
pub mod targets;

pub use availability::{AvailabilityReport, Exclusion, ExclusionReason, MinuteSeries, MinuteState};
pub use burn_rate::{
    burn_rate, evaluate_burn_rates, BurnRateAlert, BurnRatePolicy, BurnRateRule, BurnSeverity,
};
pub use downtime::{allowed_downtime, days_in_month, error_budget, AllowedDowntime, ErrorBudget};
pub use histogram::{default_latency_bounds_ms, Histogram, HistogramError};
pub use month::{
    allowed_downtime_for_month, local_month, month_minutes, month_report, MonthReport, NoDataPolicy,
};
pub use targets::{
    check_error_rates, check_latency, ErrorRateTargets, LatencyKind, PerformanceTargets,
    RequestCounts, TargetCheck, TargetKind,
};

use serde::{Deserialize, Serialize};

/// The monthly availability target (月間稼働率) and how minutes without
/// probe data count towards it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    /// Target in parts per million; 999 000 = 99.9%. Values above 1 000 000 are treated as 100%.
    pub target_ppm: u32,
    /// How minutes without probe data count (default: excluded from the
    /// eligible minutes and reported separately; decision 0110).
    #[serde(default)]
    pub no_data: NoDataPolicy,
}

impl Default for SlaPolicy {
    fn default() -> Self {
        Self {
            target_ppm: 999_000,
            no_data: NoDataPolicy::default(),
        }
    }
}

impl SlaPolicy {
    /// The target as a percentage (99.9).
    pub fn target_percent(&self) -> f64 {
        f64::from(self.target_ppm.min(1_000_000)) / 10_000.0
    }
    /// The error budget as parts per million of the period (1 000 for 99.9%).
    pub fn budget_ppm(&self) -> u32 {
        1_000_000 - self.target_ppm.min(1_000_000)
    }
    /// The error budget as a ratio (0.001 for 99.9%).
    pub fn budget_ratio(&self) -> f64 {
        f64::from(self.budget_ppm()) / 1_000_000.0
    }
}

/// Errors of the SLA computations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum SlaError {
    /// A minute series must start on a whole minute.
    #[error("a minute series must start on a whole minute, got {0}")]
    UnalignedStart(String),
    /// Index outside the series.
    #[error("minute {index} is outside the series of {len} minutes")]
    OutOfRange {
        /// Requested index.
        index: usize,
        /// Series length.
        len: usize,
    },
    /// The month does not exist (month outside 1…12) or is outside the representable range.
    #[error("no such month: {year}-{month:02}")]
    InvalidMonth {
        /// Requested year.
        year: i32,
        /// Requested month (1…12).
        month: u32,
    },
}
