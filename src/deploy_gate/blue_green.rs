//! The blue-green deploy state machine (R-DEP-7).
//!
//! ```text
//! Requested ─GateCleared→ Ready ─Start→ DeployingIdle ─IdleDeployed→ HealthChecking
//!   ─HealthPassed→ Switching ─Switched→ Observing ─ObservationPassed→ Done
//! failures before the switch            → Failed      (traffic never moved)
//! failure while switching / observing,
//! or RollbackRequested (also from Done) → RollingBack ─RollbackCompleted→ RolledBack
//! RollingBack ─RollbackFailed→ Failed (traffic reported as in transition;
//!   RollbackRequested from there retries)
//! ```
//! Every pair not in this table is a typed [`TransitionError`]. The machine
//! also tracks where traffic is ([`Traffic`]), so a deploy restored after a
//! restart says plainly whether it is live on one colour or mid-switch.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A colour of the blue-green pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    /// Blue.
    Blue,
    /// Green.
    Green,
}

impl Colour {
    /// The other colour.
    pub fn other(self) -> Self {
        match self {
            Self::Blue => Self::Green,
            Self::Green => Self::Blue,
        }
    }
}

/// Where traffic goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "traffic", rename_all = "snake_case")]
pub enum Traffic {
    /// All traffic on one colour.
    Live {
        /// The live colour.
        colour: Colour,
    },
    /// A switch is under way (or was interrupted): traffic may be on either.
    InTransition {
        /// Colour traffic is leaving.
        from: Colour,
        /// Colour traffic is moving to.
        to: Colour,
    },
}

/// Deploy states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployState {
    /// Created, gate not yet cleared.
    Requested,
    /// Gate cleared (checklist, approvals, freeze); may start.
    Ready,
    /// Building the new version on the idle colour.
    DeployingIdle,
    /// Health-checking the idle colour.
    HealthChecking,
    /// Switching traffic to the new colour.
    Switching,
    /// Traffic on the new colour; watching.
    Observing,
    /// Finished.
    Done,
    /// Failed (see traffic for where it is).
    Failed,
    /// Sending traffic back to the previous colour.
    RollingBack,
    /// Traffic back on the previous colour.
    RolledBack,
}

/// Events that move a deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployEvent {
    /// Checklist, approvals and freeze are satisfied.
    GateCleared,
    /// Abandon before traffic moved.
    Cancel,
    /// An approver pressed deploy.
    Start,
    /// The idle colour runs the new version.
    IdleDeployed,
    /// N consecutive health checks passed.
    HealthPassed,
    /// Health check timed out or failed.
    HealthFailed,
    /// Traffic now on the new colour.
    Switched,
    /// Observation period ended well.
    ObservationPassed,
    /// A step's driver failed.
    StepFailed,
    /// An approver asked to go back (one click).
    RollbackRequested,
    /// Traffic is back on the previous colour.
    RollbackCompleted,
    /// Rolling back failed.
    RollbackFailed,
}

/// An event not allowed in a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("event {event:?} is not allowed in state {from:?}")]
pub struct TransitionError {
    /// State at the time.
    pub from: DeployState,
    /// The refused event.
    pub event: DeployEvent,
}

/// A blue-green deploy in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlueGreenDeploy {
    /// Current state.
    pub state: DeployState,
    /// Colour live when the deploy was requested.
    pub previous: Colour,
    /// Where traffic is.
    pub traffic: Traffic,
}

impl BlueGreenDeploy {
    /// A new deploy while `live` serves traffic.
    pub fn new(live: Colour) -> Self {
        Self {
            state: DeployState::Requested,
            previous: live,
            traffic: Traffic::Live { colour: live },
        }
    }

    /// The colour that receives the new version (the idle one).
    pub fn candidate(&self) -> Colour {
        self.previous.other()
    }

