//! Automatic deploy triggers as data (R-DEP-2): push `develop` →
//! Development, push `main` → Staging, release published → Production.

use super::Environment;
use serde::{Deserialize, Serialize};

/// An event that may trigger a deploy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TriggerEvent {
    /// A push to a branch (short name, e.g. `main`).
    Push {
        /// Branch name.
        branch: String,
    },
    /// A release was published.
    ReleasePublished,
}

impl TriggerEvent {
    /// A push event from a git ref (`refs/heads/main` or `main`); tags are not branches → `None`.
    pub fn push_ref(git_ref: &str) -> Option<Self> {
        if git_ref.starts_with("refs/tags/") {
            return None;
        }
        let branch = git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref);
        (!branch.is_empty()).then(|| Self::Push {
            branch: branch.to_string(),
        })
    }
}

/// One mapping rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerRule {
    /// The event.
    pub event: TriggerEvent,
    /// The environment it deploys to.
    pub environment: Environment,
}

/// The trigger mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerPolicy {
    /// Rules; every matching rule triggers.
    pub rules: Vec<TriggerRule>,
}

impl Default for TriggerPolicy {
    fn default() -> Self {
        let push = |b: &str, environment| TriggerRule {
            event: TriggerEvent::Push { branch: b.into() },
            environment,
        };
        Self {
            rules: vec![
                push("develop", Environment::Development),
                push("main", Environment::Staging),
                TriggerRule {
                    event: TriggerEvent::ReleasePublished,
                    environment: Environment::Production,
                },
            ],
        }
    }
}

impl TriggerPolicy {
    /// Environments the event deploys to (sorted, no duplicates).
    pub fn targets(&self, event: &TriggerEvent) -> Vec<Environment> {
        let mut v: Vec<Environment> = self
            .rules
            .iter()
            .filter(|r| &r.event == event)
            .map(|r| r.environment)
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_dep_2_policy_mapping() {
        let p = TriggerPolicy::default();
        assert_eq!(
            p.targets(&TriggerEvent::push_ref("refs/heads/develop").unwrap()),
            vec![Environment::Development]
        );
        assert_eq!(
            p.targets(&TriggerEvent::push_ref("main").unwrap()),
            vec![Environment::Staging]
        );
        assert_eq!(
            p.targets(&TriggerEvent::ReleasePublished),
            vec![Environment::Production]
        );
        assert!(p
            .targets(&TriggerEvent::push_ref("feature/x").unwrap())
            .is_empty());
        assert_eq!(TriggerEvent::push_ref("refs/tags/v1.0.0"), None);
        assert_eq!(TriggerEvent::push_ref("refs/heads/"), None);
    }
}
