//! The planned-maintenance section of `/maintenance` (issue 12): the windows
//! a year ahead with their announcement state and tasks, the monthly cap,
//! the plan form (operators) and housekeeping.

use super::msg::MaintMsg as M;
use crate::api::maintenance_windows::{
    cancel_window, load_planning, plan_window, reschedule_window, run_housekeeping,
    save_planning_settings, tick_task,
};
use crate::components::confirm::confirm;
use crate::components::error_box::{error_text, ErrorBox};
use crate::error::AppError;
use crate::i18n::{Lang, Msg};
use crate::model::maintenance::{PlanOutcome, WindowView};
use crate::role::{Access, Role};
use crate::{tr, use_lang};
use chrono_tz::Tz;
use leptos::prelude::*;

fn mt(m: M) -> &'static str {
    m.text(use_lang())
}

fn span(w: &WindowView, tz: Tz) -> String {
    let end = w.ends_at.with_timezone(&tz);
    format!(
        "{} – {}",
        crate::time::format(w.starts_at, tz),
        end.format("%H:%M")
    )
}

/// The planning data and its reload counter, created by the page at its top
/// level (a resource created inside a `Suspend` does not hydrate).
#[derive(Clone, Copy)]
pub struct PlanningData {
    pub version: RwSignal<u32>,
    pub data: Resource<Result<crate::model::maintenance::PlanningView, AppError>>,
}

impl Default for PlanningData {
    fn default() -> Self {
        Self::new()
    }
}

impl PlanningData {
    pub fn new() -> Self {
        let version = RwSignal::new(0u32);
        PlanningData {
            version,
            data: Resource::new(move || version.get(), |_| load_planning()),
        }
    }
}

/// Takes the shell state from the page (already loaded), so that it awaits
/// only the planning data: when the frame reloads (maintenance switched),
/// this section is re-created rather than left waiting on a disposed resource.
#[component]
pub fn PlannedWindows(state: crate::model::ShellState, planning: PlanningData) -> impl IntoView {
    let PlanningData { version, data } = planning;
    // The plan form lives outside the reloading list, so a reload after one
    // save cannot replace the form (and the outcome of the next) under the user.
    let form = PlanFormState::new();
    let tz = crate::time::zone(&state.time_zone);
    let user = state.user;
    let operator = user
        .as_ref()
        .is_some_and(|u| u.can(Access::AnyOf(&[Role::Operator])));
    let admin = user.as_ref().is_some_and(|u| u.can(Access::ADMIN));
    view! {
        <section class="card" data-testid="planned-maintenance">
            <h2>{mt(M::PlannedTitle)}</h2>
            <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(p) => view! {
                            <Planning p=p tz=tz operator=operator admin=admin version=version form=form/>
                        }.into_any(),
                    }
                })}
            </Transition>
            {operator.then(|| view! { <PlanForm admin=admin version=version form=form/> })}
        </section>
    }
}

