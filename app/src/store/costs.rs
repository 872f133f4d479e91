//! The monthly budget, its thresholds, cost entries, budget alerts and the
//! savings measures (issue 12, R-COST-1..4).
//!
//! Every write appends its audit entry in the caller's transaction. Every
//! change of entries (and of the budget or a threshold) ends with
//! `evaluate_alerts` in the same transaction: thresholds newly crossed by
//! actual spend, and separately by the forecast, are recorded once per month
//! in `budget_alerts` and only then notify their groups through the outbox.

use super::audit::{self, Actor};
use crate::api::costs::import::ImportRow;
use crate::api::costs::view::{
    AlertView, BudgetView, EntryView, ImportReport, MeasureView, ServiceSpend, ThresholdView,
};
use crate::model::Page;
use chrono::{Datelike, NaiveDate};
use opsdeck::costs::{BudgetPolicy, BudgetThreshold, Cents, CostEntry, Notified};
use serde_json::json;
use sqlx::{PgConnection, PgExecutor, Row};

/// First and last day of the month of `d`.
pub fn month_bounds(d: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = d.with_day(1).unwrap_or(d);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    (first, next.pred_opt().unwrap_or(first))
}

fn threshold_view(r: &sqlx::postgres::PgRow) -> Result<ThresholdView, sqlx::Error> {
    let percent: i32 = r.try_get("percent")?;
    Ok(ThresholdView {
        percent: u32::try_from(percent).unwrap_or(0),
        groups: r.try_get("groups")?,
        action: r.try_get("action")?,
    })
}

/// The budget with its thresholds, lowest first.
pub async fn budget(conn: &mut PgConnection) -> Result<BudgetView, sqlx::Error> {
    let r =
        sqlx::query("SELECT amount_cents, currency, forecast_min_days FROM budget WHERE singleton")
            .fetch_one(&mut *conn)
            .await?;
    let thresholds =
        sqlx::query("SELECT percent, groups, action FROM budget_thresholds ORDER BY percent")
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(threshold_view)
            .collect::<Result<Vec<_>, _>>()?;
    let min_days: i32 = r.try_get("forecast_min_days")?;
    Ok(BudgetView {
        amount: Cents(r.try_get("amount_cents")?),
        currency: r.try_get("currency")?,
        forecast_min_days: u32::try_from(min_days).unwrap_or(5),
        thresholds,
    })
}

/// The core's policy for a budget.
pub fn policy(b: &BudgetView) -> BudgetPolicy {
    BudgetPolicy {
        name: "monthly-infrastructure".into(),
        amount: b.amount,
        thresholds: b
            .thresholds
            .iter()
            .map(|t| BudgetThreshold {
                percent: t.percent,
                notify: t.groups.clone(),
                action: (!t.action.is_empty()).then(|| t.action.clone()),
            })
            .collect(),
        forecast_min_days: b.forecast_min_days,
    }
}

/// Changes the budget; audited with before and after.
pub async fn save_budget(
    conn: &mut PgConnection,
    actor: &Actor,
    amount: Cents,
    currency: &str,
    forecast_min_days: u32,
) -> Result<BudgetView, sqlx::Error> {
    sqlx::query("SELECT 1 FROM budget WHERE singleton FOR UPDATE")
        .execute(&mut *conn)
        .await?;
    let before = budget(conn).await?;
    sqlx::query(
        "UPDATE budget SET amount_cents = $1, currency = $2, forecast_min_days = $3, updated_at = now() \
         WHERE singleton",
    )
    .bind(amount.0)
    .bind(currency)
    .bind(i32::try_from(forecast_min_days).unwrap_or(5))
    .execute(&mut *conn)
    .await?;
    let after = budget(conn).await?;
    audit::append(
        conn,
        actor,
        "costs.budget.update",
        "budget",
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&after).ok(),
    )
    .await?;
    Ok(after)
}

/// Whether entries in a currency other than `currency` exist.
pub async fn has_entries_in_other_currency<'e>(
    db: impl PgExecutor<'e>,
    currency: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM cost_entries WHERE currency <> $1)")
        .bind(currency)
        .fetch_one(db)
        .await
}

/// Which of `names` are not recipient groups.
pub async fn unknown_groups<'e>(
    db: impl PgExecutor<'e>,
    names: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT n FROM unnest($1::text[]) AS n \
         WHERE NOT EXISTS (SELECT 1 FROM recipient_groups g WHERE g.name = n)",
    )
    .bind(names)
    .fetch_all(db)
    .await
}

