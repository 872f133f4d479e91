//! Re-judges this month's budget every hour (R-COST-3), so a forecast alert
//! that was held back for the first days of the month, or one that becomes
//! due only as days pass, fires without waiting for the next cost entry.
//! Idempotent: the (month, percent, basis) record lets each alert out once,
//! also with several opsdeck processes.

use chrono_tz::Tz;
use sqlx::PgPool;
use std::time::Duration;

/// One pass for `today` (a day in the configured zone); returns how many alerts fired.
pub async fn pass(
    pool: &PgPool,
    today: chrono::NaiveDate,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    let mut tx = pool.begin().await?;
    let fired = opsdeck_app::store::costs::evaluate_alerts(&mut tx, today).await?;
    tx.commit().await?;
    Ok(fired.len())
}

/// Starts the hourly pass.
pub fn spawn(pool: PgPool, tz: Tz, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let today = chrono::Utc::now().with_timezone(&tz).date_naive();
            match pass(&pool, today).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(fired = n, "budget alerts sent"),
                Err(e) => tracing::warn!(error = %e, "budget evaluation failed"),
            }
        }
    })
}
