//! The HTTP edge: sign-in redirects, 404 pages, body limits, CSRF origin checks, SSR.

use crate::support::*;
use opsdeck_app::role::Role;
use sqlx::PgPool;

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn pages_send_anonymous_visitors_to_login_and_back(pool: PgPool) {
    let app = spawn(pool).await;
    let res = app.get(&browser(), "/").await;
    assert_eq!(res.status(), 303, "the overview too");
    let res = app.get(&browser(), "/audit?page=2").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login?next=/audit%3Fpage%3D2");
    let login = app.get(&browser(), "/login").await;
    assert_eq!(login.status(), 200);
    let html = login.text().await.unwrap();
    assert!(html.contains("name=\"password\""), "server-rendered form");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn signed_in_pages_render_on_the_server(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let c = app.signed_in("alice").await;
    let res = app.get(&c, "/").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("opsdeck"), "{html}");
    assert!(html.contains("/pkg/opsdeck"), "hydration script is linked");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn unknown_routes_get_a_404_page(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let c = app.signed_in("alice").await;
    let res = app.get(&c, "/no/such/page").await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("not-found"));
    // Anonymous visitors get the same 404, not a detour through login.
    let res = app.get(&browser(), "/no/such/page").await;
    assert_eq!(res.status(), 404);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn oversized_bodies_get_413(pool: PgPool) {
    let app = spawn(pool).await;
    let big = "x".repeat(opsdeck_server::web::BODY_LIMIT_BYTES + 1);
    let res = browser()
        .post(format!("{}/rpc/auth/login", app.url))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn cross_site_posts_are_refused_r_auth_5(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "root", &[Role::Admin]).await;
    let admin = app.signed_in("root").await;
    let res = admin
        .post(format!("{}/rpc/tokens/create", app.url))
        .header("origin", "https://evil.example")
        .form(&[("name", "x"), ("scopes", "deploy")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM api_tokens")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn language_switch_sets_a_cookie_and_returns(pool: PgPool) {
    let app = spawn(pool).await;
    let res = app.get(&browser(), "/lang/ja?next=/login").await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/login");
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("opsdeck_lang=ja"));
    let html = reqwest::Client::new()
        .get(format!("{}/login", app.url))
        .header("cookie", "opsdeck_lang=ja")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("lang=\"ja\"") && html.contains("ログイン"),
        "{html}"
    );
    let res = app.get(&browser(), "/lang/xx?next=//evil.example").await;
    assert_eq!(res.status(), 404);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn responses_carry_a_request_id(pool: PgPool) {
    let app = spawn(pool).await;
    let res = app.get(&browser(), "/health").await;
    assert!(res.headers().get("x-request-id").is_some());
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn unreadable_server_function_arguments_get_400_not_500(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "root", &[Role::Admin]).await;
    let admin = app.signed_in("root").await;
    let res = app
        .rpc(
            &admin,
            "/rpc/admin/set_disabled",
            &[("user_id", "abc"), ("disabled", "maybe")],
        )
        .await;
    assert_eq!(res.status(), 400);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn behind_a_proxy_the_public_origin_is_checked(pool: PgPool) {
    let app = spawn_with(
        pool.clone(),
        &[("OPSDECK_PUBLIC_URL", "https://ops.example.com")],
    )
    .await;
    create_user(&pool, "root", &[Role::Admin]).await;
    let admin = app.signed_in("root").await;
    let post = |origin: &'static str| {
        admin
            .post(format!("{}/rpc/tokens/list", app.url))
            .header("origin", origin)
            .send()
    };
    assert_eq!(post("https://ops.example.com").await.unwrap().status(), 200);
    assert_eq!(post("https://evil.example").await.unwrap().status(), 403);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn behind_a_trusted_proxy_addresses_come_from_x_forwarded_for(pool: PgPool) {
    let app = spawn_with(pool.clone(), &[("OPSDECK_TRUST_PROXY", "true")]).await;
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let guess = |addr: &'static str, user: String| {
        browser()
            .post(format!("{}/rpc/auth/login", app.url))
            .header("x-forwarded-for", addr)
            .form(&[
                ("username", user),
                ("password", "wrong".to_string()),
                ("next", "/".to_string()),
            ])
            .send()
    };
    for i in 0..20 {
        assert_eq!(
            guess("203.0.113.7", format!("guess{i}"))
                .await
                .unwrap()
                .status(),
            401
        );
    }
    // That address is now throttled; another client behind the same proxy is not.
    assert_eq!(
        guess("203.0.113.7", "alice".into()).await.unwrap().status(),
        429
    );
    let ok = browser()
        .post(format!("{}/rpc/auth/login", app.url))
        .header("x-forwarded-for", "198.51.100.1")
        .form(&[
            ("username", "alice"),
            ("password", &password_of("alice")),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}
