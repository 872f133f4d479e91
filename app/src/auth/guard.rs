//! The one role check every server function calls first (R-AUTH-2).
//!
//! `rpc(access, |cx| async move { … })` loads the signed-in user from the
//! session, refuses with 401/403 before the body runs, and answers every
//! error with its HTTP status. The role-matrix test calls every registered
//! server function as every role, so a function that skips this fails CI.

use crate::context::{server_ctx, ServerCtx};
use crate::error::AppError;
use crate::model::CurrentUser;
use crate::role::Access;
use std::future::Future;
use tower_sessions::Session;

/// What a server function body gets once the check passed.
pub struct Call {
    pub ctx: ServerCtx,
    pub session: Session,
    /// `None` only for `Access::Public` calls without a signed-in user.
    pub user: Option<CurrentUser>,
}

impl Call {
    /// The signed-in user; present for every access level but `Public`.
    pub fn user(&self) -> Result<&CurrentUser, AppError> {
        self.user.as_ref().ok_or(AppError::Unauthenticated)
    }
}

/// Runs `body` if the current user passes `access`, mapping errors to statuses.
pub async fn rpc<T, F, Fut>(access: Access, body: F) -> Result<T, AppError>
where
    F: FnOnce(Call) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let result = async {
        let call = check(access).await?;
        body(call).await
    }
    .await;
    if let Err(e) = &result {
        answer_error(e);
    }
    result
}

/// Loads the user behind the current session and checks `access`.
pub async fn check(access: Access) -> Result<Call, AppError> {
    let ctx = server_ctx()?;
    let session = super::session::current().await?;
    let user = match super::session::user_of(&session).await? {
        Some((uid, epoch)) => crate::store::users::current(&ctx.pool, uid, epoch).await?,
        None => None,
    };
    let roles = user.as_ref().map(|u| u.roles.as_slice());
    if !access.allows(roles) {
        return Err(match user {
            None => AppError::Unauthenticated,
            Some(_) => AppError::Forbidden,
        });
    }
    Ok(Call { ctx, session, user })
}

/// Sets the error's status (and `Retry-After` for throttling). A plain HTML form
/// post (no JavaScript) is left alone: Leptos answers it with a redirect back
/// to the form, which a 4xx status would break.
fn answer_error(e: &AppError) {
    let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let html_form = leptos::prelude::use_context::<http::request::Parts>().is_some_and(|p| {
        p.headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    if html_form {
        return;
    }
    if let Ok(status) = http::StatusCode::from_u16(e.status()) {
        opts.set_status(status);
    }
    if let AppError::RateLimited { retry_after_secs } = e {
        if let Ok(v) = http::HeaderValue::from_str(&retry_after_secs.to_string()) {
            opts.insert_header(http::header::RETRY_AFTER, v);
        }
    }
}

/// The client address of the current request, for per-address rate limits:
/// the TCP peer, or behind a trusted proxy the last `X-Forwarded-For` hop
/// (the one the proxy itself appended; earlier hops are the client's word).
pub async fn client_addr(trust_proxy: bool) -> Option<std::net::IpAddr> {
    let parts = leptos::prelude::use_context::<http::request::Parts>()?;
    let forwarded = trust_proxy
        .then(|| {
            parts
                .headers
                .get("x-forwarded-for")?
                .to_str()
                .ok()?
                .rsplit(',')
                .next()?
                .trim()
                .parse()
                .ok()
        })
        .flatten();
    forwarded.or_else(|| {
        parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip())
    })
}
