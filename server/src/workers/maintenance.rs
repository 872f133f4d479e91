//! The maintenance scheduler (issue 12, R-MNT-1, R-MNT-2, R-MNT-4): keeps the
//! monthly windows generated a year ahead, announces each window to
//! `stakeholders` a week before it (once per revision, also with several
//! opsdeck processes or a restart at the moment it is due), and runs the
//! daily housekeeping. Every pass is idempotent; the store takes the locks.

use chrono_tz::Tz;
use opsdeck_app::store::maintenance_windows as store;
use sqlx::PgPool;
use std::time::Duration;

/// Starts the scheduler: a pass every `every`, housekeeping once a day.
pub fn spawn(pool: PgPool, tz: Tz, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match store::scheduler_pass(&pool, tz, chrono::Utc::now()).await {
                Ok(Some((generated, announced))) if generated + announced > 0 => {
                    tracing::info!(generated, announced, "maintenance windows scheduled");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "maintenance scheduler pass failed"),
            }
            match store::housekeeping_if_due(&pool, 23, tz).await {
                Ok(Some(run)) => {
                    tracing::info!(run = run.id, deleted = ?run.deleted, "housekeeping done")
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
            }
        }
    })
}
