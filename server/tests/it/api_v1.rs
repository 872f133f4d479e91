//! The machine API and its tokens (R-AUTH-3).

use crate::support::*;
use opsdeck_app::role::Role;
use sqlx::PgPool;

async fn admin_token(app: &TestApp, scopes: &str) -> (String, i64) {
    let admin = app.signed_in("root").await;
    let res = app
        .rpc(
            &admin,
            "/rpc/tokens/create",
            &[("name", "ci"), ("scopes", scopes)],
        )
        .await;
    assert_eq!(res.status(), 200);
    let v: serde_json::Value = res.json().await.unwrap();
    (
        v["secret"].as_str().unwrap().to_string(),
        v["row"]["id"].as_i64().unwrap(),
    )
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn tokens_authenticate_by_scope_and_are_hashed_at_rest(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "root", &[Role::Admin]).await;
    let (deploy, _) = admin_token(&app, "deploy").await;
    let (ingest, _) = admin_token(&app, "ingest,backup").await;
    assert!(deploy.starts_with("odk_"));
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/environments", app.url);

    let res = http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "UNAUTHORIZED");

    let res = http
        .get(&url)
        .bearer_auth("odk_not-a-real-token")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let res = http.get(&url).bearer_auth(&ingest).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "FORBIDDEN");

    let res = http.get(&url).bearer_auth(&deploy).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body["environments"].is_array());

    // Only a SHA-256 is stored; the last use is stamped.
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT token_hash FROM api_tokens")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(stored
        .iter()
        .all(|h| h.len() == 32 && !String::from_utf8_lossy(h).contains("odk_")));
    let used: i64 =
        sqlx::query_scalar("SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(used, 2, "both tokens were presented once");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn revoked_tokens_stop_working_and_listing_never_shows_secrets(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "root", &[Role::Admin]).await;
    let (secret, id) = admin_token(&app, "deploy").await;
    let admin = app.signed_in("root").await;
    let list = app
        .rpc(&admin, "/rpc/tokens/list", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(!list.contains(&secret));
    assert_eq!(
        app.rpc(&admin, "/rpc/tokens/revoke", &[("id", &id.to_string())])
            .await
            .status(),
        200
    );
    assert_eq!(
        app.rpc(&admin, "/rpc/tokens/revoke", &[("id", &id.to_string())])
            .await
            .status(),
        404
    );
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/environments", app.url))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_token_in_the_query_string_is_refused(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "root", &[Role::Admin]).await;
    let (secret, _) = admin_token(&app, "deploy").await;
    let res = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/environments?access_token={secret}",
            app.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "TOKEN_IN_QUERY");
    // Encoded keys and routes that need no token are covered too.
    for path in [
        "/api/v1/environments?access%5Ftoken=x",
        "/api/v1/maintenance?TOKEN=x",
    ] {
        let res = reqwest::get(format!("{}{path}", app.url)).await.unwrap();
        assert_eq!(res.status(), 400, "{path}");
    }
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn unknown_api_routes_answer_json_404(pool: PgPool) {
    let app = spawn(pool).await;
    let res = reqwest::get(format!("{}/api/v1/nope", app.url))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "NOT_FOUND");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn token_scopes_are_validated(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "root", &[Role::Admin]).await;
    let admin = app.signed_in("root").await;
    let (status, err) = app_error(
        app.rpc(
            &admin,
            "/rpc/tokens/create",
            &[("name", ""), ("scopes", "root")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        err.for_field("name").is_some() && err.for_field("scopes").is_some(),
        "{err:?}"
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn refusals_from_layers_are_json_too(pool: PgPool) {
    let app = spawn(pool).await;
    let http = reqwest::Client::new();
    let big = "x".repeat(opsdeck_server::web::BODY_LIMIT_BYTES + 1);
    let res = http
        .post(format!("{}/api/v1/environments", app.url))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "PAYLOAD_TOO_LARGE");
    let res = http
        .post(format!("{}/api/v1/maintenance", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "METHOD_NOT_ALLOWED");
}
