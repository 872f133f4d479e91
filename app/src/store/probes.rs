//! Health probes (issue 10 item 1, R-MON-1): the targets, their claims by
//! the prober, every raw result with its per-minute rollup, and what the
//! overview reads.
//!
//! Several opsdeck processes may run the prober on one database:
//! [`claim_due`] moves a target's `next_due_at` one interval on in the same
//! statement that picks it (`FOR UPDATE SKIP LOCKED`), so each target is
//! probed once per interval by one process. The raw row and the rollup are
//! written in one transaction ([`record`]), so the rollup never counts a
//! probe that is not stored, nor misses one that is.

use super::audit::{self, Actor};
use crate::model::probes::{LatestProbe, ProbeMinute, ProbeOutcome, ProbeTarget, ProbeTargetSpec};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use opsdeck::deploy_gate::Environment;
use serde_json::{json, Value};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgExecutor, PgPool, Row};

/// Longest URL accepted (the column's limit too).
pub const URL_MAX_CHARS: usize = 2000;
/// Longest error text stored per probe.
pub const ERROR_MAX_CHARS: usize = 500;

const TARGET_COLUMNS: &str =
    "id, environment, colour, url, interval_ms, timeout_ms, enabled, next_due_at, managed_by";

fn target_row(r: &PgRow) -> Result<ProbeTarget, sqlx::Error> {
    Ok(ProbeTarget {
        id: r.try_get("id")?,
        environment: r.try_get("environment")?,
        colour: r.try_get("colour")?,
        url: r.try_get("url")?,
        interval_ms: r.try_get("interval_ms")?,
        timeout_ms: r.try_get("timeout_ms")?,
        enabled: r.try_get("enabled")?,
        next_due_at: r.try_get("next_due_at")?,
        managed_by: r.try_get("managed_by")?,
    })
}

/// What is wrong with a target's settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetProblem {
    #[error("unknown environment “{0}”")]
    Environment(String),
    #[error("colour must be blue, green or empty, not “{0}”")]
    Colour(String),
    #[error("the URL must start with http:// or https:// and be at most 2000 characters")]
    Url,
    #[error("the interval must be between 1 s and 1 h")]
    Interval,
    #[error("the timeout must be between 100 ms and 60 s and not longer than the interval")]
    Timeout,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("{0}")]
    Invalid(TargetProblem),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Checks a target's settings and returns the environment's key (the
/// database checks again; this gives the operator a readable reason).
pub fn check_spec(s: &ProbeTargetSpec) -> Result<&'static str, TargetProblem> {
    let env: Environment = s
        .environment
        .parse()
        .map_err(|_| TargetProblem::Environment(s.environment.clone()))?;
    if let Some(c) = &s.colour {
        if c != "blue" && c != "green" {
            return Err(TargetProblem::Colour(c.clone()));
        }
    }
    let url = s.url.trim();
    if !(url.starts_with("http://") || url.starts_with("https://"))
        || url.chars().count() > URL_MAX_CHARS
        || url.chars().any(char::is_whitespace)
    {
        return Err(TargetProblem::Url);
    }
    if !(1_000..=3_600_000).contains(&s.interval_ms) {
        return Err(TargetProblem::Interval);
    }
    if !(100..=60_000).contains(&s.timeout_ms) || s.timeout_ms > s.interval_ms {
        return Err(TargetProblem::Timeout);
    }
    Ok(env.key())
}

/// Every target, by environment then colour (public URL first).
pub async fn targets<'e>(db: impl PgExecutor<'e>) -> Result<Vec<ProbeTarget>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {TARGET_COLUMNS} FROM probe_targets \
         ORDER BY environment, colour NULLS FIRST"
    ))
    .fetch_all(db)
    .await?;
    rows.iter().map(target_row).collect()
}

/// One target by its environment and colour.
pub async fn target<'e>(
    db: impl PgExecutor<'e>,
    environment: &str,
    colour: Option<&str>,
) -> Result<Option<ProbeTarget>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {TARGET_COLUMNS} FROM probe_targets \
         WHERE environment = $1 AND colour IS NOT DISTINCT FROM $2"
    ))
    .bind(environment)
    .bind(colour)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(target_row).transpose()
}

