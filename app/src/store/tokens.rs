//! API tokens for machines (R-AUTH-3): only a SHA-256 of the secret is stored.
//!
//! Tokens carry 256 random bits, so a fast hash is enough (a slow KDF
//! protects guessable secrets, not random ones) and lets us look a token up
//! by its hash with an index instead of comparing secrets one by one.

use super::audit::{self, Actor};
use crate::model::{CreatedToken, Scope, TokenRow};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool, Row};

/// Every token starts with this, so leaked ones are easy to recognise in scans.
pub const TOKEN_PREFIX: &str = "odk_";

/// The stored form of a token.
pub fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut bytes);
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn row_from(r: sqlx::postgres::PgRow) -> Result<TokenRow, sqlx::Error> {
    let scopes: Vec<String> = r.try_get("scopes")?;
    Ok(TokenRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        prefix: r.try_get("prefix")?,
        scopes: scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by_name")?,
        last_used_at: r.try_get("last_used_at")?,
        revoked_at: r.try_get("revoked_at")?,
        expires_at: r.try_get("expires_at")?,
        expired: r.try_get("expired")?,
    })
}

const SELECT: &str =
    "SELECT t.id, t.name, t.prefix, t.scopes, t.created_at, u.username AS created_by_name, \
                      t.last_used_at, t.revoked_at, t.expires_at, \
                      (t.expires_at IS NOT NULL AND t.expires_at <= now()) AS expired \
                      FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by";

/// SQL condition: the token `t` is neither revoked nor expired.
const LIVE: &str = "t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())";

/// Creates a token, expiring at `expires_at` (`None`: never); the secret is
/// returned once and never stored. Audited, with the expiry.
pub async fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    name: &str,
    scopes: &[Scope],
    expires_at: Option<DateTime<Utc>>,
) -> Result<CreatedToken, sqlx::Error> {
    let secret = new_secret();
    let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
    let names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_tokens (name, prefix, token_hash, scopes, created_by, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(name)
    .bind(&prefix)
    .bind(digest(&secret))
    .bind(&names)
    .bind(actor.id)
    .bind(expires_at)
    .fetch_one(&mut *conn)
    .await?;
    audit::append(
        conn,
        actor,
        "token.create",
        &format!("token:{id}:{name}"),
        None,
        Some(json!({
            "name": name,
            "prefix": prefix,
            "scopes": names,
            "expires_at": expires_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        })),
    )
    .await?;
    let row = sqlx::query(&format!("{SELECT} WHERE t.id = $1"))
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(CreatedToken {
        row: row_from(row)?,
        secret,
    })
}

/// Every token, newest first.
pub async fn list(pool: &PgPool) -> Result<Vec<TokenRow>, sqlx::Error> {
    sqlx::query(&format!("{SELECT} ORDER BY t.created_at DESC, t.id DESC"))
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(row_from)
        .collect()
}

/// Revokes a token; `false` if it does not exist or was already revoked. Audited.
pub async fn revoke(conn: &mut PgConnection, actor: &Actor, id: i64) -> Result<bool, sqlx::Error> {
    let name: Option<String> = sqlx::query_scalar(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING name",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(name) = name else { return Ok(false) };
    audit::append(
        conn,
        actor,
        "token.revoke",
        &format!("token:{id}:{name}"),
        Some(json!({"revoked": false})),
        Some(json!({"revoked": true})),
    )
    .await?;
    Ok(true)
}

/// The user name of `user_id`, or `None` if there is no such user.
pub async fn username_of(
    conn: &mut PgConnection,
    user_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await
}

/// The tokens `user_id` created that still work (neither revoked nor expired), newest first.
pub async fn active_of_user(
    conn: &mut PgConnection,
    user_id: i64,
) -> Result<Vec<TokenRow>, sqlx::Error> {
    sqlx::query(&format!(
        "{SELECT} WHERE t.created_by = $1 AND {LIVE} ORDER BY t.created_at DESC, t.id DESC"
    ))
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(row_from)
    .collect()
}

/// Revokes every token `user_id` created that still works; returns their ids.
/// Each revocation is audited like a single one, naming the user it was for.
pub async fn revoke_all_of_user(
    conn: &mut PgConnection,
    actor: &Actor,
    user_id: i64,
    username: &str,
) -> Result<Vec<i64>, sqlx::Error> {
    let revoked = sqlx::query(&format!(
        "UPDATE api_tokens t SET revoked_at = now() WHERE t.created_by = $1 AND {LIVE} \
         RETURNING t.id, t.name"
    ))
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut ids = Vec::with_capacity(revoked.len());
    for r in revoked {
        let (id, name): (i64, String) = (r.try_get("id")?, r.try_get("name")?);
        audit::append(
            conn,
            actor,
            "token.revoke",
            &format!("token:{id}:{name}"),
            Some(json!({"revoked": false})),
            Some(json!({"revoked": true, "all_of_user": username})),
        )
        .await?;
        ids.push(id);
    }
    ids.sort_unstable();
    Ok(ids)
}

/// An authenticated machine.
#[derive(Debug, Clone)]
pub struct TokenIdentity {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<Scope>,
}

/// Finds the live (not revoked, not expired) token with this secret and stamps
/// its last use; an expired token is `None`, exactly like an unknown one.
pub async fn authenticate(
    pool: &PgPool,
    secret: &str,
) -> Result<Option<TokenIdentity>, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1 AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > now()) RETURNING id, name, scopes",
    )
    .bind(digest(secret))
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        let scopes: Vec<String> = r.try_get("scopes")?;
        Ok(TokenIdentity {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            scopes: scopes.iter().filter_map(|s| Scope::parse(s)).collect(),
        })
    })
    .transpose()
}
