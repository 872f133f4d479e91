//! The SLA report as the page, the CSV and the tests read it (R-SLA-1..5,
//! decision 0019), and the number formats they share: a figure is written
//! by one function wherever it appears, so the page and the CSV cannot
//! disagree.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Why a period is excluded from the SLA, as the ledger names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionKind {
    /// A planned maintenance window (from the maintenance calendar).
    PlannedMaintenance,
    /// Force majeure (不可抗力), classified by an operator.
    ForceMajeure,
    /// An outage of an external service (外部サービス障害), classified by an operator.
    ExternalService,
}

impl ExclusionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExclusionKind::PlannedMaintenance => "planned_maintenance",
            ExclusionKind::ForceMajeure => "force_majeure",
            ExclusionKind::ExternalService => "external_service",
        }
    }

    /// The kinds an operator may classify an outage as.
    pub const CLASSIFIABLE: [ExclusionKind; 2] =
        [ExclusionKind::ForceMajeure, ExclusionKind::ExternalService];

    /// A classifiable kind by its name (`force_majeure`, `external_service`).
    pub fn parse_classification(s: &str) -> Option<ExclusionKind> {
        Self::CLASSIFIABLE
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }
}

/// The policy's numbers as stored (R-SLA-1, R-SLA-3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaSettingsView {
    /// 999 000 = 99.9 %.
    pub target_ppm: u32,
    /// `exclude`, `count_as_down` or `count_as_up`.
    pub no_data: String,
    /// 0.95: the latency targets are on p95.
    pub latency_quantile: f64,
    pub api_ms: f64,
    pub page_ms: f64,
    pub search_ms: f64,
    pub max_5xx_ppm: u32,
    pub max_4xx_ppm: u32,
    pub max_timeout_ppm: u32,
}

/// A month's availability figures, all on one set of eligible minutes
/// (decision 0110; the core's `MonthReport`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaFigures {
    pub month_minutes: u64,
    pub excluded_minutes: u64,
    pub no_data_minutes: u64,
    pub pending_minutes: u64,
    pub up_minutes: u64,
    pub down_minutes: u64,
    pub eligible_minutes: u64,
    pub used_minutes: u64,
    /// Rounded down (99.8994 % never reads 99.90 %).
    pub availability_ppm: Option<u32>,
    pub allowed_downtime_millis: u64,
    pub used_millis: u64,
    pub remaining_millis: i64,
    pub target_met: bool,
    /// The verdict had every no-data minute been down.
    pub target_met_if_no_data_down: bool,
}

/// One line of the exclusions ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExclusionLine {
    /// The classification's id (`None` for a maintenance window).
    pub id: Option<i64>,
    pub kind: ExclusionKind,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Minutes of the month this line covers (lines may overlap; the month's
    /// excluded minutes count each minute once).
    pub minutes_in_month: u64,
    /// The written reason (a maintenance window's own reason may be empty).
    pub note: String,
    /// Who classified it, or who planned the window (`system` for the monthly one).
    pub by: String,
    /// When it was classified (maintenance: `None`).
    pub at: Option<DateTime<Utc>>,
}

/// A run of consecutive down minutes in the month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutageView {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Minutes in the run.
    pub minutes: u64,
    /// Of them, minutes charged to the budget (not excluded).
    pub counted_minutes: u64,
    /// What excludes it (a classification first, else a maintenance window).
    pub excluded_as: Option<ExclusionKind>,
    /// The classification that covers it, which can be removed.
    pub classification_id: Option<i64>,
}

/// Latency of one request class against its target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyRow {
    /// `api`, `page` or `search`.
    pub class: String,
    pub requests: u64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// The target's quantile's value (p95 by default); `None` without requests.
    pub actual_ms: Option<f64>,
    pub target_ms: f64,
    pub met: Option<bool>,
}

/// One error ratio against its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRow {
    /// `5xx`, `4xx` or `timeout`.
    pub kind: String,
    pub count: u64,
    pub total: u64,
    pub target_ppm: u32,
    /// `count / total < target`; `None` without requests.
    pub met: Option<bool>,
}

/// One local day of the month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayRow {
    pub date: NaiveDate,
    pub starts_at: DateTime<Utc>,
    pub minutes: u64,
    pub excluded_minutes: u64,
    pub no_data_minutes: u64,
    pub pending_minutes: u64,
    pub down_minutes: u64,
    pub eligible_minutes: u64,
    pub used_minutes: u64,
    /// `None` before the day started or without eligible minutes.
    pub availability_ppm: Option<u32>,
    pub target_met: Option<bool>,
    pub latency: Vec<LatencyRow>,
    pub errors: Vec<ErrorRow>,
}

/// One month of the 12-month history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthSummary {
    pub year: i32,
    pub month: u32,
    pub availability_ppm: Option<u32>,
    pub target_met: bool,
    pub allowed_downtime_millis: u64,
    pub used_millis: u64,
    pub remaining_millis: i64,
    pub excluded_minutes: u64,
    pub no_data_minutes: u64,
    pub complete: bool,
    /// Whether any probe data exists for the month.
    pub has_data: bool,
}

impl MonthSummary {
    pub fn key(&self) -> String {
        month_key(self.year, self.month)
    }
}

/// The four charts as SVG documents drawn on the server (empty when not drawn).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaCharts {
    pub availability: String,
    pub latency: String,
    pub errors: String,
    pub burn_down: String,
}

