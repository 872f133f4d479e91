//! SLA report benchmark (issue 10, R-SLA-1..5): the month report (the whole
//! page: availability, days, outages, requests, 12-month history) and the
//! 12-month report of one environment with five years of rollups, against
//! a same-run baseline that reads the month's per-minute rows directly
//! (what the report would cost without the hourly summary).
//!
//! `cargo run --release -p opsdeck-server --example sla_bench [runs]`
//!
//! Uses a throw-away database on the server `DATABASE_URL` points at
//! (default the local Postgres), dropped at the end. Seeds five years of
//! `probe_minutes` for Production's public URL (2.6 M rows, with a few
//! outages and gaps every month), `request_hours` for three classes, the
//! monthly maintenance windows and a classification a month.

use chrono::{Datelike, TimeDelta, Utc};
use opsdeck::deploy_gate::Environment;
use opsdeck::sla::{local_month, month_report, MinuteSeries, MinuteState, SlaPolicy};
use opsdeck_app::store::sla::report;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgPool};
use std::time::Instant;

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

async fn time<F, Fut>(runs: usize, mut f: F) -> Result<(f64, f64), Box<dyn std::error::Error>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), Box<dyn std::error::Error>>>,
{
    f().await?; // warm the caches
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    Ok((percentile(&ms, 0.5), percentile(&ms, 0.95)))
}

async fn seed(pool: &PgPool) -> Result<i64, Box<dyn std::error::Error>> {
    let target: i64 = sqlx::query_scalar(
        "INSERT INTO probe_targets (environment, colour, url, enabled) \
         VALUES ('production', NULL, 'http://127.0.0.1:9/health', FALSE) RETURNING id",
    )
    .fetch_one(pool)
    .await?;
    let now = Utc::now();
    let from = now - TimeDelta::days(5 * 365);
    let t = Instant::now();
    // Month by month, so each statement stays a reasonable size. Three
    // outages a month (on the 3rd, 11th and 19th, 7–25 minutes) and an
    // hour without data on the 23rd.
    let mut start = from;
    while start < now {
        let end = (start + TimeDelta::days(30)).min(now);
        sqlx::query(
            "INSERT INTO probe_minutes (target_id, minute, probes, ok, latency_sum_ms, latency_max_ms) \
             SELECT $1, m, 6, CASE WHEN extract(day FROM m) IN (3, 11, 19) \
                                    AND extract(hour FROM m) = 9 \
                                    AND extract(minute FROM m) < 7 + extract(day FROM m) \
                               THEN 0 ELSE 6 END, 300, 80 \
             FROM generate_series(date_trunc('minute', $2::timestamptz), $3::timestamptz, interval '1 minute') m \
             WHERE NOT (extract(day FROM m) = 23 AND extract(hour FROM m) = 4)",
        )
        .bind(target)
        .bind(start)
        .bind(end)
        .execute(pool)
        .await?;
        start = end + TimeDelta::minutes(1);
    }
    sqlx::query(
        "INSERT INTO request_hours (environment, source, hour, class, ok, client_errors, server_errors, timeouts, latency_counts) \
         SELECT 'production', 'web-1', h, c, 3000, 40, 2, 0, ARRAY[900, 900, 700, 300, 120, 50, 20, 10, 2, 0]::bigint[] \
         FROM generate_series(date_trunc('hour', $1::timestamptz), $2::timestamptz, interval '1 hour') h, \
              unnest(ARRAY['api', 'page', 'search']) c",
    )
    .bind(from)
    .bind(now)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO maintenance_windows (kind, starts_at, ends_at, reason) \
         SELECT 'planned', d + interval '2 hours', d + interval '4 hours', 'monthly' \
         FROM generate_series(date_trunc('month', $1::timestamptz), $2::timestamptz, interval '1 month') d",
    )
    .bind(from)
    .bind(now)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO sla_exclusions (environment, starts_at, ends_at, reason, note, classified_by) \
         SELECT 'production', d + interval '2 days 9 hours', d + interval '2 days 9 hours 10 minutes', \
                'external_service', 'provider', 'bench' \
         FROM generate_series(date_trunc('month', $1::timestamptz), $2::timestamptz, interval '1 month') d",
    )
    .bind(from)
    .bind(now)
    .execute(pool)
    .await?;
    sqlx::query("VACUUM ANALYZE").execute(pool).await?;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM probe_minutes")
        .fetch_one(pool)
        .await?;
    println!(
        "seeded {rows} probe minutes (5 years) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    Ok(target)
}

