//! Backups and recovery (issue 13, R-BAK-1..3): targets with their schedule,
//! retention and runner settings; the catalogue of runs reported by agents or
//! made by the built-in runner; missed-run records; the RPO watch; restore
//! drills; pruning of built-in backups.
//!
//! The rules are the core's: `apply_retention` (decision 0109) per target
//! with the target's policy, `check_rpo` / `check_rto`. What a run means to
//! them: a restore point (full, differential, incremental) is taken at its
//! start (a dump's snapshot is its start; later changes may be missing), a
//! log at its end (the end of the span it covers). Only runs that succeeded
//! and were not pruned are backups.

pub mod runner;
pub mod timeline;

use super::audit::{self, Actor};
use crate::model::backups::{
    kind_str, parse_kind, BackupCard, BackupSettingsView, BackupsView, Cadence, DrillView,
    FieldProblem, Outcome, PruneOutcome, PrunePreview, ReportOutcome, ReportProblem, RetentionView,
    RpoView, RunFilter, RunView, RunnerView, ScheduleView, SlotStatus, TargetView, TimelineView,
};
use crate::model::Page;
use crate::notify::Event;
use chrono::{DateTime, Duration, NaiveTime, SubsecRound, Utc};
use chrono_tz::Tz;
use opsdeck::backup_retention::{
    apply_retention, check_rpo, check_rto, Backup, BackupKind, RecoveryPolicy, RetentionCounts,
    RetentionMode, RetentionPolicy, RetentionReport, RetentionSpans, Span, SpanUnit,
};
use serde_json::{json, Value};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgExecutor, PgPool, Row};
use std::collections::HashSet;

/// The recipient group missed runs and RPO breaches go to.
pub const ONCALL: &str = "oncall";

/// How far back the watch looks for missed slots. Older slots are shown on
/// the timeline but never notified: after a long outage, one message per
/// schedule is enough.
pub const MISSED_LOOKBACK: Duration = Duration::days(2);

/// Longest output kept per run or drill, in bytes (head and tail are kept).
pub const OUTPUT_LIMIT: usize = 32 * 1024;

/// Reports may be this far ahead of the server's clock (agents' clocks drift).
const CLOCK_SKEW: Duration = Duration::minutes(5);

// ---------------------------------------------------------------- settings

pub async fn settings<'e>(db: impl PgExecutor<'e>) -> Result<BackupSettingsView, sqlx::Error> {
    let (rpo, rto, grace): (i32, i32, i32) = sqlx::query_as(
        "SELECT rpo_minutes, rto_minutes, missed_grace_minutes FROM backup_settings WHERE singleton",
    )
    .fetch_one(db)
    .await?;
    Ok(BackupSettingsView {
        rpo_minutes: rpo,
        rto_minutes: rto,
        missed_grace_minutes: grace,
    })
}

/// The core's objectives from the settings.
pub fn recovery(s: &BackupSettingsView) -> RecoveryPolicy {
    RecoveryPolicy {
        rpo_minutes: u32::try_from(s.rpo_minutes).unwrap_or(60),
        rto_minutes: u32::try_from(s.rto_minutes).unwrap_or(240),
    }
}

/// Updates RPO, RTO and the missed-run grace (already checked); audited.
pub async fn save_settings(
    conn: &mut PgConnection,
    actor: &Actor,
    v: &BackupSettingsView,
) -> Result<(), sqlx::Error> {
    let before = settings(&mut *conn).await?;
    sqlx::query(
        "UPDATE backup_settings SET rpo_minutes = $1, rto_minutes = $2, missed_grace_minutes = $3 WHERE singleton",
    )
    .bind(v.rpo_minutes)
    .bind(v.rto_minutes)
    .bind(v.missed_grace_minutes)
    .execute(&mut *conn)
    .await?;
    audit::append(
        conn,
        actor,
        "backup_settings.update",
        "backup_settings",
        serde_json::to_value(before).ok(),
        serde_json::to_value(v).ok(),
    )
    .await
}

// ---------------------------------------------------------------- targets

/// A target as the store works with it.
#[derive(Debug, Clone)]
pub struct Target {
    pub id: i64,
    pub key: String,
    pub name_en: String,
    pub name_ja: String,
    pub rpo_watched: bool,
    pub rpo_watched_since: DateTime<Utc>,
    pub policy: RetentionPolicy,
}

/// `7d` → 7 days; `None` for anything else.
pub fn parse_span(s: &str) -> Option<Span> {
    let s = s.trim();
    let unit = match s.chars().last()? {
        'd' => SpanUnit::Days,
        'w' => SpanUnit::Weeks,
        'm' => SpanUnit::Months,
        'y' => SpanUnit::Years,
        _ => return None,
    };
    let digits = s.get(..s.len() - 1)?;
    if digits.is_empty() || digits.len() > 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(Span {
        amount: digits.parse().ok()?,
        unit,
    })
}

const TARGET_COLUMNS: &str = "id, key, name_en, name_ja, rpo_watched, rpo_watched_since, retention_mode, \
     within_daily, within_weekly, within_monthly, within_yearly, keep_daily, keep_weekly, keep_monthly, keep_yearly";

fn target_from_row(r: &PgRow) -> Result<Target, sqlx::Error> {
    let span = |name: &str, default: Span| -> Result<Span, sqlx::Error> {
        Ok(parse_span(&r.try_get::<String, _>(name)?).unwrap_or(default))
    };
    let count = |name: &str| -> Result<u32, sqlx::Error> {
        Ok(u32::try_from(r.try_get::<i32, _>(name)?).unwrap_or(0))
    };
    let defaults = RetentionSpans::default();
    let mode: String = r.try_get("retention_mode")?;
    Ok(Target {
        id: r.try_get("id")?,
        key: r.try_get("key")?,
        name_en: r.try_get("name_en")?,
        name_ja: r.try_get("name_ja")?,
        rpo_watched: r.try_get("rpo_watched")?,
        rpo_watched_since: r.try_get("rpo_watched_since")?,
        policy: RetentionPolicy {
            mode: if mode == "count" {
                RetentionMode::Count
            } else {
                RetentionMode::Within
            },
            counts: RetentionCounts {
                daily: count("keep_daily")?,
                weekly: count("keep_weekly")?,
                monthly: count("keep_monthly")?,
                yearly: count("keep_yearly")?,
            },
            within: RetentionSpans {
                daily: span("within_daily", defaults.daily)?,
                weekly: span("within_weekly", defaults.weekly)?,
                monthly: span("within_monthly", defaults.monthly)?,
                yearly: span("within_yearly", defaults.yearly)?,
            },
        },
    })
}

/// Every target, in display order.
pub async fn targets<'e>(db: impl PgExecutor<'e>) -> Result<Vec<Target>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {TARGET_COLUMNS} FROM backup_targets ORDER BY position, id"
    ))
    .fetch_all(db)
    .await?;
    rows.iter().map(target_from_row).collect()
}

pub async fn target<'e>(db: impl PgExecutor<'e>, id: i64) -> Result<Option<Target>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {TARGET_COLUMNS} FROM backup_targets WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(target_from_row).transpose()
}

pub async fn target_by_key<'e>(
    db: impl PgExecutor<'e>,
    key: &str,
) -> Result<Option<Target>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {TARGET_COLUMNS} FROM backup_targets WHERE key = $1"
    ))
    .bind(key)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(target_from_row).transpose()
}

fn retention_json(p: &RetentionPolicy) -> Value {
    json!({
        "mode": match p.mode { RetentionMode::Within => "within", RetentionMode::Count => "count" },
        "within": [p.within.daily.to_string(), p.within.weekly.to_string(),
                   p.within.monthly.to_string(), p.within.yearly.to_string()],
        "counts": [p.counts.daily, p.counts.weekly, p.counts.monthly, p.counts.yearly],
    })
}

