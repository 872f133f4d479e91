//! Every machine route × every token scope (R-AUTH-3): no token → 401, a token
//! without the route's scope → 403, the right scope → 2xx; public routes
//! answer anyone. A new route under `/api/v1` gets a row here, as every server
//! function has one in `role_matrix.rs`.

use crate::support::*;
use opsdeck_app::role::Role;
use sqlx::PgPool;

/// (method, path, scope the route needs; `None` = public).
const ROUTES: &[(&str, &str, Option<&str>)] = &[
    ("GET", "/api/v1/maintenance", None),
    ("GET", "/api/v1/environments", Some("deploy")),
    ("POST", "/api/v1/backups", Some("backup")),
];

/// JSON bodies of the routes that need one to succeed (a replay of the same
/// report is 200, so the route answers 2xx every time).
const BODIES: &[(&str, &str)] = &[(
    "/api/v1/backups",
    r#"{"target":"database","kind":"full","run_id":"route-matrix","started_at":"2026-01-01T00:00:00Z","finished_at":"2026-01-01T00:05:00Z","outcome":"ok"}"#,
)];

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
    let http = reqwest::Client::new();
    for (method, path, needs) in ROUTES {
        let request = |token: Option<&str>| {
            let mut req = http.request(method.parse().unwrap(), format!("{}{path}", app.url));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if let Some((_, body)) = BODIES.iter().find(|(p, _)| p == path) {
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
