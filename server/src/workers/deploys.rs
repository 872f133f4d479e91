//! The deploy executor (issue 9, R-DEP-7, R-DEP-8; decision 0017).
//!
//! Every second a [`pass`] looks at each environment under its advisory
//! lock (`store::deploy_runs::pass_environment`): it starts the oldest
//! queued deploy once the gate clears again, carries out a rollback an
//! approver asked for, or takes over a deploy a stopped process left. Each
//! deploy then runs in a task of its own, so one environment's long health
//! check never holds up another's; the deploy's running state keeps a
//! second one of the same environment from starting meanwhile, and its
//! lease (`deploy_runs::Lease`) tells other processes it is in hand.
//!
//! The task walks the core's blue-green machine: for the state the deploy
//! is in it runs the matching step — provision the idle colour, health
//! check it, switch, observe, roll back — recording the step as running
//! before the driver is called and its end together with the machine's move.
//! [`recover`] runs once when the worker starts (R-DEP-7: a deploy survives
//! a restart — it resumes, or ends saying where traffic is).

use crate::deploy_drivers::{DeployDriver, DriverSet, HealthResult, StepResult};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use opsdeck::deploy_gate::{
    evaluate_health, Colour, DeployEvent, Environment, HealthCheckPolicy, HealthVerdict, Probe,
};
use opsdeck_app::model::deploys::DeployStatus;
use opsdeck_app::store::deploy_runs::{
    self as store, begin_step, colour_key, finish_step, update_step_output, EnvPass, ExecError,
    Lease, Move, Note, RecoverSummary, RunDeploy, RunSettings, StepEnd, StepKind,
};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// A deploy being executed in a task of its own.
#[derive(Debug)]
pub struct RunHandle {
    pub deploy_id: i64,
    pub environment: Environment,
    /// The worker lets it run; tests wait for it.
    pub task: JoinHandle<()>,
}

/// What one pass did.
#[derive(Debug, Default)]
pub struct PassReport {
    /// Queued deploys started.
    pub started: Vec<RunHandle>,
    /// Deploys a stopped process left with traffic settled, going on.
    pub resumed: Vec<RunHandle>,
    /// Rollbacks approvers asked for, under way.
    pub rollbacks: Vec<RunHandle>,
    /// Queued deploys whose gate no longer cleared: (deploy, reason).
    pub refused: Vec<(i64, String)>,
    /// Deploys a stopped process left mid-switch, now `interrupted`: (deploy, failure).
    pub interrupted: Vec<(i64, String)>,
    /// Environments the pass could not look at: (environment, error).
    pub errors: Vec<(Environment, String)>,
}

impl PassReport {
    /// Every task the pass spawned.
    pub fn handles(self) -> Vec<RunHandle> {
        let mut all = self.started;
        all.extend(self.resumed);
        all.extend(self.rollbacks);
        all
    }
}

/// One pass over the four environments at `now` (see module docs). An
/// environment whose lock another process holds is left to that process.
pub async fn pass(
    pool: &PgPool,
    drivers: &Arc<dyn DriverSet>,
    tz: Tz,
    now: DateTime<Utc>,
) -> PassReport {
    let mut report = PassReport::default();
    for env in Environment::ALL {
        let outcome = match store::pass_environment(pool, env, tz, now).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(environment = env.key(), error = %e, "deploy pass failed");
                report.errors.push((env, e.to_string()));
                continue;
            }
        };
        match outcome {
            EnvPass::Busy | EnvPass::Idle | EnvPass::Running { .. } => {}
            EnvPass::Started(d, lease) => {
                tracing::info!(deploy = d.id, environment = env.key(), version = %d.version, "deploy started");
                report.started.push(launch(pool, drivers, tz, d, lease));
            }
            EnvPass::Resumed(d, lease) => {
                tracing::info!(
                    deploy = d.id,
                    environment = env.key(),
                    state = d.status.as_str(),
                    "deploy resumed after a restart"
                );
                report.resumed.push(launch(pool, drivers, tz, d, lease));
            }
            EnvPass::RollbackStarted(d, lease) => {
                tracing::info!(deploy = d.id, environment = env.key(), "rollback started");
                report.rollbacks.push(launch(pool, drivers, tz, d, lease));
            }
            EnvPass::Refused { deploy_id, reason } => {
                tracing::info!(deploy = deploy_id, environment = env.key(), %reason, "deploy not started: gate");
                report.refused.push((deploy_id, reason));
            }
            EnvPass::Interrupted { deploy_id, failure } => {
                tracing::warn!(deploy = deploy_id, environment = env.key(), %failure, "deploy interrupted mid-switch");
                report.interrupted.push((deploy_id, failure));
            }
        }
    }
    report
}