/// Creates or replaces the threshold at `percent` (removing `replaces` when
/// the percent itself changed); audited.
pub async fn save_threshold(
    conn: &mut PgConnection,
    actor: &Actor,
    replaces: Option<u32>,
    t: &ThresholdView,
) -> Result<(), sqlx::Error> {
    let percent = i32::try_from(t.percent).unwrap_or(i32::MAX);
    let before = match replaces {
        Some(old) => {
            let old = i32::try_from(old).unwrap_or(i32::MAX);
            let row = sqlx::query(
                "DELETE FROM budget_thresholds WHERE percent = $1 RETURNING percent, groups, action",
            )
            .bind(old)
            .fetch_optional(&mut *conn)
            .await?;
            row.as_ref().map(threshold_view).transpose()?
        }
        None => None,
    };
    sqlx::query(
        "INSERT INTO budget_thresholds (percent, groups, action) VALUES ($1, $2, $3) \
         ON CONFLICT (percent) DO UPDATE SET groups = EXCLUDED.groups, action = EXCLUDED.action",
    )
    .bind(percent)
    .bind(&t.groups)
    .bind(&t.action)
    .execute(&mut *conn)
    .await?;
    audit::append(
        conn,
        actor,
        "costs.threshold.save",
        &format!("budget_threshold:{}", t.percent),
        before.and_then(|b| serde_json::to_value(b).ok()),
        serde_json::to_value(t).ok(),
    )
    .await
}

/// Removes a threshold; `false` if there was none.
pub async fn delete_threshold(
    conn: &mut PgConnection,
    actor: &Actor,
    percent: u32,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "DELETE FROM budget_thresholds WHERE percent = $1 RETURNING percent, groups, action",
    )
    .bind(i32::try_from(percent).unwrap_or(i32::MAX))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(false) };
    let before = threshold_view(&row)?;
    audit::append(
        conn,
        actor,
        "costs.threshold.delete",
        &format!("budget_threshold:{percent}"),
        serde_json::to_value(before).ok(),
        None,
    )
    .await?;
    Ok(true)
}

const ENTRY_COLUMNS: &str =
    "id, date, service, amount_cents, currency, one_off, source, note, created_at, created_by";

fn entry_view(r: &sqlx::postgres::PgRow) -> Result<EntryView, sqlx::Error> {
    Ok(EntryView {
        id: r.try_get("id")?,
        date: r.try_get("date")?,
        service: r.try_get("service")?,
        amount: Cents(r.try_get("amount_cents")?),
        currency: r.try_get("currency")?,
        one_off: r.try_get("one_off")?,
        source: r.try_get("source")?,
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

/// A validated entry typed by hand.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub date: NaiveDate,
    pub service: String,
    pub amount: Cents,
    pub currency: String,
    pub one_off: bool,
    pub note: String,
}

/// Adds one entry typed by hand; audited. Returns its id.
pub async fn add_entry(
    conn: &mut PgConnection,
    actor: &Actor,
    e: &NewEntry,
) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(&format!(
        "INSERT INTO cost_entries (date, service, amount_cents, currency, one_off, source, note, created_by) \
         VALUES ($1, $2, $3, $4, $5, 'manual', $6, $7) RETURNING {ENTRY_COLUMNS}"
    ))
    .bind(e.date)
    .bind(&e.service)
    .bind(e.amount.0)
    .bind(&e.currency)
    .bind(e.one_off)
    .bind(&e.note)
    .bind(&actor.name)
    .fetch_one(&mut *conn)
    .await?;
    let view = entry_view(&row)?;
    audit::append(
        conn,
        actor,
        "costs.entry.add",
        &format!("cost_entry:{}", view.id),
        None,
        serde_json::to_value(&view).ok(),
    )
    .await?;
    Ok(view.id)
}

/// One entry.
pub async fn entry<'e>(db: impl PgExecutor<'e>, id: i64) -> Result<Option<EntryView>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM cost_entries WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(entry_view).transpose()
}

/// Deletes an entry; returns it, or `None` if there was none.
pub async fn delete_entry(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
) -> Result<Option<EntryView>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "DELETE FROM cost_entries WHERE id = $1 RETURNING {ENTRY_COLUMNS}"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let before = entry_view(&row)?;
    audit::append(
        conn,
        actor,
        "costs.entry.delete",
        &format!("cost_entry:{id}"),
        serde_json::to_value(&before).ok(),
        None,
    )
    .await?;
    Ok(Some(before))
}

