//! The deploy executor's database side (issue 9, R-DEP-7, R-DEP-8; decision
//! 0017): which deploy an environment runs next, the persisted steps, and
//! every move of the core's blue-green machine.
//!
//! Three locks keep a deploy executed once with several opsdeck processes:
//!
//! - per environment, a transaction-scoped advisory lock
//!   ([`environment_lock_key`]) held while a pass decides what to do there
//!   (start, roll back, resume): only one process decides at a time;
//! - the deploy row's `state`: once started it is running
//!   ([`DeployStatus::is_running`]), so no other deploy of that environment
//!   starts until it ends;
//! - per running deploy, a session-level advisory lock ([`Lease`]) held on a
//!   connection of its own by whichever process executes it. A running
//!   deploy nobody holds was left by a stopped process: that is how recovery
//!   tells an orphan from a deploy another live process is working on, and
//!   the lock goes with the process (its connection closes).
//!
//! The machine moves only through [`BlueGreenDeploy::apply`]: `state` and
//! `machine` are written together, in the transaction that ends the step.

use super::audit::{self, Actor};
use super::notifications::{self, NotifyError};
use crate::model::deploys::DeployStatus;
use crate::notify::Event;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use opsdeck::deploy_gate::{
    BlockingReason, BlueGreenDeploy, Colour, DeployEvent, DeployState, Environment, Traffic,
};
use serde_json::{json, Value};
use sqlx::postgres::PgRow;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool, Row};

/// The group told about failed deploys and automatic rollbacks.
pub const ONCALL: &str = "oncall";

/// Longest driver output kept per step, in bytes.
pub const OUTPUT_LIMIT: usize = 1024 * 1024;

/// Base of the per-environment pass lock ("opsdep" and the environment's ordinal).
const ENV_LOCK_BASE: i64 = 0x6f70_7364_6570_0000;
/// Base of the per-deploy executor lease ("od" and 48 bits of the deploy id).
const LEASE_LOCK_BASE: i64 = 0x6f64_0000_0000_0000;

/// The transaction-scoped advisory lock a pass takes on `env`.
pub fn environment_lock_key(env: Environment) -> i64 {
    let ordinal = Environment::ALL
        .iter()
        .position(|e| *e == env)
        .unwrap_or_default();
    ENV_LOCK_BASE + i64::try_from(ordinal).unwrap_or_default()
}

/// The session-level advisory lock whoever executes deploy `id` holds.
pub fn lease_lock_key(deploy_id: i64) -> i64 {
    LEASE_LOCK_BASE | (deploy_id & 0x0000_ffff_ffff_ffff)
}

/// Why the executor's store could not do its part.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// A stored row the executor cannot read (a machine that is not JSON of
    /// the core's type, an unknown environment): left alone, never guessed.
    #[error("deploy {deploy_id}: {problem}")]
    Unreadable { deploy_id: i64, problem: String },
    #[error(transparent)]
    Notify(#[from] NotifyError),
}

/// The strings `deploys.state` holds while the executor works on a deploy.
fn running_states() -> Vec<&'static str> {
    DeployStatus::ALL
        .into_iter()
        .filter(|s| s.is_running())
        .map(DeployStatus::as_str)
        .collect()
}

/// `blue` / `green`, as stored.
pub fn colour_key(c: Colour) -> &'static str {
    match c {
        Colour::Blue => "blue",
        Colour::Green => "green",
    }
}

/// Cuts `text` to at most [`OUTPUT_LIMIT`] bytes on a character boundary,
/// saying so at the end.
pub fn cap_output(text: &str) -> String {
    if text.len() <= OUTPUT_LIMIT {
        return text.to_string();
    }
    const NOTE: &str = "\n[output cut at 1 MB]";
    let mut end = OUTPUT_LIMIT - NOTE.len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{NOTE}", &text[..end])
}

// ---------------------------------------------------------------- rows

/// How an environment deploys (`deploy_settings`), as the executor uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSettings {
    pub environment: Environment,
    /// `command`, `webhook` or `demo`.
    pub driver: String,
    pub driver_config: Value,
    pub step_timeout_seconds: u32,
    pub health_required_consecutive: u32,
    pub health_timeout_seconds: u32,
    pub health_interval_ms: u32,
    pub observe_seconds: u32,
}

fn to_u32(v: i32) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

