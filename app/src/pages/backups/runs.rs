//! The catalogue (R-BAK-1): every run reported by an agent or made by the
//! built-in runner, filtered by target, kind and outcome, 50 a page, each
//! with its size, checksum, location and output.

use super::msg::BakMsg as M;
use super::{
    bt, duration_text, human_size, kind_text, outcome_look, short_checksum, target_name, Params,
};
use crate::api::backups::load_run;
use crate::components::error_box::error_text;
use crate::components::pager::Pager;
use crate::i18n::Msg;
use crate::model::backups::{RunView, TargetView};
use crate::model::Page;
use crate::{tr, use_lang};
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos_router::components::Form;
use opsdeck::backup_retention::BackupKind;

#[component]
pub fn RunsSection(
    runs: Page<RunView>,
    targets: Vec<TargetView>,
    params: Params,
    tz: Tz,
) -> impl IntoView {
    let lang = use_lang();
    let filtered =
        !(params.target.is_empty() && params.kind.is_empty() && params.outcome.is_empty());
    let target_options = targets
        .iter()
        .map(|t| {
            let v = t.id.to_string();
            let selected = params.target == v;
            view! { <option value=v selected=selected>{target_name(t, lang)}</option> }
        })
        .collect_view();
    let kind_options = [
        BackupKind::Full,
        BackupKind::Differential,
        BackupKind::Incremental,
        BackupKind::Log,
    ]
    .into_iter()
    .map(|k| {
        let v = crate::model::backups::kind_str(k);
        view! { <option value=v selected=params.kind == v>{kind_text(k, lang)}</option> }
    })
    .collect_view();
    let outcome_options = [
        ("ok", M::OutcomeOk),
        ("failed", M::OutcomeFailed),
        ("running", M::OutcomeRunning),
    ]
    .into_iter()
    .map(|(v, label)| view! { <option value=v selected=params.outcome == v>{bt(label)}</option> })
    .collect_view();
    let total = runs.total;
    let (current, page_count) = (runs.page, runs.page_count());
    let body = if runs.rows.is_empty() {
        view! {
            <p class="empty-state" data-testid="runs-empty" data-total="0">
                {if filtered { bt(M::RunsEmptyFiltered) } else { bt(M::RunsEmpty) }}
            </p>
        }
        .into_any()
    } else {
        let rows = runs
            .rows
            .into_iter()
            .map(|r| view! { <RunRow r=r tz=tz/> })
            .collect_view();
        let pager_params = params.clone();
        let href_for = move |n: u32| {
            let mut p = pager_params.clone();
            p.page = n;
            p.href("runs")
        };
        view! {
            <div class="table-wrap">
                <table data-testid="runs" data-total=total.to_string()>
                    <thead><tr>
                        <th scope="col">{bt(M::Started)}</th>
                        <th scope="col">{bt(M::Finished)}</th>
                        <th scope="col">{bt(M::Duration)}</th>
                        <th scope="col">{bt(M::Target)}</th>
                        <th scope="col">{bt(M::Kind)}</th>
                        <th scope="col" class="num">{bt(M::Size)}</th>
                        <th scope="col">{bt(M::Checksum)}</th>
                        <th scope="col">{bt(M::Location)}</th>
                        <th scope="col">{bt(M::Outcome)}</th>
                        <th scope="col">{bt(M::ReportedBy)}</th>
                        <th scope="col">{bt(M::Output)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <Pager page=current page_count=page_count href_for=href_for/>
        }
        .into_any()
    };
    view! {
        <section class="card" id="runs" data-testid="runs-section">
            <h2>{bt(M::RunsTitle)}</h2>
            <Form method="GET" action="" attr:class="filters" attr:data-testid="runs-filter">
                <div class="field">
                    <label for="runs-target">{bt(M::Target)}</label>
                    <select id="runs-target" name="target">
                        <option value="" selected=params.target.is_empty()>{bt(M::Any)}</option>
                        {target_options}
                    </select>
                </div>
                <div class="field">
                    <label for="runs-kind">{bt(M::Kind)}</label>
                    <select id="runs-kind" name="kind">
                        <option value="" selected=params.kind.is_empty()>{bt(M::Any)}</option>
                        {kind_options}
                    </select>
                </div>
                <div class="field">
                    <label for="runs-outcome">{bt(M::Outcome)}</label>
                    <select id="runs-outcome" name="outcome">
                        <option value="" selected=params.outcome.is_empty()>{bt(M::Any)}</option>
                        {outcome_options}
                    </select>
                </div>
                <button type="submit" class="button" data-testid="runs-filter-submit">{tr(Msg::Filter)}</button>
                <a class="button link" href="/backups#runs">{tr(Msg::Clear)}</a>
            </Form>
            <p class="muted small">{bt(M::RunsHelp)} " · " {total} " " {bt(M::RunsCount)}</p>
            {body}
        </section>
    }
}

/// The end of a run: only the time when it ended on the day it started.
fn finished_text(
    started: chrono::DateTime<chrono::Utc>,
    finished: chrono::DateTime<chrono::Utc>,
    tz: Tz,
) -> String {
    let (s, f) = (started.with_timezone(&tz), finished.with_timezone(&tz));
    if s.date_naive() == f.date_naive() {
        f.format("%H:%M:%S").to_string()
    } else {
        crate::time::format(finished, tz)
    }
}

/// A location's last part (`…/file.dump`); the whole of it goes in a `title`.
pub fn short_location(loc: &str) -> String {
    match loc.trim_end_matches('/').rsplit_once('/') {
        Some((_, last)) if loc.chars().count() > 40 && !last.is_empty() => format!("…/{last}"),
        _ => loc.to_string(),
    }
}

#[component]
fn RunRow(r: RunView, tz: Tz) -> impl IntoView {
    let lang = use_lang();
    let id = r.id;
    let (class, icon, word) = outcome_look(r.outcome);
    let checksum = r.checksum.clone();
    let location = r.location.clone();
    // The list shortens each output; the whole of it is one call away.
    let shortened = r.output.ends_with('…');
    let whole = Action::new(move |_: &()| load_run(id));
    let output = r.output.clone();
    let output_text = move || match whole.value().get() {
        Some(Ok(full)) => full.output,
        _ => output.clone(),
    };
    let whole_error = move || match whole.value().get() {
        Some(Err(e)) => Some(error_text(&e)),
        _ => None,
    };
    let depends = r.depends_on.map(|d| {
        let agent = r.depends_on_run_id.clone().unwrap_or_default();
        view! { <div class="muted small">{bt(M::DependsOn)} " #" {d} " " <code>{agent}</code></div> }
    });
    view! {
        <tr data-testid="run-row" data-run-id=id.to_string() data-outcome=r.outcome.as_str()
            class=if r.pruned_at.is_some() { "bak-pruned" } else { "" }>
            <td>
                <time>{crate::time::format(r.started_at, tz)}</time>
                <div class="muted small">"#" {id} " " <code>{r.agent_run_id.clone()}</code></div>
            </td>
            <td>{r.finished_at.map(|t| finished_text(r.started_at, t, tz)).unwrap_or_else(|| "—".into())}</td>
            <td>{r.duration_seconds.map(|d| duration_text(d, lang)).unwrap_or_else(|| "—".into())}</td>
            <td><code>{r.target_key.clone()}</code></td>
            <td>{kind_text(r.kind, lang)}{depends}</td>
            <td class="num" data-testid="run-size" title=r.size_bytes.map(|b| format!("{b} B")).unwrap_or_default()>
                {human_size(r.size_bytes)}
            </td>
            <td>{match checksum {
                Some(c) => view! { <code title=c.clone() data-testid="run-checksum">{short_checksum(&c)}</code> }.into_any(),
                None => view! { <span data-testid="run-checksum">"—"</span> }.into_any(),
            }}</td>
            <td class="mono" title=location.clone().unwrap_or_default()>
                {location.as_deref().map(short_location).unwrap_or_else(|| "—".into())}
                {r.pruned_at.map(|p| view! {
                    <div class="status-unknown" data-testid="run-pruned">
                        <span aria-hidden="true">"🗑 "</span>{bt(M::Pruned)} " " {crate::time::format(p, tz)}
                        {r.pruned_by.clone().map(|b| format!(" · {b}"))}
                    </div>
                })}
            </td>
            <td><span class=class data-testid="run-outcome"><span aria-hidden="true">{icon} " "</span>{bt(word)}</span></td>
            <td>{r.reported_by.clone()}
                {r.built_in.then(|| view! { <div class="muted small">{bt(M::BuiltIn)}</div> })}
            </td>
            <td>{(!r.output.is_empty()).then(|| view! {
                <details data-testid="run-output">
                    <summary>{bt(M::Output)}</summary>
                    <pre class="bak-output">{output_text}</pre>
                    {shortened.then(|| view! {
                        <button type="button" class="button small" hidden=move || whole.value().with(|v| matches!(v, Some(Ok(_))))
                            disabled=move || whole.pending().get() on:click=move |_| { whole.dispatch(()); }>
                            {bt(M::WholeOutput)}
                        </button>
                    })}
                    <p class="field-error">{whole_error}</p>
                </details>
            })}</td>
        </tr>
    }
}
