//! The DR runbook (issue 13 item 5, R-BAK-4): declaring an incident copies
//! the runbook template (the policy's seven steps and its recovery order)
//! into a live checklist and tells `oncall` in the same transaction; step
//! updates and the resolution are audited; the post-incident report is
//! rendered from what is stored.

use super::audit::{self, Actor};
use crate::i18n::Lang;
use crate::model::incidents::{
    clock, report_markdown, IncidentDetail, IncidentRow, IncidentSeverity, IncidentStatus,
    IncidentsView, StepAction, StepView,
};
use crate::notify::Event;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgExecutor, Row};

/// The group told about incidents.
pub const ONCALL: &str = "oncall";

/// The columns of an incident row, with its progress and recovery time.
const INCIDENT_SELECT: &str = "SELECT i.id, i.title, i.severity, i.status, i.declared_by, i.declared_at, \
     i.resolved_at, i.resolved_by, i.notes, i.rto_minutes, \
     (SELECT count(*) FROM incident_steps s WHERE s.incident_id = i.id AND s.done_at IS NOT NULL) AS steps_done, \
     (SELECT count(*) FROM incident_steps s WHERE s.incident_id = i.id) AS steps_total, \
     COALESCE((SELECT s.done_at FROM incident_steps s WHERE s.incident_id = i.id AND s.key = 'resume_service'), \
              i.resolved_at) AS recovered_at \
     FROM incidents i";

const STEP_COLUMNS: &str =
    "position, section, key, label_en, label_ja, owner, started_at, started_by, \
     done_at, done_by, notes, updated_at, updated_by";

fn incident_from_row(r: &PgRow) -> Result<IncidentRow, sqlx::Error> {
    let severity: String = r.try_get("severity")?;
    let status: String = r.try_get("status")?;
    Ok(IncidentRow {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        severity: IncidentSeverity::parse(&severity).unwrap_or(IncidentSeverity::Critical),
        status: IncidentStatus::parse(&status).unwrap_or(IncidentStatus::Open),
        declared_by: r.try_get("declared_by")?,
        declared_at: r.try_get("declared_at")?,
        resolved_at: r.try_get("resolved_at")?,
        resolved_by: r.try_get("resolved_by")?,
        notes: r.try_get("notes")?,
        rto_minutes: r.try_get("rto_minutes")?,
        steps_done: r.try_get("steps_done")?,
        steps_total: r.try_get("steps_total")?,
        recovered_at: r.try_get("recovered_at")?,
    })
}

fn step_from_row(r: &PgRow) -> Result<StepView, sqlx::Error> {
    Ok(StepView {
        position: r.try_get("position")?,
        section: r.try_get("section")?,
        key: r.try_get("key")?,
        label_en: r.try_get("label_en")?,
        label_ja: r.try_get("label_ja")?,
        owner: r.try_get("owner")?,
        started_at: r.try_get("started_at")?,
        started_by: r.try_get("started_by")?,
        done_at: r.try_get("done_at")?,
        done_by: r.try_get("done_by")?,
        notes: r.try_get("notes")?,
        updated_at: r.try_get("updated_at")?,
        updated_by: r.try_get("updated_by")?,
    })
}

/// The RTO a new incident is judged against (backup settings, R-BAK-3).
pub async fn current_rto<'e>(db: impl PgExecutor<'e>) -> Result<i32, sqlx::Error> {
    let rto: Option<i32> =
        sqlx::query_scalar("SELECT rto_minutes FROM backup_settings WHERE singleton")
            .fetch_optional(db)
            .await?;
    Ok(rto.unwrap_or(240))
}

/// Every incident, open ones first, then the newest (at most `limit`).
pub async fn list(
    conn: &mut PgConnection,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<IncidentsView, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{INCIDENT_SELECT} ORDER BY (i.status = 'open') DESC, i.declared_at DESC, i.id DESC LIMIT $1"
    ))
    .bind(limit.clamp(1, 1000))
    .fetch_all(&mut *conn)
    .await?;
    Ok(IncidentsView {
        now,
        incidents: rows
            .iter()
            .map(incident_from_row)
            .collect::<Result<_, _>>()?,
        rto_minutes: current_rto(&mut *conn).await?,
    })
}

/// The open incident declared most recently, if any (the overview's card).
pub async fn open_incident<'e>(
    db: impl PgExecutor<'e>,
) -> Result<Option<IncidentRow>, sqlx::Error> {
    sqlx::query(&format!(
        "{INCIDENT_SELECT} WHERE i.status = 'open' ORDER BY i.declared_at DESC, i.id DESC LIMIT 1"
    ))
    .fetch_optional(db)
    .await?
    .as_ref()
    .map(incident_from_row)
    .transpose()
}

