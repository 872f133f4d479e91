//! What the deploys area shows and takes (issue 9, R-DEP-1..8). Plain
//! serialisable views; the rules are in the core (`opsdeck::deploy_gate`).

use chrono::{DateTime, Utc};
use opsdeck::deploy_gate::{BlockingReason, ChecklistItem, Colour, DeployState, Environment};
use serde::{Deserialize, Serialize};

/// Where a deploy stands: the core's machine state, or `Interrupted` when a
/// restart found it mid-way and could not resume it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployStatus {
    Requested,
    Ready,
    DeployingIdle,
    HealthChecking,
    Switching,
    Observing,
    Done,
    Failed,
    RollingBack,
    RolledBack,
    Interrupted,
}

impl DeployStatus {
    pub const ALL: [DeployStatus; 11] = [
        Self::Requested,
        Self::Ready,
        Self::DeployingIdle,
        Self::HealthChecking,
        Self::Switching,
        Self::Observing,
        Self::Done,
        Self::Failed,
        Self::RollingBack,
        Self::RolledBack,
        Self::Interrupted,
    ];

    /// The stored name (`deploys.state`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Ready => "ready",
            Self::DeployingIdle => "deploying_idle",
            Self::HealthChecking => "health_checking",
            Self::Switching => "switching",
            Self::Observing => "observing",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::RollingBack => "rolling_back",
            Self::RolledBack => "rolled_back",
            Self::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn from_core(s: DeployState) -> Self {
        match s {
            DeployState::Requested => Self::Requested,
            DeployState::Ready => Self::Ready,
            DeployState::DeployingIdle => Self::DeployingIdle,
            DeployState::HealthChecking => Self::HealthChecking,
            DeployState::Switching => Self::Switching,
            DeployState::Observing => Self::Observing,
            DeployState::Done => Self::Done,
            DeployState::Failed => Self::Failed,
            DeployState::RollingBack => Self::RollingBack,
            DeployState::RolledBack => Self::RolledBack,
        }
    }

    /// Ended: nothing more happens unless someone rolls back a `Done` deploy.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Done | Self::Failed | Self::RolledBack | Self::Interrupted
        )
    }

    /// The executor is working on it (one per environment at a time).
    pub fn is_running(self) -> bool {
        matches!(
            self,
            Self::DeployingIdle
                | Self::HealthChecking
                | Self::Switching
                | Self::Observing
                | Self::RollingBack
        )
    }
}

/// Who asked for a deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploySource {
    Github,
    Api,
    Ui,
    Release,
}

impl DeploySource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Github => "github",
            Self::Api => "api",
            Self::Ui => "ui",
            Self::Release => "release",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Github, Self::Api, Self::Ui, Self::Release]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// The CI stages of R-DEP-3, in order.
pub const STAGES: [&str; 5] = ["checkout", "install", "test", "build", "deploy"];

/// A CI stage's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    Pending,
    Running,
    Success,
    Failed,
    Skipped,
}

impl StageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Success => "success",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Running,
            Self::Success,
            Self::Failed,
            Self::Skipped,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageView {
    pub stage: String,
    pub status: StageStatus,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub log_url: Option<String>,
}

/// One of the six checklist items with its tick, if ticked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistRow {
    pub item: ChecklistItem,
    pub ticked_by: Option<String>,
    pub ticked_at: Option<DateTime<Utc>>,
    pub evidence_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteView {
    pub voter: String,
    pub voted_at: DateTime<Utc>,
    pub comment: String,
    /// False when the core ignored it (the requester's own vote, not an approver).
    pub counted: bool,
}

/// The release whose code freeze holds, and the override if one was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeView {
    pub release_id: i64,
    pub release_version: String,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub override_by: Option<String>,
    pub override_reason: Option<String>,
    pub override_at: Option<DateTime<Utc>>,
}

/// An executor step with its driver output (paged when long).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub id: i64,
    /// provision, health_check, switch, observe, rollback.
    pub step: String,
    pub colour: Colour,
    /// running, ok, failed, interrupted.
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub exit_code: Option<i32>,
    /// The first 4 000 characters of the output; the rest through `load_step_output`.
    pub output_head: String,
    pub output_chars: i64,
}

/// A deploy in a list (board, history, waiting-for-you).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployRow {
    pub id: i64,
    pub environment: Environment,
    pub version: String,
    pub commit_sha: String,
    pub source: DeploySource,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub status: DeployStatus,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Approvers whose votes counted.
    pub approvers: Vec<String>,
    /// Deploy pressed, waiting in the environment's queue.
    pub queued: bool,
}

