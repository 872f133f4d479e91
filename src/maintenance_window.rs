//! Planned maintenance: the monthly window, its announcement, the monthly cap
//! and the task lists (R-MNT-1, R-MNT-2).
//!
//! A window is defined by a local **start** (e.g. first Sunday 02:00 in
//! Asia/Tokyo) plus an absolute **duration** (120 min). The end is
//! `start + duration` in real time, so a window is always exactly two hours
//! even across a DST change (decision 0103). Local start times that do not
//! exist or are ambiguous are resolved by [`crate::local_time`] (gap → moved
//! forward by the gap, overlap → earlier instant).
//!
//! The monthly cap counts real minutes of the union of planned windows (so
//! overlapping plans are not double-counted), split at local month
//! boundaries of the policy's zone.

use crate::interval::{merge_intervals, UtcInterval};
use crate::local_time::{resolve_local, LocalResolution};
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which occurrence of the weekday in the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeekOfMonth {
    /// 第1.
    First,
    /// 第2.
    Second,
    /// 第3.
    Third,
    /// 第4.
    Fourth,
    /// The last one in the month.
    Last,
}

/// The recurring maintenance window and its limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaintenancePolicy {
    /// Occurrence in the month (first).
    pub week: WeekOfMonth,
    /// Weekday (Sunday).
    pub weekday: Weekday,
    /// Local start time (02:00).
    pub start: NaiveTime,
    /// Length in minutes (120).
    pub duration_minutes: u32,
    /// Zone of the local times (Asia/Tokyo).
    pub tz: Tz,
    /// Announce this many days before the start (7).
    pub announce_days_before: u32,
    /// Most planned maintenance per calendar month, in minutes (120).
    pub monthly_cap_minutes: u32,
    /// Months (1–12) whose window also carries the quarterly tasks (1, 4, 7, 10).
    pub quarterly_months: Vec<u32>,
}

impl Default for MaintenancePolicy {
    fn default() -> Self {
        Self {
            week: WeekOfMonth::First,
            weekday: Weekday::Sun,
            start: NaiveTime::from_hms_opt(2, 0, 0).unwrap_or(NaiveTime::MIN),
            duration_minutes: 120,
            tz: chrono_tz::Asia::Tokyo,
            announce_days_before: 7,
            monthly_cap_minutes: 120,
            quarterly_months: vec![1, 4, 7, 10],
        }
    }
}

/// One concrete maintenance window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaintenanceWindow {
    /// Local calendar day of the window.
    pub local_date: NaiveDate,
    /// The window in UTC.
    pub interval: UtcInterval,
    /// When it must be announced (start − `announce_days_before` days).
    pub announce_at: DateTime<Utc>,
    /// How the local start time mapped onto the zone.
    pub resolution: LocalResolution,
    /// Whether the quarterly tasks are due in this window.
    pub quarterly: bool,
}

