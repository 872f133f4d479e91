//! Failed-login throttling per account and per client address (R-AUTH-5).
//!
//! Kept in Postgres rather than memory so that every replica sees the same
//! count. A success does not erase failures: an attacker who knows one
//! password cannot reset the address counter with it.

use crate::context::LoginLimits;
use sqlx::PgConnection;

/// Seconds until another attempt is allowed, or `None` if allowed now.
pub async fn retry_after(
    conn: &mut PgConnection,
    limits: LoginLimits,
    username: &str,
    address: Option<&str>,
) -> Result<Option<u64>, sqlx::Error> {
    // For each key: if the window holds >= limit failures, the lock lasts until
    // the oldest failure that still counts leaves the window.
    let wait: Option<f64> = sqlx::query_scalar(
        "WITH acct AS ( \
            SELECT at FROM login_failures WHERE username = $1 AND at > now() - make_interval(secs => $3) \
            ORDER BY at DESC OFFSET ($4 - 1) LIMIT 1), \
         addr AS ( \
            SELECT at FROM login_failures WHERE $2::text IS NOT NULL AND address = $2 AND at > now() - make_interval(secs => $3) \
            ORDER BY at DESC OFFSET ($5 - 1) LIMIT 1) \
         SELECT EXTRACT(EPOCH FROM (max(at) + make_interval(secs => $3) - now()))::float8 \
         FROM (SELECT at FROM acct UNION ALL SELECT at FROM addr) t",
    )
    .bind(username)
    .bind(address)
    .bind(limits.window_secs as f64)
    .bind(limits.per_account)
    .bind(limits.per_address)
    .fetch_one(conn)
    .await?;
    Ok(wait.filter(|w| *w > 0.0).map(|w| w.ceil() as u64))
}

/// Records one failed attempt.
pub async fn record(
    conn: &mut PgConnection,
    username: &str,
    address: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO login_failures (username, address) VALUES ($1, $2)")
        .bind(username)
        .bind(address)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes the account's login lock until the transaction ends; `false` if another
/// attempt for the same account holds it. Refusing instead of waiting means a burst
/// of parallel guesses neither slips past the count nor ties up connections.
pub async fn try_lock_account(
    conn: &mut PgConnection,
    username: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtext('opsdeck.login:' || $1))")
        .bind(username)
        .fetch_one(conn)
        .await
}

/// Forgets failures older than a day (the window is far shorter).
pub async fn prune(pool: &sqlx::PgPool) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM login_failures WHERE at < now() - interval '1 day'")
            .execute(pool)
            .await?
            .rows_affected(),
    )
}
