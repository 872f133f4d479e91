//! Latency histograms with fixed buckets and Prometheus-exact quantiles (R-SLA-3).
//!
//! Representation (decision 0104): finite upper bounds `le` in strictly
//! increasing order plus an implicit `+Inf` bucket, with **per-bucket**
//! (non-cumulative) counts, so merging is element-wise addition.
//! [`Histogram::cumulative`] gives the Prometheus `_bucket{le=…}` view.
//!
//! [`Histogram::quantile`] reproduces PromQL `histogram_quantile` on classic
//! buckets exactly, including its edge cases: `q < 0` → −∞, `q > 1` → +∞,
//! `q` NaN → NaN, no observations or no finite bucket → NaN; a quantile
//! that falls in the `+Inf` bucket returns the highest finite bound; a
//! quantile in the lowest bucket interpolates from 0 — unless that bucket's
//! bound is ≤ 0, in which case the bound itself is returned.
//! [`Histogram::quantile_opt`] maps NaN to `None` for display.

use serde::{Deserialize, Serialize};

/// Histogram construction and merge errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum HistogramError {
    /// Bounds must be finite and strictly increasing.
    #[error("bucket bounds must be finite and strictly increasing")]
    BadBounds,
    /// Wrong number of counts for the bounds.
    #[error("expected {expected} bucket counts (bounds + the +Inf bucket), got {got}")]
    CountMismatch {
        /// Bounds + 1.
        expected: usize,
        /// Given.
        got: usize,
    },
    /// Cumulative counts decreased.
    #[error("cumulative bucket counts must not decrease")]
    NotCumulative,
    /// The histograms have different buckets.
    #[error("cannot merge histograms with different buckets")]
    BucketsDiffer,
}

/// Default latency bucket bounds in milliseconds; they include the policy's
/// targets (200 ms, 500 ms, 2 s) so "p95 < target" is judged on a bound.
pub fn default_latency_bounds_ms() -> Vec<f64> {
    vec![
        5.0, 10.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1_000.0, 2_000.0, 2_500.0, 5_000.0,
        10_000.0,
    ]
}

/// A fixed-bucket histogram (per-bucket counts; last bucket is `+Inf`).
///
/// Deserialisation validates like [`Histogram::from_counts`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "HistogramRepr")]
pub struct Histogram {
    bounds: Vec<f64>,
    counts: Vec<u64>,
}

#[derive(Deserialize)]
struct HistogramRepr {
    bounds: Vec<f64>,
    counts: Vec<u64>,
}

impl TryFrom<HistogramRepr> for Histogram {
    type Error = HistogramError;
    fn try_from(r: HistogramRepr) -> Result<Self, Self::Error> {
        Histogram::from_counts(r.bounds, r.counts)
    }
}

impl Default for Histogram {
    fn default() -> Self {
        let bounds = default_latency_bounds_ms();
        let counts = vec![0; bounds.len() + 1];
        Self { bounds, counts }
    }
}

fn valid_bounds(bounds: &[f64]) -> bool {
    bounds.iter().all(|b| b.is_finite()) && bounds.windows(2).all(|w| w[0] < w[1])
}

impl Histogram {
    /// An empty histogram with the given finite upper bounds.
    pub fn new(bounds: Vec<f64>) -> Result<Self, HistogramError> {
        if !valid_bounds(&bounds) {
            return Err(HistogramError::BadBounds);
        }
        let counts = vec![0; bounds.len() + 1];
        Ok(Self { bounds, counts })
    }

    /// From per-bucket counts (`bounds.len() + 1` of them, the last for `+Inf`).
    pub fn from_counts(bounds: Vec<f64>, counts: Vec<u64>) -> Result<Self, HistogramError> {
        if !valid_bounds(&bounds) {
            return Err(HistogramError::BadBounds);
        }
        if counts.len() != bounds.len() + 1 {
            return Err(HistogramError::CountMismatch {
                expected: bounds.len() + 1,
                got: counts.len(),
            });
        }
        Ok(Self { bounds, counts })
    }

