//! "Run backup now" and "Run drill" (R-BAK-1, R-BAK-3): the request waits
//! up to 20 s on the server; a run still under way after that is polled
//! every 2 s until it ends, then the page loads again. A run or drill found
//! under way when the page opens is polled the same way, so long work can
//! be left and come back to. The state lives at the page's level: the
//! sections are re-created by every reload, the jobs are not.

use super::msg::BakMsg as M;
use super::{bt, duration_text, human_size, outcome_look, rto_text, short_checksum};
use crate::api::backups::{load_backups, load_run, run_backup_now, run_drill};
use crate::components::error_box::error_text;
use crate::error::AppError;
use crate::model::backups::{DrillView, Outcome, RunView};
use crate::use_lang;
use chrono_tz::Tz;
use leptos::prelude::*;
use std::collections::HashMap;
use std::time::Duration;

/// How often a run under way is asked about.
const POLL: Duration = Duration::from_secs(2);

/// A run or drill started or watched from this page.
#[derive(Debug, Clone, PartialEq)]
pub enum Job<T> {
    /// Asked for; no answer yet.
    Starting,
    /// Under way on the server; polled.
    Running(T),
    /// Ended, well or not.
    Done(T),
    /// Refused, or the server could not be asked.
    Error(AppError),
}

impl<T> Job<T> {
    pub fn busy(&self) -> bool {
        matches!(self, Job::Starting | Job::Running(_))
    }
}

/// The jobs of the page, by target id.
#[derive(Clone, Copy)]
pub struct Jobs {
    pub runs: RwSignal<HashMap<i64, Job<RunView>>>,
    pub drills: RwSignal<HashMap<i64, Job<DrillView>>>,
    version: RwSignal<u32>,
}

impl Jobs {
    pub fn new(version: RwSignal<u32>) -> Self {
        Jobs {
            runs: RwSignal::new(HashMap::new()),
            drills: RwSignal::new(HashMap::new()),
            version,
        }
    }

    /// Whether the page is still there (its signals are dropped once left).
    fn alive(self) -> bool {
        self.runs.try_with_untracked(|_| ()).is_some()
    }

    fn reload(self) {
        let _ = self.version.try_update(|v| *v += 1);
    }

    fn set_run(self, target: i64, job: Job<RunView>) -> bool {
        self.runs
            .try_update(|m| {
                m.insert(target, job);
            })
            .is_some()
    }

    fn set_drill(self, target: i64, job: Job<DrillView>) -> bool {
        self.drills
            .try_update(|m| {
                m.insert(target, job);
            })
            .is_some()
    }

    pub fn run_busy(self, target: i64) -> bool {
        self.runs
            .try_with_untracked(|m| m.get(&target).is_some_and(Job::busy))
            .unwrap_or(false)
    }

    pub fn drill_busy(self, target: i64) -> bool {
        self.drills
            .try_with_untracked(|m| m.get(&target).is_some_and(Job::busy))
            .unwrap_or(false)
    }

    /// Runs the target's built-in backup now (browser only: a click).
    pub fn run_now(self, target: i64) {
        if self.run_busy(target) {
            return;
        }
        self.set_run(target, Job::Starting);
        leptos::task::spawn_local(async move {
            let answer = run_backup_now(target).await;
            self.run_answer(target, answer, false);
        });
    }

    /// Polls a run found under way when the page loaded.
    pub fn watch_run(self, target: i64, run: RunView) {
        let known = self
            .runs
            .try_with_untracked(|m| match m.get(&target) {
                Some(Job::Starting) | Some(Job::Running(_)) => true,
                Some(Job::Done(r)) => r.id == run.id,
                _ => false,
            })
            .unwrap_or(true);
        if known {
            return;
        }
        let id = run.id;
        if self.set_run(target, Job::Running(run)) {
            self.poll_run(target, id);
        }
    }

