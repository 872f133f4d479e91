//! Restore drills (R-BAK-3): the latest drills with their measured time
//! against the RTO; "Run drill" restores the newest built-in full backup
//! into a scratch database, checks it and drops it (operators); drills done
//! by hand are recorded with their start and end.

use super::msg::BakMsg as M;
use super::runner::DrillStatus;
use super::{
    bt, duration_text, general_msg, minutes_text, outcome_look, rto_text, target_name, BackupsCtx,
};
use crate::api::backups::record_drill;
use crate::model::backups::{DrillView, Outcome, TargetView};
use crate::use_lang;
use chrono_tz::Tz;
use leptos::prelude::*;

#[component]
pub fn DrillsSection(
    drills: Vec<DrillView>,
    targets: Vec<TargetView>,
    tz: Tz,
    operator: bool,
    rto_minutes: i64,
) -> impl IntoView {
    let ctx = expect_context::<BackupsCtx>();
    let lang = use_lang();
    // Built-in drills under way when the page loaded are watched until they end.
    for d in drills
        .iter()
        .filter(|d| d.outcome == Outcome::Running && d.built_in)
        .cloned()
    {
        Effect::new(move |_| ctx.jobs.watch_drill(d.target_id, d.clone()));
    }
    let boxes = targets
        .iter()
        .filter_map(|t| t.runner.as_ref().map(|r| (t, r.enabled)))
        .map(|(t, enabled)| {
            let id = t.id;
            let jobs = ctx.jobs;
            let busy = move || jobs.drills.with(|m| m.get(&id).is_some_and(|j| j.busy()));
            view! {
                <div class="bak-drill-box" data-testid=format!("drill-box-{}", t.key)>
                    <p><strong>{target_name(t, lang)}</strong> ": " {bt(M::DrillHelp)}</p>
                    {(operator && enabled).then(|| view! {
                        <div class="row">
                            <button type="button" class="button primary" data-testid="run-drill"
                                disabled=busy on:click=move |_| jobs.drill_now(id)>{bt(M::RunDrill)}</button>
                            <span class="muted small" hidden=move || !busy()>{bt(M::RunningHint)}</span>
                        </div>
                    })}
                    <DrillStatus target_id=id tz=tz/>
                </div>
            }
        })
        .collect_view();
    let key_of = {
        let targets = targets.clone();
        move |id: i64| {
            targets
                .iter()
                .find(|t| t.id == id)
                .map(|t| t.key.clone())
                .unwrap_or_else(|| id.to_string())
        }
    };
    let body = if drills.is_empty() {
        view! { <p class="empty-state" data-testid="drills-empty">{bt(M::DrillsEmpty)}</p> }
            .into_any()
    } else {
        let rows = drills
            .into_iter()
            .map(|d| {
                let (class, icon, word) = outcome_look(d.outcome);
                let rto = match &d.rto {
                    Some(r) => {
                        let (c, i) = if r.ok { ("status-ok", "✓ ") } else { ("status-critical", "✖ ") };
                        view! { <span class=c data-testid="drill-rto"><span aria-hidden="true">{i}</span>{rto_text(r, lang)}</span> }.into_any()
                    }
                    None => view! { <span class="status-warning" data-testid="drill-rto">{bt(M::OutcomeRunning)}</span> }.into_any(),
                };
                let details = (!(d.notes.is_empty() && d.output.is_empty())).then(|| {
                    view! {
                        <details>
                            <summary>{if d.notes.is_empty() { bt(M::Output) } else { bt(M::Notes) }}</summary>
                            {(!d.notes.is_empty()).then(|| view! { <p>{d.notes.clone()}</p> })}
                            {(!d.output.is_empty()).then(|| view! { <pre class="bak-output">{d.output.clone()}</pre> })}
                        </details>
                    }
                });
                view! {
                    <tr data-testid="drill-row" data-drill-id=d.id.to_string() data-outcome=d.outcome.as_str()>
                        <td><time>{crate::time::format(d.started_at, tz)}</time><div class="muted small">"#" {d.id}</div></td>
                        <td><code>{key_of(d.target_id)}</code></td>
                        <td>{d.run_id.map(|r| format!("#{r}")).unwrap_or_else(|| "—".into())}</td>
                        <td>{d.measured_seconds.map(|s| duration_text(s, lang)).unwrap_or_else(|| "—".into())}</td>
                        <td>{rto}</td>
                        <td><span class=class><span aria-hidden="true">{icon} " "</span>{bt(word)}</span></td>
                        <td>{d.performed_by.clone()}
                            <div class="muted small">{if d.built_in { bt(M::BuiltIn) } else { bt(M::ByHand) }}</div>
                        </td>
                        <td>{details}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table data-testid="drills">
                    <thead><tr>
                        <th scope="col">{bt(M::Started)}</th>
                        <th scope="col">{bt(M::Target)}</th>
                        <th scope="col">{bt(M::Backup)}</th>
                        <th scope="col">{bt(M::Duration)}</th>
                        <th scope="col">{bt(M::AgainstRto)}</th>
                        <th scope="col">{bt(M::Outcome)}</th>
                        <th scope="col">{bt(M::PerformedBy)}</th>
                        <th scope="col">{bt(M::Notes)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="card" id="drills" data-testid="drills-section">
            <h2>{bt(M::DrillsTitle)}</h2>
            <p class="muted">{bt(M::RtoTitle)} ": " {minutes_text(rto_minutes, lang)} " · " {bt(M::DrillsAnswer)}</p>
            {boxes}
            {body}
            {operator.then(|| view! { <RecordDrillForm targets=targets tz=tz/> })}
        </section>
    }
}

#[component]
fn RecordDrillForm(targets: Vec<TargetView>, tz: Tz) -> impl IntoView {
    let ctx = expect_context::<BackupsCtx>();
    let lang = use_lang();
    let target = RwSignal::new(
        targets
            .first()
            .map(|t| t.id.to_string())
            .unwrap_or_default(),
    );
    let started = RwSignal::new(String::new());
    let finished = RwSignal::new(String::new());
    let outcome = RwSignal::new("ok".to_string());
    let run_id = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let key = "record-drill";
    let save = Action::new(move |_: &()| {
        let a = (
            target.get_untracked().parse::<i64>().unwrap_or(0),
            started.get_untracked(),
            finished.get_untracked(),
            outcome.get_untracked(),
            run_id.get_untracked(),
            notes.get_untracked(),
        );
        async move { record_drill(a.0, a.1, a.2, a.3, a.4, a.5).await }
    });
    let result = save.value();
    Effect::new(move |_| {
        if let Some(Ok(d)) = result.get() {
            let text = match &d.rto {
                Some(r) => format!(
                    "{} #{} · {}",
                    bt(M::DrillRecorded),
                    d.id,
                    rto_text(r, use_lang())
                ),
                None => format!("{} #{}", bt(M::DrillRecorded), d.id),
            };
            ctx.say(key, text);
            ctx.reload();
        }
    });
    let err = move |field: &'static str| move || super::field_msg(&result.get(), field);
    let general = move || {
        general_msg(
            &result.get(),
            &["started", "finished", "outcome", "run_id", "notes"],
        )
    };
    let options = targets
        .iter()
        .map(|t| {
            let v = t.id.to_string();
            let sel = v.clone();
            view! { <option value=v selected=move || target.get() == sel>{target_name(t, lang)}</option> }
        })
        .collect_view();
    let input = move |id: &'static str, label: M, kind: &'static str, value: RwSignal<String>| {
        let e = err(id);
        view! {
            <div class="field">
                <label for=format!("drill-{id}")>{bt(label)}</label>
                <input id=format!("drill-{id}") type=kind prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                    aria-invalid=move || e().is_some().to_string()/>
                <span class="field-error" data-testid=format!("err-drill-{id}")>{err(id)}</span>
            </div>
        }
    };
    view! {
        <details class="bak-form">
            <summary>{bt(M::RecordDrill)}</summary>
            <form class="stack" data-testid="record-drill-form" on:submit=move |ev| {
                ev.prevent_default();
                ctx.hush(key);
                save.dispatch(());
            }>
                <div class="field">
                    <label for="drill-target">{bt(M::Target)}</label>
                    <select id="drill-target" prop:value=move || target.get() on:change=move |ev| target.set(event_target_value(&ev))>
                        {options}
                    </select>
                </div>
                {input("started", M::Started, "datetime-local", started)}
                {input("finished", M::Finished, "datetime-local", finished)}
                <p class="muted small">{bt(M::TimesIn)} " " {tz.name()}</p>
                <div class="field">
                    <label for="drill-outcome">{bt(M::Outcome)}</label>
                    <select id="drill-outcome" prop:value=move || outcome.get() on:change=move |ev| outcome.set(event_target_value(&ev))>
                        <option value="ok" selected=move || outcome.get() == "ok">{bt(M::OutcomeOk)}</option>
                        <option value="failed" selected=move || outcome.get() == "failed">{bt(M::OutcomeFailed)}</option>
                    </select>
                    <span class="field-error">{err("outcome")}</span>
                </div>
                {input("run_id", M::RestoredRun, "number", run_id)}
                <div class="field">
                    <label for="drill-notes">{bt(M::Notes)}</label>
                    <textarea id="drill-notes" rows="3" prop:value=move || notes.get()
                        on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
                    <span class="field-error">{err("notes")}</span>
                </div>
                <p class="alert alert-error" role="alert" hidden=move || general().is_none()>{general}</p>
                <button type="submit" class="button primary" data-testid="record-drill"
                    disabled=move || save.pending().get()>{bt(M::RecordDrillButton)}</button>
            </form>
        </details>
        <p class="alert alert-ok" role="status" data-testid="drill-recorded"
            hidden=move || ctx.said(key).is_none()>{move || ctx.said(key)}</p>
    }
}