/// The settings of `env` (every environment has a row from the migration).
pub async fn settings(pool: &PgPool, env: Environment) -> Result<RunSettings, sqlx::Error> {
    let r = sqlx::query(
        "SELECT driver, driver_config, step_timeout_seconds, health_required_consecutive, \
         health_timeout_seconds, health_interval_ms, observe_seconds \
         FROM deploy_settings WHERE environment = $1",
    )
    .bind(env.key())
    .fetch_one(pool)
    .await?;
    Ok(RunSettings {
        environment: env,
        driver: r.try_get("driver")?,
        driver_config: r.try_get("driver_config")?,
        step_timeout_seconds: to_u32(r.try_get("step_timeout_seconds")?),
        health_required_consecutive: to_u32(r.try_get("health_required_consecutive")?),
        health_timeout_seconds: to_u32(r.try_get("health_timeout_seconds")?),
        health_interval_ms: to_u32(r.try_get("health_interval_ms")?),
        observe_seconds: to_u32(r.try_get("observe_seconds")?),
    })
}

/// A deploy as the executor sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunDeploy {
    pub id: i64,
    pub environment: Environment,
    pub version: String,
    pub commit_sha: String,
    pub requested_by: String,
    pub status: DeployStatus,
    pub machine: BlueGreenDeploy,
    /// An approver's rollback request (`rollback_requested_at`), not yet carried out.
    pub rollback_requested: bool,
    pub rollback_reason: Option<String>,
    pub rollback_by: Option<String>,
}

const DEPLOY_COLUMNS: &str = "id, environment, version, commit_sha, requested_by, state, machine, \
     rollback_requested_at IS NOT NULL AS rollback_requested, rollback_reason, rollback_by";

fn read_deploy(r: &PgRow) -> Result<RunDeploy, ExecError> {
    let id: i64 = r.try_get("id")?;
    let unreadable = |problem: String| ExecError::Unreadable {
        deploy_id: id,
        problem,
    };
    let env: String = r.try_get("environment")?;
    let state: String = r.try_get("state")?;
    let machine: Option<Value> = r.try_get("machine")?;
    let machine = machine.ok_or_else(|| unreadable("no machine recorded".into()))?;
    Ok(RunDeploy {
        id,
        environment: env
            .parse()
            .map_err(|e: opsdeck::deploy_gate::EnvironmentError| unreadable(e.to_string()))?,
        version: r.try_get("version")?,
        commit_sha: r.try_get("commit_sha")?,
        requested_by: r.try_get("requested_by")?,
        status: DeployStatus::parse(&state)
            .ok_or_else(|| unreadable(format!("unknown state `{state}`")))?,
        machine: serde_json::from_value(machine)
            .map_err(|e| unreadable(format!("machine is not readable: {e}")))?,
        rollback_requested: r.try_get("rollback_requested")?,
        rollback_reason: r.try_get("rollback_reason")?,
        rollback_by: r.try_get("rollback_by")?,
    })
}

/// The deploy `id`, if it exists.
pub async fn load(conn: &mut PgConnection, id: i64) -> Result<Option<RunDeploy>, ExecError> {
    let row = sqlx::query(&format!(
        "SELECT {DEPLOY_COLUMNS} FROM deploys WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(read_deploy).transpose()
}

async fn load_for_update(conn: &mut PgConnection, id: i64) -> Result<Option<RunDeploy>, ExecError> {
    let row = sqlx::query(&format!(
        "SELECT {DEPLOY_COLUMNS} FROM deploys WHERE id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(read_deploy).transpose()
}

/// The version and commit a colour of `env` runs (`environment_colours`).
pub async fn colour_version(
    pool: &PgPool,
    env: Environment,
    colour: Colour,
) -> Result<(Option<String>, Option<String>), sqlx::Error> {
    let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT version, commit_sha FROM environment_colours WHERE environment = $1 AND colour = $2",
    )
    .bind(env.key())
    .bind(colour_key(colour))
    .fetch_optional(pool)
    .await?;
    Ok(row.unwrap_or((None, None)))
}

// ---------------------------------------------------------------- the lease

/// The right to execute one deploy: a session-level advisory lock on a
/// connection of its own (not the pool's), so it lasts exactly as long as
/// this process does. Dropping it closes the connection, which releases it.
pub struct Lease {
    conn: PgConnection,
    deploy_id: i64,
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lease")
            .field("deploy_id", &self.deploy_id)
            .finish()
    }
}

impl Lease {
    /// Takes the lease of deploy `id`, or `None` when a live executor holds it.
    pub async fn acquire(pool: &PgPool, deploy_id: i64) -> Result<Option<Lease>, sqlx::Error> {
        let mut conn = pool.connect_options().connect().await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(lease_lock_key(deploy_id))
            .fetch_one(&mut conn)
            .await?;
        if got {
            Ok(Some(Lease { conn, deploy_id }))
        } else {
            let _ = conn.close().await;
            Ok(None)
        }
    }

    pub fn deploy_id(&self) -> i64 {
        self.deploy_id
    }

    /// Gives the lease up (closing the connection releases the lock too).
    pub async fn release(mut self) {
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(lease_lock_key(self.deploy_id))
            .execute(&mut self.conn)
            .await;
        let _ = self.conn.close().await;
    }
}

/// Whether nobody holds deploy `id`'s lease (its executor stopped). Checked
/// on `conn` by taking and at once releasing the lock: CASE evaluates in
/// order, so the unlock runs only when the lock was taken.
async fn is_orphan(conn: &mut PgConnection, deploy_id: i64) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT CASE WHEN pg_try_advisory_lock($1) THEN pg_advisory_unlock($1) ELSE FALSE END",
    )
    .bind(lease_lock_key(deploy_id))
    .fetch_one(conn)
    .await
}

