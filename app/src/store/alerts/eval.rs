//! One pass of the alert evaluator (R-MON-3, R-MON-4, R-SLA-4): for every
//! enabled rule and environment, the newest value of the rule's metric, the
//! core's staleness rule ([`next_observation`]) and life cycle
//! ([`evaluate_in`]), then the state, the history entry and — once per
//! transition — the notification, all in one transaction.
//!
//! Safe with several opsdeck processes: the pass holds a transaction-scoped
//! advisory lock (a second process skips its pass), history entries are
//! unique per (rule, environment, kind, time), and outbox messages carry an
//! idempotency key per firing and per resolution.
//!
//! Where values come from (the `source` of `alert_metrics`):
//! * `samples`: the newest system sample of the environment (the worst
//!   source at that instant); percentages become ratios;
//! * `requests`: the newest complete minute of request statistics, every
//!   source added up — error ratios, the request count, p95 from the merged
//!   latency histogram (all classes, or one class for `_api`/`_page`/`_search`);
//! * `probes`: the newest complete minute of the health probe that speaks
//!   for the environment (its public URL, else its live colour) —
//!   availability (ok ÷ probes) and mean latency;
//! * `burn`: the error-budget burn rate of the health probes over the two
//!   windows in the metric's name, ending at the newest complete minute; the
//!   smaller of the two, so the rule fires only when both windows burn
//!   faster than its factor (the SRE workbook's multi-window rule).
//!
//! A minute's figures count once the minute is over, and their time is the
//! minute's end.
//!
//! Notifications: a firing is told to the rule's group (and its own
//! channels) unless a silence holds; a firing held back by a silence is told
//! at the first pass after the silence ends, if it still fires. A
//! resolution is told exactly when its firing was told, so every page that
//! was opened is closed and nobody hears of the end of something they never
//! heard of.

use super::silences;
use crate::model::alerts::value_text;
use crate::model::metrics::{RequestClass, LATENCY_BOUNDS_MS};
use crate::notify::Event;
use crate::store::notifications::{self, NotifyError};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use opsdeck::alert_rule::{
    burn_windows, evaluate_in, next_observation, AlertCondition, AlertDuration, AlertRule,
    AlertState, EvalError, MetricUnit, Observation, Transition,
};
use opsdeck::deploy_gate::Environment;
use opsdeck::sla::{burn_rate, Histogram, SlaPolicy};
use sqlx::{PgConnection, PgPool, Row};
use std::collections::HashMap;

/// The key of the advisory lock a pass holds.
pub const EVAL_LOCK: i64 = 0x6f70_7364_616c_7274; // "opsdalrt"

/// The group told when a rule's own group was deleted (it cannot be).
const FALLBACK_GROUP: &str = "oncall";

/// What one pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PassOutcome {
    /// (rule, environment) pairs that observed something.
    pub observed: usize,
    /// History entries written.
    pub transitions: usize,
    /// Outbox messages queued.
    pub notified: usize,
}

/// The newest value of a metric: its time and the value in base units.
type Latest = Option<(DateTime<Utc>, f64)>;

#[derive(Debug, Clone)]
struct RuleRow {
    id: i64,
    rule: AlertRule,
    metric: String,
    unit: MetricUnit,
    source: String,
    group: String,
}

#[derive(Debug, Clone, Default)]
struct StateRow {
    state: String,
    since: Option<DateTime<Utc>>,
    fired_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    last_observed_at: Option<DateTime<Utc>>,
    last_value: Option<f64>,
}

impl StateRow {
    fn core(&self) -> AlertState {
        match (
            self.state.as_str(),
            self.since,
            self.fired_at,
            self.resolved_at,
        ) {
            ("pending", Some(since), _, _) => AlertState::Pending { since },
            ("firing", Some(since), Some(fired_at), _) => AlertState::Firing { since, fired_at },
            ("resolved", _, _, Some(at)) => AlertState::Resolved { at },
            _ => AlertState::Inactive,
        }
    }
}

