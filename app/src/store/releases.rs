//! Releases (issue 11, R-REL-1..5): the settings, the releases, their
//! append-only release-notes revisions and the calendar-feed secrets.
//!
//! `freezes` is the one source of code-freeze windows: the calendar draws
//! them, the Production environment shows the active one and the deploy gate
//! (R-DEP-6) consults it.

use super::audit::{self, Actor};
use crate::model::releases::{
    ReleaseRow, ReleaseSettingsView, ReleaseStatus, RevisionMeta, SaveNotesOutcome,
};
use crate::notify::Event;
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use opsdeck::interval::UtcInterval;
use opsdeck::release_calendar::{self as cal, CadencePolicy, ReleaseCalendarPolicy};
use opsdeck::release_notes::ReleaseNotes;
use opsdeck::versions::{ReleaseKind, Version};
use serde_json::json;
use sqlx::{PgConnection, PgExecutor, PgPool, Row};

/// The settings row as the core's policies.
#[derive(Debug, Clone)]
pub struct Settings {
    pub calendar: ReleaseCalendarPolicy,
    pub cadence: CadencePolicy,
    pub view: ReleaseSettingsView,
}

fn days(r: &sqlx::postgres::PgRow, name: &str) -> Result<u32, sqlx::Error> {
    let n: i32 = r.try_get(name)?;
    Ok(u32::try_from(n).unwrap_or(0))
}

pub async fn settings<'e>(db: impl PgExecutor<'e>) -> Result<Settings, sqlx::Error> {
    let r = sqlx::query("SELECT * FROM release_settings WHERE singleton")
        .fetch_one(db)
        .await?;
    let calendar = ReleaseCalendarPolicy {
        feature_freeze_days: days(&r, "feature_freeze_days")?,
        code_freeze_days: days(&r, "code_freeze_days")?,
        final_test_days: days(&r, "final_test_days")?,
        release_notes_days: days(&r, "release_notes_days")?,
    };
    let cadence = CadencePolicy {
        min_majors_per_year: days(&r, "min_majors_per_year")?,
        max_majors_per_year: days(&r, "max_majors_per_year")?,
        min_minors_per_month: days(&r, "min_minors_per_month")?,
        max_minors_per_month: days(&r, "max_minors_per_month")?,
    };
    let view = ReleaseSettingsView {
        feature_freeze_days: calendar.feature_freeze_days,
        code_freeze_days: calendar.code_freeze_days,
        final_test_days: calendar.final_test_days,
        release_notes_days: calendar.release_notes_days,
        issue_url_template: r.try_get("issue_url_template")?,
    };
    Ok(Settings {
        calendar,
        cadence,
        view,
    })
}

pub fn kind_str(kind: ReleaseKind) -> &'static str {
    match kind {
        ReleaseKind::Major => "major",
        ReleaseKind::Minor => "minor",
        ReleaseKind::Patch => "patch",
    }
}

fn kind_of(s: &str) -> ReleaseKind {
    match s {
        "major" => ReleaseKind::Major,
        "minor" => ReleaseKind::Minor,
        _ => ReleaseKind::Patch,
    }
}

const COLUMNS: &str =
    "id, version, kind, planned_date, status, breaking, summary, notes_revision, \
     released_at, released_by, created_by";

/// Turns a row into what lists show; the status becomes `frozen` while a
/// planned release is inside its code freeze at `now`.
fn row_from(
    r: &sqlx::postgres::PgRow,
    tz: Tz,
    policy: &ReleaseCalendarPolicy,
    now: DateTime<Utc>,
) -> Result<ReleaseRow, sqlx::Error> {
    let planned_date: NaiveDate = r.try_get("planned_date")?;
    let status: String = r.try_get("status")?;
    let freeze = cal::code_freeze_interval(planned_date, tz, policy)
        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let status = match status.as_str() {
        "released" => ReleaseStatus::Released,
        "cancelled" => ReleaseStatus::Cancelled,
        _ if freeze.contains(now) => ReleaseStatus::Frozen,
        _ => ReleaseStatus::Planned,
    };
    Ok(ReleaseRow {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        kind: kind_of(r.try_get::<&str, _>("kind")?),
        planned_date,
        status,
        breaking: r.try_get("breaking")?,
        summary: r.try_get("summary")?,
        milestones: cal::milestones(planned_date, policy).unwrap_or_default(),
        freeze_start: freeze.start,
        freeze_end: freeze.end,
        notes_revision: r.try_get("notes_revision")?,
        released_at: r.try_get("released_at")?,
        released_by: r.try_get("released_by")?,
        created_by: r.try_get("created_by")?,
    })
}

