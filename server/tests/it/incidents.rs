//! The DR runbook (issue 13 item 5, R-BAK-4): declaring opens the policy's
//! seven steps and recovery order and tells `oncall` once; every step
//! change is audited; viewers read and are refused changes; a resolved
//! incident is read-only; the post-incident report carries the timeline
//! and the time to recovery against the RTO.

use crate::support::*;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use opsdeck_app::error::AppError;
use opsdeck_app::i18n::{Lang, Msg};
use opsdeck_app::model::incidents::{IncidentSeverity, StepAction};
use opsdeck_app::role::Role;
use opsdeck_app::store::audit::Actor;
use opsdeck_app::store::incidents::{self as store, Change};
use serde_json::Value;
use sqlx::PgPool;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Tokyo;

/// A checklist item: position, section, key, owner, started.
type StepRow = (i32, String, String, String, Option<DateTime<Utc>>);

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

async fn declare(app: &TestApp, client: &reqwest::Client, title: &str) -> i64 {
    let res = app
        .rpc(
            client,
            "/rpc/incidents/declare",
            &[
                ("title", title),
                ("severity", "critical"),
                ("notes", "Primary in ap-northeast-1 unreachable"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn step(
    app: &TestApp,
    client: &reqwest::Client,
    id: i64,
    n: i32,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let (id, n) = (id.to_string(), n.to_string());
    let mut args = vec![("id", id.as_str()), ("step", n.as_str())];
    args.extend_from_slice(form);
    app.rpc(client, "/rpc/incidents/update_step", &args).await
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn declaring_opens_the_runbook_and_notifies_oncall_once_r_bak_4(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "olga", &[Role::Operator]).await;
    create_user(&pool, "vic", &[Role::Viewer]).await;
    let olga = app.signed_in("olga").await;
    let vic = app.signed_in("vic").await;

    // Bad input names its field and changes nothing.
    let (status, err) = app_error(
        app.rpc(
            &olga,
            "/rpc/incidents/declare",
            &[("title", "  "), ("severity", "apocalyptic")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(err.for_field("title"), Some(Msg::ErrRequired));
    assert_eq!(err.for_field("severity"), Some(Msg::ErrChoice));
    // A viewer cannot declare.
    let res = app
        .rpc(
            &vic,
            "/rpc/incidents/declare",
            &[("title", "x"), ("severity", "minor")],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(count(&pool, "SELECT count(*) FROM incidents").await, 0);

    let id = declare(&app, &olga, "Primary database lost").await;
    // The policy's seven steps, then its recovery order: eleven items.
    let steps: Vec<StepRow> = sqlx::query_as(
        "SELECT position, section, key, owner, started_at FROM incident_steps WHERE incident_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(steps.len(), 11);
    let keys: Vec<&str> = steps.iter().map(|s| s.2.as_str()).collect();
    assert_eq!(
        keys,
        [
            "declare",
            "assemble_team",
            "assess_damage",
            "start_recovery",
            "verify",
            "resume_service",
            "post_report",
            "authentication",
            "card_database",
            "decks",
            "community",
        ]
    );
    assert!(steps[..7].iter().all(|s| s.1 == "procedure"));
    assert!(steps[7..].iter().all(|s| s.1 == "recovery"));
    // Declaring is the first step under way, owned by the declarer.
    assert_eq!(steps[0].3, "olga");
    assert!(steps[0].4.is_some());
    assert!(steps[1..].iter().all(|s| s.3.is_empty() && s.4.is_none()));

    // oncall heard once, in the same transaction; operators find it in their inbox.
    let messages: Vec<(String, Option<String>, String, Value)> = sqlx::query_as(
        "SELECT kind, group_name, severity, event FROM notification_messages WHERE kind LIKE 'incidents.%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].0, "incidents.declared");
    assert_eq!(messages[0].1.as_deref(), Some("oncall"));
    assert_eq!(messages[0].2, "critical");
    assert_eq!(messages[0].3["incident_id"], id);
    assert_eq!(messages[0].3["rto_minutes"], 240);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM inbox_items i JOIN users u ON u.id = i.user_id WHERE u.username = 'olga'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE action = 'incident.declare' AND actor = 'olga'"
        )
        .await,
        1
    );

    // Everyone signed in reads it: the list and the checklist.
    let res = app.rpc(&vic, "/rpc/incidents/list", &[]).await;
    assert_eq!(res.status(), 200);
    let list: Value = res.json().await.unwrap();
    assert_eq!(list["incidents"][0]["id"], id);
    assert_eq!(list["incidents"][0]["status"], "open");
    assert_eq!(list["incidents"][0]["steps_total"], 11);
    assert_eq!(list["rto_minutes"], 240);
    let res = app
        .rpc(&vic, "/rpc/incidents/load", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    let detail: Value = res.json().await.unwrap();
    assert_eq!(detail["steps"].as_array().unwrap().len(), 11);
    assert_eq!(detail["steps"][5]["label_ja"], "サービス再開");
    assert_eq!(detail["clock"]["rto_seconds"], 240 * 60);
    assert_eq!(detail["clock"]["level"], "ok");
    let res = app
        .rpc(&vic, "/rpc/incidents/load", &[("id", "999999")])
        .await;
    assert_eq!(res.status(), 404);
    // Anonymous callers read nothing.
    let res = app.rpc(&browser(), "/rpc/incidents/list", &[]).await;
    assert_eq!(res.status(), 401);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn step_updates_are_audited_and_a_resolved_incident_is_read_only_r_bak_4(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "olga", &[Role::Operator]).await;
    create_user(&pool, "vic", &[Role::Viewer]).await;
    let olga = app.signed_in("olga").await;
    let vic = app.signed_in("vic").await;
    let id = declare(&app, &olga, "Region outage").await;
    let audits = |action: &'static str| {
        let pool = pool.clone();
        async move {
            count(
                &pool,
                &format!("SELECT count(*) FROM audit_log WHERE action = '{action}' AND target LIKE 'incident:%'"),
            )
            .await
        }
    };

    // The viewer is refused every change (R-AUTH-2) and nothing moves.
    for form in [
        vec![("action", "done")],
        vec![("action", "save"), ("owner", "vic"), ("notes", "x")],
    ] {
        assert_eq!(step(&app, &vic, id, 2, &form).await.status(), 403);
    }
    let res = app
        .rpc(&vic, "/rpc/incidents/resolve", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM incident_steps WHERE done_at IS NOT NULL OR owner = 'vic'"
        )
        .await,
        0
    );

    // Tick step 1 and 2 (2 was never started: ticking starts it too).
    for n in [1, 2] {
        let res = step(&app, &olga, id, n, &[("action", "done")]).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
    let ticked: Vec<(i32, String, Option<String>, bool)> = sqlx::query_as(
        "SELECT position, owner, done_by, started_at <= done_at FROM incident_steps \
         WHERE incident_id = $1 AND done_at IS NOT NULL ORDER BY position",
    )
    .bind(id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        ticked,
        vec![
            (1, "olga".into(), Some("olga".into()), true),
            (2, "olga".into(), Some("olga".into()), true)
        ]
    );
    assert_eq!(audits("incident_step.done").await, 2);
    // Ticking again (a second browser, a double click) keeps the first time and audits nothing.
    let first: DateTime<Utc> = sqlx::query_scalar(
        "SELECT done_at FROM incident_steps WHERE incident_id = $1 AND position = 1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        step(&app, &olga, id, 1, &[("action", "done")])
            .await
            .status(),
        200
    );
    let again: DateTime<Utc> = sqlx::query_scalar(
        "SELECT done_at FROM incident_steps WHERE incident_id = $1 AND position = 1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(first, again);
    assert_eq!(audits("incident_step.done").await, 2);

    // Owner and notes, start, untick: each audited with before and after.
    let res = step(
        &app,
        &olga,
        id,
        8,
        &[
            ("action", "save"),
            ("owner", "kenji (auth team)"),
            ("notes", "Keycloak restored from 02:00 full"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let (before, after): (Value, Value) = sqlx::query_as(
        "SELECT before, after FROM audit_log WHERE action = 'incident_step.save' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(before["owner"], "");
    assert_eq!(after["owner"], "kenji (auth team)");
    assert_eq!(after["notes"], "Keycloak restored from 02:00 full");
    assert_eq!(
        step(&app, &olga, id, 3, &[("action", "start")])
            .await
            .status(),
        200
    );
    assert_eq!(audits("incident_step.start").await, 1);
    assert_eq!(
        step(&app, &olga, id, 2, &[("action", "undone")])
            .await
            .status(),
        200
    );
    assert_eq!(audits("incident_step.undone").await, 1);
    let (done_at, started_at): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT done_at, started_at FROM incident_steps WHERE incident_id = $1 AND position = 2",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(done_at.is_none() && started_at.is_some());

    // Bad input and unknown steps.
    let (status, err) = app_error(step(&app, &olga, id, 1, &[("action", "explode")]).await).await;
    assert_eq!(status, 422);
    assert_eq!(err.for_field("action"), Some(Msg::ErrChoice));
    let long = "x".repeat(101);
    let (status, err) =
        app_error(step(&app, &olga, id, 1, &[("action", "save"), ("owner", &long)]).await).await;
    assert_eq!(status, 422);
    assert_eq!(err.for_field("owner"), Some(Msg::ErrTooLong));
    assert_eq!(
        step(&app, &olga, id, 99, &[("action", "done")])
            .await
            .status(),
        404
    );
    assert_eq!(
        step(&app, &olga, 999_999, 1, &[("action", "done")])
            .await
            .status(),
        404
    );

    // Resolve: audited, oncall hears once; afterwards the runbook is read-only.
    let res = app
        .rpc(
            &olga,
            "/rpc/incidents/resolve",
            &[
                ("id", &id.to_string()),
                ("notes", "Service back on the standby"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(audits("incident.resolve").await, 1);
    let (status, err) = app_error(step(&app, &olga, id, 4, &[("action", "done")]).await).await;
    assert_eq!(status, 409);
    assert!(matches!(err, AppError::Conflict(f) if f.msg == Msg::ErrIncidentResolved));
    let res = app
        .rpc(&olga, "/rpc/incidents/resolve", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 409);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM notification_messages WHERE kind = 'incidents.resolved' AND group_name = 'oncall'"
        )
        .await,
        1
    );
    let notes: String = sqlx::query_scalar("SELECT notes FROM incidents WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        notes,
        "Primary in ap-northeast-1 unreachable\n\nService back on the standby"
    );
}

fn jst(h: u32, m: u32) -> DateTime<Utc> {
    TZ.with_ymd_and_hms(2026, 12, 6, h, m, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// Works the runbook through the store on a fixed clock.
async fn act(pool: &PgPool, id: i64, n: i32, action: StepAction, at: DateTime<Utc>) {
    let actor = Actor {
        id: None,
        name: "olga".into(),
    };
    let mut tx = pool.begin().await.unwrap();
    let change = store::update_step(&mut tx, &actor, id, n, action, "", "", at)
        .await
        .unwrap();
    assert_eq!(change, Change::Done);
    tx.commit().await.unwrap();
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_report_has_the_timeline_and_the_time_to_recovery_against_the_rto_r_bak_4(
    pool: PgPool,
) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "vic", &[Role::Viewer]).await;
    let vic = app.signed_in("vic").await;
    let actor = Actor {
        id: None,
        name: "olga".into(),
    };
    let t0 = jst(2, 10);
    let mut tx = pool.begin().await.unwrap();
    let id = store::declare(
        &mut tx,
        &actor,
        "Primary database lost",
        IncidentSeverity::Critical,
        "",
        TZ,
        t0,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    act(&pool, id, 1, StepAction::Done, t0 + TimeDelta::minutes(2)).await;
    act(&pool, id, 2, StepAction::Done, t0 + TimeDelta::minutes(15)).await;
    act(&pool, id, 3, StepAction::Start, t0 + TimeDelta::minutes(16)).await;
    act(&pool, id, 3, StepAction::Done, t0 + TimeDelta::minutes(40)).await;
    act(&pool, id, 8, StepAction::Done, t0 + TimeDelta::minutes(95)).await;
    act(&pool, id, 6, StepAction::Done, t0 + TimeDelta::minutes(192)).await;
    let mut tx = pool.begin().await.unwrap();
    let resolved = store::resolve(&mut tx, &actor, id, "", TZ, t0 + TimeDelta::minutes(210))
        .await
        .unwrap();
    assert_eq!(resolved, Change::Done);
    tx.commit().await.unwrap();

    // A viewer may download reports (R-AUTH roles); English without a language cookie.
    let res = app
        .rpc(&vic, "/rpc/incidents/report", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    let md: String = res.json().await.unwrap();
    assert!(
        md.starts_with(&format!(
            "# Post-incident report: Primary database lost\n\n- Incident: #{id}\n"
        )),
        "{md}"
    );
    assert!(
        md.contains("- Declared: 2026-12-06 02:10 JST by olga\n"),
        "{md}"
    );
    assert!(
        md.contains("- Resolved: 2026-12-06 05:40 JST by olga\n"),
        "{md}"
    );
    // Recovery is when service resumed (step 6), 3 h 12 min in: inside the 4 h RTO.
    assert!(
        md.contains(
            "- Time to recovery: **3 h 12 min** (2026-12-06 05:22 JST) · within the RTO of 4 h\n"
        ),
        "{md}"
    );
    assert!(md.contains("## Recovery procedure\n"));
    assert!(md.contains("## Recovery order\n"));
    assert!(
        md.contains("| 3 | Assess the damage | olga | 2026-12-06 02:26 JST (T+16 min) | 2026-12-06 02:50 JST (T+40 min) | olga | 24 min | — |"),
        "{md}"
    );
    // The timeline, in time order.
    let timeline = md.split("## Timeline\n").nth(1).unwrap();
    let lines: Vec<&str> = timeline.lines().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(
        lines.first().copied(),
        Some("- 2026-12-06 02:10 JST (T+0 s) — Incident declared (by olga)")
    );
    assert_eq!(
        lines.last().copied(),
        Some("- 2026-12-06 05:40 JST (T+3 h 30 min) — Incident resolved (by olga)")
    );
    let pos = |needle: &str| timeline.find(needle).unwrap();
    assert!(pos("1. Declare the incident — done") < pos("2. Assemble the recovery team — done"));
    assert!(pos("3. Assess the damage — done") < pos("8. Recover 1: authentication — done"));
    assert!(pos("8. Recover 1: authentication — done") < pos("6. Resume service — done"));

    // In Japanese for a Japanese reader.
    let mut tx = pool.begin().await.unwrap();
    let ja = store::report(&mut tx, id, TZ, Lang::Ja, t0 + TimeDelta::hours(5))
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    assert!(ja.contains("復旧までの時間: **3 時間 12 分**"), "{ja}");
    assert!(ja.contains("| 6 | サービス再開 |"), "{ja}");

    // The RTO is the one in force at declaration: with 2 h, an open incident
    // 2 h 30 min in is over it.
    sqlx::query("UPDATE backup_settings SET rto_minutes = 120")
        .execute(&pool)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let second = store::declare(
        &mut tx,
        &actor,
        "Card database corrupted",
        IncidentSeverity::Major,
        "",
        TZ,
        t0,
    )
    .await
    .unwrap();
    let md = store::report(&mut tx, second, TZ, Lang::En, t0 + TimeDelta::minutes(150))
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        md.contains("- Time to recovery: not recovered yet · time since declaration 2 h 30 min · over the RTO of 2 h\n"),
        "{md}"
    );
    assert!(md.contains("- Resolved: still open\n"));
    let res = app
        .rpc(&vic, "/rpc/incidents/report", &[("id", "999999")])
        .await;
    assert_eq!(res.status(), 404);
}

/// The page's own part of a server-rendered document (the frame has buttons of its own).
fn page_part(html: &str) -> &str {
    let start = html
        .rfind("<div class=\"incidents\">")
        .unwrap_or_else(|| panic!("no incidents page in {html}"));
    &html[start..]
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_runbook_pages_render_on_the_server_with_buttons_for_operators_only_r_bak_4(
    pool: PgPool,
) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "olga", &[Role::Operator]).await;
    create_user(&pool, "vic", &[Role::Viewer]).await;
    let olga = app.signed_in("olga").await;
    let vic = app.signed_in("vic").await;
    let id = declare(&app, &olga, "Primary database lost").await;
    let path = format!("/incidents/{id}");

    let res = app.get(&vic, &path).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let page = page_part(&html);
    assert!(page.contains(&format!("#{id} Primary database lost")));
    for n in 1..=11 {
        assert!(
            page.contains(&format!("data-testid=\"step-status-{n}\"")),
            "step {n}"
        );
    }
    assert!(page.contains("data-testid=\"read-only\""));
    assert!(page.contains("data-testid=\"export-report\""));
    assert!(
        !page.contains("<button"),
        "a viewer gets no buttons: {page}"
    );

    let res = app.get(&olga, &path).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let page = page_part(&html);
    assert!(page.contains("data-testid=\"step-done-1\""));
    assert!(page.contains("data-testid=\"step-start-2\""));
    assert!(page.contains("data-testid=\"resolve-incident\""));

    // The list: operators get the declare form, viewers do not.
    let html = app.get(&olga, "/incidents").await.text().await.unwrap();
    assert!(page_part(&html).contains("data-testid=\"declare-incident\""));
    let html = app.get(&vic, "/incidents").await.text().await.unwrap();
    let page = page_part(&html);
    assert!(page.contains("Primary database lost"));
    assert!(!page.contains("data-testid=\"declare-incident\""));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_overview_backup_card_names_the_open_incident_until_it_is_resolved_r_bak_4(
    pool: PgPool,
) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "olga", &[Role::Operator]).await;
    let olga = app.signed_in("olga").await;
    let card = |pool: PgPool| async move {
        opsdeck_app::store::backups::card(&pool, TZ, Utc::now())
            .await
            .unwrap()
    };
    assert_eq!(card(pool.clone()).await.open_incident, None);
    let id = declare(&app, &olga, "Card database lost").await;
    let open = card(pool.clone())
        .await
        .open_incident
        .expect("open incident on the card");
    assert_eq!((open.0, open.1.as_str()), (id, "Card database lost"));
    let res = app
        .rpc(&olga, "/rpc/incidents/resolve", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(card(pool.clone()).await.open_incident, None);
}