#[component]
fn Planning(
    p: crate::model::maintenance::PlanningView,
    tz: Tz,
    operator: bool,
    admin: bool,
    version: RwSignal<u32>,
    form: PlanFormState,
) -> impl IntoView {
    let lang = use_lang();
    let now = p.now;
    let next = p
        .windows
        .iter()
        .find(|w| w.status == "planned" && w.ends_at > now)
        .cloned();
    let answer = next.map(|w| {
        let announce = match w.announced_at {
            Some(t) => format!("{} {}", mt(M::AnnouncedAt), crate::time::format(t, tz)),
            None => format!("{} {}", mt(M::AnnounceDue), crate::time::format(w.announce_at, tz)),
        };
        view! { <p class="answer" data-testid="next-window">{mt(M::NextWindow)} ": " {span(&w, tz)} " · " {announce}</p> }
    });
    let s = &p.settings;
    let rules = mt(M::Rules)
        .replace("{notice}", &s.min_notice_days.to_string())
        .replace("{night}", &format!("{}–{}", s.night_start, s.night_end))
        .replace("{cap}", &s.monthly_cap_minutes.to_string())
        .replace("{announce}", &s.announce_days_before.to_string());
    let usage = p.usage.iter().map(|u| {
        let over = u.planned_minutes > u.cap_minutes;
        view! {
            <li class=if over { "status-critical" } else { "" } data-testid="month-usage">
                {format!("{}-{:02}", u.year, u.month)} ": " {u.planned_minutes} " " {mt(M::MinutesOf)} " " {u.cap_minutes}
            </li>
        }
    }).collect_view();
    let cancel = Action::new(move |id: &i64| {
        let id = *id;
        async move { cancel_window(id).await }
    });
    let tick = Action::new(move |args: &(i64, String, bool)| {
        let (id, key, done) = args.clone();
        async move { tick_task(id, key, done).await }
    });
    Effect::new(move |_| {
        if cancel.value().get().is_some_and(|r| r.is_ok())
            || tick.value().get().is_some_and(|r| r.is_ok())
        {
            version.update(|v| *v += 1);
        }
    });
    let action_error = move || {
        cancel
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| tick.value().get().and_then(|r| r.err()))
            .map(|e| match e {
                AppError::Validation(v) => {
                    v.iter().map(|f| tr(f.msg)).collect::<Vec<_>>().join(" ")
                }
                e => error_text(&e),
            })
    };
    let rows = p.windows.into_iter().map(|w| {
        let id = w.id;
        let move_start = crate::time::to_input(w.starts_at, tz);
        let move_minutes = (w.ends_at - w.starts_at).num_minutes().to_string();
        let move_reason = w.reason.clone();
        let started = w.starts_at <= now;
        let label = span(&w, tz);
        let confirm_text = format!("{} {label}?", mt(M::ConfirmCancel));
        let kind = if w.kind == "monthly" { mt(M::KindMonthly) } else { mt(M::KindPlanned) };
        let status = if w.status == "cancelled" { ("status-unknown", "○", mt(M::Cancelled)) } else { ("status-ok", "✓", mt(M::Planned)) };
        let announce = match w.announced_at {
            Some(t) => format!("✓ {} {}", mt(M::AnnouncedAt), crate::time::format(t, tz)),
            None => format!("{} {}", mt(M::AnnounceDue), crate::time::format(w.announce_at, tz)),
        };
        let done_count = w.tasks.iter().filter(|t| t.done_at.is_some()).count();
        let total = w.tasks.len();
        let tasks = w.tasks.iter().map(|t| {
            let key = t.key.clone();
            let checked = t.done_at.is_some();
            let who = t.done_by.clone().map(|b| format!(" — {} {b} {}", mt(M::DoneBy), t.done_at.map(|d| crate::time::format(d, tz)).unwrap_or_default()));
            let label = if lang == Lang::Ja { t.label_ja.clone() } else { t.label_en.clone() };
            view! {
                <li>
                    <label class="check">
                        <input type="checkbox" prop:checked=checked disabled=!(operator && started)
                            on:change=move |ev| { tick.dispatch((id, key.clone(), event_target_checked(&ev))); }/>
                        " " {label}
                    </label>
                    <span class="muted">{who}</span>
                </li>
            }
        }).collect_view();
        view! {
            <tr data-testid="window-row">
                <td>{label.clone()}</td>
                <td>{kind} {w.quarterly.then(|| format!(" {}", mt(M::Quarterly)))}</td>
                <td>{if w.reason.is_empty() { "—".to_string() } else { w.reason.clone() }}
                    {w.override_reason.clone().map(|r| view! { <div class="muted">"override: " {r}</div> })}</td>
                <td><span class=status.0><span aria-hidden="true">{status.1}</span> " " {status.2}</span></td>
                <td>{announce}</td>
                <td>{(total > 0).then(|| view! {
                    <details><summary>{format!("{done_count}/{total}")}</summary><ul class="plain">{tasks}</ul></details>
                })}</td>
                <td class="actions">{(operator && w.status == "planned" && !started).then(|| view! {
                    <button type="button" class="button" data-testid="move-window" on:click=move |_| {
                        form.editing.set(Some(id));
                        form.start.set(move_start.clone());
                        form.minutes.set(move_minutes.clone());
                        form.reason.set(move_reason.clone());
                    }>{mt(M::Move)}</button>
                    <button type="button" class="button danger" on:click=move |_| if confirm(&confirm_text) { cancel.dispatch(id); }>{mt(M::Cancel)}</button>
                })}</td>
            </tr>
        }
    }).collect_view();
    view! {
        {answer}
        <p class="muted" data-testid="maintenance-rules">{rules}</p>
        <p class="alert alert-error" role="alert" hidden=move || action_error().is_none()>{action_error}</p>
        <div class="table-wrap">
            <table data-testid="windows-table">
                <thead><tr>
                    <th scope="col">{mt(M::When)}</th>
                    <th scope="col">{mt(M::Kind)}</th>
                    <th scope="col">{mt(M::Reason)}</th>
                    <th scope="col">{mt(M::Status)}</th>
                    <th scope="col">{mt(M::Announcement)}</th>
                    <th scope="col">{mt(M::Tasks)}</th>
                    <th scope="col">{mt(M::Actions)}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <h3>{mt(M::Usage)}</h3>
        <ul class="plain">{usage}</ul>
        {admin.then(|| view! { <SettingsForm settings=p.settings.clone() version=version/> })}
        <Housekeeping runs=p.housekeeping operator=operator version=version tz=tz retention=p.settings.activity_retention_days/>
    }
}