/// Every release, newest version first.
pub async fn list(
    pool: &PgPool,
    tz: Tz,
    policy: &ReleaseCalendarPolicy,
    now: DateTime<Utc>,
) -> Result<Vec<ReleaseRow>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM releases ORDER BY major DESC, minor DESC, patch DESC"
    ))
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| row_from(r, tz, policy, now)).collect()
}

/// Releases whose planned day lies in `[from, to]` (the calendar's grid).
pub async fn between(
    pool: &PgPool,
    tz: Tz,
    policy: &ReleaseCalendarPolicy,
    now: DateTime<Utc>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ReleaseRow>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM releases WHERE planned_date BETWEEN $1 AND $2 ORDER BY planned_date"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| row_from(r, tz, policy, now)).collect()
}

pub async fn get<'e>(
    db: impl PgExecutor<'e>,
    id: i64,
    tz: Tz,
    policy: &ReleaseCalendarPolicy,
    now: DateTime<Utc>,
) -> Result<Option<ReleaseRow>, sqlx::Error> {
    let r = sqlx::query(&format!("SELECT {COLUMNS} FROM releases WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    r.map(|r| row_from(&r, tz, policy, now)).transpose()
}

/// The highest released version (R-REL-1: a new one must be greater).
pub async fn last_released<'e>(db: impl PgExecutor<'e>) -> Result<Option<Version>, sqlx::Error> {
    let v: Option<String> = sqlx::query_scalar(
        "SELECT version FROM releases WHERE status = 'released' \
         ORDER BY major DESC, minor DESC, patch DESC LIMIT 1",
    )
    .fetch_optional(db)
    .await?;
    Ok(v.and_then(|v| Version::parse(&v).ok()))
}

/// A planned (not cancelled, not released) release's code freeze.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Freeze {
    pub release_id: i64,
    pub version: String,
    pub window: UtcInterval,
}

/// The code-freeze windows of planned releases: what the deploy gate
/// consults (R-DEP-6) and the calendar draws.
pub async fn freezes<'e>(
    db: impl PgExecutor<'e>,
    tz: Tz,
    policy: &ReleaseCalendarPolicy,
) -> Result<Vec<Freeze>, sqlx::Error> {
    let rows: Vec<(i64, String, NaiveDate)> = sqlx::query_as(
        "SELECT id, version, planned_date FROM releases WHERE status = 'planned' ORDER BY planned_date",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(release_id, version, date)| {
            cal::code_freeze_interval(date, tz, policy)
                .ok()
                .map(|window| Freeze {
                    release_id,
                    version,
                    window,
                })
        })
        .collect())
}

/// The freeze containing `now`, if any.
pub async fn active_freeze<'e>(
    db: impl PgExecutor<'e>,
    tz: Tz,
    policy: &ReleaseCalendarPolicy,
    now: DateTime<Utc>,
) -> Result<Option<Freeze>, sqlx::Error> {
    Ok(freezes(db, tz, policy)
        .await?
        .into_iter()
        .find(|f| f.window.contains(now)))
}

/// What a plan saves.
#[derive(Debug, Clone)]
pub struct PlanInput {
    pub version: Version,
    pub kind: ReleaseKind,
    pub planned_date: NaiveDate,
    pub breaking: bool,
    pub summary: String,
}

