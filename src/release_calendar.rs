//! Release milestones, code-freeze windows and release cadence (R-REL-2, R-REL-3, R-DEP-6).
//!
//! Milestones are whole calendar days before the planned release day
//! (T−14 feature freeze, T−7 code freeze, T−3 final test, T−1 release notes),
//! all offsets taken from [`ReleaseCalendarPolicy`].
//!
//! The **code-freeze window** (decision 0102) runs from 00:00 local time on
//! the code-freeze day up to (excluding) 00:00 local time on the release day:
//! the release day itself is open so the release can go out. Local midnights
//! are resolved with [`crate::local_time`].
//!
//! **Cadence** (R-REL-2, decision 0102): over calendar periods in the release
//! calendar's own dates, warnings are raised for more than `max` majors in a
//! calendar year, more than `max` minors in a calendar month, and fewer than
//! `min` majors in a *completed* calendar year (a year strictly before
//! `today`'s year, from the first year that has any planned or past release).
//! Too few minors in a month is not warned (the policy asks only "over a year,
//! fewer"). Patches are never limited.

use crate::interval::UtcInterval;
use crate::local_time::to_utc;
use crate::versions::ReleaseKind;
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Days-before-release offsets of each milestone (policy: 14 / 7 / 3 / 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseCalendarPolicy {
    /// 機能フリーズ: days before release (14).
    pub feature_freeze_days: u32,
    /// コードフリーズ: days before release (7).
    pub code_freeze_days: u32,
    /// 最終テスト: days before release (3).
    pub final_test_days: u32,
    /// リリースノート作成: days before release (1).
    pub release_notes_days: u32,
}

impl Default for ReleaseCalendarPolicy {
    fn default() -> Self {
        Self {
            feature_freeze_days: 14,
            code_freeze_days: 7,
            final_test_days: 3,
            release_notes_days: 1,
        }
    }
}

/// A milestone of a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneKind {
    /// 機能フリーズ.
    FeatureFreeze,
    /// コードフリーズ.
    CodeFreeze,
    /// 最終テスト.
    FinalTest,
    /// リリースノート作成.
    ReleaseNotes,
    /// The release day itself.
    Release,
}

impl MilestoneKind {
    /// Japanese label as in the policy.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::FeatureFreeze => "機能フリーズ",
            Self::CodeFreeze => "コードフリーズ",
            Self::FinalTest => "最終テスト",
            Self::ReleaseNotes => "リリースノート作成",
            Self::Release => "リリース",
        }
    }
    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::FeatureFreeze => "Feature freeze",
            Self::CodeFreeze => "Code freeze",
            Self::FinalTest => "Final test",
            Self::ReleaseNotes => "Release notes",
            Self::Release => "Release",
        }
    }
}

/// A dated milestone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    /// Which milestone.
    pub kind: MilestoneKind,
    /// Its calendar day.
    pub date: NaiveDate,
}

/// Calendar errors (dates outside chrono's range).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum CalendarError {
    /// A computed date falls outside the supported range.
    #[error("date out of range computing milestones for {0}")]
    DateOutOfRange(NaiveDate),
}

fn days_before(date: NaiveDate, days: u32) -> Result<NaiveDate, CalendarError> {
    date.checked_sub_days(Days::new(u64::from(days)))
        .ok_or(CalendarError::DateOutOfRange(date))
}

/// The milestones of a release planned for `release_date`, earliest first
/// (ties keep the order feature freeze, code freeze, final test, notes, release).
pub fn milestones(
    release_date: NaiveDate,
    policy: &ReleaseCalendarPolicy,
) -> Result<Vec<Milestone>, CalendarError> {
    let mut v = vec![
        Milestone {
            kind: MilestoneKind::FeatureFreeze,
            date: days_before(release_date, policy.feature_freeze_days)?,
        },
        Milestone {
            kind: MilestoneKind::CodeFreeze,
            date: days_before(release_date, policy.code_freeze_days)?,
        },
        Milestone {
            kind: MilestoneKind::FinalTest,
            date: days_before(release_date, policy.final_test_days)?,
        },
        Milestone {
            kind: MilestoneKind::ReleaseNotes,
            date: days_before(release_date, policy.release_notes_days)?,
        },
        Milestone {
            kind: MilestoneKind::Release,
            date: release_date,
        },
    ];
    v.sort_by_key(|m| (m.date, m.kind));
    Ok(v)
}

