//! The 404 page for unknown routes (answered with status 404).

use crate::i18n::Msg;
use crate::tr;
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="login-page">
            <div class="card">
                <h1 data-testid="not-found">{tr(Msg::NotFoundTitle)}</h1>
                <p>{tr(Msg::NotFoundBody)}</p>
                <a class="button" href="/">{tr(Msg::BackToOverview)}</a>
            </div>
        </main>
    }
}