fn audit_json(p: &PlanInput) -> serde_json::Value {
    json!({
        "version": p.version.to_string(),
        "kind": kind_str(p.kind),
        "planned_date": p.planned_date,
        "breaking": p.breaking,
        "summary": p.summary,
    })
}

/// Why a plan could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("version {0} already exists")]
    Duplicate(String),
    #[error("release not found or no longer planned")]
    NotPlanned,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

fn unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "23505")
}

/// Plans a release (release_manager); audited.
pub async fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    p: &PlanInput,
) -> Result<i64, PlanError> {
    let version = p.version.to_string();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO releases (version, major, minor, patch, kind, planned_date, breaking, summary, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(&version)
    .bind(i64::try_from(p.version.major()).unwrap_or(i64::MAX))
    .bind(i64::try_from(p.version.minor()).unwrap_or(i64::MAX))
    .bind(i64::try_from(p.version.patch()).unwrap_or(i64::MAX))
    .bind(kind_str(p.kind))
    .bind(p.planned_date)
    .bind(p.breaking)
    .bind(&p.summary)
    .bind(&actor.name)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| {
        if unique_violation(&e) {
            PlanError::Duplicate(version.clone())
        } else {
            PlanError::Db(e)
        }
    })?;
    audit::append(
        conn,
        actor,
        "release.plan",
        &format!("release:{id}"),
        None,
        Some(audit_json(p)),
    )
    .await?;
    Ok(id)
}

/// Changes a planned release's version, date, flags or summary; audited with before and after.
pub async fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    p: &PlanInput,
) -> Result<(), PlanError> {
    let before = sqlx::query(
        "SELECT version, kind, planned_date, breaking, summary FROM releases \
         WHERE id = $1 AND status = 'planned' FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(PlanError::NotPlanned)?;
    let before = json!({
        "version": before.try_get::<String, _>("version")?,
        "kind": before.try_get::<String, _>("kind")?,
        "planned_date": before.try_get::<NaiveDate, _>("planned_date")?,
        "breaking": before.try_get::<bool, _>("breaking")?,
        "summary": before.try_get::<String, _>("summary")?,
    });
    let version = p.version.to_string();
    sqlx::query(
        "UPDATE releases SET version = $2, major = $3, minor = $4, patch = $5, kind = $6, \
         planned_date = $7, breaking = $8, summary = $9, updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(&version)
    .bind(i64::try_from(p.version.major()).unwrap_or(i64::MAX))
    .bind(i64::try_from(p.version.minor()).unwrap_or(i64::MAX))
    .bind(i64::try_from(p.version.patch()).unwrap_or(i64::MAX))
    .bind(kind_str(p.kind))
    .bind(p.planned_date)
    .bind(p.breaking)
    .bind(&p.summary)
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if unique_violation(&e) {
            PlanError::Duplicate(version.clone())
        } else {
            PlanError::Db(e)
        }
    })?;
    audit::append(
        conn,
        actor,
        "release.update",
        &format!("release:{id}"),
        Some(before),
        Some(audit_json(p)),
    )
    .await?;
    Ok(())
}

/// Cancels a planned release; its freeze no longer applies. Audited.
pub async fn cancel(conn: &mut PgConnection, actor: &Actor, id: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE releases SET status = 'cancelled', cancelled_at = now(), cancelled_by = $2, updated_at = now() \
         WHERE id = $1 AND status = 'planned'",
    )
    .bind(id)
    .bind(&actor.name)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if done {
        audit::append(
            conn,
            actor,
            "release.cancel",
            &format!("release:{id}"),
            Some(json!({"status": "planned"})),
            Some(json!({"status": "cancelled"})),
        )
        .await?;
    }
    Ok(done)
}

