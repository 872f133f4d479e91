//! Login, sessions, throttling, password change, admin user management (R-AUTH-1, -5).

use crate::support::*;
use opsdeck_app::error::AppError;
use opsdeck_app::i18n::Msg;
use opsdeck_app::role::Role;
use sqlx::PgPool;

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("opsdeck_session="))
        .map(str::to_string)
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn login_sets_a_hardened_session_cookie_r_auth_1(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let client = browser();
    let res = app.login(&client, "alice", &password_of("alice")).await;
    assert_eq!(res.status(), 200);
    let cookie = session_cookie(&res).expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        cookie.contains("Expires=") || cookie.contains("Max-Age="),
        "idle expiry: {cookie}"
    );
    assert_eq!(app.whoami(&client).await.as_deref(), Some("alice"));
    // Sessions live in Postgres.
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM tower_sessions.session")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn login_rotates_the_session_id(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let client = browser();
    let first = session_cookie(&app.login(&client, "alice", &password_of("alice")).await).unwrap();
    let second = session_cookie(&app.login(&client, "alice", &password_of("alice")).await).unwrap();
    let id = |c: &str| c.split(';').next().unwrap().to_string();
    assert_ne!(id(&first), id(&second), "a new session id at every login");
    // The old id no longer signs anyone in.
    let stale = reqwest::Client::new();
    let res = stale
        .post(format!("{}/rpc/auth/load_shell", app.url))
        .header("sec-fetch-site", "same-origin")
        .header("cookie", id(&first))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = res.json().await.unwrap();
    assert!(v["user"].is_null(), "{v}");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn wrong_password_and_unknown_user_get_the_same_answer_and_no_cookie_r_auth_5(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let wrong = app.login(&browser(), "alice", "not-her-password").await;
    assert!(session_cookie(&wrong).is_none());
    let unknown = app.login(&browser(), "mallory", "whatever-password").await;
    assert!(session_cookie(&unknown).is_none());
    let (s1, e1) = app_error(wrong).await;
    let (s2, e2) = app_error(unknown).await;
    assert_eq!((s1, &e1), (401, &AppError::InvalidCredentials));
    assert_eq!((s2, &e2), (401, &AppError::InvalidCredentials));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn failed_logins_are_throttled_per_account_r_auth_5(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "alice", &[Role::Viewer]).await;
    for _ in 0..5 {
        let (status, _) = app_error(app.login(&browser(), "alice", "wrong-password").await).await;
        assert_eq!(status, 401);
    }
    // Even the right password waits now, with a clear retry time.
    let (status, err) =
        app_error(app.login(&browser(), "alice", &password_of("alice")).await).await;
    assert_eq!(status, 429);
    match err {
        AppError::RateLimited { retry_after_secs } => {
            assert!((1..=900).contains(&retry_after_secs), "{retry_after_secs}")
        }
        other => panic!("{other:?}"),
    }
    // Another account from the same address is not locked by alice's failures.
    create_user(&pool, "bob", &[Role::Viewer]).await;
    assert_eq!(
        app.login(&browser(), "bob", &password_of("bob"))
            .await
            .status(),
        200
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn failed_logins_are_throttled_per_address_r_auth_5(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "alice", &[Role::Viewer]).await;
    // 20 failures spread over many names from one address.
    for i in 0..20 {
        let _ = app
            .login(&browser(), &format!("guess{i}"), "wrong-password")
            .await;
    }
    let (status, err) =
        app_error(app.login(&browser(), "alice", &password_of("alice")).await).await;
    assert_eq!(status, 429, "{err:?}");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn logout_ends_the_session(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let client = app.signed_in("alice").await;
    assert_eq!(
        app.rpc(&client, "/rpc/auth/logout", &[]).await.status(),
        200
    );
    assert_eq!(app.whoami(&client).await, None);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn password_change_checks_the_current_one_and_validates_fields(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let client = app.signed_in("alice").await;
    let (status, err) = app_error(
        app.rpc(
            &client,
            "/rpc/auth/change_password",
            &[
                ("current", "nope"),
                ("new", "brand-new-password"),
                ("repeat", "brand-new-password"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, err.for_field("current")),
        (422, Some(Msg::ErrCurrentPasswordWrong))
    );
    let (status, err) = app_error(
        app.rpc(
            &client,
            "/rpc/auth/change_password",
            &[
                ("current", &password_of("alice")),
                ("new", "short"),
                ("repeat", "other"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(err.for_field("new"), Some(Msg::ErrPasswordTooShort));
    assert_eq!(err.for_field("repeat"), Some(Msg::ErrPasswordMismatch));
    let res = app
        .rpc(
            &client,
            "/rpc/auth/change_password",
            &[
                ("current", &password_of("alice")),
                ("new", "brand-new-password"),
                ("repeat", "brand-new-password"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    // This session survives; the old password no longer works; the new one does.
    assert_eq!(app.whoami(&client).await.as_deref(), Some("alice"));
    assert_eq!(
        app.login(&browser(), "alice", &password_of("alice"))
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login(&browser(), "alice", "brand-new-password")
            .await
            .status(),
        200
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn admin_manages_users_and_disabling_ends_sessions(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "root", &[Role::Admin]).await;
    let admin = app.signed_in("root").await;
    // Field-level errors, nothing saved.
    let (status, err) = app_error(
        app.rpc(
            &admin,
            "/rpc/admin/create_user",
            &[
                ("username", "Bad Name"),
                ("display_name", ""),
                ("password", "short"),
                ("roles", ""),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(err.for_field("username"), Some(Msg::ErrUsernameFormat));
    assert_eq!(err.for_field("password"), Some(Msg::ErrPasswordTooShort));
    assert_eq!(err.for_field("roles"), Some(Msg::ErrNoRole));
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(users, 1);

    let form = [
        ("username", "carol"),
        ("display_name", "Carol"),
        ("password", "carol-password-1"),
        ("roles", "viewer,approver"),
    ];
    let res = app.rpc(&admin, "/rpc/admin/create_user", &form).await;
    assert_eq!(res.status(), 200);
    let carol_id: i64 = res.json().await.unwrap();
    let (status, err) = app_error(app.rpc(&admin, "/rpc/admin/create_user", &form).await).await;
    assert_eq!(
        (status, err.for_field("username")),
        (409, Some(Msg::ErrUsernameTaken))
    );

    let carol = app.signed_in("carol").await;
    let id = carol_id.to_string();
    assert_eq!(
        app.rpc(
            &admin,
            "/rpc/admin/set_roles",
            &[("user_id", &id), ("roles", "operator")]
        )
        .await
        .status(),
        200
    );
    let roles: Vec<String> = sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1")
        .bind(carol_id)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(roles, vec!["operator".to_string()]);

    assert_eq!(
        app.rpc(
            &admin,
            "/rpc/admin/set_disabled",
            &[("user_id", &id), ("disabled", "true")]
        )
        .await
        .status(),
        200
    );
    assert_eq!(app.whoami(&carol).await, None, "disabling ends the session");
    assert_eq!(
        app.login(&browser(), "carol", "carol-password-1")
            .await
            .status(),
        401
    );

    assert_eq!(
        app.rpc(
            &admin,
            "/rpc/admin/set_disabled",
            &[("user_id", &id), ("disabled", "false")]
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        app.rpc(
            &admin,
            "/rpc/admin/reset_password",
            &[("user_id", &id), ("password", "carol-reset-password")]
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        app.login(&browser(), "carol", "carol-reset-password")
            .await
            .status(),
        200
    );

    // An admin cannot lock themselves out.
    let root_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'root'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let (status, _) = app_error(
        app.rpc(
            &admin,
            "/rpc/admin/set_disabled",
            &[("user_id", &root_id.to_string()), ("disabled", "true")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn passwords_are_stored_as_argon2id(pool: PgPool) {
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'alice'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(&password_of("alice")));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_last_admin_cannot_be_demoted_or_disabled(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "root", &[Role::Admin]).await;
    let other = create_user(&pool, "second", &[Role::Admin]).await;
    let admin = app.signed_in("root").await;
    let root_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'root'")
        .fetch_one(&pool)
        .await
        .unwrap();
    // With a second admin, demoting root is fine; then the second admin is the last one.
    let res = app
        .rpc(
            &admin,
            "/rpc/admin/set_disabled",
            &[("user_id", &other.to_string()), ("disabled", "true")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let (status, err) = app_error(
        app.rpc(
            &admin,
            "/rpc/admin/set_roles",
            &[("user_id", &root_id.to_string()), ("roles", "viewer")],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, err.for_field("roles")),
        (422, Some(Msg::ErrLastAdmin))
    );
    let roles: Vec<String> = sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1")
        .bind(root_id)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(roles, vec!["admin".to_string()], "nothing changed");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn parallel_guesses_cannot_beat_the_account_limit_r_auth_5(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "alice", &[Role::Viewer]).await;
    let attempts = (0..12).map(|_| {
        let url = app.url.clone();
        async move {
            browser()
                .post(format!("{url}/rpc/auth/login"))
                .form(&[
                    ("username", "alice"),
                    ("password", "wrong-guess"),
                    ("next", "/"),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures_join_all(attempts).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        checked <= 5,
        "at most five guesses reach the password check: {statuses:?}"
    );
    assert_eq!(
        checked + refused,
        12,
        "the rest are refused, none fail: {statuses:?}"
    );
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM login_failures")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(recorded as usize, checked);
}

/// Runs futures concurrently (no extra crate for one helper).
async fn futures_join_all<F: std::future::Future<Output = u16> + Send + 'static>(
    futs: impl Iterator<Item = F>,
) -> Vec<u16> {
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
