//! Planned maintenance windows (issue 12, R-MNT-1, R-MNT-2, R-MNT-4):
//! everyone reads; operators plan, move, cancel and tick tasks; the monthly
//! cap can be overridden only by an admin, with a reason.

use crate::error::AppError;
use crate::model::maintenance::{HousekeepingView, PlanOutcome, PlanningView};
#[cfg(feature = "ssr")]
use crate::{
    auth::guard::rpc,
    i18n::Msg,
    role::{Access, Role},
    store::audit::Actor,
};
use leptos::prelude::*;

/// The planning section: windows from the start of this month to the horizon, usage, settings, housekeeping.
#[server(prefix = "/rpc", endpoint = "maintenance/planning")]
pub async fn load_planning() -> Result<PlanningView, AppError> {
    use crate::store::maintenance_windows as store;
    rpc(Access::SignedIn, |call| async move {
        let pool = &call.ctx.pool;
        let tz = call.ctx.time_zone;
        let s = store::settings(pool, tz).await?;
        let now = chrono::Utc::now();
        let from = month_start(now, tz);
        let to = now + chrono::TimeDelta::days(31 * i64::from(s.horizon_months));
        let announce = i32::try_from(s.policy.announce_days_before).unwrap_or(7);
        Ok(PlanningView {
            now,
            windows: store::list(pool, from, to, announce).await?,
            usage: store::usage(pool, &s, from, to).await?,
            settings: s.view.clone(),
            housekeeping: store::housekeeping_runs(pool, 10).await?,
        })
    })
    .await
}

#[cfg(feature = "ssr")]
fn month_start(
    now: chrono::DateTime<chrono::Utc>,
    tz: chrono_tz::Tz,
) -> chrono::DateTime<chrono::Utc> {
    use chrono::Datelike;
    let local = now.with_timezone(&tz).date_naive();
    chrono::NaiveDate::from_ymd_opt(local.year(), local.month(), 1)
        .and_then(|d| opsdeck::local_time::to_utc(tz, d.and_time(chrono::NaiveTime::MIN)))
        .unwrap_or(now)
}

/// Checks a window against the rules; refusals become field errors, the
/// night rule a warning. An admin's override reason lifts the cap only.
#[cfg(feature = "ssr")]
async fn checked(
    call: &crate::auth::guard::Call,
    id: Option<i64>,
    start: &str,
    duration_minutes: &str,
    reason: &str,
    override_reason: &str,
) -> Result<(opsdeck::interval::UtcInterval, Option<String>, Vec<String>), AppError> {
    use opsdeck::maintenance_window::{check_plan, PlanProblem};
    let tz = call.ctx.time_zone;
    let mut check = crate::validate::Check::default();
    let start = crate::time::parse_local(start, tz);
    check.field(
        "start",
        match &start {
            Ok(None) => Some(Msg::ErrRequired),
            Err(m) => Some(*m),
            Ok(Some(_)) => None,
        },
    );
    let minutes = duration_minutes
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|m| (1..=24 * 60).contains(m));
    check.field(
        "duration_minutes",
        minutes.is_none().then_some(Msg::ErrNumberRange),
    );
    check.field("reason", crate::validate::required_text(reason, 500));
    check.field(
        "override_reason",
        (override_reason.chars().count() > 500).then_some(Msg::ErrTooLong),
    );
    check.finish()?;
    let (Ok(Some(start)), Some(minutes)) = (start, minutes) else {
        return Err(AppError::Internal);
    };
    let window =
        opsdeck::interval::UtcInterval::new(start, start + chrono::TimeDelta::minutes(minutes));
    let s = crate::store::maintenance_windows::settings(&call.ctx.pool, tz).await?;
    // Everything planned in the months the window touches (a month is at most 31 days).
    let others = crate::store::maintenance_windows::intervals(
        &call.ctx.pool,
        window.start - chrono::TimeDelta::days(32),
        window.end + chrono::TimeDelta::days(32),
        id,
    )
    .await?;
    let is_admin = call.user()?.can(Access::ADMIN);
    let override_reason = override_reason.trim();
    if !override_reason.is_empty() && !is_admin {
        return Err(AppError::field(
            "override_reason",
            Msg::ErrOverrideAdminOnly,
        ));
    }
    let mut check = crate::validate::Check::default();
    let mut warnings = Vec::new();
    let lang = crate::request_lang();
    let mut overridden = false;
    for problem in check_plan(&s.rules, chrono::Utc::now(), window, &others) {
        match problem {
            PlanProblem::EndsBeforeStart => {
                check.field("duration_minutes", Some(Msg::ErrNumberRange));
            }
            PlanProblem::TooLittleNotice { .. } => {
                check.field("start", Some(Msg::ErrMaintenanceNotice));
            }
            PlanProblem::OutsideNight => warnings.push(format!(
                "{} ({}–{})",
                Msg::WarnMaintenanceOutsideNight.text(lang),
                s.view.night_start,
                s.view.night_end
            )),
            PlanProblem::OverCap {
                year,
                month,
                planned_minutes,
                cap_minutes,
            } => {
                if override_reason.is_empty() {
                    check.field("duration_minutes", Some(Msg::ErrMaintenanceOverCap));
                } else {
                    overridden = true;
                }
                warnings.push(format!(
                    "{year}-{month:02}: {planned_minutes} / {cap_minutes} min"
                ));
            }
        }
    }
    check.finish()?;
    Ok((
        window,
        overridden.then(|| override_reason.to_string()),
        warnings,
    ))
}

