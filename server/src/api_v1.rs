//! The machine API under `/api/v1` (R-AUTH-3, R-MNT-3).
//!
//! Machines authenticate with `Authorization: Bearer <token>`; each route
//! names the scope it needs (each handler calls `authorize` itself, there is
//! no router-wide layer). The GitHub webhook is the exception: it takes no
//! token and is authenticated by its `X-Hub-Signature-256` alone. While
//! maintenance mode is on, every route but `GET /api/v1/maintenance` answers
//! 503 with the policy's body.

use crate::api_error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use opsdeck_app::model::Scope;
use opsdeck_app::store::tokens::{self, TokenIdentity};
use serde_json::json;

mod backups;
mod deploys;
mod github;
mod metrics;

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/maintenance", get(maintenance_state))
        .route("/environments", get(environments))
        .route("/backups", axum::routing::post(backups::report))
        .route("/deploys", axum::routing::post(deploys::create))
        .route("/deploys/{id}", get(deploys::show))
        .route(
            "/deploys/{id}/stages/{stage}",
            axum::routing::put(deploys::put_stage),
        )
        .route("/metrics", axum::routing::post(metrics::ingest))
        // Signature-authenticated (no bearer token): see `github`.
        .route("/webhooks/github", axum::routing::post(github::webhook))
        .fallback(|| async { ApiError::NotFound })
        .layer(middleware::from_fn(refuse_token_in_query))
        .layer(middleware::from_fn_with_state(state, maintenance_gate))
}

/// Answers 503 for everything but reading the maintenance state while maintenance is on.
async fn maintenance_gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // The exact route only (the nested router sees the path without `/api/v1`):
    // a suffix match would exempt any future `…/maintenance` route too.
    let is_state_read = req.method() == Method::GET
        && matches!(req.uri().path(), "/maintenance" | "/api/v1/maintenance");
    if !is_state_read {
        match opsdeck_app::store::maintenance::get(&state.pool).await {
            Ok(m) if m.active => {
                return ApiError::Maintenance {
                    message: m.message,
                    estimated_end: m.estimated_end,
                }
                .into_response();
            }
            Ok(_) => {}
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    next.run(req).await
}

/// Query-string keys that carry credentials, compared after percent-decoding and lower-casing.
const CREDENTIAL_KEYS: [&str; 7] = [
    "token",
    "access_token",
    "api_token",
    "apikey",
    "api_key",
    "key",
    "authorization",
];

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A credential in the URL ends up in logs and histories: refused on every API route.
async fn refuse_token_in_query(req: Request, next: Next) -> Response {
    let leaked = req.uri().query().is_some_and(|q| {
        q.split('&').any(|kv| {
            let key = percent_decode(kv.split('=').next().unwrap_or(""))
                .trim()
                .to_ascii_lowercase();
            CREDENTIAL_KEYS.contains(&key.as_str())
        })
    });
    if leaked {
        return ApiError::TokenInQuery.into_response();
    }
    next.run(req).await
}

/// Authenticates the bearer token of a request and checks its scope. A missing,
/// unknown, revoked or expired token is 401 with the same body: the answer does
/// not tell a caller which tokens once existed.
async fn authorize(
    state: &AppState,
    parts: &axum::http::request::Parts,
    scope: Scope,
) -> Result<TokenIdentity, ApiError> {
    let secret = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(ApiError::Unauthorized)?;
    let identity = tokens::authenticate(&state.pool, secret)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if !identity.scopes.contains(&scope) {
        tracing::warn!(
            token_id = identity.id,
            scope = scope.as_str(),
            "token lacks scope"
        );
        return Err(ApiError::MissingScope(scope.as_str()));
    }
    Ok(identity)
}

/// `GET /api/v1/maintenance`: no token needed; the monitored service reads it.
async fn maintenance_state(
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let m = opsdeck_app::store::maintenance::get(&state.pool).await?;
    Ok(Json(json!({
        "maintenance": m.active,
        "message": m.message,
        "estimatedEndTime": m.estimated_end.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "startedAt": m.started_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    })))
}

/// `GET /api/v1/environments` (scope `deploy`): what is deployed where, for CI scripts.
async fn environments(
    State(state): State<AppState>,
    req: Request,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (parts, _) = req.into_parts();
    authorize(&state, &parts, Scope::Deploy).await?;
    let envs = opsdeck_app::store::environments::list(&state.pool).await?;
    Ok(Json(json!({ "environments": envs })))
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn query_keys_are_decoded_before_matching() {
        assert_eq!(percent_decode("access%5Ftoken"), "access_token");
        assert_eq!(percent_decode("%41PI_KEY"), "API_KEY");
        assert_eq!(percent_decode("bad%zz"), "bad%zz");
        assert_eq!(percent_decode("%"), "%");
    }
}
