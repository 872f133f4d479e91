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
//! pages are rendered on the server for a user given by `OPSDECK_LOAD_USER`
//! / `OPSDECK_LOAD_PASSWORD` (default the demo admin).
//!
//! Deploys (issue 9): the board's server function (`POST /rpc/deploys/board`,
//! what the page calls), the board page, and a deep page of Production's
//! history (the 50 deploys before id 1 000: among the oldest of 100 000
//! deploys spread over four environments — see the `seed_deploys` example;
//! the history pages by keyset, so depth should not matter), both as its
//! server function and rendered. Besides the throughput ratio, each
//! line gives its p95 as a multiple of the baseline's p95. The rendered
//! pages are kept by the server's page cache while nothing changes
//! (decision 0023), so the board and the deep page are measured twice: at
//! one URL (served again) and at a new URL per request (rendered every time).

use std::time::{Duration, Instant};

/// One endpoint: a page or file (GET), or a server function (POST form).
#[derive(Clone, Copy)]
struct Endpoint {
    name: &'static str,
    path: &'static str,
    /// `Some(form)`: POSTed as `application/x-www-form-urlencoded`, as the
    /// browser's server-function calls are.
    form: Option<&'static [(&'static str, &'static str)]>,
    /// Each request asks for a URL of its own (`&load=<n>`, which the page
    /// ignores), so the server's page cache never has it: what a page costs
    /// to render, in the same run as the kept one.
    unique: bool,
}

impl Endpoint {
    const fn get(name: &'static str, path: &'static str) -> Self {
        Self {
            name,
            path,
            form: None,
            unique: false,
        }
    }
    const fn rendered(name: &'static str, path: &'static str) -> Self {
        Self {
            unique: true,
            ..Self::get(name, path)
        }
    }
    const fn post(
        name: &'static str,
        path: &'static str,
        form: &'static [(&'static str, &'static str)],
    ) -> Self {
        Self {
            name,
            path,
            form: Some(form),
            unique: false,
        }
    }
}

/// Measured after the baseline, in this order.
const ENDPOINTS: [Endpoint; 10] = [
    Endpoint::get("/api/v1/maintenance", "/api/v1/maintenance"),
    Endpoint::get("/health", "/health"),
    Endpoint::get("/ (overview, signed in, SSR)", "/"),
    Endpoint::post("POST /rpc/deploys/board", "/rpc/deploys/board", &[]),
    Endpoint::get("/deploys (board, SSR)", "/deploys"),
    Endpoint::post(
        "POST /rpc/deploys/history deep",
        "/rpc/deploys/history",
        &[("environment", "production"), ("before", "1000")],
    ),
    Endpoint::get(
        "/deploys?env=production&before=1000",
        "/deploys?env=production&before=1000",
    ),
    // The first page, for comparison with the deep one.
    Endpoint::get("/deploys?env=production", "/deploys?env=production"),
    // The same pages never served from the page cache (decision 0023).
    Endpoint::rendered("/deploys, a new URL each time", "/deploys?env="),
    Endpoint::rendered(
        "/deploys?…before=1000, new URL each",
        "/deploys?env=production&before=1000",
    ),
];

struct Stats {
    name: &'static str,
    requests: usize,
    errors: usize,
    /// The first failure: a status or a transport error (a 200 page is not checked further).
    first_error: Option<String>,
    /// Body size of the last successful response, to see that the page was the page.
    bytes: usize,
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
    endpoint: Endpoint,
    seconds: u64,
    concurrency: usize,
) -> Stats {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            // Clones share the connection pool and the session cookie.
            let client = client.clone();
            let url = format!("{base}{}", endpoint.path);
            tokio::spawn(async move {
                let (mut lat, mut errors, mut first_error, mut bytes) =
                    (Vec::new(), 0usize, None, 0usize);
                let mut sent = 0u64;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    sent += 1;
                    let url = if endpoint.unique {
                        format!("{url}&load={worker}-{sent}")
                    } else {
                        url.clone()
                    };
                    let request = match endpoint.form {
                        Some(form) => client.post(&url).form(form),
                        None => client.get(&url),
                    };
                    match request.send().await {
                        Ok(r) if r.status().is_success() => match r.bytes().await {
                            Ok(body) => {
                                lat.push(t.elapsed().as_micros() as u64);
                                bytes = body.len();
                            }
                            Err(e) => {
                                errors += 1;
                                first_error.get_or_insert_with(|| e.to_string());
                            }
                        },
                        Ok(r) => {
                            errors += 1;
                            first_error.get_or_insert_with(|| r.status().to_string());
                        }
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert_with(|| e.to_string());
                        }
                    }
                }
                (lat, errors, first_error, bytes)
            })
        })
        .collect();
    let mut latencies_us = Vec::new();
    let (mut errors, mut first_error, mut bytes) = (0, None, 0);
    for w in workers {
        if let Ok((lat, e, first, b)) = w.await {
            latencies_us.extend(lat);
            errors += e;
            first_error = first_error.or(first);
            bytes = bytes.max(b);
        }
    }
    latencies_us.sort_unstable();
    Stats {
        name: endpoint.name,
        requests: latencies_us.len(),
        errors,
        first_error,
        bytes,
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
        let baseline = hammer(
            &client,
            &base,
            Endpoint::get(css, css),
            seconds,
            concurrency,
        )
        .await;
        if baseline.requests == 0 {
            // Every ratio would divide by nothing: the site root or its hash is wrong.
            eprintln!(
                "opsdeck load: the baseline {css} never answered 200 ({}); check LEPTOS_SITE_ROOT",
                baseline.first_error.as_deref().unwrap_or("no response")
            );
            std::process::exit(2);
        }
        let mut runs = Vec::new();
        for endpoint in ENDPOINTS {
            runs.push(hammer(&client, &base, endpoint, seconds, concurrency).await);
        }
        println!(
            "{:<36} {:>8} {:>7} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "endpoint", "req/s", "errors", "KiB", "p50 µs", "p95 µs", "p99 µs", "req/s ×", "p95 ×"
        );
        for s in std::iter::once(&baseline).chain(runs.iter()) {
            println!(
                "{:<36} {:>8.0} {:>7} {:>8.1} {:>9} {:>9} {:>9} {:>8.2}× {:>8.2}×",
                s.name,
                s.per_second(),
                s.errors,
                s.bytes as f64 / 1024.0,
                s.percentile(0.50),
                s.percentile(0.95),
                s.percentile(0.99),
                s.per_second() / baseline.per_second().max(f64::EPSILON),
                s.percentile(0.95) as f64 / (baseline.percentile(0.95).max(1)) as f64,
            );
        }
        for s in runs.iter().filter(|s| s.errors > 0) {
            if let Some(e) = &s.first_error {
                println!("  {}: first error: {e}", s.name);
            }
        }
    }
}