    fn run_answer(self, target: i64, answer: Result<RunView, AppError>, polling: bool) {
        match answer {
            Ok(run) if run.outcome == Outcome::Running => {
                let id = run.id;
                if self.set_run(target, Job::Running(run)) {
                    self.poll_run(target, id);
                }
            }
            Ok(run) => {
                if self.set_run(target, Job::Done(run)) {
                    self.reload();
                }
            }
            // A lost answer while polling: ask again.
            Err(AppError::Transport(_)) if polling => {
                if let Some(Some(Job::Running(run))) =
                    self.runs.try_with_untracked(|m| m.get(&target).cloned())
                {
                    self.poll_run(target, run.id);
                }
            }
            Err(e) => {
                self.set_run(target, Job::Error(e));
            }
        }
    }

    fn poll_run(self, target: i64, id: i64) {
        set_timeout(
            move || {
                if !self.alive() {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let answer = load_run(id).await;
                    self.run_answer(target, answer, true);
                });
            },
            POLL,
        );
    }

    /// Runs a restore drill of the newest built-in full backup (a click).
    pub fn drill_now(self, target: i64) {
        if self.drill_busy(target) {
            return;
        }
        self.set_drill(target, Job::Starting);
        leptos::task::spawn_local(async move {
            let answer = run_drill(target, String::new()).await;
            self.drill_answer(target, answer, false);
        });
    }

    /// Polls a drill found under way when the page loaded.
    pub fn watch_drill(self, target: i64, drill: DrillView) {
        let known = self
            .drills
            .try_with_untracked(|m| match m.get(&target) {
                Some(Job::Starting) | Some(Job::Running(_)) => true,
                Some(Job::Done(d)) => d.id == drill.id,
                _ => false,
            })
            .unwrap_or(true);
        if known {
            return;
        }
        let id = drill.id;
        if self.set_drill(target, Job::Running(drill)) {
            self.poll_drill(target, id);
        }
    }

    fn drill_answer(self, target: i64, answer: Result<DrillView, AppError>, polling: bool) {
        match answer {
            Ok(d) if d.outcome == Outcome::Running => {
                let id = d.id;
                if self.set_drill(target, Job::Running(d)) {
                    self.poll_drill(target, id);
                }
            }
            Ok(d) => {
                if self.set_drill(target, Job::Done(d)) {
                    self.reload();
                }
            }
            Err(AppError::Transport(_)) if polling => {
                if let Some(Some(Job::Running(d))) =
                    self.drills.try_with_untracked(|m| m.get(&target).cloned())
                {
                    self.poll_drill(target, d.id);
                }
            }
            Err(e) => {
                self.set_drill(target, Job::Error(e));
            }
        }
    }

    /// There is no call for one drill: the target's page view lists its
    /// latest drills, the one under way among them.
    fn poll_drill(self, target: i64, id: i64) {
        set_timeout(
            move || {
                if !self.alive() {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let answer = load_backups(target.to_string(), String::new(), String::new(), 1)
                        .await
                        .and_then(|v| {
                            v.drills
                                .into_iter()
                                .find(|d| d.id == id)
                                .ok_or(AppError::NotFound)
                        });
                    self.drill_answer(target, answer, true);
                });
            },
            POLL,
        );
    }
}

