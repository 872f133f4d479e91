//! Monitoring settings and the metrics view (issue 10 items 1 and 4;
//! R-MON-1, R-MON-2): operators change a probe target through
//! `/rpc/monitoring/update_target` (validated, audited, demo targets stay
//! the server's unless their URL changes), everyone reads the targets
//! (URLs whole only for operators) and the charts with their thresholds.

use crate::support::*;
use chrono::{Duration, DurationRound, Utc};
use opsdeck_app::error::AppError;
use opsdeck_app::model::monitoring::{MetricsView, MonitoringSettingsView, TargetRow};
use opsdeck_app::role::Role;
use opsdeck_app::store::metrics;
use opsdeck_app::store::monitoring;
use serde_json::json;
use sqlx::PgPool;

async fn target(pool: &PgPool, env: &str, colour: Option<&str>, url: &str, managed: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO probe_targets (environment, colour, url, managed_by) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(env)
    .bind(colour)
    .bind(url)
    .bind(managed)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn update(
    app: &TestApp,
    client: &reqwest::Client,
    id: i64,
    url: &str,
    interval: &str,
    timeout: &str,
    enabled: bool,
) -> reqwest::Response {
    let id = id.to_string();
    let mut form = vec![
        ("id", id.as_str()),
        ("url", url),
        ("interval_ms", interval),
        ("timeout_ms", timeout),
    ];
    if enabled {
        form.push(("enabled", "true"));
    }
    app.rpc(client, "/rpc/monitoring/update_target", &form)
        .await
}

fn field_of(e: &AppError) -> Vec<String> {
    match e {
        AppError::Validation(v) => v.iter().map(|f| f.field.clone()).collect(),
        other => panic!("not a validation error: {other:?}"),
    }
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn operator_changes_a_probe_target_with_clear_errors_r_mon_1(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "op", &[Role::Operator]).await;
    let op = app.signed_in("op").await;
    let id = target(
        &pool,
        "staging",
        None,
        "https://stg.example/health",
        "settings",
    )
    .await;

    let res = update(
        &app,
        &op,
        id,
        "https://user:pw@stg2.example/health?t=1",
        "30000",
        "2000",
        false,
    )
    .await;
    assert_eq!(res.status(), 200);
    let row: TargetRow = res.json().await.unwrap();
    assert_eq!(
        (row.interval_ms, row.timeout_ms, row.enabled),
        (30_000, 2_000, false)
    );
    assert_eq!(row.url, "https://user:pw@stg2.example/health?t=1");
    let (before, after): (serde_json::Value, serde_json::Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'probe_target.update' \
         AND target = 'probe_target:staging:public'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(before["interval_ms"], 10_000);
    assert_eq!(after["enabled"], false);
    // The audit log never keeps the URL's credentials, path or query.
    assert_eq!(after["url"], "https://stg2.example/…");

    // Each bad field is named.
    let (status, e) =
        app_error(update(&app, &op, id, "ftp://x", "30000", "2000", true).await).await;
    assert_eq!((status, field_of(&e)), (422, vec!["url".to_string()]));
    let (status, e) =
        app_error(update(&app, &op, id, "https://a.example", "500", "100", true).await).await;
    assert_eq!(
        (status, field_of(&e)),
        (422, vec!["interval_ms".to_string()])
    );
    let (status, e) =
        app_error(update(&app, &op, id, "https://a.example", "10000", "20000", true).await).await;
    assert_eq!(
        (status, field_of(&e)),
        (422, vec!["timeout_ms".to_string()])
    );
    let (status, e) =
        app_error(update(&app, &op, id, "https://a.example", "ten", "x", true).await).await;
    assert_eq!(
        (status, field_of(&e)),
        (
            422,
            vec!["interval_ms".to_string(), "timeout_ms".to_string()]
        )
    );
    let (status, _) = app_error(
        update(
            &app,
            &op,
            999_999,
            "https://a.example",
            "10000",
            "5000",
            true,
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    // Nothing of the refused changes was stored.
    let url: String = sqlx::query_scalar("SELECT url FROM probe_targets WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(url, "https://user:pw@stg2.example/health?t=1");

    // A viewer reads the targets, their URLs only as scheme and host.
    create_user(&pool, "viewer", &[Role::Viewer]).await;
    let viewer = app.signed_in("viewer").await;
    let res = app.rpc(&viewer, "/rpc/monitoring/settings", &[]).await;
    assert_eq!(res.status(), 200);
    let v: MonitoringSettingsView = res.json().await.unwrap();
    assert_eq!(v.targets[0].url, "https://stg2.example/…");
    assert_eq!(v.retention.raw_retention_days, 90);
    assert!(v
        .thresholds
        .iter()
        .any(|t| t.metric == "cpu_usage" && t.threshold == 70.0));
    let res = update(
        &app,
        &viewer,
        id,
        "https://a.example",
        "10000",
        "5000",
        true,
    )
    .await;
    assert_eq!(res.status(), 403);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn demo_targets_stay_the_servers_unless_their_url_changes_r_mon_1(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "op", &[Role::Operator]).await;
    let op = app.signed_in("op").await;
    let url = "http://127.0.0.1:40001/health";
    let id = target(&pool, "production", Some("blue"), url, "demo").await;
    let res = update(&app, &op, id, url, "20000", "5000", true).await;
    assert_eq!(res.status(), 200);
    let row: TargetRow = res.json().await.unwrap();
    assert_eq!((row.managed_by.as_str(), row.interval_ms), ("demo", 20_000));
    // The server still refreshes its URL.
    let mut tx = pool.begin().await.unwrap();
    opsdeck_app::store::probes::register_demo_target(
        &mut tx,
        opsdeck::deploy_gate::Environment::Production,
        "blue",
        "http://127.0.0.1:40002/health",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let res = update(
        &app,
        &op,
        id,
        "https://prod-blue.example/health",
        "20000",
        "5000",
        true,
    )
    .await;
    let row: TargetRow = res.json().await.unwrap();
    assert_eq!(row.managed_by, "settings", "a new URL takes it over");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn demo_public_targets_follow_the_live_colour_r_mon_1(pool: PgPool) {
    sqlx::query(
        "INSERT INTO environments (name, key, position, live_colour) VALUES ('Staging', 'staging', 2, 'green')",
    )
    .execute(&pool)
    .await
    .unwrap();
    target(
        &pool,
        "staging",
        Some("blue"),
        "http://127.0.0.1:41001/health",
        "demo",
    )
    .await;
    target(
        &pool,
        "staging",
        Some("green"),
        "http://127.0.0.1:41002/health",
        "demo",
    )
    .await;
    let public = target(&pool, "staging", None, "http://127.0.0.1:9/health", "demo").await;
    assert_eq!(
        monitoring::refresh_demo_public_urls(&pool).await.unwrap(),
        1
    );
    let url: String = sqlx::query_scalar("SELECT url FROM probe_targets WHERE id = $1")
        .bind(public)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(url, "http://127.0.0.1:41002/health");
    assert_eq!(
        monitoring::refresh_demo_public_urls(&pool).await.unwrap(),
        0
    );
    sqlx::query("UPDATE environments SET live_colour = 'blue' WHERE key = 'staging'")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        monitoring::refresh_demo_public_urls(&pool).await.unwrap(),
        1
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn metrics_view_draws_the_seeded_thresholds_r_mon_2(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "viewer", &[Role::Viewer]).await;
    let viewer = app.signed_in("viewer").await;
    let now = Utc::now();
    // The same figures in a finished hour and in a finished 5-minute bucket
    // of the last hour: each range shows whole buckets only.
    let minutes = [
        now.duration_trunc(Duration::hours(1)).unwrap() - Duration::minutes(10),
        now.duration_trunc(Duration::minutes(5)).unwrap() - Duration::minutes(3),
    ];
    let samples: Vec<_> = minutes
        .iter()
        .map(|m| {
            json!({"at": m.to_rfc3339(), "cpu_usage": 85, "memory_usage": 40,
                   "disk_usage": 50, "network_latency_ms": 20, "connections": 300})
        })
        .collect();
    let requests: Vec<_> = minutes
        .iter()
        .map(|m| {
            json!({"minute": m.to_rfc3339(), "class": "api", "ok": 95, "client_errors": 0,
                   "server_errors": 5, "timeouts": 0,
                   "latency_buckets_ms": [25, 50, 100, 200, 300, 500, 1000, 2000, 5000],
                   "latency_counts": [0, 0, 95, 5, 0, 0, 0, 0, 0, 0]})
        })
        .collect();
    let body = json!({"environment": "staging", "source": "web-1",
        "samples": samples, "requests": requests});
    let batch = metrics::parse_batch(&body, now).unwrap();
    let mut tx = pool.begin().await.unwrap();
    metrics::ingest(&mut tx, &batch).await.unwrap();
    tx.commit().await.unwrap();
    // A threshold is data: memory's limit moved to 30 % shows on the chart.
    sqlx::query("UPDATE monitoring_thresholds SET threshold = 30 WHERE metric = 'memory_usage'")
        .execute(&pool)
        .await
        .unwrap();

    for range in ["1h", "24h", "7d", "30d"] {
        let res = app
            .rpc(
                &viewer,
                "/rpc/monitoring/view",
                &[("environment", "staging"), ("range", range)],
            )
            .await;
        assert_eq!(res.status(), 200, "{range}");
        let v: MetricsView = res.json().await.unwrap();
        assert_eq!(v.hourly, range == "7d" || range == "30d");
        assert_eq!(v.sources, vec!["web-1".to_string()], "{range}");
        let chart = |m: &str| v.charts.iter().find(|c| c.metric == m).unwrap();
        assert_eq!(chart("cpu_usage").threshold, Some(70.0));
        assert_eq!(chart("cpu_usage").latest, Some(85.0), "{range}");
        assert_eq!(chart("memory_usage").threshold, Some(30.0));
        assert_eq!(chart("disk_usage").threshold, Some(80.0));
        assert_eq!(chart("network_latency_ms").threshold, Some(100.0));
        assert_eq!(chart("connections").threshold, Some(1000.0));
        assert_eq!(chart("error_rate").threshold, Some(1.0));
        assert_eq!(chart("error_rate").latest, Some(5.0), "{range}");
        assert_eq!(chart("response_time_p95").latest, Some(100.0), "{range}");
        for c in &v.charts {
            assert!(c.svg.starts_with("<svg"), "{} {range}", c.metric);
        }
        // The limit is drawn and labelled.
        assert!(chart("cpu_usage").svg.contains("70 %"), "{range}");
    }
    let res = app
        .rpc(&viewer, "/rpc/monitoring/view", &[("range", "2w")])
        .await;
    let (status, e) = app_error(res).await;
    assert_eq!((status, field_of(&e)), (422, vec!["range".to_string()]));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn ingest_refuses_what_the_raw_retention_would_purge_r_mon_2(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "root", &[Role::Admin]).await;
    let admin = app.signed_in("root").await;
    let res = app
        .rpc(
            &admin,
            "/rpc/tokens/create",
            &[("name", "web-metrics"), ("scopes", "ingest")],
        )
        .await;
    let token = res.json::<serde_json::Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_string();
    let at = (Utc::now() - Duration::days(40))
        .duration_trunc(Duration::minutes(1))
        .unwrap();
    let post = || async {
        reqwest::Client::new()
            .post(format!("{}/api/v1/metrics", app.url))
            .bearer_auth(&token)
            .json(&json!({"environment": "production", "source": "late",
                          "samples": [{"at": at.to_rfc3339(), "cpu_usage": 10}]}))
            .send()
            .await
            .unwrap()
    };
    // 40 days old is inside the seeded 90 days …
    assert_eq!(post().await.status(), 200);
    // … and refused once an operator keeps raw samples 30 days.
    let res = app
        .rpc(
            &admin,
            "/rpc/monitoring/save_retention",
            &[
                ("raw_retention_days", "30"),
                ("rollup_retention_months", "60"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = post().await;
    assert_eq!(res.status(), 422);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(v["errors"][0]["field"], "samples[0].at");
    assert_eq!(v["errors"][0]["problem"], "too_old");
    // A bad retention is named by its field.
    let (status, e) = app_error(
        app.rpc(
            &admin,
            "/rpc/monitoring/save_retention",
            &[
                ("raw_retention_days", "400"),
                ("rollup_retention_months", "6"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, field_of(&e)),
        (422, vec!["rollup_retention_months".to_string()])
    );
}
