//! One backup target (R-BAK-1): its state, its built-in runner with "Run
//! backup now", its schedule (edited by operators) and the timeline of
//! expected vs actual runs over the last two days and the next one.

use super::msg::BakMsg as M;
use super::runner::RunStatus;
use super::{
    ago, bt, cadence_text, general_msg, human_size, kind_text, outcome_look, rpo_text, short_time,
    slot_look, target_name, BackupsCtx,
};
use crate::api::backups::{delete_schedule, save_schedule};
use crate::components::confirm::confirm;
use crate::components::error_box::ErrorBox;
use crate::i18n::{fill, Msg};
use crate::model::backups::{Cadence, Outcome, ScheduleView, TargetView, TimelineView};
use crate::{tr, use_lang};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use leptos::prelude::*;

#[component]
pub fn TargetSection(t: TargetView, tz: Tz, operator: bool, now: DateTime<Utc>) -> impl IntoView {
    let ctx = expect_context::<BackupsCtx>();
    let lang = use_lang();
    let id = t.id;
    // A built-in run under way when the page loaded is watched until it ends.
    if let Some(run) = t
        .last_run
        .clone()
        .filter(|r| r.outcome == Outcome::Running && r.built_in)
    {
        Effect::new(move |_| ctx.jobs.watch_run(id, run.clone()));
    }
    let rpo = t.rpo.as_ref().map(|r| {
        let (class, icon) = if r.status.ok {
            ("status-ok", "✓ ")
        } else {
            ("status-critical", "✖ ")
        };
        view! { <p class=class data-testid="target-rpo"><span aria-hidden="true">{icon}</span>{rpo_text(r, lang)}</p> }
    });
    let last = match &t.last_run {
        None => view! { <p class="muted">{bt(M::LastBackup)} ": " {bt(M::NoneYet)}</p> }.into_any(),
        Some(r) => {
            let (class, icon, word) = outcome_look(r.outcome);
            view! {
                <p data-testid="target-last-run">
                    {bt(M::LastBackup)} ": " {kind_text(r.kind, lang)} " · "
                    {crate::time::format(r.started_at, tz)} " (" {ago((now - r.started_at).num_seconds(), lang)} ") · "
                    <span class=class><span aria-hidden="true">{icon} " "</span>{bt(word)}</span>
                    " · " {human_size(r.size_bytes)}
                </p>
            }
            .into_any()
        }
    };
    let runner = match t.runner.clone() {
        None => view! { <p class="muted" data-testid="no-runner">{bt(M::NoRunner)}</p> }.into_any(),
        Some(r) => {
            let enabled = r.enabled;
            let dir = if r.directory.is_empty() {
                bt(M::DefaultDirectory).to_string()
            } else {
                r.directory.clone()
            };
            let jobs = ctx.jobs;
            let busy = move || jobs.runs.with(|m| m.get(&id).is_some_and(|j| j.busy()));
            view! {
                <div class="bak-runner" data-testid="runner">
                    <p>
                        {bt(M::BuiltInRunner)} ": " <code>{r.command.clone()}</code>
                        " → " <span class="mono">{dir}</span>
                        {(!enabled).then(|| view! { " " <span class="status-unknown">"○ " {bt(M::RunnerOff)}</span> })}
                    </p>
                    {(operator && enabled).then(|| view! {
                        <div class="row">
                            <button type="button" class="button primary" data-testid="run-now"
                                disabled=busy on:click=move |_| jobs.run_now(id)>
                                {bt(M::RunNow)}
                            </button>
                            <span class="muted small" hidden=move || !busy()>{bt(M::RunningHint)}</span>
                        </div>
                    })}
                    <RunStatus target_id=id tz=tz/>
                </div>
            }
            .into_any()
        }
    };
    let name = target_name(&t, lang);
    view! {
        <section class="card" id=format!("target-{}", t.key) data-testid=format!("target-{}", t.key)>
            <h3>{name} " " <code class="muted">{t.key.clone()}</code></h3>
            {rpo}
            {last}
            {runner}
            <Schedule t=t.clone() operator=operator/>
            <Timeline target_id=id tz=tz/>
        </section>
    }
}