/// One pass at `now` (times shown in `tz`). `None` when another process
/// holds the lock (it is doing this pass).
pub async fn pass(
    pool: &PgPool,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Option<PassOutcome>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(EVAL_LOCK)
        .fetch_one(&mut *tx)
        .await?;
    if !locked {
        return Ok(None);
    }
    let outcome = pass_locked(&mut tx, tz, now).await?;
    tx.commit().await?;
    Ok(Some(outcome))
}

async fn pass_locked(
    conn: &mut PgConnection,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<PassOutcome, sqlx::Error> {
    let (stale_secs, target_ppm): (i32, i32) =
        sqlx::query_as("SELECT stale_after_seconds, slo_target_ppm FROM alert_settings")
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or((180, 999_000));
    let stale = TimeDelta::seconds(i64::from(stale_secs.max(1)));
    let slo = SlaPolicy {
        target_ppm: u32::try_from(target_ppm).unwrap_or(999_000),
        ..SlaPolicy::default()
    };
    let rules = enabled_rules(conn).await?;
    let mut states = load_states(conn).await?;
    let silenced = silences::active(conn, tz, now).await?;
    let mut values: HashMap<(String, &'static str), Latest> = HashMap::new();
    let mut out = PassOutcome::default();
    for rule in &rules {
        for env in Environment::ALL {
            let key = (rule.metric.clone(), env.key());
            let latest = match values.get(&key) {
                Some(v) => *v,
                None => {
                    let v = latest_value(conn, rule, env.key(), now, stale, &slo).await?;
                    values.insert(key, v);
                    v
                }
            };
            let prev = states.get(&(rule.id, env.key())).cloned();
            let Some(obs) = next_observation(
                latest,
                prev.as_ref().and_then(|s| s.last_observed_at),
                now,
                stale,
            ) else {
                continue;
            };
            // Nothing ever seen here: no state row for data that never came.
            if prev.is_none() && matches!(obs, Observation::Missing { .. }) {
                continue;
            }
            let prev = prev.unwrap_or_default();
            let step = match evaluate_in(&rule.rule, rule.unit, prev.core(), obs) {
                Ok(step) => step,
                Err(e @ (EvalError::OutOfOrder { .. } | EvalError::DurationTooLong)) => {
                    tracing::warn!(error = %e, rule = %rule.rule.name, environment = env.key(), "alert not evaluated");
                    continue;
                }
                Err(e @ EvalError::Unit(_)) => {
                    // Stored rules were checked; a metric whose unit was changed since is logged.
                    tracing::warn!(error = %e, rule = %rule.rule.name, "alert rule no longer fits its metric");
                    continue;
                }
            };
            out.observed += 1;
            let value = match obs {
                Observation::Sample { value, .. } => Some(value),
                Observation::Missing { .. } => None,
            };
            let next =
                save_state(conn, rule.id, env.key(), &prev, step.state, obs.at(), value).await?;
            if let Some(t) = step.transition {
                let kind = match t {
                    Transition::BecamePending => "pending",
                    Transition::Fired => "firing",
                    Transition::PendingReset => "cleared",
                    Transition::Resolved => "resolved",
                };
                let inserted: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO alert_events (rule_id, environment, kind, at, value) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id",
                )
                .bind(rule.id)
                .bind(env.key())
                .bind(kind)
                .bind(obs.at())
                .bind(value)
                .fetch_optional(&mut *conn)
                .await?;
                if let Some(event_id) = inserted {
                    out.transitions += 1;
                    if t == Transition::Resolved {
                        out.notified += usize::from(
                            tell_resolved(conn, tz, rule, env.key(), &prev, &next, value, event_id)
                                .await?,
                        );
                    }
                }
            }
            states.insert((rule.id, env.key()), next);
        }
    }
    // Firing alerts nobody was told about yet: just fired, or a silence ended.
    for rule in &rules {
        for env in Environment::ALL {
            let Some(s) = states.get(&(rule.id, env.key())) else {
                continue;
            };
            if s.state == "firing" && !silenced.silences(rule.id, env.key()) {
                out.notified += usize::from(tell_firing(conn, tz, rule, env.key(), s).await?);
            } else if s.state == "firing" {
                mark_firing_silenced(conn, rule.id, env.key(), s).await?;
            }
        }
    }
    Ok(out)
}

async fn enabled_rules(conn: &mut PgConnection) -> Result<Vec<RuleRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT r.id, r.name, r.condition, r.metric, r.duration, r.severity, r.channels, \
                r.recipient_group, m.unit, m.source \
         FROM alert_rules r JOIN alert_metrics m ON m.name = r.metric \
         WHERE r.enabled ORDER BY r.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let name: String = r.try_get("name")?;
        let condition: String = r.try_get("condition")?;
        let duration: String = r.try_get("duration")?;
        let severity: String = r.try_get("severity")?;
        let unit: String = r.try_get("unit")?;
        let channels: Vec<String> = r.try_get("channels")?;
        // Stored rules were checked on the way in; skip (and say) any that no longer parses.
        let parsed = parse_rule(&name, &condition, &duration, &severity, channels);
        let (Some(rule), Ok(unit)) = (parsed, unit.parse::<MetricUnit>()) else {
            tracing::warn!(rule = %name, "stored alert rule does not parse; not evaluated");
            continue;
        };
        out.push(RuleRow {
            id: r.try_get("id")?,
            rule,
            metric: r.try_get("metric")?,
            unit,
            source: r.try_get("source")?,
            group: r.try_get("recipient_group")?,
        });
    }
    Ok(out)
}

