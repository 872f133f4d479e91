//! The append-only audit log (R-AUTH-4).

use crate::model::{AuditRow, Page};
use serde_json::Value;
use sqlx::{PgConnection, PgPool, Row};

/// Who made a change: a user, or the system itself (bootstrap, workers).
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn user(u: &crate::model::CurrentUser) -> Self {
        Actor {
            id: Some(u.id),
            name: u.username.clone(),
        }
    }

    pub fn system() -> Self {
        Actor {
            id: None,
            name: "system".into(),
        }
    }
}

/// Appends one entry; call it inside the transaction that makes the change.
pub async fn append(
    conn: &mut PgConnection,
    actor: &Actor,
    action: &str,
    target: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (actor_id, actor, action, target, before, after) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(actor.id)
    .bind(&actor.name)
    .bind(action)
    .bind(target)
    .bind(before)
    .bind(after)
    .execute(conn)
    .await?;
    Ok(())
}

/// Filters of the audit page; empty strings mean "any".
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: String,
    pub action: String,
}

/// One page of entries, newest first.
pub async fn list(
    pool: &PgPool,
    filter: &AuditFilter,
    page: u32,
    per_page: u32,
) -> Result<Page<AuditRow>, sqlx::Error> {
    let page = page.max(1);
    let per_page = per_page.clamp(1, 200);
    let actor = filter.actor.trim();
    let action = filter.action.trim();
    // LIKE patterns are escaped so a user's '%' or '_' match themselves.
    let action_pattern = format!(
        "%{}%",
        action
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log \
         WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action LIKE $3)",
    )
    .bind(actor)
    .bind(action)
    .bind(&action_pattern)
    .fetch_one(pool)
    .await?;
    let rows = sqlx::query(
        "SELECT id, at, actor, action, target, before, after FROM audit_log \
         WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action LIKE $3) \
         ORDER BY at DESC, id DESC LIMIT $4 OFFSET $5",
    )
    .bind(actor)
    .bind(action)
    .bind(&action_pattern)
    .bind(i64::from(per_page))
    .bind(i64::from(page - 1) * i64::from(per_page))
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(AuditRow {
            id: r.try_get("id")?,
            at: r.try_get("at")?,
            actor: r.try_get("actor")?,
            action: r.try_get("action")?,
            target: r.try_get("target")?,
            before: r.try_get("before")?,
            after: r.try_get("after")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Page {
        rows,
        page,
        per_page,
        total,
    })
}
