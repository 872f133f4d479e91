//! The machine side of deploys (R-DEP-2, R-DEP-3): the GitHub trigger's
//! settings (secret and branch mapping), the record of every webhook
//! delivery, the CI stages reported through the API, and the deploy as CI
//! reads it back.
//!
//! Creating the deploys themselves is `store::deploys::create` (idempotent
//! per source and key); this module never writes `deploys`.

use super::audit::{self, Actor};
use crate::model::deploys::{
    DeploySource, DeployStatus, StageStatus, StageView, TriggerSettingsView, STAGES,
};
use chrono::{DateTime, Utc};
use opsdeck::deploy_gate::{Environment, TriggerEvent, TriggerPolicy};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgExecutor, PgPool, Row};

/// Longest accepted webhook secret, in characters.
pub const SECRET_MAX_CHARS: usize = 256;
/// Most rules a mapping may hold (a mapping is a handful of branches).
pub const MAX_RULES: usize = 50;
/// Longest branch name in a rule (git allows more, nobody needs it).
pub const BRANCH_MAX_CHARS: usize = 200;
/// Longest CI log link kept.
pub const LOG_URL_MAX_CHARS: usize = 2000;

fn decode_err(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected {what} {value:?}").into())
}

// ---------------------------------------------------------------- settings

/// The trigger's settings as the webhook needs them. `Debug` never shows the
/// secret: this value may end up in a log line.
#[derive(Clone)]
pub struct TriggerConfig {
    /// The shared secret of the HMAC (`None`: nothing configured, every delivery is refused).
    pub secret: Option<String>,
    pub policy: TriggerPolicy,
}

impl std::fmt::Debug for TriggerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TriggerConfig")
            .field("secret_set", &self.secret.is_some())
            .field("policy", &self.policy)
            .finish()
    }
}

/// The stored secret and mapping. Read on every delivery, so a changed
/// mapping applies to the next one.
pub async fn load<'e>(db: impl PgExecutor<'e>) -> Result<TriggerConfig, sqlx::Error> {
    let (secret, rules): (Option<String>, Value) =
        sqlx::query_as("SELECT github_secret, rules FROM deploy_trigger_settings WHERE singleton")
            .fetch_one(db)
            .await?;
    let policy = serde_json::from_value(rules).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(TriggerConfig {
        secret: secret.filter(|s| !s.is_empty()),
        policy,
    })
}

/// How a rule's event reads on the settings page: `push develop`, `release published`.
pub fn event_label(event: &TriggerEvent) -> String {
    match event {
        TriggerEvent::Push { branch } => format!("push {branch}"),
        TriggerEvent::ReleasePublished => "release published".into(),
    }
}

/// The settings as the admin page shows them; the secret only as "set or not".
pub async fn trigger_settings<'e>(
    db: impl PgExecutor<'e>,
) -> Result<TriggerSettingsView, sqlx::Error> {
    let c = load(db).await?;
    Ok(TriggerSettingsView {
        secret_set: c.secret.is_some(),
        rules: c
            .policy
            .rules
            .iter()
            .map(|r| (event_label(&r.event), r.environment))
            .collect(),
    })
}

/// Why trigger settings were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerSettingsProblem {
    #[error("the secret must not be empty")]
    SecretEmpty,
    #[error("the secret must be at most {SECRET_MAX_CHARS} characters")]
    SecretTooLong,
    #[error("at most {MAX_RULES} rules")]
    TooManyRules,
    #[error("a push rule needs a branch name")]
    BranchEmpty,
    /// A branch that can never match a push: whitespace, a full ref, too long.
    #[error("“{0}” is not a branch name (write e.g. main, not refs/heads/main)")]
    BranchInvalid(String),
}

#[derive(Debug, thiserror::Error)]
pub enum TriggerSettingsError {
    #[error("{0}")]
    Invalid(TriggerSettingsProblem),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Checks a mapping before it is stored: every push rule must name a branch
/// that a push can match (`TriggerEvent::push_ref` compares short names).
pub fn check_policy(p: &TriggerPolicy) -> Result<(), TriggerSettingsProblem> {
    if p.rules.len() > MAX_RULES {
        return Err(TriggerSettingsProblem::TooManyRules);
    }
    for r in &p.rules {
        if let TriggerEvent::Push { branch } = &r.event {
            if branch.is_empty() {
                return Err(TriggerSettingsProblem::BranchEmpty);
            }
            if branch.chars().count() > BRANCH_MAX_CHARS
                || branch.starts_with("refs/")
                || branch.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(TriggerSettingsProblem::BranchInvalid(branch.clone()));
            }
        }
    }
    Ok(())
}