fn target_json(t: &ProbeTarget) -> Value {
    // The URL may carry credentials (basic auth, a token in the query): the
    // audit log keeps only its scheme and host.
    json!({
        "environment": t.environment,
        "colour": t.colour,
        "url": redact_url(&t.url),
        "interval_ms": t.interval_ms,
        "timeout_ms": t.timeout_ms,
        "enabled": t.enabled,
    })
}

/// `scheme://host[:port]/…` without user info, path or query.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<url>".into();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    format!("{scheme}://{host}/…")
}

/// Creates or changes the target of an environment and colour (settings);
/// the target becomes the operator's (`managed_by = 'settings'`), so the
/// server's demo registration no longer touches it. Audited when something
/// changed. A changed target is due at once.
pub async fn upsert_target(
    conn: &mut PgConnection,
    actor: &Actor,
    spec: &ProbeTargetSpec,
) -> Result<ProbeTarget, TargetError> {
    let env = check_spec(spec).map_err(TargetError::Invalid)?;
    let url = spec.url.trim();
    let before = target(&mut *conn, env, spec.colour.as_deref()).await?;
    let row = sqlx::query(&format!(
        "INSERT INTO probe_targets (environment, colour, url, interval_ms, timeout_ms, enabled, managed_by) \
         VALUES ($1, $2, $3, $4, $5, $6, 'settings') \
         ON CONFLICT (environment, (COALESCE(colour, ''))) DO UPDATE SET \
           url = EXCLUDED.url, interval_ms = EXCLUDED.interval_ms, timeout_ms = EXCLUDED.timeout_ms, \
           enabled = EXCLUDED.enabled, managed_by = 'settings', next_due_at = now(), updated_at = now() \
         RETURNING {TARGET_COLUMNS}"
    ))
    .bind(env)
    .bind(spec.colour.as_deref())
    .bind(url)
    .bind(spec.interval_ms)
    .bind(spec.timeout_ms)
    .bind(spec.enabled)
    .fetch_one(&mut *conn)
    .await?;
    let after = target_row(&row)?;
    let changed = before.as_ref().is_none_or(|b| {
        b.url != after.url
            || b.interval_ms != after.interval_ms
            || b.timeout_ms != after.timeout_ms
            || b.enabled != after.enabled
            || b.managed_by != after.managed_by
    });
    if changed {
        audit::append(
            conn,
            actor,
            if before.is_some() {
                "probe_target.update"
            } else {
                "probe_target.create"
            },
            &format!(
                "probe_target:{}:{}",
                after.environment,
                after.colour.as_deref().unwrap_or("public")
            ),
            before.as_ref().map(target_json),
            Some(target_json(&after)),
        )
        .await?;
    }
    Ok(after)
}

/// Registers (or refreshes the URL of) the server's own target for a demo
/// colour service (R-DEP-8's demo driver). Its port is chosen at every
/// start, so the URL is rewritten each time; that runtime fact is not
/// audited, only the first registration is. A target an operator set
/// (`managed_by = 'settings'`) is left as it is. Returns the target's id,
/// or `None` when an operator's target holds the place.
pub async fn register_demo_target(
    conn: &mut PgConnection,
    environment: Environment,
    colour: &str,
    url: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let existing = target(&mut *conn, environment.key(), Some(colour)).await?;
    match existing {
        Some(t) if t.managed_by != "demo" => Ok(None),
        Some(t) => {
            sqlx::query(
                "UPDATE probe_targets SET url = $2, updated_at = now() \
                 WHERE id = $1 AND url IS DISTINCT FROM $2",
            )
            .bind(t.id)
            .bind(url)
            .execute(&mut *conn)
            .await?;
            Ok(Some(t.id))
        }
        None => {
            let row = sqlx::query(&format!(
                "INSERT INTO probe_targets (environment, colour, url, managed_by) \
                 VALUES ($1, $2, $3, 'demo') \
                 ON CONFLICT (environment, (COALESCE(colour, ''))) DO NOTHING \
                 RETURNING {TARGET_COLUMNS}"
            ))
            .bind(environment.key())
            .bind(colour)
            .bind(url)
            .fetch_optional(&mut *conn)
            .await?;
            // Another process registered it at the same moment: theirs stands.
            let Some(row) = row else {
                return Ok(target(&mut *conn, environment.key(), Some(colour))
                    .await?
                    .map(|t| t.id));
            };
            let t = target_row(&row)?;
            audit::append(
                conn,
                &Actor::system(),
                "probe_target.create",
                &format!("probe_target:{}:{colour}", t.environment),
                None,
                Some(target_json(&t)),
            )
            .await?;
            Ok(Some(t.id))
        }
    }
}

