//! Background jobs inside the server process. Each is safe with several
//! opsdeck processes on one database (row claims or advisory locks).

pub mod alerts;
pub mod backups;
pub mod budget;
pub mod deploys;
pub mod maintenance;
pub mod monitoring_retention;
pub mod outbox;
pub mod prober;
