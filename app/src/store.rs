//! Postgres access, one module per aggregate (server side only).
//!
//! Every query is parameterised (sqlx binds) and covered by a database test.
//! Functions that change something take a transaction and append the audit
//! entry in it (R-AUTH-4), so a change and its record commit together.

pub mod alerts;
pub mod audit;
pub mod backups;
pub mod costs;
pub mod deploy_runs;
pub mod deploy_triggers;
pub mod deploys;
pub mod environments;
pub mod incidents;
pub mod login_failures;
pub mod maintenance;
pub mod maintenance_windows;
pub mod metrics;
pub mod monitoring;
pub mod notifications;
pub mod probes;
pub mod releases;
pub mod sla;
pub mod tokens;
pub mod users;