/// Changes a target's retention (R-BAK-2); audited. `false`: no such target.
pub async fn save_retention(
    conn: &mut PgConnection,
    actor: &Actor,
    target_id: i64,
    p: &RetentionPolicy,
) -> Result<bool, sqlx::Error> {
    let Some(before) = target(&mut *conn, target_id).await? else {
        return Ok(false);
    };
    let int = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    sqlx::query(
        "UPDATE backup_targets SET retention_mode = $2, within_daily = $3, within_weekly = $4, \
         within_monthly = $5, within_yearly = $6, keep_daily = $7, keep_weekly = $8, keep_monthly = $9, \
         keep_yearly = $10, updated_at = now() WHERE id = $1",
    )
    .bind(target_id)
    .bind(match p.mode {
        RetentionMode::Within => "within",
        RetentionMode::Count => "count",
    })
    .bind(p.within.daily.to_string())
    .bind(p.within.weekly.to_string())
    .bind(p.within.monthly.to_string())
    .bind(p.within.yearly.to_string())
    .bind(int(p.counts.daily))
    .bind(int(p.counts.weekly))
    .bind(int(p.counts.monthly))
    .bind(int(p.counts.yearly))
    .execute(&mut *conn)
    .await?;
    audit::append(
        conn,
        actor,
        "backup_retention.update",
        &format!("backup_target:{}", before.key),
        Some(retention_json(&before.policy)),
        Some(retention_json(p)),
    )
    .await?;
    Ok(true)
}

// ---------------------------------------------------------------- schedules

const SCHEDULE_COLUMNS: &str =
    "id, target_id, kind, cadence, at_local, every_minutes, enabled, note, active_since";

fn schedule_from_row(r: &PgRow) -> Result<ScheduleView, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    let cadence: String = r.try_get("cadence")?;
    let at: NaiveTime = r.try_get("at_local")?;
    Ok(ScheduleView {
        id: r.try_get("id")?,
        target_id: r.try_get("target_id")?,
        kind: parse_kind(&kind).unwrap_or_default(),
        cadence: Cadence::parse(&cadence).unwrap_or(Cadence::Git),
        at_local: at.format("%H:%M").to_string(),
        every_minutes: r.try_get("every_minutes")?,
        enabled: r.try_get("enabled")?,
        note: r.try_get("note")?,
        active_since: r.try_get("active_since")?,
    })
}

/// The schedule entries of one target, or of all.
pub async fn schedules<'e>(
    db: impl PgExecutor<'e>,
    target_id: Option<i64>,
) -> Result<Vec<ScheduleView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {SCHEDULE_COLUMNS} FROM backup_schedules WHERE ($1::bigint IS NULL OR target_id = $1) \
         ORDER BY target_id, position, id"
    ))
    .bind(target_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(schedule_from_row).collect()
}

/// A schedule entry as saved (already checked).
#[derive(Debug, Clone)]
pub struct ScheduleInput {
    pub target_id: i64,
    pub kind: BackupKind,
    pub cadence: Cadence,
    pub at_local: NaiveTime,
    pub every_minutes: Option<i32>,
    pub enabled: bool,
    pub note: String,
}

async fn schedule_json(conn: &mut PgConnection, id: i64) -> Result<Option<Value>, sqlx::Error> {
    sqlx::query_scalar("SELECT to_jsonb(s) - 'active_since' FROM backup_schedules s WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await
}

/// Adds (`id` = `None`) or changes a schedule entry; audited. A saved entry
/// is watched from `now` on: an edit never turns past slots into misses.
/// `None`: no such target, or no such entry of that target.
pub async fn save_schedule(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Option<i64>,
    s: &ScheduleInput,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let every = s
        .cadence
        .has_interval()
        .then_some(s.every_minutes)
        .flatten();
    let (before, saved) = match id {
        None => {
            let saved: Option<i64> = sqlx::query_scalar(
                "INSERT INTO backup_schedules (target_id, kind, cadence, at_local, every_minutes, enabled, note, active_since, position) \
                 SELECT t.id, $2, $3, $4, $5, $6, $7, $8, \
                        COALESCE((SELECT max(position) + 1 FROM backup_schedules WHERE target_id = t.id), 1) \
                 FROM backup_targets t WHERE t.id = $1 RETURNING id",
            )
            .bind(s.target_id)
            .bind(kind_str(s.kind))
            .bind(s.cadence.as_str())
            .bind(s.at_local)
            .bind(every)
            .bind(s.enabled)
            .bind(&s.note)
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?;
            (None, saved)
        }
        Some(id) => {
            let before = schedule_json(conn, id).await?;
            let saved: Option<i64> = sqlx::query_scalar(
                "UPDATE backup_schedules SET kind = $3, cadence = $4, at_local = $5, every_minutes = $6, \
                 enabled = $7, note = $8, active_since = $9 WHERE id = $1 AND target_id = $2 RETURNING id",
            )
            .bind(id)
            .bind(s.target_id)
            .bind(kind_str(s.kind))
            .bind(s.cadence.as_str())
            .bind(s.at_local)
            .bind(every)
            .bind(s.enabled)
            .bind(&s.note)
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?;
            (before, saved)
        }
    };
    if let Some(saved) = saved {
        let after = schedule_json(conn, saved).await?;
        audit::append(
            conn,
            actor,
            if id.is_some() {
                "backup_schedule.update"
            } else {
                "backup_schedule.create"
            },
            &format!("backup_schedule:{saved}"),
            before,
            after,
        )
        .await?;
    }
    Ok(saved)
}

/// Deletes a schedule entry (its missed records go with it); audited.
pub async fn delete_schedule(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let before = schedule_json(conn, id).await?;
    if before.is_none() {
        return Ok(false);
    }
    sqlx::query("DELETE FROM backup_schedules WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    audit::append(
        conn,
        actor,
        "backup_schedule.delete",
        &format!("backup_schedule:{id}"),
        before,
        None,
    )
    .await?;
    Ok(true)
}

// ---------------------------------------------------------------- runners

/// A target's runner settings, with the database URL as stored (it may
/// hold a password: never log it; `Debug` redacts it).
#[derive(Clone)]
pub struct RunnerConfig {
    pub enabled: bool,
    pub command: String,
    pub database_url: String,
    pub directory: String,
    pub timeout_seconds: i32,
    pub drill_timeout_seconds: i32,
}

impl std::fmt::Debug for RunnerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunnerConfig")
            .field("enabled", &self.enabled)
            .field("command", &self.command)
            .field("database_url", &runner::redact_url(&self.database_url))
            .field("directory", &self.directory)
            .field("timeout_seconds", &self.timeout_seconds)
            .field("drill_timeout_seconds", &self.drill_timeout_seconds)
            .finish()
    }
}

impl RunnerConfig {
    pub fn view(&self) -> RunnerView {
        RunnerView {
            enabled: self.enabled,
            command: self.command.clone(),
            database_url: runner::redact_url(&self.database_url),
            directory: self.directory.clone(),
            timeout_seconds: self.timeout_seconds,
            drill_timeout_seconds: self.drill_timeout_seconds,
        }
    }

    fn audit_json(&self) -> Value {
        json!({
            "enabled": self.enabled,
            "command": self.command,
            "database_url": runner::redact_url(&self.database_url),
            "directory": self.directory,
            "timeout_seconds": self.timeout_seconds,
            "drill_timeout_seconds": self.drill_timeout_seconds,
        })
    }
}

pub async fn runner_config<'e>(
    db: impl PgExecutor<'e>,
    target_id: i64,
) -> Result<Option<RunnerConfig>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT enabled, command, database_url, directory, timeout_seconds, drill_timeout_seconds \
         FROM backup_runners WHERE target_id = $1",
    )
    .bind(target_id)
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(RunnerConfig {
            enabled: r.try_get("enabled")?,
            command: r.try_get("command")?,
            database_url: r.try_get("database_url")?,
            directory: r.try_get("directory")?,
            timeout_seconds: r.try_get("timeout_seconds")?,
            drill_timeout_seconds: r.try_get("drill_timeout_seconds")?,
        })
    })
    .transpose()
}

