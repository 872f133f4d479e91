//! Deploys (issue 9, R-DEP-1..8; decision 0017): requests, the checklist,
//! votes, freeze overrides, the queue stamp, rollback requests, settings,
//! and the one gate.
//!
//! `gate` is the only place the core's `can_start` is called: the page shows
//! its answer, `request_start` refuses when it blocks, and the executor calls
//! it again under the environment's lock when it starts a deploy. Every
//! mutation locks the deploy row, checks its state and appends its audit
//! entry in the same transaction.

use super::audit::{self, Actor};
use super::releases::{self, Freeze};
use crate::model::deploys::{
    BoardEnvironment, BoardView, ChecklistRow, ColourView, DeployHistory, DeployRow,
    DeploySettingsView, DeploySource, DeployStatus, DeployView, FreezeView, HistoryCursor,
    HistoryFilter, StageStatus, StageView, StepView, TimelineEntry, STAGES,
};
use crate::notify::Event;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use opsdeck::deploy_gate::{
    can_start, AdminOverride, ApprovalPolicy, BlockingReason, BlueGreenDeploy, ChecklistItem,
    ChecklistPolicy, ChecklistTick, Colour, DeployEvent, Environment, GateDecision, GateInput,
    GatePolicy, TriggerEvent, TriggerPolicy, Vote,
};
use opsdeck::interval::UtcInterval;
use serde_json::json;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};

/// Characters of step output per page (`step_output`, `StepView::output_head`).
pub const OUTPUT_PAGE_CHARS: i64 = 4000;

/// The recipient group told about deploys waiting for approval (seeded by the migration).
pub const APPROVERS_GROUP: &str = "approvers";

/// A deploy request as the UI, the API, GitHub or a release publish makes it.
#[derive(Debug, Clone)]
pub struct NewDeploy {
    pub environment: Environment,
    pub version: String,
    pub commit_sha: String,
    pub ref_name: Option<String>,
    pub source: DeploySource,
    pub requested_by: String,
    pub idempotency_key: Option<String>,
    pub release_id: Option<i64>,
}

/// Why a change to a deploy was refused; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("no such deploy")]
    NotFound,
    #[error("the deploy has already started or ended")]
    Final,
    #[error("the requester cannot approve their own deploy")]
    SelfApproval,
    #[error("this person has already voted on the deploy")]
    AlreadyVoted,
    #[error("no code freeze holds for this deploy now")]
    NotFrozen,
    #[error("a written reason is required")]
    ReasonRequired,
    #[error("the deploy cannot start: {0:?}")]
    GateBlocked(Vec<BlockingReason>),
    #[error(
        "only the deploy live in its environment can be rolled back (live: {live_deploy_id:?})"
    )]
    NotLive { live_deploy_id: Option<i64> },
    #[error("the deploy is running")]
    Running,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

// ---- small conversions ----

fn decode<E: std::error::Error + Send + Sync + 'static>(e: E) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

fn bad(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Protocol(format!("unexpected {what} `{value}` in the database"))
}

fn environment_of(s: &str) -> Result<Environment, sqlx::Error> {
    s.parse().map_err(decode)
}

pub fn colour_str(c: Colour) -> &'static str {
    match c {
        Colour::Blue => "blue",
        Colour::Green => "green",
    }
}

pub fn colour_of(s: &str) -> Option<Colour> {
    match s {
        "blue" => Some(Colour::Blue),
        "green" => Some(Colour::Green),
        _ => None,
    }
}

fn status_of(s: &str) -> Result<DeployStatus, sqlx::Error> {
    DeployStatus::parse(s).ok_or_else(|| bad("deploy state", s))
}

fn source_of(s: &str) -> Result<DeploySource, sqlx::Error> {
    DeploySource::parse(s).ok_or_else(|| bad("deploy source", s))
}

fn item_of(s: &str) -> Result<ChecklistItem, sqlx::Error> {
    ChecklistItem::from_key(s).ok_or_else(|| bad("checklist item", s))
}

fn machine_of(v: Option<serde_json::Value>) -> Result<Option<BlueGreenDeploy>, sqlx::Error> {
    v.map(serde_json::from_value).transpose().map_err(decode)
}

fn machine_json(m: &BlueGreenDeploy) -> Result<serde_json::Value, sqlx::Error> {
    serde_json::to_value(m).map_err(decode)
}

