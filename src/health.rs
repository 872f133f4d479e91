//! The policy's `/health` document: lenient parsing, aggregation, and a
//! builder for opsdeck's own endpoint (R-MON-1).
//!
//! Wire format (policy §監視項目):
//! `{"status":"ok","timestamp":"2026-01-01T00:00:00.000Z","checks":{"database":{"status":"ok"},…}}`.
//!
//! Parsing is lenient (decision 0108): only non-JSON or a non-object is an
//! error. Everything else becomes an [`HealthIssue`]: unknown checks are
//! kept; missing required checks (database, redis, disk, memory) are
//! reported; a check written as a bare string (`"redis":"ok"`) is read as its
//! status. Aggregation follows the policy's own rule — healthy only when
//! every check's status is `ok` — with one relaxation: `skipped` does not
//! fail. A check without a `status` field (the policy's `memory:
//! process.memoryUsage()` has none) is therefore **not** healthy, exactly as
//! the policy's code would answer 503; it is reported as
//! [`HealthIssue::CheckWithoutStatus`] so the cause is visible.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Status of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CheckStatus {
    /// `ok`.
    Ok,
    /// `skipped` (not failing).
    Skipped,
    /// Any other status, verbatim.
    Failed {
        /// The status text.
        status: String,
    },
    /// No `status` field.
    NoStatus,
}

impl CheckStatus {
    fn from_text(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "ok" => Self::Ok,
            "skipped" => Self::Skipped,
            _ => Self::Failed {
                status: s.to_string(),
            },
        }
    }
    fn as_text(&self) -> Option<&str> {
        match self {
            Self::Ok => Some("ok"),
            Self::Skipped => Some("skipped"),
            Self::Failed { status } => Some(status),
            Self::NoStatus => None,
        }
    }
    /// True for `ok` and `skipped`.
    pub fn is_passing(&self) -> bool {
        matches!(self, Self::Ok | Self::Skipped)
    }
}

/// One check with its extra fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Its status.
    pub status: CheckStatus,
    /// Every other field, verbatim (latency, free bytes, …).
    pub details: Map<String, Value>,
}

/// A `/health` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthDocument {
    /// Top-level `status` (`None` when absent or not a string).
    pub status: Option<String>,
    /// Parsed `timestamp`.
    pub timestamp: Option<DateTime<Utc>>,
    /// Checks by name.
    pub checks: BTreeMap<String, Check>,
}

/// Which checks must be present (policy: database, redis, disk, memory).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthPolicy {
    /// Required check names.
    pub required_checks: Vec<String>,
}

impl Default for HealthPolicy {
    fn default() -> Self {
        Self {
            required_checks: ["database", "redis", "disk", "memory"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// Overall health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overall {
    /// Everything passes.
    Ok,
    /// Something does not.
    Degraded,
}

impl Overall {
    /// HTTP status for `/health`: 200 or 503.
    pub fn http_status(self) -> u16 {
        match self {
            Self::Ok => 200,
            Self::Degraded => 503,
        }
    }
    /// `ok` / `degraded`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Degraded => "degraded",
        }
    }
}

/// Something worth reporting about a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "issue", rename_all = "snake_case")]
pub enum HealthIssue {
    /// Top-level status is not `ok` (or absent).
    TopLevelStatus {
        /// What it said.
        status: Option<String>,
    },
    /// No timestamp.
    MissingTimestamp,
    /// Timestamp is not ISO 8601 / RFC 3339.
    BadTimestamp {
        /// What it said.
        value: String,
    },
    /// A required check is absent.
    MissingCheck {
        /// Its name.
        name: String,
    },
    /// A check's status is not ok/skipped.
    CheckFailing {
        /// Check name.
        name: String,
        /// Its status.
        status: String,
    },
    /// A check has no status.
    CheckWithoutStatus {
        /// Check name.
        name: String,
    },
}

impl HealthIssue {
    /// Whether this issue makes the service degraded (timestamp issues do not).
    pub fn degrades(&self) -> bool {
        !matches!(self, Self::MissingTimestamp | Self::BadTimestamp { .. })
    }
}

/// A parsed and judged document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    /// The document.
    pub document: HealthDocument,
    /// Overall verdict.
    pub overall: Overall,
    /// Everything noticed, in a stable order.
    pub issues: Vec<HealthIssue>,
}

/// Only structurally broken input is an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum HealthParseError {
    /// Not JSON.
    #[error("health response is not JSON: {0}")]
    NotJson(String),
    /// JSON but not an object.
    #[error("health response is not a JSON object")]
    NotObject,
}