/// The plan form's inputs; `editing` holds the window being moved, if any.
#[derive(Clone, Copy)]
struct PlanFormState {
    editing: RwSignal<Option<i64>>,
    start: RwSignal<String>,
    minutes: RwSignal<String>,
    reason: RwSignal<String>,
    override_reason: RwSignal<String>,
}

impl PlanFormState {
    fn new() -> Self {
        PlanFormState {
            editing: RwSignal::new(None),
            start: RwSignal::new(String::new()),
            minutes: RwSignal::new("60".to_string()),
            reason: RwSignal::new(String::new()),
            override_reason: RwSignal::new(String::new()),
        }
    }
}

#[component]
fn PlanForm(admin: bool, version: RwSignal<u32>, form: PlanFormState) -> impl IntoView {
    let PlanFormState {
        editing,
        start,
        minutes,
        reason,
        override_reason,
    } = form;
    let plan = Action::new(move |_: &()| {
        let args = (
            editing.get_untracked(),
            start.get_untracked(),
            minutes.get_untracked(),
            reason.get_untracked(),
            override_reason.get_untracked(),
        );
        async move {
            match args.0 {
                Some(id) => reschedule_window(id, args.1, args.2, args.3, args.4).await,
                None => plan_window(args.1, args.2, args.3, args.4).await,
            }
        }
    });
    let result = plan.value();
    Effect::new(move |_| {
        if let Some(Ok(_)) = result.get() {
            editing.set(None);
            version.update(|v| *v += 1);
        }
    });
    let err = move |field: &'static str| {
        move || {
            result
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.for_field(field))
                .map(tr)
        }
    };
    let general = move || {
        result
            .get()
            .and_then(|r| r.err())
            .filter(|e| !matches!(e, AppError::Validation(_)))
            .map(|e| error_text(&e))
    };
    let saved = move || match result.get() {
        Some(Ok(PlanOutcome { warnings, .. })) => {
            Some(format!("{} {}", mt(M::PlanSaved), warnings.join(" · ")))
        }
        _ => None,
    };
    let input = move |id: &'static str, label: M, kind: &'static str, value: RwSignal<String>| {
        let e = err(id);
        view! {
            <div class="field">
                <label for=format!("plan-{id}")>{mt(label)}</label>
                <input id=format!("plan-{id}") type=kind prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev)) aria-invalid=move || e().is_some().to_string()/>
                <span class="field-error" data-testid=format!("err-{id}")>{err(id)}</span>
            </div>
        }
    };
    view! {
        <h3>{move || if editing.get().is_some() { mt(M::MoveTitle) } else { mt(M::PlanTitle) }}</h3>
        <form class="stack" data-testid="plan-form" on:submit=move |ev| { ev.prevent_default(); plan.dispatch(()); }>
            {input("start", M::Start, "datetime-local", start)}
            {input("duration_minutes", M::Duration, "number", minutes)}
            {input("reason", M::Reason, "text", reason)}
            {admin.then(|| input("override_reason", M::OverrideReason, "text", override_reason))}
            <p class="alert alert-error" role="alert" hidden=move || general().is_none()>{general}</p>
            <p class="alert alert-ok" role="status" data-testid="plan-saved" hidden=move || saved().is_none()>{saved}</p>
            <div class="row">
                <button type="submit" class="button primary" data-testid="plan-submit" disabled=move || plan.pending().get()>{mt(M::PlanSubmit)}</button>
                <button type="button" class="button link" hidden=move || editing.get().is_none() on:click=move |_| editing.set(None)>{mt(M::StopMoving)}</button>
            </div>
        </form>
    }
}

