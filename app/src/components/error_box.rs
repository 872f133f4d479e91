//! How an `AppError` reads to a person, in the current language.

use crate::error::AppError;
use crate::i18n::Msg;
use crate::tr;
use leptos::prelude::*;

/// One line for errors that are not about a single field.
pub fn error_text(e: &AppError) -> String {
    match e {
        AppError::Unauthenticated => tr(Msg::ErrSessionExpired).to_string(),
        AppError::Forbidden => tr(Msg::ErrForbidden).to_string(),
        AppError::InvalidCredentials => tr(Msg::ErrInvalidCredentials).to_string(),
        AppError::RateLimited { retry_after_secs } => {
            format!(
                "{} {} {}",
                tr(Msg::ErrRateLimited),
                retry_after_secs,
                tr(Msg::Seconds)
            )
        }
        AppError::Validation(errors) => errors
            .iter()
            .map(|f| tr(f.msg))
            .collect::<Vec<_>>()
            .join(" "),
        AppError::Conflict(f) => tr(f.msg).to_string(),
        AppError::NotFound => tr(Msg::ErrNotFound).to_string(),
        AppError::Internal => tr(Msg::ErrInternal).to_string(),
        AppError::Transport(_) => tr(Msg::ErrNetwork).to_string(),
    }
}

/// An alert box for an error; a session that ended links back to login.
#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    let text = error_text(&error);
    let login_link = matches!(error, AppError::Unauthenticated).then(|| {
        view! { " " <a href="/login" rel="external">{tr(Msg::Login)}</a> }
    });
    view! {
        <p class="alert alert-error" role="alert" data-testid="error">
            <span aria-hidden="true">"⚠ "</span>
            {text}
            {login_link}
        </p>
    }
}