    /// The live colour, or `None` while traffic is in transition.
    pub fn live_colour(&self) -> Option<Colour> {
        match self.traffic {
            Traffic::Live { colour } => Some(colour),
            Traffic::InTransition { .. } => None,
        }
    }

    /// True in Done, RolledBack and Failed with traffic settled on one colour.
    pub fn is_terminal(&self) -> bool {
        match self.state {
            DeployState::Done | DeployState::RolledBack => true,
            DeployState::Failed => {
                self.traffic
                    == Traffic::Live {
                        colour: self.previous,
                    }
            }
            _ => false,
        }
    }

    /// Applies an event.
    pub fn apply(&self, event: DeployEvent) -> Result<Self, TransitionError> {
        use DeployEvent as E;
        use DeployState as S;
        let prev = self.previous;
        let cand = self.candidate();
        let live = |c| Traffic::Live { colour: c };
        let back = Traffic::InTransition {
            from: cand,
            to: prev,
        };
        let (state, traffic) = match (self.state, event) {
            (S::Requested, E::GateCleared) => (S::Ready, self.traffic),
            (S::Requested | S::Ready | S::DeployingIdle | S::HealthChecking, E::Cancel) => {
                (S::Failed, self.traffic)
            }
            (S::Ready, E::Start) => (S::DeployingIdle, self.traffic),
            (S::DeployingIdle, E::IdleDeployed) => (S::HealthChecking, self.traffic),
            (S::DeployingIdle | S::HealthChecking, E::StepFailed) => (S::Failed, self.traffic),
            (S::HealthChecking, E::HealthFailed) => (S::Failed, self.traffic),
            (S::HealthChecking, E::HealthPassed) => (
                S::Switching,
                Traffic::InTransition {
                    from: prev,
                    to: cand,
                },
            ),
            (S::Switching, E::Switched) => (S::Observing, live(cand)),
            (S::Switching | S::Observing, E::StepFailed) => (S::RollingBack, back),
            (S::Switching | S::Observing | S::Done, E::RollbackRequested) => (S::RollingBack, back),
            (S::Failed, E::RollbackRequested) if self.traffic != live(prev) => {
                (S::RollingBack, back)
            }
            (S::Observing, E::ObservationPassed) => (S::Done, self.traffic),
            (S::RollingBack, E::RollbackCompleted) => (S::RolledBack, live(prev)),
            (S::RollingBack, E::RollbackFailed) => (S::Failed, back),
            (from, event) => return Err(TransitionError { from, event }),
        };
        Ok(Self {
            state,
            traffic,
            previous: prev,
        })
    }

    /// Events accepted in the current state (for the UI's buttons).
    pub fn allowed_events(&self) -> Vec<DeployEvent> {
        ALL_EVENTS
            .into_iter()
            .filter(|e| self.apply(*e).is_ok())
            .collect()
    }
}

const ALL_EVENTS: [DeployEvent; 12] = [
    DeployEvent::GateCleared,
    DeployEvent::Cancel,
    DeployEvent::Start,
    DeployEvent::IdleDeployed,
    DeployEvent::HealthPassed,
    DeployEvent::HealthFailed,
    DeployEvent::Switched,
    DeployEvent::ObservationPassed,
    DeployEvent::StepFailed,
    DeployEvent::RollbackRequested,
    DeployEvent::RollbackCompleted,
    DeployEvent::RollbackFailed,
];

