//! `POST /api/v1/backups` (scope `backup`): backup agents report a run
//! (R-BAK-1). Idempotent on the agent's run id: 201 when recorded, 200 when
//! the same report comes again, 409 when the run id comes back with other
//! details, 422 naming each bad field.

use super::authorize;
use crate::api_error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use opsdeck_app::model::backups::{FieldProblem, ReportProblem};
use opsdeck_app::model::Scope;
use opsdeck_app::store::audit::Actor;
use opsdeck_app::store::backups::{self as store, ReportError};

/// Largest report body: a run's fields and up to 32 KB of its output, in JSON.
const MAX_REPORT_BYTES: usize = 256 * 1024;

fn body_problem(problem: ReportProblem) -> ApiError {
    ApiError::Invalid(vec![FieldProblem {
        field: "body".into(),
        problem,
    }])
}

/// Reads the token first, then the body: a caller without the scope learns
/// nothing about what a valid report looks like.
pub async fn report(State(state): State<AppState>, req: Request) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let identity = authorize(&state, &parts, Scope::Backup).await?;
    let bytes = axum::body::to_bytes(body, MAX_REPORT_BYTES)
        .await
        .map_err(|_| body_problem(ReportProblem::TooLong))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|_| body_problem(ReportProblem::NotAnObject))?;
    let actor = Actor {
        id: None,
        name: format!("token:{}", identity.name),
    };
    let mut tx = state.pool.begin().await?;
    let outcome = match store::report(&mut tx, &actor, &value, chrono::Utc::now()).await {
        Ok(o) => o,
        Err(ReportError::Invalid(problems)) => return Err(ApiError::Invalid(problems)),
        Err(e @ ReportError::Conflict(_)) => return Err(ApiError::Conflict(e.to_string())),
        Err(ReportError::Db(e)) => return Err(e.into()),
    };
    tx.commit().await?;
    let status = if outcome.created {
        tracing::info!(run = outcome.run.id, target = %outcome.run.target_key, token_id = identity.id, "backup run reported");
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(outcome)).into_response())
}
