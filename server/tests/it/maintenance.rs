//! Emergency maintenance mode (R-MNT-3).

use crate::support::*;
use opsdeck_app::role::Role;
use sqlx::PgPool;

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn operator_switches_maintenance_and_the_api_answers_503(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "op", &[Role::Operator]).await;
    create_user(&pool, "viewer", &[Role::Viewer]).await;
    let http = reqwest::Client::new();

    let viewer = app.signed_in("viewer").await;
    let res = app
        .rpc(
            &viewer,
            "/rpc/maintenance/set",
            &[("on", "true"), ("message", ""), ("estimated_end", "")],
        )
        .await;
    assert_eq!(res.status(), 403);

    let op = app.signed_in("op").await;
    let end = (chrono::Utc::now() + chrono::Duration::hours(2))
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let res = app
        .rpc(
            &op,
            "/rpc/maintenance/set",
            &[("on", "true"), ("message", ""), ("estimated_end", &end)],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    let res = http
        .get(format!("{}/api/v1/environments", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    let retry: i64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((60..=2 * 3600 + 60).contains(&retry), "{retry}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "MAINTENANCE");
    assert_eq!(body["message"], "システムメンテナンス中です");
    assert!(
        body["estimatedEndTime"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{body}"
    );
    // Even unknown routes and POSTs are closed.
    assert_eq!(
        http.post(format!("{}/api/v1/anything", app.url))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );

    let res = http
        .get(format!("{}/api/v1/maintenance", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let state: serde_json::Value = res.json().await.unwrap();
    assert_eq!(state["maintenance"], true);

    // The switch is audited with before and after.
    let (action, actor): (String, String) =
        sqlx::query_as("SELECT action, actor FROM audit_log WHERE action LIKE 'maintenance.%'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((action.as_str(), actor.as_str()), ("maintenance.on", "op"));

    let res = app
        .rpc(
            &op,
            "/rpc/maintenance/set",
            &[("on", "false"), ("message", ""), ("estimated_end", "")],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        http.get(format!("{}/api/v1/environments", app.url))
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "open again (token still needed)"
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn bad_end_times_are_refused_with_field_errors(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "op", &[Role::Operator]).await;
    let op = app.signed_in("op").await;
    let (status, err) = app_error(
        app.rpc(
            &op,
            "/rpc/maintenance/set",
            &[("on", "true"), ("message", "x"), ("estimated_end", "soon")],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, err.for_field("estimated_end")),
        (422, Some(opsdeck_app::i18n::Msg::ErrDateTime))
    );
    let (status, err) = app_error(
        app.rpc(
            &op,
            "/rpc/maintenance/set",
            &[
                ("on", "true"),
                ("message", "x"),
                ("estimated_end", "2001-01-01T00:00"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, err.for_field("estimated_end")),
        (422, Some(opsdeck_app::i18n::Msg::ErrInPast))
    );
    let active: bool = sqlx::query_scalar("SELECT active FROM maintenance_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!active, "nothing saved");
}
