//! The audit log (R-AUTH-4): appended with every change, listed with filters, never edited.

use crate::support::*;
use opsdeck_app::role::Role;
use sqlx::PgPool;

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn changes_are_audited_with_before_and_after_and_listed_with_filters(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let root = create_user(&pool, "root", &[Role::Admin]).await;
    let _ = root;
    let admin = app.signed_in("root").await;
    for i in 0..55 {
        let name = format!("user{i:02}");
        let res = app
            .rpc(
                &admin,
                "/rpc/admin/create_user",
                &[
                    ("username", &name),
                    ("display_name", ""),
                    ("password", "long-enough-pass"),
                    ("roles", "viewer"),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'user00'")
        .fetch_one(&pool)
        .await
        .unwrap();
    app.rpc(
        &admin,
        "/rpc/admin/set_roles",
        &[("user_id", &id.to_string()), ("roles", "finance")],
    )
    .await;

    let viewer_pool_user = create_user(&pool, "reader", &[Role::Viewer]).await;
    let _ = viewer_pool_user;
    let reader = app.signed_in("reader").await;
    let page = |p: &'static str, actor: &'static str, action: &'static str| {
        let app = &app;
        let reader = &reader;
        async move {
            let res = app
                .rpc(
                    reader,
                    "/rpc/audit/list",
                    &[("page", p), ("actor", actor), ("action", action)],
                )
                .await;
            assert_eq!(res.status(), 200);
            res.json::<serde_json::Value>().await.unwrap()
        }
    };
    let first = page("1", "root", "").await;
    assert_eq!(first["total"], 56);
    assert_eq!(first["rows"].as_array().unwrap().len(), 50);
    assert_eq!(first["rows"][0]["action"], "user.roles", "newest first");
    assert_eq!(first["rows"][0]["before"]["roles"][0], "viewer");
    assert_eq!(first["rows"][0]["after"]["roles"][0], "finance");
    let second = page("2", "root", "").await;
    assert_eq!(second["rows"].as_array().unwrap().len(), 6);
    let roles_only = page("1", "", "roles").await;
    assert_eq!(roles_only["total"], 1);
    let none = page("1", "", "50%_").await;
    assert_eq!(none["total"], 0, "LIKE wildcards are literal");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_database_refuses_to_edit_or_delete_audit_rows(pool: PgPool) {
    create_user(&pool, "root", &[Role::Admin]).await;
    let upd = sqlx::query("UPDATE audit_log SET action = 'x'")
        .execute(&pool)
        .await;
    assert!(upd.is_err());
    let del = sqlx::query("DELETE FROM audit_log").execute(&pool).await;
    assert!(del.is_err());
}
