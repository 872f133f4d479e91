//! Health prober (issue 10 item 1, R-MON-1): real probes of a local stub
//! service (healthy, 500, slow, unhealthy body), the per-minute rollup,
//! claims shared by two processes, and the demo services registered as
//! targets.

use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use opsdeck_app::model::probes::{ProbeOutcome, ProbeTargetSpec};
use opsdeck_app::store::audit::Actor;
use opsdeck_app::store::probes as store;
use opsdeck_server::deploy_drivers::demo::DemoServices;
use opsdeck_server::workers::prober;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::collections::HashSet;
use std::time::Duration;

/// A monitored service on 127.0.0.1: `/ok`, `/fail` (500), `/slow` (2 s),
/// `/unhealthy` (200 with a failing check).
async fn stub() -> String {
    let app = Router::new()
        .route(
            "/ok",
            get(|| async {
                Json(
                    json!({"status": "ok", "timestamp": "2026-12-01T00:00:00.000Z",
                    "checks": {"database": {"status": "ok", "latency_ms": 2}, "redis": "ok"}}),
                )
            }),
        )
        .route(
            "/fail",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(2)).await;
                Json(json!({"status": "ok"}))
            }),
        )
        .route(
            "/unhealthy",
            get(|| async {
                Json(
                    json!({"status": "degraded", "timestamp": "2026-12-01T00:00:00.000Z",
                    "checks": {"database": {"status": "ok"},
                               "redis": {"status": "down", "latency_ms": 3}}}),
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

fn spec(env: &str, colour: Option<&str>, url: String) -> ProbeTargetSpec {
    ProbeTargetSpec {
        environment: env.into(),
        colour: colour.map(str::to_string),
        url,
        interval_ms: 10_000,
        timeout_ms: 5_000,
        enabled: true,
    }
}

async fn add_target(pool: &PgPool, s: ProbeTargetSpec) -> i64 {
    let mut tx = pool.begin().await.unwrap();
    let t = store::upsert_target(&mut tx, &Actor::system(), &s)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    t.id
}

async fn add_environment(pool: &PgPool, key: &str, position: i32) {
    sqlx::query("INSERT INTO environments (name, position, key) VALUES ($1, $2, $1)")
        .bind(key)
        .bind(position)
        .execute(pool)
        .await
        .unwrap();
}

async fn env_health(pool: &PgPool, key: &str) -> String {
    sqlx::query_scalar("SELECT health FROM environments WHERE key = $1")
        .bind(key)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Runs one pass at `now` and waits for its probes.
async fn run_pass(pool: &PgPool, now: DateTime<Utc>) -> Vec<i64> {
    let tasks = prober::pass(pool, &prober::http_client(), now)
        .await
        .unwrap();
    let ids = tasks.iter().map(|t| t.target_id).collect();
    for t in tasks {
        t.task.await.unwrap();
    }
    ids
}

#[derive(Debug, sqlx::FromRow)]
struct Raw {
    ok: bool,
    status_code: Option<i32>,
    latency_ms: i32,
    error: Option<String>,
    checks: Value,
}

async fn results(pool: &PgPool, target: i64) -> Vec<Raw> {
    sqlx::query_as(
        "SELECT ok, status_code, latency_ms, error, checks FROM probe_results \
         WHERE target_id = $1 ORDER BY id",
    )
    .bind(target)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_mon_1_healthy_target_records_ok_row_rollup_and_environment_health(pool: PgPool) {
    let base = stub().await;
    add_environment(&pool, "staging", 3).await;
    let id = add_target(&pool, spec("staging", None, format!("{base}/ok"))).await;

    let before = Utc::now();
    assert_eq!(run_pass(&pool, Utc::now()).await, vec![id]);

    let rows = results(&pool, id).await;
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert!(r.ok, "{r:?}");
    assert_eq!(r.status_code, Some(200));
    assert_eq!(r.error, None);
    assert_eq!(r.checks["database"]["status"], "ok");
    assert_eq!(r.checks["database"]["latency_ms"], 2);
    assert_eq!(r.checks["redis"]["status"], "ok");

    let minutes = store::minutes(
        &pool,
        id,
        before - TimeDelta::minutes(1),
        Utc::now() + TimeDelta::minutes(1),
    )
    .await
    .unwrap();
    assert_eq!(minutes.len(), 1);
    assert_eq!((minutes[0].probes, minutes[0].ok), (1, 1));
    assert_eq!(minutes[0].latency_sum_ms, i64::from(r.latency_ms));
    assert_eq!(minutes[0].latency_max_ms, r.latency_ms);

    // The environment's public URL speaks for the environment.
    assert_eq!(env_health(&pool, "staging").await, "ok");
    let latest = store::latest(&pool).await.unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[0].ok, Some(true));
    assert_eq!(latest[0].status_code, Some(200));

    // Not due again within its interval.
    assert!(run_pass(&pool, Utc::now()).await.is_empty());
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_mon_1_http_500_is_down_and_marks_the_environment_critical(pool: PgPool) {
    let base = stub().await;
    add_environment(&pool, "production", 4).await;
    let id = add_target(&pool, spec("production", None, format!("{base}/fail"))).await;
    run_pass(&pool, Utc::now()).await;
    let rows = results(&pool, id).await;
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].ok);
    assert_eq!(rows[0].status_code, Some(500));
    assert_eq!(rows[0].error.as_deref(), Some("HTTP 500"));
    assert_eq!(rows[0].checks, json!({}));
    assert_eq!(env_health(&pool, "production").await, "critical");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_mon_1_slow_answer_beyond_the_timeout_is_down_with_timeout(pool: PgPool) {
    let base = stub().await;
    let mut s = spec("development", None, format!("{base}/slow"));
    s.timeout_ms = 300;
    let id = add_target(&pool, s).await;
    let started = std::time::Instant::now();
    run_pass(&pool, Utc::now()).await;
    assert!(
        started.elapsed() < Duration::from_millis(1_500),
        "the probe waited for the slow answer"
    );
    let rows = results(&pool, id).await;
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].ok);
    assert_eq!(rows[0].error.as_deref(), Some("timeout"));
    assert_eq!(rows[0].status_code, None);
    assert!(rows[0].latency_ms >= 300, "{}", rows[0].latency_ms);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_mon_1_unhealthy_body_is_down_with_its_checks_kept(pool: PgPool) {
    let base = stub().await;
    add_environment(&pool, "staging", 3).await;
    // A colour's target: its result does not speak for the environment.
    let id = add_target(
        &pool,
        spec("staging", Some("blue"), format!("{base}/unhealthy")),
    )
    .await;
    run_pass(&pool, Utc::now()).await;
    let rows = results(&pool, id).await;
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert!(!r.ok);
    assert_eq!(r.status_code, Some(200));
    let error = r.error.as_deref().unwrap();
    assert!(error.starts_with("unhealthy:"), "{error}");
    assert!(error.contains("redis: down"), "{error}");
    assert!(error.contains("status degraded"), "{error}");
    assert_eq!(r.checks["redis"]["status"], "down");
    assert_eq!(r.checks["redis"]["latency_ms"], 3);
    assert_eq!(r.checks["database"]["status"], "ok");
    assert_eq!(env_health(&pool, "staging").await, "unknown");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_mon_1_two_processes_claim_each_target_once_per_interval(pool: PgPool) {
    // Twelve targets (every environment × public, blue, green) and one disabled.
    let mut all = HashSet::new();
    for env in ["local", "development", "staging", "production"] {
        for colour in [None, Some("blue"), Some("green")] {
            let mut s = spec(env, colour, format!("http://127.0.0.1:9/{env}"));
            if env == "local" && colour == Some("green") {
                s.enabled = false;
                add_target(&pool, s).await;
                continue;
            }
            all.insert(add_target(&pool, s).await);
        }
    }
    assert_eq!(all.len(), 11);
    let other = sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect_with(pool.connect_options().as_ref().clone())
        .await
        .unwrap();
    let t0 = Utc::now() + TimeDelta::seconds(1);
    for round in 0..5 {
        let now = t0 + TimeDelta::seconds(10 * round);
        // Several claims at once from each process, small batches so they race.
        let (a, b, c, d) = tokio::join!(
            store::claim_due(&pool, now, 3),
            store::claim_due(&other, now, 3),
            store::claim_due(&pool, now, 100),
            store::claim_due(&other, now, 100),
        );
        let mut seen = Vec::new();
        for claimed in [a, b, c, d] {
            seen.extend(claimed.unwrap().into_iter().map(|t| t.id));
        }
        let unique: HashSet<i64> = seen.iter().copied().collect();
        assert_eq!(
            unique.len(),
            seen.len(),
            "round {round}: a target claimed twice"
        );
        // A batch of 3 may leave targets for the next claim; within the
        // interval nobody may take them twice, and nothing else is due.
        let rest = store::claim_due(&other, now, 100).await.unwrap();
        let mut ids: HashSet<i64> = unique;
        for t in rest {
            assert!(ids.insert(t.id), "round {round}: claimed again");
        }
        assert_eq!(ids, all, "round {round}");
        // Half an interval later nothing is due.
        let half = now + TimeDelta::seconds(5);
        assert!(store::claim_due(&pool, half, 100).await.unwrap().is_empty());
        assert!(store::claim_due(&other, half, 100)
            .await
            .unwrap()
            .is_empty());
    }
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_mon_1_rollup_sums_the_probes_of_a_minute(pool: PgPool) {
    let id = add_target(&pool, spec("staging", None, "http://127.0.0.1:9/h".into())).await;
    let minute = Utc.with_ymd_and_hms(2026, 12, 1, 10, 15, 0).unwrap();
    let outcome = |secs: i64, ok: bool, latency_ms: i32| ProbeOutcome {
        at: minute + TimeDelta::seconds(secs),
        ok,
        status_code: Some(if ok { 200 } else { 503 }),
        latency_ms,
        error: (!ok).then(|| "HTTP 503".to_string()),
        checks: json!({}),
    };
    store::record(&pool, id, &outcome(5, true, 10))
        .await
        .unwrap();
    store::record(&pool, id, &outcome(25, false, 30))
        .await
        .unwrap();
    store::record(&pool, id, &outcome(59, true, 20))
        .await
        .unwrap();
    // Next minute, and several at once (the upsert adds, never overwrites).
    let mut writes = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (pool, o) = (pool.clone(), outcome(60 + i, true, 5));
        writes.spawn(async move { store::record(&pool, id, &o).await });
    }
    while let Some(r) = writes.join_next().await {
        r.unwrap().unwrap();
    }

    let rows = store::minutes(&pool, id, minute, minute + TimeDelta::minutes(2))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].minute, minute);
    assert_eq!(
        (
            rows[0].probes,
            rows[0].ok,
            rows[0].latency_sum_ms,
            rows[0].latency_max_ms
        ),
        (3, 2, 60, 30)
    );
    assert_eq!(rows[1].minute, minute + TimeDelta::minutes(1));
    assert_eq!(
        (
            rows[1].probes,
            rows[1].ok,
            rows[1].latency_sum_ms,
            rows[1].latency_max_ms
        ),
        (8, 8, 40, 5)
    );
    // `[from, to)`: the second minute alone.
    let only = store::minutes(
        &pool,
        id,
        minute + TimeDelta::minutes(1),
        minute + TimeDelta::minutes(2),
    )
    .await
    .unwrap();
    assert_eq!(only.len(), 1);
    let raw: i64 = sqlx::query_scalar("SELECT count(*) FROM probe_results WHERE target_id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(raw, 11);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_mon_1_demo_services_are_registered_once_and_probed_healthy(pool: PgPool) {
    let services = DemoServices::new();
    // An operator's own target for production blue is never overwritten.
    let own = add_target(
        &pool,
        spec(
            "production",
            Some("blue"),
            "https://prod-blue.example/health".into(),
        ),
    )
    .await;

    let first = prober::register_demo_targets(&pool, &services)
        .await
        .unwrap();
    assert_eq!(
        first.len(),
        7,
        "4 environments × 2 colours, less the operator's"
    );
    assert!(!first.contains(&own));
    let again = prober::register_demo_targets(&pool, &services)
        .await
        .unwrap();
    assert_eq!(first, again, "idempotent");
    let created: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'probe_target.create' AND actor = 'system'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(created, 8, "7 demo registrations + the operator's target");
    let targets = store::targets(&pool).await.unwrap();
    let prod_blue = targets
        .iter()
        .find(|t| t.environment == "production" && t.colour.as_deref() == Some("blue"))
        .unwrap();
    assert_eq!(prod_blue.url, "https://prod-blue.example/health");
    assert_eq!(prod_blue.managed_by, "settings");

    // Probe the demo targets only (the operator's host does not exist).
    sqlx::query("UPDATE probe_targets SET enabled = FALSE WHERE id = $1")
        .bind(own)
        .execute(&pool)
        .await
        .unwrap();
    let probed: HashSet<i64> = run_pass(&pool, Utc::now()).await.into_iter().collect();
    assert_eq!(probed, first.iter().copied().collect());
    for id in &first {
        let rows = results(&pool, *id).await;
        assert_eq!(rows.len(), 1);
        assert!(rows[0].ok, "{:?}", rows[0]);
        assert_eq!(rows[0].checks["database"]["status"], "ok");
    }

    // An environment moved off the demo driver: its demo targets stop.
    sqlx::query("UPDATE deploy_settings SET driver = 'command' WHERE environment = 'local'")
        .execute(&pool)
        .await
        .unwrap();
    let left = prober::register_demo_targets(&pool, &services)
        .await
        .unwrap();
    assert_eq!(left.len(), 5);
    let enabled_local: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM probe_targets WHERE environment = 'local' AND enabled",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(enabled_local, 0);
}

#[test]
fn r_mon_1_judgement_of_answers() {
    assert!(prober::judge(200, "OK").0);
    assert!(prober::judge(204, "").0);
    assert!(prober::judge(200, r#"{"status":"ok","checks":{"db":"ok"}}"#).0);
    let (ok, error, _) = prober::judge(503, r#"{"status":"ok"}"#);
    assert!(!ok);
    assert_eq!(error.as_deref(), Some("HTTP 503"));
    let (ok, error, checks) =
        prober::judge(200, r#"{"status":"ok","checks":{"memory":{"rss":1}}}"#);
    assert!(!ok);
    assert_eq!(error.as_deref(), Some("unhealthy: memory: no status"));
    assert_eq!(checks["memory"], json!({"status": null, "rss": 1}));
}
