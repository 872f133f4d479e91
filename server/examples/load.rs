//! Load script for a running opsdeck (performance is measured, not assumed).
//!
//! `cargo run -p opsdeck-server --example load -- http://127.0.0.1:3000 [seconds] [concurrency]`
//!
//! Hits three endpoints in turn with the same concurrency and reports each
//! one's throughput and latency percentiles, plus its throughput as a ratio of
//! the baseline measured in the same run: a static file (no database, no
//! session), so the ratios say what the database-backed paths cost on this
//! machine, whatever the machine.

use std::time::{Duration, Instant};

struct Stats {
    path: &'static str,
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies_us: Vec<u64>,
}

impl Stats {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
    fn percentile(&self, q: f64) -> u64 {
        if self.latencies_us.is_empty() {
            return 0;
        }
        let idx = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        self.latencies_us[idx.min(self.latencies_us.len() - 1)]
    }
}

async fn hammer(base: &str, path: &'static str, seconds: u64, concurrency: usize) -> Stats {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let client = client.clone();
            let url = format!("{base}{path}");
            tokio::spawn(async move {
                let (mut lat, mut errors) = (Vec::new(), 0usize);
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match client.get(&url).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            lat.push(t.elapsed().as_micros() as u64);
                        }
                        _ => errors += 1,
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let mut latencies_us = Vec::new();
    let mut errors = 0;
    for w in workers {
        if let Ok((lat, e)) = w.await {
            latencies_us.extend(lat);
            errors += e;
        }
    }
    latencies_us.sort_unstable();
    Stats {
        path,
        requests: latencies_us.len(),
        errors,
        elapsed: started.elapsed(),
        latencies_us,
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:3000".into());
    let seconds = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let concurrency = args.next().and_then(|s| s.parse().ok()).unwrap_or(16);
    println!("opsdeck load: {base}, {seconds} s per endpoint, {concurrency} concurrent clients");
    let baseline = hammer(&base, "/pkg/opsdeck.css", seconds, concurrency).await;
    let runs = [
        hammer(&base, "/api/v1/maintenance", seconds, concurrency).await,
        hammer(&base, "/health", seconds, concurrency).await,
    ];
    println!(
        "{:<24} {:>10} {:>8} {:>9} {:>9} {:>9} {:>12}",
        "endpoint", "req/s", "errors", "p50 µs", "p95 µs", "p99 µs", "vs baseline"
    );
    for s in std::iter::once(&baseline).chain(runs.iter()) {
        println!(
            "{:<24} {:>10.0} {:>8} {:>9} {:>9} {:>9} {:>11.2}×",
            s.path,
            s.per_second(),
            s.errors,
            s.percentile(0.50),
            s.percentile(0.95),
            s.percentile(0.99),
            s.per_second() / baseline.per_second().max(f64::EPSILON),
        );
    }
}
