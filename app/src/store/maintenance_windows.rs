//! Planned maintenance windows (issue 12, R-MNT-1, R-MNT-2, R-MNT-4): the
//! policy's settings, generated monthly windows and one-off plans, their
//! tasks, announce-once records and housekeeping runs.
//!
//! `intervals` is the one source other areas read: the release calendar
//! shows these windows and the SLA excludes them.

use super::audit::{self, Actor};
use crate::model::maintenance::{
    HousekeepingView, MonthUsageView, PlanningSettings, TaskView, WindowView,
};
use crate::notify::Event;
use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use opsdeck::interval::UtcInterval;
use opsdeck::maintenance_window::{self as mw, MaintenancePolicy, PlanRules, WeekOfMonth};
use serde_json::json;
use sqlx::{PgConnection, PgExecutor, PgPool, Row};

/// The settings row, turned into the core's policy and plan rules.
#[derive(Debug, Clone)]
pub struct Settings {
    pub policy: MaintenancePolicy,
    pub rules: PlanRules,
    pub horizon_months: i32,
    pub activity_retention_days: i32,
    pub view: PlanningSettings,
}

fn week(s: &str) -> WeekOfMonth {
    match s {
        "second" => WeekOfMonth::Second,
        "third" => WeekOfMonth::Third,
        "fourth" => WeekOfMonth::Fourth,
        "last" => WeekOfMonth::Last,
        _ => WeekOfMonth::First,
    }
}

fn weekday(n: i32) -> chrono::Weekday {
    use chrono::Weekday::*;
    [Mon, Tue, Wed, Thu, Fri, Sat, Sun]
        .get(usize::try_from(n).unwrap_or(6))
        .copied()
        .unwrap_or(Sun)
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

pub async fn settings<'e>(db: impl PgExecutor<'e>, tz: Tz) -> Result<Settings, sqlx::Error> {
    let r = sqlx::query(
        "SELECT week, weekday, start_local, duration_minutes, announce_days_before, monthly_cap_minutes, \
         quarterly_months, night_start, night_end, min_notice_days, horizon_months, activity_retention_days \
         FROM maintenance_settings WHERE singleton",
    )
    .fetch_one(db)
    .await?;
    let int = |name: &str| r.try_get::<i32, _>(name);
    let cap = int("monthly_cap_minutes")?;
    let notice = int("min_notice_days")?;
    let announce = int("announce_days_before")?;
    let night_start: NaiveTime = r.try_get("night_start")?;
    let night_end: NaiveTime = r.try_get("night_end")?;
    let quarterly: Vec<i32> = r.try_get("quarterly_months")?;
    let policy = MaintenancePolicy {
        week: week(&r.try_get::<String, _>("week")?),
        weekday: weekday(int("weekday")?),
        start: r.try_get("start_local")?,
        duration_minutes: u32::try_from(int("duration_minutes")?).unwrap_or(120),
        tz,
        announce_days_before: u32::try_from(announce).unwrap_or(7),
        monthly_cap_minutes: u32::try_from(cap).unwrap_or(120),
        quarterly_months: quarterly
            .into_iter()
            .filter_map(|m| u32::try_from(m).ok())
            .collect(),
    };
    let rules = PlanRules {
        monthly_cap_minutes: policy.monthly_cap_minutes,
        min_notice_days: u32::try_from(notice).unwrap_or(7),
        night_start,
        night_end,
        tz,
    };
    let retention = int("activity_retention_days")?;
    Ok(Settings {
        policy,
        rules,
        horizon_months: int("horizon_months")?,
        activity_retention_days: retention,
        view: PlanningSettings {
            monthly_cap_minutes: cap,
            min_notice_days: notice,
            announce_days_before: announce,
            night_start: hhmm(night_start),
            night_end: hhmm(night_end),
            activity_retention_days: retention,
        },
    })
}

