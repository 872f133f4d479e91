//! Alert silences (R-MON-4): listed, created and deleted by operators,
//! audited; and which ones hold at an instant (the evaluator asks before it
//! notifies, the page shows it). When a silence holds is the core's rule
//! ([`opsdeck::alert_rule::SilenceSchedule`]); whether a planned maintenance
//! window is open is read from `maintenance_windows`.

use crate::error::FieldError;
use crate::i18n::Msg;
use crate::model::alerts::SilenceView;
use crate::store::audit::{self, Actor};
use chrono::{DateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use opsdeck::alert_rule::{Recurrence, SilenceError, SilenceSchedule};
use opsdeck::deploy_gate::Environment;
use opsdeck::maintenance_window::WeekOfMonth;
use serde_json::json;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::AlertError;

/// Longest silence comment.
pub const COMMENT_MAX_CHARS: usize = 500;

const COLUMNS: &str = "s.id, s.rule_id, r.name AS rule_name, s.environment, s.starts_at, \
     s.ends_at, s.recurrence, s.monthly_week, s.monthly_weekday, \
     to_char(s.monthly_start, 'HH24:MI') AS monthly_start, s.monthly_minutes, s.comment, \
     s.created_by, s.created_at";

pub fn week_from_str(s: &str) -> Option<WeekOfMonth> {
    match s {
        "first" => Some(WeekOfMonth::First),
        "second" => Some(WeekOfMonth::Second),
        "third" => Some(WeekOfMonth::Third),
        "fourth" => Some(WeekOfMonth::Fourth),
        "last" => Some(WeekOfMonth::Last),
        _ => None,
    }
}

pub fn week_str(w: WeekOfMonth) -> &'static str {
    match w {
        WeekOfMonth::First => "first",
        WeekOfMonth::Second => "second",
        WeekOfMonth::Third => "third",
        WeekOfMonth::Fourth => "fourth",
        WeekOfMonth::Last => "last",
    }
}

fn weekday_from(n: i32) -> Option<Weekday> {
    u8::try_from(n).ok().and_then(|n| Weekday::try_from(n).ok())
}

/// The core's schedule of a stored silence (`None` for a row the core
/// refuses, which the table's checks keep from existing).
fn schedule(v: &SilenceView) -> Option<SilenceSchedule> {
    let recurrence = match v.recurrence.as_str() {
        "once" => Recurrence::Once,
        "maintenance" => Recurrence::MaintenanceWindows,
        "monthly" => Recurrence::Monthly {
            week: week_from_str(v.monthly_week.as_deref()?)?,
            weekday: weekday_from(v.monthly_weekday?)?,
            start: NaiveTime::parse_from_str(v.monthly_start.as_deref()?, "%H:%M").ok()?,
            duration_minutes: u32::try_from(v.monthly_minutes?).ok()?,
        },
        _ => return None,
    };
    SilenceSchedule::new(v.starts_at, v.ends_at, recurrence).ok()
}

fn from_row(r: &PgRow) -> Result<SilenceView, sqlx::Error> {
    Ok(SilenceView {
        id: r.try_get("id")?,
        rule_id: r.try_get("rule_id")?,
        rule_name: r.try_get("rule_name")?,
        environment: r.try_get("environment")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        recurrence: r.try_get("recurrence")?,
        monthly_week: r.try_get("monthly_week")?,
        monthly_weekday: r.try_get("monthly_weekday")?,
        monthly_start: r.try_get("monthly_start")?,
        monthly_minutes: r.try_get("monthly_minutes")?,
        comment: r.try_get("comment")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        active: false,
    })
}

/// Whether a planned maintenance window is open at `at`.
pub async fn maintenance_open(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM maintenance_windows \
                        WHERE status = 'planned' AND starts_at <= $1 AND ends_at > $1)",
    )
    .bind(at)
    .fetch_one(conn)
    .await
}

/// Silences that have not ended by `now`, soonest end first, each marked
/// whether it holds now.
pub async fn list(
    conn: &mut PgConnection,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<SilenceView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM alert_silences s LEFT JOIN alert_rules r ON r.id = s.rule_id \
         WHERE s.ends_at > $1 ORDER BY s.ends_at, s.id"
    ))
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    let open = maintenance_open(conn, now).await?;
    rows.iter()
        .map(|r| {
            let mut v = from_row(r)?;
            v.active = schedule(&v).is_some_and(|s| s.active_at(now, tz, open));
            Ok(v)
        })
        .collect()
}

/// The silences holding at one instant.
#[derive(Debug, Clone, Default)]
pub struct Active(Vec<(Option<i64>, Option<String>)>);

impl Active {
    /// Whether one of them covers `rule_id` in `environment`.
    pub fn silences(&self, rule_id: i64, environment: &str) -> bool {
        self.0.iter().any(|(r, e)| {
            r.is_none_or(|r| r == rule_id) && e.as_deref().is_none_or(|e| e == environment)
        })
    }
}

/// The silences that hold at `now`.
pub async fn active(
    conn: &mut PgConnection,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Active, sqlx::Error> {
    Ok(Active(
        list(conn, tz, now)
            .await?
            .into_iter()
            .filter(|s| s.active)
            .map(|s| (s.rule_id, s.environment))
            .collect(),
    ))
}

/// A silence as the form states it; times already read in the zone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SilenceInput {
    /// `None`: every rule.
    pub rule_id: Option<i64>,
    /// Empty: every environment.
    pub environment: String,
    /// `None`: now.
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// `once`, `monthly` or `maintenance`.
    pub recurrence: String,
    pub monthly_week: String,
    /// 0 (Monday) … 6 (Sunday), as text.
    pub monthly_weekday: String,
    /// `HH:MM`
    pub monthly_start: String,
    pub monthly_minutes: String,
    pub comment: String,
}