/// Plans a one-off window: start in the display zone (`YYYY-MM-DDTHH:MM`), length in minutes, reason.
#[server(prefix = "/rpc", endpoint = "maintenance/plan")]
pub async fn plan_window(
    start: String,
    duration_minutes: String,
    reason: String,
    #[server(default)] override_reason: String,
) -> Result<PlanOutcome, AppError> {
    rpc(Access::AnyOf(&[Role::Operator]), |call| async move {
        let (window, overridden, warnings) = checked(
            &call,
            None,
            &start,
            &duration_minutes,
            &reason,
            &override_reason,
        )
        .await?;
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let id = crate::store::maintenance_windows::plan(
            &mut tx,
            &actor,
            window,
            reason.trim(),
            overridden.as_deref(),
        )
        .await?;
        tx.commit().await?;
        Ok(PlanOutcome { id, warnings })
    })
    .await
}

/// Moves a planned window; stakeholders hear of the change again.
#[server(prefix = "/rpc", endpoint = "maintenance/reschedule")]
pub async fn reschedule_window(
    id: i64,
    start: String,
    duration_minutes: String,
    reason: String,
    #[server(default)] override_reason: String,
) -> Result<PlanOutcome, AppError> {
    rpc(Access::AnyOf(&[Role::Operator]), |call| async move {
        let (window, overridden, warnings) = checked(
            &call,
            Some(id),
            &start,
            &duration_minutes,
            &reason,
            &override_reason,
        )
        .await?;
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        if !crate::store::maintenance_windows::reschedule(
            &mut tx,
            &actor,
            id,
            window,
            reason.trim(),
            overridden.as_deref(),
        )
        .await?
        {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(PlanOutcome { id, warnings })
    })
    .await
}

/// Cancels a planned window; if it was announced, stakeholders hear so.
#[server(prefix = "/rpc", endpoint = "maintenance/cancel")]
pub async fn cancel_window(id: i64) -> Result<(), AppError> {
    rpc(Access::AnyOf(&[Role::Operator]), |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        if !crate::store::maintenance_windows::cancel(&mut tx, &actor, id).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Ticks (or unticks) a task of a window that has started.
#[server(prefix = "/rpc", endpoint = "maintenance/tick")]
pub async fn tick_task(window_id: i64, key: String, done: bool) -> Result<(), AppError> {
    use crate::store::maintenance_windows::Tick;
    rpc(Access::AnyOf(&[Role::Operator]), |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        match crate::store::maintenance_windows::tick(&mut tx, &actor, window_id, &key, done)
            .await?
        {
            Tick::Done => {}
            Tick::NotFound => return Err(AppError::NotFound),
            Tick::NotStarted => return Err(AppError::field("task", Msg::ErrWindowNotStarted)),
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Runs housekeeping now (R-MNT-4) and returns the run.
#[server(prefix = "/rpc", endpoint = "maintenance/housekeeping")]
pub async fn run_housekeeping() -> Result<HousekeepingView, AppError> {
    rpc(Access::AnyOf(&[Role::Operator]), |call| async move {
        let s =
            crate::store::maintenance_windows::settings(&call.ctx.pool, call.ctx.time_zone).await?;
        let by = call.user()?.username.clone();
        Ok(crate::store::maintenance_windows::housekeeping(
            &call.ctx.pool,
            s.activity_retention_days,
            &by,
        )
        .await?)
    })
    .await
}

/// Changes the planning rules (admins): cap, notice, announcement lead, night, retention.
#[server(prefix = "/rpc", endpoint = "maintenance/save_settings")]
pub async fn save_planning_settings(
    monthly_cap_minutes: String,
    min_notice_days: String,
    announce_days_before: String,
    night_start: String,
    night_end: String,
    activity_retention_days: String,
) -> Result<(), AppError> {
    rpc(Access::ADMIN, |call| async move {
        let mut check = crate::validate::Check::default();
        let num = |s: &str, lo: i32, hi: i32| {
            s.trim()
                .parse::<i32>()
                .ok()
                .filter(|v| (lo..=hi).contains(v))
        };
        let cap = num(&monthly_cap_minutes, 0, 44_640);
        let notice = num(&min_notice_days, 0, 60);
        let announce = num(&announce_days_before, 0, 60);
        let retention = num(&activity_retention_days, 7, 3650);
        let time = |s: &str| chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M").ok();
        let (ns, ne) = (time(&night_start), time(&night_end));
        check.field(
            "monthly_cap_minutes",
            cap.is_none().then_some(Msg::ErrNumberRange),
        );
        check.field(
            "min_notice_days",
            notice.is_none().then_some(Msg::ErrNumberRange),
        );
        check.field(
            "announce_days_before",
            announce.is_none().then_some(Msg::ErrNumberRange),
        );
        check.field(
            "activity_retention_days",
            retention.is_none().then_some(Msg::ErrNumberRange),
        );
        check.field("night_start", ns.is_none().then_some(Msg::ErrTime));
        check.field("night_end", ne.is_none().then_some(Msg::ErrTime));
        check.finish()?;
        let (Some(cap), Some(notice), Some(announce), Some(retention), Some(ns), Some(ne)) =
            (cap, notice, announce, retention, ns, ne)
        else {
            return Err(AppError::Internal);
        };
        let v = crate::model::maintenance::PlanningSettings {
            monthly_cap_minutes: cap,
            min_notice_days: notice,
            announce_days_before: announce,
            night_start: night_start.trim().to_string(),
            night_end: night_end.trim().to_string(),
            activity_retention_days: retention,
        };
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        crate::store::maintenance_windows::save_settings(&mut tx, &actor, &v, ns, ne).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}
