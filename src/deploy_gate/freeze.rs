//! Code-freeze gate for Production with an audited admin override (R-DEP-6).

use super::Environment;
use crate::interval::UtcInterval;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An admin's override of a freeze, with a written reason.
///
/// Deserialisation re-checks that the reason is not blank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "OverrideRepr")]
pub struct AdminOverride {
    admin: String,
    reason: String,
}

#[derive(Deserialize)]
struct OverrideRepr {
    admin: String,
    reason: String,
}

impl TryFrom<OverrideRepr> for AdminOverride {
    type Error = OverrideError;
    fn try_from(r: OverrideRepr) -> Result<Self, Self::Error> {
        AdminOverride::new(&r.admin, true, &r.reason)
    }
}

/// Why an override is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum OverrideError {
    /// Blank reason.
    #[error("an override needs a written reason")]
    EmptyReason,
    /// Not an admin.
    #[error("only an admin can override a code freeze")]
    NotAdmin,
}

impl AdminOverride {
    /// Builds an override; the reason must not be blank and the actor must be an admin.
    pub fn new(admin: &str, actor_is_admin: bool, reason: &str) -> Result<Self, OverrideError> {
        if !actor_is_admin {
            return Err(OverrideError::NotAdmin);
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(OverrideError::EmptyReason);
        }
        Ok(Self {
            admin: admin.to_string(),
            reason: reason.to_string(),
        })
    }
    /// The admin's user id.
    pub fn admin(&self) -> &str {
        &self.admin
    }
    /// The reason (trimmed, non-empty).
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// The freeze decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum FreezeDecision {
    /// No freeze applies.
    Clear,
    /// In a freeze: refused.
    Frozen {
        /// The freeze window.
        window: UtcInterval,
    },
    /// In a freeze, but an admin overrode it (to be audited).
    Overridden {
        /// The freeze window.
        window: UtcInterval,
        /// The override.
        by: AdminOverride,
    },
}

/// Checks a deploy to `env` at `at` against freeze windows (only Production is frozen).
pub fn check_freeze(
    env: Environment,
    at: DateTime<Utc>,
    freezes: &[UtcInterval],
    admin_override: Option<&AdminOverride>,
) -> FreezeDecision {
    if env != Environment::Production {
        return FreezeDecision::Clear;
    }
    match (freezes.iter().find(|w| w.contains(at)), admin_override) {
        (None, _) => FreezeDecision::Clear,
        (Some(w), None) => FreezeDecision::Frozen { window: *w },
        (Some(w), Some(o)) => FreezeDecision::Overridden {
            window: *w,
            by: o.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn r_dep_6_freeze_and_override() {
        let t = |d| Utc.with_ymd_and_hms(2027, 1, d, 0, 0, 0).unwrap();
        let w = UtcInterval::new(t(22), t(29));
        assert_eq!(
            check_freeze(Environment::Production, t(25), &[w], None),
            FreezeDecision::Frozen { window: w }
        );
        assert_eq!(
            check_freeze(Environment::Staging, t(25), &[w], None),
            FreezeDecision::Clear
        );
        assert_eq!(
            check_freeze(Environment::Production, t(29), &[w], None),
            FreezeDecision::Clear
        );
        assert_eq!(
            AdminOverride::new("root", true, "   "),
            Err(OverrideError::EmptyReason)
        );
        assert_eq!(
            AdminOverride::new("bob", false, "hotfix"),
            Err(OverrideError::NotAdmin)
        );
        let o = AdminOverride::new("root", true, " security hotfix CVE-2027-1 ").unwrap();
        assert_eq!(o.reason(), "security hotfix CVE-2027-1");
        assert!(matches!(
            check_freeze(Environment::Production, t(25), &[w], Some(&o)),
            FreezeDecision::Overridden { .. }
        ));
        assert!(serde_json::from_str::<AdminOverride>(r#"{"admin":"root","reason":" "}"#).is_err());
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(serde_json::from_str::<AdminOverride>(&json).unwrap(), o);
    }
}
