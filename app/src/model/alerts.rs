//! Alert rules, their states, history and silences as the `/alerts` page
//! shows them (R-MON-3, R-MON-4).

use crate::i18n::Lang;
use crate::model::Page;
use chrono::{DateTime, Utc};
use opsdeck::alert_rule::MetricUnit;
use serde::{Deserialize, Serialize};

/// Where a rule stands in one environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateKind {
    Inactive,
    Pending,
    Firing,
    Resolved,
}

impl StateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StateKind::Inactive => "inactive",
            StateKind::Pending => "pending",
            StateKind::Firing => "firing",
            StateKind::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<StateKind> {
        [
            StateKind::Inactive,
            StateKind::Pending,
            StateKind::Firing,
            StateKind::Resolved,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A kind of history entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The condition started to hold.
    Pending,
    /// It held for the rule's duration: people were told.
    Firing,
    /// It stopped holding (or the data stopped) while firing: people were told.
    Resolved,
    /// It stopped holding before the duration passed: nobody was told.
    Cleared,
    /// Someone took the firing alert on, with a comment.
    Acknowledged,
}

impl EventKind {
    pub const ALL: [EventKind; 5] = [
        EventKind::Pending,
        EventKind::Firing,
        EventKind::Resolved,
        EventKind::Cleared,
        EventKind::Acknowledged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Pending => "pending",
            EventKind::Firing => "firing",
            EventKind::Resolved => "resolved",
            EventKind::Cleared => "cleared",
            EventKind::Acknowledged => "acknowledged",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A metric a condition may name, with its unit (R-MON-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricView {
    pub name: String,
    pub unit: MetricUnit,
    pub label_en: String,
    pub label_ja: String,
}

impl MetricView {
    pub fn label(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.label_ja,
            Lang::En => &self.label_en,
        }
    }
}

/// A rule's state in one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleStateView {
    /// The environment's key (`production`).
    pub environment: String,
    pub state: StateKind,
    /// Pending or firing: when the condition started to hold.
    pub since: Option<DateTime<Utc>>,
    pub fired_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The last sample, as people read it (64 for 64 %).
    pub last_value: Option<f64>,
    pub last_observed_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub ack_comment: Option<String>,
    /// A silence holds its notifications now.
    pub silenced: bool,
}

/// One rule with its states.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleView {
    pub id: i64,
    pub name: String,
    pub condition: String,
    pub metric: String,
    pub unit: MetricUnit,
    pub duration: String,
    /// `critical`, `warning` or `info`.
    pub severity: String,
    pub channels: Vec<String>,
    pub recipient_group: String,
    pub enabled: bool,
    /// One of the error-budget burn-rate alerts opsdeck brings.
    pub builtin: bool,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    /// Environments the rule has seen data in, in promotion order.
    pub states: Vec<RuleStateView>,
}

impl RuleView {
    /// The worst state over the environments (firing > pending > resolved > inactive).
    pub fn worst(&self) -> StateKind {
        let rank = |k: StateKind| match k {
            StateKind::Firing => 3,
            StateKind::Pending => 2,
            StateKind::Resolved => 1,
            StateKind::Inactive => 0,
        };
        self.states
            .iter()
            .map(|s| s.state)
            .max_by_key(|k| rank(*k))
            .unwrap_or(StateKind::Inactive)
    }
}

/// A silence as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SilenceView {
    pub id: i64,
    /// `None`: every rule.
    pub rule_id: Option<i64>,
    pub rule_name: Option<String>,
    /// `None`: every environment.
    pub environment: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// `once`, `monthly` or `maintenance`.
    pub recurrence: String,
    /// Monthly: `first` … `last`, 0 (Monday) … 6 (Sunday), `HH:MM`, minutes.
    pub monthly_week: Option<String>,
    pub monthly_weekday: Option<i32>,
    pub monthly_start: Option<String>,
    pub monthly_minutes: Option<i32>,
    pub comment: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// Holds notifications back right now.
    pub active: bool,
}

/// Everything the `/alerts` page shows first, in one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertsView {
    pub now: DateTime<Utc>,
    pub rules: Vec<RuleView>,
    pub metrics: Vec<MetricView>,
    /// Silences that have not ended.
    pub silences: Vec<SilenceView>,
    /// Notification channels a rule may name.
    pub channels: Vec<String>,
    /// Recipient groups a rule may address.
    pub groups: Vec<String>,
    /// Data older than this counts as missing.
    pub stale_after_seconds: i32,
}