/// Parses and judges a `/health` body (see module docs).
pub fn parse_health(body: &str, policy: &HealthPolicy) -> Result<HealthReport, HealthParseError> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| HealthParseError::NotJson(e.to_string()))?;
    let Value::Object(obj) = value else {
        return Err(HealthParseError::NotObject);
    };
    let mut issues = Vec::new();
    let status = obj
        .get("status")
        .and_then(Value::as_str)
        .map(str::to_string);
    let timestamp = match obj.get("timestamp") {
        None | Some(Value::Null) => {
            issues.push(HealthIssue::MissingTimestamp);
            None
        }
        Some(v) => {
            let text = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            match DateTime::parse_from_rfc3339(&text) {
                Ok(t) => Some(t.with_timezone(&Utc)),
                Err(_) => {
                    issues.push(HealthIssue::BadTimestamp { value: text });
                    None
                }
            }
        }
    };
    let mut checks = BTreeMap::new();
    if let Some(Value::Object(map)) = obj.get("checks") {
        for (name, v) in map {
            let check = match v {
                Value::Object(fields) => {
                    let mut details = fields.clone();
                    let status = match details.remove("status") {
                        Some(Value::String(s)) => CheckStatus::from_text(&s),
                        Some(other) => CheckStatus::Failed {
                            status: other.to_string(),
                        },
                        None => CheckStatus::NoStatus,
                    };
                    Check { status, details }
                }
                Value::String(s) => Check {
                    status: CheckStatus::from_text(s),
                    details: Map::new(),
                },
                other => Check {
                    status: CheckStatus::Failed {
                        status: other.to_string(),
                    },
                    details: Map::new(),
                },
            };
            checks.insert(name.clone(), check);
        }
    }
    let document = HealthDocument {
        status,
        timestamp,
        checks,
    };
    issues.extend(judge(&document, policy));
    let overall = if issues.iter().any(HealthIssue::degrades) {
        Overall::Degraded
    } else {
        Overall::Ok
    };
    Ok(HealthReport {
        document,
        overall,
        issues,
    })
}

fn judge(doc: &HealthDocument, policy: &HealthPolicy) -> Vec<HealthIssue> {
    let mut issues = Vec::new();
    if doc
        .status
        .as_deref()
        .map(|s| s.trim().eq_ignore_ascii_case("ok"))
        != Some(true)
    {
        issues.push(HealthIssue::TopLevelStatus {
            status: doc.status.clone(),
        });
    }
    for name in &policy.required_checks {
        if !doc.checks.contains_key(name) {
            issues.push(HealthIssue::MissingCheck { name: name.clone() });
        }
    }
    for (name, c) in &doc.checks {
        match &c.status {
            CheckStatus::Ok | CheckStatus::Skipped => {}
            CheckStatus::Failed { status } => issues.push(HealthIssue::CheckFailing {
                name: name.clone(),
                status: status.clone(),
            }),
            CheckStatus::NoStatus => {
                issues.push(HealthIssue::CheckWithoutStatus { name: name.clone() })
            }
        }
    }
    issues
}

/// Builds opsdeck's own `/health` document.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthBuilder {
    timestamp: DateTime<Utc>,
    checks: BTreeMap<String, Check>,
}

impl HealthBuilder {
    /// Starts a document stamped `timestamp` (the caller's clock).
    pub fn new(timestamp: DateTime<Utc>) -> Self {
        Self {
            timestamp,
            checks: BTreeMap::new(),
        }
    }
    /// Adds a check with just a status.
    pub fn check(self, name: &str, status: CheckStatus) -> Self {
        self.check_with(name, status, Map::new())
    }
    /// Adds a check with extra fields (a `status` key in `details` is ignored).
    pub fn check_with(
        mut self,
        name: &str,
        status: CheckStatus,
        mut details: Map<String, Value>,
    ) -> Self {
        details.remove("status");
        self.checks
            .insert(name.to_string(), Check { status, details });
        self
    }
    /// Overall verdict under `policy`.
    pub fn overall(&self, policy: &HealthPolicy) -> Overall {
        let doc = HealthDocument {
            status: Some("ok".into()),
            timestamp: Some(self.timestamp),
            checks: self.checks.clone(),
        };
        if judge(&doc, policy).iter().any(HealthIssue::degrades) {
            Overall::Degraded
        } else {
            Overall::Ok
        }
    }
    /// The JSON body and the HTTP status (200 / 503). Top-level `status` is
    /// `ok` or `degraded`; the timestamp has milliseconds and `Z`, like JavaScript's `toISOString()`.
    pub fn build(&self, policy: &HealthPolicy) -> (Value, u16) {
        let overall = self.overall(policy);
        let mut checks = Map::new();
        for (name, c) in &self.checks {
            let mut o = Map::new();
            if let Some(s) = c.status.as_text() {
                o.insert("status".into(), Value::String(s.to_string()));
            }
            for (k, v) in &c.details {
                o.insert(k.clone(), v.clone());
            }
            checks.insert(name.clone(), Value::Object(o));
        }
        let mut root = Map::new();
        root.insert("status".into(), Value::String(overall.as_str().into()));
        root.insert(
            "timestamp".into(),
            Value::String(self.timestamp.to_rfc3339_opts(SecondsFormat::Millis, true)),
        );
        root.insert("checks".into(), Value::Object(checks));
        (Value::Object(root), overall.http_status())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    const OK: &str = r#"{"status":"ok","timestamp":"2026-06-01T12:00:00.000Z",
        "checks":{"database":{"status":"ok","latencyMs":3},"redis":{"status":"ok"},"disk":{"status":"ok"},"memory":{"status":"ok"},"queue":{"status":"ok"}}}"#;

