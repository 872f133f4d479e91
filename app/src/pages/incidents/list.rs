//! `/incidents`: "is there an incident, and where does it stand?" — every
//! incident with its progress and time against the RTO, open ones first;
//! for operators the "Declare incident" form, which opens the new runbook.

use super::msg::IncMsg as M;
use super::{clock_text, it, severity_badge, status_badge};
use crate::api::incidents::{declare_incident, list_incidents};
use crate::components::error_box::{error_text, ErrorBox};
use crate::components::layout::use_shell;
use crate::error::AppError;
use crate::i18n::{fill, Lang, Msg};
use crate::model::incidents::{
    clock, duration_text, IncidentRow, IncidentSeverity, IncidentStatus, IncidentsView,
};
use crate::role::{Access, Role};
use crate::{tr, use_lang};
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn IncidentsPage() -> impl IntoView {
    // Created here, at the page's top level: a resource created inside a
    // `Suspend` does not hydrate.
    let reload = RwSignal::new(0u32);
    let data = Resource::new(move || reload.get(), |_| list_incidents());
    let shell = use_shell();
    view! {
        <Title text=it(M::Title)/>
        <div class="incidents">
            <h1>{it(M::Title)}</h1>
            <Suspense fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    let state = match shell {
                        Some(s) => s.await.ok(),
                        None => None,
                    };
                    let tz = crate::time::zone(&state.as_ref().map(|s| s.time_zone.clone()).unwrap_or_default());
                    let operator = state
                        .and_then(|s| s.user)
                        .is_some_and(|u| u.can(Access::AnyOf(&[Role::Operator])));
                    view! {
                        <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
                            {move || Suspend::new(async move {
                                match data.await {
                                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                                    Ok(v) => view! { <IncidentsBody v=v tz=tz operator=operator/> }.into_any(),
                                }
                            })}
                        </Transition>
                        // Outside the reloading list, so a reload cannot replace the form under the person.
                        {operator.then(|| view! { <DeclareForm/> })}
                    }
                })}
            </Suspense>
        </div>
    }
}

/// "Open now: 1 · RTO 4 h", or "No open incident …".
fn answer(v: &IncidentsView, lang: Lang) -> String {
    let open = v
        .incidents
        .iter()
        .filter(|i| i.status == IncidentStatus::Open)
        .count();
    let rto = fill(
        M::RtoIs.text(lang),
        &[("rto", &duration_text(i64::from(v.rto_minutes) * 60, lang))],
    );
    if open == 0 {
        format!("{} · {rto}", M::NoOpen.text(lang))
    } else {
        format!(
            "{} · {rto}",
            fill(M::OpenNow.text(lang), &[("n", &open.to_string())])
        )
    }
}