// ---------------------------------------------------------------- the pass

/// What a pass did in one environment.
#[derive(Debug)]
pub enum EnvPass {
    /// Another process holds the environment's lock right now.
    Busy,
    /// Nothing queued, nothing to roll back.
    Idle,
    /// A deploy of the environment is being executed by a live process.
    Running { deploy_id: i64 },
    /// The queued deploy was started; run it with the lease.
    Started(RunDeploy, Lease),
    /// The queued deploy's gate no longer clears: it went back to `ready`
    /// without its start request, `reason` recorded as its failure.
    Refused { deploy_id: i64, reason: String },
    /// A rollback an approver asked for on a finished deploy begins.
    RollbackStarted(RunDeploy, Lease),
    /// A deploy left by a stopped process with traffic settled: go on from
    /// its state (its running steps were marked interrupted).
    Resumed(RunDeploy, Lease),
    /// A deploy left by a stopped process mid-switch, now `interrupted`.
    Interrupted { deploy_id: i64, failure: String },
}

/// Decides and records what `env` does next (decision 0017), under the
/// environment's lock. Starting re-checks the whole gate at `now`.
pub async fn pass_environment(
    pool: &PgPool,
    env: Environment,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<EnvPass, ExecError> {
    let mut tx = pool.begin().await?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(environment_lock_key(env))
        .fetch_one(&mut *tx)
        .await?;
    if !locked {
        return Ok(EnvPass::Busy);
    }
    // One at a time: a running deploy holds the environment.
    let running: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM deploys WHERE environment = $1 AND state = ANY($2) ORDER BY id LIMIT 1",
    )
    .bind(env.key())
    .bind(running_states())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = running {
        if !is_orphan(&mut tx, id).await? {
            return Ok(EnvPass::Running { deploy_id: id });
        }
        let Some(lease) = Lease::acquire(pool, id).await? else {
            return Ok(EnvPass::Running { deploy_id: id });
        };
        let outcome = adopt_orphan(&mut tx, id, now).await?;
        tx.commit().await?;
        return Ok(match outcome {
            Adopted::Resume(d) => EnvPass::Resumed(d, lease),
            Adopted::Interrupted(failure) => {
                lease.release().await;
                EnvPass::Interrupted {
                    deploy_id: id,
                    failure,
                }
            }
            Adopted::Gone => {
                lease.release().await;
                EnvPass::Idle
            }
        });
    }
    // An approver's rollback of the deploy that is live: finished, or ended
    // with traffic in transition (failed or interrupted mid-switch). One of
    // a deploy being observed is carried out by the observation itself.
    let rollback: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, state FROM deploys WHERE environment = $1 \
         AND state IN ('done', 'failed', 'interrupted') \
         AND rollback_requested_at IS NOT NULL ORDER BY id DESC LIMIT 1 FOR UPDATE",
    )
    .bind(env.key())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((id, state)) = rollback {
        // Asked for while another deploy of the environment ran, which has
        // since moved the traffic: rolling this one back would undo that one.
        let live = super::deploys::live_deploy(&mut tx, env).await?;
        if live != Some(id) {
            let why = match live {
                Some(other) => format!(
                    "Rollback not carried out: deploy #{other} went live after it was asked for; \
                     roll that one back instead."
                ),
                None => "Rollback not carried out: this deploy is no longer live.".to_string(),
            };
            drop_rollback_request(&mut tx, id, &why).await?;
            tx.commit().await?;
            return Ok(EnvPass::Idle);
        }
        let Some(lease) = Lease::acquire(pool, id).await? else {
            return Ok(EnvPass::Running { deploy_id: id });
        };
        let moved = transition(
            &mut tx,
            id,
            DeployStatus::parse(&state).unwrap_or(DeployStatus::Done),
            DeployEvent::RollbackRequested,
            &Note::default(),
            tz,
            now,
        )
        .await?;
        if moved.is_none() {
            // The machine refuses (nothing to roll back): the request must
            // not hold up the queue pass after pass.
            drop_rollback_request(
                &mut tx,
                id,
                "Rollback not carried out: the deploy's traffic has nothing to go back from.",
            )
            .await?;
        }
        tx.commit().await?;
        return Ok(match moved {
            Some(d) => EnvPass::RollbackStarted(d, lease),
            None => {
                lease.release().await;
                EnvPass::Idle
            }
        });
    }
    // The queue: oldest start request first.
    let queued: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM deploys WHERE environment = $1 AND state = 'ready' \
         AND start_requested_at IS NOT NULL ORDER BY start_requested_at, id LIMIT 1 FOR UPDATE",
    )
    .bind(env.key())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = queued else {
        return Ok(EnvPass::Idle);
    };
    // The one gate, again, at the moment of starting (decision 0017).
    let Some(decision) = super::deploys::gate(&mut tx, id, tz, now).await? else {
        return Ok(EnvPass::Idle);
    };
    if !decision.can_start {
        let reason = format!(
            "Not started: {}. Press Deploy again once the gate clears.",
            describe_blocking(&decision.blocking)
        );
        sqlx::query(
            "UPDATE deploys SET start_requested_at = NULL, start_requested_by = NULL, failure = $2 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(&reason)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            &Actor::system(),
            "deploy.start_refused",
            &format!("deploy:{id}"),
            Some(json!({"queued": true})),
            Some(json!({"queued": false, "reason": reason, "blocking": decision.blocking})),
        )
        .await?;
        tx.commit().await?;
        return Ok(EnvPass::Refused {
            deploy_id: id,
            reason,
        });
    }
    let Some(lease) = Lease::acquire(pool, id).await? else {
        return Ok(EnvPass::Running { deploy_id: id });
    };
    // A deploy queued behind another one was requested while the other colour
    // was live: build the idle colour of *now*, not of when Deploy was pressed.
    if let Some(live) = super::deploys::live_colour(&mut tx, env).await? {
        let fresh = BlueGreenDeploy::new(live)
            .apply(DeployEvent::GateCleared)
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
        sqlx::query(
            "UPDATE deploys SET machine = $2, previous_colour = $3 \
             WHERE id = $1 AND previous_colour IS DISTINCT FROM $3",
        )
        .bind(id)
        .bind(serde_json::to_value(fresh).map_err(|e| sqlx::Error::Protocol(e.to_string()))?)
        .bind(colour_key(live))
        .execute(&mut *tx)
        .await?;
    }
    let started = transition(
        &mut tx,
        id,
        DeployStatus::Ready,
        DeployEvent::Start,
        &Note::default(),
        tz,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(match started {
        Some(d) => EnvPass::Started(d, lease),
        None => {
            lease.release().await;
            EnvPass::Idle
        }
    })
}

