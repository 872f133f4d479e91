//! Deploys from CI over real HTTP (R-DEP-2, R-DEP-3): the signed GitHub
//! webhook, `POST /api/v1/deploys` with its idempotency key, CI stages
//! through `PUT /api/v1/deploys/{id}/stages/{stage}` and reading a deploy
//! back. The scope checks of the token routes are in `route_matrix.rs`; the
//! webhook's "no bearer token, signature only" is checked here and there.

use crate::support::*;
use hmac::{Hmac, Mac};
use opsdeck::deploy_gate::{Environment, TriggerEvent, TriggerPolicy, TriggerRule};
use opsdeck_app::role::Role;
use opsdeck_app::store::audit::Actor;
use opsdeck_app::store::deploy_triggers::{self, TriggerSettingsError, TriggerSettingsProblem};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use sqlx::PgPool;

const SECRET: &str = "It's a Secret to Everybody";
const SHA: &str = "4f0b1e6a2c3d5e7f8091a2b3c4d5e6f708192a3b";
const SHA_MAIN: &str = "9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3";

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn set_trigger(pool: &PgPool, secret: Option<&str>, policy: TriggerPolicy) {
    deploy_triggers::save_trigger_settings(
        pool,
        secret.map(str::to_string),
        policy,
        &Actor {
            id: None,
            name: "root".into(),
        },
    )
    .await
    .unwrap();
}

/// Posts a GitHub delivery; `signature` `None` sends no signature header.
async fn deliver(
    app: &TestApp,
    event: &str,
    delivery: Option<&str>,
    body: &str,
    signature: Option<String>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/v1/webhooks/github", app.url))
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("user-agent", "GitHub-Hookshot/test")
        .body(body.to_string());
    if let Some(d) = delivery {
        req = req.header("x-github-delivery", d);
    }
    if let Some(s) = signature {
        req = req.header("x-hub-signature-256", s);
    }
    req.send().await.unwrap()
}

/// A correctly signed delivery.
async fn signed(app: &TestApp, event: &str, delivery: &str, body: &str) -> reqwest::Response {
    deliver(
        app,
        event,
        Some(delivery),
        body,
        Some(sign(SECRET, body.as_bytes())),
    )
    .await
}

fn push(git_ref: &str, after: &str) -> String {
    json!({
        "ref": git_ref,
        "before": "0000000000000000000000000000000000000000",
        "after": after,
        "created": false,
        "deleted": false,
        "repository": {"full_name": "acme/shop"},
        "pusher": {"name": "alice", "email": "alice@example.com"},
        "sender": {"login": "alice", "id": 1},
        "head_commit": {"id": after, "message": "Fix checkout"},
    })
    .to_string()
}

fn release(action: &str, tag: &str) -> String {
    json!({
        "action": action,
        "release": {"tag_name": tag, "target_commitish": "main", "name": tag},
        "repository": {"full_name": "acme/shop"},
        "sender": {"login": "bob"},
    })
    .to_string()
}