/// Everything the deploy page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployView {
    pub now: DateTime<Utc>,
    pub row: DeployRow,
    pub ref_name: Option<String>,
    pub release_id: Option<i64>,
    pub previous_colour: Option<Colour>,
    /// Where traffic is: `Some(colour)` when settled, `None` mid-switch.
    pub live_colour: Option<Colour>,
    pub stages: Vec<StageView>,
    /// Empty when the environment needs no checklist.
    pub checklist: Vec<ChecklistRow>,
    pub checklist_required: bool,
    pub approvals_required: u32,
    pub votes: Vec<VoteView>,
    pub freeze: Option<FreezeView>,
    /// The gate right now (what the Deploy button follows; the server checks again on start).
    pub blocking: Vec<BlockingReason>,
    pub can_start: bool,
    /// Position in the environment's queue (1 = next) once Deploy was pressed.
    pub queue_position: Option<u32>,
    pub steps: Vec<StepView>,
    pub failure: Option<String>,
    pub rollback_reason: Option<String>,
    pub rollback_by: Option<String>,
    pub rollback_at: Option<DateTime<Utc>>,
    /// The deploy live in this environment now, if another one (rollback refusal names it).
    pub live_deploy_id: Option<i64>,
}

/// One colour of an environment (R-DEP-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColourView {
    pub colour: Colour,
    pub version: Option<String>,
    pub commit_sha: Option<String>,
    /// ok, warning, critical, unknown.
    pub health: String,
    pub checked_at: Option<DateTime<Utc>>,
    pub live: bool,
}

/// One environment on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardEnvironment {
    pub environment: Environment,
    /// `None` while traffic is in transition.
    pub live_colour: Option<Colour>,
    pub colours: Vec<ColourView>,
    /// Running or first in the queue.
    pub active: Option<DeployRow>,
    pub queued: Vec<DeployRow>,
    pub last: Option<DeployRow>,
    pub driver: String,
    pub checklist_required: bool,
    pub approvals_required: u32,
    /// Production only: the release whose code freeze holds now.
    pub code_freeze: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardView {
    pub now: DateTime<Utc>,
    pub environments: Vec<BoardEnvironment>,
    /// Deploys the signed-in approver may vote on and has not (R-DEP-5).
    pub waiting_for_you: Vec<DeployRow>,
}

/// Which of an environment's deploys the history lists (issue 9 item 7).
/// Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryFilter {
    pub status: Option<DeployStatus>,
    /// The version starts with this (`1.4` finds 1.4.0 and 1.4.12).
    pub version: Option<String>,
    /// The requester's user name, exactly.
    pub requester: Option<String>,
}

/// Where a history page starts: keyset paging on the deploy id, so a page
/// costs the same at the end of 100 000 deploys as at the start, and a
/// deploy requested while someone pages does not shift the rows under them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HistoryCursor {
    /// The newest deploys.
    Newest,
    /// Deploys older than this id (the next page).
    Before(i64),
    /// Deploys newer than this id (the previous page).
    After(i64),
}

/// A page of an environment's history, newest first, with the cursors of
/// its neighbours (`None`: nothing there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployHistory {
    pub rows: Vec<DeployRow>,
    /// `Before(this)` gives the next, older page.
    pub older_than: Option<i64>,
    /// `After(this)` gives the previous, newer page.
    pub newer_than: Option<i64>,
}

/// One line of a deploy's timeline: an audit entry about the deploy
/// (trigger, ticks, votes, override, stages, steps' transitions, rollback).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who did it; `None` for opsdeck itself (the executor, a trigger).
    pub actor: Option<String>,
    /// The audit action, e.g. `deploy.vote`.
    pub action: String,
    /// The entry's recorded values, compact JSON, for the reader who wants
    /// the detail.
    pub detail: String,
}

/// Per-environment settings (admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploySettingsView {
    pub environment: Environment,
    pub checklist_required: bool,
    pub approvals_required: u32,
    /// command, webhook, demo.
    pub driver: String,
    /// The driver's configuration as JSON text (no secrets are kept here).
    pub driver_config: String,
    pub step_timeout_seconds: u32,
    pub health_required_consecutive: u32,
    pub health_timeout_seconds: u32,
    pub health_interval_ms: u32,
    pub observe_seconds: u32,
    pub demo_next_unhealthy: bool,
}

/// The GitHub trigger's settings as shown (the secret never leaves the server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerSettingsView {
    pub secret_set: bool,
    /// (event label, e.g. `push develop` / `release published`, environment).
    pub rules: Vec<(String, Environment)>,
}