/// Generates the policy's monthly windows from this month to the horizon
/// (once each: a window's local day is its identity), with their task lists.
pub async fn ensure_generated(
    conn: &mut PgConnection,
    s: &Settings,
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let from = now - TimeDelta::days(31);
    let to = now + TimeDelta::days(31 * i64::from(s.horizon_months));
    let mut created = 0;
    for w in mw::windows_between(&s.policy, from, to) {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO maintenance_windows (kind, local_date, starts_at, ends_at, quarterly) \
             VALUES ('monthly', $1, $2, $3, $4) ON CONFLICT (local_date) WHERE kind = 'monthly' DO NOTHING RETURNING id",
        )
        .bind(w.local_date)
        .bind(w.interval.start)
        .bind(w.interval.end)
        .bind(w.quarterly)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(id) = id {
            created += 1;
            for t in mw::tasks_for(&w) {
                sqlx::query(
                    "INSERT INTO maintenance_window_tasks (window_id, key, label_ja, label_en) VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(&t.key)
                .bind(&t.label_ja)
                .bind(&t.label_en)
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    Ok(created)
}

/// The planned (not cancelled) windows overlapping `[from, to)`, other than
/// `except`: what the cap counts, the calendar shows and the SLA excludes.
pub async fn intervals<'e>(
    db: impl PgExecutor<'e>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    except: Option<i64>,
) -> Result<Vec<UtcInterval>, sqlx::Error> {
    let rows: Vec<(DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
        "SELECT starts_at, ends_at FROM maintenance_windows \
         WHERE status = 'planned' AND starts_at < $2 AND ends_at > $1 AND ($3::bigint IS NULL OR id <> $3) \
         ORDER BY starts_at",
    )
    .bind(from)
    .bind(to)
    .bind(except)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(s, e)| UtcInterval::new(s, e))
        .collect())
}

/// Windows starting in `[from, to)`, with tasks and announcement state.
pub async fn list(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    announce_days: i32,
) -> Result<Vec<WindowView>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT w.id, w.kind, w.starts_at, w.ends_at, w.reason, w.quarterly, w.status, w.revision, \
                w.override_reason, w.created_by, \
                (SELECT a.announced_at FROM maintenance_announcements a WHERE a.window_id = w.id AND a.revision = w.revision) AS announced_at, \
                COALESCE((SELECT json_agg(json_build_object('key', t.key, 'label_ja', t.label_ja, 'label_en', t.label_en, \
                          'done_by', t.done_by, 'done_at', t.done_at) ORDER BY t.key) \
                          FROM maintenance_window_tasks t WHERE t.window_id = w.id), '[]') AS tasks \
         FROM maintenance_windows w WHERE w.starts_at >= $1 AND w.starts_at < $2 ORDER BY w.starts_at, w.id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let starts_at: DateTime<Utc> = r.try_get("starts_at")?;
            let tasks: serde_json::Value = r.try_get("tasks")?;
            Ok(WindowView {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                starts_at,
                ends_at: r.try_get("ends_at")?,
                reason: r.try_get("reason")?,
                quarterly: r.try_get("quarterly")?,
                status: r.try_get("status")?,
                revision: r.try_get("revision")?,
                override_reason: r.try_get("override_reason")?,
                created_by: r.try_get("created_by")?,
                announce_at: starts_at - TimeDelta::days(i64::from(announce_days)),
                announced_at: r.try_get("announced_at")?,
                tasks: serde_json::from_value::<Vec<TaskView>>(tasks).unwrap_or_default(),
            })
        })
        .collect()
}

/// Planned minutes per local month of the windows in `[from, to)`.
pub async fn usage<'e>(
    db: impl PgExecutor<'e>,
    s: &Settings,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<MonthUsageView>, sqlx::Error> {
    let all = intervals(db, from, to, None).await?;
    Ok(
        mw::monthly_usage(&all, s.rules.tz, s.rules.monthly_cap_minutes)
            .into_iter()
            .map(|u| MonthUsageView {
                year: u.year,
                month: u.month,
                planned_minutes: u.planned_seconds / 60,
                cap_minutes: u.cap_seconds / 60,
            })
            .collect(),
    )
}

async fn window_json(
    conn: &mut PgConnection,
    id: i64,
) -> Result<Option<serde_json::Value>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT json_build_object('id', id, 'kind', kind, 'starts_at', starts_at, 'ends_at', ends_at, \
         'reason', reason, 'status', status, 'revision', revision, 'override_reason', override_reason)::jsonb \
         FROM maintenance_windows WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await
}