    /// From Prometheus-style cumulative counts (`le` buckets, last = `+Inf` = total).
    pub fn from_cumulative(bounds: Vec<f64>, cumulative: &[u64]) -> Result<Self, HistogramError> {
        if cumulative.windows(2).any(|w| w[1] < w[0]) {
            return Err(HistogramError::NotCumulative);
        }
        let counts = cumulative
            .iter()
            .enumerate()
            .map(|(i, &c)| c - if i == 0 { 0 } else { cumulative[i - 1] })
            .collect();
        Self::from_counts(bounds, counts)
    }

    /// Finite upper bounds.
    pub fn bounds(&self) -> &[f64] {
        &self.bounds
    }

    /// Per-bucket counts (last = `+Inf` bucket).
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Cumulative counts, as Prometheus `_bucket{le=…}` series.
    pub fn cumulative(&self) -> Vec<u64> {
        let mut acc = 0u64;
        self.counts
            .iter()
            .map(|&c| {
                acc = acc.saturating_add(c);
                acc
            })
            .collect()
    }

    /// Total observations.
    pub fn total(&self) -> u64 {
        self.counts.iter().fold(0u64, |a, &c| a.saturating_add(c))
    }

    /// Records `n` observations of `value` (`value ≤ le` goes in that bucket; NaN goes to `+Inf`).
    pub fn observe_n(&mut self, value: f64, n: u64) {
        let i = self.bounds.partition_point(|&b| b < value);
        let i = if value.is_nan() { self.bounds.len() } else { i };
        if let Some(c) = self.counts.get_mut(i) {
            *c = c.saturating_add(n);
        }
    }

    /// Records one observation.
    pub fn observe(&mut self, value: f64) {
        self.observe_n(value, 1);
    }

    /// Adds another histogram with the same buckets.
    pub fn merge(&mut self, other: &Histogram) -> Result<(), HistogramError> {
        if self.bounds != other.bounds {
            return Err(HistogramError::BucketsDiffer);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a = a.saturating_add(*b);
        }
        Ok(())
    }

    /// PromQL `histogram_quantile(q, …)` on this histogram (see module docs).
    pub fn quantile(&self, q: f64) -> f64 {
        if q.is_nan() {
            return f64::NAN;
        }
        if q < 0.0 {
            return f64::NEG_INFINITY;
        }
        if q > 1.0 {
            return f64::INFINITY;
        }
        // Buckets: the finite ones plus +Inf. Prometheus needs at least two.
        if self.bounds.is_empty() {
            return f64::NAN;
        }
        let cum = self.cumulative();
        let observations = cum.last().copied().unwrap_or(0) as f64;
        if observations == 0.0 {
            return f64::NAN;
        }
        let mut rank = q * observations;
        let n = cum.len(); // = bounds.len() + 1
                           // sort.Search(n-1, cum[i] >= rank)
        let b = cum[..n - 1].partition_point(|&c| (c as f64) < rank);
        if b == n - 1 {
            return self.bounds[n - 2];
        }
        if b == 0 && self.bounds[0] <= 0.0 {
            return self.bounds[0];
        }
        let bucket_end = self.bounds[b];
        let mut count = cum[b] as f64;
        let mut bucket_start = 0.0;
        if b > 0 {
            bucket_start = self.bounds[b - 1];
            count -= cum[b - 1] as f64;
            rank -= cum[b - 1] as f64;
        }
        bucket_start + (bucket_end - bucket_start) * (rank / count)
    }

