//! Synthetic metrics for the demo environments (R-MON-2), posted through the
//! machine API as the monitored service would.
//!
//! `OPSDECK_INGEST_TOKEN=odk_… cargo run -p opsdeck-server --example metrics_gen -- http://127.0.0.1:3000 [minutes]`
//!
//! For each environment and two sources (`web-1`, `web-2`), one batch holding
//! the last `minutes` minutes (default 60): a sample per minute and the three
//! request classes per minute. Re-running it replaces the same minutes (the
//! API is idempotent on its keys), so it is safe to run from cron.

use chrono::{Duration, DurationRound, Utc};
use opsdeck_app::model::metrics::{RequestClass, LATENCY_BOUNDS_MS, LATENCY_BUCKETS};
use rand::Rng;
use serde_json::{json, Value};

/// Requests per minute of each class, and the bucket most of them fall in.
const SHAPES: [(RequestClass, i64, usize); 3] = [
    (RequestClass::Api, 1200, 2),
    (RequestClass::Page, 300, 6),
    (RequestClass::Search, 80, 4),
];

fn batch(environment: &str, source: &str, minutes: i64, rng: &mut impl Rng) -> Value {
    let now = Utc::now()
        .duration_trunc(Duration::minutes(1))
        .unwrap_or_else(|_| Utc::now());
    // Smaller environments see less traffic.
    let scale = match environment {
        "production" => 1.0,
        "staging" => 0.2,
        _ => 0.05,
    };
    let mut samples = Vec::new();
    let mut requests = Vec::new();
    for ago in (1..=minutes).rev() {
        let minute = now - Duration::minutes(ago);
        let at = minute.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        samples.push(json!({
            "at": at,
            "cpu_usage": rng.random_range(20.0..75.0_f64).round(),
            "memory_usage": rng.random_range(50.0..70.0_f64).round(),
            "disk_usage": rng.random_range(55.0..58.0_f64).round(),
            "network_latency_ms": rng.random_range(5.0..40.0_f64).round(),
            "connections": rng.random_range(100..600_i64),
        }));
        for (class, rate, usual) in SHAPES {
            let total = ((rate as f64) * scale * rng.random_range(0.8..1.2)).round() as i64;
            let server_errors = i64::from(rng.random_bool(0.3));
            let client_errors = total / 100;
            let timeouts = i64::from(rng.random_bool(0.02));
            let ok = (total - server_errors - client_errors - timeouts).max(0);
            let mut counts = [0i64; LATENCY_BUCKETS];
            // Most in the usual bucket, a tail in the next ones, timeouts last.
            let answered = ok + client_errors + server_errors;
            let tail = answered / 20;
            counts[usual] = answered - 2 * tail;
            counts[usual - 1] = tail;
            counts[usual + 1] = tail;
            counts[LATENCY_BUCKETS - 1] += timeouts;
            requests.push(json!({
                "minute": at,
                "class": class.as_str(),
                "ok": ok,
                "client_errors": client_errors,
                "server_errors": server_errors,
                "timeouts": timeouts,
                "latency_buckets_ms": LATENCY_BOUNDS_MS,
                "latency_counts": counts,
            }));
        }
    }
    json!({"environment": environment, "source": source, "samples": samples, "requests": requests})
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:3000".into());
    let minutes: i64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(60);
    let token = std::env::var("OPSDECK_INGEST_TOKEN")
        .map_err(|_| "set OPSDECK_INGEST_TOKEN to a token with the ingest scope")?;
    let http = reqwest::Client::new();
    let mut rng = rand::rng();
    for environment in ["development", "staging", "production"] {
        for source in ["web-1", "web-2"] {
            let body = batch(environment, source, minutes.clamp(1, 24 * 60), &mut rng);
            let res = http
                .post(format!("{base}/api/v1/metrics"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await?;
            let status = res.status();
            let answer = res.text().await.unwrap_or_default();
            println!("{environment} {source}: {status} {answer}");
        }
    }
    Ok(())
}
