//! The overview's data (R-UI-1, R-DEP-1).

use crate::error::AppError;
use crate::model::{EnvironmentRow, OverviewSummary};
#[cfg(feature = "ssr")]
use crate::{auth::guard::rpc, role::Access};
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "overview/environments")]
pub async fn list_environments() -> Result<Vec<EnvironmentRow>, AppError> {
    rpc(Access::SignedIn, |call| async move {
        Ok(crate::store::environments::list(&call.ctx.pool).await?)
    })
    .await
}

/// Next maintenance window and this month's allowed downtime, at the policy's defaults.
#[server(prefix = "/rpc", endpoint = "overview/summary")]
pub async fn load_overview_summary() -> Result<OverviewSummary, AppError> {
    use chrono::Datelike;
    use opsdeck::maintenance_window::{next_window_after, MaintenancePolicy};
    use opsdeck::sla::{allowed_downtime_for_month, SlaPolicy};
    rpc(Access::SignedIn, |call| async move {
        let now = chrono::Utc::now();
        let tz = call.ctx.time_zone;
        let maintenance = MaintenancePolicy {
            tz,
            ..MaintenancePolicy::default()
        };
        let window = next_window_after(&maintenance, now);
        let sla = SlaPolicy::default();
        let local = now.with_timezone(&tz);
        Ok(OverviewSummary {
            now,
            next_maintenance: window.as_ref().map(|w| (w.interval.start, w.interval.end)),
            announce_at: window.as_ref().map(|w| w.announce_at),
            sla_target_percent: f64::from(sla.target_ppm) / 10_000.0,
            allowed_downtime_minutes: allowed_downtime_for_month(&sla, local.year(), local.month())
                .map(|d| d.minutes()),
        })
    })
    .await
}

/// This month's budget status (R-UI-1, R-COST-1): spend, forecast, alerts.
#[server(prefix = "/rpc", endpoint = "overview/budget")]
pub async fn load_budget_card() -> Result<crate::api::costs::view::BudgetCard, AppError> {
    rpc(Access::SignedIn, |call| async move {
        crate::api::costs::budget_card(&call.ctx.pool, call.ctx.time_zone).await
    })
    .await
}