fn parse_rule(
    name: &str,
    condition: &str,
    duration: &str,
    severity: &str,
    notify: Vec<String>,
) -> Option<AlertRule> {
    Some(AlertRule {
        name: name.to_string(),
        condition: AlertCondition::parse(condition).ok()?,
        duration: AlertDuration::parse(duration).ok()?,
        severity: severity.parse().ok()?,
        notify,
    })
}

async fn load_states(
    conn: &mut PgConnection,
) -> Result<HashMap<(i64, &'static str), StateRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT rule_id, environment, state, since, fired_at, resolved_at, last_observed_at, \
                last_value FROM alert_states",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = HashMap::new();
    for r in &rows {
        let env: String = r.try_get("environment")?;
        let Some(env) = Environment::ALL.into_iter().find(|e| e.key() == env) else {
            continue;
        };
        out.insert(
            (r.try_get("rule_id")?, env.key()),
            StateRow {
                state: r.try_get("state")?,
                since: r.try_get("since")?,
                fired_at: r.try_get("fired_at")?,
                resolved_at: r.try_get("resolved_at")?,
                last_observed_at: r.try_get("last_observed_at")?,
                last_value: r.try_get("last_value")?,
            },
        );
    }
    Ok(out)
}

/// Writes the new state; what the core's state does not carry (the last
/// firing's times after it resolved, the last resolution) is kept for the page.
async fn save_state(
    conn: &mut PgConnection,
    rule_id: i64,
    env: &str,
    prev: &StateRow,
    state: AlertState,
    observed_at: DateTime<Utc>,
    value: Option<f64>,
) -> Result<StateRow, sqlx::Error> {
    let mut next = StateRow {
        last_observed_at: Some(observed_at),
        last_value: value.or(prev.last_value),
        resolved_at: prev.resolved_at,
        ..StateRow::default()
    };
    let fired_now = match state {
        AlertState::Inactive => {
            next.state = "inactive".into();
            false
        }
        AlertState::Pending { since } => {
            next.state = "pending".into();
            next.since = Some(since);
            false
        }
        AlertState::Firing { since, fired_at } => {
            next.state = "firing".into();
            next.since = Some(since);
            next.fired_at = Some(fired_at);
            prev.fired_at != Some(fired_at)
        }
        AlertState::Resolved { at } => {
            next.state = "resolved".into();
            next.since = prev.since;
            next.fired_at = prev.fired_at;
            next.resolved_at = Some(at);
            false
        }
    };
    sqlx::query(
        "INSERT INTO alert_states (rule_id, environment, state, since, fired_at, resolved_at, \
                last_observed_at, last_value, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now()) \
         ON CONFLICT (rule_id, environment) DO UPDATE SET \
           state = EXCLUDED.state, since = EXCLUDED.since, fired_at = EXCLUDED.fired_at, \
           resolved_at = EXCLUDED.resolved_at, last_observed_at = EXCLUDED.last_observed_at, \
           last_value = EXCLUDED.last_value, updated_at = now(), \
           acknowledged_at = CASE WHEN $9 THEN NULL ELSE alert_states.acknowledged_at END, \
           acknowledged_by = CASE WHEN $9 THEN NULL ELSE alert_states.acknowledged_by END, \
           ack_comment = CASE WHEN $9 THEN NULL ELSE alert_states.ack_comment END",
    )
    .bind(rule_id)
    .bind(env)
    .bind(&next.state)
    .bind(next.since)
    .bind(next.fired_at)
    .bind(next.resolved_at)
    .bind(next.last_observed_at)
    .bind(next.last_value)
    .bind(fired_now)
    .execute(&mut *conn)
    .await?;
    Ok(next)
}

