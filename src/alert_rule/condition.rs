//! Alert conditions: `metric comparator value[unit]` (R-MON-3).
//!
//! Grammar: a metric name `[A-Za-z_:][A-Za-z0-9_:]*`, optional spaces, one of
//! `> >= < <= == !=`, optional spaces, a decimal `-?[0-9]+(.[0-9]+)?` and an
//! optional unit `%`, `ms` or `s`. The number keeps its exact text, so
//! `Display` (canonical: single spaces around the comparator) re-parses to an
//! equal condition and reproduces the policy's conditions byte for byte.
//!
//! Samples are compared in base units: `%` thresholds against a **ratio**
//! (5% ↔ 0.05), `ms`/`s` thresholds against **milliseconds** (500ms ↔ 500,
//! 2s ↔ 2000), unit-less thresholds against the raw value.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Comparator {
    /// The operator's symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Eq => "==",
            Self::Ne => "!=",
        }
    }
    /// Applies the operator (`false` when either side is NaN, except `!=`).
    pub fn apply(self, a: f64, b: f64) -> bool {
        match self {
            Self::Gt => a > b,
            Self::Ge => a >= b,
            Self::Lt => a < b,
            Self::Le => a <= b,
            Self::Eq => a == b,
            Self::Ne => a != b,
        }
    }
}

/// Unit of a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// `%` (sample is a ratio).
    Percent,
    /// `ms` (sample in milliseconds).
    Milliseconds,
    /// `s` (sample in milliseconds).
    Seconds,
    /// No unit.
    None,
}

impl Unit {
    /// The suffix written after the number.
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Percent => "%",
            Self::Milliseconds => "ms",
            Self::Seconds => "s",
            Self::None => "",
        }
    }
}

/// Why a condition did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ConditionError {
    /// Nothing to parse.
    #[error("empty condition: expected e.g. `error_rate > 5%`")]
    Empty,
    /// No valid metric name at the start.
    #[error("condition “{0}” must start with a metric name such as error_rate")]
    BadMetric(String),
    /// No comparator after the metric.
    #[error("condition “{0}” needs a comparator (>, >=, <, <=, ==, !=) after the metric")]
    MissingComparator(String),
    /// No number after the comparator.
    #[error("condition “{0}” needs a number after the comparator")]
    BadNumber(String),
    /// Unknown text after the number.
    #[error("condition “{input}”: unknown unit “{unit}” (expected %, ms, s or nothing)")]
    BadUnit {
        /// Whole condition.
        input: String,
        /// The rejected suffix.
        unit: String,
    },
}

/// A parsed condition such as `error_rate > 5%`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertCondition {
    metric: String,
    comparator: Comparator,
    number: String,
    value: f64,
    unit: Unit,
}

fn is_metric_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}
fn is_metric_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

impl AlertCondition {
    /// Parses a condition (see module docs).
    pub fn parse(input: &str) -> Result<Self, ConditionError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(ConditionError::Empty);
        }
        if !s.chars().next().is_some_and(is_metric_start) {
            return Err(ConditionError::BadMetric(input.to_string()));
        }
        let metric_end = s.find(|c: char| !is_metric_char(c)).unwrap_or(s.len());
        let metric = &s[..metric_end];
        let rest = s[metric_end..].trim_start();
        let (comparator, rest) = [
            (">=", Comparator::Ge),
            ("<=", Comparator::Le),
            ("==", Comparator::Eq),
            ("!=", Comparator::Ne),
            (">", Comparator::Gt),
            ("<", Comparator::Lt),
        ]
        .iter()
        .find_map(|(sym, c)| rest.strip_prefix(sym).map(|r| (*c, r)))
        .ok_or_else(|| ConditionError::MissingComparator(input.to_string()))?;
        let rest = rest.trim_start();
        let bad_number = || ConditionError::BadNumber(input.to_string());
        let bytes = rest.as_bytes();
        let mut i = usize::from(bytes.first() == Some(&b'-'));
        let int_start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == int_start {
            return Err(bad_number());
        }
        if bytes.get(i) == Some(&b'.') {
            let frac_start = i + 1;
            let mut j = frac_start;
            while bytes.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            if j == frac_start {
                return Err(bad_number());
            }
            i = j;
        }
        let number = &rest[..i];
        if number.len() > 40 {
            return Err(bad_number());
        }
        let value: f64 = number.parse().map_err(|_| bad_number())?;
        let unit = match &rest[i..] {
            "%" => Unit::Percent,
            "ms" => Unit::Milliseconds,
            "s" => Unit::Seconds,
            "" => Unit::None,
            other => {
                return Err(ConditionError::BadUnit {
                    input: input.to_string(),
                    unit: other.to_string(),
                })
            }
        };
        Ok(Self {
            metric: metric.to_string(),
            comparator,
            number: number.to_string(),
            value,
            unit,
        })
    }

    /// Metric name.
    pub fn metric(&self) -> &str {
        &self.metric
    }
    /// Comparator.
    pub fn comparator(&self) -> Comparator {
        self.comparator
    }
    /// Threshold as written, in its unit (5 for `5%`).
    pub fn value(&self) -> f64 {
        self.value
    }
    /// Unit of the threshold.
    pub fn unit(&self) -> Unit {
        self.unit
    }
    /// Threshold in base units: ratio for `%`, milliseconds for `ms`/`s`.
    pub fn threshold_base(&self) -> f64 {
        match self.unit {
            Unit::Percent => self.value / 100.0,
            Unit::Seconds => self.value * 1_000.0,
            Unit::Milliseconds | Unit::None => self.value,
        }
    }
    /// Whether a sample (in base units) satisfies the condition. NaN never does.
    pub fn holds(&self, sample: f64) -> bool {
        !sample.is_nan() && self.comparator.apply(sample, self.threshold_base())
    }
}