/// Creates or changes a target's runner (already checked); audited with the
/// database password redacted. A URL still carrying the redaction marker (the
/// form sent back unchanged) keeps the stored URL. `false`: no such target.
pub async fn save_runner(
    conn: &mut PgConnection,
    actor: &Actor,
    target_id: i64,
    input: &RunnerConfig,
) -> Result<bool, sqlx::Error> {
    let Some(t) = target(&mut *conn, target_id).await? else {
        return Ok(false);
    };
    let before = runner_config(&mut *conn, target_id).await?;
    let mut new = input.clone();
    if runner::is_redacted(&new.database_url) {
        new.database_url = before
            .as_ref()
            .map(|b| b.database_url.clone())
            .unwrap_or_default();
    }
    sqlx::query(
        "INSERT INTO backup_runners (target_id, enabled, command, database_url, directory, timeout_seconds, drill_timeout_seconds) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (target_id) DO UPDATE SET enabled = $2, command = $3, database_url = $4, directory = $5, \
         timeout_seconds = $6, drill_timeout_seconds = $7, updated_at = now()",
    )
    .bind(target_id)
    .bind(new.enabled)
    .bind(&new.command)
    .bind(&new.database_url)
    .bind(&new.directory)
    .bind(new.timeout_seconds)
    .bind(new.drill_timeout_seconds)
    .execute(&mut *conn)
    .await?;
    audit::append(
        conn,
        actor,
        "backup_runner.update",
        &format!("backup_target:{}", t.key),
        before.map(|b| b.audit_json()),
        Some(new.audit_json()),
    )
    .await?;
    Ok(true)
}

// ---------------------------------------------------------------- runs

const RUN_SELECT: &str = "SELECT r.id, r.target_id, t.key AS target_key, r.kind, r.depends_on, \
     d.agent_run_id AS depends_on_run_id, r.agent_run_id, r.started_at, r.finished_at, r.size_bytes, \
     r.checksum, r.location, r.outcome, r.output, r.reported_by, r.built_in, r.pruned_at, r.pruned_by \
     FROM backup_runs r JOIN backup_targets t ON t.id = r.target_id \
     LEFT JOIN backup_runs d ON d.id = r.depends_on";

fn run_from_row(r: &PgRow) -> Result<RunView, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    let outcome: String = r.try_get("outcome")?;
    let started_at: DateTime<Utc> = r.try_get("started_at")?;
    let finished_at: Option<DateTime<Utc>> = r.try_get("finished_at")?;
    Ok(RunView {
        id: r.try_get("id")?,
        target_id: r.try_get("target_id")?,
        target_key: r.try_get("target_key")?,
        kind: parse_kind(&kind).unwrap_or_default(),
        depends_on: r.try_get("depends_on")?,
        depends_on_run_id: r.try_get("depends_on_run_id")?,
        agent_run_id: r.try_get("agent_run_id")?,
        started_at,
        finished_at,
        duration_seconds: finished_at.map(|f| (f - started_at).num_seconds()),
        size_bytes: r.try_get("size_bytes")?,
        checksum: r.try_get("checksum")?,
        location: r.try_get("location")?,
        outcome: Outcome::parse(&outcome).unwrap_or(Outcome::Failed),
        output: r.try_get("output")?,
        reported_by: r.try_get("reported_by")?,
        built_in: r.try_get("built_in")?,
        pruned_at: r.try_get("pruned_at")?,
        pruned_by: r.try_get("pruned_by")?,
    })
}

/// One run with its whole output.
pub async fn run<'e>(db: impl PgExecutor<'e>, id: i64) -> Result<Option<RunView>, sqlx::Error> {
    let row = sqlx::query(&format!("{RUN_SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    row.as_ref().map(run_from_row).transpose()
}

/// Runs by id (any order).
async fn runs_by_id(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<RunView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{RUN_SELECT} WHERE r.id = ANY($1) ORDER BY r.started_at DESC, r.id DESC"
    ))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(run_from_row).collect()
}

/// Longest output a list row carries; the run itself has all of it.
const LIST_OUTPUT_CHARS: i32 = 500;

/// One page of runs, newest first, filtered.
pub async fn list_runs(
    conn: &mut PgConnection,
    filter: &RunFilter,
    page: u32,
    per_page: u32,
) -> Result<Page<RunView>, sqlx::Error> {
    let page = page.max(1);
    let per_page = per_page.clamp(1, 200);
    let kind = filter.kind.map(kind_str);
    let outcome = filter.outcome.map(Outcome::as_str);
    let wher =
        "WHERE ($1::bigint IS NULL OR r.target_id = $1) AND ($2::text IS NULL OR r.kind = $2) \
                AND ($3::text IS NULL OR r.outcome = $3)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM backup_runs r {wher}"))
        .bind(filter.target_id)
        .bind(kind)
        .bind(outcome)
        .fetch_one(&mut *conn)
        .await?;
    let rows = sqlx::query(&format!(
        "SELECT * FROM ({RUN_SELECT} {wher} ORDER BY r.started_at DESC, r.id DESC LIMIT $4 OFFSET $5) x"
    ))
    .bind(filter.target_id)
    .bind(kind)
    .bind(outcome)
    .bind(i64::from(per_page))
    .bind(i64::from(page - 1) * i64::from(per_page))
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut v = run_from_row(r)?;
        if let Ok(n) = usize::try_from(LIST_OUTPUT_CHARS) {
            if v.output.chars().count() > n {
                v.output = format!("{}…", v.output.chars().take(n).collect::<String>());
            }
        }
        out.push(v);
    }
    Ok(Page {
        rows: out,
        page,
        per_page,
        total,
    })
}

