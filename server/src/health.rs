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
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, PoisonError};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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

/// The Redis connection kept for one `OPSDECK_REDIS_URL`: every `/health`
/// call PINGs over it instead of opening a new TCP connection.
struct RedisProbe {
    hostport: String,
    password: Option<String>,
    conn: tokio::sync::Mutex<Option<TcpStream>>,
}

impl RedisProbe {
    /// The probe for `url`, made on first use; `None` when `url` is not `redis://…`.
    fn for_url(url: &str) -> Option<Arc<RedisProbe>> {
        static PROBES: OnceLock<std::sync::Mutex<HashMap<String, Arc<RedisProbe>>>> =
            OnceLock::new();
        let mut probes = PROBES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(probe) = probes.get(url) {
            return Some(probe.clone());
        }
        let (hostport, password) = redis_target(url)?;
        let probe = Arc::new(RedisProbe {
            hostport,
            password,
            conn: tokio::sync::Mutex::new(None),
        });
        probes.insert(url.to_string(), probe.clone());
        Some(probe)
    }

    /// PING over the kept connection; when that fails, once more over a new
    /// connection, which is kept if it answers. One check at a time, so there
    /// is never more than one connection.
    async fn ping(&self) -> std::io::Result<bool> {
        let mut slot = self.conn.lock().await;
        // Taken out while in use: a check cut short by its timeout drops the
        // connection instead of leaving an unread reply for the next check.
        if let Some(mut conn) = slot.take() {
            let kept = tokio::time::timeout(CHECK_TIMEOUT / 2, send_ping(&mut conn)).await;
            if let Ok(Ok(true)) = kept {
                *slot = Some(conn);
                return Ok(true);
            }
        }
        let mut conn = TcpStream::connect(&self.hostport).await?;
        if let Some(pw) = &self.password {
            let cmd = format!("*2\r\n$4\r\nAUTH\r\n${}\r\n{}\r\n", pw.len(), pw);
            conn.write_all(cmd.as_bytes()).await?;
            if !read_reply_line(&mut conn).await?.starts_with(b"+OK") {
                return Ok(false);
            }
        }
        let answered = send_ping(&mut conn).await?;
        if answered {
            *slot = Some(conn);
        }
        Ok(answered)
    }
}

async fn send_ping(conn: &mut TcpStream) -> std::io::Result<bool> {
    conn.write_all(b"*1\r\n$4\r\nPING\r\n").await?;
    Ok(read_reply_line(conn).await?.starts_with(b"+PONG"))
}

/// One RESP reply line (`+PONG\r\n`, `-ERR …\r\n`), read to its end so that
/// nothing is left over for the next command on a kept connection.
async fn read_reply_line(conn: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let mut buf = [0u8; 128];
    while !line.ends_with(b"\r\n") {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        line.extend_from_slice(&buf[..n]);
        if line.len() > 4096 {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
    }
    Ok(line)
}

/// A real PING over RESP; no Redis client crate needed for one command.
async fn check_redis(url: Option<&str>) -> Value {
    let Some(url) = url else {
        return json!({"status": "skipped", "reason": "OPSDECK_REDIS_URL not set"});
    };
    let Some(probe) = RedisProbe::for_url(url) else {
        return json!({"status": "error", "error": "OPSDECK_REDIS_URL is not redis://host:port"});
    };
    let started = Instant::now();
    let latency = |s: Instant| s.elapsed().as_millis() as u64;
    match tokio::time::timeout(CHECK_TIMEOUT, probe.ping()).await {
        Ok(Ok(true)) => json!({"status": "ok", "latencyMs": latency(started)}),
        Ok(Ok(false)) => json!({"status": "error", "error": "unexpected reply to PING"}),
        Ok(Err(_)) => json!({"status": "error", "error": "connection failed"}),
        Err(_) => json!({"status": "error", "error": "timeout"}),
    }
}

/// Names the measured volume in the anonymous `/health` body: the data
/// directory's path stays out of it (it is in the logs when the volume is missing).
const DISK_VOLUME_LABEL: &str = "data_dir";

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
                "volume": DISK_VOLUME_LABEL,
                "usedPercent": (used_percent * 10.0).round() / 10.0,
                "thresholdPercent": DISK_LIMIT_PERCENT,
                "freeBytes": d.available_space(),
                "totalBytes": d.total_space(),
            })
        }
        _ => {
            tracing::warn!(path = %path.display(), "health: no volume found for the data directory");
            json!({"status": "error", "error": "volume not found", "volume": DISK_VOLUME_LABEL})
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

    #[test]
    fn disk_check_names_no_path() {
        let cwd = std::fs::canonicalize(".").unwrap();
        for dir in [".", "/no/such/opsdeck/dir"] {
            let d = check_disk(std::path::Path::new(dir)).to_string();
            assert!(!d.contains(cwd.to_str().unwrap()), "{d}");
            assert!(!d.contains("/no/such"), "{d}");
            assert!(d.contains(DISK_VOLUME_LABEL), "{d}");
        }
    }

    /// `total_connections_received` from `INFO stats`, asked over `conn`.
    async fn connections_received(conn: &mut TcpStream) -> u64 {
        conn.write_all(b"*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n")
            .await
            .unwrap();
        // A bulk reply: `$<len>\r\n<payload>\r\n`.
        let mut reply = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = conn.read(&mut buf).await.unwrap();
            assert!(n > 0, "Redis closed the INFO connection");
            reply.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&reply);
            let Some((head, payload)) = text.split_once("\r\n") else {
                continue;
            };
            let len: usize = head.trim_start_matches('$').parse().unwrap();
            if payload.len() >= len + 2 {
                return payload
                    .lines()
                    .find_map(|l| l.strip_prefix("total_connections_received:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or_else(|| panic!("no total_connections_received in {payload}"));
            }
        }
    }

    #[tokio::test]
    async fn redis_connection_is_kept_across_checks() {
        const URL: &str = "redis://127.0.0.1:6379";
        let mut info = tokio::time::timeout(CHECK_TIMEOUT, TcpStream::connect("127.0.0.1:6379"))
            .await
            .map_err(|_| "timeout".to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
            .unwrap_or_else(|e| {
                panic!("Redis is part of this machine but 127.0.0.1:6379 did not accept: {e}")
            });
        // Counted on one INFO connection, so only the checks' connections are
        // in the difference. Other clients of this Redis may connect meanwhile:
        // one clean round of three is enough (without reuse every round grows by 5).
        let mut growth = Vec::new();
        for _ in 0..3 {
            let before = connections_received(&mut info).await;
            for _ in 0..5 {
                let check = check_redis(Some(URL)).await;
                assert_eq!(check["status"], "ok", "{check}");
            }
            let after = connections_received(&mut info).await;
            growth.push(after - before);
            if after - before <= 1 {
                return;
            }
        }
        panic!("5 checks opened {growth:?} new Redis connections per round, expected at most 1");
    }

    #[tokio::test]
    async fn a_broken_kept_redis_connection_is_replaced() {
        // Answers one PING per connection, then hangs up.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("redis://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 64];
                if s.read(&mut buf).await.unwrap_or(0) > 0 {
                    let _ = s.write_all(b"+PONG\r\n").await;
                }
            }
        });
        for _ in 0..3 {
            let check = check_redis(Some(&url)).await;
            assert_eq!(check["status"], "ok", "{check}");
        }
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 3);
    }
}
