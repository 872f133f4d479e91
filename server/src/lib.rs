//! The opsdeck server: configuration, start-up, the HTTP edge, health and the machine API.

pub mod api_error;
pub mod api_v1;
pub mod bootstrap;
pub mod config;
pub mod demo;
pub mod health;
pub mod logging;
pub mod state;
pub mod web;

use config::Config;
use leptos::prelude::LeptosOptions;
use opsdeck_app::context::{LoginLimits, ServerCtx};
use sqlx::PgPool;
use std::sync::Arc;

/// Builds the shared state from a configuration and a migrated pool.
pub fn state(config: Config, pool: PgPool) -> state::AppState {
    let leptos_options = LeptosOptions::builder()
        .output_name("opsdeck")
        .site_root(config.site_root.clone())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .build();
    let ctx = ServerCtx {
        pool: pool.clone(),
        time_zone: config.time_zone,
        login_limits: LoginLimits::default(),
        trust_proxy: config.trust_proxy,
    };
    state::AppState {
        pool,
        config: Arc::new(config),
        leptos_options,
        ctx,
    }
}

/// Deletes expired sessions and day-old login failures every ten minutes;
/// idempotent deletes, so harmless on several replicas.
pub fn spawn_session_cleanup(pool: PgPool) {
    use tower_sessions::ExpiredDeletion;
    tokio::spawn(async move {
        let store = tower_sessions_sqlx_store::PostgresStore::new(pool.clone());
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "expired-session clean-up failed");
            }
            if let Err(e) = opsdeck_app::store::login_failures::prune(&pool).await {
                tracing::warn!(error = %e, "login-failure clean-up failed");
            }
        }
    });
}