/// Publishes a planned release (R-REL-5): released, with who and when;
/// stakeholders are told through the outbox in the same transaction.
/// `None` when the release is not planned (already released or cancelled).
pub async fn publish(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
) -> Result<Option<String>, crate::store::notifications::NotifyError> {
    let version: Option<String> = sqlx::query_scalar(
        "UPDATE releases SET status = 'released', released_at = now(), released_by = $2, updated_at = now() \
         WHERE id = $1 AND status = 'planned' RETURNING version",
    )
    .bind(id)
    .bind(&actor.name)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(version) = version else {
        return Ok(None);
    };
    audit::append(
        conn,
        actor,
        "release.publish",
        &format!("release:{id}"),
        Some(json!({"status": "planned"})),
        Some(json!({"status": "released", "version": version})),
    )
    .await?;
    let event = Event::ReleasePublished {
        release_id: id,
        version: version.clone(),
        by: actor.name.clone(),
    };
    crate::store::notifications::notify(
        conn,
        "stakeholders",
        &event,
        &format!("release-published:{id}"),
    )
    .await?;
    // R-REL-5 / R-DEP-2: publishing requests the Production deploy (as the
    // trigger mapping says), committed with the publish or not at all.
    crate::store::deploys::request_for_release(conn, id, &version, &actor.name, Utc::now()).await?;
    Ok(Some(version))
}

/// The head revision's number, notes and Markdown (revision 0: no notes
/// yet, `None` and an empty text). `None` overall: no such release.
pub async fn notes_head<'e>(
    db: impl PgExecutor<'e>,
    id: i64,
) -> Result<Option<(i32, Option<ReleaseNotes>, String)>, sqlx::Error> {
    let r = sqlx::query(
        "SELECT r.notes_revision, n.notes, n.markdown FROM releases r \
         LEFT JOIN release_note_revisions n ON n.release_id = r.id AND n.revision = r.notes_revision \
         WHERE r.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let Some(r) = r else { return Ok(None) };
    let revision: i32 = r.try_get("notes_revision")?;
    let notes: Option<serde_json::Value> = r.try_get("notes")?;
    let markdown: Option<String> = r.try_get("markdown")?;
    let notes = match notes {
        Some(v) => Some(serde_json::from_value(v).map_err(|e| sqlx::Error::Decode(Box::new(e)))?),
        None => None,
    };
    Ok(Some((revision, notes, markdown.unwrap_or_default())))
}

/// Saves a new revision of the notes if `base_revision` is still the head;
/// otherwise answers with the newer text (R-REL-4: no silent overwrite).
/// The compare-and-set is one UPDATE, so two concurrent saves on the same
/// base cannot both win.
pub async fn save_notes(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    base_revision: i32,
    notes: &ReleaseNotes,
) -> Result<Option<SaveNotesOutcome>, sqlx::Error> {
    let markdown = notes.render_markdown();
    let next: Option<i32> = sqlx::query_scalar(
        "UPDATE releases SET notes_revision = notes_revision + 1, updated_at = now() \
         WHERE id = $1 AND notes_revision = $2 RETURNING notes_revision",
    )
    .bind(id)
    .bind(base_revision)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(revision) = next else {
        let head = sqlx::query(
            "SELECT r.notes_revision, n.markdown, n.author, n.created_at FROM releases r \
             LEFT JOIN release_note_revisions n ON n.release_id = r.id AND n.revision = r.notes_revision \
             WHERE r.id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(head) = head else { return Ok(None) };
        return Ok(Some(SaveNotesOutcome::Conflict {
            base_revision,
            head_revision: head.try_get("notes_revision")?,
            head_author: head
                .try_get::<Option<String>, _>("author")?
                .unwrap_or_default(),
            head_at: head
                .try_get::<Option<DateTime<Utc>>, _>("created_at")?
                .unwrap_or_else(Utc::now),
            theirs: head
                .try_get::<Option<String>, _>("markdown")?
                .unwrap_or_default(),
            yours: markdown,
        }));
    };
    let value = serde_json::to_value(notes).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    sqlx::query(
        "INSERT INTO release_note_revisions (release_id, revision, notes, markdown, author) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(revision)
    .bind(&value)
    .bind(&markdown)
    .bind(&actor.name)
    .execute(&mut *conn)
    .await?;
    // The audit row names the revision; the text itself is in the revisions table.
    audit::append(
        conn,
        actor,
        "release.notes",
        &format!("release:{id}"),
        Some(json!({"revision": base_revision})),
        Some(json!({"revision": revision, "bytes": markdown.len()})),
    )
    .await?;
    Ok(Some(SaveNotesOutcome::Saved { revision }))
}

/// Every revision of a release's notes, newest first.
pub async fn revisions(pool: &PgPool, id: i64) -> Result<Vec<RevisionMeta>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT revision, author, created_at, octet_length(markdown) AS bytes \
         FROM release_note_revisions WHERE release_id = $1 ORDER BY revision DESC",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(RevisionMeta {
                revision: r.try_get("revision")?,
                author: r.try_get("author")?,
                created_at: r.try_get("created_at")?,
                bytes: r.try_get("bytes")?,
            })
        })
        .collect()
}