/// Start-up recovery (see `store::deploy_runs::recover`): the next pass
/// resumes the deploys it leaves resumable.
pub async fn recover(pool: &PgPool, now: DateTime<Utc>) -> Result<RecoverSummary, ExecError> {
    store::recover(pool, now).await
}

fn launch(
    pool: &PgPool,
    drivers: &Arc<dyn DriverSet>,
    tz: Tz,
    d: RunDeploy,
    lease: Lease,
) -> RunHandle {
    let (pool, drivers) = (pool.clone(), drivers.clone());
    let (deploy_id, environment) = (d.id, d.environment);
    let task = tokio::spawn(async move {
        if let Err(e) = drive(&pool, drivers.as_ref(), tz, deploy_id).await {
            // The lease goes with the task: a later pass takes the deploy over.
            tracing::warn!(deploy = deploy_id, error = %e, "deploy execution stopped");
        }
        lease.release().await;
    });
    RunHandle {
        deploy_id,
        environment,
        task,
    }
}

/// Runs deploy `id` from the state it is in until it is no longer running.
async fn drive(pool: &PgPool, drivers: &dyn DriverSet, tz: Tz, id: i64) -> Result<(), ExecError> {
    loop {
        let Some(d) = store::load(&mut *pool.acquire().await?, id).await? else {
            return Ok(());
        };
        if !d.status.is_running() {
            return Ok(());
        }
        let settings = store::settings(pool, d.environment).await?;
        let run = Run {
            pool,
            tz,
            driver: drivers.driver(&settings),
            settings,
            d,
        };
        let moved = match run.d.status {
            DeployStatus::DeployingIdle => run.provision().await?,
            DeployStatus::HealthChecking => run.health_check().await?,
            DeployStatus::Switching => run.switch().await?,
            DeployStatus::Observing => run.observe().await?,
            DeployStatus::RollingBack => run.rollback().await?,
            _ => false,
        };
        // A step whose end did not move the machine (the deploy changed
        // meanwhile) ends this run; the stored state says what happens next.
        if !moved {
            return Ok(());
        }
    }
}

/// Last non-empty line of a driver's output, short.
fn summary(output: &str) -> String {
    let line = output
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no output");
    if line.chars().count() > 300 {
        format!("{}…", line.chars().take(300).collect::<String>())
    } else {
        line.to_string()
    }
}

/// One probe as a line of the step's output.
fn probe_line(at: DateTime<Utc>, colour: Colour, r: &HealthResult) -> String {
    format!(
        "{} {} {}: {}\n",
        at.format("%H:%M:%S%.3f"),
        colour_key(colour),
        if r.healthy { "healthy" } else { "unhealthy" },
        r.detail
    )
}

struct Run<'a> {
    pool: &'a PgPool,
    tz: Tz,
    driver: Arc<dyn DeployDriver>,
    settings: RunSettings,
    d: RunDeploy,
}