/// Withdraws an approver's rollback request the executor cannot carry out,
/// saying why on the deploy and in the audit log (who asked, and why, stay there).
async fn drop_rollback_request(
    conn: &mut PgConnection,
    id: i64,
    why: &str,
) -> Result<(), sqlx::Error> {
    let before: Option<(Option<String>, Option<String>)> = sqlx::query_as(
        "UPDATE deploys d SET rollback_requested_at = NULL, rollback_reason = NULL, \
         rollback_by = NULL, rollback_at = NULL, failure = $2 \
         FROM deploys old WHERE d.id = $1 AND old.id = d.id \
         RETURNING old.rollback_by, old.rollback_reason",
    )
    .bind(id)
    .bind(why)
    .fetch_optional(&mut *conn)
    .await?;
    let (by, reason) = before.unwrap_or((None, None));
    audit::append(
        conn,
        &Actor::system(),
        "deploy.rollback_request_dropped",
        &format!("deploy:{id}"),
        Some(json!({"rollback_by": by, "rollback_reason": reason})),
        Some(json!({"failure": why})),
    )
    .await
}

/// The gate's blocking reasons as one readable sentence.
pub fn describe_blocking(blocking: &[BlockingReason]) -> String {
    let parts: Vec<String> = blocking
        .iter()
        .map(|b| match b {
            BlockingReason::ChecklistOpen { items } => format!(
                "checklist items open ({})",
                items
                    .iter()
                    .map(|i| i.label_en())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            BlockingReason::ApprovalsMissing { missing, required } => {
                format!("{missing} of {required} required approvals missing")
            }
            BlockingReason::CodeFreeze { window } => format!(
                "inside the code freeze {} – {} without an override",
                window.start.format("%Y-%m-%d %H:%M UTC"),
                window.end.format("%Y-%m-%d %H:%M UTC")
            ),
        })
        .collect();
    if parts.is_empty() {
        "the gate does not clear".into()
    } else {
        parts.join("; ")
    }
}

// ---------------------------------------------------------------- recovery

enum Adopted {
    Resume(RunDeploy),
    Interrupted(String),
    Gone,
}

/// Where traffic is, in words.
fn traffic_words(t: Traffic) -> String {
    match t {
        Traffic::Live { colour } => format!("traffic is on {}", colour_key(colour)),
        Traffic::InTransition { from, to } => format!(
            "traffic is in transition from {} to {} and may be on either colour",
            colour_key(from),
            colour_key(to)
        ),
    }
}

/// Takes over a running deploy whose executor stopped (its lease is ours):
/// its running steps become `interrupted`; with traffic settled (deploying,
/// health checking, observing) it resumes; caught switching or rolling back
/// it ends `interrupted` saying where traffic is — never silently half-switched.
async fn adopt_orphan(
    conn: &mut PgConnection,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Adopted, ExecError> {
    let Some(d) = load_for_update(conn, id).await? else {
        return Ok(Adopted::Gone);
    };
    let steps = sqlx::query(
        "UPDATE deploy_steps SET status = 'interrupted', finished_at = $2, \
         output = CASE WHEN output = '' THEN '' ELSE output || E'\\n' END \
                  || 'interrupted: the opsdeck process running this step stopped' \
         WHERE deploy_id = $1 AND status = 'running'",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    match d.status {
        DeployStatus::DeployingIdle | DeployStatus::HealthChecking | DeployStatus::Observing => {
            audit::append(
                conn,
                &Actor::system(),
                "deploy.resumed",
                &format!("deploy:{id}"),
                Some(json!({"state": d.status.as_str(), "steps_interrupted": steps})),
                Some(json!({"state": d.status.as_str()})),
            )
            .await?;
            Ok(Adopted::Resume(d))
        }
        DeployStatus::Switching | DeployStatus::RollingBack => {
            let doing = if d.status == DeployStatus::Switching {
                "switching traffic"
            } else {
                "rolling back"
            };
            let failure = format!(
                "Interrupted while {doing}: opsdeck stopped mid-step, so {}. \
                 Check the load balancer, then roll back or deploy again.",
                traffic_words(d.machine.traffic)
            );
            sqlx::query(
                "UPDATE deploys SET state = 'interrupted', failure = $2, finished_at = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(&failure)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            audit::append(
                conn,
                &Actor::system(),
                "deploy.interrupted",
                &format!("deploy:{id}"),
                Some(json!({"state": d.status.as_str(), "machine": d.machine})),
                Some(json!({"state": "interrupted", "failure": failure})),
            )
            .await?;
            let event = Event::DeployFailed {
                deploy_id: id,
                environment: d.environment.key().to_string(),
                version: d.version.clone(),
                step: if d.status == DeployStatus::Switching {
                    "switch".into()
                } else {
                    "rollback".into()
                },
                reason: failure.clone(),
            };
            notifications::notify(conn, ONCALL, &event, &format!("deploy:{id}:interrupted"))
                .await?;
            Ok(Adopted::Interrupted(failure))
        }
        _ => Ok(Adopted::Gone),
    }
}

/// What recovery found at start-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoverSummary {
    /// Steps left `running` by a stopped process, now `interrupted`.
    pub steps_interrupted: u64,
    /// Deploys caught mid-switch, now `interrupted`.
    pub deploys_interrupted: Vec<i64>,
    /// Deploys with traffic settled; the next pass resumes them.
    pub resumable: Vec<i64>,
}

/// Start-up recovery (R-DEP-7): every running deploy no live process holds
/// is taken over — running steps become `interrupted`, a deploy caught
/// switching or rolling back ends `interrupted` with where traffic is, the
/// others stay in their state for the next pass to resume. Steps still
/// `running` on deploys that are no longer running (cancelled mid-step
/// before a stop) are marked too.
pub async fn recover(pool: &PgPool, now: DateTime<Utc>) -> Result<RecoverSummary, ExecError> {
    let mut summary = RecoverSummary::default();
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM deploys WHERE state = ANY($1) ORDER BY id")
            .bind(running_states())
            .fetch_all(pool)
            .await?;
    for id in ids {
        let Some(lease) = Lease::acquire(pool, id).await? else {
            continue; // a live process executes it
        };
        let mut tx = pool.begin().await?;
        let before: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM deploy_steps WHERE deploy_id = $1 AND status = 'running'",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let outcome = adopt_orphan(&mut tx, id, now).await?;
        tx.commit().await?;
        lease.release().await;
        summary.steps_interrupted += u64::try_from(before).unwrap_or(0);
        match outcome {
            Adopted::Resume(_) => summary.resumable.push(id),
            Adopted::Interrupted(_) => summary.deploys_interrupted.push(id),
            Adopted::Gone => {}
        }
    }
    let stray = sqlx::query(
        "UPDATE deploy_steps s SET status = 'interrupted', finished_at = $1 \
         FROM deploys d WHERE d.id = s.deploy_id AND s.status = 'running' \
         AND NOT (d.state = ANY($2))",
    )
    .bind(now)
    .bind(running_states())
    .execute(pool)
    .await?
    .rows_affected();
    summary.steps_interrupted += stray;
    Ok(summary)
}

// ---------------------------------------------------------------- steps

/// An executor step (`deploy_steps.step`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Provision,
    HealthCheck,
    Switch,
    Observe,
    Rollback,
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provision => "provision",
            Self::HealthCheck => "health_check",
            Self::Switch => "switch",
            Self::Observe => "observe",
            Self::Rollback => "rollback",
        }
    }
}

