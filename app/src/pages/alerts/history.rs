//! One rule's history (R-MON-4): every transition and acknowledgement,
//! newest first, with whether people were told; paged by plain links.

use super::msg::AlertMsg as M;
use super::{env_label, Params};
use crate::components::error_box::ErrorBox;
use crate::components::pager::Pager;
use crate::error::AppError;
use crate::i18n::{fill, Lang, Msg};
use crate::model::alerts::{value_text, EventKind, EventView, HistoryView};
use crate::{tr, use_lang};
use chrono_tz::Tz;
use leptos::prelude::*;

pub fn kind_text(k: EventKind, lang: Lang) -> &'static str {
    match k {
        EventKind::Pending => M::KindPending,
        EventKind::Firing => M::KindFiring,
        EventKind::Resolved => M::KindResolved,
        EventKind::Cleared => M::KindCleared,
        EventKind::Acknowledged => M::KindAcknowledged,
    }
    .text(lang)
}

fn kind_class(k: EventKind) -> (&'static str, &'static str) {
    match k {
        EventKind::Firing => ("status-critical", "▲ "),
        EventKind::Pending => ("status-warning", "◷ "),
        EventKind::Resolved | EventKind::Cleared => ("status-ok", "✓ "),
        EventKind::Acknowledged => ("status-unknown", "✎ "),
    }
}

/// The history of the rule named in the URL, if one is.
#[component]
pub fn HistorySection(
    history: Resource<Result<Option<HistoryView>, AppError>>,
    tz: Tz,
) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(None) => ().into_any(),
                    Err(e) => view! { <section class="card" id="history"><ErrorBox error=e/></section> }.into_any(),
                    Ok(Some(h)) => view! { <History h=h tz=tz/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn History(h: HistoryView, tz: Tz) -> impl IntoView {
    let lang = use_lang();
    let title = fill(M::HistoryOf.text(lang), &[("name", &h.rule_name)]);
    let rule = h.rule_id;
    let page = h.events.page;
    let page_count = h.events.page_count();
    let unit = h.unit;
    let body = if h.events.rows.is_empty() {
        view! { <p class="empty-state" data-testid="history-empty">{M::NoHistory.text(lang)}</p> }
            .into_any()
    } else {
        let rows = h
            .events
            .rows
            .into_iter()
            .map(|e| row(e, unit, tz, lang))
            .collect_view();
        view! {
            <div class="table-wrap">
                <table data-testid="alert-history">
                    <thead><tr>
                        <th scope="col">{M::ColWhen.text(lang)}</th>
                        <th scope="col">{M::ColEnvironment.text(lang)}</th>
                        <th scope="col">{M::ColWhat.text(lang)}</th>
                        <th scope="col">{M::ColValue.text(lang)}</th>
                        <th scope="col">{M::ColComment.text(lang)}</th>
                        <th scope="col">{M::ColBy.text(lang)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {(page_count > 1).then(|| view! {
                <Pager page=page page_count=page_count href_for=move |p| Params::history_href(rule, p)/>
            })}
        }
        .into_any()
    };
    view! {
        <section class="card" id="history" data-testid="history-section">
            <div class="row">
                <h2>{title}</h2>
                <a class="button small" href="/alerts#rules" data-testid="history-close">{M::CloseHistory.text(lang)}</a>
            </div>
            {body}
        </section>
    }
}

fn row(e: EventView, unit: opsdeck::alert_rule::MetricUnit, tz: Tz, lang: Lang) -> impl IntoView {
    let (class, icon) = kind_class(e.kind);
    let told = if e.notified {
        Some(M::Notified.text(lang))
    } else if e.silenced {
        Some(M::HeldBack.text(lang))
    } else {
        None
    };
    view! {
        <tr data-testid="history-row" data-kind=e.kind.as_str()>
            <td>{crate::time::format(e.at, tz)}</td>
            <td>{env_label(&e.environment, lang)}</td>
            <td><span class=class><span aria-hidden="true">{icon}</span>{kind_text(e.kind, lang)}</span>
                {told.map(|t| view! { <span class="muted small">" · " {t}</span> })}</td>
            <td>{e.value.map(|v| value_text(v, unit)).unwrap_or_else(|| "—".into())}</td>
            <td class="alert-comment">{e.comment.unwrap_or_default()}</td>
            <td>{e.actor.unwrap_or_default()}</td>
        </tr>
    }
}
