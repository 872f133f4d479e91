//! Emergency maintenance mode (R-MNT-3): one row, switched by operators, audited.

use super::audit::{self, Actor};
use crate::model::MaintenanceView;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, Row};

/// The current state.
pub async fn get<'e>(db: impl PgExecutor<'e>) -> Result<MaintenanceView, sqlx::Error> {
    let r = sqlx::query(
        "SELECT active, message, estimated_end, started_at, started_by FROM maintenance_mode WHERE singleton",
    )
    .fetch_one(db)
    .await?;
    Ok(MaintenanceView {
        active: r.try_get("active")?,
        message: r.try_get("message")?,
        estimated_end: r.try_get("estimated_end")?,
        started_at: r.try_get("started_at")?,
        started_by: r.try_get("started_by")?,
    })
}

/// Switches maintenance on (or updates it while on) or off; audited with before and after.
pub async fn set(
    conn: &mut PgConnection,
    actor: &Actor,
    active: bool,
    message: &str,
    estimated_end: Option<DateTime<Utc>>,
) -> Result<MaintenanceView, sqlx::Error> {
    // Lock the row first so two operators switching at once audit true before-states.
    sqlx::query("SELECT 1 FROM maintenance_mode WHERE singleton FOR UPDATE")
        .execute(&mut *conn)
        .await?;
    let before = get(&mut *conn).await?;
    sqlx::query(
        "UPDATE maintenance_mode SET active = $1, message = $2, estimated_end = $3, \
         started_at = CASE WHEN $1 THEN COALESCE(CASE WHEN active THEN started_at END, now()) END, \
         started_by = CASE WHEN $1 THEN $4 END WHERE singleton",
    )
    .bind(active)
    .bind(message)
    .bind(estimated_end)
    .bind(&actor.name)
    .execute(&mut *conn)
    .await?;
    let after = get(&mut *conn).await?;
    audit::append(
        conn,
        actor,
        if active {
            "maintenance.on"
        } else {
            "maintenance.off"
        },
        "maintenance",
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&after).ok(),
    )
    .await?;
    Ok(after)
}
