//! Availability from per-minute up/down data with exclusions (R-SLA-1, R-SLA-2).
//!
//! Representation (decision 0104): a [`MinuteSeries`] is a start minute plus
//! two bitsets of one bit per minute — `down` and `unknown` (no probe data).
//! A year is 525 600 minutes = 2 × 8 213 `u64` words (≈ 128 KiB), and every
//! count is a popcount over words, so a year answers in microseconds.
//!
//! Availability = up / (up + down) over the minutes that are known and not
//! excluded. Unknown minutes count as neither (they are reported separately).
//! A minute is excluded when it overlaps an exclusion interval at all, so an
//! exclusion is removed from numerator **and** denominator.
//!
//! This is the measure over an arbitrary window (burn rates, charts). A
//! calendar month — its availability, allowed and used downtime and verdict —
//! is judged by [`super::month_report`] (decision 0110), which uses the same
//! per-minute rules.

use super::SlaError;
use crate::interval::UtcInterval;
use chrono::{DateTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// What one minute looked like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MinuteState {
    /// Healthy.
    Up,
    /// Unhealthy (counts as downtime unless excluded).
    Down,
    /// No data.
    Unknown,
}

/// Why a period is excluded from the SLA (除外事項).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionReason {
    /// 計画メンテナンス.
    PlannedMaintenance,
    /// 不可抗力（天災等）.
    ForceMajeure,
    /// 外部サービス障害.
    ExternalOutage,
}

/// A period excluded from the SLA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusion {
    /// The excluded time.
    pub interval: UtcInterval,
    /// Its classification.
    pub reason: ExclusionReason,
}

/// Per-minute up/down/unknown data starting at a whole minute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteSeries {
    start: DateTime<Utc>,
    len: usize,
    down: Vec<u64>,
    unknown: Vec<u64>,
}

/// Counts over a range of minutes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailabilityReport {
    /// Minutes in the range.
    pub minutes: u64,
    /// Minutes removed by exclusions.
    pub excluded: u64,
    /// Known, not excluded minutes with no data.
    pub unknown: u64,
    /// Counted up minutes.
    pub up: u64,
    /// Counted down minutes.
    pub down: u64,
    /// up / (up + down); `None` when nothing was counted.
    pub availability: Option<f64>,
}

const MINUTE_MS: i64 = 60_000;

fn words(len: usize) -> usize {
    len.div_ceil(64)
}

fn set_bit(v: &mut [u64], i: usize, on: bool) {
    if let Some(w) = v.get_mut(i / 64) {
        let m = 1u64 << (i % 64);
        if on {
            *w |= m;
        } else {
            *w &= !m;
        }
    }
}

fn get_bit(v: &[u64], i: usize) -> bool {
    v.get(i / 64).is_some_and(|w| w & (1u64 << (i % 64)) != 0)
}

/// Sets bits `[lo, hi)` word by word.
fn set_range(v: &mut [u64], lo: usize, hi: usize) {
    let mut i = lo;
    while i < hi {
        let w = i / 64;
        let off = i % 64;
        let n = (64 - off).min(hi - i);
        let mask = if n == 64 {
            u64::MAX
        } else {
            ((1u64 << n) - 1) << off
        };
        if let Some(word) = v.get_mut(w) {
            *word |= mask;
        }
        i += n;
    }
}

/// Clears bits `[lo, hi)` word by word.
fn clear_range(v: &mut [u64], lo: usize, hi: usize) {
    for w in lo / 64..hi.div_ceil(64).min(v.len()) {
        v[w] &= !range_mask(w, lo, hi);
    }
}

/// Mask of the bits `[lo, hi)` that fall in word `w`.
fn range_mask(w: usize, lo: usize, hi: usize) -> u64 {
    let ws = w * 64;
    let a = lo.max(ws) - ws;
    let b = hi.min(ws + 64).saturating_sub(ws);
    if b <= a {
        0
    } else if b - a == 64 {
        u64::MAX
    } else {
        ((1u64 << (b - a)) - 1) << a
    }
}

