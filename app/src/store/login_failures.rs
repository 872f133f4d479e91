//! Failed-login throttling per account and per client address (R-AUTH-5).
//!
//! Kept in Postgres rather than memory so that every replica sees the same
//! count. A success does not erase earlier failures: an attacker who knows one
//! password cannot reset the address counter with it. (A success only removes
//! its own provisional row, see `auth::throttle`.)

use crate::context::LoginLimits;
use sqlx::PgConnection;

/// Seconds until another attempt is allowed, or `None` if allowed now.
///
/// Two limits (docs/decisions/0008-soft-lockout.md):
/// - an address with `per_address` failures in the window (on any accounts) waits;
/// - an account with `per_account` failures in the window is locked only for
///   addresses that have failed on it more than once (or unknown addresses).
///   Its owner, signing in from an address with at most one recent failure on
///   it, still gets in: an attacker who knows the on-call operator's name
///   cannot lock them out from somewhere else.
/// - an account with `per_account_ceiling` failures in the window is locked
///   for everyone: guesses spread over many addresses stay bounded.
///
/// The wait lasts until the oldest failure that still counts leaves the window.
pub async fn retry_after(
    conn: &mut PgConnection,
    limits: LoginLimits,
    username: &str,
    address: Option<&str>,
) -> Result<Option<u64>, sqlx::Error> {
    let wait: Option<f64> = sqlx::query_scalar(
        "WITH recent AS ( \
            SELECT username, address, at FROM login_failures \
            WHERE at > now() - make_interval(secs => $3) AND (username = $1 OR address = $2)), \
         addr AS ( \
            SELECT at FROM recent WHERE $2::text IS NOT NULL AND address = $2 \
            ORDER BY at DESC OFFSET ($5 - 1) LIMIT 1), \
         acct AS ( \
            SELECT at FROM recent WHERE username = $1 \
            ORDER BY at DESC OFFSET ($4 - 1) LIMIT 1), \
         ceiling AS ( \
            SELECT at FROM recent WHERE username = $1 \
            ORDER BY at DESC OFFSET ($6 - 1) LIMIT 1), \
         tainted AS ( \
            SELECT $2::text IS NULL \
                OR (SELECT count(*) FROM recent WHERE username = $1 AND address = $2) > 1 AS yes) \
         SELECT EXTRACT(EPOCH FROM (max(at) + make_interval(secs => $3) - now()))::float8 \
         FROM (SELECT at FROM addr \
               UNION ALL SELECT at FROM ceiling \
               UNION ALL SELECT at FROM acct, tainted WHERE tainted.yes) t",
    )
    .bind(username)
    .bind(address)
    .bind(limits.window_secs as f64)
    .bind(limits.per_account)
    .bind(limits.per_address)
    .bind(limits.per_account_ceiling)
    .fetch_one(conn)
    .await?;
    Ok(wait.filter(|w| *w > 0.0).map(|w| w.ceil() as u64))
}

/// Records one failed (or not yet verified) attempt; returns its id.
pub async fn record(
    conn: &mut PgConnection,
    username: &str,
    address: Option<&str>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO login_failures (username, address) VALUES ($1, $2) RETURNING id",
    )
    .bind(username)
    .bind(address)
    .fetch_one(conn)
    .await
}

/// Forgets one attempt that turned out to be a success.
pub async fn forget(pool: &sqlx::PgPool, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE id = $1")
        .bind(id)
        .execute(pool)
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
