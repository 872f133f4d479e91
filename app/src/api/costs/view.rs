//! What the costs server functions send to the page (R-COST-1..4).

use chrono::{DateTime, NaiveDate, Utc};
use opsdeck::costs::Cents;
use serde::{Deserialize, Serialize};

/// `$412.00` for US dollars, `412.00 EUR` for any other currency.
pub fn money(amount: Cents, currency: &str) -> String {
    if currency == "USD" {
        amount.to_string()
    } else {
        let s = amount.to_string().replacen('$', "", 1);
        format!("{s} {currency}")
    }
}

/// A percentage with one decimal where it matters: `82 %`, `82.5 %`.
pub fn percent(basis_points: i64) -> String {
    if basis_points % 100 == 0 {
        format!("{} %", basis_points / 100)
    } else {
        format!("{:.1} %", basis_points as f64 / 100.0)
    }
}

/// One threshold of the budget and whom it notifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThresholdView {
    pub percent: u32,
    /// Recipient group names.
    pub groups: Vec<String>,
    /// What to do when it is crossed (may be empty).
    pub action: String,
}

/// The monthly budget (R-COST-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetView {
    pub amount: Cents,
    pub currency: String,
    /// Forecast alerts wait until this many days of the month have elapsed.
    pub forecast_min_days: u32,
    /// Lowest first.
    pub thresholds: Vec<ThresholdView>,
}

/// One cost entry (R-COST-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryView {
    pub id: i64,
    pub date: NaiveDate,
    pub service: String,
    pub amount: Cents,
    pub currency: String,
    pub one_off: bool,
    /// `manual` or `csv`.
    pub source: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
}

/// A threshold that notified its groups (R-COST-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertView {
    /// First day of the month.
    pub month: NaiveDate,
    pub percent: u32,
    /// `actual` or `forecast`.
    pub basis: String,
    pub spend: Cents,
    pub budget: Cents,
    pub groups: Vec<String>,
    pub notified_at: DateTime<Utc>,
}

/// Spend of one service in the month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSpend {
    pub service: String,
    pub amount: Cents,
}

/// One of the policy's cost-saving measures (R-COST-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasureView {
    pub id: i64,
    pub key: String,
    pub title_en: String,
    pub title_ja: String,
    pub owner: String,
    /// `planned`, `in_progress`, `done` or `dropped`.
    pub status: String,
    pub estimated_saving: Cents,
    pub notes: String,
    pub updated_at: DateTime<Utc>,
}

/// The statuses a savings measure can have.
pub const MEASURE_STATUSES: [&str; 4] = ["planned", "in_progress", "done", "dropped"];

/// Everything the costs page shows for one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthView {
    /// First day of the month shown.
    pub month: NaiveDate,
    /// The day the figures are "as of": today in the current month, the last
    /// day for past months, the day before the first for future ones.
    pub as_of: NaiveDate,
    /// Today in the configured zone.
    pub today: NaiveDate,
    pub is_current: bool,
    pub budget: BudgetView,
    /// Month-to-date spend (whole month for past months).
    pub mtd: Cents,
    /// The part of `mtd` that is one-off.
    pub one_off: Cents,
    pub forecast: Cents,
    /// `mtd` in basis points of the budget.
    pub mtd_basis_points: i64,
    pub forecast_basis_points: i64,
    pub elapsed_days: u32,
    pub days_in_month: u32,
    /// Forecast alerts are still held back this month (too few days elapsed).
    pub forecast_alerts_held: bool,
    /// Highest first.
    pub by_service: Vec<ServiceSpend>,
    /// Entries in the month.
    pub entry_count: i64,
    /// When the newest entry (any month) was recorded, and the latest day it covers.
    pub last_recorded_at: Option<DateTime<Utc>>,
    pub latest_entry_date: Option<NaiveDate>,
    /// Alerts of this month, in the order they fired.
    pub alerts: Vec<AlertView>,
    /// The plotters chart: cumulative spend, budget, thresholds, forecast.
    pub chart_svg: String,
    /// Total estimated monthly saving of the measures not dropped.
    pub savings_total: Cents,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Data rows in the file.
    pub rows: u64,
    /// Rows added now.
    pub inserted: u64,
    /// Rows already imported before (same date, service, amount, currency and occurrence).
    pub duplicates: u64,
}

/// The overview's budget card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetCard {
    pub month: NaiveDate,
    pub mtd: Cents,
    pub forecast: Cents,
    pub budget: Cents,
    pub currency: String,
    pub mtd_basis_points: i64,
    /// Highest threshold crossed by actual spend this month, if any.
    pub highest_actual: Option<u32>,
    pub alerts: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_percent_read_well() {
        assert_eq!(money(Cents(41_200), "USD"), "$412.00");
        assert_eq!(money(Cents(-1_050), "EUR"), "-10.50 EUR");
        assert_eq!(percent(8_200), "82 %");
        assert_eq!(percent(8_250), "82.5 %");
    }
}