/// Why a run report was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// 422: one entry per bad field.
    #[error("invalid report: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldProblem>),
    /// 409: this run id was reported before with other details.
    #[error("run `{0}` was reported before with other details")]
    Conflict(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A run report, read and checked field by field.
#[derive(Debug, Clone)]
struct Report {
    target: Target,
    kind: BackupKind,
    run_id: String,
    depends_on: Option<(i64, String)>,
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
    size_bytes: Option<i64>,
    checksum: Option<String>,
    location: Option<String>,
    outcome: Outcome,
    output: String,
}

/// Keeps the head and the tail of a long text (the end of a failing
/// command's output is usually what explains it).
pub fn truncate_output(s: &str, limit: usize) -> String {
    if s.len() <= limit {
        return s.to_string();
    }
    let half = limit / 2;
    let mut head_end = half;
    while !s.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = s.len() - half;
    while !s.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    format!(
        "{}\n… [{} bytes omitted] …\n{}",
        &s[..head_end],
        tail_start - head_end,
        &s[tail_start..]
    )
}

async fn parse_report(
    conn: &mut PgConnection,
    body: &Value,
    now: DateTime<Utc>,
) -> Result<Report, ReportError> {
    let mut problems: Vec<FieldProblem> = Vec::new();
    let mut bad = |field: &str, problem: ReportProblem| {
        problems.push(FieldProblem {
            field: field.to_string(),
            problem,
        })
    };
    let Some(obj) = body.as_object() else {
        bad("body", ReportProblem::NotAnObject);
        return Err(ReportError::Invalid(problems));
    };
    // Absent and null are the same: optional fields may be sent as null.
    let text = |bad: &mut dyn FnMut(&str, ReportProblem),
                field: &str,
                required: bool,
                max: usize|
     -> Option<String> {
        match obj.get(field) {
            None | Some(Value::Null) => {
                if required {
                    bad(field, ReportProblem::Missing);
                }
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() && required => {
                bad(field, ReportProblem::Missing);
                None
            }
            Some(Value::String(s)) if s.chars().count() > max => {
                bad(field, ReportProblem::TooLong);
                None
            }
            Some(Value::String(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Some(_) => {
                bad(field, ReportProblem::NotAString);
                None
            }
        }
    };
    let time = |bad: &mut dyn FnMut(&str, ReportProblem), field: &str| {
        text(bad, field, true, 100).and_then(|s| {
            match DateTime::parse_from_rfc3339(&s) {
                // Postgres keeps microseconds: a replay must compare equal.
                Ok(t) => Some(t.with_timezone(&Utc).trunc_subsecs(6)),
                Err(_) => {
                    bad(field, ReportProblem::NotATime);
                    None
                }
            }
        })
    };
    let target_key = text(&mut bad, "target", true, 63);
    let kind = text(&mut bad, "kind", true, 20).and_then(|k| {
        let parsed = parse_kind(&k);
        if parsed.is_none() {
            bad("kind", ReportProblem::UnknownKind);
        }
        parsed
    });
    let run_id = text(&mut bad, "run_id", true, 200);
    let depends_on = text(&mut bad, "depends_on", false, 200);
    let started_at = time(&mut bad, "started_at");
    let finished_at = time(&mut bad, "finished_at");
    if let (Some(s), Some(f)) = (started_at, finished_at) {
        if f < s {
            bad("finished_at", ReportProblem::EndsBeforeStart);
        }
    }
    if started_at.is_some_and(|s| s > now + CLOCK_SKEW) {
        bad("started_at", ReportProblem::InTheFuture);
    }
    if finished_at.is_some_and(|f| f > now + CLOCK_SKEW) {
        bad("finished_at", ReportProblem::InTheFuture);
    }
    let size_bytes = match obj.get("size_bytes") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(n) if n < 0 => {
                bad("size_bytes", ReportProblem::Negative);
                None
            }
            Some(n) => Some(n),
            None if v.as_f64().is_some_and(|f| f < 0.0) => {
                bad("size_bytes", ReportProblem::Negative);
                None
            }
            None => {
                bad("size_bytes", ReportProblem::NotAnInteger);
                None
            }
        },
    };
    let checksum = text(&mut bad, "checksum", false, 200);
    let location = text(&mut bad, "location", false, 1000);
    let outcome = text(&mut bad, "outcome", true, 20).and_then(|o| match Outcome::parse(&o) {
        // `running` is the built-in runner's own state; agents report results.
        Some(Outcome::Running) | None => {
            bad("outcome", ReportProblem::UnknownOutcome);
            None
        }
        some => some,
    });
    let output = match obj.get("output") {
        Some(Value::String(s)) => truncate_output(s, OUTPUT_LIMIT),
        None | Some(Value::Null) => String::new(),
        Some(_) => {
            bad("output", ReportProblem::NotAString);
            String::new()
        }
    };

    // Against the catalogue: the target, and the dependency within it.
    let target = match &target_key {
        Some(key) => {
            // FOR SHARE: a prune of this target (FOR UPDATE) waits, so it
            // never deletes a dependency this report is about to name.
            let row = sqlx::query(&format!(
                "SELECT {TARGET_COLUMNS} FROM backup_targets WHERE key = $1 FOR SHARE"
            ))
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
            let t = row.as_ref().map(target_from_row).transpose()?;
            if t.is_none() {
                bad("target", ReportProblem::UnknownTarget);
            }
            t
        }
        None => None,
    };
    let mut dependency = None;
    if let Some(kind) = kind {
        let needs = matches!(kind, BackupKind::Differential | BackupKind::Incremental);
        match (&depends_on, needs) {
            (None, true) => bad("depends_on", ReportProblem::DependencyRequired),
            (Some(_), false) => bad("depends_on", ReportProblem::DependencyNotAllowed),
            (Some(dep), true) => {
                if let Some(t) = &target {
                    let row: Option<(i64, String, String)> = sqlx::query_as(
                        "SELECT id, kind, outcome FROM backup_runs WHERE target_id = $1 AND agent_run_id = $2",
                    )
                    .bind(t.id)
                    .bind(dep)
                    .fetch_optional(&mut *conn)
                    .await?;
                    match row {
                        None => bad("depends_on", ReportProblem::UnknownDependency),
                        Some((_, _, outcome)) if outcome != "ok" => {
                            bad("depends_on", ReportProblem::DependencyFailed)
                        }
                        Some((_, dkind, _))
                            if kind == BackupKind::Differential && dkind != "full" =>
                        {
                            bad("depends_on", ReportProblem::DependencyNotFull)
                        }
                        Some((_, dkind, _)) if dkind == "log" => {
                            bad("depends_on", ReportProblem::DependencyNotFull)
                        }
                        Some((id, _, _)) => dependency = Some((id, dep.clone())),
                    }
                }
            }
            (None, false) => {}
        }
    }
    match (
        target,
        kind,
        run_id,
        started_at,
        finished_at,
        outcome,
        problems.is_empty(),
    ) {
        (
            Some(target),
            Some(kind),
            Some(run_id),
            Some(started_at),
            Some(finished_at),
            Some(outcome),
            true,
        ) => Ok(Report {
            target,
            kind,
            run_id,
            depends_on: dependency,
            started_at,
            finished_at,
            size_bytes,
            checksum,
            location,
            outcome,
            output,
        }),
        _ => Err(ReportError::Invalid(problems)),
    }
}

/// Records a run reported by an agent (`POST /api/v1/backups`); audited.
/// Idempotent on (target, run id): the same report again answers the stored
/// run with `created: false`; the same run id with other details is a
/// conflict. Bad input changes nothing.
pub async fn report(
    conn: &mut PgConnection,
    actor: &Actor,
    body: &Value,
    now: DateTime<Utc>,
) -> Result<ReportOutcome, ReportError> {
    let r = parse_report(conn, body, now).await?;
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO backup_runs (target_id, kind, depends_on, agent_run_id, started_at, finished_at, size_bytes, \
         checksum, location, outcome, output, reported_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (target_id, agent_run_id) DO NOTHING RETURNING id",
    )
    .bind(r.target.id)
    .bind(kind_str(r.kind))
    .bind(r.depends_on.as_ref().map(|d| d.0))
    .bind(&r.run_id)
    .bind(r.started_at)
    .bind(r.finished_at)
    .bind(r.size_bytes)
    .bind(&r.checksum)
    .bind(&r.location)
    .bind(r.outcome.as_str())
    .bind(&r.output)
    .bind(&actor.name)
    .fetch_optional(&mut *conn)
    .await?;
    match inserted {
        Some(id) => {
            let run = run(&mut *conn, id).await?.ok_or(sqlx::Error::RowNotFound)?;
            audit::append(
                conn,
                actor,
                "backup_run.report",
                &format!("backup_run:{id}"),
                None,
                Some(run_audit_json(&run)),
            )
            .await?;
            Ok(ReportOutcome { run, created: true })
        }
        None => {
            let row = sqlx::query(&format!(
                "{RUN_SELECT} WHERE r.target_id = $1 AND r.agent_run_id = $2"
            ))
            .bind(r.target.id)
            .bind(&r.run_id)
            .fetch_one(&mut *conn)
            .await?;
            let stored = run_from_row(&row)?;
            let same = stored.kind == r.kind
                && stored.depends_on == r.depends_on.as_ref().map(|d| d.0)
                && stored.started_at == r.started_at
                && stored.finished_at == Some(r.finished_at)
                && stored.size_bytes == r.size_bytes
                && stored.checksum == r.checksum
                && stored.location == r.location
                && stored.outcome == r.outcome;
            if same {
                Ok(ReportOutcome {
                    run: stored,
                    created: false,
                })
            } else {
                Err(ReportError::Conflict(r.run_id))
            }
        }
    }
}

fn run_audit_json(r: &RunView) -> Value {
    json!({
        "target": r.target_key,
        "kind": kind_str(r.kind),
        "run_id": r.agent_run_id,
        "depends_on": r.depends_on_run_id,
        "started_at": r.started_at,
        "finished_at": r.finished_at,
        "size_bytes": r.size_bytes,
        "checksum": r.checksum,
        "location": r.location,
        "outcome": r.outcome.as_str(),
        "built_in": r.built_in,
    })
}

// ---------------------------------------------------------------- retention and RPO

/// A run as the chain analysis reads it: id, kind, depends_on, started_at, finished_at.
type ChainRow = (
    i64,
    String,
    Option<i64>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

/// A run as the core sees it: a log is dated by the end of what it covers,
/// every other backup by its start.
fn backup_of((id, kind, dep, started, finished): ChainRow) -> Backup {
    let kind = parse_kind(&kind).unwrap_or_default();
    Backup {
        id: id.to_string(),
        taken_at: if kind == BackupKind::Log {
            finished.unwrap_or(started)
        } else {
            started
        },
        kind,
        depends_on: dep.map(|d| d.to_string()),
    }
}

/// The target's backups as the core sees them: succeeded, not pruned.
async fn backups_of(conn: &mut PgConnection, target_id: i64) -> Result<Vec<Backup>, sqlx::Error> {
    let rows: Vec<ChainRow> = sqlx::query_as(
        "SELECT id, kind, depends_on, started_at, finished_at FROM backup_runs \
         WHERE target_id = $1 AND outcome = 'ok' AND pruned_at IS NULL",
    )
    .bind(target_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(backup_of).collect())
}

/// The retention report of a target now (R-BAK-2).
pub async fn retention_report(
    conn: &mut PgConnection,
    target: &Target,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<RetentionReport, sqlx::Error> {
    let backups = backups_of(conn, target.id).await?;
    Ok(apply_retention(&backups, &target.policy, tz, now))
}

/// The retention of a target with one page of its decisions.
pub async fn retention_view(
    conn: &mut PgConnection,
    target_id: i64,
    tz: Tz,
    now: DateTime<Utc>,
    page: u32,
    per_page: u32,
) -> Result<Option<RetentionView>, sqlx::Error> {
    let Some(t) = target(&mut *conn, target_id).await? else {
        return Ok(None);
    };
    let report = retention_report(conn, &t, tz, now).await?;
    let page = page.max(1);
    let per_page = per_page.clamp(1, 500);
    let due = i64::try_from(report.due_for_deletion.len()).unwrap_or(i64::MAX);
    let total = i64::try_from(report.decisions.len()).unwrap_or(i64::MAX);
    let skip = usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX);
    let take = usize::try_from(per_page).unwrap_or(100);
    let rows = report
        .decisions
        .iter()
        .skip(skip)
        .take(take)
        .cloned()
        .collect();
    Ok(Some(RetentionView {
        target_id,
        policy: t.policy.clone(),
        mode: report.mode,
        now,
        newest_restorable: report.newest_restorable,
        oldest_kept_full: report.oldest_kept_full,
        problems: report.problems,
        kept: total - due,
        due,
        decisions: Page {
            rows,
            page,
            per_page,
            total,
        },
    }))
}

/// The restore points the newest restorable one is among: every kept point
/// since the newest full that depends on nothing (that full is restorable,
/// so nothing older can be the newest), with whatever their chains reach
/// back to. A year of the schedule is ~1 500 points a target; this is a
/// day or a week of them (the overview's backup card reads it per target).
async fn newest_chains(
    conn: &mut PgConnection,
    target_id: i64,
) -> Result<Vec<Backup>, sqlx::Error> {
    // `kind <> 'log'` literally, so the restore points' partial index
    // (migration 20261129954001) answers every part.
    let rows: Vec<ChainRow> = sqlx::query_as(
        "WITH RECURSIVE newest_full AS ( \
           SELECT max(started_at) AS at FROM backup_runs WHERE target_id = $1 AND kind <> 'log' \
             AND outcome = 'ok' AND pruned_at IS NULL AND kind = 'full' AND depends_on IS NULL), \
         chain AS ( \
           SELECT r.id, r.kind, r.depends_on, r.started_at, r.finished_at \
             FROM backup_runs r, newest_full f \
             WHERE r.target_id = $1 AND r.kind <> 'log' AND r.outcome = 'ok' \
               AND r.pruned_at IS NULL AND r.started_at >= f.at \
           UNION \
           SELECT r.id, r.kind, r.depends_on, r.started_at, r.finished_at \
             FROM backup_runs r JOIN chain c ON r.id = c.depends_on \
             WHERE r.target_id = $1 AND r.kind <> 'log' AND r.outcome = 'ok' AND r.pruned_at IS NULL) \
         SELECT id, kind, depends_on, started_at, finished_at FROM chain",
    )
    .bind(target_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(backup_of).collect())
}

/// The restorable points of a target: the newest restore point whose chain
/// is complete down to a full, and the newest log that rolls a restorable
/// full forward (logs are assumed continuous from the full on; a gap in
/// them is not detected here).
pub async fn restorable_points(
    conn: &mut PgConnection,
    target_id: i64,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, sqlx::Error> {
    let points = newest_chains(conn, target_id).await?;
    // An empty policy keeps everything; only the chain analysis is wanted.
    let empty = RetentionPolicy {
        mode: RetentionMode::Count,
        counts: RetentionCounts {
            daily: 0,
            weekly: 0,
            monthly: 0,
            yearly: 0,
        },
        within: RetentionSpans::default(),
    };
    let report = apply_retention(&points, &empty, tz, now);
    let mut out: Vec<DateTime<Utc>> = Vec::new();
    if let Some(newest) = report.decisions.iter().find(|d| d.restorable) {
        out.push(newest.taken_at);
    }
    // A full that depends on nothing is restorable on its own.
    let oldest_full: Option<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT min(started_at) FROM backup_runs WHERE target_id = $1 AND kind <> 'log' \
         AND outcome = 'ok' AND pruned_at IS NULL AND kind = 'full' AND depends_on IS NULL",
    )
    .bind(target_id)
    .fetch_one(&mut *conn)
    .await?;
    if let Some(base) = oldest_full {
        let log: Option<DateTime<Utc>> = sqlx::query_scalar(
            "SELECT max(finished_at) FROM backup_runs WHERE target_id = $1 AND kind = 'log' \
             AND outcome = 'ok' AND pruned_at IS NULL AND finished_at >= $2",
        )
        .bind(target_id)
        .bind(base)
        .fetch_one(&mut *conn)
        .await?;
        out.extend(log);
    }
    Ok(out)
}

/// Whether the target is within its RPO now. With nothing restorable yet,
/// a target is given one RPO from when watching began before it counts as
/// breached (a new installation is not in breach at its first minute).
fn within_rpo(
    status: &opsdeck::backup_retention::RpoStatus,
    t: &Target,
    now: DateTime<Utc>,
) -> bool {
    status.ok
        || (status.newest.is_none()
            && now - t.rpo_watched_since <= Duration::seconds(status.rpo_seconds))
}

// ---------------------------------------------------------------- drills

const DRILL_COLUMNS: &str =
    "id, target_id, run_id, started_at, finished_at, outcome, performed_by, \
     measured_seconds, built_in, notes, output";

fn drill_from_row(r: &PgRow, policy: &RecoveryPolicy) -> Result<DrillView, sqlx::Error> {
    let outcome: String = r.try_get("outcome")?;
    let measured: Option<i64> = r.try_get("measured_seconds")?;
    Ok(DrillView {
        id: r.try_get("id")?,
        target_id: r.try_get("target_id")?,
        run_id: r.try_get("run_id")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        outcome: Outcome::parse(&outcome).unwrap_or(Outcome::Failed),
        performed_by: r.try_get("performed_by")?,
        measured_seconds: measured,
        rto: measured.map(|s| check_rto(Duration::seconds(s), policy)),
        built_in: r.try_get("built_in")?,
        notes: r.try_get("notes")?,
        output: r.try_get("output")?,
    })
}

/// The latest drills of one target or of all, newest first.
pub async fn drills<'e>(
    db: impl PgExecutor<'e>,
    target_id: Option<i64>,
    limit: i64,
    policy: &RecoveryPolicy,
) -> Result<Vec<DrillView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {DRILL_COLUMNS} FROM backup_drills WHERE ($1::bigint IS NULL OR target_id = $1) \
         ORDER BY started_at DESC, id DESC LIMIT $2"
    ))
    .bind(target_id)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(|r| drill_from_row(r, policy)).collect()
}