async fn deploy_ids(res: reqwest::Response) -> Vec<i64> {
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    v["deploys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_i64().unwrap())
        .collect()
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// (environment, version, commit, ref, source, requested_by, idempotency key, release id).
type DeployRecord = (
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<i64>,
);

async fn deploy_row(pool: &PgPool, id: i64) -> DeployRecord {
    sqlx::query_as(
        "SELECT environment, version, commit_sha, ref_name, source, requested_by, idempotency_key, release_id \
         FROM deploys WHERE id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// An app with a signed-in admin `root` and a `deploy` token named `ci`.
async fn app_with_token(pool: &PgPool) -> (TestApp, String) {
    let app = spawn(pool.clone()).await;
    create_user(pool, "root", &[Role::Admin]).await;
    let admin = app.signed_in("root").await;
    let res = app
        .rpc(
            &admin,
            "/rpc/tokens/create",
            &[("name", "ci"), ("scopes", "deploy")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    (app, v["secret"].as_str().unwrap().to_string())
}

// ---------------------------------------------------------------- webhook

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_2_webhook_refuses_unsigned_wrong_and_unconfigured(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let body = push("refs/heads/develop", SHA);

    // No secret configured yet: even a "signed" delivery is refused.
    let res = signed(&app, "push", "d-0", &body).await;
    assert_eq!(res.status(), 401);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"], "UNAUTHORIZED");

    set_trigger(&pool, Some(SECRET), TriggerPolicy::default()).await;
    let missing = deliver(&app, "push", Some("d-1"), &body, None).await;
    assert_eq!(missing.status(), 401);
    let wrong_key = deliver(
        &app,
        "push",
        Some("d-2"),
        &body,
        Some(sign("not the secret", body.as_bytes())),
    )
    .await;
    assert_eq!(wrong_key.status(), 401);
    // Signed, then the body changed on the way.
    let tampered = deliver(
        &app,
        "push",
        Some("d-3"),
        &push("refs/heads/main", SHA),
        Some(sign(SECRET, body.as_bytes())),
    )
    .await;
    assert_eq!(tampered.status(), 401);
    let garbage = deliver(
        &app,
        "push",
        Some("d-4"),
        &body,
        Some("sha256=nothex".into()),
    )
    .await;
    assert_eq!(garbage.status(), 401);
    // A bearer token is no substitute for the signature.
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/webhooks/github", app.url))
        .bearer_auth("odk_whatever")
        .header("x-github-event", "push")
        .header("x-github-delivery", "d-5")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    assert_eq!(count(&pool, "SELECT count(*) FROM deploys").await, 0);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM webhook_deliveries WHERE outcome = 'bad_signature'"
        )
        .await,
        6
    );
    let refusals: Vec<Value> = sqlx::query_scalar(
        "SELECT after FROM audit_log WHERE action = 'webhook.github.refused' AND actor = 'system' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let reasons: Vec<&str> = refusals
        .iter()
        .map(|a| a["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "no_secret",
            "missing_signature",
            "wrong_signature",
            "wrong_signature",
            "wrong_signature",
            "missing_signature"
        ]
    );
    assert_eq!(refusals[1]["delivery"], "d-1");
    // Neither the secret nor the body is kept anywhere in the log.
    let log: String =
        sqlx::query_scalar("SELECT string_agg(coalesce(after::text, ''), ' ') FROM audit_log")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!log.contains(SECRET) && !log.contains(SHA), "{log}");

    // The right signature goes through.
    let ids = deploy_ids(signed(&app, "push", "d-6", &body).await).await;
    assert_eq!(ids.len(), 1);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_2_ping_is_answered(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    set_trigger(&pool, Some(SECRET), TriggerPolicy::default()).await;
    let body = json!({"zen": "Keep it logically awesome.", "hook_id": 1}).to_string();
    assert_eq!(
        deploy_ids(signed(&app, "ping", "p-1", &body).await).await,
        Vec::<i64>::new()
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM webhook_deliveries WHERE delivery_id = 'p-1' AND outcome = 'ignored' AND event = 'ping'"
        )
        .await,
        1
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_2_pushes_deploy_by_the_mapping(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    set_trigger(&pool, Some(SECRET), TriggerPolicy::default()).await;

    let dev = deploy_ids(signed(&app, "push", "g-1", &push("refs/heads/develop", SHA)).await).await;
    assert_eq!(dev.len(), 1);
    assert_eq!(
        deploy_row(&pool, dev[0]).await,
        (
            "development".into(),
            SHA[..7].to_string(),
            SHA.to_string(),
            Some("develop".into()),
            "github".into(),
            "github:alice".into(),
            Some("g-1:development".into()),
            None
        )
    );

    let main =
        deploy_ids(signed(&app, "push", "g-2", &push("refs/heads/main", SHA_MAIN)).await).await;
    assert_eq!(main.len(), 1);
    let row = deploy_row(&pool, main[0]).await;
    assert_eq!((row.0.as_str(), row.2.as_str()), ("staging", SHA_MAIN));

    // A tag push, an unmapped branch and a deleted branch deploy nothing.
    assert!(
        deploy_ids(signed(&app, "push", "g-3", &push("refs/tags/v1.0.0", SHA)).await)
            .await
            .is_empty()
    );
    assert!(
        deploy_ids(signed(&app, "push", "g-4", &push("refs/heads/feature/x", SHA)).await)
            .await
            .is_empty()
    );
    let mut deleted: Value = serde_json::from_str(&push("refs/heads/develop", SHA)).unwrap();
    deleted["deleted"] = json!(true);
    deleted["after"] = json!("0000000000000000000000000000000000000000");
    assert!(
        deploy_ids(signed(&app, "push", "g-5", &deleted.to_string()).await)
            .await
            .is_empty()
    );
    // An event that is no trigger at all.
    assert!(
        deploy_ids(signed(&app, "issues", "g-6", r#"{"action":"opened"}"#).await)
            .await
            .is_empty()
    );

    assert_eq!(count(&pool, "SELECT count(*) FROM deploys").await, 2);
    // The request is audited by the deploy store, under the GitHub login.
    assert!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE actor = 'github:alice'"
        )
        .await
            >= 2
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_2_release_published_deploys_production(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    set_trigger(&pool, Some(SECRET), TriggerPolicy::default()).await;
    let release_id: i64 = sqlx::query_scalar(
        "INSERT INTO releases (version, major, minor, patch, kind, planned_date, created_by) \
         VALUES ('1.4.0', 1, 4, 0, 'minor', '2026-12-01', 'test') RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();

    // Other release actions are not triggers.
    assert!(
        deploy_ids(signed(&app, "release", "r-0", &release("created", "v1.4.0")).await)
            .await
            .is_empty()
    );
    let ids =
        deploy_ids(signed(&app, "release", "r-1", &release("published", "v1.4.0")).await).await;
    assert_eq!(ids.len(), 1);
    let row = deploy_row(&pool, ids[0]).await;
    assert_eq!(row.0, "production");
    // The leading v is dropped so the deploy names opsdeck's release.
    assert_eq!(row.1, "1.4.0");
    assert_eq!(row.3.as_deref(), Some("v1.4.0"));
    assert_eq!(row.5, "github:bob");
    assert_eq!(row.7, Some(release_id));
    // target_commitish was a branch name, not a commit.
    assert_eq!(row.2, "");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_2_the_same_delivery_twice_deploys_once(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    // Two rules for main: the redelivery must not add either.
    set_trigger(
        &pool,
        Some(SECRET),
        TriggerPolicy {
            rules: vec![
                TriggerRule {
                    event: TriggerEvent::Push {
                        branch: "main".into(),
                    },
                    environment: Environment::Staging,
                },
                TriggerRule {
                    event: TriggerEvent::Push {
                        branch: "main".into(),
                    },
                    environment: Environment::Development,
                },
            ],
        },
    )
    .await;
    let body = push("refs/heads/main", SHA_MAIN);
    let first = deploy_ids(signed(&app, "push", "same-1", &body).await).await;
    let again = deploy_ids(signed(&app, "push", "same-1", &body).await).await;
    assert_eq!(first.len(), 2);
    assert_eq!(first, again);
    assert_eq!(count(&pool, "SELECT count(*) FROM deploys").await, 2);
    let outcomes: Vec<String> = sqlx::query_scalar(
        "SELECT outcome FROM webhook_deliveries WHERE delivery_id = 'same-1' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(outcomes, ["accepted", "duplicate"]);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_2_a_changed_mapping_applies_to_the_next_delivery(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    set_trigger(&pool, Some(SECRET), TriggerPolicy::default()).await;
    assert_eq!(
        deploy_ids(signed(&app, "push", "m-1", &push("refs/heads/develop", SHA)).await)
            .await
            .len(),
        1
    );
    // develop no longer deploys; release/* branches go to Staging. The secret is kept.
    set_trigger(
        &pool,
        None,
        TriggerPolicy {
            rules: vec![TriggerRule {
                event: TriggerEvent::Push {
                    branch: "release/2.0".into(),
                },
                environment: Environment::Staging,
            }],
        },
    )
    .await;
    assert!(
        deploy_ids(signed(&app, "push", "m-2", &push("refs/heads/develop", SHA)).await)
            .await
            .is_empty()
    );
    let ids =
        deploy_ids(signed(&app, "push", "m-3", &push("refs/heads/release/2.0", SHA)).await).await;
    assert_eq!(ids.len(), 1);
    assert_eq!(deploy_row(&pool, ids[0]).await.0, "staging");
    // Nothing maps release published any more.
    assert!(
        deploy_ids(signed(&app, "release", "m-4", &release("published", "2.0.0")).await)
            .await
            .is_empty()
    );

    let view = deploy_triggers::trigger_settings(&pool).await.unwrap();
    assert!(view.secret_set);
    assert_eq!(
        view.rules,
        vec![("push release/2.0".to_string(), Environment::Staging)]
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_2_a_signed_but_unreadable_body_is_400(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    set_trigger(&pool, Some(SECRET), TriggerPolicy::default()).await;
    let res = signed(&app, "push", "x-1", "{not json").await;
    assert_eq!(res.status(), 400);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"], "BAD_REQUEST");
    // JSON, but not a push.
    assert_eq!(
        signed(&app, "push", "x-2", r#"{"ref": 3}"#).await.status(),
        400
    );
    // A form-encoded delivery (the webhook's other content type).
    let form = format!("payload={}", push("refs/heads/develop", SHA));
    assert_eq!(signed(&app, "push", "x-3", &form).await.status(), 400);
    // Signed, but without a delivery id nothing can be made idempotent.
    let body = push("refs/heads/develop", SHA);
    let res = deliver(
        &app,
        "push",
        None,
        &body,
        Some(sign(SECRET, body.as_bytes())),
    )
    .await;
    assert_eq!(res.status(), 400);
    assert_eq!(count(&pool, "SELECT count(*) FROM deploys").await, 0);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM webhook_deliveries WHERE outcome = 'malformed'"
        )
        .await,
        4
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_2_trigger_settings_are_checked_and_audited_without_the_secret(pool: PgPool) {
    let actor = Actor::system();
    let bad_branch = TriggerPolicy {
        rules: vec![TriggerRule {
            event: TriggerEvent::Push {
                branch: "refs/heads/main".into(),
            },
            environment: Environment::Staging,
        }],
    };
    assert!(matches!(
        deploy_triggers::save_trigger_settings(&pool, None, bad_branch, &actor).await,
        Err(TriggerSettingsError::Invalid(
            TriggerSettingsProblem::BranchInvalid(_)
        ))
    ));
    assert!(matches!(
        deploy_triggers::save_trigger_settings(
            &pool,
            Some("   ".into()),
            TriggerPolicy::default(),
            &actor
        )
        .await,
        Err(TriggerSettingsError::Invalid(
            TriggerSettingsProblem::SecretEmpty
        ))
    ));
    assert!(
        !deploy_triggers::trigger_settings(&pool)
            .await
            .unwrap()
            .secret_set
    );
    deploy_triggers::save_trigger_settings(
        &pool,
        Some(format!(" {SECRET}\n")),
        TriggerPolicy::default(),
        &actor,
    )
    .await
    .unwrap();
    let stored: Option<String> =
        sqlx::query_scalar("SELECT github_secret FROM deploy_trigger_settings")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored.as_deref(), Some(SECRET), "trimmed");
    let view = deploy_triggers::trigger_settings(&pool).await.unwrap();
    assert!(view.secret_set);
    assert_eq!(
        view.rules,
        vec![
            ("push develop".to_string(), Environment::Development),
            ("push main".to_string(), Environment::Staging),
            ("release published".to_string(), Environment::Production),
        ]
    );
    let (before, after): (Value, Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'deploy.trigger_settings'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(before["secret_set"], false);
    assert_eq!(after["secret_set"], true);
    assert_eq!(after["secret_changed"], true);
    assert!(!after.to_string().contains(SECRET));
}

// ---------------------------------------------------------------- POST /api/v1/deploys

async fn post_deploy(
    app: &TestApp,
    token: &str,
    key: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/v1/deploys", app.url))
        .bearer_auth(token)
        .json(body);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    req.send().await.unwrap()
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_2_ci_requests_deploys_idempotently(pool: PgPool) {
    let (app, token) = app_with_token(&pool).await;
    let body =
        json!({"environment": "staging", "version": "1.4.0", "commit_sha": SHA, "ref": "main"});

    // Without a key every request is a new deploy.
    let a = post_deploy(&app, &token, None, &body).await;
    assert_eq!(a.status(), StatusCode::CREATED);
    let a: Value = a.json().await.unwrap();
    let b: Value = post_deploy(&app, &token, None, &body)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(a["id"], b["id"]);
    assert_eq!(a["environment"], "staging");
    assert_eq!(a["version"], "1.4.0");
    assert_eq!(a["commit_sha"], SHA);
    assert_eq!(a["ref"], "main");
    assert_eq!(a["source"], "api");
    assert_eq!(a["requested_by"], "token:ci");
    assert_eq!(a["state"], "requested");
    assert!(a["stages"].is_array());

    // With a key: 201 the first time, 200 with the same deploy after.
    let first = post_deploy(&app, &token, Some("build-77"), &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = post_deploy(&app, &token, Some("build-77"), &body).await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["id"], again["id"]);
    assert_eq!(count(&pool, "SELECT count(*) FROM deploys").await, 3);
    let key: Option<String> =
        sqlx::query_scalar("SELECT idempotency_key FROM deploys WHERE id = $1")
            .bind(first["id"].as_i64().unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(key.as_deref(), Some("build-77"));

    // The same key for another deploy is a conflict, not a silent answer.
    let other = json!({"environment": "production", "version": "1.4.0"});
    let res = post_deploy(&app, &token, Some("build-77"), &other).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(count(&pool, "SELECT count(*) FROM deploys").await, 3);

    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE action = 'deploy.request' AND actor = 'token:ci'"
        )
        .await,
        3,
        "each created deploy is audited once, under the token's name"
    );
}

async fn invalid_field(res: reqwest::Response) -> (String, String) {
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"], "INVALID");
    (
        v["field"].as_str().unwrap().to_string(),
        v["errors"][0]["problem"].as_str().unwrap().to_string(),
    )
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_2_deploy_requests_name_the_bad_field(pool: PgPool) {
    let (app, token) = app_with_token(&pool).await;
    let cases: Vec<(Value, Option<&str>, &str, &str)> = vec![
        (
            json!({"environment": "qa", "version": "1.0.0"}),
            None,
            "environment",
            "unknown_environment",
        ),
        (json!({"version": "1.0.0"}), None, "environment", "missing"),
        (
            json!({"environment": "staging", "version": ""}),
            None,
            "version",
            "empty",
        ),
        (
            json!({"environment": "staging", "version": "  "}),
            None,
            "version",
            "empty",
        ),
        (
            json!({"environment": "staging"}),
            None,
            "version",
            "missing",
        ),
        (
            json!({"environment": "staging", "version": "1".repeat(101)}),
            None,
            "version",
            "too_long",
        ),
        (
            json!({"environment": "staging", "version": "1.0 beta"}),
            None,
            "version",
            "not_a_version",
        ),
        (
            json!({"environment": "staging", "version": 1}),
            None,
            "version",
            "not_a_string",
        ),
        (
            json!({"environment": "staging", "version": "1.0.0", "commit_sha": "not-hex!"}),
            None,
            "commit_sha",
            "not_hex",
        ),
        (
            json!({"environment": "staging", "version": "1.0.0", "commit_sha": "abc"}),
            None,
            "commit_sha",
            "not_hex",
        ),
        (
            json!({"environment": "staging", "version": "1.0.0", "ref": ""}),
            None,
            "ref",
            "empty",
        ),
        (json!([]), None, "body", "not_an_object"),
        (
            json!({"environment": "staging", "version": "1.0.0"}),
            Some("has space"),
            "Idempotency-Key",
            "not_a_key",
        ),
    ];
    for (body, key, field, problem) in cases {
        let res = post_deploy(&app, &token, key, &body).await;
        assert_eq!(
            invalid_field(res).await,
            (field.to_string(), problem.to_string()),
            "{body}"
        );
    }
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/deploys", app.url))
        .bearer_auth(&token)
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(
        invalid_field(res).await,
        ("body".to_string(), "not_an_object".to_string())
    );
    // Every problem is listed, not only the first.
    let res = post_deploy(
        &app,
        &token,
        None,
        &json!({"environment": "qa", "version": ""}),
    )
    .await;
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["errors"].as_array().unwrap().len(), 2);
    assert_eq!(count(&pool, "SELECT count(*) FROM deploys").await, 0);
}

// ---------------------------------------------------------------- stages

async fn put_stage(
    app: &TestApp,
    token: &str,
    id: &str,
    stage: &str,
    body: &Value,
) -> reqwest::Response {
    reqwest::Client::new()
        .put(format!("{}/api/v1/deploys/{id}/stages/{stage}", app.url))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn new_deploy(app: &TestApp, token: &str) -> i64 {
    let res = post_deploy(
        app,
        token,
        None,
        &json!({"environment": "development", "version": "1.0.0"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.unwrap();
    v["id"].as_i64().unwrap()
}

fn stage<'v>(view: &'v Value, name: &str) -> &'v Value {
    view["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == name)
        .unwrap_or_else(|| panic!("no stage {name} in {view}"))
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_3_ci_reports_stages(pool: PgPool) {
    let (app, token) = app_with_token(&pool).await;
    let id = new_deploy(&app, &token).await;
    let sid = id.to_string();

    let res = put_stage(
        &app,
        &token,
        &sid,
        "checkout",
        &json!({"status": "success", "started_at": "2026-12-01T10:00:00Z", "finished_at": "2026-12-01T10:00:05+00:00",
                "log_url": "https://ci.example.com/runs/1#checkout"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["id"], id);
    let checkout = stage(&v, "checkout");
    assert_eq!(checkout["status"], "success");
    assert_eq!(checkout["started_at"], "2026-12-01T10:00:00Z");
    assert_eq!(checkout["finished_at"], "2026-12-01T10:00:05Z");
    assert_eq!(
        checkout["log_url"],
        "https://ci.example.com/runs/1#checkout"
    );

    // running without times: started now; then success: finished now, start kept.
    let v: Value = put_stage(&app, &token, &sid, "test", &json!({"status": "running"}))
        .await
        .json()
        .await
        .unwrap();
    let started = stage(&v, "test")["started_at"].clone();
    assert!(started.is_string());
    assert!(stage(&v, "test")["finished_at"].is_null());
    let v: Value = put_stage(&app, &token, &sid, "test", &json!({"status": "success"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stage(&v, "test")["started_at"], started);
    assert!(stage(&v, "test")["finished_at"].is_string());
    assert_eq!(stage(&v, "install")["status"], "pending");

    // GET answers the same, in pipeline order.
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/deploys/{id}", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let got: Value = res.json().await.unwrap();
    let order: Vec<&str> = got["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["checkout", "install", "test", "build", "deploy"]);
    assert_eq!(got["state"], "requested");
    assert_eq!(stage(&got, "test"), stage(&v, "test"));

    // Each report is audited with the token's name.
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE action = 'deploy.stage' AND actor = 'token:ci'"
        )
        .await,
        3
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_3_bad_stage_reports_are_refused(pool: PgPool) {
    let (app, token) = app_with_token(&pool).await;
    let id = new_deploy(&app, &token).await.to_string();
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "lint",
            json!({"status": "success"}),
            "stage",
            "unknown_stage",
        ),
        (
            "build",
            json!({"status": "done"}),
            "status",
            "unknown_status",
        ),
        ("build", json!({}), "status", "missing"),
        (
            "build",
            json!({"status": "running", "started_at": "yesterday"}),
            "started_at",
            "not_a_time",
        ),
        (
            "build",
            json!({"status": "success", "started_at": "2026-12-01T10:00:00Z", "finished_at": "2026-12-01T09:59:59Z"}),
            "finished_at",
            "ends_before_start",
        ),
        (
            "build",
            json!({"status": "running", "log_url": "javascript:alert(1)"}),
            "log_url",
            "not_http_url",
        ),
        (
            "build",
            json!({"status": "running", "log_url": "ftp://ci.example.com/1"}),
            "log_url",
            "not_http_url",
        ),
        ("build", json!("running"), "body", "not_an_object"),
    ];
    for (name, body, field, problem) in cases {
        let res = put_stage(&app, &token, &id, name, &body).await;
        assert_eq!(
            invalid_field(res).await,
            (field.to_string(), problem.to_string()),
            "{name} {body}"
        );
    }
    // A finish before the start stored earlier is refused too.
    let res = put_stage(
        &app,
        &token,
        &id,
        "build",
        &json!({"status": "running", "started_at": "2026-12-01T10:00:00Z"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = put_stage(
        &app,
        &token,
        &id,
        "build",
        &json!({"status": "failed", "finished_at": "2026-12-01T09:00:00Z"}),
    )
    .await;
    assert_eq!(
        invalid_field(res).await,
        ("finished_at".to_string(), "ends_before_start".to_string())
    );
    // Unknown deploys are 404, for the stage route and for reading.
    for missing in ["999999", "abc"] {
        let res = put_stage(
            &app,
            &token,
            missing,
            "build",
            &json!({"status": "running"}),
        )
        .await;
        assert_eq!(res.status(), 404, "{missing}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["error"], "NOT_FOUND");
        let res = reqwest::Client::new()
            .get(format!("{}/api/v1/deploys/{missing}", app.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
    }
    // Only the one good report changed anything.
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE action = 'deploy.stage'"
        )
        .await,
        1
    );
    let status: String = sqlx::query_scalar(
        "SELECT status FROM deploy_stages WHERE deploy_id = $1 AND stage = 'build'",
    )
    .bind(id.parse::<i64>().unwrap())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(status, "running");
}

// ---------------------------------------------------------------- settings page

/// The admin's trigger settings through the server functions the settings
/// page uses: the secret is write-only (never answered), a blank secret keeps
/// the current one, the mapping is written one rule a line and a line that
/// does not read is refused with nothing changed; the new mapping and secret
/// are what the webhook then honours.
#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn r_dep_2_admins_set_the_secret_and_mapping_on_the_settings_page(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "root", &[Role::Admin]).await;
    let admin = app.signed_in("root").await;
    let load = |client: reqwest::Client| {
        let app = &app;
        async move {
            let res = app.rpc(&client, "/rpc/deploys/trigger_settings", &[]).await;
            assert_eq!(res.status(), 200);
            res.text().await.unwrap()
        }
    };
    let before = load(admin.clone()).await;
    assert!(before.contains("\"secret_set\":false"), "{before}");

    let res = app
        .rpc(
            &admin,
            "/rpc/deploys/save_trigger_settings",
            &[
                ("secret", SECRET),
                ("rules", "push trunk production\nrelease production"),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let after = load(admin.clone()).await;
    assert!(after.contains("\"secret_set\":true"), "{after}");
    assert!(!after.contains(SECRET), "the secret is never answered");
    assert!(after.contains("push trunk"), "{after}");

    // A line that does not read: refused, nothing changed.
    let res = app
        .rpc(
            &admin,
            "/rpc/deploys/save_trigger_settings",
            &[("secret", ""), ("rules", "push main\nrelease production")],
        )
        .await;
    let (status, err) = app_error(res).await;
    assert_eq!(status, 422);
    assert!(err.for_field("rules").is_some(), "{err:?}");
    assert_eq!(load(admin.clone()).await, after);

    // The webhook follows the saved mapping with the saved secret.
    let res = signed(&app, "push", "settings-1", &push("refs/heads/trunk", SHA)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let ids = deploy_ids(res).await;
    assert_eq!(ids.len(), 1);
    assert_eq!(
        count(
            &pool,
            &format!(
                "SELECT count(*) FROM deploys WHERE id = {} AND environment = 'production'",
                ids[0]
            )
        )
        .await,
        1
    );
    // A blank secret on the next save keeps it.
    let res = app
        .rpc(
            &admin,
            "/rpc/deploys/save_trigger_settings",
            &[("secret", ""), ("rules", "push main staging")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = signed(
        &app,
        "push",
        "settings-2",
        &push("refs/heads/main", SHA_MAIN),
    )
    .await;
    assert_eq!(deploy_ids(res).await.len(), 1);
}
