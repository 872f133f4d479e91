//! Start-up: connect, migrate, make sure an admin exists (R-AUTH-1).

use crate::config::{redact_url, Config};
use opsdeck_app::role::Role;
use opsdeck_app::store::audit::Actor;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

/// Start-up failed; the message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot reach Postgres at {url}: {source}. Set DATABASE_URL to a reachable database.")]
    Connect { url: String, source: sqlx::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error during start-up: {0}")]
    Db(#[from] sqlx::Error),
    #[error("could not hash the admin password")]
    Hash,
    #[error("`{0}` is not a database role name (lower-case letters, digits and _)")]
    RoleName(String),
}

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Connects to the configured database, creating it first if the server has none of that name.
pub async fn connect(config: &Config) -> Result<PgPool, StartError> {
    use sqlx::migrate::MigrateDatabase;
    let url = &config.database_url;
    let connect_error = |source| StartError::Connect {
        url: redact_url(url),
        source,
    };
    // Creating the database is the owner's job: a non-owner app role
    // (OPSDECK_MIGRATE_ON_START=false) connects to its database directly.
    if config.migrate_on_start
        && !sqlx::Postgres::database_exists(url)
            .await
            .map_err(connect_error)?
    {
        sqlx::Postgres::create_database(url)
            .await
            .map_err(connect_error)?;
    }
    PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect(&config.database_url)
        .await
        .map_err(|source| StartError::Connect {
            url: redact_url(&config.database_url),
            source,
        })
}

/// Grants a login role what the running app needs, and no more: read and
/// write on opsdeck's tables, but only `SELECT` and `INSERT` on `audit_log`,
/// so the app cannot rewrite its own audit trail (R-AUTH-4). Run by the owner
/// (`opsdeck-server grant-app-role <role>`) after migrations; the app then runs
/// as `<role>` with `OPSDECK_MIGRATE_ON_START=false`.
pub async fn grant_app_role(pool: &PgPool, role: &str) -> Result<(), StartError> {
    let valid = !role.is_empty()
        && role.len() <= 63
        && role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && role
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    // `public` means every role (even quoted), and pg_* are Postgres' own.
    if !valid || role == "public" || role.starts_with("pg_") {
        return Err(StartError::RoleName(role.to_string()));
    }
    // GRANT takes no bind parameters; the name was checked above and is quoted.
    let role = format!("\"{role}\"");
    let mut tx = pool.begin().await?;
    for statement in [
        format!("GRANT USAGE ON SCHEMA public TO {role}"),
        format!("GRANT USAGE ON SCHEMA tower_sessions TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA tower_sessions TO {role}"),
        format!("REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_log FROM {role}"),
        format!("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON _sqlx_migrations FROM {role}"),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"),
        // Tables and sequences that later migrations (run by the owner) create.
        format!("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}"),
        format!("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}"),
    ] {
        sqlx::query(&statement).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Applies opsdeck's migrations and the session store's table.
pub async fn migrate(pool: &PgPool) -> Result<(), StartError> {
    MIGRATOR.run(pool).await?;
    tower_sessions_sqlx_store::PostgresStore::new(pool.clone())
        .migrate()
        .await?;
    Ok(())
}

/// How the first admin was created, if it was.
#[derive(Debug, PartialEq, Eq)]
pub enum AdminBootstrap {
    AlreadyHadUsers,
    CreatedWithConfiguredPassword,
    /// The generated password: printed once by the caller, never stored in clear.
    CreatedWithGeneratedPassword(String),
}

/// On the first start (no admin at all, even if demo users exist) creates the
/// first admin, named by `OPSDECK_ADMIN_USER` (default `admin`): a deployment
/// can pick a name that is not the well-known one.
pub async fn ensure_admin(
    pool: &PgPool,
    username: &str,
    configured: Option<&str>,
) -> Result<AdminBootstrap, StartError> {
    if opsdeck_app::store::users::admin_count(pool).await? > 0 {
        return Ok(AdminBootstrap::AlreadyHadUsers);
    }
    let (password, generated) = match configured {
        Some(p) => (p.to_string(), false),
        None => {
            let mut bytes = [0u8; 18];
            rand::Rng::fill(&mut rand::rng(), &mut bytes);
            (
                bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                true,
            )
        }
    };
    let hash = opsdeck_app::auth::password::hash_async(password.clone())
        .await
        .map_err(|_| StartError::Hash)?;
    let mut tx = pool.begin().await?;
    let created = opsdeck_app::store::users::create(
        &mut tx,
        &Actor::system(),
        username,
        "Administrator",
        &hash,
        &[Role::Admin],
    )
    .await?;
    tx.commit().await?;
    Ok(match (created, generated) {
        (None, _) => AdminBootstrap::AlreadyHadUsers,
        (Some(_), true) => AdminBootstrap::CreatedWithGeneratedPassword(password),
        (Some(_), false) => AdminBootstrap::CreatedWithConfiguredPassword,
    })
}