pub async fn incident<'e>(
    db: impl PgExecutor<'e>,
    id: i64,
) -> Result<Option<IncidentRow>, sqlx::Error> {
    sqlx::query(&format!("{INCIDENT_SELECT} WHERE i.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?
        .as_ref()
        .map(incident_from_row)
        .transpose()
}

/// The checklist of an incident, in the runbook's order.
pub async fn steps<'e>(db: impl PgExecutor<'e>, id: i64) -> Result<Vec<StepView>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {STEP_COLUMNS} FROM incident_steps WHERE incident_id = $1 ORDER BY position"
    ))
    .bind(id)
    .fetch_all(db)
    .await?
    .iter()
    .map(step_from_row)
    .collect()
}

/// An incident with its checklist, clock and report, as of `now`.
pub async fn detail(
    conn: &mut PgConnection,
    id: i64,
    tz: Tz,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<Option<IncidentDetail>, sqlx::Error> {
    let Some(row) = incident(&mut *conn, id).await? else {
        return Ok(None);
    };
    let steps = steps(&mut *conn, id).await?;
    let report_markdown = report_markdown(&row, &steps, tz, lang, now);
    Ok(Some(IncidentDetail {
        now,
        clock: clock(&row, now),
        incident: row,
        steps,
        report_markdown,
    }))
}

/// The post-incident report of an incident as of `now`; `None`: no such incident.
pub async fn report(
    conn: &mut PgConnection,
    id: i64,
    tz: Tz,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<Option<String>, sqlx::Error> {
    Ok(detail(conn, id, tz, lang, now)
        .await?
        .map(|d| d.report_markdown))
}

async fn incident_json(conn: &mut PgConnection, id: i64) -> Result<Option<Value>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT jsonb_build_object('id', id, 'title', title, 'severity', severity, 'status', status, \
         'declared_by', declared_by, 'declared_at', declared_at, 'resolved_at', resolved_at, \
         'resolved_by', resolved_by, 'notes', notes, 'rto_minutes', rto_minutes) FROM incidents WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

async fn step_json(
    conn: &mut PgConnection,
    id: i64,
    position: i32,
) -> Result<Option<Value>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT jsonb_build_object('step', position, 'key', key, 'owner', owner, 'started_at', started_at, \
         'started_by', started_by, 'done_at', done_at, 'done_by', done_by, 'notes', notes) \
         FROM incident_steps WHERE incident_id = $1 AND position = $2",
    )
    .bind(id)
    .bind(position)
    .fetch_optional(&mut *conn)
    .await
}

fn notify_db(e: super::notifications::NotifyError) -> sqlx::Error {
    match e {
        super::notifications::NotifyError::Db(e) => e,
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

/// Declares an incident (already checked): copies the runbook into its
/// checklist — the first step (declare) started by the declarer, who owns
/// it —, audits, and tells `oncall` once, all in the caller's transaction.
pub async fn declare(
    conn: &mut PgConnection,
    actor: &Actor,
    title: &str,
    severity: IncidentSeverity,
    notes: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let rto = current_rto(&mut *conn).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO incidents (title, severity, declared_by, declared_at, notes, rto_minutes, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $4) RETURNING id",
    )
    .bind(title)
    .bind(severity.as_str())
    .bind(&actor.name)
    .bind(now)
    .bind(notes)
    .bind(rto)
    .fetch_one(&mut *conn)
    .await?;
    let copied = sqlx::query(
        "INSERT INTO incident_steps (incident_id, position, section, key, label_en, label_ja, owner, started_at, started_by) \
         SELECT $1, position, section, key, label_en, label_ja, \
                CASE WHEN key = 'declare' THEN $2 ELSE '' END, \
                CASE WHEN key = 'declare' THEN $3::timestamptz END, \
                CASE WHEN key = 'declare' THEN $2 END \
         FROM dr_runbook_steps ORDER BY position",
    )
    .bind(id)
    .bind(&actor.name)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let after = incident_json(conn, id).await?.map(|mut v| {
        if let Some(o) = v.as_object_mut() {
            o.insert("steps".into(), json!(copied));
        }
        v
    });
    audit::append(
        conn,
        actor,
        "incident.declare",
        &format!("incident:{id}"),
        None,
        after,
    )
    .await?;
    let event = Event::IncidentDeclared {
        incident_id: id,
        title: title.to_string(),
        severity: severity.as_str().to_string(),
        by: actor.name.clone(),
        declared: crate::time::format(now, tz),
        rto_minutes: i64::from(rto),
    };
    super::notifications::notify(conn, ONCALL, &event, &format!("incident-{id}-declared"))
        .await
        .map_err(notify_db)?;
    Ok(id)
}

/// What a change to an incident came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Done (or nothing to do: the step already was so).
    Done,
    NotFound,
    /// The incident is resolved: its runbook no longer changes.
    Resolved,
}