/// Marks an entry one-off or recurring; returns it as it is now, `None` if
/// there was none. A credit stays one-off (the table refuses otherwise).
pub async fn set_one_off(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    one_off: bool,
) -> Result<Option<EntryView>, sqlx::Error> {
    let Some(before) = entry(&mut *conn, id).await? else {
        return Ok(None);
    };
    let row = sqlx::query(&format!(
        "UPDATE cost_entries SET one_off = $2 WHERE id = $1 RETURNING {ENTRY_COLUMNS}"
    ))
    .bind(id)
    .bind(one_off)
    .fetch_one(&mut *conn)
    .await?;
    let after = entry_view(&row)?;
    audit::append(
        conn,
        actor,
        "costs.entry.one_off",
        &format!("cost_entry:{id}"),
        Some(json!({"one_off": before.one_off})),
        Some(json!({"one_off": after.one_off})),
    )
    .await?;
    Ok(Some(after))
}

/// Inserts the rows of one file; rows imported before (same dedup key) are
/// skipped. Audited once, with the counts.
pub async fn import(
    conn: &mut PgConnection,
    actor: &Actor,
    rows: &[ImportRow],
) -> Result<ImportReport, sqlx::Error> {
    let dates: Vec<NaiveDate> = rows.iter().map(|r| r.date).collect();
    let services: Vec<&str> = rows.iter().map(|r| r.service.as_str()).collect();
    let amounts: Vec<i64> = rows.iter().map(|r| r.amount.0).collect();
    let currencies: Vec<&str> = rows.iter().map(|r| r.currency.as_str()).collect();
    let one_offs: Vec<bool> = rows.iter().map(|r| r.one_off).collect();
    let keys: Vec<&str> = rows.iter().map(|r| r.dedup_key.as_str()).collect();
    let inserted = sqlx::query(
        "INSERT INTO cost_entries (date, service, amount_cents, currency, one_off, source, dedup_key, created_by) \
         SELECT d, s, a, c, o, 'csv', k, $7 \
         FROM unnest($1::date[], $2::text[], $3::bigint[], $4::text[], $5::bool[], $6::text[]) AS t(d, s, a, c, o, k) \
         ON CONFLICT (dedup_key) DO NOTHING",
    )
    .bind(&dates)
    .bind(&services)
    .bind(&amounts)
    .bind(&currencies)
    .bind(&one_offs)
    .bind(&keys)
    .bind(&actor.name)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let total = rows.len() as u64;
    let report = ImportReport {
        rows: total,
        inserted,
        duplicates: total.saturating_sub(inserted),
    };
    let first = rows.iter().map(|r| r.date).min();
    let last = rows.iter().map(|r| r.date).max();
    audit::append(
        conn,
        actor,
        "costs.import",
        "cost_entries",
        None,
        Some(json!({
            "rows": report.rows,
            "inserted": report.inserted,
            "duplicates": report.duplicates,
            "from": first,
            "to": last,
        })),
    )
    .await?;
    Ok(report)
}

/// Entries of the month of `d` in `currency`, for the core.
pub async fn month_entries<'e>(
    db: impl PgExecutor<'e>,
    d: NaiveDate,
    currency: &str,
) -> Result<Vec<CostEntry>, sqlx::Error> {
    let (first, last) = month_bounds(d);
    let rows = sqlx::query(
        "SELECT date, service, amount_cents, one_off FROM cost_entries \
         WHERE date BETWEEN $1 AND $2 AND currency = $3 ORDER BY date, id",
    )
    .bind(first)
    .bind(last)
    .bind(currency)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CostEntry {
                date: r.try_get("date")?,
                service: r.try_get("service")?,
                amount: Cents(r.try_get("amount_cents")?),
                one_off: r.try_get("one_off")?,
            })
        })
        .collect()
}

/// One page of the month's entries, newest day first.
pub async fn list_entries<'e, E: PgExecutor<'e> + Copy>(
    db: E,
    month: NaiveDate,
    page: u32,
    per_page: u32,
) -> Result<Page<EntryView>, sqlx::Error> {
    let (first, last) = month_bounds(month);
    let page = page.max(1);
    let per_page = per_page.clamp(1, 500);
    let total: i64 =
        sqlx::query_scalar("SELECT count(*) FROM cost_entries WHERE date BETWEEN $1 AND $2")
            .bind(first)
            .bind(last)
            .fetch_one(db)
            .await?;
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM cost_entries WHERE date BETWEEN $1 AND $2 \
         ORDER BY date DESC, id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(first)
    .bind(last)
    .bind(i64::from(per_page))
    .bind(i64::from(page - 1) * i64::from(per_page))
    .fetch_all(db)
    .await?;
    Ok(Page {
        rows: rows.iter().map(entry_view).collect::<Result<_, _>>()?,
        page,
        per_page,
        total,
    })
}

