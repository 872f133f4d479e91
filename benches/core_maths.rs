//! Benchmarks of the SLA maths over one year of per-minute data, each against
//! a naive baseline measured in the same run (see the crate README for numbers).
//!
//! * availability: `MinuteSeries` (bitsets + popcount) vs a per-minute loop
//!   over `Vec<bool>` up flags and a `Vec<bool>` exclusion mask;
//! * p95: merging 525 600 per-minute histograms + `histogram_quantile` vs
//!   sorting the raw samples (10 requests a minute) and indexing.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{black_box, criterion_group, BenchmarkId, Criterion};
use opsdeck::sla::{
    default_latency_bounds_ms, Exclusion, ExclusionReason, Histogram, MinuteSeries,
};
use opsdeck::UtcInterval;
use std::time::{Duration, Instant};

const MINUTES: usize = 525_600;
const REQUESTS_PER_MINUTE: usize = 10;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

struct Data {
    up: Vec<bool>,
    series: MinuteSeries,
    exclusions: Vec<Exclusion>,
    histograms: Vec<Histogram>,
    samples: Vec<f64>,
}

fn data() -> Data {
    let mut rng = Lcg(42);
    let up: Vec<bool> = (0..MINUTES)
        .map(|_| !rng.next().is_multiple_of(1000))
        .collect();
    let series =
        MinuteSeries::from_up_flags(start(), &up).unwrap_or_else(|_| std::process::exit(1));
    // One 2-hour maintenance window a month.
    let exclusions = (0..12)
        .map(|m| {
            let s = start() + TimeDelta::days(30 * m + 3);
            Exclusion {
                interval: UtcInterval::new(s, s + TimeDelta::hours(2)),
                reason: ExclusionReason::PlannedMaintenance,
            }
        })
        .collect();
    let bounds = default_latency_bounds_ms();
    let mut samples = Vec::with_capacity(MINUTES * REQUESTS_PER_MINUTE);
    let mut histograms = Vec::with_capacity(MINUTES);
    for _ in 0..MINUTES {
        let mut h = Histogram::new(bounds.clone()).unwrap_or_default();
        for _ in 0..REQUESTS_PER_MINUTE {
            // Mostly fast, with a long tail.
            let u = rng.unit();
            let v = if u < 0.9 {
                20.0 + 150.0 * u
            } else {
                200.0 + 5_000.0 * (u - 0.9)
            };
            h.observe(v);
            samples.push(v);
        }
        histograms.push(h);
    }
    Data {
        up,
        series,
        exclusions,
        histograms,
        samples,
    }
}

fn naive_availability(up: &[bool], exclusions: &[Exclusion]) -> f64 {
    let mut excluded = vec![false; up.len()];
    for e in exclusions {
        let lo = (e.interval.start - start()).num_minutes().max(0) as usize;
        let hi = ((e.interval.end - start()).num_minutes().max(0) as usize).min(up.len());
        for x in excluded.iter_mut().take(hi).skip(lo) {
            *x = true;
        }
    }
    let (mut good, mut counted) = (0u64, 0u64);
    for (i, &u) in up.iter().enumerate() {
        if !excluded[i] {
            counted += 1;
            if u {
                good += 1;
            }
        }
    }
    good as f64 / counted as f64
}

fn bitset_availability(d: &Data) -> Option<f64> {
    d.series.availability(&d.exclusions).availability
}

fn merged_p95(hs: &[Histogram]) -> f64 {
    let mut acc = Histogram::new(default_latency_bounds_ms()).unwrap_or_default();
    for h in hs {
        let _ = acc.merge(h);
    }
    acc.quantile(0.95)
}

fn sorted_p95(samples: &[f64]) -> f64 {
    let mut v = samples.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    let idx = ((v.len() as f64) * 0.95).ceil() as usize;
    v.get(idx.saturating_sub(1)).copied().unwrap_or(f64::NAN)
}

fn bench(c: &mut Criterion) {
    let d = data();
    let mut g = c.benchmark_group("availability_one_year");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function(BenchmarkId::new("bitset", MINUTES), |b| {
        b.iter(|| black_box(bitset_availability(&d)))
    });
    g.bench_function(BenchmarkId::new("naive_vec_bool", MINUTES), |b| {
        b.iter(|| black_box(naive_availability(&d.up, &d.exclusions)))
    });
    g.finish();
    let mut g = c.benchmark_group("p95_one_year");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("merge_525600_histograms", |b| {
        b.iter(|| black_box(merged_p95(&d.histograms)))
    });
    g.bench_function("sort_5256000_samples", |b| {
        b.iter(|| black_box(sorted_p95(&d.samples)))
    });
    g.finish();
}

fn median_time(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    t[runs / 2]
}

/// Same-run ratios, printed after criterion's own report.
fn ratio_summary() {
    let d = data();
    let a = median_time(21, || {
        black_box(bitset_availability(&d));
    });
    let b = median_time(21, || {
        black_box(naive_availability(&d.up, &d.exclusions));
    });
    let p = median_time(5, || {
        black_box(merged_p95(&d.histograms));
    });
    let q = median_time(5, || {
        black_box(sorted_p95(&d.samples));
    });
    println!(
        "ratio availability naive/bitset: {:.1}x ({b:?} / {a:?})",
        b.as_secs_f64() / a.as_secs_f64()
    );
    println!(
        "ratio p95 sort/merge: {:.1}x ({q:?} / {p:?})",
        q.as_secs_f64() / p.as_secs_f64()
    );
    println!(
        "check: availability {:?} vs {:.6}; p95 merged {:.1} ms vs exact {:.1} ms",
        bitset_availability(&d),
        naive_availability(&d.up, &d.exclusions),
        merged_p95(&d.histograms),
        sorted_p95(&d.samples)
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratio_summary();
}
