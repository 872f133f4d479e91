//! Metric units and which threshold units fit them (R-MON-3).
//!
//! Every metric an alert can watch is measured in one [`MetricUnit`]; the
//! catalogue of metrics and their units is data (the `alert_metrics` table),
//! this module is the rule that judges a threshold against it:
//!
//! | metric unit | sample in base units | thresholds that fit |
//! |---|---|---|
//! | `percent` | ratio (0.05 = 5 %) | `5%`, or a bare `5` (= 5 %) |
//! | `ms` | milliseconds | `500ms`, `0.5s`, or a bare `500` (= 500 ms) |
//! | `count` | the count | a bare number only |
//! | `factor` | the factor (burn rate 14.4×) | a bare number only |
//!
//! A threshold without a unit means the metric's own unit, so
//! `disk_usage > 90` is 90 %; a unit that does not fit (`disk_usage > 90ms`,
//! `connections > 5%`) is refused with a [`UnitError`] that says which unit
//! the metric has.

use super::{AlertCondition, Unit};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The unit a metric is measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricUnit {
    /// A share; samples are ratios (0–1), thresholds are written in `%`.
    Percent,
    /// A time in milliseconds (`ms` or `s` thresholds).
    Ms,
    /// A number of things (connections, requests).
    Count,
    /// A multiple (an error budget burning 14.4× too fast).
    Factor,
}

/// Unknown metric unit word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("unknown metric unit “{0}”: expected percent, ms, count or factor")]
pub struct MetricUnitError(pub String);

impl MetricUnit {
    /// Every unit.
    pub const ALL: [MetricUnit; 4] = [Self::Percent, Self::Ms, Self::Count, Self::Factor];

    /// The stored word (`percent`, `ms`, `count`, `factor`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Percent => "percent",
            Self::Ms => "ms",
            Self::Count => "count",
            Self::Factor => "factor",
        }
    }

    /// How a value in this unit is written after the number (`%`, `ms`, ``, `×`).
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Percent => "%",
            Self::Ms => "ms",
            Self::Count => "",
            Self::Factor => "×",
        }
    }

    /// Whether a threshold written with `unit` fits this metric.
    pub fn accepts(self, unit: Unit) -> bool {
        matches!(
            (self, unit),
            (_, Unit::None)
                | (Self::Percent, Unit::Percent)
                | (Self::Ms, Unit::Milliseconds | Unit::Seconds)
        )
    }

    /// A value of this unit in base units, as written by people: percent
    /// values (`64` for 64 %) become ratios, everything else is unchanged.
    pub fn to_base(self, shown: f64) -> f64 {
        match self {
            Self::Percent => shown / 100.0,
            Self::Ms | Self::Count | Self::Factor => shown,
        }
    }

    /// The inverse of [`Self::to_base`]: a base-unit sample as people read it.
    pub fn from_base(self, base: f64) -> f64 {
        match self {
            Self::Percent => base * 100.0,
            Self::Ms | Self::Count | Self::Factor => base,
        }
    }
}

impl fmt::Display for MetricUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MetricUnit {
    type Err = MetricUnitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|u| u.as_str() == s.trim())
            .ok_or_else(|| MetricUnitError(s.to_string()))
    }
}

/// A threshold whose unit does not fit its metric.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error(
    "{metric} is measured in {metric_unit}: a threshold in “{written}” does not fit (write {hint})"
)]
pub struct UnitError {
    /// The metric.
    pub metric: String,
    /// The metric's unit.
    pub metric_unit: MetricUnit,
    /// The unit suffix the threshold was written with.
    pub written: String,
    /// What fits instead (`%, or a bare number`).
    pub hint: String,
}

fn hint(unit: MetricUnit) -> &'static str {
    match unit {
        MetricUnit::Percent => "%, or a bare number meaning %",
        MetricUnit::Ms => "ms, s, or a bare number meaning ms",
        MetricUnit::Count | MetricUnit::Factor => "a bare number",
    }
}

/// The threshold of `condition` in the base units of a metric measured in
/// `unit` (ratio for percent, milliseconds for ms), or why it does not fit.
pub fn threshold_base(condition: &AlertCondition, unit: MetricUnit) -> Result<f64, UnitError> {
    if !unit.accepts(condition.unit()) {
        return Err(UnitError {
            metric: condition.metric().to_string(),
            metric_unit: unit,
            written: condition.unit().suffix().to_string(),
            hint: hint(unit).to_string(),
        });
    }
    Ok(match condition.unit() {
        // A bare number is in the metric's own unit.
        Unit::None => unit.to_base(condition.value()),
        _ => condition.threshold_base(),
    })
}

/// Checks that `condition` fits a metric measured in `unit`.
pub fn check_unit(condition: &AlertCondition, unit: MetricUnit) -> Result<(), UnitError> {
    threshold_base(condition, unit).map(|_| ())
}