/// The day of the `week`-th `weekday` of a month, `None` for an invalid month.
pub fn nth_weekday(
    year: i32,
    month: u32,
    week: WeekOfMonth,
    weekday: Weekday,
) -> Option<NaiveDate> {
    match week {
        WeekOfMonth::Last => {
            let first_next =
                NaiveDate::from_ymd_opt(year, month, 1)?.checked_add_months(Months::new(1))?;
            let last = first_next.pred_opt()?;
            let back =
                (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
            last.checked_sub_days(Days::new(u64::from(back)))
        }
        _ => {
            let n: u8 = match week {
                WeekOfMonth::First => 1,
                WeekOfMonth::Second => 2,
                WeekOfMonth::Third => 3,
                _ => 4,
            };
            NaiveDate::from_weekday_of_month_opt(year, month, weekday, n)
        }
    }
}

/// The policy's window in the given local month (`None` if out of range).
pub fn window_for_month(
    policy: &MaintenancePolicy,
    year: i32,
    month: u32,
) -> Option<MaintenanceWindow> {
    let local_date = nth_weekday(year, month, policy.week, policy.weekday)?;
    let (start, resolution) = resolve_local(policy.tz, local_date.and_time(policy.start))?;
    let interval = UtcInterval::starting_at(
        start,
        TimeDelta::minutes(i64::from(policy.duration_minutes)),
    )?;
    let announce_at =
        start.checked_sub_signed(TimeDelta::days(i64::from(policy.announce_days_before)))?;
    Some(MaintenanceWindow {
        local_date,
        interval,
        announce_at,
        resolution,
        quarterly: policy.quarterly_months.contains(&month),
    })
}

fn local_year_month(tz: Tz, t: DateTime<Utc>) -> (i32, u32) {
    let l = t.with_timezone(&tz);
    (l.year(), l.month())
}

fn next_month(y: i32, m: u32) -> (i32, u32) {
    if m >= 12 {
        (y.saturating_add(1), 1)
    } else {
        (y, m + 1)
    }
}

/// The windows that start in `[from, to)`, in order.
pub fn windows_between(
    policy: &MaintenancePolicy,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<MaintenanceWindow> {
    let mut out = Vec::new();
    if to <= from {
        return out;
    }
    // Start one month early: a window late in the previous local month cannot start after `from`,
    // but being generous costs nothing and guards against zone offsets.
    let (mut y, mut m) = local_year_month(policy.tz, from);
    (y, m) = if m == 1 {
        (y.saturating_sub(1), 12)
    } else {
        (y, m - 1)
    };
    let (end_y, end_m) = local_year_month(policy.tz, to);
    let mut guard = 0u32;
    while (y, m) <= (end_y, end_m) && guard < 100_000 {
        guard += 1;
        if let Some(w) = window_for_month(policy, y, m) {
            if w.interval.start >= from && w.interval.start < to {
                out.push(w);
            }
        }
        (y, m) = next_month(y, m);
    }
    out
}

/// The first window starting strictly after `instant`.
pub fn next_window_after(
    policy: &MaintenancePolicy,
    instant: DateTime<Utc>,
) -> Option<MaintenanceWindow> {
    let (mut y, mut m) = local_year_month(policy.tz, instant);
    // A window exists in every month, so three months always suffice.
    for _ in 0..3 {
        if let Some(w) = window_for_month(policy, y, m) {
            if w.interval.start > instant {
                return Some(w);
            }
        }
        (y, m) = next_month(y, m);
    }
    None
}

/// The window containing `instant`, if a window is in progress.
pub fn window_containing(
    policy: &MaintenancePolicy,
    instant: DateTime<Utc>,
) -> Option<MaintenanceWindow> {
    let (y, m) = local_year_month(policy.tz, instant);
    let prev = if m == 1 {
        (y.saturating_sub(1), 12)
    } else {
        (y, m - 1)
    };
    [prev, (y, m)]
        .into_iter()
        .filter_map(|(y, m)| window_for_month(policy, y, m))
        .find(|w| w.interval.contains(instant))
}

/// Planned maintenance time in one local calendar month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthlyUsage {
    /// Local calendar year.
    pub year: i32,
    /// Local calendar month 1–12.
    pub month: u32,
    /// Planned seconds in that month (union of windows).
    pub planned_seconds: i64,
    /// The cap in seconds.
    pub cap_seconds: i64,
    /// Seconds over the cap (0 when within).
    pub excess_seconds: i64,
}

impl MonthlyUsage {
    /// True when the month is over the cap (R-MNT-2).
    pub fn is_over(&self) -> bool {
        self.excess_seconds > 0
    }
    /// Excess in minutes (fractional).
    pub fn excess_minutes(&self) -> f64 {
        self.excess_seconds as f64 / 60.0
    }
    /// Planned time in minutes (fractional).
    pub fn planned_minutes(&self) -> f64 {
        self.planned_seconds as f64 / 60.0
    }
}

fn local_month_start(tz: Tz, y: i32, m: u32) -> Option<DateTime<Utc>> {
    let d = NaiveDate::from_ymd_opt(y, m, 1)?;
    crate::local_time::to_utc(tz, d.and_time(NaiveTime::MIN))
}

/// Planned maintenance per local calendar month, for every month touched by
/// `planned`, in month order (R-MNT-2).
pub fn monthly_usage(planned: &[UtcInterval], tz: Tz, cap_minutes: u32) -> Vec<MonthlyUsage> {
    let cap_seconds = i64::from(cap_minutes) * 60;
    let mut per_month: BTreeMap<(i32, u32), i64> = BTreeMap::new();
    for iv in merge_intervals(planned) {
        let mut cursor = iv.start;
        let mut guard = 0u32;
        while cursor < iv.end && guard < 100_000 {
            guard += 1;
            let (y, m) = local_year_month(tz, cursor);
            let (ny, nm) = next_month(y, m);
            let boundary = local_month_start(tz, ny, nm)
                .filter(|b| *b > cursor)
                .unwrap_or(iv.end);
            let seg_end = boundary.min(iv.end);
            *per_month.entry((y, m)).or_default() += (seg_end - cursor).num_seconds();
            cursor = seg_end;
        }
    }
    per_month
        .into_iter()
        .map(|((year, month), planned_seconds)| MonthlyUsage {
            year,
            month,
            planned_seconds,
            cap_seconds,
            excess_seconds: (planned_seconds - cap_seconds).max(0),
        })
        .collect()
}

/// Only the months over the cap, with their excess (R-MNT-2).
pub fn months_over_cap(planned: &[UtcInterval], tz: Tz, cap_minutes: u32) -> Vec<MonthlyUsage> {
    monthly_usage(planned, tz, cap_minutes)
        .into_iter()
        .filter(MonthlyUsage::is_over)
        .collect()
}

/// A maintenance task with a stable key and labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceTask {
    /// Stable key.
    pub key: String,
    /// Japanese label (the policy's wording).
    pub label_ja: String,
    /// English label.
    pub label_en: String,
}