/// Saves a one-off window (already checked); audited.
pub async fn plan(
    conn: &mut PgConnection,
    actor: &Actor,
    window: UtcInterval,
    reason: &str,
    override_reason: Option<&str>,
) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO maintenance_windows (kind, starts_at, ends_at, reason, override_reason, created_by) \
         VALUES ('planned', $1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(window.start)
    .bind(window.end)
    .bind(reason)
    .bind(override_reason)
    .bind(&actor.name)
    .fetch_one(&mut *conn)
    .await?;
    let after = window_json(conn, id).await?;
    audit::append(
        conn,
        actor,
        "maintenance_window.plan",
        &format!("maintenance_window:{id}"),
        None,
        after,
    )
    .await?;
    Ok(id)
}

/// Moves a window (a new revision, announced again); audited. `false`: no such planned window.
pub async fn reschedule(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    window: UtcInterval,
    reason: &str,
    override_reason: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let before = window_json(conn, id).await?;
    let changed = sqlx::query(
        "UPDATE maintenance_windows SET starts_at = $2, ends_at = $3, reason = $4, override_reason = $5, \
         revision = revision + 1, updated_at = now() WHERE id = $1 AND status = 'planned'",
    )
    .bind(id)
    .bind(window.start)
    .bind(window.end)
    .bind(reason)
    .bind(override_reason)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if changed {
        let after = window_json(conn, id).await?;
        audit::append(
            conn,
            actor,
            "maintenance_window.reschedule",
            &format!("maintenance_window:{id}"),
            before,
            after,
        )
        .await?;
    }
    Ok(changed)
}

/// Cancels a window (announced as cancelled if it had been announced); audited.
pub async fn cancel(conn: &mut PgConnection, actor: &Actor, id: i64) -> Result<bool, sqlx::Error> {
    let before = window_json(conn, id).await?;
    let changed = sqlx::query(
        "UPDATE maintenance_windows SET status = 'cancelled', revision = revision + 1, updated_at = now() \
         WHERE id = $1 AND status = 'planned'",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if changed {
        let after = window_json(conn, id).await?;
        audit::append(
            conn,
            actor,
            "maintenance_window.cancel",
            &format!("maintenance_window:{id}"),
            before,
            after,
        )
        .await?;
    }
    Ok(changed)
}

/// What ticking a task came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Tick {
    Done,
    NotFound,
    NotStarted,
}

/// Ticks (or unticks) a task of a window that has started; audited.
pub async fn tick(
    conn: &mut PgConnection,
    actor: &Actor,
    window_id: i64,
    key: &str,
    done: bool,
) -> Result<Tick, sqlx::Error> {
    let started: Option<bool> = sqlx::query_scalar(
        "SELECT w.starts_at <= now() FROM maintenance_windows w \
         JOIN maintenance_window_tasks t ON t.window_id = w.id WHERE w.id = $1 AND t.key = $2",
    )
    .bind(window_id)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    match started {
        None => return Ok(Tick::NotFound),
        Some(false) => return Ok(Tick::NotStarted),
        Some(true) => {}
    }
    sqlx::query(
        "UPDATE maintenance_window_tasks SET done_by = CASE WHEN $3 THEN $4 END, done_at = CASE WHEN $3 THEN now() END \
         WHERE window_id = $1 AND key = $2",
    )
    .bind(window_id)
    .bind(key)
    .bind(done)
    .bind(&actor.name)
    .execute(&mut *conn)
    .await?;
    audit::append(
        conn,
        actor,
        if done {
            "maintenance_task.done"
        } else {
            "maintenance_task.undone"
        },
        &format!("maintenance_window:{window_id}/{key}"),
        None,
        Some(json!({"task": key, "done": done})),
    )
    .await?;
    Ok(Tick::Done)
}

