//! Grandfather-father-son retention and the RPO/RTO checks (R-BAK-2, R-BAK-3).
//!
//! Retention has restic's `forget --keep-daily 7 --keep-weekly 4
//! --keep-monthly 12 --keep-yearly 5` semantics (decision 0107): backups are
//! walked newest first; for each rule, a backup is kept when its period
//! (day, ISO week, month, year — computed in the given time zone) differs
//! from the period of the last backup that rule kept, until the rule has
//! kept its count. So each rule keeps the newest backup of each of its last
//! N distinct periods *that have a backup*. A backup kept by any rule is
//! kept. With every count at 0 (an empty policy) everything is kept, as
//! restic refuses to forget without a policy.

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How many periods of each kind to keep (policy: 7 / 4 / 12 / 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    /// Days (7).
    pub daily: u32,
    /// ISO weeks (4).
    pub weekly: u32,
    /// Months (12).
    pub monthly: u32,
    /// Years (5).
    pub yearly: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            daily: 7,
            weekly: 4,
            monthly: 12,
            yearly: 5,
        }
    }
}

impl RetentionPolicy {
    /// True when no rule keeps anything.
    pub fn is_empty(&self) -> bool {
        self.daily == 0 && self.weekly == 0 && self.monthly == 0 && self.yearly == 0
    }
}

/// A retention rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionRule {
    /// Daily.
    Daily,
    /// Weekly (ISO week).
    Weekly,
    /// Monthly.
    Monthly,
    /// Yearly.
    Yearly,
}

/// A backup to consider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backup {
    /// Identifier.
    pub id: String,
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
}

/// The decision for one backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionDecision {
    /// The backup's id.
    pub id: String,
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
    /// Rules that keep it (empty: delete, unless the policy is empty).
    pub kept_by: Vec<RetentionRule>,
    /// Keep or delete.
    pub keep: bool,
}

fn period(rule: RetentionRule, t: DateTime<Utc>, tz: Tz) -> i64 {
    let l = t.with_timezone(&tz);
    let (y, m, d) = (
        i64::from(l.year()),
        i64::from(l.month()),
        i64::from(l.day()),
    );
    match rule {
        RetentionRule::Daily => y * 10_000 + m * 100 + d,
        RetentionRule::Weekly => {
            let w = l.iso_week();
            i64::from(w.year()) * 100 + i64::from(w.week())
        }
        RetentionRule::Monthly => y * 100 + m,
        RetentionRule::Yearly => y,
    }
}

/// Applies the policy; the result is sorted newest first (ties keep input order).
pub fn apply_retention(
    backups: &[Backup],
    policy: &RetentionPolicy,
    tz: Tz,
) -> Vec<RetentionDecision> {
    let mut sorted: Vec<&Backup> = backups.iter().collect();
    sorted.sort_by_key(|b| std::cmp::Reverse(b.taken_at));
    let mut rules = [
        (RetentionRule::Daily, policy.daily, None::<i64>),
        (RetentionRule::Weekly, policy.weekly, None),
        (RetentionRule::Monthly, policy.monthly, None),
        (RetentionRule::Yearly, policy.yearly, None),
    ];
    let empty = policy.is_empty();
    sorted
        .into_iter()
        .map(|b| {
            let mut kept_by = Vec::new();
            for (rule, left, last) in rules.iter_mut() {
                if *left == 0 {
                    continue;
                }
                let p = period(*rule, b.taken_at, tz);
                if *last != Some(p) {
                    *last = Some(p);
                    *left -= 1;
                    kept_by.push(*rule);
                }
            }
            RetentionDecision {
                id: b.id.clone(),
                taken_at: b.taken_at,
                keep: empty || !kept_by.is_empty(),
                kept_by,
            }
        })
        .collect()
}

/// Recovery objectives (policy: RPO 1 h, RTO 4 h).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryPolicy {
    /// Recovery point objective in minutes (60).
    pub rpo_minutes: u32,
    /// Recovery time objective in minutes (240).
    pub rto_minutes: u32,
}

impl Default for RecoveryPolicy {
    fn default() -> Self {
        Self {
            rpo_minutes: 60,
            rto_minutes: 240,
        }
    }
}

