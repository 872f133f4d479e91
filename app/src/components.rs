//! Reusable pieces of the UI.

pub mod confirm;
pub mod error_box;
pub mod field;
pub mod health;
pub mod layout;
pub mod maintenance_banner;
pub mod pager;
