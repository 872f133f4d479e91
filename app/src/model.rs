//! Data the server sends to the UI. Plain serialisable views, no behaviour.

pub mod alerts;
pub mod backups;
pub mod deploys;
pub mod incidents;
pub mod maintenance;
pub mod metrics;
pub mod monitoring;
pub mod probes;
pub mod releases;
pub mod sla;

use crate::role::Role;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The signed-in user, as the shell shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
}

impl CurrentUser {
    /// Admin holds every permission; otherwise the role must be held.
    pub fn can(&self, access: crate::role::Access) -> bool {
        access.allows(Some(&self.roles))
    }
}

/// Maintenance mode as everyone sees it (R-MNT-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MaintenanceView {
    pub active: bool,
    pub message: String,
    pub estimated_end: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub started_by: Option<String>,
}

/// What every page needs before it renders: who is here and whether we are in maintenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellState {
    pub user: Option<CurrentUser>,
    pub maintenance: MaintenanceView,
    /// Display zone for times, e.g. `Asia/Tokyo`.
    pub time_zone: String,
    /// Each environment's name and health, for the top bar's dots (signed-in users only).
    pub environments: Vec<(String, HealthLevel)>,
    /// Unread inbox messages of the signed-in user (the bell's number).
    pub unread: i64,
}

/// A user as the admin page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

/// One entry of the audit log (R-AUTH-4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub action: String,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// A page of rows and where it sits in the whole list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

impl<T> Page<T> {
    pub fn page_count(&self) -> u32 {
        let per = i64::from(self.per_page.max(1));
        u32::try_from((self.total + per - 1) / per)
            .unwrap_or(u32::MAX)
            .max(1)
    }
}

/// What an API token may do (R-AUTH-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Metric samples from the monitored service.
    Ingest,
    /// CI reports and deploy triggers.
    Deploy,
    /// Backup run reports.
    Backup,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Ingest, Scope::Deploy, Scope::Backup];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Ingest => "ingest",
            Scope::Deploy => "deploy",
            Scope::Backup => "backup",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }
}

/// An API token as listed: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    /// The first characters, so people can tell tokens apart.
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When the token stops working; `None` never expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// Past its expiry by the server's clock when listed (so the page and the
    /// hydrated browser agree).
    pub expired: bool,
}

impl TokenRow {
    /// Neither revoked nor expired: the machine API accepts it.
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none() && !self.expired
    }
}

/// A freshly created token: the only time the secret leaves the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub row: TokenRow,
    pub secret: String,
}

/// Health of an environment, as the dashboard colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthLevel {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl HealthLevel {
    pub fn parse(s: &str) -> HealthLevel {
        match s {
            "ok" => HealthLevel::Ok,
            "warning" => HealthLevel::Warning,
            "critical" => HealthLevel::Critical,
            _ => HealthLevel::Unknown,
        }
    }
}

/// One environment of the monitored service (R-DEP-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentRow {
    pub id: i64,
    pub name: String,
    pub position: i32,
    pub deployed_version: Option<String>,
    pub deployed_commit: Option<String>,
    pub live_colour: Option<String>,
    pub health: HealthLevel,
    pub last_deploy_at: Option<DateTime<Utc>>,
    pub approved_by: Option<String>,
    /// Production only: the planned release whose code freeze holds now (R-DEP-6).
    #[serde(default)]
    pub code_freeze: Option<String>,
    /// The SLA month to date (R-UI-1, R-SLA-1); `None` without probe data.
    #[serde(default)]
    pub sla: Option<EnvSla>,
    /// The alerts firing in this environment now (R-UI-1, R-MON-3).
    #[serde(default)]
    pub firing_alerts: Vec<FiringAlert>,
}

/// An environment's SLA figures for the month to date, as the SLA page has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvSla {
    /// Rounded down; `None` when no minute counts.
    pub availability_ppm: Option<u32>,
    /// Error budget left; negative when overspent.
    pub remaining_millis: i64,
    pub allowed_millis: u64,
    pub target_met: bool,
}

/// A rule firing in an environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiringAlert {
    pub rule: String,
    /// `critical`, `warning` or `info`.
    pub severity: String,
    pub since: Option<DateTime<Utc>>,
}

/// The overview's schedule answers, computed by the core crate on the server
/// (one clock, so the server-rendered page and the browser agree).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverviewSummary {
    pub now: DateTime<Utc>,
    /// Next monthly maintenance window (R-MNT-1) and when it must be announced (R-MNT-2).
    pub next_maintenance: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub announce_at: Option<DateTime<Utc>>,
    /// When that window's current plan was announced to stakeholders, if it was.
    pub announced_at: Option<DateTime<Utc>>,
    /// SLA target in percent and the month's allowed downtime (R-SLA-1).
    pub sla_target_percent: f64,
    pub allowed_downtime_minutes: Option<f64>,
}
