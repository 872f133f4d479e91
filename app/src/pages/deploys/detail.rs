//! `/deploys/{id}`: one deploy — "can it go, and where is it?". The CI
//! stages (R-DEP-3), the checklist with evidence (R-DEP-4), the approvals
//! (R-DEP-5), the code freeze and its override (R-DEP-6), the gate's answer
//! with the Deploy button, the blue-green steps with their output and the
//! Roll back button (R-DEP-7, R-DEP-8). While the deploy is not final the
//! page fetches it again every 2 s (decision 0017); the forms live outside
//! the part that is redrawn, so typing is never interrupted.

use super::msg::DepMsg as M;
use super::{
    colour_text, dt, env_label, short_commit, stage_label, stage_look, status_badge, step_label,
};
use crate::api::deploys::{
    approve_deploy, load_deploy, load_deploy_timeline, load_step_output, override_freeze,
    rollback_deploy, start_deploy, tick_checklist, untick_checklist,
};
use crate::components::confirm::confirm;
use crate::components::error_box::{error_text, ErrorBox};
use crate::components::layout::use_shell;
use crate::error::AppError;
use crate::i18n::{fill, Lang, Msg};
use crate::model::deploys::{DeployStatus, DeployView, StepView, TimelineEntry};
use crate::role::{Access, Role};
use crate::{tr, use_lang};
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use opsdeck::deploy_gate::{BlockingReason, ChecklistItem};

/// How often a deploy that is not final is fetched again.
const POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// What a button does; every change goes through one action so its error shows in one place.
#[derive(Debug, Clone)]
enum Change {
    Tick(ChecklistItem, String),
    Untick(ChecklistItem),
    Approve(String),
    Override(String),
    Start,
    Rollback(String),
}

async fn apply(id: i64, c: Change) -> Result<(), AppError> {
    match c {
        Change::Tick(item, evidence) => tick_checklist(id, item.key().to_string(), evidence)
            .await
            .map(|_| ()),
        Change::Untick(item) => untick_checklist(id, item.key().to_string())
            .await
            .map(|_| ()),
        Change::Approve(comment) => approve_deploy(id, comment).await.map(|_| ()),
        Change::Override(reason) => override_freeze(id, reason).await.map(|_| ()),
        Change::Start => start_deploy(id).await.map(|_| ()),
        Change::Rollback(reason) => rollback_deploy(id, reason).await.map(|_| ()),
    }
}

/// The page's action and the text typed into its forms, created at its top
/// level so that a poll redraws the deploy without losing them.
#[derive(Clone, Copy)]
struct Controls {
    change: Action<(i64, Change), Result<(), AppError>>,
    evidence: RwSignal<String>,
    comment: RwSignal<String>,
    override_reason: RwSignal<String>,
    rollback_reason: RwSignal<String>,
}

