//! What the backups area shows and takes (issue 13, R-BAK-1..3). Plain
//! serialisable views; the rules are in the core (`opsdeck::backup_retention`).

use crate::model::Page;
use chrono::{DateTime, Utc};
use opsdeck::backup_retention::{
    BackupKind, ChainProblem, RetentionDecision, RetentionMode, RetentionPolicy, RpoStatus,
    RtoStatus,
};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The stable name of a kind, as stored and as agents send it.
pub fn kind_str(k: BackupKind) -> &'static str {
    match k {
        BackupKind::Full => "full",
        BackupKind::Differential => "differential",
        BackupKind::Incremental => "incremental",
        BackupKind::Log => "log",
    }
}

/// Parses a kind name; anything else is `None`.
pub fn parse_kind(s: &str) -> Option<BackupKind> {
    match s.trim() {
        "full" => Some(BackupKind::Full),
        "differential" => Some(BackupKind::Differential),
        "incremental" => Some(BackupKind::Incremental),
        "log" => Some(BackupKind::Log),
        _ => None,
    }
}

/// The outcome of a run or a drill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The built-in runner is still at work.
    Running,
    Ok,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Running => "running",
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        match s.trim() {
            "running" => Some(Outcome::Running),
            "ok" => Some(Outcome::Ok),
            "failed" => Some(Outcome::Failed),
            _ => None,
        }
    }
}

/// How a schedule entry expects runs (R-BAK-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    /// Once a day at `at_local`.
    Daily,
    /// At `at_local` and every `every_minutes` after it, within each local day.
    Every,
    /// A run at least every `every_minutes` (transaction logs).
    Continuous,
    /// Kept in Git: nothing is expected, nothing is missed.
    Git,
}

impl Cadence {
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Daily => "daily",
            Cadence::Every => "every",
            Cadence::Continuous => "continuous",
            Cadence::Git => "git",
        }
    }

    pub fn parse(s: &str) -> Option<Cadence> {
        match s.trim() {
            "daily" => Some(Cadence::Daily),
            "every" => Some(Cadence::Every),
            "continuous" => Some(Cadence::Continuous),
            "git" => Some(Cadence::Git),
            _ => None,
        }
    }

    /// Whether `every_minutes` belongs to this cadence.
    pub fn has_interval(self) -> bool {
        matches!(self, Cadence::Every | Cadence::Continuous)
    }
}

/// One entry of a target's schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleView {
    pub id: i64,
    pub target_id: i64,
    pub kind: BackupKind,
    pub cadence: Cadence,
    /// `HH:MM` in the configured zone.
    pub at_local: String,
    pub every_minutes: Option<i32>,
    pub enabled: bool,
    pub note: String,
    /// Slots before this are never reported missed.
    pub active_since: DateTime<Utc>,
}

/// The built-in runner of a target. The database URL is shown without its
/// password; empty means opsdeck's own database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunnerView {
    pub enabled: bool,
    pub command: String,
    /// Redacted (`postgres://user:[REDACTED]@host/db`); empty = opsdeck's own database.
    pub database_url: String,
    /// As configured; empty = `<OPSDECK_DATA_DIR>/backups`.
    pub directory: String,
    pub timeout_seconds: i32,
    pub drill_timeout_seconds: i32,
}

/// The RPO watch of a target (R-BAK-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpoView {
    /// The age of the newest restorable point against the objective, now.
    pub status: RpoStatus,
    /// A breach is open (and was notified).
    pub breached: bool,
    /// When the current state began.
    pub since: Option<DateTime<Utc>>,
}

/// A backup target with its schedule, retention, runner and state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetView {
    pub id: i64,
    /// What agents send as `target`.
    pub key: String,
    pub name_en: String,
    pub name_ja: String,
    pub rpo_watched: bool,
    pub schedules: Vec<ScheduleView>,
    pub retention: RetentionPolicy,
    pub runner: Option<RunnerView>,
    /// `None` when the target is not watched against the RPO.
    pub rpo: Option<RpoView>,
    pub last_run: Option<RunView>,
    pub last_drill: Option<DrillView>,
}

/// One run of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunView {
    pub id: i64,
    pub target_id: i64,
    pub target_key: String,
    pub kind: BackupKind,
    pub depends_on: Option<i64>,
    /// The agent's run id of the dependency.
    pub depends_on_run_id: Option<String>,
    /// The agent's run id (built-in runs: `opsdeck-…`).
    pub agent_run_id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_seconds: Option<i64>,
    pub size_bytes: Option<i64>,
    pub checksum: Option<String>,
    pub location: Option<String>,
    pub outcome: Outcome,
    pub output: String,
    pub reported_by: String,
    pub built_in: bool,
    pub pruned_at: Option<DateTime<Utc>>,
    pub pruned_by: Option<String>,
}

/// A restore drill, with its measured time against the RTO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillView {
    pub id: i64,
    pub target_id: i64,
    pub run_id: Option<i64>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub outcome: Outcome,
    pub performed_by: String,
    pub measured_seconds: Option<i64>,
    /// `None` while running.
    pub rto: Option<RtoStatus>,
    pub built_in: bool,
    pub notes: String,
    pub output: String,
}