fn shown(value: Option<f64>, unit: MetricUnit) -> Option<String> {
    value.map(|v| value_text(unit.from_base(v), unit))
}

/// Queues `event` for the rule's group and its own channels; the message id,
/// or `None` when the key was used before.
async fn send(
    conn: &mut PgConnection,
    rule: &RuleRow,
    event: &Event,
    key: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let id = match notifications::notify(conn, &rule.group, event, key).await {
        Ok(id) => id,
        Err(NotifyError::Db(e)) => return Err(e),
        Err(NotifyError::UnknownGroup(g)) => {
            tracing::warn!(group = %g, rule = %rule.rule.name, "alert group missing; telling oncall");
            match notifications::notify(conn, FALLBACK_GROUP, event, key).await {
                Ok(id) => id,
                Err(NotifyError::Db(e)) => return Err(e),
                Err(e) => {
                    tracing::error!(error = %e, "alert not queued");
                    None
                }
            }
        }
        Err(e) => {
            tracing::error!(error = %e, rule = %rule.rule.name, "alert not queued");
            None
        }
    };
    // Already queued under this key (`notify` answers `None`): link that
    // message, so the history entry is not offered again at every pass.
    let id = match id {
        Some(id) => Some(id),
        None => {
            sqlx::query_scalar("SELECT id FROM notification_messages WHERE idempotency_key = $1")
                .bind(key)
                .fetch_optional(&mut *conn)
                .await?
        }
    };
    if let Some(id) = id {
        // The rule's own channels (the policy's `notify:` list), beside the
        // group's, judged like the outbox judges the group's channels.
        sqlx::query(
            "INSERT INTO notification_deliveries (message_id, channel_id, status, last_error) \
             SELECT $1, c.id, \
                    CASE WHEN c.configured AND c.enabled THEN 'pending' ELSE 'skipped' END, \
                    CASE WHEN NOT c.configured THEN 'channel not configured' \
                         WHEN NOT c.enabled THEN 'channel switched off' END \
             FROM notification_channels c WHERE c.name = ANY($2) \
             ON CONFLICT (message_id, channel_id) DO NOTHING",
        )
        .bind(id)
        .bind(&rule.rule.notify)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// Tells people about a firing whose history entry has no message yet.
async fn tell_firing(
    conn: &mut PgConnection,
    tz: Tz,
    rule: &RuleRow,
    env: &str,
    s: &StateRow,
) -> Result<bool, sqlx::Error> {
    let (Some(since), Some(fired_at)) = (s.since, s.fired_at) else {
        return Ok(false);
    };
    let untold: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM alert_events WHERE rule_id = $1 AND environment = $2 AND kind = 'firing' \
         AND at = $3 AND message_id IS NULL",
    )
    .bind(rule.id)
    .bind(env)
    .bind(fired_at)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(event_id) = untold else {
        return Ok(false);
    };
    let event = Event::AlertFiring {
        rule_id: rule.id,
        rule: rule.rule.name.clone(),
        environment: env.to_string(),
        severity: rule.rule.severity.as_str().to_string(),
        condition: rule.rule.condition.to_string(),
        value: shown(s.last_value, rule.unit).unwrap_or_else(|| "—".into()),
        since: crate::time::format(since, tz),
        started_at: since,
    };
    let key = format!(
        "alert:{}:{env}:firing:{}",
        rule.id,
        fired_at.timestamp_millis()
    );
    let message = send(conn, rule, &event, &key).await?;
    sqlx::query("UPDATE alert_events SET message_id = $2 WHERE id = $1")
        .bind(event_id)
        .bind(message)
        .execute(&mut *conn)
        .await?;
    Ok(message.is_some())
}

/// Marks the current firing's entry as held back by a silence.
async fn mark_firing_silenced(
    conn: &mut PgConnection,
    rule_id: i64,
    env: &str,
    s: &StateRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE alert_events SET silenced = TRUE WHERE rule_id = $1 AND environment = $2 \
         AND kind = 'firing' AND at = $3 AND message_id IS NULL AND NOT silenced",
    )
    .bind(rule_id)
    .bind(env)
    .bind(s.fired_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Tells people a firing resolved, if they were told it fired.
#[allow(clippy::too_many_arguments)]
async fn tell_resolved(
    conn: &mut PgConnection,
    tz: Tz,
    rule: &RuleRow,
    env: &str,
    prev: &StateRow,
    next: &StateRow,
    value: Option<f64>,
    event_id: i64,
) -> Result<bool, sqlx::Error> {
    let told: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM alert_events WHERE rule_id = $1 AND environment = $2 AND kind = 'firing' \
         AND at = $3 AND message_id IS NOT NULL",
    )
    .bind(rule.id)
    .bind(env)
    .bind(prev.fired_at)
    .fetch_optional(&mut *conn)
    .await?;
    let (Some(_), Some(since), Some(at)) = (told, prev.since, next.resolved_at) else {
        sqlx::query("UPDATE alert_events SET silenced = TRUE WHERE id = $1")
            .bind(event_id)
            .execute(&mut *conn)
            .await?;
        return Ok(false);
    };
    let event = Event::AlertResolved {
        rule_id: rule.id,
        rule: rule.rule.name.clone(),
        environment: env.to_string(),
        severity: rule.rule.severity.as_str().to_string(),
        condition: rule.rule.condition.to_string(),
        started_at: since,
        value: shown(value, rule.unit),
        resolved: crate::time::format(at, tz),
    };
    let key = format!("alert:{}:{env}:resolved:{}", rule.id, at.timestamp_millis());
    let message = send(conn, rule, &event, &key).await?;
    sqlx::query("UPDATE alert_events SET message_id = $2 WHERE id = $1")
        .bind(event_id)
        .bind(message)
        .execute(&mut *conn)
        .await?;
    Ok(message.is_some())
}

// ---------------------------------------------------------------- metric values

/// The newest value of the rule's metric in `env` at `now`, looking back
/// one staleness window: (its time, value in base units).
async fn latest_value(
    conn: &mut PgConnection,
    rule: &RuleRow,
    env: &str,
    now: DateTime<Utc>,
    stale: TimeDelta,
    slo: &SlaPolicy,
) -> Result<Option<(DateTime<Utc>, f64)>, sqlx::Error> {
    let from = now - stale;
    match rule.source.as_str() {
        "samples" => sample_value(conn, &rule.metric, env, from, now).await,
        "requests" => request_value(conn, &rule.metric, env, from, now).await,
        "probes" => probe_value(conn, &rule.metric, env, from, now).await,
        "burn" => burn_value(conn, &rule.metric, env, from, now, slo).await,
        _ => Ok(None),
    }
}

async fn sample_value(
    conn: &mut PgConnection,
    metric: &str,
    env: &str,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<(DateTime<Utc>, f64)>, sqlx::Error> {
    // The column and its scale come from this fixed list, never from the table.
    let (column, scale) = match metric {
        "cpu_usage" => ("cpu_usage", 0.01),
        "memory_usage" => ("memory_usage", 0.01),
        "disk_usage" => ("disk_usage", 0.01),
        "network_latency_ms" => ("network_latency_ms", 1.0),
        "connections" => ("connections", 1.0),
        _ => return Ok(None),
    };
    let row: Option<(DateTime<Utc>, f64)> = sqlx::query_as(&format!(
        "SELECT at, {column}::float8 FROM metric_samples \
         WHERE environment = $1 AND at > $2 AND at <= $3 AND {column} IS NOT NULL \
         ORDER BY at DESC, {column} DESC LIMIT 1"
    ))
    .bind(env)
    .bind(from)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(at, v)| (at, v * scale)))
}

