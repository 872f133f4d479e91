//! The HTTP edge: the router with pages, server functions, `/health`, the
//! machine API, and the layers every request passes (request id, logging,
//! body limit, sessions, CSRF origin check, sign-in redirect).

use crate::page_cache::PageKey;
use crate::state::AppState;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use opsdeck_app::auth::guard::{MAY_WRITE_HEADER, READ_ONLY_HEADER};
use opsdeck_app::i18n::Lang;
use opsdeck_app::{shell, App};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::{time::Duration as CookieDuration, SameSite};
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

/// Largest request body accepted; larger ones get 413.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;
/// Name of the session cookie over plain HTTP (development).
pub const SESSION_COOKIE: &str = "opsdeck_session";
/// Name of the session cookie when cookies are `Secure`: the `__Host-` prefix
/// makes the browser refuse it unless it is Secure, has `Path=/` and no
/// `Domain`, so a sibling subdomain cannot plant or overwrite it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-opsdeck_session";

/// Hashed asset names never change content: cache them for a year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The Content-Security-Policy of responses that carry no page of their own
/// (JSON, files, redirects). Pages get one with a per-response script nonce,
/// set by `opsdeck_app::shell`.
const FALLBACK_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

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
    let secure = state.config.secure_cookies;
    let sessions = SessionManagerLayer::new(session_store)
        .with_name(if secure {
            SECURE_SESSION_COOKIE
        } else {
            SESSION_COOKIE
        })
        .with_path("/")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(CookieDuration::minutes(
            state.config.session_idle_minutes,
        )))
        // Saved when changed: `user_of` marks a signed-in session active at
        // most once per touch interval, so the idle timer restarts with use
        // without a write on every request (decision 0021).
        .with_always_save(false);

    let request_ids = CounterRequestId {
        prefix: format!("{:08x}", rand::random::<u32>()),
        counter: Default::default(),
    };

    let app = Router::new()
        .route("/health", get(crate::health::health))
        .nest("/api/v1", crate::api_v1::router(state.clone()))
        .route("/lang/{code}", get(set_lang))
        .route("/calendar.ics", get(crate::calendar_feed::calendar_ics))
        .route("/sla/report.csv", get(crate::sla_report::report_csv))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(ctx.clone());
                // Per request: the page's read-only server functions run
                // once however often the router builds the page's view.
                provide_context(opsdeck_app::auth::guard::RenderMemo::default());
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            move || provide_context(ctx_for_fallback.clone()), shell
        ))
        .layer(middleware::from_fn_with_state(
            (state.clone(), pages),
            sign_in_redirect,
        ))
        .layer(middleware::from_fn(rpc_transport_errors))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            same_origin_posts,
        ))
        .layer(sessions)
        .with_state(state.clone());

    // Built assets are served beside the app, outside the session layer: loading
    // them is not activity and must not restart the idle timer (R-AUTH-1).
    let pkg_dir = std::path::Path::new(&state.config.site_root).join("pkg");
    let pkg_cache = HeaderValue::from_static(if state.leptos_options.hash_files {
        IMMUTABLE
    } else {
        // Unhashed names (a development build): always revalidate.
        "no-cache"
    });
    // Only files found are cached; a 404 (an asset of a newer build, mid-deploy)
    // keeps the no-store below, or a proxy would remember it for a year.
    let cache_if_found = move |res: &Response<_>| {
        (res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED)
            .then(|| pkg_cache.clone())
    };
    let pkg = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            cache_if_found,
        ))
        .service(
            tower_http::services::ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        );

    let mut headers = vec![
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(FALLBACK_CSP),
        ),
        // Nothing opsdeck answers may be stored by a browser or proxy, except
        // the hashed assets above, which set their own Cache-Control.
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    if secure {
        headers.push((
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    let mut router = Router::new()
        .nest_service("/pkg", pkg)
        .fallback_service(app);
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    router
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        // br or gzip for HTML, JSON and anything else worth it; pre-compressed
        // assets already carry Content-Encoding and pass through untouched.
        .layer(CompressionLayer::new().br(true).gzip(true))
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
        let may_change = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        let mut res = next.run(req).await;
        let read_only = res.headers_mut().remove(READ_ONLY_HEADER).is_some();
        let wrote = res.headers_mut().remove(MAY_WRITE_HEADER).is_some();
        // A request that may have changed data: pages rendered before it are
        // not reused, unless it ran only read-only server functions (decision 0023).
        if may_change && (wrote || !read_only) {
            state.page_cache.data_changed();
        }
        return res;
    }
    let signed_in = opsdeck_app::auth::session::user_of(
        &session,
        state.ctx.session_max_secs,
        state.ctx.session_touch_secs,
    )
    .await
    .ok()
    .flatten();
    let cache_key = signed_in
        .filter(|_| state.page_cache.keeps(&path))
        .map(|(user_id, epoch)| page_key(user_id, epoch, &req));
    if let Some(page) = cache_key.as_ref().and_then(|k| state.page_cache.get(k)) {
        return page;
    }
    let user = match signed_in {
        Some((uid, epoch)) => opsdeck_app::store::users::current(&state.pool, uid, epoch)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    if let Some(user) = user {
        // The page's own checks (its shell and every server function it
        // calls while rendering) reuse this user instead of loading it again.
        let mut req = req;
        req.extensions_mut()
            .insert(opsdeck_app::auth::guard::CheckedUser(user));
        // Read before rendering: a change during the render makes the copy outdated at once.
        let generation = state.page_cache.generation();
        let mut res = next.run(req).await;
        res.headers_mut().remove(READ_ONLY_HEADER);
        res.headers_mut().remove(MAY_WRITE_HEADER);
        return match (cache_key, generation) {
            (Some(key), Some(generation)) => state.page_cache.store(key, generation, res).await,
            _ => res,
        };
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

/// What a kept page is kept under: the user, the language this request
/// renders in, and the URL.
fn page_key(user_id: i64, epoch: i64, req: &Request) -> PageKey {
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let lang = Lang::of_request(header(header::COOKIE), header(header::ACCEPT_LANGUAGE));
    PageKey {
        user_id,
        epoch,
        lang: lang.code(),
        path_and_query: req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
    }
}

/// CSRF defence beside SameSite cookies (R-AUTH-5): a state-changing request
/// made with the session cookie must prove it comes from this site: an
/// `Origin` equal to ours, or without an `Origin`, `Sec-Fetch-Site:
/// same-origin` (set by the browser, never by a page) or a `Referer` on our
/// origin. `Origin: null` (sandboxed frames, some redirects), a cross-site
/// `Sec-Fetch-Site` or no proof at all is refused. The machine API authenticates with bearer tokens, not cookies,
/// and is exempt.
async fn same_origin_posts(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe_method = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe_method || req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    if !is_same_origin(req.headers(), state.config.public_origin.as_deref()) {
        tracing::warn!("cross-site request refused");
        return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
    }
    next.run(req).await
}

/// Whether a state-changing request's headers prove it comes from this site.
pub fn is_same_origin(headers: &axum::http::HeaderMap, public_origin: Option<&str>) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    // Behind a proxy that rewrites Host, compare with the configured public origin;
    // else with the Host the browser used (either scheme: TLS may end at a proxy).
    let ours = |origin: &str| match public_origin {
        Some(public) => origin == public,
        None => {
            let host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            host.is_some() && host == text(header::HOST)
        }
    };
    let fetch_site = text(axum::http::HeaderName::from_static("sec-fetch-site"));
    if matches!(fetch_site, Some("cross-site" | "same-site")) {
        return false;
    }
    match text(header::ORIGIN) {
        Some("null") => false,
        Some(origin) => ours(origin),
        None => {
            fetch_site == Some("same-origin")
                || text(header::REFERER)
                    .and_then(origin_of_url)
                    .is_some_and(|o| ours(&o))
        }
    }
}

/// `https://host:port/path?q` → `https://host:port`.
fn origin_of_url(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest
        .split(['/', '?', '#'])
        .next()
        .filter(|a| !a.is_empty())?;
    matches!(scheme, "http" | "https").then(|| format!("{scheme}://{authority}"))
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
    // The body is replaced: whatever encoding the old one had no longer applies.
    parts.headers.remove(header::CONTENT_ENCODING);
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

    fn headers(pairs: &[(&'static str, &'static str)]) -> axum::http::HeaderMap {
        let mut h = axum::http::HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_needs_proof_r_auth_5() {
        let host = ("host", "ops.test:3000");
        assert!(is_same_origin(
            &headers(&[host, ("origin", "http://ops.test:3000")]),
            None
        ));
        assert!(is_same_origin(
            &headers(&[host, ("sec-fetch-site", "same-origin")]),
            None
        ));
        assert!(is_same_origin(
            &headers(&[host, ("referer", "http://ops.test:3000/admin?x=1")]),
            None
        ));
        // Refused: null origin, no proof at all, foreign origin or referer, cross-site fetch.
        assert!(!is_same_origin(&headers(&[host, ("origin", "null")]), None));
        assert!(!is_same_origin(&headers(&[host]), None));
        assert!(!is_same_origin(
            &headers(&[host, ("origin", "http://evil.test")]),
            None
        ));
        assert!(!is_same_origin(
            &headers(&[host, ("referer", "http://evil.test/ops.test:3000")]),
            None
        ));
        assert!(!is_same_origin(
            &headers(&[
                host,
                ("origin", "http://ops.test:3000"),
                ("sec-fetch-site", "cross-site")
            ]),
            None
        ));
        // Behind a proxy: the configured public origin, not the rewritten Host.
        let behind = headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "https://ops.example.com"),
        ]);
        assert!(is_same_origin(&behind, Some("https://ops.example.com")));
        assert!(!is_same_origin(&behind, None));
    }

    #[test]
    fn public_paths() {
        assert!(is_public_path("/login"));
        assert!(is_public_path("/pkg/opsdeck.wasm"));
        assert!(!is_public_path("/admin"));
        assert!(!is_public_path("/"));
    }
}