fn task(key: &str, ja: &str, en: &str) -> MaintenanceTask {
    MaintenanceTask {
        key: key.into(),
        label_ja: ja.into(),
        label_en: en.into(),
    }
}

/// The policy's monthly task list (月次メンテナンス).
pub fn monthly_tasks() -> Vec<MaintenanceTask> {
    vec![
        task(
            "security_patches",
            "セキュリティパッチ適用",
            "Apply security patches",
        ),
        task(
            "dependency_updates",
            "依存関係の更新",
            "Update dependencies",
        ),
        task(
            "database_optimisation",
            "データベース最適化",
            "Optimise the database",
        ),
        task("log_rotation", "ログローテーション", "Rotate logs"),
        task(
            "data_cleanup",
            "不要データクリーンアップ",
            "Clean up unneeded data",
        ),
    ]
}

/// The policy's quarterly task list (四半期メンテナンス).
pub fn quarterly_tasks() -> Vec<MaintenanceTask> {
    vec![
        task(
            "performance_tuning",
            "パフォーマンスチューニング",
            "Performance tuning",
        ),
        task("index_rebuild", "インデックス再構築", "Rebuild indexes"),
        task(
            "storage_optimisation",
            "ストレージ最適化",
            "Optimise storage",
        ),
        task("security_audit", "セキュリティ監査", "Security audit"),
    ]
}

/// Tasks due in a window: the monthly list, plus the quarterly list when `window.quarterly`.
pub fn tasks_for(window: &MaintenanceWindow) -> Vec<MaintenanceTask> {
    let mut v = monthly_tasks();
    if window.quarterly {
        v.extend(quarterly_tasks());
    }
    v
}

/// The rules a one-off planned window is checked against (R-MNT-2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRules {
    /// Most planned maintenance per local calendar month, in minutes (120).
    pub monthly_cap_minutes: u32,
    /// A plan must start at least this many days after it is made (7).
    pub min_notice_days: u32,
    /// Local start of the night in which windows belong (00:00).
    pub night_start: NaiveTime,
    /// Local end of that night (06:00); before `night_start` means the night crosses midnight.
    pub night_end: NaiveTime,
    /// Zone of the local times.
    pub tz: Tz,
}

