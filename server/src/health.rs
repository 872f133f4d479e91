//! `GET /health` in the policy's shape (R-MON-1).
//!
//! `status` (`ok` or `degraded`), `timestamp` and
//! `checks.{database,redis,disk,memory}`, each with its own `status`; 200 when
//! every check is ok (a `skipped` Redis counts as not failing), 503 otherwise.
//! This module measures; the core crate's `HealthBuilder` shapes and judges.

use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use opsdeck::health::{CheckStatus, HealthBuilder, HealthPolicy};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Disk and memory are judged against the policy's system metric limits (R-MON-2).
const DISK_LIMIT_PERCENT: f64 = 80.0;
const MEMORY_LIMIT_PERCENT: f64 = 80.0;
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn health(State(state): State<AppState>) -> Response {
    let (database, redis) = tokio::join!(
        check_database(&state),
        check_redis(state.config.redis_url.as_deref())
    );
    let data_dir = state.config.data_dir.clone();
    let (disk, memory) =
        tokio::task::spawn_blocking(move || (check_disk(&data_dir), check_memory()))
            .await
            .unwrap_or_else(|_| (json!({"status": "error"}), json!({"status": "error"})));
    // The core crate owns the document's shape and the ok/degraded verdict.
    let mut doc = HealthBuilder::new(chrono::Utc::now());
    for (name, check) in [
        ("database", database),
        ("redis", redis),
        ("disk", disk),
        ("memory", memory),
    ] {
        let (status, details) = split_status(check);
        doc = doc.check_with(name, status, details);
    }
    let (body, code) = doc.build(&HealthPolicy::default());
    let code = StatusCode::from_u16(code).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    (code, Json(body)).into_response()
}

/// `{"status": "ok", "latencyMs": 3}` → (`CheckStatus::Ok`, `{"latencyMs": 3}`).
fn split_status(check: Value) -> (CheckStatus, serde_json::Map<String, Value>) {
    let mut details = match check {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    let status = match details.remove("status") {
        Some(Value::String(s)) if s == "ok" => CheckStatus::Ok,
        Some(Value::String(s)) if s == "skipped" => CheckStatus::Skipped,
        Some(Value::String(s)) => CheckStatus::Failed { status: s },
        _ => CheckStatus::NoStatus,
    };
    (status, details)
}

async fn check_database(state: &AppState) -> Value {
    let started = Instant::now();
    let result = tokio::time::timeout(
        CHECK_TIMEOUT,
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&state.pool),
    )
    .await;
    let latency_ms = started.elapsed().as_millis() as u64;
    match result {
        Ok(Ok(_)) => json!({"status": "ok", "latencyMs": latency_ms}),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health: database check failed");
            json!({"status": "error", "latencyMs": latency_ms, "error": "query failed"})
        }
        Err(_) => json!({"status": "error", "latencyMs": latency_ms, "error": "timeout"}),
    }
}

/// `redis://[:password@]host[:port][/db]` → (host:port, password).
fn redis_target(url: &str) -> Option<(String, Option<String>)> {
    let rest = url.strip_prefix("redis://")?;
    let rest = rest.split('/').next()?;
    let (auth, hostport) = match rest.rsplit_once('@') {
        Some((auth, hp)) => (Some(auth), hp),
        None => (None, rest),
    };
    let password = auth
        .map(|a| a.rsplit(':').next().unwrap_or(a).to_string())
        .filter(|p| !p.is_empty());
    let hostport = if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:6379")
    };
    Some((hostport, password))
}