/// Whether a base-unit `sample` of a metric measured in `unit` satisfies
/// `condition` (`false` for NaN, and for a threshold that does not fit).
pub fn holds_in(condition: &AlertCondition, unit: MetricUnit, sample: f64) -> bool {
    threshold_base(condition, unit)
        .is_ok_and(|t| !sample.is_nan() && condition.comparator().apply(sample, t))
}

/// The two windows (long, short) in minutes of an error-budget burn-rate
/// metric named `budget_burn_<long>_<short>` with windows like `1h`, `5m`,
/// `3d` (`budget_burn_1h_5m` → (60, 5)). The multi-window rule fires when
/// both windows burn faster than the factor, i.e. when the *smaller* of the
/// two burn rates is above it, so one metric (the minimum) carries both.
pub fn burn_windows(metric: &str) -> Option<(u32, u32)> {
    let rest = metric.strip_prefix("budget_burn_")?;
    let (long, short) = rest.split_once('_')?;
    let minutes = |w: &str| -> Option<u32> {
        let unit = match w.chars().last()? {
            'm' => 1,
            'h' => 60,
            'd' => 1_440,
            _ => return None,
        };
        let n: u32 = w[..w.len() - 1].parse().ok().filter(|n| *n > 0)?;
        n.checked_mul(unit)
    };
    let (long, short) = (minutes(long)?, minutes(short)?);
    (short <= long).then_some((long, short))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_sla_4_burn_metrics_name_the_workbooks_windows() {
        let names = [
            "budget_burn_1h_5m",
            "budget_burn_6h_30m",
            "budget_burn_3d_6h",
        ];
        let windows: Vec<(u32, u32)> = names.iter().filter_map(|n| burn_windows(n)).collect();
        let policy: Vec<(u32, u32)> = crate::sla::BurnRatePolicy::default()
            .rules
            .iter()
            .map(|r| (r.long_window_minutes, r.short_window_minutes))
            .collect();
        assert_eq!(windows, policy);
        for bad in [
            "budget_burn_1h",
            "budget_burn_5m_1h",
            "budget_burn_0m_0m",
            "cpu_usage",
            "budget_burn_1x_5m",
        ] {
            assert_eq!(burn_windows(bad), None, "{bad}");
        }
    }

    fn c(s: &str) -> AlertCondition {
        AlertCondition::parse(s).unwrap()
    }

    #[test]
    fn r_mon_3_bare_threshold_means_the_metrics_own_unit() {
        // The example: `disk_usage > 90` is 90 %.
        assert_eq!(
            threshold_base(&c("disk_usage > 90"), MetricUnit::Percent),
            Ok(0.9)
        );
        assert_eq!(
            threshold_base(&c("disk_usage > 90%"), MetricUnit::Percent),
            Ok(0.9)
        );
        assert!(holds_in(&c("disk_usage > 90"), MetricUnit::Percent, 0.91));
        assert!(!holds_in(&c("disk_usage > 90"), MetricUnit::Percent, 0.9));
        assert_eq!(
            threshold_base(&c("response_time_p95 > 500"), MetricUnit::Ms),
            Ok(500.0)
        );
        assert_eq!(
            threshold_base(&c("response_time_p95 > 0.5s"), MetricUnit::Ms),
            Ok(500.0)
        );
        assert_eq!(
            threshold_base(&c("connections >= 1000"), MetricUnit::Count),
            Ok(1000.0)
        );
        assert_eq!(
            threshold_base(&c("budget_burn_1h_5m > 14.4"), MetricUnit::Factor),
            Ok(14.4)
        );
    }

    #[test]
    fn r_mon_3_unit_that_does_not_fit_is_refused_with_the_metrics_unit() {
        let e = threshold_base(&c("disk_usage > 90ms"), MetricUnit::Percent).unwrap_err();
        assert_eq!(e.metric_unit, MetricUnit::Percent);
        assert_eq!(e.written, "ms");
        assert!(e.to_string().contains("disk_usage is measured in percent"));
        for (cond, unit) in [
            ("connections > 5%", MetricUnit::Count),
            ("connections > 5s", MetricUnit::Count),
            ("response_time_p95 > 5%", MetricUnit::Ms),
            ("cpu_usage > 1s", MetricUnit::Percent),
            ("budget_burn_1h_5m > 14%", MetricUnit::Factor),
        ] {
            assert!(check_unit(&c(cond), unit).is_err(), "{cond}");
            assert!(!holds_in(&c(cond), unit, 1e9), "{cond}");
        }
        assert!(!holds_in(
            &c("cpu_usage > 1"),
            MetricUnit::Percent,
            f64::NAN
        ));
    }

    #[test]
    fn r_mon_3_units_parse_and_convert() {
        for u in MetricUnit::ALL {
            assert_eq!(u.as_str().parse::<MetricUnit>(), Ok(u));
            assert!((u.from_base(u.to_base(42.0)) - 42.0).abs() < 1e-9);
        }
        assert!("bytes".parse::<MetricUnit>().is_err());
        assert!((MetricUnit::Percent.from_base(0.64) - 64.0).abs() < 1e-9);
    }
}
