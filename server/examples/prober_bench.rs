//! Prober benchmark (issue 10, R-MON-1): the CPU the prober worker uses
//! for 2 000 targets at a 10 s interval against a local stub service,
//! beside a same-run baseline — the same GETs on the same schedule by a
//! bare loop with the same HTTP client, storing nothing.
//!
//! `cargo run -p opsdeck-server --example prober_bench -- [targets] [seconds]`
//! (defaults 2000, 60). Uses a throw-away database on the server
//! `DATABASE_URL` points at. The stub (`/health` answering the policy's
//! document) runs in a child process, so this process's CPU time
//! (`/proc/self/stat`: user + system) is the prober's alone: its HTTP
//! client, judging the answers, claiming and recording. Postgres's own CPU
//! is not in it.
//!
//! The throw-away database drops the one-target-per-colour index so that
//! 2 000 targets can exist; the targets are colour targets (blue/green),
//! so no environment row is updated per probe. The worker runs exactly as
//! the server starts it (`workers::prober::spawn`, a pass every second),
//! with the demo driver switched off so no demo services are started.

use axum::routing::get;
use axum::{Json, Router};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgPool};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// CPU seconds (user + system) of this process so far.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) in parentheses.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 here.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Clock ticks per second on Linux (sysconf(_SC_CLK_TCK)) are 100.
    (ticks(11) + ticks(12)) / 100.0
}

/// The stub service: `/health` with the policy's document. Prints its port.
async fn stub() -> Res<()> {
    let app = Router::new().route(
        "/health",
        get(|| async {
            Json(serde_json::json!({
                "status": "ok", "timestamp": "2026-12-01T00:00:00.000Z",
                "checks": {"database": {"status": "ok", "latency_ms": 2},
                           "redis": {"status": "ok"}, "disk": {"status": "ok", "used_percent": 41},
                           "memory": {"status": "ok", "used_percent": 58}}
            }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?.port());
    axum::serve(listener, app).await?;
    Ok(())
}

async fn probes(pool: &PgPool) -> Res<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM probe_results")
        .fetch_one(pool)
        .await?)
}

#[tokio::main]
async fn main() -> Res<()> {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if first.as_deref() == Some("--stub") {
        return stub().await;
    }
    let targets: i64 = first.and_then(|a| a.parse().ok()).unwrap_or(2000);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(60);

    let mut child = Command::new(std::env::current_exe()?)
        .arg("--stub")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("no stub output")?).read_line(&mut line)?;
    let port: u16 = line.trim().parse()?;
    let url = format!("http://127.0.0.1:{port}/health");

    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let base = server.rsplit_once('/').map_or(server.as_str(), |(s, _)| s);
    let db = format!("opsdeck_prober_bench_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&format!("{base}/postgres")).await?;
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&mut admin)
        .await?;
    let result = run(&format!("{base}/{db}"), &url, targets, seconds).await;
    let _ = child.kill();
    let _ = child.wait();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    result
}

async fn run(db_url: &str, url: &str, targets: i64, seconds: u64) -> Res<()> {
    // The server's pool size.
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .connect(db_url)
        .await?;
    opsdeck_server::bootstrap::migrate(&pool).await?;
    sqlx::query("DROP INDEX probe_targets_one_per_colour")
        .execute(&pool)
        .await?;
    sqlx::query("UPDATE deploy_settings SET driver = 'command'")
        .execute(&pool)
        .await?;
    // Due times spread evenly over the first interval, as a running prober's are.
    sqlx::query(
        "INSERT INTO probe_targets (environment, colour, url, interval_ms, timeout_ms, next_due_at) \
         SELECT (ARRAY['local', 'development', 'staging', 'production'])[1 + g % 4], \
                CASE WHEN g % 2 = 0 THEN 'blue' ELSE 'green' END, $1 || '?n=' || g, 10000, 5000, \
                now() + make_interval(secs => (g % 10000) / 1000.0 * 10000 / $2) \
         FROM generate_series(0, $2 - 1) g",
    )
    .bind(url)
    .bind(targets)
    .execute(&pool)
    .await?;
    let expected = targets as f64 / 10.0;
    println!(
        "prober benchmark: {targets} targets every 10 s ({expected:.0} probes/s) against a stub \
         in another process, {seconds} s measured after 10 s warm-up"
    );

    // Baseline: the same GETs on the same schedule, nothing stored.
    let http = opsdeck_server::workers::prober::http_client();
    let urls: Vec<String> = (0..targets).map(|g| format!("{url}?n={g}")).collect();
    let measure = |label: &'static str, cpu0: f64, t0: Instant, done: u64| {
        let cpu = cpu_seconds() - cpu0;
        let wall = t0.elapsed().as_secs_f64();
        println!(
            "  {label:<34} {:>6.1} % of a core   {:>6.0} probes/s",
            cpu / wall * 100.0,
            done as f64 / wall
        );
        cpu / wall
    };
    let baseline = {
        let stop = Instant::now() + Duration::from_secs(seconds.min(30) + 5);
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        let per_tick = (targets as usize).div_ceil(100);
        let mut i = 0usize;
        let mut started: Option<(f64, Instant)> = None;
        let done = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let warm = Instant::now() + Duration::from_secs(5);
        while Instant::now() < stop {
            tick.tick().await;
            if started.is_none() && Instant::now() >= warm {
                started = Some((cpu_seconds(), Instant::now()));
                done.store(0, std::sync::atomic::Ordering::Relaxed);
            }
            for _ in 0..per_tick {
                let (http, u, done) = (http.clone(), urls[i % urls.len()].clone(), done.clone());
                i += 1;
                tokio::spawn(async move {
                    let _ = opsdeck_server::workers::prober::probe(
                        &http,
                        &u,
                        Duration::from_millis(5000),
                    )
                    .await;
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                });
            }
        }
        let (cpu0, t0) = started.ok_or("baseline too short")?;
        measure(
            "baseline (GET + judge, no DB)",
            cpu0,
            t0,
            done.load(std::sync::atomic::Ordering::Relaxed),
        )
    };

    // The worker, as the server runs it.
    // Spread again from now (the baseline took longer than one interval).
    sqlx::query(
        "UPDATE probe_targets SET next_due_at = now() + make_interval(secs => ((id * 7919) % 10000) / 1000.0)",
    )
    .execute(&pool)
    .await?;
    let worker = opsdeck_server::workers::prober::spawn(
        pool.clone(),
        std::sync::Arc::new(opsdeck_server::deploy_drivers::demo::DemoServices::new()),
        Duration::from_secs(1),
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (cpu0, t0, n0) = (cpu_seconds(), Instant::now(), probes(&pool).await?);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let n = probes(&pool).await? - n0;
    let prober = measure("prober worker (claim, GET, record)", cpu0, t0, n as u64);
    worker.abort();
    let late: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM probe_targets WHERE next_due_at < now() - interval '2 seconds'",
    )
    .fetch_one(&pool)
    .await?;
    let downs: i64 = sqlx::query_scalar("SELECT count(*) FROM probe_results WHERE NOT ok")
        .fetch_one(&pool)
        .await?;
    println!(
        "  prober / baseline CPU: {:.2}×; targets more than 2 s overdue at the end: {late}; \
         probes down: {downs}",
        prober / baseline.max(1e-9)
    );
    Ok(())
}
