//! `GET /calendar.ics?k=<secret>`: the release calendar for calendar apps
//! (R-REL-3). The one route that takes a credential in the query string, on
//! purpose: calendar apps subscribe to a URL and cannot send headers. The
//! secret is per user, random (256 bits), stored only as a SHA-256 and
//! replaceable from the calendar page; request logs carry the path only, never
//! the query. A wrong, old or missing secret answers 404, the same as a page
//! that does not exist. See docs/decisions/0014-releases.md.

use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct FeedQuery {
    #[serde(default)]
    k: String,
}

pub async fn calendar_ics(State(state): State<AppState>, Query(q): Query<FeedQuery>) -> Response {
    let pool = &state.pool;
    match opsdeck_app::store::releases::feed_user(pool, q.k.trim()).await {
        Ok(Some(_user)) => {}
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "calendar feed lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    let host = url_host(&state.config.public_url());
    match opsdeck_app::api::releases::ics::feed(
        pool,
        state.ctx.time_zone,
        chrono::Utc::now(),
        &host,
    )
    .await
    {
        Ok(body) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/calendar; charset=utf-8"),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, max-age=300"),
                ),
                (
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("no-referrer"),
                ),
            ],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "calendar feed failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The host part of the public URL, for the events' UIDs (`…@opsdeck.example`).
fn url_host(public_url: &str) -> String {
    let rest = public_url.split_once("://").map_or(public_url, |(_, r)| r);
    let host = rest.split(['/', ':']).next().unwrap_or_default();
    if host.is_empty() {
        "opsdeck".to_string()
    } else {
        host.to_string()
    }
}