/// The audited picture of the settings: whether a secret is set, never its value.
fn audit_value(secret_set: bool, policy: &TriggerPolicy) -> Value {
    json!({ "secret_set": secret_set, "rules": policy })
}

/// Stores the mapping and, when `secret` is `Some`, a new secret (surrounding
/// whitespace trimmed: a pasted secret often carries a newline); `None`
/// keeps the stored one. Audited as `deploy.trigger_settings` with whether
/// the secret changed, never its value.
pub async fn save_trigger_settings(
    pool: &PgPool,
    secret: Option<String>,
    rules: TriggerPolicy,
    actor: &Actor,
) -> Result<(), TriggerSettingsError> {
    let secret = match secret {
        None => None,
        Some(s) => {
            let s = s.trim();
            if s.is_empty() {
                return Err(TriggerSettingsError::Invalid(
                    TriggerSettingsProblem::SecretEmpty,
                ));
            }
            if s.chars().count() > SECRET_MAX_CHARS {
                return Err(TriggerSettingsError::Invalid(
                    TriggerSettingsProblem::SecretTooLong,
                ));
            }
            Some(s.to_string())
        }
    };
    check_policy(&rules).map_err(TriggerSettingsError::Invalid)?;
    let rules_json = serde_json::to_value(&rules).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let mut tx = pool.begin().await?;
    // Locked so two admins saving at once are audited in the order they apply.
    let (old_secret, old_rules): (Option<String>, Value) = sqlx::query_as(
        "SELECT github_secret, rules FROM deploy_trigger_settings WHERE singleton FOR UPDATE",
    )
    .fetch_one(&mut *tx)
    .await?;
    let old_policy: Option<TriggerPolicy> = serde_json::from_value(old_rules.clone()).ok();
    let was_set = old_secret.as_deref().is_some_and(|s| !s.is_empty());
    let secret_changed = secret.is_some() && secret != old_secret;
    sqlx::query(
        "UPDATE deploy_trigger_settings SET github_secret = COALESCE($1, github_secret), \
         rules = $2, updated_at = now(), updated_by = $3 WHERE singleton",
    )
    .bind(secret.as_deref())
    .bind(&rules_json)
    .bind(&actor.name)
    .execute(&mut *tx)
    .await?;
    let before = match &old_policy {
        Some(p) => audit_value(was_set, p),
        None => json!({ "secret_set": was_set, "rules": old_rules }),
    };
    let mut after = audit_value(was_set || secret.is_some(), &rules);
    after["secret_changed"] = json!(secret_changed);
    audit::append(
        &mut tx,
        actor,
        "deploy.trigger_settings",
        "deploy_trigger_settings",
        Some(before),
        Some(after),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- deliveries

/// What became of a webhook delivery (`webhook_deliveries.outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Signed, an event the mapping was consulted for (deploys may be empty).
    Accepted,
    /// The same delivery id again: answered with the deploys of the first.
    Duplicate,
    /// Signed, but nothing to consider: ping, tag push, deleted branch, other events.
    Ignored,
    /// No secret configured, no signature, or a wrong one.
    BadSignature,
    /// Signed, but the body is not the JSON the event needs.
    Malformed,
    /// Larger than the API accepts, so the signature could not be checked.
    TooLarge,
}

impl DeliveryOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Duplicate => "duplicate",
            Self::Ignored => "ignored",
            Self::BadSignature => "bad_signature",
            Self::Malformed => "malformed",
            Self::TooLarge => "too_large",
        }
    }
}

