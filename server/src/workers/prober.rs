//! The health prober (issue 10 item 1, R-MON-1): every second it claims the
//! probe targets that are due (`store::probes::claim_due`, safe with several
//! opsdeck processes) and GETs each one's URL in a task of its own, within
//! the target's timeout. A target is up when it answers 2xx and its body,
//! read with the core's `/health` parser, is not unhealthy; a timeout, a
//! connection error, another status or a failing check is down. The result
//! and its per-minute rollup are stored together (`store::probes::record`).
//!
//! At start the worker registers the deploys demo services (both colours of
//! every environment that deploys with the demo driver) as targets: their
//! ports are chosen at each start, so their URLs are refreshed then; the
//! demo environments' public targets (from the demo data) follow the live
//! colour.
//! opsdeck's own `/health` is not a target.

use crate::deploy_drivers::demo::DemoServices;
use crate::deploy_drivers::without_url;
use chrono::{DateTime, Utc};
use opsdeck::deploy_gate::Colour;
use opsdeck::health::{parse_health, CheckStatus, HealthIssue, HealthPolicy};
use opsdeck_app::model::probes::{ProbeOutcome, ProbeTarget};
use opsdeck_app::store::deploy_runs::colour_key;
use opsdeck_app::store::monitoring;
use opsdeck_app::store::probes as store;
use serde_json::{Map, Value};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// Targets claimed by one statement.
pub const BATCH: i64 = 64;
/// Most probes started by one pass; the rest are claimed by the next one.
pub const MAX_PER_PASS: usize = 4096;
/// Longest part of an answer's body read (a `/health` document is small).
pub const BODY_LIMIT: usize = 64 * 1024;
/// Largest `checks` document kept per probe; beyond it only statuses stay.
pub const CHECKS_LIMIT: usize = 16 * 1024;

/// A probe under way in a task of its own.
#[derive(Debug)]
pub struct ProbeTask {
    pub target_id: i64,
    /// The worker lets it run; tests wait for it.
    pub task: JoinHandle<()>,
}

/// The client the prober uses: no cookies, a few redirects at most.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("opsdeck-prober/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// Judges an answer: `(ok, error, checks)`. Up when the status is 2xx and
/// the body, if it is a JSON object, has nothing degrading in it (a failing
/// check, a top-level status other than `ok`). A body without a top-level
/// status, or not JSON at all, is judged by the HTTP status alone; required
/// checks are not demanded (a monitored service may have others).
pub fn judge(status: u16, body: &str) -> (bool, Option<String>, Value) {
    let two_xx = (200..300).contains(&status);
    let lenient = HealthPolicy {
        required_checks: Vec::new(),
    };
    let (problems, checks) = match parse_health(body, &lenient) {
        Ok(report) => {
            let problems: Vec<String> = report
                .issues
                .iter()
                .filter(|i| i.degrades())
                .filter_map(|i| match i {
                    HealthIssue::TopLevelStatus { status: None } => None,
                    HealthIssue::TopLevelStatus { status: Some(s) } => Some(format!("status {s}")),
                    HealthIssue::CheckFailing { name, status } => Some(format!("{name}: {status}")),
                    HealthIssue::CheckWithoutStatus { name } => Some(format!("{name}: no status")),
                    HealthIssue::MissingCheck { name } => Some(format!("{name}: missing")),
                    HealthIssue::MissingTimestamp | HealthIssue::BadTimestamp { .. } => None,
                })
                .collect();
            (problems, checks_json(&report.document.checks))
        }
        Err(_) => (Vec::new(), Value::Object(Map::new())),
    };
    let error = if !two_xx {
        Some(if problems.is_empty() {
            format!("HTTP {status}")
        } else {
            format!("HTTP {status}: {}", problems.join(", "))
        })
    } else if !problems.is_empty() {
        Some(format!("unhealthy: {}", problems.join(", ")))
    } else {
        None
    };
    (error.is_none(), error, checks)
}

/// The checks as `{"name": {"status": "ok", …details}}` (a check without a
/// status has `"status": null`); only the statuses when that is too large.
fn checks_json(checks: &std::collections::BTreeMap<String, opsdeck::health::Check>) -> Value {
    let status = |s: &CheckStatus| match s {
        CheckStatus::Ok => Value::String("ok".into()),
        CheckStatus::Skipped => Value::String("skipped".into()),
        CheckStatus::Failed { status } => Value::String(status.clone()),
        CheckStatus::NoStatus => Value::Null,
    };
    let full: Map<String, Value> = checks
        .iter()
        .map(|(name, c)| {
            let mut o = c.details.clone();
            o.insert("status".into(), status(&c.status));
            (name.clone(), Value::Object(o))
        })
        .collect();
    let full = Value::Object(full);
    if full.to_string().len() <= CHECKS_LIMIT {
        return full;
    }
    Value::Object(
        checks
            .iter()
            .take(200)
            .map(|(name, c)| {
                let mut o = Map::new();
                o.insert("status".into(), status(&c.status));
                (name.clone(), Value::Object(o))
            })
            .collect(),
    )
}

fn elapsed_ms(start: Instant) -> i32 {
    i32::try_from(start.elapsed().as_millis()).unwrap_or(i32::MAX)
}

