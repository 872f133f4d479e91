//! Expected runs of a schedule entry and what became of them (R-BAK-1).
//! Pure: the store feeds it the entry, the runs and the clock.
//!
//! A slot is a wall-clock time in the configured zone (through
//! `opsdeck::local_time`, so DST gaps and overlaps follow decision 0103). A
//! run settles a slot when it is of the entry's kind or a fuller one (the
//! 02:00 full stands for the 02:00 differential) and started inside the
//! slot's window: `[t − before, t + grace]`, where `before` is the grace for
//! timed entries and the interval for a continuous one (a log segment at
//! any point of the interval covers it).

use crate::model::backups::{Cadence, Outcome, SlotStatus, SlotView};
use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use opsdeck::backup_retention::BackupKind;

/// What the slot maths needs of a schedule entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub kind: BackupKind,
    pub cadence: Cadence,
    pub at_local: NaiveTime,
    pub every_minutes: Option<i32>,
}

/// What the slot maths needs of a run.
#[derive(Debug, Clone)]
pub struct RunLite {
    pub id: i64,
    pub kind: BackupKind,
    pub started_at: DateTime<Utc>,
    pub outcome: Outcome,
}

/// Whether a run of kind `run` stands for an expected run of kind `wanted`:
/// a full contains what a differential or incremental would, a differential
/// what an incremental would; logs only stand for logs.
pub fn satisfies(run: BackupKind, wanted: BackupKind) -> bool {
    match wanted {
        BackupKind::Full => run == BackupKind::Full,
        BackupKind::Differential => matches!(run, BackupKind::Full | BackupKind::Differential),
        BackupKind::Incremental => run.is_restore_point(),
        BackupKind::Log => run == BackupKind::Log,
    }
}

fn interval(e: &Entry) -> Option<i64> {
    match e.cadence {
        Cadence::Daily => Some(1440),
        Cadence::Every | Cadence::Continuous => e
            .every_minutes
            .map(i64::from)
            .filter(|m| (1..=1440).contains(m)),
        Cadence::Git => None,
    }
}