    /// [`Self::quantile`] with NaN (no data / no finite bucket) as `None`.
    pub fn quantile_opt(&self, q: f64) -> Option<f64> {
        let v = self.quantile(q);
        (!v.is_nan()).then_some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn h(bounds: &[f64], counts: &[u64]) -> Histogram {
        Histogram::from_counts(bounds.to_vec(), counts.to_vec()).unwrap()
    }

    #[test]
    fn r_sla_3_prometheus_interpolation() {
        // le=100:10, le=200:20 (cum 30), le=500:70 (cum 100), +Inf:0
        let x = h(&[100.0, 200.0, 500.0], &[10, 20, 70, 0]);
        assert_eq!(x.quantile(0.5), 200.0 + 300.0 * (20.0 / 70.0));
        assert_eq!(x.quantile(0.1), 100.0); // rank 10 = cum of first bucket → its upper bound
        assert_eq!(x.quantile(0.05), 50.0); // lowest bucket interpolates from 0
        assert_eq!(x.quantile(1.0), 500.0);
    }

    #[test]
    fn r_sla_3_prometheus_edge_cases() {
        let x = h(&[100.0, 200.0], &[1, 1, 8]);
        assert_eq!(x.quantile(0.95), 200.0); // in +Inf → highest finite bound
        assert_eq!(x.quantile(-0.1), f64::NEG_INFINITY);
        assert_eq!(x.quantile(1.1), f64::INFINITY);
        assert!(x.quantile(f64::NAN).is_nan());
        assert!(Histogram::default().quantile(0.95).is_nan()); // empty
        assert_eq!(Histogram::default().quantile_opt(0.95), None);
        assert!(h(&[], &[5]).quantile(0.5).is_nan()); // only +Inf: fewer than 2 buckets
                                                      // Lowest bucket bound ≤ 0 → returned as is.
        assert_eq!(h(&[-1.0, 10.0], &[5, 5, 0]).quantile(0.2), -1.0);
        assert_eq!(h(&[0.0, 10.0], &[5, 5, 0]).quantile(0.2), 0.0);
        // q = 0 with an empty first bucket: 0/0 → NaN, exactly like Prometheus.
        assert!(h(&[10.0, 20.0], &[0, 5, 0]).quantile(0.0).is_nan());
    }

    #[test]
    fn r_sla_3_observe_merge_cumulative() {
        let mut a = Histogram::default();
        a.observe(200.0); // le=200 is inclusive
        a.observe(200.1);
        a.observe(f64::NAN);
        a.observe(1e9);
        let cum = a.cumulative();
        assert_eq!(cum[5], 1);
        assert_eq!(cum[6], 2);
        assert_eq!(a.total(), 4);
        assert_eq!(a.counts()[13], 2);
        let mut b = Histogram::default();
        b.merge(&a).unwrap();
        b.merge(&a).unwrap();
        assert_eq!(b.total(), 8);
        assert_eq!(
            b.merge(&h(&[1.0], &[0, 0])),
            Err(HistogramError::BucketsDiffer)
        );
        let c = Histogram::from_cumulative(vec![1.0, 2.0], &[1, 3, 6]).unwrap();
        assert_eq!(c.counts(), &[1, 2, 3]);
        assert_eq!(
            Histogram::from_cumulative(vec![1.0, 2.0], &[3, 1, 6]),
            Err(HistogramError::NotCumulative)
        );
        assert_eq!(
            Histogram::new(vec![2.0, 1.0]),
            Err(HistogramError::BadBounds)
        );
        assert_eq!(
            Histogram::new(vec![1.0, f64::INFINITY]),
            Err(HistogramError::BadBounds)
        );
        assert!(matches!(
            Histogram::from_counts(vec![1.0], vec![1]),
            Err(HistogramError::CountMismatch { .. })
        ));
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Histogram>(&json).unwrap(), c);
        assert!(serde_json::from_str::<Histogram>(r#"{"bounds":[1.0],"counts":[1]}"#).is_err());
    }

    proptest! {
        #[test]
        fn r_sla_3_quantile_monotone_in_q(counts in proptest::collection::vec(0u64..1000, 14), q1 in 0.0f64..=1.0, q2 in 0.0f64..=1.0) {
            let x = Histogram::from_counts(default_latency_bounds_ms(), counts).unwrap();
            let (lo, hi) = if q1 <= q2 { (q1, q2) } else { (q2, q1) };
            let (a, b) = (x.quantile(lo), x.quantile(hi));
            if !a.is_nan() && !b.is_nan() {
                prop_assert!(a <= b + 1e-9, "q{lo}={a} > q{hi}={b}");
            }
        }

        #[test]
        fn r_sla_3_merge_is_addition(a in proptest::collection::vec(0u64..1000, 14), b in proptest::collection::vec(0u64..1000, 14)) {
            let mut x = Histogram::from_counts(default_latency_bounds_ms(), a.clone()).unwrap();
            let y = Histogram::from_counts(default_latency_bounds_ms(), b.clone()).unwrap();
            x.merge(&y).unwrap();
            prop_assert_eq!(x.total(), a.iter().sum::<u64>() + b.iter().sum::<u64>());
        }
    }
}
