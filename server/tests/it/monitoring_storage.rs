//! Monitoring storage (issue 10 item 3, decision 0020): retention by the
//! seeded settings (raw 90 days, rollups 60 months), batched purges that two
//! processes can run at once, and the hourly rollup of system samples kept
//! exact by the ingest (R-MON-2).

use chrono::{DateTime, Duration, DurationRound, TimeZone, Utc};
use opsdeck_app::model::monitoring::RetentionSettings;
use opsdeck_app::store::audit::Actor;
use opsdeck_app::store::metrics;
use opsdeck_app::store::monitoring::{self, retention};
use serde_json::json;
use sqlx::PgPool;

async fn target(pool: &PgPool, env: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO probe_targets (environment, url) VALUES ($1, 'http://127.0.0.1:9/health') RETURNING id",
    )
    .bind(env)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// One row in every purged table at `at` (a minute of `target`; `source` keys the metrics).
async fn rows_at(pool: &PgPool, target: i64, at: DateTime<Utc>, source: &str) {
    let minute = at.duration_trunc(Duration::minutes(1)).unwrap();
    let hour = at.duration_trunc(Duration::hours(1)).unwrap();
    sqlx::query(
        "INSERT INTO probe_results (target_id, at, ok, latency_ms) VALUES ($1, $2, TRUE, 10)",
    )
    .bind(target)
    .bind(at)
    .execute(pool)
    .await
    .unwrap();
    // The SLA's statement trigger adds the minute to sla_probe_hours.
    sqlx::query(
        "INSERT INTO probe_minutes (target_id, minute, probes, ok, latency_sum_ms, latency_max_ms) \
         VALUES ($1, $2, 6, 6, 60, 10)",
    )
    .bind(target)
    .bind(minute)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO metric_samples (environment, source, at, cpu_usage) VALUES ('production', $1, $2, 50)",
    )
    .bind(source)
    .bind(at)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO request_minutes (environment, source, minute, class, ok, client_errors, \
         server_errors, timeouts, latency_counts) \
         VALUES ('production', $1, $2, 'api', 1, 0, 0, 0, '{1,0,0,0,0,0,0,0,0,0}')",
    )
    .bind(source)
    .bind(minute)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO request_hours (environment, source, hour, class, ok, client_errors, \
         server_errors, timeouts, latency_counts) \
         VALUES ('production', $1, $2, 'api', 1, 0, 0, 0, '{1,0,0,0,0,0,0,0,0,0}')",
    )
    .bind(source)
    .bind(hour)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO metric_sample_hours (environment, source, hour, samples, cpu_n, cpu_sum, cpu_max) \
         VALUES ('production', $1, $2, 1, 1, 50, 50)",
    )
    .bind(source)
    .bind(hour)
    .execute(pool)
    .await
    .unwrap();
    // An alert's history entry (R-MON-4), on one of the seeded rules.
    sqlx::query(
        "INSERT INTO alert_events (rule_id, environment, kind, at) \
         SELECT min(id), 'production', 'acknowledged', $1 FROM alert_rules",
    )
    .bind(at)
    .execute(pool)
    .await
    .unwrap();
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn counts(pool: &PgPool) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for (table, _, _) in retention::TABLES {
        out.push((table, count(pool, table).await));
    }
    out
}

