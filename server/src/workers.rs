//! Background jobs inside the server process. Each is safe with several
//! opsdeck processes on one database (row claims or advisory locks).

pub mod backups;
pub mod budget;
pub mod deploys;
pub mod maintenance;
pub mod outbox;
pub mod prober;
