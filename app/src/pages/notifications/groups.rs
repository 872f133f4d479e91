//! `/admin/groups`: recipient groups and their users, roles and channels.

use super::msg::NotifyMsg as M;
use super::{nt, NotifyTabs};
use crate::api::notifications::{delete_group, list_groups, save_group};
use crate::components::confirm::confirm;
use crate::components::error_box::{error_text, ErrorBox};
use crate::error::AppError;
use crate::i18n::Msg;
use crate::notify::view::GroupView;
use crate::role::Role;
use crate::tr;
use leptos::prelude::*;
use leptos_meta::Title;

fn names<T: Clone>(items: &[(T, String)]) -> String {
    if items.is_empty() {
        return "—".into();
    }
    items
        .iter()
        .map(|(_, n)| n.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checkboxes over (value, label) pairs, the selection kept in `selected`.
#[component]
fn Picks(
    legend: &'static str,
    testid: &'static str,
    items: Vec<(String, String)>,
    selected: RwSignal<Vec<String>>,
) -> impl IntoView {
    let boxes = items
        .into_iter()
        .map(|(value, label)| {
            let v1 = value.clone();
            let v2 = value.clone();
            view! {
                <label class="check">
                    <input type="checkbox" value=value
                        prop:checked=move || selected.with(|s| s.contains(&v1))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            let v = v2.clone();
                            selected.update(|s| { s.retain(|x| *x != v); if on { s.push(v); } });
                        }/>
                    " " {label}
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="checks" data-testid=testid>
            <legend>{legend}</legend>
            {boxes}
        </fieldset>
    }
}

#[component]
pub fn GroupsPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let data = Resource::new(move || version.get(), |_| list_groups());
    let id = RwSignal::new(0i64);
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let users = RwSignal::new(Vec::<String>::new());
    let roles = RwSignal::new(Vec::<String>::new());
    let channels = RwSignal::new(Vec::<String>::new());
    let load = move |g: Option<&GroupView>| {
        id.set(g.map(|g| g.id).unwrap_or(0));
        name.set(g.map(|g| g.name.clone()).unwrap_or_default());
        description.set(g.map(|g| g.description.clone()).unwrap_or_default());
        users.set(
            g.map(|g| g.users.iter().map(|(i, _)| i.to_string()).collect())
                .unwrap_or_default(),
        );
        roles.set(
            g.map(|g| g.roles.iter().map(|r| r.as_str().to_string()).collect())
                .unwrap_or_default(),
        );
        channels.set(
            g.map(|g| g.channels.iter().map(|(i, _)| i.to_string()).collect())
                .unwrap_or_default(),
        );
    };
    let save = Action::new(move |_: &()| {
        let args = (
            id.get_untracked(),
            name.get_untracked(),
            description.get_untracked(),
            users.get_untracked().join(","),
            roles.get_untracked().join(","),
            channels.get_untracked().join(","),
        );
        async move { save_group(args.0, args.1, args.2, args.3, args.4, args.5).await }
    });
    let result = save.value();
    Effect::new(move |_| {
        if let Some(Ok(_)) = result.get() {
            load(None);
            version.update(|v| *v += 1);
        }
    });
    let delete = Action::new(move |gid: &i64| {
        let gid = *gid;
        async move { delete_group(gid).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            version.update(|v| *v += 1);
        }
    });
    let name_error = move || {
        result
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.for_field("name").map(tr))
    };
    let general = move || {
        let save_err = result
            .get()
            .and_then(|r| r.err())
            .filter(|e| e.for_field("name").is_none());
        let delete_err = delete.value().get().and_then(|r| r.err());
        save_err.or(delete_err).map(|e| match e {
            AppError::Conflict(f) => tr(f.msg).to_string(),
            AppError::Validation(v) => v.iter().map(|f| tr(f.msg)).collect::<Vec<_>>().join(" "),
            e => error_text(&e),
        })
    };
    view! {
        <Title text=nt(M::GroupsTitle)/>
        <NotifyTabs/>
        <h1>{nt(M::GroupsTitle)}</h1>
        <p class="answer">{nt(M::GroupsAnswer)}</p>
        <p class="alert alert-error" role="alert" hidden=move || general().is_none()>{general}</p>
        <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(page) => {
                        let all_users: Vec<(String, String)> = page.users.iter().map(|(i, n)| (i.to_string(), n.clone())).collect();
                        let all_channels: Vec<(String, String)> = page.channels.iter().map(|(i, n)| (i.to_string(), n.clone())).collect();
                        let all_roles: Vec<(String, String)> = Role::ALL.iter().map(|r| (r.as_str().to_string(), r.as_str().to_string())).collect();
                        let rows = page.groups.into_iter().map(|g| {
                            let copy = g.clone();
                            let gid = g.id;
                            let gname = g.name.clone();
                            let roles_text = if g.roles.is_empty() { "—".to_string() } else { g.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ") };
                            view! {
                                <tr data-testid=format!("group-{}", g.name)>
                                    <th scope="row">{g.name.clone()}
                                        {g.reserved.then(|| view! { <span class="badge">{nt(M::Reserved)}</span> })}
                                        <div class="muted">{g.description.clone()}</div>
                                    </th>
                                    <td>{names(&g.users)}</td>
                                    <td>{roles_text}</td>
                                    <td>{names(&g.channels)}</td>
                                    <td class="actions">
                                        <button type="button" class="button" on:click=move |_| load(Some(&copy))>{nt(M::Edit)}</button>
                                        {(!g.reserved).then(|| view! {
                                            <button type="button" class="button danger" on:click=move |_| {
                                                if confirm(&format!("{} {gname}?", nt(M::ConfirmDeleteGroup))) { delete.dispatch(gid); }
                                            }>{nt(M::Delete)}</button>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view();
                        view! {
                            <div class="table-wrap card">
                                <table data-testid="groups-table">
                                    <thead><tr>
                                        <th scope="col">{nt(M::Name)}</th>
                                        <th scope="col">{nt(M::Users)}</th>
                                        <th scope="col">{nt(M::Roles)}</th>
                                        <th scope="col">{nt(M::Channels)}</th>
                                        <th scope="col">{nt(M::Actions)}</th>
                                    </tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                            <section class="card">
                                <h2>{move || if id.get() > 0 { nt(M::EditGroup) } else { nt(M::NewGroup) }}</h2>
                                <form class="stack" data-testid="group-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
                                    <div class="field">
                                        <label for="g-name">{nt(M::Name)}</label>
                                        <input id="g-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))
                                            aria-invalid=move || name_error().is_some().to_string()/>
                                        <span class="field-error" data-testid="err-name">{name_error}</span>
                                    </div>
                                    <div class="field">
                                        <label for="g-description">{nt(M::Description)}</label>
                                        <input id="g-description" prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))/>
                                    </div>
                                    <Picks legend=nt(M::Users) testid="group-users" items=all_users selected=users/>
                                    <Picks legend=nt(M::Roles) testid="group-roles" items=all_roles selected=roles/>
                                    <Picks legend=nt(M::Channels) testid="group-channels" items=all_channels selected=channels/>
                                    <div class="row">
                                        <button type="submit" class="button primary" disabled=move || save.pending().get()>{nt(M::Save)}</button>
                                        <button type="button" class="button link" hidden=move || id.get() == 0 on:click=move |_| load(None)>{nt(M::Cancel)}</button>
                                    </div>
                                </form>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