/// One revision's Markdown.
pub async fn revision_markdown(
    pool: &PgPool,
    id: i64,
    revision: i32,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT markdown FROM release_note_revisions WHERE release_id = $1 AND revision = $2",
    )
    .bind(id)
    .bind(revision)
    .fetch_optional(pool)
    .await
}

/// The issue-tracker link template (`{n}` → the issue number); admin setting.
pub async fn save_issue_url_template(
    conn: &mut PgConnection,
    actor: &Actor,
    template: &str,
) -> Result<(), sqlx::Error> {
    let before: String = sqlx::query_scalar(
        "SELECT issue_url_template FROM release_settings WHERE singleton FOR UPDATE",
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("UPDATE release_settings SET issue_url_template = $1 WHERE singleton")
        .bind(template)
        .execute(&mut *conn)
        .await?;
    audit::append(
        conn,
        actor,
        "release.settings",
        "release_settings",
        Some(json!({"issue_url_template": before})),
        Some(json!({"issue_url_template": template})),
    )
    .await
}

// ---- the calendar feed's per-user secret ----

/// The prefix of feed secrets, so a leaked one is recognisable.
pub const FEED_PREFIX: &str = "odc_";

fn feed_digest(secret: &str) -> Vec<u8> {
    super::tokens::digest(secret)
}

/// Makes (or replaces) the user's feed secret and returns it: it is shown
/// once; only its hash is kept, and the old one stops working at once.
pub async fn regenerate_feed(
    conn: &mut PgConnection,
    actor: &Actor,
    user_id: i64,
) -> Result<String, sqlx::Error> {
    let mut bytes = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut bytes);
    let secret = format!(
        "{FEED_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    sqlx::query(
        "INSERT INTO calendar_feeds (user_id, secret_hash) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, created_at = now()",
    )
    .bind(user_id)
    .bind(feed_digest(&secret))
    .execute(&mut *conn)
    .await?;
    audit::append(
        conn,
        actor,
        "calendar.feed_secret",
        &format!("user:{user_id}"),
        None,
        Some(json!({"regenerated": true})),
    )
    .await?;
    Ok(secret)
}

/// When the user's current feed secret was made.
pub async fn feed_created_at(
    pool: &PgPool,
    user_id: i64,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar("SELECT created_at FROM calendar_feeds WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(pool)
        .await
}

/// The (enabled) user a feed secret belongs to. Looked up by its hash, so
/// the comparison never touches the secret itself.
pub async fn feed_user(pool: &PgPool, secret: &str) -> Result<Option<i64>, sqlx::Error> {
    if !secret.starts_with(FEED_PREFIX) || secret.len() > 200 {
        return Ok(None);
    }
    sqlx::query_scalar(
        "SELECT f.user_id FROM calendar_feeds f JOIN users u ON u.id = f.user_id \
         WHERE f.secret_hash = $1 AND NOT u.disabled",
    )
    .bind(feed_digest(secret))
    .fetch_optional(pool)
    .await
}
