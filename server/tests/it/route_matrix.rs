//! Every machine route × every token scope (R-AUTH-3): no token → 401, a token
//! without the route's scope → 403, the right scope → 2xx; public routes
//! answer anyone. A new route under `/api/v1` gets a row here, as every server
//! function has one in `role_matrix.rs`.

use crate::support::*;
use opsdeck_app::role::Role;
use sqlx::PgPool;

/// (method, path, scope the route needs; `None` = public). `{deploy}` is the
/// id of a deploy the test creates first.
const ROUTES: &[(&str, &str, Option<&str>)] = &[
    ("GET", "/api/v1/maintenance", None),
    ("GET", "/api/v1/environments", Some("deploy")),
    ("POST", "/api/v1/backups", Some("backup")),
    ("POST", "/api/v1/deploys", Some("deploy")),
    ("GET", "/api/v1/deploys/{deploy}", Some("deploy")),
    (
        "PUT",
        "/api/v1/deploys/{deploy}/stages/test",
        Some("deploy"),
    ),
    ("POST", "/api/v1/metrics", Some("ingest")),
];

/// JSON bodies of the routes that need one to succeed (a replay of the same
/// report is 200, so the route answers 2xx every time).
const BODIES: &[(&str, &str)] = &[
    (
        "/api/v1/backups",
        r#"{"target":"database","kind":"full","run_id":"route-matrix","started_at":"2026-01-01T00:00:00Z","finished_at":"2026-01-01T00:05:00Z","outcome":"ok"}"#,
    ),
    (
        "/api/v1/deploys",
        r#"{"environment":"development","version":"1.0.0"}"#,
    ),
    (
        "/api/v1/deploys/{deploy}/stages/test",
        r#"{"status":"running"}"#,
    ),
    // An empty batch (no timestamps, which would age out of the accepted
    // window): a valid, committed no-op.
    (
        "/api/v1/metrics",
        r#"{"environment":"development","source":"route-matrix","samples":[],"requests":[]}"#,
    ),
];

const SCOPES: &[&str] = &["ingest", "deploy", "backup"];

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn every_machine_route_checks_its_scope_r_auth_3(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "root", &[Role::Admin]).await;
    let admin = app.signed_in("root").await;
    let mut tokens = Vec::new();
    for scope in SCOPES {
        let res = app
            .rpc(
                &admin,
                "/rpc/tokens/create",
                &[("name", scope), ("scopes", scope)],
            )
            .await;
        assert_eq!(res.status(), 200, "token with scope {scope}");
        let v: serde_json::Value = res.json().await.unwrap();
        tokens.push((*scope, v["secret"].as_str().unwrap().to_string()));
    }
    let deploy = opsdeck_app::store::deploys::create(
        &mut pool.acquire().await.unwrap(),
        &opsdeck_app::store::deploys::NewDeploy {
            environment: opsdeck::deploy_gate::Environment::Development,
            version: "0.9.0".into(),
            commit_sha: String::new(),
            ref_name: None,
            source: opsdeck_app::model::deploys::DeploySource::Api,
            requested_by: "token:route-matrix".into(),
            idempotency_key: None,
            release_id: None,
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap()
    .0;
    let http = reqwest::Client::new();
    for (method, template, needs) in ROUTES {
        let path = template.replace("{deploy}", &deploy.to_string());
        let request = |token: Option<&str>| {
            let mut req = http.request(method.parse().unwrap(), format!("{}{path}", app.url));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if let Some((_, body)) = BODIES.iter().find(|(p, _)| p == template) {
                req = req.header("content-type", "application/json").body(*body);
            }
            async move { req.send().await.unwrap().status().as_u16() }
        };
        let anonymous = request(None).await;
        match needs {
            None => assert!(
                (200..300).contains(&anonymous),
                "{method} {path}: {anonymous}"
            ),
            Some(_) => assert_eq!(anonymous, 401, "{method} {path} without a token"),
        }
        assert_eq!(
            request(Some("odk_not-a-real-token")).await,
            if needs.is_none() { 200 } else { 401 },
            "{method} {path} with an unknown token"
        );
        for (scope, secret) in &tokens {
            let status = request(Some(secret)).await;
            match needs {
                Some(needed) if needed != scope => {
                    assert_eq!(status, 403, "{method} {path} with scope {scope}")
                }
                _ => assert!(
                    (200..300).contains(&status),
                    "{method} {path} with scope {scope}: {status}"
                ),
            }
        }
    }
}

/// The GitHub webhook is the one machine route without a bearer token
/// (R-DEP-2): it is authenticated by `X-Hub-Signature-256` alone, so no
/// token of any scope opens it, and a signed delivery needs none. (It cannot
/// be a row of the matrix above, whose right scope must answer 2xx.)
#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_github_webhook_takes_a_signature_not_a_token_r_dep_2(pool: PgPool) {
    use hmac::Mac;
    let app = spawn(pool.clone()).await;
    create_user(&pool, "root", &[Role::Admin]).await;
    let admin = app.signed_in("root").await;
    opsdeck_app::store::deploy_triggers::save_trigger_settings(
        &pool,
        Some("matrix-secret".into()),
        opsdeck::deploy_gate::TriggerPolicy::default(),
        &opsdeck_app::store::audit::Actor::system(),
    )
    .await
    .unwrap();
    let body = r#"{"zen":"Design for failure.","hook_id":1}"#;
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/webhooks/github", app.url);
    let post = |n: usize| {
        http.post(&url)
            .header("x-github-event", "ping")
            .header("x-github-delivery", format!("matrix-{n}"))
            .body(body)
    };
    for (n, scope) in SCOPES.iter().enumerate() {
        let res = app
            .rpc(
                &admin,
                "/rpc/tokens/create",
                &[("name", scope), ("scopes", scope)],
            )
            .await;
        let v: serde_json::Value = res.json().await.unwrap();
        let token = v["secret"].as_str().unwrap();
        let status = post(n).bearer_auth(token).send().await.unwrap().status();
        assert_eq!(status, 401, "a {scope} token without a signature");
    }
    assert_eq!(
        post(9).send().await.unwrap().status(),
        401,
        "nothing at all"
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"matrix-secret").unwrap();
    mac.update(body.as_bytes());
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let res = post(10)
        .header("x-hub-signature-256", signature)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "signed, no token");
}
