//! Approval of a deploy (R-DEP-5): N approvals from holders of the approver
//! role; the requester never counts; one vote per person.

use super::Environment;
use serde::{Deserialize, Serialize};

/// How many approvals which environments need (policy: 1, Production).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalPolicy {
    /// Approvals required.
    pub required: u32,
    /// Environments needing approval.
    pub environments: Vec<Environment>,
}

impl Default for ApprovalPolicy {
    fn default() -> Self {
        Self {
            required: 1,
            environments: vec![Environment::Production],
        }
    }
}

/// An approval vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    /// Voter's user id.
    pub voter: String,
    /// Whether the voter holds the approver role.
    pub voter_is_approver: bool,
}

/// Why a vote did not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IgnoredReason {
    /// The requester cannot approve their own deploy.
    IsRequester,
    /// The voter lacks the approver role.
    NotApprover,
    /// Second vote by the same person.
    Duplicate,
}

/// A vote that did not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoredVote {
    /// Voter's user id.
    pub voter: String,
    /// Why.
    pub reason: IgnoredReason,
}

/// The approval outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalOutcome {
    /// Approvals needed (0 when the environment needs none).
    pub required: u32,
    /// Voters that counted, in vote order.
    pub counted: Vec<String>,
    /// Votes that did not count, with reasons.
    pub ignored: Vec<IgnoredVote>,
    /// Enough approvals.
    pub approved: bool,
}

impl ApprovalOutcome {
    /// Approvals still missing.
    pub fn missing(&self) -> u32 {
        self.required
            .saturating_sub(u32::try_from(self.counted.len()).unwrap_or(u32::MAX))
    }
}

/// Counts the votes for a deploy to `env` requested by `requester`.
pub fn evaluate_approvals(
    policy: &ApprovalPolicy,
    env: Environment,
    requester: &str,
    votes: &[Vote],
) -> ApprovalOutcome {
    let required = if policy.environments.contains(&env) {
        policy.required
    } else {
        0
    };
    let mut counted: Vec<String> = Vec::new();
    let mut ignored = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for v in votes {
        let reason = if seen.contains(&v.voter.as_str()) {
            Some(IgnoredReason::Duplicate)
        } else if v.voter == requester {
            Some(IgnoredReason::IsRequester)
        } else if !v.voter_is_approver {
            Some(IgnoredReason::NotApprover)
        } else {
            None
        };
        seen.push(&v.voter);
        match reason {
            Some(reason) => ignored.push(IgnoredVote {
                voter: v.voter.clone(),
                reason,
            }),
            None => counted.push(v.voter.clone()),
        }
    }
    let approved = counted.len() >= usize::try_from(required).unwrap_or(usize::MAX);
    ApprovalOutcome {
        required,
        counted,
        ignored,
        approved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(voter: &str, ok: bool) -> Vote {
        Vote {
            voter: voter.into(),
            voter_is_approver: ok,
        }
    }

    #[test]
    fn r_dep_5_requester_never_counts_and_one_vote_each() {
        let p = ApprovalPolicy {
            required: 2,
            ..ApprovalPolicy::default()
        };
        let o = evaluate_approvals(
            &p,
            Environment::Production,
            "alice",
            &[
                v("alice", true),
                v("bob", true),
                v("bob", true),
                v("carol", false),
            ],
        );
        assert!(!o.approved);
        assert_eq!(o.counted, vec!["bob"]);
        assert_eq!(o.missing(), 1);
        assert_eq!(
            o.ignored.iter().map(|i| i.reason).collect::<Vec<_>>(),
            vec![
                IgnoredReason::IsRequester,
                IgnoredReason::Duplicate,
                IgnoredReason::NotApprover
            ]
        );
        let o = evaluate_approvals(
            &p,
            Environment::Production,
            "alice",
            &[v("bob", true), v("dave", true)],
        );
        assert!(o.approved);
    }

    #[test]
    fn r_dep_5_policy_default_one_approval_for_production_only() {
        let p = ApprovalPolicy::default();
        assert!(!evaluate_approvals(&p, Environment::Production, "a", &[]).approved);
        assert!(evaluate_approvals(&p, Environment::Production, "a", &[v("b", true)]).approved);
        assert!(evaluate_approvals(&p, Environment::Staging, "a", &[]).approved);
    }
}
