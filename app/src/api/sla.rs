//! The SLA page's server functions (issue 10 item 5, R-SLA-1..5): the month
//! report with its charts and the months available — everyone signed in;
//! classifying an outage and removing a classification — operators (and
//! admins). The CSV download (`GET /sla/report.csv`) is built from the same
//! [`month_report`] as the page, so their numbers are the same. Admins
//! change the targets.

// Forms post one argument per field; the `#[server]` macro copies them into
// the browser-side stub too, where a per-function allow does not reach.
#![allow(clippy::too_many_arguments)]

#[cfg(feature = "ssr")]
pub mod charts;
#[cfg(feature = "ssr")]
pub mod csv;

use crate::error::AppError;
use crate::model::sla::{SlaMonthView, SlaSettingsView};
#[cfg(feature = "ssr")]
use crate::{
    auth::guard::rpc,
    error::FieldError,
    i18n::{Lang, Msg},
    role::{Access, Role},
    store::audit::Actor,
    store::sla::{self as store, report, ClassifyError},
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
const OPERATOR: Access = Access::AnyOf(&[Role::Operator]);

#[cfg(feature = "ssr")]
impl From<report::ReportError> for AppError {
    fn from(e: report::ReportError) -> Self {
        match e {
            report::ReportError::MonthOutOfRange => AppError::field("month", Msg::ErrSlaMonthRange),
            report::ReportError::Db(e) => e.into(),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<ClassifyError> for AppError {
    fn from(e: ClassifyError) -> Self {
        match e {
            ClassifyError::NotAnOutage => AppError::field("starts_at", Msg::ErrSlaNotAnOutage),
            ClassifyError::AlreadyClassified => {
                AppError::Conflict(FieldError::new("starts_at", Msg::ErrSlaAlreadyClassified))
            }
            ClassifyError::Db(e) => e.into(),
        }
    }
}

/// An environment by its key; empty means Production (the one the SLA is
/// agreed for).
#[cfg(feature = "ssr")]
pub fn parse_environment(s: &str) -> Result<opsdeck::deploy_gate::Environment, AppError> {
    if s.trim().is_empty() {
        return Ok(opsdeck::deploy_gate::Environment::Production);
    }
    s.parse()
        .map_err(|_| AppError::field("environment", Msg::ErrSlaEnvironment))
}

/// The report of `environment` for `(year, month)` (0, 0 = the current
/// month), with its charts drawn in `lang` (none without): what the page
/// shows and the CSV writes.
#[cfg(feature = "ssr")]
pub async fn month_report(
    pool: &sqlx::PgPool,
    tz: chrono_tz::Tz,
    environment: &str,
    year: i32,
    month: u32,
    lang: Option<Lang>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<SlaMonthView, AppError> {
    let env = parse_environment(environment)?;
    let (year, month) = if year == 0 && month == 0 {
        report::current_month(tz, now)
    } else {
        (year, month)
    };
    let mut view = report::month_view(pool, tz, env, year, month, now).await?;
    if let Some(lang) = lang {
        view.charts = charts::draw(&view, tz, lang);
    }
    Ok(view)
}

/// The month's SLA report (R-SLA-1..5): availability against the target with
/// allowed, used and remaining downtime on the same minutes, the exclusions
/// ledger, outages, latency and error ratios against their targets, the
/// daily table, the 12-month history and the four charts. `year` and
/// `month` 0 mean the current month.
#[server(prefix = "/rpc", endpoint = "sla/month")]
pub async fn load_sla_month(
    #[server(default)] environment: String,
    #[server(default)] year: i32,
    #[server(default)] month: u32,
) -> Result<SlaMonthView, AppError> {
    rpc(Access::SignedIn, |call| async move {
        month_report(
            &call.ctx.pool,
            call.ctx.time_zone,
            &environment,
            year,
            month,
            Some(crate::request_lang()),
            chrono::Utc::now(),
        )
        .await
    })
    .await
}

/// The months with data for the month picker (`2026-04`), newest first,
/// always including the current month.
#[server(prefix = "/rpc", endpoint = "sla/months")]
pub async fn load_sla_months(
    #[server(default)] environment: String,
) -> Result<Vec<String>, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let env = parse_environment(&environment)?;
        let months =
            report::months_available(&call.ctx.pool, call.ctx.time_zone, env, chrono::Utc::now())
                .await?;
        Ok(months
            .into_iter()
            .map(|(y, m)| crate::model::sla::month_key(y, m))
            .collect())
    })
    .await
}

/// Excludes an outage (a run of down minutes the report lists) as force
/// majeure or an external-service outage, with the written reason (R-SLA-2;
/// audited). Availability and the error budget change together: both are
/// computed on the minutes that remain.
#[server(prefix = "/rpc", endpoint = "sla/classify")]
pub async fn classify_outage(
    environment: String,
    starts_at: String,
    ends_at: String,
    reason: String,
    note: String,
) -> Result<i64, AppError> {
    use crate::model::sla::ExclusionKind;
    rpc(OPERATOR, |call| async move {
        let mut check = crate::validate::Check::default();
        let env = parse_environment(&environment).ok();
        check.field(
            "environment",
            env.is_none().then_some(Msg::ErrSlaEnvironment),
        );
        let time = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s.trim())
                .ok()
                .map(|t| t.with_timezone(&chrono::Utc))
        };
        let start = time(&starts_at);
        let end = time(&ends_at);
        check.field("starts_at", start.is_none().then_some(Msg::ErrDateTime));
        check.field("ends_at", end.is_none().then_some(Msg::ErrDateTime));
        if let (Some(s), Some(e)) = (start, end) {
            check.field("ends_at", (e <= s).then_some(Msg::ErrEndBeforeStart));
        }
        let kind = ExclusionKind::parse_classification(&reason);
        check.field("reason", kind.is_none().then_some(Msg::ErrChoice));
        check.field(
            "note",
            crate::validate::required_text(&note, store::NOTE_MAX_CHARS),
        );
        check.finish()?;
        let (Some(env), Some(start), Some(end), Some(kind)) = (env, start, end, kind) else {
            return Err(AppError::Internal);
        };
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let id = store::classify(
            &mut tx,
            &actor,
            call.ctx.time_zone,
            env,
            start,
            end,
            kind,
            &note,
            chrono::Utc::now(),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    })
    .await
}

/// Removes a classification: the outage counts against the SLA again
/// (audited with what was removed).
#[server(prefix = "/rpc", endpoint = "sla/unclassify")]
pub async fn remove_classification(id: i64) -> Result<(), AppError> {
    rpc(OPERATOR, |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        if !store::unclassify(&mut tx, &actor, id).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Changes the SLA's targets (admins; R-SLA-1, R-SLA-3): the availability
/// target and the error-ratio targets as percentages ("99.9", "0.01"), the
/// latency targets in ms, how minutes without probe data count. Audited.
#[server(prefix = "/rpc", endpoint = "sla/save_settings")]
pub async fn save_sla_settings(
    target_percent: String,
    no_data: String,
    api_ms: String,
    page_ms: String,
    search_ms: String,
    max_5xx_percent: String,
    max_4xx_percent: String,
    max_timeout_percent: String,
) -> Result<SlaSettingsView, AppError> {
    use crate::model::sla::parse_percent_ppm;
    rpc(Access::ADMIN, |call| async move {
        let mut check = crate::validate::Check::default();
        let target = parse_percent_ppm(&target_percent).filter(|p| *p >= 900_000);
        check.field(
            "target_percent",
            target.is_none().then_some(Msg::ErrNumberRange),
        );
        let no_data = no_data.trim().to_string();
        check.field(
            "no_data",
            (!["exclude", "count_as_down", "count_as_up"].contains(&no_data.as_str()))
                .then_some(Msg::ErrChoice),
        );
        let mut ms = |field: &str, s: &str| {
            let v = s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && (1.0..=600_000.0).contains(v));
            check.field(field, v.is_none().then_some(Msg::ErrNumberRange));
            v.unwrap_or_default()
        };
        let (api, page, search) = (
            ms("api_ms", &api_ms),
            ms("page_ms", &page_ms),
            ms("search_ms", &search_ms),
        );
        let mut ratio = |field: &str, s: &str| {
            let v = parse_percent_ppm(s);
            check.field(field, v.is_none().then_some(Msg::ErrNumberRange));
            v.unwrap_or_default()
        };
        let (r5, r4, rt) = (
            ratio("max_5xx_percent", &max_5xx_percent),
            ratio("max_4xx_percent", &max_4xx_percent),
            ratio("max_timeout_percent", &max_timeout_percent),
        );
        check.finish()?;
        let mut tx = call.ctx.pool.begin().await?;
        let current = store::settings(&mut *tx).await?.view;
        let wanted = SlaSettingsView {
            target_ppm: target.unwrap_or(current.target_ppm),
            no_data,
            latency_quantile: current.latency_quantile,
            api_ms: api,
            page_ms: page,
            search_ms: search,
            max_5xx_ppm: r5,
            max_4xx_ppm: r4,
            max_timeout_ppm: rt,
        };
        let saved = store::save_settings(&mut tx, &Actor::user(call.user()?), &wanted).await?;
        tx.commit().await?;
        Ok(saved)
    })
    .await
}
