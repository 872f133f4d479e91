//! Error-budget burn rate and multi-window, multi-burn-rate alerts (R-SLA-4).
//!
//! Burn rate = error ratio over a window ÷ budget ratio (1 − target): a burn
//! rate of 1 spends exactly the whole budget over the SLA period. The alert
//! table is the Google SRE workbook's (chapter "Alerting on SLOs", table
//! 5-8): page at 14.4× over 1 h *and* 5 min, page at 6× over 6 h *and*
//! 30 min, ticket at 1× over 3 days *and* 6 h. A rule fires when both windows
//! burn strictly faster than its factor (the workbook's `>`), and never on a
//! window without data.

use super::availability::{Exclusion, MinuteSeries};
use super::SlaPolicy;
use crate::interval::UtcInterval;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// Burn rate for an error ratio (`None` when the budget is zero or the ratio is not finite).
pub fn burn_rate(error_ratio: f64, policy: &SlaPolicy) -> Option<f64> {
    let budget = policy.budget_ratio();
    (budget > 0.0 && error_ratio.is_finite()).then(|| error_ratio / budget)
}

/// Who is told when a burn-rate rule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BurnSeverity {
    /// Wake someone up.
    Page,
    /// Open a ticket.
    Ticket,
}

/// One multi-window burn-rate rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BurnRateRule {
    /// Long window in minutes.
    pub long_window_minutes: u32,
    /// Short window in minutes.
    pub short_window_minutes: u32,
    /// Burn-rate factor both windows must exceed.
    pub factor: f64,
    /// Page or ticket.
    pub severity: BurnSeverity,
}

/// The set of burn-rate rules (default: the SRE workbook's three).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BurnRatePolicy {
    /// Rules, evaluated independently.
    pub rules: Vec<BurnRateRule>,
}

impl Default for BurnRatePolicy {
    fn default() -> Self {
        let r = |long, short, factor, severity| BurnRateRule {
            long_window_minutes: long,
            short_window_minutes: short,
            factor,
            severity,
        };
        Self {
            rules: vec![
                r(60, 5, 14.4, BurnSeverity::Page),
                r(360, 30, 6.0, BurnSeverity::Page),
                r(4_320, 360, 1.0, BurnSeverity::Ticket),
            ],
        }
    }
}

/// The result of evaluating one rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BurnRateAlert {
    /// The rule.
    pub rule: BurnRateRule,
    /// Burn rate over the long window (`None`: no data).
    pub long_burn: Option<f64>,
    /// Burn rate over the short window (`None`: no data).
    pub short_burn: Option<f64>,
    /// Both windows burn faster than the factor.
    pub firing: bool,
}

/// Evaluates every rule given a function from a window length in minutes
/// (ending now) to the error ratio over that window (`None`: no data).
pub fn evaluate_burn_rates(
    policy: &BurnRatePolicy,
    slo: &SlaPolicy,
    error_ratio_over: impl Fn(u32) -> Option<f64>,
) -> Vec<BurnRateAlert> {
    let budget = slo.budget_ratio();
    policy
        .rules
        .iter()
        .map(|rule| {
            let long = error_ratio_over(rule.long_window_minutes);
            let short = error_ratio_over(rule.short_window_minutes);
            let over = |r: Option<f64>| r.is_some_and(|r| budget > 0.0 && r > rule.factor * budget);
            BurnRateAlert {
                rule: rule.clone(),
                long_burn: long.and_then(|r| burn_rate(r, slo)),
                short_burn: short.and_then(|r| burn_rate(r, slo)),
                firing: over(long) && over(short),
            }
        })
        .collect()
}

/// Burn rate of a [`MinuteSeries`] over the minutes starting in `window`
/// (`None` without counted minutes or with a zero budget).
pub fn burn_rate_over(
    series: &MinuteSeries,
    window: &UtcInterval,
    exclusions: &[Exclusion],
    slo: &SlaPolicy,
) -> Option<f64> {
    let a = series.availability_in(window, exclusions).availability?;
    burn_rate(1.0 - a, slo)
}

