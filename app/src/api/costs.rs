//! Costs server functions (issue 12, R-COST-1..4): everyone signed in reads
//! the month; finance (and admins) change the budget, thresholds, entries and
//! savings measures. Every change of entries re-judges the current month's
//! alerts in the same transaction (`store::costs::evaluate_alerts`).

// `add_entry` takes the form's fields one by one, as the form posts them.
#![allow(clippy::too_many_arguments)]

#[cfg(feature = "ssr")]
pub mod chart;
#[cfg(feature = "ssr")]
pub mod import;
pub mod view;

use crate::error::AppError;
use crate::model::Page;
use leptos::prelude::*;
use view::{BudgetView, EntryView, ImportReport, MeasureView, MonthView};
#[cfg(feature = "ssr")]
use {
    crate::{
        auth::guard::rpc,
        i18n::Msg,
        role::{Access, Role},
        store::audit::Actor,
        store::costs as store,
    },
    chrono::{Datelike, NaiveDate},
    opsdeck::costs::Cents,
};

/// Entries per page on the costs page.
pub const PER_PAGE: u32 = 25;

/// Who may change costs: finance (admins always pass).
#[cfg(feature = "ssr")]
const FINANCE: Access = Access::AnyOf(&[Role::Finance]);

/// Largest amount accepted anywhere: ten billion in the currency's units.
#[cfg(feature = "ssr")]
const MAX_AMOUNT_CENTS: i64 = 1_000_000_000_000;

/// Today in the configured zone.
#[cfg(feature = "ssr")]
pub fn today(tz: chrono_tz::Tz) -> NaiveDate {
    chrono::Utc::now().with_timezone(&tz).date_naive()
}

/// `2026-11` → its first day; empty → the current month.
#[cfg(feature = "ssr")]
fn parse_month(s: &str, today: NaiveDate) -> Result<NaiveDate, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(store::month_bounds(today).0);
    }
    import::parse_date(&format!("{s}-01")).ok_or_else(|| AppError::field("month", Msg::ErrMonth))
}

#[cfg(feature = "ssr")]
fn amount(s: &str, field: &str) -> Result<Cents, AppError> {
    Cents::parse(s)
        .ok()
        .filter(|c| c.0.abs() <= MAX_AMOUNT_CENTS)
        .ok_or_else(|| AppError::field(field, Msg::ErrAmount))
}

/// Re-judges the current month after a change, in its transaction.
#[cfg(feature = "ssr")]
async fn judge(conn: &mut sqlx::PgConnection, tz: chrono_tz::Tz) -> Result<(), AppError> {
    store::evaluate_alerts(conn, today(tz)).await?;
    Ok(())
}

/// The month page's figures: month-to-date, forecast, by service, data age,
/// alerts and the chart. `month` is `YYYY-MM`, empty for the current one.
#[server(prefix = "/rpc", endpoint = "costs/month")]
pub async fn load_month(#[server(default)] month: String) -> Result<MonthView, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let tz = call.ctx.time_zone;
        let today = today(tz);
        let first = parse_month(&month, today)?;
        let (_, last) = store::month_bounds(first);
        let current = store::month_bounds(today).0;
        let is_current = first == current;
        let as_of = if is_current { today } else { last };
        let pool = &call.ctx.pool;
        let mut conn = pool.acquire().await?;
        let budget = store::budget(&mut conn).await?;
        let entries = store::month_entries(&mut *conn, as_of, &budget.currency).await?;
        let policy = store::policy(&budget);
        let spend = opsdeck::costs::month_spend(&entries, as_of).map_err(|_| AppError::Internal)?;
        let cumulative =
            opsdeck::costs::cumulative_by_day(&entries, as_of).map_err(|_| AppError::Internal)?;
        let forecast = if is_current {
            opsdeck::costs::forecast(&spend, as_of)
        } else {
            spend.total
        };
        let days_in_month = opsdeck::sla::days_in_month(first.year(), first.month()).unwrap_or(30);
        let bp = |c: Cents| -> i64 {
            let v = i128::from(c.0) * 10_000 / i128::from(budget.amount.0.max(1));
            i64::try_from(v).unwrap_or(i64::MAX)
        };
        let thresholds: Vec<u32> = budget.thresholds.iter().map(|t| t.percent).collect();
        let chart_svg = chart::render(&chart::ChartInput {
            days_in_month,
            cumulative: &cumulative,
            budget: budget.amount,
            thresholds: &thresholds,
            forecast: is_current.then_some(forecast),
            currency: &budget.currency,
        });
        let by_service = store::by_service(pool, first, &budget.currency).await?;
        let entry_count = store::list_entries(pool, first, 1, 1).await?.total;
        let (last_recorded_at, latest_entry_date) = store::data_age(pool).await?;
        let alerts = store::alerts(pool, first).await?;
        let savings_total = Cents(
            store::measures(pool)
                .await?
                .iter()
                .filter(|m| m.status != "dropped")
                .map(|m| m.estimated_saving.0)
                .sum(),
        );
        Ok(MonthView {
            month: first,
            as_of,
            today,
            is_current,
            mtd: spend.total,
            one_off: spend.one_off,
            forecast,
            mtd_basis_points: bp(spend.total),
            forecast_basis_points: bp(forecast),
            elapsed_days: if is_current {
                opsdeck::costs::elapsed_days(as_of)
            } else {
                days_in_month
            },
            days_in_month,
            forecast_alerts_held: is_current
                && !opsdeck::costs::forecast_alerts_allowed(&policy, as_of),
            by_service,
            entry_count,
            last_recorded_at,
            latest_entry_date,
            alerts,
            chart_svg,
            savings_total,
            budget,
        })
    })
    .await
}