/// Every entry of the month, oldest first (the CSV export).
pub async fn all_entries<'e>(
    db: impl PgExecutor<'e>,
    month: NaiveDate,
) -> Result<Vec<EntryView>, sqlx::Error> {
    let (first, last) = month_bounds(month);
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM cost_entries WHERE date BETWEEN $1 AND $2 ORDER BY date, id"
    ))
    .bind(first)
    .bind(last)
    .fetch_all(db)
    .await?;
    rows.iter().map(entry_view).collect()
}

/// The month's spend by service in `currency`, highest first.
pub async fn by_service<'e>(
    db: impl PgExecutor<'e>,
    month: NaiveDate,
    currency: &str,
) -> Result<Vec<ServiceSpend>, sqlx::Error> {
    let (first, last) = month_bounds(month);
    let rows = sqlx::query(
        "SELECT service, sum(amount_cents)::bigint AS total FROM cost_entries \
         WHERE date BETWEEN $1 AND $2 AND currency = $3 GROUP BY service ORDER BY total DESC, service",
    )
    .bind(first)
    .bind(last)
    .bind(currency)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ServiceSpend {
                service: r.try_get("service")?,
                amount: Cents(r.try_get("total")?),
            })
        })
        .collect()
}

/// How fresh the data is: when the newest entry was recorded and the latest day any entry covers.
pub async fn data_age<'e>(
    db: impl PgExecutor<'e>,
) -> Result<(Option<chrono::DateTime<chrono::Utc>>, Option<NaiveDate>), sqlx::Error> {
    let r = sqlx::query("SELECT max(created_at) AS at, max(date) AS day FROM cost_entries")
        .fetch_one(db)
        .await?;
    Ok((r.try_get("at")?, r.try_get("day")?))
}

fn alert_view(r: &sqlx::postgres::PgRow) -> Result<AlertView, sqlx::Error> {
    let percent: i32 = r.try_get("percent")?;
    Ok(AlertView {
        month: r.try_get("month")?,
        percent: u32::try_from(percent).unwrap_or(0),
        basis: r.try_get("basis")?,
        spend: Cents(r.try_get("spend_cents")?),
        budget: Cents(r.try_get("budget_cents")?),
        groups: r.try_get("groups")?,
        notified_at: r.try_get("notified_at")?,
    })
}

/// The alerts of the month of `d`, in the order they fired.
pub async fn alerts<'e>(
    db: impl PgExecutor<'e>,
    d: NaiveDate,
) -> Result<Vec<AlertView>, sqlx::Error> {
    let (first, _) = month_bounds(d);
    let rows = sqlx::query(
        "SELECT month, percent, basis, spend_cents, budget_cents, groups, notified_at \
         FROM budget_alerts WHERE month = $1 ORDER BY notified_at, id",
    )
    .bind(first)
    .fetch_all(db)
    .await?;
    rows.iter().map(alert_view).collect()
}

