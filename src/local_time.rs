//! Turning a wall-clock time in a time zone into a UTC instant, totally.
//!
//! Local times that do not exist (spring-forward gap) or exist twice
//! (fall-back overlap) are resolved by one documented rule used everywhere in
//! the crate (decision 0103):
//!
//! * **ambiguous** → the *earlier* instant (the first occurrence, still on the
//!   pre-transition offset);
//! * **nonexistent** → the wall time is read with the offset in force *before*
//!   the gap, which moves it forward by the gap's length (02:30 on a New York
//!   spring-forward day becomes 03:30 EDT). This is what java.time and
//!   PostgreSQL do.

use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// How a local time mapped onto the zone's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LocalResolution {
    /// The local time exists exactly once.
    Exact,
    /// The local time existed twice; the earlier instant was taken.
    AmbiguousTookEarlier,
    /// The local time fell in a gap; it was shifted forward by the gap.
    NonexistentShiftedForward,
}

/// Resolves `local` in `tz` to a UTC instant (see module docs for the rule).
///
/// Returns `None` only when the result is outside chrono's representable range.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> Option<(DateTime<Utc>, LocalResolution)> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some((t.with_timezone(&Utc), LocalResolution::Exact)),
        LocalResult::Ambiguous(a, b) => {
            let first = a.with_timezone(&Utc).min(b.with_timezone(&Utc));
            Some((first, LocalResolution::AmbiguousTookEarlier))
        }
        LocalResult::None => {
            // Offset in force one day earlier (no zone has two transitions within a day).
            let probe = local.checked_sub_signed(TimeDelta::days(1))?.and_utc();
            let offset_secs = tz
                .offset_from_utc_datetime(&probe.naive_utc())
                .fix()
                .local_minus_utc();
            let utc = local
                .checked_sub_signed(TimeDelta::seconds(i64::from(offset_secs)))?
                .and_utc();
            Some((utc, LocalResolution::NonexistentShiftedForward))
        }
    }
}

/// Like [`resolve_local`] but returns only the instant.
pub fn to_utc(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    resolve_local(tz, local).map(|(t, _)| t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use chrono_tz::America::New_York;

    fn ndt(y: i32, m: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    #[test]
    fn nonexistent_moves_forward_by_gap() {
        // 2027-03-14 02:30 does not exist in New York (clocks jump 02:00 → 03:00).
        let (t, r) = resolve_local(New_York, ndt(2027, 3, 14, 2, 30)).unwrap();
        assert_eq!(r, LocalResolution::NonexistentShiftedForward);
        assert_eq!(t, Utc.with_ymd_and_hms(2027, 3, 14, 7, 30, 0).unwrap()); // 03:30 EDT
    }

    #[test]
    fn ambiguous_takes_earlier() {
        // 2026-11-01 01:30 happens twice in New York (EDT then EST).
        let (t, r) = resolve_local(New_York, ndt(2026, 11, 1, 1, 30)).unwrap();
        assert_eq!(r, LocalResolution::AmbiguousTookEarlier);
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 11, 1, 5, 30, 0).unwrap()); // 01:30 EDT
    }
}
