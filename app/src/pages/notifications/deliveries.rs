//! `/admin/deliveries`: every (message, channel) pair and its attempts;
//! filters and paging in the URL, so a filtered view can be shared.

use super::msg::NotifyMsg as M;
use super::{nt, NotifyTabs};
use crate::api::notifications::{list_deliveries, retry_delivery};
use crate::components::error_box::ErrorBox;
use crate::components::layout::{urlencode, use_shell};
use crate::components::pager::Pager;
use crate::i18n::Msg;
use crate::tr;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

fn status_look(status: &str) -> (&'static str, &'static str, M) {
    match status {
        "delivered" => ("status-ok", "✓", M::StatusDelivered),
        "failed" => ("status-critical", "✗", M::StatusFailed),
        "skipped" => ("status-unknown", "○", M::StatusSkipped),
        _ => ("status-warning", "…", M::StatusPending),
    }
}

#[component]
pub fn DeliveriesPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            (
                q.get("page")
                    .and_then(|p| p.parse::<u32>().ok())
                    .unwrap_or(1)
                    .max(1),
                q.get("status").unwrap_or_default(),
                q.get("channel").unwrap_or_default(),
                q.get("kind").unwrap_or_default(),
            )
        })
    };
    let version = RwSignal::new(0u32);
    let rows = Resource::new(
        move || (params(), version.get()),
        |((page, status, channel, kind), _)| list_deliveries(page, status, channel, kind),
    );
    let retry = Action::new(move |id: &i64| {
        let id = *id;
        async move { retry_delivery(id).await }
    });
    Effect::new(move |_| {
        if retry.value().get().is_some() {
            version.update(|v| *v += 1);
        }
    });
    let shell = use_shell();
    view! {
        <Title text=nt(M::DeliveriesTitle)/>
        <NotifyTabs/>
        <h1>{nt(M::DeliveriesTitle)}</h1>
        <p class="answer">{nt(M::DeliveriesAnswer)}</p>
        <Form method="GET" action="" attr:class="filters">
            <div class="field">
                <label for="status">{nt(M::Status)}</label>
                <select id="status" name="status" prop:value=move || params().1>
                    <option value="">{nt(M::AnyStatus)}</option>
                    <option value="pending">{nt(M::StatusPending)}</option>
                    <option value="delivered">{nt(M::StatusDelivered)}</option>
                    <option value="failed">{nt(M::StatusFailed)}</option>
                    <option value="skipped">{nt(M::StatusSkipped)}</option>
                </select>
            </div>
            <div class="field">
                <label for="channel">{nt(M::Channel)}</label>
                <input id="channel" name="channel" prop:value=move || params().2/>
            </div>
            <div class="field">
                <label for="kind">{nt(M::EventKind)}</label>
                <input id="kind" name="kind" placeholder="maintenance.on" prop:value=move || params().3/>
            </div>
            <button type="submit" class="button">{tr(Msg::Filter)}</button>
            <a class="button link" href="/admin/deliveries">{tr(Msg::Clear)}</a>
        </Form>
        <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
            {move || Suspend::new(async move {
                let zone = match shell { Some(s) => s.await.map(|s| s.time_zone).unwrap_or_default(), None => String::new() };
                let tz = crate::time::zone(&zone);
                match rows.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(page) if page.rows.is_empty() => view! { <p class="card empty-state" data-testid="deliveries-empty">{nt(M::DeliveriesEmpty)}</p> }.into_any(),
                    Ok(page) => {
                        let (_, status, channel, kind) = params();
                        let href_for = move |p: u32| format!("/admin/deliveries?page={p}&status={}&channel={}&kind={}", urlencode(&status), urlencode(&channel), urlencode(&kind));
                        let (current, page_count) = (page.page, page.page_count());
                        let body = page.rows.into_iter().map(|d| {
                            let look = status_look(&d.status);
                            let id = d.id;
                            let history = d.history.iter().map(|a| view! {
                                <li>
                                    <time>{crate::time::format(a.at, tz)}</time> " · "
                                    {if a.ok { "✓" } else { "✗" }} " "
                                    {a.status_code.map(|c| c.to_string()).unwrap_or_else(|| "—".into())} " · "
                                    {a.latency_ms} " ms"
                                    {a.error.clone().map(|e| format!(" · {e}"))}
                                </li>
                            }).collect_view();
                            view! {
                                <tr data-testid="delivery-row">
                                    <td><time>{crate::time::format(d.created_at, tz)}</time></td>
                                    <td>{d.title.clone()}<div class="muted"><code>{d.kind.clone()}</code> " → " {d.group_name.clone().unwrap_or_else(|| "—".into())}</div></td>
                                    <td>{d.channel.clone()}</td>
                                    <td><span class=look.0 data-testid="delivery-status"><span aria-hidden="true">{look.1}</span> " " {nt(look.2)}</span></td>
                                    <td>
                                        <details>
                                            <summary>{d.attempts}</summary>
                                            <ul class="plain">{history}</ul>
                                        </details>
                                    </td>
                                    <td>{d.next_attempt_at.map(|t| crate::time::format(t, tz)).unwrap_or_else(|| "—".into())}</td>
                                    <td class="json">{d.last_error.clone().unwrap_or_default()}</td>
                                    <td>{(d.status == "failed").then(|| view! {
                                        <button type="button" class="button" on:click=move |_| { retry.dispatch(id); }>{nt(M::Retry)}</button>
                                    })}</td>
                                </tr>
                            }
                        }).collect_view();
                        view! {
                            <div class="table-wrap card">
                                <table data-testid="deliveries-table">
                                    <thead><tr>
                                        <th scope="col">{nt(M::When)}</th>
                                        <th scope="col">{nt(M::Message)}</th>
                                        <th scope="col">{nt(M::Channel)}</th>
                                        <th scope="col">{nt(M::Status)}</th>
                                        <th scope="col">{nt(M::Attempts)}</th>
                                        <th scope="col">{nt(M::NextAttempt)}</th>
                                        <th scope="col">{nt(M::LastError)}</th>
                                        <th scope="col">{nt(M::Actions)}</th>
                                    </tr></thead>
                                    <tbody>{body}</tbody>
                                </table>
                            </div>
                            <Pager page=current page_count=page_count href_for=href_for/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
