//! What the planned-maintenance part of `/maintenance` shows (issue 12).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One task of a window's list, and who ticked it when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskView {
    pub key: String,
    pub label_ja: String,
    pub label_en: String,
    pub done_by: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
}

/// A maintenance window with its announcement state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowView {
    pub id: i64,
    /// `monthly` (generated from the policy) or `planned` (one-off).
    pub kind: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    pub quarterly: bool,
    /// `planned` or `cancelled`.
    pub status: String,
    pub revision: i32,
    pub override_reason: Option<String>,
    pub created_by: String,
    /// When the announcement to stakeholders is due (start − the notice days).
    pub announce_at: DateTime<Utc>,
    /// When this revision was announced, if it was.
    pub announced_at: Option<DateTime<Utc>>,
    pub tasks: Vec<TaskView>,
}

/// Planned minutes of a local month against the cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthUsageView {
    pub year: i32,
    pub month: u32,
    pub planned_minutes: i64,
    pub cap_minutes: i64,
}

/// One housekeeping run (R-MNT-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HousekeepingView {
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub ok: Option<bool>,
    /// (table, rows deleted)
    pub deleted: Vec<(String, i64)>,
    pub error: Option<String>,
    pub started_by: String,
}

/// The settings an admin or operator may change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanningSettings {
    pub monthly_cap_minutes: i32,
    pub min_notice_days: i32,
    pub announce_days_before: i32,
    /// `HH:MM`
    pub night_start: String,
    pub night_end: String,
    pub activity_retention_days: i32,
}

/// Everything the planned-maintenance section needs in one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanningView {
    /// The server's clock (the browser build has none of its own to read).
    pub now: DateTime<Utc>,
    pub windows: Vec<WindowView>,
    pub usage: Vec<MonthUsageView>,
    pub settings: PlanningSettings,
    pub housekeeping: Vec<HousekeepingView>,
}

/// What saving a plan came to: saved (with any warnings) — refusals are errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanOutcome {
    pub id: i64,
    /// Human-readable warnings in the caller's language (e.g. outside the night).
    pub warnings: Vec<String>,
}