fn u32_of(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

fn i32_of(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

// ---- rows ----

/// Columns of a `DeployRow`; `approvers` are the counted votes (never the
/// requester's, which the vote refuses anyway), in vote order.
const ROW_COLUMNS: &str = "d.id, d.environment, d.version, d.commit_sha, d.source, d.requested_by, \
     d.requested_at, d.state, d.started_at, d.finished_at, d.start_requested_at, \
     ARRAY(SELECT v.voter FROM deploy_votes v WHERE v.deploy_id = d.id AND v.voter <> d.requested_by \
           ORDER BY v.voted_at, v.voter) AS approvers";

fn deploy_row(r: &PgRow) -> Result<DeployRow, sqlx::Error> {
    let status = status_of(r.try_get("state")?)?;
    let start_requested_at: Option<DateTime<Utc>> = r.try_get("start_requested_at")?;
    Ok(DeployRow {
        id: r.try_get("id")?,
        environment: environment_of(r.try_get("environment")?)?,
        version: r.try_get("version")?,
        commit_sha: r.try_get("commit_sha")?,
        source: source_of(r.try_get("source")?)?,
        requested_by: r.try_get("requested_by")?,
        requested_at: r.try_get("requested_at")?,
        status,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        approvers: r.try_get("approvers")?,
        queued: start_requested_at.is_some() && status == DeployStatus::Ready,
    })
}

/// One deploy as a list row.
pub async fn row(conn: &mut PgConnection, id: i64) -> Result<Option<DeployRow>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {ROW_COLUMNS} FROM deploys d WHERE d.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .map(|r| deploy_row(&r))
    .transpose()
}

// ---- settings ----

fn settings_of(r: &PgRow) -> Result<DeploySettingsView, sqlx::Error> {
    let config: serde_json::Value = r.try_get("driver_config")?;
    Ok(DeploySettingsView {
        environment: environment_of(r.try_get("environment")?)?,
        checklist_required: r.try_get("checklist_required")?,
        approvals_required: u32_of(r.try_get("approvals_required")?),
        driver: r.try_get("driver")?,
        driver_config: config.to_string(),
        step_timeout_seconds: u32_of(r.try_get("step_timeout_seconds")?),
        health_required_consecutive: u32_of(r.try_get("health_required_consecutive")?),
        health_timeout_seconds: u32_of(r.try_get("health_timeout_seconds")?),
        health_interval_ms: u32_of(r.try_get("health_interval_ms")?),
        observe_seconds: u32_of(r.try_get("observe_seconds")?),
        demo_next_unhealthy: r.try_get("demo_next_unhealthy")?,
    })
}

const SETTINGS_COLUMNS: &str = "environment, checklist_required, approvals_required, driver, \
     driver_config, step_timeout_seconds, health_required_consecutive, health_timeout_seconds, \
     health_interval_ms, observe_seconds, demo_next_unhealthy";

/// An environment's deploy settings (the migration seeds all four).
pub async fn settings(
    conn: &mut PgConnection,
    env: Environment,
) -> Result<DeploySettingsView, sqlx::Error> {
    let r = sqlx::query(&format!(
        "SELECT {SETTINGS_COLUMNS} FROM deploy_settings WHERE environment = $1"
    ))
    .bind(env.key())
    .fetch_one(conn)
    .await?;
    settings_of(&r)
}

/// All four environments' settings, in promotion order.
pub async fn all_settings(conn: &mut PgConnection) -> Result<Vec<DeploySettingsView>, sqlx::Error> {
    let mut out = Vec::new();
    for env in Environment::ALL {
        out.push(settings(&mut *conn, env).await?);
    }
    Ok(out)
}

fn settings_json(s: &DeploySettingsView) -> serde_json::Value {
    json!({
        "checklist_required": s.checklist_required,
        "approvals_required": s.approvals_required,
        "driver": s.driver,
        "driver_config": s.driver_config,
        "step_timeout_seconds": s.step_timeout_seconds,
        "health_required_consecutive": s.health_required_consecutive,
        "health_timeout_seconds": s.health_timeout_seconds,
        "health_interval_ms": s.health_interval_ms,
        "observe_seconds": s.observe_seconds,
        "demo_next_unhealthy": s.demo_next_unhealthy,
    })
}

/// Saves an environment's settings (admin; the server function validated
/// them); audited with before and after. `driver_config` must be JSON text.
pub async fn save_settings(
    pool: &PgPool,
    s: &DeploySettingsView,
    actor: &Actor,
) -> Result<(), sqlx::Error> {
    let config: serde_json::Value = serde_json::from_str(&s.driver_config).map_err(decode)?;
    let mut tx = pool.begin().await?;
    let before = sqlx::query(&format!(
        "SELECT {SETTINGS_COLUMNS} FROM deploy_settings WHERE environment = $1 FOR UPDATE"
    ))
    .bind(s.environment.key())
    .fetch_one(&mut *tx)
    .await?;
    let before = settings_of(&before)?;
    sqlx::query(
        "UPDATE deploy_settings SET checklist_required = $2, approvals_required = $3, driver = $4, \
         driver_config = $5, step_timeout_seconds = $6, health_required_consecutive = $7, \
         health_timeout_seconds = $8, health_interval_ms = $9, observe_seconds = $10, \
         demo_next_unhealthy = $11, updated_at = now(), updated_by = $12 WHERE environment = $1",
    )
    .bind(s.environment.key())
    .bind(s.checklist_required)
    .bind(i32_of(s.approvals_required))
    .bind(&s.driver)
    .bind(&config)
    .bind(i32_of(s.step_timeout_seconds))
    .bind(i32_of(s.health_required_consecutive))
    .bind(i32_of(s.health_timeout_seconds))
    .bind(i32_of(s.health_interval_ms))
    .bind(i32_of(s.observe_seconds))
    .bind(s.demo_next_unhealthy)
    .bind(&actor.name)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        "deploy.settings",
        &format!("deploy_settings:{}", s.environment.key()),
        Some(settings_json(&before)),
        Some(settings_json(s)),
    )
    .await?;
    tx.commit().await
}

// ---- the live colour ----

/// Where traffic of `env` is: the traffic recorded by the newest deploy that
/// started (its machine is the record of every switch), else the
/// environment row's `live_colour`, else blue. `None`: mid-switch.
pub async fn live_colour(
    conn: &mut PgConnection,
    env: Environment,
) -> Result<Option<Colour>, sqlx::Error> {
    let machine: Option<Option<serde_json::Value>> = sqlx::query_scalar(
        "SELECT machine FROM deploys WHERE environment = $1 AND started_at IS NOT NULL \
         ORDER BY started_at DESC, id DESC LIMIT 1",
    )
    .bind(env.key())
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(m) = machine_of(machine.flatten())? {
        return Ok(m.live_colour());
    }
    Ok(Some(
        row_live_colour(conn, env).await?.unwrap_or(Colour::Blue),
    ))
}

/// `environments.live_colour` of the row whose key is `env`.
async fn row_live_colour(
    conn: &mut PgConnection,
    env: Environment,
) -> Result<Option<Colour>, sqlx::Error> {
    let c: Option<Option<String>> =
        sqlx::query_scalar("SELECT live_colour FROM environments WHERE key = $1")
            .bind(env.key())
            .fetch_optional(conn)
            .await?;
    Ok(c.flatten().as_deref().and_then(colour_of))
}

// ---- create ----