/// Changes one step of an open incident (already checked); audited when
/// something changed. Starting and ticking record the time once; an empty
/// owner becomes whoever starts or ticks.
#[allow(clippy::too_many_arguments)]
pub async fn update_step(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    position: i32,
    action: StepAction,
    owner: &str,
    notes: &str,
    now: DateTime<Utc>,
) -> Result<Change, sqlx::Error> {
    // The incident row is the lock: a resolution waits for this change and vice versa.
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM incidents WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    match status.as_deref() {
        None => return Ok(Change::NotFound),
        Some("open") => {}
        Some(_) => return Ok(Change::Resolved),
    }
    let Some(before) = step_json(conn, id, position).await? else {
        return Ok(Change::NotFound);
    };
    let sql = match action {
        StepAction::Save => "UPDATE incident_steps SET owner = $3, notes = $4 WHERE incident_id = $1 AND position = $2",
        StepAction::Start => {
            "UPDATE incident_steps SET started_at = COALESCE(started_at, $6), started_by = COALESCE(started_by, $5), \
             owner = CASE WHEN owner = '' THEN $5 ELSE owner END WHERE incident_id = $1 AND position = $2"
        }
        StepAction::Done => {
            "UPDATE incident_steps SET started_at = COALESCE(started_at, $6), started_by = COALESCE(started_by, $5), \
             done_at = COALESCE(done_at, $6), done_by = COALESCE(done_by, $5), \
             owner = CASE WHEN owner = '' THEN $5 ELSE owner END WHERE incident_id = $1 AND position = $2"
        }
        StepAction::Undone => {
            "UPDATE incident_steps SET done_at = NULL, done_by = NULL WHERE incident_id = $1 AND position = $2"
        }
    };
    sqlx::query(sql)
        .bind(id)
        .bind(position)
        .bind(owner)
        .bind(notes)
        .bind(&actor.name)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let after = step_json(conn, id, position).await?;
    if after.as_ref() == Some(&before) {
        return Ok(Change::Done);
    }
    sqlx::query(
        "UPDATE incident_steps SET updated_at = $3, updated_by = $4 WHERE incident_id = $1 AND position = $2",
    )
    .bind(id)
    .bind(position)
    .bind(now)
    .bind(&actor.name)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE incidents SET updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    audit::append(
        conn,
        actor,
        &format!("incident_step.{}", action.as_str()),
        &format!("incident:{id}/step:{position}"),
        Some(before),
        after,
    )
    .await?;
    Ok(Change::Done)
}

/// Resolves an open incident (with closing notes appended, if any); audited;
/// `oncall` hears that it is over, once.
pub async fn resolve(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    notes: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Change, sqlx::Error> {
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM incidents WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    match status.as_deref() {
        None => return Ok(Change::NotFound),
        Some("open") => {}
        Some(_) => return Ok(Change::Resolved),
    }
    let before = incident_json(conn, id).await?;
    sqlx::query(
        "UPDATE incidents SET status = 'resolved', resolved_at = GREATEST($2, declared_at), resolved_by = $3, \
         notes = CASE WHEN $4 = '' THEN notes WHEN notes = '' THEN $4 ELSE notes || E'\\n\\n' || $4 END, \
         updated_at = $2 WHERE id = $1",
    )
    .bind(id)
    .bind(now)
    .bind(&actor.name)
    .bind(notes)
    .execute(&mut *conn)
    .await?;
    let after = incident_json(conn, id).await?;
    audit::append(
        conn,
        actor,
        "incident.resolve",
        &format!("incident:{id}"),
        before,
        after,
    )
    .await?;
    if let Some(row) = incident(&mut *conn, id).await? {
        let c = clock(&row, now);
        let event = Event::IncidentResolved {
            incident_id: id,
            title: row.title.clone(),
            by: actor.name.clone(),
            resolved: crate::time::format(row.resolved_at.unwrap_or(now), tz),
            recovery_minutes: c.time_to_recovery_seconds.map(|s| s / 60),
            rto_minutes: i64::from(row.rto_minutes),
        };
        super::notifications::notify(conn, ONCALL, &event, &format!("incident-{id}-resolved"))
            .await
            .map_err(notify_db)?;
    }
    Ok(Change::Done)
}
