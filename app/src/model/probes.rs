//! Health probes (issue 10 item 1, R-MON-1): the targets opsdeck polls,
//! what one probe found, and what the overview and SLA pages read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A URL opsdeck polls: an environment's public URL (`colour` `None`) or
/// one colour of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeTarget {
    pub id: i64,
    /// `local`, `development`, `staging` or `production`.
    pub environment: String,
    /// `blue`, `green`, or `None` for the environment's public URL.
    pub colour: Option<String>,
    pub url: String,
    pub interval_ms: i32,
    pub timeout_ms: i32,
    pub enabled: bool,
    pub next_due_at: DateTime<Utc>,
    /// `settings` (an operator's) or `demo` (registered by the server).
    pub managed_by: String,
}

/// What an operator (or the server's seeding) sets for a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeTargetSpec {
    pub environment: String,
    pub colour: Option<String>,
    pub url: String,
    pub interval_ms: i32,
    pub timeout_ms: i32,
    pub enabled: bool,
}

/// One probe's outcome, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeOutcome {
    pub at: DateTime<Utc>,
    /// 2xx and a body that is not unhealthy.
    pub ok: bool,
    /// The HTTP status, when there was an answer.
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    /// Why it is down: `timeout`, `HTTP 500`, `unhealthy: …`, `connection: …`.
    pub error: Option<String>,
    /// The answer's checks by name (`{}` when there were none).
    pub checks: serde_json::Value,
}

/// A target with its newest probe, for the overview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatestProbe {
    pub target_id: i64,
    pub environment: String,
    pub colour: Option<String>,
    pub enabled: bool,
    /// `None` until the target was probed once.
    pub at: Option<DateTime<Utc>>,
    pub ok: Option<bool>,
    pub status_code: Option<i32>,
    pub latency_ms: Option<i32>,
    pub error: Option<String>,
}

/// One minute of one target's probes (the rollup).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeMinute {
    pub minute: DateTime<Utc>,
    pub probes: i32,
    pub ok: i32,
    pub latency_sum_ms: i64,
    pub latency_max_ms: i32,
}
