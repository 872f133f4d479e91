//! Retention of monitoring data (issue 10 item 3, decision 0020): raw rows
//! (every probe, every system sample) are kept `raw_retention_days` (90),
//! rollups `rollup_retention_months` (60); older rows are deleted in small
//! batches so no statement holds many locks or a long transaction, and the
//! prober and the ingest write on meanwhile.
//!
//! Safe with several opsdeck processes: a pass holds a session advisory
//! lock (a second process skips its pass), and each batch claims its rows
//! with `FOR UPDATE SKIP LOCKED`, so even two purges at once never delete a
//! row twice or wait on each other.
//!
//! Cut-offs are whole UTC days, so an hourly rollup is never purged while
//! minutes of its hour are kept (the minutes' delete trigger keeps
//! `sla_probe_hours` in step with `probe_minutes`).

use super::settings;
use chrono::{DateTime, DurationRound, Months, TimeDelta, Utc};
use sqlx::PgPool;

/// The advisory lock a purge pass holds ("opsdret1").
pub const RETENTION_LOCK: i64 = 0x6f70_7364_7265_7431;

/// Rows deleted per statement.
pub const BATCH_ROWS: i64 = 5_000;

/// Which retention a table follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Raw,
    Rollup,
}

/// Purged tables, their time column and retention. Rollups after the
/// tables they sum, so a purge never leaves a minute without its hour.
/// Alert history (R-MON-4) is kept as long as the rollups its charts sit
/// beside; a rule's current state (`alert_states`) is never purged.
pub const TABLES: [(&str, &str, Keep); 8] = [
    ("probe_results", "at", Keep::Raw),
    ("metric_samples", "at", Keep::Raw),
    ("probe_minutes", "minute", Keep::Rollup),
    ("sla_probe_hours", "hour", Keep::Rollup),
    ("request_minutes", "minute", Keep::Rollup),
    ("request_hours", "hour", Keep::Rollup),
    ("metric_sample_hours", "hour", Keep::Rollup),
    ("alert_events", "at", Keep::Rollup),
];

/// The oldest time kept, for raw rows and rollups, at `now`: whole UTC days.
pub fn cutoffs(
    raw_retention_days: i32,
    rollup_retention_months: i32,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let day = |t: DateTime<Utc>| t.duration_trunc(TimeDelta::days(1)).unwrap_or(t);
    let raw = now - TimeDelta::days(i64::from(raw_retention_days.max(1)));
    let rollup = now
        .checked_sub_months(Months::new(
            u32::try_from(rollup_retention_months.max(1)).unwrap_or(60),
        ))
        .unwrap_or(raw);
    (day(raw), day(rollup.min(raw)))
}

/// Deletes up to `batch` rows of `table` older than `cutoff`; returns how many.
async fn purge_batch(
    pool: &PgPool,
    table: &str,
    column: &str,
    cutoff: DateTime<Utc>,
    batch: i64,
) -> Result<u64, sqlx::Error> {
    // Table and column names come from `TABLES`, never from input.
    let done = sqlx::query(&format!(
        "DELETE FROM {table} WHERE ctid = ANY(ARRAY( \
             SELECT ctid FROM {table} WHERE {column} < $1 LIMIT $2 FOR UPDATE SKIP LOCKED))"
    ))
    .bind(cutoff)
    .bind(batch)
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes everything older than the retention from every table, in
/// batches of `batch` rows. Returns the rows deleted per table (tables with
/// none left out), or `None` when another process holds the pass.
pub async fn purge(
    pool: &PgPool,
    now: DateTime<Utc>,
    batch: i64,
) -> Result<Option<Vec<(&'static str, u64)>>, sqlx::Error> {
    let mut lock = pool.acquire().await?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(RETENTION_LOCK)
        .fetch_one(&mut *lock)
        .await?;
    if !locked {
        return Ok(None);
    }
    let result = async {
        let s = settings(pool).await?;
        let (raw, rollup) = cutoffs(s.raw_retention_days, s.rollup_retention_months, now);
        let mut deleted = Vec::new();
        for (table, column, keep) in TABLES {
            let cutoff = match keep {
                Keep::Raw => raw,
                Keep::Rollup => rollup,
            };
            let mut total = 0u64;
            loop {
                let n = purge_batch(pool, table, column, cutoff, batch.max(1)).await?;
                total += n;
                if n < u64::try_from(batch.max(1)).unwrap_or(u64::MAX) {
                    break;
                }
            }
            if total > 0 {
                deleted.push((table, total));
            }
        }
        Ok(deleted)
    }
    .await;
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(RETENTION_LOCK)
        .execute(&mut *lock)
        .await;
    result.map(Some)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn cutoffs_are_whole_days_and_rollups_never_shorter_issue_10_item_3() {
        let now: DateTime<Utc> = "2026-11-29T10:17:00Z".parse().unwrap();
        let (raw, rollup) = cutoffs(90, 60, now);
        assert_eq!(
            raw,
            "2026-08-31T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            rollup,
            "2021-11-29T00:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        // One month of rollups but 90 days raw: rollups keep the 90 days too.
        let (raw, rollup) = cutoffs(90, 1, now);
        assert_eq!(raw, rollup);
    }
}