/// One history entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    pub id: i64,
    pub environment: String,
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    /// The sample, as people read it.
    pub value: Option<f64>,
    pub comment: Option<String>,
    pub actor: Option<String>,
    /// A silence held the notification back.
    pub silenced: bool,
    /// An outbox message told people.
    pub notified: bool,
}

/// A rule's history, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryView {
    pub rule_id: i64,
    pub rule_name: String,
    pub unit: MetricUnit,
    pub events: Page<EventView>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOutcome {
    pub created: Vec<String>,
    pub updated: Vec<String>,
}

/// A YAML export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportView {
    pub filename: String,
    pub yaml: String,
}

/// What is wrong with a condition, given the unit of each known metric
/// (`None`: unknown metric): the same judgement on the server and, as you
/// type, in the browser (R-MON-3).
pub fn condition_problem(
    text: &str,
    unit_of: impl Fn(&str) -> Option<MetricUnit>,
) -> Option<crate::i18n::Msg> {
    use crate::i18n::Msg;
    let text = text.trim();
    if text.is_empty() {
        return Some(Msg::ErrRequired);
    }
    if text.chars().count() > CONDITION_MAX_CHARS {
        return Some(Msg::ErrTooLong);
    }
    let Ok(c) = opsdeck::alert_rule::AlertCondition::parse(text) else {
        return Some(Msg::ErrAlertCondition);
    };
    let Some(unit) = unit_of(c.metric()) else {
        return Some(Msg::ErrAlertMetric);
    };
    opsdeck::alert_rule::check_unit(&c, unit)
        .err()
        .map(|_| unit_msg(unit))
}

/// Longest condition text.
pub const CONDITION_MAX_CHARS: usize = 200;

/// The message for a threshold whose unit does not fit a metric in `unit`.
pub fn unit_msg(unit: MetricUnit) -> crate::i18n::Msg {
    use crate::i18n::Msg;
    match unit {
        MetricUnit::Percent => Msg::ErrAlertUnitPercent,
        MetricUnit::Ms => Msg::ErrAlertUnitMs,
        MetricUnit::Count | MetricUnit::Factor => Msg::ErrAlertUnitBare,
    }
}

/// A value with its unit for reading: `64%`, `512 ms`, `1200`, `14.4×`.
pub fn value_text(value: f64, unit: MetricUnit) -> String {
    let rounded = if value.abs() >= 100.0 {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    };
    // Trailing zeros say nothing ("5.00%" reads as "5%").
    let trimmed = if rounded.contains('.') {
        rounded
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        rounded
    };
    match unit {
        MetricUnit::Percent => format!("{trimmed}%"),
        MetricUnit::Ms => format!("{trimmed} ms"),
        MetricUnit::Count => trimmed,
        MetricUnit::Factor => format!("{trimmed}×"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_with_their_unit_r_mon_3() {
        assert_eq!(value_text(64.0, MetricUnit::Percent), "64%");
        assert_eq!(value_text(5.25, MetricUnit::Percent), "5.25%");
        assert_eq!(value_text(512.4, MetricUnit::Ms), "512 ms");
        assert_eq!(value_text(1200.0, MetricUnit::Count), "1200");
        assert_eq!(value_text(14.4, MetricUnit::Factor), "14.4×");
        assert_eq!(value_text(0.0, MetricUnit::Factor), "0×");
    }

    #[test]
    fn conditions_are_judged_against_the_metrics_unit_r_mon_3() {
        use crate::i18n::Msg;
        let unit_of = |m: &str| match m {
            "disk_usage" => Some(MetricUnit::Percent),
            "connections" => Some(MetricUnit::Count),
            _ => None,
        };
        assert_eq!(condition_problem("disk_usage > 90", unit_of), None);
        assert_eq!(
            condition_problem("disk_usage > 90ms", unit_of),
            Some(Msg::ErrAlertUnitPercent)
        );
        assert_eq!(
            condition_problem("connections > 5%", unit_of),
            Some(Msg::ErrAlertUnitBare)
        );
        assert_eq!(
            condition_problem("disk > 1", unit_of),
            Some(Msg::ErrAlertMetric)
        );
        assert_eq!(
            condition_problem("disk_usage >", unit_of),
            Some(Msg::ErrAlertCondition)
        );
        assert_eq!(condition_problem(" ", unit_of), Some(Msg::ErrRequired));
    }

    #[test]
    fn kinds_round_trip() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(StateKind::parse("firing"), Some(StateKind::Firing));
        assert_eq!(StateKind::parse("loud"), None);
    }
}