/// Evaluates every rule over a [`MinuteSeries`], windows ending at `now`
/// (error ratio = 1 − availability of the minutes starting in the window).
pub fn evaluate_burn_rates_on_series(
    policy: &BurnRatePolicy,
    slo: &SlaPolicy,
    series: &MinuteSeries,
    exclusions: &[Exclusion],
    now: DateTime<Utc>,
) -> Vec<BurnRateAlert> {
    let mask = series.exclusion_mask(exclusions);
    evaluate_burn_rates(policy, slo, |minutes| {
        let start = now.checked_sub_signed(TimeDelta::minutes(i64::from(minutes)))?;
        series
            .availability_in_masked(&UtcInterval::new(start, now), &mask)
            .availability
            .map(|a| 1.0 - a)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn r_sla_4_burn_rate_basics() {
        let p = SlaPolicy::default();
        assert!((burn_rate(0.001, &p).unwrap() - 1.0).abs() < 1e-12);
        assert!((burn_rate(0.0144, &p).unwrap() - 14.4).abs() < 1e-9);
        assert_eq!(
            burn_rate(
                0.5,
                &SlaPolicy {
                    target_ppm: 1_000_000,
                    ..SlaPolicy::default()
                }
            ),
            None
        );
        assert_eq!(burn_rate(f64::NAN, &p), None);
    }

    #[test]
    fn r_sla_4_default_rules_are_the_workbook_table() {
        let d = BurnRatePolicy::default();
        let v: Vec<(u32, u32, f64, BurnSeverity)> = d
            .rules
            .iter()
            .map(|r| {
                (
                    r.long_window_minutes,
                    r.short_window_minutes,
                    r.factor,
                    r.severity,
                )
            })
            .collect();
        assert_eq!(
            v,
            vec![
                (60, 5, 14.4, BurnSeverity::Page),
                (360, 30, 6.0, BurnSeverity::Page),
                (4320, 360, 1.0, BurnSeverity::Ticket)
            ]
        );
    }

    #[test]
    fn r_sla_4_both_windows_must_burn() {
        let p = BurnRatePolicy::default();
        let slo = SlaPolicy::default();
        // 2% errors in the last hour and 5 minutes: 20× → the first page fires, 6 h window is quiet.
        let ratios = |m: u32| {
            Some(match m {
                5 | 30 | 60 => 0.02,
                _ => 0.0001,
            })
        };
        let out = evaluate_burn_rates(&p, &slo, ratios);
        assert_eq!(
            out.iter().map(|a| a.firing).collect::<Vec<_>>(),
            vec![true, false, false]
        );
        // Long window burning but the short window recovered: no page.
        let recovered = |m: u32| Some(if m == 5 { 0.0 } else { 0.02 });
        assert!(!evaluate_burn_rates(&p, &slo, recovered)[0].firing);
        // No data never fires.
        assert!(evaluate_burn_rates(&p, &slo, |_| None)
            .iter()
            .all(|a| !a.firing));
    }

    #[test]
    fn r_sla_4_on_series() {
        let start = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
        let mut flags = vec![true; 4_320];
        // The last 10 minutes are down: 1 h error ratio 1/6 (167×), 5 min ratio 1.
        flags[4_310..].iter_mut().for_each(|f| *f = false);
        let s = MinuteSeries::from_up_flags(start, &flags).unwrap();
        let now = start + TimeDelta::minutes(4_320);
        let out = evaluate_burn_rates_on_series(
            &BurnRatePolicy::default(),
            &SlaPolicy::default(),
            &s,
            &[],
            now,
        );
        assert!(out[0].firing && out[1].firing && out[2].firing);
        assert!((out[0].short_burn.unwrap() - 1000.0).abs() < 1e-6);
        let last_hour = UtcInterval::new(now - TimeDelta::hours(1), now);
        let b = burn_rate_over(&s, &last_hour, &[], &SlaPolicy::default()).unwrap();
        assert!((b - 1000.0 / 6.0).abs() < 1e-6);
    }
}
