//! `/incidents/{id}`: the live DR runbook (R-BAK-4) — "where are we, and
//! are we inside the RTO?". The policy's seven steps and its recovery order
//! as a checklist with owners, start and done times and notes; operators
//! start, tick and annotate steps and resolve the incident; everyone sees
//! each change within five seconds (the page's resource is fetched again,
//! the frame stays) and can export the post-incident report as Markdown.

use super::msg::IncMsg as M;
use super::{clock_text, it, severity_badge, status_badge};
use crate::api::incidents::{load_incident, resolve_incident, update_step};
use crate::components::confirm::confirm;
use crate::components::error_box::{error_text, ErrorBox};
use crate::components::layout::{urlencode, use_shell};
use crate::error::AppError;
use crate::i18n::{fill, Lang, Msg};
use crate::model::incidents::{
    duration_text, IncidentDetail, IncidentStatus, StepAction, StepView,
};
use crate::role::{Access, Role};
use crate::{tr, use_lang};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// How often the checklist is fetched again while the page is open.
const POLL: std::time::Duration = std::time::Duration::from_secs(5);

/// (incident, step, action, owner, notes)
type StepArgs = (i64, i32, StepAction, String, String);

/// The page's actions and panels, created at its top level: the checklist
/// is drawn again on every poll, these (and what is typed into them) are not.
#[derive(Clone, Copy)]
struct Controls {
    /// Start, tick, untick.
    step: Action<StepArgs, Result<(), AppError>>,
    /// Owner and notes.
    save: Action<StepArgs, Result<(), AppError>>,
    resolve: Action<(i64, String), Result<(), AppError>>,
    /// The step being edited: (incident, position, label).
    editing: RwSignal<Option<(i64, i32, String)>>,
    owner: RwSignal<String>,
    notes: RwSignal<String>,
    /// The incident being resolved: (id, title, steps not done).
    resolving: RwSignal<Option<(i64, String, usize)>>,
    closing_notes: RwSignal<String>,
}

impl Controls {
    fn new(tick: RwSignal<u32>) -> Self {
        let run = |(id, n, a, o, notes): &StepArgs| {
            let (id, n, a, o, notes) = (*id, *n, *a, o.clone(), notes.clone());
            async move { update_step(id, n, a.as_str().to_string(), o, notes).await }
        };
        let step = Action::new(run);
        let save = Action::new(run);
        let resolve = Action::new(|(id, notes): &(i64, String)| {
            let (id, notes) = (*id, notes.clone());
            async move { resolve_incident(id, notes).await }
        });
        let refetch = move || tick.update(|n| *n = n.wrapping_add(1));
        // One effect each: an old success must not refetch again on a later failure.
        Effect::new(move |_| {
            if matches!(step.value().get(), Some(Ok(()))) {
                refetch();
            }
        });
        Effect::new(move |_| {
            if matches!(save.value().get(), Some(Ok(()))) {
                refetch();
            }
        });
        Effect::new(move |_| {
            if matches!(resolve.value().get(), Some(Ok(()))) {
                refetch();
            }
        });
        Controls {
            step,
            save,
            resolve,
            editing: RwSignal::new(None),
            owner: RwSignal::new(String::new()),
            notes: RwSignal::new(String::new()),
            resolving: RwSignal::new(None),
            closing_notes: RwSignal::new(String::new()),
        }
    }

    /// Closes the panels and forgets outcomes (another incident was opened).
    fn clear(self) {
        self.editing.set(None);
        self.resolving.set(None);
        self.step.value().set(None);
        self.save.value().set(None);
        self.resolve.value().set(None);
    }
}