/// The request figures of one minute, every source and class added up.
#[derive(Debug, Default)]
struct Minute {
    ok: i64,
    client: i64,
    server: i64,
    timeouts: i64,
    latency: Vec<u64>,
}

impl Minute {
    fn total(&self) -> i64 {
        self.ok + self.client + self.server + self.timeouts
    }
    fn ratio(&self, n: i64) -> Option<f64> {
        let total = self.total();
        (total > 0).then(|| n as f64 / total as f64)
    }
    fn p95(&self) -> Option<f64> {
        let bounds = LATENCY_BOUNDS_MS.iter().map(|b| *b as f64).collect();
        Histogram::from_counts(bounds, self.latency.clone())
            .ok()?
            .quantile_opt(0.95)
    }
}

async fn request_value(
    conn: &mut PgConnection,
    metric: &str,
    env: &str,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<(DateTime<Utc>, f64)>, sqlx::Error> {
    let class = match metric {
        "response_time_p95_api" => Some(RequestClass::Api),
        "response_time_p95_page" => Some(RequestClass::Page),
        "response_time_p95_search" => Some(RequestClass::Search),
        _ => None,
    };
    let minute = TimeDelta::minutes(1);
    let newest: Option<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT max(minute) FROM request_minutes \
         WHERE environment = $1 AND minute > $2 AND minute <= $3 \
           AND ($4::text IS NULL OR class = $4)",
    )
    .bind(env)
    .bind(from - minute)
    .bind(now - minute)
    .bind(class.map(RequestClass::as_str))
    .fetch_one(&mut *conn)
    .await?;
    let Some(newest) = newest else {
        return Ok(None);
    };
    let rows = sqlx::query(
        "SELECT ok, client_errors, server_errors, timeouts, latency_counts FROM request_minutes \
         WHERE environment = $1 AND minute = $2 AND ($3::text IS NULL OR class = $3)",
    )
    .bind(env)
    .bind(newest)
    .bind(class.map(RequestClass::as_str))
    .fetch_all(&mut *conn)
    .await?;
    let mut m = Minute {
        latency: vec![0; LATENCY_BOUNDS_MS.len() + 1],
        ..Minute::default()
    };
    for r in &rows {
        m.ok += r.try_get::<i64, _>("ok")?;
        m.client += r.try_get::<i64, _>("client_errors")?;
        m.server += r.try_get::<i64, _>("server_errors")?;
        m.timeouts += r.try_get::<i64, _>("timeouts")?;
        let counts: Vec<i64> = r.try_get("latency_counts")?;
        for (slot, c) in m.latency.iter_mut().zip(counts) {
            *slot += u64::try_from(c).unwrap_or(0);
        }
    }
    let value = match metric {
        "error_rate" => m.ratio(m.server + m.timeouts),
        "server_error_rate" => m.ratio(m.server),
        "client_error_rate" => m.ratio(m.client),
        "timeout_rate" => m.ratio(m.timeouts),
        "request_count" => Some(m.total() as f64),
        "response_time_p95"
        | "response_time_p95_api"
        | "response_time_p95_page"
        | "response_time_p95_search" => m.p95(),
        _ => None,
    };
    Ok(value.map(|v| (newest + minute, v)))
}

