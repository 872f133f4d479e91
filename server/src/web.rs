//! The HTTP edge: the router with pages, server functions, `/health`, the
//! machine API, and the layers every request passes (request id, logging,
//! body limit, sessions, CSRF origin check, sign-in redirect).

use crate::state::AppState;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use opsdeck_app::i18n::Lang;
use opsdeck_app::{shell, App};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::{time::Duration as CookieDuration, SameSite};
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

/// Largest request body accepted; larger ones get 413.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;
/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "opsdeck_session";

/// Paths anyone may GET without signing in.
fn is_public_path(path: &str) -> bool {
    path == "/login"
        || path == "/health"
        || path == "/favicon.ico"
        || ["/pkg/", "/rpc/", "/api/", "/lang/", "/assets/"]
            .iter()
            .any(|p| path.starts_with(p))
}

/// Request ids: a per-process random prefix and a counter, cheap and unique enough to grep.
#[derive(Clone)]
struct CounterRequestId {
    prefix: String,
    counter: std::sync::Arc<AtomicU64>,
}

impl MakeRequestId for CounterRequestId {
    fn make_request_id<B>(&mut self, _req: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    // The app's pages (all static paths): anything else is a 404 for everyone,
    // signed in or not, instead of a detour through the login page.
    let pages: Arc<HashSet<String>> =
        Arc::new(routes.iter().map(|r| r.path().to_string()).collect());
    let ctx = state.ctx.clone();
    let ctx_for_fallback = state.ctx.clone();
    let options = state.leptos_options.clone();

    let session_store = PostgresStore::new(state.pool.clone());
    let sessions = SessionManagerLayer::new(session_store)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(CookieDuration::minutes(
            state.config.session_idle_minutes,
        )))
        // Save on every request so the idle timer restarts with each use.
        .with_always_save(true);

    let request_ids = CounterRequestId {
        prefix: format!("{:08x}", rand::random::<u32>()),
        counter: Default::default(),
    };

    Router::new()
        .route("/health", get(crate::health::health))
        .nest("/api/v1", crate::api_v1::router(state.clone()))
        .route("/lang/{code}", get(set_lang))
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(ctx.clone()),
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            move || provide_context(ctx_for_fallback.clone()),
            shell,
        ))
        .layer(middleware::from_fn_with_state((state.clone(), pages), sign_in_redirect))
        .layer(middleware::from_fn(rpc_transport_errors))
        .layer(middleware::from_fn_with_state(state.clone(), same_origin_posts))
        .layer(sessions)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn(json_api_errors))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
                    tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
                })
                .on_request(())
                // Statuses are logged once, by on_response; a 503 in maintenance is not an error.
                .on_failure(())
                .on_response(|res: &Response, latency: std::time::Duration, _span: &tracing::Span| {
                    tracing::info!(status = res.status().as_u16(), latency_ms = latency.as_millis() as u64, "response");
                }),
        )
        .layer(SetRequestIdLayer::x_request_id(request_ids))
        .with_state(state)
}

/// Full page loads of signed-in areas go to the login page first, then back (R-AUTH-1).
async fn sign_in_redirect(
    State((state, pages)): State<(AppState, Arc<HashSet<String>>)>,
    session: Session,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    if req.method() != Method::GET || is_public_path(&path) || !pages.contains(&path) {
        return next.run(req).await;
    }
    let user = match opsdeck_app::auth::session::user_of(&session).await {
        Ok(Some((uid, epoch))) => opsdeck_app::store::users::current(&state.pool, uid, epoch)
            .await
            .ok()
            .flatten(),
        _ => None,
    };
    if user.is_some() {
        return next.run(req).await;
    }
    let wanted = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let encoded: String = wanted
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    Redirect::to(&format!("/login?next={encoded}")).into_response()
}

/// CSRF defence in depth beside SameSite cookies: a state-changing request whose
/// `Origin` names another site is refused (R-AUTH-5).
async fn same_origin_posts(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let headers = req.headers();
        let cross_site =
            headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site");
        let origin = headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .filter(|o| *o != "null");
        // Behind a proxy that rewrites Host, compare with the configured public origin.
        let mismatch = match (origin, &state.config.public_origin) {
            (Some(o), Some(public)) => o != public,
            (Some(o), None) => {
                let origin_host = o.split("://").nth(1).unwrap_or(o);
                headers
                    .get(header::HOST)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|h| h != origin_host)
            }
            (None, _) => false,
        };
        if cross_site || mismatch {
            tracing::warn!("cross-site request refused");
            return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
        }
    }
    next.run(req).await
}

/// Server functions answer 500 when their arguments cannot even be read (the
/// body never ran). That is the caller's fault: answer 400 (or 413) instead.
async fn rpc_transport_errors(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/rpc/") {
        return next.run(req).await;
    }
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT_BYTES).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(opsdeck_app::error::AppError::Transport(detail)) = serde_json::from_slice(&bytes) {
        parts.status = if detail.contains("length limit") {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::BAD_REQUEST
        };
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Machines get JSON errors from `/api/…` even when the refusal comes from a
/// layer rather than a handler (413 body limit, 405 wrong method).
async fn json_api_errors(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_api || is_json || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "PAYLOAD_TOO_LARGE",
        StatusCode::METHOD_NOT_ALLOWED => "METHOD_NOT_ALLOWED",
        s if s.is_server_error() => "INTERNAL",
        _ => "BAD_REQUEST",
    };
    let message = status.canonical_reason().unwrap_or("error");
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = serde_json::json!({"error": code, "message": message}).to_string();
    Response::from_parts(parts, axum::body::Body::from(body))
}

#[derive(serde::Deserialize)]
struct NextParam {
    next: Option<String>,
}

/// `/lang/ja?next=/audit`: keeps the language in a cookie and goes back (R-UI-3). Works without JavaScript.
async fn set_lang(Path(code): Path<String>, Query(q): Query<NextParam>) -> Response {
    let next = opsdeck_app::api::auth::safe_next(q.next.as_deref().unwrap_or("/"));
    let Some(lang) = Lang::from_code(&code) else {
        return (StatusCode::NOT_FOUND, "unknown language").into_response();
    };
    let cookie = format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        Lang::COOKIE,
        lang.code()
    );
    let mut res = Redirect::to(&next).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_paths() {
        assert!(is_public_path("/login"));
        assert!(is_public_path("/pkg/opsdeck.wasm"));
        assert!(!is_public_path("/admin"));
        assert!(!is_public_path("/"));
    }
}