#[component]
pub fn IncidentPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok())));
    // Created here, at the page's top level: a resource created inside a
    // `Suspend` does not hydrate. `tick` moves on every poll and after every change.
    let tick = RwSignal::new(0u32);
    let detail = Resource::new(
        move || (id.get(), tick.get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_incident(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let shell = use_shell();
    let controls = Controls::new(tick);
    Effect::new(move |prev: Option<Option<i64>>| {
        let now = id.get();
        if prev.is_some_and(|p| p != now) {
            controls.clear();
        }
        now
    });
    // Live: fetch again every five seconds while the page is shown (effects
    // run in the browser only; the server renders once).
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                tick.try_update(|n| *n = n.wrapping_add(1));
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
    let step_error = move || {
        controls
            .step
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_text(&e))
    };
    view! {
        <Title text=it(M::IncidentTitle)/>
        <div class="incidents">
            <p><a href="/incidents" data-testid="back-to-incidents">"← " {it(M::BackToList)}</a></p>
            <p class="alert alert-error" role="alert" data-testid="action-error" hidden=move || step_error().is_none()>{step_error}</p>
            <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    let state = match shell {
                        Some(s) => s.await.ok(),
                        None => None,
                    };
                    let tz = crate::time::zone(&state.as_ref().map(|s| s.time_zone.clone()).unwrap_or_default());
                    let operator = state
                        .and_then(|s| s.user)
                        .is_some_and(|u| u.can(Access::AnyOf(&[Role::Operator])));
                    match detail.await {
                        Err(e) => view! {
                            <h1>{it(M::IncidentTitle)}</h1>
                            <ErrorBox error=e/>
                        }.into_any(),
                        Ok(d) => view! { <IncidentBody d=d tz=tz operator=operator controls=controls/> }.into_any(),
                    }
                })}
            </Transition>
            <StepEditor controls=controls/>
            <ResolvePanel controls=controls/>
        </div>
    }
}

#[component]
fn IncidentBody(d: IncidentDetail, tz: Tz, operator: bool, controls: Controls) -> impl IntoView {
    let lang = use_lang();
    let i = d.incident.clone();
    let id = i.id;
    let open = i.status == IncidentStatus::Open;
    let can_act = operator && open;
    let (class, icon, clock) = clock_text(&d.clock, lang);
    let declared = fill(
        M::DeclaredBy.text(lang),
        &[
            ("at", &crate::time::format(i.declared_at, tz)),
            ("by", &i.declared_by),
        ],
    );
    let resolved = i.resolved_at.map(|at| {
        fill(
            M::ResolvedBy.text(lang),
            &[
                ("at", &crate::time::format(at, tz)),
                ("by", i.resolved_by.as_deref().unwrap_or("—")),
            ],
        )
    });
    let export_href = format!(
        "data:text/markdown;charset=utf-8,{}",
        urlencode(&d.report_markdown)
    );
    let export_name = format!("incident-{id}-report.md");
    let open_steps = d.steps.iter().filter(|s| s.done_at.is_none()).count();
    let (recovery, procedure): (Vec<StepView>, Vec<StepView>) =
        d.steps.iter().cloned().partition(StepView::is_recovery);
    let table = |steps: Vec<StepView>, testid: &'static str| {
        step_table(
            steps,
            testid,
            id,
            i.declared_at,
            tz,
            lang,
            can_act,
            controls,
        )
    };
    let notes = (!i.notes.trim().is_empty()).then(|| {
        view! {
            <div class="incident-notes" data-testid="incident-notes">
                <strong>{M::Notes.text(lang)} ": "</strong>{i.notes.clone()}
            </div>
        }
    });
    let title = i.title.clone();
    view! {
        <header class="incident-header">
            <h1 data-testid="incident-title">{format!("#{id} {}", i.title)}</h1>
            <p class="row">
                {severity_badge(i.severity, lang)}
                {status_badge(i.status, lang)}
                <span class="muted">{declared}</span>
                {resolved.map(|r| view! { <span class="muted">"· " {r}</span> })}
            </p>
            <p class=format!("answer incident-clock {class}") data-testid="incident-clock" data-level=d.clock.level.css()>
                <span aria-hidden="true">{icon}</span> " " {clock}
            </p>
            {notes}
            <p class="muted incident-live" data-testid="live-as-of">
                {fill(M::Live.text(lang), &[("t", &crate::time::format(d.now, tz))])}
            </p>
        </header>
        {(!operator).then(|| view! { <p class="muted" data-testid="read-only">{M::ReadOnly.text(lang)}</p> })}
        {(operator && !open).then(|| view! { <p class="muted" data-testid="resolved-read-only">{M::ResolvedReadOnly.text(lang)}</p> })}
        <section class="card" data-testid="runbook-procedure">
            <h2>{M::Procedure.text(lang)}</h2>
            {table(procedure, "procedure-table")}
        </section>
        <section class="card" data-testid="runbook-recovery">
            <h2>{M::RecoveryOrder.text(lang)}</h2>
            <p class="muted">{M::RecoveryOrderHint.text(lang)}</p>
            {table(recovery, "recovery-table")}
        </section>
        <div class="row incident-actions">
            <a class="button" download=export_name href=export_href data-testid="export-report">
                <span aria-hidden="true">"⤓ "</span>{M::Export.text(lang)}
            </a>
            {can_act.then(|| view! {
                <button type="button" class="button danger" data-testid="resolve-incident"
                    on:click=move |_| {
                        controls.resolve.value().set(None);
                        controls.resolving.set(Some((id, title.clone(), open_steps)));
                    }>{M::Resolve.text(lang)}</button>
            })}
        </div>
    }
}

