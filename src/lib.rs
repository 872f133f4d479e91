//! opsdeck core: the operations policy as pure Rust.
//!
//! Every function here is a function of its inputs, a policy value and (where
//! time matters) an explicit instant: no I/O, no clock reads, no panics on bad
//! input. Policy numbers live in `*Policy` structs whose `Default` is the
//! figure written in the operations policy (`operations-policy.ja.md`).
//!
//! | module | requirements |
//! |---|---|
//! | [`versions`] | R-REL-1 |
//! | [`release_calendar`] | R-REL-2, R-REL-3, R-DEP-6 |
//! | [`release_notes`] | R-REL-4 |
//! | [`maintenance_window`] | R-MNT-1, R-MNT-2 |
//! | [`sla`] | R-SLA-1 … R-SLA-4 |
//! | [`alert_rule`] | R-MON-3, R-MON-4 |
//! | [`costs`] | R-COST-1 … R-COST-3 |
//! | [`backup_retention`] | R-BAK-2, R-BAK-3 |
//! | [`deploy_gate`] | R-DEP-2, R-DEP-4 … R-DEP-7 |
//! | [`health`] | R-MON-1 |
#![forbid(unsafe_code)]

pub mod alert_rule;
pub mod backup_retention;
pub mod costs;
pub mod deploy_gate;
pub mod health;
pub mod interval;
pub mod local_time;
pub mod maintenance_window;
pub mod release_calendar;
pub mod release_notes;
pub mod sla;
pub mod versions;

pub use interval::UtcInterval;
