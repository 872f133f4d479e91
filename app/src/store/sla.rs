//! The SLA (issue 10 item 5, R-SLA-1..5; decision 0019): the policy's
//! targets, the ledger of classified outages, and — in [`report`] — the
//! month and 12-month reports built from the rollups.
//!
//! An environment's availability is its public URL's (the probe target
//! without a colour: the address users reach, whichever colour is live).
//! A minute is down when at least half of its probes failed
//! (`sla_minute_down` in the migration, one definition for every read).

pub mod report;

use super::audit::{self, Actor};
use crate::model::sla::{ExclusionKind, SlaSettingsView};
use chrono::{DateTime, Utc};
use opsdeck::deploy_gate::Environment;
use opsdeck::sla::{ErrorRateTargets, NoDataPolicy, PerformanceTargets, SlaPolicy};
use serde_json::json;
use sqlx::{PgConnection, PgExecutor, Row};

/// Longest written reason of a classification.
pub const NOTE_MAX_CHARS: usize = 2000;

/// The stored policy, as the core's types.
#[derive(Debug, Clone)]
pub struct SlaSettings {
    pub policy: SlaPolicy,
    pub performance: PerformanceTargets,
    pub error_rates: ErrorRateTargets,
    pub view: SlaSettingsView,
}

fn no_data_policy(s: &str) -> NoDataPolicy {
    match s {
        "count_as_down" => NoDataPolicy::CountAsDown,
        "count_as_up" => NoDataPolicy::CountAsUp,
        _ => NoDataPolicy::Exclude,
    }
}

fn ppm(v: i32) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

/// The seeded (or edited) targets.
pub async fn settings<'e>(db: impl PgExecutor<'e>) -> Result<SlaSettings, sqlx::Error> {
    let r = sqlx::query(
        "SELECT target_ppm, no_data, latency_quantile, api_ms, page_ms, search_ms, \
                max_5xx_ppm, max_4xx_ppm, max_timeout_ppm \
         FROM sla_settings WHERE singleton",
    )
    .fetch_one(db)
    .await?;
    let view = SlaSettingsView {
        target_ppm: ppm(r.try_get("target_ppm")?),
        no_data: r.try_get("no_data")?,
        latency_quantile: r.try_get("latency_quantile")?,
        api_ms: r.try_get("api_ms")?,
        page_ms: r.try_get("page_ms")?,
        search_ms: r.try_get("search_ms")?,
        max_5xx_ppm: ppm(r.try_get("max_5xx_ppm")?),
        max_4xx_ppm: ppm(r.try_get("max_4xx_ppm")?),
        max_timeout_ppm: ppm(r.try_get("max_timeout_ppm")?),
    };
    Ok(SlaSettings {
        policy: SlaPolicy {
            target_ppm: view.target_ppm,
            no_data: no_data_policy(&view.no_data),
        },
        performance: PerformanceTargets {
            quantile: view.latency_quantile,
            api_ms: view.api_ms,
            page_ms: view.page_ms,
            search_ms: view.search_ms,
        },
        error_rates: ErrorRateTargets {
            max_5xx_ppm: view.max_5xx_ppm,
            max_4xx_ppm: view.max_4xx_ppm,
            max_timeout_ppm: view.max_timeout_ppm,
        },
        view,
    })
}

fn settings_json(v: &SlaSettingsView) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// Changes the targets (admins; the values are checked by the caller and
/// again by the table's constraints), audited with before and after.
pub async fn save_settings(
    conn: &mut PgConnection,
    actor: &Actor,
    v: &SlaSettingsView,
) -> Result<SlaSettingsView, sqlx::Error> {
    let before = settings(&mut *conn).await?.view;
    let ppm = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    sqlx::query(
        "UPDATE sla_settings SET target_ppm = $1, no_data = $2, latency_quantile = $3, \
         api_ms = $4, page_ms = $5, search_ms = $6, max_5xx_ppm = $7, max_4xx_ppm = $8, \
         max_timeout_ppm = $9 WHERE singleton",
    )
    .bind(ppm(v.target_ppm))
    .bind(&v.no_data)
    .bind(v.latency_quantile)
    .bind(v.api_ms)
    .bind(v.page_ms)
    .bind(v.search_ms)
    .bind(ppm(v.max_5xx_ppm))
    .bind(ppm(v.max_4xx_ppm))
    .bind(ppm(v.max_timeout_ppm))
    .execute(&mut *conn)
    .await?;
    let after = settings(&mut *conn).await?.view;
    if after != before {
        audit::append(
            conn,
            actor,
            "sla.settings",
            "sla_settings",
            Some(settings_json(&before)),
            Some(settings_json(&after)),
        )
        .await?;
    }
    Ok(after)
}