/// A time in the zone with how long after the declaration it was.
fn when(at: Option<DateTime<Utc>>, declared: DateTime<Utc>, tz: Tz, lang: Lang) -> AnyView {
    match at {
        Some(a) => view! {
            <time datetime=a.to_rfc3339()>{crate::time::format(a, tz)}</time>
            <br/>
            <span class="muted">{format!("T+{}", duration_text((a - declared).num_seconds(), lang))}</span>
        }
        .into_any(),
        None => "—".into_any(),
    }
}

#[allow(clippy::too_many_arguments)]
fn step_table(
    steps: Vec<StepView>,
    testid: &'static str,
    incident: i64,
    declared: DateTime<Utc>,
    tz: Tz,
    lang: Lang,
    can_act: bool,
    controls: Controls,
) -> impl IntoView {
    let pending = controls.step.pending();
    let rows = steps
        .into_iter()
        .map(|s| {
            let n = s.position;
            let started = s.started_at.is_some();
            let done = s.done_at.is_some();
            let (status_class, status_icon, status_word) = if done {
                ("status-ok", "✓", M::StepDone)
            } else if started {
                ("status-warning", "▶", M::StepInProgress)
            } else {
                ("status-unknown", "○", M::StepNotStarted)
            };
            let label = s.label(lang).to_string();
            let done_by = s
                .done_by
                .clone()
                .map(|b| view! { <br/><span class="muted">{M::By.text(lang)} " " {b}</span> });
            let act = move |a: StepAction| {
                controls
                    .step
                    .dispatch((incident, n, a, String::new(), String::new()));
            };
            let (owner, notes, edit_label) = (s.owner.clone(), s.notes.clone(), label.clone());
            let actions = can_act.then(|| {
                view! {
                    <td class="actions">
                        {(!started).then(|| view! {
                            <button type="button" class="button small" data-testid=format!("step-start-{n}")
                                aria-label=format!("{}: {label}", M::Start.text(lang))
                                disabled=move || pending.get() on:click=move |_| act(StepAction::Start)>{M::Start.text(lang)}</button>
                        })}
                        {(!done).then(|| view! {
                            <button type="button" class="button small primary" data-testid=format!("step-done-{n}")
                                aria-label=format!("{}: {}", M::Tick.text(lang), s.label(lang))
                                disabled=move || pending.get() on:click=move |_| act(StepAction::Done)>
                                <span aria-hidden="true">"✓ "</span>{M::Tick.text(lang)}
                            </button>
                        })}
                        {done.then(|| view! {
                            <button type="button" class="button small" data-testid=format!("step-undo-{n}")
                                aria-label=format!("{}: {}", M::Untick.text(lang), s.label(lang))
                                disabled=move || pending.get() on:click=move |_| act(StepAction::Undone)>{M::Untick.text(lang)}</button>
                        })}
                        <button type="button" class="button small link" data-testid=format!("step-edit-{n}")
                            on:click=move |_| {
                                controls.save.value().set(None);
                                controls.owner.set(owner.clone());
                                controls.notes.set(notes.clone());
                                controls.editing.set(Some((incident, n, edit_label.clone())));
                            }>{M::Edit.text(lang)}</button>
                    </td>
                }
            });
            view! {
                <tr data-testid=format!("step-{n}") data-done=done.to_string()>
                    <td>{n}</td>
                    <th scope="row">{s.label(lang).to_string()}</th>
                    <td data-testid=format!("step-status-{n}")>
                        <span class=status_class><span aria-hidden="true">{status_icon}</span> " " {status_word.text(lang)}</span>
                    </td>
                    <td data-testid=format!("step-owner-{n}")>{if s.owner.is_empty() { "—".to_string() } else { s.owner.clone() }}</td>
                    <td>{when(s.started_at, declared, tz, lang)}</td>
                    <td>{when(s.done_at, declared, tz, lang)} {done_by}</td>
                    <td class="step-notes" data-testid=format!("step-notes-{n}")>{if s.notes.is_empty() { "—".to_string() } else { s.notes.clone() }}</td>
                    {actions}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="runbook" data-testid=testid>
                <thead><tr>
                    <th scope="col">"#"</th>
                    <th scope="col">{M::ColStep.text(lang)}</th>
                    <th scope="col">{M::ColStatus.text(lang)}</th>
                    <th scope="col">{M::ColOwner.text(lang)}</th>
                    <th scope="col">{M::ColStarted.text(lang)}</th>
                    <th scope="col">{M::ColDone.text(lang)}</th>
                    <th scope="col">{M::ColNotes.text(lang)}</th>
                    {can_act.then(|| view! { <th scope="col">{M::ColActions.text(lang)}</th> })}
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The owner and notes of one step (operators), outside the checklist that
/// polls, so typing is never interrupted.
#[component]
fn StepEditor(controls: Controls) -> impl IntoView {
    let lang = use_lang();
    let Controls {
        save,
        editing,
        owner,
        notes,
        ..
    } = controls;
    let owner_ref = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if editing.with(Option::is_some) {
            request_animation_frame(move || {
                if let Some(el) = owner_ref.get_untracked() {
                    let _ = el.focus();
                }
            });
        }
    });
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(()))) {
            editing.set(None);
        }
    });
    let result = save.value();
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
    let heading = move || {
        editing.get().map(|(_, n, label)| {
            fill(
                M::EditTitle.text(lang),
                &[("n", &n.to_string()), ("step", &label)],
            )
        })
    };
    view! {
        // Drawn only while a step is being edited: viewers never get its buttons.
        <Show when=move || editing.with(Option::is_some)>
        <section class="card step-editor" data-testid="step-editor">
            <h2>{heading}</h2>
            <form class="stack" novalidate on:submit=move |ev| {
                ev.prevent_default();
                if let Some((id, n, _)) = editing.get_untracked() {
                    save.dispatch((id, n, StepAction::Save, owner.get_untracked(), notes.get_untracked()));
                }
            }>
                <div class="field">
                    <label for="step-owner">{M::ColOwner.text(lang)}</label>
                    <input id="step-owner" type="text" maxlength="100" data-testid="step-owner" node_ref=owner_ref
                        prop:value=move || owner.get() on:input=move |ev| owner.set(event_target_value(&ev))/>
                    <span class="field-error">{err("owner")}</span>
                </div>
                <div class="field">
                    <label for="step-notes">{M::ColNotes.text(lang)}</label>
                    <textarea id="step-notes" rows="4" data-testid="step-notes"
                        prop:value=move || notes.get() on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
                    <span class="field-error">{err("notes")}</span>
                </div>
                <p class="alert alert-error" role="alert" hidden=move || general().is_none()>{general}</p>
                <div class="row">
                    <button type="submit" class="button primary" data-testid="step-save"
                        disabled=move || save.pending().get()>{M::SaveStep.text(lang)}</button>
                    <button type="button" class="button link" on:click=move |_| editing.set(None)>{M::Close.text(lang)}</button>
                </div>
            </form>
        </section>
        </Show>
    }
}

