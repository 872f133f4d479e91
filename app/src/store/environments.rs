//! The monitored service's environments (R-DEP-1).

use crate::model::{EnvironmentRow, HealthLevel};
use sqlx::{PgPool, Row};

/// Every environment in pipeline order (Local → Production).
pub async fn list(pool: &PgPool) -> Result<Vec<EnvironmentRow>, sqlx::Error> {
    sqlx::query(
        "SELECT id, name, position, deployed_version, deployed_commit, live_colour, health, \
         last_deploy_at, approved_by FROM environments ORDER BY position, id",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| {
        let health: String = r.try_get("health")?;
        Ok(EnvironmentRow {
            code_freeze: None,
            sla: None,
            firing_alerts: Vec::new(),
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            position: r.try_get("position")?,
            deployed_version: r.try_get("deployed_version")?,
            deployed_commit: r.try_get("deployed_commit")?,
            live_colour: r.try_get("live_colour")?,
            health: HealthLevel::parse(&health),
            last_deploy_at: r.try_get("last_deploy_at")?,
            approved_by: r.try_get("approved_by")?,
        })
    })
    .collect()
}
