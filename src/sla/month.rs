//! One budget definition for a calendar month (R-SLA-1, R-SLA-2, R-SLA-4;
//! decision 0110).
//!
//! Every number of a month is computed on the same minutes, whole UTC
//! minutes `[t, t + 1 min)`:
//!
//! * **month minutes** — the real minutes of the local month in the
//!   configured zone, from local midnight on the 1st to local midnight on the
//!   1st of the next month (midnights resolved by [`crate::local_time`]). A
//!   month with a DST change has an hour more or less: Europe/Berlin has
//!   44 580 minutes in March 2026, Asia/Tokyo 44 640.
//! * **excluded minutes** — minutes of the month that overlap any exclusion
//!   (planned maintenance, force majeure, external-service outage) at all.
//!   Exclusions are UTC intervals; overlapping ones count once and only their
//!   part inside the month counts. Exclusion wins over every other state.
//! * **no-data minutes** — elapsed, non-excluded minutes without a probe
//!   result (unknown in the series, or outside it). Always reported; how
//!   they count is the policy's [`NoDataPolicy`].
//! * **pending minutes** — non-excluded minutes that have not ended at
//!   `as_of` (a month in progress). They are eligible and not down: the
//!   budget is the whole month's, and availability is what the month ends at
//!   if no further minute goes down, so a missed target is final.
//! * **eligible** = month − excluded (− no-data under
//!   [`NoDataPolicy::Exclude`]); **used** = down (+ no-data under
//!   [`NoDataPolicy::CountAsDown`]).
//! * **availability** = (eligible − used) / eligible; **allowed** = eligible ×
//!   (1 − target); **remaining** = allowed − used.
//! * **target met** ⇔ used ≤ allowed, decided in integers
//!   (`used × 1 000 000 ≤ eligible × budget_ppm`). That is the same statement
//!   as availability ≥ target and as remaining ≥ 0, so a report can never say
//!   "target missed" with budget left, or "target met" with the budget
//!   overspent.

use super::availability::{Exclusion, MinuteSeries};
use super::downtime::{allowed_downtime, error_budget, AllowedDowntime, ErrorBudget};
use super::{SlaError, SlaPolicy};
use crate::interval::UtcInterval;
use crate::local_time::to_utc;
use chrono::{DateTime, Months, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

const MINUTE_MS: i64 = 60_000;
const PPM: u128 = 1_000_000;

/// How elapsed minutes without probe data count towards a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoDataPolicy {
    /// Neither up nor down (the default): removed from the eligible minutes —
    /// numerator, denominator and budget alike — and reported as
    /// [`MonthReport::no_data_minutes`], together with the verdict they would
    /// give if they had all been down
    /// ([`MonthReport::target_met_if_no_data_down`]), so a gap cannot hide an
    /// outage unnoticed.
    #[default]
    Exclude,
    /// Down: eligible, and charged to the budget like measured downtime.
    CountAsDown,
    /// Up: eligible and not charged. Hides any outage the probes missed;
    /// offered for comparison only.
    CountAsUp,
}

/// The local calendar month `year-month` in `tz` as UTC instants: local
/// midnight on the 1st up to local midnight on the 1st of the next month
/// (`None` for an invalid month or one outside chrono's range).
pub fn local_month(tz: Tz, year: i32, month: u32) -> Option<UtcInterval> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = first.checked_add_months(Months::new(1))?;
    let start = to_utc(tz, first.and_time(NaiveTime::MIN))?;
    let end = to_utc(tz, next.and_time(NaiveTime::MIN))?;
    Some(UtcInterval::new(start, end))
}

/// Real minutes of the local month in `tz` (44 580 for March 2026 in
/// Europe/Berlin, 44 640 in Asia/Tokyo); `None` for an invalid month.
pub fn month_minutes(tz: Tz, year: i32, month: u32) -> Option<u64> {
    MonthMinutes::new(tz, year, month, &[])
        .ok()
        .map(|m| m.len())
}

/// The month's allowed downtime: (month minutes − excluded minutes) ×
/// (1 − target), with the rules of [`month_report`] (R-SLA-1, R-SLA-2).
///
/// This is [`MonthReport::allowed_downtime_millis`] whenever no minute is
/// removed for lack of data — the budget known in advance from the calendar
/// and the exclusions. Pass `&[]` for the month's budget before exclusions
/// (43.2 min for a 30-day month at 99.9%). `None` for an invalid month.
pub fn allowed_downtime_for_month(
    policy: &SlaPolicy,
    tz: Tz,
    year: i32,
    month: u32,
    exclusions: &[Exclusion],
) -> Option<AllowedDowntime> {
    let m = MonthMinutes::new(tz, year, month, exclusions).ok()?;
    let excluded = m.excluded_in(m.lo, m.hi);
    Some(allowed_downtime(policy, m.len().saturating_sub(excluded)))
}

