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

/// Creates a token as `client` with the given form; answers (secret, id).
async fn token_as(app: &TestApp, client: &reqwest::Client, form: &[(&str, &str)]) -> (String, i64) {
    let res = app.rpc(client, "/rpc/tokens/create", form).await;
    assert_eq!(res.status(), 200);
    let v: serde_json::Value = res.json().await.unwrap();
    (
        v["secret"].as_str().unwrap().to_string(),
        v["row"]["id"].as_i64().unwrap(),
    )
}

/// The status and JSON body of `GET /api/v1/environments` with `secret`.
async fn environments_with(app: &TestApp, secret: &str) -> (u16, serde_json::Value) {
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/environments", app.url))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    if status == 401 {
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
    }
    (status, res.json().await.unwrap())
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn an_expired_token_is_refused_like_an_unknown_one(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "root", &[Role::Admin]).await;
    let admin = app.signed_in("root").await;
    let form = |name: &'static str| [("name", name), ("scopes", "deploy"), ("expires", "30")];
    let (live, _) = token_as(&app, &admin, &form("live")).await;
    let (stale, stale_id) = token_as(&app, &admin, &form("stale")).await;
    // Time passes for one of them.
    sqlx::query("UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE id = $1")
        .bind(stale_id)
        .execute(&pool)
        .await
        .unwrap();

    let (status, body) = environments_with(&app, &live).await;
    assert_eq!(status, 200, "{body}");
    let (status, expired_body) = environments_with(&app, &stale).await;
    assert_eq!(status, 401);
    let (_, unknown_body) = environments_with(&app, "odk_not-a-real-token").await;
    assert_eq!(
        expired_body, unknown_body,
        "same answer as an unknown token"
    );
    assert_eq!(expired_body["error"], "UNAUTHORIZED");

    // A refused token is not stamped as used.
    let used: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT last_used_at FROM api_tokens WHERE id = $1")
            .bind(stale_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(used, None);

    // The list shows the expiry and which token has expired.
    let list: serde_json::Value = app
        .rpc(&admin, "/rpc/tokens/list", &[])
        .await
        .json()
        .await
        .unwrap();
    let row = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(row("stale")["expired"], true);
    assert_eq!(row("live")["expired"], false);
    assert!(row("live")["expires_at"].is_string());
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn token_expiry_is_validated_and_audited(pool: PgPool) {
    use opsdeck_app::i18n::Msg;
    let app = spawn(pool.clone()).await;
    create_user(&pool, "root", &[Role::Admin]).await;
    let admin = app.signed_in("root").await;
    for (expires, msg) in [
        ("2020-01-01", Msg::ErrExpiryInPast),
        ("0", Msg::ErrExpiryInPast),
        ("soon", Msg::ErrExpiryFormat),
        ("3651", Msg::ErrExpiryTooFar),
    ] {
        let (status, err) = app_error(
            app.rpc(
                &admin,
                "/rpc/tokens/create",
                &[("name", "ci"), ("scopes", "deploy"), ("expires", expires)],
            )
            .await,
        )
        .await;
        assert_eq!(status, 422, "{expires}");
        assert_eq!(err.for_field("expires"), Some(msg), "{expires}: {err:?}");
    }
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM api_tokens")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0, "refused tokens are not created");

    // "never" and a missing expiry never expire; a date is kept; each is audited.
    let (_, never) = token_as(
        &app,
        &admin,
        &[("name", "n"), ("scopes", "deploy"), ("expires", "never")],
    )
    .await;
    let (_, missing) = token_as(&app, &admin, &[("name", "m"), ("scopes", "deploy")]).await;
    let next_year = (chrono::Utc::now() + chrono::Duration::days(400))
        .format("%Y-%m-%d")
        .to_string();
    let (_, dated) = token_as(
        &app,
        &admin,
        &[("name", "d"), ("scopes", "deploy"), ("expires", &next_year)],
    )
    .await;
    for (id, expect_expiry) in [(never, false), (missing, false), (dated, true)] {
        let stored: Option<chrono::DateTime<chrono::Utc>> =
            sqlx::query_scalar("SELECT expires_at FROM api_tokens WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(stored.is_some(), expect_expiry, "token {id}");
        let audited: serde_json::Value = sqlx::query_scalar(
            "SELECT after FROM audit_log WHERE action = 'token.create' AND target LIKE $1",
        )
        .bind(format!("token:{id}:%"))
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(
            audited["expires_at"].as_str().map(str::to_string),
            stored.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            "token {id}: {audited}"
        );
    }
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_disabled_users_tokens_are_listed_and_revoke_all_stops_them(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "root", &[Role::Admin]).await;
    let alice_id = create_user(&pool, "alice", &[Role::Admin]).await;
    let root = app.signed_in("root").await;
    let alice = app.signed_in("alice").await;
    let deploy = |name: &'static str| [("name", name), ("scopes", "deploy")];
    let (a1, a1_id) = token_as(&app, &alice, &deploy("a1")).await;
    let (a2, a2_id) = token_as(&app, &alice, &deploy("a2")).await;
    let (_, revoked_id) = token_as(&app, &alice, &deploy("a-revoked")).await;
    let (_, expired_id) = token_as(&app, &alice, &deploy("a-expired")).await;
    let (r1, _) = token_as(&app, &root, &deploy("r1")).await;
    let id = |i: i64| i.to_string();
    assert_eq!(
        app.rpc(&root, "/rpc/tokens/revoke", &[("id", &id(revoked_id))])
            .await
            .status(),
        200
    );
    sqlx::query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(expired_id)
        .execute(&pool)
        .await
        .unwrap();

    let res = app
        .rpc(
            &root,
            "/rpc/admin/set_disabled",
            &[("user_id", &id(alice_id)), ("disabled", "true")],
        )
        .await;
    assert_eq!(res.status(), 200);
    // Disabling alone does not stop her tokens: that is what the list is for.
    assert_eq!(environments_with(&app, &a1).await.0, 200);

    let alice_arg = id(alice_id);
    let user = [("user_id", alice_arg.as_str())];
    let listed: serde_json::Value = app
        .rpc(&root, "/rpc/tokens/active_of_user", &user)
        .await
        .json()
        .await
        .unwrap();
    let mut ids: Vec<i64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        vec![a1_id, a2_id],
        "only alice's live tokens: {listed}"
    );

    let res = app
        .rpc(&root, "/rpc/tokens/revoke_all_of_user", &user)
        .await;
    assert_eq!(res.status(), 200);
    let revoked: Vec<i64> = res.json().await.unwrap();
    assert_eq!(revoked, vec![a1_id, a2_id]);
    for secret in [&a1, &a2] {
        assert_eq!(environments_with(&app, secret).await.0, 401);
    }
    assert_eq!(
        environments_with(&app, &r1).await.0,
        200,
        "others' tokens work"
    );

    // Each revocation is audited; nothing is left to list or revoke.
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'token.revoke' AND after->>'all_of_user' = 'alice'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 2);
    let listed: serde_json::Value = app
        .rpc(&root, "/rpc/tokens/active_of_user", &user)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, serde_json::json!([]));
    let again: Vec<i64> = app
        .rpc(&root, "/rpc/tokens/revoke_all_of_user", &user)
        .await
        .json()
        .await
        .unwrap();
    assert!(again.is_empty());
    for path in [
        "/rpc/tokens/active_of_user",
        "/rpc/tokens/revoke_all_of_user",
    ] {
        let res = app.rpc(&root, path, &[("user_id", "999999")]).await;
        assert_eq!(res.status(), 404, "{path}");
    }
}
