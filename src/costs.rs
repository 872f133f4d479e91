//! Monthly budget: month-to-date spend, run-rate forecast and threshold
//! notifications (R-COST-1 … R-COST-3).
//!
//! Money is integer cents (`i64`), never floating point. The run rate
//! (decision 0106) is `mtd × days_in_month ÷ elapsed_days`, where
//! `elapsed_days` is the day of the month of `as_of` (the `as_of` day counts
//! as elapsed), rounded half away from zero to a cent. A threshold `p%` is
//! crossed when `spend × 100 ≥ budget × p` (exact integers).
//!
//! The forecast does not cry wolf (decision 0012): one-off entries (an annual
//! up-front charge, a credit) are counted once and not extrapolated —
//! `forecast = one-offs + run rate of the recurring entries` — and forecast
//! alerts wait until `BudgetPolicy::forecast_min_days` days of the month have
//! elapsed (default 5). Actual-spend alerts never wait: that money is spent.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in cents.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl fmt::Display for Cents {
    /// `$1,234.56` (negative: `-$3.00`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0.unsigned_abs();
        let dollars = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, ch) in dollars.chars().enumerate() {
            if i > 0 && (dollars.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        write!(
            f,
            "{}${}.{:02}",
            if self.0 < 0 { "-" } else { "" },
            grouped,
            abs % 100
        )
    }
}

/// Why an amount did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("“{0}” is not an amount like $500, 1,234.56 or 12.5")]
pub struct MoneyError(pub String);

impl Cents {
    /// Parses `$500`, `500`, `1,234.56`, `-12.5`: optional sign, optional `$`,
    /// digits with optional thousands commas, at most two decimals.
    pub fn parse(input: &str) -> Result<Self, MoneyError> {
        let e = || MoneyError(input.to_string());
        let s = input.trim();
        let (neg, s) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let s = s.strip_prefix('$').unwrap_or(s);
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        if int.is_empty()
            || frac.len() > 2
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || (s.contains('.') && frac.is_empty())
        {
            return Err(e());
        }
        let groups: Vec<&str> = int.split(',').collect();
        let grouped_ok = groups.len() == 1
            || (groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
                && groups[1..].iter().all(|g| g.len() == 3));
        if !grouped_ok
            || !groups
                .iter()
                .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(e());
        }
        let digits: String = groups.concat();
        if digits.len() > 15 {
            return Err(e());
        }
        let whole: i64 = digits.parse().map_err(|_| e())?;
        let cents: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| e())? * 10,
            _ => frac.parse().map_err(|_| e())?,
        };
        let v = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(cents))
            .ok_or_else(e)?;
        Ok(Cents(if neg { -v } else { v }))
    }
}

/// One cost entry (by service and day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostEntry {
    /// Day the cost belongs to.
    pub date: NaiveDate,
    /// Service name.
    pub service: String,
    /// Amount.
    pub amount: Cents,
    /// Counted once, not extrapolated by the forecast (an up-front charge, a credit).
    #[serde(default)]
    pub one_off: bool,
}

/// A budget threshold and whom it notifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetThreshold {
    /// Percent of the budget (80, 90, 100).
    pub percent: u32,
    /// Recipients.
    pub notify: Vec<String>,
    /// Action to take, if any (`review-and-optimize`).
    pub action: Option<String>,
}

/// The monthly budget (policy: monthly-infrastructure, $500, 80/90/100%).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetPolicy {
    /// Budget name.
    pub name: String,
    /// Monthly amount.
    pub amount: Cents,
    /// Thresholds, any order.
    pub thresholds: Vec<BudgetThreshold>,
    /// Forecast alerts wait until this many days of the month have elapsed
    /// (the `as_of` day counts): an early run rate is mostly noise.
    #[serde(default = "default_forecast_min_days")]
    pub forecast_min_days: u32,
}

fn default_forecast_min_days() -> u32 {
    5
}

impl Default for BudgetPolicy {
    fn default() -> Self {
        let t = |percent, notify: &[&str], action: Option<&str>| BudgetThreshold {
            percent,
            notify: notify.iter().map(|s| s.to_string()).collect(),
            action: action.map(str::to_string),
        };
        Self {
            name: "monthly-infrastructure".into(),
            amount: Cents(50_000),
            thresholds: vec![
                t(80, &["finance-team"], None),
                t(90, &["finance-team", "tech-lead"], None),
                t(100, &["all-stakeholders"], Some("review-and-optimize")),
            ],
            forecast_min_days: default_forecast_min_days(),
        }
    }
}

