//! Deploys: environments, triggers, the checklist, approvals, the code
//! freeze, the blue-green state machine and its health check, and the
//! combined "can this deploy start?" gate (R-DEP-1, R-DEP-2, R-DEP-4 … R-DEP-7).

pub mod approval;
pub mod blue_green;
pub mod checklist;
pub mod environment;
pub mod freeze;
pub mod health_check;
pub mod trigger;

pub use approval::{
    evaluate_approvals, ApprovalOutcome, ApprovalPolicy, IgnoredReason, IgnoredVote, Vote,
};
pub use blue_green::{BlueGreenDeploy, Colour, DeployEvent, DeployState, Traffic, TransitionError};
pub use checklist::{open_items, ChecklistItem, ChecklistPolicy, ChecklistTick};
pub use environment::{Environment, EnvironmentError};
pub use freeze::{check_freeze, AdminOverride, FreezeDecision, OverrideError};
pub use health_check::{evaluate_health, HealthCheckPolicy, HealthVerdict, Probe};
pub use trigger::{TriggerEvent, TriggerPolicy, TriggerRule};

use crate::interval::UtcInterval;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The policies the gate applies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatePolicy {
    /// Checklist environments.
    pub checklist: ChecklistPolicy,
    /// Approval count and environments.
    pub approval: ApprovalPolicy,
}

/// Everything the gate looks at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateInput {
    /// Target environment.
    pub environment: Environment,
    /// Who requested the deploy.
    pub requester: String,
    /// Checklist ticks so far.
    pub ticks: Vec<ChecklistTick>,
    /// Approval votes so far.
    pub votes: Vec<Vote>,
    /// When the deploy would start.
    pub at: DateTime<Utc>,
    /// Code-freeze windows (see [`crate::release_calendar::code_freeze_interval`]).
    pub freezes: Vec<UtcInterval>,
    /// An admin's override of the freeze, if any.
    pub admin_override: Option<AdminOverride>,
}

/// One reason a deploy cannot start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum BlockingReason {
    /// Checklist items not ticked.
    ChecklistOpen {
        /// The open items, in the policy's order.
        items: Vec<ChecklistItem>,
    },
    /// Not enough approvals.
    ApprovalsMissing {
        /// Still missing.
        missing: u32,
        /// Required in total.
        required: u32,
    },
    /// Inside a code freeze without an override.
    CodeFreeze {
        /// The window.
        window: UtcInterval,
    },
}

/// The gate's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateDecision {
    /// True when nothing blocks.
    pub can_start: bool,
    /// All blocking reasons (checklist, approvals, freeze — in that order).
    pub blocking: Vec<BlockingReason>,
    /// Approval details (counted and ignored votes).
    pub approvals: ApprovalOutcome,
    /// Freeze details (including an override to audit).
    pub freeze: FreezeDecision,
}

/// Can this deploy start? Returns every blocking reason, not just the first.
pub fn can_start(policy: &GatePolicy, input: &GateInput) -> GateDecision {
    let mut blocking = Vec::new();
    if policy.checklist.requires(input.environment) {
        let items = open_items(&input.ticks);
        if !items.is_empty() {
            blocking.push(BlockingReason::ChecklistOpen { items });
        }
    }
    let approvals = evaluate_approvals(
        &policy.approval,
        input.environment,
        &input.requester,
        &input.votes,
    );
    if !approvals.approved {
        blocking.push(BlockingReason::ApprovalsMissing {
            missing: approvals.missing(),
            required: approvals.required,
        });
    }
    let freeze = check_freeze(
        input.environment,
        input.at,
        &input.freezes,
        input.admin_override.as_ref(),
    );
    if let FreezeDecision::Frozen { window } = &freeze {
        blocking.push(BlockingReason::CodeFreeze { window: *window });
    }
    GateDecision {
        can_start: blocking.is_empty(),
        blocking,
        approvals,
        freeze,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn input(env: Environment) -> GateInput {
        GateInput {
            environment: env,
            requester: "alice".into(),
            ticks: Vec::new(),
            votes: Vec::new(),
            at: Utc.with_ymd_and_hms(2027, 1, 25, 0, 0, 0).unwrap(),
            freezes: vec![UtcInterval::new(
                Utc.with_ymd_and_hms(2027, 1, 21, 15, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2027, 1, 28, 15, 0, 0).unwrap(),
            )],
            admin_override: None,
        }
    }

    #[test]
    fn r_dep_4_5_6_all_blocking_reasons_at_once() {
        let d = can_start(&GatePolicy::default(), &input(Environment::Production));
        assert!(!d.can_start);
        assert_eq!(d.blocking.len(), 3);
        assert!(
            matches!(&d.blocking[0], BlockingReason::ChecklistOpen { items } if items.len() == 6)
        );
        assert_eq!(
            d.blocking[1],
            BlockingReason::ApprovalsMissing {
                missing: 1,
                required: 1
            }
        );
        assert!(matches!(d.blocking[2], BlockingReason::CodeFreeze { .. }));
    }

    #[test]
    fn r_dep_4_5_6_cleared_with_ticks_approval_and_override() {
        let mut i = input(Environment::Production);
        i.ticks = ChecklistItem::ALL
            .into_iter()
            .map(|item| ChecklistTick {
                item,
                by: "bob".into(),
                at: i.at,
                evidence: None,
            })
            .collect();
        i.votes = vec![
            Vote {
                voter: "alice".into(),
                voter_is_approver: true,
            },
            Vote {
                voter: "bob".into(),
                voter_is_approver: true,
            },
        ];
        i.admin_override =
            Some(AdminOverride::new("root", true, "hotfix for incident 42").unwrap());
        let d = can_start(&GatePolicy::default(), &i);
        assert!(d.can_start, "{:?}", d.blocking);
        assert!(matches!(d.freeze, FreezeDecision::Overridden { .. }));
        assert_eq!(d.approvals.ignored.len(), 1);
    }

    #[test]
    fn r_dep_4_development_needs_nothing_staging_needs_checklist() {
        assert!(can_start(&GatePolicy::default(), &input(Environment::Development)).can_start);
        let d = can_start(&GatePolicy::default(), &input(Environment::Staging));
        assert_eq!(d.blocking.len(), 1);
        assert!(matches!(
            d.blocking[0],
            BlockingReason::ChecklistOpen { .. }
        ));
    }
}
