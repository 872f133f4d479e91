//! The outbox worker: delivers each (message, channel) pair (issue 8, R-MON-5).
//!
//! It wakes on `NOTIFY opsdeck_outbox` (sent when a notifying transaction
//! commits) or every `poll`, claims due deliveries per channel with `FOR
//! UPDATE SKIP LOCKED`, and sends each channel's batch in its own task: a
//! slow or failing channel keeps only itself busy. Outcomes are recorded in
//! one statement per batch, with retries scheduled by exponential back-off
//! with jitter until `give_up_after`, then the delivery is marked failed.

use opsdeck_app::notify::send::Sender;
use opsdeck_app::store::notifications::{self as store, Finished};
use rand::Rng;
use sqlx::PgPool;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// How the worker paces itself. The defaults suit production; tests shorten them.
#[derive(Debug, Clone)]
pub struct OutboxSettings {
    /// First retry after about this long; doubles per attempt.
    pub base_backoff: Duration,
    /// Longest wait between two attempts.
    pub max_backoff: Duration,
    /// No attempt starts later than this after the message was queued.
    pub give_up_after: Duration,
    /// Deliveries claimed per channel and round (also bounded by
    /// `WAVES_PER_BATCH` times the channel's `max_in_flight`).
    pub per_channel: i64,
    /// Look for due work at least this often (NOTIFY wakes it sooner).
    pub poll: Duration,
    /// Longest an attempt may take; a claim lasts twice this plus a margin.
    pub attempt_timeout: Duration,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            base_backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(24 * 3600),
            per_channel: 512,
            poll: Duration::from_millis(500),
            attempt_timeout: Duration::from_secs(10),
        }
    }
}

/// Starts the worker on the current runtime; it runs until the process ends.
pub fn spawn(
    pool: PgPool,
    sender: Sender,
    settings: OutboxSettings,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(pool, sender, settings))
}

fn claim_token() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Wakes `wake` whenever a notifying transaction commits; reconnects on error.
fn listen(pool: PgPool, wake: Arc<Notify>) {
    tokio::spawn(async move {
        loop {
            match sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(mut listener) => {
                    if let Err(e) = listener.listen(store::WAKE_CHANNEL).await {
                        tracing::warn!(error = %e, "outbox: LISTEN failed");
                    } else {
                        while listener.recv().await.is_ok() {
                            wake.notify_one();
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "outbox: listener could not connect"),
            }
            // The poll still finds work meanwhile; retry the listener shortly.
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });
}

async fn run(pool: PgPool, sender: Sender, settings: OutboxSettings) {
    let wake = Arc::new(Notify::new());
    listen(pool.clone(), wake.clone());
    let busy: Arc<Mutex<HashSet<i64>>> = Arc::default();
    let sender = Arc::new(sender);
    // A claim lasts three attempt timeouts and a margin; a send that could
    // not finish inside it is not started (its delivery is released instead),
    // so a worker that dies lets its claims lapse within a minute or so.
    let claim = settings.attempt_timeout * 3 + Duration::from_secs(30);
    let claim_secs = claim.as_secs_f64();
    loop {
        let busy_now: Vec<i64> = busy
            .lock()
            .map(|b| b.iter().copied().collect())
            .unwrap_or_default();
        let token = claim_token();
        let send_until =
            std::time::Instant::now() + claim - settings.attempt_timeout - Duration::from_secs(10);
        let claimed =
            store::claim_due(&pool, &busy_now, settings.per_channel, claim_secs, &token).await;
        match claimed {
            Ok(batches) if !batches.is_empty() => {
                for batch in batches {
                    if let Ok(mut b) = busy.lock() {
                        b.insert(batch.target.id);
                    }
                    let (pool, sender, busy, wake, token, settings) = (
                        pool.clone(),
                        sender.clone(),
                        busy.clone(),
                        wake.clone(),
                        token.clone(),
                        settings.clone(),
                    );
                    tokio::spawn(async move {
                        let channel = batch.target.id;
                        let name = batch.target.name.clone();
                        let (finished, released) =
                            deliver(&sender, batch, &settings, send_until).await;
                        // The channel may take its next batch while this one is
                        // recorded: these rows stay claimed until then, so the
                        // database work overlaps the next batch's sending.
                        if let Ok(mut b) = busy.lock() {
                            b.remove(&channel);
                        }
                        wake.notify_one();
                        if let Err(e) = store::record(&pool, &token, &finished).await {
                            // The claims lapse and the deliveries are tried again: at least once, not lost.
                            tracing::error!(error = %e, channel = %name, "outbox: recording outcomes failed");
                        }
                        if let Err(e) = store::release(&pool, &token, &released).await {
                            tracing::warn!(error = %e, channel = %name, "outbox: releasing unsent deliveries failed");
                        }
                    });
                }
            }
            Ok(_) => {
                tokio::select! {
                    _ = wake.notified() => {},
                    _ = tokio::time::sleep(settings.poll) => {},
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "outbox: claiming deliveries failed");
                tokio::time::sleep(settings.poll).await;
            }
        }
    }
}

/// Sends one channel's claimed deliveries concurrently; returns the outcomes
/// to record and the deliveries not sent because the claim would run out.
async fn deliver(
    sender: &Arc<Sender>,
    batch: store::ClaimedBatch,
    settings: &OutboxSettings,
    send_until: std::time::Instant,
) -> (Vec<Finished>, Vec<i64>) {
    let target = Arc::new(batch.target);
    // At most max_in_flight sends to this channel at once.
    let slots = Arc::new(tokio::sync::Semaphore::new(target.max_in_flight));
    let mut tasks = tokio::task::JoinSet::new();
    for d in batch.deliveries {
        let (sender, target, slots) = (sender.clone(), target.clone(), slots.clone());
        tasks.spawn(async move {
            let _slot = slots.acquire_owned().await;
            if std::time::Instant::now() > send_until {
                return (d, None);
            }
            let outcome = sender.send(&target, &d.message).await;
            (d, Some(outcome))
        });
    }
    let mut finished = Vec::new();
    let mut released = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let Ok((d, outcome)) = joined else { continue };
        let Some(outcome) = outcome else {
            released.push(d.delivery_id);
            continue;
        };
        let retry_at = if outcome.ok {
            None
        } else {
            store::next_attempt(
                d.attempt,
                d.message.created_at,
                chrono::Utc::now(),
                settings.base_backoff,
                settings.max_backoff,
                settings.give_up_after,
                rand::rng().random::<f64>(),
            )
        };
        if !outcome.ok {
            tracing::warn!(
                channel = %target.name,
                delivery = d.delivery_id,
                attempt = d.attempt,
                status = ?outcome.status_code,
                error = outcome.error.as_deref().unwrap_or(""),
                gave_up = retry_at.is_none(),
                "notification attempt failed"
            );
        }
        finished.push(Finished {
            delivery_id: d.delivery_id,
            outcome,
            retry_at,
        });
    }
    (finished, released)
}
