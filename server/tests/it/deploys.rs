//! Deploys (issue 9, R-DEP-1..7): requests, the checklist, approvals, the
//! code freeze and its override, the Deploy button's gate, rollback of the
//! live deploy only, the approvers' notification, and the Production deploy
//! a release publish requests. The executor is tested with its worker.

use crate::support::*;
use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use opsdeck::deploy_gate::{
    BlockingReason, BlueGreenDeploy, ChecklistItem, Colour, DeployEvent, DeployState, Environment,
};
use opsdeck_app::error::{AppError, FieldError};
use opsdeck_app::i18n::Msg;
use opsdeck_app::model::deploys::{BoardView, DeploySource, DeployStatus, DeployView};
use opsdeck_app::role::Role;
use opsdeck_app::store::audit::Actor;
use opsdeck_app::store::deploys::{self as store, DeployError, NewDeploy};
use sqlx::PgPool;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Tokyo;

fn actor(name: &str) -> Actor {
    Actor {
        id: None,
        name: name.into(),
    }
}

fn new_deploy(env: Environment, by: &str, key: Option<&str>) -> NewDeploy {
    NewDeploy {
        environment: env,
        version: "1.4.0".into(),
        commit_sha: "4be07d1".into(),
        ref_name: Some("main".into()),
        source: DeploySource::Api,
        requested_by: by.into(),
        idempotency_key: key.map(str::to_string),
        release_id: None,
    }
}

async fn create(pool: &PgPool, d: &NewDeploy, now: DateTime<Utc>) -> (i64, bool) {
    let mut tx = pool.begin().await.unwrap();
    let out = store::create(&mut tx, d, now).await.unwrap();
    tx.commit().await.unwrap();
    out
}

/// Plans a release directly (the releases area has its own tests).
async fn plan_release(pool: &PgPool, version: &str, planned: NaiveDate) -> i64 {
    let parts: Vec<i64> = version.split('.').map(|p| p.parse().unwrap()).collect();
    sqlx::query_scalar(
        "INSERT INTO releases (version, major, minor, patch, kind, planned_date, created_by) \
         VALUES ($1, $2, $3, $4, 'minor', $5, 'rm') RETURNING id",
    )
    .bind(version)
    .bind(parts[0])
    .bind(parts[1])
    .bind(parts[2])
    .bind(planned)
    .fetch_one(pool)
    .await
    .unwrap()
}

fn today() -> NaiveDate {
    Utc::now().with_timezone(&TZ).date_naive()
}

