//! Crash safety of the deploy executor with real processes (issue 9,
//! R-DEP-7; decision 0017): the `opsdeck-server` binary itself, started as
//! child processes on the test's database, killed with SIGKILL mid-switch,
//! and run twice side by side. The in-process recovery cases are in
//! `deploy_executor.rs`; these show the same guarantees hold when a real
//! process dies (its advisory locks go with its connections) and when two
//! real processes poll one queue.
//!
//! The command driver runs real `sh` commands that write to a scratch
//! directory (so the test sees how often each ran and can kill the command
//! a dead opsdeck left behind); health probes go to an axum stub here.

use axum::extract::Path as UrlPath;
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use opsdeck::deploy_gate::{BlueGreenDeploy, Colour, Environment, Traffic};
use opsdeck_app::model::deploys::DeploySource;
use opsdeck_app::store::audit::Actor;
use opsdeck_app::store::deploys::{self as store, NewDeploy};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::fs::File;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Tokyo;

/// How long a child may take to print that it listens (it migrates first).
const START_LIMIT: Duration = Duration::from_secs(60);
/// How long the test waits for the executor to reach a point of interest.
const DEPLOY_LIMIT: Duration = Duration::from_secs(60);

/// Children's connections carry this application name, so the test can see
/// when their backends are gone.
const APP_NAME_PREFIX: &str = "opsdeck-crash-test";

// ------------------------------------------------------------ scratch dir

/// A directory of the test's own (data dirs, logs, the commands' marks),
/// removed when the test ends.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir = std::env::temp_dir().join(format!(
            "opsdeck-crash-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `path` as a single-quoted shell word (scratch paths have no quotes, but
/// the temp dir comes from the environment).
fn sh_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

// ------------------------------------------------------------ child processes

/// A running `opsdeck-server serve`, killed (SIGKILL) and reaped on drop,
/// so no path out of a test leaves one behind.
struct Opsdeck {
    name: &'static str,
    child: Mutex<Option<Child>>,
    stdout: PathBuf,
    stderr: PathBuf,
    url: String,
}

/// The test database as a URL for a child: the test's DATABASE_URL (host,
/// user, password) with the database `sqlx::test` created for this test.
fn child_database_url(pool: &PgPool, name: &str) -> String {
    let db = pool
        .connect_options()
        .get_database()
        .expect("sqlx::test names its database")
        .to_string();
    let base = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut url = reqwest::Url::parse(&base).expect("DATABASE_URL is a URL");
    url.set_path(&format!("/{db}"));
    url.set_query(None);
    url.query_pairs_mut()
        .append_pair("application_name", &format!("{APP_NAME_PREFIX}-{name}"));
    url.to_string()
}

