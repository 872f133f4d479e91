//! Demo alert history (issue 10 item 7, R-MON-4): a few past firings —
//! HighErrorRate in Production (acknowledged, then resolved), a SlowResponse
//! in Staging that cleared before it fired, DiskSpaceLow in Production — and
//! a silence for the planned maintenance windows, so the history and the
//! silences list are not empty. Seeding again adds nothing.

use chrono::{TimeDelta, Utc};
use sqlx::PgPool;

/// (rule, environment, kind, minutes ago, value in base units, comment, actor).
type Entry = (
    &'static str,
    &'static str,
    &'static str,
    i64,
    Option<f64>,
    Option<&'static str>,
    Option<&'static str>,
);

const HISTORY: [Entry; 10] = [
    // Nine days ago: a bad release raised the error rate for 25 minutes.
    (
        "HighErrorRate",
        "production",
        "pending",
        12_990,
        Some(0.061),
        None,
        None,
    ),
    (
        "HighErrorRate",
        "production",
        "firing",
        12_985,
        Some(0.072),
        None,
        None,
    ),
    (
        "HighErrorRate",
        "production",
        "acknowledged",
        12_981,
        Some(0.074),
        Some("Rolling back 1.2.3-rc; see deploy history."),
        Some("operator"),
    ),
    (
        "HighErrorRate",
        "production",
        "resolved",
        12_960,
        Some(0.004),
        None,
        None,
    ),
    // Three days ago: a slow minute on Staging that passed.
    (
        "SlowResponse",
        "staging",
        "pending",
        4_330,
        Some(640.0),
        None,
        None,
    ),
    (
        "SlowResponse",
        "staging",
        "cleared",
        4_326,
        Some(310.0),
        None,
        None,
    ),
    // Two days ago: the log volume filled up until logs were rotated.
    (
        "DiskSpaceLow",
        "production",
        "pending",
        2_900,
        Some(0.91),
        None,
        None,
    ),
    (
        "DiskSpaceLow",
        "production",
        "firing",
        2_895,
        Some(0.92),
        None,
        None,
    ),
    (
        "DiskSpaceLow",
        "production",
        "acknowledged",
        2_890,
        Some(0.93),
        Some("Rotating application logs."),
        Some("operator"),
    ),
    (
        "DiskSpaceLow",
        "production",
        "resolved",
        2_870,
        Some(0.71),
        None,
        None,
    ),
];

pub async fn seed(pool: &PgPool) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let now = Utc::now();
    let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM alert_events)")
        .fetch_one(&mut *tx)
        .await?;
    if !any {
        for (rule, env, kind, ago, value, comment, actor) in HISTORY {
            sqlx::query(
                "INSERT INTO alert_events (rule_id, environment, kind, at, value, comment, actor) \
                 SELECT id, $2, $3, $4, $5, $6, $7 FROM alert_rules WHERE name = $1 \
                 ON CONFLICT DO NOTHING",
            )
            .bind(rule)
            .bind(env)
            .bind(kind)
            .bind(now - TimeDelta::minutes(ago))
            .bind(value)
            .bind(comment)
            .bind(actor)
            .execute(&mut *tx)
            .await?;
        }
    }
    let silenced: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM alert_silences WHERE recurrence = 'maintenance')",
    )
    .fetch_one(&mut *tx)
    .await?;
    if !silenced {
        sqlx::query(
            "INSERT INTO alert_silences (environment, starts_at, ends_at, recurrence, comment, created_by) \
             VALUES ('production', $1, $2, 'maintenance', \
                     'Planned maintenance: the service is down on purpose.', 'operator')",
        )
        .bind(now)
        .bind(now + TimeDelta::days(365))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}
