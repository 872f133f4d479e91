//! Metric ingest (R-MON-2): the fixed latency histogram, the request
//! classes, and what a batch answers (stored counts or the bad fields).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Upper bounds (ms) of the latency histogram every source uses. They include
/// the SLA targets (API 200 ms, search 500 ms, page 2 s; R-SLA-3), so
/// "share of requests under the target" is exact, not interpolated. A batch
/// with other bounds is refused: minutes with different buckets cannot be
/// added up.
pub const LATENCY_BOUNDS_MS: [i64; 9] = [25, 50, 100, 200, 300, 500, 1000, 2000, 5000];

/// One count per bound plus the +Inf bucket.
pub const LATENCY_BUCKETS: usize = LATENCY_BOUNDS_MS.len() + 1;

/// The request classes whose targets differ (R-SLA-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestClass {
    Api,
    Page,
    Search,
}

impl RequestClass {
    pub const ALL: [RequestClass; 3] =
        [RequestClass::Api, RequestClass::Page, RequestClass::Search];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestClass::Api => "api",
            RequestClass::Page => "page",
            RequestClass::Search => "search",
        }
    }

    pub fn parse(s: &str) -> Option<RequestClass> {
        RequestClass::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Why a field of a batch was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IngestProblem {
    NotAnObject,
    NotAnArray,
    UnknownField,
    Missing,
    NotAString,
    NotANumber,
    NotAnInteger,
    Negative,
    NotAPercentage,
    UnknownEnvironment,
    BadSource,
    UnknownClass,
    NotATime,
    NotAMinute,
    InTheFuture,
    TooOld,
    Duplicate,
    WrongBuckets,
    WrongBucketCount,
    CountsDisagree,
}

impl fmt::Display for IngestProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IngestProblem::NotAnObject => "must be a JSON object",
            IngestProblem::NotAnArray => "must be an array",
            IngestProblem::UnknownField => "is not a known field",
            IngestProblem::Missing => "is required",
            IngestProblem::NotAString => "must be a string",
            IngestProblem::NotANumber => "must be a finite number",
            IngestProblem::NotAnInteger => "must be an integer",
            IngestProblem::Negative => "must not be negative",
            IngestProblem::NotAPercentage => "must be between 0 and 100",
            IngestProblem::UnknownEnvironment => {
                "must be local, development, staging or production"
            }
            IngestProblem::BadSource => "must be 1 to 100 visible ASCII characters",
            IngestProblem::UnknownClass => "must be api, page or search",
            IngestProblem::NotATime => "must be an RFC 3339 time such as 2026-11-29T10:00:00Z",
            IngestProblem::NotAMinute => "must be at the start of a minute (seconds = 0)",
            IngestProblem::InTheFuture => "is more than 5 minutes in the future",
            IngestProblem::TooOld => {
                "is older than the retention of raw samples (90 days unless an operator changed it)"
            }
            IngestProblem::Duplicate => "repeats an earlier item of this batch",
            IngestProblem::WrongBuckets => "must be [25, 50, 100, 200, 300, 500, 1000, 2000, 5000]",
            IngestProblem::WrongBucketCount => {
                "must hold 10 counts (one per bound of latency_buckets_ms, then +Inf)"
            }
            IngestProblem::CountsDisagree => {
                "must add up to ok + client_errors + server_errors + timeouts"
            }
        })
    }
}

/// One refused field, named by its JSON path (`requests[3].latency_buckets_ms`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestFieldProblem {
    pub field: String,
    pub problem: IngestProblem,
}

impl fmt::Display for IngestFieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.problem)
    }
}

/// What a stored batch answers: how many rows it wrote (inserted or replaced).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestOutcome {
    pub samples: usize,
    pub requests: usize,
}
