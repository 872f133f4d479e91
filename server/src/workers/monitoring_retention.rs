//! Retention of monitoring data (issue 10 item 3, decision 0020): once an
//! hour (and soon after start) deletes raw probes and samples older than
//! `raw_retention_days` and rollups older than `rollup_retention_months`,
//! in batches (`store::monitoring::retention::purge`). Safe with several
//! opsdeck processes: one purges, the others skip that pass.

use opsdeck_app::store::monitoring::retention;
use sqlx::PgPool;
use std::time::Duration;

/// Runs one purge now; logs what it deleted.
pub async fn run_once(pool: &PgPool) -> Result<(), sqlx::Error> {
    match retention::purge(pool, chrono::Utc::now(), retention::BATCH_ROWS).await? {
        Some(deleted) if !deleted.is_empty() => {
            let counts: std::collections::BTreeMap<_, _> = deleted.into_iter().collect();
            tracing::info!(deleted = ?counts, "monitoring retention purged old rows");
        }
        Some(_) => {}
        None => tracing::debug!("monitoring retention: another process is purging"),
    }
    Ok(())
}

/// Starts the worker: a purge `first_after` the start, then every `every`.
pub fn spawn(pool: PgPool, first_after: Duration, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        tokio::time::sleep(first_after).await;
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = run_once(&pool).await {
                tracing::warn!(error = %e, "monitoring retention pass failed");
            }
        }
    })
}