/// Cost errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum CostError {
    /// Sum does not fit.
    #[error("cost total overflows")]
    Overflow,
}

/// Month-to-date spend: entries in `as_of`'s month dated on or before `as_of`.
pub fn month_to_date(entries: &[CostEntry], as_of: NaiveDate) -> Result<Cents, CostError> {
    let mut total: i64 = 0;
    for e in entries.iter().filter(|e| {
        e.date.year() == as_of.year() && e.date.month() == as_of.month() && e.date <= as_of
    }) {
        total = total.checked_add(e.amount.0).ok_or(CostError::Overflow)?;
    }
    Ok(Cents(total))
}

/// The month's spend so far, split by whether the forecast extrapolates it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthSpend {
    /// All entries: `recurring + one_off`.
    pub total: Cents,
    /// Entries the run rate extrapolates.
    pub recurring: Cents,
    /// Entries counted once (up-front charges, credits).
    pub one_off: Cents,
}

/// Month-to-date spend of `as_of`'s month (entries dated on or before `as_of`), split.
pub fn month_spend(entries: &[CostEntry], as_of: NaiveDate) -> Result<MonthSpend, CostError> {
    let mut recurring: i64 = 0;
    let mut one_off: i64 = 0;
    for e in entries.iter().filter(|e| {
        e.date.year() == as_of.year() && e.date.month() == as_of.month() && e.date <= as_of
    }) {
        let slot = if e.one_off {
            &mut one_off
        } else {
            &mut recurring
        };
        *slot = slot.checked_add(e.amount.0).ok_or(CostError::Overflow)?;
    }
    let total = recurring.checked_add(one_off).ok_or(CostError::Overflow)?;
    Ok(MonthSpend {
        total: Cents(total),
        recurring: Cents(recurring),
        one_off: Cents(one_off),
    })
}

/// The forecast for the month end: one-offs as they are, plus the run rate
/// of the recurring spend (decision 0012).
pub fn forecast(spend: &MonthSpend, as_of: NaiveDate) -> Cents {
    Cents(
        spend
            .one_off
            .0
            .saturating_add(forecast_month_end(spend.recurring, as_of).0),
    )
}

/// Days of the month elapsed at `as_of` (the `as_of` day counts).
pub fn elapsed_days(as_of: NaiveDate) -> u32 {
    as_of.day()
}

/// Whether forecast alerts may fire at `as_of` (`forecast_min_days` elapsed).
pub fn forecast_alerts_allowed(policy: &BudgetPolicy, as_of: NaiveDate) -> bool {
    elapsed_days(as_of) >= policy.forecast_min_days
}

/// Cumulative spend at the end of each day of `as_of`'s month, from day 1 to
/// `as_of` (index 0 is day 1): the chart's actual line.
pub fn cumulative_by_day(entries: &[CostEntry], as_of: NaiveDate) -> Result<Vec<Cents>, CostError> {
    let days = as_of.day() as usize;
    let mut per_day = vec![0i64; days];
    for e in entries.iter().filter(|e| {
        e.date.year() == as_of.year() && e.date.month() == as_of.month() && e.date <= as_of
    }) {
        let i = e.date.day() as usize - 1;
        per_day[i] = per_day[i]
            .checked_add(e.amount.0)
            .ok_or(CostError::Overflow)?;
    }
    let mut total: i64 = 0;
    per_day
        .into_iter()
        .map(|d| {
            total = total.checked_add(d).ok_or(CostError::Overflow)?;
            Ok(Cents(total))
        })
        .collect()
}

/// Run rate for the month end: `mtd × days_in_month ÷ elapsed_days` (see module docs).
pub fn forecast_month_end(mtd: Cents, as_of: NaiveDate) -> Cents {
    let days = crate::sla::days_in_month(as_of.year(), as_of.month()).unwrap_or(30);
    let elapsed = as_of.day().max(1);
    let num = i128::from(mtd.0) * i128::from(days);
    let den = i128::from(elapsed);
    // Round half away from zero.
    let q = (num.abs() * 2 + den) / (2 * den);
    let q = if num < 0 { -q } else { q };
    Cents(i64::try_from(q).unwrap_or(if q < 0 { i64::MIN } else { i64::MAX }))
}

/// Whether `spend` reaches `percent` of `budget`.
pub fn crosses(spend: Cents, budget: Cents, percent: u32) -> bool {
    i128::from(spend.0) * 100 >= i128::from(budget.0) * i128::from(percent)
}

/// A threshold to notify now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThresholdHit {
    /// The threshold.
    pub threshold: BudgetThreshold,
    /// The spend (actual or forecast) that crossed it.
    pub spend: Cents,
}