impl Opsdeck {
    /// Starts `opsdeck-server serve` on the test's database and waits until
    /// it says it listens.
    async fn start(name: &'static str, pool: &PgPool, scratch: &Scratch) -> Opsdeck {
        let data_dir = scratch.path(&format!("data-{name}"));
        std::fs::create_dir_all(&data_dir).unwrap();
        let stdout = scratch.path(&format!("{name}.stdout.log"));
        let stderr = scratch.path(&format!("{name}.stderr.log"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_opsdeck-server"));
        cmd.arg("serve");
        // Only the settings given here: none of the caller's OPSDECK_* leak in.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("OPSDECK_") {
                cmd.env_remove(&k);
            }
        }
        cmd.env("DATABASE_URL", child_database_url(pool, name))
            .env("OPSDECK_ADDR", "127.0.0.1:0")
            .env("OPSDECK_ADMIN_PASSWORD", "crash-test-admin-password")
            .env("OPSDECK_DATA_DIR", &data_dir)
            .env("LEPTOS_SITE_ROOT", &scratch.dir)
            .env("LOG_LEVEL", "warn")
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).unwrap())
            .stderr(File::create(&stderr).unwrap());
        let child = cmd.spawn().expect("the opsdeck-server binary starts");
        let mut me = Opsdeck {
            name,
            child: Mutex::new(Some(child)),
            stdout,
            stderr,
            url: String::new(),
        };
        let started = Instant::now();
        loop {
            let err = std::fs::read_to_string(&me.stderr).unwrap_or_default();
            if let Some(url) = err
                .lines()
                .find_map(|l| l.strip_prefix("opsdeck: listening on "))
            {
                me.url = url.trim().to_string();
                return me;
            }
            if let Some(status) = me.exited() {
                panic!(
                    "opsdeck {name} exited before listening ({status})\n{}",
                    me.logs()
                );
            }
            if started.elapsed() > START_LIMIT {
                panic!(
                    "opsdeck {name} did not listen within {} s\n{}",
                    START_LIMIT.as_secs(),
                    me.logs()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// How the process ended, if it has.
    fn exited(&self) -> Option<String> {
        let mut guard = self.child.lock().unwrap();
        match guard.as_mut() {
            None => Some("killed by the test".into()),
            Some(c) => match c.try_wait() {
                Ok(Some(status)) => Some(status.to_string()),
                Ok(None) => None,
                Err(e) => Some(format!("cannot tell: {e}")),
            },
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix): no shutdown, no cleanup,
    /// as when a machine loses power or the OOM killer strikes.
    fn kill(&self) {
        if let Some(mut c) = self.child.lock().unwrap().take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Both output streams, for failure messages.
    fn logs(&self) -> String {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        format!(
            "--- opsdeck {} ({}) stderr ---\n{}\n--- opsdeck {} stdout (log) ---\n{}",
            self.name,
            if self.url.is_empty() {
                "not listening"
            } else {
                &self.url
            },
            read(&self.stderr),
            self.name,
            read(&self.stdout)
        )
    }
}

impl Drop for Opsdeck {
    fn drop(&mut self) {
        self.kill();
    }
}

fn all_logs(procs: &[&Opsdeck]) -> String {
    procs
        .iter()
        .map(|p| p.logs())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Polls `probe` every 100 ms until it gives a value, for at most `limit`;
/// fails saying `what` did not happen, with the children's output, or at
/// once when one of `procs` died.
async fn wait_until<T, Fut>(
    what: &str,
    limit: Duration,
    procs: &[&Opsdeck],
    mut probe: impl FnMut() -> Fut,
) -> T
where
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        for p in procs {
            if let Some(status) = p.exited() {
                panic!(
                    "waiting for {what}: opsdeck {} exited ({status})\n{}",
                    p.name,
                    all_logs(procs)
                );
            }
        }
        if started.elapsed() > limit {
            panic!(
                "{what} did not happen within {} s\n{}",
                limit.as_secs(),
                all_logs(procs)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (bounded) until no connection of a killed child is left, so the
/// next child, and `sqlx::test` dropping the database, find them gone.
async fn children_disconnected(pool: &PgPool) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        let left: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name LIKE $1",
        )
        .bind(format!("{APP_NAME_PREFIX}-%"))
        .fetch_one(pool)
        .await
        .unwrap();
        if left == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A process group a deploy command left behind when its opsdeck died,
/// killed on drop (the command driver starts each command in a group of
/// its own, whose id is the shell's pid, which the command writes down).
struct ProcessGroup(u32);

impl ProcessGroup {
    fn kill(&self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0)])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

// ------------------------------------------------------------ set-up

/// The health endpoint of both colours: `GET /{colour}/health` answers 200
/// with the `/health` JSON the drivers accept (`judge_health`).
async fn health_stub() -> String {
    async fn health(UrlPath(colour): UrlPath<String>) -> Json<Value> {
        Json(json!({"status": "ok", "colour": colour, "version": "stub"}))
    }
    let app = Router::new().route("/{colour}/health", get(health));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Development with the command driver, no checklist or approvals, one
/// healthy answer needed, probes every 100 ms; a step may take 2 minutes
/// (longer than any command here, so only the kill ends the switch).
async fn configure_command(pool: &PgPool, config: Value, observe_seconds: i32) {
    sqlx::query(
        "UPDATE deploy_settings SET driver = 'command', driver_config = $1, observe_seconds = $2, \
         health_interval_ms = 100, health_required_consecutive = 1, health_timeout_seconds = 20, \
         step_timeout_seconds = 120, checklist_required = FALSE, approvals_required = 0 \
         WHERE environment = 'development'",
    )
    .bind(config)
    .bind(observe_seconds)
    .execute(pool)
    .await
    .unwrap();
    // Traffic is on blue, running 1.0.0, before the deploy.
    sqlx::query(
        "INSERT INTO environments (name, key, position, deployed_version, live_colour) \
         VALUES ('Development', 'development', 1, '1.0.0', 'blue')",
    )
    .execute(pool)
    .await
    .unwrap();
}

/// Requests a deploy of `version` to development as CI would and presses
/// Deploy as an approver: it waits in the queue for an executor.
async fn request_and_start(pool: &PgPool, version: &str) -> i64 {
    let mut tx = pool.begin().await.unwrap();
    let (id, created) = store::create(
        &mut tx,
        &NewDeploy {
            environment: Environment::Development,
            version: version.into(),
            commit_sha: "c0ffee1".into(),
            ref_name: Some("develop".into()),
            source: DeploySource::Api,
            requested_by: "ci".into(),
            idempotency_key: None,
            release_id: None,
        },
        Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(created);
    let approver = Actor {
        id: None,
        name: "alice".into(),
    };
    store::request_start(pool, id, "alice", &approver, TZ, Utc::now())
        .await
        .unwrap();
    id
}

async fn deploy_row(pool: &PgPool, id: i64) -> (String, BlueGreenDeploy, Option<String>) {
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

fn s(step: &str, colour: &str, status: &str) -> (String, String, String) {
    (step.into(), colour.into(), status.into())
}

async fn environment(pool: &PgPool) -> (Option<String>, Option<String>) {
    sqlx::query_as(
        "SELECT live_colour, deployed_version FROM environments WHERE key = 'development'",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn audit_count(pool: &PgPool, id: i64, action: &str, event: Option<&str>) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE target = $1 AND action = $2 \
         AND ($3::text IS NULL OR after->>'event' = $3)",
    )
    .bind(format!("deploy:{id}"))
    .bind(action)
    .bind(event)
    .fetch_one(pool)
    .await
    .unwrap()
}

// ------------------------------------------------------------ the tests

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn killing_opsdeck_mid_switch_ends_the_deploy_interrupted_with_the_traffic_stated_r_dep_7(
    pool: PgPool,
) {
    let scratch = Scratch::new("switch");
    let health = health_stub().await;
    let pid_file = scratch.path("switch.pid");
    // The switch writes its process group down, then hangs as a load
    // balancer that never answers would: the kill lands mid-switch.
    configure_command(
        &pool,
        json!({
            "provision": "true",
            "switch": format!("echo $$ > {}; sleep 60", sh_quote(&pid_file)),
            "health_url": format!("{health}/{{colour}}/health"),
        }),
        0,
    )
    .await;

    let a = Opsdeck::start("a", &pool, &scratch).await;
    let id = request_and_start(&pool, "2.0.0").await;

    // A provisions green, checks it, and begins the switch.
    let pool_ref = &pool;
    wait_until("process A running the switch step", DEPLOY_LIMIT, &[&a], || async move {
        let running: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM deploy_steps WHERE deploy_id = $1 AND step = 'switch' AND status = 'running'",
        )
        .bind(id)
        .fetch_one(pool_ref)
        .await
        .unwrap();
        (running == 1).then_some(())
    })
    .await;
    // The command itself has started (written its group) — the switch is under way.
    let pid_file_ref = &pid_file;
    let group = wait_until(
        "the switch command starting",
        DEPLOY_LIMIT,
        &[&a],
        || async move {
            std::fs::read_to_string(pid_file_ref)
                .ok()
                .and_then(|t| t.trim().parse::<u32>().ok())
                .map(ProcessGroup)
        },
    )
    .await;
    assert_eq!(deploy_row(&pool, id).await.0, "switching");

    // Power cut: A dies without a word, its command is gone with the machine.
    a.kill();
    drop(group);
    children_disconnected(&pool).await;
    // Nothing moved the deploy: it is still switching, its step still running.
    assert_eq!(deploy_row(&pool, id).await.0, "switching");
    assert_eq!(
        steps(&pool, id).await,
        vec![
            s("provision", "green", "ok"),
            s("health_check", "green", "ok"),
            s("switch", "green", "running"),
        ]
    );

    // B starts on the same database; its recovery finds the orphan.
    let b = Opsdeck::start("b", &pool, &scratch).await;
    let state = wait_until(
        "process B ending the orphaned switch",
        DEPLOY_LIMIT,
        &[&b],
        || async move {
            let (state, _, _) = deploy_row(pool_ref, id).await;
            (state != "switching").then_some(state)
        },
    )
    .await;

    let logs = || all_logs(&[&a, &b]);
    assert_eq!(state, "interrupted", "{}", logs());
    let (_, machine, failure) = deploy_row(&pool, id).await;
    // The machine still records where traffic is: neither colour for sure.
    assert_eq!(
        machine.traffic,
        Traffic::InTransition {
            from: Colour::Blue,
            to: Colour::Green
        }
    );
    let failure = failure.unwrap_or_default();
    assert!(
        failure.contains("Interrupted while switching traffic")
            && failure.contains("in transition from blue to green"),
        "{failure}"
    );
    assert_eq!(
        steps(&pool, id).await,
        vec![
            s("provision", "green", "ok"),
            s("health_check", "green", "ok"),
            s("switch", "green", "interrupted"),
        ]
    );
    let (output,): (String,) =
        sqlx::query_as("SELECT output FROM deploy_steps WHERE deploy_id = $1 AND step = 'switch'")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        output.contains("interrupted: the opsdeck process running this step stopped"),
        "{output}"
    );
    // The environment's display row was never told the switch finished.
    assert_eq!(
        environment(&pool).await,
        (Some("blue".into()), Some("1.0.0".into()))
    );
    // Stated once: audited and on-call told, and nothing was resumed.
    assert_eq!(audit_count(&pool, id, "deploy.interrupted", None).await, 1);
    assert_eq!(audit_count(&pool, id, "deploy.resumed", None).await, 0);
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT kind FROM notification_messages WHERE group_name = 'oncall' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(kinds, vec!["deploys.failed".to_string()]);
    assert!(b.exited().is_none(), "B keeps running\n{}", logs());

    b.kill();
    children_disconnected(&pool).await;
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn two_opsdeck_processes_on_one_database_run_a_deploy_once_r_dep_7(pool: PgPool) {
    let scratch = Scratch::new("twice");
    let health = health_stub().await;
    // Each command appends a line: the file says how often it really ran.
    let runs = scratch.path("runs.log");
    let record = |step: &str| {
        format!(
            "echo \"{step} $OPSDECK_VERSION $OPSDECK_COLOR\" >> {}",
            sh_quote(&runs)
        )
    };
    configure_command(
        &pool,
        json!({
            "provision": record("provision"),
            "switch": record("switch"),
            "health_url": format!("{health}/{{colour}}/health"),
        }),
        1,
    )
    .await;

    // Started one after the other: both would otherwise create the admin.
    let a = Opsdeck::start("a", &pool, &scratch).await;
    let b = Opsdeck::start("b", &pool, &scratch).await;
    let id = request_and_start(&pool, "2.0.0").await;

    let pool_ref = &pool;
    let state = wait_until(
        "the deploy finishing",
        DEPLOY_LIMIT,
        &[&a, &b],
        || async move {
            let (state, _, _) = deploy_row(pool_ref, id).await;
            matches!(
                state.as_str(),
                "done" | "failed" | "rolled_back" | "interrupted"
            )
            .then_some(state)
        },
    )
    .await;
    // Let both processes poll the queue a few more times: nothing may run again.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let logs = || all_logs(&[&a, &b]);
    let (_, machine, failure) = deploy_row(&pool, id).await;
    assert_eq!(state, "done", "{failure:?}\n{}", logs());
    assert_eq!(
        machine.traffic,
        Traffic::Live {
            colour: Colour::Green
        }
    );
    // One row per step: only one process executed the deploy.
    assert_eq!(
        steps(&pool, id).await,
        vec![
            s("provision", "green", "ok"),
            s("health_check", "green", "ok"),
            s("switch", "green", "ok"),
            s("observe", "green", "ok"),
        ],
        "{}",
        logs()
    );
    // And the commands ran once each.
    let ran = std::fs::read_to_string(&runs).unwrap_or_default();
    assert_eq!(
        ran.lines().collect::<Vec<_>>(),
        vec!["provision 2.0.0 green", "switch 2.0.0 green"]
    );
    // Started once, each move audited once.
    assert_eq!(
        audit_count(&pool, id, "deploy.start_request", None).await,
        1
    );
    assert_eq!(
        audit_count(&pool, id, "deploy.transition", Some("start")).await,
        1
    );
    assert_eq!(
        audit_count(&pool, id, "deploy.transition", None).await,
        5,
        "start, deployed, healthy, switched, observed"
    );
    assert_eq!(audit_count(&pool, id, "deploy.resumed", None).await, 0);
    assert_eq!(
        environment(&pool).await,
        (Some("green".into()), Some("2.0.0".into()))
    );
    // Neither process failed a pass or died meanwhile.
    for p in [&a, &b] {
        assert!(p.exited().is_none(), "{} keeps running\n{}", p.name, logs());
        let log = std::fs::read_to_string(&p.stdout).unwrap_or_default();
        assert!(
            !log.contains("deploy pass failed"),
            "opsdeck {}:\n{log}",
            p.name
        );
    }

    a.kill();
    b.kill();
    children_disconnected(&pool).await;
}
