//! Users and their roles (R-AUTH-1, R-AUTH-2).

use super::audit::{self, Actor};
use crate::model::{CurrentUser, UserRow};
use crate::role::Role;
use serde_json::json;
use sqlx::{PgConnection, PgPool, Row};

/// What login needs to check a password.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
    pub disabled: bool,
    pub session_epoch: i64,
}

fn parse_roles(names: Vec<String>) -> Vec<Role> {
    let mut roles: Vec<Role> = names.iter().filter_map(|n| n.parse().ok()).collect();
    roles.sort();
    roles
}

/// Looks a user up by name for login.
pub async fn credentials(
    conn: &mut PgConnection,
    username: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, password_hash, disabled, session_epoch FROM users WHERE username = $1",
    )
    .bind(username)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(Credentials {
            id: r.try_get("id")?,
            password_hash: r.try_get("password_hash")?,
            disabled: r.try_get("disabled")?,
            session_epoch: r.try_get("session_epoch")?,
        })
    })
    .transpose()
}

/// The user behind a session, if they still exist, are enabled and the epoch matches.
pub async fn current(
    pool: &PgPool,
    id: i64,
    epoch: i64,
) -> Result<Option<CurrentUser>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT u.id, u.username, u.display_name, \
                COALESCE(array_agg(r.role) FILTER (WHERE r.role IS NOT NULL), '{}') AS roles \
         FROM users u LEFT JOIN user_roles r ON r.user_id = u.id \
         WHERE u.id = $1 AND u.session_epoch = $2 AND NOT u.disabled \
         GROUP BY u.id",
    )
    .bind(id)
    .bind(epoch)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(CurrentUser {
            id: r.try_get("id")?,
            username: r.try_get("username")?,
            display_name: r.try_get("display_name")?,
            roles: parse_roles(r.try_get("roles")?),
        })
    })
    .transpose()
}

/// Every user, by name.
pub async fn list(pool: &PgPool) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query(
        "SELECT u.id, u.username, u.display_name, u.disabled, u.created_at, \
                COALESCE(array_agg(r.role) FILTER (WHERE r.role IS NOT NULL), '{}') AS roles \
         FROM users u LEFT JOIN user_roles r ON r.user_id = u.id \
         GROUP BY u.id ORDER BY u.username",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(UserRow {
            id: r.try_get("id")?,
            username: r.try_get("username")?,
            display_name: r.try_get("display_name")?,
            roles: parse_roles(r.try_get("roles")?),
            disabled: r.try_get("disabled")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .collect()
}

/// How many users hold the admin role.
pub async fn admin_count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM user_roles WHERE role = 'admin'")
        .fetch_one(pool)
        .await
}

/// Whether a username is taken.
pub async fn exists(conn: &mut PgConnection, username: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE username = $1)")
        .bind(username)
        .fetch_one(conn)
        .await
}

async fn role_names(conn: &mut PgConnection, id: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role")
        .bind(id)
        .fetch_all(conn)
        .await
}

/// Creates a user with roles; audited. `None` when the name is taken.
pub async fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    username: &str,
    display_name: &str,
    password_hash: &str,
    roles: &[Role],
) -> Result<Option<i64>, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, password_hash) VALUES ($1, $2, $3) \
         ON CONFLICT (username) DO NOTHING RETURNING id",
    )
    .bind(username)
    .bind(display_name)
    .bind(password_hash)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else { return Ok(None) };
    insert_roles(conn, id, roles).await?;
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    audit::append(
        conn,
        actor,
        "user.create",
        &format!("user:{username}"),
        None,
        Some(json!({"username": username, "display_name": display_name, "roles": names})),
    )
    .await?;
    Ok(Some(id))
}

async fn insert_roles(conn: &mut PgConnection, id: i64, roles: &[Role]) -> Result<(), sqlx::Error> {
    let names: Vec<String> = roles.iter().map(|r| r.as_str().to_string()).collect();
    sqlx::query("INSERT INTO user_roles (user_id, role) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING")
        .bind(id)
        .bind(&names)
        .execute(conn)
        .await?;
    Ok(())
}

async fn username_of(conn: &mut PgConnection, id: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT username FROM users WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Replaces a user's roles; audited with before and after. `false` if no such user.
pub async fn set_roles(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    roles: &[Role],
) -> Result<bool, sqlx::Error> {
    let Some(username) = username_of(conn, id).await? else {
        return Ok(false);
    };
    let before = role_names(conn, id).await?;
    sqlx::query("DELETE FROM user_roles WHERE user_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    insert_roles(conn, id, roles).await?;
    let after = role_names(conn, id).await?;
    audit::append(
        conn,
        actor,
        "user.roles",
        &format!("user:{username}"),
        Some(json!({"roles": before})),
        Some(json!({"roles": after})),
    )
    .await?;
    Ok(true)
}

/// Disables or enables a user; disabling ends their sessions. Audited.
pub async fn set_disabled(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    disabled: bool,
) -> Result<bool, sqlx::Error> {
    let Some(username) = username_of(conn, id).await? else {
        return Ok(false);
    };
    let before: bool = sqlx::query_scalar("SELECT disabled FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE users SET disabled = $2, session_epoch = session_epoch + 1, updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(disabled)
    .execute(&mut *conn)
    .await?;
    audit::append(
        conn,
        actor,
        if disabled {
            "user.disable"
        } else {
            "user.enable"
        },
        &format!("user:{username}"),
        Some(json!({"disabled": before})),
        Some(json!({"disabled": disabled})),
    )
    .await?;
    Ok(true)
}

/// Sets a new password hash and ends the user's other sessions. Audited (never the hash).
/// Returns the new session epoch, or `None` if there is no such user.
pub async fn set_password(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    password_hash: &str,
    action: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let Some(username) = username_of(conn, id).await? else {
        return Ok(None);
    };
    let epoch: i64 = sqlx::query_scalar(
        "UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1, updated_at = now() \
         WHERE id = $1 RETURNING session_epoch",
    )
    .bind(id)
    .bind(password_hash)
    .fetch_one(&mut *conn)
    .await?;
    audit::append(
        conn,
        actor,
        action,
        &format!("user:{username}"),
        None,
        Some(json!({"password": "changed"})),
    )
    .await?;
    Ok(Some(epoch))
}

/// Whether an enabled admin other than `id` exists: the last one may not be
/// disabled or lose the admin role, or nobody could administer opsdeck.
///
/// Takes a transaction-scoped lock first, so two concurrent demotions or
/// disables are checked one after the other: the second sees the first's
/// commit instead of both seeing the other admin still enabled. Call it in
/// the transaction that makes the change.
pub async fn another_admin_exists(conn: &mut PgConnection, id: i64) -> Result<bool, sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('opsdeck.admins'))")
        .execute(&mut *conn)
        .await?;
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM users u JOIN user_roles r ON r.user_id = u.id \
         WHERE r.role = 'admin' AND NOT u.disabled AND u.id <> $1)",
    )
    .bind(id)
    .fetch_one(conn)
    .await
}