/// Records a deploy request in the caller's transaction. The same (source,
/// idempotency key) again returns the first one's id and `false`. The five
/// CI stages start `pending`; the machine starts from the live colour; the
/// request is audited, and when the environment needs approvals the
/// approvers group is told once. Input is validated by the callers.
pub async fn create(
    conn: &mut PgConnection,
    d: &NewDeploy,
    now: DateTime<Utc>,
) -> Result<(i64, bool), sqlx::Error> {
    if let Some(key) = &d.idempotency_key {
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM deploys WHERE source = $1 AND idempotency_key = $2")
                .bind(d.source.as_str())
                .bind(key)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(id) = existing {
            return Ok((id, false));
        }
    }
    // Mid-switch there is no settled colour: start from the environment row;
    // the executor starts the deploy only once the earlier one has settled.
    let previous = match live_colour(&mut *conn, d.environment).await? {
        Some(c) => c,
        None => row_live_colour(&mut *conn, d.environment)
            .await?
            .unwrap_or(Colour::Blue),
    };
    let machine = BlueGreenDeploy::new(previous);
    // ON CONFLICT: two requests with one key racing; the loser reads the winner's id.
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO deploys (environment, version, commit_sha, ref_name, source, requested_by, \
         requested_at, idempotency_key, release_id, state, machine, previous_colour) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'requested', $10, $11) \
         ON CONFLICT (source, idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(d.environment.key())
    .bind(&d.version)
    .bind(&d.commit_sha)
    .bind(&d.ref_name)
    .bind(d.source.as_str())
    .bind(&d.requested_by)
    .bind(now)
    .bind(&d.idempotency_key)
    .bind(d.release_id)
    .bind(machine_json(&machine)?)
    .bind(colour_str(previous))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        let id: i64 =
            sqlx::query_scalar("SELECT id FROM deploys WHERE source = $1 AND idempotency_key = $2")
                .bind(d.source.as_str())
                .bind(&d.idempotency_key)
                .fetch_one(&mut *conn)
                .await?;
        return Ok((id, false));
    };
    for stage in STAGES {
        sqlx::query(
            "INSERT INTO deploy_stages (deploy_id, stage, status, updated_at) VALUES ($1, $2, 'pending', $3)",
        )
        .bind(id)
        .bind(stage)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    // A person's request names them in the log; a machine's names its source.
    let user_id: Option<i64> = if matches!(d.source, DeploySource::Ui | DeploySource::Release) {
        sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind(&d.requested_by)
            .fetch_optional(&mut *conn)
            .await?
    } else {
        None
    };
    let actor = Actor {
        id: user_id,
        name: d.requested_by.clone(),
    };
    audit::append(
        conn,
        &actor,
        "deploy.request",
        &format!("deploy:{id}"),
        None,
        Some(json!({
            "environment": d.environment.key(),
            "version": d.version,
            "commit_sha": d.commit_sha,
            "ref_name": d.ref_name,
            "source": d.source.as_str(),
            "idempotency_key": d.idempotency_key,
            "release_id": d.release_id,
            "previous_colour": colour_str(previous),
        })),
    )
    .await?;
    let s = settings(&mut *conn, d.environment).await?;
    if s.approvals_required > 0 {
        let event = Event::DeployAwaitingApproval {
            deploy_id: id,
            environment: d.environment.key().to_string(),
            version: d.version.clone(),
            requested_by: d.requested_by.clone(),
        };
        let key = format!("deploy:{id}:awaiting");
        match crate::store::notifications::notify(conn, APPROVERS_GROUP, &event, &key).await {
            Ok(_) => {}
            Err(crate::store::notifications::NotifyError::Db(e)) => return Err(e),
            // An admin may have deleted the group: the request still stands
            // (the board's "waiting for you" shows it); the gap is logged.
            Err(e) => tracing::warn!(error = %e, deploy_id = id, "approvers not notified"),
        }
    }
    Ok((id, true))
}

