//! The alert evaluator (issue 10 item 7, R-MON-3, R-MON-4, R-SLA-4): every
//! `every` (10 s in the server) one pass over every enabled rule and
//! environment — the newest metric values, the core's staleness window and
//! life cycle, states, history and notifications, in one transaction
//! (`store::alerts::eval::pass`). With several opsdeck processes the pass's
//! advisory lock lets one of them work at a time; the others skip.

use chrono_tz::Tz;
use opsdeck_app::store::alerts::eval;
use sqlx::PgPool;
use std::time::Duration;

/// Starts the evaluator.
pub fn spawn(pool: PgPool, tz: Tz, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match eval::pass(&pool, tz, chrono::Utc::now()).await {
                Ok(Some(o)) if o.transitions > 0 => {
                    tracing::info!(
                        transitions = o.transitions,
                        notified = o.notified,
                        "alerts evaluated"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "alert evaluation failed"),
            }
        }
    })
}