/// Resolving (operators): closing notes, then a confirmation naming the incident.
#[component]
fn ResolvePanel(controls: Controls) -> impl IntoView {
    let lang = use_lang();
    let Controls {
        resolve,
        resolving,
        closing_notes,
        ..
    } = controls;
    Effect::new(move |_| {
        if matches!(resolve.value().get(), Some(Ok(()))) {
            resolving.set(None);
            closing_notes.set(String::new());
        }
    });
    let error = move || {
        resolve
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_text(&e))
    };
    view! {
        <Show when=move || resolving.with(Option::is_some)>
        <section class="card resolve-panel" data-testid="resolve-panel">
            <h2>{M::Resolve.text(lang)}</h2>
            <form class="stack" novalidate on:submit=move |ev| {
                ev.prevent_default();
                let Some((id, title, open)) = resolving.get_untracked() else {
                    return;
                };
                let mut text = fill(
                    M::ConfirmResolve.text(lang),
                    &[("id", &id.to_string()), ("title", &title)],
                );
                if open > 0 {
                    text.push(' ');
                    text.push_str(&fill(M::ConfirmOpenSteps.text(lang), &[("n", &open.to_string())]));
                }
                if confirm(&text) {
                    resolve.dispatch((id, closing_notes.get_untracked()));
                }
            }>
                <div class="field">
                    <label for="resolve-notes">{M::ResolveNotes.text(lang)}</label>
                    <textarea id="resolve-notes" rows="3" data-testid="resolve-notes"
                        prop:value=move || closing_notes.get() on:input=move |ev| closing_notes.set(event_target_value(&ev))></textarea>
                </div>
                <p class="alert alert-error" role="alert" hidden=move || error().is_none()>{error}</p>
                <div class="row">
                    <button type="submit" class="button danger" data-testid="resolve-confirm"
                        disabled=move || resolve.pending().get()>{M::Resolve.text(lang)}</button>
                    <button type="button" class="button link" on:click=move |_| resolving.set(None)>{M::Close.text(lang)}</button>
                </div>
            </form>
        </section>
        </Show>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod render_tests {
    use super::*;
    use crate::model::incidents::{clock, report_markdown, IncidentRow, IncidentSeverity};
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Tokyo
            .with_ymd_and_hms(2026, 12, 6, h, m, 0)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn detail(status: IncidentStatus) -> IncidentDetail {
        let resolved = (status == IncidentStatus::Resolved).then(|| at(5, 0));
        let incident = IncidentRow {
            id: 4,
            title: "Primary database lost".into(),
            severity: IncidentSeverity::Critical,
            status,
            declared_by: "operator".into(),
            declared_at: at(2, 0),
            resolved_at: resolved,
            resolved_by: resolved.map(|_| "operator".into()),
            notes: String::new(),
            rto_minutes: 240,
            steps_done: 1,
            steps_total: 2,
            recovered_at: resolved,
        };
        let step = |position: i32, key: &str, done: bool| StepView {
            position,
            section: if position > 7 {
                "recovery"
            } else {
                "procedure"
            }
            .into(),
            key: key.into(),
            label_en: format!("Label {key}"),
            label_ja: key.into(),
            owner: if done {
                "operator".into()
            } else {
                String::new()
            },
            started_at: done.then(|| at(2, 0)),
            started_by: done.then(|| "operator".into()),
            done_at: done.then(|| at(2, 5)),
            done_by: done.then(|| "operator".into()),
            notes: String::new(),
            updated_at: None,
            updated_by: None,
        };
        let steps = vec![step(1, "declare", true), step(8, "authentication", false)];
        let now = at(3, 0);
        IncidentDetail {
            now,
            clock: clock(&incident, now),
            report_markdown: report_markdown(
                &incident,
                &steps,
                chrono_tz::Asia::Tokyo,
                Lang::En,
                now,
            ),
            incident,
            steps,
        }
    }

    fn render(status: IncidentStatus, operator: bool) -> String {
        let owner = Owner::new();
        owner.with(|| {
            provide_context(Lang::En);
            let controls = Controls::new(RwSignal::new(0));
            let d = detail(status);
            let tz = chrono_tz::Asia::Tokyo;
            view! { <IncidentBody d=d tz=tz operator=operator controls=controls/> }
                .into_any()
                .to_html()
        })
    }

    #[test]
    fn r_bak_4_operators_work_an_open_runbook() {
        let html = render(IncidentStatus::Open, true);
        // Step 1 is done: it can be unticked; step 8 can be started or ticked.
        assert!(html.contains("data-testid=\"step-undo-1\""), "{html}");
        assert!(!html.contains("data-testid=\"step-done-1\""));
        assert!(html.contains("data-testid=\"step-start-8\""));
        assert!(html.contains("data-testid=\"step-done-8\""));
        assert!(html.contains("data-testid=\"step-edit-8\""));
        assert!(html.contains("data-testid=\"resolve-incident\""));
        assert!(
            html.contains("1 h since declaration · RTO 4 h · 3 h left"),
            "{html}"
        );
        assert!(html.contains("download=\"incident-4-report.md\""));
        assert!(
            html.contains("href=\"data:text/markdown;charset=utf-8,%23%20Post-incident%20report")
        );
    }

    #[test]
    fn r_bak_4_viewers_and_resolved_incidents_have_no_buttons() {
        for (status, operator) in [
            (IncidentStatus::Open, false),
            (IncidentStatus::Resolved, true),
        ] {
            let html = render(status, operator);
            assert!(!html.contains("<button"), "{html}");
            assert!(html.contains("data-testid=\"step-status-1\""));
            assert!(html.contains("data-testid=\"export-report\""));
        }
        let html = render(IncidentStatus::Resolved, false);
        assert!(
            html.contains("Recovered in 3 h · within the RTO of 4 h"),
            "{html}"
        );
        assert!(html.contains("data-testid=\"read-only\""));
    }
}
