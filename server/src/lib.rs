//! The opsdeck server: configuration, start-up, the HTTP edge, health and the machine API.

pub mod api_error;
pub mod api_v1;
pub mod bootstrap;
pub mod calendar_feed;
pub mod config;
pub mod demo;
pub mod deploy_drivers;
pub mod health;
pub mod logging;
pub mod page_cache;
pub mod sla_report;
pub mod state;
pub mod web;
pub mod workers;

use config::Config;
use leptos::prelude::LeptosOptions;
use opsdeck_app::context::{LoginLimits, ServerCtx};
use sqlx::PgPool;
use std::sync::Arc;

/// Builds the shared state from a configuration and a migrated pool.
pub fn state(config: Config, pool: PgPool) -> state::AppState {
    // cargo-leptos writes the asset hashes to hash.txt beside the binary when it
    // builds with hashed file names; without the file, names are plain (and
    // Leptos must not be told to hash: it would fail to read the file).
    let hash_files = config.hash_file.is_file();
    let leptos_options = LeptosOptions::builder()
        .output_name("opsdeck")
        .hash_files(hash_files)
        .hash_file(std::sync::Arc::from(
            config.hash_file.to_string_lossy().as_ref(),
        ))
        .site_root(config.site_root.clone())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .build();
    let ctx = ServerCtx {
        pool: pool.clone(),
        time_zone: config.time_zone,
        login_limits: LoginLimits::default(),
        trust_proxy: config.trust_proxy,
        trusted_proxies: Arc::new(config.trusted_proxies.clone()),
        session_max_secs: config.session_max_hours * 3600,
        session_touch_secs: config.session_touch_secs,
        check_slots: Default::default(),
        notify: opsdeck_app::context::NotifyCtx {
            sender: opsdeck_app::notify::send::Sender::new(
                config.public_url(),
                config.notify_timeout,
            ),
            me: Arc::new(opsdeck_app::notify::channel::SelfAddresses::new(
                config.public_origin.as_deref(),
                config.addr,
            )),
        },
        backups: opsdeck_app::store::backups::runner::RunnerEnv {
            database_url: config.database_url.clone(),
            data_dir: config.data_dir.clone(),
        },
    };
    let page_cache = Arc::new(page_cache::PageCache::new(config.page_cache_max_age));
    page_cache.listen(&pool);
    state::AppState {
        pool,
        page_cache,
        config: Arc::new(config),
        leptos_options,
        ctx,
    }
}

/// The accepted-connection side of the server: every socket gets `TCP_NODELAY`.
///
/// Server-rendered pages stream out in several small writes; with Nagle's
/// algorithm on, the second write waits for the client's delayed ACK (~40 ms)
/// on a kept-alive connection, which is how browsers load pages.
pub fn nodelay_listener(
    listener: tokio::net::TcpListener,
) -> axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    listener.tap_io(set_nodelay as fn(&mut tokio::net::TcpStream))
}

fn set_nodelay(tcp: &mut tokio::net::TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::warn!(error = %e, "could not set TCP_NODELAY");
    }
}

/// Serves `app` on `listener` (with `TCP_NODELAY` and client addresses) until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        nodelay_listener(listener),
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
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
