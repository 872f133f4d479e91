//! The overview's data (R-UI-1, R-DEP-1).

use crate::error::AppError;
use crate::model::{EnvironmentRow, OverviewSummary};
#[cfg(feature = "ssr")]
use crate::{auth::guard::rpc_read, role::Access};
use leptos::prelude::*;

#[server(prefix = "/rpc", endpoint = "overview/environments")]
pub async fn list_environments() -> Result<Vec<EnvironmentRow>, AppError> {
    rpc_read(
        "overview/environments".into(),
        Access::SignedIn,
        |call| async move {
            let pool = &call.ctx.pool;
            let mut rows = crate::store::environments::list(pool).await?;
            // The release freeze applies to Production deploys (R-DEP-6): show it there.
            let policy = crate::store::releases::settings(pool).await?.calendar;
            let freeze = crate::store::releases::active_freeze(
                pool,
                call.ctx.time_zone,
                &policy,
                chrono::Utc::now(),
            )
            .await?;
            if let Some(f) = freeze {
                for r in rows.iter_mut().filter(|r| r.name == "Production") {
                    r.code_freeze = Some(f.version.clone());
                }
            }
            // "Are we OK?" per environment (R-UI-1): the SLA month to date and
            // the alerts firing now (one query for every environment).
            let mut firing = crate::store::alerts::firing_by_environment(pool).await?;
            let now = chrono::Utc::now();
            let tz = call.ctx.time_zone;
            let (year, month) = crate::store::sla::report::current_month(tz, now);
            // Each environment's month is read on its own connection at the
            // same time: the page waits for the slowest, not for the sum.
            let mut months = tokio::task::JoinSet::new();
            for (i, r) in rows.iter_mut().enumerate() {
                let Ok(env) = r.name.parse::<opsdeck::deploy_gate::Environment>() else {
                    continue;
                };
                r.firing_alerts = firing.remove(env.key()).unwrap_or_default();
                let pool = pool.clone();
                months.spawn(async move { (i, env_sla(&pool, tz, env, year, month, now).await) });
            }
            while let Some(done) = months.join_next().await {
                match done {
                    Ok((i, sla)) => rows[i].sla = sla,
                    Err(e) => tracing::warn!(error = %e, "SLA month to date task failed"),
                }
            }
            Ok(rows)
        },
    )
    .await
}

/// An environment's SLA month to date, or `None` when no elapsed minute
/// has probe data (no public probe target yet) or the report cannot be made.
#[cfg(feature = "ssr")]
async fn env_sla(
    pool: &sqlx::PgPool,
    tz: chrono_tz::Tz,
    env: opsdeck::deploy_gate::Environment,
    year: i32,
    month: u32,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<crate::model::EnvSla> {
    match crate::store::sla::report::month_figures(pool, tz, env, year, month, now).await {
        Ok(f) if f.up_minutes + f.down_minutes > 0 => Some(crate::model::EnvSla {
            availability_ppm: f.availability_ppm,
            remaining_millis: f.remaining_millis,
            allowed_millis: f.allowed_downtime_millis,
            target_met: f.target_met,
        }),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(error = %e, environment = env.key(), "SLA month to date not computed");
            None
        }
    }
}

/// Next maintenance window (from the planned windows, with its announcement
/// state) and this month's allowed downtime.
#[server(prefix = "/rpc", endpoint = "overview/summary")]
pub async fn load_overview_summary() -> Result<OverviewSummary, AppError> {
    use chrono::Datelike;
    use opsdeck::sla::allowed_downtime_for_month;
    rpc_read(
        "overview/summary".into(),
        Access::SignedIn,
        |call| async move {
            let now = chrono::Utc::now();
            let tz = call.ctx.time_zone;
            let settings = crate::store::maintenance_windows::settings(&call.ctx.pool, tz).await?;
            let announce = i32::try_from(settings.policy.announce_days_before).unwrap_or(7);
            let next = crate::store::maintenance_windows::list(
                &call.ctx.pool,
                now - chrono::TimeDelta::days(1),
                now + chrono::TimeDelta::days(400),
                announce,
            )
            .await?
            .into_iter()
            .find(|w| w.status == "planned" && w.ends_at > now);
            // Before the scheduler's first pass there are no rows yet: show the policy's window.
            let fallback = || {
                opsdeck::maintenance_window::next_window_after(&settings.policy, now)
                    .map(|w| (w.interval.start, w.interval.end, w.announce_at))
            };
            let (window, announce_at, announced_at) = match &next {
                Some(w) => (
                    Some((w.starts_at, w.ends_at)),
                    Some(w.announce_at),
                    w.announced_at,
                ),
                None => match fallback() {
                    Some((s, e, a)) => (Some((s, e)), Some(a), None),
                    None => (None, None, None),
                },
            };
            // The stored targets (R-SLA-1), as the SLA page judges by.
            let sla = crate::store::sla::settings(&call.ctx.pool).await?.policy;
            let local = now.with_timezone(&tz);
            // Planned maintenance is excluded from the SLA (R-SLA-2) from the one
            // source the cap counts and the calendar shows; the budget is computed
            // on the minutes that remain (decision 0110).
            let month = opsdeck::sla::local_month(tz, local.year(), local.month());
            let exclusions = match month {
                Some(m) => crate::store::maintenance_windows::intervals(
                    &call.ctx.pool,
                    m.start,
                    m.end,
                    None,
                )
                .await?
                .into_iter()
                .map(|interval| opsdeck::sla::Exclusion {
                    interval,
                    reason: opsdeck::sla::ExclusionReason::PlannedMaintenance,
                })
                .collect(),
                None => Vec::new(),
            };
            Ok(OverviewSummary {
                now,
                next_maintenance: window,
                announce_at,
                announced_at,
                sla_target_percent: f64::from(sla.target_ppm) / 10_000.0,
                allowed_downtime_minutes: allowed_downtime_for_month(
                    &sla,
                    tz,
                    local.year(),
                    local.month(),
                    &exclusions,
                )
                .map(|d| d.minutes()),
            })
        },
    )
    .await
}

/// This month's budget status (R-UI-1, R-COST-1): spend, forecast, alerts.
#[server(prefix = "/rpc", endpoint = "overview/budget")]
pub async fn load_budget_card() -> Result<crate::api::costs::view::BudgetCard, AppError> {
    rpc_read("overview/budget".into(), Access::SignedIn, |call| async move {
        crate::api::costs::budget_card(&call.ctx.pool, call.ctx.time_zone).await
    })
    .await
}