/// Something wrong with a planned window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlanProblem {
    /// The end is not after the start.
    EndsBeforeStart,
    /// It starts sooner than the notice allows.
    TooLittleNotice {
        /// Days of notice the rules ask for.
        needed_days: u32,
        /// Whole hours until it starts (negative: already started).
        starts_in_hours: i64,
    },
    /// It is not inside one night (local time).
    OutsideNight,
    /// With the other windows of its month, it exceeds the monthly cap.
    OverCap {
        /// Local year of the month.
        year: i32,
        /// Local month.
        month: u32,
        /// Planned minutes in that month, this window included.
        planned_minutes: i64,
        /// The cap.
        cap_minutes: u32,
    },
}

/// Whether `candidate` lies inside one local night of `rules`.
fn inside_one_night(rules: &PlanRules, candidate: &UtcInterval) -> bool {
    let start_local = candidate.start.with_timezone(&rules.tz).naive_local();
    let crosses_midnight = rules.night_end <= rules.night_start;
    // The night that could hold the start begins on the start's day or the day before.
    [0u64, 1].iter().any(|back| {
        let Some(day) = start_local.date().checked_sub_days(Days::new(*back)) else {
            return false;
        };
        let end_day = if crosses_midnight {
            day.succ_opt()
        } else {
            Some(day)
        };
        let (Some(from), Some(to)) = (
            crate::local_time::to_utc(rules.tz, day.and_time(rules.night_start)),
            end_day.and_then(|d| crate::local_time::to_utc(rules.tz, d.and_time(rules.night_end))),
        ) else {
            return false;
        };
        from <= candidate.start && candidate.end <= to
    })
}

/// Checks a one-off window planned at `now` against the rules, given the
/// other windows already planned (R-MNT-2). Empty means it may be saved.
/// The cap counts the union of all windows per local month, so a window
/// that overlaps another is not counted twice, and one that crosses a month
/// boundary counts in both months.
pub fn check_plan(
    rules: &PlanRules,
    now: DateTime<Utc>,
    candidate: UtcInterval,
    others: &[UtcInterval],
) -> Vec<PlanProblem> {
    if candidate.end <= candidate.start {
        return vec![PlanProblem::EndsBeforeStart];
    }
    let mut problems = Vec::new();
    let notice = TimeDelta::days(i64::from(rules.min_notice_days));
    if candidate.start - now < notice {
        problems.push(PlanProblem::TooLittleNotice {
            needed_days: rules.min_notice_days,
            starts_in_hours: (candidate.start - now).num_hours(),
        });
    }
    if !inside_one_night(rules, &candidate) {
        problems.push(PlanProblem::OutsideNight);
    }
    let mut all = others.to_vec();
    all.push(candidate);
    let touched: Vec<(i32, u32)> = monthly_usage(&[candidate], rules.tz, 0)
        .into_iter()
        .map(|u| (u.year, u.month))
        .collect();
    for usage in monthly_usage(&all, rules.tz, rules.monthly_cap_minutes) {
        if usage.is_over() && touched.contains(&(usage.year, usage.month)) {
            problems.push(PlanProblem::OverCap {
                year: usage.year,
                month: usage.month,
                planned_minutes: usage.planned_seconds / 60,
                cap_minutes: rules.monthly_cap_minutes,
            });
        }
    }
    problems
}

#[cfg(test)]
mod plan_tests {
    use super::*;
    use chrono::TimeZone;

    fn rules() -> PlanRules {
        PlanRules {
            monthly_cap_minutes: 120,
            min_notice_days: 7,
            night_start: NaiveTime::from_hms_opt(0, 0, 0).unwrap(),
            night_end: NaiveTime::from_hms_opt(6, 0, 0).unwrap(),
            tz: chrono_tz::Asia::Tokyo,
        }
    }