/// One page of the month's entries, newest first.
#[server(prefix = "/rpc", endpoint = "costs/entries")]
pub async fn list_entries(
    #[server(default)] month: String,
    page: u32,
) -> Result<Page<EntryView>, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let first = parse_month(&month, today(call.ctx.time_zone))?;
        Ok(store::list_entries(&call.ctx.pool, first, page, PER_PAGE).await?)
    })
    .await
}

/// The month's entries as CSV in the import format (`date,service,amount,currency,kind`).
#[server(prefix = "/rpc", endpoint = "costs/export")]
pub async fn export_csv(#[server(default)] month: String) -> Result<String, AppError> {
    rpc(Access::SignedIn, |call| async move {
        let first = parse_month(&month, today(call.ctx.time_zone))?;
        let entries = store::all_entries(&call.ctx.pool, first).await?;
        import::export(&entries).map_err(|e| {
            tracing::error!(error = %e, "CSV export failed");
            AppError::Internal
        })
    })
    .await
}

/// The savings measures (R-COST-4).
#[server(prefix = "/rpc", endpoint = "costs/measures")]
pub async fn list_measures() -> Result<Vec<MeasureView>, AppError> {
    rpc(Access::SignedIn, |call| async move {
        Ok(store::measures(&call.ctx.pool).await?)
    })
    .await
}

/// Changes the monthly budget (R-COST-1): amount, currency, and the days
/// forecast alerts wait for.
#[server(prefix = "/rpc", endpoint = "costs/save_budget")]
pub async fn save_budget(
    amount: String,
    currency: String,
    forecast_min_days: String,
) -> Result<BudgetView, AppError> {
    rpc(FINANCE, |call| async move {
        let mut check = crate::validate::Check::default();
        let amount = Cents::parse(&amount)
            .ok()
            .filter(|c| c.0 > 0 && c.0 <= MAX_AMOUNT_CENTS);
        check.field("amount", amount.is_none().then_some(Msg::ErrAmount));
        let currency = import::parse_currency(&currency);
        check.field("currency", currency.is_none().then_some(Msg::ErrCurrency));
        let min_days = forecast_min_days
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=31).contains(d));
        check.field(
            "forecast_min_days",
            min_days.is_none().then_some(Msg::ErrNumberRange),
        );
        check.finish()?;
        let (Some(amount), Some(currency), Some(min_days)) = (amount, currency, min_days) else {
            return Err(AppError::Internal);
        };
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        if store::has_entries_in_other_currency(&mut *tx, &currency).await? {
            return Err(AppError::field("currency", Msg::ErrCurrencyInUse));
        }
        let saved = store::save_budget(&mut tx, &actor, amount, &currency, min_days).await?;
        judge(&mut tx, call.ctx.time_zone).await?;
        tx.commit().await?;
        Ok(saved)
    })
    .await
}

