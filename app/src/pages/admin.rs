//! Admin: users, roles and API tokens (R-AUTH-1..3). The server checks the
//! admin role on every call; this page only hides what others cannot use.

use crate::api::admin::{create_user, list_users, reset_password, set_disabled, set_roles};
use crate::api::tokens::{
    active_tokens_of_user, create_token, list_tokens, revoke_all_tokens_of_user, revoke_token,
    EXPIRY_DAY_CHOICES,
};
use crate::components::confirm::confirm;
use crate::components::error_box::{error_text, ErrorBox};
use crate::components::field::{field_error, Field};
use crate::components::layout::use_shell;
use crate::error::AppError;
use crate::i18n::Msg;
use crate::model::{Scope, TokenRow, UserRow};
use crate::role::Role;
use crate::tr;
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos_meta::Title;

/// The display zone from the shell state (Asia/Tokyo until it is known).
async fn display_zone() -> Tz {
    let zone = match use_shell() {
        Some(s) => s.await.map(|s| s.time_zone).unwrap_or_default(),
        None => String::new(),
    };
    crate::time::zone(&zone)
}

fn general_error<T, S>(v: S) -> impl Fn() -> Option<String> + Copy
where
    S: With<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static,
{
    move || {
        v.with(|r| match r {
            Some(Err(AppError::Validation(_))) | Some(Err(AppError::Conflict(_))) => None,
            Some(Err(e)) => Some(error_text(e)),
            _ => None,
        })
    }
}

/// A checkbox per item; the selection is kept as a comma-separated list.
#[component]
fn CheckList(
    name: &'static str,
    items: Vec<&'static str>,
    selected: RwSignal<Vec<&'static str>>,
) -> impl IntoView {
    items
        .into_iter()
        .map(|item| {
            view! {
                <label class="check">
                    <input
                        type="checkbox"
                        name=name
                        value=item
                        prop:checked=move || selected.with(|s| s.contains(&item))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            selected.update(|s| {
                                s.retain(|x| *x != item);
                                if on { s.push(item); }
                            });
                        }
                    />
                    " " {item}
                </label>
            }
        })
        .collect_view()
}

#[component]
pub fn AdminPage() -> impl IntoView {
    // No outer check here: each section's first server call is refused with
    // 403 for non-admins, and the section then shows only that refusal.
    let tokens_version = RwSignal::new(0u32);
    view! {
        <Title text=tr(Msg::AdminTitle)/>
        <crate::pages::notifications::NotifyTabs/>
        <h1>{tr(Msg::AdminTitle)}</h1>
        <p class="answer">{tr(Msg::AdminAnswer)}</p>
        <UsersSection tokens_version=tokens_version/>
        <TokensSection version=tokens_version/>
    }
}