    #[test]
    fn r_mon_1_all_ok_keeps_unknown_checks() {
        let r = parse_health(OK, &HealthPolicy::default()).unwrap();
        assert_eq!(r.overall, Overall::Ok);
        assert!(r.issues.is_empty());
        assert_eq!(r.document.checks.len(), 5);
        assert_eq!(r.document.checks["database"].details["latencyMs"], 3);
        assert_eq!(
            r.document.timestamp,
            Some(Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap())
        );
        assert_eq!(r.overall.http_status(), 200);
    }

    #[test]
    fn r_mon_1_degraded_cases() {
        let body = r#"{"status":"ok","timestamp":"yesterday","checks":{"database":{"status":"error","message":"timeout"},
            "redis":{"status":"skipped"},"memory":{"rss":123,"heapTotal":456}}}"#;
        let r = parse_health(body, &HealthPolicy::default()).unwrap();
        assert_eq!(r.overall, Overall::Degraded);
        assert_eq!(r.overall.http_status(), 503);
        assert_eq!(
            r.issues,
            vec![
                HealthIssue::BadTimestamp {
                    value: "yesterday".into()
                },
                HealthIssue::MissingCheck {
                    name: "disk".into()
                },
                HealthIssue::CheckFailing {
                    name: "database".into(),
                    status: "error".into()
                },
                HealthIssue::CheckWithoutStatus {
                    name: "memory".into()
                },
            ]
        );
        // skipped does not fail; a bare string is read as the status.
        let body = r#"{"status":"ok","timestamp":"2026-06-01T12:00:00Z","checks":{"database":"ok","redis":{"status":"skipped"},"disk":{"status":"OK"},"memory":{"status":"ok"}}}"#;
        assert_eq!(
            parse_health(body, &HealthPolicy::default())
                .unwrap()
                .overall,
            Overall::Ok
        );
        let body = r#"{"status":"down","checks":{}}"#;
        let r = parse_health(
            body,
            &HealthPolicy {
                required_checks: vec![],
            },
        )
        .unwrap();
        assert_eq!(r.overall, Overall::Degraded);
        assert_eq!(r.issues[0], HealthIssue::MissingTimestamp);
    }

    #[test]
    fn r_mon_1_malformed_is_an_error() {
        assert!(matches!(
            parse_health("", &HealthPolicy::default()),
            Err(HealthParseError::NotJson(_))
        ));
        assert!(matches!(
            parse_health("<html>", &HealthPolicy::default()),
            Err(HealthParseError::NotJson(_))
        ));
        assert_eq!(
            parse_health("[1]", &HealthPolicy::default()),
            Err(HealthParseError::NotObject)
        );
    }

    #[test]
    fn r_mon_1_builder_round_trips_through_the_parser() {
        let t = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        let mut mem = Map::new();
        mem.insert("rssBytes".into(), Value::from(1_000_000));
        let b = HealthBuilder::new(t)
            .check("database", CheckStatus::Ok)
            .check("redis", CheckStatus::Skipped)
            .check("disk", CheckStatus::Ok)
            .check_with("memory", CheckStatus::Ok, mem);
        let (json, code) = b.build(&HealthPolicy::default());
        assert_eq!(code, 200);
        assert_eq!(json["timestamp"], "2026-06-01T12:00:00.000Z");
        assert_eq!(json["checks"]["memory"]["rssBytes"], 1_000_000);
        let r = parse_health(&json.to_string(), &HealthPolicy::default()).unwrap();
        assert_eq!(r.overall, Overall::Ok);
        let (json, code) = b
            .check(
                "database",
                CheckStatus::Failed {
                    status: "error".into(),
                },
            )
            .build(&HealthPolicy::default());
        assert_eq!((json["status"].as_str(), code), (Some("degraded"), 503));
    }

    proptest! {
        #[test]
        fn r_mon_1_parse_never_panics(s in ".*") {
            let _ = parse_health(&s, &HealthPolicy::default());
        }

        #[test]
        fn r_mon_1_parse_any_json_object_never_panics(keys in proptest::collection::vec("[a-z]{1,8}", 0..6), vals in proptest::collection::vec(prop_oneof![
            Just("\"ok\"".to_string()), Just("1".to_string()), Just("null".to_string()), Just("{\"status\":3}".to_string()),
            Just("{\"status\":\"skipped\"}".to_string()), Just("[]".to_string())], 0..6)) {
            let checks: Vec<String> = keys.iter().zip(vals.iter()).map(|(k, v)| format!("\"{k}\":{v}")).collect();
            let body = format!("{{\"status\":\"ok\",\"timestamp\":12,\"checks\":{{{}}}}}", checks.join(","));
            let r = parse_health(&body, &HealthPolicy::default()).unwrap();
            let flagged = r.issues.iter().any(|i| matches!(i, HealthIssue::BadTimestamp { .. }));
            prop_assert!(flagged);
        }
    }
}