/// The code-freeze window of a release in UTC: `[code-freeze day 00:00 local, release day 00:00 local)`.
pub fn code_freeze_interval(
    release_date: NaiveDate,
    tz: Tz,
    policy: &ReleaseCalendarPolicy,
) -> Result<UtcInterval, CalendarError> {
    let freeze_day = days_before(release_date, policy.code_freeze_days)?;
    let start = to_utc(tz, freeze_day.and_time(chrono::NaiveTime::MIN))
        .ok_or(CalendarError::DateOutOfRange(freeze_day))?;
    let end = to_utc(tz, release_date.and_time(chrono::NaiveTime::MIN))
        .ok_or(CalendarError::DateOutOfRange(release_date))?;
    Ok(UtcInterval::new(start, end))
}

/// The release (by its date) whose code-freeze window contains `instant`, if any.
/// Releases whose window cannot be computed are skipped.
pub fn code_freeze_containing(
    releases: &[NaiveDate],
    tz: Tz,
    policy: &ReleaseCalendarPolicy,
    instant: DateTime<Utc>,
) -> Option<(NaiveDate, UtcInterval)> {
    releases.iter().find_map(|&d| {
        code_freeze_interval(d, tz, policy)
            .ok()
            .filter(|w| w.contains(instant))
            .map(|w| (d, w))
    })
}

/// True when `instant` lies in the code-freeze window of any of `releases` (R-DEP-6).
pub fn is_in_code_freeze(
    releases: &[NaiveDate],
    tz: Tz,
    policy: &ReleaseCalendarPolicy,
    instant: DateTime<Utc>,
) -> bool {
    code_freeze_containing(releases, tz, policy, instant).is_some()
}

/// How many releases of each kind are wanted (policy: majors 1–2 a year, minors 1–2 a month).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CadencePolicy {
    /// Fewest majors in a completed calendar year (1).
    pub min_majors_per_year: u32,
    /// Most majors in a calendar year (2).
    pub max_majors_per_year: u32,
    /// Fewest minors in a calendar month (1) — shown, not warned (see module docs).
    pub min_minors_per_month: u32,
    /// Most minors in a calendar month (2).
    pub max_minors_per_month: u32,
}

impl Default for CadencePolicy {
    fn default() -> Self {
        Self {
            min_majors_per_year: 1,
            max_majors_per_year: 2,
            min_minors_per_month: 1,
            max_minors_per_month: 2,
        }
    }
}

/// A planned or past release used for cadence checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedRelease {
    /// Release day.
    pub date: NaiveDate,
    /// Major, minor or patch.
    pub kind: ReleaseKind,
}

/// A cadence warning naming its rule and period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum CadenceWarning {
    /// More majors in a year than allowed.
    TooManyMajors {
        /// Calendar year.
        year: i32,
        /// Majors planned in it.
        count: u32,
        /// The policy's maximum.
        max: u32,
    },
    /// Fewer majors in a completed year than wanted.
    TooFewMajors {
        /// Calendar year.
        year: i32,
        /// Majors released in it.
        count: u32,
        /// The policy's minimum.
        min: u32,
    },
    /// More minors in a month than allowed.
    TooManyMinors {
        /// Calendar year.
        year: i32,
        /// Calendar month 1–12.
        month: u32,
        /// Minors planned in it.
        count: u32,
        /// The policy's maximum.
        max: u32,
    },
}

impl fmt::Display for CadenceWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooManyMajors { year, count, max } => {
                write!(
                    f,
                    "majors per year: {count} in {year}, the policy allows at most {max}"
                )
            }
            Self::TooFewMajors { year, count, min } => {
                write!(
                    f,
                    "majors per year: {count} in {year}, the policy asks for at least {min}"
                )
            }
            Self::TooManyMinors {
                year,
                month,
                count,
                max,
            } => {
                write!(f, "minors per month: {count} in {year}-{month:02}, the policy allows at most {max}")
            }
        }
    }
}