/// Everything a page shows about one month's SLA, computed on one set of
/// eligible minutes (see the module documentation for the definitions).
///
/// Invariants: `month_minutes = excluded + no_data + pending + up + down`;
/// `target_met ⇔ used_millis ≤ allowed_downtime_millis ⇔ remaining_millis ≥ 0
/// ⇔ availability_ppm ≥ target_ppm` (the last when there are eligible
/// minutes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthReport {
    /// Calendar year of the local month.
    pub year: i32,
    /// Calendar month (1…12).
    pub month: u32,
    /// The zone the month is local to.
    pub time_zone: Tz,
    /// The local month as UTC instants.
    pub period: UtcInterval,
    /// The instant the report describes; minutes ending after it are pending.
    pub as_of: DateTime<Utc>,
    /// True when every minute of the month has ended at `as_of`.
    pub complete: bool,
    /// Target in parts per million (capped at 1 000 000).
    pub target_ppm: u32,
    /// How no-data minutes were counted.
    pub no_data_policy: NoDataPolicy,
    /// Real minutes of the local month.
    pub month_minutes: u64,
    /// Minutes removed by exclusions (overlaps once, clipped to the month).
    pub excluded_minutes: u64,
    /// Elapsed, non-excluded minutes without probe data (whatever the policy).
    pub no_data_minutes: u64,
    /// Non-excluded minutes not yet ended at `as_of` (eligible, not down).
    pub pending_minutes: u64,
    /// Elapsed, non-excluded minutes the probes saw up.
    pub up_minutes: u64,
    /// Elapsed, non-excluded minutes the probes saw down.
    pub down_minutes: u64,
    /// Minutes the month is judged on: month − excluded (− no-data under `Exclude`).
    pub eligible_minutes: u64,
    /// Minutes charged to the budget: down (+ no-data under `CountAsDown`).
    pub used_minutes: u64,
    /// (eligible − used) / eligible; `None` without eligible minutes.
    pub availability: Option<f64>,
    /// Availability in parts per million, rounded **down**, so that it
    /// compares with `target_ppm` exactly as `target_met` says. Displays
    /// should truncate too (99.8994% must not read "99.90%").
    pub availability_ppm: Option<u32>,
    /// eligible × (1 − target) in milliseconds, rounded down.
    pub allowed_downtime_millis: u64,
    /// `used_minutes` in milliseconds.
    pub used_millis: u64,
    /// allowed − used in milliseconds; negative when overspent.
    pub remaining_millis: i64,
    /// used ≤ allowed (⇔ availability ≥ target ⇔ remaining ≥ 0). For a month
    /// in progress: not missed yet. With no eligible minutes: true (nothing
    /// was charged) — check `no_data_minutes` and `target_met_if_no_data_down`.
    pub target_met: bool,
    /// The verdict if every no-data minute had been down (eligible = month −
    /// excluded, used = down + no-data), whatever the policy. When it differs
    /// from `target_met`, the gaps in the data decide the month.
    pub target_met_if_no_data_down: bool,
}

impl MonthReport {
    /// Target as a percentage (99.9).
    pub fn target_percent(&self) -> f64 {
        f64::from(self.target_ppm) / 10_000.0
    }
    /// Availability as a percentage, rounded down to whole ppm (99.8994).
    pub fn availability_percent(&self) -> Option<f64> {
        self.availability_ppm.map(|p| f64::from(p) / 10_000.0)
    }
    /// Allowed downtime in minutes (41.76 for 41 760 eligible minutes at 99.9%).
    pub fn allowed_downtime_minutes(&self) -> f64 {
        self.allowed_downtime_millis as f64 / 60_000.0
    }
    /// Remaining budget in minutes; negative when overspent.
    pub fn remaining_minutes(&self) -> f64 {
        self.remaining_millis as f64 / 60_000.0
    }
    /// True when the probes gave no verdict on some elapsed minutes.
    pub fn has_gaps(&self) -> bool {
        self.no_data_minutes > 0
    }
    /// The same figures as an [`ErrorBudget`] (for the burn-down chart).
    pub fn budget(&self) -> ErrorBudget {
        ErrorBudget {
            allowed_millis: self.allowed_downtime_millis,
            consumed_millis: self.used_millis,
            remaining_millis: self.remaining_millis,
        }
    }
}