#[component]
fn Schedule(t: TargetView, operator: bool) -> impl IntoView {
    let ctx = expect_context::<BackupsCtx>();
    let lang = use_lang();
    let target_id = t.id;
    let key = format!("schedule-{target_id}");
    let form = ScheduleForm::new();
    let delete = Action::new(move |id: &i64| {
        let id = *id;
        async move { delete_schedule(id).await }
    });
    let deleted_key = key.clone();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            ctx.say(&deleted_key, bt(M::ScheduleDeleted).to_string());
            ctx.reload();
        }
    });
    let delete_error = move || general_msg(&delete.value().get(), &[]);
    let rows = t
        .schedules
        .iter()
        .map(|s| {
            let id = s.id;
            let edit = s.clone();
            let label = format!("{} — {}", kind_text(s.kind, lang), cadence_text(s, lang));
            let question = fill_confirm(&label);
            view! {
                <tr data-testid="schedule-row">
                    <td>{kind_text(s.kind, lang)}</td>
                    <td>{cadence_text(s, lang)}</td>
                    <td>{if s.enabled {
                        view! { <span class="status-ok"><span aria-hidden="true">"✓ "</span>{bt(M::On)}</span> }.into_any()
                    } else {
                        view! { <span class="status-unknown"><span aria-hidden="true">"○ "</span>{bt(M::Off)}</span> }.into_any()
                    }}</td>
                    <td>{if s.note.is_empty() { "—".to_string() } else { s.note.clone() }}</td>
                    {operator.then(|| view! {
                        <td class="actions">
                            <button type="button" class="button small" data-testid="edit-schedule"
                                on:click=move |_| form.load(&edit)>{bt(M::Edit)}</button>
                            <button type="button" class="button small danger" data-testid="delete-schedule"
                                on:click=move |_| if confirm(&question) { delete.dispatch(id); }>{bt(M::Delete)}</button>
                        </td>
                    })}
                </tr>
            }
        })
        .collect_view();
    let flash_key = key.clone();
    view! {
        <h4>{bt(M::ScheduleTitle)}</h4>
        {if t.schedules.is_empty() {
            view! { <p class="muted">{bt(M::NoSchedule)}</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table data-testid="schedule">
                        <thead><tr>
                            <th scope="col">{bt(M::Kind)}</th>
                            <th scope="col">{bt(M::Cadence)}</th>
                            <th scope="col">{bt(M::Enabled)}</th>
                            <th scope="col">{bt(M::Note)}</th>
                            {operator.then(|| view! { <th scope="col">{tr(Msg::Actions)}</th> })}
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }.into_any()
        }}
        <p class="alert alert-error" role="alert" hidden=move || delete_error().is_none()>{delete_error}</p>
        <p class="alert alert-ok" role="status" data-testid="schedule-saved"
            hidden=move || ctx.said(&flash_key).is_none()>{let k = key.clone(); move || ctx.said(&k)}</p>
        {operator.then(|| view! { <ScheduleFormView target_id=target_id form=form/> })}
    }
}

fn fill_confirm(label: &str) -> String {
    fill(bt(M::ConfirmDeleteSchedule), &[("entry", label)])
}

/// The inputs of the schedule form; `editing` is the entry being changed.
#[derive(Clone, Copy)]
struct ScheduleForm {
    editing: RwSignal<Option<i64>>,
    kind: RwSignal<String>,
    cadence: RwSignal<String>,
    at: RwSignal<String>,
    every: RwSignal<String>,
    enabled: RwSignal<bool>,
    note: RwSignal<String>,
}

impl ScheduleForm {
    fn new() -> Self {
        ScheduleForm {
            editing: RwSignal::new(None),
            kind: RwSignal::new("full".into()),
            cadence: RwSignal::new("daily".into()),
            at: RwSignal::new("02:00".into()),
            every: RwSignal::new(String::new()),
            enabled: RwSignal::new(true),
            note: RwSignal::new(String::new()),
        }
    }

    fn load(self, s: &ScheduleView) {
        self.editing.set(Some(s.id));
        self.kind
            .set(crate::model::backups::kind_str(s.kind).to_string());
        self.cadence.set(s.cadence.as_str().to_string());
        self.at.set(s.at_local.clone());
        self.every
            .set(s.every_minutes.map(|m| m.to_string()).unwrap_or_default());
        self.enabled.set(s.enabled);
        self.note.set(s.note.clone());
    }

    fn clear(self) {
        self.editing.set(None);
        self.kind.set("full".into());
        self.cadence.set("daily".into());
        self.at.set("02:00".into());
        self.every.set(String::new());
        self.enabled.set(true);
        self.note.set(String::new());
    }
}

