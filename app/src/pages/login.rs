//! The login page (R-AUTH-1, R-AUTH-5). Works without JavaScript too.

use crate::api::auth::{load_shell, Login};
use crate::components::error_box::error_text;
use crate::components::maintenance_banner::MaintenanceBanner;
use crate::i18n::Msg;
use crate::tr;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next").unwrap_or_else(|| "/".to_string()));
    let error = move || match login.value().get() {
        Some(Err(e)) => Some(error_text(&e)),
        _ => None,
    };
    let shell = Resource::new(|| (), |_| load_shell());
    view! {
        <Title text=tr(Msg::LoginTitle)/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                shell.await.ok().map(|s| view! { <MaintenanceBanner state=s.maintenance time_zone=s.time_zone/> })
            })}
        </Suspense>
        <main class="login-page">
            <div class="card login-card">
                <h1><span class="logo" aria-hidden="true">"◆ "</span>{tr(Msg::LoginTitle)}</h1>
                <ActionForm action=login>
                    <input type="hidden" name="next" value=next/>
                    <div class="field">
                        <label for="username">{tr(Msg::Username)}</label>
                        <input id="username" name="username" autocomplete="username" required/>
                    </div>
                    <div class="field">
                        <label for="password">{tr(Msg::Password)}</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required/>
                    </div>
                    <p class="alert alert-error" role="alert" data-testid="login-error" hidden=move || error().is_none()>
                        {error}
                    </p>
                    <button type="submit" class="button primary" data-testid="login-submit" disabled=move || login.pending().get()>
                        {tr(Msg::Login)}
                    </button>
                </ActionForm>
                <p class="muted lang-links">
                    <a href="/lang/ja?next=/login" rel="external">"日本語"</a> " · "
                    <a href="/lang/en?next=/login" rel="external">"English"</a>
                </p>
            </div>
        </main>
    }
}
