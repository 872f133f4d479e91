//! Outbox benchmark (issue 8): how fast queued notifications reach a receiver,
//! against the same receiver called directly in the same run.
//!
//! `cargo run --release -p opsdeck-server --example outbox_bench [messages]`
//!
//! Uses a throw-away database on the server `DATABASE_URL` points at (default
//! the local Postgres) and an HTTP receiver in this process on loopback.
//! 1. Baseline: the same `Sender` posts every message straight to the
//!    receiver, with the same concurrency the worker uses per channel.
//! 2. Backlog: every message is queued first, then one worker drains them:
//!    messages/s, and the ratio to the baseline (goal ≥ 50 %).
//! 3. Trickle: messages are queued one at a time while the worker runs; p95
//!    of queue-to-delivery latency (`created_at` → `delivered_at`).

use opsdeck_app::notify::channel::{ChannelKind, ChannelSecret, ChannelSettings};
use opsdeck_app::notify::send::{ChannelTarget, Outgoing, Sender};
use opsdeck_app::notify::Event;
use opsdeck_app::store::audit::Actor;
use opsdeck_app::store::notifications as store;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgPool};
use std::time::{Duration, Instant};

const CONCURRENCY: usize = 16;

fn event() -> Event {
    Event::MaintenanceOff {
        by: "bench".into(),
        started_at: None,
    }
}

async fn start_receiver() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind receiver");
    let url = format!("http://{}/hook", listener.local_addr().expect("address"));
    let app = axum::Router::new().fallback(|| async { "ok" });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

async fn baseline(sender: &Sender, target: &ChannelTarget, n: usize) -> f64 {
    let started = Instant::now();
    let mut next = 0usize;
    let mut tasks = tokio::task::JoinSet::new();
    let mut failures = 0usize;
    while next < n || !tasks.is_empty() {
        while next < n && tasks.len() < CONCURRENCY {
            let (sender, target) = (sender.clone(), target.clone());
            let msg = Outgoing {
                message_id: next as i64,
                idempotency_key: format!("direct-{next}"),
                created_at: chrono::Utc::now(),
                event: event(),
            };
            tasks.spawn(async move { sender.send(&target, &msg).await.ok });
            next += 1;
        }
        if let Some(Ok(false)) = tasks.join_next().await {
            failures += 1;
        }
    }
    assert_eq!(failures, 0, "the receiver refused direct calls");
    n as f64 / started.elapsed().as_secs_f64()
}

async fn queue(pool: &PgPool, from: usize, n: usize) {
    let mut done = 0;
    while done < n {
        let mut tx = pool.begin().await.expect("begin");
        for i in done..(done + 500).min(n) {
            store::notify(&mut tx, "bench", &event(), &format!("queued-{}", from + i))
                .await
                .expect("notify");
        }
        tx.commit().await.expect("commit");
        done = (done + 500).min(n);
    }
}

async fn delivered(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM notification_deliveries WHERE status = 'delivered'")
        .fetch_one(pool)
        .await
        .expect("count")
}

async fn wait_for(pool: &PgPool, n: i64) {
    while delivered(pool).await < n {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let admin_url = format!(
        "{}/postgres",
        server.rsplit_once('/').map_or(server.as_str(), |(s, _)| s)
    );
    let db = format!("opsdeck_outbox_bench_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&mut admin)
        .await?;
    let url = format!(
        "{}/{db}",
        admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(s, _)| s)
    );
    let result = run(&url, n).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    result
}

async fn run(url: &str, n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .connect(url)
        .await?;
    opsdeck_server::bootstrap::migrate(&pool).await?;
    let hook = start_receiver().await;
    let settings = ChannelSettings {
        url: hook.clone(),
        ..Default::default()
    };
    let mut tx = pool.begin().await?;
    let input = store::ChannelInput {
        name: "bench-hook".into(),
        kind: ChannelKind::Webhook,
        enabled: true,
        lang: opsdeck_app::i18n::Lang::En,
        min_interval_ms: 0,
        settings: settings.clone(),
        secret: Some(ChannelSecret {
            value: "bench-secret".into(),
        }),
    };
    let channel = store::save_channel(&mut tx, &Actor::system(), None, &input)
        .await?
        .ok_or("channel not saved")?;
    sqlx::query("UPDATE notification_channels SET max_in_flight = $1 WHERE id = $2")
        .bind(CONCURRENCY as i32)
        .bind(channel)
        .execute(&mut *tx)
        .await?;
    let group = store::GroupInput {
        name: "bench".into(),
        description: String::new(),
        user_ids: vec![],
        roles: vec![],
        channel_ids: vec![channel],
    };
    store::save_group(&mut tx, &Actor::system(), None, &group).await?;
    tx.commit().await?;

    let sender = Sender::new("http://opsdeck.bench".into(), Duration::from_secs(10));
    let target = store::channel_target(&pool, channel)
        .await?
        .ok_or("no target")?;

    println!("outbox benchmark: {n} messages, one webhook channel, {CONCURRENCY} in flight");
    let direct = baseline(&sender, &target, n).await;
    println!("  baseline (direct calls)   {direct:>9.0} msg/s");

    queue(&pool, 0, n).await;
    let started = Instant::now();
    opsdeck_server::workers::outbox::spawn(
        pool.clone(),
        sender.clone(),
        opsdeck_server::workers::outbox::OutboxSettings::default(),
    );
    wait_for(&pool, n as i64).await;
    let backlog = n as f64 / started.elapsed().as_secs_f64();
    println!(
        "  outbox, backlog drained   {backlog:>9.0} msg/s   ratio to baseline {:.2}",
        backlog / direct
    );

    let trickle = (n / 10).max(100);
    let before = delivered(&pool).await;
    for i in 0..trickle {
        queue(&pool, n + i, 1).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    wait_for(&pool, before + trickle as i64).await;
    let mut latencies: Vec<f64> = sqlx::query_scalar(
        "SELECT EXTRACT(EPOCH FROM (d.delivered_at - m.created_at))::float8 * 1000 \
         FROM notification_deliveries d JOIN notification_messages m ON m.id = d.message_id \
         WHERE m.idempotency_key LIKE 'queued-%' AND m.id > (SELECT max(id) - $1 FROM notification_messages)",
    )
    .bind(trickle as i64)
    .fetch_all(&pool)
    .await?;
    latencies.sort_by(f64::total_cmp);
    println!(
        "  trickle of {trickle}: queue-to-delivery p50 {:.1} ms, p95 {:.1} ms",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.95)
    );
    let _ = hook;
    Ok(())
}