/// Stops probing the demo targets of an environment that no longer deploys
/// with the demo driver (their services are not started for it). Returns
/// how many were disabled.
pub async fn disable_demo_targets<'e>(
    db: impl PgExecutor<'e>,
    environment: Environment,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE probe_targets SET enabled = FALSE, updated_at = now() \
         WHERE environment = $1 AND managed_by = 'demo' AND enabled",
    )
    .bind(environment.key())
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// The environments that deploy with the demo driver (their two colours
/// are the demo services the server registers as targets).
pub async fn demo_environments<'e>(
    db: impl PgExecutor<'e>,
) -> Result<Vec<Environment>, sqlx::Error> {
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT environment FROM deploy_settings WHERE driver = 'demo' ORDER BY environment",
    )
    .fetch_all(db)
    .await?;
    Ok(keys.iter().filter_map(|k| k.parse().ok()).collect())
}

/// Claims up to `limit` enabled targets due at `now`, moving each one's
/// `next_due_at` to `now` + its interval in the same statement. Rows another
/// process is claiming are skipped (`SKIP LOCKED`), and once that process
/// commits they are no longer due: each target is claimed once per interval.
pub async fn claim_due(
    pool: &PgPool,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ProbeTarget>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "UPDATE probe_targets t \
         SET next_due_at = $1 + make_interval(secs => t.interval_ms / 1000.0) \
         WHERE t.id IN ( \
             SELECT id FROM probe_targets \
             WHERE enabled AND next_due_at <= $1 \
             ORDER BY next_due_at \
             FOR UPDATE SKIP LOCKED \
             LIMIT $2) \
         RETURNING {}",
        TARGET_COLUMNS
            .split(", ")
            .map(|c| format!("t.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .bind(now)
    .bind(limit.max(0))
    .fetch_all(pool)
    .await?;
    let mut out = rows.iter().map(target_row).collect::<Result<Vec<_>, _>>()?;
    out.sort_by_key(|t| t.id);
    Ok(out)
}

fn cap(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// Stores one probe: the raw row, the minute's rollup and — for an enabled
/// environment-wide target (no colour) — the environment's health, all in
/// one transaction. Returns the raw row's id.
pub async fn record(
    pool: &PgPool,
    target_id: i64,
    outcome: &ProbeOutcome,
) -> Result<i64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let latency = outcome.latency_ms.max(0);
    let error = outcome.error.as_deref().map(|e| cap(e, ERROR_MAX_CHARS));
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO probe_results (target_id, at, ok, status_code, latency_ms, error, checks) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(target_id)
    .bind(outcome.at)
    .bind(outcome.ok)
    .bind(outcome.status_code)
    .bind(latency)
    .bind(error)
    .bind(&outcome.checks)
    .fetch_one(&mut *tx)
    .await?;
    // Truncating to a whole minute cannot fail for any time opsdeck meets;
    // should it, the probe's own time still lands in some minute row.
    let minute = outcome
        .at
        .duration_trunc(TimeDelta::minutes(1))
        .unwrap_or(outcome.at);
    sqlx::query(
        "INSERT INTO probe_minutes (target_id, minute, probes, ok, latency_sum_ms, latency_max_ms) \
         VALUES ($1, $2, 1, $3, $4, $5) \
         ON CONFLICT (target_id, minute) DO UPDATE SET \
           probes = probe_minutes.probes + 1, \
           ok = probe_minutes.ok + EXCLUDED.ok, \
           latency_sum_ms = probe_minutes.latency_sum_ms + EXCLUDED.latency_sum_ms, \
           latency_max_ms = GREATEST(probe_minutes.latency_max_ms, EXCLUDED.latency_max_ms)",
    )
    .bind(target_id)
    .bind(minute)
    .bind(i32::from(outcome.ok))
    .bind(i64::from(latency))
    .bind(latency)
    .execute(&mut *tx)
    .await?;
    // Only the environment's public URL speaks for the environment; a
    // colour without traffic may be down on purpose (mid-deploy).
    sqlx::query(
        "UPDATE environments e SET health = CASE WHEN $2 THEN 'ok' ELSE 'critical' END \
         FROM probe_targets t \
         WHERE t.id = $1 AND t.colour IS NULL AND t.enabled AND e.key = t.environment",
    )
    .bind(target_id)
    .bind(outcome.ok)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Every target with its newest probe (the overview's environment health).
pub async fn latest<'e>(db: impl PgExecutor<'e>) -> Result<Vec<LatestProbe>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT t.id, t.environment, t.colour, t.enabled, \
                r.at, r.ok, r.status_code, r.latency_ms, r.error \
         FROM probe_targets t \
         LEFT JOIN LATERAL ( \
             SELECT at, ok, status_code, latency_ms, error FROM probe_results \
             WHERE target_id = t.id ORDER BY at DESC, id DESC LIMIT 1) r ON TRUE \
         ORDER BY t.environment, t.colour NULLS FIRST",
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(LatestProbe {
                target_id: r.try_get("id")?,
                environment: r.try_get("environment")?,
                colour: r.try_get("colour")?,
                enabled: r.try_get("enabled")?,
                at: r.try_get("at")?,
                ok: r.try_get("ok")?,
                status_code: r.try_get("status_code")?,
                latency_ms: r.try_get("latency_ms")?,
                error: r.try_get("error")?,
            })
        })
        .collect()
}

