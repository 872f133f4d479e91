//! Errors of the machine API, as JSON bodies with the right status.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// Each variant names its status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401: no token, or a token that is unknown or revoked.
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// 403: the token lacks the scope this route needs.
    #[error("this token lacks the `{0}` scope")]
    MissingScope(&'static str),
    /// 400: credentials in the query string are refused (they end up in logs and histories).
    #[error("send the token in the Authorization header, never in the URL")]
    TokenInQuery,
    /// 404
    #[error("no such API route")]
    NotFound,
    /// 503 while maintenance mode is on (R-MNT-3).
    #[error("maintenance")]
    Maintenance {
        message: String,
        estimated_end: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// 500: logged where it happened; the body says nothing more.
    #[error("internal error")]
    Internal,
    /// 422: the body was read, but fields are wrong; each is named.
    #[error("invalid: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<opsdeck_app::model::backups::FieldProblem>),
    /// 409: the same idempotency key was used with other details.
    #[error("{0}")]
    Conflict(String),
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "database error in API");
        ApiError::Internal
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
            ApiError::MissingScope(_) => (StatusCode::FORBIDDEN, "FORBIDDEN"),
            ApiError::TokenInQuery => (StatusCode::BAD_REQUEST, "TOKEN_IN_QUERY"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            ApiError::Maintenance { .. } => (StatusCode::SERVICE_UNAVAILABLE, "MAINTENANCE"),
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL"),
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "INVALID"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "CONFLICT"),
        };
        if let ApiError::Maintenance {
            message,
            estimated_end,
        } = self
        {
            let retry_after = estimated_end
                .map(|end| (end - chrono::Utc::now()).num_seconds().max(60))
                .unwrap_or(300);
            let mut res = (
                status,
                Json(json!({
                    "error": code,
                    "message": message,
                    "estimatedEndTime": estimated_end.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                })),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return res;
        }
        if let ApiError::Invalid(problems) = &self {
            // `field` names the first bad field; `errors` lists them all.
            let errors: Vec<_> = problems
                .iter()
                .map(|p| json!({"field": p.field, "problem": p.problem, "message": p.to_string()}))
                .collect();
            return (
                status,
                Json(json!({
                    "error": code,
                    "message": self.to_string(),
                    "field": problems.first().map(|p| p.field.clone()),
                    "errors": errors,
                })),
            )
                .into_response();
        }
        let mut res = (
            status,
            Json(json!({"error": code, "message": self.to_string()})),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}
