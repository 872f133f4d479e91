//! Monitoring (issue 10 items 1, 3 and 4; R-MON-1, R-MON-2): everyone
//! signed in reads the probe targets, the retention and the metrics view;
//! operators (and admins) change a target's URL, interval, timeout and
//! switch, and the retention. Every change is audited.

#[cfg(feature = "ssr")]
mod view;

use crate::error::AppError;
use crate::model::monitoring::{MetricsView, MonitoringSettingsView, TargetRow};
#[cfg(feature = "ssr")]
use crate::{
    auth::guard::rpc,
    i18n::Msg,
    model::monitoring::RetentionSettings,
    role::{Access, Role},
    store::audit::Actor,
    store::monitoring as store,
    store::probes::TargetProblem,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
const OPERATOR: Access = Access::AnyOf(&[Role::Operator]);

#[cfg(feature = "ssr")]
impl From<store::UpdateError> for AppError {
    fn from(e: store::UpdateError) -> Self {
        use store::UpdateError as E;
        match e {
            E::NotFound => AppError::NotFound,
            E::Invalid(p) => problem_error(p),
            E::Db(e) => e.into(),
        }
    }
}

#[cfg(feature = "ssr")]
fn problem_error(p: TargetProblem) -> AppError {
    match p {
        TargetProblem::Url => AppError::field("url", Msg::ErrUrl),
        TargetProblem::Interval => AppError::field("interval_ms", Msg::ErrProbeInterval),
        TargetProblem::Timeout => AppError::field("timeout_ms", Msg::ErrProbeTimeout),
        // The environment and colour come from the stored row, not the form.
        TargetProblem::Environment(_) | TargetProblem::Colour(_) => AppError::Internal,
    }
}

/// The probe targets with their newest probe and last 24 hours, the
/// retention, and the R-MON-2 thresholds.
#[server(prefix = "/rpc", endpoint = "monitoring/settings")]
pub async fn load_monitoring_settings() -> Result<MonitoringSettingsView, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let pool = &call.ctx.pool;
        let mut targets = store::targets(pool, chrono::Utc::now()).await?;
        // A URL may carry credentials: only those who may change it see it whole.
        if !call.user()?.can(OPERATOR) {
            for t in &mut targets {
                t.url = crate::store::probes::redact_url(&t.url);
            }
        }
        Ok(MonitoringSettingsView {
            targets,
            retention: store::settings(pool).await?,
            thresholds: store::thresholds(pool).await?,
        })
    })
    .await
}

/// Changes a probe target: URL (`http://` or `https://`), interval
/// (1 000–3 600 000 ms), timeout (100–60 000 ms, not above the interval),
/// on or off. A demo target keeps being the server's unless its URL changes.
#[server(prefix = "/rpc", endpoint = "monitoring/update_target")]
pub async fn update_probe_target(
    id: i64,
    url: String,
    interval_ms: String,
    timeout_ms: String,
    #[server(default)] enabled: bool,
) -> Result<TargetRow, AppError> {
    rpc(OPERATOR, |call| async move {
        let mut check = crate::validate::Check::default();
        let interval = interval_ms
            .trim()
            .replace([' ', '_', ','], "")
            .parse::<i32>()
            .ok();
        check.field(
            "interval_ms",
            interval.is_none().then_some(Msg::ErrProbeInterval),
        );
        let timeout = timeout_ms
            .trim()
            .replace([' ', '_', ','], "")
            .parse::<i32>()
            .ok();
        check.field(
            "timeout_ms",
            timeout.is_none().then_some(Msg::ErrProbeTimeout),
        );
        // The URL's and the numbers' ranges are checked by the store (one
        // rule for every writer); here only what the form cannot parse.
        check.finish()?;
        let (Some(interval_ms), Some(timeout_ms)) = (interval, timeout) else {
            return Err(AppError::Internal);
        };
        let change = store::TargetChange {
            url,
            interval_ms,
            timeout_ms,
            enabled,
        };
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let row = store::update_target(&mut tx, &actor, id, &change).await?;
        tx.commit().await?;
        Ok(row)
    })
    .await
}

/// Changes how long monitoring data is kept: raw rows 7–3650 days,
/// rollups 1–240 months and never shorter than the raw rows.
#[server(prefix = "/rpc", endpoint = "monitoring/save_retention")]
pub async fn save_monitoring_retention(
    raw_retention_days: String,
    rollup_retention_months: String,
) -> Result<(), AppError> {
    rpc(OPERATOR, |call| async move {
        let mut check = crate::validate::Check::default();
        let raw = raw_retention_days
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|d| store::RAW_DAYS.contains(d));
        check.field(
            "raw_retention_days",
            raw.is_none().then_some(Msg::ErrNumberRange),
        );
        let rollup = rollup_retention_months
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|m| store::ROLLUP_MONTHS.contains(m));
        check.field(
            "rollup_retention_months",
            rollup.is_none().then_some(Msg::ErrNumberRange),
        );
        check.finish()?;
        let (Some(raw), Some(rollup)) = (raw, rollup) else {
            return Err(AppError::Internal);
        };
        let settings = RetentionSettings {
            raw_retention_days: raw,
            rollup_retention_months: rollup,
        };
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        store::save_settings(&mut tx, &actor, &settings)
            .await
            .map_err(|e| match e {
                store::SettingsError::Invalid(store::RetentionProblem::RollupShorterThanRaw) => {
                    AppError::field("rollup_retention_months", Msg::ErrRetentionOrder)
                }
                store::SettingsError::Invalid(store::RetentionProblem::RawDays) => {
                    AppError::field("raw_retention_days", Msg::ErrNumberRange)
                }
                store::SettingsError::Invalid(store::RetentionProblem::RollupMonths) => {
                    AppError::field("rollup_retention_months", Msg::ErrNumberRange)
                }
                store::SettingsError::Db(e) => e.into(),
            })?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// The metrics view of one environment (default production) over `1h`,
/// `24h` (default), `7d` or `30d`: the system metrics and the request
/// classes as plotters SVG charts with the R-MON-2 thresholds drawn.
#[server(prefix = "/rpc", endpoint = "monitoring/view")]
pub async fn load_metrics(
    #[server(default)] environment: String,
    #[server(default)] range: String,
) -> Result<MetricsView, AppError> {
    use crate::model::monitoring::Range;
    use opsdeck::deploy_gate::Environment;
    rpc(Access::SignedIn, |call| async move {
        let mut check = crate::validate::Check::default();
        let env = if environment.trim().is_empty() {
            Some(Environment::Production)
        } else {
            environment.trim().parse::<Environment>().ok()
        };
        check.field("environment", env.is_none().then_some(Msg::ErrChoice));
        let range = if range.trim().is_empty() {
            Some(Range::Day)
        } else {
            Range::parse(&range)
        };
        check.field("range", range.is_none().then_some(Msg::ErrChoice));
        check.finish()?;
        let (Some(env), Some(range)) = (env, range) else {
            return Err(AppError::Internal);
        };
        Ok(view::metrics_view(
            &call.ctx.pool,
            call.ctx.time_zone,
            crate::request_lang(),
            env,
            range,
            chrono::Utc::now(),
        )
        .await?)
    })
    .await
}