/// The slots of `e` in `[from, to)`, in time order. A git entry has none.
pub fn slots(e: &Entry, tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let Some(every) = interval(e) else {
        return Vec::new();
    };
    if to <= from {
        return Vec::new();
    }
    // One day before `from`: an `every` slot of the previous local day can
    // fall after midnight (20:00 + 6 h).
    let Some(first) = from.with_timezone(&tz).date_naive().pred_opt() else {
        return Vec::new();
    };
    let last = to.with_timezone(&tz).date_naive();
    let mut out = Vec::new();
    let mut day = first;
    while day <= last {
        let base = day.and_time(e.at_local);
        let mut k = 0;
        while k * every < 1440 {
            if let Some(t) = base
                .checked_add_signed(Duration::minutes(k * every))
                .and_then(|l| opsdeck::local_time::to_utc(tz, l))
            {
                if t >= from && t < to {
                    out.push(t);
                }
            }
            k += 1;
        }
        match day.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The window a run must start in to settle slot `t`: (before, after).
pub fn window(e: &Entry, grace: Duration) -> (Duration, Duration) {
    let before = match (e.cadence, interval(e)) {
        (Cadence::Continuous, Some(m)) => Duration::minutes(m),
        _ => grace,
    };
    (before, grace)
}

/// What became of each slot at `now`. `runs` must be sorted by `started_at`.
pub fn judge(
    e: &Entry,
    slots: &[DateTime<Utc>],
    runs: &[RunLite],
    grace: Duration,
    now: DateTime<Utc>,
) -> Vec<SlotView> {
    let (before, after) = window(e, grace);
    slots
        .iter()
        .map(|&t| {
            let lo = runs.partition_point(|r| r.started_at < t - before);
            let hi = runs.partition_point(|r| r.started_at <= t + after);
            let fitting = runs
                .get(lo..hi)
                .unwrap_or_default()
                .iter()
                .filter(|r| satisfies(r.kind, e.kind));
            let mut best: Option<(u8, i64)> = None;
            for r in fitting {
                let rank = match r.outcome {
                    Outcome::Ok => 3,
                    Outcome::Running => 2,
                    Outcome::Failed => 1,
                };
                if best.is_none_or(|(b, _)| rank > b) {
                    best = Some((rank, r.id));
                }
            }
            let (status, run_id) = match best {
                Some((3, id)) => (SlotStatus::Ok, Some(id)),
                Some((2, id)) => (SlotStatus::Running, Some(id)),
                Some((_, id)) => (SlotStatus::Failed, Some(id)),
                None if t > now => (SlotStatus::Upcoming, None),
                None if now < t + after => (SlotStatus::Pending, None),
                None => (SlotStatus::Missed, None),
            };
            SlotView {
                expected_at: t,
                status,
                run_id,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Asia::Tokyo;

    fn jst(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Tokyo
            .with_ymd_and_hms(2026, 11, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn entry(kind: BackupKind, cadence: Cadence, at: &str, every: Option<i32>) -> Entry {
        Entry {
            kind,
            cadence,
            at_local: NaiveTime::parse_from_str(at, "%H:%M").unwrap(),
            every_minutes: every,
        }
    }

    fn run(id: i64, kind: BackupKind, at: DateTime<Utc>, outcome: Outcome) -> RunLite {
        RunLite {
            id,
            kind,
            started_at: at,
            outcome,
        }
    }

    #[test]
    fn the_policys_schedule_in_tokyo_r_bak_1() {
        let full = entry(BackupKind::Full, Cadence::Daily, "02:00", None);
        assert_eq!(
            slots(&full, Tokyo, jst(10, 0, 0), jst(12, 0, 0)),
            vec![jst(10, 2, 0), jst(11, 2, 0)]
        );
        let diff = entry(BackupKind::Differential, Cadence::Every, "02:00", Some(360));
        assert_eq!(
            slots(&diff, Tokyo, jst(10, 0, 0), jst(11, 0, 0)),
            vec![jst(10, 2, 0), jst(10, 8, 0), jst(10, 14, 0), jst(10, 20, 0)]
        );
        // An anchor late in the day wraps past midnight.
        let late = entry(BackupKind::Differential, Cadence::Every, "20:00", Some(360));
        assert_eq!(
            slots(&late, Tokyo, jst(10, 0, 0), jst(10, 12, 0)),
            vec![jst(10, 2, 0), jst(10, 8, 0)]
        );
        let log = entry(BackupKind::Log, Cadence::Continuous, "00:00", Some(15));
        assert_eq!(slots(&log, Tokyo, jst(10, 0, 0), jst(11, 0, 0)).len(), 96);
        let git = entry(BackupKind::Full, Cadence::Git, "00:00", None);
        assert!(slots(&git, Tokyo, jst(10, 0, 0), jst(20, 0, 0)).is_empty());
    }

    #[test]
    fn a_fuller_run_stands_for_the_slot_and_late_runs_are_missed() {
        let diff = entry(BackupKind::Differential, Cadence::Every, "02:00", Some(360));
        let s = slots(&diff, Tokyo, jst(10, 0, 0), jst(11, 0, 0));
        let runs = vec![
            run(1, BackupKind::Full, jst(10, 2, 1), Outcome::Ok),
            run(2, BackupKind::Differential, jst(10, 8, 10), Outcome::Failed),
            run(3, BackupKind::Log, jst(10, 14, 0), Outcome::Ok),
            // 45 minutes late: outside the 30-minute grace.
            run(4, BackupKind::Differential, jst(10, 20, 45), Outcome::Ok),
        ];
        let now = jst(10, 21, 0);
        let got: Vec<(SlotStatus, Option<i64>)> =
            judge(&diff, &s, &runs, Duration::minutes(30), now)
                .into_iter()
                .map(|v| (v.status, v.run_id))
                .collect();
        assert_eq!(
            got,
            vec![
                (SlotStatus::Ok, Some(1)),
                (SlotStatus::Failed, Some(2)),
                (SlotStatus::Missed, None),
                (SlotStatus::Missed, None),
            ]
        );
        // Within the grace it is pending; ahead, upcoming.
        let early = judge(&diff, &s, &[], Duration::minutes(30), jst(10, 20, 10));
        assert_eq!(early[3].status, SlotStatus::Pending);
        let before = judge(&diff, &s, &[], Duration::minutes(30), jst(10, 19, 0));
        assert_eq!(before[3].status, SlotStatus::Upcoming);
    }

    #[test]
    fn a_continuous_slot_is_covered_by_a_log_in_its_interval() {
        let log = entry(BackupKind::Log, Cadence::Continuous, "00:00", Some(15));
        let s = slots(&log, Tokyo, jst(10, 10, 0), jst(10, 11, 0));
        let runs = vec![run(7, BackupKind::Log, jst(10, 9, 50), Outcome::Ok)];
        let got: Vec<SlotStatus> = judge(&log, &s, &runs, Duration::minutes(5), jst(10, 11, 0))
            .into_iter()
            .map(|v| v.status)
            .collect();
        // 10:00 is covered by the 09:50 segment; then nothing for an hour.
        assert_eq!(
            got,
            vec![
                SlotStatus::Ok,
                SlotStatus::Missed,
                SlotStatus::Missed,
                SlotStatus::Missed
            ]
        );
    }

    #[test]
    fn dst_days_keep_their_wall_clock() {
        let ny: Tz = chrono_tz::America::New_York;
        // 2026-03-08: 02:00–03:00 does not exist; the 02:30 slot moves to 03:30.
        let e = entry(BackupKind::Full, Cadence::Daily, "02:30", None);
        let from = ny
            .with_ymd_and_hms(2026, 3, 8, 0, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let s = slots(&e, ny, from, from + Duration::hours(24));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].with_timezone(&ny).format("%H:%M").to_string(), "03:30");
    }
}
