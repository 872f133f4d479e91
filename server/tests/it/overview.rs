//! The overview's data (R-UI-1, R-DEP-1, R-MNT-1, R-SLA-1).

use crate::support::*;
use chrono::{Datelike, Timelike};
use opsdeck_app::role::Role;
use sqlx::PgPool;

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn summary_gives_the_next_first_sunday_window_and_the_months_downtime(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "viewer", &[Role::Viewer]).await;
    let tz = chrono_tz::Asia::Tokyo;
    // This month's first-Sunday window exists, and is excluded from the SLA (R-SLA-2, R-MNT-1).
    opsdeck_app::store::maintenance_windows::scheduler_pass(&pool, tz, chrono::Utc::now())
        .await
        .unwrap();
    let c = app.signed_in("viewer").await;
    let res = app.rpc(&c, "/rpc/overview/summary", &[]).await;
    assert_eq!(res.status(), 200);
    let s: opsdeck_app::model::OverviewSummary = res.json().await.unwrap();
    assert_eq!(s.sla_target_percent, 99.9);
    let allowed = s.allowed_downtime_minutes.unwrap();
    let local = s.now.with_timezone(&tz);
    let month = opsdeck::sla::local_month(tz, local.year(), local.month()).unwrap();
    let windows =
        opsdeck_app::store::maintenance_windows::intervals(&pool, month.start, month.end, None)
            .await
            .unwrap();
    let excluded: i64 = windows
        .iter()
        .filter_map(|w| w.intersection(&month))
        .map(|w| w.length().num_minutes())
        .sum();
    assert!(excluded >= 120, "the monthly window: {excluded}");
    let expected = ((month.end - month.start).num_minutes() - excluded) as f64 * 0.001;
    assert!(
        (allowed - expected).abs() < 1e-6,
        "{allowed} vs {expected}: 0.1 % of the month's minutes outside maintenance"
    );
    let (start, end) = s.next_maintenance.unwrap();
    let local = start.with_timezone(&chrono_tz::Asia::Tokyo);
    assert!(start > s.now);
    assert_eq!(local.weekday(), chrono::Weekday::Sun);
    assert!(local.day() <= 7, "first Sunday");
    assert_eq!((local.hour(), local.minute()), (2, 0));
    assert_eq!(end - start, chrono::Duration::hours(2));
    assert_eq!(s.announce_at.unwrap(), start - chrono::Duration::days(7));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn environments_are_listed_in_pipeline_order(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    opsdeck_server::demo::seed(&pool).await.unwrap();
    let c = app
        .signed_in_with("viewer", &opsdeck_server::demo::demo_password("viewer"))
        .await;
    let envs: Vec<opsdeck_app::model::EnvironmentRow> = app
        .rpc(&c, "/rpc/overview/environments", &[])
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<_> = envs.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Local", "Development", "Staging", "Production"]);
    assert_eq!(envs[3].live_colour.as_deref(), Some("blue"));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_top_bar_shows_environment_health_only_to_signed_in_users(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    opsdeck_server::demo::seed(&pool).await.unwrap();
    let anonymous: opsdeck_app::model::ShellState = app
        .rpc(&browser(), "/rpc/auth/load_shell", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(anonymous.environments.is_empty());
    let c = app
        .signed_in_with("viewer", &opsdeck_server::demo::demo_password("viewer"))
        .await;
    let shell: opsdeck_app::model::ShellState = app
        .rpc(&c, "/rpc/auth/load_shell", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shell.environments.len(), 4);
    assert_eq!(shell.environments[3].0, "Production");
}
