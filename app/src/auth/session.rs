//! What a session remembers: the user id and the user's session epoch.
//!
//! Sessions live in Postgres (tower-sessions' Postgres store), so any replica
//! can serve any request. Bumping a user's `session_epoch` (password reset,
//! disabling) ends every session they hold at once.

use crate::error::AppError;
use tower_sessions::Session;

const USER_ID: &str = "uid";
const EPOCH: &str = "epoch";

/// The session of the current request, from the layer the server installs.
pub async fn current() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "session layer missing");
        AppError::Internal
    })
}

/// The signed-in user id and epoch, if any.
pub async fn user_of(session: &Session) -> Result<Option<(i64, i64)>, AppError> {
    let uid = session.get::<i64>(USER_ID).await.map_err(session_error)?;
    let epoch = session.get::<i64>(EPOCH).await.map_err(session_error)?;
    Ok(uid.zip(epoch))
}

/// Signs `user_id` in: a new session id first (no fixation), then the user.
pub async fn sign_in(session: &Session, user_id: i64, epoch: i64) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(USER_ID, user_id)
        .await
        .map_err(session_error)?;
    session.insert(EPOCH, epoch).await.map_err(session_error)
}

/// Ends the session and deletes it from the store.
pub async fn sign_out(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)
}

fn session_error(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store error");
    AppError::Internal
}