/// The state of the target's last "Run backup now": progress, then the
/// new run with its size and checksum, or why it failed.
#[component]
pub fn RunStatus(target_id: i64, tz: Tz) -> impl IntoView {
    let jobs = expect_context::<super::BackupsCtx>().jobs;
    let lang = use_lang();
    move || {
        let job = jobs.runs.with(|m| m.get(&target_id).cloned())?;
        Some(match job {
            Job::Starting => view! {
                <p class="status-warning" role="status" data-testid="run-progress">
                    <span aria-hidden="true">"⏳ "</span>{bt(M::Running)}
                </p>
            }
            .into_any(),
            Job::Running(r) => view! {
                <p class="status-warning" role="status" data-testid="run-progress" data-run-id=r.id.to_string()>
                    <span aria-hidden="true">"⏳ "</span>{bt(M::Running)} " "
                    {format!("#{} · {} {}", r.id, bt(M::StartedAt), crate::time::format(r.started_at, tz))}
                </p>
            }
            .into_any(),
            Job::Done(r) => {
                let (class, icon, word) = outcome_look(r.outcome);
                let ok = r.outcome == Outcome::Ok;
                let checksum = r.checksum.clone().unwrap_or_default();
                view! {
                    <div class=if ok { "alert alert-ok" } else { "alert alert-error" } role="status"
                        data-testid="run-result" data-run-id=r.id.to_string() data-outcome=r.outcome.as_str()>
                        <p class=class>
                            <span aria-hidden="true">{icon} " "</span>
                            {format!("{} #{}: {}", bt(M::BackupRun), r.id, bt(word))}
                            {r.duration_seconds.map(|d| format!(" · {}", duration_text(d, lang)))}
                        </p>
                        {ok.then(|| view! {
                            <p>
                                <span data-testid="run-result-size">{human_size(r.size_bytes)}</span> " · "
                                <code title=checksum.clone() data-testid="run-result-checksum">{short_checksum(&checksum)}</code>
                            </p>
                            <p class="mono">{r.location.clone().unwrap_or_default()}</p>
                        })}
                        {(!ok && !r.output.is_empty()).then(|| view! {
                            <details><summary>{bt(M::Output)}</summary><pre class="bak-output">{r.output.clone()}</pre></details>
                        })}
                    </div>
                }
                .into_any()
            }
            Job::Error(e) => view! {
                <p class="alert alert-error" role="alert" data-testid="run-error">
                    <span aria-hidden="true">"⚠ "</span>{error_text(&e)}
                </p>
            }
            .into_any(),
        })
    }
}

/// The state of the target's last "Run drill".
#[component]
pub fn DrillStatus(target_id: i64, tz: Tz) -> impl IntoView {
    let ctx = expect_context::<super::BackupsCtx>();
    let jobs = ctx.jobs;
    let lang = use_lang();
    move || {
        let job = jobs.drills.with(|m| m.get(&target_id).cloned())?;
        Some(match job {
            Job::Starting => view! {
                <p class="status-warning" role="status" data-testid="drill-progress">
                    <span aria-hidden="true">"⏳ "</span>{bt(M::DrillRunning)}
                </p>
            }
            .into_any(),
            Job::Running(d) => view! {
                <p class="status-warning" role="status" data-testid="drill-progress" data-drill-id=d.id.to_string()>
                    <span aria-hidden="true">"⏳ "</span>{bt(M::DrillRunning)} " "
                    {format!("#{} · {} {}", d.id, bt(M::StartedAt), crate::time::format(d.started_at, tz))}
                </p>
            }
            .into_any(),
            Job::Done(d) => {
                let (_, icon, word) = outcome_look(d.outcome);
                let within = d.outcome == Outcome::Ok && d.rto.as_ref().is_some_and(|r| r.ok);
                view! {
                    <div class=if within { "alert alert-ok" } else { "alert alert-error" } role="status"
                        data-testid="drill-result" data-drill-id=d.id.to_string() data-outcome=d.outcome.as_str()>
                        <p>
                            <span aria-hidden="true">{icon} " "</span>
                            {format!("{} #{}: {}", bt(M::Drill), d.id, bt(word))}
                            {d.run_id.map(|r| format!(" · {} #{r}", bt(M::Restored)))}
                        </p>
                        {d.rto.as_ref().map(|r| view! { <p data-testid="drill-result-rto">{rto_text(r, lang)}</p> })}
                        {(!d.output.is_empty()).then(|| view! {
                            <details><summary>{bt(M::Output)}</summary><pre class="bak-output">{d.output.clone()}</pre></details>
                        })}
                    </div>
                }
                .into_any()
            }
            Job::Error(e) => view! {
                <p class="alert alert-error" role="alert" data-testid="drill-error">
                    <span aria-hidden="true">"⚠ "</span>{error_text(&e)}
                </p>
            }
            .into_any(),
        })
    }
}