/// The probe target that speaks for the environment: its public URL, or,
/// without one (the deploys demo probes only the colours), the colour that
/// is live now.
async fn public_target(conn: &mut PgConnection, env: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT t.id FROM probe_targets t LEFT JOIN environments e ON e.key = t.environment \
         WHERE t.environment = $1 AND t.enabled \
           AND (t.colour IS NULL OR t.colour = e.live_colour) \
         ORDER BY (t.colour IS NULL) DESC LIMIT 1",
    )
    .bind(env)
    .fetch_optional(&mut *conn)
    .await
}

async fn probe_value(
    conn: &mut PgConnection,
    metric: &str,
    env: &str,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<(DateTime<Utc>, f64)>, sqlx::Error> {
    let Some(target) = public_target(conn, env).await? else {
        return Ok(None);
    };
    let minute = TimeDelta::minutes(1);
    let row: Option<(DateTime<Utc>, i32, i32, i64)> = sqlx::query_as(
        "SELECT minute, probes, ok, latency_sum_ms FROM probe_minutes \
         WHERE target_id = $1 AND minute > $2 AND minute <= $3 AND probes > 0 \
         ORDER BY minute DESC LIMIT 1",
    )
    .bind(target)
    .bind(from - minute)
    .bind(now - minute)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((at, probes, ok, latency)) = row else {
        return Ok(None);
    };
    let value = match metric {
        "availability" => f64::from(ok) / f64::from(probes),
        "probe_latency_ms" => latency as f64 / f64::from(probes),
        _ => return Ok(None),
    };
    Ok(Some((at + minute, value)))
}

async fn burn_value(
    conn: &mut PgConnection,
    metric: &str,
    env: &str,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
    slo: &SlaPolicy,
) -> Result<Option<(DateTime<Utc>, f64)>, sqlx::Error> {
    let Some((long, short)) = burn_windows(metric) else {
        return Ok(None);
    };
    let Some(target) = public_target(conn, env).await? else {
        return Ok(None);
    };
    let minute = TimeDelta::minutes(1);
    let newest: Option<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT max(minute) FROM probe_minutes \
         WHERE target_id = $1 AND minute > $2 AND minute <= $3 AND probes > 0",
    )
    .bind(target)
    .bind(from - minute)
    .bind(now - minute)
    .fetch_one(&mut *conn)
    .await?;
    let Some(newest) = newest else {
        return Ok(None);
    };
    let mut burns = Vec::with_capacity(2);
    for window in [long, short] {
        let (probes, failed): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(sum(probes), 0)::bigint, COALESCE(sum(probes - ok), 0)::bigint \
             FROM probe_minutes WHERE target_id = $1 AND minute > $2 AND minute <= $3",
        )
        .bind(target)
        .bind(newest - TimeDelta::minutes(i64::from(window)))
        .bind(newest)
        .fetch_one(&mut *conn)
        .await?;
        if probes == 0 {
            return Ok(None);
        }
        match burn_rate(failed as f64 / probes as f64, slo) {
            Some(b) => burns.push(b),
            None => return Ok(None),
        }
    }
    Ok(burns
        .into_iter()
        .reduce(f64::min)
        .map(|b| (newest + minute, b)))
}