/// Announces to `stakeholders` every window whose announcement is due and
/// whose current revision was not announced yet (new, moved or cancelled),
/// exactly once: the (window, revision) row is the gate, in the same
/// transaction as the outbox message. Returns how many went out.
pub async fn announce_due(
    conn: &mut PgConnection,
    s: &Settings,
    now: DateTime<Utc>,
) -> Result<usize, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT w.id, w.revision, w.status, w.starts_at, w.ends_at, w.reason, w.quarterly, \
                EXISTS (SELECT 1 FROM maintenance_announcements a WHERE a.window_id = w.id) AS announced_before \
         FROM maintenance_windows w \
         WHERE NOT EXISTS (SELECT 1 FROM maintenance_announcements a WHERE a.window_id = w.id AND a.revision = w.revision) \
           AND ((w.status = 'planned' AND w.starts_at - make_interval(days => $1) <= $2 AND w.starts_at > $2) \
             OR (w.status = 'cancelled' AND w.starts_at > $2 \
                 AND EXISTS (SELECT 1 FROM maintenance_announcements a WHERE a.window_id = w.id))) \
         ORDER BY w.starts_at FOR UPDATE OF w SKIP LOCKED",
    )
    .bind(i32::try_from(s.policy.announce_days_before).unwrap_or(7))
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    let mut sent = 0;
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let revision: i32 = r.try_get("revision")?;
        let status: String = r.try_get("status")?;
        let before: bool = r.try_get("announced_before")?;
        let what = match (status.as_str(), before) {
            ("cancelled", _) => "cancelled",
            (_, true) => "changed",
            _ => "announced",
        };
        let inserted: Option<i32> = sqlx::query_scalar(
            "INSERT INTO maintenance_announcements (window_id, revision, what) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING RETURNING revision",
        )
        .bind(id)
        .bind(revision)
        .bind(what)
        .fetch_optional(&mut *conn)
        .await?;
        if inserted.is_none() {
            continue;
        }
        let starts_at: DateTime<Utc> = r.try_get("starts_at")?;
        let ends_at: DateTime<Utc> = r.try_get("ends_at")?;
        let event = Event::MaintenanceWindow {
            window_id: id,
            what: what.to_string(),
            starts: crate::time::format(starts_at, s.policy.tz),
            ends: crate::time::format(ends_at, s.policy.tz),
            reason: r.try_get("reason")?,
            quarterly: r.try_get("quarterly")?,
        };
        let key = format!("maintenance-window-{id}-r{revision}");
        let message_id = super::notifications::notify(conn, "stakeholders", &event, &key)
            .await
            .map_err(|e| match e {
                super::notifications::NotifyError::Db(e) => e,
                other => sqlx::Error::Protocol(other.to_string()),
            })?;
        sqlx::query("UPDATE maintenance_announcements SET message_id = $3 WHERE window_id = $1 AND revision = $2")
            .bind(id)
            .bind(revision)
            .bind(message_id)
            .execute(&mut *conn)
            .await?;
        sent += 1;
    }
    Ok(sent)
}

/// The key of the advisory lock the maintenance scheduler holds while it works.
pub const SCHEDULER_LOCK: i64 = 0x6f70_7364_6d6e_7431; // "opsdmnt1"

/// One scheduler pass: generate windows and send due announcements, under a
/// transaction-scoped advisory lock so two processes never work at once.
/// Returns `None` when another process holds the lock.
pub async fn scheduler_pass(
    pool: &PgPool,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Option<(usize, usize)>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(SCHEDULER_LOCK)
        .fetch_one(&mut *tx)
        .await?;
    if !locked {
        return Ok(None);
    }
    let s = settings(&mut *tx, tz).await?;
    let generated = ensure_generated(&mut tx, &s, now).await?;
    let announced = announce_due(&mut tx, &s, now).await?;
    tx.commit().await?;
    Ok(Some((generated, announced)))
}

// ---------------------------------------------------------------- housekeeping

/// Tables purged by housekeeping and the column their age is read from. The
/// audit log is not among them: it is append-only (decision 0006).
const PURGED: [(&str, &str); 4] = [
    ("notification_messages", "created_at"),
    ("login_failures", "at"),
    ("housekeeping_runs", "started_at"),
    ("maintenance_announcements", "announced_at"),
];