/// Records a step as `running` (committed) before its driver is called.
pub async fn begin_step(
    pool: &PgPool,
    deploy_id: i64,
    step: StepKind,
    colour: Colour,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO deploy_steps (deploy_id, step, colour, status, started_at) \
         VALUES ($1, $2, $3, 'running', $4) RETURNING id",
    )
    .bind(deploy_id)
    .bind(step.as_str())
    .bind(colour_key(colour))
    .bind(now)
    .fetch_one(pool)
    .await
}

/// Progress of a long step (the health check's probes) while it runs.
pub async fn update_step_output(
    pool: &PgPool,
    step_id: i64,
    output: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE deploy_steps SET output = $2 WHERE id = $1 AND status = 'running'")
        .bind(step_id)
        .bind(cap_output(output))
        .execute(pool)
        .await?;
    Ok(())
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepEnd {
    pub ok: bool,
    pub exit_code: Option<i32>,
    pub output: String,
}

/// What else the end of a step records besides the machine's move.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Note {
    /// The deploy's failure text when it ends failed.
    pub failure: Option<String>,
    /// A colour's health as the step saw it (`ok`, `critical`).
    pub colour_health: Option<(Colour, &'static str)>,
    /// Why opsdeck rolls back by itself (switch failed, unhealthy while observed).
    pub automatic_rollback: Option<String>,
    /// The step, for the notification.
    pub step: Option<&'static str>,
}

/// The machine's move that ends a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// The state the deploy must still be in (someone may have cancelled it meanwhile).
    pub expect: DeployStatus,
    pub event: DeployEvent,
    pub note: Note,
}