/// The probe target an environment's availability is read from: its public
/// URL (no colour).
pub async fn public_target<'e>(
    db: impl PgExecutor<'e>,
    environment: Environment,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM probe_targets WHERE environment = $1 AND colour IS NULL")
        .bind(environment.key())
        .fetch_optional(db)
        .await
}

/// A classified outage (R-SLA-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub id: i64,
    pub environment: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub kind: ExclusionKind,
    pub note: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

fn classification_row(r: &sqlx::postgres::PgRow) -> Result<Classification, sqlx::Error> {
    let reason: String = r.try_get("reason")?;
    Ok(Classification {
        id: r.try_get("id")?,
        environment: r.try_get("environment")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        kind: ExclusionKind::parse_classification(&reason).unwrap_or(ExclusionKind::ForceMajeure),
        note: r.try_get("note")?,
        by: r.try_get("classified_by")?,
        at: r.try_get("classified_at")?,
    })
}

const CLASSIFICATION_COLUMNS: &str =
    "id, environment, starts_at, ends_at, reason, note, classified_by, classified_at";

/// The classifications of an environment overlapping `[from, to)`, oldest first.
pub async fn classifications<'e>(
    db: impl PgExecutor<'e>,
    environment: Environment,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Classification>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {CLASSIFICATION_COLUMNS} FROM sla_exclusions \
         WHERE environment = $1 AND starts_at < $3 AND ends_at > $2 ORDER BY starts_at, id"
    ))
    .bind(environment.key())
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await?;
    rows.iter().map(classification_row).collect()
}

/// Why a classification was refused.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// The interval is not one of the outages the month's report lists.
    #[error("not an outage of the month")]
    NotAnOutage,
    /// Another classification already covers part of it.
    #[error("already classified")]
    AlreadyClassified,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn classification_json(c: &Classification) -> serde_json::Value {
    json!({
        "environment": c.environment,
        "starts_at": c.starts_at,
        "ends_at": c.ends_at,
        "reason": c.kind.as_str(),
        "note": c.note,
        "classified_by": c.by,
    })
}

/// Records the classification of an outage `[start, end)` of `environment`
/// as `kind` with the written `note`, audited in the same transaction. The
/// interval must be one of the outages the report lists for the local month
/// it starts in (so only real outages are excluded, whole), and must not
/// overlap another classification. Classifications of one environment are
/// serialised by an advisory lock, so two operators cannot both classify
/// the same outage.
#[allow(clippy::too_many_arguments)]
pub async fn classify(
    conn: &mut PgConnection,
    actor: &Actor,
    tz: chrono_tz::Tz,
    environment: Environment,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    kind: ExclusionKind,
    note: &str,
    now: DateTime<Utc>,
) -> Result<i64, ClassifyError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('sla_exclusions:' || $1))")
        .bind(environment.key())
        .execute(&mut *conn)
        .await?;
    let outages = report::outages_at(&mut *conn, tz, environment, start, now).await?;
    if !outages
        .iter()
        .any(|o| o.starts_at == start && o.ends_at == end)
    {
        return Err(ClassifyError::NotAnOutage);
    }
    let overlapping: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sla_exclusions \
         WHERE environment = $1 AND starts_at < $3 AND ends_at > $2)",
    )
    .bind(environment.key())
    .bind(start)
    .bind(end)
    .fetch_one(&mut *conn)
    .await?;
    if overlapping {
        return Err(ClassifyError::AlreadyClassified);
    }
    let row = sqlx::query(&format!(
        "INSERT INTO sla_exclusions (environment, starts_at, ends_at, reason, note, classified_by, classified_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {CLASSIFICATION_COLUMNS}"
    ))
    .bind(environment.key())
    .bind(start)
    .bind(end)
    .bind(kind.as_str())
    .bind(note.trim())
    .bind(&actor.name)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let c = classification_row(&row)?;
    audit::append(
        conn,
        actor,
        "sla.classify",
        &format!("sla_exclusion:{}", c.id),
        None,
        Some(classification_json(&c)),
    )
    .await?;
    Ok(c.id)
}

/// Removes a classification (the outage counts again), audited with what
/// it was. `false` when there is no such classification.
pub async fn unclassify(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(&format!(
        "DELETE FROM sla_exclusions WHERE id = $1 RETURNING {CLASSIFICATION_COLUMNS}"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    let c = classification_row(&row)?;
    audit::append(
        conn,
        actor,
        "sla.unclassify",
        &format!("sla_exclusion:{}", c.id),
        Some(classification_json(&c)),
        None,
    )
    .await?;
    Ok(true)
}
