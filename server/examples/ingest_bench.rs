//! Ingest benchmark (issue 10, R-MON-2): system samples per second through
//! `POST /api/v1/metrics` — JSON over HTTP, token check, validation, the
//! upsert and the hourly rollup, each batch one transaction — against a raw
//! `COPY` of the same rows into the same table in the same run.
//!
//! `cargo run -p opsdeck-server --example ingest_bench -- [batches] [samples_per_batch] [concurrency]`
//! (defaults 200, 1000, 4). Uses a throw-away database on the server
//! `DATABASE_URL` points at, and opsdeck in this process on loopback.
//!
//! Each batch is one source (`bench-<n>`) with a sample a minute; the rows
//! are built before the clock starts, for both. Two rounds each,
//! alternating, the tables emptied before each; the best round counts.

use opsdeck_app::model::Scope;
use opsdeck_app::store::audit::Actor;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgPool};
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

struct Row {
    source: String,
    at: chrono::DateTime<chrono::Utc>,
    cpu: f64,
    memory: f64,
    disk: f64,
    latency: f64,
    connections: i64,
}

fn rows(batches: usize, per_batch: usize) -> Vec<Vec<Row>> {
    use chrono::{Duration, DurationRound, Utc};
    let now = Utc::now()
        .duration_trunc(Duration::minutes(1))
        .unwrap_or_else(|_| Utc::now());
    (0..batches)
        .map(|b| {
            (0..per_batch)
                .map(|i| {
                    let x = ((b * 7919 + i * 104_729) % 1000) as f64 / 10.0;
                    Row {
                        source: format!("bench-{b}"),
                        at: now - Duration::minutes(i as i64 + 1),
                        cpu: x,
                        memory: (x + 20.0) % 100.0,
                        disk: 55.0,
                        latency: x / 3.0,
                        connections: (x * 10.0) as i64,
                    }
                })
                .collect()
        })
        .collect()
}

fn json_body(batch: &[Row]) -> String {
    let samples: Vec<serde_json::Value> = batch
        .iter()
        .map(|r| {
            serde_json::json!({
                "at": r.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "cpu_usage": r.cpu, "memory_usage": r.memory, "disk_usage": r.disk,
                "network_latency_ms": r.latency, "connections": r.connections,
            })
        })
        .collect();
    serde_json::json!({
        "environment": "production",
        "source": batch.first().map(|r| r.source.clone()).unwrap_or_default(),
        "samples": samples,
    })
    .to_string()
}

fn csv(all: &[Vec<Row>]) -> String {
    let mut out = String::new();
    for r in all.iter().flatten() {
        out.push_str(&format!(
            "production,{},{},{},{},{},{},{}\n",
            r.source,
            r.at.to_rfc3339(),
            r.cpu,
            r.memory,
            r.disk,
            r.latency,
            r.connections
        ));
    }
    out
}

async fn empty(pool: &PgPool) -> Res<()> {
    sqlx::query("TRUNCATE metric_samples, metric_sample_hours")
        .execute(pool)
        .await?;
    sqlx::query("VACUUM ANALYZE metric_samples")
        .execute(pool)
        .await?;
    Ok(())
}

async fn count(pool: &PgPool) -> Res<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM metric_samples")
        .fetch_one(pool)
        .await?)
}

async fn through_api(
    url: &str,
    token: &str,
    bodies: &[String],
    concurrency: usize,
) -> Res<Duration> {
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut next = 0;
    let mut tasks = tokio::task::JoinSet::new();
    while next < bodies.len() || !tasks.is_empty() {
        while next < bodies.len() && tasks.len() < concurrency {
            let (http, body) = (http.clone(), bodies[next].clone());
            let (url, token) = (url.to_string(), token.to_string());
            tasks.spawn(async move {
                http.post(format!("{url}/api/v1/metrics"))
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            });
            next += 1;
        }
        if let Some(done) = tasks.join_next().await {
            let status = done??;
            if status != 200 {
                return Err(format!("the API answered {status}").into());
            }
        }
    }
    Ok(started.elapsed())
}

async fn raw_copy(pool: &PgPool, data: &str) -> Res<Duration> {
    let mut conn = pool.acquire().await?;
    let started = Instant::now();
    let mut copy = conn
        .copy_in_raw(
            "COPY metric_samples (environment, source, at, cpu_usage, memory_usage, disk_usage, \
             network_latency_ms, connections) FROM STDIN (FORMAT csv)",
        )
        .await?;
    for chunk in data.as_bytes().chunks(1 << 20) {
        copy.send(chunk).await?;
    }
    copy.finish().await?;
    Ok(started.elapsed())
}

#[tokio::main]
async fn main() -> Res<()> {
    let mut args = std::env::args().skip(1);
    let batches: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let per_batch: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(4);
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let base = server.rsplit_once('/').map_or(server.as_str(), |(s, _)| s);
    let db = format!("opsdeck_ingest_bench_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&format!("{base}/postgres")).await?;
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&mut admin)
        .await?;
    let result = run(&format!("{base}/{db}"), batches, per_batch, concurrency).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    result
}

async fn run(url: &str, batches: usize, per_batch: usize, concurrency: usize) -> Res<()> {
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .connect(url)
        .await?;
    opsdeck_server::bootstrap::migrate(&pool).await?;
    let mut tx = pool.begin().await?;
    let token = opsdeck_app::store::tokens::create(
        &mut tx,
        &Actor::system(),
        "bench",
        &[Scope::Ingest],
        None,
    )
    .await?
    .secret;
    tx.commit().await?;
    let config = opsdeck_server::config::Config::from_lookup(|k| match k {
        "LOG_LEVEL" => Some("warn".into()),
        _ => None,
    })?;
    let app = opsdeck_server::web::router(opsdeck_server::state(config, pool.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = opsdeck_server::serve(listener, app, std::future::pending()).await;
    });

    let all = rows(batches, per_batch);
    let bodies: Vec<String> = all.iter().map(|b| json_body(b)).collect();
    let data = csv(&all);
    let total = (batches * per_batch) as f64;
    let body_kb = bodies.iter().map(String::len).sum::<usize>() as f64 / batches as f64 / 1024.0;
    println!(
        "ingest benchmark: {batches} batches × {per_batch} samples ({body_kb:.0} KB each), \
         {concurrency} in flight; opsdeck in this process"
    );
    let mut best_api = f64::MAX;
    let mut best_copy = f64::MAX;
    for round in 1..=2 {
        empty(&pool).await?;
        let api = through_api(&base, &token, &bodies, concurrency).await?;
        let stored = count(&pool).await?;
        if stored != total as i64 {
            return Err(format!("the API stored {stored} of {total} samples").into());
        }
        empty(&pool).await?;
        let copy = raw_copy(&pool, &data).await?;
        let copied = count(&pool).await?;
        if copied != total as i64 {
            return Err(format!("COPY stored {copied} of {total} samples").into());
        }
        println!(
            "  round {round}: API {:>9.0} samples/s   COPY {:>9.0} samples/s   ratio {:.2}",
            total / api.as_secs_f64(),
            total / copy.as_secs_f64(),
            copy.as_secs_f64() / api.as_secs_f64()
        );
        best_api = best_api.min(api.as_secs_f64());
        best_copy = best_copy.min(copy.as_secs_f64());
    }
    println!(
        "  best: API {:.0} samples/s, COPY {:.0} samples/s, API / COPY = {:.2}",
        total / best_api,
        total / best_copy,
        best_copy / best_api
    );
    Ok(())
}
