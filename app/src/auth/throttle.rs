//! Password checks (login, change password) that a flood cannot turn against
//! the database (R-AUTH-5, R-MON-1).
//!
//! A password check is slow on purpose (argon2id). It must never hold a
//! pooled connection while it waits for a hashing slot or hashes, or a few
//! hundred parallel guesses starve `/health` and every signed-in user. So a
//! check runs in three phases: a short transaction that throttles and records
//! the attempt, the hash with no connection held, and a short write of the
//! outcome. At most `ADMITTED` checks are in flight (more get 429 at once) and
//! at most `DB_SLOTS` of them hold a connection at any moment, which keeps the
//! rest of the pool in reserve.

use crate::context::ServerCtx;
use crate::error::AppError;
use crate::store::{login_failures, users};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Password checks in flight (waiting for a hash slot or hashing) per server.
const ADMITTED: usize = 64;
/// Connections password checks may hold at once; the pool has 10.
const DB_SLOTS: usize = 3;

/// The two bounds above, one set per server (kept in `ServerCtx`).
#[derive(Debug)]
pub struct CheckSlots {
    admitted: Arc<Semaphore>,
    db: Arc<Semaphore>,
}

impl Default for CheckSlots {
    fn default() -> Self {
        Self {
            admitted: Arc::new(Semaphore::new(ADMITTED)),
            db: Arc::new(Semaphore::new(DB_SLOTS)),
        }
    }
}

/// A place among the password checks in flight; refused with 429 when full.
pub struct Admission(#[allow(dead_code)] OwnedSemaphorePermit);

pub fn admit(ctx: &ServerCtx) -> Result<Admission, AppError> {
    ctx.check_slots
        .admitted
        .clone()
        .try_acquire_owned()
        .map(Admission)
        .map_err(|_| AppError::RateLimited {
            retry_after_secs: 1,
        })
}

async fn db_slot(ctx: &ServerCtx) -> Result<OwnedSemaphorePermit, AppError> {
    ctx.check_slots
        .db
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| AppError::Internal)
}

/// An attempt that passed the throttle and is recorded as a failure until it succeeds.
pub struct Attempt {
    failure_id: i64,
    pub credentials: Option<users::Credentials>,
}

/// Phase 1: throttle, record the attempt (provisionally as a failure, so that
/// parallel guesses all count) and read the credentials, in one short
/// transaction under the account's lock.
pub async fn begin(
    _admission: &Admission,
    ctx: &ServerCtx,
    username: &str,
    address: Option<&str>,
) -> Result<Attempt, AppError> {
    let _slot = db_slot(ctx).await?;
    let mut tx = ctx.pool.begin().await?;
    if !login_failures::try_lock_account(&mut tx, username).await? {
        return Err(AppError::RateLimited {
            retry_after_secs: 1,
        });
    }
    if let Some(secs) =
        login_failures::retry_after(&mut tx, ctx.login_limits, username, address).await?
    {
        tracing::warn!(address = ?address, "password check throttled");
        return Err(AppError::RateLimited {
            retry_after_secs: secs,
        });
    }
    let failure_id = login_failures::record(&mut tx, username, address).await?;
    let credentials = users::credentials(&mut tx, username).await?;
    tx.commit().await?;
    Ok(Attempt {
        failure_id,
        credentials,
    })
}

/// Phase 2: checks the password with no connection held (unknown users are
/// checked against a decoy: same time, same answer).
pub async fn verify(attempt: &Attempt, password: String) -> Result<bool, AppError> {
    let hash = attempt
        .credentials
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| super::password::decoy_hash().to_string());
    super::password::verify_async(password, hash).await
}

/// Phase 3 of a success: the provisional failure is forgotten.
pub async fn succeeded(ctx: &ServerCtx, attempt: &Attempt) -> Result<(), AppError> {
    let _slot = db_slot(ctx).await?;
    login_failures::forget(&ctx.pool, attempt.failure_id).await?;
    Ok(())
}
