//! Planned maintenance (issue 12, R-MNT-1, R-MNT-2, R-MNT-4): generated
//! windows, the plan rules through the server, announce-once with two
//! schedulers, tasks and housekeeping.

use crate::support::*;
use chrono::{Datelike, TimeDelta, TimeZone, Utc};
use opsdeck::interval::UtcInterval;
use opsdeck_app::role::Role;
use opsdeck_app::store::audit::Actor;
use opsdeck_app::store::maintenance_windows as store;
use sqlx::PgPool;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Tokyo;

/// A generated window: local day, start, end, quarterly, number of tasks.
type GeneratedRow = (
    chrono::NaiveDate,
    chrono::DateTime<Utc>,
    chrono::DateTime<Utc>,
    bool,
    i64,
);

/// `YYYY-MM-DDTHH:MM` in Tokyo, for the form.
fn local_input(t: chrono::DateTime<Utc>) -> String {
    t.with_timezone(&TZ).format("%Y-%m-%dT%H:%M").to_string()
}

/// 01:00 Tokyo on the 20th of the month `months` ahead (a night, well past the notice).
fn night_in(months: u32) -> chrono::DateTime<Utc> {
    let now = Utc::now().with_timezone(&TZ);
    let (mut y, mut m) = (now.year(), now.month() + months);
    while m > 12 {
        m -= 12;
        y += 1;
    }
    TZ.with_ymd_and_hms(y, m, 20, 1, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

async fn messages_of_kind(pool: &PgPool, kind: &str) -> Vec<serde_json::Value> {
    sqlx::query_scalar("SELECT event FROM notification_messages WHERE kind = $1 ORDER BY id")
        .bind(kind)
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn monthly_windows_are_generated_a_year_ahead_once_with_their_tasks_r_mnt_1(pool: PgPool) {
    let now = Utc::now();
    let (generated, _) = store::scheduler_pass(&pool, TZ, now)
        .await
        .unwrap()
        .unwrap();
    assert!((12..=14).contains(&generated), "{generated}");
    let (again, _) = store::scheduler_pass(&pool, TZ, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, 0, "a second pass generates nothing");
    let rows: Vec<GeneratedRow> = sqlx::query_as(
        "SELECT w.local_date, w.starts_at, w.ends_at, w.quarterly, \
         (SELECT count(*) FROM maintenance_window_tasks t WHERE t.window_id = w.id) \
         FROM maintenance_windows w WHERE kind = 'monthly' ORDER BY starts_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (date, start, end, quarterly, tasks) in rows {
        // The first Sunday, 02:00–04:00 Tokyo.
        assert_eq!(date.weekday(), chrono::Weekday::Sun);
        assert!(date.day() <= 7);
        assert_eq!(
            start.with_timezone(&TZ).format("%H:%M").to_string(),
            "02:00"
        );
        assert_eq!(end - start, TimeDelta::hours(2));
        assert_eq!(quarterly, [1, 4, 7, 10].contains(&date.month()));
        assert_eq!(tasks, if quarterly { 9 } else { 5 });
    }
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_window_is_announced_to_stakeholders_once_even_with_two_schedulers_r_mnt_2(pool: PgPool) {
    create_user(&pool, "vic", &[Role::Viewer]).await;
    let start = Utc::now() + TimeDelta::days(3);
    let mut tx = pool.begin().await.unwrap();
    let id = store::plan(
        &mut tx,
        &Actor::system(),
        UtcInterval::new(start, start + TimeDelta::hours(1)),
        "DB upgrade",
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let other = sqlx::postgres::PgPoolOptions::new()
        .max_connections(3)
        .connect_with(pool.connect_options().as_ref().clone())
        .await
        .unwrap();
    // Two processes at the same moment, several times over.
    for _ in 0..3 {
        let now = Utc::now();
        let (a, b) = tokio::join!(
            store::scheduler_pass(&pool, TZ, now),
            store::scheduler_pass(&other, TZ, now)
        );
        a.unwrap();
        b.unwrap();
    }
    let ours = |events: Vec<serde_json::Value>| -> Vec<String> {
        events
            .into_iter()
            .filter(|e| e["window_id"] == id)
            .map(|e| e["what"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ours(messages_of_kind(&pool, "maintenance.window").await),
        vec!["announced"]
    );
    // Stakeholders (every role) find it in their inbox.
    let inbox: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM inbox_items i JOIN users u ON u.id = i.user_id \
         JOIN notification_messages m ON m.id = i.message_id WHERE u.username = 'vic' AND m.event->>'window_id' = $1",
    )
    .bind(id.to_string())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(inbox, 1);

    // Moved: announced again as changed; cancelled: announced as cancelled; each once.
    let mut tx = pool.begin().await.unwrap();
    let later = start + TimeDelta::days(1);
    store::reschedule(
        &mut tx,
        &Actor::system(),
        id,
        UtcInterval::new(later, later + TimeDelta::hours(1)),
        "DB upgrade",
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    store::scheduler_pass(&pool, TZ, Utc::now()).await.unwrap();
    store::scheduler_pass(&other, TZ, Utc::now()).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    store::cancel(&mut tx, &Actor::system(), id).await.unwrap();
    tx.commit().await.unwrap();
    store::scheduler_pass(&pool, TZ, Utc::now()).await.unwrap();
    store::scheduler_pass(&other, TZ, Utc::now()).await.unwrap();
    assert_eq!(
        ours(messages_of_kind(&pool, "maintenance.window").await),
        vec!["announced", "changed", "cancelled"]
    );
    // A window further out than the notice is not announced yet.
    let far = Utc::now() + TimeDelta::days(20);
    let mut tx = pool.begin().await.unwrap();
    let far_id = store::plan(
        &mut tx,
        &Actor::system(),
        UtcInterval::new(far, far + TimeDelta::hours(1)),
        "later",
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    store::scheduler_pass(&pool, TZ, Utc::now()).await.unwrap();
    let far_events: Vec<serde_json::Value> = messages_of_kind(&pool, "maintenance.window")
        .await
        .into_iter()
        .filter(|e| e["window_id"] == far_id)
        .collect();
    assert!(far_events.is_empty());
}

async fn plan(
    app: &TestApp,
    client: &reqwest::Client,
    start: chrono::DateTime<Utc>,
    minutes: &str,
    override_reason: &str,
) -> reqwest::Response {
    app.rpc(
        client,
        "/rpc/maintenance/plan",
        &[
            ("start", &local_input(start)),
            ("duration_minutes", minutes),
            ("reason", "Storage migration"),
            ("override_reason", override_reason),
        ],
    )
    .await
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_server_refuses_plans_that_break_the_cap_or_the_notice_r_mnt_2(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "op", &[Role::Operator]).await;
    create_user(&pool, "admin", &[Role::Admin]).await;
    create_user(&pool, "vic", &[Role::Viewer]).await;
    let op = app.signed_in("op").await;
    let vic = app.signed_in("vic").await;
    // Two months ahead has no generated window yet in this database: plan 60 minutes…
    let night = night_in(2);
    let res = plan(&app, &op, night, "60", "").await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // … then 90 more in the same month: over the 120-minute cap, refused with the reason.
    let (status, err) =
        app_error(plan(&app, &op, night + TimeDelta::days(2), "90", "").await).await;
    assert_eq!(status, 422);
    assert_eq!(
        err.for_field("duration_minutes"),
        Some(opsdeck_app::i18n::Msg::ErrMaintenanceOverCap)
    );
    // Too little notice.
    let soon = Utc::now() + TimeDelta::days(2);
    let (status, err) = app_error(plan(&app, &op, soon, "30", "").await).await;
    assert_eq!(status, 422);
    assert_eq!(
        err.for_field("start"),
        Some(opsdeck_app::i18n::Msg::ErrMaintenanceNotice)
    );
    // Only an admin may override the cap, with a reason; it is recorded.
    let (status, _) = app_error(
        plan(
            &app,
            &op,
            night + TimeDelta::days(2),
            "90",
            "vendor deadline",
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    let admin = app.signed_in("admin").await;
    let res = plan(
        &app,
        &admin,
        night + TimeDelta::days(2),
        "90",
        "vendor deadline",
    )
    .await;
    assert_eq!(res.status(), 200);
    let outcome: serde_json::Value = res.json().await.unwrap();
    assert!(
        outcome["warnings"][0]
            .as_str()
            .unwrap()
            .contains("150 / 120"),
        "{outcome}"
    );
    let recorded: Option<String> =
        sqlx::query_scalar("SELECT override_reason FROM maintenance_windows WHERE id = $1")
            .bind(outcome["id"].as_i64().unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(recorded.as_deref(), Some("vendor deadline"));
    // Outside the night: saved, with a warning.
    let noon = night + TimeDelta::days(5) + TimeDelta::hours(11);
    let (status, _) = app_error(plan(&app, &op, noon, "150", "").await).await;
    assert_eq!(status, 422, "also over the cap");
    let other_month = night_in(4) + TimeDelta::hours(11);
    let res = plan(&app, &op, other_month, "30", "").await;
    assert_eq!(res.status(), 200);
    let outcome: serde_json::Value = res.json().await.unwrap();
    assert!(!outcome["warnings"].as_array().unwrap().is_empty());
    // Viewers read but cannot plan.
    assert_eq!(plan(&app, &vic, night_in(5), "30", "").await.status(), 403);
    let view: serde_json::Value = app
        .rpc(&vic, "/rpc/maintenance/planning", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(view["windows"].as_array().unwrap().len() >= 3);
    // Every plan is audited.
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'maintenance_window.plan'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 3);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn tasks_are_ticked_during_a_window_with_who_and_when(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "op", &[Role::Operator]).await;
    let op = app.signed_in("op").await;
    // Generate this year's windows, then take one that has started and one that has not.
    store::scheduler_pass(&pool, TZ, Utc::now()).await.unwrap();
    let past = Utc::now() - TimeDelta::hours(1);
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("UPDATE maintenance_windows SET starts_at = $1, ends_at = $2 WHERE id = (SELECT min(id) FROM maintenance_windows)")
        .bind(past)
        .bind(past + TimeDelta::hours(2))
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (started, later): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT min(id) FROM maintenance_windows), (SELECT max(id) FROM maintenance_windows)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let tick = |id: i64| {
        let op = op.clone();
        let app_url = app.url.clone();
        async move {
            op.post(format!("{app_url}/rpc/maintenance/tick"))
                .form(&[
                    ("window_id", id.to_string().as_str()),
                    ("key", "log_rotation"),
                    ("done", "true"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(tick(started).await.status(), 200);
    let (by, at): (Option<String>, Option<chrono::DateTime<Utc>>) =
        sqlx::query_as("SELECT done_by, done_at FROM maintenance_window_tasks WHERE window_id = $1 AND key = 'log_rotation'")
            .bind(started)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(by.as_deref(), Some("op"));
    assert!(at.is_some());
    let (status, err) = app_error(tick(later).await).await;
    assert_eq!(status, 422);
    assert_eq!(
        err.for_field("task"),
        Some(opsdeck_app::i18n::Msg::ErrWindowNotStarted)
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn housekeeping_purges_old_activity_and_records_its_counts_r_mnt_4(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "op", &[Role::Operator]).await;
    let op = app.signed_in("op").await;
    sqlx::query(
        "INSERT INTO notification_messages (created_at, event, kind, severity, idempotency_key) VALUES \
         (now() - interval '100 days', '{\"type\":\"maintenance_off\",\"by\":\"x\",\"started_at\":null}', 'maintenance.off', 'info', 'old'), \
         (now() - interval '10 days', '{\"type\":\"maintenance_off\",\"by\":\"x\",\"started_at\":null}', 'maintenance.off', 'info', 'recent')",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO login_failures (username, at) VALUES ('x', now() - interval '200 days')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let res = app.rpc(&op, "/rpc/maintenance/housekeeping", &[]).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let run: serde_json::Value = res.json().await.unwrap();
    assert_eq!(run["ok"], true);
    let deleted: std::collections::BTreeMap<String, i64> = run["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_i64().unwrap()))
        .collect();
    assert_eq!(deleted["notification_messages"], 1);
    assert_eq!(deleted["login_failures"], 1);
    let left: Vec<String> = sqlx::query_scalar("SELECT idempotency_key FROM notification_messages")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(left, vec!["recent"]);
    // The schedule does not run again within the day; the run is listed.
    assert!(store::housekeeping_if_due(&pool, 23, TZ)
        .await
        .unwrap()
        .is_none());
    let view: serde_json::Value = app
        .rpc(&op, "/rpc/maintenance/planning", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["housekeeping"].as_array().unwrap().len(), 1);
}
