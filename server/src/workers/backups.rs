//! The backup watch (issue 13, R-BAK-1, R-BAK-3): every minute, records the
//! scheduled runs that did not happen within their grace and notifies
//! `oncall` once per missed slot, opens and closes RPO breaches (notified
//! once each way), and fails built-in runs left running by a stopped
//! process. It runs no backups itself. Safe with several opsdeck processes:
//! the store takes a transaction-scoped advisory lock for each pass.

use chrono_tz::Tz;
use opsdeck_app::store::backups as store;
use sqlx::PgPool;
use std::time::Duration;

/// Starts the watch: a pass every `every`.
pub fn spawn(pool: PgPool, tz: Tz, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match store::watch_pass(&pool, tz, chrono::Utc::now()).await {
                Ok(Some(s)) if s != store::WatchSummary::default() => {
                    tracing::info!(
                        missed = s.missed,
                        missed_notified = s.missed_notified,
                        rpo_breached = s.rpo_breached,
                        rpo_recovered = s.rpo_recovered,
                        interrupted = s.interrupted,
                        "backup watch"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "backup watch pass failed"),
            }
        }
    })
}
