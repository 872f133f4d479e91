//! The backup worker (issue 13, R-BAK-1, R-BAK-3): every minute, the watch
//! records the scheduled runs that did not happen within their grace and
//! notifies `oncall` once per missed slot, opens and closes RPO breaches
//! (notified once each way), and fails built-in runs left running by a
//! stopped process; then the built-in runner starts the full backups the
//! schedule has due. Safe with several opsdeck processes: the store takes a
//! transaction-scoped advisory lock for each watch pass, and each scheduled
//! slot is claimed once in the database before its run starts.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use opsdeck_app::store::audit::Actor;
use opsdeck_app::store::backups as store;
use opsdeck_app::store::backups::runner::{self, RunnerEnv};
use sqlx::PgPool;
use std::time::Duration;
use tokio::task::JoinHandle;

/// A backup the schedule started.
#[derive(Debug)]
pub struct ScheduledRun {
    pub schedule_id: i64,
    pub target_id: i64,
    pub slot: DateTime<Utc>,
    pub run_id: i64,
    /// The task running the command and recording its end. The worker lets
    /// it go on by itself (a dump may take longer than a minute); tests wait.
    pub task: JoinHandle<()>,
}

/// Starts the built-in runs the schedule has due at `now` (R-BAK-1): claims
/// the slots, records each run as running, links it to its slot and runs it
/// in a task of its own. A start the runner refuses (a run still under way,
/// no usable database URL, a bad command) is logged and its slot stays
/// claimed: it is not retried every minute.
pub async fn start_scheduled(
    pool: &PgPool,
    env: &RunnerEnv,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Vec<ScheduledRun>, sqlx::Error> {
    let mut out = Vec::new();
    for (schedule_id, target_id, slot) in runner::claim_due_runs(pool, tz, now).await? {
        let prepared = match runner::begin_backup(pool, env, &Actor::system(), target_id, now).await
        {
            Ok(p) => p,
            Err(e) => {
                // `RunError` names the reason only, never the database URL.
                tracing::warn!(
                    schedule = schedule_id,
                    target = target_id,
                    slot = %slot,
                    error = %e,
                    "scheduled backup not started"
                );
                continue;
            }
        };
        let run_id = prepared.run_id;
        // The run is recorded as running already: it goes ahead even if the
        // link to its slot cannot be written (the claim still holds the slot).
        if let Err(e) = runner::record_scheduled_run(pool, schedule_id, slot, run_id).await {
            tracing::warn!(run = run_id, schedule = schedule_id, error = %e, "scheduled run not linked to its slot");
        }
        let task_pool = pool.clone();
        let task = tokio::spawn(async move {
            match runner::execute_backup(&task_pool, prepared).await {
                Ok(run) => tracing::info!(
                    run = run.id,
                    target = run.target_id,
                    outcome = run.outcome.as_str(),
                    "scheduled backup finished"
                ),
                Err(e) => {
                    tracing::warn!(run = run_id, error = %e, "scheduled backup's end not recorded")
                }
            }
        });
        out.push(ScheduledRun {
            schedule_id,
            target_id,
            slot,
            run_id,
            task,
        });
    }
    Ok(out)
}

/// Starts the worker: a watch pass, then the scheduled starts, every `every`.
pub fn spawn(pool: PgPool, env: RunnerEnv, tz: Tz, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match store::watch_pass(&pool, tz, Utc::now()).await {
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
            match start_scheduled(&pool, &env, tz, Utc::now()).await {
                // The tasks run on without the worker waiting for them.
                Ok(started) => {
                    for s in started {
                        tracing::info!(
                            run = s.run_id,
                            schedule = s.schedule_id,
                            target = s.target_id,
                            slot = %s.slot,
                            "scheduled backup started"
                        );
                    }
                }
                Err(e) => tracing::warn!(error = %e, "scheduled backups not started"),
            }
        }
    })
}