#[component]
fn Housekeeping(
    runs: Vec<crate::model::maintenance::HousekeepingView>,
    operator: bool,
    version: RwSignal<u32>,
    tz: Tz,
    retention: i32,
) -> impl IntoView {
    let run = Action::new(move |_: &()| run_housekeeping());
    Effect::new(move |_| {
        if run.value().get().is_some() {
            version.update(|v| *v += 1);
        }
    });
    let rows = runs
        .into_iter()
        .map(|r| {
            let deleted = r
                .deleted
                .iter()
                .map(|(t, n)| format!("{t}: {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            let status = match r.ok {
                Some(true) => mt(M::Ok),
                Some(false) => mt(M::Failed),
                None => "…",
            };
            view! {
                <tr data-testid="housekeeping-row">
                    <td>{crate::time::format(r.started_at, tz)}</td>
                    <td>{status} {r.error.clone().map(|e| format!(": {e}"))}</td>
                    <td class="json">{deleted}</td>
                    <td>{r.started_by.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h3>{mt(M::Housekeeping)}</h3>
        <p class="muted">{mt(M::HousekeepingAnswer)} " " {mt(M::Retention)} ": " {retention}</p>
        <div class="table-wrap">
            <table>
                <thead><tr>
                    <th scope="col">{mt(M::When)}</th>
                    <th scope="col">{mt(M::Status)}</th>
                    <th scope="col">{mt(M::Deleted)}</th>
                    <th scope="col">{mt(M::By)}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {operator.then(|| view! {
            <button type="button" class="button" data-testid="housekeeping-run" disabled=move || run.pending().get()
                on:click=move |_| { run.dispatch(()); }>{mt(M::RunNow)}</button>
        })}
    }
}

#[component]
fn SettingsForm(
    settings: crate::model::maintenance::PlanningSettings,
    version: RwSignal<u32>,
) -> impl IntoView {
    let cap = RwSignal::new(settings.monthly_cap_minutes.to_string());
    let notice = RwSignal::new(settings.min_notice_days.to_string());
    let announce = RwSignal::new(settings.announce_days_before.to_string());
    let night_start = RwSignal::new(settings.night_start.clone());
    let night_end = RwSignal::new(settings.night_end.clone());
    let retention = RwSignal::new(settings.activity_retention_days.to_string());
    let save = Action::new(move |_: &()| {
        let a = (
            cap.get_untracked(),
            notice.get_untracked(),
            announce.get_untracked(),
            night_start.get_untracked(),
            night_end.get_untracked(),
            retention.get_untracked(),
        );
        async move { save_planning_settings(a.0, a.1, a.2, a.3, a.4, a.5).await }
    });
    let result = save.value();
    Effect::new(move |_| {
        if let Some(Ok(())) = result.get() {
            version.update(|v| *v += 1);
        }
    });
    let field = move |id: &'static str, label: M, value: RwSignal<String>| {
        let err = move || {
            result
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.for_field(id))
                .map(tr)
        };
        view! {
            <div class="field">
                <label for=format!("set-{id}")>{mt(label)}</label>
                <input id=format!("set-{id}") prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
                <span class="field-error">{err}</span>
            </div>
        }
    };
    view! {
        <details>
            <summary>{mt(M::SettingsTitle)}</summary>
            <form class="stack" data-testid="maintenance-settings" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
                {field("monthly_cap_minutes", M::SetCap, cap)}
                {field("min_notice_days", M::SetNotice, notice)}
                {field("announce_days_before", M::SetAnnounce, announce)}
                {field("night_start", M::SetNightStart, night_start)}
                {field("night_end", M::SetNightEnd, night_end)}
                {field("activity_retention_days", M::Retention, retention)}
                <button type="submit" class="button" disabled=move || save.pending().get()>{mt(M::SaveSettings)}</button>
            </form>
        </details>
    }
}
