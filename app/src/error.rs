//! The one error type shared by server functions and the UI.
//!
//! It crosses the wire as JSON, so the browser gets the same variants the
//! server produced and can show a field-level or translated message. Internal
//! failures carry no detail: the server logs them once where they happen.

use crate::i18n::Msg;
use serde::{Deserialize, Serialize};

/// One invalid form field and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub msg: Msg,
}

impl FieldError {
    pub fn new(field: &str, msg: Msg) -> Self {
        Self {
            field: field.to_string(),
            msg,
        }
    }
}

/// What went wrong, as the user should learn it. Each variant names its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// 401: nobody is signed in, or the session expired.
    #[error("sign-in required")]
    Unauthenticated,
    /// 403: signed in, but no role that allows this.
    #[error("forbidden")]
    Forbidden,
    /// 401: wrong user name or password; the same for both on purpose (R-AUTH-5).
    #[error("invalid user name or password")]
    InvalidCredentials,
    /// 429: too many failed logins for this account or address.
    #[error("too many attempts, try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// 422: the input was wrong; one entry per field.
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    /// 404
    #[error("not found")]
    NotFound,
    /// 409: the change conflicts with the current state (e.g. a duplicate name).
    #[error("conflict")]
    Conflict(FieldError),
    /// 500: details are in the server log, never in the response.
    #[error("internal error")]
    Internal,
    /// The request never reached the server function or its answer was unreadable.
    #[error("transport error: {0}")]
    Transport(String),
}

impl AppError {
    /// A single-field validation error.
    pub fn field(field: &str, msg: Msg) -> Self {
        AppError::Validation(vec![FieldError::new(field, msg)])
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated | AppError::InvalidCredentials => 401,
            AppError::Forbidden => 403,
            AppError::RateLimited { .. } => 429,
            AppError::Validation(_) => 422,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::Internal => 500,
            AppError::Transport(_) => 400,
        }
    }

    /// The message for `field`, if this error names it.
    pub fn for_field(&self, field: &str) -> Option<Msg> {
        match self {
            AppError::Validation(errors) => errors.iter().find(|e| e.field == field).map(|e| e.msg),
            AppError::Conflict(e) if e.field == field => Some(e.msg),
            _ => None,
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "database error");
        AppError::Internal
    }
}