/// The SLA report of the local month `year-month` in `tz` (R-SLA-1, R-SLA-2,
/// R-SLA-4): the one function the SLA page and the overview read a month
/// from.
///
/// `series` holds the probe results (it may cover more or less than the
/// month; minutes of the month outside it have no data), `exclusions` the
/// planned maintenance windows and the agreed exclusions as UTC intervals,
/// `as_of` the current instant (a minute counts once it has ended; pass any
/// instant after the month for a complete month). Errors only for a month
/// that does not exist.
pub fn month_report(
    policy: &SlaPolicy,
    tz: Tz,
    year: i32,
    month: u32,
    series: &MinuteSeries,
    exclusions: &[Exclusion],
    as_of: DateTime<Utc>,
) -> Result<MonthReport, SlaError> {
    let m = MonthMinutes::new(tz, year, month, exclusions)?;
    let elapsed_end = floor_minute(as_of).clamp(m.lo, m.hi);

    // The part of the elapsed month the series covers, in epoch minutes.
    let s0 = series.start().timestamp().div_euclid(60);
    let s1 = s0.saturating_add(i64::try_from(series.len()).unwrap_or(i64::MAX));
    let covered_lo = s0.clamp(m.lo, elapsed_end);
    let covered_hi = s1.clamp(covered_lo, elapsed_end);
    let mask = series.exclusion_mask(exclusions);
    let covered = series.counts_in_epoch_minutes(covered_lo, covered_hi, &mask);

    // Non-excluded minutes of [a, b).
    let open = |a: i64, b: i64| span(a, b).saturating_sub(m.excluded_in(a, b));
    let no_data = covered.unknown + open(m.lo, covered_lo) + open(covered_hi, elapsed_end);
    let pending = open(elapsed_end, m.hi);
    let excluded = m.excluded_in(m.lo, m.hi);
    let month_minutes = m.len();
    let down = covered.down;

    let counted = month_minutes.saturating_sub(excluded);
    let (eligible, used) = match policy.no_data {
        NoDataPolicy::Exclude => (counted.saturating_sub(no_data), down),
        NoDataPolicy::CountAsDown => (counted, down + no_data),
        NoDataPolicy::CountAsUp => (counted, down),
    };
    let target_ppm = policy.target_ppm.min(1_000_000);
    let budget = error_budget(policy, eligible, used);
    let verdict = judge(eligible, used, policy.budget_ppm());

    Ok(MonthReport {
        year,
        month,
        time_zone: tz,
        period: m.period,
        as_of,
        complete: elapsed_end >= m.hi,
        target_ppm,
        no_data_policy: policy.no_data,
        month_minutes,
        excluded_minutes: excluded,
        no_data_minutes: no_data,
        pending_minutes: pending,
        up_minutes: covered.up,
        down_minutes: down,
        eligible_minutes: eligible,
        used_minutes: used,
        availability: verdict.availability,
        availability_ppm: verdict.availability_ppm,
        allowed_downtime_millis: budget.allowed_millis,
        used_millis: budget.consumed_millis,
        remaining_millis: budget.remaining_millis,
        target_met: verdict.met,
        target_met_if_no_data_down: judge(counted, down + no_data, policy.budget_ppm()).met,
    })
}

/// A verdict on `used` of `eligible` minutes, all in exact integers.
struct Verdict {
    met: bool,
    availability: Option<f64>,
    availability_ppm: Option<u32>,
}

fn judge(eligible: u64, used: u64, budget_ppm: u32) -> Verdict {
    let used = used.min(eligible);
    let good = u128::from(eligible - used);
    let ppm = (eligible > 0)
        .then(|| u32::try_from(good * PPM / u128::from(eligible)).unwrap_or(1_000_000));
    Verdict {
        // used / eligible ≤ budget ⇔ used × 10⁶ ≤ eligible × budget_ppm.
        met: u128::from(used) * PPM <= u128::from(eligible) * u128::from(budget_ppm),
        availability: (eligible > 0).then(|| good as f64 / eligible as f64),
        availability_ppm: ppm,
    }
}

fn floor_minute(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis().div_euclid(MINUTE_MS)
}

fn ceil_minute(t: DateTime<Utc>) -> i64 {
    -(-t.timestamp_millis()).div_euclid(MINUTE_MS)
}

fn span(a: i64, b: i64) -> u64 {
    u64::try_from(b.saturating_sub(a)).unwrap_or(0)
}

/// A local month as the epoch minutes `[lo, hi)` that start inside it, with
/// its excluded minutes as merged, clipped ranges.
struct MonthMinutes {
    period: UtcInterval,
    lo: i64,
    hi: i64,
    excluded: Vec<(i64, i64)>,
}

