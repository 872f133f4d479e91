//! The six-item deploy checklist (R-DEP-4).

use super::Environment;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A checklist item; keys are stable (stored in the database).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecklistItem {
    /// すべてのテストがパス.
    AllTestsPass,
    /// セキュリティスキャン完了.
    SecurityScanDone,
    /// データベースマイグレーション確認.
    DatabaseMigrationChecked,
    /// 環境変数の設定確認.
    EnvironmentVariablesChecked,
    /// ロールバック手順の準備.
    RollbackProcedureReady,
    /// 監視アラートの設定.
    MonitoringAlertsSet,
}

impl ChecklistItem {
    /// All six, in the policy's order.
    pub const ALL: [ChecklistItem; 6] = [
        Self::AllTestsPass,
        Self::SecurityScanDone,
        Self::DatabaseMigrationChecked,
        Self::EnvironmentVariablesChecked,
        Self::RollbackProcedureReady,
        Self::MonitoringAlertsSet,
    ];

    /// Stable key.
    pub fn key(self) -> &'static str {
        match self {
            Self::AllTestsPass => "all_tests_pass",
            Self::SecurityScanDone => "security_scan_done",
            Self::DatabaseMigrationChecked => "database_migration_checked",
            Self::EnvironmentVariablesChecked => "environment_variables_checked",
            Self::RollbackProcedureReady => "rollback_procedure_ready",
            Self::MonitoringAlertsSet => "monitoring_alerts_set",
        }
    }
    /// Item from its key.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.key() == key)
    }
    /// Japanese label (the policy's wording).
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::AllTestsPass => "すべてのテストがパス",
            Self::SecurityScanDone => "セキュリティスキャン完了",
            Self::DatabaseMigrationChecked => "データベースマイグレーション確認",
            Self::EnvironmentVariablesChecked => "環境変数の設定確認",
            Self::RollbackProcedureReady => "ロールバック手順の準備",
            Self::MonitoringAlertsSet => "監視アラートの設定",
        }
    }
    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::AllTestsPass => "All tests pass",
            Self::SecurityScanDone => "Security scan done",
            Self::DatabaseMigrationChecked => "Database migration checked",
            Self::EnvironmentVariablesChecked => "Environment variables checked",
            Self::RollbackProcedureReady => "Rollback procedure ready",
            Self::MonitoringAlertsSet => "Monitoring alerts set",
        }
    }
}

/// A tick: who, when, optional evidence link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistTick {
    /// The item.
    pub item: ChecklistItem,
    /// User id of whoever ticked it.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Optional evidence URL.
    pub evidence: Option<String>,
}

/// Which environments need the checklist (policy: Staging, Production).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistPolicy {
    /// Environments requiring all items.
    pub environments: Vec<Environment>,
}

impl Default for ChecklistPolicy {
    fn default() -> Self {
        Self {
            environments: vec![Environment::Staging, Environment::Production],
        }
    }
}

impl ChecklistPolicy {
    /// Whether `env` needs the checklist.
    pub fn requires(&self, env: Environment) -> bool {
        self.environments.contains(&env)
    }
}

/// Items not yet ticked, in the policy's order.
pub fn open_items(ticks: &[ChecklistTick]) -> Vec<ChecklistItem> {
    ChecklistItem::ALL
        .into_iter()
        .filter(|i| !ticks.iter().any(|t| t.item == *i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn r_dep_4_items_keys_and_open_items() {
        assert_eq!(ChecklistItem::ALL.len(), 6);
        for i in ChecklistItem::ALL {
            assert_eq!(ChecklistItem::from_key(i.key()), Some(i));
        }
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let tick = |item| ChecklistTick {
            item,
            by: "u1".into(),
            at,
            evidence: None,
        };
        let open = open_items(&[
            tick(ChecklistItem::AllTestsPass),
            tick(ChecklistItem::MonitoringAlertsSet),
        ]);
        assert_eq!(open.len(), 4);
        assert_eq!(open[0], ChecklistItem::SecurityScanDone);
        let p = ChecklistPolicy::default();
        assert!(p.requires(Environment::Staging) && p.requires(Environment::Production));
        assert!(!p.requires(Environment::Development) && !p.requires(Environment::Local));
    }
}
