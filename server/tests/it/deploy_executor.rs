//! The deploy executor (issue 9, R-DEP-7, R-DEP-8; decision 0017) against
//! the real local Postgres and real HTTP: the demo's simulated services,
//! local axum stubs for webhooks and health URLs, real `sh` commands.
//! Deploys are written as the deploys store leaves them once Deploy was
//! pressed (`ready`, machine after `GateCleared`, start requested), or as a
//! stopped process would leave them for the recovery cases.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use opsdeck::deploy_gate::{BlueGreenDeploy, Colour, DeployEvent, Traffic};
use opsdeck_app::store::deploy_runs::{self, Lease};
use opsdeck_server::deploy_drivers::demo::DemoServices;
use opsdeck_server::deploy_drivers::{DriverSet, Drivers};
use opsdeck_server::workers::deploys as exec;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Tokyo;

fn drivers(pool: &PgPool) -> (Arc<dyn DriverSet>, Arc<DemoServices>) {
    let demo = Arc::new(DemoServices::new());
    (
        Arc::new(Drivers::with_demo(pool.clone(), demo.clone())),
        demo,
    )
}

/// Short timings for tests: 2 healthy answers within 3 s, probes every 100 ms.
async fn configure(pool: &PgPool, env: &str, driver: &str, config: Value, observe_seconds: i32) {
    sqlx::query(
        "UPDATE deploy_settings SET driver = $2, driver_config = $3, observe_seconds = $4, \
         health_interval_ms = 100, health_required_consecutive = 2, health_timeout_seconds = 3, \
         step_timeout_seconds = 5, checklist_required = FALSE, approvals_required = 0 \
         WHERE environment = $1",
    )
    .bind(env)
    .bind(driver)
    .bind(config)
    .bind(observe_seconds)
    .execute(pool)
    .await
    .unwrap();
}

async fn environment_row(pool: &PgPool, env: &str, live: &str, version: &str) {
    sqlx::query(
        "INSERT INTO environments (name, key, position, deployed_version, live_colour) \
         VALUES (initcap($1), $1, 1, $2, $3)",
    )
    .bind(env)
    .bind(version)
    .bind(live)
    .execute(pool)
    .await
    .unwrap();
}

/// A deploy whose Deploy button was pressed: `ready`, in the queue.
async fn queued(pool: &PgPool, env: &str, version: &str, previous: Colour) -> i64 {
    let machine = BlueGreenDeploy::new(previous)
        .apply(DeployEvent::GateCleared)
        .unwrap();
    insert(pool, env, version, "ready", &machine, true).await
}

