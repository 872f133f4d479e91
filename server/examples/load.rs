//! Load script for a running opsdeck (performance is measured, not assumed).
//!
//! `cargo run --release -p opsdeck-server --example load -- http://127.0.0.1:3000 [seconds] [concurrency,…]`
//!
//! For each concurrency level (default `8,200`) hits the endpoints in turn and
//! reports each one's throughput and latency percentiles, plus its throughput
//! as a ratio of the baseline measured in the same run at the same level: the
//! stylesheet (a static file: no database, no session), so the ratios say what
//! the database-backed paths cost on this machine, whatever the machine.
//! Every worker keeps its connection alive, as browsers do. The signed-in
//! overview is rendered on the server for a user given by `OPSDECK_LOAD_USER`
//! / `OPSDECK_LOAD_PASSWORD` (default the demo admin).

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

async fn hammer(
    client: &reqwest::Client,
    base: &str,
    path: &'static str,
    seconds: u64,
    concurrency: usize,
) -> Stats {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            // Clones share the connection pool and the session cookie.
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

/// The stylesheet's path as the login page links it (hashed in release builds).
async fn stylesheet(client: &reqwest::Client, base: &str) -> Option<&'static str> {
    let html = client
        .get(format!("{base}/login"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let start = html.find("/pkg/opsdeck")?;
    let end = start + html[start..].find(".css")? + 4;
    Some(Box::leak(html[start..end].to_string().into_boxed_str()))
}

/// A client signed in as the load user, sending what a browser's own fetches send.
async fn signed_in(base: &str) -> Result<reqwest::Client, String> {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "sec-fetch-site",
        reqwest::header::HeaderValue::from_static("same-origin"),
    );
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .pool_max_idle_per_host(1024)
        .build()
        .map_err(|e| e.to_string())?;
    let user = std::env::var("OPSDECK_LOAD_USER").unwrap_or_else(|_| "admin".into());
    let password =
        std::env::var("OPSDECK_LOAD_PASSWORD").unwrap_or_else(|_| "opsdeck-admin-demo".into());
    let res = client
        .post(format!("{base}/rpc/auth/login"))
        .form(&[
            ("username", user.as_str()),
            ("password", &password),
            ("next", "/"),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.status().is_success() {
        return Err(format!("login as {user} failed: {}", res.status()));
    }
    Ok(client)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let base = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:3000".into());
    let seconds = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let levels: Vec<usize> = args
        .next()
        .unwrap_or_else(|| "8,200".into())
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    let client = match signed_in(&base).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("opsdeck load: {e}");
            std::process::exit(2);
        }
    };
    let css = stylesheet(&client, &base)
        .await
        .unwrap_or("/pkg/opsdeck.css");
    for concurrency in levels {
        println!(
            "\nopsdeck load: {base}, {seconds} s per endpoint, {concurrency} kept-alive connections"
        );
        let baseline = hammer(&client, &base, css, seconds, concurrency).await;
        let runs = [
            hammer(&client, &base, "/api/v1/maintenance", seconds, concurrency).await,
            hammer(&client, &base, "/health", seconds, concurrency).await,
            hammer(&client, &base, "/", seconds, concurrency).await,
        ];
        println!(
            "{:<34} {:>10} {:>8} {:>9} {:>9} {:>9} {:>12}",
            "endpoint", "req/s", "errors", "p50 µs", "p95 µs", "p99 µs", "vs baseline"
        );
        for s in std::iter::once(&baseline).chain(runs.iter()) {
            let name = if s.path == "/" {
                "/ (overview, signed in, SSR)"
            } else {
                s.path
            };
            println!(
                "{:<34} {:>10.0} {:>8} {:>9} {:>9} {:>9} {:>11.2}×",
                name,
                s.per_second(),
                s.errors,
                s.percentile(0.50),
                s.percentile(0.95),
                s.percentile(0.99),
                s.per_second() / baseline.per_second().max(f64::EPSILON),
            );
        }
    }
}
