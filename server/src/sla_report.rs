//! `GET /sla/report.csv?environment=production&month=2026-04`: the monthly
//! SLA report as a download (R-SLA-5). Signed-in users only (viewers read
//! every report), checked from the session like every server function; the
//! figures come from the same function as the page (`api::sla::month_report`),
//! so the page and the file cannot disagree.

use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use opsdeck_app::error::AppError;
use opsdeck_app::role::Access;
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    environment: String,
    /// `2026-04`; empty = the current month.
    #[serde(default)]
    month: String,
}

/// The error as the server functions answer it: its status and its JSON.
fn refuse(e: &AppError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(e).unwrap_or_default();
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

pub async fn report_csv(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<ReportQuery>,
) -> Response {
    let user = match opsdeck_app::auth::session::user_of(
        &session,
        state.ctx.session_max_secs,
        state.ctx.session_touch_secs,
    )
    .await
    {
        Ok(Some((uid, epoch))) => {
            match opsdeck_app::store::users::current(&state.pool, uid, epoch).await {
                Ok(u) => u,
                Err(e) => {
                    tracing::error!(error = %e, "SLA report: user lookup failed");
                    return refuse(&AppError::Internal);
                }
            }
        }
        Ok(None) => None,
        Err(e) => return refuse(&e),
    };
    let Some(user) = user else {
        return refuse(&AppError::Unauthenticated);
    };
    if !user.can(Access::SignedIn) {
        return refuse(&AppError::Forbidden);
    }
    let (year, month) = if q.month.trim().is_empty() {
        (0, 0)
    } else {
        match opsdeck_app::model::sla::parse_month_key(&q.month) {
            Some(ym) => ym,
            None => {
                return refuse(&AppError::field(
                    "month",
                    opsdeck_app::i18n::Msg::ErrSlaMonthRange,
                ))
            }
        }
    };
    let view = match opsdeck_app::api::sla::month_report(
        &state.pool,
        state.ctx.time_zone,
        &q.environment,
        year,
        month,
        None,
        chrono::Utc::now(),
    )
    .await
    {
        Ok(v) => v,
        Err(e) => return refuse(&e),
    };
    let body = match opsdeck_app::api::sla::csv::write(&view) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "SLA report: CSV not written");
            return refuse(&AppError::Internal);
        }
    };
    let disposition = format!(
        "attachment; filename=\"{}\"",
        opsdeck_app::api::sla::csv::file_name(&view)
    );
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        body,
    )
        .into_response()
}
