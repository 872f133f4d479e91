//! Half-open UTC time intervals `[start, end)`: the common currency of the
//! calendar, maintenance, freeze and SLA-exclusion code.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// A half-open interval `[start, end)` of UTC instants.
///
/// An interval whose `end` is not after its `start` is *empty*; every function
/// treats it as containing no instant (no error, no panic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct UtcInterval {
    /// First instant inside the interval.
    pub start: DateTime<Utc>,
    /// First instant after the interval.
    pub end: DateTime<Utc>,
}

impl UtcInterval {
    /// Builds `[start, end)`.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self { start, end }
    }

    /// Builds `[start, start + length)`; `None` if the end is out of range.
    pub fn starting_at(start: DateTime<Utc>, length: TimeDelta) -> Option<Self> {
        start
            .checked_add_signed(length)
            .map(|end| Self { start, end })
    }

    /// True when the interval contains no instant.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// True when `t` lies in `[start, end)`.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }

    /// Length of the interval (zero when empty).
    pub fn length(&self) -> TimeDelta {
        if self.is_empty() {
            TimeDelta::zero()
        } else {
            self.end - self.start
        }
    }

    /// The common part of two intervals, `None` when they do not overlap.
    pub fn intersection(&self, other: &UtcInterval) -> Option<UtcInterval> {
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        (start < end).then_some(UtcInterval { start, end })
    }

    /// True when the two intervals share at least one instant.
    pub fn overlaps(&self, other: &UtcInterval) -> bool {
        self.intersection(other).is_some()
    }
}

/// Sorts intervals and merges overlapping or touching ones; empty intervals are dropped.
pub fn merge_intervals(intervals: &[UtcInterval]) -> Vec<UtcInterval> {
    let mut v: Vec<UtcInterval> = intervals
        .iter()
        .copied()
        .filter(|i| !i.is_empty())
        .collect();
    v.sort();
    let mut out: Vec<UtcInterval> = Vec::with_capacity(v.len());
    for i in v {
        match out.last_mut() {
            Some(last) if i.start <= last.end => {
                if i.end > last.end {
                    last.end = i.end;
                }
            }
            _ => out.push(i),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, h, 0, 0).unwrap()
    }

    #[test]
    fn half_open_contains() {
        let i = UtcInterval::new(t(1), t(3));
        assert!(i.contains(t(1)));
        assert!(i.contains(t(2)));
        assert!(!i.contains(t(3)));
        assert_eq!(i.length(), TimeDelta::hours(2));
    }

    #[test]
    fn inverted_interval_is_empty() {
        let i = UtcInterval::new(t(3), t(1));
        assert!(i.is_empty());
        assert!(!i.contains(t(2)));
        assert_eq!(i.length(), TimeDelta::zero());
    }

    #[test]
    fn merge_overlapping_and_touching() {
        let m = merge_intervals(&[
            UtcInterval::new(t(5), t(6)),
            UtcInterval::new(t(1), t(3)),
            UtcInterval::new(t(2), t(4)),
            UtcInterval::new(t(4), t(5)),
            UtcInterval::new(t(9), t(8)),
        ]);
        assert_eq!(m, vec![UtcInterval::new(t(1), t(6))]);
    }
}