/// A release was published (R-REL-5, R-DEP-2): requests a deploy of its
/// version to each environment the trigger mapping names for
/// `release_published` (Production by default), in the publisher's
/// transaction. Idempotent per release (`release:{id}`).
pub async fn request_for_release(
    conn: &mut PgConnection,
    release_id: i64,
    version: &str,
    publisher: &str,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, sqlx::Error> {
    let rules: Option<serde_json::Value> =
        sqlx::query_scalar("SELECT rules FROM deploy_trigger_settings WHERE singleton")
            .fetch_optional(&mut *conn)
            .await?;
    // Unreadable mapping: the policy's default (release → Production), so a
    // publish never silently skips the deploy.
    let policy = rules
        .and_then(|v| serde_json::from_value::<TriggerPolicy>(v).ok())
        .unwrap_or_default();
    let mut ids = Vec::new();
    for env in policy.targets(&TriggerEvent::ReleasePublished) {
        let key = if env == Environment::Production {
            format!("release:{release_id}")
        } else {
            format!("release:{release_id}:{}", env.key())
        };
        let d = NewDeploy {
            environment: env,
            version: version.to_string(),
            commit_sha: String::new(),
            ref_name: None,
            source: DeploySource::Release,
            requested_by: publisher.to_string(),
            idempotency_key: Some(key),
            release_id: Some(release_id),
        };
        ids.push(create(&mut *conn, &d, now).await?.0);
    }
    Ok(ids)
}

// ---- the gate ----

/// An override as stored: the window it was given for and by whom.
#[derive(Debug, Clone)]
struct StoredOverride {
    window: UtcInterval,
    admin: String,
    reason: String,
    at: DateTime<Utc>,
}

/// What the gate computed, with the facts the page shows beside it.
struct GateFacts {
    decision: GateDecision,
    settings: DeploySettingsView,
    ticks: Vec<ChecklistTick>,
    /// (voter, voted_at, comment), in vote order.
    votes: Vec<(String, DateTime<Utc>, String)>,
    freeze: Option<FreezeView>,
}

async fn gate_facts(
    conn: &mut PgConnection,
    deploy_id: i64,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Option<GateFacts>, sqlx::Error> {
    let head: Option<(String, String)> =
        sqlx::query_as("SELECT environment, requested_by FROM deploys WHERE id = $1")
            .bind(deploy_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((env, requester)) = head else {
        return Ok(None);
    };
    let env = environment_of(&env)?;
    let s = settings(&mut *conn, env).await?;
    let ticks = sqlx::query(
        "SELECT item, ticked_by, ticked_at, evidence_url FROM deploy_checklist_ticks \
         WHERE deploy_id = $1 ORDER BY ticked_at, item",
    )
    .bind(deploy_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(ChecklistTick {
            item: item_of(r.try_get("item")?)?,
            by: r.try_get("ticked_by")?,
            at: r.try_get("ticked_at")?,
            evidence: r.try_get("evidence_url")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let votes: Vec<(String, DateTime<Utc>, String)> = sqlx::query_as(
        "SELECT voter, voted_at, comment FROM deploy_votes WHERE deploy_id = $1 ORDER BY voted_at, voter",
    )
    .bind(deploy_id)
    .fetch_all(&mut *conn)
    .await?;
    // Only Production freezes (the core says so too); the releases store is
    // the one source the calendar and the overview also read.
    let freezes: Vec<Freeze> = if env == Environment::Production {
        let calendar = releases::settings(&mut *conn).await?.calendar;
        releases::freezes(&mut *conn, tz, &calendar).await?
    } else {
        Vec::new()
    };
    let stored: Option<StoredOverride> = sqlx::query(
        "SELECT window_start, window_end, admin, reason, created_at FROM deploy_freeze_overrides \
         WHERE deploy_id = $1",
    )
    .bind(deploy_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| {
        Ok::<_, sqlx::Error>(StoredOverride {
            window: UtcInterval::new(r.try_get("window_start")?, r.try_get("window_end")?),
            admin: r.try_get("admin")?,
            reason: r.try_get("reason")?,
            at: r.try_get("created_at")?,
        })
    })
    .transpose()?;
    // The override counts only for the very window it was given for, and
    // only while that window holds: one recorded for an earlier freeze does
    // not carry (decision 0017). A second freeze holding at the same time is
    // not covered by it.
    let holding: Vec<&Freeze> = freezes.iter().filter(|f| f.window.contains(now)).collect();
    let matched = stored
        .as_ref()
        .and_then(|o| holding.iter().copied().find(|f| f.window == o.window));
    let unmatched: Vec<&Freeze> = holding
        .iter()
        .copied()
        .filter(|f| matched.is_none_or(|m| m.window != f.window))
        .collect();
    let (gate_freezes, admin_override, shown) = match (unmatched.first(), matched, &stored) {
        (Some(first), _, _) => (vec![first.window], None, Some((*first, None))),
        (None, Some(m), Some(o)) => (
            vec![m.window],
            AdminOverride::new(&o.admin, true, &o.reason).ok(),
            Some((m, Some(o))),
        ),
        _ => (Vec::new(), None, None),
    };
    let freeze = shown.map(|(f, o)| FreezeView {
        release_id: f.release_id,
        release_version: f.version.clone(),
        window_start: f.window.start,
        window_end: f.window.end,
        override_by: o.map(|o| o.admin.clone()),
        override_reason: o.map(|o| o.reason.clone()),
        override_at: o.map(|o| o.at),
    });
    let policy = GatePolicy {
        checklist: ChecklistPolicy {
            environments: if s.checklist_required {
                vec![env]
            } else {
                Vec::new()
            },
        },
        approval: ApprovalPolicy {
            required: s.approvals_required,
            environments: if s.approvals_required > 0 {
                vec![env]
            } else {
                Vec::new()
            },
        },
    };
    let input = GateInput {
        environment: env,
        requester,
        ticks: ticks.clone(),
        // Only approvers can vote (the server function checks the role), so
        // every stored vote is an approver's; the core still drops the requester's.
        votes: votes
            .iter()
            .map(|(voter, _, _)| Vote {
                voter: voter.clone(),
                voter_is_approver: true,
            })
            .collect(),
        at: now,
        freezes: gate_freezes,
        admin_override,
    };
    Ok(Some(GateFacts {
        decision: can_start(&policy, &input),
        settings: s,
        ticks,
        votes,
        freeze,
    }))
}

/// THE gate (decision 0017): may this deploy start at `now`? Checklist and
/// approvals from the environment's settings, the ticks and votes, the code
/// freezes of planned releases (Production) in the display zone `tz`, and
/// the admin's override only for the freeze window holding now. `None`: no
/// such deploy. The executor calls it again when it starts the deploy.
pub async fn gate(
    conn: &mut PgConnection,
    deploy_id: i64,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Option<GateDecision>, sqlx::Error> {
    Ok(gate_facts(conn, deploy_id, tz, now)
        .await?
        .map(|f| f.decision))
}

// ---- reading ----

/// The live deploy of `env`: the newest one observing, done, or left
/// with traffic in transition (a failed or interrupted switch); the one
/// an approver may roll back.
pub async fn live_deploy(
    conn: &mut PgConnection,
    env: Environment,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM deploys WHERE environment = $1 AND (state IN ('observing', 'done') \
           OR (state IN ('failed', 'interrupted') AND machine->'traffic'->>'traffic' = 'in_transition')) \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(env.key())
    .fetch_optional(conn)
    .await
}

/// Everything the deploy page shows; `None`: no such deploy.
pub async fn view(
    conn: &mut PgConnection,
    id: i64,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Option<DeployView>, sqlx::Error> {
    let Some(row) = row(&mut *conn, id).await? else {
        return Ok(None);
    };
    let Some(facts) = gate_facts(&mut *conn, id, tz, now).await? else {
        return Ok(None);
    };
    let r = sqlx::query(
        "SELECT ref_name, release_id, previous_colour, machine, failure, rollback_reason, \
         rollback_by, rollback_at, start_requested_at FROM deploys WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let machine = machine_of(r.try_get("machine")?)?;
    let previous_colour = r
        .try_get::<Option<String>, _>("previous_colour")?
        .as_deref()
        .and_then(colour_of);
    let live = match machine {
        Some(m) => m.live_colour(),
        None => previous_colour,
    };
    let start_requested_at: Option<DateTime<Utc>> = r.try_get("start_requested_at")?;
    let stages = sqlx::query(
        "SELECT stage, status, started_at, finished_at, log_url FROM deploy_stages WHERE deploy_id = $1",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        let status: String = r.try_get("status")?;
        Ok(StageView {
            stage: r.try_get("stage")?,
            status: StageStatus::parse(&status).ok_or_else(|| bad("stage status", &status))?,
            started_at: r.try_get("started_at")?,
            finished_at: r.try_get("finished_at")?,
            log_url: r.try_get("log_url")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let mut stages = stages;
    stages.sort_by_key(|s| STAGES.iter().position(|n| *n == s.stage));
    let checklist = if facts.settings.checklist_required {
        ChecklistItem::ALL
            .into_iter()
            .map(|item| {
                let t = facts.ticks.iter().find(|t| t.item == item);
                ChecklistRow {
                    item,
                    ticked_by: t.map(|t| t.by.clone()),
                    ticked_at: t.map(|t| t.at),
                    evidence_url: t.and_then(|t| t.evidence.clone()),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let votes = facts
        .votes
        .iter()
        .map(
            |(voter, voted_at, comment)| crate::model::deploys::VoteView {
                voter: voter.clone(),
                voted_at: *voted_at,
                comment: comment.clone(),
                counted: facts.decision.approvals.counted.contains(voter),
            },
        )
        .collect();
    let queue_position = if row.queued {
        let ahead: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM deploys WHERE environment = $1 AND state = 'ready' \
             AND start_requested_at IS NOT NULL AND (start_requested_at, id) < ($2, $3)",
        )
        .bind(row.environment.key())
        .bind(start_requested_at)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        Some(u32::try_from(ahead).unwrap_or(u32::MAX).saturating_add(1))
    } else {
        None
    };
    let steps = sqlx::query(
        "SELECT id, step, colour, status, started_at, finished_at, exit_code, \
         substr(output, 1, $2) AS head, char_length(output)::BIGINT AS chars \
         FROM deploy_steps WHERE deploy_id = $1 ORDER BY id",
    )
    .bind(id)
    .bind(i32::try_from(OUTPUT_PAGE_CHARS).unwrap_or(i32::MAX))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        let colour: String = r.try_get("colour")?;
        Ok(StepView {
            id: r.try_get("id")?,
            step: r.try_get("step")?,
            colour: colour_of(&colour).ok_or_else(|| bad("colour", &colour))?,
            status: r.try_get("status")?,
            started_at: r.try_get("started_at")?,
            finished_at: r.try_get("finished_at")?,
            exit_code: r.try_get("exit_code")?,
            output_head: r.try_get("head")?,
            output_chars: r.try_get("chars")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let live_deploy_id = live_deploy(&mut *conn, row.environment)
        .await?
        .filter(|l| *l != id);
    let before_start = matches!(row.status, DeployStatus::Requested | DeployStatus::Ready);
    Ok(Some(DeployView {
        now,
        ref_name: r.try_get("ref_name")?,
        release_id: r.try_get("release_id")?,
        previous_colour,
        live_colour: live,
        stages,
        checklist,
        checklist_required: facts.settings.checklist_required,
        approvals_required: facts.settings.approvals_required,
        votes,
        freeze: facts.freeze,
        blocking: facts.decision.blocking.clone(),
        can_start: facts.decision.can_start && before_start && !row.queued,
        queue_position,
        steps,
        failure: r.try_get("failure")?,
        rollback_reason: r.try_get("rollback_reason")?,
        rollback_by: r.try_get("rollback_by")?,
        rollback_at: r.try_get("rollback_at")?,
        live_deploy_id,
        row,
    }))
}

/// A page of an environment's deploys, newest first, filtered, from a
/// keyset cursor (issue 9 item 7). Each filter adds its condition only when
/// set, so every combination is its own prepared statement with a plan made
/// for it; the page walks `deploys_by_environment` from the cursor and stops
/// after `per_page + 1` matches, however deep it is.
pub async fn history(
    conn: &mut PgConnection,
    env: Environment,
    filter: &HistoryFilter,
    cursor: HistoryCursor,
    per_page: u32,
) -> Result<DeployHistory, sqlx::Error> {
    let per_page = i64::from(per_page.clamp(1, 200));
    let version = filter.version.as_deref().filter(|v| !v.is_empty());
    let requester = filter.requester.as_deref().filter(|r| !r.is_empty());
    // Placeholders are numbered in the order the values are bound below.
    let mut conditions = vec!["environment = $1".to_string()];
    let mut next = 2;
    let mut placeholder = || {
        next += 1;
        format!("${}", next - 1)
    };
    if filter.status.is_some() {
        conditions.push(format!("state = {}", placeholder()));
    }
    if version.is_some() {
        conditions.push(format!("starts_with(version, {})", placeholder()));
    }
    if requester.is_some() {
        conditions.push(format!("requested_by = {}", placeholder()));
    }
    let (cursor_id, newer_first) = match cursor {
        HistoryCursor::Newest => (None, true),
        HistoryCursor::Before(id) => {
            conditions.push(format!("id < {}", placeholder()));
            (Some(id), true)
        }
        HistoryCursor::After(id) => {
            conditions.push(format!("id > {}", placeholder()));
            (Some(id), false)
        }
    };
    let limit = placeholder();
    // The page's ids first (an index scan from the cursor), then the columns
    // of those rows only: with the columns in the same query, the approvers'
    // subquery ran for every row the scan passed over.
    let sql = format!(
        "SELECT {ROW_COLUMNS} FROM (SELECT id FROM deploys WHERE {} ORDER BY id {} LIMIT {limit}) p \
         JOIN deploys d ON d.id = p.id ORDER BY d.id DESC",
        conditions.join(" AND "),
        if newer_first { "DESC" } else { "ASC" },
    );
    let mut q = sqlx::query(&sql).bind(env.key());
    if let Some(status) = filter.status {
        q = q.bind(status.as_str());
    }
    if let Some(version) = version {
        q = q.bind(version);
    }
    if let Some(requester) = requester {
        q = q.bind(requester);
    }
    if let Some(id) = cursor_id {
        q = q.bind(id);
    }
    let mut rows = q
        .bind(per_page + 1)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(deploy_row)
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let more = i64::try_from(rows.len()).unwrap_or(i64::MAX) > per_page;
    if more {
        // One row past the page in the walking direction: walking newest
        // first it is the last row, oldest first (an `After` page) the first.
        if newer_first {
            rows.pop();
        } else {
            rows.remove(0);
        }
    }
    let (first, last) = (rows.first().map(|r| r.id), rows.last().map(|r| r.id));
    let (older_than, newer_than) = match cursor {
        HistoryCursor::Newest => (last.filter(|_| more), None),
        HistoryCursor::Before(_) => (last.filter(|_| more), first),
        HistoryCursor::After(_) => (last, first.filter(|_| more)),
    };
    Ok(DeployHistory {
        rows,
        older_than,
        newer_than,
    })
}

/// A deploy's timeline: every audit entry about it, oldest first (at most
/// 1 000: a deploy's life is a few dozen entries).
pub async fn timeline(conn: &mut PgConnection, id: i64) -> Result<Vec<TimelineEntry>, sqlx::Error> {
    sqlx::query(
        "SELECT id, at, actor, action, COALESCE(after, before)::TEXT AS detail \
         FROM audit_log WHERE target = $1 ORDER BY at, id LIMIT 1000",
    )
    .bind(format!("deploy:{id}"))
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| {
        Ok(TimelineEntry {
            id: r.try_get("id")?,
            at: r.try_get("at")?,
            actor: r.try_get("actor")?,
            action: r.try_get("action")?,
            detail: r
                .try_get::<Option<String>, _>("detail")?
                .unwrap_or_default(),
        })
    })
    .collect()
}

/// Page `page` (from 1) of a step's output in pieces of 4 000 characters,
/// and how many pages there are; `None`: no such step.
pub async fn step_output(
    conn: &mut PgConnection,
    step_id: i64,
    page: u32,
) -> Result<Option<(String, u32)>, sqlx::Error> {
    let page = i64::from(page.max(1));
    let r: Option<(String, i64)> = sqlx::query_as(
        "SELECT substr(output, (($2 - 1) * $3 + 1)::INT, $3::INT), char_length(output)::BIGINT \
         FROM deploy_steps WHERE id = $1",
    )
    .bind(step_id)
    .bind(page)
    .bind(OUTPUT_PAGE_CHARS)
    .fetch_optional(conn)
    .await?;
    Ok(r.map(|(text, chars)| {
        let pages = (chars + OUTPUT_PAGE_CHARS - 1) / OUTPUT_PAGE_CHARS;
        (text, u32::try_from(pages.max(1)).unwrap_or(u32::MAX))
    }))
}

/// The board (R-DEP-1): the four environments in order with their colours,
/// running / queued / last deploys, and — for an approver — the deploys
/// waiting for their vote (R-DEP-5).
pub async fn board(
    conn: &mut PgConnection,
    viewer: Option<&str>,
    viewer_is_approver: bool,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<BoardView, sqlx::Error> {
    let code_freeze = {
        let calendar = releases::settings(&mut *conn).await?.calendar;
        releases::active_freeze(&mut *conn, tz, &calendar, now)
            .await?
            .map(|f| f.version)
    };
    // A fixed number of queries whatever the number of environments or
    // deploys (issue 9's benchmark: the board with 100 000 deploys): the
    // environments with their settings and newest started machine, their
    // colours, and their running / queued / last deploys.
    let per_env = sqlx::query(&format!(
        "SELECT {SETTINGS_COLUMNS}, e.deployed_version, e.deployed_commit, \
                e.live_colour AS row_live_colour, e.health AS row_health, m.machine \
         FROM deploy_settings s \
         LEFT JOIN environments e ON e.key = s.environment \
         LEFT JOIN LATERAL (SELECT machine FROM deploys WHERE environment = s.environment \
                            AND started_at IS NOT NULL ORDER BY started_at DESC, id DESC LIMIT 1) m ON TRUE"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let stored = sqlx::query(
        "SELECT environment, colour, version, commit_sha, health, checked_at FROM environment_colours",
    )
    .fetch_all(&mut *conn)
    .await?;
    let listed = sqlx::query(&format!(
        "WITH envs AS (SELECT environment AS env FROM deploy_settings), \
         ids AS ( \
           SELECT 'running' AS kind, r.id FROM envs, LATERAL (SELECT id FROM deploys \
             WHERE environment = envs.env AND state IN \
             ('deploying_idle', 'health_checking', 'switching', 'observing', 'rolling_back') \
             ORDER BY id LIMIT 1) r \
           UNION ALL \
           SELECT 'queued', id FROM deploys WHERE state = 'ready' AND start_requested_at IS NOT NULL \
           UNION ALL \
           SELECT 'last', l.id FROM envs, LATERAL (SELECT id FROM deploys \
             WHERE environment = envs.env AND state IN ('done', 'failed', 'rolled_back', 'interrupted') \
             ORDER BY id DESC LIMIT 1) l) \
         SELECT ids.kind, {ROW_COLUMNS} FROM ids JOIN deploys d ON d.id = ids.id \
         ORDER BY d.start_requested_at, d.id"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let mut environments = Vec::new();
    for env in Environment::ALL {
        let Some(r) = per_env
            .iter()
            .find(|r| r.try_get::<&str, _>("environment").ok() == Some(env.key()))
        else {
            // The migration seeds settings for all four environments.
            return Err(sqlx::Error::RowNotFound);
        };
        let s = settings_of(r)?;
        let row_colour = r
            .try_get::<Option<String>, _>("row_live_colour")?
            .as_deref()
            .and_then(colour_of);
        // Where traffic is: as `live_colour` reads it, from the rows above.
        let live = match machine_of(r.try_get("machine")?)? {
            Some(m) => m.live_colour(),
            None => Some(row_colour.unwrap_or(Colour::Blue)),
        };
        let mut colours = Vec::new();
        for colour in [Colour::Blue, Colour::Green] {
            let row = stored.iter().find(|c| {
                c.try_get::<&str, _>("environment").ok() == Some(env.key())
                    && c.try_get::<&str, _>("colour").ok() == Some(colour_str(colour))
            });
            let view = match row {
                Some(c) => ColourView {
                    colour,
                    version: c.try_get("version")?,
                    commit_sha: c.try_get("commit_sha")?,
                    health: c.try_get("health")?,
                    checked_at: c.try_get("checked_at")?,
                    live: live == Some(colour),
                },
                // Before any deploy ran, the environment row says what the
                // live colour runs; the idle one is unknown.
                None => {
                    let on_row = row_colour.unwrap_or(Colour::Blue) == colour;
                    ColourView {
                        colour,
                        version: if on_row {
                            r.try_get("deployed_version")?
                        } else {
                            None
                        },
                        commit_sha: if on_row {
                            r.try_get("deployed_commit")?
                        } else {
                            None
                        },
                        health: if on_row {
                            r.try_get::<Option<String>, _>("row_health")?
                                .unwrap_or_else(|| "unknown".into())
                        } else {
                            "unknown".into()
                        },
                        checked_at: None,
                        live: live == Some(colour),
                    }
                }
            };
            colours.push(view);
        }
        let of_kind = |kind: &str| {
            listed
                .iter()
                .filter(|d| {
                    d.try_get::<&str, _>("kind").ok() == Some(kind)
                        && d.try_get::<&str, _>("environment").ok() == Some(env.key())
                })
                .map(deploy_row)
                .collect::<Result<Vec<_>, sqlx::Error>>()
        };
        let running = of_kind("running")?.into_iter().next();
        // Already in start order (the query's ORDER BY).
        let mut queued = of_kind("queued")?;
        let active = match running {
            Some(r) => Some(r),
            None if !queued.is_empty() => Some(queued.remove(0)),
            None => None,
        };
        let last = of_kind("last")?.into_iter().next();
        environments.push(BoardEnvironment {
            environment: env,
            live_colour: live,
            colours,
            active,
            queued,
            last,
            driver: s.driver.clone(),
            checklist_required: s.checklist_required,
            approvals_required: s.approvals_required,
            code_freeze: if env == Environment::Production {
                code_freeze.clone()
            } else {
                None
            },
        });
    }
    let waiting_for_you = match viewer {
        Some(viewer) if viewer_is_approver => sqlx::query(&format!(
            "SELECT {ROW_COLUMNS} FROM deploys d JOIN deploy_settings s ON s.environment = d.environment \
             WHERE d.state IN ('requested', 'ready') AND s.approvals_required > 0 \
             AND d.requested_by <> $1 \
             AND NOT EXISTS (SELECT 1 FROM deploy_votes v WHERE v.deploy_id = d.id AND v.voter = $1) \
             AND (SELECT count(*) FROM deploy_votes v WHERE v.deploy_id = d.id \
                  AND v.voter <> d.requested_by) < s.approvals_required \
             ORDER BY d.id"
        ))
        .bind(viewer)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(deploy_row)
        .collect::<Result<Vec<_>, sqlx::Error>>()?,
        _ => Vec::new(),
    };
    Ok(BoardView {
        now,
        environments,
        waiting_for_you,
    })
}

// ---- changes ----

/// The deploy row locked for a change: environment, requester, state, machine.
struct Locked {
    environment: Environment,
    requested_by: String,
    status: DeployStatus,
    machine: Option<BlueGreenDeploy>,
    start_requested_at: Option<DateTime<Utc>>,
    rollback_requested_at: Option<DateTime<Utc>>,
}

async fn lock(conn: &mut PgConnection, id: i64) -> Result<Locked, DeployError> {
    let r = sqlx::query(
        "SELECT environment, requested_by, state, machine, start_requested_at, rollback_requested_at \
         FROM deploys WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(DeployError::NotFound)?;
    Ok(Locked {
        environment: environment_of(r.try_get("environment")?)?,
        requested_by: r.try_get("requested_by")?,
        status: status_of(r.try_get("state")?)?,
        machine: machine_of(r.try_get("machine")?)?,
        start_requested_at: r.try_get("start_requested_at")?,
        rollback_requested_at: r.try_get("rollback_requested_at")?,
    })
}

fn before_start(d: &Locked) -> bool {
    matches!(d.status, DeployStatus::Requested | DeployStatus::Ready)
}

/// Ticks a checklist item (R-DEP-4) with who, when and an optional
/// evidence link (validated by the caller); ticking it again replaces the
/// tick. Only before the deploy starts.
pub async fn tick(
    pool: &PgPool,
    id: i64,
    item: ChecklistItem,
    evidence_url: Option<String>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), DeployError> {
    let mut tx = pool.begin().await?;
    let d = lock(&mut tx, id).await?;
    if !before_start(&d) {
        return Err(DeployError::Final);
    }
    let before: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT ticked_by, evidence_url FROM deploy_checklist_ticks WHERE deploy_id = $1 AND item = $2",
    )
    .bind(id)
    .bind(item.key())
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO deploy_checklist_ticks (deploy_id, item, ticked_by, ticked_at, evidence_url) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (deploy_id, item) DO UPDATE SET \
         ticked_by = EXCLUDED.ticked_by, ticked_at = EXCLUDED.ticked_at, evidence_url = EXCLUDED.evidence_url",
    )
    .bind(id)
    .bind(item.key())
    .bind(&actor.name)
    .bind(now)
    .bind(&evidence_url)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        "deploy.tick",
        &format!("deploy:{id}"),
        before.map(|(by, ev)| json!({"item": item.key(), "ticked_by": by, "evidence_url": ev})),
        Some(json!({"item": item.key(), "ticked_by": actor.name, "evidence_url": evidence_url})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a tick; only before the deploy starts (`Running` once it has,
/// `Final` once it ended). Unticking an item that is not ticked changes nothing.
pub async fn untick(
    pool: &PgPool,
    id: i64,
    item: ChecklistItem,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), DeployError> {
    let mut tx = pool.begin().await?;
    let d = lock(&mut tx, id).await?;
    if d.status.is_running() {
        return Err(DeployError::Running);
    }
    if !before_start(&d) {
        return Err(DeployError::Final);
    }
    let removed: Option<(String, chrono::DateTime<Utc>, Option<String>)> = sqlx::query_as(
        "DELETE FROM deploy_checklist_ticks WHERE deploy_id = $1 AND item = $2 \
         RETURNING ticked_by, ticked_at, evidence_url",
    )
    .bind(id)
    .bind(item.key())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((by, at, ev)) = removed {
        audit::append(
            &mut tx,
            actor,
            "deploy.untick",
            &format!("deploy:{id}"),
            Some(json!({"item": item.key(), "ticked_by": by, "ticked_at": at, "evidence_url": ev})),
            Some(json!({"item": item.key(), "unticked_at": now})),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// An approver's vote (R-DEP-5; the server function checked the role):
/// never the requester, once per person, only before the deploy starts.
/// Voting does not start anything.
pub async fn vote(
    pool: &PgPool,
    id: i64,
    voter: &str,
    comment: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), DeployError> {
    let mut tx = pool.begin().await?;
    let d = lock(&mut tx, id).await?;
    if !before_start(&d) {
        return Err(DeployError::Final);
    }
    if d.requested_by == voter {
        return Err(DeployError::SelfApproval);
    }
    let inserted = sqlx::query(
        "INSERT INTO deploy_votes (deploy_id, voter, voted_at, comment) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (deploy_id, voter) DO NOTHING",
    )
    .bind(id)
    .bind(voter)
    .bind(now)
    .bind(comment.trim())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(DeployError::AlreadyVoted);
    }
    audit::append(
        &mut tx,
        actor,
        "deploy.vote",
        &format!("deploy:{id}"),
        None,
        Some(json!({"voter": voter, "comment": comment.trim()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An admin's override of the code freeze holding now (R-DEP-6): recorded
/// with that window and its release, so it stops counting once the window is
/// over (another freeze later needs another override). Replaces an earlier
/// override of the same deploy; audited.
pub async fn override_freeze(
    pool: &PgPool,
    id: i64,
    admin: &str,
    reason: &str,
    actor: &Actor,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<(), DeployError> {
    let o = AdminOverride::new(admin, true, reason).map_err(|_| DeployError::ReasonRequired)?;
    let mut tx = pool.begin().await?;
    let d = lock(&mut tx, id).await?;
    if !before_start(&d) {
        return Err(DeployError::Final);
    }
    if d.environment != Environment::Production {
        return Err(DeployError::NotFrozen);
    }
    let calendar = releases::settings(&mut *tx).await?.calendar;
    let Some(freeze) = releases::active_freeze(&mut *tx, tz, &calendar, now).await? else {
        return Err(DeployError::NotFrozen);
    };
    let before: Option<serde_json::Value> = sqlx::query_scalar(
        "SELECT json_build_object('release_id', release_id, 'window_start', window_start, \
         'window_end', window_end, 'admin', admin, 'reason', reason) \
         FROM deploy_freeze_overrides WHERE deploy_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO deploy_freeze_overrides (deploy_id, release_id, window_start, window_end, admin, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (deploy_id) DO UPDATE SET \
         release_id = EXCLUDED.release_id, window_start = EXCLUDED.window_start, \
         window_end = EXCLUDED.window_end, admin = EXCLUDED.admin, reason = EXCLUDED.reason, \
         created_at = EXCLUDED.created_at",
    )
    .bind(id)
    .bind(freeze.release_id)
    .bind(freeze.window.start)
    .bind(freeze.window.end)
    .bind(o.admin())
    .bind(o.reason())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        "deploy.freeze_override",
        &format!("deploy:{id}"),
        before,
        Some(json!({
            "release_id": freeze.release_id,
            "release_version": freeze.version,
            "window_start": freeze.window.start,
            "window_end": freeze.window.end,
            "admin": o.admin(),
            "reason": o.reason(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deploy pressed (an approver): the gate must hold now; the deploy becomes
/// `ready` (the machine's `GateCleared`) and joins its environment's queue.
/// The executor checks the gate again when it starts it. Pressing again
/// while it waits changes nothing.
pub async fn request_start(
    pool: &PgPool,
    id: i64,
    by: &str,
    actor: &Actor,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<(), DeployError> {
    let mut tx = pool.begin().await?;
    let d = lock(&mut tx, id).await?;
    if d.status.is_running() {
        return Err(DeployError::Running);
    }
    if !before_start(&d) {
        return Err(DeployError::Final);
    }
    if d.status == DeployStatus::Ready && d.start_requested_at.is_some() {
        return Ok(());
    }
    let decision = gate(&mut tx, id, tz, now)
        .await?
        .ok_or(DeployError::NotFound)?;
    if !decision.can_start {
        return Err(DeployError::GateBlocked(decision.blocking));
    }
    // Nothing has run for this deploy yet, so its machine starts again from
    // where traffic is now: an earlier deploy may have switched colours since
    // the request (mid-switch, the recorded colour stays). Traffic can still
    // move before the executor starts it if a deploy queued ahead switches
    // first: starting must then re-base it on `live_colour` again.
    let previous = match live_colour(&mut tx, d.environment).await? {
        Some(c) => c,
        None => d.machine.map_or(Colour::Blue, |m| m.previous),
    };
    let machine = BlueGreenDeploy::new(previous)
        .apply(DeployEvent::GateCleared)
        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    sqlx::query(
        "UPDATE deploys SET state = 'ready', machine = $2, previous_colour = $5, \
         start_requested_at = $3, start_requested_by = $4, failure = NULL WHERE id = $1",
    )
    .bind(id)
    .bind(machine_json(&machine)?)
    .bind(now)
    .bind(by)
    .bind(colour_str(previous))
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        "deploy.start_request",
        &format!("deploy:{id}"),
        Some(json!({"state": d.status.as_str()})),
        Some(json!({
            "state": "ready",
            "start_requested_by": by,
            "freeze": decision.freeze,
            "approvals": decision.approvals.counted,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An approver's one-click rollback (R-DEP-7) with a written reason: only
/// the deploy live in its environment (`NotLive` names the one that is).
/// Records who, why and when and sets `rollback_requested_at`; the executor
/// carries it out (the machine's `RollbackRequested`).
pub async fn request_rollback(
    pool: &PgPool,
    id: i64,
    by: &str,
    reason: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), DeployError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DeployError::ReasonRequired);
    }
    let mut tx = pool.begin().await?;
    let d = lock(&mut tx, id).await?;
    // The row lock above makes two approvers clicking at once record one request.
    let live = live_deploy(&mut tx, d.environment).await?;
    if live != Some(id) {
        return Err(DeployError::NotLive {
            live_deploy_id: live,
        });
    }
    if d.rollback_requested_at.is_some() || d.status == DeployStatus::RollingBack {
        return Err(DeployError::Final);
    }
    let accepted = d
        .machine
        .is_some_and(|m| m.apply(DeployEvent::RollbackRequested).is_ok());
    if !accepted {
        return Err(DeployError::Final);
    }
    sqlx::query(
        "UPDATE deploys SET rollback_reason = $2, rollback_by = $3, rollback_at = $4, \
         rollback_requested_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(reason)
    .bind(by)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        actor,
        "deploy.rollback_request",
        &format!("deploy:{id}"),
        Some(json!({"state": d.status.as_str()})),
        Some(json!({"rollback_by": by, "reason": reason})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