impl fmt::Display for DeployState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use DeployEvent as E;
    use DeployState as S;

    fn run(events: &[DeployEvent]) -> Result<BlueGreenDeploy, TransitionError> {
        events
            .iter()
            .try_fold(BlueGreenDeploy::new(Colour::Blue), |d, e| d.apply(*e))
    }

    #[test]
    fn r_dep_7_happy_path_and_live_colour_each_step() {
        let mut d = BlueGreenDeploy::new(Colour::Blue);
        let expect = [
            (E::GateCleared, S::Ready, Some(Colour::Blue)),
            (E::Start, S::DeployingIdle, Some(Colour::Blue)),
            (E::IdleDeployed, S::HealthChecking, Some(Colour::Blue)),
            (E::HealthPassed, S::Switching, None),
            (E::Switched, S::Observing, Some(Colour::Green)),
            (E::ObservationPassed, S::Done, Some(Colour::Green)),
        ];
        for (e, s, live) in expect {
            d = d.apply(e).unwrap();
            assert_eq!((d.state, d.live_colour()), (s, live), "{e:?}");
        }
        assert!(d.is_terminal());
        assert_eq!(d.candidate(), Colour::Green);
    }

    #[test]
    fn r_dep_7_failure_paths() {
        // Health check fails: traffic never left blue.
        let d = run(&[E::GateCleared, E::Start, E::IdleDeployed, E::HealthFailed]).unwrap();
        assert_eq!((d.state, d.live_colour()), (S::Failed, Some(Colour::Blue)));
        assert!(d.is_terminal());
        // One-click rollback after done.
        let d = run(&[
            E::GateCleared,
            E::Start,
            E::IdleDeployed,
            E::HealthPassed,
            E::Switched,
            E::ObservationPassed,
            E::RollbackRequested,
        ])
        .unwrap();
        assert_eq!(
            (d.state, d.traffic),
            (
                S::RollingBack,
                Traffic::InTransition {
                    from: Colour::Green,
                    to: Colour::Blue
                }
            )
        );
        let d = d.apply(E::RollbackCompleted).unwrap();
        assert_eq!(
            (d.state, d.live_colour()),
            (S::RolledBack, Some(Colour::Blue))
        );
        // Switch fails mid-way: roll back; rollback fails → Failed but says "in transition", and can retry.
        let d = run(&[
            E::GateCleared,
            E::Start,
            E::IdleDeployed,
            E::HealthPassed,
            E::StepFailed,
            E::RollbackFailed,
        ])
        .unwrap();
        assert_eq!(d.state, S::Failed);
        assert_eq!(d.live_colour(), None);
        assert!(!d.is_terminal());
        assert_eq!(d.allowed_events(), vec![E::RollbackRequested]);
        assert_eq!(d.apply(E::RollbackRequested).unwrap().state, S::RollingBack);
    }

    #[test]
    fn r_dep_7_transitions_not_in_table_are_errors() {
        let d = BlueGreenDeploy::new(Colour::Green);
        assert_eq!(
            d.apply(E::Start),
            Err(TransitionError {
                from: S::Requested,
                event: E::Start
            })
        );
        assert!(run(&[E::GateCleared, E::Switched]).is_err());
        let done = run(&[
            E::GateCleared,
            E::Start,
            E::IdleDeployed,
            E::HealthPassed,
            E::Switched,
            E::ObservationPassed,
        ])
        .unwrap();
        assert_eq!(done.allowed_events(), vec![E::RollbackRequested]);
        let rolled = done
            .apply(E::RollbackRequested)
            .and_then(|d| d.apply(E::RollbackCompleted))
            .unwrap();
        assert!(rolled.allowed_events().is_empty());
    }

    proptest! {
        /// Whatever the event sequence, the machine never panics, and a settled state always names a colour.
        #[test]
        fn r_dep_7_random_events_keep_invariants(events in proptest::collection::vec(0usize..12, 0..40)) {
            let mut d = BlueGreenDeploy::new(Colour::Blue);
            for i in events {
                if let Ok(n) = d.apply(ALL_EVENTS[i]) { d = n; }
                match d.state {
                    S::Switching | S::RollingBack => prop_assert!(d.live_colour().is_none()),
                    S::Observing | S::Done => prop_assert_eq!(d.live_colour(), Some(Colour::Green)),
                    S::RolledBack | S::Requested | S::Ready | S::DeployingIdle | S::HealthChecking => prop_assert_eq!(d.live_colour(), Some(Colour::Blue)),
                    S::Failed => {}
                }
            }
        }
    }
}