#[component]
fn IncidentsBody(v: IncidentsView, tz: Tz, operator: bool) -> impl IntoView {
    let lang = use_lang();
    let answer_text = answer(&v, lang);
    let now = v.now;
    let body = if v.incidents.is_empty() {
        let text = if operator { M::EmptyOperator } else { M::Empty };
        view! { <p class="empty-state" data-testid="incidents-empty">{text.text(lang)}</p> }
            .into_any()
    } else {
        let rows = v
            .incidents
            .into_iter()
            .map(|r| row(r, tz, lang, now))
            .collect_view();
        view! {
            <div class="table-wrap">
                <table data-testid="incidents-table">
                    <thead><tr>
                        <th scope="col">{M::ColId.text(lang)}</th>
                        <th scope="col">{M::ColIncident.text(lang)}</th>
                        <th scope="col">{M::ColSeverity.text(lang)}</th>
                        <th scope="col">{M::ColStatus.text(lang)}</th>
                        <th scope="col">{M::ColDeclared.text(lang)}</th>
                        <th scope="col">{M::ColProgress.text(lang)}</th>
                        <th scope="col">{M::ColClock.text(lang)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <p class="answer" data-testid="incidents-answer">{answer_text}</p>
        <section class="card">{body}</section>
    }
}

fn row(r: IncidentRow, tz: Tz, lang: Lang, now: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    let c = clock(&r, now);
    let (class, icon, text) = clock_text(&c, lang);
    let href = format!("/incidents/{}", r.id);
    let declared = format!(
        "{} · {}",
        crate::time::format(r.declared_at, tz),
        r.declared_by
    );
    view! {
        <tr data-testid="incident-row" data-status=r.status.as_str()>
            <td>{format!("#{}", r.id)}</td>
            <td><a href=href data-testid="incident-link">{r.title.clone()}</a></td>
            <td>{severity_badge(r.severity, lang)}</td>
            <td>{status_badge(r.status, lang)}</td>
            <td>{declared}</td>
            <td>{format!("{} / {}", r.steps_done, r.steps_total)}</td>
            <td><span class=class><span aria-hidden="true">{icon}</span> " " {text}</span></td>
        </tr>
    }
}

/// The declare form (operators): title, severity, notes; on success, the
/// new incident's runbook.
#[component]
fn DeclareForm() -> impl IntoView {
    let lang = use_lang();
    let title = RwSignal::new(String::new());
    let severity = RwSignal::new(IncidentSeverity::Critical.as_str().to_string());
    let notes = RwSignal::new(String::new());
    let declare = Action::new(|a: &(String, String, String)| {
        let (t, s, n) = a.clone();
        async move { declare_incident(t, s, n).await }
    });
    let result = declare.value();
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = result.get() {
            navigate(&format!("/incidents/{id}"), Default::default());
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
    let options = IncidentSeverity::ALL
        .into_iter()
        .map(|s| view! { <option value=s.as_str()>{s.label(lang)}</option> })
        .collect_view();
    view! {
        <section class="card" data-testid="declare-section">
            <h2>{M::DeclareTitle.text(lang)}</h2>
            <p class="muted">{M::DeclareHint.text(lang)}</p>
            <form class="stack" data-testid="declare-incident" novalidate
                on:submit=move |ev| {
                    ev.prevent_default();
                    declare.dispatch((title.get_untracked(), severity.get_untracked(), notes.get_untracked()));
                }>
                <div class="field">
                    <label for="incident-title">{M::FieldTitle.text(lang)}</label>
                    <input id="incident-title" type="text" name="title" maxlength="200" data-testid="incident-title-input"
                        prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev))
                        aria-invalid=move || err("title")().is_some().to_string()/>
                    <span class="field-error" data-testid="err-title">{err("title")}</span>
                </div>
                <div class="field">
                    <label for="incident-severity">{M::FieldSeverity.text(lang)}</label>
                    <select id="incident-severity" name="severity" data-testid="incident-severity-input"
                        prop:value=move || severity.get() on:change=move |ev| severity.set(event_target_value(&ev))>
                        {options}
                    </select>
                    <span class="field-error" data-testid="err-severity">{err("severity")}</span>
                </div>
                <div class="field">
                    <label for="incident-notes">{M::FieldNotes.text(lang)}</label>
                    <textarea id="incident-notes" name="notes" rows="3" data-testid="incident-notes-input"
                        prop:value=move || notes.get() on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
                    <span class="field-error" data-testid="err-notes">{err("notes")}</span>
                </div>
                <p class="alert alert-error" role="alert" hidden=move || general().is_none()>{general}</p>
                <div class="row">
                    <button type="submit" class="button primary" data-testid="declare-submit"
                        disabled=move || declare.pending().get()>{M::DeclareSubmit.text(lang)}</button>
                </div>
            </form>
        </section>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod render_tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_answer_names_the_open_incidents_and_the_rto() {
        let at = chrono_tz::Asia::Tokyo
            .with_ymd_and_hms(2026, 12, 6, 2, 0, 0)
            .single()
            .map(|t| t.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        let mut v = IncidentsView {
            now: at,
            incidents: Vec::new(),
            rto_minutes: 240,
        };
        assert!(answer(&v, Lang::En).starts_with("No open incident."));
        assert!(answer(&v, Lang::En).ends_with("· RTO 4 h"));
        v.incidents.push(IncidentRow {
            id: 1,
            title: "x".into(),
            severity: IncidentSeverity::Critical,
            status: IncidentStatus::Open,
            declared_by: "operator".into(),
            declared_at: at,
            resolved_at: None,
            resolved_by: None,
            notes: String::new(),
            rto_minutes: 240,
            steps_done: 0,
            steps_total: 11,
            recovered_at: None,
        });
        assert_eq!(answer(&v, Lang::Ja), "対応中: 1 件 · RTO 4 時間");
    }
}
