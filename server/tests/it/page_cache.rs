//! The page cache behind `/deploys` (decision 0023, issue 9's benchmark):
//! a rendered board or history page is served again only to the same user,
//! in the same language, at the same URL, while no data it may show has
//! changed — through this server or any other connection to the database.
//! The servers here keep pages for an hour, so a page that changes in the
//! tests below can only have been refreshed by an invalidation, not by age.

use crate::support::*;
use opsdeck::deploy_gate::Environment;
use opsdeck_app::model::deploys::DeploySource;
use opsdeck_app::role::Role;
use opsdeck_app::store::deploys::{self as store, NewDeploy};
use opsdeck_server::page_cache::CACHE_HEADER;
use sqlx::PgPool;
use std::time::{Duration, Instant};

async fn spawn_keeping_pages(pool: PgPool) -> TestApp {
    spawn_with(pool, &[("OPSDECK_PAGE_CACHE_SECS", "3600")]).await
}

struct Page {
    status: u16,
    cache: String,
    policy: String,
    location: String,
    body: String,
}

async fn page(app: &TestApp, c: &reqwest::Client, path: &str) -> Page {
    let res = app.get(c, path).await;
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (status, cache, policy, location) = (
        res.status().as_u16(),
        header(CACHE_HEADER),
        header("content-security-policy"),
        header("location"),
    );
    Page {
        status,
        cache,
        policy,
        location,
        body: res.text().await.unwrap(),
    }
}

/// Loads `path` until `done` holds (at most 10 s; the server keeps pages
/// for an hour, so only an invalidation can make a kept page change).
async fn until(
    app: &TestApp,
    c: &reqwest::Client,
    path: &str,
    what: &str,
    done: impl Fn(&Page) -> bool,
) -> Page {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let p = page(app, c, path).await;
        if done(&p) {
            return p;
        }
        assert!(Instant::now() < deadline, "{path}: never {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Loads `path` until it comes from the cache (the listener connects
/// shortly after start-up; nothing is kept before).
async fn until_kept(app: &TestApp, c: &reqwest::Client, path: &str) -> Page {
    until(app, c, path, "served from the cache", |p| p.cache == "hit").await
}

/// A deploy requested by another process: written straight to the database.
async fn deploy_from_elsewhere(pool: &PgPool, env: Environment, version: &str) {
    let d = NewDeploy {
        environment: env,
        version: version.into(),
        commit_sha: "4be07d1".into(),
        ref_name: Some("main".into()),
        source: DeploySource::Api,
        requested_by: "ci-elsewhere".into(),
        idempotency_key: None,
        release_id: None,
    };
    let mut tx = pool.begin().await.unwrap();
    store::create(&mut tx, &d, chrono::Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn nonce_of(policy: &str) -> String {
    let start = policy.find("'nonce-").expect("a nonce in the policy") + "'nonce-".len();
    let len = policy[start..].find('\'').unwrap();
    policy[start..start + len].to_string()
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_kept_history_page_is_renewed_when_another_process_adds_a_deploy_r_dep_1(pool: PgPool) {
    let app = spawn_keeping_pages(pool.clone()).await;
    create_user(&pool, "alice", &[Role::Approver]).await;
    let alice = app.signed_in("alice").await;
    let path = "/deploys?env=production";
    let kept = until_kept(&app, &alice, path).await;
    assert!(!kept.body.contains("9.8.7"));

    // Every reuse carries a script nonce of its own, in the policy and in
    // the page's scripts alike (or the browser would refuse to hydrate).
    let again = page(&app, &alice, path).await;
    assert_eq!(again.cache, "hit");
    let (first, second) = (nonce_of(&kept.policy), nonce_of(&again.policy));
    assert_ne!(first, second);
    assert!(again.body.contains(&format!("nonce=\"{second}\"")));
    assert!(!again.body.contains(&first));

    deploy_from_elsewhere(&pool, Environment::Production, "9.8.7").await;
    let renewed = until(&app, &alice, path, "showing the new deploy", |p| {
        p.body.contains("9.8.7")
    })
    .await;
    assert_eq!(renewed.status, 200);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_change_made_through_this_server_shows_on_the_very_next_load_r_dep_1(pool: PgPool) {
    let app = spawn_keeping_pages(pool.clone()).await;
    create_user(&pool, "alice", &[Role::Approver]).await;
    let alice = app.signed_in("alice").await;
    let path = "/deploys?env=staging";
    until_kept(&app, &alice, path).await;
    // Without the triggers, only this server's own bookkeeping can tell
    // (their notification would otherwise usually win the race).
    sqlx::query("DROP FUNCTION opsdeck_page_data_changed() CASCADE")
        .execute(&pool)
        .await
        .unwrap();

    // Reading through a server function changes nothing: the page stays kept.
    let board = app.rpc(&alice, "/rpc/deploys/board", &[]).await;
    assert_eq!(board.status(), 200);
    assert!(board.headers().get("x-opsdeck-read-only").is_none());
    assert_eq!(page(&app, &alice, path).await.cache, "hit");

    let res = app
        .rpc(
            &alice,
            "/rpc/deploys/request",
            &[
                ("environment", "staging"),
                ("version", "7.7.7"),
                ("commit_sha", "4be07d1"),
            ],
        )
        .await;
    assert!(res.headers().get("x-opsdeck-may-write").is_none());
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let next = page(&app, &alice, path).await;
    assert_eq!(next.cache, "miss");
    assert!(next.body.contains("7.7.7"));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn kept_pages_belong_to_one_user_language_and_session_r_auth_2_r_ui_3(pool: PgPool) {
    let app = spawn_keeping_pages(pool.clone()).await;
    create_user(&pool, "alice", &[Role::Approver]).await;
    create_user(&pool, "vic", &[Role::Viewer]).await;
    let (alice, vic) = (app.signed_in("alice").await, app.signed_in("vic").await);
    let approver = until_kept(&app, &alice, "/deploys").await;
    let viewer = until_kept(&app, &vic, "/deploys").await;
    assert!(approver.body.contains("data-testid=\"waiting-for-you\""));
    assert!(!approver.body.contains("data-testid=\"read-only\""));
    assert!(viewer.body.contains("data-testid=\"read-only\""));
    assert!(!viewer.body.contains("data-testid=\"waiting-for-you\""));

    // Another language is another page.
    let res = app.get(&vic, "/lang/ja?next=/deploys").await;
    assert!(res.status().is_redirection());
    let ja = page(&app, &vic, "/deploys").await;
    assert_eq!(ja.cache, "miss");
    assert!(ja.body.contains("ここではすべて閲覧できます"));
    assert!(ja.body.contains("<html lang=\"ja\""));

    // Signed out: the login page, not the kept board.
    let res = app.rpc(&vic, "/rpc/auth/logout", &[]).await;
    assert!(res.status().is_success() || res.status().is_redirection());
    let out = page(&app, &vic, "/deploys").await;
    assert!(out.location.starts_with("/login"), "{}", out.status);

    // Disabled by another process: the kept page is never served again.
    until_kept(&app, &alice, "/deploys").await;
    sqlx::query(
        "UPDATE users SET disabled = TRUE, session_epoch = session_epoch + 1 WHERE username = 'alice'",
    )
    .execute(&pool)
    .await
    .unwrap();
    until(&app, &alice, "/deploys", "sending to the login page", |p| {
        p.location.starts_with("/login")
    })
    .await;
}
