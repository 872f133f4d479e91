//! `POST /api/v1/metrics` (scope `ingest`): the monitored service sends its
//! metrics in batches (R-MON-2) — system samples and per-minute request
//! counts with a latency histogram over fixed bounds.
//!
//! - 200 `{"samples": n, "requests": m}`: the whole batch is committed. A
//!   re-sent sample or minute replaces the stored one, so retrying a batch
//!   whose answer was lost is safe and answers the same.
//! - 422 with the shape of `ApiError::Invalid` (`field` = the first bad
//!   item, `errors` = all of them, up to 50): nothing of the batch is stored.
//! - 413 over 1 MB.

use super::authorize;
use crate::api_error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use opsdeck_app::model::metrics::{IngestFieldProblem, IngestProblem};
use opsdeck_app::model::Scope;
use opsdeck_app::store::metrics as store;
use serde_json::json;

/// Largest batch: at one sample and three classes a minute, a source's hour
/// fits several times over.
pub const MAX_BATCH_BYTES: usize = 1024 * 1024;

/// The errors of the metric route: the machine API's own, plus the metric
/// vocabulary's field problems and the body limit.
#[derive(Debug)]
pub enum MetricsApiError {
    Api(ApiError),
    /// 422, each bad item named.
    Invalid(Vec<IngestFieldProblem>),
    /// 413: the batch is over `MAX_BATCH_BYTES`.
    TooLarge,
}

impl From<ApiError> for MetricsApiError {
    fn from(e: ApiError) -> Self {
        MetricsApiError::Api(e)
    }
}

impl From<sqlx::Error> for MetricsApiError {
    fn from(e: sqlx::Error) -> Self {
        MetricsApiError::Api(e.into())
    }
}

impl IntoResponse for MetricsApiError {
    fn into_response(self) -> Response {
        match self {
            MetricsApiError::Api(e) => e.into_response(),
            MetricsApiError::Invalid(problems) => {
                let errors: Vec<_> = problems
                    .iter()
                    .map(|p| json!({"field": p.field, "problem": p.problem, "message": p.to_string()}))
                    .collect();
                let message = format!(
                    "invalid: {}",
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                );
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(json!({
                        "error": "INVALID",
                        "message": message,
                        "field": problems.first().map(|p| p.field.clone()),
                        "errors": errors,
                    })),
                )
                    .into_response()
            }
            MetricsApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                Json(json!({
                    "error": "PAYLOAD_TOO_LARGE",
                    "message": format!("a batch holds at most {MAX_BATCH_BYTES} bytes: send smaller batches"),
                })),
            )
                .into_response(),
        }
    }
}

/// Reads the token first, then the body: a caller without the scope learns
/// nothing about what a valid batch looks like.
pub async fn ingest(
    State(state): State<AppState>,
    req: Request,
) -> Result<Response, MetricsApiError> {
    let (parts, body) = req.into_parts();
    let identity = authorize(&state, &parts, Scope::Ingest).await?;
    let bytes = axum::body::to_bytes(body, MAX_BATCH_BYTES)
        .await
        .map_err(|_| MetricsApiError::TooLarge)?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| {
        MetricsApiError::Invalid(vec![IngestFieldProblem {
            field: "body".into(),
            problem: IngestProblem::NotAnObject,
        }])
    })?;
    // The raw retention as stored: a sample older than it would be purged within the hour.
    let retention = opsdeck_app::store::monitoring::settings(&state.pool)
        .await?
        .raw_retention_days;
    let batch = store::parse_batch_within(
        &value,
        chrono::Utc::now(),
        chrono::Duration::days(i64::from(retention)),
    )
    .map_err(MetricsApiError::Invalid)?;
    let mut tx = state.pool.begin().await?;
    let outcome = store::ingest(&mut tx, &batch).await?;
    tx.commit().await?;
    tracing::debug!(
        environment = batch.environment.key(),
        source = %batch.source,
        samples = outcome.samples,
        requests = outcome.requests,
        token_id = identity.id,
        "metrics ingested"
    );
    Ok((StatusCode::OK, Json(outcome)).into_response())
}