#[component]
fn UsersSection(
    /// Bumped whenever tokens change, so every token list on the page reloads.
    tokens_version: RwSignal<u32>,
) -> impl IntoView {
    let version = RwSignal::new(0u32);
    // The user whose still-working tokens are listed (after disabling them).
    let token_owner = RwSignal::new(None::<(i64, String)>);
    let users = Resource::new(move || version.get(), |_| list_users());
    let username = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let roles = RwSignal::new(vec!["viewer"]);
    let create = Action::new(move |_: &()| {
        let args = (
            username.get_untracked(),
            display_name.get_untracked(),
            password.get_untracked(),
            roles.get_untracked().join(","),
        );
        async move { create_user(args.0, args.1, args.2, args.3).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            username.set(String::new());
            display_name.set(String::new());
            password.set(String::new());
            version.update(|v| *v += 1);
        }
    });
    let result = create.value();
    let form = move || {
        let role_names: Vec<&'static str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        view! {
        <section class="card">
            <h2>{tr(Msg::CreateUser)}</h2>
            <form class="stack" data-testid="create-user-form" on:submit=move |ev| { ev.prevent_default(); create.dispatch(()); }>
                <Field label=Msg::Username name="username" value=username error=field_error(result, "username") autocomplete="off"/>
                <Field label=Msg::DisplayName name="display_name" value=display_name error=field_error(result, "display_name")/>
                <Field label=Msg::InitialPassword name="password" kind="password" value=password error=field_error(result, "password") autocomplete="new-password"/>
                <fieldset class="checks">
                    <legend>{tr(Msg::Roles)}</legend>
                    <CheckList name="roles" items=role_names selected=roles/>
                    <span class="field-error" data-testid="err-roles">{move || field_error(result, "roles").get()}</span>
                </fieldset>
                <p class="alert alert-error" role="alert" hidden=move || general_error(result)().is_none()>{general_error(result)}</p>
                <p class="alert alert-ok" role="status" hidden=move || !matches!(result.get(), Some(Ok(_)))>{tr(Msg::UserCreated)}</p>
                <button type="submit" class="button primary" data-testid="create-user" disabled=move || create.pending().get()>{tr(Msg::CreateUser)}</button>
            </form>
        </section>
        }
    };
    // One Transition for the whole section: a non-admin's list call is refused,
    // and then neither the form nor the table is shown.
    view! {
        <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) => {
                        let rows = list.into_iter().map(|u| view! { <UserRowView user=u token_owner=token_owner on_change=move || version.update(|v| *v += 1)/> }).collect_view();
                        view! {
                            {form()}
                            <section class="card">
                                <h2>{tr(Msg::Users)}</h2>
                                <div class="table-wrap">
                                <table data-testid="users-table">
                                    <thead><tr>
                                        <th scope="col">{tr(Msg::Username)}</th>
                                        <th scope="col">{tr(Msg::Roles)}</th>
                                        <th scope="col">{tr(Msg::Status)}</th>
                                        <th scope="col">{tr(Msg::Actions)}</th>
                                    </tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                                </div>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        {move || token_owner.get().map(|(user_id, username)| view! {
            <UserTokensPanel user_id=user_id username=username tokens_version=tokens_version on_close=move || token_owner.set(None)/>
        })}
    }
}

#[component]
fn UserRowView(
    user: UserRow,
    /// Set to this user to list the tokens they created.
    token_owner: RwSignal<Option<(i64, String)>>,
    on_change: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = user.id;
    let name = user.username.clone();
    let roles = RwSignal::new(user.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>());
    let new_password = RwSignal::new(String::new());
    let save_roles = Action::new(move |_: &()| {
        let r = roles.get_untracked().join(",");
        async move { set_roles(id, r).await }
    });
    let toggle = Action::new(move |disable: &bool| {
        let d = *disable;
        async move { set_disabled(id, d).await.map(|()| d) }
    });
    let reset = Action::new(move |_: &()| {
        let p = new_password.get_untracked();
        async move { reset_password(id, p).await }
    });
    let owner = (id, name.clone());
    Effect::new(move |_| {
        // Disabling does not stop the tokens the user created: list them next.
        if matches!(toggle.value().get(), Some(Ok(true))) {
            token_owner.set(Some(owner.clone()));
        }
        if matches!(toggle.value().get(), Some(Ok(_)))
            || matches!(save_roles.value().get(), Some(Ok(_)))
        {
            on_change();
        }
    });
    let show_tokens = {
        let owner = (id, name.clone());
        move |_| token_owner.set(Some(owner.clone()))
    };
    let disabled = user.disabled;
    let confirm_text = format!("{} {}", tr(Msg::ConfirmDisable), name);
    let role_names: Vec<&'static str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    let errors = move || {
        [
            save_roles.value().get().and_then(|r| r.err()),
            toggle.value().get().and_then(|r| r.err()),
            reset.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .map(|e| error_text(&e))
        .collect::<Vec<_>>()
        .join(" ")
    };
    view! {
        <tr data-testid=format!("user-{name}")>
            <th scope="row">{name.clone()}<br/><span class="muted">{user.display_name.clone()}</span></th>
            <td>
                <div class="checks"><CheckList name="roles" items=role_names selected=roles/></div>
                <button class="button small" on:click=move |_| { save_roles.dispatch(()); }>{tr(Msg::SaveRoles)}</button>
            </td>
            <td>{if disabled { view! { <span class="badge critical">"■ " {tr(Msg::Disabled)}</span> } } else { view! { <span class="badge ok">"● " {tr(Msg::Enabled)}</span> } }}</td>
            <td class="actions">
                {if disabled {
                    view! {
                        <button class="button small" on:click=move |_| { toggle.dispatch(false); }>{tr(Msg::Enable)}</button>
                        <button class="button small" data-testid=format!("user-tokens-{name}") on:click=show_tokens>{tr(Msg::ApiTokens)}</button>
                    }.into_any()
                } else {
                    view! { <button class="button small danger" on:click=move |_| { if confirm(&confirm_text) { toggle.dispatch(true); } }>{tr(Msg::Disable)}</button> }.into_any()
                }}
                <form class="inline" on:submit=move |ev| { ev.prevent_default(); reset.dispatch(()); }>
                    <label class="visually-hidden" for=format!("reset-{id}")>{tr(Msg::NewPassword)}</label>
                    <input id=format!("reset-{id}") type="password" autocomplete="new-password" placeholder=tr(Msg::NewPassword)
                        prop:value=move || new_password.get() on:input=move |ev| new_password.set(event_target_value(&ev))/>
                    <button class="button small" type="submit">{tr(Msg::ResetPassword)}</button>
                </form>
                <span class="field-error">{errors}</span>
                <span class="ok" hidden=move || !matches!(reset.value().get(), Some(Ok(_)))>{tr(Msg::Saved)}</span>
            </td>
        </tr>
    }
}

