//! The audit log (R-AUTH-4): filters and pagination in the URL; nothing editable.

use crate::api::audit::list_audit;
use crate::components::error_box::ErrorBox;
use crate::components::layout::{urlencode, use_shell};
use crate::components::pager::Pager;
use crate::i18n::Msg;
use crate::tr;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

fn short_json(v: &Option<serde_json::Value>) -> String {
    v.as_ref()
        .map(|v| v.to_string())
        .unwrap_or_else(|| "—".into())
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            let page = q
                .get("page")
                .and_then(|p| p.parse::<u32>().ok())
                .unwrap_or(1)
                .max(1);
            (
                page,
                q.get("actor").unwrap_or_default(),
                q.get("action").unwrap_or_default(),
            )
        })
    };
    let rows = Resource::new(params, |(page, actor, action)| {
        list_audit(page, actor, action)
    });
    let shell = use_shell();
    view! {
        <Title text=tr(Msg::AuditTitle)/>
        <h1>{tr(Msg::AuditTitle)}</h1>
        <p class="answer">{tr(Msg::AuditAnswer)}</p>
        <Form method="GET" action="" attr:class="filters">
            <div class="field">
                <label for="actor">{tr(Msg::AuditFilterActor)}</label>
                <input id="actor" name="actor" prop:value=move || params().1/>
            </div>
            <div class="field">
                <label for="action">{tr(Msg::AuditFilterAction)}</label>
                <input id="action" name="action" prop:value=move || params().2/>
            </div>
            <button type="submit" class="button">{tr(Msg::Filter)}</button>
            <a class="button link" href="/audit">{tr(Msg::Clear)}</a>
        </Form>
        <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
            {move || Suspend::new(async move {
                let zone = match shell { Some(s) => s.await.map(|s| s.time_zone).unwrap_or_default(), None => String::new() };
                let tz = crate::time::zone(&zone);
                match rows.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(page) if page.rows.is_empty() => view! { <p class="card empty-state" data-testid="audit-empty">{tr(Msg::AuditEmpty)}</p> }.into_any(),
                    Ok(page) => {
                        let (_, actor, action) = params();
                        let href_for = move |p: u32| format!("/audit?page={p}&actor={}&action={}", urlencode(&actor), urlencode(&action));
                        let page_count = page.page_count();
                        let current = page.page;
                        let body = page.rows.into_iter().map(|r| view! {
                            <tr>
                                <td><time>{crate::time::format(r.at, tz)}</time></td>
                                <td>{r.actor.clone().unwrap_or_else(|| "—".into())}</td>
                                <td><code>{r.action.clone()}</code></td>
                                <td>{r.target.clone()}</td>
                                <td class="json">{short_json(&r.before)}</td>
                                <td class="json">{short_json(&r.after)}</td>
                            </tr>
                        }).collect_view();
                        view! {
                            <div class="table-wrap card">
                                <table data-testid="audit-table">
                                    <thead><tr>
                                        <th scope="col">{tr(Msg::AuditWhen)}</th>
                                        <th scope="col">{tr(Msg::AuditWho)}</th>
                                        <th scope="col">{tr(Msg::AuditAction)}</th>
                                        <th scope="col">{tr(Msg::AuditTarget)}</th>
                                        <th scope="col">{tr(Msg::AuditBefore)}</th>
                                        <th scope="col">{tr(Msg::AuditAfter)}</th>
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
