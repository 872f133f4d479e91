//! Monitoring settings (issue 10 items 1 and 3, decision 0020): the probe
//! targets as the operator's settings table shows and edits them, how long
//! monitoring data is kept, and the R-MON-2 thresholds. The purge lives in
//! [`retention`], the metrics view's reads in [`series`].

pub mod retention;
pub mod series;

use super::audit::{self, Actor};
use super::probes::{check_spec, redact_url, TargetProblem};
use crate::model::monitoring::{RetentionSettings, TargetRow, Threshold};
use crate::model::probes::ProbeTargetSpec;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgExecutor, Row};

/// Bounds of the retention settings (the table's checks say the same).
pub const RAW_DAYS: std::ops::RangeInclusive<i32> = 7..=3650;
pub const ROLLUP_MONTHS: std::ops::RangeInclusive<i32> = 1..=240;

/// The retention settings.
pub async fn settings<'e>(db: impl PgExecutor<'e>) -> Result<RetentionSettings, sqlx::Error> {
    let (raw, rollup): (i32, i32) = sqlx::query_as(
        "SELECT raw_retention_days, rollup_retention_months FROM monitoring_settings WHERE singleton",
    )
    .fetch_one(db)
    .await?;
    Ok(RetentionSettings {
        raw_retention_days: raw,
        rollup_retention_months: rollup,
    })
}

/// What is wrong with retention settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RetentionProblem {
    #[error("raw rows are kept 7 to 3650 days")]
    RawDays,
    #[error("rollups are kept 1 to 240 months")]
    RollupMonths,
    #[error("rollups must be kept at least as long as the raw rows they sum")]
    RollupShorterThanRaw,
}

/// Checks retention settings (the database checks again).
pub fn check_retention(s: &RetentionSettings) -> Result<(), RetentionProblem> {
    if !RAW_DAYS.contains(&s.raw_retention_days) {
        return Err(RetentionProblem::RawDays);
    }
    if !ROLLUP_MONTHS.contains(&s.rollup_retention_months) {
        return Err(RetentionProblem::RollupMonths);
    }
    if s.rollup_retention_months * 31 < s.raw_retention_days {
        return Err(RetentionProblem::RollupShorterThanRaw);
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}")]
    Invalid(RetentionProblem),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Changes the retention; audited when something changed.
pub async fn save_settings(
    conn: &mut PgConnection,
    actor: &Actor,
    s: &RetentionSettings,
) -> Result<(), SettingsError> {
    check_retention(s).map_err(SettingsError::Invalid)?;
    let before = settings(&mut *conn).await?;
    if before == *s {
        return Ok(());
    }
    sqlx::query(
        "UPDATE monitoring_settings SET raw_retention_days = $1, rollup_retention_months = $2, \
         updated_at = now() WHERE singleton",
    )
    .bind(s.raw_retention_days)
    .bind(s.rollup_retention_months)
    .execute(&mut *conn)
    .await?;
    let as_json = |s: &RetentionSettings| {
        json!({"raw_retention_days": s.raw_retention_days,
               "rollup_retention_months": s.rollup_retention_months})
    };
    audit::append(
        conn,
        actor,
        "monitoring.retention",
        "monitoring_settings",
        Some(as_json(&before)),
        Some(as_json(s)),
    )
    .await?;
    Ok(())
}

/// The R-MON-2 thresholds, in their seeded order.
pub async fn thresholds<'e>(db: impl PgExecutor<'e>) -> Result<Vec<Threshold>, sqlx::Error> {
    let rows: Vec<(String, f64, String)> = sqlx::query_as(
        "SELECT metric, threshold, unit FROM monitoring_thresholds ORDER BY position, metric",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(metric, threshold, unit)| Threshold {
            metric,
            threshold,
            unit,
        })
        .collect())
}

/// Every target with its newest probe and its last 24 hours (minutes with
/// data and minutes down by the SLA's rule, `sla_minute_down`), by
/// environment then colour (public URL first).
pub async fn targets<'e>(
    db: impl PgExecutor<'e>,
    now: DateTime<Utc>,
) -> Result<Vec<TargetRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT t.id, t.environment, t.colour, t.url, t.interval_ms, t.timeout_ms, t.enabled, \
                t.managed_by, r.at, r.ok, r.status_code, r.latency_ms, r.error, \
                coalesce(d.data_minutes, 0) AS data_minutes, coalesce(d.down_minutes, 0) AS down_minutes \
         FROM probe_targets t \
         LEFT JOIN LATERAL ( \
             SELECT at, ok, status_code, latency_ms, error FROM probe_results \
             WHERE target_id = t.id ORDER BY at DESC, id DESC LIMIT 1) r ON TRUE \
         LEFT JOIN LATERAL ( \
             SELECT count(*) FILTER (WHERE probes > 0) AS data_minutes, \
                    count(*) FILTER (WHERE sla_minute_down(probes, ok)) AS down_minutes \
             FROM probe_minutes WHERE target_id = t.id AND minute >= $1 AND minute < $2) d ON TRUE \
         ORDER BY t.environment, t.colour NULLS FIRST",
    )
    .bind(now - TimeDelta::hours(24))
    .bind(now)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TargetRow {
                id: r.try_get("id")?,
                environment: r.try_get("environment")?,
                colour: r.try_get("colour")?,
                url: r.try_get("url")?,
                interval_ms: r.try_get("interval_ms")?,
                timeout_ms: r.try_get("timeout_ms")?,
                enabled: r.try_get("enabled")?,
                managed_by: r.try_get("managed_by")?,
                last_at: r.try_get("at")?,
                last_ok: r.try_get("ok")?,
                last_status_code: r.try_get("status_code")?,
                last_latency_ms: r.try_get("latency_ms")?,
                last_error: r.try_get("error")?,
                data_minutes_24h: r.try_get("data_minutes")?,
                down_minutes_24h: r.try_get("down_minutes")?,
            })
        })
        .collect()
}