/// Records a signed delivery. An accepted delivery whose id was accepted
/// before is recorded as a duplicate (the unique index allows one accepted
/// row per delivery id); returns the outcome recorded.
pub async fn record_delivery(
    conn: &mut PgConnection,
    delivery_id: Option<&str>,
    event: &str,
    outcome: DeliveryOutcome,
    deploy_ids: &[i64],
) -> Result<DeliveryOutcome, sqlx::Error> {
    if outcome == DeliveryOutcome::Accepted {
        let inserted = sqlx::query(
            "INSERT INTO webhook_deliveries (delivery_id, event, outcome, deploy_ids) \
             VALUES ($1, $2, 'accepted', $3) \
             ON CONFLICT (delivery_id) WHERE outcome = 'accepted' DO NOTHING",
        )
        .bind(delivery_id)
        .bind(event)
        .bind(deploy_ids)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(DeliveryOutcome::Accepted);
        }
    }
    let outcome = match outcome {
        DeliveryOutcome::Accepted => DeliveryOutcome::Duplicate,
        other => other,
    };
    sqlx::query(
        "INSERT INTO webhook_deliveries (delivery_id, event, outcome, deploy_ids) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(delivery_id)
    .bind(event)
    .bind(outcome.as_str())
    .bind(deploy_ids)
    .execute(&mut *conn)
    .await?;
    Ok(outcome)
}

/// Records a refused delivery and audits it (`webhook.github.refused`, actor
/// system) in one transaction. `reason` is a fixed word (`no_secret`,
/// `missing_signature`, `wrong_signature`, `too_large`); the body is never kept.
pub async fn refuse_delivery(
    pool: &PgPool,
    delivery_id: Option<&str>,
    event: &str,
    outcome: DeliveryOutcome,
    reason: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    record_delivery(&mut tx, delivery_id, event, outcome, &[]).await?;
    audit::append(
        &mut tx,
        &Actor::system(),
        "webhook.github.refused",
        "webhook:github",
        None,
        Some(json!({ "delivery": delivery_id, "event": event, "reason": reason })),
    )
    .await?;
    tx.commit().await
}

/// The opsdeck release of this version (`1.4.0`), if one was planned.
pub async fn release_id_for_version(
    conn: &mut PgConnection,
    version: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM releases WHERE version = $1")
        .bind(version)
        .fetch_optional(conn)
        .await
}

// ---------------------------------------------------------------- CI stages

