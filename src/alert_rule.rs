//! Alert rules: conditions, durations, severities, the policy's YAML format
//! and the pending → firing → resolved life cycle (R-MON-3, R-MON-4).

pub mod condition;
pub mod duration;
pub mod evaluator;
pub mod import;
pub mod metric;
pub mod silence;
pub mod yaml;

pub use condition::{AlertCondition, Comparator, ConditionError, Unit};
pub use duration::{AlertDuration, DurationError, DurationUnit};
pub use evaluator::{
    evaluate, evaluate_in, next_observation, AlertState, EvalError, Observation, Step, Transition,
};
pub use import::{import_alert_rules, ImportProblem, ImportProblemKind};
pub use metric::{burn_windows, check_unit, holds_in, threshold_base, MetricUnit, UnitError};
pub use silence::{Recurrence, SilenceError, SilenceSchedule};
pub use yaml::{
    parse_alert_rules, write_alert_rules, write_document, AlertRulesDocument, YamlError,
    YamlErrorKind,
};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How urgent an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Page someone.
    Critical,
    /// Look soon.
    Warning,
    /// For information.
    Info,
}

/// Unknown severity word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("unknown severity “{0}”: expected critical, warning or info")]
pub struct SeverityError(pub String);

impl Severity {
    /// The word used in rules (`critical`, `warning`, `info`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = SeverityError;
    /// Case-insensitive; surrounding whitespace ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "critical" => Ok(Self::Critical),
            "warning" => Ok(Self::Warning),
            "info" => Ok(Self::Info),
            _ => Err(SeverityError(s.to_string())),
        }
    }
}

/// Why a rule is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum RuleError {
    /// Names are `[A-Za-z0-9_.-]+` (so they are plain YAML scalars).
    #[error("rule name “{0}” must be non-empty and use only letters, digits, '_', '-' and '.'")]
    BadName(String),
    /// Channel names are `[A-Za-z0-9_.@-]+`.
    #[error("notify channel “{0}” must be non-empty and use only letters, digits, '_', '-', '.' and '@'")]
    BadChannel(String),
}

/// One alert rule as in the policy's YAML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRule {
    /// Unique name (`HighErrorRate`).
    pub name: String,
    /// Condition (`error_rate > 5%`).
    pub condition: AlertCondition,
    /// How long the condition must hold (`5m`).
    pub duration: AlertDuration,
    /// Severity.
    pub severity: Severity,
    /// Channels to notify (`pagerduty`, `slack-critical`).
    pub notify: Vec<String>,
}

fn valid_word(s: &str, extra: &[char]) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c) || extra.contains(&c))
}

impl AlertRule {
    /// Checks the name and channel names.
    pub fn validate(&self) -> Result<(), RuleError> {
        if !valid_word(&self.name, &[]) {
            return Err(RuleError::BadName(self.name.clone()));
        }
        if let Some(c) = self.notify.iter().find(|c| !valid_word(c, &['@'])) {
            return Err(RuleError::BadChannel(c.clone()));
        }
        Ok(())
    }
}

/// Validates a channel name (used by the YAML parser).
pub(crate) fn valid_channel(s: &str) -> bool {
    valid_word(s, &['@'])
}

/// Validates a rule name (used by the YAML parser).
pub(crate) fn valid_name(s: &str) -> bool {
    valid_word(s, &[])
}

/// The policy's three seeded rules (HighErrorRate, SlowResponse, DiskSpaceLow).
pub fn default_rules() -> Vec<AlertRule> {
    let rule =
        |name: &str, cond: &str, dur: &str, severity, notify: &[&str]| -> Option<AlertRule> {
            Some(AlertRule {
                name: name.into(),
                condition: AlertCondition::parse(cond).ok()?,
                duration: AlertDuration::parse(dur).ok()?,
                severity,
                notify: notify.iter().map(|s| s.to_string()).collect(),
            })
        };
    [
        rule(
            "HighErrorRate",
            "error_rate > 5%",
            "5m",
            Severity::Critical,
            &["pagerduty", "slack-critical"],
        ),
        rule(
            "SlowResponse",
            "response_time_p95 > 500ms",
            "10m",
            Severity::Warning,
            &["slack-alerts"],
        ),
        rule(
            "DiskSpaceLow",
            "disk_usage > 90%",
            "5m",
            Severity::Critical,
            &["pagerduty", "email-oncall"],
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_mon_3_severity_parse_display() {
        for s in [Severity::Critical, Severity::Warning, Severity::Info] {
            assert_eq!(s.to_string().parse::<Severity>().unwrap(), s);
        }
        assert_eq!(
            " Critical ".parse::<Severity>().unwrap(),
            Severity::Critical
        );
        assert!("fatal".parse::<Severity>().is_err());
    }

    #[test]
    fn r_mon_3_default_rules_are_the_policys() {
        let r = default_rules();
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].condition.to_string(), "response_time_p95 > 500ms");
        assert_eq!(r[1].duration.seconds(), Some(600));
        assert!(r.iter().all(|r| r.validate().is_ok()));
        let mut bad = r[0].clone();
        bad.name = "High Error".into();
        assert!(bad.validate().is_err());
        bad.name = "ok".into();
        bad.notify.push("#chan".into());
        assert!(matches!(bad.validate(), Err(RuleError::BadChannel(_))));
    }
}