/// The area's settings (operators).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSettingsView {
    pub rpo_minutes: i32,
    pub rto_minutes: i32,
    pub missed_grace_minutes: i32,
}

/// Filters of the runs list; `None` = any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFilter {
    pub target_id: Option<i64>,
    pub kind: Option<BackupKind>,
    pub outcome: Option<Outcome>,
}

/// Everything the backups page needs in one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupsView {
    /// The server's clock.
    pub now: DateTime<Utc>,
    pub settings: BackupSettingsView,
    pub targets: Vec<TargetView>,
    pub runs: Page<RunView>,
    pub drills: Vec<DrillView>,
}

/// The overview's backup card: newest restorable point vs RPO per watched
/// target, last drill vs RTO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupCard {
    pub now: DateTime<Utc>,
    pub settings: BackupSettingsView,
    /// (target key, English name, Japanese name, RPO state).
    pub rpo: Vec<(String, String, String, RpoView)>,
    pub last_drill: Option<DrillView>,
    /// The open incident, if one is declared (R-BAK-4): (id, title, declared at).
    pub open_incident: Option<(i64, String, DateTime<Utc>)>,
}

/// What became of one expected slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotStatus {
    /// A run of the kind (or a fuller one) succeeded around the slot.
    Ok,
    /// Runs happened but all failed.
    Failed,
    /// A run is under way.
    Running,
    /// Past its grace without any run.
    Missed,
    /// Due, still within its grace.
    Pending,
    /// In the future.
    Upcoming,
}

/// One expected run and what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotView {
    pub expected_at: DateTime<Utc>,
    pub status: SlotStatus,
    /// The run that settled it.
    pub run_id: Option<i64>,
}

/// Expected vs actual runs of one schedule entry over `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineView {
    pub schedule: ScheduleView,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Every slot; for a continuous entry only the slots that are not `Ok`
    /// (a day has 96 of them at 15 minutes).
    pub slots: Vec<SlotView>,
    pub ok_slots: u32,
}

/// Retention of one target (R-BAK-2), one page of decisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionView {
    pub target_id: i64,
    pub policy: RetentionPolicy,
    pub mode: RetentionMode,
    pub now: DateTime<Utc>,
    /// Run ids (as strings, as in the decisions).
    pub newest_restorable: Option<String>,
    pub oldest_kept_full: Option<String>,
    pub problems: Vec<ChainProblem>,
    pub kept: i64,
    pub due: i64,
    /// Newest first; `id` is the run id.
    pub decisions: Page<RetentionDecision>,
}

/// A prune dry run: what confirming would delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrunePreview {
    pub target_id: i64,
    pub now: DateTime<Utc>,
    /// Built-in backups due for deletion: their files are deleted on confirm.
    pub deletable: Vec<RunView>,
    /// Due backups reported by agents: delete them with the agent.
    pub external_due: Vec<RunView>,
    pub kept: i64,
}

/// What a confirmed prune did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PruneOutcome {
    pub pruned: Vec<i64>,
    /// Runs whose file was already gone (marked pruned all the same).
    pub files_missing: Vec<i64>,
    /// Runs marked pruned whose file could not be deleted (see the server log).
    pub files_failed: Vec<i64>,
}

/// What reporting a run came to: created, or the replay of one reported before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportOutcome {
    pub run: RunView,
    pub created: bool,
}

/// Why a field of a run report was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportProblem {
    NotAnObject,
    Missing,
    NotAString,
    NotAnInteger,
    TooLong,
    UnknownTarget,
    UnknownKind,
    UnknownOutcome,
    NotATime,
    InTheFuture,
    EndsBeforeStart,
    Negative,
    UnknownDependency,
    DependencyRequired,
    DependencyNotAllowed,
    DependencyNotFull,
    DependencyFailed,
}

impl fmt::Display for ReportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReportProblem::NotAnObject => "must be a JSON object",
            ReportProblem::Missing => "is required",
            ReportProblem::NotAString => "must be a string",
            ReportProblem::NotAnInteger => "must be an integer",
            ReportProblem::TooLong => "is too long",
            ReportProblem::UnknownTarget => "names no backup target",
            ReportProblem::UnknownKind => "must be full, differential, incremental or log",
            ReportProblem::UnknownOutcome => "must be ok or failed",
            ReportProblem::NotATime => "must be an RFC 3339 time such as 2026-11-30T02:00:00+09:00",
            ReportProblem::InTheFuture => "is in the future",
            ReportProblem::EndsBeforeStart => "is before started_at",
            ReportProblem::Negative => "must not be negative",
            ReportProblem::UnknownDependency => "names no run reported for this target",
            ReportProblem::DependencyRequired => {
                "is required for a differential or incremental backup"
            }
            ReportProblem::DependencyNotAllowed => {
                "is only for differential and incremental backups"
            }
            ReportProblem::DependencyNotFull => "must name a full backup for a differential",
            ReportProblem::DependencyFailed => "names a run that failed",
        })
    }
}

/// One refused field of a run report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    pub field: String,
    pub problem: ReportProblem,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.problem)
    }
}