/// The `expires` argument of `create_token` for the form's choice.
fn expires_arg(choice: &str, date: &str) -> String {
    match (choice, date.trim()) {
        // A date was asked for but not given: not "never", so the server says what is missing.
        ("date", "") => "date".to_string(),
        ("date", d) => d.to_string(),
        (c, _) => c.to_string(),
    }
}

#[component]
fn TokensSection(
    /// Bumped whenever tokens change, here or in the users section.
    version: RwSignal<u32>,
) -> impl IntoView {
    let tokens = Resource::new(move || version.get(), |_| list_tokens());
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(Vec::<&'static str>::new());
    let expiry_choice = RwSignal::new(String::from("90"));
    let expiry_date = RwSignal::new(String::new());
    let create = Action::new(move |_: &()| {
        let (n, s) = (name.get_untracked(), scopes.get_untracked().join(","));
        let e = expiry_choice.with_untracked(|c| expiry_date.with_untracked(|d| expires_arg(c, d)));
        async move { create_token(n, s, e).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
            version.update(|v| *v += 1);
        }
    });
    let result = create.value();
    let secret = move || match result.get() {
        Some(Ok(created)) => Some(created.secret),
        _ => None,
    };
    let form = move || {
        let scope_names: Vec<&'static str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        view! {
            <form class="stack" on:submit=move |ev| { ev.prevent_default(); create.dispatch(()); }>
                <Field label=Msg::TokenName name="token_name" value=name error=field_error(result, "name")/>
                <fieldset class="checks">
                    <legend>{tr(Msg::Scopes)}</legend>
                    <CheckList name="scopes" items=scope_names selected=scopes/>
                    <span class="field-error" data-testid="err-scopes">{move || field_error(result, "scopes").get()}</span>
                </fieldset>
                <div class="field">
                    <label for="f-expires">{tr(Msg::TokenExpiry)}</label>
                    <select id="f-expires" name="expires" data-testid="token-expiry"
                        prop:value=move || expiry_choice.get()
                        on:change=move |ev| expiry_choice.set(event_target_value(&ev))
                        aria-invalid=move || field_error(result, "expires").get().is_some().to_string()
                        aria-describedby="f-expires-err">
                        <option value="never" selected=move || expiry_choice.get() == "never">{tr(Msg::ExpiryNever)}</option>
                        {EXPIRY_DAY_CHOICES.into_iter().map(|d| {
                            let value = d.to_string();
                            let is = value.clone();
                            view! { <option value=value selected=move || expiry_choice.with(|c| *c == is)>{format!("{d} {}", tr(Msg::Days))}</option> }
                        }).collect_view()}
                        <option value="date" selected=move || expiry_choice.get() == "date">{tr(Msg::ExpiryOnDate)}</option>
                    </select>
                    <span class="field-error" id="f-expires-err" data-testid="err-expires">{move || field_error(result, "expires").get()}</span>
                </div>
                {move || (expiry_choice.get() == "date").then(|| view! {
                    <Field label=Msg::ExpiryDate name="expires_date" kind="date" value=expiry_date/>
                })}
                <p class="alert alert-error" role="alert" hidden=move || general_error(result)().is_none()>{general_error(result)}</p>
                <button type="submit" class="button primary" data-testid="create-token" disabled=move || create.pending().get()>{tr(Msg::CreateToken)}</button>
            </form>
            {move || secret().map(|s| view! {
                <div class="alert alert-ok" role="status">
                    <p>{tr(Msg::TokenShownOnce)}</p>
                    <code class="secret" data-testid="token-secret">{s}</code>
                </div>
            })}
        }
    };
    view! {
        <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
            {move || Suspend::new(async move {
                let tz = display_zone().await;
                let list = match tokens.await {
                    // The users section above already says the page is for admins.
                    Err(AppError::Forbidden) => return ().into_any(),
                    Err(e) => return view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) => list,
                };
                let table = if list.is_empty() {
                    view! { <p class="empty-state">{tr(Msg::NoTokens)}</p> }.into_any()
                } else {
                    view! { <TokenTable tokens=list tz=tz testid="tokens-table" version=version/> }.into_any()
                };
                view! {
                    <section class="card">
                        <h2>{tr(Msg::ApiTokens)}</h2>
                        {form()}
                        {table}
                    </section>
                }.into_any()
            })}
        </Transition>
    }
}

