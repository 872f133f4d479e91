//! Notifications (issue 8, R-MON-5): channels against real receivers on
//! loopback, the outbox's transaction, retries, isolation and exactly-once
//! delivery with two workers, and the inbox.

use crate::receivers::*;
use crate::support::*;
use opsdeck_app::notify::channel::verify;
use opsdeck_app::notify::send::Sender;
use opsdeck_app::notify::Event;
use opsdeck_app::role::Role;
use opsdeck_app::store::notifications as store;
use opsdeck_server::workers::outbox::{self, OutboxSettings};
use sqlx::PgPool;
use std::time::{Duration, Instant};

/// Fast retries, so a test sees several attempts in well under a second.
fn quick() -> OutboxSettings {
    OutboxSettings {
        base_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        give_up_after: Duration::from_secs(60),
        per_channel: 16,
        poll: Duration::from_millis(50),
        attempt_timeout: Duration::from_secs(2),
    }
}

fn worker(pool: &PgPool, settings: OutboxSettings) {
    let sender = Sender::new("https://opsdeck.test".into(), settings.attempt_timeout);
    outbox::spawn(pool.clone(), sender, settings);
}

/// Saves a channel through the admin's server function; returns its id.
async fn save_channel(app: &TestApp, admin: &reqwest::Client, fields: &[(&str, &str)]) -> i64 {
    let mut form: Vec<(&str, &str)> = vec![
        ("id", "0"),
        ("enabled", "true"),
        ("lang", "en"),
        ("min_interval_ms", "0"),
    ];
    for (k, v) in fields {
        form.retain(|(name, _)| name != k);
        form.push((k, v));
    }
    let res = app
        .rpc(admin, "/rpc/notifications/save_channel", &form)
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

/// Points a group at exactly these channels and roles.
async fn set_group(
    app: &TestApp,
    admin: &reqwest::Client,
    name: &str,
    channels: &[i64],
    roles: &str,
) {
    let page: serde_json::Value = app
        .rpc(admin, "/rpc/notifications/groups", &[])
        .await
        .json()
        .await
        .unwrap();
    let id = page["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .map(|g| g["id"].as_i64().unwrap())
        .unwrap();
    let ids = channels
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let res = app
        .rpc(
            admin,
            "/rpc/notifications/save_group",
            &[
                ("id", &id.to_string()),
                ("name", name),
                ("channel_ids", &ids),
                ("roles", roles),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

async fn wait_until_settled(pool: &PgPool, n: i64, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let settled: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM notification_deliveries WHERE status IN ('delivered','failed')",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if settled >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{settled} of {n} deliveries settled"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn switch_maintenance(app: &TestApp, op: &reqwest::Client, on: bool) {
    let res = app
        .rpc(
            op,
            "/rpc/maintenance/set",
            &[
                ("on", if on { "true" } else { "false" }),
                ("message", "DB upgrade"),
                ("estimated_end", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn maintenance_switch_reaches_slack_pagerduty_and_a_signed_webhook_r_mon_5(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "admin", &[Role::Admin]).await;
    create_user(&pool, "op", &[Role::Operator]).await;
    let admin = app.signed_in("admin").await;
    let receiver = http_receiver(Behaviour::Ok).await;
    let slack_url = format!("{}/slack/T000/B000/XXXX", receiver.url);
    let pd_url = format!("{}/v2/enqueue", receiver.url);
    let hook_url = format!("{}/hook", receiver.url);
    let slack = save_channel(
        &app,
        &admin,
        &[
            ("name", "slack-ops"),
            ("kind", "slack"),
            ("secret", &slack_url),
        ],
    )
    .await;
    let pd = save_channel(
        &app,
        &admin,
        &[
            ("name", "pd"),
            ("kind", "pagerduty"),
            ("url", &pd_url),
            ("secret", "R0UT1NGKEY"),
        ],
    )
    .await;
    let hook = save_channel(
        &app,
        &admin,
        &[
            ("name", "hook"),
            ("kind", "webhook"),
            ("url", &hook_url),
            ("secret", "sign-me"),
        ],
    )
    .await;
    set_group(&app, &admin, "oncall", &[slack, pd, hook], "operator").await;

    // Secrets are write-only: the channel list never carries them.
    let list = app
        .rpc(&admin, "/rpc/notifications/channels", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !list.contains("R0UT1NGKEY") && !list.contains("sign-me") && !list.contains("XXXX"),
        "{list}"
    );
    assert!(list.contains("\"secret_set\":true"));

    worker(&pool, quick());
    let op = app.signed_in("op").await;
    switch_maintenance(&app, &op, true).await;
    switch_maintenance(&app, &op, false).await;
    let got = receiver.wait_for(6, 20).await;
    wait_until_settled(&pool, 6, 10).await;
    assert_eq!(got.len(), 6, "each message once per channel");

    // Slack: an incoming-webhook body with the title and a link back.
    let slack_msgs: Vec<_> = got
        .iter()
        .filter(|r| r.path.starts_with("/slack/"))
        .collect();
    assert_eq!(slack_msgs.len(), 2);
    let text = slack_msgs[0].json()["text"].as_str().unwrap().to_string();
    assert!(text.contains("Maintenance mode switched on"), "{text}");
    assert!(text.contains("https://opsdeck.test/maintenance"), "{text}");

    // PagerDuty: trigger, then resolve with the same dedup_key.
    let pd_msgs: Vec<serde_json::Value> = got
        .iter()
        .filter(|r| r.path == "/v2/enqueue")
        .map(Received::json)
        .collect();
    assert_eq!(pd_msgs.len(), 2);
    let trigger = pd_msgs
        .iter()
        .find(|m| m["event_action"] == "trigger")
        .unwrap();
    let resolve = pd_msgs
        .iter()
        .find(|m| m["event_action"] == "resolve")
        .unwrap();
    assert_eq!(trigger["routing_key"], "R0UT1NGKEY");
    assert_eq!(trigger["payload"]["severity"], "warning");
    assert_eq!(trigger["payload"]["source"], "opsdeck");
    assert!(trigger["payload"]["summary"]
        .as_str()
        .unwrap()
        .contains("Maintenance"));
    assert!(trigger["dedup_key"]
        .as_str()
        .unwrap()
        .starts_with("opsdeck-maintenance-"));
    assert_eq!(trigger["dedup_key"], resolve["dedup_key"]);
    assert_eq!(resolve["routing_key"], "R0UT1NGKEY");

    // Webhook: JSON with the event, signed with HMAC-SHA256 of the raw body.
    let hooks: Vec<&Received> = got.iter().filter(|r| r.path == "/hook").collect();
    assert_eq!(hooks.len(), 2);
    for h in &hooks {
        let sig = h.header("x-opsdeck-signature-256").unwrap();
        assert!(verify("sign-me", &h.body, &sig), "signature must verify");
        assert!(!verify("wrong", &h.body, &sig));
        let body = h.json();
        assert!(matches!(
            body["kind"].as_str(),
            Some("maintenance.on" | "maintenance.off")
        ));
        assert_eq!(body["event"]["by"], "op");
        assert!(body["url"].as_str().unwrap().ends_with("/maintenance"));
        assert_eq!(
            h.header("x-opsdeck-delivery").unwrap(),
            body["idempotency_key"]
        );
    }

    // Every attempt is recorded with its status and latency.
    let attempts: Vec<(bool, Option<i32>)> =
        sqlx::query_as("SELECT ok, status_code FROM notification_attempts")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(attempts.len(), 6);
    assert!(attempts.iter().all(|(ok, code)| *ok && *code == Some(200)));

    // And the operator's bell: two unread messages in the inbox.
    let shell: serde_json::Value = app
        .rpc(&op, "/rpc/auth/load_shell", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shell["unread"], 2);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_receiver_that_is_down_at_first_gets_the_message_exactly_once(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "admin", &[Role::Admin]).await;
    let admin = app.signed_in("admin").await;
    let receiver = http_receiver(Behaviour::FailFirst(2)).await;
    let hook = save_channel(
        &app,
        &admin,
        &[
            ("name", "hook"),
            ("kind", "webhook"),
            ("url", &format!("{}/h", receiver.url)),
        ],
    )
    .await;
    set_group(&app, &admin, "oncall", &[hook], "").await;
    let mut tx = pool.begin().await.unwrap();
    store::notify(
        &mut tx,
        "oncall",
        &Event::MaintenanceOff {
            by: "t".into(),
            started_at: None,
        },
        "k-retry",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    worker(&pool, quick());
    wait_until_settled(&pool, 1, 20).await;
    let got = receiver.received();
    assert_eq!(
        got.iter().map(|r| r.answered).collect::<Vec<_>>(),
        vec![500, 500, 200]
    );
    let (status, attempts): (String, i32) =
        sqlx::query_as("SELECT status, attempts FROM notification_deliveries")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("delivered", 3));
    let recorded: Vec<(bool, Option<i32>, Option<String>)> =
        sqlx::query_as("SELECT ok, status_code, error FROM notification_attempts ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded[0].1, Some(500));
    assert!(recorded[0]
        .2
        .as_deref()
        .unwrap()
        .contains("receiver says no"));
    assert!(recorded[2].0);
    // Nothing is sent again once delivered.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 3);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_rolled_back_change_notifies_nobody_and_a_key_is_used_once(pool: PgPool) {
    opsdeck_server::bootstrap::migrate(&pool).await.unwrap();
    create_user(&pool, "op", &[Role::Operator]).await;
    let event = Event::MaintenanceOff {
        by: "t".into(),
        started_at: None,
    };
    let mut tx = pool.begin().await.unwrap();
    assert!(store::notify(&mut tx, "oncall", &event, "k-1")
        .await
        .unwrap()
        .is_some());
    tx.rollback().await.unwrap();
    let count = |pool: PgPool| async move {
        let m: i64 = sqlx::query_scalar("SELECT count(*) FROM notification_messages")
            .fetch_one(&pool)
            .await
            .unwrap();
        let i: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox_items")
            .fetch_one(&pool)
            .await
            .unwrap();
        (m, i)
    };
    assert_eq!(count(pool.clone()).await, (0, 0));

    let mut tx = pool.begin().await.unwrap();
    assert!(store::notify(&mut tx, "oncall", &event, "k-1")
        .await
        .unwrap()
        .is_some());
    assert!(store::notify(&mut tx, "oncall", &event, "k-1")
        .await
        .unwrap()
        .is_none());
    tx.commit().await.unwrap();
    assert_eq!(count(pool.clone()).await, (1, 1));

    // The seeded channels are unconfigured: their deliveries say why nobody heard.
    let skipped: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT status, last_error FROM notification_deliveries")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(skipped.len(), 2, "oncall has pagerduty and email-oncall");
    assert!(skipped
        .iter()
        .all(|(s, e)| s == "skipped" && e.as_deref() == Some("channel not configured")));

    // An unknown group and an oversized message are refused, not half-written.
    let mut tx = pool.begin().await.unwrap();
    assert!(matches!(
        store::notify(&mut tx, "no-such-group", &event, "k-2").await,
        Err(store::NotifyError::UnknownGroup(_))
    ));
    let huge = Event::MaintenanceOn {
        by: "t".into(),
        message: "x".repeat(5 * 1024 * 1024),
        estimated_end: None,
        started_at: chrono::Utc::now(),
    };
    assert!(matches!(
        store::notify(&mut tx, "oncall", &huge, "k-3").await,
        Err(store::NotifyError::TooLarge(_))
    ));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn two_workers_on_one_database_deliver_each_message_once(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "admin", &[Role::Admin]).await;
    let admin = app.signed_in("admin").await;
    let receiver = http_receiver(Behaviour::Ok).await;
    let a = save_channel(
        &app,
        &admin,
        &[
            ("name", "a"),
            ("kind", "webhook"),
            ("url", &format!("{}/a", receiver.url)),
        ],
    )
    .await;
    let b = save_channel(
        &app,
        &admin,
        &[
            ("name", "b"),
            ("kind", "webhook"),
            ("url", &format!("{}/b", receiver.url)),
        ],
    )
    .await;
    set_group(&app, &admin, "oncall", &[a, b], "").await;
    let n = 150;
    let mut tx = pool.begin().await.unwrap();
    for i in 0..n {
        store::notify(
            &mut tx,
            "oncall",
            &Event::MaintenanceOff {
                by: "t".into(),
                started_at: None,
            },
            &format!("k-{i}"),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    // Two workers, each with its own pool, as two opsdeck processes would have.
    let other = sqlx::postgres::PgPoolOptions::new()
        .max_connections(5)
        .connect_with(pool.connect_options().as_ref().clone())
        .await
        .unwrap();
    worker(&pool, quick());
    worker(&other, quick());
    wait_until_settled(&pool, 2 * n, 60).await;
    let got = receiver.received();
    assert_eq!(got.len(), 2 * n as usize);
    let mut keys: Vec<String> = got
        .iter()
        .map(|r| format!("{}{}", r.path, r.header("x-opsdeck-delivery").unwrap()))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(
        keys.len(),
        2 * n as usize,
        "no (message, channel) pair twice"
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_hanging_or_redirecting_receiver_fails_alone_and_is_recorded(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "admin", &[Role::Admin]).await;
    let admin = app.signed_in("admin").await;
    let hang = http_receiver(Behaviour::Hang).await;
    let redirect = http_receiver(Behaviour::RedirectLoop).await;
    let broken = http_receiver(Behaviour::Always(500)).await;
    let fine = http_receiver(Behaviour::Ok).await;
    let ids = [
        save_channel(
            &app,
            &admin,
            &[
                ("name", "hang"),
                ("kind", "webhook"),
                ("url", &format!("{}/x", hang.url)),
            ],
        )
        .await,
        save_channel(
            &app,
            &admin,
            &[
                ("name", "redirect"),
                ("kind", "webhook"),
                ("url", &format!("{}/x", redirect.url)),
            ],
        )
        .await,
        save_channel(
            &app,
            &admin,
            &[
                ("name", "broken"),
                ("kind", "webhook"),
                ("url", &format!("{}/x", broken.url)),
            ],
        )
        .await,
        save_channel(
            &app,
            &admin,
            &[
                ("name", "fine"),
                ("kind", "webhook"),
                ("url", &format!("{}/x", fine.url)),
            ],
        )
        .await,
    ];
    set_group(&app, &admin, "oncall", &ids, "").await;
    let mut tx = pool.begin().await.unwrap();
    store::notify(
        &mut tx,
        "oncall",
        &Event::MaintenanceOff {
            by: "t".into(),
            started_at: None,
        },
        "k",
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    worker(
        &pool,
        OutboxSettings {
            attempt_timeout: Duration::from_millis(700),
            give_up_after: Duration::from_millis(400),
            ..quick()
        },
    );
    // The healthy channel is served while the hanging one is still waiting.
    fine.wait_for(1, 5).await;
    assert_eq!(hang.received().len(), 1);
    wait_until_settled(&pool, 4, 20).await;
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT c.name, d.status, d.last_error FROM notification_deliveries d \
         JOIN notification_channels c ON c.id = d.channel_id ORDER BY c.name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let by_name = |n: &str| rows.iter().find(|r| r.0 == n).unwrap().clone();
    assert_eq!(by_name("fine").1, "delivered");
    let (_, status, error) = by_name("hang");
    assert_eq!(status, "failed");
    assert!(error.unwrap().contains("timed out"));
    let (_, status, error) = by_name("redirect");
    assert_eq!(status, "failed");
    assert!(error.unwrap().contains("redirect not followed"));
    // Never followed: the receiver saw exactly one request per recorded attempt.
    let redirect_attempts: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notification_attempts a JOIN notification_deliveries d ON d.id = a.delivery_id \
         JOIN notification_channels c ON c.id = d.channel_id WHERE c.name = 'redirect'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(redirect.received().len() as i64, redirect_attempts);
    let (_, status, error) = by_name("broken");
    assert_eq!(status, "failed");
    assert!(error.unwrap().contains("500"));
    // The admin can put a failed delivery back in the queue.
    let failed_id: i64 = sqlx::query_scalar(
        "SELECT d.id FROM notification_deliveries d JOIN notification_channels c ON c.id = d.channel_id WHERE c.name = 'broken'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let res = app
        .rpc(
            &admin,
            "/rpc/notifications/retry_delivery",
            &[("id", &failed_id.to_string())],
        )
        .await;
    assert_eq!(res.status(), 200);
    broken.wait_for(2, 10).await;
    // The deliveries page lists them with their attempts, filtered by status.
    let page: serde_json::Value = app
        .rpc(
            &admin,
            "/rpc/notifications/deliveries",
            &[("page", "1"), ("status", "delivered")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(page["rows"][0]["channel"], "fine");
    assert_eq!(page["rows"][0]["history"].as_array().unwrap().len(), 1);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_rate_limited_channel_queues_rather_than_drops(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "admin", &[Role::Admin]).await;
    let admin = app.signed_in("admin").await;
    let receiver = http_receiver(Behaviour::Ok).await;
    let slack_url = format!("{}/slack", receiver.url);
    let slack = save_channel(
        &app,
        &admin,
        &[
            ("name", "slack-x"),
            ("kind", "slack"),
            ("secret", &slack_url),
            ("min_interval_ms", "300"),
        ],
    )
    .await;
    set_group(&app, &admin, "oncall", &[slack], "").await;
    let mut tx = pool.begin().await.unwrap();
    for i in 0..4 {
        store::notify(
            &mut tx,
            "oncall",
            &Event::MaintenanceOff {
                by: "t".into(),
                started_at: None,
            },
            &format!("k{i}"),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    worker(&pool, quick());
    let got = receiver.wait_for(4, 20).await;
    assert_eq!(got.len(), 4);
    // A lower bound only: a slow machine makes the gaps longer, never shorter.
    for pair in got.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(gap >= Duration::from_millis(250), "messages {gap:?} apart");
    }
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn an_email_channel_holds_a_real_smtp_conversation(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "admin", &[Role::Admin]).await;
    let admin = app.signed_in("admin").await;
    let sink = smtp_sink().await;
    let port = sink.port.to_string();
    let id = save_channel(
        &app,
        &admin,
        &[
            ("name", "mail"),
            ("kind", "email"),
            ("smtp_host", "127.0.0.1"),
            ("smtp_port", &port),
            ("smtp_security", "none"),
            ("email_from", "opsdeck <opsdeck@example.com>"),
            ("email_to", "oncall@example.com, lead@example.com"),
            ("lang", "ja"),
        ],
    )
    .await;
    let res = app
        .rpc(
            &admin,
            "/rpc/notifications/test_channel",
            &[("id", &id.to_string())],
        )
        .await;
    assert_eq!(res.status(), 200);
    let outcome: serde_json::Value = res.json().await.unwrap();
    assert_eq!(outcome["ok"], true, "{outcome}");
    assert_eq!(outcome["status_code"], 250);
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].from.contains("opsdeck@example.com"));
    assert_eq!(mails[0].to.len(), 2);
    assert!(mails[0].data.contains("Subject:"), "{}", mails[0].data);
    // The test is audited.
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'channel.test'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited, 1);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn bad_channel_settings_are_refused_with_the_field_named(pool: PgPool) {
    let app = spawn_with(
        pool.clone(),
        &[("OPSDECK_PUBLIC_URL", "https://ops.example.com")],
    )
    .await;
    create_user(&pool, "admin", &[Role::Admin]).await;
    let admin = app.signed_in("admin").await;
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[
                ("name", "w"),
                ("kind", "webhook"),
                ("url", "ftp://example.com/x"),
            ],
            "url",
        ),
        (
            &[
                ("name", "w"),
                ("kind", "webhook"),
                ("url", "https://ops.example.com/rpc/x"),
            ],
            "url",
        ),
        (
            &[
                ("name", "s"),
                ("kind", "slack"),
                ("secret", "javascript:alert(1)"),
            ],
            "secret",
        ),
        (
            &[
                ("name", "m"),
                ("kind", "email"),
                ("smtp_host", "mail"),
                ("smtp_port", "70000"),
                ("smtp_security", "tls"),
                ("email_from", "a@example.com"),
                ("email_to", "b@example.com"),
            ],
            "smtp_port",
        ),
        (
            &[
                ("name", "m"),
                ("kind", "email"),
                ("smtp_host", "mail"),
                ("smtp_port", "25"),
                ("smtp_security", "tls"),
                ("email_from", "a@example.com"),
                ("email_to", "not an address"),
            ],
            "email_to",
        ),
        (
            &[
                ("name", "bad name!"),
                ("kind", "webhook"),
                ("url", "https://example.com"),
            ],
            "name",
        ),
        (&[("name", "k"), ("kind", "carrier-pigeon")], "kind"),
    ];
    for (fields, field) in cases {
        let mut form = vec![
            ("id", "0"),
            ("enabled", "true"),
            ("lang", "en"),
            ("min_interval_ms", "0"),
        ];
        form.extend_from_slice(fields);
        let (status, err) = app_error(
            app.rpc(&admin, "/rpc/notifications/save_channel", &form)
                .await,
        )
        .await;
        assert_eq!(status, 422, "{fields:?}");
        assert!(err.for_field(field).is_some(), "{fields:?} → {err:?}");
    }
    // A duplicate name is a conflict on the name.
    let form = [
        ("id", "0"),
        ("name", "pagerduty"),
        ("kind", "webhook"),
        ("enabled", "true"),
        ("lang", "en"),
        ("min_interval_ms", "0"),
        ("url", "https://example.com/h"),
    ];
    let (status, err) = app_error(
        app.rpc(&admin, "/rpc/notifications/save_channel", &form)
            .await,
    )
    .await;
    assert_eq!(status, 409);
    assert!(err.for_field("name").is_some());
    // The groups areas address cannot be deleted or renamed.
    let page: serde_json::Value = app
        .rpc(&admin, "/rpc/notifications/groups", &[])
        .await
        .json()
        .await
        .unwrap();
    let oncall = page["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "oncall")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let res = app
        .rpc(
            &admin,
            "/rpc/notifications/delete_group",
            &[("id", &oncall.to_string())],
        )
        .await;
    assert_eq!(res.status(), 409);
    let res = app
        .rpc(
            &admin,
            "/rpc/notifications/save_group",
            &[("id", &oncall.to_string()), ("name", "renamed")],
        )
        .await;
    assert_eq!(res.status(), 422);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_password_reset_lands_in_the_users_inbox(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "admin", &[Role::Admin]).await;
    let uid = create_user(&pool, "vic", &[Role::Viewer]).await;
    let admin = app.signed_in("admin").await;
    let res = app
        .rpc(
            &admin,
            "/rpc/admin/reset_password",
            &[
                ("user_id", &uid.to_string()),
                ("password", "a-brand-new-password"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let vic = app.signed_in_with("vic", "a-brand-new-password").await;
    let inbox: serde_json::Value = app
        .rpc(&vic, "/rpc/inbox/list", &[("page", "1")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inbox["total"], 1);
    assert_eq!(inbox["rows"][0]["kind"], "account.password_reset");
    assert_eq!(inbox["rows"][0]["read"], false);
    assert!(inbox["rows"][0]["body"].as_str().unwrap().contains("admin"));
    // The admin's own inbox does not get it.
    let mine: serde_json::Value = app
        .rpc(&admin, "/rpc/inbox/list", &[("page", "1")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["total"], 0);
    let res = app
        .rpc(&vic, "/rpc/inbox/mark_read", &[("message_id", "0")])
        .await;
    assert_eq!(res.json::<u64>().await.unwrap(), 1);
    let shell: serde_json::Value = app
        .rpc(&vic, "/rpc/auth/load_shell", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shell["unread"], 0);
}

#[test]
fn retries_back_off_exponentially_with_jitter_and_stop_at_the_deadline() {
    let t0 = chrono::Utc::now();
    let base = Duration::from_secs(10);
    let cap = Duration::from_secs(3600);
    let day = Duration::from_secs(24 * 3600);
    let wait = |attempt, unit| {
        (store::next_attempt(attempt, t0, t0, base, cap, day, unit).unwrap() - t0)
            .num_milliseconds()
    };
    // Half fixed, half random: attempt 1 waits 5–10 s, attempt 3 waits 20–40 s.
    assert_eq!(wait(1, 0.0), 5_000);
    assert_eq!(wait(1, 1.0), 10_000);
    assert_eq!(wait(3, 0.0), 20_000);
    assert_eq!(wait(3, 1.0), 40_000);
    // Capped at an hour.
    assert_eq!(wait(20, 1.0), 3_600_000);
    // Past 24 h from the message: give up.
    let late = t0 + chrono::Duration::hours(24);
    assert_eq!(store::next_attempt(5, t0, late, base, cap, day, 0.5), None);
}
