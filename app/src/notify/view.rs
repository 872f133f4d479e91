//! What the notification pages show; crosses the wire, so no secrets here.

use crate::role::Role;
use serde::{Deserialize, Serialize};

/// A channel as the admin page lists it: settings, and only *whether* its secret is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelView {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub configured: bool,
    pub enabled: bool,
    pub lang: String,
    pub min_interval_ms: i32,
    pub url: String,
    pub smtp_host: String,
    pub smtp_port: Option<u16>,
    pub smtp_security: String,
    pub smtp_username: String,
    pub email_from: String,
    pub email_to: Vec<String>,
    pub secret_set: bool,
    /// Pending deliveries and failures in the last 24 h, for a quick look.
    pub pending: i64,
    pub failed_24h: i64,
}

/// The answer of "Send test".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestOutcome {
    pub ok: bool,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub latency_ms: i32,
}

/// A recipient group with its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub reserved: bool,
    pub users: Vec<(i64, String)>,
    pub roles: Vec<Role>,
    pub channels: Vec<(i64, String)>,
}

/// The groups page: the groups and what can be put in them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupsPage {
    pub groups: Vec<GroupView>,
    pub users: Vec<(i64, String)>,
    pub channels: Vec<(i64, String)>,
}

/// One attempt at one delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub at: chrono::DateTime<chrono::Utc>,
    pub ok: bool,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub latency_ms: i32,
}

/// One (message, channel) pair on the deliveries page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: i64,
    pub message_id: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub kind: String,
    pub title: String,
    pub group_name: Option<String>,
    pub channel: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<String>,
    pub history: Vec<AttemptView>,
}

/// One message in a user's inbox, in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxItem {
    pub message_id: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub severity: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub link: String,
    pub read: bool,
}
