//! One module per page (or area).

pub mod account;
pub mod admin;
pub mod alerts;
pub mod audit;
pub mod backups;
pub mod costs;
pub mod deploys;
pub mod incidents;
pub mod login;
pub mod maintenance;
pub mod monitoring;
pub mod not_found;
pub mod notifications;
pub mod overview;
pub mod releases;
pub mod sla;
