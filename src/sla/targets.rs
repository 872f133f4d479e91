//! Performance and error-rate targets, judged per day or per month (R-SLA-3).
//!
//! Error-rate targets are parts per million and judged with exact integer
//! arithmetic (`count × 10⁶ < target × total`); latency targets compare the
//! Prometheus-interpolated p95 against the target with a strict `<`.

use super::histogram::Histogram;
use serde::{Deserialize, Serialize};

/// Latency targets (レスポンスタイム): API p95 < 200 ms, page p95 < 2 s, search p95 < 500 ms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerformanceTargets {
    /// Quantile the targets apply to (0.95).
    pub quantile: f64,
    /// API target in ms (200).
    pub api_ms: f64,
    /// Page load target in ms (2 000).
    pub page_ms: f64,
    /// Search target in ms (500).
    pub search_ms: f64,
}

impl Default for PerformanceTargets {
    fn default() -> Self {
        Self {
            quantile: 0.95,
            api_ms: 200.0,
            page_ms: 2_000.0,
            search_ms: 500.0,
        }
    }
}

/// Error-rate targets (エラー率) in parts per million: 5xx < 0.1%, 4xx < 5%, timeouts < 0.01%.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRateTargets {
    /// 5xx (1 000 ppm).
    pub max_5xx_ppm: u32,
    /// 4xx (50 000 ppm).
    pub max_4xx_ppm: u32,
    /// Timeouts (100 ppm).
    pub max_timeout_ppm: u32,
}

impl Default for ErrorRateTargets {
    fn default() -> Self {
        Self {
            max_5xx_ppm: 1_000,
            max_4xx_ppm: 50_000,
            max_timeout_ppm: 100,
        }
    }
}

/// Request counts for a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCounts {
    /// All requests.
    pub total: u64,
    /// Answered 5xx.
    pub status_5xx: u64,
    /// Answered 4xx.
    pub status_4xx: u64,
    /// Timed out.
    pub timeouts: u64,
}

/// Which latency target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LatencyKind {
    /// API requests.
    Api,
    /// Page loads.
    Page,
    /// Searches.
    Search,
}

/// Which target a check is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// Latency quantile of a kind of request.
    Latency(LatencyKind),
    /// 5xx ratio.
    Rate5xx,
    /// 4xx ratio.
    Rate4xx,
    /// Timeout ratio.
    TimeoutRate,
}

/// One target against its actual value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetCheck {
    /// The target.
    pub kind: TargetKind,
    /// Actual value (ms for latency, ratio for rates); `None` without data.
    pub actual: Option<f64>,
    /// Target value in the same unit (exclusive upper limit).
    pub target: f64,
    /// Whether it is met; `None` without data.
    pub met: Option<bool>,
}

fn rate_check(kind: TargetKind, count: u64, total: u64, ppm: u32) -> TargetCheck {
    let target = f64::from(ppm) / 1_000_000.0;
    if total == 0 {
        return TargetCheck {
            kind,
            actual: None,
            target,
            met: None,
        };
    }
    let met = u128::from(count) * 1_000_000 < u128::from(ppm) * u128::from(total);
    TargetCheck {
        kind,
        actual: Some(count as f64 / total as f64),
        target,
        met: Some(met),
    }
}

/// The three error-rate checks (5xx, 4xx, timeouts) in that order.
pub fn check_error_rates(counts: &RequestCounts, targets: &ErrorRateTargets) -> Vec<TargetCheck> {
    vec![
        rate_check(
            TargetKind::Rate5xx,
            counts.status_5xx,
            counts.total,
            targets.max_5xx_ppm,
        ),
        rate_check(
            TargetKind::Rate4xx,
            counts.status_4xx,
            counts.total,
            targets.max_4xx_ppm,
        ),
        rate_check(
            TargetKind::TimeoutRate,
            counts.timeouts,
            counts.total,
            targets.max_timeout_ppm,
        ),
    ]
}

/// A latency check: the target quantile of `histogram` (ms) against the target.
pub fn check_latency(
    kind: LatencyKind,
    histogram: &Histogram,
    targets: &PerformanceTargets,
) -> TargetCheck {
    let target = match kind {
        LatencyKind::Api => targets.api_ms,
        LatencyKind::Page => targets.page_ms,
        LatencyKind::Search => targets.search_ms,
    };
    let actual = histogram.quantile_opt(targets.quantile);
    TargetCheck {
        kind: TargetKind::Latency(kind),
        actual,
        target,
        met: actual.map(|a| a < target),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_sla_3_error_rate_targets_exact() {
        let t = ErrorRateTargets::default();
        // 0.1% exactly is NOT below 0.1%.
        let c = RequestCounts {
            total: 100_000,
            status_5xx: 100,
            status_4xx: 4_999,
            timeouts: 9,
        };
        let r = check_error_rates(&c, &t);
        assert_eq!(r[0].met, Some(false));
        assert_eq!(r[1].met, Some(true));
        assert_eq!(r[2].met, Some(true));
        assert_eq!(r[0].actual, Some(0.001));
        assert_eq!(r[2].target, 0.0001);
        let c = RequestCounts {
            total: 100_000,
            status_5xx: 99,
            status_4xx: 5_000,
            timeouts: 10,
        };
        let r = check_error_rates(&c, &t);
        assert_eq!(
            r.iter().map(|x| x.met).collect::<Vec<_>>(),
            vec![Some(true), Some(false), Some(false)]
        );
        assert!(check_error_rates(&RequestCounts::default(), &t)
            .iter()
            .all(|x| x.met.is_none()));
    }

    #[test]
    fn r_sla_3_latency_targets() {
        let t = PerformanceTargets::default();
        let mut h = Histogram::default();
        h.observe_n(80.0, 96);
        h.observe_n(400.0, 4);
        // rank 95 lies in (50,100] holding 96 → 50 + 50×95/96 ≈ 99.5 ms.
        let c = check_latency(LatencyKind::Api, &h, &t);
        assert_eq!(c.met, Some(true));
        assert!((c.actual.unwrap() - (50.0 + 50.0 * 95.0 / 96.0)).abs() < 1e-9);
        let mut slow = Histogram::default();
        slow.observe_n(600.0, 100);
        assert_eq!(
            check_latency(LatencyKind::Search, &slow, &t).met,
            Some(false)
        );
        assert_eq!(check_latency(LatencyKind::Page, &slow, &t).met, Some(true));
        assert_eq!(
            check_latency(LatencyKind::Page, &Histogram::default(), &t).met,
            None
        );
    }
}