impl Run<'_> {
    fn env(&self) -> Environment {
        self.d.environment
    }

    fn interval(&self) -> Duration {
        Duration::from_millis(u64::from(self.settings.health_interval_ms.max(100)))
    }

    async fn begin(&self, step: StepKind, colour: Colour) -> Result<i64, ExecError> {
        Ok(begin_step(self.pool, self.d.id, step, colour, Utc::now()).await?)
    }

    /// Ends the step and moves the machine; true when it moved.
    async fn end(
        &self,
        step_id: i64,
        result: &StepResult,
        event: DeployEvent,
        note: Note,
    ) -> Result<bool, ExecError> {
        let end = StepEnd {
            ok: result.ok,
            exit_code: result.exit_code,
            output: result.output.clone(),
        };
        let mv = Move {
            expect: self.d.status,
            event,
            note,
        };
        let moved = finish_step(
            self.pool,
            self.d.id,
            step_id,
            &end,
            Some(&mv),
            self.tz,
            Utc::now(),
        )
        .await?;
        Ok(moved.is_some())
    }

    /// The deploy as stored now (someone may have cancelled it or asked for a rollback).
    async fn current(&self) -> Result<Option<RunDeploy>, ExecError> {
        store::load(&mut *self.pool.acquire().await?, self.d.id).await
    }

    /// Ends a step whose deploy moved on without it, without moving the machine.
    async fn abandon(&self, step_id: i64, output: String, why: &str) -> Result<bool, ExecError> {
        let end = StepEnd {
            ok: false,
            exit_code: None,
            output: format!("{output}stopped: {why}"),
        };
        finish_step(
            self.pool,
            self.d.id,
            step_id,
            &end,
            None,
            self.tz,
            Utc::now(),
        )
        .await?;
        Ok(false)
    }

    /// Puts the new version on the idle colour.
    async fn provision(&self) -> Result<bool, ExecError> {
        let cand = self.d.machine.candidate();
        let step = self.begin(StepKind::Provision, cand).await?;
        let r = self
            .driver
            .provision(self.env(), &self.d.version, cand)
            .await;
        if r.ok {
            return self
                .end(step, &r, DeployEvent::IdleDeployed, Note::default())
                .await;
        }
        let note = Note {
            failure: Some(format!(
                "Provisioning {} on {} failed ({}); traffic stayed on {}.",
                self.d.version,
                colour_key(cand),
                summary(&r.output),
                colour_key(self.d.machine.previous)
            )),
            step: Some("provision"),
            ..Note::default()
        };
        self.end(step, &r, DeployEvent::StepFailed, note).await
    }

    /// Probes the idle colour every interval until the core's
    /// `evaluate_health` says passed or timed out (the streak starts afresh
    /// each time this step starts, a resumed one included).
    async fn health_check(&self) -> Result<bool, ExecError> {
        let cand = self.d.machine.candidate();
        let step = self.begin(StepKind::HealthCheck, cand).await?;
        let policy = HealthCheckPolicy {
            required_consecutive: self.settings.health_required_consecutive,
            timeout_seconds: self.settings.health_timeout_seconds,
        };
        let started = Utc::now();
        let mut probes: Vec<Probe> = Vec::new();
        let mut output = format!(
            "{} consecutive healthy answers needed within {} s, one probe every {} ms\n",
            policy.required_consecutive, policy.timeout_seconds, self.settings.health_interval_ms
        );
        loop {
            let r = self.driver.health(self.env(), cand).await;
            let at = Utc::now();
            probes.push(Probe { at, ok: r.healthy });
            output.push_str(&probe_line(at, cand, &r));
            match evaluate_health(&policy, started, &probes, at) {
                HealthVerdict::Passed { .. } => {
                    output.push_str("passed");
                    let note = Note {
                        colour_health: Some((cand, "ok")),
                        ..Note::default()
                    };
                    return self
                        .end(
                            step,
                            &StepResult::ok(output),
                            DeployEvent::HealthPassed,
                            note,
                        )
                        .await;
                }
                HealthVerdict::TimedOut { best_streak } => {
                    output.push_str(&format!("timed out (longest streak {best_streak})"));
                    let note = Note {
                        failure: Some(format!(
                            "Health check of {} failed: {} consecutive healthy answers not seen within {} s \
                             (longest streak {best_streak}); traffic stayed on {}.",
                            colour_key(cand),
                            policy.required_consecutive,
                            policy.timeout_seconds,
                            colour_key(self.d.machine.previous)
                        )),
                        colour_health: Some((cand, "critical")),
                        step: Some("health_check"),
                        ..Note::default()
                    };
                    return self
                        .end(
                            step,
                            &StepResult::failed(output),
                            DeployEvent::HealthFailed,
                            note,
                        )
                        .await;
                }
                HealthVerdict::Waiting { .. } => {}
            }
            // Live progress for the page, and a look at whether the deploy
            // was cancelled meanwhile.
            if let Err(e) = update_step_output(self.pool, step, &output).await {
                tracing::warn!(deploy = self.d.id, error = %e, "health check progress not saved");
            }
            match self.current().await? {
                Some(now) if now.status == self.d.status => {}
                Some(now) => {
                    let why = format!("the deploy is now {}", now.status.as_str());
                    return self.abandon(step, output, &why).await;
                }
                None => return Ok(false),
            }
            tokio::time::sleep(self.interval()).await;
        }
    }

    /// Sends the traffic to the new colour.
    async fn switch(&self) -> Result<bool, ExecError> {
        let cand = self.d.machine.candidate();
        let step = self.begin(StepKind::Switch, cand).await?;
        let r = self.driver.switch(self.env(), &self.d.version, cand).await;
        if r.ok {
            return self
                .end(step, &r, DeployEvent::Switched, Note::default())
                .await;
        }
        let note = Note {
            automatic_rollback: Some(format!(
                "switching traffic to {} failed ({})",
                colour_key(cand),
                summary(&r.output)
            )),
            step: Some("switch"),
            ..Note::default()
        };
        self.end(step, &r, DeployEvent::StepFailed, note).await
    }

    /// Watches the now-live colour for `observe_seconds` (one probe at
    /// least): unhealthy → opsdeck rolls back by itself; an approver's
    /// rollback request ends the watch and is carried out.
    async fn observe(&self) -> Result<bool, ExecError> {
        let live = self.d.machine.candidate();
        let step = self.begin(StepKind::Observe, live).await?;
        let started = Utc::now();
        let until = started + TimeDelta::seconds(i64::from(self.settings.observe_seconds));
        let mut output = format!(
            "watching {} for {} s, one probe every {} ms\n",
            colour_key(live),
            self.settings.observe_seconds,
            self.settings.health_interval_ms
        );
        loop {
            match self.current().await? {
                Some(now) if now.status != self.d.status => {
                    let why = format!("the deploy is now {}", now.status.as_str());
                    return self.abandon(step, output, &why).await;
                }
                Some(now) if now.rollback_requested => {
                    output.push_str(&format!(
                        "stopped: rollback requested by {}",
                        now.rollback_by.as_deref().unwrap_or("an approver")
                    ));
                    return self
                        .end(
                            step,
                            &StepResult::ok(output),
                            DeployEvent::RollbackRequested,
                            Note::default(),
                        )
                        .await;
                }
                Some(_) => {}
                None => return Ok(false),
            }
            let r = self.driver.health(self.env(), live).await;
            let at = Utc::now();
            output.push_str(&probe_line(at, live, &r));
            if !r.healthy {
                output.push_str("unhealthy while live: rolling back");
                let note = Note {
                    automatic_rollback: Some(format!(
                        "{} was unhealthy while observed after the switch ({})",
                        colour_key(live),
                        r.detail
                    )),
                    colour_health: Some((live, "critical")),
                    step: Some("observe"),
                    ..Note::default()
                };
                return self
                    .end(
                        step,
                        &StepResult::failed(output),
                        DeployEvent::StepFailed,
                        note,
                    )
                    .await;
            }
            if at >= until {
                output.push_str("observation passed");
                let note = Note {
                    colour_health: Some((live, "ok")),
                    ..Note::default()
                };
                return self
                    .end(
                        step,
                        &StepResult::ok(output),
                        DeployEvent::ObservationPassed,
                        note,
                    )
                    .await;
            }
            if let Err(e) = update_step_output(self.pool, step, &output).await {
                tracing::warn!(deploy = self.d.id, error = %e, "observation progress not saved");
            }
            let left = (until - at).to_std().unwrap_or_default();
            tokio::time::sleep(self.interval().min(left)).await;
        }
    }

    /// Sends the traffic back to the previous colour.
    async fn rollback(&self) -> Result<bool, ExecError> {
        let prev = self.d.machine.previous;
        let (version, _) = store::colour_version(self.pool, self.env(), prev).await?;
        let version = version.unwrap_or_default();
        let step = self.begin(StepKind::Rollback, prev).await?;
        let r = self.driver.rollback(self.env(), &version, prev).await;
        if r.ok {
            return self
                .end(step, &r, DeployEvent::RollbackCompleted, Note::default())
                .await;
        }
        let note = Note {
            failure: Some(format!(
                "Rolling back to {} failed ({}); traffic is in transition from {} to {}. \
                 Check the load balancer, then ask for the rollback again.",
                colour_key(prev),
                summary(&r.output),
                colour_key(prev.other()),
                colour_key(prev)
            )),
            step: Some("rollback"),
            ..Note::default()
        };
        self.end(step, &r, DeployEvent::RollbackFailed, note).await
    }
}

/// Starts the worker: recovery once, then a pass every `every`.
pub fn spawn(pool: PgPool, drivers: Arc<dyn DriverSet>, tz: Tz, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        match recover(&pool, Utc::now()).await {
            Ok(s) if s != RecoverSummary::default() => tracing::info!(
                steps_interrupted = s.steps_interrupted,
                deploys_interrupted = ?s.deploys_interrupted,
                resumable = ?s.resumable,
                "deploy recovery"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "deploy recovery failed"),
        }
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // The tasks run on without the worker waiting for them.
            let _ = pass(&pool, &drivers, tz, Utc::now()).await;
        }
    })
}