impl MinuteSeries {
    /// An all-unknown series of `len` minutes from `start` (must be a whole minute).
    pub fn new(start: DateTime<Utc>, len: usize) -> Result<Self, SlaError> {
        if start.second() != 0 || start.nanosecond() != 0 {
            return Err(SlaError::UnalignedStart(start.to_rfc3339()));
        }
        let mut unknown = vec![0u64; words(len)];
        set_range(&mut unknown, 0, len);
        Ok(Self {
            start,
            len,
            down: vec![0; words(len)],
            unknown,
        })
    }

    /// A series from one state per minute.
    pub fn from_states(
        start: DateTime<Utc>,
        states: impl IntoIterator<Item = MinuteState>,
    ) -> Result<Self, SlaError> {
        let states: Vec<MinuteState> = states.into_iter().collect();
        let mut s = Self::new(start, states.len())?;
        for (i, st) in states.into_iter().enumerate() {
            s.set_unchecked(i, st);
        }
        Ok(s)
    }

    /// A series from up/down booleans (`true` = up), no unknown minutes.
    pub fn from_up_flags(start: DateTime<Utc>, up: &[bool]) -> Result<Self, SlaError> {
        let mut s = Self::new(start, up.len())?;
        s.unknown.iter_mut().for_each(|w| *w = 0);
        for (i, &u) in up.iter().enumerate() {
            if !u {
                set_bit(&mut s.down, i, true);
            }
        }
        Ok(s)
    }

    fn set_unchecked(&mut self, i: usize, st: MinuteState) {
        set_bit(&mut self.down, i, st == MinuteState::Down);
        set_bit(&mut self.unknown, i, st == MinuteState::Unknown);
    }

    /// Sets minute `index`.
    pub fn set(&mut self, index: usize, state: MinuteState) -> Result<(), SlaError> {
        if index >= self.len {
            return Err(SlaError::OutOfRange {
                index,
                len: self.len,
            });
        }
        self.set_unchecked(index, state);
        Ok(())
    }

    /// Sets the minutes `[lo, hi)` (clipped to the series) to `state`, a
    /// word at a time: filling a year from hourly summaries costs thousands
    /// of word writes, not half a million bit writes.
    pub fn set_range(&mut self, lo: usize, hi: usize, state: MinuteState) {
        let hi = hi.min(self.len);
        if lo >= hi {
            return;
        }
        match state {
            MinuteState::Up => {
                clear_range(&mut self.down, lo, hi);
                clear_range(&mut self.unknown, lo, hi);
            }
            MinuteState::Down => {
                set_range(&mut self.down, lo, hi);
                clear_range(&mut self.unknown, lo, hi);
            }
            MinuteState::Unknown => {
                clear_range(&mut self.down, lo, hi);
                set_range(&mut self.unknown, lo, hi);
            }
        }
    }

    /// State of minute `index` (`None` outside the series).
    pub fn get(&self, index: usize) -> Option<MinuteState> {
        (index < self.len).then(|| {
            if get_bit(&self.unknown, index) {
                MinuteState::Unknown
            } else if get_bit(&self.down, index) {
                MinuteState::Down
            } else {
                MinuteState::Up
            }
        })
    }

    /// First minute of the series.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// Number of minutes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for a zero-length series.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The covered time `[start, start + len minutes)`.
    pub fn interval(&self) -> UtcInterval {
        let ms = i64::try_from(self.len)
            .unwrap_or(i64::MAX)
            .saturating_mul(MINUTE_MS);
        UtcInterval::starting_at(self.start, chrono::TimeDelta::milliseconds(ms))
            .unwrap_or(UtcInterval::new(self.start, self.start))
    }

    fn offset_ms(&self, t: DateTime<Utc>) -> i128 {
        i128::from((t - self.start).num_milliseconds())
    }

    fn clamp_index(&self, i: i128) -> usize {
        usize::try_from(i.clamp(0, self.len as i128)).unwrap_or(self.len)
    }