pub async fn drill<'e>(
    db: impl PgExecutor<'e>,
    id: i64,
    policy: &RecoveryPolicy,
) -> Result<Option<DrillView>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {DRILL_COLUMNS} FROM backup_drills WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(|r| drill_from_row(r, policy)).transpose()
}

/// A drill done by hand, as recorded (already checked).
#[derive(Debug, Clone)]
pub struct DrillInput {
    pub target_id: i64,
    pub run_id: Option<i64>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub outcome: Outcome,
    pub notes: String,
}

/// Why a drill could not be recorded.
#[derive(Debug, PartialEq, Eq)]
pub enum DrillRefusal {
    NoTarget,
    /// The run is not one of the target's.
    NoRun,
}

/// Records a drill done by hand (R-BAK-3); audited.
pub async fn record_drill(
    conn: &mut PgConnection,
    actor: &Actor,
    d: &DrillInput,
) -> Result<Result<i64, DrillRefusal>, sqlx::Error> {
    let Some(t) = target(&mut *conn, d.target_id).await? else {
        return Ok(Err(DrillRefusal::NoTarget));
    };
    if let Some(run_id) = d.run_id {
        let ours: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM backup_runs WHERE id = $1 AND target_id = $2)",
        )
        .bind(run_id)
        .bind(d.target_id)
        .fetch_one(&mut *conn)
        .await?;
        if !ours {
            return Ok(Err(DrillRefusal::NoRun));
        }
    }
    let measured = (d.finished_at - d.started_at).num_seconds().max(0);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO backup_drills (target_id, run_id, started_at, finished_at, outcome, performed_by, measured_seconds, notes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(d.target_id)
    .bind(d.run_id)
    .bind(d.started_at)
    .bind(d.finished_at)
    .bind(d.outcome.as_str())
    .bind(&actor.name)
    .bind(measured)
    .bind(&d.notes)
    .fetch_one(&mut *conn)
    .await?;
    audit::append(
        conn,
        actor,
        "backup_drill.record",
        &format!("backup_drill:{id}"),
        None,
        Some(json!({
            "target": t.key, "run_id": d.run_id, "started_at": d.started_at,
            "finished_at": d.finished_at, "outcome": d.outcome.as_str(),
            "measured_seconds": measured, "notes": d.notes,
        })),
    )
    .await?;
    Ok(Ok(id))
}

