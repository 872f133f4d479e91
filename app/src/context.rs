//! What the server hands to every server function (server side only).
//!
//! The binary builds one `ServerCtx` at start-up and provides it to both the
//! page renderer and the server-function handler (`leptos_routes_with_context`),
//! so server functions reach the database without `app` depending on `server`.

use chrono_tz::Tz;
use sqlx::PgPool;

/// Limits on failed logins (R-AUTH-5). Not policy numbers: security settings with safe defaults.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// Failures per account within the window before it is locked.
    pub per_account: i64,
    /// Failures per client address within the window before it is locked.
    pub per_address: i64,
    /// Failures per account within the window before it is locked for every
    /// address: the ceiling on guesses spread over many addresses.
    pub per_account_ceiling: i64,
    /// The sliding window, in seconds.
    pub window_secs: i64,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_account: 5,
            per_address: 20,
            per_account_ceiling: 100,
            window_secs: 15 * 60,
        }
    }
}

/// Shared server state for server functions.
#[derive(Clone)]
pub struct ServerCtx {
    pub pool: PgPool,
    /// The zone times are shown in (default Asia/Tokyo).
    pub time_zone: Tz,
    pub login_limits: LoginLimits,
    /// Behind a trusted reverse proxy: the client is the last `X-Forwarded-For` hop.
    pub trust_proxy: bool,
    /// The proxies whose `X-Forwarded-For` is believed; from any other peer it is ignored.
    pub trusted_proxies: std::sync::Arc<Vec<ipnet::IpNet>>,
    /// Absolute session lifetime in seconds, however active the session is.
    pub session_max_secs: i64,
    /// A signed-in session is saved (its idle timer restarted) when it was
    /// last saved this many seconds ago or more (decision 0021).
    pub session_touch_secs: i64,
    /// Bounds on password checks in flight, so a flood cannot starve the pool.
    pub check_slots: std::sync::Arc<crate::auth::throttle::CheckSlots>,
    /// Sending notifications (the "Send test" button) and checking channel URLs.
    pub notify: NotifyCtx,
    /// The built-in backup runner's defaults: opsdeck's own database and data directory.
    pub backups: crate::store::backups::runner::RunnerEnv,
}

/// What the notification server functions need besides the database.
#[derive(Clone)]
pub struct NotifyCtx {
    pub sender: crate::notify::send::Sender,
    /// opsdeck's own addresses: a channel may not point back at them.
    pub me: std::sync::Arc<crate::notify::channel::SelfAddresses>,
}

/// The context provided by the server; a missing one is a wiring bug, answered as 500.
pub fn server_ctx() -> Result<ServerCtx, crate::error::AppError> {
    leptos::prelude::use_context::<ServerCtx>().ok_or_else(|| {
        tracing::error!("ServerCtx missing from Leptos context");
        crate::error::AppError::Internal
    })
}