/// Noon in Tokyo on `d`.
fn noon(d: NaiveDate) -> DateTime<Utc> {
    TZ.from_local_datetime(&d.and_hms_opt(12, 0, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

async fn tick_all(pool: &PgPool, id: i64, now: DateTime<Utc>) {
    for item in ChecklistItem::ALL {
        store::tick(pool, id, item, None, &actor("olga"), now)
            .await
            .unwrap();
    }
}

async fn view(app: &TestApp, c: &reqwest::Client, id: i64) -> DeployView {
    let res = app
        .rpc(c, "/rpc/deploys/get", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

async fn request(app: &TestApp, c: &reqwest::Client, env: &str, version: &str) -> i64 {
    let res = app
        .rpc(
            c,
            "/rpc/deploys/request",
            &[
                ("environment", env),
                ("version", version),
                ("commit_sha", "4BE07D1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    res.json().await.unwrap()
}

/// alice, bob, carol approvers; olga operator; vic viewer; rm release
/// manager; root admin.
async fn people(pool: &PgPool) {
    create_user(pool, "alice", &[Role::Approver]).await;
    create_user(pool, "bob", &[Role::Approver]).await;
    create_user(pool, "carol", &[Role::Approver]).await;
    create_user(pool, "olga", &[Role::Operator]).await;
    create_user(pool, "vic", &[Role::Viewer]).await;
    create_user(pool, "rm", &[Role::ReleaseManager]).await;
    create_user(pool, "root", &[Role::Admin]).await;
}

/// Moves a deploy's machine through `events` and stores it (what the
/// executor does), with `started_at` so it counts as having run.
async fn force(pool: &PgPool, id: i64, events: &[DeployEvent], started: DateTime<Utc>) {
    let mut m = BlueGreenDeploy::new(Colour::Blue);
    for e in events {
        m = m.apply(*e).unwrap();
    }
    let state = DeployStatus::from_core(m.state).as_str();
    sqlx::query(
        "UPDATE deploys SET state = $2, machine = $3, started_at = $4, \
         finished_at = CASE WHEN $2 IN ('done', 'failed', 'rolled_back') THEN $4 END WHERE id = $1",
    )
    .bind(id)
    .bind(state)
    .bind(serde_json::to_value(m).unwrap())
    .bind(started)
    .execute(pool)
    .await
    .unwrap();
}

const TO_DONE: [DeployEvent; 6] = [
    DeployEvent::GateCleared,
    DeployEvent::Start,
    DeployEvent::IdleDeployed,
    DeployEvent::HealthPassed,
    DeployEvent::Switched,
    DeployEvent::ObservationPassed,
];

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn create_is_idempotent_with_pending_stages_machine_and_audit_r_dep_2_r_dep_3(pool: PgPool) {
    opsdeck_server::bootstrap::migrate(&pool).await.unwrap();
    // The environment row says green is live: the new deploy builds on blue.
    sqlx::query(
        "INSERT INTO environments (name, position, live_colour, key) VALUES ('Staging', 3, 'green', 'staging')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let now = Utc::now();
    let d = new_deploy(Environment::Staging, "ci", Some("run-42"));
    let (id, created) = create(&pool, &d, now).await;
    assert!(created);
    let (again, created) = create(&pool, &d, now).await;
    assert_eq!((again, created), (id, false));
    // Another source may use the same key.
    let other = NewDeploy {
        source: DeploySource::Github,
        ..d.clone()
    };
    assert_ne!(create(&pool, &other, now).await.0, id);

    let stages: Vec<(String, String)> = sqlx::query_as(
        "SELECT stage, status FROM deploy_stages WHERE deploy_id = $1 ORDER BY stage",
    )
    .bind(id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(stages.len(), 5);
    assert!(stages.iter().all(|(_, s)| s == "pending"));
    let (state, previous, machine): (String, String, serde_json::Value) =
        sqlx::query_as("SELECT state, previous_colour, machine FROM deploys WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((state.as_str(), previous.as_str()), ("requested", "green"));
    let machine: BlueGreenDeploy = serde_json::from_value(machine).unwrap();
    assert_eq!(machine, BlueGreenDeploy::new(Colour::Green));
    let audits: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'deploy.request' AND target = $1",
    )
    .bind(format!("deploy:{id}"))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audits, 1);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn checklist_ticks_keep_who_when_and_evidence_and_refuse_bad_links_r_dep_4(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    people(&pool).await;
    let alice = app.signed_in("alice").await;
    let olga = app.signed_in("olga").await;
    let vic = app.signed_in("vic").await;
    let id = request(&app, &alice, "staging", "1.4.0").await;
    let ids = id.to_string();

    let before = view(&app, &olga, id).await;
    assert!(before.checklist_required);
    assert_eq!(before.checklist.len(), 6);
    assert!(matches!(
        &before.blocking[..],
        [BlockingReason::ChecklistOpen { items }] if items.len() == 6
    ));

    let res = app
        .rpc(
            &olga,
            "/rpc/deploys/tick",
            &[
                ("id", &ids),
                ("item", "security_scan_done"),
                ("evidence_url", "https://ci.example.com/scan/7"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let v = view(&app, &olga, id).await;
    let row = v
        .checklist
        .iter()
        .find(|r| r.item == ChecklistItem::SecurityScanDone)
        .unwrap();
    assert_eq!(row.ticked_by.as_deref(), Some("olga"));
    assert!(row.ticked_at.is_some());
    assert_eq!(
        row.evidence_url.as_deref(),
        Some("https://ci.example.com/scan/7")
    );

    for bad in ["javascript:alert(1)", "ftp://x.example/a", "not a link"] {
        let res = app
            .rpc(
                &olga,
                "/rpc/deploys/tick",
                &[
                    ("id", &ids),
                    ("item", "all_tests_pass"),
                    ("evidence_url", bad),
                ],
            )
            .await;
        let (status, err) = app_error(res).await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(err, AppError::field("evidence_url", Msg::ErrUrl));
    }
    // A viewer reads but does not tick.
    let res = app
        .rpc(
            &vic,
            "/rpc/deploys/tick",
            &[("id", &ids), ("item", "all_tests_pass")],
        )
        .await;
    assert_eq!(res.status(), 403);

    let res = app
        .rpc(
            &olga,
            "/rpc/deploys/untick",
            &[("id", &ids), ("item", "security_scan_done")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let v = view(&app, &olga, id).await;
    assert!(v.checklist.iter().all(|r| r.ticked_by.is_none()));
    let audits: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE target = $1 AND action LIKE 'deploy.%tick' ORDER BY id",
    )
    .bind(format!("deploy:{id}"))
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audits, vec!["deploy.tick", "deploy.untick"]);

    // Once running, the checklist no longer changes.
    store::tick(
        &pool,
        id,
        ChecklistItem::AllTestsPass,
        None,
        &actor("olga"),
        Utc::now(),
    )
    .await
    .unwrap();
    force(
        &pool,
        id,
        &[DeployEvent::GateCleared, DeployEvent::Start],
        Utc::now(),
    )
    .await;
    let res = app
        .rpc(
            &olga,
            "/rpc/deploys/untick",
            &[("id", &ids), ("item", "all_tests_pass")],
        )
        .await;
    let (status, err) = app_error(res).await;
    assert_eq!(status, 409);
    assert_eq!(
        err,
        AppError::Conflict(FieldError::new("deploy", Msg::ErrDeployRunning))
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn approvals_refuse_the_requester_other_roles_and_second_votes_r_dep_5(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    people(&pool).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let id = request(&app, &alice, "production", "2.0.0").await;
    let ids = id.to_string();
    let approve = |c: reqwest::Client| {
        let app = &app;
        let ids = ids.clone();
        async move {
            app.rpc(
                &c,
                "/rpc/deploys/approve",
                &[("id", &ids), ("comment", "looks good")],
            )
            .await
        }
    };

    let (status, err) = app_error(approve(alice.clone()).await).await;
    assert_eq!(status, 409);
    assert_eq!(
        err,
        AppError::Conflict(FieldError::new("vote", Msg::ErrDeploySelfApproval))
    );
    for who in ["vic", "olga", "rm"] {
        let c = app.signed_in(who).await;
        assert_eq!(approve(c).await.status(), 403, "{who}");
    }
    assert_eq!(approve(bob.clone()).await.status(), 200);
    let (status, err) = app_error(approve(bob.clone()).await).await;
    assert_eq!(status, 409);
    assert_eq!(
        err,
        AppError::Conflict(FieldError::new("vote", Msg::ErrDeployAlreadyVoted))
    );
    let v = view(&app, &bob, id).await;
    assert_eq!(v.approvals_required, 1);
    assert_eq!(v.row.approvers, vec!["bob"]);
    assert_eq!(v.votes.len(), 1);
    assert!(v.votes[0].counted);
    assert_eq!(v.votes[0].comment, "looks good");
    assert!(!v
        .blocking
        .iter()
        .any(|b| matches!(b, BlockingReason::ApprovalsMissing { .. })));

    // The count comes from the settings: two needed now, one missing.
    sqlx::query(
        "UPDATE deploy_settings SET approvals_required = 2 WHERE environment = 'production'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let v = view(&app, &bob, id).await;
    assert!(v.blocking.contains(&BlockingReason::ApprovalsMissing {
        missing: 1,
        required: 2
    }));
    let carol = app.signed_in("carol").await;
    assert_eq!(approve(carol).await.status(), 200);
    let v = view(&app, &bob, id).await;
    assert!(!v
        .blocking
        .iter()
        .any(|b| matches!(b, BlockingReason::ApprovalsMissing { .. })));
    let audits: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'deploy.vote' AND target = $1",
    )
    .bind(format!("deploy:{id}"))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audits, 2);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_freeze_blocks_production_until_an_admin_overrides_with_a_reason_r_dep_6(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    people(&pool).await;
    let release = plan_release(&pool, "2.1.0", today() + TimeDelta::days(3)).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let root = app.signed_in("root").await;
    let id = request(&app, &alice, "production", "2.0.1").await;
    let ids = id.to_string();
    // Staging is never frozen.
    let staging = request(&app, &alice, "staging", "2.0.1").await;
    assert!(view(&app, &alice, staging).await.freeze.is_none());

    let v = view(&app, &alice, id).await;
    let freeze = v.freeze.clone().expect("the freeze is shown");
    assert_eq!(
        (freeze.release_id, freeze.release_version.as_str()),
        (release, "2.1.0")
    );
    assert!(freeze.override_by.is_none());
    assert!(v
        .blocking
        .iter()
        .any(|b| matches!(b, BlockingReason::CodeFreeze { .. })));
    let board: BoardView = app
        .rpc(&alice, "/rpc/deploys/board", &[])
        .await
        .json()
        .await
        .unwrap();
    let prod = board
        .environments
        .iter()
        .find(|e| e.environment == Environment::Production)
        .unwrap();
    assert_eq!(prod.code_freeze.as_deref(), Some("2.1.0"));

    // Everything else cleared: the freeze alone refuses the start.
    tick_all(&pool, id, Utc::now()).await;
    store::vote(&pool, id, "bob", "", &actor("bob"), Utc::now())
        .await
        .unwrap();
    let res = app.rpc(&bob, "/rpc/deploys/start", &[("id", &ids)]).await;
    let (status, err) = app_error(res).await;
    assert_eq!(status, 422);
    assert_eq!(err, AppError::field("freeze", Msg::ErrDeployCodeFreeze));

    let res = app
        .rpc(
            &root,
            "/rpc/deploys/override_freeze",
            &[("id", &ids), ("reason", "   ")],
        )
        .await;
    let (status, err) = app_error(res).await;
    assert_eq!(status, 422);
    assert_eq!(err, AppError::field("reason", Msg::ErrRequired));
    let res = app
        .rpc(
            &bob,
            "/rpc/deploys/override_freeze",
            &[("id", &ids), ("reason", "hotfix")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .rpc(
            &root,
            "/rpc/deploys/override_freeze",
            &[("id", &ids), ("reason", "security hotfix CVE-2027-1")],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let v = view(&app, &bob, id).await;
    let freeze = v.freeze.clone().unwrap();
    assert_eq!(freeze.override_by.as_deref(), Some("root"));
    assert_eq!(
        freeze.override_reason.as_deref(),
        Some("security hotfix CVE-2027-1")
    );
    assert!(v.blocking.is_empty(), "{:?}", v.blocking);
    assert!(v.can_start);
    let audit: serde_json::Value = sqlx::query_scalar(
        "SELECT after FROM audit_log WHERE action = 'deploy.freeze_override' AND target = $1",
    )
    .bind(format!("deploy:{id}"))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audit["release_id"], release);
    assert_eq!(audit["reason"], "security hotfix CVE-2027-1");
    let res = app.rpc(&bob, "/rpc/deploys/start", &[("id", &ids)]).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn an_override_counts_only_for_its_own_window_r_dep_6(pool: PgPool) {
    opsdeck_server::bootstrap::migrate(&pool).await.unwrap();
    let day_a = NaiveDate::from_ymd_opt(2031, 3, 10).unwrap();
    let day_b = NaiveDate::from_ymd_opt(2031, 3, 24).unwrap();
    let a = plan_release(&pool, "3.1.0", day_a).await;
    plan_release(&pool, "3.2.0", day_b).await;
    let in_a = noon(day_a - TimeDelta::days(2));
    let between = noon(day_a + TimeDelta::days(3));
    let in_b = noon(day_b - TimeDelta::days(2));
    let (id, _) = create(
        &pool,
        &new_deploy(Environment::Production, "alice", None),
        in_a,
    )
    .await;
    let frozen = |d: &opsdeck::deploy_gate::GateDecision| {
        d.blocking
            .iter()
            .any(|b| matches!(b, BlockingReason::CodeFreeze { .. }))
    };
    let gate = |at: DateTime<Utc>| {
        let pool = pool.clone();
        async move {
            let mut conn = pool.acquire().await.unwrap();
            store::gate(&mut conn, id, TZ, at).await.unwrap().unwrap()
        }
    };
    assert!(frozen(&gate(in_a).await));
    // No freeze holds between the two: nothing to override.
    let err = store::override_freeze(&pool, id, "root", "why", &actor("root"), TZ, between)
        .await
        .unwrap_err();
    assert!(matches!(err, DeployError::NotFrozen), "{err:?}");
    let err = store::override_freeze(&pool, id, "root", " ", &actor("root"), TZ, in_a)
        .await
        .unwrap_err();
    assert!(matches!(err, DeployError::ReasonRequired), "{err:?}");
    store::override_freeze(&pool, id, "root", "hotfix", &actor("root"), TZ, in_a)
        .await
        .unwrap();
    let recorded: i64 =
        sqlx::query_scalar("SELECT release_id FROM deploy_freeze_overrides WHERE deploy_id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(recorded, a);
    assert!(!frozen(&gate(in_a).await));
    assert!(!frozen(&gate(between).await));
    // The next release's freeze is another window: the override does not carry.
    let d = gate(in_b).await;
    assert!(frozen(&d), "{:?}", d.blocking);
    let mut conn = pool.acquire().await.unwrap();
    let v = store::view(&mut conn, id, TZ, in_b).await.unwrap().unwrap();
    let f = v.freeze.unwrap();
    assert_eq!(f.release_version, "3.2.0");
    assert!(f.override_by.is_none());
    // Other environments are never frozen.
    let (staging, _) = create(
        &pool,
        &new_deploy(Environment::Development, "alice", None),
        in_a,
    )
    .await;
    let d = store::gate(&mut conn, staging, TZ, in_b)
        .await
        .unwrap()
        .unwrap();
    assert!(d.can_start, "{:?}", d.blocking);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn deploy_is_refused_while_the_gate_blocks_and_queued_when_it_holds_r_dep_4_r_dep_5(
    pool: PgPool,
) {
    let app = spawn(pool.clone()).await;
    people(&pool).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let olga = app.signed_in("olga").await;
    let id = request(&app, &alice, "production", "2.0.0").await;
    let ids = id.to_string();

    let res = app.rpc(&bob, "/rpc/deploys/start", &[("id", &ids)]).await;
    let (status, err) = app_error(res).await;
    assert_eq!(status, 422);
    assert_eq!(
        err,
        AppError::Validation(vec![
            FieldError::new("checklist", Msg::ErrDeployChecklistOpen),
            FieldError::new("approvals", Msg::ErrDeployApprovalsMissing),
        ])
    );
    // An operator cannot press Deploy (R-DEP-5: approvers only).
    let res = app.rpc(&olga, "/rpc/deploys/start", &[("id", &ids)]).await;
    assert_eq!(res.status(), 403);

    tick_all(&pool, id, Utc::now()).await;
    let res = app.rpc(&bob, "/rpc/deploys/start", &[("id", &ids)]).await;
    let (_, err) = app_error(res).await;
    assert_eq!(
        err,
        AppError::Validation(vec![FieldError::new(
            "approvals",
            Msg::ErrDeployApprovalsMissing
        )])
    );
    let res = app.rpc(&bob, "/rpc/deploys/approve", &[("id", &ids)]).await;
    assert_eq!(res.status(), 200);
    // Approving started nothing.
    assert_eq!(
        view(&app, &bob, id).await.row.status,
        DeployStatus::Requested
    );
    let res = app.rpc(&bob, "/rpc/deploys/start", &[("id", &ids)]).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let v = view(&app, &bob, id).await;
    assert_eq!(v.row.status, DeployStatus::Ready);
    assert!(v.row.queued);
    assert_eq!(v.queue_position, Some(1));
    assert!(!v.can_start);
    let (by, machine): (Option<String>, serde_json::Value) =
        sqlx::query_as("SELECT start_requested_by, machine FROM deploys WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(by.as_deref(), Some("bob"));
    let machine: BlueGreenDeploy = serde_json::from_value(machine).unwrap();
    assert_eq!(machine.state, DeployState::Ready);
    // Pressing again while it waits changes nothing.
    let res = app.rpc(&bob, "/rpc/deploys/start", &[("id", &ids)]).await;
    assert_eq!(res.status(), 200);
    let audits: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'deploy.start_request' AND target = $1",
    )
    .bind(format!("deploy:{id}"))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audits, 1);
    // Votes stop once it has started.
    force(
        &pool,
        id,
        &[DeployEvent::GateCleared, DeployEvent::Start],
        Utc::now(),
    )
    .await;
    let carol = app.signed_in("carol").await;
    let (status, err) = app_error(
        app.rpc(&carol, "/rpc/deploys/approve", &[("id", &ids)])
            .await,
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(
        err,
        AppError::Conflict(FieldError::new("deploy", Msg::ErrDeployFinal))
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn only_the_live_deploy_can_be_rolled_back_and_the_refusal_names_it_r_dep_7(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    people(&pool).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let olga = app.signed_in("olga").await;
    let t0 = Utc::now() - TimeDelta::hours(2);
    let older = request(&app, &alice, "development", "1.0.0").await;
    force(&pool, older, &TO_DONE, t0).await;
    let live = request(&app, &alice, "development", "1.1.0").await;
    force(&pool, live, &TO_DONE, t0 + TimeDelta::hours(1)).await;
    // A later one that failed before the switch leaves `live` live.
    let failed = request(&app, &alice, "development", "1.2.0").await;
    force(
        &pool,
        failed,
        &[
            DeployEvent::GateCleared,
            DeployEvent::Start,
            DeployEvent::StepFailed,
        ],
        t0 + TimeDelta::minutes(90),
    )
    .await;

    let err = store::request_rollback(&pool, older, "bob", "bad", &actor("bob"), Utc::now())
        .await
        .unwrap_err();
    assert!(
        matches!(err, DeployError::NotLive { live_deploy_id: Some(l) } if l == live),
        "{err:?}"
    );
    let res = app
        .rpc(
            &bob,
            "/rpc/deploys/rollback",
            &[("id", &older.to_string()), ("reason", "bad")],
        )
        .await;
    let (status, err) = app_error(res).await;
    assert_eq!(status, 409);
    assert_eq!(
        err,
        AppError::Conflict(FieldError::new("rollback", Msg::ErrDeployNotLive))
    );
    assert_eq!(view(&app, &bob, older).await.live_deploy_id, Some(live));
    assert_eq!(view(&app, &bob, failed).await.live_deploy_id, Some(live));
    assert_eq!(view(&app, &bob, live).await.live_deploy_id, None);

    let lives = live.to_string();
    let res = app
        .rpc(
            &bob,
            "/rpc/deploys/rollback",
            &[("id", &lives), ("reason", " ")],
        )
        .await;
    let (status, err) = app_error(res).await;
    assert_eq!(status, 422);
    assert_eq!(err, AppError::field("reason", Msg::ErrRequired));
    let res = app
        .rpc(
            &olga,
            "/rpc/deploys/rollback",
            &[("id", &lives), ("reason", "errors")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .rpc(
            &bob,
            "/rpc/deploys/rollback",
            &[("id", &lives), ("reason", "error rate 7%")],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let (by, reason, requested): (Option<String>, Option<String>, Option<DateTime<Utc>>) =
        sqlx::query_as(
            "SELECT rollback_by, rollback_reason, rollback_requested_at FROM deploys WHERE id = $1",
        )
        .bind(live)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(by.as_deref(), Some("bob"));
    assert_eq!(reason.as_deref(), Some("error rate 7%"));
    assert!(requested.is_some());
    let v = view(&app, &bob, live).await;
    assert_eq!(v.rollback_reason.as_deref(), Some("error rate 7%"));
    // Asked once: a second click is refused, not recorded twice.
    let res = app
        .rpc(
            &bob,
            "/rpc/deploys/rollback",
            &[("id", &lives), ("reason", "again")],
        )
        .await;
    assert_eq!(res.status(), 409);
    let audits: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'deploy.rollback_request' AND target = $1",
    )
    .bind(format!("deploy:{lives}"))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audits, 1);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn approvers_are_told_once_of_a_deploy_waiting_for_them_r_dep_5(pool: PgPool) {
    opsdeck_server::bootstrap::migrate(&pool).await.unwrap();
    let bob = create_user(&pool, "bob", &[Role::Approver]).await;
    create_user(&pool, "vic", &[Role::Viewer]).await;
    let now = Utc::now();
    let d = new_deploy(Environment::Production, "ci", Some("delivery-1"));
    let (id, _) = create(&pool, &d, now).await;
    create(&pool, &d, now).await;
    // Staging needs no approval: nobody is told.
    create(
        &pool,
        &new_deploy(Environment::Staging, "ci", Some("d-2")),
        now,
    )
    .await;
    let messages: Vec<(i64, String, serde_json::Value)> = sqlx::query_as(
        "SELECT id, idempotency_key, event FROM notification_messages WHERE kind = 'deploys.awaiting_approval'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].1, format!("deploy:{id}:awaiting"));
    assert_eq!(messages[0].2["deploy_id"], id);
    let inbox: Vec<i64> =
        sqlx::query_scalar("SELECT user_id FROM inbox_items WHERE message_id = $1")
            .bind(messages[0].0)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(inbox, vec![bob]);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_board_lists_four_environments_and_what_waits_for_each_approver_r_dep_1_r_dep_5(
    pool: PgPool,
) {
    let app = spawn(pool.clone()).await;
    people(&pool).await;
    let alice = app.signed_in("alice").await;
    let bob = app.signed_in("bob").await;
    let vic = app.signed_in("vic").await;
    let id = request(&app, &alice, "production", "2.0.0").await;
    request(&app, &alice, "staging", "2.0.0").await;
    let board = |c: reqwest::Client| {
        let app = &app;
        async move {
            let res = app.rpc(&c, "/rpc/deploys/board", &[]).await;
            assert_eq!(res.status(), 200);
            res.json::<BoardView>().await.unwrap()
        }
    };
    let b = board(bob.clone()).await;
    assert_eq!(
        b.environments
            .iter()
            .map(|e| e.environment)
            .collect::<Vec<_>>(),
        Environment::ALL.to_vec()
    );
    assert!(b.environments.iter().all(|e| e.colours.len() == 2));
    assert_eq!(
        b.waiting_for_you.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![id]
    );
    assert!(board(alice.clone()).await.waiting_for_you.is_empty());
    assert!(board(vic).await.waiting_for_you.is_empty());
    app.rpc(&bob, "/rpc/deploys/approve", &[("id", &id.to_string())])
        .await;
    assert!(board(bob).await.waiting_for_you.is_empty());

    let res = app
        .rpc(
            &alice,
            "/rpc/deploys/history",
            &[("environment", "production")],
        )
        .await;
    let page: opsdeck_app::model::deploys::DeployHistory = res.json().await.unwrap();
    assert_eq!(page.rows.len(), 1);
    assert_eq!(page.rows[0].approvers, vec!["bob"]);
    assert_eq!(page.rows[0].commit_sha, "4be07d1");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_ui_request_is_validated_r_dep_2(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    people(&pool).await;
    let rm = app.signed_in("rm").await;
    let res = app
        .rpc(
            &rm,
            "/rpc/deploys/request",
            &[
                ("environment", "qa"),
                ("version", "1 0"),
                ("commit_sha", "xyz"),
            ],
        )
        .await;
    let (status, err) = app_error(res).await;
    assert_eq!(status, 422);
    assert_eq!(
        err,
        AppError::Validation(vec![
            FieldError::new("environment", Msg::ErrChoice),
            FieldError::new("version", Msg::ErrDeployVersion),
            FieldError::new("commit_sha", Msg::ErrDeployCommit),
        ])
    );
    let id = request(&app, &rm, "prod", "1.0.0").await;
    let v = view(&app, &rm, id).await;
    assert_eq!(v.row.environment, Environment::Production);
    assert_eq!(v.row.source, DeploySource::Ui);
    assert_eq!(v.row.requested_by, "rm");
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn publishing_a_release_requests_the_production_deploy_r_rel_5_r_dep_2(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    people(&pool).await;
    let rm = app.signed_in("rm").await;
    let id = plan_release(&pool, "1.3.0", today() + TimeDelta::days(20)).await;
    let res = app
        .rpc(&rm, "/rpc/releases/publish", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    /// environment, version, source, idempotency key, release, requester.
    type Row = (String, String, String, Option<String>, Option<i64>, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT environment, version, source, idempotency_key, release_id, requested_by FROM deploys",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![(
            "production".to_string(),
            "1.3.0".to_string(),
            "release".to_string(),
            Some(format!("release:{id}")),
            Some(id),
            "rm".to_string()
        )]
    );
    // Publishing again is refused and requests nothing more.
    let res = app
        .rpc(&rm, "/rpc/releases/publish", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 422);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM deploys")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn step_output_is_read_in_pages_r_dep_8(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    people(&pool).await;
    let alice = app.signed_in("alice").await;
    let id = request(&app, &alice, "development", "1.0.0").await;
    let output = "a".repeat(4000) + &"é".repeat(4000) + "end";
    let step: i64 = sqlx::query_scalar(
        "INSERT INTO deploy_steps (deploy_id, step, colour, status, started_at, output) \
         VALUES ($1, 'provision', 'green', 'ok', now(), $2) RETURNING id",
    )
    .bind(id)
    .bind(&output)
    .fetch_one(&pool)
    .await
    .unwrap();
    let v = view(&app, &alice, id).await;
    assert_eq!(v.steps.len(), 1);
    assert_eq!(v.steps[0].output_head, "a".repeat(4000));
    assert_eq!(v.steps[0].output_chars, 8003);
    let page = |p: &'static str| {
        let app = &app;
        let alice = alice.clone();
        let step = step.to_string();
        async move {
            let res = app
                .rpc(
                    &alice,
                    "/rpc/deploys/step_output",
                    &[("step_id", &step), ("page", p)],
                )
                .await;
            res.json::<(String, u32)>().await.unwrap()
        }
    };
    assert_eq!(page("2").await, ("é".repeat(4000), 3));
    assert_eq!(page("3").await, ("end".to_string(), 3));
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn settings_are_validated_and_keep_the_policy_floor_r_dep_4_r_dep_5_r_dep_8(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    people(&pool).await;
    let root = app.signed_in("root").await;
    let save = |args: Vec<(&'static str, &'static str)>| {
        let app = &app;
        let root = root.clone();
        async move {
            let mut form = vec![
                ("environment", "production"),
                ("checklist_required", "true"),
                ("approvals_required", "2"),
                ("driver", "webhook"),
                (
                    "driver_config",
                    r#"{"url": "https://deploy.example.com/hook", "health_url": "https://app.example.com/health"}"#,
                ),
                ("step_timeout_seconds", "600"),
                ("health_required_consecutive", "3"),
                ("health_timeout_seconds", "120"),
                ("health_interval_ms", "1000"),
                ("observe_seconds", "30"),
            ];
            for (k, v) in args {
                form.retain(|(f, _)| *f != k);
                form.push((k, v));
            }
            app.rpc(&root, "/rpc/deploys/save_settings", &form).await
        }
    };
    let res = save(vec![]).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app.rpc(&root, "/rpc/deploys/settings", &[]).await;
    let all: Vec<opsdeck_app::model::deploys::DeploySettingsView> = res.json().await.unwrap();
    let prod = all
        .iter()
        .find(|s| s.environment == Environment::Production)
        .unwrap();
    assert_eq!(
        (prod.approvals_required, prod.driver.as_str()),
        (2, "webhook")
    );
    let cfg: serde_json::Value = serde_json::from_str(&prod.driver_config).unwrap();
    assert_eq!(cfg["url"], "https://deploy.example.com/hook");

    for (args, field, msg) in [
        (
            vec![("driver_config", r#"{"health_url": "https://x.example"}"#)],
            "driver_config",
            Msg::ErrDeployDriverConfig,
        ),
        (
            vec![("driver_config", r#"{"url": "file:///etc/passwd"}"#)],
            "driver_config",
            Msg::ErrUrl,
        ),
        (
            vec![("driver", "command"), ("driver_config", "{}")],
            "driver_config",
            Msg::ErrDeployDriverConfig,
        ),
        (
            vec![("driver", "demo"), ("driver_config", r#"{"extra": 1}"#)],
            "driver_config",
            Msg::ErrDeployDriverConfig,
        ),
        (
            vec![
                ("driver", "demo"),
                ("driver_config", r#"{"next_unhealthy_at": "later"}"#),
            ],
            "driver_config",
            Msg::ErrDeployDriverConfig,
        ),
        (vec![("driver", "ssh")], "driver", Msg::ErrChoice),
        (
            vec![("health_interval_ms", "50")],
            "health_interval_ms",
            Msg::ErrNumberRange,
        ),
        (
            vec![("approvals_required", "0")],
            "approvals_required",
            Msg::ErrDeployPolicyFloor,
        ),
        (
            vec![("checklist_required", "false")],
            "checklist_required",
            Msg::ErrDeployPolicyFloor,
        ),
    ] {
        let res = save(args.clone()).await;
        let (status, err) = app_error(res).await;
        assert_eq!(status, 422, "{args:?}");
        assert_eq!(err.for_field(field), Some(msg), "{args:?}: {err:?}");
    }
    // A command per step, the health URL naming the colour.
    let res = save(vec![
        ("driver", "command"),
        (
            "driver_config",
            r#"{"provision": "./deploy.sh", "switch": "./switch.sh", "health_url": "http://{color}.app.internal/health"}"#,
        ),
    ])
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // Development may go without checklist or approval, on the demo driver.
    let res = save(vec![
        ("environment", "development"),
        ("checklist_required", "false"),
        ("approvals_required", "0"),
        ("driver", "demo"),
        ("driver_config", ""),
    ])
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let audits: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'deploy.settings'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audits, 3);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn deploy_pressed_starts_from_the_colour_live_then_r_dep_7(pool: PgPool) {
    opsdeck_server::bootstrap::migrate(&pool).await.unwrap();
    let now = Utc::now();
    let (waiting, _) = create(
        &pool,
        &new_deploy(Environment::Development, "alice", None),
        now,
    )
    .await;
    // Another deploy switched blue → green after `waiting` was requested.
    let (earlier, _) = create(
        &pool,
        &new_deploy(Environment::Development, "alice", None),
        now,
    )
    .await;
    force(&pool, earlier, &TO_DONE, now).await;
    store::request_start(&pool, waiting, "bob", &actor("bob"), TZ, now)
        .await
        .unwrap();
    let (previous, machine): (String, serde_json::Value) =
        sqlx::query_as("SELECT previous_colour, machine FROM deploys WHERE id = $1")
            .bind(waiting)
            .fetch_one(&pool)
            .await
            .unwrap();
    let machine: BlueGreenDeploy = serde_json::from_value(machine).unwrap();
    assert_eq!(previous, "green");
    assert_eq!(machine.state, DeployState::Ready);
    assert_eq!(machine.candidate(), Colour::Blue);
}

/// Issue 9 item 7: the history filters by status, version prefix and
/// requester, pages by keyset (older / newer cursors that round-trip), and
/// refuses bad filters with a named field.
#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn history_filters_and_pages_by_keyset_r_dep_1(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    people(&pool).await;
    let now = Utc::now();
    // 120 Staging deploys: versions 1.<i>.0, alternately by alice and rm;
    // every third one rolled back.
    let mut ids = Vec::new();
    for i in 0..120 {
        let mut d = new_deploy(
            Environment::Staging,
            if i % 2 == 0 { "alice" } else { "rm" },
            None,
        );
        d.version = format!("1.{i}.0");
        let (id, _) = create(&pool, &d, now).await;
        if i % 3 == 0 {
            sqlx::query("UPDATE deploys SET state = 'rolled_back' WHERE id = $1")
                .bind(id)
                .execute(&pool)
                .await
                .unwrap();
        }
        ids.push(id);
    }
    // One in another environment, which no Staging page lists.
    create(
        &pool,
        &new_deploy(Environment::Production, "alice", None),
        now,
    )
    .await;
    let vic = app.signed_in("vic").await;
    let history = |params: Vec<(&'static str, String)>| {
        let (app, vic) = (&app, &vic);
        async move {
            let mut form: Vec<(&str, &str)> = vec![("environment", "staging")];
            form.extend(params.iter().map(|(k, v)| (*k, v.as_str())));
            let res = app.rpc(vic, "/rpc/deploys/history", &form).await;
            assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
            res.json::<opsdeck_app::model::deploys::DeployHistory>()
                .await
                .unwrap()
        }
    };
    let newest_first: Vec<i64> = ids.iter().rev().copied().collect();

    // Walk the whole history older and older: 50, 50, 20, no overlap.
    let first = history(vec![]).await;
    assert_eq!(
        first.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        newest_first[..50]
    );
    assert_eq!(first.newer_than, None);
    let older = first.older_than.expect("a second page");
    let second = history(vec![("before", older.to_string())]).await;
    assert_eq!(
        second.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        newest_first[50..100]
    );
    let third = history(vec![("before", second.older_than.unwrap().to_string())]).await;
    assert_eq!(
        third.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        newest_first[100..]
    );
    assert_eq!(third.older_than, None, "the last page has nothing older");
    // …and back: the newer cursor of the last page gives the second page.
    let back = history(vec![("after", third.newer_than.unwrap().to_string())]).await;
    assert_eq!(back.rows, second.rows);
    let back = history(vec![("after", back.newer_than.unwrap().to_string())]).await;
    assert_eq!(back.rows, first.rows);
    assert_eq!(back.newer_than, None, "the newest page has nothing newer");

    // Filters: status, version prefix, requester, together.
    let rolled = history(vec![("status", "rolled_back".into())]).await;
    assert_eq!(rolled.rows.len(), 40);
    assert!(rolled
        .rows
        .iter()
        .all(|r| r.status == DeployStatus::RolledBack));
    let v = history(vec![("version", "1.1".into())]).await;
    // 1.1.0 and 1.10.0 … 1.19.0, and 1.100.0 … 1.119.0.
    assert_eq!(v.rows.len(), 1 + 10 + 20);
    assert!(v.rows.iter().all(|r| r.version.starts_with("1.1")));
    let both = history(vec![
        ("requester", "rm".into()),
        ("status", "rolled_back".into()),
    ])
    .await;
    assert_eq!(both.rows.len(), 20);
    assert!(both
        .rows
        .iter()
        .all(|r| r.requested_by == "rm" && r.status == DeployStatus::RolledBack));
    let none = history(vec![("requester", "nobody".into())]).await;
    assert!(none.rows.is_empty() && none.older_than.is_none() && none.newer_than.is_none());

    // Bad filters name their field.
    for (field, value) in [
        ("status", "exploded".to_string()),
        ("version", "9".repeat(101)),
    ] {
        let res = app
            .rpc(
                &vic,
                "/rpc/deploys/history",
                &[("environment", "staging"), (field, &value)],
            )
            .await;
        let (status, err) = app_error(res).await;
        assert_eq!(status, 422, "{field}");
        assert!(
            matches!(err, AppError::Validation(ref f) if f[0].field == field),
            "{err:?}"
        );
    }
}

/// Issue 9 item 7: a deploy's timeline lists its audit entries (request,
/// ticks, vote) oldest first, with who; an unknown deploy is a 404.
#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_deploy_timeline_lists_its_audit_entries_in_order_r_dep_1(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    people(&pool).await;
    let rm = app.signed_in("rm").await;
    let id = request(&app, &rm, "production", "2.0.0").await;
    tick_all(&pool, id, Utc::now()).await;
    let bob = app.signed_in("bob").await;
    let res = app
        .rpc(&bob, "/rpc/deploys/approve", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app
        .rpc(&rm, "/rpc/deploys/timeline", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 200);
    let entries: Vec<opsdeck_app::model::deploys::TimelineEntry> = res.json().await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions[0], "deploy.request");
    assert_eq!(actions.iter().filter(|a| **a == "deploy.tick").count(), 6);
    assert_eq!(*actions.last().unwrap(), "deploy.vote");
    assert_eq!(entries.last().unwrap().actor.as_deref(), Some("bob"));
    assert!(entries.windows(2).all(|w| w[0].at <= w[1].at));
    let res = app
        .rpc(&rm, "/rpc/deploys/timeline", &[("id", "999999")])
        .await;
    assert_eq!(res.status(), 404);
}

/// Issue 9 item 8: the demo has months of past deploys in every
/// environment (some rolled back), older than its own, so the board's last
/// deploy is still the demo's own and the history pages; seeding again
/// adds none.
#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_demo_has_months_of_history_behind_its_own_deploys_r_dep_1(pool: PgPool) {
    opsdeck_server::demo::seed(&pool).await.unwrap();
    let count = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM deploys WHERE environment = 'production'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let production = count().await;
    assert!(production > 100, "{production}");
    let span: f64 = sqlx::query_scalar(
        "SELECT (extract(epoch FROM max(requested_at) - min(requested_at)) / 86400)::FLOAT8 FROM deploys",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(span > 60.0, "a few months: {span} days");
    let rolled_back: i64 =
        sqlx::query_scalar("SELECT count(*) FROM deploys WHERE state = 'rolled_back'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(rolled_back > 4, "{rolled_back}");
    let mut conn = pool.acquire().await.unwrap();
    let board = store::board(&mut conn, None, false, TZ, Utc::now())
        .await
        .unwrap();
    let last = board
        .environments
        .iter()
        .find(|e| e.environment == Environment::Production)
        .and_then(|e| e.last.clone())
        .unwrap();
    assert!(
        Utc::now() - last.requested_at < TimeDelta::days(41),
        "the demo's own deploy is the last one: {last:?}"
    );
    opsdeck_server::demo::seed(&pool).await.unwrap();
    assert_eq!(count().await, production, "seeding again adds nothing");
}