#[component]
pub fn DeployPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok())));
    let tick = RwSignal::new(0u32);
    let deploy = Resource::new(
        move || (id.get(), tick.get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_deploy(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    // Its own single call (a lazy route renders twice on the server: a
    // resource must not wait on another before calling the server).
    let timeline = Resource::new(
        move || (id.get(), tick.get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_deploy_timeline(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let change = Action::new(|(id, c): &(i64, Change)| apply(*id, c.clone()));
    let controls = Controls {
        change,
        evidence: RwSignal::new(String::new()),
        comment: RwSignal::new(String::new()),
        override_reason: RwSignal::new(String::new()),
        rollback_reason: RwSignal::new(String::new()),
    };
    Effect::new(move |_| {
        if matches!(change.value().get(), Some(Ok(()))) {
            controls.evidence.set(String::new());
            controls.comment.set(String::new());
            controls.override_reason.set(String::new());
            controls.rollback_reason.set(String::new());
            tick.update(|n| *n = n.wrapping_add(1));
        }
    });
    // Live while not final (effects run in the browser only).
    let running = RwSignal::new(true);
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                if running.get_untracked() {
                    tick.try_update(|n| *n = n.wrapping_add(1));
                }
            },
            POLL,
        )
        .ok();
        on_cleanup(move || {
            if let Some(h) = handle {
                h.clear();
            }
        });
    });
    let shell = use_shell();
    let error = move || {
        change
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_text(&e))
    };
    view! {
        <Title text=dt(M::DeployTitle)/>
        <div class="deploys">
            <p><a href="/deploys" data-testid="back-to-board">"← " {dt(M::BackToBoard)}</a></p>
            <p class="alert alert-error" role="alert" data-testid="action-error" hidden=move || error().is_none()>{error}</p>
            <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    let state = match shell { Some(s) => s.await.ok(), None => None };
                    let tz = crate::time::zone(&state.as_ref().map(|s| s.time_zone.clone()).unwrap_or_default());
                    let user = state.and_then(|s| s.user);
                    match deploy.await {
                        Err(e) => view! { <h1>{dt(M::DeployTitle)}</h1><ErrorBox error=e/> }.into_any(),
                        Ok(d) => {
                            running.set(still_moving(&d));
                            let who = Who {
                                username: user.as_ref().map(|u| u.username.clone()).unwrap_or_default(),
                                approver: user.as_ref().is_some_and(|u| u.can(Access::AnyOf(&[Role::Approver]))),
                                ticker: user.as_ref().is_some_and(|u| u.can(Access::AnyOf(&[Role::Approver, Role::Operator]))),
                                admin: user.as_ref().is_some_and(|u| u.can(Access::ADMIN)),
                            };
                            view! { <DeployBody d=d tz=tz who=who controls=controls/> }.into_any()
                        }
                    }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let state = match shell { Some(s) => s.await.ok(), None => None };
                    let tz = crate::time::zone(&state.as_ref().map(|s| s.time_zone.clone()).unwrap_or_default());
                    // A missing deploy already shows its error above.
                    timeline.await.ok().map(|entries| view! { <Timeline entries=entries tz=tz/> })
                })}
            </Transition>
        </div>
    }
}

