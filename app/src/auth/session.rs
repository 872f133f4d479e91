//! What a session remembers: the user id and the user's session epoch.
//!
//! Sessions live in Postgres (tower-sessions' Postgres store), so any replica
//! can serve any request. Bumping a user's `session_epoch` (password reset,
//! disabling) ends every session they hold at once.

use crate::error::AppError;
use tower_sessions::Session;

const USER_ID: &str = "uid";
const EPOCH: &str = "epoch";
/// Unix seconds of the sign-in; the absolute lifetime counts from here.
pub const SIGNED_IN_AT: &str = "signed_in_at";
/// When the session last counted as active (Unix seconds): the idle timer
/// restarts when the session is saved, and it is saved only when this is
/// older than the touch interval, not on every request (decision 0021).
const TOUCHED_AT: &str = "touched_at";

/// The session of the current request, from the layer the server installs.
pub async fn current() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "session layer missing");
        AppError::Internal
    })
}

/// The signed-in user id and epoch, if any. A session older than
/// `max_age_secs` (the absolute lifetime) ends here however active it was.
/// A signed-in session not touched for `touch_secs` is marked active, so it
/// is saved (and its idle timer restarted) at the end of this request.
pub async fn user_of(
    session: &Session,
    max_age_secs: i64,
    touch_secs: i64,
) -> Result<Option<(i64, i64)>, AppError> {
    let uid = session.get::<i64>(USER_ID).await.map_err(session_error)?;
    let epoch = session.get::<i64>(EPOCH).await.map_err(session_error)?;
    let Some(signed_in) = uid.zip(epoch) else {
        return Ok(None);
    };
    let signed_in_at = session
        .get::<i64>(SIGNED_IN_AT)
        .await
        .map_err(session_error)?
        // Sessions from before the lifetime existed count as old.
        .unwrap_or(0);
    let now = chrono::Utc::now().timestamp();
    if now - signed_in_at > max_age_secs {
        session.flush().await.map_err(session_error)?;
        return Ok(None);
    }
    let touched_at = session
        .get::<i64>(TOUCHED_AT)
        .await
        .map_err(session_error)?
        .unwrap_or(0);
    if now - touched_at >= touch_secs {
        session
            .insert(TOUCHED_AT, now)
            .await
            .map_err(session_error)?;
    }
    Ok(Some(signed_in))
}

/// Signs `user_id` in: a new session id first (no fixation), then the user.
pub async fn sign_in(session: &Session, user_id: i64, epoch: i64) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(USER_ID, user_id)
        .await
        .map_err(session_error)?;
    session.insert(EPOCH, epoch).await.map_err(session_error)?;
    let now = chrono::Utc::now().timestamp();
    session
        .insert(TOUCHED_AT, now)
        .await
        .map_err(session_error)?;
    session
        .insert(SIGNED_IN_AT, now)
        .await
        .map_err(session_error)
}

/// Ends the session and deletes it from the store.
pub async fn sign_out(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)
}

fn session_error(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store error");
    AppError::Internal
}