    /// Minute indices `[lo, hi)` that overlap `iv` at all.
    fn overlapping(&self, iv: &UtcInterval) -> (usize, usize) {
        if iv.is_empty() {
            return (0, 0);
        }
        let lo = self.offset_ms(iv.start).div_euclid(i128::from(MINUTE_MS));
        let hi = -((-self.offset_ms(iv.end)).div_euclid(i128::from(MINUTE_MS)));
        (self.clamp_index(lo), self.clamp_index(hi))
    }

    /// Minute indices `[lo, hi)` whose start lies in `iv`.
    fn starting_in(&self, iv: &UtcInterval) -> (usize, usize) {
        if iv.is_empty() {
            return (0, 0);
        }
        let ceil = |ms: i128| -((-ms).div_euclid(i128::from(MINUTE_MS)));
        (
            self.clamp_index(ceil(self.offset_ms(iv.start))),
            self.clamp_index(ceil(self.offset_ms(iv.end))),
        )
    }

    /// Bitset of excluded minutes.
    pub fn exclusion_mask(&self, exclusions: &[Exclusion]) -> Vec<u64> {
        let mut mask = vec![0u64; words(self.len)];
        for e in exclusions {
            let (lo, hi) = self.overlapping(&e.interval);
            set_range(&mut mask, lo, hi);
        }
        mask
    }

    fn count_range(&self, lo: usize, hi: usize, mask: &[u64]) -> AvailabilityReport {
        let (mut excluded, mut unknown, mut down) = (0u64, 0u64, 0u64);
        if lo < hi {
            for w in lo / 64..=(hi - 1) / 64 {
                let r = range_mask(w, lo, hi);
                let ex = mask.get(w).copied().unwrap_or(0) & r;
                let unk = self.unknown.get(w).copied().unwrap_or(0) & r & !ex;
                let dn = self.down.get(w).copied().unwrap_or(0) & r & !ex & !unk;
                excluded += u64::from(ex.count_ones());
                unknown += u64::from(unk.count_ones());
                down += u64::from(dn.count_ones());
            }
        }
        let minutes = hi.saturating_sub(lo) as u64;
        let up = minutes - excluded - unknown - down;
        let counted = up + down;
        AvailabilityReport {
            minutes,
            excluded,
            unknown,
            up,
            down,
            availability: (counted > 0).then(|| up as f64 / counted as f64),
        }
    }

    /// Availability over the whole series.
    pub fn availability(&self, exclusions: &[Exclusion]) -> AvailabilityReport {
        let mask = self.exclusion_mask(exclusions);
        self.count_range(0, self.len, &mask)
    }

    /// Availability over the minutes whose start lies in `window`.
    pub fn availability_in(
        &self,
        window: &UtcInterval,
        exclusions: &[Exclusion],
    ) -> AvailabilityReport {
        let mask = self.exclusion_mask(exclusions);
        let (lo, hi) = self.starting_in(window);
        self.count_range(lo, hi, &mask)
    }

    /// Counts over the minutes `[lo, hi)` given as minutes since the Unix
    /// epoch, clipped to the series, with a precomputed [`Self::exclusion_mask`].
    pub(super) fn counts_in_epoch_minutes(
        &self,
        lo: i64,
        hi: i64,
        mask: &[u64],
    ) -> AvailabilityReport {
        let s0 = i128::from(self.start.timestamp().div_euclid(60));
        let lo = self.clamp_index(i128::from(lo) - s0);
        let hi = self.clamp_index(i128::from(hi) - s0);
        self.count_range(lo, hi.max(lo), mask)
    }

    /// Like [`Self::availability_in`] with a precomputed [`Self::exclusion_mask`] (for many windows).
    pub fn availability_in_masked(&self, window: &UtcInterval, mask: &[u64]) -> AvailabilityReport {
        let (lo, hi) = self.starting_in(window);
        self.count_range(lo, hi, mask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone};
    use proptest::prelude::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap()
    }
    fn at(min: i64) -> DateTime<Utc> {
        t0() + TimeDelta::minutes(min)
    }

