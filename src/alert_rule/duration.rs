//! Rule durations: `30s`, `5m`, `10m`, `1h`, `1d` (R-MON-3).
//!
//! One integer and one unit letter; compound forms like `1h30m` are refused
//! (write `90m`). The text round-trips exactly (`60s` stays `60s`).

use chrono::TimeDelta;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Unit letter of a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    /// `s`
    Seconds,
    /// `m`
    Minutes,
    /// `h`
    Hours,
    /// `d`
    Days,
}

impl DurationUnit {
    fn letter(self) -> char {
        match self {
            Self::Seconds => 's',
            Self::Minutes => 'm',
            Self::Hours => 'h',
            Self::Days => 'd',
        }
    }
    fn seconds(self) -> u64 {
        match self {
            Self::Seconds => 1,
            Self::Minutes => 60,
            Self::Hours => 3_600,
            Self::Days => 86_400,
        }
    }
}

/// Why a duration did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("“{0}” is not a duration like 30s, 5m, 1h or 1d")]
pub struct DurationError(pub String);

/// A rule duration such as `5m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlertDuration {
    amount: u64,
    unit: DurationUnit,
}

impl AlertDuration {
    /// Builds a duration.
    pub fn new(amount: u64, unit: DurationUnit) -> Self {
        Self { amount, unit }
    }

    /// Parses `<digits><s|m|h|d>`; surrounding whitespace ignored.
    pub fn parse(input: &str) -> Result<Self, DurationError> {
        let err = || DurationError(input.to_string());
        let s = input.trim();
        let unit = match s.chars().last() {
            Some('s') => DurationUnit::Seconds,
            Some('m') => DurationUnit::Minutes,
            Some('h') => DurationUnit::Hours,
            Some('d') => DurationUnit::Days,
            _ => return Err(err()),
        };
        let digits = &s[..s.len() - 1];
        if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let amount = digits.parse().map_err(|_| err())?;
        Ok(Self { amount, unit })
    }

    /// The number.
    pub fn amount(&self) -> u64 {
        self.amount
    }
    /// The unit.
    pub fn unit(&self) -> DurationUnit {
        self.unit
    }
    /// Length in seconds (`None` on overflow).
    pub fn seconds(&self) -> Option<u64> {
        self.amount.checked_mul(self.unit.seconds())
    }
    /// Length as a `TimeDelta` (`None` if out of range).
    pub fn as_timedelta(&self) -> Option<TimeDelta> {
        TimeDelta::try_seconds(i64::try_from(self.seconds()?).ok()?)
    }
}

impl fmt::Display for AlertDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.unit.letter())
    }
}

impl FromStr for AlertDuration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for AlertDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AlertDuration {
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
    fn r_mon_3_durations() {
        for (s, secs) in [
            ("5m", 300),
            ("10m", 600),
            ("30s", 30),
            ("1h", 3600),
            ("2d", 172_800),
            ("0s", 0),
        ] {
            let d = AlertDuration::parse(s).unwrap();
            assert_eq!(d.seconds(), Some(secs));
            assert_eq!(d.to_string(), s);
        }
        assert_eq!(AlertDuration::parse("60s").unwrap().to_string(), "60s");
        for bad in [
            "",
            "m",
            "5",
            "5M",
            "1h30m",
            "-5m",
            "5 m",
            "5.5m",
            "１m",
            "999999999999999m",
        ] {
            assert!(AlertDuration::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            AlertDuration::new(u64::MAX, DurationUnit::Days).seconds(),
            None
        );
        assert_eq!(
            AlertDuration::new(u64::MAX, DurationUnit::Days).as_timedelta(),
            None
        );
    }

    proptest! {
        #[test]
        fn r_mon_3_duration_parse_never_panics(s in ".*") {
            let _ = AlertDuration::parse(&s);
        }
    }
}
