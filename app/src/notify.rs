//! Notifications: what areas say (`Event`), where it goes (channels and
//! recipient groups) and how it gets there (the outbox and its worker).
//!
//! An area calls `store::notifications::notify(&mut tx, "oncall", &event, key)`
//! inside the transaction that makes its change; the outbox worker in the
//! server delivers it to the group's channels and the inbox shows it to the
//! group's users. See docs/decisions/0011-notifications-outbox.md.

pub mod event;
pub mod view;

#[cfg(feature = "ssr")]
pub mod channel;
#[cfg(feature = "ssr")]
pub mod send;

pub use event::{Event, Rendered, Severity};

/// PagerDuty's Events API v2 endpoint, the default for PagerDuty channels.
pub const PAGERDUTY_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";
