//! `GET /health` in the policy's shape (R-MON-1).

use crate::support::*;
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A one-command Redis stand-in over real TCP: answers every request with `reply`.
async fn fake_redis(reply: &'static [u8]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 64];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 || s.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    format!("redis://{addr}")
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn health_has_the_policy_shape_and_skips_unconfigured_redis(pool: PgPool) {
    let app = spawn(pool).await;
    let res = reqwest::get(format!("{}/health", app.url)).await.unwrap();
    let status = res.status();
    let body: serde_json::Value = res.json().await.unwrap();
    for check in ["database", "redis", "disk", "memory"] {
        assert!(
            body["checks"][check]["status"].is_string(),
            "{check}: {body}"
        );
    }
    assert_eq!(body["checks"]["database"]["status"], "ok");
    assert_eq!(body["checks"]["redis"]["status"], "skipped");
    assert!(chrono::DateTime::parse_from_rfc3339(body["timestamp"].as_str().unwrap()).is_ok());
    // 200 exactly when every check is ok or skipped (disk/memory depend on this machine).
    let all_ok = ["disk", "memory"]
        .iter()
        .all(|c| body["checks"][c]["status"] == "ok");
    assert_eq!(status == 200, all_ok, "{body}");
    assert_eq!(body["status"], if all_ok { "ok" } else { "degraded" });
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn redis_is_pinged_for_real_when_configured(pool: PgPool) {
    let good = fake_redis(b"+PONG\r\n").await;
    let app = spawn_with(pool.clone(), &[("OPSDECK_REDIS_URL", &good)]).await;
    let body: serde_json::Value = reqwest::get(format!("{}/health", app.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["checks"]["redis"]["status"], "ok", "{body}");

    let bad = fake_redis(b"-ERR nope\r\n").await;
    let app = spawn_with(pool, &[("OPSDECK_REDIS_URL", &bad)]).await;
    let res = reqwest::get(format!("{}/health", app.url)).await.unwrap();
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["checks"]["redis"]["status"], "error");
    assert_eq!(body["status"], "degraded");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_lost_database_makes_health_503(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    pool.close().await;
    let res = reqwest::get(format!("{}/health", app.url)).await.unwrap();
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["checks"]["database"]["status"], "error");
}

/// Every string in `v`, however deep.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        serde_json::Value::Object(map) => map.values().for_each(|i| strings(i, out)),
        _ => {}
    }
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn anonymous_health_reveals_no_filesystem_paths(pool: PgPool) {
    let data_dir = std::env::temp_dir().join(format!("opsdeck-health-dir-{}", std::process::id()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let canonical = std::fs::canonicalize(&data_dir).unwrap();
    let app = spawn_with(pool, &[("OPSDECK_DATA_DIR", data_dir.to_str().unwrap())]).await;
    let text = reqwest::get(format!("{}/health", app.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(body["checks"]["disk"]["status"].is_string(), "{body}");
    for path in [data_dir.to_str().unwrap(), canonical.to_str().unwrap()] {
        assert!(!text.contains(path), "{path} leaked: {text}");
    }
    assert!(!text.contains("opsdeck-health-dir"), "{text}");
    let mut all = Vec::new();
    strings(&body, &mut all);
    assert!(
        all.iter().all(|s| !s.starts_with('/')),
        "an absolute path in {body}"
    );
    let _ = std::fs::remove_dir(&data_dir);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn redis_connection_is_reused_across_health_calls(pool: PgPool) {
    // A PONG-answering Redis stand-in that counts the connections it accepts.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://{}", listener.local_addr().unwrap());
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 64];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 || s.write_all(b"+PONG\r\n").await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let app = spawn_with(pool, &[("OPSDECK_REDIS_URL", &url)]).await;
    for _ in 0..5 {
        let body: serde_json::Value = reqwest::get(format!("{}/health", app.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["checks"]["redis"]["status"], "ok", "{body}");
    }
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
}
