//! The four environments, in promotion order (R-DEP-1).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An environment; ordered Local < Development < Staging < Production.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// 個人開発環境.
    Local,
    /// 結合テスト環境.
    Development,
    /// 本番相当環境.
    Staging,
    /// 本番環境.
    Production,
}

/// Unknown environment name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("unknown environment “{0}”: expected local, development, staging or production")]
pub struct EnvironmentError(pub String);

impl Environment {
    /// All four, in order.
    pub const ALL: [Environment; 4] = [
        Self::Local,
        Self::Development,
        Self::Staging,
        Self::Production,
    ];

    /// Stable key.
    pub fn key(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Development => "development",
            Self::Staging => "staging",
            Self::Production => "production",
        }
    }
    /// Japanese role label from the policy.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Local => "個人開発環境",
            Self::Development => "結合テスト環境",
            Self::Staging => "本番相当環境",
            Self::Production => "本番環境",
        }
    }
    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Local => "Local",
            Self::Development => "Development",
            Self::Staging => "Staging",
            Self::Production => "Production",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for Environment {
    type Err = EnvironmentError;
    /// Case-insensitive key; `dev`, `stg` and `prod` are accepted too.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "local" => Ok(Self::Local),
            "development" | "dev" => Ok(Self::Development),
            "staging" | "stg" => Ok(Self::Staging),
            "production" | "prod" => Ok(Self::Production),
            _ => Err(EnvironmentError(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_dep_1_order_and_names() {
        assert!(Environment::Local < Environment::Development);
        assert!(Environment::Staging < Environment::Production);
        for e in Environment::ALL {
            assert_eq!(e.key().parse::<Environment>().unwrap(), e);
        }
        assert_eq!(
            "PROD".parse::<Environment>().unwrap(),
            Environment::Production
        );
        assert!("qa".parse::<Environment>().is_err());
    }
}
