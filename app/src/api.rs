//! Server functions, grouped by area. Each one is thin: check the role
//! (`rpc`), validate into domain values, call the store, map errors.
//! Endpoints are fixed (`/rpc/<area>/<name>`) so the role-matrix test and
//! the browser tests can name them.

pub mod admin;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod backups;
pub mod costs;
pub mod deploy_triggers;
pub mod deploys;
pub mod incidents;
pub mod maintenance;
pub mod maintenance_windows;
pub mod monitoring;
pub mod notifications;
pub mod overview;
pub mod releases;
pub mod sla;
pub mod tokens;