/// Result of the RPO check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpoStatus {
    /// Newest restorable point, if any.
    pub newest: Option<DateTime<Utc>>,
    /// Its age at `now` in seconds (`None` without any point).
    pub age_seconds: Option<i64>,
    /// The objective in seconds.
    pub rpo_seconds: i64,
    /// Age within the objective (false without any point).
    pub ok: bool,
}

/// Age of the newest restorable point against the RPO (R-BAK-3). Points in
/// the future (clock skew) count as age 0.
pub fn check_rpo(
    restorable_points: &[DateTime<Utc>],
    now: DateTime<Utc>,
    policy: &RecoveryPolicy,
) -> RpoStatus {
    let rpo_seconds = i64::from(policy.rpo_minutes) * 60;
    let newest = restorable_points.iter().max().copied();
    let age_seconds = newest.map(|t| (now - t).num_seconds().max(0));
    RpoStatus {
        newest,
        age_seconds,
        rpo_seconds,
        ok: age_seconds.is_some_and(|a| a <= rpo_seconds),
    }
}

/// Result of a restore drill against the RTO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RtoStatus {
    /// Measured duration in seconds.
    pub duration_seconds: i64,
    /// The objective in seconds.
    pub rto_seconds: i64,
    /// Within the objective.
    pub ok: bool,
}