#[component]
fn ScheduleFormView(target_id: i64, form: ScheduleForm) -> impl IntoView {
    let ctx = expect_context::<BackupsCtx>();
    let key = format!("schedule-{target_id}");
    let save = Action::new(move |_: &()| {
        let a = (
            form.editing
                .get_untracked()
                .map(|i| i.to_string())
                .unwrap_or_default(),
            form.kind.get_untracked(),
            form.cadence.get_untracked(),
            form.at.get_untracked(),
            form.every.get_untracked(),
            form.enabled.get_untracked(),
            form.note.get_untracked(),
        );
        async move { save_schedule(target_id, a.0, a.1, a.2, a.3, a.4, a.5, a.6).await }
    });
    let result = save.value();
    let saved_key = key.clone();
    Effect::new(move |_| {
        if let Some(Ok(_)) = result.get() {
            ctx.say(&saved_key, bt(M::ScheduleSaved).to_string());
            form.clear();
            ctx.reload();
        }
    });
    let err = move |field: &'static str| move || super::field_msg(&result.get(), field);
    let general = move || {
        general_msg(
            &result.get(),
            &["kind", "cadence", "at_local", "every_minutes", "note"],
        )
    };
    let p = format!("s{target_id}");
    let kind_options = ["full", "differential", "incremental", "log"]
        .into_iter()
        .map(|k| {
            let label = crate::model::backups::parse_kind(k)
                .map(bt_kind)
                .unwrap_or_default();
            view! { <option value=k selected=move || form.kind.get() == k>{label}</option> }
        })
        .collect_view();
    let cadence_options = [
        (Cadence::Daily, M::CadenceDaily),
        (Cadence::Every, M::CadenceEvery),
        (Cadence::Continuous, M::CadenceContinuous),
        (Cadence::Git, M::CadenceGit),
    ]
    .into_iter()
    .map(|(c, label)| {
        let v = c.as_str();
        view! { <option value=v selected=move || form.cadence.get() == v>{bt(label)}</option> }
    })
    .collect_view();
    let needs_interval =
        move || Cadence::parse(&form.cadence.get()).is_some_and(Cadence::has_interval);
    let ids = (
        format!("{p}-kind"),
        format!("{p}-cadence"),
        format!("{p}-at"),
        format!("{p}-every"),
        format!("{p}-note"),
    );
    view! {
        <details class="bak-form" open=move || form.editing.get().is_some()>
            <summary>{move || if form.editing.get().is_some() { bt(M::EditEntry) } else { bt(M::AddEntry) }}</summary>
            <form class="stack" data-testid="schedule-form" on:submit=move |ev| {
                ev.prevent_default();
                ctx.hush(&key);
                save.dispatch(());
            }>
                <div class="field">
                    <label for=ids.0.clone()>{bt(M::Kind)}</label>
                    <select id=ids.0.clone() on:change=move |ev| form.kind.set(event_target_value(&ev))
                        prop:value=move || form.kind.get()>{kind_options}</select>
                    <span class="field-error">{err("kind")}</span>
                </div>
                <div class="field">
                    <label for=ids.1.clone()>{bt(M::Cadence)}</label>
                    <select id=ids.1.clone() on:change=move |ev| form.cadence.set(event_target_value(&ev))
                        prop:value=move || form.cadence.get()>{cadence_options}</select>
                    <span class="field-error">{err("cadence")}</span>
                </div>
                <div class="field">
                    <label for=ids.2.clone()>{bt(M::AtLocal)}</label>
                    <input id=ids.2.clone() type="time" prop:value=move || form.at.get()
                        on:input=move |ev| form.at.set(event_target_value(&ev))
                        aria-invalid=move || err("at_local")().is_some().to_string()/>
                    <span class="field-error">{err("at_local")}</span>
                </div>
                <div class="field" hidden=move || !needs_interval()>
                    <label for=ids.3.clone()>{bt(M::EveryMinutes)}</label>
                    <input id=ids.3.clone() type="number" min="1" max="1440" prop:value=move || form.every.get()
                        on:input=move |ev| form.every.set(event_target_value(&ev))
                        aria-invalid=move || err("every_minutes")().is_some().to_string()/>
                    <span class="field-error">{err("every_minutes")}</span>
                </div>
                <label class="check">
                    <input type="checkbox" prop:checked=move || form.enabled.get()
                        on:change=move |ev| form.enabled.set(event_target_checked(&ev))/>
                    " " {bt(M::Enabled)}
                </label>
                <div class="field">
                    <label for=ids.4.clone()>{bt(M::Note)}</label>
                    <input id=ids.4.clone() prop:value=move || form.note.get()
                        on:input=move |ev| form.note.set(event_target_value(&ev))/>
                    <span class="field-error">{err("note")}</span>
                </div>
                <p class="alert alert-error" role="alert" hidden=move || general().is_none()>{general}</p>
                <div class="row">
                    <button type="submit" class="button primary" data-testid="save-schedule"
                        disabled=move || save.pending().get()>
                        {move || if form.editing.get().is_some() { bt(M::SaveEntry) } else { bt(M::AddEntry) }}
                    </button>
                    <button type="button" class="button link" hidden=move || form.editing.get().is_none()
                        on:click=move |_| form.clear()>{tr(Msg::Cancel)}</button>
                </div>
            </form>
        </details>
    }
}

