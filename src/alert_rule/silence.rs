//! Silences: when an alert's notifications are held back (R-MON-4).
//!
//! A silence is valid from `starts_at` until `ends_at` (it always has an
//! end) and, within that, is active
//!
//! * **once**: the whole time;
//! * **monthly**: during a window that recurs each month on the n-th weekday
//!   at a local time for some minutes ("first Sunday 02:00 for 120 min" —
//!   the same rule, and the same code, as the monthly maintenance window,
//!   [`crate::maintenance_window`]);
//! * **maintenance**: while a planned maintenance window is open (the
//!   caller says whether one is: windows are moved and cancelled by people,
//!   so they are data, not a rule).
//!
//! A silence only holds back notifications: the alert's state and history
//! are tracked as usual, so nothing is lost when it ends.

use crate::maintenance_window::{window_containing, MaintenancePolicy, WeekOfMonth};
use chrono::{DateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Longest monthly window: a day.
pub const MAX_MONTHLY_MINUTES: u32 = 1_440;

/// How a silence recurs within its validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Recurrence {
    /// Active from start to end.
    Once,
    /// Active each month on the `week`-th `weekday` from the local `start`
    /// for `duration_minutes`.
    Monthly {
        /// Which occurrence of the weekday.
        week: WeekOfMonth,
        /// The weekday.
        weekday: Weekday,
        /// Local start time.
        start: NaiveTime,
        /// Length of each window.
        duration_minutes: u32,
    },
    /// Active while a planned maintenance window is open.
    MaintenanceWindows,
}

impl Recurrence {
    /// The stored word: `once`, `monthly`, `maintenance`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Once => "once",
            Self::Monthly { .. } => "monthly",
            Self::MaintenanceWindows => "maintenance",
        }
    }
}

/// Why a silence is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum SilenceError {
    /// The end is not after the start.
    #[error("a silence must end after it starts")]
    EndsBeforeStart,
    /// A monthly window of 0 minutes or longer than a day.
    #[error("a monthly window lasts 1 to {MAX_MONTHLY_MINUTES} minutes")]
    BadWindowLength,
}

/// When a silence holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceSchedule {
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    recurrence: Recurrence,
}

impl SilenceSchedule {
    /// A checked schedule.
    pub fn new(
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        recurrence: Recurrence,
    ) -> Result<Self, SilenceError> {
        if ends_at <= starts_at {
            return Err(SilenceError::EndsBeforeStart);
        }
        if let Recurrence::Monthly {
            duration_minutes, ..
        } = recurrence
        {
            if duration_minutes == 0 || duration_minutes > MAX_MONTHLY_MINUTES {
                return Err(SilenceError::BadWindowLength);
            }
        }
        Ok(Self {
            starts_at,
            ends_at,
            recurrence,
        })
    }

    /// Start of validity.
    pub fn starts_at(&self) -> DateTime<Utc> {
        self.starts_at
    }
    /// End of validity.
    pub fn ends_at(&self) -> DateTime<Utc> {
        self.ends_at
    }
    /// How it recurs.
    pub fn recurrence(&self) -> Recurrence {
        self.recurrence
    }

    /// Whether the silence holds at `at`; local times are read in `tz`, and
    /// `maintenance_open` says whether a planned maintenance window is open then.
    pub fn active_at(&self, at: DateTime<Utc>, tz: Tz, maintenance_open: bool) -> bool {
        if at < self.starts_at || at >= self.ends_at {
            return false;
        }
        match self.recurrence {
            Recurrence::Once => true,
            Recurrence::MaintenanceWindows => maintenance_open,
            Recurrence::Monthly {
                week,
                weekday,
                start,
                duration_minutes,
            } => {
                let policy = MaintenancePolicy {
                    week,
                    weekday,
                    start,
                    duration_minutes,
                    tz,
                    ..MaintenancePolicy::default()
                };
                window_containing(&policy, at).is_some()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const TOKYO: Tz = chrono_tz::Asia::Tokyo;

    fn jst(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        TOKYO
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn r_mon_4_once_holds_between_start_and_end() {
        let s = SilenceSchedule::new(
            jst(2026, 12, 1, 0, 0),
            jst(2026, 12, 1, 6, 0),
            Recurrence::Once,
        )
        .unwrap();
        assert!(!s.active_at(jst(2026, 11, 30, 23, 59), TOKYO, false));
        assert!(s.active_at(jst(2026, 12, 1, 0, 0), TOKYO, false));
        assert!(s.active_at(jst(2026, 12, 1, 5, 59), TOKYO, false));
        assert!(!s.active_at(jst(2026, 12, 1, 6, 0), TOKYO, false));
        assert_eq!(
            SilenceSchedule::new(
                jst(2026, 12, 1, 0, 0),
                jst(2026, 12, 1, 0, 0),
                Recurrence::Once
            ),
            Err(SilenceError::EndsBeforeStart)
        );
    }

    #[test]
    fn r_mon_4_monthly_silence_follows_the_maintenance_rule() {
        // First Sunday 02:00–04:00 JST, for a year.
        let monthly = Recurrence::Monthly {
            week: WeekOfMonth::First,
            weekday: Weekday::Sun,
            start: NaiveTime::from_hms_opt(2, 0, 0).unwrap(),
            duration_minutes: 120,
        };
        let s =
            SilenceSchedule::new(jst(2026, 11, 1, 0, 0), jst(2027, 11, 1, 0, 0), monthly).unwrap();
        // 2026-12-06 is December's first Sunday.
        assert!(s.active_at(jst(2026, 12, 6, 2, 0), TOKYO, false));
        assert!(s.active_at(jst(2026, 12, 6, 3, 59), TOKYO, false));
        assert!(!s.active_at(jst(2026, 12, 6, 4, 0), TOKYO, false));
        assert!(!s.active_at(jst(2026, 12, 13, 2, 30), TOKYO, false));
        // 2027-01-03 is January's.
        assert!(s.active_at(jst(2027, 1, 3, 2, 30), TOKYO, false));
        // Outside its validity it never holds.
        assert!(!s.active_at(jst(2027, 12, 5, 2, 30), TOKYO, false));
        for bad in [0, MAX_MONTHLY_MINUTES + 1] {
            let r = Recurrence::Monthly {
                week: WeekOfMonth::First,
                weekday: Weekday::Sun,
                start: NaiveTime::MIN,
                duration_minutes: bad,
            };
            assert_eq!(
                SilenceSchedule::new(jst(2026, 1, 1, 0, 0), jst(2027, 1, 1, 0, 0), r),
                Err(SilenceError::BadWindowLength)
            );
        }
    }

    #[test]
    fn r_mon_4_maintenance_silence_holds_while_a_window_is_open() {
        let s = SilenceSchedule::new(
            jst(2026, 11, 1, 0, 0),
            jst(2027, 11, 1, 0, 0),
            Recurrence::MaintenanceWindows,
        )
        .unwrap();
        assert!(s.active_at(jst(2026, 12, 6, 2, 0), TOKYO, true));
        assert!(!s.active_at(jst(2026, 12, 6, 2, 0), TOKYO, false));
        assert!(!s.active_at(jst(2028, 12, 6, 2, 0), TOKYO, true));
        assert_eq!(s.recurrence().as_str(), "maintenance");
    }
}