/// A drill's measured duration against the RTO (R-BAK-3).
pub fn check_rto(drill_duration: TimeDelta, policy: &RecoveryPolicy) -> RtoStatus {
    let rto_seconds = i64::from(policy.rto_minutes) * 60;
    let duration_seconds = drill_duration.num_seconds();
    RtoStatus {
        duration_seconds,
        rto_seconds,
        ok: (0..=rto_seconds).contains(&duration_seconds),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Asia::Tokyo;
    use proptest::prelude::*;

    fn daily_backups(days: i64) -> Vec<Backup> {
        // One backup per day at 02:00 JST (17:00 UTC the day before), newest = 2026-06-30.
        let newest = Utc.with_ymd_and_hms(2026, 6, 29, 17, 0, 0).unwrap();
        (0..days)
            .map(|i| Backup {
                id: format!("b{i}"),
                taken_at: newest - TimeDelta::days(i),
            })
            .collect()
    }

    #[test]
    fn r_bak_2_policy_over_two_years_of_dailies() {
        let d = apply_retention(&daily_backups(800), &RetentionPolicy::default(), Tokyo);
        let kept: Vec<&RetentionDecision> = d.iter().filter(|x| x.keep).collect();
        let count = |r| d.iter().filter(|x| x.kept_by.contains(&r)).count();
        assert_eq!(count(RetentionRule::Daily), 7);
        assert_eq!(count(RetentionRule::Weekly), 4);
        assert_eq!(count(RetentionRule::Monthly), 12);
        // Years 2026, 2025, 2024 have backups (800 days back reaches 2024-04-22).
        assert_eq!(count(RetentionRule::Yearly), 3);
        // The newest is kept by every rule.
        assert_eq!(
            d[0].kept_by,
            vec![
                RetentionRule::Daily,
                RetentionRule::Weekly,
                RetentionRule::Monthly,
                RetentionRule::Yearly
            ]
        );
        let local =
            |x: &RetentionDecision| x.taken_at.with_timezone(&Tokyo).date_naive().to_string();
        // 2026-06-30 is a Tuesday: ISO week 27 → its newest is 06-30; then Sundays 06-28, 06-21, 06-14.
        let weekly: Vec<String> = d
            .iter()
            .filter(|x| x.kept_by.contains(&RetentionRule::Weekly))
            .map(local)
            .collect();
        assert_eq!(
            weekly,
            vec!["2026-06-30", "2026-06-28", "2026-06-21", "2026-06-14"]
        );
        let monthly: Vec<String> = d
            .iter()
            .filter(|x| x.kept_by.contains(&RetentionRule::Monthly))
            .map(local)
            .collect();
        assert_eq!(monthly.first().map(String::as_str), Some("2026-06-30"));
        assert_eq!(monthly.get(1).map(String::as_str), Some("2026-05-31"));
        assert_eq!(monthly.last().map(String::as_str), Some("2025-07-31"));
        let yearly: Vec<String> = d
            .iter()
            .filter(|x| x.kept_by.contains(&RetentionRule::Yearly))
            .map(local)
            .collect();
        assert_eq!(yearly, vec!["2026-06-30", "2025-12-31", "2024-12-31"]);
        // 7 daily + 3 more weekly (06-21, 06-14; 06-28 is daily) ... total distinct:
        assert_eq!(kept.len(), 7 + 2 + 10 + 2);
    }

    #[test]
    fn r_bak_2_periods_use_the_time_zone() {
        // 2026-01-01 00:30 JST is 2025-12-31 15:30 UTC: in Tokyo it belongs to 2026.
        let b = vec![
            Backup {
                id: "new".into(),
                taken_at: Utc.with_ymd_and_hms(2025, 12, 31, 15, 30, 0).unwrap(),
            },
            Backup {
                id: "old".into(),
                taken_at: Utc.with_ymd_and_hms(2025, 12, 31, 14, 30, 0).unwrap(),
            },
        ];
        let p = RetentionPolicy {
            daily: 0,
            weekly: 0,
            monthly: 0,
            yearly: 2,
        };
        assert!(apply_retention(&b, &p, Tokyo).iter().all(|d| d.keep));
        assert!(!apply_retention(&b, &p, chrono_tz::UTC)[1].keep);
    }

    #[test]
    fn r_bak_2_several_backups_a_day_keep_the_newest() {
        let base = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let b: Vec<Backup> = (0..4)
            .map(|h| Backup {
                id: format!("h{h}"),
                taken_at: base + TimeDelta::hours(h * 6),
            })
            .collect();
        let d = apply_retention(
            &b,
            &RetentionPolicy {
                daily: 7,
                weekly: 0,
                monthly: 0,
                yearly: 0,
            },
            chrono_tz::UTC,
        );
        assert_eq!(
            d.iter()
                .map(|x| (x.id.as_str(), x.keep))
                .collect::<Vec<_>>(),
            vec![("h3", true), ("h2", false), ("h1", false), ("h0", false)]
        );
        assert!(apply_retention(
            &b,
            &RetentionPolicy {
                daily: 0,
                weekly: 0,
                monthly: 0,
                yearly: 0
            },
            chrono_tz::UTC
        )
        .iter()
        .all(|x| x.keep));
        assert!(apply_retention(&[], &RetentionPolicy::default(), Tokyo).is_empty());
    }

    #[test]
    fn r_bak_3_rpo_and_rto() {
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        let p = RecoveryPolicy::default();
        let s = check_rpo(
            &[now - TimeDelta::minutes(90), now - TimeDelta::minutes(59)],
            now,
            &p,
        );
        assert!(s.ok);
        assert_eq!(s.age_seconds, Some(59 * 60));
        assert!(check_rpo(&[now - TimeDelta::minutes(60)], now, &p).ok);
        assert!(!check_rpo(&[now - TimeDelta::minutes(61)], now, &p).ok);
        assert!(!check_rpo(&[], now, &p).ok);
        assert!(check_rto(TimeDelta::minutes(240), &p).ok);
        assert!(!check_rto(TimeDelta::minutes(241), &p).ok);
    }

    proptest! {
        #[test]
        fn r_bak_2_newest_is_always_kept(offsets in proptest::collection::vec(0i64..100_000_000, 1..60),
            daily in 0u32..10, weekly in 0u32..6, monthly in 0u32..14, yearly in 0u32..6) {
            let base = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
            let b: Vec<Backup> = offsets.iter().enumerate().map(|(i, o)| Backup { id: i.to_string(), taken_at: base + TimeDelta::seconds(*o) }).collect();
            let p = RetentionPolicy { daily, weekly, monthly, yearly };
            let d = apply_retention(&b, &p, Tokyo);
            prop_assert!(d[0].keep);
            prop_assert_eq!(d[0].taken_at, b.iter().map(|x| x.taken_at).max().unwrap());
            // Each rule keeps at most its count.
            for (r, n) in [(RetentionRule::Daily, daily), (RetentionRule::Weekly, weekly), (RetentionRule::Monthly, monthly), (RetentionRule::Yearly, yearly)] {
                prop_assert!(d.iter().filter(|x| x.kept_by.contains(&r)).count() <= n as usize);
            }
        }
    }
}