/// Whether a CI log link may be kept and shown as a link: `http://` or
/// `https://` with a host, no whitespace or control characters, at most
/// `LOG_URL_MAX_CHARS` (a `javascript:` link would run in the deploy page).
pub fn is_log_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let host = rest
        .map(|r| r.split(['/', '?', '#']).next().unwrap_or(""))
        .unwrap_or("");
    rest.is_some()
        && !host.is_empty()
        && s.chars().count() <= LOG_URL_MAX_CHARS
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A stage report from CI (already checked field by field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageReport {
    pub status: StageStatus,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub log_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("no deploy {0}")]
    UnknownDeploy(i64),
    #[error("unknown stage “{0}”: expected checkout, install, test, build or deploy")]
    UnknownStage(String),
    /// After merging with what was stored, the stage would end before it started.
    #[error("finished_at is before started_at")]
    EndsBeforeStart,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn stage_view(r: &PgRow) -> Result<StageView, sqlx::Error> {
    let status: String = r.try_get("status")?;
    Ok(StageView {
        stage: r.try_get("stage")?,
        status: StageStatus::parse(&status).ok_or_else(|| decode_err("stage status", &status))?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        log_url: r.try_get("log_url")?,
    })
}

/// The stage as it stands after `report`, given what was stored. Fields sent
/// replace stored ones; fields left out are kept or filled in so each status
/// carries its timestamps (R-DEP-3):
/// - `pending`: only what was sent (a reset stage has not started);
/// - `running`: started = sent, else the stored start of this run, else now;
///   finished = sent only (a running stage has not finished; a re-run after a
///   finished one starts afresh);
/// - `success` / `failed`: started = sent or stored; finished = sent, else
///   stored, else now;
/// - `skipped`: sent or stored, nothing filled in.
///
/// The log link is the one sent, else the stored one.
pub fn merge_stage(
    stage: &str,
    before: Option<&StageView>,
    report: &StageReport,
    now: DateTime<Utc>,
) -> StageView {
    let stored_start = before.and_then(|b| b.started_at);
    let stored_end = before.and_then(|b| b.finished_at);
    let (started_at, finished_at) = match report.status {
        StageStatus::Pending => (report.started_at, report.finished_at),
        StageStatus::Running => (
            report
                .started_at
                .or(if stored_end.is_none() {
                    stored_start
                } else {
                    None
                })
                .or(Some(now)),
            report.finished_at,
        ),
        StageStatus::Success | StageStatus::Failed => (
            report.started_at.or(stored_start),
            report.finished_at.or(stored_end).or(Some(now)),
        ),
        StageStatus::Skipped => (
            report.started_at.or(stored_start),
            report.finished_at.or(stored_end),
        ),
    };
    StageView {
        stage: stage.to_string(),
        status: report.status,
        started_at,
        finished_at,
        log_url: report
            .log_url
            .clone()
            .or_else(|| before.and_then(|b| b.log_url.clone())),
    }
}

/// Upserts one CI stage of a deploy (R-DEP-3), audited as `deploy.stage`
/// (target `deploy:<id>`) with the stage before and after.
pub async fn report_stage(
    conn: &mut PgConnection,
    actor: &Actor,
    deploy_id: i64,
    stage: &str,
    report: &StageReport,
    now: DateTime<Utc>,
) -> Result<StageView, StageError> {
    if !STAGES.contains(&stage) {
        return Err(StageError::UnknownStage(stage.to_string()));
    }
    // FOR SHARE: the deploy cannot disappear (its stages cascade) while we write.
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM deploys WHERE id = $1 FOR SHARE")
        .bind(deploy_id)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_none() {
        return Err(StageError::UnknownDeploy(deploy_id));
    }
    let before = sqlx::query(
        "SELECT stage, status, started_at, finished_at, log_url FROM deploy_stages \
         WHERE deploy_id = $1 AND stage = $2 FOR UPDATE",
    )
    .bind(deploy_id)
    .bind(stage)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| stage_view(&r))
    .transpose()?;
    let after = merge_stage(stage, before.as_ref(), report, now);
    if let (Some(s), Some(f)) = (after.started_at, after.finished_at) {
        if f < s {
            return Err(StageError::EndsBeforeStart);
        }
    }
    // Two first reports of the same stage at once: the loser of the insert
    // race updates instead (its values win, as the later report should).
    sqlx::query(
        "INSERT INTO deploy_stages (deploy_id, stage, status, started_at, finished_at, log_url, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (deploy_id, stage) DO UPDATE SET status = EXCLUDED.status, \
         started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, \
         log_url = EXCLUDED.log_url, updated_at = EXCLUDED.updated_at",
    )
    .bind(deploy_id)
    .bind(stage)
    .bind(after.status.as_str())
    .bind(after.started_at)
    .bind(after.finished_at)
    .bind(after.log_url.as_deref())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    audit::append(
        conn,
        actor,
        "deploy.stage",
        &format!("deploy:{deploy_id}"),
        before.as_ref().map(|b| json!(b)),
        Some(json!(after)),
    )
    .await?;
    Ok(after)
}

/// A deploy's stages in pipeline order (checkout … deploy); stages never
/// reported are absent.
pub async fn stages<'e>(
    db: impl PgExecutor<'e>,
    deploy_id: i64,
) -> Result<Vec<StageView>, sqlx::Error> {
    sqlx::query(
        "SELECT stage, status, started_at, finished_at, log_url FROM deploy_stages \
         WHERE deploy_id = $1 \
         ORDER BY array_position(ARRAY['checkout','install','test','build','deploy'], stage)",
    )
    .bind(deploy_id)
    .fetch_all(db)
    .await?
    .iter()
    .map(stage_view)
    .collect()
}

// ---------------------------------------------------------------- CI's view

/// A deploy as CI reads it back (`GET /api/v1/deploys/{id}`): enough to poll
/// for the outcome without the page's gate details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CiDeployView {
    pub id: i64,
    pub environment: Environment,
    pub version: String,
    pub commit_sha: String,
    #[serde(rename = "ref")]
    pub ref_name: Option<String>,
    pub source: DeploySource,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub state: DeployStatus,
    /// Deploy was pressed and it waits in its environment's queue.
    pub queued: bool,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub failure: Option<String>,
    pub release_id: Option<i64>,
    pub stages: Vec<StageView>,
}