/// One GET of `url` within `timeout`, judged (see [`judge`]). Errors never
/// carry the URL (it may hold credentials).
pub async fn probe(http: &reqwest::Client, url: &str, timeout: Duration) -> ProbeOutcome {
    let at = Utc::now();
    let start = Instant::now();
    let down = |error: String, status_code: Option<i32>| ProbeOutcome {
        at,
        ok: false,
        status_code,
        latency_ms: elapsed_ms(start),
        error: Some(error),
        checks: Value::Object(Map::new()),
    };
    let mut res = match http.get(url).timeout(timeout).send().await {
        Ok(r) => r,
        Err(e) if e.is_timeout() => return down("timeout".into(), None),
        Err(e) => return down(format!("connection: {}", without_url(&e)), None),
    };
    let status = res.status().as_u16();
    let mut body = Vec::new();
    loop {
        match res.chunk().await {
            Ok(Some(chunk)) => {
                let room = BODY_LIMIT.saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                // A huge answer is cut, not read to its end.
                if body.len() >= BODY_LIMIT {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) if e.is_timeout() => return down("timeout".into(), Some(i32::from(status))),
            Err(e) => {
                return down(
                    format!("body: {}", without_url(&e)),
                    Some(i32::from(status)),
                )
            }
        }
    }
    let latency_ms = elapsed_ms(start);
    let (ok, error, checks) = judge(status, &String::from_utf8_lossy(&body));
    ProbeOutcome {
        at,
        ok,
        status_code: Some(i32::from(status)),
        latency_ms,
        error,
        checks,
    }
}

fn timeout_of(t: &ProbeTarget) -> Duration {
    Duration::from_millis(u64::try_from(t.timeout_ms).unwrap_or(5_000).max(1))
}

/// Claims the targets due at `now` — batch after batch while whole batches
/// come back, up to [`MAX_PER_PASS`] — and probes each in a task of its
/// own, recording its outcome. (One batch a pass would cap the prober at
/// 64 probes a second: 640 targets at the default 10 s interval.)
pub async fn pass(
    pool: &PgPool,
    http: &reqwest::Client,
    now: DateTime<Utc>,
) -> Result<Vec<ProbeTask>, sqlx::Error> {
    let mut tasks = Vec::new();
    loop {
        let due = store::claim_due(pool, now, BATCH).await?;
        let whole = due.len() as i64 >= BATCH;
        tasks.extend(start_probes(pool, http, due));
        if !whole || tasks.len() >= MAX_PER_PASS {
            return Ok(tasks);
        }
    }
}

fn start_probes(pool: &PgPool, http: &reqwest::Client, due: Vec<ProbeTarget>) -> Vec<ProbeTask> {
    due.into_iter()
        .map(|t| {
            let pool = pool.clone();
            let http = http.clone();
            let target_id = t.id;
            let task = tokio::spawn(async move {
                let outcome = probe(&http, &t.url, timeout_of(&t)).await;
                if let Err(e) = store::record(&pool, t.id, &outcome).await {
                    tracing::warn!(target = t.id, error = %e, "probe result not recorded");
                } else if !outcome.ok {
                    tracing::debug!(
                        target = t.id,
                        environment = %t.environment,
                        colour = t.colour.as_deref().unwrap_or("public"),
                        error = outcome.error.as_deref().unwrap_or_default(),
                        "probe down"
                    );
                }
            });
            ProbeTask { target_id, task }
        })
        .collect()
}

/// Registers both colours of the demo services of every environment that
/// deploys with the demo driver (starting them if they are not yet), and
/// stops probing the demo targets of the other environments. Idempotent;
/// run at each start. Returns the ids of the registered targets.
pub async fn register_demo_targets(
    pool: &PgPool,
    services: &DemoServices,
) -> Result<Vec<i64>, sqlx::Error> {
    let demo = store::demo_environments(pool).await?;
    let mut ids = Vec::new();
    for env in opsdeck::deploy_gate::Environment::ALL {
        if !demo.contains(&env) {
            store::disable_demo_targets(pool, env).await?;
            continue;
        }
        if let Err(e) = services.start(env) {
            tracing::warn!(environment = env.key(), error = %e, "demo services not started");
            continue;
        }
        for colour in [Colour::Blue, Colour::Green] {
            let Some(url) = services.health_url(env, colour) else {
                continue;
            };
            let mut tx = pool.begin().await?;
            let id = store::register_demo_target(&mut tx, env, colour_key(colour), &url).await?;
            tx.commit().await?;
            ids.extend(id);
        }
    }
    Ok(ids)
}

/// Starts the worker: registers the demo targets (retried each tick until
/// it succeeds), then a [`pass`] every `every`.
pub fn spawn(pool: PgPool, services: Arc<DemoServices>, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let http = http_client();
        let mut registered = false;
        let mut passes: u64 = 0;
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if !registered {
                match register_demo_targets(&pool, &services).await {
                    Ok(ids) => {
                        registered = true;
                        tracing::info!(targets = ids.len(), "demo probe targets registered");
                    }
                    Err(e) => tracing::warn!(error = %e, "demo probe targets not registered"),
                }
            }
            // The demo's public URLs follow the live colour (it moves with
            // each switch); checked at start and then every 10 passes.
            if registered && passes.is_multiple_of(10) {
                if let Err(e) = monitoring::refresh_demo_public_urls(&pool).await {
                    tracing::warn!(error = %e, "demo public probe URLs not refreshed");
                }
            }
            passes = passes.wrapping_add(1);
            // The probes run on in their own tasks; the next tick claims
            // only targets that are due again.
            if let Err(e) = pass(&pool, &http, Utc::now()).await {
                tracing::warn!(error = %e, "probe pass failed");
            }
        }
    })
}