fn bt_kind(k: opsdeck::backup_retention::BackupKind) -> &'static str {
    kind_text(k, use_lang())
}

/// Expected vs actual runs of each schedule entry (from the page's resource).
#[component]
fn Timeline(target_id: i64, tz: Tz) -> impl IntoView {
    let ctx = expect_context::<BackupsCtx>();
    view! {
        <h4>{bt(M::TimelineTitle)}</h4>
        <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
            {move || Suspend::new(async move {
                match ctx.timelines.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(all) => {
                        let entries = all
                            .into_iter()
                            .find(|(id, _)| *id == target_id)
                            .map(|(_, l)| l)
                            .unwrap_or_default();
                        view! { <TimelineEntries entries=entries tz=tz/> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn TimelineEntries(entries: Vec<TimelineView>, tz: Tz) -> impl IntoView {
    let lang = use_lang();
    if entries.is_empty() {
        return view! { <p class="muted">{bt(M::NoSchedule)}</p> }.into_any();
    }
    let rows = entries
        .into_iter()
        .map(|e| {
            let missed = e
                .slots
                .iter()
                .filter(|s| s.status == crate::model::backups::SlotStatus::Missed)
                .count();
            let continuous = e.schedule.cadence == Cadence::Continuous;
            let git = e.schedule.cadence == Cadence::Git;
            // A continuous entry expects a run every few minutes: its
            // upcoming slots are counted, not listed.
            let upcoming = e
                .slots
                .iter()
                .filter(|s| s.status == crate::model::backups::SlotStatus::Upcoming)
                .count();
            let chips = e
                .slots
                .iter()
                .filter(|s| !(continuous && s.status == crate::model::backups::SlotStatus::Upcoming))
                .map(|s| {
                    let (class, icon, word) = slot_look(s.status);
                    let title = match s.run_id {
                        Some(r) => format!("{} · {} #{r}", crate::time::format(s.expected_at, tz), bt(M::Run)),
                        None => crate::time::format(s.expected_at, tz),
                    };
                    let testid = if s.status == crate::model::backups::SlotStatus::Missed {
                        "slot-missed"
                    } else {
                        "slot"
                    };
                    view! {
                        <li class=format!("bak-slot {class}") title=title data-testid=testid>
                            <span aria-hidden="true">{icon}</span> " "
                            <time>{short_time(s.expected_at, tz)}</time> " " {bt(word)}
                        </li>
                    }
                })
                .collect_view();
            let summary = if git {
                bt(M::GitNothingExpected).to_string()
            } else if continuous {
                fill(
                    bt(M::ContinuousSummary),
                    &[
                        ("ok", &e.ok_slots.to_string()),
                        ("upcoming", &upcoming.to_string()),
                    ],
                )
            } else {
                String::new()
            };
            let label = format!(
                "{} — {}",
                kind_text(e.schedule.kind, lang),
                cadence_text(&e.schedule, lang)
            );
            view! {
                <li class="bak-timeline-entry" data-testid="timeline-entry">
                    <p>
                        <strong>{label}</strong>
                        {(!e.schedule.enabled).then(|| view! { " " <span class="status-unknown">"○ " {bt(M::Off)}</span> })}
                        {(missed > 0).then(|| view! {
                            " " <span class="status-critical" data-testid="missed-count">
                                <span aria-hidden="true">"⚠ "</span>{fill(bt(M::MissedCount), &[("n", &missed.to_string())])}
                            </span>
                        })}
                        {(!summary.is_empty()).then(|| view! { " " <span class="muted">{summary.clone()}</span> })}
                    </p>
                    <ol class="bak-slots">{chips}</ol>
                </li>
            }
        })
        .collect_view();
    view! {
        <p class="muted small">{bt(M::TimelineHelp)}</p>
        <ul class="plain" data-testid="timeline">{rows}</ul>
    }
    .into_any()
}
