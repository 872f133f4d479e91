//! The demo data set: the "Mythologia" service, its four environments and one
//! user per role. Loaded by `opsdeck-server seed-demo` (the run command's demo
//! step), never by migrations. Running it again changes nothing.

mod alerts;
pub mod backups;
mod costs;
pub mod deploy_history;
mod deploys;
pub mod monitoring;
mod releases;

/// Past deploys in the demo: 120 per environment, five hours apart (about
/// three months), so the history pages and filters have something to show.
const DEMO_PAST_DEPLOYS: i64 = 480;

use opsdeck_app::role::Role;
use opsdeck_app::store::audit::{self, Actor};
use serde_json::json;
use sqlx::PgPool;

/// Demo users: (user name, display name, role). Each password is `opsdeck-demo-<user name>`.
pub const DEMO_USERS: [(&str, &str, Role); 5] = [
    ("viewer", "Stakeholder (demo)", Role::Viewer),
    ("release", "Release manager (demo)", Role::ReleaseManager),
    ("finance", "Finance (demo)", Role::Finance),
    ("approver", "Approver (demo)", Role::Approver),
    ("operator", "Operator (demo)", Role::Operator),
];

pub fn demo_password(username: &str) -> String {
    format!("opsdeck-demo-{username}")
}

/// Inserts what is missing; returns how many rows it created.
pub async fn seed(pool: &PgPool) -> Result<usize, sqlx::Error> {
    let mut created = 0;
    let now = chrono::Utc::now();
    let envs = [
        ("Local", 0, None, None, None, "unknown", None, None),
        (
            "Development",
            1,
            Some("1.3.0-dev.4"),
            Some("9f1c2ab"),
            Some("blue"),
            "ok",
            Some(now - chrono::Duration::hours(3)),
            None,
        ),
        (
            "Staging",
            2,
            Some("1.3.0"),
            Some("4be07d1"),
            Some("green"),
            "ok",
            Some(now - chrono::Duration::days(1)),
            Some("approver"),
        ),
        (
            "Production",
            3,
            Some("1.2.3"),
            Some("c0ffee1"),
            Some("blue"),
            "ok",
            Some(now - chrono::Duration::days(9)),
            Some("approver"),
        ),
    ];
    let mut tx = pool.begin().await?;
    for (name, position, version, commit, colour, health, last, approved) in envs {
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO environments (name, key, position, deployed_version, deployed_commit, live_colour, health, last_deploy_at, approved_by) \
             VALUES ($1, lower($1), $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (name) DO NOTHING RETURNING id",
        )
        .bind(name)
        .bind(position)
        .bind(version)
        .bind(commit)
        .bind(colour)
        .bind(health)
        .bind(last)
        .bind(approved)
        .fetch_optional(&mut *tx)
        .await?;
        if inserted.is_some() {
            created += 1;
            audit::append(
                &mut tx,
                &Actor::system(),
                "environment.create",
                &format!("environment:{name}"),
                None,
                Some(json!({"name": name, "version": version})),
            )
            .await?;
        }
    }
    for (username, display, role) in DEMO_USERS {
        if opsdeck_app::store::users::exists(&mut tx, username).await? {
            continue;
        }
        let hash = opsdeck_app::auth::password::hash(&demo_password(username))
            .map_err(|_| sqlx::Error::Protocol("password hashing failed".into()))?;
        if opsdeck_app::store::users::create(
            &mut tx,
            &Actor::system(),
            username,
            display,
            &hash,
            &[role],
        )
        .await?
        .is_some()
        {
            created += 1;
        }
    }
    tx.commit().await?;
    // Costs and releases keep their own counts (a year of rows would drown this one).
    costs::seed(pool).await?;
    backups::seed(pool).await?;
    releases::seed(pool).await?;
    // Months of finished deploys first, so the demo's own (newer) deploys
    // keep the higher ids the board and the history order by.
    deploy_history::seed(pool, DEMO_PAST_DEPLOYS, 300)
        .await
        .map_err(sqlx::Error::Protocol)?;
    deploys::seed(pool).await?;
    // Probe and metric history (issue 10 item 9) before the alerts, which read them.
    monitoring::seed(pool).await?;
    alerts::seed(pool).await?;
    Ok(created)
}