fn noon(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn seeded_retention_keeps_90_days_raw_and_5_years_of_rollups_issue_10_item_3(pool: PgPool) {
    let s = monitoring::settings(&pool).await.unwrap();
    assert_eq!(
        s,
        RetentionSettings {
            raw_retention_days: 90,
            rollup_retention_months: 60
        }
    );
    let now = noon(2026, 11, 29);
    let t = target(&pool, "production").await;
    // Recent, past the raw retention, past the rollup retention.
    rows_at(&pool, t, now - Duration::days(1), "web-1").await;
    rows_at(&pool, t, now - Duration::days(120), "web-2").await;
    rows_at(&pool, t, noon(2021, 11, 20), "web-3").await;
    let before = counts(&pool).await;
    assert!(before.iter().all(|(_, n)| *n == 3), "{before:?}");

    let deleted = retention::purge(&pool, now, 2)
        .await
        .unwrap()
        .expect("nobody else purges");
    let deleted: std::collections::BTreeMap<_, _> = deleted.into_iter().collect();
    // Raw rows: the 120-day-old and the 5-year-old; rollups: the 5-year-old only.
    assert_eq!(deleted.get("probe_results"), Some(&2));
    assert_eq!(deleted.get("metric_samples"), Some(&2));
    for rollup in [
        "probe_minutes",
        "sla_probe_hours",
        "request_minutes",
        "request_hours",
        "metric_sample_hours",
        "alert_events",
    ] {
        assert_eq!(deleted.get(rollup), Some(&1), "{rollup}");
    }
    let after = counts(&pool).await;
    for (table, n) in &after {
        let raw = matches!(*table, "probe_results" | "metric_samples");
        assert_eq!(*n, if raw { 1 } else { 2 }, "{table}");
    }
    // The kept minutes and their hours still agree (the trigger and the purge).
    let (minutes, hours): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM probe_minutes), \
                (SELECT coalesce(sum(data_minutes), 0)::int8 FROM sla_probe_hours)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(minutes, hours);

    // A second pass finds nothing more.
    let again = retention::purge(&pool, now, 2).await.unwrap().unwrap();
    assert!(again.is_empty(), "{again:?}");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn retention_follows_the_settings_issue_10_item_3(pool: PgPool) {
    let now = noon(2026, 11, 29);
    let t = target(&pool, "staging").await;
    rows_at(&pool, t, now - Duration::days(40), "web-1").await;
    rows_at(&pool, t, now - Duration::days(200), "web-2").await;
    let mut tx = pool.begin().await.unwrap();
    monitoring::save_settings(
        &mut tx,
        &Actor::system(),
        &RetentionSettings {
            raw_retention_days: 30,
            rollup_retention_months: 6,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'monitoring.retention' \
         AND after->>'raw_retention_days' = '30'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    retention::purge(&pool, now, 1000).await.unwrap().unwrap();
    assert_eq!(
        count(&pool, "probe_results").await,
        0,
        "40 days > 30 days raw"
    );
    assert_eq!(count(&pool, "metric_samples").await, 0);
    assert_eq!(
        count(&pool, "probe_minutes").await,
        1,
        "200 days > 6 months"
    );
    assert_eq!(count(&pool, "request_hours").await, 1);

    // Rollups shorter than raw rows are refused, and nothing changes.
    let mut tx = pool.begin().await.unwrap();
    let refused = monitoring::save_settings(
        &mut tx,
        &Actor::system(),
        &RetentionSettings {
            raw_retention_days: 400,
            rollup_retention_months: 6,
        },
    )
    .await;
    assert!(matches!(
        refused,
        Err(monitoring::SettingsError::Invalid(
            monitoring::RetentionProblem::RollupShorterThanRaw
        ))
    ));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn two_processes_purging_at_once_delete_each_row_once_issue_10_item_3(pool: PgPool) {
    let now = noon(2026, 11, 29);
    let t = target(&pool, "production").await;
    // 3 000 old probes and minutes in bulk.
    sqlx::query(
        "INSERT INTO probe_results (target_id, at, ok, latency_ms) \
         SELECT $1, $2 - make_interval(mins => g), TRUE, 5 FROM generate_series(1, 3000) g",
    )
    .bind(t)
    .bind(now - Duration::days(100))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO probe_minutes (target_id, minute, probes, ok, latency_sum_ms, latency_max_ms) \
         SELECT $1, date_trunc('minute', $2 - make_interval(mins => g)), 6, 6, 30, 5 \
         FROM generate_series(1, 3000) g",
    )
    .bind(t)
    .bind(noon(2021, 6, 1))
    .execute(&pool)
    .await
    .unwrap();
    let (a, b) = tokio::join!(
        retention::purge(&pool, now, 100),
        retention::purge(&pool, now, 100)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    // One of them ran (or both, one after the other); none failed.
    let total = |r: &Option<Vec<(&str, u64)>>, table: &str| -> u64 {
        r.iter()
            .flatten()
            .filter(|(t, _)| *t == table)
            .map(|(_, n)| *n)
            .sum()
    };
    assert_eq!(
        total(&a, "probe_results") + total(&b, "probe_results"),
        3000
    );
    assert_eq!(
        total(&a, "probe_minutes") + total(&b, "probe_minutes"),
        3000
    );
    assert_eq!(count(&pool, "probe_results").await, 0);
    assert_eq!(count(&pool, "sla_probe_hours").await, 0);

    // The batch statement itself claims rows with SKIP LOCKED: while one
    // transaction holds rows, another purge skips them and does not wait.
    sqlx::query(
        "INSERT INTO probe_results (target_id, at, ok, latency_ms) \
         SELECT $1, $2 - make_interval(mins => g), TRUE, 5 FROM generate_series(1, 10) g",
    )
    .bind(t)
    .bind(now - Duration::days(100))
    .execute(&pool)
    .await
    .unwrap();
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("SELECT id FROM probe_results ORDER BY id LIMIT 4 FOR UPDATE")
        .execute(&mut *holder)
        .await
        .unwrap();
    let purged = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        retention::purge(&pool, now, 100),
    )
    .await
    .expect("a purge never waits on locked rows")
    .unwrap()
    .unwrap();
    assert_eq!(purged, vec![("probe_results", 6)]);
    holder.rollback().await.unwrap();
    assert_eq!(count(&pool, "probe_results").await, 4);
}

fn sample_batch(source: &str, at: &[(DateTime<Utc>, f64)]) -> serde_json::Value {
    json!({
        "environment": "production",
        "source": source,
        "samples": at.iter().map(|(t, cpu)| json!({
            "at": t.to_rfc3339(), "cpu_usage": cpu, "connections": 100
        })).collect::<Vec<_>>(),
    })
}

async fn ingest(pool: &PgPool, body: serde_json::Value, now: DateTime<Utc>) {
    let batch = metrics::parse_batch(&body, now).unwrap();
    let mut tx = pool.begin().await.unwrap();
    metrics::ingest(&mut tx, &batch).await.unwrap();
    tx.commit().await.unwrap();
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn sample_hours_follow_the_samples_and_replacements_r_mon_2(pool: PgPool) {
    let now = Utc::now().duration_trunc(Duration::hours(1)).unwrap();
    let h1 = now - Duration::hours(2);
    let h2 = now - Duration::hours(1);
    ingest(
        &pool,
        sample_batch(
            "web-1",
            &[
                (h1, 40.0),
                (h1 + Duration::minutes(30), 60.0),
                (h2 + Duration::minutes(5), 90.0),
            ],
        ),
        now,
    )
    .await;
    // Re-sent: the 60 becomes 20, and a sample without CPU joins hour 2.
    ingest(
        &pool,
        json!({"environment": "production", "source": "web-1", "samples": [
            {"at": (h1 + Duration::minutes(30)).to_rfc3339(), "cpu_usage": 20},
            {"at": (h2 + Duration::minutes(6)).to_rfc3339(), "memory_usage": 50}
        ]}),
        now,
    )
    .await;
    // hour, samples, cpu_n, cpu_sum, cpu_max, connections_n
    type HourRow = (DateTime<Utc>, i32, i32, f64, Option<f64>, i32);
    let rows: Vec<HourRow> = sqlx::query_as(
        "SELECT hour, samples, cpu_n, cpu_sum, cpu_max, connections_n FROM metric_sample_hours \
         WHERE environment = 'production' AND source = 'web-1' ORDER BY hour",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![
            (h1, 2, 2, 60.0, Some(40.0), 1),
            (h2, 2, 1, 90.0, Some(90.0), 1),
        ]
    );
    // What the 7- and 30-day charts read: the average over the samples that measured it.
    let points = monitoring::series::sample_hours(&pool, "production", h1, now)
        .await
        .unwrap();
    assert_eq!(points.len(), 2);
    assert_eq!(points[0].values[0], (Some(30.0), Some(40.0)));
    assert_eq!(points[1].values[1], (Some(50.0), Some(50.0)));
}