    #[test]
    fn r_sla_1_april_with_43_minutes_down_meets_target() {
        let mut flags = vec![true; 43_200];
        flags[100..143].iter_mut().for_each(|f| *f = false);
        let s = MinuteSeries::from_up_flags(t0(), &flags).unwrap();
        let r = s.availability(&[]);
        assert_eq!((r.up, r.down, r.excluded, r.unknown), (43_157, 43, 0, 0));
        assert!(r.availability.unwrap() >= 0.999);
        flags[200..201].iter_mut().for_each(|f| *f = false);
        let s = MinuteSeries::from_up_flags(t0(), &flags).unwrap();
        assert!(s.availability(&[]).availability.unwrap() < 0.999);
    }

    #[test]
    fn r_sla_2_exclusions_leave_numerator_and_denominator() {
        let mut flags = vec![true; 1_000];
        flags[10..70].iter_mut().for_each(|f| *f = false);
        let s = MinuteSeries::from_up_flags(t0(), &flags).unwrap();
        assert_eq!(s.availability(&[]).availability, Some(940.0 / 1000.0));
        let maint = Exclusion {
            interval: UtcInterval::new(at(10), at(40)),
            reason: ExclusionReason::PlannedMaintenance,
        };
        let r = s.availability(std::slice::from_ref(&maint));
        assert_eq!((r.excluded, r.down, r.up), (30, 30, 940));
        assert_eq!(r.availability, Some(940.0 / 970.0));
        // A partial minute at either end excludes that whole minute.
        let partial = Exclusion {
            interval: UtcInterval::new(
                at(40) + TimeDelta::seconds(30),
                at(69) + TimeDelta::seconds(1),
            ),
            reason: ExclusionReason::ExternalOutage,
        };
        let r = s.availability(&[maint, partial]);
        assert_eq!((r.excluded, r.down), (60, 0));
        assert_eq!(r.availability, Some(1.0));
    }

    #[test]
    fn r_sla_1_unknown_minutes_are_not_counted() {
        let s = MinuteSeries::from_states(
            t0(),
            [
                MinuteState::Up,
                MinuteState::Unknown,
                MinuteState::Down,
                MinuteState::Up,
            ],
        )
        .unwrap();
        let r = s.availability(&[]);
        assert_eq!((r.up, r.down, r.unknown), (2, 1, 1));
        assert_eq!(s.get(1), Some(MinuteState::Unknown));
        assert_eq!(s.get(4), None);
        let empty = MinuteSeries::new(t0(), 10).unwrap();
        assert_eq!(empty.availability(&[]).availability, None);
    }

    #[test]
    fn set_range_is_setting_each_minute() {
        let states = [MinuteState::Up, MinuteState::Down, MinuteState::Unknown];
        let mut fast = MinuteSeries::new(t0(), 300).unwrap();
        let mut slow = fast.clone();
        for (k, (lo, hi)) in [
            (0, 300),
            (3, 64),
            (64, 128),
            (60, 200),
            (250, 400),
            (7, 7),
            (130, 131),
        ]
        .into_iter()
        .enumerate()
        {
            let st = states[k % 3];
            fast.set_range(lo, hi, st);
            for i in lo..hi.min(300) {
                slow.set(i, st).unwrap();
            }
            assert_eq!(fast, slow, "after [{lo}, {hi}) := {st:?}");
        }
    }

    #[test]
    fn availability_in_window_and_errors() {
        let mut flags = vec![true; 200];
        flags[150] = false;
        let s = MinuteSeries::from_up_flags(t0(), &flags).unwrap();
        let r = s.availability_in(&UtcInterval::new(at(140), at(160)), &[]);
        assert_eq!((r.minutes, r.down), (20, 1));
        let r = s.availability_in(&UtcInterval::new(at(-100), at(1000)), &[]);
        assert_eq!(r.minutes, 200);
        assert!(MinuteSeries::new(t0() + TimeDelta::seconds(1), 1).is_err());
        let mut s2 = s.clone();
        assert!(s2.set(200, MinuteState::Down).is_err());
        assert_eq!(s.interval().end, at(200));
    }