// ---------------------------------------------------------------- page and timeline

/// The RPO watch of a target now: the core's status and the breach state.
async fn rpo_view(
    conn: &mut PgConnection,
    t: &Target,
    tz: Tz,
    now: DateTime<Utc>,
    objectives: &RecoveryPolicy,
) -> Result<RpoView, sqlx::Error> {
    let points = restorable_points(conn, t.id, tz, now).await?;
    let status = check_rpo(&points, now, objectives);
    let state: Option<(bool, Option<DateTime<Utc>>)> =
        sqlx::query_as("SELECT breached, changed_at FROM backup_rpo_state WHERE target_id = $1")
            .bind(t.id)
            .fetch_optional(&mut *conn)
            .await?;
    let (breached, since) = state.unwrap_or((false, None));
    Ok(RpoView {
        status,
        breached,
        since,
    })
}

/// The overview's card: each watched target's RPO, the last drill.
pub async fn card(pool: &PgPool, tz: Tz, now: DateTime<Utc>) -> Result<BackupCard, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let settings = settings(&mut *conn).await?;
    let objectives = recovery(&settings);
    let mut rpo = Vec::new();
    for t in targets(&mut *conn).await? {
        if t.rpo_watched {
            let v = rpo_view(&mut conn, &t, tz, now, &objectives).await?;
            rpo.push((t.key.clone(), t.name_en.clone(), t.name_ja.clone(), v));
        }
    }
    let last_drill = drills(&mut *conn, None, 1, &objectives)
        .await?
        .into_iter()
        .next();
    let open_incident = crate::store::incidents::open_incident(&mut *conn)
        .await?
        .map(|i| (i.id, i.title, i.declared_at));
    Ok(BackupCard {
        now,
        settings,
        rpo,
        last_drill,
        open_incident,
    })
}

/// Everything the backups page shows, in one read.
pub async fn page(
    pool: &PgPool,
    tz: Tz,
    filter: &RunFilter,
    page: u32,
    per_page: u32,
    now: DateTime<Utc>,
) -> Result<BackupsView, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let settings = settings(&mut *conn).await?;
    let objectives = recovery(&settings);
    let all_schedules = schedules(&mut *conn, None).await?;
    let mut targets_out = Vec::new();
    for t in targets(&mut *conn).await? {
        let rpo = if t.rpo_watched {
            Some(rpo_view(&mut conn, &t, tz, now, &objectives).await?)
        } else {
            None
        };
        let last_run = {
            let row = sqlx::query(&format!(
                "{RUN_SELECT} WHERE r.target_id = $1 AND r.kind <> 'log' ORDER BY r.started_at DESC, r.id DESC LIMIT 1"
            ))
            .bind(t.id)
            .fetch_optional(&mut *conn)
            .await?;
            row.as_ref().map(run_from_row).transpose()?
        };
        let last_drill = drills(&mut *conn, Some(t.id), 1, &objectives)
            .await?
            .into_iter()
            .next();
        targets_out.push(TargetView {
            id: t.id,
            key: t.key.clone(),
            name_en: t.name_en.clone(),
            name_ja: t.name_ja.clone(),
            rpo_watched: t.rpo_watched,
            schedules: all_schedules
                .iter()
                .filter(|s| s.target_id == t.id)
                .cloned()
                .collect(),
            retention: t.policy.clone(),
            runner: runner_config(&mut *conn, t.id).await?.map(|r| r.view()),
            rpo,
            last_run,
            last_drill,
        });
    }
    let runs = list_runs(&mut conn, filter, page, per_page).await?;
    let drills = drills(&mut *conn, filter.target_id, 20, &objectives).await?;
    Ok(BackupsView {
        now,
        settings,
        targets: targets_out,
        runs,
        drills,
    })
}

fn entry_of(s: &ScheduleView) -> timeline::Entry {
    timeline::Entry {
        kind: s.kind,
        cadence: s.cadence,
        at_local: NaiveTime::parse_from_str(&s.at_local, "%H:%M").unwrap_or(NaiveTime::MIN),
        every_minutes: s.every_minutes,
    }
}

/// The runs of a target that started in `[from, to]`, oldest first.
async fn runs_between(
    conn: &mut PgConnection,
    target_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<timeline::RunLite>, sqlx::Error> {
    let rows: Vec<(i64, String, DateTime<Utc>, String)> = sqlx::query_as(
        "SELECT id, kind, started_at, outcome FROM backup_runs \
         WHERE target_id = $1 AND started_at >= $2 AND started_at <= $3 ORDER BY started_at, id",
    )
    .bind(target_id)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, started_at, outcome)| timeline::RunLite {
            id,
            kind: parse_kind(&kind).unwrap_or_default(),
            started_at,
            outcome: Outcome::parse(&outcome).unwrap_or(Outcome::Failed),
        })
        .collect())
}

/// How far the slot windows reach on either side of a range.
fn reach(entry: &timeline::Entry, grace: Duration) -> Duration {
    let (before, after) = timeline::window(entry, grace);
    before.max(after)
}

