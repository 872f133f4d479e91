//! The signed-in user's own password (R-AUTH-1).

use crate::api::auth::change_password;
use crate::components::error_box::error_text;
use crate::components::field::{field_error, Field};
use crate::error::AppError;
use crate::i18n::Msg;
use crate::tr;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccountPage() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let repeat = RwSignal::new(String::new());
    let change = Action::new(move |_: &()| {
        let (c, n, r) = (
            current.get_untracked(),
            new.get_untracked(),
            repeat.get_untracked(),
        );
        async move { change_password(c, n, r).await }
    });
    let result = change.value();
    let general = move || match result.get() {
        Some(Err(AppError::Validation(_))) => None,
        Some(Err(e)) => Some(error_text(&e)),
        _ => None,
    };
    // Validate as you type where cheap; the server checks again.
    let repeat_error = Signal::derive(move || {
        let (n, r) = (new.get(), repeat.get());
        (!r.is_empty() && n != r)
            .then(|| tr(Msg::ErrPasswordMismatch))
            .or_else(|| field_error(result, "repeat").get())
    });
    view! {
        <Title text=tr(Msg::AccountTitle)/>
        <h1>{tr(Msg::AccountTitle)}</h1>
        <section class="card">
            <h2>{tr(Msg::ChangePassword)}</h2>
            <form class="stack" on:submit=move |ev| { ev.prevent_default(); change.dispatch(()); }>
                <Field label=Msg::CurrentPassword name="current" kind="password" value=current error=field_error(result, "current") autocomplete="current-password"/>
                <Field label=Msg::NewPassword name="new" kind="password" value=new error=field_error(result, "new") autocomplete="new-password"/>
                <Field label=Msg::RepeatPassword name="repeat" kind="password" value=repeat error=repeat_error autocomplete="new-password"/>
                <p class="alert alert-error" role="alert" hidden=move || general().is_none()>{general}</p>
                <p class="alert alert-ok" role="status" hidden=move || !matches!(result.get(), Some(Ok(_)))>{tr(Msg::PasswordChanged)}</p>
                <button type="submit" class="button primary" disabled=move || change.pending().get()>{tr(Msg::ChangePassword)}</button>
            </form>
        </section>
    }
}
