//! First start and the demo data set (R-AUTH-1).

use opsdeck_server::bootstrap::{ensure_admin, AdminBootstrap};
use sqlx::PgPool;

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn first_start_creates_admin_once_with_a_generated_password(pool: PgPool) {
    let created = ensure_admin(&pool, "admin", None).await.unwrap();
    let AdminBootstrap::CreatedWithGeneratedPassword(pw) = created else {
        panic!("{created:?}")
    };
    assert!(pw.len() >= 24);
    assert_eq!(
        ensure_admin(&pool, "admin", None).await.unwrap(),
        AdminBootstrap::AlreadyHadUsers
    );
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'admin'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(opsdeck_app::auth::password::verify(&pw, &hash));
    let roles: Vec<String> = sqlx::query_scalar("SELECT role FROM user_roles")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(roles, vec!["admin".to_string()]);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn admin_is_created_even_when_demo_users_came_first(pool: PgPool) {
    opsdeck_server::demo::seed(&pool).await.unwrap();
    assert_eq!(
        ensure_admin(&pool, "admin", Some("configured-admin-pw"))
            .await
            .unwrap(),
        AdminBootstrap::CreatedWithConfiguredPassword
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn configured_admin_password_is_used(pool: PgPool) {
    assert_eq!(
        ensure_admin(&pool, "admin", Some("configured-admin-pw"))
            .await
            .unwrap(),
        AdminBootstrap::CreatedWithConfiguredPassword
    );
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'admin'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(opsdeck_app::auth::password::verify(
        "configured-admin-pw",
        &hash
    ));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn demo_data_loads_once(pool: PgPool) {
    let first = opsdeck_server::demo::seed(&pool).await.unwrap();
    assert_eq!(first, 4 + 5, "four environments and five users");
    assert_eq!(opsdeck_server::demo::seed(&pool).await.unwrap(), 0);
    let envs: Vec<String> = sqlx::query_scalar("SELECT name FROM environments ORDER BY position")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(envs, ["Local", "Development", "Staging", "Production"]);
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'operator'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(opsdeck_app::auth::password::verify(
        &opsdeck_server::demo::demo_password("operator"),
        &hash
    ));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn migrations_leave_no_demo_data(pool: PgPool) {
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    let envs: i64 = sqlx::query_scalar("SELECT count(*) FROM environments")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((users, envs), (0, 0));
}