/// Tokens with their scopes, dates, expiry and a revoke button each.
#[component]
fn TokenTable(
    tokens: Vec<TokenRow>,
    tz: Tz,
    testid: &'static str,
    /// Bumped after a revocation.
    version: RwSignal<u32>,
) -> impl IntoView {
    let rows = tokens
        .into_iter()
        .map(|t| view! { <TokenRowView token=t tz=tz on_change=move || version.update(|v| *v += 1)/> })
        .collect_view();
    view! {
        <div class="table-wrap">
        <table data-testid=testid>
            <thead><tr>
                <th scope="col">{tr(Msg::TokenName)}</th>
                <th scope="col">{tr(Msg::Scopes)}</th>
                <th scope="col">{tr(Msg::Created)}</th>
                <th scope="col">{tr(Msg::LastUsed)}</th>
                <th scope="col">{tr(Msg::TokenExpiry)}</th>
                <th scope="col">{tr(Msg::Actions)}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
        </div>
    }
}

/// The tokens a user created that still work, with "revoke all" (shown after disabling them).
#[component]
fn UserTokensPanel(
    user_id: i64,
    username: String,
    tokens_version: RwSignal<u32>,
    on_close: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let tokens = Resource::new(
        move || tokens_version.get(),
        move |_| active_tokens_of_user(user_id),
    );
    let revoke_all =
        Action::new(move |_: &()| async move { revoke_all_tokens_of_user(user_id).await });
    Effect::new(move |_| {
        if let Some(Ok(_)) = revoke_all.value().get() {
            tokens_version.update(|v| *v += 1);
        }
    });
    let result = revoke_all.value();
    let revoked_text = move || match result.get() {
        Some(Ok(ids)) => Some(tr(Msg::TokensRevokedCount).replace("{n}", &ids.len().to_string())),
        _ => None,
    };
    let title = tr(Msg::UserTokensTitle).replace("{user}", &username);
    view! {
        <section class="card" data-testid="user-tokens" aria-live="polite">
            <h2>{title}</h2>
            <p class="muted">{tr(Msg::UserTokensHint)}</p>
            <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
                {
                    let username = username.clone();
                    move || {
                        let username = username.clone();
                        Suspend::new(async move {
                            let tz = display_zone().await;
                            match tokens.await {
                                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                                Ok(list) if list.is_empty() => view! {
                                    <p class="empty-state" data-testid="user-tokens-none">{tr(Msg::NoActiveTokensOf).replace("{user}", &username)}</p>
                                }.into_any(),
                                Ok(list) => {
                                    let (label, question) = if list.len() == 1 {
                                        (Msg::RevokeOneTokenOf, Msg::ConfirmRevokeOneOf)
                                    } else {
                                        (Msg::RevokeAllTokensOf, Msg::ConfirmRevokeAllOf)
                                    };
                                    let n = list.len().to_string();
                                    let fill = |m: Msg| tr(m).replace("{n}", &n).replace("{user}", &username);
                                    let (label, question) = (fill(label), fill(question));
                                    view! {
                                        <TokenTable tokens=list tz=tz testid="user-tokens-table" version=tokens_version/>
                                        <p>
                                            <button class="button danger" data-testid="revoke-all-tokens" disabled=move || revoke_all.pending().get()
                                                on:click=move |_| { if confirm(&question) { revoke_all.dispatch(()); } }>{label}</button>
                                        </p>
                                    }.into_any()
                                }
                            }
                        })
                    }
                }
            </Transition>
            <p class="alert alert-ok" role="status" hidden=move || revoked_text().is_none()>{revoked_text}</p>
            <p class="alert alert-error" role="alert" hidden=move || general_error(result)().is_none()>{general_error(result)}</p>
            <button class="button small" on:click=move |_| on_close()>{tr(Msg::Close)}</button>
        </section>
    }
}