/// The baseline: the month's minute rows read one by one, judged by the core.
async fn minute_rows(
    pool: &PgPool,
    target: i64,
    tz: chrono_tz::Tz,
    months: &[(i32, u32)],
) -> Result<(), Box<dyn std::error::Error>> {
    let now = Utc::now();
    let first = months.first().ok_or("no month")?;
    let last = months.last().ok_or("no month")?;
    let from = local_month(tz, first.0, first.1).ok_or("month")?.start;
    let to = local_month(tz, last.0, last.1).ok_or("month")?.end;
    let rows = opsdeck_app::store::probes::minutes(pool, target, from, to).await?;
    let len = usize::try_from((to - from).num_minutes())?;
    let mut states = vec![MinuteState::Unknown; len];
    for r in rows {
        let i = usize::try_from((r.minute - from).num_minutes())?;
        if let Some(s) = states.get_mut(i) {
            *s = if r.probes > 0 && r.ok * 2 <= r.probes {
                MinuteState::Down
            } else {
                MinuteState::Up
            };
        }
    }
    let series = MinuteSeries::from_states(from, states)?;
    for &(y, m) in months {
        month_report(&SlaPolicy::default(), tz, y, m, &series, &[], now)?;
    }
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let base = server.rsplit_once('/').map_or(server.as_str(), |(s, _)| s);
    let db = format!("opsdeck_sla_bench_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&format!("{base}/postgres")).await?;
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&mut admin)
        .await?;
    let result = run(&format!("{base}/{db}"), runs).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    result
}

async fn run(url: &str, runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let pool = PgPoolOptions::new().max_connections(4).connect(url).await?;
    opsdeck_server::bootstrap::migrate(&pool).await?;
    let target = seed(&pool).await?;
    let tz = chrono_tz::Asia::Tokyo;
    let now = Utc::now();
    let local = now.with_timezone(&tz);
    // The last complete month, and the 12 months ending with it.
    let (y, m) = if local.month() == 1 {
        (local.year() - 1, 12)
    } else {
        (local.year(), local.month() - 1)
    };
    let twelve: Vec<(i32, u32)> = (0..12)
        .rev()
        .map(|back| {
            let i = y * 12 + m as i32 - 1 - back;
            (i.div_euclid(12), (i.rem_euclid(12) + 1) as u32)
        })
        .collect();
    let env = Environment::Production;
    println!("{runs} runs each, month {y}-{m:02}, Asia/Tokyo");
    println!("| report | p50 | p95 |");
    println!("|---|---|---|");
    let (p50, p95) = time(runs, || async {
        minute_rows(&pool, target, tz, &[(y, m)]).await
    })
    .await?;
    println!("| baseline: one month from its 44 640 minute rows | {p50:.1} ms | {p95:.1} ms |");
    let (p50, p95) = time(runs, || async {
        report::month_view(&pool, tz, env, y, m, now).await?;
        Ok(())
    })
    .await?;
    println!("| month report (page: days, outages, requests, 12-month history) | {p50:.1} ms | {p95:.1} ms |");
    let (p50, p95) = time(runs, || async {
        minute_rows(&pool, target, tz, &twelve).await
    })
    .await?;
    println!("| baseline: 12 months from their minute rows | {p50:.1} ms | {p95:.1} ms |");
    let (p50, p95) = time(runs, || async {
        report::twelve_months(&pool, tz, env, y, m, now).await?;
        Ok(())
    })
    .await?;
    println!("| 12-month report | {p50:.1} ms | {p95:.1} ms |");
    Ok(())
}