async fn insert(
    pool: &PgPool,
    env: &str,
    version: &str,
    state: &str,
    machine: &BlueGreenDeploy,
    start_requested: bool,
) -> i64 {
    let prev = match machine.previous {
        Colour::Blue => "blue",
        Colour::Green => "green",
    };
    sqlx::query_scalar(
        "INSERT INTO deploys (environment, version, commit_sha, source, requested_by, state, machine, \
         previous_colour, start_requested_at, start_requested_by, started_at) \
         VALUES ($1, $2, 'c0ffee', 'api', 'alice', $3, $4, $5, \
                 CASE WHEN $6 THEN now() END, CASE WHEN $6 THEN 'approver' END, \
                 CASE WHEN $3 <> 'ready' THEN now() END) RETURNING id",
    )
    .bind(env)
    .bind(version)
    .bind(state)
    .bind(serde_json::to_value(machine).unwrap())
    .bind(prev)
    .bind(start_requested)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// What the passes of [`settle`] did.
#[derive(Debug, Default)]
struct Settled {
    started: usize,
    resumed: usize,
    rollbacks: usize,
}

/// Runs passes until one finds nothing to do, waiting for each pass's tasks.
async fn settle(pool: &PgPool, drivers: &Arc<dyn DriverSet>) -> Settled {
    let mut done = Settled::default();
    for _ in 0..10 {
        let r = exec::pass(pool, drivers, TZ, Utc::now()).await;
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        done.started += r.started.len();
        done.resumed += r.resumed.len();
        done.rollbacks += r.rollbacks.len();
        let handles = r.handles();
        if handles.is_empty() {
            break;
        }
        for h in handles {
            tokio::time::timeout(Duration::from_secs(30), h.task)
                .await
                .expect("a deploy task finished in time")
                .unwrap();
        }
    }
    done
}

async fn state(pool: &PgPool, id: i64) -> (String, BlueGreenDeploy, Option<String>) {
    let (s, m, f): (String, Value, Option<String>) =
        sqlx::query_as("SELECT state, machine, failure FROM deploys WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
    (s, serde_json::from_value(m).unwrap(), f)
}

/// (step, colour, status) in order.
async fn steps(pool: &PgPool, id: i64) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT step, colour, status FROM deploy_steps WHERE deploy_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn step_output(pool: &PgPool, id: i64, step: &str) -> (Option<i32>, String) {
    sqlx::query_as(
        "SELECT exit_code, output FROM deploy_steps WHERE deploy_id = $1 AND step = $2 ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .bind(step)
    .fetch_one(pool)
    .await
    .unwrap()
}

fn s(step: &str, colour: &str, status: &str) -> (String, String, String) {
    (step.into(), colour.into(), status.into())
}

async fn live_colour(pool: &PgPool, env: &str) -> (Option<String>, Option<String>) {
    sqlx::query_as("SELECT live_colour, deployed_version FROM environments WHERE key = $1")
        .bind(env)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn oncall_kinds(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT kind FROM notification_messages WHERE group_name = 'oncall' ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// A local HTTP stub: `/{colour}/health` answers ok; `/hook` records the
/// posted JSON and answers `hook_status`.
async fn stub(hook_status: u16) -> (String, Arc<Mutex<Vec<Value>>>) {
    #[derive(Clone)]
    struct Stub {
        seen: Arc<Mutex<Vec<Value>>>,
        status: StatusCode,
    }
    async fn hook(State(s): State<Stub>, Json(body): Json<Value>) -> (StatusCode, &'static str) {
        s.seen.lock().unwrap().push(body);
        (s.status, "stub says hello")
    }
    async fn health(Path(colour): Path<String>) -> Json<Value> {
        Json(json!({"status": "ok", "colour": colour}))
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .route("/hook", post(hook))
        .route("/{colour}/health", get(health))
        .with_state(Stub {
            seen: seen.clone(),
            status: StatusCode::from_u16(hook_status).unwrap(),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_7_8_demo_deploy_provisions_checks_switches_observes_and_is_done(pool: PgPool) {
    configure(&pool, "development", "demo", json!({}), 1).await;
    environment_row(&pool, "development", "blue", "1.0.0").await;
    let (drivers, demo) = drivers(&pool);
    let id = queued(&pool, "development", "1.1.0", Colour::Blue).await;

    settle(&pool, &drivers).await;

    let (st, machine, failure) = state(&pool, id).await;
    assert_eq!(st, "done", "{failure:?}");
    assert_eq!(
        machine.traffic,
        Traffic::Live {
            colour: Colour::Green
        }
    );
    assert_eq!(
        steps(&pool, id).await,
        vec![
            s("provision", "green", "ok"),
            s("health_check", "green", "ok"),
            s("switch", "green", "ok"),
            s("observe", "green", "ok"),
        ]
    );
    // The probes are kept with the step.
    let (_, probes) = step_output(&pool, id, "health_check").await;
    assert!(probes.matches("green healthy").count() >= 2, "{probes}");
    assert!(probes.contains("version 1.1.0"), "{probes}");
    // The environment follows the traffic.
    assert_eq!(
        live_colour(&pool, "development").await,
        (Some("green".into()), Some("1.1.0".into()))
    );
    let (version, health): (Option<String>, String) = sqlx::query_as(
        "SELECT version, health FROM environment_colours WHERE environment = 'development' AND colour = 'green'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((version.as_deref(), health.as_str()), (Some("1.1.0"), "ok"));
    let (started, finished): (Option<chrono::DateTime<Utc>>, Option<chrono::DateTime<Utc>>) =
        sqlx::query_as("SELECT started_at, finished_at FROM deploys WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(started.is_some() && finished.is_some());
    // Every move is audited.
    let moves: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'deploy.transition' AND target = $1",
    )
    .bind(format!("deploy:{id}"))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(moves, 5, "start, deployed, healthy, switched, observed");
    // The simulated green answers the policy's /health over real HTTP with its version.
    let url = demo
        .health_url(
            opsdeck::deploy_gate::Environment::Development,
            Colour::Green,
        )
        .unwrap();
    let body: Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], "1.1.0");
    assert_eq!(body["checks"]["database"]["status"], "ok");
    assert!(oncall_kinds(&pool).await.is_empty());
    // Another environment's services start on request (for monitoring), idle.
    let local = opsdeck::deploy_gate::Environment::Local;
    assert!(demo.health_url(local, Colour::Blue).is_none());
    demo.start(local).unwrap();
    let body: Value = reqwest::get(demo.health_url(local, Colour::Blue).unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (body["status"].as_str(), &body["version"]),
        (Some("ok"), &Value::Null)
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_7_unhealthy_version_fails_the_health_check_and_traffic_never_moves(pool: PgPool) {
    configure(
        &pool,
        "development",
        "demo",
        json!({"next_unhealthy_at": "health_check"}),
        0,
    )
    .await;
    sqlx::query("UPDATE deploy_settings SET demo_next_unhealthy = TRUE, health_timeout_seconds = 1 WHERE environment = 'development'")
        .execute(&pool)
        .await
        .unwrap();
    environment_row(&pool, "development", "blue", "1.0.0").await;
    let (drivers, _demo) = drivers(&pool);
    let id = queued(&pool, "development", "1.1.0", Colour::Blue).await;

    settle(&pool, &drivers).await;

    let (st, machine, failure) = state(&pool, id).await;
    assert_eq!(st, "failed");
    assert_eq!(
        machine.traffic,
        Traffic::Live {
            colour: Colour::Blue
        }
    );
    assert!(machine.is_terminal());
    let failure = failure.unwrap();
    assert!(
        failure.contains("Health check of green failed"),
        "{failure}"
    );
    assert!(failure.contains("traffic stayed on blue"), "{failure}");
    assert_eq!(
        steps(&pool, id).await,
        vec![
            s("provision", "green", "ok"),
            s("health_check", "green", "failed")
        ]
    );
    let (_, probes) = step_output(&pool, id, "health_check").await;
    assert!(probes.contains("green unhealthy: HTTP 503"), "{probes}");
    assert!(probes.contains("app: unhealthy"), "{probes}");
    assert_eq!(
        live_colour(&pool, "development").await,
        (Some("blue".into()), Some("1.0.0".into()))
    );
    // The switch is used once.
    let flag: bool = sqlx::query_scalar(
        "SELECT demo_next_unhealthy FROM deploy_settings WHERE environment = 'development'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(!flag);
    assert_eq!(
        oncall_kinds(&pool).await,
        vec!["deploys.failed".to_string()]
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_7_unhealthy_after_the_switch_rolls_back_by_itself(pool: PgPool) {
    configure(&pool, "development", "demo", json!({}), 1).await;
    sqlx::query(
        "UPDATE deploy_settings SET demo_next_unhealthy = TRUE WHERE environment = 'development'",
    )
    .execute(&pool)
    .await
    .unwrap();
    environment_row(&pool, "development", "blue", "1.0.0").await;
    let (drivers, _demo) = drivers(&pool);
    let id = queued(&pool, "development", "1.1.0", Colour::Blue).await;

    settle(&pool, &drivers).await;

    let (st, machine, _) = state(&pool, id).await;
    assert_eq!(st, "rolled_back");
    assert_eq!(
        machine.traffic,
        Traffic::Live {
            colour: Colour::Blue
        }
    );
    assert_eq!(
        steps(&pool, id).await,
        vec![
            s("provision", "green", "ok"),
            s("health_check", "green", "ok"),
            s("switch", "green", "ok"),
            s("observe", "green", "failed"),
            s("rollback", "blue", "ok"),
        ]
    );
    let (by, reason): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT rollback_by, rollback_reason FROM deploys WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(by.as_deref(), Some("system"));
    assert!(reason
        .unwrap()
        .contains("green was unhealthy while observed"));
    // Traffic and the display row are back on blue, with what blue runs (unknown here).
    assert_eq!(
        live_colour(&pool, "development").await.0.as_deref(),
        Some("blue")
    );
    assert_eq!(
        oncall_kinds(&pool).await,
        vec!["deploys.auto_rollback".to_string()]
    );
}

/// What the deploys store's `request_rollback` records.
async fn request_rollback(pool: &PgPool, id: i64) {
    sqlx::query(
        "UPDATE deploys SET rollback_reason = 'error rate up', rollback_by = 'bob', \
         rollback_at = now(), rollback_requested_at = now() WHERE id = $1",
    )
    .bind(id)
    .execute(pool)
    .await
    .unwrap();
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_7_an_approvers_rollback_switches_back(pool: PgPool) {
    configure(&pool, "development", "demo", json!({}), 0).await;
    environment_row(&pool, "development", "blue", "1.0.0").await;
    let (drivers, _demo) = drivers(&pool);
    let first = queued(&pool, "development", "1.0.0", Colour::Blue).await;
    settle(&pool, &drivers).await;
    assert_eq!(state(&pool, first).await.0, "done");
    let second = queued(&pool, "development", "1.1.0", Colour::Green).await;
    settle(&pool, &drivers).await;
    assert_eq!(state(&pool, second).await.0, "done");
    assert_eq!(
        live_colour(&pool, "development").await,
        (Some("blue".into()), Some("1.1.0".into()))
    );

    // A request for a deploy that is no longer live (asked for while the
    // next one ran) is not carried out: it would undo the newer deploy.
    request_rollback(&pool, first).await;
    let done = settle(&pool, &drivers).await;
    assert_eq!(done.rollbacks, 0);
    let (st, _, failure) = state(&pool, first).await;
    assert_eq!(st, "done");
    assert!(
        failure
            .unwrap()
            .contains(&format!("deploy #{second} went live")),
        "the reason is on the deploy"
    );
    assert_eq!(
        live_colour(&pool, "development").await,
        (Some("blue".into()), Some("1.1.0".into()))
    );

    request_rollback(&pool, second).await;
    let done = settle(&pool, &drivers).await;
    assert_eq!((done.rollbacks, done.started), (1, 0));

    let (st, machine, _) = state(&pool, second).await;
    assert_eq!(st, "rolled_back");
    assert_eq!(
        machine.traffic,
        Traffic::Live {
            colour: Colour::Green
        }
    );
    assert_eq!(
        steps(&pool, second).await.last().unwrap(),
        &s("rollback", "green", "ok")
    );
    // Back on green, which still runs 1.0.0.
    assert_eq!(
        live_colour(&pool, "development").await,
        (Some("green".into()), Some("1.0.0".into()))
    );
    let requested: Option<chrono::DateTime<Utc>> =
        sqlx::query_scalar("SELECT rollback_requested_at FROM deploys WHERE id = $1")
            .bind(second)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        requested.is_none(),
        "the request is consumed when carried out"
    );
    assert!(
        oncall_kinds(&pool).await.is_empty(),
        "asked for: nobody is paged"
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_8_command_driver_runs_each_step_and_keeps_exit_code_and_output(pool: PgPool) {
    let (health, _) = stub(200).await;
    configure(
        &pool,
        "development",
        "command",
        json!({
            "provision": "echo \"provisioning $OPSDECK_VERSION on $OPSDECK_COLOR in $OPSDECK_ENV\"; echo warn >&2; echo \"db=${DATABASE_URL:-hidden}\"",
            "switch": "echo \"switched to $OPSDECK_COLOR\"",
            "health_url": format!("{health}/{{color}}/health"),
        }),
        0,
    )
    .await;
    environment_row(&pool, "development", "blue", "1.0.0").await;
    let (drivers, _demo) = drivers(&pool);
    let ok = queued(&pool, "development", "2.0.0", Colour::Blue).await;
    settle(&pool, &drivers).await;
    assert_eq!(state(&pool, ok).await.0, "done");
    let (code, out) = step_output(&pool, ok, "provision").await;
    assert_eq!(code, Some(0));
    assert!(
        out.contains("provisioning 2.0.0 on green in development\nwarn\n"),
        "{out}"
    );
    // opsdeck's own settings (database credentials) are not handed to commands.
    assert!(out.contains("db=hidden"), "{out}");
    let (_, out) = step_output(&pool, ok, "switch").await;
    assert!(out.contains("switched to green"), "{out}");
    let (_, probes) = step_output(&pool, ok, "health_check").await;
    assert!(probes.contains("green healthy: HTTP 200"), "{probes}");

    // A failing command: its exit code and output are kept, traffic stays.
    configure(
        &pool,
        "development",
        "command",
        json!({"provision": "echo building; echo 'no space left' >&2; exit 3"}),
        0,
    )
    .await;
    let bad = queued(&pool, "development", "2.0.1", Colour::Green).await;
    settle(&pool, &drivers).await;
    let (st, machine, failure) = state(&pool, bad).await;
    assert_eq!(st, "failed");
    assert_eq!(
        machine.traffic,
        Traffic::Live {
            colour: Colour::Green
        }
    );
    let (code, out) = step_output(&pool, bad, "provision").await;
    assert_eq!(code, Some(3));
    assert!(
        out.contains("building\nno space left\n[exit code 3]"),
        "{out}"
    );
    assert!(failure.unwrap().contains("exit code 3"));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_8_a_hanging_command_is_killed_at_the_step_timeout(pool: PgPool) {
    configure(
        &pool,
        "development",
        "command",
        // The background sleep is in the same process group: killed too,
        // else its open stdout would keep the step waiting.
        json!({"provision": "echo started; sleep 60 & sleep 60"}),
        0,
    )
    .await;
    sqlx::query(
        "UPDATE deploy_settings SET step_timeout_seconds = 1 WHERE environment = 'development'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (drivers, _demo) = drivers(&pool);
    let id = queued(&pool, "development", "3.0.0", Colour::Blue).await;
    let t0 = Instant::now();
    settle(&pool, &drivers).await;
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    assert_eq!(state(&pool, id).await.0, "failed");
    let (code, out) = step_output(&pool, id, "provision").await;
    assert_eq!(code, None);
    assert!(out.contains("started"), "{out}");
    assert!(out.contains("[timed out after 1 s]"), "{out}");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_8_webhook_driver_2xx_is_success_500_is_failure(pool: PgPool) {
    let (ok_url, seen) = stub(200).await;
    configure(
        &pool,
        "development",
        "webhook",
        json!({"url": format!("{ok_url}/hook"), "health_url": format!("{ok_url}/{{color}}/health")}),
        0,
    )
    .await;
    let (drivers, _demo) = drivers(&pool);
    let id = queued(&pool, "development", "4.0.0", Colour::Blue).await;
    settle(&pool, &drivers).await;
    assert_eq!(state(&pool, id).await.0, "done");
    let posted = seen.lock().unwrap().clone();
    assert_eq!(
        posted,
        vec![
            json!({"environment": "development", "version": "4.0.0", "colour": "green", "step": "provision"}),
            json!({"environment": "development", "version": "4.0.0", "colour": "green", "step": "switch"}),
        ]
    );
    let (_, out) = step_output(&pool, id, "provision").await;
    assert!(
        out.contains("HTTP 200") && out.contains("stub says hello"),
        "{out}"
    );

    let (bad_url, _) = stub(500).await;
    configure(
        &pool,
        "development",
        "webhook",
        json!({"url": format!("{bad_url}/hook"), "health_url": format!("{bad_url}/{{color}}/health")}),
        0,
    )
    .await;
    let bad = queued(&pool, "development", "4.0.1", Colour::Green).await;
    settle(&pool, &drivers).await;
    let (st, _, failure) = state(&pool, bad).await;
    assert_eq!(st, "failed");
    let (_, out) = step_output(&pool, bad, "provision").await;
    assert!(out.contains("HTTP 500"), "{out}");
    assert!(failure
        .unwrap()
        .contains("Provisioning 4.0.1 on blue failed"));

    // A configuration without a URL fails the step saying why.
    configure(&pool, "development", "webhook", json!({}), 0).await;
    let unconfigured = queued(&pool, "development", "4.0.2", Colour::Green).await;
    settle(&pool, &drivers).await;
    let (_, out) = step_output(&pool, unconfigured, "provision").await;
    assert!(out.contains("`url` is not configured"), "{out}");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_7_two_passes_at_once_start_a_deploy_once(pool: PgPool) {
    configure(&pool, "development", "demo", json!({}), 0).await;
    configure(&pool, "local", "demo", json!({}), 0).await;
    let (drivers, _demo) = drivers(&pool);
    let first = queued(&pool, "development", "5.0.0", Colour::Blue).await;
    let second = queued(&pool, "development", "5.0.1", Colour::Green).await;
    let other_env = queued(&pool, "local", "5.0.0", Colour::Blue).await;

    // Two opsdeck processes' passes at the same moment (each their own pool).
    let other_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(5)
        .connect_with(pool.connect_options().as_ref().clone())
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        exec::pass(&pool, &drivers, TZ, Utc::now()),
        exec::pass(&other_pool, &drivers, TZ, Utc::now()),
    );
    let started: Vec<i64> = a
        .started
        .iter()
        .chain(b.started.iter())
        .map(|h| h.deploy_id)
        .collect();
    let mut sorted = started.clone();
    sorted.sort();
    // Each environment once; one environment's deploy does not wait for another's.
    assert_eq!(sorted, vec![first, other_env], "{started:?}");
    // While the first runs, its environment's queue waits.
    let again = exec::pass(&pool, &drivers, TZ, Utc::now()).await;
    assert!(again.started.is_empty());
    for h in a
        .handles()
        .into_iter()
        .chain(b.handles())
        .chain(again.handles())
    {
        h.task.await.unwrap();
    }
    let provisions: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deploy_steps WHERE deploy_id = $1 AND step = 'provision'",
    )
    .bind(first)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(provisions, 1);
    assert_eq!(state(&pool, first).await.0, "done");
    assert_eq!(state(&pool, second).await.0, "ready");
    settle(&pool, &drivers).await;
    assert_eq!(state(&pool, second).await.0, "done");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_5_7_the_gate_is_checked_again_at_start_withdrawn_approval_refuses(pool: PgPool) {
    configure(&pool, "production", "demo", json!({}), 0).await;
    sqlx::query(
        "UPDATE deploy_settings SET approvals_required = 1 WHERE environment = 'production'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (drivers, _demo) = drivers(&pool);
    let id = queued(&pool, "production", "6.0.0", Colour::Blue).await;
    sqlx::query("INSERT INTO deploy_votes (deploy_id, voter, voted_at) VALUES ($1, 'bob', now())")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    // The approval is withdrawn after Deploy was pressed.
    sqlx::query("DELETE FROM deploy_votes WHERE deploy_id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();

    let report = exec::pass(&pool, &drivers, TZ, Utc::now()).await;
    assert!(report.started.is_empty());
    assert_eq!(report.refused.len(), 1);
    let (st, _, failure) = state(&pool, id).await;
    assert_eq!(st, "ready");
    let failure = failure.unwrap();
    assert!(
        failure.contains("1 of 1 required approvals missing"),
        "{failure}"
    );
    let queued_at: Option<chrono::DateTime<Utc>> =
        sqlx::query_scalar("SELECT start_requested_at FROM deploys WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(queued_at.is_none(), "back out of the queue");
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'deploy.start_refused' AND target = $1",
    )
    .bind(format!("deploy:{id}"))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    assert!(steps(&pool, id).await.is_empty());

    // Approved again and pressed again: it starts, and the approver is named.
    sqlx::query("INSERT INTO deploy_votes (deploy_id, voter, voted_at) VALUES ($1, 'bob', now())")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE deploys SET start_requested_at = now() WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    settle(&pool, &drivers).await;
    let (st, _, failure) = state(&pool, id).await;
    assert_eq!(st, "done");
    assert!(failure.is_none(), "the refusal text is cleared on start");
    let approved: Option<String> =
        sqlx::query_scalar("SELECT approved_by FROM environments WHERE key = 'production'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(approved.as_deref(), Some("bob"));
}

/// A machine moved through `events` from Blue live.
fn machine(events: &[DeployEvent]) -> BlueGreenDeploy {
    events
        .iter()
        .try_fold(BlueGreenDeploy::new(Colour::Blue), |m, e| m.apply(*e))
        .unwrap()
}

async fn running_step(pool: &PgPool, id: i64, step: &str, colour: &str) {
    sqlx::query(
        "INSERT INTO deploy_steps (deploy_id, step, colour, status, started_at, output) \
         VALUES ($1, $2, $3, 'running', now() - interval '1 minute', 'half way')",
    )
    .bind(id)
    .bind(step)
    .bind(colour)
    .execute(pool)
    .await
    .unwrap();
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_7_restart_resumes_a_deploy_whose_traffic_never_moved(pool: PgPool) {
    use DeployEvent as E;
    configure(&pool, "development", "demo", json!({}), 0).await;
    configure(&pool, "local", "demo", json!({}), 0).await;
    configure(&pool, "staging", "demo", json!({}), 0).await;
    let (drivers, _demo) = drivers(&pool);
    // A dead process left one deploy provisioning, one health checking, one observing.
    let deploying = insert(
        &pool,
        "development",
        "7.0.0",
        "deploying_idle",
        &machine(&[E::GateCleared, E::Start]),
        true,
    )
    .await;
    running_step(&pool, deploying, "provision", "green").await;
    let checking = insert(
        &pool,
        "local",
        "7.0.0",
        "health_checking",
        &machine(&[E::GateCleared, E::Start, E::IdleDeployed]),
        true,
    )
    .await;
    sqlx::query(
        "INSERT INTO deploy_steps (deploy_id, step, colour, status, started_at, finished_at, exit_code) \
         VALUES ($1, 'provision', 'green', 'ok', now(), now(), 0)",
    )
    .bind(checking)
    .execute(&pool)
    .await
    .unwrap();
    running_step(&pool, checking, "health_check", "green").await;
    let observing = insert(
        &pool,
        "staging",
        "7.0.0",
        "observing",
        &machine(&[
            E::GateCleared,
            E::Start,
            E::IdleDeployed,
            E::HealthPassed,
            E::Switched,
        ]),
        true,
    )
    .await;
    running_step(&pool, observing, "observe", "green").await;

    let summary = exec::recover(&pool, Utc::now()).await.unwrap();
    assert_eq!(summary.steps_interrupted, 3);
    assert_eq!(summary.resumable, vec![deploying, checking, observing]);
    assert!(summary.deploys_interrupted.is_empty());
    let (_, out) = step_output(&pool, deploying, "provision").await;
    assert!(out.contains("half way\ninterrupted"), "{out}");

    let done = settle(&pool, &drivers).await;
    assert_eq!((done.resumed, done.started), (3, 0));
    for id in [deploying, checking, observing] {
        assert_eq!(state(&pool, id).await.0, "done", "deploy {id}");
    }
    // Provisioning again, the health check from a fresh streak, the observation again.
    assert_eq!(
        steps(&pool, deploying).await,
        vec![
            s("provision", "green", "interrupted"),
            s("provision", "green", "ok"),
            s("health_check", "green", "ok"),
            s("switch", "green", "ok"),
            s("observe", "green", "ok"),
        ]
    );
    assert_eq!(
        steps(&pool, checking).await,
        vec![
            s("provision", "green", "ok"),
            s("health_check", "green", "interrupted"),
            s("health_check", "green", "ok"),
            s("switch", "green", "ok"),
            s("observe", "green", "ok"),
        ]
    );
    assert_eq!(
        steps(&pool, observing).await,
        vec![
            s("observe", "green", "interrupted"),
            s("observe", "green", "ok")
        ]
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_7_restart_mid_switch_ends_interrupted_saying_where_traffic_is(pool: PgPool) {
    use DeployEvent as E;
    configure(&pool, "development", "demo", json!({}), 0).await;
    configure(&pool, "local", "demo", json!({}), 0).await;
    let (drivers, _demo) = drivers(&pool);
    let switching = insert(
        &pool,
        "development",
        "8.0.0",
        "switching",
        &machine(&[E::GateCleared, E::Start, E::IdleDeployed, E::HealthPassed]),
        true,
    )
    .await;
    running_step(&pool, switching, "switch", "green").await;
    let rolling = insert(
        &pool,
        "local",
        "8.0.0",
        "rolling_back",
        &machine(&[
            E::GateCleared,
            E::Start,
            E::IdleDeployed,
            E::HealthPassed,
            E::Switched,
            E::StepFailed,
        ]),
        true,
    )
    .await;
    running_step(&pool, rolling, "rollback", "blue").await;

    let summary = exec::recover(&pool, Utc::now()).await.unwrap();
    assert_eq!(summary.deploys_interrupted, vec![switching, rolling]);
    assert!(summary.resumable.is_empty());

    let (st, m, failure) = state(&pool, switching).await;
    assert_eq!(st, "interrupted");
    assert_eq!(
        m.traffic,
        Traffic::InTransition {
            from: Colour::Blue,
            to: Colour::Green
        }
    );
    let failure = failure.unwrap();
    assert!(
        failure.contains("Interrupted while switching traffic")
            && failure.contains("in transition from blue to green"),
        "{failure}"
    );
    let (st, _, failure) = state(&pool, rolling).await;
    assert_eq!(st, "interrupted");
    assert!(failure
        .unwrap()
        .contains("in transition from green to blue"));
    assert_eq!(
        steps(&pool, switching).await,
        vec![s("switch", "green", "interrupted")]
    );
    assert_eq!(
        oncall_kinds(&pool).await,
        vec!["deploys.failed".to_string(), "deploys.failed".to_string()]
    );
    // Nothing is resumed, and the environment is free for the next deploy.
    let next = queued(&pool, "development", "8.0.1", Colour::Blue).await;
    let report = exec::pass(&pool, &drivers, TZ, Utc::now()).await;
    assert!(report.resumed.is_empty());
    assert_eq!(
        report
            .started
            .iter()
            .map(|h| h.deploy_id)
            .collect::<Vec<_>>(),
        vec![next]
    );
    for h in report.handles() {
        h.task.await.unwrap();
    }
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_7_recovery_leaves_a_deploy_another_live_process_runs(pool: PgPool) {
    use DeployEvent as E;
    configure(&pool, "development", "demo", json!({}), 0).await;
    let (drivers, _demo) = drivers(&pool);
    let id = insert(
        &pool,
        "development",
        "9.0.0",
        "switching",
        &machine(&[E::GateCleared, E::Start, E::IdleDeployed, E::HealthPassed]),
        true,
    )
    .await;
    running_step(&pool, id, "switch", "green").await;
    // Another opsdeck process holds it.
    let lease = Lease::acquire(&pool, id).await.unwrap().unwrap();
    let summary = exec::recover(&pool, Utc::now()).await.unwrap();
    assert_eq!(summary, deploy_runs::RecoverSummary::default());
    let report = exec::pass(&pool, &drivers, TZ, Utc::now()).await;
    assert!(report.interrupted.is_empty() && report.resumed.is_empty());
    assert_eq!(state(&pool, id).await.0, "switching");
    assert_eq!(
        steps(&pool, id).await,
        vec![s("switch", "green", "running")]
    );
    // That process dies: the next pass finds the deploy orphaned mid-switch.
    drop(lease);
    let mut report = exec::pass(&pool, &drivers, TZ, Utc::now()).await;
    for _ in 0..20 {
        if !report.interrupted.is_empty() {
            break;
        }
        // The server notices the closed connection a moment later.
        tokio::time::sleep(Duration::from_millis(100)).await;
        report = exec::pass(&pool, &drivers, TZ, Utc::now()).await;
    }
    assert_eq!(report.interrupted.len(), 1);
    assert_eq!(state(&pool, id).await.0, "interrupted");
}