/// Creates a silence; returns its id.
pub async fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    input: &SilenceInput,
    now: DateTime<Utc>,
) -> Result<i64, AlertError> {
    let mut errors = Vec::new();
    let mut bad = |f: &str, m: Msg| errors.push(FieldError::new(f, m));
    let environment = input.environment.trim();
    if !environment.is_empty() && environment.parse::<Environment>().is_err() {
        bad("environment", Msg::ErrChoice);
    }
    let comment = input.comment.trim();
    if comment.chars().count() > COMMENT_MAX_CHARS {
        bad("comment", Msg::ErrTooLong);
    }
    let starts_at = input.starts_at.unwrap_or(now);
    let ends_at = match input.ends_at {
        None => {
            bad("ends_at", Msg::ErrRequired);
            None
        }
        Some(e) if e <= now => {
            bad("ends_at", Msg::ErrAlertSilenceEnded);
            None
        }
        Some(e) => Some(e),
    };
    let recurrence = match input.recurrence.trim() {
        "" | "once" => Some(Recurrence::Once),
        "maintenance" => Some(Recurrence::MaintenanceWindows),
        "monthly" => {
            let week = week_from_str(input.monthly_week.trim());
            let weekday = input
                .monthly_weekday
                .trim()
                .parse::<i32>()
                .ok()
                .and_then(weekday_from);
            let start = NaiveTime::parse_from_str(input.monthly_start.trim(), "%H:%M").ok();
            let minutes = input.monthly_minutes.trim().parse::<u32>().ok();
            if week.is_none() {
                bad("monthly_week", Msg::ErrChoice);
            }
            if weekday.is_none() {
                bad("monthly_weekday", Msg::ErrChoice);
            }
            if start.is_none() {
                bad("monthly_start", Msg::ErrTime);
            }
            if minutes.is_none() {
                bad("monthly_minutes", Msg::ErrAlertSilenceLength);
            }
            match (week, weekday, start, minutes) {
                (Some(week), Some(weekday), Some(start), Some(duration_minutes)) => {
                    Some(Recurrence::Monthly {
                        week,
                        weekday,
                        start,
                        duration_minutes,
                    })
                }
                _ => None,
            }
        }
        _ => {
            bad("recurrence", Msg::ErrChoice);
            None
        }
    };
    let schedule = match (ends_at, recurrence) {
        (Some(e), Some(r)) => match SilenceSchedule::new(starts_at, e, r) {
            Ok(s) => Some(s),
            Err(SilenceError::EndsBeforeStart) => {
                bad("ends_at", Msg::ErrEndBeforeStart);
                None
            }
            Err(SilenceError::BadWindowLength) => {
                bad("monthly_minutes", Msg::ErrAlertSilenceLength);
                None
            }
        },
        _ => None,
    };
    if let Some(id) = input.rule_id {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM alert_rules WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        if exists.is_none() {
            bad("rule_id", Msg::ErrChoice);
        }
    }
    let schedule = match schedule {
        Some(s) if errors.is_empty() => s,
        _ => return Err(AlertError::Invalid(errors)),
    };
    let (week, weekday, start, minutes) = match schedule.recurrence() {
        Recurrence::Monthly {
            week,
            weekday,
            start,
            duration_minutes,
        } => (
            Some(week_str(week)),
            i32::try_from(weekday.num_days_from_monday()).ok(),
            Some(start),
            i32::try_from(duration_minutes).ok(),
        ),
        _ => (None, None, None, None),
    };
    let environment = (!environment.is_empty()).then_some(environment);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO alert_silences (rule_id, environment, starts_at, ends_at, recurrence, \
                monthly_week, monthly_weekday, monthly_start, monthly_minutes, comment, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(input.rule_id)
    .bind(environment)
    .bind(schedule.starts_at())
    .bind(schedule.ends_at())
    .bind(schedule.recurrence().as_str())
    .bind(week)
    .bind(weekday)
    .bind(start)
    .bind(minutes)
    .bind(comment)
    .bind(&actor.name)
    .fetch_one(&mut *conn)
    .await?;
    audit::append(
        conn,
        actor,
        "alert_silence.create",
        &format!("alert_silence:{id}"),
        None,
        Some(json!({
            "rule_id": input.rule_id,
            "environment": environment,
            "starts_at": schedule.starts_at(),
            "ends_at": schedule.ends_at(),
            "recurrence": schedule.recurrence(),
            "comment": comment,
        })),
    )
    .await?;
    Ok(id)
}

/// Deletes a silence (notifications it held back are not sent afterwards
/// for transitions that already happened; a still-firing alert is told
/// about at the next pass).
pub async fn delete(conn: &mut PgConnection, actor: &Actor, id: i64) -> Result<(), AlertError> {
    let before = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM alert_silences s LEFT JOIN alert_rules r ON r.id = s.rule_id \
         WHERE s.id = $1 FOR UPDATE OF s"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(before) = before else {
        return Err(AlertError::NotFound);
    };
    let v = from_row(&before)?;
    sqlx::query("DELETE FROM alert_silences WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    audit::append(
        conn,
        actor,
        "alert_silence.delete",
        &format!("alert_silence:{id}"),
        Some(json!({
            "rule": v.rule_name,
            "environment": v.environment,
            "starts_at": v.starts_at,
            "ends_at": v.ends_at,
            "recurrence": v.recurrence,
            "comment": v.comment,
        })),
        None,
    )
    .await?;
    Ok(())
}