/// Expected vs actual runs of a target's schedule over `[from, to)` (R-BAK-1).
pub async fn timeline(
    conn: &mut PgConnection,
    target_id: i64,
    tz: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<TimelineView>, sqlx::Error> {
    let grace = Duration::minutes(i64::from(settings(&mut *conn).await?.missed_grace_minutes));
    let mut out = Vec::new();
    for s in schedules(&mut *conn, Some(target_id)).await? {
        let entry = entry_of(&s);
        let reach = reach(&entry, grace);
        let runs = runs_between(conn, target_id, from - reach, to + reach).await?;
        let slots = timeline::slots(&entry, tz, from, to);
        let mut judged = timeline::judge(&entry, &slots, &runs, grace, now);
        if !s.enabled {
            // A switched-off entry expects nothing: its empty slots are not missed.
            judged.retain(|v| v.run_id.is_some());
        }
        for v in &mut judged {
            // Before the entry said so, nothing was expected.
            if v.expected_at < s.active_since && v.status == SlotStatus::Missed {
                v.status = SlotStatus::Upcoming;
            }
        }
        let judged: Vec<_> = judged
            .into_iter()
            .filter(|v| !(v.expected_at < s.active_since && v.run_id.is_none()))
            .collect();
        let ok_slots = u32::try_from(judged.iter().filter(|v| v.status == SlotStatus::Ok).count())
            .unwrap_or(u32::MAX);
        let slots = if s.cadence == Cadence::Continuous {
            judged
                .into_iter()
                .filter(|v| v.status != SlotStatus::Ok)
                .collect()
        } else {
            judged
        };
        out.push(TimelineView {
            schedule: s,
            from,
            to,
            slots,
            ok_slots,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- the watch

/// The key of the advisory lock the backup watch holds while it works.
pub const WATCH_LOCK: i64 = 0x6f70_7364_6261_6b31; // "opsdbak1"

/// What one watch pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchSummary {
    /// Built-in runs and drills found still running long after their timeout
    /// (the process that ran them stopped), marked failed.
    pub interrupted: usize,
    /// Missed slots recorded, and how many of them were notified.
    pub missed: usize,
    pub missed_notified: usize,
    pub rpo_breached: usize,
    pub rpo_recovered: usize,
}

fn notify_db(e: super::notifications::NotifyError) -> sqlx::Error {
    match e {
        super::notifications::NotifyError::Db(e) => e,
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

/// Marks built-in runs and drills that outlived their timeout by five
/// minutes as failed: the process that ran them is gone.
async fn interrupted(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<usize, sqlx::Error> {
    let note = "\n[interrupted: opsdeck stopped while this was running]";
    let runs: Vec<i64> = sqlx::query_scalar(
        "UPDATE backup_runs r SET outcome = 'failed', finished_at = $1, output = r.output || $2 \
         WHERE r.outcome = 'running' AND r.started_at + make_interval(secs => \
           COALESCE((SELECT u.timeout_seconds FROM backup_runners u WHERE u.target_id = r.target_id), 86400) + 300) < $1 \
         RETURNING r.id",
    )
    .bind(now)
    .bind(note)
    .fetch_all(&mut *conn)
    .await?;
    let drills: Vec<i64> = sqlx::query_scalar(
        "UPDATE backup_drills d SET outcome = 'failed', finished_at = $1, output = d.output || $2 \
         WHERE d.outcome = 'running' AND d.started_at + make_interval(secs => \
           COALESCE((SELECT u.drill_timeout_seconds FROM backup_runners u WHERE u.target_id = d.target_id), 86400) + 300) < $1 \
         RETURNING d.id",
    )
    .bind(now)
    .bind(note)
    .fetch_all(&mut *conn)
    .await?;
    for id in &runs {
        audit::append(
            conn,
            &Actor::system(),
            "backup_run.interrupted",
            &format!("backup_run:{id}"),
            None,
            Some(json!({"outcome": "failed"})),
        )
        .await?;
    }
    for id in &drills {
        audit::append(
            conn,
            &Actor::system(),
            "backup_drill.interrupted",
            &format!("backup_drill:{id}"),
            None,
            Some(json!({"outcome": "failed"})),
        )
        .await?;
    }
    Ok(runs.len() + drills.len())
}

/// Records the slots that passed their grace without a run and notifies
/// `oncall` once per slot (the record is the gate). In a continuous entry a
/// gap is notified once, at its first missed slot.
async fn detect_missed(
    conn: &mut PgConnection,
    tz: Tz,
    now: DateTime<Utc>,
    grace: Duration,
) -> Result<(usize, usize), sqlx::Error> {
    let (mut recorded, mut notified) = (0, 0);
    let all = targets(&mut *conn).await?;
    for s in schedules(&mut *conn, None).await? {
        if !s.enabled || s.cadence == Cadence::Git {
            continue;
        }
        let Some(t) = all.iter().find(|t| t.id == s.target_id) else {
            continue;
        };
        let entry = entry_of(&s);
        let from = s.active_since.max(now - MISSED_LOOKBACK);
        // Slots whose grace has passed: t + grace <= now.
        let to = now - grace + Duration::seconds(1);
        if to <= from {
            continue;
        }
        let reach = reach(&entry, grace);
        let runs = runs_between(conn, s.target_id, from - reach, to + reach).await?;
        let slots = timeline::slots(&entry, tz, from, to);
        let judged = timeline::judge(&entry, &slots, &runs, grace, now);
        let known: HashSet<DateTime<Utc>> = sqlx::query_scalar(
            "SELECT expected_at FROM backup_missed WHERE schedule_id = $1 AND expected_at >= $2 AND expected_at < $3",
        )
        .bind(s.id)
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
        for (i, v) in judged.iter().enumerate() {
            if v.status != SlotStatus::Missed || known.contains(&v.expected_at) {
                continue;
            }
            let in_gap = s.cadence == Cadence::Continuous
                && i > 0
                && judged
                    .get(i - 1)
                    .is_some_and(|p| p.status == SlotStatus::Missed);
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO backup_missed (schedule_id, expected_at, target_id, kind, detected_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING schedule_id",
            )
            .bind(s.id)
            .bind(v.expected_at)
            .bind(s.target_id)
            .bind(kind_str(s.kind))
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?;
            if inserted.is_none() {
                continue;
            }
            recorded += 1;
            audit::append(
                conn,
                &Actor::system(),
                "backup.missed",
                &format!("backup_schedule:{}", s.id),
                None,
                Some(json!({"target": t.key, "kind": kind_str(s.kind), "expected_at": v.expected_at})),
            )
            .await?;
            if in_gap {
                continue;
            }
            let event = Event::BackupMissed {
                target_id: t.id,
                target: t.name_en.clone(),
                target_ja: t.name_ja.clone(),
                kind: kind_str(s.kind).to_string(),
                expected: crate::time::format(v.expected_at, tz),
                grace_minutes: grace.num_minutes(),
            };
            let key = format!("backup-missed-{}-{}", s.id, v.expected_at.timestamp());
            let message_id = super::notifications::notify(conn, ONCALL, &event, &key)
                .await
                .map_err(notify_db)?;
            sqlx::query(
                "UPDATE backup_missed SET notified = TRUE, message_id = $3 WHERE schedule_id = $1 AND expected_at = $2",
            )
            .bind(s.id)
            .bind(v.expected_at)
            .bind(message_id)
            .execute(&mut *conn)
            .await?;
            notified += 1;
        }
    }
    Ok((recorded, notified))
}

/// Opens or closes each watched target's RPO breach, notifying `oncall`
/// once each way (the episode number keys the messages).
async fn watch_rpo(
    conn: &mut PgConnection,
    tz: Tz,
    now: DateTime<Utc>,
    objectives: &RecoveryPolicy,
) -> Result<(usize, usize), sqlx::Error> {
    let (mut breached_n, mut recovered_n) = (0, 0);
    for t in targets(&mut *conn).await? {
        if !t.rpo_watched {
            continue;
        }
        let points = restorable_points(conn, t.id, tz, now).await?;
        let status = check_rpo(&points, now, objectives);
        let ok = within_rpo(&status, &t, now);
        sqlx::query("INSERT INTO backup_rpo_state (target_id) VALUES ($1) ON CONFLICT DO NOTHING")
            .bind(t.id)
            .execute(&mut *conn)
            .await?;
        let (breached, episode): (bool, i32) = sqlx::query_as(
            "SELECT breached, episode FROM backup_rpo_state WHERE target_id = $1 FOR UPDATE",
        )
        .bind(t.id)
        .fetch_one(&mut *conn)
        .await?;
        // Already in that state: nothing to tell.
        if breached != ok {
            continue;
        }
        let age_minutes = status.age_seconds.map(|s| s / 60);
        let newest = status.newest.map(|n| crate::time::format(n, tz));
        let rpo_minutes = status.rpo_seconds / 60;
        let (event, key, action, episode) = if ok {
            (
                Event::BackupRpoRecovered {
                    target_id: t.id,
                    target: t.name_en.clone(),
                    target_ja: t.name_ja.clone(),
                    age_minutes,
                    rpo_minutes,
                    newest: newest.clone(),
                },
                format!("backup-rpo-{}-{episode}-recovered", t.id),
                "backup_rpo.recovered",
                episode,
            )
        } else {
            let episode = episode + 1;
            (
                Event::BackupRpoBreached {
                    target_id: t.id,
                    target: t.name_en.clone(),
                    target_ja: t.name_ja.clone(),
                    age_minutes,
                    rpo_minutes,
                    newest: newest.clone(),
                },
                format!("backup-rpo-{}-{episode}-breached", t.id),
                "backup_rpo.breached",
                episode,
            )
        };
        super::notifications::notify(conn, ONCALL, &event, &key)
            .await
            .map_err(notify_db)?;
        sqlx::query(
            "UPDATE backup_rpo_state SET breached = $2, episode = $3, changed_at = $4, \
             breach_notified_at = CASE WHEN $2 THEN $4 ELSE breach_notified_at END, \
             recovery_notified_at = CASE WHEN $2 THEN recovery_notified_at ELSE $4 END \
             WHERE target_id = $1",
        )
        .bind(t.id)
        .bind(!ok)
        .bind(episode)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        audit::append(
            conn,
            &Actor::system(),
            action,
            &format!("backup_target:{}", t.key),
            Some(json!({"breached": breached})),
            Some(
                json!({"breached": !ok, "episode": episode, "age_minutes": age_minutes,
                        "rpo_minutes": rpo_minutes, "newest": status.newest}),
            ),
        )
        .await?;
        if ok {
            recovered_n += 1;
        } else {
            breached_n += 1;
        }
    }
    Ok((breached_n, recovered_n))
}

/// One watch pass (the worker's minute): interrupted runs, missed slots,
/// RPO breaches, under a transaction-scoped advisory lock so two opsdeck
/// processes never work at once. `None` when another process holds it.
pub async fn watch_pass(
    pool: &PgPool,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Option<WatchSummary>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(WATCH_LOCK)
        .fetch_one(&mut *tx)
        .await?;
    if !locked {
        return Ok(None);
    }
    let s = settings(&mut *tx).await?;
    let grace = Duration::minutes(i64::from(s.missed_grace_minutes));
    let interrupted = interrupted(&mut tx, now).await?;
    let (missed, missed_notified) = detect_missed(&mut tx, tz, now, grace).await?;
    let (rpo_breached, rpo_recovered) = watch_rpo(&mut tx, tz, now, &recovery(&s)).await?;
    tx.commit().await?;
    Ok(Some(WatchSummary {
        interrupted,
        missed,
        missed_notified,
        rpo_breached,
        rpo_recovered,
    }))
}

// ---------------------------------------------------------------- pruning

/// A prune dry run (R-BAK-2): the backups the report marks due, split into
/// those opsdeck made (deleted on confirm) and those agents reported.
pub async fn prune_preview(
    conn: &mut PgConnection,
    target_id: i64,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Option<PrunePreview>, sqlx::Error> {
    let Some(t) = target(&mut *conn, target_id).await? else {
        return Ok(None);
    };
    let report = retention_report(conn, &t, tz, now).await?;
    let ids: Vec<i64> = report
        .due_for_deletion
        .iter()
        .filter_map(|id| id.parse().ok())
        .collect();
    let due = runs_by_id(conn, &ids).await?;
    let (deletable, external_due) = due.into_iter().partition(|r| r.built_in);
    let kept = report.decisions.iter().filter(|d| d.keep).count();
    Ok(Some(PrunePreview {
        target_id,
        now,
        deletable,
        external_due,
        kept: i64::try_from(kept).unwrap_or(i64::MAX),
    }))
}

/// Why a prune was refused; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum PruneError {
    #[error("no such target")]
    NoTarget,
    #[error("runs {0:?} are not backups of this target that could be pruned")]
    UnknownRuns(Vec<i64>),
    #[error("runs {0:?} are still kept by a rule or by a backup that depends on them")]
    StillKept(Vec<i64>),
    #[error("runs {0:?} were reported by an agent: delete them with the agent")]
    NotBuiltIn(Vec<i64>),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Prunes built-in backups the retention report marks due (confirming a
/// dry run); audited per run. The report is computed again under a lock on
/// the target: if any of `ids` is kept now (a rule, a dependant, the newest
/// chain), or is not a built-in backup of this target, nothing changes. The
/// runs are marked pruned and committed before their files are deleted, so a
/// file is never gone while the catalogue still offers it.
pub async fn prune(
    pool: &PgPool,
    actor: &Actor,
    target_id: i64,
    ids: &[i64],
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<PruneOutcome, PruneError> {
    let mut tx = pool.begin().await?;
    let Some(t) = target(&mut *tx, target_id).await? else {
        return Err(PruneError::NoTarget);
    };
    sqlx::query("SELECT id FROM backup_targets WHERE id = $1 FOR UPDATE")
        .bind(target_id)
        .execute(&mut *tx)
        .await?;
    let report = retention_report(&mut tx, &t, tz, now).await?;
    let due: HashSet<&str> = report.due_for_deletion.iter().map(String::as_str).collect();
    let runs = runs_by_id(&mut tx, ids).await?;
    let mut unknown = Vec::new();
    let mut kept = Vec::new();
    let mut foreign = Vec::new();
    for id in ids {
        match runs.iter().find(|r| r.id == *id) {
            Some(r) if r.target_id == target_id && r.pruned_at.is_none() => {
                if !due.contains(id.to_string().as_str()) {
                    kept.push(*id);
                } else if !r.built_in {
                    foreign.push(*id);
                }
            }
            _ => unknown.push(*id),
        }
    }
    if !unknown.is_empty() {
        return Err(PruneError::UnknownRuns(unknown));
    }
    if !kept.is_empty() {
        return Err(PruneError::StillKept(kept));
    }
    if !foreign.is_empty() {
        return Err(PruneError::NotBuiltIn(foreign));
    }
    let mut files = Vec::new();
    for r in runs.iter().filter(|r| ids.contains(&r.id)) {
        sqlx::query("UPDATE backup_runs SET pruned_at = $2, pruned_by = $3 WHERE id = $1")
            .bind(r.id)
            .bind(now)
            .bind(&actor.name)
            .execute(&mut *tx)
            .await?;
        audit::append(
            &mut tx,
            actor,
            "backup_run.prune",
            &format!("backup_run:{}", r.id),
            Some(run_audit_json(r)),
            Some(json!({"pruned_at": now, "pruned_by": actor.name})),
        )
        .await?;
        files.push((r.id, r.location.clone()));
    }
    tx.commit().await?;
    let mut out = PruneOutcome {
        pruned: files.iter().map(|(id, _)| *id).collect(),
        files_missing: Vec::new(),
        files_failed: Vec::new(),
    };
    for (id, location) in files {
        let Some(path) = location else {
            out.files_missing.push(id);
            continue;
        };
        // Only a regular file: never a directory, never through a symlink.
        match tokio::fs::symlink_metadata(&path).await {
            Ok(m) if m.is_file() => {
                if let Err(e) = tokio::fs::remove_file(&path).await {
                    tracing::warn!(run = id, path = %path, error = %e, "pruned backup file not deleted");
                    out.files_failed.push(id);
                }
            }
            Ok(_) => {
                tracing::warn!(run = id, path = %path, "pruned backup location is not a regular file; left alone");
                out.files_failed.push(id);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => out.files_missing.push(id),
            Err(e) => {
                tracing::warn!(run = id, path = %path, error = %e, "pruned backup file not deleted");
                out.files_failed.push(id);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_the_settings_write_them() {
        assert_eq!(parse_span("7d"), Some(Span::days(7)));
        assert_eq!(parse_span("4w"), Some(Span::weeks(4)));
        assert_eq!(parse_span(" 12m "), Some(Span::months(12)));
        assert_eq!(parse_span("5y"), Some(Span::years(5)));
        assert_eq!(parse_span("0d"), Some(Span::days(0)));
        for bad in ["", "d", "7", "7x", "-1d", "12345d", "1.5y"] {
            assert_eq!(parse_span(bad), None, "{bad}");
        }
        for s in [Span::days(7), Span::years(5)] {
            assert_eq!(parse_span(&s.to_string()), Some(s));
        }
    }

    #[test]
    fn long_output_keeps_head_and_tail() {
        let s = format!("{}{}", "a".repeat(100), "é".repeat(100));
        let t = truncate_output(&s, 64);
        assert!(t.starts_with("aaaa"));
        assert!(t.ends_with('é'));
        assert!(t.contains("bytes omitted"));
        assert_eq!(truncate_output("short", 64), "short");
    }
}