    #[test]
    fn excluding_healthy_time_can_lower_the_ratio() {
        // Documented consequence of removing exclusions from numerator AND denominator.
        let s = MinuteSeries::from_up_flags(t0(), &[true, false]).unwrap();
        let ex = Exclusion {
            interval: UtcInterval::new(at(0), at(1)),
            reason: ExclusionReason::PlannedMaintenance,
        };
        assert_eq!(s.availability(&[]).availability, Some(0.5));
        assert_eq!(s.availability(&[ex]).availability, Some(0.0));
    }

    fn arb_states() -> impl Strategy<Value = Vec<MinuteState>> {
        proptest::collection::vec(
            prop_oneof![
                Just(MinuteState::Up),
                Just(MinuteState::Down),
                Just(MinuteState::Unknown)
            ],
            0..400,
        )
    }

    fn arb_exclusions() -> impl Strategy<Value = Vec<Exclusion>> {
        proptest::collection::vec((-50i64..450, 0i64..30_000), 0..6).prop_map(|v| {
            v.into_iter()
                .map(|(s, l)| Exclusion {
                    interval: UtcInterval::new(
                        at(0) + TimeDelta::seconds(s * 60),
                        at(0) + TimeDelta::seconds(s * 60 + l),
                    ),
                    reason: ExclusionReason::ForceMajeure,
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn r_sla_1_availability_in_unit_interval(states in arb_states(), ex in arb_exclusions()) {
            let s = MinuteSeries::from_states(t0(), states.clone()).unwrap();
            let r = s.availability(&ex);
            if let Some(a) = r.availability { prop_assert!((0.0..=1.0).contains(&a)); }
            prop_assert_eq!(r.minutes, states.len() as u64);
            prop_assert_eq!(r.up + r.down + r.unknown + r.excluded, r.minutes);
            // Matches a naive per-minute count.
            let mask = s.exclusion_mask(&ex);
            let naive_down = states.iter().enumerate().filter(|(i, st)| **st == MinuteState::Down && !get_bit(&mask, *i)).count() as u64;
            prop_assert_eq!(r.down, naive_down);
        }

        #[test]
        fn r_sla_2_excluding_more_never_adds_downtime(states in arb_states(), ex in arb_exclusions(), more in arb_exclusions()) {
            let s = MinuteSeries::from_states(t0(), states).unwrap();
            let before = s.availability(&ex);
            let mut all = ex.clone();
            all.extend(more);
            let after = s.availability(&all);
            prop_assert!(after.down <= before.down);
            prop_assert!(after.up + after.down <= before.up + before.down);
        }

        /// Excluding more *incident* time (down or unknown minutes, which is what
        /// an exclusion classifies, R-SLA-2) never lowers availability. Excluding
        /// healthy minutes can, by definition of a ratio: see
        /// `excluding_healthy_time_can_lower_the_ratio`.
        #[test]
        fn r_sla_2_excluding_more_incident_time_never_lowers_availability(
            states in arb_states(), ex in arb_exclusions(), picks in proptest::collection::vec(any::<proptest::sample::Index>(), 0..20)
        ) {
            let s = MinuteSeries::from_states(t0(), states.clone()).unwrap();
            let bad: Vec<usize> = (0..states.len()).filter(|&i| states[i] != MinuteState::Up).collect();
            let mut all = ex.clone();
            if !bad.is_empty() {
                for p in picks {
                    let i = bad[p.index(bad.len())] as i64;
                    all.push(Exclusion { interval: UtcInterval::new(at(i), at(i + 1)), reason: ExclusionReason::ExternalOutage });
                }
            }
            let before = s.availability(&ex).availability;
            let after = s.availability(&all).availability;
            if let (Some(b), Some(a)) = (before, after) {
                prop_assert!(a + 1e-12 >= b, "before {b} after {a}");
            }
        }
    }
}
