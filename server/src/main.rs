//! `opsdeck-server [serve|migrate|seed-demo]`

use opsdeck_server::bootstrap::{self, AdminBootstrap};
use opsdeck_server::config::Config;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("opsdeck: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    opsdeck_server::logging::init(&config.log_level);
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    match run(&command, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "start-up failed");
            eprintln!("opsdeck: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: &str, config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let pool = bootstrap::connect(&config).await?;
    // Under a non-owner role (OPSDECK_MIGRATE_ON_START=false) the owner runs `migrate`.
    if config.migrate_on_start || command != "serve" {
        bootstrap::migrate(&pool).await?;
    }
    match command {
        "migrate" => Ok(()),
        "grant-app-role" => {
            let role = std::env::args()
                .nth(2)
                .ok_or("usage: opsdeck-server grant-app-role <role>")?;
            bootstrap::grant_app_role(&pool, &role).await?;
            println!(
                "opsdeck: granted `{role}` the app's privileges (audit_log: SELECT, INSERT only)"
            );
            Ok(())
        }
        "seed-demo" => {
            let n = opsdeck_server::demo::seed(&pool).await?;
            println!("opsdeck: demo data loaded ({n} new rows)");
            Ok(())
        }
        "serve" => serve(config, pool).await,
        other => Err(format!(
            "unknown command `{other}`; use serve, migrate, seed-demo or grant-app-role <role>"
        )
        .into()),
    }
}

async fn serve(config: Config, pool: sqlx::PgPool) -> Result<(), Box<dyn std::error::Error>> {
    let admin = config.admin_user.clone();
    match bootstrap::ensure_admin(&pool, &admin, config.admin_password.as_deref()).await? {
        AdminBootstrap::CreatedWithGeneratedPassword(pw) => {
            // Printed once, on purpose, to stderr: stdout carries the JSON log.
            eprintln!("opsdeck: created user `{admin}` with password {pw} (shown once; change it under Account)");
        }
        AdminBootstrap::CreatedWithConfiguredPassword => {
            eprintln!(
                "opsdeck: created user `{admin}` with the password from OPSDECK_ADMIN_PASSWORD"
            );
        }
        AdminBootstrap::AlreadyHadUsers => {}
    }
    let addr = config.addr;
    opsdeck_server::spawn_session_cleanup(pool.clone());
    let state = opsdeck_server::state(config, pool.clone());
    opsdeck_server::workers::outbox::spawn(
        pool.clone(),
        state.ctx.notify.sender.clone(),
        opsdeck_server::workers::outbox::OutboxSettings {
            attempt_timeout: state.config.notify_timeout,
            ..Default::default()
        },
    );
    opsdeck_server::workers::maintenance::spawn(
        pool.clone(),
        state.config.time_zone,
        std::time::Duration::from_secs(60),
    );
    opsdeck_server::workers::budget::spawn(
        pool.clone(),
        state.config.time_zone,
        std::time::Duration::from_secs(3600),
    );
    opsdeck_server::workers::backups::spawn(
        pool.clone(),
        // The runner's defaults (own database, data directory), as "Run now" uses them.
        state.ctx.backups.clone(),
        state.config.time_zone,
        std::time::Duration::from_secs(60),
    );
    // Deploys (R-DEP-7): the executor polls its queue every second.
    opsdeck_server::workers::deploys::spawn(
        pool.clone(),
        std::sync::Arc::new(opsdeck_server::deploy_drivers::Drivers::new(pool.clone())),
        state.config.time_zone,
        std::time::Duration::from_secs(1),
    );
    // Health prober (R-MON-1): claims due targets every second; registers
    // the deploys demo services (the executor's own, `demo::global()`).
    opsdeck_server::workers::prober::spawn(
        pool.clone(),
        opsdeck_server::deploy_drivers::demo::global(),
        std::time::Duration::from_secs(1),
    );
    // Monitoring retention (decision 0020): hourly batched purges of raw
    // probes and samples (90 days) and rollups (5 years), settings in the DB.
    opsdeck_server::workers::monitoring_retention::spawn(
        pool.clone(),
        std::time::Duration::from_secs(120),
        std::time::Duration::from_secs(3600),
    );
    // Alert evaluator (R-MON-3, R-MON-4): every 10 s.
    opsdeck_server::workers::alerts::spawn(
        pool.clone(),
        state.config.time_zone,
        std::time::Duration::from_secs(10),
    );
    let app = opsdeck_server::web::router(state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tracing::info!(addr = %bound, "listening");
    eprintln!("opsdeck: listening on http://{bound}");
    opsdeck_server::serve(listener, app, shutdown_signal()).await?;
    Ok(())
}

/// Ctrl-C or SIGTERM (what systemd, Kubernetes and `kill` send) ends the server gracefully.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