/// Creates or changes a threshold: percent, recipient groups (comma-separated
/// names) and action. `replaces` is the percent being edited (0: a new one).
#[server(prefix = "/rpc", endpoint = "costs/save_threshold")]
pub async fn save_threshold(
    percent: String,
    groups: String,
    #[server(default)] action: String,
    #[server(default)] replaces: u32,
) -> Result<(), AppError> {
    rpc(FINANCE, |call| async move {
        let mut check = crate::validate::Check::default();
        let percent = percent
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|p| (1..=1000).contains(p));
        check.field("percent", percent.is_none().then_some(Msg::ErrNumberRange));
        let mut names: Vec<String> = Vec::new();
        for g in groups.split(',').map(str::trim).filter(|g| !g.is_empty()) {
            if !names.iter().any(|n| n == g) {
                names.push(g.to_string());
            }
        }
        check.field(
            "groups",
            (names.is_empty() || names.len() > 20).then_some(Msg::ErrRequired),
        );
        let action = action.trim().to_string();
        check.field(
            "action",
            (action.chars().count() > 200).then_some(Msg::ErrTooLong),
        );
        check.finish()?;
        let Some(percent) = percent else {
            return Err(AppError::Internal);
        };
        let pool = &call.ctx.pool;
        if !store::unknown_groups(pool, &names).await?.is_empty() {
            return Err(AppError::field("groups", Msg::ErrUnknownGroup));
        }
        let actor = Actor::user(call.user()?);
        let mut tx = pool.begin().await?;
        let threshold = view::ThresholdView {
            percent,
            groups: names,
            action,
        };
        store::save_threshold(
            &mut tx,
            &actor,
            (replaces > 0 && replaces != percent).then_some(replaces),
            &threshold,
        )
        .await?;
        judge(&mut tx, call.ctx.time_zone).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "costs/delete_threshold")]