    /// `y-m-d h:mi` in Tokyo as UTC.
    fn jst(y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Tokyo
            .with_ymd_and_hms(y, m, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn mins(start: DateTime<Utc>, m: i64) -> UtcInterval {
        UtcInterval::new(start, start + TimeDelta::minutes(m))
    }

    #[test]
    fn r_mnt_2_a_90_minute_plan_in_a_month_with_60_planned_is_over_the_cap() {
        let now = jst(2027, 1, 1, 12, 0);
        let existing = [mins(jst(2027, 1, 10, 2, 0), 60)];
        let problems = check_plan(&rules(), now, mins(jst(2027, 1, 24, 1, 0), 90), &existing);
        assert_eq!(
            problems,
            vec![PlanProblem::OverCap {
                year: 2027,
                month: 1,
                planned_minutes: 150,
                cap_minutes: 120
            }]
        );
        // 60 more fit exactly.
        assert!(check_plan(&rules(), now, mins(jst(2027, 1, 24, 1, 0), 60), &existing).is_empty());
    }

    #[test]
    fn r_mnt_2_overlapping_plans_are_not_counted_twice_and_other_months_do_not_count() {
        let now = jst(2027, 1, 1, 12, 0);
        let existing = [
            mins(jst(2027, 1, 10, 2, 0), 120),
            mins(jst(2027, 2, 7, 2, 0), 120),
        ];
        // Inside the existing January window: the union stays at 120.
        assert!(check_plan(&rules(), now, mins(jst(2027, 1, 10, 2, 30), 60), &existing).is_empty());
        // A full February does not stop a March plan.
        assert!(check_plan(&rules(), now, mins(jst(2027, 3, 7, 2, 0), 120), &existing).is_empty());
    }

    #[test]
    fn r_mnt_2_a_week_of_notice_and_the_night() {
        let now = jst(2027, 1, 1, 12, 0);
        let soon = check_plan(&rules(), now, mins(jst(2027, 1, 5, 2, 0), 60), &[]);
        assert!(matches!(
            soon[..],
            [PlanProblem::TooLittleNotice {
                needed_days: 7,
                starts_in_hours: 86
            }]
        ));
        // 05:00–07:00 runs past the night's end; 23:00–01:00 starts before it.
        assert_eq!(
            check_plan(&rules(), now, mins(jst(2027, 1, 20, 5, 0), 120), &[]),
            vec![PlanProblem::OutsideNight]
        );
        assert_eq!(
            check_plan(&rules(), now, mins(jst(2027, 1, 20, 23, 0), 120), &[]),
            vec![PlanProblem::OutsideNight]
        );
        // A night that crosses midnight (22:00–06:00) holds 23:00–01:00.
        let late = PlanRules {
            night_start: NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
            ..rules()
        };
        assert!(check_plan(&late, now, mins(jst(2027, 1, 20, 23, 0), 120), &[]).is_empty());
        assert!(check_plan(&late, now, mins(jst(2027, 1, 21, 1, 0), 120), &[]).is_empty());
        assert_eq!(
            check_plan(
                &rules(),
                now,
                UtcInterval::new(jst(2027, 1, 20, 3, 0), jst(2027, 1, 20, 2, 0)),
                &[]
            ),
            vec![PlanProblem::EndsBeforeStart]
        );
    }

    #[test]
    fn r_mnt_2_the_cap_follows_local_months_in_a_dst_zone() {
        // New York: a window on the night DST starts (2027-03-14) still counts in March.
        let ny = PlanRules {
            tz: chrono_tz::America::New_York,
            ..rules()
        };
        let now = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
        let start = chrono_tz::America::New_York
            .with_ymd_and_hms(2027, 3, 14, 1, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let existing = [mins(start - TimeDelta::days(7), 90)];
        let problems = check_plan(&ny, now, mins(start, 60), &existing);
        assert_eq!(
            problems,
            vec![PlanProblem::OverCap {
                year: 2027,
                month: 3,
                planned_minutes: 150,
                cap_minutes: 120
            }]
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::America::New_York;
    use proptest::prelude::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }
    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn r_mnt_1_first_sunday_december_2026_is_6th() {
        assert_eq!(
            nth_weekday(2026, 12, WeekOfMonth::First, Weekday::Sun),
            Some(date(2026, 12, 6))
        );
        let w = window_for_month(&MaintenancePolicy::default(), 2026, 12).unwrap();
        assert_eq!(w.local_date, date(2026, 12, 6));
        // 02:00–04:00 JST = 17:00–19:00 UTC the day before.
        assert_eq!(
            w.interval,
            UtcInterval::new(utc(2026, 12, 5, 17, 0), utc(2026, 12, 5, 19, 0))
        );
        assert_eq!(w.announce_at, utc(2026, 11, 28, 17, 0)); // R-MNT-2: one week ahead
        assert!(!w.quarterly);
        assert_eq!(tasks_for(&w).len(), 5);
    }

    #[test]
    fn r_mnt_1_nth_weekday_variants() {
        assert_eq!(
            nth_weekday(2026, 3, WeekOfMonth::Last, Weekday::Sun),
            Some(date(2026, 3, 29))
        );
        assert_eq!(
            nth_weekday(2026, 2, WeekOfMonth::Last, Weekday::Sat),
            Some(date(2026, 2, 28))
        );
        assert_eq!(
            nth_weekday(2026, 3, WeekOfMonth::Second, Weekday::Sun),
            Some(date(2026, 3, 8))
        );
        assert_eq!(
            nth_weekday(2026, 13, WeekOfMonth::First, Weekday::Sun),
            None
        );
    }

    #[test]
    fn r_mnt_1_next_window_and_containing() {
        let p = MaintenancePolicy::default();
        let w = next_window_after(&p, utc(2026, 12, 5, 17, 0)).unwrap();
        assert_eq!(w.local_date, date(2027, 1, 3)); // strictly after: the December one starts exactly then
        assert!(w.quarterly);
        assert_eq!(tasks_for(&w).len(), 9);
        let w = next_window_after(&p, utc(2026, 12, 1, 0, 0)).unwrap();
        assert_eq!(w.local_date, date(2026, 12, 6));
        assert_eq!(
            window_containing(&p, utc(2026, 12, 5, 18, 0))
                .unwrap()
                .local_date,
            date(2026, 12, 6)
        );
        assert!(window_containing(&p, utc(2026, 12, 5, 19, 0)).is_none());
        let ws = windows_between(&p, utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0));
        assert_eq!(ws.len(), 12);
        assert!(ws
            .windows(2)
            .all(|w| w[0].interval.start < w[1].interval.start));
    }

    #[test]
    fn r_mnt_1_dst_new_york() {
        let ny = |week, start_h, start_m| MaintenancePolicy {
            week,
            start: NaiveTime::from_hms_opt(start_h, start_m, 0).unwrap(),
            tz: New_York,
            ..MaintenancePolicy::default()
        };
        // Ordinary first Sunday, EST (UTC−5) then EDT (UTC−4).
        let w = window_for_month(&ny(WeekOfMonth::First, 2, 0), 2027, 2).unwrap();
        assert_eq!(w.interval.start, utc(2027, 2, 7, 7, 0));
        let w = window_for_month(&ny(WeekOfMonth::First, 2, 0), 2027, 4).unwrap();
        assert_eq!(w.interval.start, utc(2027, 4, 4, 6, 0));
        // Nonexistent: second Sunday of March 2027, 02:00 does not exist → 03:00 EDT.
        let w = window_for_month(&ny(WeekOfMonth::Second, 2, 0), 2027, 3).unwrap();
        assert_eq!(w.resolution, LocalResolution::NonexistentShiftedForward);
        assert_eq!(
            w.interval,
            UtcInterval::new(utc(2027, 3, 14, 7, 0), utc(2027, 3, 14, 9, 0))
        );
        // Ambiguous: first Sunday of November 2026, 01:30 happens twice → the EDT one; still 2 real hours.
        let w = window_for_month(&ny(WeekOfMonth::First, 1, 30), 2026, 11).unwrap();
        assert_eq!(w.resolution, LocalResolution::AmbiguousTookEarlier);
        assert_eq!(
            w.interval,
            UtcInterval::new(utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 7, 30))
        );
        // 02:00 on the fall-back day is after the overlap: unambiguous EST.
        let w = window_for_month(&ny(WeekOfMonth::First, 2, 0), 2026, 11).unwrap();
        assert_eq!(w.resolution, LocalResolution::Exact);
        assert_eq!(w.interval.start, utc(2026, 11, 1, 7, 0));
        // Announcement is exactly 7×24 h earlier in real time.
        assert_eq!(w.announce_at, utc(2026, 10, 25, 7, 0));
    }

    #[test]
    fn r_mnt_2_monthly_cap_reports_excess_per_month() {
        let p = MaintenancePolicy::default();
        let dec = window_for_month(&p, 2026, 12).unwrap().interval;
        let extra = UtcInterval::new(utc(2026, 12, 10, 0, 0), utc(2026, 12, 10, 0, 45));
        let overlapping = UtcInterval::new(utc(2026, 12, 5, 18, 0), utc(2026, 12, 5, 18, 30));
        let jan = window_for_month(&p, 2027, 1).unwrap().interval;
        let usage = monthly_usage(&[dec, extra, overlapping, jan], p.tz, p.monthly_cap_minutes);
        assert_eq!(usage.len(), 2);
        assert_eq!(
            (usage[0].year, usage[0].month, usage[0].planned_seconds),
            (2026, 12, 165 * 60)
        );
        assert_eq!(usage[0].excess_seconds, 45 * 60);
        assert_eq!(usage[1].excess_seconds, 0);
        let over = months_over_cap(&[dec, extra, jan], p.tz, p.monthly_cap_minutes);
        assert_eq!(over.len(), 1);
        assert_eq!(over[0].excess_minutes(), 45.0);
    }

    #[test]
    fn r_mnt_2_window_straddling_local_month_end_is_split() {
        // 2026-01-31 23:00 JST → 2026-02-01 01:00 JST = 14:00–16:00 UTC on 01-31.
        let iv = UtcInterval::new(utc(2026, 1, 31, 14, 0), utc(2026, 1, 31, 16, 0));
        let usage = monthly_usage(&[iv], chrono_tz::Asia::Tokyo, 120);
        assert_eq!(
            usage
                .iter()
                .map(|u| (u.month, u.planned_seconds))
                .collect::<Vec<_>>(),
            vec![(1, 3600), (2, 3600)]
        );
    }

    #[test]
    fn r_mnt_1_task_lists_match_policy() {
        assert_eq!(
            monthly_tasks()
                .iter()
                .map(|t| t.label_ja.as_str())
                .collect::<Vec<_>>(),
            vec![
                "セキュリティパッチ適用",
                "依存関係の更新",
                "データベース最適化",
                "ログローテーション",
                "不要データクリーンアップ"
            ]
        );
        assert_eq!(quarterly_tasks().len(), 4);
    }

    proptest! {
        #[test]
        fn r_mnt_1_every_month_has_one_two_hour_window(y in 1990i32..2100, m in 1u32..=12, ny in any::<bool>()) {
            let p = MaintenancePolicy { tz: if ny { New_York } else { chrono_tz::Asia::Tokyo }, ..MaintenancePolicy::default() };
            let w = window_for_month(&p, y, m).unwrap();
            prop_assert_eq!(w.local_date.weekday(), Weekday::Sun);
            prop_assert!(w.local_date.day() <= 7);
            prop_assert_eq!(w.interval.length(), TimeDelta::hours(2));
            prop_assert_eq!(w.interval.start - w.announce_at, TimeDelta::days(7));
        }

        #[test]
        fn r_mnt_2_usage_sums_to_union_length(starts in proptest::collection::vec((0i64..10_000_000, 0i64..20_000), 0..20)) {
            let base = utc(2026, 1, 1, 0, 0);
            let ivs: Vec<UtcInterval> = starts.iter().map(|(s, l)| UtcInterval::new(base + TimeDelta::seconds(*s), base + TimeDelta::seconds(s + l))).collect();
            let total: i64 = monthly_usage(&ivs, chrono_tz::Asia::Tokyo, 120).iter().map(|u| u.planned_seconds).sum();
            let union: i64 = merge_intervals(&ivs).iter().map(|i| i.length().num_seconds()).sum();
            prop_assert_eq!(total, union);
        }
    }
}