/// Everything recorded about the deploy, oldest first: the audit entries
/// of its trigger, ticks, votes, override, stages, steps and rollback
/// (issue 9 item 7).
#[component]
fn Timeline(entries: Vec<TimelineEntry>, tz: Tz) -> impl IntoView {
    let lang = use_lang();
    let body = if entries.is_empty() {
        view! { <p class="empty-state">{M::NoTimeline.text(lang)}</p> }.into_any()
    } else {
        let rows = entries
            .into_iter()
            .map(|e| {
                let who = e
                    .actor
                    .unwrap_or_else(|| M::ByOpsdeck.text(lang).to_string());
                view! {
                    <tr data-testid="timeline-row" data-action=e.action.clone()>
                        <td>{crate::time::format(e.at, tz)}</td>
                        <td>{who}</td>
                        <td><code>{e.action.clone()}</code></td>
                        <td class="detail"><code>{e.detail}</code></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table data-testid="timeline">
                    <thead><tr>
                        <th scope="col">{M::ColWhen.text(lang)}</th>
                        <th scope="col">{M::ColWho.text(lang)}</th>
                        <th scope="col">{M::ColWhat.text(lang)}</th>
                        <th scope="col"></th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="card" data-testid="timeline-section">
            <h2>{M::Timeline.text(lang)}</h2>
            {body}
        </section>
    }
}

/// Whether the deploy may still change on its own: running, queued, or
/// done with a rollback requested that the executor has not carried out yet.
fn still_moving(d: &DeployView) -> bool {
    !d.row.status.is_final()
        || d.row.queued
        || (d.row.status == DeployStatus::Done && d.rollback_reason.is_some())
}

#[derive(Clone)]
struct Who {
    username: String,
    approver: bool,
    ticker: bool,
    admin: bool,
}

#[component]
fn DeployBody(d: DeployView, tz: Tz, who: Who, controls: Controls) -> impl IntoView {
    let lang = use_lang();
    let id = d.row.id;
    let status = d.row.status;
    let not_started =
        matches!(status, DeployStatus::Requested | DeployStatus::Ready) && !d.row.queued;
    let env = env_label(d.row.environment, lang);
    let title = format!("#{id} {} → {env}", d.row.version);
    let commit = (!d.row.commit_sha.is_empty()).then(|| {
        view! { " · " <code title=d.row.commit_sha.clone()>{short_commit(&d.row.commit_sha)}</code> }
    });
    let reference = d.ref_name.clone().map(|r| view! { " · " <code>{r}</code> });
    let traffic = match d.live_colour {
        Some(c) => view! { <p data-testid="traffic" data-live=colour_text(c, Lang::En)>{M::Live.text(lang)} ": " <strong>{colour_text(c, lang)}</strong></p> }.into_any(),
        None => view! { <p class="status-critical" data-testid="traffic" data-live="none"><span aria-hidden="true">"⚠ "</span>{M::TrafficMoving.text(lang)}</p> }.into_any(),
    };
    let failure = d.failure.clone().map(|f| {
        view! { <p class="alert alert-error" data-testid="deploy-failure"><strong>{M::Failure.text(lang)} ": "</strong>{f}</p> }
    });
    let rolled = d.rollback_reason.clone().map(|reason| {
        let text = fill(
            M::RolledBackBy.text(lang),
            &[
                ("by", d.rollback_by.as_deref().unwrap_or("—")),
                ("at", &d.rollback_at.map(|a| crate::time::format(a, tz)).unwrap_or_default()),
                ("reason", &reason),
            ],
        );
        view! { <p class="status-warning" data-testid="rollback-info"><span aria-hidden="true">"↩ "</span>{text}</p> }
    });
    let live_note = still_moving(&d).then(|| {
        view! { <p class="muted small" data-testid="live-as-of">{fill(M::LiveUpdate.text(lang), &[("t", &crate::time::format(d.now, tz))])}</p> }
    });
    view! {
        <header>
            <h1 data-testid="deploy-title">{title}</h1>
            <p class="row">
                {status_badge(status, lang)}
                <span class="muted">
                    {fill(M::RequestedBy.text(lang), &[("by", &d.row.requested_by)])} " · " {crate::time::format(d.row.requested_at, tz)}
                    " · " {d.row.source.as_str()} {commit} {reference}
                </span>
            </p>
            {traffic}
            {live_note}
        </header>
        {failure}
        {rolled}
        {(!who.approver && !who.ticker).then(|| view! { <p class="muted" data-testid="read-only">{M::ReadOnly.text(lang)}</p> })}
        <FreezeSection d=d.clone() tz=tz admin=who.admin && not_started controls=controls/>
        <GateSection d=d.clone() tz=tz approver=who.approver controls=controls/>
        <div class="grid">
            <ChecklistSection d=d.clone() tz=tz can_tick=who.ticker && not_started controls=controls/>
            <ApprovalsSection d=d.clone() tz=tz can_vote=who.approver && not_started && who.username != d.row.requested_by
                voted=d.votes.iter().any(|v| v.voter == who.username) controls=controls/>
        </div>
        <StagesSection d=d.clone() tz=tz/>
        <StepsSection d=d.clone() tz=tz/>
        <RollbackSection d=d tz=tz approver=who.approver controls=controls/>
    }
}

#[component]
fn FreezeSection(d: DeployView, tz: Tz, admin: bool, controls: Controls) -> impl IntoView {
    let lang = use_lang();
    let id = d.row.id;
    d.freeze.map(|f| {
        let overridden = f.override_by.clone().map(|by| {
            let text = fill(
                M::OverrideBy.text(lang),
                &[
                    ("by", &by),
                    ("at", &f.override_at.map(|a| crate::time::format(a, tz)).unwrap_or_default()),
                    ("reason", f.override_reason.as_deref().unwrap_or("")),
                ],
            );
            view! { <p class="status-ok" data-testid="freeze-override"><span aria-hidden="true">"✓ "</span>{text}</p> }
        });
        let open = f.override_by.is_none();
        let banner = open.then(|| {
            view! {
                <p class="alert alert-warning" role="status" data-testid="freeze-banner">
                    <span aria-hidden="true">"❄ "</span>
                    {fill(M::FreezeBanner.text(lang), &[("release", &f.release_version), ("end", &crate::time::format(f.window_end, tz))])}
                </p>
            }
        });
        let form = (admin && open).then(|| {
            let reason = controls.override_reason;
            view! {
                <form class="stack" data-testid="override-form" on:submit=move |ev| {
                    ev.prevent_default();
                    controls.change.dispatch((id, Change::Override(reason.get_untracked())));
                }>
                    <label>{M::OverrideReason.text(lang)}
                        <textarea name="reason" required rows="2" prop:value=move || reason.get()
                            on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                    </label>
                    <button type="submit" class="button danger" data-testid="override-submit">{M::Override.text(lang)}</button>
                </form>
            }
        });
        view! {
            <section class="card" data-testid="freeze-section">
                <h2>{M::Freeze.text(lang)}</h2>
                {banner}
                {overridden}
                {form}
            </section>
        }
    })
}

#[component]
fn GateSection(d: DeployView, tz: Tz, approver: bool, controls: Controls) -> impl IntoView {
    let lang = use_lang();
    let id = d.row.id;
    let status = d.row.status;
    if !matches!(status, DeployStatus::Requested | DeployStatus::Ready) {
        return ().into_any();
    }
    let reasons = d
        .blocking
        .iter()
        .map(|b| {
            let text = match b {
                BlockingReason::ChecklistOpen { items } => fill(
                    M::BlockChecklist.text(lang),
                    &[("n", &items.len().to_string())],
                ),
                BlockingReason::ApprovalsMissing { missing, .. } => {
                    fill(M::BlockApprovals.text(lang), &[("n", &missing.to_string())])
                }
                BlockingReason::CodeFreeze { window } => fill(
                    M::BlockFreeze.text(lang),
                    &[("end", &crate::time::format(window.end, tz))],
                ),
            };
            view! { <li class="status-critical"><span aria-hidden="true">"✗ "</span>{text}</li> }
        })
        .collect_view();
    let answer = if d.can_start {
        view! { <p class="answer status-ok" data-testid="gate" data-can-start="true"><span aria-hidden="true">"✓ "</span>{M::GateOk.text(lang)}</p> }.into_any()
    } else {
        view! { <ul class="plain" data-testid="gate" data-can-start="false">{reasons}</ul> }
            .into_any()
    };
    let queue = d.queue_position.map(|n| {
        view! { <p class="status-warning" data-testid="queue-position"><span aria-hidden="true">"◷ "</span>{fill(M::InQueue.text(lang), &[("n", &n.to_string())])}</p> }
    });
    let question = fill(
        M::ConfirmDeploy.text(lang),
        &[
            ("version", &d.row.version),
            ("env", env_label(d.row.environment, lang)),
        ],
    );
    let pending = controls.change.pending();
    let button = (approver && !d.row.queued).then(|| {
        let can = d.can_start;
        view! {
            <button type="button" class="button primary" data-testid="deploy-button"
                disabled=move || !can || pending.get()
                on:click=move |_| {
                    if confirm(&question) {
                        controls.change.dispatch((id, Change::Start));
                    }
                }>
                <span aria-hidden="true">"▶ "</span>{M::DeployButton.text(lang)}
            </button>
        }
    });
    view! {
        <section class="card" data-testid="gate-section">
            <h2>{M::Gate.text(lang)}</h2>
            {answer}
            {queue}
            {button}
        </section>
    }
    .into_any()
}

#[component]
fn ChecklistSection(d: DeployView, tz: Tz, can_tick: bool, controls: Controls) -> impl IntoView {
    let lang = use_lang();
    let id = d.row.id;
    if !d.checklist_required {
        return view! {
            <section class="card" data-testid="checklist-section">
                <h2>{M::Checklist.text(lang)}</h2>
                <p class="muted">{M::ChecklistNotNeeded.text(lang)}</p>
            </section>
        }
        .into_any();
    }
    let pending = controls.change.pending();
    let evidence = controls.evidence;
    let rows = d
        .checklist
        .into_iter()
        .map(|c| {
            let item = c.item;
            let label = match lang {
                Lang::Ja => item.label_ja(),
                Lang::En => item.label_en(),
            };
            let ticked = c.ticked_by.is_some();
            let who = c.ticked_by.clone().map(|by| {
                let at = c.ticked_at.map(|a| crate::time::format(a, tz)).unwrap_or_default();
                view! { <span class="muted small">{fill(M::TickedBy.text(lang), &[("by", &by), ("at", &at)])}</span> }
            });
            let link = c.evidence_url.clone().map(|u| {
                view! { " " <a href=u rel="noopener noreferrer" target="_blank" data-testid="evidence-link">{M::EvidenceShort.text(lang)}</a> }
            });
            let button = can_tick.then(|| {
                if ticked {
                    view! {
                        <button type="button" class="button small" data-testid=format!("untick-{}", item.key())
                            disabled=move || pending.get()
                            on:click=move |_| { controls.change.dispatch((id, Change::Untick(item))); }>{M::Untick.text(lang)}</button>
                    }.into_any()
                } else {
                    view! {
                        <button type="button" class="button small primary" data-testid=format!("tick-{}", item.key())
                            aria-label=format!("{}: {label}", M::Tick.text(lang))
                            disabled=move || pending.get()
                            on:click=move |_| { controls.change.dispatch((id, Change::Tick(item, evidence.get_untracked()))); }>
                            <span aria-hidden="true">"✓ "</span>{M::Tick.text(lang)}
                        </button>
                    }.into_any()
                }
            });
            let (class, icon) = if ticked { ("status-ok", "☑") } else { ("status-unknown", "☐") };
            view! {
                <li data-testid=format!("check-{}", item.key()) data-ticked=ticked.to_string()>
                    <span class=class><span aria-hidden="true">{icon} " "</span>{label}</span>
                    {link} " " {who} " " {button}
                </li>
            }
        })
        .collect_view();
    let evidence_box = can_tick.then(|| {
        view! {
            <label class="small">{M::Evidence.text(lang)}
                <input type="url" name="evidence_url" data-testid="evidence-input" placeholder="https://ci.example.com/run/123"
                    prop:value=move || evidence.get() on:input=move |ev| evidence.set(event_target_value(&ev))/>
            </label>
        }
    });
    view! {
        <section class="card" data-testid="checklist-section">
            <h2>{M::Checklist.text(lang)}</h2>
            {evidence_box}
            <ul class="plain checklist" data-testid="checklist">{rows}</ul>
        </section>
    }
    .into_any()
}

#[component]
fn ApprovalsSection(
    d: DeployView,
    tz: Tz,
    can_vote: bool,
    voted: bool,
    controls: Controls,
) -> impl IntoView {
    let lang = use_lang();
    let id = d.row.id;
    if d.approvals_required == 0 {
        return view! {
            <section class="card" data-testid="approvals-section">
                <h2>{M::Approvals.text(lang)}</h2>
                <p class="muted">{M::ApprovalsNotNeeded.text(lang)}</p>
            </section>
        }
        .into_any();
    }
    let counted = d.votes.iter().filter(|v| v.counted).count();
    let count_class = if counted as u32 >= d.approvals_required {
        "status-ok"
    } else {
        "status-warning"
    };
    let votes = if d.votes.is_empty() {
        view! { <p class="muted">{M::NoVotes.text(lang)}</p> }.into_any()
    } else {
        d.votes
            .iter()
            .map(|v| {
                let note = (!v.counted).then(|| view! { " " <span class="badge warning">{M::NotCounted.text(lang)}</span> });
                let comment = (!v.comment.is_empty()).then(|| view! { <br/><span class="muted">{v.comment.clone()}</span> });
                view! {
                    <p data-testid="vote"><span aria-hidden="true">"✓ "</span><strong>{v.voter.clone()}</strong>
                        " · " {crate::time::format(v.voted_at, tz)} {note} {comment}</p>
                }
            })
            .collect_view()
            .into_any()
    };
    let comment = controls.comment;
    let pending = controls.change.pending();
    let form = (can_vote && !voted).then(|| {
        view! {
            <form class="stack" data-testid="approve-form" on:submit=move |ev| {
                ev.prevent_default();
                controls.change.dispatch((id, Change::Approve(comment.get_untracked())));
            }>
                <label>{M::Comment.text(lang)}
                    <input name="comment" maxlength="500" prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))/>
                </label>
                <button type="submit" class="button primary" data-testid="approve-button" disabled=move || pending.get()>
                    <span aria-hidden="true">"✓ "</span>{M::Approve.text(lang)}
                </button>
            </form>
        }
    });
    view! {
        <section class="card" data-testid="approvals-section">
            <h2>{M::Approvals.text(lang)}</h2>
            <p data-testid="approvals-count" class=count_class>
                {fill(M::ApprovalsCount.text(lang), &[("n", &counted.to_string()), ("m", &d.approvals_required.to_string())])}
            </p>
            {votes}
            {form}
        </section>
    }
    .into_any()
}

#[component]
fn StagesSection(d: DeployView, tz: Tz) -> impl IntoView {
    let lang = use_lang();
    let rows = d
        .stages
        .into_iter()
        .map(|s| {
            let (class, icon, word) = stage_look(s.status);
            let log = s.log_url.clone().map(|u| view! { <a href=u rel="noopener noreferrer" target="_blank">{M::Log.text(lang)}</a> });
            view! {
                <tr data-testid=format!("stage-{}", s.stage) data-status=s.status.as_str()>
                    <th scope="row">{stage_label(&s.stage, lang)}</th>
                    <td><span class=class><span aria-hidden="true">{icon} " "</span>{word.text(lang)}</span></td>
                    <td>{s.started_at.map(|a| crate::time::format(a, tz)).unwrap_or_else(|| "—".into())}</td>
                    <td>{s.finished_at.map(|a| crate::time::format(a, tz)).unwrap_or_else(|| "—".into())}</td>
                    <td>{log}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" data-testid="stages-section">
            <h2>{M::Stages.text(lang)}</h2>
            <div class="table-wrap">
                <table data-testid="stages">
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn StepsSection(d: DeployView, tz: Tz) -> impl IntoView {
    let lang = use_lang();
    let body = if d.steps.is_empty() {
        view! { <p class="muted" data-testid="no-steps">{M::NoSteps.text(lang)}</p> }.into_any()
    } else {
        d.steps
            .into_iter()
            .map(|s| view! { <StepRow s=s tz=tz/> })
            .collect_view()
            .into_any()
    };
    view! {
        <section class="card" data-testid="steps-section">
            <h2>{M::Steps.text(lang)}</h2>
            <ol class="plain steps" data-testid="steps">{body}</ol>
        </section>
    }
}

#[component]
fn StepRow(s: StepView, tz: Tz) -> impl IntoView {
    let lang = use_lang();
    let (class, icon) = match s.status.as_str() {
        "ok" => ("status-ok", "✓"),
        "failed" => ("status-critical", "✗"),
        "interrupted" => ("status-critical", "⚠"),
        _ => ("status-warning", "⏳"),
    };
    let exit = s.exit_code.map(|c| view! { " · " <span class="muted">{fill(M::ExitCode.text(lang), &[("code", &c.to_string())])}</span> });
    let step_id = s.id;
    let more_pages = s.output_chars > s.output_head.chars().count() as i64;
    // Later pages of long output, fetched on demand.
    let extra = RwSignal::new(String::new());
    let next_page = RwSignal::new(2u32);
    let more = Action::new(move |page: &u32| {
        let page = *page;
        async move { load_step_output(step_id, page).await }
    });
    Effect::new(move |_| {
        if let Some(Ok((text, pages))) = more.value().get() {
            extra.update(|e| e.push_str(&text));
            next_page.update(|n| *n += 1);
            if next_page.get_untracked() > pages {
                next_page.set(u32::MAX);
            }
        }
    });
    let output = (!s.output_head.is_empty()).then(|| {
        let head = s.output_head.clone();
        view! {
            <details data-testid="step-output">
                <summary>{M::Output.text(lang)}</summary>
                <pre class="bak-output">{head}{move || extra.get()}</pre>
                {more_pages.then(|| view! {
                    <button type="button" class="button small" data-testid="more-output"
                        hidden=move || next_page.get() == u32::MAX
                        on:click=move |_| { more.dispatch(next_page.get_untracked()); }>{M::MoreOutput.text(lang)}</button>
                })}
            </details>
        }
    });
    view! {
        <li data-testid="step" data-step=s.step.clone() data-status=s.status.clone()>
            <span class=class><span aria-hidden="true">{icon} " "</span><strong>{step_label(&s.step, lang)}</strong></span>
            " · " {colour_text(s.colour, lang)}
            " · " <span class="muted">{crate::time::format(s.started_at, tz)}
                {s.finished_at.map(|f| format!(" → {}", crate::time::format(f, tz)))}</span>
            {exit}
            {output}
        </li>
    }
}

#[component]
fn RollbackSection(d: DeployView, tz: Tz, approver: bool, controls: Controls) -> impl IntoView {
    let lang = use_lang();
    let _ = tz;
    let id = d.row.id;
    let can = approver
        && matches!(d.row.status, DeployStatus::Done | DeployStatus::Observing)
        && d.rollback_reason.is_none();
    let live_other = d.live_deploy_id.filter(|l| *l != id).map(|l| {
        view! { <p class="muted" data-testid="live-deploy"><a href=format!("/deploys/{l}")>{fill(M::LiveIs.text(lang), &[("id", &l.to_string())])}</a></p> }
    });
    if !can {
        return live_other.into_any();
    }
    let reason = controls.rollback_reason;
    let question = fill(
        M::ConfirmRollback.text(lang),
        &[
            ("env", env_label(d.row.environment, lang)),
            ("version", &d.row.version),
        ],
    );
    let pending = controls.change.pending();
    view! {
        <section class="card" data-testid="rollback-section">
            <h2>{M::Rollback.text(lang)}</h2>
            {live_other}
            <form class="stack" data-testid="rollback-form" on:submit=move |ev| {
                ev.prevent_default();
                if confirm(&question) {
                    controls.change.dispatch((id, Change::Rollback(reason.get_untracked())));
                }
            }>
                <label>{M::RollbackReason.text(lang)}
                    <input name="reason" required maxlength="500" data-testid="rollback-reason"
                        prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))/>
                </label>
                <button type="submit" class="button danger" data-testid="rollback-button" disabled=move || pending.get()>
                    <span aria-hidden="true">"↩ "</span>{M::Rollback.text(lang)}
                </button>
            </form>
        </section>
    }
    .into_any()
}