pub async fn delete_threshold(percent: u32) -> Result<(), AppError> {
    rpc(FINANCE, |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        if !store::delete_threshold(&mut tx, &actor, percent).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Adds one entry by hand (R-COST-2). A credit (refund) is entered with
/// `credit` ticked, with the amount either signed or not; it is stored
/// negative and one-off. A negative amount without `credit` is refused.
#[server(prefix = "/rpc", endpoint = "costs/add_entry")]
pub async fn add_entry(
    date: String,
    service: String,
    amount: String,
    #[server(default)] currency: String,
    #[server(default)] one_off: bool,
    #[server(default)] credit: bool,
    #[server(default)] note: String,
) -> Result<i64, AppError> {
    rpc(FINANCE, |call| async move {
        let mut check = crate::validate::Check::default();
        let date = import::parse_date(&date);
        check.field("date", date.is_none().then_some(Msg::ErrDate));
        let service = import::parse_service(&service);
        check.field("service", service.is_none().then_some(Msg::ErrService));
        let value = amount.trim().to_string();
        let parsed = self::amount(&value, "amount").ok();
        check.field("amount", parsed.is_none().then_some(Msg::ErrAmount));
        check.field(
            "amount",
            parsed
                .filter(|a| a.0 < 0 && !credit)
                .map(|_| Msg::ErrNegativeNotCredit),
        );
        let note = note.trim().to_string();
        check.field(
            "note",
            (note.chars().count() > 500).then_some(Msg::ErrTooLong),
        );
        check.finish()?;
        let (Some(date), Some(service), Some(parsed)) = (date, service, parsed) else {
            return Err(AppError::Internal);
        };
        let amount = if credit {
            Cents(-parsed.0.abs())
        } else {
            parsed
        };
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let budget = store::budget(&mut tx).await?;
        let currency = if currency.trim().is_empty() {
            budget.currency.clone()
        } else {
            import::parse_currency(&currency)
                .ok_or_else(|| AppError::field("currency", Msg::ErrCurrency))?
        };
        if currency != budget.currency {
            return Err(AppError::field("currency", Msg::ErrCsvOtherCurrency));
        }
        let entry = store::NewEntry {
            date,
            service,
            amount,
            currency,
            one_off: one_off || credit,
            note,
        };
        let id = store::add_entry(&mut tx, &actor, &entry).await?;
        judge(&mut tx, call.ctx.time_zone).await?;
        tx.commit().await?;
        Ok(id)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "costs/delete_entry")]
pub async fn delete_entry(id: i64) -> Result<(), AppError> {
    rpc(FINANCE, |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        if store::delete_entry(&mut tx, &actor, id).await?.is_none() {
            return Err(AppError::NotFound);
        }
        judge(&mut tx, call.ctx.time_zone).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Marks an entry one-off (not extrapolated by the forecast) or recurring.
#[server(prefix = "/rpc", endpoint = "costs/set_one_off")]
pub async fn set_one_off(id: i64, #[server(default)] one_off: bool) -> Result<(), AppError> {
    rpc(FINANCE, |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let entry = store::entry(&mut *tx, id)
            .await?
            .ok_or(AppError::NotFound)?;
        if entry.amount.0 < 0 && !one_off {
            return Err(AppError::field("one_off", Msg::ErrCreditAlwaysOneOff));
        }
        store::set_one_off(&mut tx, &actor, id, one_off).await?;
        judge(&mut tx, call.ctx.time_zone).await?;
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// Imports a CSV (`date,service,amount[,currency][,kind]`, header required):
/// all rows or none; every bad line is named (`csv:<line>` fields); rows
/// imported before are skipped, not counted twice.
#[server(prefix = "/rpc", endpoint = "costs/import")]
pub async fn import_csv(csv: String) -> Result<ImportReport, AppError> {
    rpc(FINANCE, |call| async move {
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let budget = store::budget(&mut tx).await?;
        let rows = import::parse(&csv, &budget.currency).map_err(|e| import::to_app_error(&e))?;
        let report = store::import(&mut tx, &actor, &rows).await?;
        judge(&mut tx, call.ctx.time_zone).await?;
        tx.commit().await?;
        tracing::info!(
            rows = report.rows,
            inserted = report.inserted,
            "cost CSV imported"
        );
        Ok(report)
    })
    .await
}

/// Edits a savings measure (R-COST-4).
#[server(prefix = "/rpc", endpoint = "costs/save_measure")]
pub async fn save_measure(
    id: i64,
    #[server(default)] owner: String,
    status: String,
    #[server(default)] estimated_saving: String,
    #[server(default)] notes: String,
) -> Result<(), AppError> {
    rpc(FINANCE, |call| async move {
        let mut check = crate::validate::Check::default();
        let owner = owner.trim().to_string();
        check.field(
            "owner",
            (owner.chars().count() > 64).then_some(Msg::ErrTooLong),
        );
        let status = status.trim().to_string();
        check.field(
            "status",
            (!view::MEASURE_STATUSES.contains(&status.as_str())).then_some(Msg::ErrChoice),
        );
        let saving = if estimated_saving.trim().is_empty() {
            Some(Cents(0))
        } else {
            Cents::parse(&estimated_saving)
                .ok()
                .filter(|c| c.0 >= 0 && c.0 <= MAX_AMOUNT_CENTS)
        };
        check.field(
            "estimated_saving",
            saving.is_none().then_some(Msg::ErrAmount),
        );
        let notes = notes.trim().to_string();
        check.field(
            "notes",
            (notes.chars().count() > 1000).then_some(Msg::ErrTooLong),
        );
        check.finish()?;
        let Some(estimated_saving) = saving else {
            return Err(AppError::Internal);
        };
        let actor = Actor::user(call.user()?);
        let mut tx = call.ctx.pool.begin().await?;
        let input = store::MeasureInput {
            owner,
            status,
            estimated_saving,
            notes,
        };
        if !store::save_measure(&mut tx, &actor, id, &input).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    })
    .await
}

/// The overview's budget card for this month.
#[cfg(feature = "ssr")]
pub async fn budget_card(
    pool: &sqlx::PgPool,
    tz: chrono_tz::Tz,
) -> Result<view::BudgetCard, AppError> {
    let today = today(tz);
    let mut conn = pool.acquire().await?;
    let budget = store::budget(&mut conn).await?;
    let entries = store::month_entries(&mut *conn, today, &budget.currency).await?;
    let spend = opsdeck::costs::month_spend(&entries, today).map_err(|_| AppError::Internal)?;
    let alerts = store::alerts(&mut *conn, today).await?;
    let bp = i128::from(spend.total.0) * 10_000 / i128::from(budget.amount.0.max(1));
    Ok(view::BudgetCard {
        month: store::month_bounds(today).0,
        mtd: spend.total,
        forecast: opsdeck::costs::forecast(&spend, today),
        budget: budget.amount,
        currency: budget.currency,
        mtd_basis_points: i64::try_from(bp).unwrap_or(i64::MAX),
        highest_actual: alerts
            .iter()
            .filter(|a| a.basis == "actual")
            .map(|a| a.percent)
            .max(),
        alerts: alerts.len(),
    })
}