/// The rollup of one target for the minutes in `[from, to)`, oldest first.
pub async fn minutes<'e>(
    db: impl PgExecutor<'e>,
    target_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ProbeMinute>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT minute, probes, ok, latency_sum_ms, latency_max_ms FROM probe_minutes \
         WHERE target_id = $1 AND minute >= $2 AND minute < $3 ORDER BY minute",
    )
    .bind(target_id)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ProbeMinute {
                minute: r.try_get("minute")?,
                probes: r.try_get("probes")?,
                ok: r.try_get("ok")?,
                latency_sum_ms: r.try_get("latency_sum_ms")?,
                latency_max_ms: r.try_get("latency_max_ms")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ProbeTargetSpec {
        ProbeTargetSpec {
            environment: "staging".into(),
            colour: None,
            url: "https://stg.example/health".into(),
            interval_ms: 10_000,
            timeout_ms: 5_000,
            enabled: true,
        }
    }

    #[test]
    fn r_mon_1_target_settings_are_checked() {
        assert_eq!(check_spec(&spec()), Ok("staging"));
        let mut s = spec();
        s.environment = "prod".into();
        assert_eq!(check_spec(&s), Ok("production"));
        s.colour = Some("red".into());
        assert!(matches!(check_spec(&s), Err(TargetProblem::Colour(_))));
        let mut s = spec();
        s.url = "ftp://x".into();
        assert_eq!(check_spec(&s), Err(TargetProblem::Url));
        let mut s = spec();
        s.timeout_ms = 20_000;
        assert_eq!(check_spec(&s), Err(TargetProblem::Timeout));
        let mut s = spec();
        s.interval_ms = 10;
        assert_eq!(check_spec(&s), Err(TargetProblem::Interval));
    }

    #[test]
    fn r_mon_1_audit_never_keeps_url_secrets() {
        assert_eq!(
            redact_url("https://user:pw@host:8443/health?token=x"),
            "https://host:8443/…"
        );
        assert_eq!(redact_url("nonsense"), "<url>");
    }
}