impl MonthMinutes {
    fn new(tz: Tz, year: i32, month: u32, exclusions: &[Exclusion]) -> Result<Self, SlaError> {
        let period = local_month(tz, year, month).ok_or(SlaError::InvalidMonth { year, month })?;
        let lo = ceil_minute(period.start);
        let hi = ceil_minute(period.end).max(lo);
        // A minute is excluded when it overlaps an exclusion at all.
        let mut ranges: Vec<(i64, i64)> = exclusions
            .iter()
            .filter(|e| !e.interval.is_empty())
            .map(|e| {
                (
                    floor_minute(e.interval.start).max(lo),
                    ceil_minute(e.interval.end).min(hi),
                )
            })
            .filter(|(a, b)| a < b)
            .collect();
        ranges.sort_unstable();
        let mut excluded: Vec<(i64, i64)> = Vec::with_capacity(ranges.len());
        for (a, b) in ranges {
            match excluded.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => excluded.push((a, b)),
            }
        }
        Ok(Self {
            period,
            lo,
            hi,
            excluded,
        })
    }

    fn len(&self) -> u64 {
        span(self.lo, self.hi)
    }

    /// Excluded minutes inside `[a, b)`.
    fn excluded_in(&self, a: i64, b: i64) -> u64 {
        self.excluded
            .iter()
            .map(|&(s, e)| span(s.max(a), e.min(b)))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::super::availability::{ExclusionReason, MinuteState};
    use super::*;
    use chrono::{TimeDelta, TimeZone};
    use chrono_tz::America::New_York;
    use chrono_tz::Asia::Tokyo;
    use chrono_tz::Australia::Lord_Howe;
    use chrono_tz::Europe::Berlin;
    use proptest::prelude::*;

    fn local(tz: Tz, y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, m, d, h, mi, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn ex(start: DateTime<Utc>, end: DateTime<Utc>, reason: ExclusionReason) -> Exclusion {
        Exclusion {
            interval: UtcInterval::new(start, end),
            reason,
        }
    }

    /// April 2026 in Tokyo (30 days), all up, with the given minutes down.
    fn april(down: impl IntoIterator<Item = usize>) -> MinuteSeries {
        let mut flags = vec![true; 43_200];
        for i in down {
            flags[i] = false;
        }
        MinuteSeries::from_up_flags(local(Tokyo, 2026, 4, 1, 0, 0), &flags).unwrap()
    }

    fn after_april() -> DateTime<Utc> {
        local(Tokyo, 2026, 5, 1, 0, 0)
    }

    fn policy(no_data: NoDataPolicy) -> SlaPolicy {
        SlaPolicy {
            no_data,
            ..SlaPolicy::default()
        }
    }

    #[test]
    fn r_sla_1_issue_example_missed_target_has_no_budget_left() {
        // 30-day month, 1 440 excluded minutes (all of 10 April), 42 down
        // minutes on 20 April, 99.9%.
        let day = ex(
            local(Tokyo, 2026, 4, 10, 0, 0),
            local(Tokyo, 2026, 4, 11, 0, 0),
            ExclusionReason::ForceMajeure,
        );
        let down_at = 19 * 1_440 + 600;
        let s = april(down_at..down_at + 42);
        let p = SlaPolicy::default();
        let r = month_report(
            &p,
            Tokyo,
            2026,
            4,
            &s,
            std::slice::from_ref(&day),
            after_april(),
        )
        .unwrap();
        assert!(r.complete);
        assert_eq!(
            (
                r.month_minutes,
                r.excluded_minutes,
                r.no_data_minutes,
                r.pending_minutes
            ),
            (43_200, 1_440, 0, 0)
        );
        assert_eq!(
            (r.eligible_minutes, r.down_minutes, r.used_minutes),
            (41_760, 42, 42)
        );
        assert_eq!(r.allowed_downtime_millis, 2_505_600); // 41.76 min
        assert_eq!(r.allowed_downtime_minutes(), 41.76);
        assert_eq!(r.used_millis, 2_520_000);
        assert_eq!(r.remaining_millis, -14_400); // −0.24 min
        assert!(!r.target_met);
        assert!(r.availability.unwrap() < 0.999);
        assert_eq!(r.availability_ppm, Some(998_994));
        assert_eq!(r.availability_percent(), Some(99.8994));
        // The old pair disagreed: the same 42 minutes against the whole
        // month's 43.2 left budget while the ratio missed the target.
        assert!(error_budget(&p, 43_200, 42).remaining_millis > 0);
        // allowed_downtime_for_month gives the same budget.
        assert_eq!(
            allowed_downtime_for_month(&p, Tokyo, 2026, 4, std::slice::from_ref(&day))
                .unwrap()
                .allowed_millis,
            r.allowed_downtime_millis
        );

        // One minute less down: met, with 0.76 min left — again consistent.
        let s = april(down_at..down_at + 41);
        let r = month_report(&p, Tokyo, 2026, 4, &s, &[day], after_april()).unwrap();
        assert!(r.target_met);
        assert_eq!(r.remaining_millis, 45_600);
        assert_eq!(r.availability_ppm, Some(999_018));
        assert!(r.availability.unwrap() >= 0.999);
    }

    #[test]
    fn r_sla_1_policy_figures_in_tokyo() {
        let p = SlaPolicy::default();
        let m = |y, mo| {
            allowed_downtime_for_month(&p, Tokyo, y, mo, &[])
                .unwrap()
                .minutes()
        };
        assert_eq!(m(2026, 4), 43.2);
        assert_eq!(m(2026, 1), 44.64);
        assert_eq!(m(2026, 2), 40.32);
        assert_eq!(m(2028, 2), 41.76); // leap year
        assert_eq!(allowed_downtime_for_month(&p, Tokyo, 2026, 13, &[]), None);
        assert_eq!(allowed_downtime_for_month(&p, Tokyo, 2026, 0, &[]), None);
    }

    #[test]
    fn r_sla_1_dst_month_has_real_minutes_berlin_vs_tokyo() {
        assert_eq!(month_minutes(Berlin, 2026, 3), Some(44_580)); // 29 March: 23 h
        assert_eq!(month_minutes(Tokyo, 2026, 3), Some(44_640));
        assert_eq!(month_minutes(Berlin, 2026, 10), Some(44_700)); // 25 October: 25 h
        assert_eq!(month_minutes(Berlin, 2026, 4), Some(43_200));
        assert_eq!(month_minutes(New_York, 2026, 3), Some(44_580));
        assert_eq!(month_minutes(Lord_Howe, 2026, 4), Some(43_230)); // 30-minute DST
        let p = SlaPolicy::default();
        let berlin = allowed_downtime_for_month(&p, Berlin, 2026, 3, &[]).unwrap();
        assert_eq!(berlin.period_minutes, 44_580);
        assert_eq!(berlin.allowed_millis, 2_674_800); // 44.58 min
        let tokyo = allowed_downtime_for_month(&p, Tokyo, 2026, 3, &[]).unwrap();
        assert_eq!(tokyo.allowed_millis, 2_678_400); // 44.64 min

        // A report over Berlin's March, probes all up but 44 minutes.
        let start = local(Berlin, 2026, 3, 1, 0, 0);
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 2, 28, 23, 0, 0).unwrap());
        let mut flags = vec![true; 44_580];
        flags[1_000..1_044].iter_mut().for_each(|f| *f = false);
        let s = MinuteSeries::from_up_flags(start, &flags).unwrap();
        let end = local(Berlin, 2026, 4, 1, 0, 0);
        let r = month_report(&p, Berlin, 2026, 3, &s, &[], end).unwrap();
        assert_eq!(r.period, UtcInterval::new(start, end));
        assert_eq!(
            (r.month_minutes, r.eligible_minutes, r.no_data_minutes),
            (44_580, 44_580, 0)
        );
        assert_eq!(r.remaining_millis, 2_674_800 - 2_640_000);
        assert!(r.target_met);
        // The same probes read as Tokyo's March: a different month, whose
        // first eight hours (before the series starts) have no data.
        let r = month_report(&p, Tokyo, 2026, 3, &s, &[], end).unwrap();
        assert_eq!(r.month_minutes, 44_640);
        assert_eq!(
            r.period.start,
            Utc.with_ymd_and_hms(2026, 2, 28, 15, 0, 0).unwrap()
        );
        assert_eq!((r.no_data_minutes, r.eligible_minutes), (480, 44_160));
    }

    #[test]
    fn r_sla_2_overlapping_exclusions_counted_once() {
        let at = |h, mi| local(Tokyo, 2026, 4, 5, h, mi);
        // 11:30–11:40 down, inside the exclusions: not charged.
        let first = 4 * 1_440 + 11 * 60 + 30;
        let s = april(first..first + 10);
        let a = ex(at(10, 0), at(12, 0), ExclusionReason::PlannedMaintenance);
        let b = ex(at(11, 0), at(13, 0), ExclusionReason::ExternalOutage);
        // Partial minutes at both ends exclude those whole minutes: 14:00 and 14:01.
        let c = ex(
            at(14, 0) + TimeDelta::seconds(30),
            at(14, 1) + TimeDelta::seconds(10),
            ExclusionReason::ForceMajeure,
        );
        let inverted = ex(at(20, 0), at(19, 0), ExclusionReason::ForceMajeure);
        let p = SlaPolicy::default();
        let r = month_report(
            &p,
            Tokyo,
            2026,
            4,
            &s,
            &[a.clone(), b.clone(), a.clone(), c, inverted],
            after_april(),
        )
        .unwrap();
        assert_eq!(r.excluded_minutes, 180 + 2);
        assert_eq!((r.down_minutes, r.used_minutes), (0, 0));
        assert_eq!(r.eligible_minutes, 43_200 - 182);
        assert_eq!(r.remaining_millis, (43_200 - 182) * 60);
        assert_eq!(
            allowed_downtime_for_month(&p, Tokyo, 2026, 4, &[a.clone(), b.clone(), a, b])
                .unwrap()
                .period_minutes,
            43_200 - 180
        );
    }

    #[test]
    fn r_sla_2_exclusion_across_month_boundary_is_clipped() {
        let across = ex(
            local(Tokyo, 2026, 3, 31, 23, 0),
            local(Tokyo, 2026, 4, 1, 1, 0),
            ExclusionReason::PlannedMaintenance,
        );
        let p = SlaPolicy::default();
        let r = month_report(
            &p,
            Tokyo,
            2026,
            4,
            &april([]),
            std::slice::from_ref(&across),
            after_april(),
        )
        .unwrap();
        assert_eq!((r.excluded_minutes, r.eligible_minutes), (60, 43_140));
        assert_eq!(r.allowed_downtime_millis, 43_140 * 60);
        let march = allowed_downtime_for_month(&p, Tokyo, 2026, 3, &[across]).unwrap();
        assert_eq!(march.period_minutes, 44_640 - 60);
        // Half-open: ending exactly at the month's start excludes nothing of April.
        let before = ex(
            local(Tokyo, 2026, 3, 31, 22, 0),
            local(Tokyo, 2026, 4, 1, 0, 0),
            ExclusionReason::PlannedMaintenance,
        );
        let r = month_report(&p, Tokyo, 2026, 4, &april([]), &[before], after_april()).unwrap();
        assert_eq!(r.excluded_minutes, 0);
    }

    #[test]
    fn r_sla_1_no_data_minutes_follow_the_policy() {
        // 30 minutes down, 20 minutes unknown, and the series stops 100
        // minutes before the month ends: 120 minutes without data. Ten more
        // unknown minutes lie inside an exclusion and count as excluded.
        let start = local(Tokyo, 2026, 4, 1, 0, 0);
        let mut states = vec![MinuteState::Up; 43_100];
        states[1_000..1_030].fill(MinuteState::Down);
        states[2_000..2_020].fill(MinuteState::Unknown);
        states[3_000..3_010].fill(MinuteState::Unknown);
        let s = MinuteSeries::from_states(start, states).unwrap();
        let maint = ex(
            start + TimeDelta::minutes(3_000),
            start + TimeDelta::minutes(3_010),
            ExclusionReason::PlannedMaintenance,
        );
        let report = |no_data| {
            month_report(
                &policy(no_data),
                Tokyo,
                2026,
                4,
                &s,
                std::slice::from_ref(&maint),
                after_april(),
            )
            .unwrap()
        };

        let r = report(NoDataPolicy::Exclude);
        assert_eq!(SlaPolicy::default().no_data, NoDataPolicy::Exclude);
        assert_eq!(
            (r.excluded_minutes, r.no_data_minutes, r.down_minutes),
            (10, 120, 30)
        );
        assert_eq!((r.eligible_minutes, r.used_minutes), (43_070, 30));
        assert_eq!(r.allowed_downtime_millis, 43_070 * 60);
        assert!(r.target_met && r.has_gaps());
        // Reported: had the gaps been down, the month would be missed.
        assert!(!r.target_met_if_no_data_down);

        let r = report(NoDataPolicy::CountAsDown);
        assert_eq!(
            (r.eligible_minutes, r.used_minutes, r.no_data_minutes),
            (43_190, 150, 120)
        );
        assert_eq!(r.remaining_millis, 43_190 * 60 - 150 * 60_000);
        assert!(!r.target_met && !r.target_met_if_no_data_down);

        let r = report(NoDataPolicy::CountAsUp);
        assert_eq!(
            (r.eligible_minutes, r.used_minutes, r.no_data_minutes),
            (43_190, 30, 120)
        );
        assert!(r.target_met && !r.target_met_if_no_data_down);

        // Gaps too short to matter: both verdicts agree.
        let mut states = vec![MinuteState::Up; 43_200];
        states[10..15].fill(MinuteState::Unknown);
        let s = MinuteSeries::from_states(start, states).unwrap();
        let r = month_report(
            &SlaPolicy::default(),
            Tokyo,
            2026,
            4,
            &s,
            &[],
            after_april(),
        )
        .unwrap();
        assert_eq!(r.no_data_minutes, 5);
        assert!(r.target_met && r.target_met_if_no_data_down);

        // No data at all: nothing eligible, nothing charged; the worst case says missed.
        let empty = MinuteSeries::new(start, 0).unwrap();
        let r = month_report(
            &SlaPolicy::default(),
            Tokyo,
            2026,
            4,
            &empty,
            &[],
            after_april(),
        )
        .unwrap();
        assert_eq!((r.no_data_minutes, r.eligible_minutes), (43_200, 0));
        assert_eq!(
            (r.availability, r.availability_ppm, r.remaining_millis),
            (None, None, 0)
        );
        assert!(r.target_met && !r.target_met_if_no_data_down);
    }

    #[test]
    fn r_sla_4_month_in_progress_keeps_the_whole_budget() {
        let start = local(Tokyo, 2026, 4, 1, 0, 0);
        let as_of = local(Tokyo, 2026, 4, 15, 12, 0) + TimeDelta::seconds(30);
        // Ten minutes down so far; data "from the future" is ignored.
        let s = april((500..510).chain(30_000..30_100));
        let planned = ex(
            local(Tokyo, 2026, 4, 20, 2, 0),
            local(Tokyo, 2026, 4, 20, 4, 0),
            ExclusionReason::PlannedMaintenance,
        );
        let r = month_report(&SlaPolicy::default(), Tokyo, 2026, 4, &s, &[planned], as_of).unwrap();
        assert!(!r.complete);
        let elapsed = 14 * 1_440 + 720;
        assert_eq!(r.pending_minutes, 43_200 - elapsed - 120);
        assert_eq!(
            (r.up_minutes, r.down_minutes, r.no_data_minutes),
            (elapsed - 10, 10, 0)
        );
        assert_eq!(r.eligible_minutes, 43_080);
        assert_eq!(r.remaining_millis, 43_080 * 60 - 600_000);
        assert_eq!(r.availability, Some(43_070.0 / 43_080.0));
        assert!(r.target_met);
        // Before the month: everything pending.
        let r = month_report(&SlaPolicy::default(), Tokyo, 2026, 4, &s, &[], start).unwrap();
        assert_eq!(
            (r.pending_minutes, r.down_minutes, r.complete),
            (43_200, 0, false)
        );
    }

    #[test]
    fn invalid_month_is_an_error() {
        let s = april([]);
        let p = SlaPolicy::default();
        assert_eq!(
            month_report(&p, Tokyo, 2026, 13, &s, &[], after_april()),
            Err(SlaError::InvalidMonth {
                year: 2026,
                month: 13
            })
        );
        assert!(month_report(&p, Tokyo, 2026, 0, &s, &[], after_april()).is_err());
        assert_eq!(month_minutes(Tokyo, i32::MAX, 12), None);
    }

    // ---- properties -------------------------------------------------------

    const ZONES: [Tz; 5] = [Tokyo, Berlin, New_York, Lord_Howe, chrono_tz::UTC];

    /// A per-minute reference implementation of the month counts.
    fn naive(
        tz: Tz,
        year: i32,
        month: u32,
        series_start: i64,
        states: &[MinuteState],
        exclusions: &[Exclusion],
        as_of: DateTime<Utc>,
    ) -> [u64; 5] {
        let next = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
        let lo = tz
            .with_ymd_and_hms(year, month, 1, 0, 0, 0)
            .single()
            .unwrap()
            .timestamp()
            / 60;
        let hi = tz
            .with_ymd_and_hms(next.0, next.1, 1, 0, 0, 0)
            .single()
            .unwrap()
            .timestamp()
            / 60;
        let ivs: Vec<(i64, i64)> = exclusions
            .iter()
            .map(|e| {
                (
                    e.interval.start.timestamp_millis(),
                    e.interval.end.timestamp_millis(),
                )
            })
            .collect();
        let now = as_of.timestamp_millis();
        let [mut excluded, mut no_data, mut pending, mut up, mut down] = [0u64; 5];
        for k in lo..hi {
            let (a, b) = (k * MINUTE_MS, (k + 1) * MINUTE_MS);
            if ivs.iter().any(|&(s, e)| s < e && s < b && e > a) {
                excluded += 1;
            } else if b > now {
                pending += 1;
            } else {
                let st = usize::try_from(k - series_start)
                    .ok()
                    .and_then(|i| states.get(i))
                    .copied()
                    .unwrap_or(MinuteState::Unknown);
                match st {
                    MinuteState::Up => up += 1,
                    MinuteState::Down => down += 1,
                    MinuteState::Unknown => no_data += 1,
                }
            }
        }
        [excluded, no_data, pending, up, down]
    }

    fn arb_state() -> impl Strategy<Value = MinuteState> {
        prop_oneof![
            6 => Just(MinuteState::Up),
            2 => Just(MinuteState::Down),
            1 => Just(MinuteState::Unknown),
        ]
    }

    fn arb_no_data() -> impl Strategy<Value = NoDataPolicy> {
        prop_oneof![
            Just(NoDataPolicy::Exclude),
            Just(NoDataPolicy::CountAsDown),
            Just(NoDataPolicy::CountAsUp),
        ]
    }

    fn arb_target() -> impl Strategy<Value = u32> {
        prop_oneof![
            Just(999_000u32),
            990_000u32..=1_000_000,
            0u32..=1_000_000,
            1_000_000u32..2_000_000,
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        /// R-SLA-1 / R-SLA-4: "target missed" and "budget left" are never
        /// shown together, and target met ⇔ used ≤ allowed ⇔ remaining ≥ 0 ⇔
        /// availability ≥ target; every count matches a per-minute reference.
        #[test]
        fn r_sla_1_missed_target_never_has_budget_left(
            zone in 0usize..ZONES.len(),
            month in 1u32..=12,
            series_offset in -3_000i64..3_000,
            runs in proptest::collection::vec((arb_state(), 1usize..6_000), 0..25),
            raw_ex in proptest::collection::vec((-3_000i64..47_000, 0i64..60, 0i64..200_000), 0..6),
            as_of_min in -1_000i64..47_000,
            target_ppm in arb_target(),
            no_data in arb_no_data(),
        ) {
            let tz = ZONES[zone];
            let month_start = local(tz, 2026, month, 1, 0, 0);
            let states: Vec<MinuteState> = runs
                .iter()
                .flat_map(|&(st, n)| std::iter::repeat_n(st, n))
                .collect();
            let series_start = month_start + TimeDelta::minutes(series_offset);
            let s = MinuteSeries::from_states(series_start, states.clone()).unwrap();
            let exclusions: Vec<Exclusion> = raw_ex
                .iter()
                .map(|&(m, sec, len)| {
                    let a = month_start + TimeDelta::minutes(m) + TimeDelta::seconds(sec);
                    ex(a, a + TimeDelta::seconds(len), ExclusionReason::ExternalOutage)
                })
                .collect();
            let as_of = month_start + TimeDelta::minutes(as_of_min) + TimeDelta::seconds(as_of_min.rem_euclid(60));
            let p = SlaPolicy { target_ppm, no_data };
            let r = month_report(&p, tz, 2026, month, &s, &exclusions, as_of).unwrap();

            // Counts against the reference.
            let want = naive(tz, 2026, month, series_start.timestamp() / 60, &states, &exclusions, as_of);
            prop_assert_eq!(
                [r.excluded_minutes, r.no_data_minutes, r.pending_minutes, r.up_minutes, r.down_minutes],
                want
            );
            prop_assert_eq!(Some(r.month_minutes), month_minutes(tz, 2026, month));
            prop_assert_eq!(r.month_minutes, want.iter().sum::<u64>());

            // One set of eligible minutes.
            let counted = r.month_minutes - r.excluded_minutes;
            let (eligible, used) = match no_data {
                NoDataPolicy::Exclude => (counted - r.no_data_minutes, r.down_minutes),
                NoDataPolicy::CountAsDown => (counted, r.down_minutes + r.no_data_minutes),
                NoDataPolicy::CountAsUp => (counted, r.down_minutes),
            };
            prop_assert_eq!((r.eligible_minutes, r.used_minutes), (eligible, used));
            prop_assert_eq!(r.allowed_downtime_millis, allowed_downtime(&p, eligible).allowed_millis);
            prop_assert_eq!(r.used_millis, used * 60_000);
            prop_assert_eq!(r.remaining_millis, r.allowed_downtime_millis as i64 - r.used_millis as i64);

            // The verdicts agree, exactly.
            prop_assert!(r.target_met || r.remaining_millis <= 0, "missed with budget left: {r:?}");
            prop_assert!(!r.target_met || r.remaining_millis >= 0, "met with budget overspent: {r:?}");
            prop_assert_eq!(r.target_met, r.used_millis <= r.allowed_downtime_millis);
            prop_assert_eq!(r.target_met, r.remaining_millis >= 0);
            if let (Some(a), Some(ppm)) = (r.availability, r.availability_ppm) {
                prop_assert!((0.0..=1.0).contains(&a));
                prop_assert_eq!(r.target_met, ppm >= r.target_ppm);
                prop_assert_eq!(r.target_met, a >= f64::from(r.target_ppm) / 1e6);
            } else {
                prop_assert_eq!(eligible, 0);
            }
            // The worst case is never kinder than the verdict.
            prop_assert!(!r.target_met_if_no_data_down || r.target_met);
            prop_assert_eq!(r.complete, as_of >= r.period.end);

            // Duplicated and reordered exclusions change nothing.
            let mut twice: Vec<Exclusion> = exclusions.iter().rev().cloned().collect();
            twice.extend(exclusions.iter().cloned());
            prop_assert_eq!(month_report(&p, tz, 2026, month, &s, &twice, as_of).unwrap(), r.clone());

            // Without no-data removal, allowed_downtime_for_month is the report's budget.
            if no_data != NoDataPolicy::Exclude || r.no_data_minutes == 0 {
                prop_assert_eq!(
                    allowed_downtime_for_month(&p, tz, 2026, month, &exclusions).unwrap().allowed_millis,
                    r.allowed_downtime_millis
                );
            }
        }
    }

    proptest! {
        /// R-SLA-1: target met ⇔ used ≤ allowed ⇔ availability ≥ target, in
        /// exact integers over any number of minutes.
        #[test]
        fn r_sla_1_target_met_iff_used_within_allowed(
            eligible in 0u64..100_000_000,
            used_frac in 0.0f64..=1.0,
            target_ppm in arb_target(),
        ) {
            let used = ((eligible as f64) * used_frac * used_frac * used_frac) as u64;
            let p = SlaPolicy { target_ppm, ..SlaPolicy::default() };
            let v = judge(eligible, used, p.budget_ppm());
            let b = error_budget(&p, eligible, used);
            prop_assert_eq!(v.met, b.remaining_millis >= 0);
            prop_assert_eq!(v.met, b.consumed_millis <= b.allowed_millis);
            // Exact rational comparison: used / eligible ≤ (10⁶ − target) / 10⁶.
            let t = u128::from(target_ppm.min(1_000_000));
            prop_assert_eq!(
                v.met,
                u128::from(eligible - used) * PPM >= t * u128::from(eligible)
            );
            if let Some(ppm) = v.availability_ppm {
                prop_assert_eq!(v.met, u128::from(ppm) >= t);
            }
        }
    }
}
