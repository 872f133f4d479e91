//! Integration tests: the real server on a random port, real HTTP, and a
//! fresh Postgres database per test (`#[sqlx::test]`, needs DATABASE_URL).

// Test helpers may panic on failure: that is how a test fails.
#![allow(clippy::unwrap_used)]

mod alerts;
mod api_v1;
mod audit;
mod auth;
mod backups;
mod costs;
mod demo_backups;
mod demo_monitoring;
mod deploy_api;
mod deploy_crash;
mod deploy_executor;
mod deploys;
mod edge;
mod hardening;
mod health;
mod incidents;
mod maintenance;
mod maintenance_windows;
mod metrics;
mod monitoring_settings;
mod monitoring_storage;
mod notifications;
mod overview;
mod page_cache;
mod prober;
mod production;
mod receivers;
mod releases;
mod role_matrix;
mod route_matrix;
mod sla;
mod startup;
mod support;