/// The deploy with its stages, or `None` when there is no such deploy.
pub async fn ci_view(
    conn: &mut PgConnection,
    deploy_id: i64,
) -> Result<Option<CiDeployView>, sqlx::Error> {
    let Some(r) = sqlx::query(
        "SELECT id, environment, version, commit_sha, ref_name, source, requested_by, \
         requested_at, state, start_requested_at, started_at, finished_at, failure, release_id \
         FROM deploys WHERE id = $1",
    )
    .bind(deploy_id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let environment: String = r.try_get("environment")?;
    let source: String = r.try_get("source")?;
    let state: String = r.try_get("state")?;
    let state = DeployStatus::parse(&state).ok_or_else(|| decode_err("deploy state", &state))?;
    let start_requested: Option<DateTime<Utc>> = r.try_get("start_requested_at")?;
    let started_at: Option<DateTime<Utc>> = r.try_get("started_at")?;
    Ok(Some(CiDeployView {
        id: r.try_get("id")?,
        environment: environment
            .parse()
            .map_err(|_| decode_err("environment", &environment))?,
        version: r.try_get("version")?,
        commit_sha: r.try_get("commit_sha")?,
        ref_name: r.try_get("ref_name")?,
        source: DeploySource::parse(&source).ok_or_else(|| decode_err("source", &source))?,
        requested_by: r.try_get("requested_by")?,
        requested_at: r.try_get("requested_at")?,
        queued: start_requested.is_some() && started_at.is_none() && !state.is_final(),
        state,
        started_at,
        finished_at: r.try_get("finished_at")?,
        failure: r.try_get("failure")?,
        release_id: r.try_get("release_id")?,
        stages: stages(&mut *conn, deploy_id).await?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0)
            .single()
            .expect("valid time")
    }

    fn report(status: StageStatus) -> StageReport {
        StageReport {
            status,
            started_at: None,
            finished_at: None,
            log_url: None,
        }
    }

    #[test]
    fn r_dep_3_stage_timestamps_are_kept_and_filled_in() {
        let running = merge_stage("test", None, &report(StageStatus::Running), at(10));
        assert_eq!(running.started_at, Some(at(10)));
        assert_eq!(running.finished_at, None);
        let done = merge_stage(
            "test",
            Some(&running),
            &report(StageStatus::Success),
            at(11),
        );
        assert_eq!(
            (done.started_at, done.finished_at),
            (Some(at(10)), Some(at(11)))
        );
        // A re-run after a finished run starts afresh.
        let rerun = merge_stage("test", Some(&done), &report(StageStatus::Running), at(12));
        assert_eq!((rerun.started_at, rerun.finished_at), (Some(at(12)), None));
        let reset = merge_stage("test", Some(&done), &report(StageStatus::Pending), at(12));
        assert_eq!((reset.started_at, reset.finished_at), (None, None));
        let skipped = merge_stage("test", None, &report(StageStatus::Skipped), at(12));
        assert_eq!((skipped.started_at, skipped.finished_at), (None, None));
    }

    #[test]
    fn r_dep_3_log_urls_must_be_http() {
        assert!(is_log_url("https://ci.example.com/runs/1"));
        assert!(is_log_url("HTTP://ci.example.com"));
        assert!(!is_log_url("javascript:alert(1)"));
        assert!(!is_log_url("https://"));
        assert!(!is_log_url("https:///path"));
        assert!(!is_log_url("https://a b"));
        assert!(!is_log_url("ftp://ci.example.com"));
    }

    #[test]
    fn r_dep_2_mapping_branches_must_be_matchable() {
        use opsdeck::deploy_gate::TriggerRule;
        let rule = |b: &str| TriggerPolicy {
            rules: vec![TriggerRule {
                event: TriggerEvent::Push { branch: b.into() },
                environment: Environment::Staging,
            }],
        };
        assert_eq!(check_policy(&TriggerPolicy::default()), Ok(()));
        assert_eq!(check_policy(&rule("release/1.x")), Ok(()));
        assert_eq!(
            check_policy(&rule("")),
            Err(TriggerSettingsProblem::BranchEmpty)
        );
        assert!(check_policy(&rule("refs/heads/main")).is_err());
        assert!(check_policy(&rule("ma in")).is_err());
    }

    #[test]
    fn config_debug_hides_the_secret() {
        let c = TriggerConfig {
            secret: Some("hunter2".into()),
            policy: TriggerPolicy::default(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