/// What an operator changes on a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetChange {
    pub url: String,
    pub interval_ms: i32,
    pub timeout_ms: i32,
    pub enabled: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("no such target")]
    NotFound,
    #[error("{0}")]
    Invalid(TargetProblem),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Changes a target's URL, interval, timeout and switch; audited (the URL
/// redacted to scheme and host) when something changed, and due at once.
///
/// A demo-managed target whose URL is left as it is stays the server's (its
/// URL keeps being refreshed at every start, the demo service's port
/// changes); a new URL makes it the operator's (`managed_by = 'settings'`),
/// which the server never overwrites.
pub async fn update_target(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    change: &TargetChange,
) -> Result<TargetRow, UpdateError> {
    let before = sqlx::query(
        "SELECT environment, colour, url, interval_ms, timeout_ms, enabled, managed_by \
         FROM probe_targets WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(UpdateError::NotFound)?;
    let environment: String = before.try_get("environment")?;
    let colour: Option<String> = before.try_get("colour")?;
    let old_url: String = before.try_get("url")?;
    let old_interval: i32 = before.try_get("interval_ms")?;
    let old_timeout: i32 = before.try_get("timeout_ms")?;
    let old_enabled: bool = before.try_get("enabled")?;
    let old_managed: String = before.try_get("managed_by")?;
    let url = change.url.trim().to_string();
    check_spec(&ProbeTargetSpec {
        environment: environment.clone(),
        colour: colour.clone(),
        url: url.clone(),
        interval_ms: change.interval_ms,
        timeout_ms: change.timeout_ms,
        enabled: change.enabled,
    })
    .map_err(UpdateError::Invalid)?;
    let managed_by = if url == old_url {
        old_managed.clone()
    } else {
        "settings".to_string()
    };
    let changed = url != old_url
        || change.interval_ms != old_interval
        || change.timeout_ms != old_timeout
        || change.enabled != old_enabled;
    if changed {
        sqlx::query(
            "UPDATE probe_targets SET url = $2, interval_ms = $3, timeout_ms = $4, enabled = $5, \
             managed_by = $6, next_due_at = now(), updated_at = now() WHERE id = $1",
        )
        .bind(id)
        .bind(&url)
        .bind(change.interval_ms)
        .bind(change.timeout_ms)
        .bind(change.enabled)
        .bind(&managed_by)
        .execute(&mut *conn)
        .await?;
        let as_json = |url: &str, interval: i32, timeout: i32, enabled: bool, managed: &str| {
            json!({"url": redact_url(url), "interval_ms": interval, "timeout_ms": timeout,
                   "enabled": enabled, "managed_by": managed})
        };
        audit::append(
            conn,
            actor,
            "probe_target.update",
            &format!(
                "probe_target:{environment}:{}",
                colour.as_deref().unwrap_or("public")
            ),
            Some(as_json(
                &old_url,
                old_interval,
                old_timeout,
                old_enabled,
                &old_managed,
            )),
            Some(as_json(
                &url,
                change.interval_ms,
                change.timeout_ms,
                change.enabled,
                &managed_by,
            )),
        )
        .await?;
    }
    let now = Utc::now();
    targets(&mut *conn, now)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or(UpdateError::NotFound)
}

/// Points each demo environment's public target (`colour` NULL,
/// `managed_by = 'demo'`, created by the demo data) at the health URL of
/// the colour that is live there now, as a load balancer would route it.
/// The colours' URLs change at every start and the live colour at every
/// switch, so the prober calls this at start and then every few passes.
/// Targets an operator took over (`settings`) are left alone. Not audited:
/// a runtime fact, like the colours' own URLs. Returns how many changed.
pub async fn refresh_demo_public_urls<'e>(db: impl PgExecutor<'e>) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE probe_targets p SET url = c.url, updated_at = now() \
         FROM probe_targets c JOIN environments e ON e.key = c.environment \
         WHERE p.colour IS NULL AND p.managed_by = 'demo' \
           AND c.environment = p.environment AND c.colour = e.live_colour AND c.managed_by = 'demo' \
           AND p.url IS DISTINCT FROM c.url",
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_settings_are_checked_issue_10_item_3() {
        let ok = RetentionSettings {
            raw_retention_days: 90,
            rollup_retention_months: 60,
        };
        assert_eq!(check_retention(&ok), Ok(()));
        let mut s = ok;
        s.raw_retention_days = 3;
        assert_eq!(check_retention(&s), Err(RetentionProblem::RawDays));
        let mut s = ok;
        s.rollup_retention_months = 0;
        assert_eq!(check_retention(&s), Err(RetentionProblem::RollupMonths));
        let mut s = ok;
        s.rollup_retention_months = 2;
        assert_eq!(
            check_retention(&s),
            Err(RetentionProblem::RollupShorterThanRaw)
        );
    }
}
