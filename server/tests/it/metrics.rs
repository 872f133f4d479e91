//! Metric ingest (issue 10, R-MON-2): batches through `POST /api/v1/metrics`
//! over real HTTP into the real Postgres — stored, idempotent on their keys,
//! refused whole (422 naming the item) when any item is bad, 413 over 1 MB.

use crate::support::*;
use chrono::{DateTime, Duration, DurationRound, Utc};
use opsdeck_app::model::metrics::LATENCY_BOUNDS_MS;
use opsdeck_app::role::Role;
use serde_json::{json, Value};
use sqlx::PgPool;

async fn ingest_token(app: &TestApp, pool: &PgPool) -> String {
    create_user(pool, "root", &[Role::Admin]).await;
    let admin = app.signed_in("root").await;
    let res = app
        .rpc(
            &admin,
            "/rpc/tokens/create",
            &[("name", "web-metrics"), ("scopes", "ingest")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    v["secret"].as_str().unwrap().to_string()
}

async fn post(app: &TestApp, token: &str, body: String) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/metrics", app.url))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The start of the minute `ago` minutes before now.
fn minute(ago: i64) -> DateTime<Utc> {
    (Utc::now() - Duration::minutes(ago))
        .duration_trunc(Duration::minutes(1))
        .unwrap()
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn request(at: DateTime<Utc>, class: &str, ok: i64) -> Value {
    // ok + 10 + 1 requests: everything but the last 11 fast, those slow.
    let mut counts = vec![0i64; 10];
    counts[2] = ok;
    counts[6] = 10;
    counts[9] = 1;
    json!({"minute": rfc(at), "class": class, "ok": ok, "client_errors": 10,
           "server_errors": 1, "timeouts": 0, "latency_buckets_ms": LATENCY_BOUNDS_MS,
           "latency_counts": counts})
}

/// Two samples and four request minutes (two classes over two minutes).
fn batch() -> Value {
    json!({
        "environment": "production",
        "source": "web-1",
        "samples": [
            {"at": rfc(minute(2)), "cpu_usage": 41.5, "memory_usage": 62, "disk_usage": 55,
             "network_latency_ms": 12, "connections": 340},
            {"at": rfc(minute(1)), "cpu_usage": 43.0, "memory_usage": 63},
        ],
        "requests": [
            request(minute(2), "api", 1200),
            request(minute(2), "search", 80),
            request(minute(1), "api", 1100),
            request(minute(1), "page", 300),
        ],
    })
}

/// (samples, minute rows, hour rows, requests counted in minutes, in hours).
async fn totals(pool: &PgPool) -> (i64, i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM metric_samples), (SELECT count(*) FROM request_minutes), \
         (SELECT count(*) FROM request_hours), \
         (SELECT coalesce(sum(ok + client_errors + server_errors + timeouts), 0)::int8 FROM request_minutes), \
         (SELECT coalesce(sum(ok + client_errors + server_errors + timeouts), 0)::int8 FROM request_hours)",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Each hour row is the bucket-wise sum of its minutes.
async fn assert_hours_match_minutes(pool: &PgPool) {
    let mismatched: i64 = sqlx::query_scalar(
        "WITH m AS (
             SELECT environment, source, date_trunc('hour', minute AT TIME ZONE 'UTC') AS hour, class,
                    sum(ok) ok, sum(client_errors) ce, sum(server_errors) se, sum(timeouts) t,
                    ARRAY(SELECT sum(c) FROM request_minutes r2, UNNEST(r2.latency_counts) WITH ORDINALITY u(c, i)
                          WHERE r2.environment = r.environment AND r2.source = r.source AND r2.class = r.class
                            AND date_trunc('hour', r2.minute AT TIME ZONE 'UTC') = date_trunc('hour', r.minute AT TIME ZONE 'UTC')
                          GROUP BY i ORDER BY i)::int8[] AS counts
             FROM request_minutes r GROUP BY environment, source, 3, class, counts)
         SELECT count(*) FROM m FULL JOIN request_hours h
           ON h.environment = m.environment AND h.source = m.source AND h.class = m.class
          AND h.hour AT TIME ZONE 'UTC' = m.hour
         WHERE m.ok IS DISTINCT FROM h.ok OR m.ce IS DISTINCT FROM h.client_errors
            OR m.se IS DISTINCT FROM h.server_errors OR m.t IS DISTINCT FROM h.timeouts
            OR m.counts IS DISTINCT FROM h.latency_counts",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        mismatched, 0,
        "request_hours disagrees with request_minutes"
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_valid_batch_is_stored_r_mon_2(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let token = ingest_token(&app, &pool).await;
    let (status, body) = post(&app, &token, batch().to_string()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"samples": 2, "requests": 4}));

    let sample: (f64, f64, f64, f64, i64) = sqlx::query_as(
        "SELECT cpu_usage, memory_usage, disk_usage, network_latency_ms, connections \
         FROM metric_samples WHERE environment = 'production' AND source = 'web-1' AND at = $1",
    )
    .bind(minute(2))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(sample, (41.5, 62.0, 55.0, 12.0, 340));
    // A metric the source did not send is NULL (not measured), not zero.
    let disk: Option<f64> =
        sqlx::query_scalar("SELECT disk_usage FROM metric_samples WHERE at = $1")
            .bind(minute(1))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(disk, None);

    let api: (i64, i64, i64, i64, Vec<i64>) = sqlx::query_as(
        "SELECT ok, client_errors, server_errors, timeouts, latency_counts FROM request_minutes \
         WHERE environment = 'production' AND source = 'web-1' AND class = 'api' AND minute = $1",
    )
    .bind(minute(2))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        api,
        (1200, 10, 1, 0, vec![0, 0, 1200, 0, 0, 0, 10, 0, 0, 1])
    );
    let (samples, minutes, _, in_minutes, in_hours) = totals(&pool).await;
    assert_eq!((samples, minutes), (2, 4));
    assert_eq!(in_minutes, 1200 + 80 + 1100 + 300 + 4 * 11);
    assert_eq!(in_hours, in_minutes);
    assert_hours_match_minutes(&pool).await;
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_same_batch_twice_keeps_the_same_totals_r_mon_2(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let token = ingest_token(&app, &pool).await;
    let body = batch().to_string();
    let first = post(&app, &token, body.clone()).await;
    let once = totals(&pool).await;
    let second = post(&app, &token, body).await;
    assert_eq!(first, second, "a retry answers the same");
    assert_eq!(totals(&pool).await, once, "a retry adds nothing");
    assert_hours_match_minutes(&pool).await;

    // A corrected minute replaces the stored one, in the hours too.
    let fix = json!({"environment": "production", "source": "web-1",
                     "samples": [{"at": rfc(minute(2)), "cpu_usage": 90}],
                     "requests": [request(minute(2), "api", 5)]});
    let (status, _) = post(&app, &token, fix.to_string()).await;
    assert_eq!(status, 200);
    let (samples, minutes, _, in_minutes, in_hours) = totals(&pool).await;
    assert_eq!((samples, minutes), (2, 4));
    assert_eq!(in_minutes, once.3 - 1200 + 5);
    assert_eq!(in_hours, in_minutes);
    assert_hours_match_minutes(&pool).await;
    let cpu: (Option<f64>, Option<f64>) =
        sqlx::query_as("SELECT cpu_usage, memory_usage FROM metric_samples WHERE at = $1")
            .bind(minute(2))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        cpu,
        (Some(90.0), None),
        "the re-sent sample replaces, not merges"
    );

    // Another source's same minute is its own row.
    let other = json!({"environment": "production", "source": "web-2",
                       "requests": [request(minute(2), "api", 7)]});
    assert_eq!(post(&app, &token, other.to_string()).await.0, 200);
    assert_eq!(totals(&pool).await.1, 5);
    assert_hours_match_minutes(&pool).await;
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn each_bad_item_is_422_by_name_and_nothing_is_stored_r_mon_2(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let token = ingest_token(&app, &pool).await;
    type Spoil = fn(&mut Value);
    let cases: &[(&str, Spoil)] = &[
        ("samples[1].cpu_usge", |v| {
            v["samples"][1]["cpu_usge"] = json!(3)
        }),
        ("samples[0].connections", |v| {
            v["samples"][0]["connections"] = json!(-1)
        }),
        ("samples[0].memory_usage", |v| {
            v["samples"][0]["memory_usage"] = json!(100.5)
        }),
        ("samples[1].cpu_usage", |v| {
            v["samples"][1]["cpu_usage"] = json!(-0.1)
        }),
        ("samples[0].network_latency_ms", |v| {
            v["samples"][0]["network_latency_ms"] = json!(-5)
        }),
        ("requests[2].ok", |v| v["requests"][2]["ok"] = json!(-1)),
        ("requests[1].class", |v| {
            v["requests"][1]["class"] = json!("rpc")
        }),
        ("requests[3].latency_buckets_ms", |v| {
            v["requests"][3]["latency_buckets_ms"] = json!([50, 100, 200, 500, 1000, 2000, 5000])
        }),
        ("requests[0].latency_counts", |v| {
            v["requests"][0]["timeouts"] = json!(2)
        }),
        ("requests[0].latency_counts", |v| {
            v["requests"][0]["latency_counts"] = json!([1, 2, 3])
        }),
        ("requests[2].latency_counts[4]", |v| {
            v["requests"][2]["latency_counts"][4] = json!(-3)
        }),
        ("requests[1].minute", |v| {
            v["requests"][1]["minute"] = v["requests"][0]["minute"].clone();
            v["requests"][1]["class"] = json!("api");
        }),
        ("environment", |v| v["environment"] = json!("qa")),
        ("source", |v| v["source"] = json!("")),
        ("extra", |v| v["extra"] = json!(1)),
    ];
    for (field, spoil) in cases {
        let mut v = batch();
        spoil(&mut v);
        let (status, body) = post(&app, &token, v.to_string()).await;
        assert_eq!(status, 422, "{field}: {body}");
        assert_eq!(body["error"], "INVALID");
        assert_eq!(body["field"], *field, "{body}");
        assert_eq!(
            totals(&pool).await,
            (0, 0, 0, 0, 0),
            "{field}: nothing stored"
        );
    }
    let (status, body) = post(&app, &token, "[1, 2]".into()).await;
    assert_eq!((status, body["field"].clone()), (422, json!("body")));
    let (status, _) = post(&app, &token, "{not json".into()).await;
    assert_eq!(status, 422);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn future_and_too_old_times_are_refused_r_mon_2(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let token = ingest_token(&app, &pool).await;
    let cases: &[(&str, &str, DateTime<Utc>, &str)] = &[
        ("samples", "at", minute(-7), "in_the_future"),
        ("requests", "minute", minute(-7), "in_the_future"),
        ("samples", "at", minute(91 * 24 * 60), "too_old"),
        ("requests", "minute", minute(91 * 24 * 60), "too_old"),
    ];
    for (list, key, at, problem) in cases {
        let mut v = batch();
        v[*list][1][*key] = json!(rfc(*at));
        let (status, body) = post(&app, &token, v.to_string()).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["field"], format!("{list}[1].{key}"));
        assert_eq!(body["errors"][0]["problem"], *problem);
        assert_eq!(totals(&pool).await, (0, 0, 0, 0, 0));
    }
    // Within the allowed skew (a clock a little ahead) and inside retention: stored.
    let mut v = batch();
    v["samples"][1]["at"] = json!(rfc(Utc::now() + Duration::minutes(3)));
    v["samples"][0]["at"] = json!(rfc(minute(89 * 24 * 60)));
    let (status, body) = post(&app, &token, v.to_string()).await;
    assert_eq!(status, 200, "{body}");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn an_unknown_environment_is_refused_r_mon_2(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let token = ingest_token(&app, &pool).await;
    for env in [json!("qa"), json!("prod"), json!(3), Value::Null] {
        let mut v = batch();
        v["environment"] = env.clone();
        let (status, body) = post(&app, &token, v.to_string()).await;
        assert_eq!(status, 422, "{env}");
        assert_eq!(body["field"], "environment", "{env}");
    }
    assert_eq!(totals(&pool).await, (0, 0, 0, 0, 0));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_body_over_one_megabyte_is_413_r_mon_2(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let token = ingest_token(&app, &pool).await;
    let mut v = batch();
    v["source"] = json!("x".repeat(1024 * 1024));
    let (status, _) = post(&app, &token, v.to_string()).await;
    assert_eq!(status, 413);
    // Streamed in chunks without a length, the handler's own limit answers the same.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.url.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/metrics HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let chunk = " ".repeat(64 * 1024);
    for _ in 0..17 {
        let frame = format!("{:x}\r\n{chunk}\r\n", chunk.len());
        // The server may answer and close before the last chunk: that is the point.
        if tcp.write_all(frame.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = tcp.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert_eq!(totals(&pool).await, (0, 0, 0, 0, 0));
}