/// Thresholds already notified this month, separately for actual and forecast.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notified {
    /// Percents notified for actual spend.
    pub actual: Vec<u32>,
    /// Percents notified for forecast spend.
    pub forecast: Vec<u32>,
}

/// The month's budget status and what to notify now (R-COST-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetStatus {
    /// Month-to-date spend.
    pub mtd: Cents,
    /// Month-to-date spend of one-off entries (part of `mtd`, not extrapolated).
    pub one_off: Cents,
    /// Forecast for the month end: one-offs plus the run rate of the rest.
    pub forecast: Cents,
    /// Days of the month elapsed at `as_of`.
    pub elapsed_days: u32,
    /// Forecast alerts are held back: fewer than `forecast_min_days` have elapsed.
    pub forecast_alerts_held: bool,
    /// The budget.
    pub budget: Cents,
    /// Actual spend in basis points of the budget (10 000 = 100%); `None` for a zero budget.
    pub mtd_basis_points: Option<i64>,
    /// Thresholds newly crossed by actual spend, lowest first.
    pub new_actual: Vec<ThresholdHit>,
    /// Thresholds newly crossed by the forecast, lowest first; empty while
    /// forecast alerts are held back.
    pub new_forecast: Vec<ThresholdHit>,
}

/// Thresholds crossed by `spend` and not yet in `already`, lowest first.
pub fn newly_crossed(policy: &BudgetPolicy, spend: Cents, already: &[u32]) -> Vec<ThresholdHit> {
    let mut v: Vec<ThresholdHit> = policy
        .thresholds
        .iter()
        .filter(|t| crosses(spend, policy.amount, t.percent) && !already.contains(&t.percent))
        .map(|t| ThresholdHit {
            threshold: t.clone(),
            spend,
        })
        .collect();
    v.sort_by_key(|h| h.threshold.percent);
    v
}

