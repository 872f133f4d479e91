//! Demo costs (issue 12): a year of daily cost entries by service, up to
//! yesterday, in which one month (four months ago, a data-transfer spike)
//! crosses 90 % of the $500 budget; the alerts those past months fired are
//! recorded as history. Every row has a fixed dedup key, so seeding again adds
//! nothing.

use chrono::{Datelike, Duration, NaiveDate};
use opsdeck::costs::{BudgetPolicy, Cents};
use sqlx::PgPool;

/// (service, cents per day).
const SERVICES: [(&str, i64); 5] = [
    ("compute", 550),
    ("database", 300),
    ("storage", 100),
    ("cdn", 80),
    ("data-transfer", 70),
];

/// A steady ±10 % wobble, the same on every run.
fn wobble(day: NaiveDate, i: usize) -> i64 {
    let n = (day.num_days_from_ce() as i64) * 37 + (i as i64) * 11;
    n.rem_euclid(21) - 10
}

/// The month four months before `today`'s: its data transfer spikes.
fn spike_month(today: NaiveDate) -> NaiveDate {
    let first = today.with_day(1).unwrap_or(today);
    first
        .checked_sub_months(chrono::Months::new(4))
        .unwrap_or(first)
}

/// Daily entries for the twelve months before `today`'s month and this month
/// up to yesterday: (date, service, cents).
pub fn entries(today: NaiveDate) -> Vec<(NaiveDate, &'static str, i64)> {
    let first = today.with_day(1).unwrap_or(today);
    let start = first
        .checked_sub_months(chrono::Months::new(12))
        .unwrap_or(first);
    let spike = spike_month(today);
    // Enough extra data transfer that the month ends near 95 % of $500, whatever its length.
    let spike_days =
        i64::from(opsdeck::sla::days_in_month(spike.year(), spike.month()).unwrap_or(30));
    let daily_base: i64 = SERVICES.iter().map(|s| s.1).sum();
    let spike_extra = (47_500 - daily_base * spike_days) / spike_days;
    let mut out = Vec::new();
    let mut day = start;
    while day < today {
        for (i, (service, base)) in SERVICES.iter().enumerate() {
            let mut cents = base * (100 + wobble(day, i)) / 100;
            if *service == "data-transfer" && day.with_day(1) == Some(spike) {
                // A misconfigured backup copied across regions all month.
                cents += spike_extra;
            }
            out.push((day, *service, cents));
        }
        day += Duration::days(1);
    }
    out
}

/// Inserts what is missing; returns how many rows it created.
pub async fn seed(pool: &PgPool) -> Result<usize, sqlx::Error> {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .date_naive();
    let rows = entries(today);
    let dates: Vec<NaiveDate> = rows.iter().map(|r| r.0).collect();
    let services: Vec<&str> = rows.iter().map(|r| r.1).collect();
    let amounts: Vec<i64> = rows.iter().map(|r| r.2).collect();
    let keys: Vec<String> = rows
        .iter()
        .map(|r| format!("demo-{}-{}", r.0, r.1))
        .collect();
    let mut tx = pool.begin().await?;
    let created = sqlx::query(
        "INSERT INTO cost_entries (date, service, amount_cents, currency, source, dedup_key, created_by) \
         SELECT d, s, a, 'USD', 'csv', k, 'demo' \
         FROM unnest($1::date[], $2::text[], $3::bigint[], $4::text[]) AS t(d, s, a, k) \
         ON CONFLICT (dedup_key) DO NOTHING",
    )
    .bind(&dates)
    .bind(&services)
    .bind(&amounts)
    .bind(&keys)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    // History: the thresholds each finished month crossed, on the day it did.
    let policy = BudgetPolicy::default();
    let this_month = today.with_day(1).unwrap_or(today);
    let mut by_month: std::collections::BTreeMap<NaiveDate, Vec<(NaiveDate, i64)>> =
        Default::default();
    for (d, _, c) in &rows {
        if let Some(m) = d.with_day(1).filter(|m| *m < this_month) {
            by_month.entry(m).or_default().push((*d, *c));
        }
    }
    let groups = |p: u32| -> Vec<String> {
        match p {
            80 => vec!["finance-team".into()],
            90 => vec!["finance-team".into(), "tech-lead".into()],
            _ => vec!["stakeholders".into()],
        }
    };
    for (month, days) in by_month {
        let mut total = 0i64;
        let mut crossed: Vec<u32> = Vec::new();
        for (d, c) in days {
            total += c;
            for t in &policy.thresholds {
                if !crossed.contains(&t.percent)
                    && opsdeck::costs::crosses(Cents(total), policy.amount, t.percent)
                {
                    crossed.push(t.percent);
                    let at = d.and_hms_opt(23, 0, 0).map(|t| t.and_utc());
                    sqlx::query(
                        "INSERT INTO budget_alerts (month, percent, basis, spend_cents, budget_cents, groups, notified_at) \
                         VALUES ($1, $2, 'actual', $3, $4, $5, $6) ON CONFLICT (month, percent, basis) DO NOTHING",
                    )
                    .bind(month)
                    .bind(i32::try_from(t.percent).unwrap_or(i32::MAX))
                    .bind(total)
                    .bind(policy.amount.0)
                    .bind(groups(t.percent))
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
    }
    tx.commit().await?;
    Ok(usize::try_from(created).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn month_total(rows: &[(NaiveDate, &str, i64)], month: NaiveDate) -> i64 {
        rows.iter()
            .filter(|r| r.0.with_day(1) == Some(month))
            .map(|r| r.2)
            .sum()
    }

    #[test]
    fn one_month_crosses_90_and_the_others_stay_below_80() {
        for (m, d) in [(11, 29), (6, 1), (3, 15)] {
            check(NaiveDate::from_ymd_opt(2026, m, d).unwrap());
        }
    }

    fn check(today: NaiveDate) {
        let rows = entries(today);
        let spike = spike_month(today);
        let mut month = today
            .with_day(1)
            .unwrap()
            .checked_sub_months(chrono::Months::new(12))
            .unwrap();
        while month <= today.with_day(1).unwrap() {
            let total = month_total(&rows, month);
            if month == spike {
                assert!((45_000..50_000).contains(&total), "{month}: {total}");
            } else {
                // Even a full 31-day month stays below 80 %.
                assert!(total < 40_000, "{month}: {total}");
            }
            month = month.checked_add_months(chrono::Months::new(1)).unwrap();
        }
        assert!(rows.iter().all(|r| r.0 < today));
    }
}