/// Deletes opsdeck's own activity data older than the retention, runs
/// `ANALYZE`, and records the run with its counts.
pub async fn housekeeping(
    pool: &PgPool,
    retention_days: i32,
    started_by: &str,
) -> Result<HousekeepingView, sqlx::Error> {
    let run_id: i64 =
        sqlx::query_scalar("INSERT INTO housekeeping_runs (started_by) VALUES ($1) RETURNING id")
            .bind(started_by)
            .fetch_one(pool)
            .await?;
    let result: Result<Vec<(String, i64)>, sqlx::Error> = async {
        let mut counts = Vec::new();
        let mut tx = pool.begin().await?;
        for (table, column) in PURGED {
            // Table and column names come from the constant above, never from input.
            let n = sqlx::query(&format!(
                "DELETE FROM {table} WHERE {column} < now() - make_interval(days => $1)"
            ))
            .bind(retention_days)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            counts.push((table.to_string(), i64::try_from(n).unwrap_or(i64::MAX)));
        }
        tx.commit().await?;
        sqlx::query("ANALYZE").execute(pool).await?;
        Ok(counts)
    }
    .await;
    let (ok, deleted, error) = match &result {
        Ok(c) => (
            true,
            json!(c
                .iter()
                .map(|(t, n)| (t.clone(), *n))
                .collect::<std::collections::BTreeMap<_, _>>()),
            None,
        ),
        Err(e) => (false, json!({}), Some(e.to_string())),
    };
    sqlx::query("UPDATE housekeeping_runs SET finished_at = now(), ok = $2, deleted = $3, error = $4 WHERE id = $1")
        .bind(run_id)
        .bind(ok)
        .bind(&deleted)
        .bind(&error)
        .execute(pool)
        .await?;
    result?;
    let runs = housekeeping_runs(pool, 1).await?;
    runs.into_iter()
        .next()
        .ok_or_else(|| sqlx::Error::RowNotFound)
}

/// Runs housekeeping if none started in the last `every_hours`; safe with
/// several processes (advisory lock held for the check and the run record).
pub async fn housekeeping_if_due(
    pool: &PgPool,
    every_hours: i32,
    tz: Tz,
) -> Result<Option<HousekeepingView>, sqlx::Error> {
    let mut lock = pool.acquire().await?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(SCHEDULER_LOCK + 1)
        .fetch_one(&mut *lock)
        .await?;
    if !locked {
        return Ok(None);
    }
    let result = async {
        let recent: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM housekeeping_runs WHERE started_at > now() - make_interval(hours => $1))",
        )
        .bind(every_hours)
        .fetch_one(pool)
        .await?;
        if recent {
            return Ok(None);
        }
        let s = settings(pool, tz).await?;
        housekeeping(pool, s.activity_retention_days, "schedule").await.map(Some)
    }
    .await;
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(SCHEDULER_LOCK + 1)
        .execute(&mut *lock)
        .await;
    result
}

/// The latest housekeeping runs.
pub async fn housekeeping_runs(
    pool: &PgPool,
    limit: i64,
) -> Result<Vec<HousekeepingView>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, started_at, finished_at, ok, deleted, error, started_by FROM housekeeping_runs \
         ORDER BY started_at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            let deleted: serde_json::Value = r.try_get("deleted")?;
            let deleted = deleted
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_i64().unwrap_or(0)))
                        .collect()
                })
                .unwrap_or_default();
            Ok(HousekeepingView {
                id: r.try_get("id")?,
                started_at: r.try_get("started_at")?,
                finished_at: r.try_get("finished_at")?,
                ok: r.try_get("ok")?,
                deleted,
                error: r.try_get("error")?,
                started_by: r.try_get("started_by")?,
            })
        })
        .collect()
}

/// Updates the planning settings; audited.
pub async fn save_settings(
    conn: &mut PgConnection,
    actor: &Actor,
    v: &PlanningSettings,
    night_start: NaiveTime,
    night_end: NaiveTime,
) -> Result<(), sqlx::Error> {
    let before: Option<serde_json::Value> =
        sqlx::query_scalar("SELECT to_jsonb(s) FROM maintenance_settings s WHERE singleton")
            .fetch_optional(&mut *conn)
            .await?;
    sqlx::query(
        "UPDATE maintenance_settings SET monthly_cap_minutes = $1, min_notice_days = $2, announce_days_before = $3, \
         night_start = $4, night_end = $5, activity_retention_days = $6 WHERE singleton",
    )
    .bind(v.monthly_cap_minutes)
    .bind(v.min_notice_days)
    .bind(v.announce_days_before)
    .bind(night_start)
    .bind(night_end)
    .bind(v.activity_retention_days)
    .execute(&mut *conn)
    .await?;
    let after: Option<serde_json::Value> =
        sqlx::query_scalar("SELECT to_jsonb(s) FROM maintenance_settings s WHERE singleton")
            .fetch_optional(&mut *conn)
            .await?;
    audit::append(
        conn,
        actor,
        "maintenance_settings.update",
        "maintenance_settings",
        before,
        after,
    )
    .await
}