/// Evaluates the month of `as_of` (R-COST-2, R-COST-3).
pub fn evaluate_budget(
    policy: &BudgetPolicy,
    entries: &[CostEntry],
    as_of: NaiveDate,
    notified: &Notified,
) -> Result<BudgetStatus, CostError> {
    let spend = month_spend(entries, as_of)?;
    let mtd = spend.total;
    let forecast = forecast(&spend, as_of);
    let held = !forecast_alerts_allowed(policy, as_of);
    let bp = (policy.amount.0 != 0).then(|| {
        let v = i128::from(mtd.0) * 10_000 / i128::from(policy.amount.0);
        i64::try_from(v).unwrap_or(i64::MAX)
    });
    Ok(BudgetStatus {
        mtd,
        one_off: spend.one_off,
        forecast,
        elapsed_days: elapsed_days(as_of),
        forecast_alerts_held: held,
        budget: policy.amount,
        mtd_basis_points: bp,
        new_actual: newly_crossed(policy, mtd, &notified.actual),
        new_forecast: if held {
            Vec::new()
        } else {
            newly_crossed(policy, forecast, &notified.forecast)
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }
    fn e(m: u32, day: u32, cents: i64) -> CostEntry {
        CostEntry {
            date: d(m, day),
            service: "compute".into(),
            amount: Cents(cents),
            one_off: false,
        }
    }
    fn one_off(m: u32, day: u32, cents: i64) -> CostEntry {
        CostEntry {
            one_off: true,
            ..e(m, day, cents)
        }
    }
    fn percents(hits: &[ThresholdHit]) -> Vec<u32> {
        hits.iter().map(|h| h.threshold.percent).collect()
    }

    #[test]
    fn r_cost_1_policy_defaults() {
        let p = BudgetPolicy::default();
        assert_eq!(p.amount, Cents::parse("$500").unwrap());
        assert_eq!(p.amount.to_string(), "$500.00");
        assert_eq!(
            p.thresholds.iter().map(|t| t.percent).collect::<Vec<_>>(),
            vec![80, 90, 100]
        );
        assert_eq!(p.thresholds[1].notify, vec!["finance-team", "tech-lead"]);
        assert_eq!(
            p.thresholds[2].action.as_deref(),
            Some("review-and-optimize")
        );
    }

    #[test]
    fn r_cost_2_mtd_and_forecast() {
        let entries = vec![
            e(4, 1, 10_000),
            e(4, 10, 5_000),
            e(4, 16, 99_999),
            e(3, 31, 77_777),
            e(5, 1, 1),
        ];
        let mtd = month_to_date(&entries, d(4, 15)).unwrap();
        assert_eq!(mtd, Cents(15_000));
        // $150 over 15 of 30 days → $300.
        assert_eq!(forecast_month_end(mtd, d(4, 15)), Cents(30_000));
        // Rounding: 100 cents over 3 of 31 days = 1033.33 → 1033.
        assert_eq!(forecast_month_end(Cents(100), d(1, 3)), Cents(1_033));
        assert_eq!(forecast_month_end(Cents(200), d(1, 3)), Cents(2_067));
    }

    #[test]
    fn r_cost_3_actual_and_forecast_thresholds_separately_once() {
        let p = BudgetPolicy::default();
        // $410 by day 15 of April: actual 82% → 80%; forecast $820 → 80, 90, 100.
        let entries = vec![e(4, 2, 41_000)];
        let s = evaluate_budget(&p, &entries, d(4, 15), &Notified::default()).unwrap();
        assert_eq!(s.mtd_basis_points, Some(8_200));
        assert_eq!(
            s.new_actual
                .iter()
                .map(|h| h.threshold.percent)
                .collect::<Vec<_>>(),
            vec![80]
        );
        assert_eq!(
            s.new_forecast
                .iter()
                .map(|h| h.threshold.percent)
                .collect::<Vec<_>>(),
            vec![80, 90, 100]
        );
        let notified = Notified {
            actual: vec![80],
            forecast: vec![80, 90, 100],
        };
        let s = evaluate_budget(&p, &entries, d(4, 16), &notified).unwrap();
        assert!(s.new_actual.is_empty() && s.new_forecast.is_empty());
        // Exactly 80% crosses.
        assert!(crosses(Cents(40_000), p.amount, 80));
        assert!(!crosses(Cents(39_999), p.amount, 80));
    }

    fn daily(m: u32, from: u32, to: u32, cents: i64) -> Vec<CostEntry> {
        (from..=to).map(|day| e(m, day, cents)).collect()
    }

    /// The case: a $450 up-front charge on the 1st of a 31-day month.
    /// The plain run rate says $13,950 and would fire every forecast alert.
    #[test]
    fn r_cost_3_day_one_up_front_450_does_not_cry_wolf() {
        let p = BudgetPolicy::default();
        assert_eq!(
            forecast_month_end(Cents(45_000), d(1, 1)).to_string(),
            "$13,950.00"
        );
        let s =
            evaluate_budget(&p, &[one_off(1, 1, 45_000)], d(1, 1), &Notified::default()).unwrap();
        assert_eq!(s.forecast.to_string(), "$450.00");
        assert_eq!(s.one_off, Cents(45_000));
        assert!(s.forecast_alerts_held);
        assert!(s.new_forecast.is_empty());
        // The money is really spent: actual 90% notifies at once.
        assert_eq!(percents(&s.new_actual), vec![80, 90]);
    }

    /// Table of forecast cases: (name, policy's min days, entries, as_of,
    /// forecast, actual thresholds, forecast thresholds, held).
    #[test]
    fn r_cost_2_forecast_table() {
        type Case = (
            &'static str,
            u32,
            Vec<CostEntry>,
            NaiveDate,
            i64,
            Vec<u32>,
            Vec<u32>,
            bool,
        );
        let up_front_and_daily = |to| {
            let mut v = vec![one_off(1, 1, 45_000)];
            v.extend(daily(1, 1, to, 500));
            v
        };
        let mut credit = daily(1, 1, 10, 2_000);
        credit.push(one_off(1, 10, -5_000));
        let cases: Vec<Case> = vec![
            (
                "day-one $450 up-front (one-off): forecast $450, forecast alerts held",
                5,
                vec![one_off(1, 1, 45_000)],
                d(1, 1),
                45_000,
                vec![80, 90],
                vec![],
                true,
            ),
            (
                "day-one $450 not marked one-off: extrapolated, but still held",
                5,
                vec![e(1, 1, 45_000)],
                d(1, 1),
                1_395_000,
                vec![80, 90],
                vec![],
                true,
            ),
            (
                "day 4 of 31: $450 up-front + $5/day, still held",
                5,
                up_front_and_daily(4),
                d(1, 4),
                45_000 + 15_500,
                vec![80, 90],
                vec![],
                true,
            ),
            (
                "day 5 of 31: $450 up-front + $5/day: $450 + $25×31/5 = $605",
                5,
                up_front_and_daily(5),
                d(1, 5),
                60_500,
                vec![80, 90],
                vec![80, 90, 100],
                false,
            ),
            (
                "min days 1: the day-one run rate alerts at once",
                1,
                vec![e(1, 1, 45_000)],
                d(1, 1),
                1_395_000,
                vec![80, 90],
                vec![80, 90, 100],
                false,
            ),
            (
                "steady $15/day, day 10 of 31: $465 forecast (93%)",
                5,
                daily(1, 1, 10, 1_500),
                d(1, 10),
                46_500,
                vec![],
                vec![80, 90],
                false,
            ),
            (
                "a credit is one-off: $20/day for 10 days − $50 credit = $620 − $50",
                5,
                credit,
                d(1, 10),
                57_000,
                vec![],
                vec![80, 90, 100],
                false,
            ),
            (
                "nothing spent",
                5,
                vec![],
                d(4, 20),
                0,
                vec![],
                vec![],
                false,
            ),
        ];
        for (name, min_days, entries, as_of, forecast, actual, fc, held) in cases {
            let p = BudgetPolicy {
                forecast_min_days: min_days,
                ..BudgetPolicy::default()
            };
            let s = evaluate_budget(&p, &entries, as_of, &Notified::default()).unwrap();
            assert_eq!(s.forecast, Cents(forecast), "{name}: forecast");
            assert_eq!(percents(&s.new_actual), actual, "{name}: actual");
            assert_eq!(percents(&s.new_forecast), fc, "{name}: forecast alerts");
            assert_eq!(s.forecast_alerts_held, held, "{name}: held");
        }
    }

    #[test]
    fn r_cost_2_month_spend_and_cumulative_days() {
        let entries = vec![
            e(4, 1, 1_000),
            one_off(4, 1, 30_000),
            e(4, 3, 2_000),
            e(3, 31, 99),
            e(4, 5, 7),
        ];
        let s = month_spend(&entries, d(4, 4)).unwrap();
        assert_eq!(
            s,
            MonthSpend {
                total: Cents(33_000),
                recurring: Cents(3_000),
                one_off: Cents(30_000),
            }
        );
        assert_eq!(
            cumulative_by_day(&entries, d(4, 4)).unwrap(),
            vec![Cents(31_000), Cents(31_000), Cents(33_000), Cents(33_000)]
        );
        assert!(!forecast_alerts_allowed(&BudgetPolicy::default(), d(4, 4)));
        assert!(forecast_alerts_allowed(&BudgetPolicy::default(), d(4, 5)));
        assert_eq!(
            month_spend(&[e(4, 1, i64::MAX), e(4, 2, 1)], d(4, 2)),
            Err(CostError::Overflow)
        );
    }

    #[test]
    fn money_parse() {
        for (s, c) in [
            ("$500", 50_000),
            ("500", 50_000),
            ("1,234.56", 123_456),
            ("-12.5", -1_250),
            ("$0.07", 7),
            (" 3 ", 300),
        ] {
            assert_eq!(Cents::parse(s).unwrap(), Cents(c), "{s}");
        }
        for bad in [
            "",
            "$",
            "1.234",
            "1,23",
            "12,",
            "1.",
            ".5",
            "$-5",
            "abc",
            "1e5",
            "99999999999999999999",
        ] {
            assert!(Cents::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Cents(-123_456_789).to_string(), "-$1,234,567.89");
    }

    proptest! {
        #[test]
        fn money_parse_never_panics(s in ".*") {
            let _ = Cents::parse(&s);
        }

        #[test]
        fn money_display_round_trips(c in -1_000_000_000_000i64..1_000_000_000_000) {
            prop_assert_eq!(Cents::parse(&Cents(c).to_string()).unwrap(), Cents(c));
        }

        #[test]
        fn r_cost_2_forecast_at_month_end_is_mtd(c in 0i64..1_000_000_000) {
            prop_assert_eq!(forecast_month_end(Cents(c), d(4, 30)), Cents(c));
        }

        /// Marking an entry one-off never raises the forecast of non-negative spend.
        #[test]
        fn r_cost_2_one_offs_never_raise_the_forecast(
            amounts in proptest::collection::vec((1u32..=28, 0i64..100_000, any::<bool>()), 0..40),
            day in 1u32..=28,
        ) {
            let entries: Vec<CostEntry> = amounts
                .iter()
                .map(|&(dd, c, o)| CostEntry { one_off: o, ..e(2, dd, c) })
                .collect();
            let plain: Vec<CostEntry> = entries
                .iter()
                .map(|x| CostEntry { one_off: false, ..x.clone() })
                .collect();
            let as_of = d(2, day);
            let f = forecast(&month_spend(&entries, as_of).unwrap(), as_of);
            let g = forecast(&month_spend(&plain, as_of).unwrap(), as_of);
            prop_assert!(f <= g);
            prop_assert!(f >= month_to_date(&entries, as_of).unwrap());
        }
    }
}