/// Judges the month of `as_of` (today in the configured zone) and records
/// and notifies each threshold newly crossed by actual spend and, separately,
/// by the forecast: once per month per threshold and basis, however often it
/// runs or however many processes run it at once (the unique record decides).
/// Returns the alerts that fired now.
pub async fn evaluate_alerts(
    conn: &mut PgConnection,
    as_of: NaiveDate,
) -> Result<Vec<AlertView>, crate::store::notifications::NotifyError> {
    let b = budget(conn).await?;
    let policy = policy(&b);
    let entries = month_entries(&mut *conn, as_of, &b.currency).await?;
    let (month, _) = month_bounds(as_of);
    let mut notified = Notified::default();
    for a in alerts(&mut *conn, as_of).await? {
        match a.basis.as_str() {
            "actual" => notified.actual.push(a.percent),
            _ => notified.forecast.push(a.percent),
        }
    }
    let status = match opsdeck::costs::evaluate_budget(&policy, &entries, as_of, &notified) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "budget not evaluated");
            return Ok(Vec::new());
        }
    };
    let mut fired = Vec::new();
    let hits = status
        .new_actual
        .iter()
        .map(|h| ("actual", h))
        .chain(status.new_forecast.iter().map(|h| ("forecast", h)));
    for (basis, hit) in hits {
        let groups = &hit.threshold.notify;
        let row = sqlx::query(
            "INSERT INTO budget_alerts (month, percent, basis, spend_cents, budget_cents, groups) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (month, percent, basis) DO NOTHING \
             RETURNING month, percent, basis, spend_cents, budget_cents, groups, notified_at",
        )
        .bind(month)
        .bind(i32::try_from(hit.threshold.percent).unwrap_or(i32::MAX))
        .bind(basis)
        .bind(hit.spend.0)
        .bind(status.budget.0)
        .bind(groups)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else { continue };
        let event = crate::notify::Event::BudgetThreshold {
            month: month.format("%Y-%m").to_string(),
            percent: hit.threshold.percent,
            basis: basis.to_string(),
            spend: hit.spend,
            budget: status.budget,
            currency: b.currency.clone(),
            action: hit.threshold.action.clone().unwrap_or_default(),
        };
        // A group removed after the threshold named it must not block a cost
        // change: it is logged and skipped.
        let missing = unknown_groups(&mut *conn, groups).await?;
        for group in groups {
            if missing.contains(group) {
                tracing::warn!(group = %group, "budget threshold names an unknown group");
                continue;
            }
            let key = format!(
                "budget-{}-{basis}-{}-{group}",
                month.format("%Y-%m"),
                hit.threshold.percent
            );
            crate::store::notifications::notify(conn, group, &event, &key).await?;
        }
        audit::append(
            conn,
            &Actor::system(),
            "costs.alert",
            &format!(
                "budget_alert:{}:{basis}:{}",
                month.format("%Y-%m"),
                hit.threshold.percent
            ),
            None,
            Some(json!({"spend": hit.spend, "budget": status.budget, "groups": groups})),
        )
        .await?;
        fired.push(alert_view(&row)?);
    }
    Ok(fired)
}

const MEASURE_COLUMNS: &str =
    "id, key, title_en, title_ja, owner, status, estimated_saving_cents, notes, updated_at";

fn measure_view(r: &sqlx::postgres::PgRow) -> Result<MeasureView, sqlx::Error> {
    Ok(MeasureView {
        id: r.try_get("id")?,
        key: r.try_get("key")?,
        title_en: r.try_get("title_en")?,
        title_ja: r.try_get("title_ja")?,
        owner: r.try_get("owner")?,
        status: r.try_get("status")?,
        estimated_saving: Cents(r.try_get("estimated_saving_cents")?),
        notes: r.try_get("notes")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// The savings measures in the policy's order.
pub async fn measures<'e>(db: impl PgExecutor<'e>) -> Result<Vec<MeasureView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {MEASURE_COLUMNS} FROM savings_measures ORDER BY position, id"
    ))
    .fetch_all(db)
    .await?;
    rows.iter().map(measure_view).collect()
}

/// A validated edit of a measure.
#[derive(Debug, Clone)]
pub struct MeasureInput {
    pub owner: String,
    pub status: String,
    pub estimated_saving: Cents,
    pub notes: String,
}

/// Edits a measure; `false` if there was none. Audited.
pub async fn save_measure(
    conn: &mut PgConnection,
    actor: &Actor,
    id: i64,
    m: &MeasureInput,
) -> Result<bool, sqlx::Error> {
    let before = sqlx::query(&format!(
        "SELECT {MEASURE_COLUMNS} FROM savings_measures WHERE id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(before) = before.as_ref().map(measure_view).transpose()? else {
        return Ok(false);
    };
    let row = sqlx::query(&format!(
        "UPDATE savings_measures SET owner = $2, status = $3, estimated_saving_cents = $4, notes = $5, \
         updated_at = now() WHERE id = $1 RETURNING {MEASURE_COLUMNS}"
    ))
    .bind(id)
    .bind(&m.owner)
    .bind(&m.status)
    .bind(m.estimated_saving.0)
    .bind(&m.notes)
    .fetch_one(&mut *conn)
    .await?;
    let after = measure_view(&row)?;
    audit::append(
        conn,
        actor,
        "costs.measure.update",
        &format!("savings_measure:{}", after.key),
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&after).ok(),
    )
    .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn month_bounds_cover_the_month() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            month_bounds(d(2026, 2, 14)),
            (d(2026, 2, 1), d(2026, 2, 28))
        );
        assert_eq!(
            month_bounds(d(2026, 12, 31)),
            (d(2026, 12, 1), d(2026, 12, 31))
        );
    }
}