/// Checks a set of releases against the cadence policy (see module docs);
/// warnings come sorted by period.
pub fn check_cadence(
    releases: &[PlannedRelease],
    policy: &CadencePolicy,
    today: NaiveDate,
) -> Vec<CadenceWarning> {
    let mut majors: BTreeMap<i32, u32> = BTreeMap::new();
    let mut minors: BTreeMap<(i32, u32), u32> = BTreeMap::new();
    for r in releases {
        match r.kind {
            ReleaseKind::Major => *majors.entry(r.date.year()).or_default() += 1,
            ReleaseKind::Minor => *minors.entry((r.date.year(), r.date.month())).or_default() += 1,
            ReleaseKind::Patch => {}
        }
    }
    let mut out = Vec::new();
    if let Some(first_year) = releases.iter().map(|r| r.date.year()).min() {
        for year in first_year..today.year() {
            let count = majors.get(&year).copied().unwrap_or(0);
            if count < policy.min_majors_per_year {
                out.push((
                    year,
                    0,
                    CadenceWarning::TooFewMajors {
                        year,
                        count,
                        min: policy.min_majors_per_year,
                    },
                ));
            }
        }
    }
    for (&year, &count) in &majors {
        if count > policy.max_majors_per_year {
            out.push((
                year,
                0,
                CadenceWarning::TooManyMajors {
                    year,
                    count,
                    max: policy.max_majors_per_year,
                },
            ));
        }
    }
    for (&(year, month), &count) in &minors {
        if count > policy.max_minors_per_month {
            out.push((
                year,
                month,
                CadenceWarning::TooManyMinors {
                    year,
                    month,
                    count,
                    max: policy.max_minors_per_month,
                },
            ));
        }
    }
    out.sort_by_key(|(y, m, _)| (*y, *m));
    out.into_iter().map(|(_, _, w)| w).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Asia::Tokyo;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn r_rel_3_hand_worked_2027_01_29() {
        let ms = milestones(d(2027, 1, 29), &ReleaseCalendarPolicy::default()).unwrap();
        let got: Vec<(MilestoneKind, NaiveDate)> = ms.iter().map(|m| (m.kind, m.date)).collect();
        assert_eq!(
            got,
            vec![
                (MilestoneKind::FeatureFreeze, d(2027, 1, 15)),
                (MilestoneKind::CodeFreeze, d(2027, 1, 22)),
                (MilestoneKind::FinalTest, d(2027, 1, 26)),
                (MilestoneKind::ReleaseNotes, d(2027, 1, 28)),
                (MilestoneKind::Release, d(2027, 1, 29)),
            ]
        );
    }

    #[test]
    fn r_rel_3_milestones_cross_month_and_year() {
        let ms = milestones(d(2027, 1, 5), &ReleaseCalendarPolicy::default()).unwrap();
        assert_eq!(ms[0].date, d(2026, 12, 22));
        assert_eq!(ms[1].date, d(2026, 12, 29));
        assert!(milestones(NaiveDate::MIN, &ReleaseCalendarPolicy::default()).is_err());
    }

    #[test]
    fn r_dep_6_code_freeze_window_in_tokyo() {
        let p = ReleaseCalendarPolicy::default();
        let w = code_freeze_interval(d(2027, 1, 29), Tokyo, &p).unwrap();
        // 2027-01-22 00:00 JST = 2027-01-21 15:00 UTC; release day 00:00 JST = 01-28 15:00 UTC.
        assert_eq!(
            w.start,
            Utc.with_ymd_and_hms(2027, 1, 21, 15, 0, 0).unwrap()
        );
        assert_eq!(w.end, Utc.with_ymd_and_hms(2027, 1, 28, 15, 0, 0).unwrap());
        let rel = [d(2027, 1, 29)];
        assert!(!is_in_code_freeze(
            &rel,
            Tokyo,
            &p,
            Utc.with_ymd_and_hms(2027, 1, 21, 14, 59, 59).unwrap()
        ));
        assert!(is_in_code_freeze(
            &rel,
            Tokyo,
            &p,
            Utc.with_ymd_and_hms(2027, 1, 21, 15, 0, 0).unwrap()
        ));
        assert!(is_in_code_freeze(
            &rel,
            Tokyo,
            &p,
            Utc.with_ymd_and_hms(2027, 1, 28, 14, 59, 59).unwrap()
        ));
        assert!(!is_in_code_freeze(
            &rel,
            Tokyo,
            &p,
            Utc.with_ymd_and_hms(2027, 1, 28, 15, 0, 0).unwrap()
        ));
        assert_eq!(
            code_freeze_containing(
                &rel,
                Tokyo,
                &p,
                Utc.with_ymd_and_hms(2027, 1, 25, 0, 0, 0).unwrap()
            )
            .map(|x| x.0),
            Some(d(2027, 1, 29))
        );
    }

    fn rel(y: i32, m: u32, day: u32, kind: ReleaseKind) -> PlannedRelease {
        PlannedRelease {
            date: d(y, m, day),
            kind,
        }
    }

    #[test]
    fn r_rel_2_cadence_warnings_name_rule_and_period() {
        use ReleaseKind::*;
        let releases = vec![
            rel(2026, 2, 1, Major),
            rel(2026, 6, 1, Major),
            rel(2026, 9, 1, Major),
            rel(2026, 3, 2, Minor),
            rel(2026, 3, 10, Minor),
            rel(2026, 3, 20, Minor),
            rel(2026, 3, 21, Patch),
            rel(2026, 3, 22, Patch),
            rel(2026, 3, 23, Patch),
            rel(2027, 4, 1, Minor),
        ];
        let w = check_cadence(&releases, &CadencePolicy::default(), d(2028, 1, 10));
        assert_eq!(
            w,
            vec![
                CadenceWarning::TooManyMajors {
                    year: 2026,
                    count: 3,
                    max: 2
                },
                CadenceWarning::TooManyMinors {
                    year: 2026,
                    month: 3,
                    count: 3,
                    max: 2
                },
                CadenceWarning::TooFewMajors {
                    year: 2027,
                    count: 0,
                    min: 1
                },
            ]
        );
        assert_eq!(
            w[1].to_string(),
            "minors per month: 3 in 2026-03, the policy allows at most 2"
        );
        // The current year is not complete: no "too few" yet.
        assert!(
            check_cadence(&releases, &CadencePolicy::default(), d(2027, 12, 31))
                .iter()
                .all(|w| !matches!(w, CadenceWarning::TooFewMajors { .. }))
        );
    }

    #[test]
    fn r_rel_2_policy_cadence_is_quiet() {
        use ReleaseKind::*;
        let releases = vec![
            rel(2026, 1, 10, Major),
            rel(2026, 1, 20, Minor),
            rel(2026, 1, 25, Minor),
            rel(2026, 1, 26, Patch),
        ];
        assert!(check_cadence(&releases, &CadencePolicy::default(), d(2027, 1, 1)).is_empty());
        assert!(check_cadence(&[], &CadencePolicy::default(), d(2027, 1, 1)).is_empty());
    }

    proptest! {
        #[test]
        fn r_rel_3_milestones_ordered_and_before_release(days in -100_000i64..100_000) {
            let date = d(2000, 1, 1) + chrono::TimeDelta::days(days);
            let ms = milestones(date, &ReleaseCalendarPolicy::default()).unwrap();
            prop_assert!(ms.windows(2).all(|w| w[0].date <= w[1].date));
            prop_assert_eq!(ms.last().map(|m| m.date), Some(date));
            let w = code_freeze_interval(date, Tokyo, &ReleaseCalendarPolicy::default()).unwrap();
            // Seven local days are exactly 7 × 24 h only where the zone has no DST
            // change in between: Tokyo had DST in 1948–1951 (found by this test).
            if date.year() >= 1952 {
                prop_assert_eq!(w.length(), chrono::TimeDelta::days(7));
            } else {
                let diff = (w.length() - chrono::TimeDelta::days(7)).num_minutes().abs();
                prop_assert!(diff <= 60, "{diff}");
            }
        }
    }
}