/// A real PING over RESP; no Redis client crate needed for one command.
async fn check_redis(url: Option<&str>) -> Value {
    let Some(url) = url else {
        return json!({"status": "skipped", "reason": "OPSDECK_REDIS_URL not set"});
    };
    let Some((hostport, password)) = redis_target(url) else {
        return json!({"status": "error", "error": "OPSDECK_REDIS_URL is not redis://host:port"});
    };
    let started = Instant::now();
    let ping = async {
        let mut conn = tokio::net::TcpStream::connect(&hostport).await?;
        let mut buf = [0u8; 128];
        if let Some(pw) = password {
            let cmd = format!("*2\r\n$4\r\nAUTH\r\n${}\r\n{}\r\n", pw.len(), pw);
            conn.write_all(cmd.as_bytes()).await?;
            let n = conn.read(&mut buf).await?;
            if !buf[..n].starts_with(b"+OK") {
                return Ok::<bool, std::io::Error>(false);
            }
        }
        conn.write_all(b"*1\r\n$4\r\nPING\r\n").await?;
        let n = conn.read(&mut buf).await?;
        Ok(buf[..n].starts_with(b"+PONG"))
    };
    let latency = |s: Instant| s.elapsed().as_millis() as u64;
    match tokio::time::timeout(CHECK_TIMEOUT, ping).await {
        Ok(Ok(true)) => json!({"status": "ok", "latencyMs": latency(started)}),
        Ok(Ok(false)) => json!({"status": "error", "error": "unexpected reply to PING"}),
        Ok(Err(_)) => json!({"status": "error", "error": "connection failed"}),
        Err(_) => json!({"status": "error", "error": "timeout"}),
    }
}

/// Free space of the volume holding the data directory against the 80% limit.
fn check_disk(data_dir: &std::path::Path) -> Value {
    let path = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let disks = sysinfo::Disks::new_with_refreshed_list();
    let disk = disks
        .list()
        .iter()
        .filter(|d| path.starts_with(d.mount_point()))
        .max_by_key(|d| d.mount_point().as_os_str().len());
    match disk {
        Some(d) if d.total_space() > 0 => {
            let used = d.total_space().saturating_sub(d.available_space());
            let used_percent = used as f64 * 100.0 / d.total_space() as f64;
            json!({
                "status": if used_percent < DISK_LIMIT_PERCENT { "ok" } else { "error" },
                "path": path.display().to_string(),
                "usedPercent": (used_percent * 10.0).round() / 10.0,
                "thresholdPercent": DISK_LIMIT_PERCENT,
                "freeBytes": d.available_space(),
                "totalBytes": d.total_space(),
            })
        }
        _ => {
            json!({"status": "error", "error": "volume not found", "path": path.display().to_string()})
        }
    }
}

/// Process resident memory and system use against the 80% limit.
fn check_memory() -> Value {
    let mut sys = sysinfo::System::new();
    sys.refresh_memory();
    let pid = sysinfo::Pid::from_u32(std::process::id());
    sys.refresh_processes(sysinfo::ProcessesToUpdate::Some(&[pid]), true);
    let rss = sys.process(pid).map(|p| p.memory()).unwrap_or(0);
    let total = sys.total_memory();
    let used_percent = if total > 0 {
        sys.used_memory() as f64 * 100.0 / total as f64
    } else {
        0.0
    };
    json!({
        "status": if total > 0 && used_percent < MEMORY_LIMIT_PERCENT { "ok" } else { "error" },
        "processRssBytes": rss,
        "systemUsedPercent": (used_percent * 10.0).round() / 10.0,
        "thresholdPercent": MEMORY_LIMIT_PERCENT,
        "systemTotalBytes": total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_urls() {
        assert_eq!(
            redis_target("redis://127.0.0.1"),
            Some(("127.0.0.1:6379".into(), None))
        );
        assert_eq!(
            redis_target("redis://:pw@h:7000/2"),
            Some(("h:7000".into(), Some("pw".into())))
        );
        assert_eq!(redis_target("http://x"), None);
    }

    #[tokio::test]
    async fn redis_is_skipped_without_url_and_fails_on_closed_port() {
        assert_eq!(check_redis(None).await["status"], "skipped");
        assert_eq!(
            check_redis(Some("redis://127.0.0.1:1")).await["status"],
            "error"
        );
    }

    #[test]
    fn disk_and_memory_report_numbers() {
        let d = check_disk(std::path::Path::new("."));
        assert!(d["usedPercent"].as_f64().is_some(), "{d}");
        let m = check_memory();
        assert!(m["processRssBytes"].as_u64().is_some_and(|b| b > 0), "{m}");
    }
}