impl fmt::Display for AlertCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}{}",
            self.metric,
            self.comparator.symbol(),
            self.number,
            self.unit.suffix()
        )
    }
}

impl FromStr for AlertCondition {
    type Err = ConditionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for AlertCondition {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AlertCondition {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn r_mon_3_policy_conditions_round_trip() {
        for s in [
            "error_rate > 5%",
            "response_time_p95 > 500ms",
            "disk_usage > 90%",
        ] {
            let c = AlertCondition::parse(s).unwrap();
            assert_eq!(c.to_string(), s);
        }
        let c = AlertCondition::parse("error_rate > 5%").unwrap();
        assert_eq!(
            (c.metric(), c.comparator(), c.value(), c.unit()),
            ("error_rate", Comparator::Gt, 5.0, Unit::Percent)
        );
        assert!(c.holds(0.051));
        assert!(!c.holds(0.05));
        assert!(!c.holds(f64::NAN));
        let c = AlertCondition::parse("response_time_p95 > 500ms").unwrap();
        assert!(c.holds(501.0));
        let c = AlertCondition::parse("latency<=0.5s").unwrap();
        assert_eq!(c.to_string(), "latency <= 0.5s");
        assert!(c.holds(500.0) && !c.holds(500.1));
    }

    #[test]
    fn r_mon_3_all_comparators_and_units() {
        for (s, cmp) in [
            ("a > 1", Comparator::Gt),
            ("a >= 1", Comparator::Ge),
            ("a < 1", Comparator::Lt),
            ("a <= 1", Comparator::Le),
            ("a == 1", Comparator::Eq),
            ("a != 1", Comparator::Ne),
        ] {
            assert_eq!(AlertCondition::parse(s).unwrap().comparator(), cmp);
        }
        assert_eq!(
            AlertCondition::parse("connections >= 1000").unwrap().unit(),
            Unit::None
        );
        assert_eq!(
            AlertCondition::parse("x > -2.50").unwrap().to_string(),
            "x > -2.50"
        );
    }

    #[test]
    fn r_mon_3_malformed_conditions_are_errors() {
        use ConditionError::*;
        assert_eq!(AlertCondition::parse("  "), Err(Empty));
        assert!(matches!(
            AlertCondition::parse("5 > error_rate"),
            Err(BadMetric(_))
        ));
        assert!(matches!(
            AlertCondition::parse("error_rate 5%"),
            Err(MissingComparator(_))
        ));
        assert!(matches!(
            AlertCondition::parse("error_rate => 5%"),
            Err(MissingComparator(_))
        ));
        assert!(matches!(
            AlertCondition::parse("error_rate > %"),
            Err(BadNumber(_))
        ));
        assert!(matches!(
            AlertCondition::parse("error_rate > 5."),
            Err(BadNumber(_))
        ));
        assert!(matches!(
            AlertCondition::parse("error_rate > 5 %"),
            Err(BadUnit { .. })
        ));
        assert!(matches!(
            AlertCondition::parse("error_rate > 5kb"),
            Err(BadUnit { .. })
        ));
        assert!(matches!(
            AlertCondition::parse("error_rate > 5% and x"),
            Err(BadUnit { .. })
        ));
    }

    proptest! {
        #[test]
        fn r_mon_3_condition_parse_never_panics(s in ".*") {
            let _ = AlertCondition::parse(&s);
        }

        #[test]
        fn r_mon_3_condition_display_round_trips(
            metric in "[a-z_][a-z0-9_]{0,12}", op in 0usize..6, int in 0u32..100_000, frac in proptest::option::of("[0-9]{1,3}"),
            unit in prop_oneof![Just("%"), Just("ms"), Just("s"), Just("")], sp1 in " {0,2}", sp2 in " {0,2}"
        ) {
            let ops = [">", ">=", "<", "<=", "==", "!="];
            let num = match frac { Some(f) => format!("{int}.{f}"), None => int.to_string() };
            let text = format!("{metric}{sp1}{}{sp2}{num}{unit}", ops[op]);
            let c = AlertCondition::parse(&text).unwrap();
            let again = AlertCondition::parse(&c.to_string()).unwrap();
            prop_assert_eq!(&again, &c);
            prop_assert_eq!(c.to_string(), format!("{metric} {} {num}{unit}", ops[op]));
        }
    }
}
