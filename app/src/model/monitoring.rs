//! Monitoring settings and the metrics view (issue 10 items 1, 3 and 4;
//! R-MON-1, R-MON-2): the probe targets as an operator sees them, how long
//! monitoring data is kept, the R-MON-2 thresholds, and the charts of one
//! environment over a range.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How long monitoring data is kept (seeded: 90 days raw, 60 months of rollups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionSettings {
    /// Every probe (`probe_results`) and every system sample (`metric_samples`).
    pub raw_retention_days: i32,
    /// Per-minute and per-hour rollups (probes, requests, system samples).
    pub rollup_retention_months: i32,
}

/// One R-MON-2 threshold: over it is over the limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    /// `cpu_usage`, `memory_usage`, `disk_usage`, `network_latency_ms`,
    /// `connections`, `error_rate` or `response_time_p95`.
    pub metric: String,
    pub threshold: f64,
    /// `%`, `ms` or `count`.
    pub unit: String,
}

/// A probe target with its newest probe and its last 24 hours, for the
/// settings table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetRow {
    pub id: i64,
    pub environment: String,
    /// `None` is the environment's public URL.
    pub colour: Option<String>,
    pub url: String,
    pub interval_ms: i32,
    pub timeout_ms: i32,
    pub enabled: bool,
    /// `demo`: the server sets the URL at every start (the demo service's
    /// port changes); `settings`: an operator's.
    pub managed_by: String,
    pub last_at: Option<DateTime<Utc>>,
    pub last_ok: Option<bool>,
    pub last_status_code: Option<i32>,
    pub last_latency_ms: Option<i32>,
    pub last_error: Option<String>,
    /// Minutes of the last 24 h with probe data, and of those down (the
    /// SLA's rule: at least half of the minute's probes failed).
    pub data_minutes_24h: i64,
    pub down_minutes_24h: i64,
}

impl TargetRow {
    /// Up minutes over minutes with data in the last 24 h; `None` without data.
    pub fn availability_24h(&self) -> Option<f64> {
        (self.data_minutes_24h > 0).then(|| {
            (self.data_minutes_24h - self.down_minutes_24h) as f64 / self.data_minutes_24h as f64
        })
    }
}

/// The settings part of the monitoring page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitoringSettingsView {
    pub targets: Vec<TargetRow>,
    pub retention: RetentionSettings,
    pub thresholds: Vec<Threshold>,
}

/// The time ranges of the metrics view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Range {
    Hour,
    Day,
    Week,
    Month,
}

impl Range {
    pub const ALL: [Range; 4] = [Range::Hour, Range::Day, Range::Week, Range::Month];

    /// `1h`, `24h`, `7d`, `30d` (the query parameter).
    pub fn key(self) -> &'static str {
        match self {
            Range::Hour => "1h",
            Range::Day => "24h",
            Range::Week => "7d",
            Range::Month => "30d",
        }
    }

    pub fn parse(s: &str) -> Option<Range> {
        Range::ALL.into_iter().find(|r| r.key() == s.trim())
    }

    pub fn minutes(self) -> i64 {
        match self {
            Range::Hour => 60,
            Range::Day => 24 * 60,
            Range::Week => 7 * 24 * 60,
            Range::Month => 30 * 24 * 60,
        }
    }

    /// Hourly rollups from 7 days on (168 / 720 points), minutes below.
    pub fn hourly(self) -> bool {
        matches!(self, Range::Week | Range::Month)
    }
}

/// One chart: what it shows, its newest value against its threshold, and
/// the SVG drawn on the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartView {
    /// `cpu_usage`, … (a threshold's metric) or `requests`, `error_rate`, `p95`.
    pub metric: String,
    /// The newest value in the range (`None` without data).
    pub latest: Option<f64>,
    pub threshold: Option<f64>,
    pub unit: String,
    /// Drawn by plotters; safe for `inner_html` (see `crate::charts`).
    pub svg: String,
}

/// The metrics view of one environment over one range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsView {
    pub environment: String,
    pub range: Range,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Whether the charts read hourly rollups (7 d, 30 d) or minutes.
    pub hourly: bool,
    /// Sources that reported in the range.
    pub sources: Vec<String>,
    pub charts: Vec<ChartView>,
}