/// Ends step `step_id` (status, exit code, output) and, in the same
/// transaction, moves deploy `deploy_id` as `mv` says if it is still in
/// `mv.expect`. `None` when the machine did not move; the step is recorded
/// either way.
pub async fn finish_step(
    pool: &PgPool,
    deploy_id: i64,
    step_id: i64,
    end: &StepEnd,
    mv: Option<&Move>,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Option<RunDeploy>, ExecError> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE deploy_steps SET status = $2, exit_code = $3, output = $4, finished_at = $5 \
         WHERE id = $1",
    )
    .bind(step_id)
    .bind(if end.ok { "ok" } else { "failed" })
    .bind(end.exit_code)
    .bind(cap_output(&end.output))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let moved = match mv {
        Some(m) => transition(&mut tx, deploy_id, m.expect, m.event, &m.note, tz, now).await?,
        None => None,
    };
    tx.commit().await?;
    Ok(moved)
}

/// Applies `event` to deploy `id` if its stored state is `expect`, writing
/// `state` and `machine` together, the audit entry, and what the new state
/// means for the environment (colour versions, live colour, notifications).
async fn transition(
    conn: &mut PgConnection,
    id: i64,
    expect: DeployStatus,
    event: DeployEvent,
    note: &Note,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Option<RunDeploy>, ExecError> {
    let Some(d) = load_for_update(conn, id).await? else {
        return Ok(None);
    };
    if d.status != expect {
        tracing::info!(deploy = id, state = d.status.as_str(), expected = expect.as_str(), event = ?event, "deploy moved meanwhile; step result kept, machine not moved");
        return Ok(None);
    }
    let next = match d.machine.apply(event) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(deploy = id, error = %e, "transition refused by the machine");
            return Ok(None);
        }
    };
    let status = DeployStatus::from_core(next.state);
    let env = d.environment;
    let finished = matches!(
        next.state,
        DeployState::Done | DeployState::Failed | DeployState::RolledBack
    );
    sqlx::query(
        "UPDATE deploys SET state = $2, machine = $3, \
         previous_colour = COALESCE(previous_colour, $4), \
         started_at = CASE WHEN $5 THEN $6 ELSE started_at END, \
         finished_at = CASE WHEN $7 THEN $6 WHEN $5 OR $9 THEN NULL ELSE finished_at END, \
         failure = CASE WHEN $5 THEN NULL ELSE COALESCE($8, failure) END, \
         rollback_requested_at = CASE WHEN $9 THEN NULL ELSE rollback_requested_at END \
         WHERE id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(
        serde_json::to_value(next).map_err(|e| ExecError::Unreadable {
            deploy_id: id,
            problem: e.to_string(),
        })?,
    )
    .bind(colour_key(next.previous))
    .bind(event == DeployEvent::Start)
    .bind(now)
    .bind(finished)
    .bind(note.failure.as_deref())
    // The approver's request is carried out now: consumed, so a rollback
    // that fails can be asked for again.
    .bind(event == DeployEvent::RollbackRequested)
    .execute(&mut *conn)
    .await?;
    audit::append(
        conn,
        &Actor::system(),
        "deploy.transition",
        &format!("deploy:{id}"),
        Some(json!({"state": d.status.as_str(), "machine": d.machine})),
        Some(
            json!({"state": status.as_str(), "event": event, "machine": next,
                    "failure": note.failure, "automatic_rollback": note.automatic_rollback}),
        ),
    )
    .await?;
    if let Some((colour, health)) = note.colour_health {
        set_colour_health(conn, env, colour, health, now).await?;
    }
    match next.state {
        // The idle colour now runs the new version.
        DeployState::HealthChecking => {
            sqlx::query(
                "INSERT INTO environment_colours (environment, colour, version, commit_sha, health, checked_at) \
                 VALUES ($1, $2, $3, $4, 'unknown', NULL) \
                 ON CONFLICT (environment, colour) DO UPDATE SET version = EXCLUDED.version, \
                 commit_sha = EXCLUDED.commit_sha, health = 'unknown', checked_at = NULL",
            )
            .bind(env.key())
            .bind(colour_key(next.candidate()))
            .bind(&d.version)
            .bind(&d.commit_sha)
            .execute(&mut *conn)
            .await?;
        }
        // Traffic is on the new colour.
        DeployState::Observing => {
            let approvers = match super::deploys::gate(conn, id, tz, now).await? {
                Some(g) => g.approvals.counted.join(","),
                None => String::new(),
            };
            set_environment_live(
                conn,
                env,
                next.candidate(),
                Some(&d.version),
                Some(&d.commit_sha),
                Some(approvers.as_str()).filter(|a| !a.is_empty()),
                now,
            )
            .await?;
        }
        // Traffic is back on the previous colour, with what it runs.
        DeployState::RolledBack => {
            let (version, commit): (Option<String>, Option<String>) = sqlx::query_as(
                "SELECT version, commit_sha FROM environment_colours WHERE environment = $1 AND colour = $2",
            )
            .bind(env.key())
            .bind(colour_key(next.previous))
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or((None, None));
            // Approved by whoever approved the last deploy of that version.
            let earlier: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM deploys WHERE environment = $1 AND id < $2 AND version = $3 \
                 AND state = 'done' ORDER BY id DESC LIMIT 1",
            )
            .bind(env.key())
            .bind(id)
            .bind(version.as_deref())
            .fetch_optional(&mut *conn)
            .await?;
            let approvers = match earlier {
                Some(e) => super::deploys::gate(conn, e, tz, now)
                    .await?
                    .map(|g| g.approvals.counted.join(","))
                    .filter(|a| !a.is_empty()),
                None => None,
            };
            set_environment_live(
                conn,
                env,
                next.previous,
                version.as_deref(),
                commit.as_deref(),
                approvers.as_deref(),
                now,
            )
            .await?;
        }
        DeployState::RollingBack => {
            if let Some(reason) = &note.automatic_rollback {
                sqlx::query(
                    "UPDATE deploys SET rollback_reason = $2, rollback_by = 'system', rollback_at = $3 \
                     WHERE id = $1",
                )
                .bind(id)
                .bind(reason)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                let event = Event::DeployAutoRollback {
                    deploy_id: id,
                    environment: env.key().to_string(),
                    version: d.version.clone(),
                    reason: short(reason),
                };
                notifications::notify(conn, ONCALL, &event, &format!("deploy:{id}:auto_rollback"))
                    .await?;
            } else if event == DeployEvent::RollbackRequested {
                sqlx::query(
                    "UPDATE deploys SET rollback_at = COALESCE(rollback_at, $2) WHERE id = $1",
                )
                .bind(id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
        }
        DeployState::Failed => {
            let reason = note
                .failure
                .clone()
                .unwrap_or_else(|| "the deploy failed".into());
            let event = Event::DeployFailed {
                deploy_id: id,
                environment: env.key().to_string(),
                version: d.version.clone(),
                step: note.step.unwrap_or("").to_string(),
                reason: short(&reason),
            };
            // A rollback may be asked for and fail again: each failure is told.
            let key = if d.status == DeployStatus::RollingBack {
                format!("deploy:{id}:rollback_failed:{}", now.timestamp_millis())
            } else {
                format!("deploy:{id}:failed")
            };
            notifications::notify(conn, ONCALL, &event, &key).await?;
        }
        _ => {}
    }
    let mut after = d;
    after.status = status;
    after.machine = next;
    Ok(Some(after))
}