#[component]
fn TokenRowView(
    token: TokenRow,
    tz: Tz,
    on_change: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = token.id;
    let revoke = Action::new(move |_: &()| async move { revoke_token(id).await });
    Effect::new(move |_| {
        if let Some(Ok(_)) = revoke.value().get() {
            on_change();
        }
    });
    let confirm_text = format!(
        "{} {} ({})",
        tr(Msg::ConfirmRevoke),
        token.name,
        token.prefix
    );
    let scopes = token
        .scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let fmt = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| crate::time::format(t, tz))
            .unwrap_or_else(|| tr(Msg::Never).to_string())
    };
    let expiry = if token.expired {
        view! { <span class="badge unknown">"○ " {tr(Msg::Expired)}</span> }.into_any()
    } else {
        match token.expires_at {
            Some(t) => format!("{} {}", tr(Msg::ExpiresOn), crate::time::format(t, tz)).into_any(),
            None => tr(Msg::Never).into_any(),
        }
    };
    let live = token.is_active();
    view! {
        <tr>
            <th scope="row">{token.name.clone()}<br/><code class="muted">{token.prefix.clone()}"…"</code></th>
            <td>{scopes}</td>
            <td>{fmt(Some(token.created_at))}<br/><span class="muted">{token.created_by.clone()}</span></td>
            <td>{fmt(token.last_used_at)}</td>
            <td data-testid="token-expiry-cell">{expiry}</td>
            <td>
                {match token.revoked_at {
                    Some(_) => view! { <span class="badge unknown">"○ " {tr(Msg::Revoked)}</span> }.into_any(),
                    // An expired token no longer works; there is nothing to revoke.
                    None if !live => "—".into_any(),
                    None => view! {
                        <button class="button small danger" on:click=move |_| { if confirm(&confirm_text) { revoke.dispatch(()); } }>{tr(Msg::Revoke)}</button>
                    }.into_any(),
                }}
                <span class="field-error">{move || revoke.value().get().and_then(|r| r.err()).map(|e| error_text(&e))}</span>
            </td>
        </tr>
    }
}
