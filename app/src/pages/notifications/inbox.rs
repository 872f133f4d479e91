//! `/inbox`: the messages addressed to the user's groups and roles; works
//! with no channel configured at all.

use super::msg::NotifyMsg as M;
use super::nt;
use crate::api::notifications::{list_inbox, mark_read};
use crate::components::error_box::ErrorBox;
use crate::components::layout::{use_shell, UnreadCount};
use crate::components::pager::Pager;
use crate::i18n::Msg;
use crate::tr;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn severity_look(severity: &str) -> (&'static str, &'static str) {
    match severity {
        "critical" => ("status-critical", "✗"),
        "warning" => ("status-warning", "!"),
        _ => ("status-ok", "i"),
    }
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            (
                q.get("page")
                    .and_then(|p| p.parse::<u32>().ok())
                    .unwrap_or(1)
                    .max(1),
                q.get("unread").is_some_and(|v| v == "1"),
            )
        })
    };
    let version = RwSignal::new(0u32);
    let items = Resource::new(
        move || (params(), version.get()),
        |((page, unread), _)| list_inbox(page, unread),
    );
    let bell = use_context::<UnreadCount>();
    let mark = Action::new(move |id: &i64| {
        let id = *id;
        async move { mark_read(id).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(changed)) = mark.value().get() {
            version.update(|v| *v += 1);
            if let Some(UnreadCount(count)) = bell {
                let changed = i64::try_from(changed).unwrap_or(i64::MAX);
                count.update(|c| *c = c.saturating_sub(changed).max(0));
            }
        }
    });
    let shell = use_shell();
    view! {
        <Title text=nt(M::InboxTitle)/>
        <h1>{nt(M::InboxTitle)}</h1>
        <p class="answer">{nt(M::InboxAnswer)}</p>
        <div class="row filters">
            <a class="button" href="/inbox" aria-current=move || (!params().1).then_some("page")>{nt(M::InboxAll)}</a>
            <a class="button" href="/inbox?unread=1" aria-current=move || params().1.then_some("page")>{nt(M::InboxUnreadOnly)}</a>
            <button type="button" class="button" data-testid="mark-all-read" on:click=move |_| { mark.dispatch(0); }>{nt(M::MarkAllRead)}</button>
        </div>
        <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
            {move || Suspend::new(async move {
                // Own data first: if the frame reloads meanwhile, this page is
                // replaced and must not touch its resources afterwards.
                let items = items.await;
                let zone = match shell { Some(s) => s.await.map(|s| s.time_zone).unwrap_or_default(), None => String::new() };
                let tz = crate::time::zone(&zone);
                match items {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(page) if page.rows.is_empty() => view! { <p class="card empty-state" data-testid="inbox-empty">{nt(M::InboxEmpty)}</p> }.into_any(),
                    Ok(page) => {
                        let unread = params().1;
                        let href_for = move |p: u32| format!("/inbox?page={p}{}", if unread { "&unread=1" } else { "" });
                        let (current, page_count) = (page.page, page.page_count());
                        let list = page.rows.into_iter().map(|m| {
                            let look = severity_look(&m.severity);
                            let id = m.message_id;
                            view! {
                                <li class=if m.read { "inbox-item card" } else { "inbox-item card unread" } data-testid="inbox-item">
                                    <div class="row">
                                        <span class=look.0><span aria-hidden="true">{look.1}</span> " " {m.severity.clone()}</span>
                                        <strong>{m.title.clone()}</strong>
                                        {(!m.read).then(|| view! { <span class="badge">{nt(M::Unread)}</span> })}
                                        <time class="muted">{crate::time::format(m.created_at, tz)}</time>
                                    </div>
                                    <p>{m.body.clone()}</p>
                                    <div class="row">
                                        <a class="button link" href=m.link.clone() on:click=move |_| { mark.dispatch(id); }>{nt(M::Open)}</a>
                                        {(!m.read).then(|| view! {
                                            <button type="button" class="button" data-testid="mark-read" on:click=move |_| { mark.dispatch(id); }>{nt(M::MarkRead)}</button>
                                        })}
                                    </div>
                                </li>
                            }
                        }).collect_view();
                        view! {
                            <ul class="plain inbox" data-testid="inbox-list">{list}</ul>
                            <Pager page=current page_count=page_count href_for=href_for/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