/// A reason short enough for a notification.
fn short(text: &str) -> String {
    const MAX: usize = 500;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

async fn set_colour_health(
    conn: &mut PgConnection,
    env: Environment,
    colour: Colour,
    health: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO environment_colours (environment, colour, health, checked_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (environment, colour) DO UPDATE SET health = EXCLUDED.health, checked_at = EXCLUDED.checked_at",
    )
    .bind(env.key())
    .bind(colour_key(colour))
    .bind(health)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The environment's display row follows where traffic is (R-DEP-1). The row
/// is created when the environment has none yet (rows otherwise come from the
/// demo data or an admin).
async fn set_environment_live(
    conn: &mut PgConnection,
    env: Environment,
    colour: Colour,
    version: Option<&str>,
    commit: Option<&str>,
    // The voters counted for the version now live (`None`: nobody approved it).
    approved_by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE environments SET live_colour = $2, deployed_version = $3, deployed_commit = $4, \
         last_deploy_at = $5, approved_by = $6 \
         WHERE key = $1",
    )
    .bind(env.key())
    .bind(colour_key(colour))
    .bind(version)
    .bind(commit)
    .bind(now)
    .bind(approved_by)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated == 0 {
        let position = Environment::ALL
            .iter()
            .position(|e| *e == env)
            .unwrap_or_default();
        sqlx::query(
            "INSERT INTO environments (name, key, position, deployed_version, deployed_commit, \
             live_colour, last_deploy_at, approved_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT DO NOTHING",
        )
        .bind(env.label_en())
        .bind(env.key())
        .bind(i32::try_from(position).unwrap_or_default())
        .bind(version)
        .bind(commit)
        .bind(colour_key(colour))
        .bind(now)
        .bind(approved_by)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "INSERT INTO environment_colours (environment, colour) VALUES ($1, 'blue'), ($1, 'green') \
         ON CONFLICT DO NOTHING",
    )
    .bind(env.key())
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- demo

/// The demo driver's "next version unhealthy" switch: read and cleared in
/// one statement when a version is provisioned, so it is used exactly once.
pub async fn take_demo_next_unhealthy(
    pool: &PgPool,
    env: Environment,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let taken: Option<String> = sqlx::query_scalar(
        "UPDATE deploy_settings SET demo_next_unhealthy = FALSE, updated_at = now() \
         WHERE environment = $1 AND demo_next_unhealthy RETURNING environment",
    )
    .bind(env.key())
    .fetch_optional(&mut *tx)
    .await?;
    if taken.is_some() {
        audit::append(
            &mut tx,
            &Actor::system(),
            "deploy_settings.demo_next_unhealthy_used",
            &format!("deploy_settings:{}", env.key()),
            Some(json!({"demo_next_unhealthy": true})),
            Some(json!({"demo_next_unhealthy": false})),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(taken.is_some())
}