/// Everything the SLA page shows for one environment and month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaMonthView {
    pub environment: String,
    pub year: i32,
    pub month: u32,
    pub time_zone: String,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
    /// Every minute of the month has ended.
    pub complete: bool,
    /// Some probe or request data exists for the month.
    pub has_data: bool,
    /// The environment has a probe target (its public URL) at all.
    pub has_target: bool,
    pub settings: SlaSettingsView,
    pub figures: SlaFigures,
    /// Month to date: the error ratio so far ÷ the budget ratio (1.0 spends
    /// exactly the budget by the month's end); `None` before any eligible
    /// minute has passed.
    pub burn_rate: Option<f64>,
    pub exclusions: Vec<ExclusionLine>,
    pub outages: Vec<OutageView>,
    pub latency: Vec<LatencyRow>,
    pub errors: Vec<ErrorRow>,
    pub days: Vec<DayRow>,
    /// The 12 months ending with this one, oldest first.
    pub history: Vec<MonthSummary>,
    pub charts: SlaCharts,
}

impl SlaMonthView {
    pub fn key(&self) -> String {
        month_key(self.year, self.month)
    }
}

/// `2026-04`.
pub fn month_key(year: i32, month: u32) -> String {
    format!("{year:04}-{month:02}")
}

/// Parses `2026-04` into (year, month).
pub fn parse_month_key(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.trim().split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let y: i32 = y.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    (1..=12).contains(&m).then_some((y, m))
}

/// Drops trailing zeros of a fixed-point text ("99.9000" → "99.9", "5.00" → "5").
fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Parts per million as a percentage, exact to 4 decimals, trailing zeros
/// dropped: 998 994 → "99.8994", 999 000 → "99.9", 1 000 000 → "100".
pub fn ppm_percent(ppm: u64) -> String {
    trim_zeros(format!("{}.{:04}", ppm / 10_000, ppm % 10_000))
}

/// `count / total` as a percentage, rounded down to 4 decimals (so it never
/// reads below a target it missed); `None` without requests.
pub fn ratio_percent(count: u64, total: u64) -> Option<String> {
    (total > 0).then(|| {
        let ppm = u128::from(count) * 1_000_000 / u128::from(total);
        ppm_percent(u64::try_from(ppm).unwrap_or(u64::MAX))
    })
}

/// Milliseconds as minutes, truncated to thousandths (60 ms), trailing zeros
/// dropped: 2 592 000 → "43.2", 2 505 600 → "41.76", −14 400 → "-0.24".
pub fn millis_minutes(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let thousandths = ms.unsigned_abs() / 60;
    trim_zeros(format!(
        "{sign}{}.{:03}",
        thousandths / 1_000,
        thousandths % 1_000
    ))
}

/// Reads a percentage with at most four decimals ("99.9", "0.01", "5") as
/// parts per million, exactly; `None` for anything else or above 100 %.
pub fn parse_percent_ppm(s: &str) -> Option<u32> {
    let s = s.trim().trim_end_matches('%').trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 4
        || whole.len() > 3
    {
        return None;
    }
    let whole: u32 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: u32 = format!("{frac:0<4}").parse().ok()?;
    let ppm = whole.checked_mul(10_000)?.checked_add(frac)?;
    (ppm <= 1_000_000).then_some(ppm)
}

/// A latency in whole milliseconds ("187").
pub fn latency_ms(v: f64) -> String {
    format!("{:.0}", v)
}

/// A burn rate with two decimals ("0.85").
pub fn burn_rate_text(v: f64) -> String {
    format!("{v:.2}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_sla_1_figures_are_written_exactly() {
        assert_eq!(ppm_percent(998_994), "99.8994");
        assert_eq!(ppm_percent(999_000), "99.9");
        assert_eq!(ppm_percent(1_000_000), "100");
        assert_eq!(ppm_percent(100), "0.01");
        assert_eq!(millis_minutes(2_592_000), "43.2");
        assert_eq!(millis_minutes(2_678_400), "44.64");
        assert_eq!(millis_minutes(2_505_600), "41.76");
        assert_eq!(millis_minutes(-14_400), "-0.24");
        assert_eq!(millis_minutes(0), "0");
        assert_eq!(ratio_percent(1, 1_000), Some("0.1".into()));
        assert_eq!(ratio_percent(1, 3), Some("33.3333".into()));
        assert_eq!(ratio_percent(0, 0), None);
        assert_eq!(parse_month_key("2026-04"), Some((2026, 4)));
        assert_eq!(parse_month_key("2026-13"), None);
        assert_eq!(parse_month_key("26-4"), None);
        assert_eq!(month_key(2026, 4), "2026-04");
        assert_eq!(parse_percent_ppm("99.9"), Some(999_000));
        assert_eq!(parse_percent_ppm(" 0.01 % "), Some(100));
        assert_eq!(parse_percent_ppm("5"), Some(50_000));
        assert_eq!(parse_percent_ppm("100"), Some(1_000_000));
        assert_eq!(parse_percent_ppm(".5"), Some(5_000));
        for bad in ["", ".", "100.0001", "1e3", "-1", "99.99999", "abc", "1000"] {
            assert_eq!(parse_percent_ppm(bad), None, "{bad}");
        }
        assert_eq!(
            ExclusionKind::parse_classification("force_majeure"),
            Some(ExclusionKind::ForceMajeure)
        );
        assert_eq!(
            ExclusionKind::parse_classification("planned_maintenance"),
            None
        );
    }
}
