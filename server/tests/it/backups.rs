//! Backups and recovery (issue 13, R-BAK-1..3): agents' reports through the
//! API (idempotent, bad input refused by field), missed runs and RPO
//! breaches on a fixed clock (notified once), the built-in runner and a
//! restore drill against the real local Postgres, pruning.

use crate::support::*;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use opsdeck_app::role::Role;
use opsdeck_app::store::audit::Actor;
use opsdeck_app::store::backups as store;
use serde_json::{json, Value};
use sqlx::PgPool;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Tokyo;

fn jst(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    TZ.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

async fn backup_token(app: &TestApp, pool: &PgPool) -> String {
    create_user(pool, "root", &[Role::Admin]).await;
    let admin = app.signed_in("root").await;
    let res = app
        .rpc(
            &admin,
            "/rpc/tokens/create",
            &[("name", "pgbackrest"), ("scopes", "backup")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    v["secret"].as_str().unwrap().to_string()
}

async fn post(app: &TestApp, token: &str, body: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/backups", app.url))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Records a report through the store on a fixed clock.
async fn report(pool: &PgPool, body: Value, now: DateTime<Utc>) -> i64 {
    let mut tx = pool.begin().await.unwrap();
    let out = store::report(&mut tx, &Actor::system(), &body, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    out.run.id
}

fn full(run_id: &str, at: DateTime<Utc>) -> Value {
    json!({"target": "database", "kind": "full", "run_id": run_id,
           "started_at": rfc(at), "finished_at": rfc(at + TimeDelta::minutes(5)),
           "size_bytes": 1000, "checksum": "sha256:ab", "outcome": "ok"})
}

fn differential(run_id: &str, full: &str, at: DateTime<Utc>) -> Value {
    json!({"target": "database", "kind": "differential", "run_id": run_id, "depends_on": full,
           "started_at": rfc(at), "finished_at": rfc(at + TimeDelta::minutes(2)), "outcome": "ok"})
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

async fn events(pool: &PgPool, kind: &str) -> Vec<Value> {
    sqlx::query_scalar("SELECT event FROM notification_messages WHERE kind = $1 ORDER BY id")
        .bind(kind)
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Only the schedule entries under test watch (the others would notice
/// their own misses on the fixed clock); they are watched from `since`.
async fn watch_only(pool: &PgPool, kinds: &[&str], since: DateTime<Utc>) {
    sqlx::query(
        "UPDATE backup_schedules s SET enabled = (t.key = 'database' AND s.kind = ANY($1)), active_since = $2 \
         FROM backup_targets t WHERE t.id = s.target_id",
    )
    .bind(kinds.iter().map(|k| k.to_string()).collect::<Vec<_>>())
    .bind(since)
    .execute(pool)
    .await
    .unwrap();
}

async fn database_id(pool: &PgPool) -> i64 {
    count(pool, "SELECT id FROM backup_targets WHERE key = 'database'").await
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn agents_report_runs_idempotently_and_bad_reports_name_their_field_r_bak_1(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let token = backup_token(&app, &pool).await;
    let t0 = Utc::now() - TimeDelta::hours(3);
    let body = full("20261130-020000F", t0).to_string();
    let (status, created) = post(&app, &token, &body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["created"], true);
    let id = created["run"]["id"].as_i64().unwrap();
    assert_eq!(created["run"]["reported_by"], "token:pgbackrest");
    // The same report again (an agent retrying): 200, the same run.
    let (status, replay) = post(&app, &token, &body).await;
    assert_eq!(status, 200);
    assert_eq!(replay["created"], false);
    assert_eq!(replay["run"]["id"], id);
    // A differential on top of it names its full by the agent's run id.
    let diff = differential(
        "20261130-080000D",
        "20261130-020000F",
        t0 + TimeDelta::hours(1),
    );
    let (status, d) = post(&app, &token, &diff.to_string()).await;
    assert_eq!(status, 201, "{d}");
    assert_eq!(d["run"]["depends_on"], id);
    assert_eq!(d["run"]["depends_on_run_id"], "20261130-020000F");
    // The same run id with other details is a conflict, not a silent overwrite.
    let mut other = full("20261130-020000F", t0);
    other["size_bytes"] = json!(999);
    let (status, c) = post(&app, &token, &other.to_string()).await;
    assert_eq!(status, 409, "{c}");

    let late = rfc(t0 - TimeDelta::minutes(1));
    let bad: Vec<(Value, &str)> = vec![
        (
            json!({"target": "database", "kind": "weekly", "run_id": "x1", "started_at": rfc(t0),
                   "finished_at": rfc(t0), "outcome": "ok"}),
            "kind",
        ),
        (
            json!({"target": "database", "kind": "full", "run_id": "x2", "started_at": rfc(t0),
                   "finished_at": rfc(t0), "size_bytes": -1, "outcome": "ok"}),
            "size_bytes",
        ),
        (
            json!({"target": "database", "kind": "full", "run_id": "x3", "started_at": rfc(t0),
                   "finished_at": late, "outcome": "ok"}),
            "finished_at",
        ),
        (differential("x4", "no-such-full", t0), "depends_on"),
        (
            json!({"target": "database", "kind": "incremental", "run_id": "x5", "started_at": rfc(t0),
                   "finished_at": rfc(t0), "outcome": "ok"}),
            "depends_on",
        ),
        (differential("x6", "20261130-080000D", t0), "depends_on"),
        (
            json!({"target": "nas", "kind": "full", "run_id": "x7", "started_at": rfc(t0),
                   "finished_at": rfc(t0), "outcome": "ok"}),
            "target",
        ),
        (
            json!({"target": "database", "kind": "full", "started_at": rfc(t0),
                   "finished_at": rfc(t0), "outcome": "ok"}),
            "run_id",
        ),
        (
            json!({"target": "database", "kind": "full", "run_id": "x9", "started_at": "yesterday",
                   "finished_at": rfc(t0), "outcome": "ok"}),
            "started_at",
        ),
        (
            json!({"target": "database", "kind": "full", "run_id": "x10", "started_at": rfc(t0),
                   "finished_at": rfc(t0), "outcome": "running"}),
            "outcome",
        ),
        (json!(["not", "an", "object"]), "body"),
    ];
    for (body, field) in bad {
        let (status, err) = post(&app, &token, &body.to_string()).await;
        assert_eq!(status, 422, "{body}: {err}");
        assert_eq!(err["error"], "INVALID");
        assert_eq!(err["field"], field, "{body}: {err}");
        assert!(err["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with(field));
    }
    let (status, err) = post(&app, &token, "{not json").await;
    assert_eq!((status, err["field"].as_str()), (422, Some("body")));
    // Nothing of the bad reports was stored; the good ones were audited once each.
    assert_eq!(count(&pool, "SELECT count(*) FROM backup_runs").await, 2);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE action = 'backup_run.report' AND actor = 'token:pgbackrest'"
        )
        .await,
        2
    );
    // Everyone signed in sees the catalogue, filtered.
    create_user(&pool, "vic", &[Role::Viewer]).await;
    let vic = app.signed_in("vic").await;
    let res = app
        .rpc(&vic, "/rpc/backups/page", &[("kind", "differential")])
        .await;
    assert_eq!(res.status(), 200);
    let page: Value = res.json().await.unwrap();
    assert_eq!(page["runs"]["total"], 1);
    assert_eq!(page["runs"]["rows"][0]["agent_run_id"], "20261130-080000D");
    assert_eq!(page["targets"].as_array().unwrap().len(), 3);
    let res = app
        .rpc(&vic, "/rpc/backups/page", &[("kind", "weekly")])
        .await;
    let (status, err) = app_error(res).await;
    assert_eq!(status, 422);
    assert!(err.for_field("kind").is_some());
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_missed_run_notifies_oncall_once_on_a_fixed_clock_r_bak_1(pool: PgPool) {
    create_user(&pool, "oscar", &[Role::Operator]).await;
    let day = |h, m| jst(2030, 3, 10, h, m);
    watch_only(&pool, &["full", "differential"], day(0, 0)).await;
    report(&pool, full("f-0200", day(2, 1)), day(2, 10)).await;
    report(
        &pool,
        differential("d-0800", "f-0200", day(8, 5)),
        day(8, 10),
    )
    .await;
    report(
        &pool,
        differential("d-1400", "f-0200", day(14, 2)),
        day(14, 10),
    )
    .await;
    // 20:00 comes and goes without a differential.
    let s = store::watch_pass(&pool, TZ, day(20, 20))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.missed, 0, "still within the 30-minute grace");
    let other = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_with(pool.connect_options().as_ref().clone())
        .await
        .unwrap();
    for minute in [31, 35, 45] {
        let (a, b) = tokio::join!(
            store::watch_pass(&pool, TZ, day(20, minute)),
            store::watch_pass(&other, TZ, day(20, minute))
        );
        a.unwrap();
        b.unwrap();
    }
    let missed = events(&pool, "backups.missed").await;
    assert_eq!(missed.len(), 1, "{missed:?}");
    assert_eq!(missed[0]["kind"], "differential");
    assert_eq!(missed[0]["expected"], "2030-03-10 20:00 JST");
    let recorded: Vec<(DateTime<Utc>, bool)> =
        sqlx::query_as("SELECT expected_at, notified FROM backup_missed ORDER BY expected_at")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(recorded, vec![(day(20, 0), true)]);
    // Operators (in oncall) find it in their inbox.
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM inbox_items i JOIN users u ON u.id = i.user_id \
             JOIN notification_messages m ON m.id = i.message_id WHERE u.username = 'oscar' AND m.kind = 'backups.missed'"
        )
        .await,
        1
    );
    // The timeline: the 02:00 full stands for the 02:00 differential.
    let mut conn = pool.acquire().await.unwrap();
    let lines = store::timeline(
        &mut conn,
        database_id(&pool).await,
        TZ,
        day(0, 0),
        jst(2030, 3, 11, 0, 0),
        day(20, 45),
    )
    .await
    .unwrap();
    let statuses = |kind: &str| -> Vec<String> {
        lines
            .iter()
            .find(|l| serde_json::to_value(l.schedule.kind).unwrap() == kind)
            .unwrap()
            .slots
            .iter()
            .map(|s| {
                serde_json::to_value(s.status)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(statuses("full"), vec!["ok"]);
    assert_eq!(statuses("differential"), vec!["ok", "ok", "ok", "missed"]);
    // Tomorrow's 02:00 full is missed too: a second message, once.
    let next = |h, m| jst(2030, 3, 11, h, m);
    store::watch_pass(&pool, TZ, next(2, 31)).await.unwrap();
    store::watch_pass(&pool, TZ, next(2, 40)).await.unwrap();
    let missed = events(&pool, "backups.missed").await;
    let kinds: Vec<&str> = missed.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    // The full and the 02:00 differential it would have stood for.
    assert_eq!(kinds, vec!["differential", "full", "differential"]);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_gap_in_the_transaction_log_is_notified_once_r_bak_1(pool: PgPool) {
    let day = |h, m| jst(2030, 3, 10, h, m);
    watch_only(&pool, &["log"], day(8, 0)).await;
    let mut t = day(8, 0);
    while t <= day(10, 0) {
        let body = json!({"target": "database", "kind": "log", "run_id": format!("wal-{}", t.timestamp()),
                          "started_at": rfc(t), "finished_at": rfc(t + TimeDelta::minutes(15)), "outcome": "ok"});
        report(&pool, body, t + TimeDelta::minutes(15)).await;
        t += TimeDelta::minutes(15);
    }
    store::watch_pass(&pool, TZ, day(12, 0)).await.unwrap();
    store::watch_pass(&pool, TZ, day(12, 1)).await.unwrap();
    // 10:30 … 11:30 missed (10:15 is covered by the 10:00 segment); one message.
    let rows: Vec<(DateTime<Utc>, bool)> =
        sqlx::query_as("SELECT expected_at, notified FROM backup_missed ORDER BY expected_at")
            .fetch_all(&pool)
            .await
            .unwrap();
    let expected: Vec<(DateTime<Utc>, bool)> = [(10, 30), (10, 45), (11, 0), (11, 15), (11, 30)]
        .iter()
        .enumerate()
        .map(|(i, (h, m))| (day(*h, *m), i == 0))
        .collect();
    assert_eq!(rows, expected);
    assert_eq!(events(&pool, "backups.missed").await.len(), 1);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn an_rpo_breach_is_notified_once_and_its_recovery_once_r_bak_3(pool: PgPool) {
    let t0 = jst(2030, 3, 10, 2, 0);
    watch_only(&pool, &[], t0).await;
    let at = |minutes: i64| t0 + TimeDelta::minutes(minutes);
    report(&pool, full("f1", t0), at(5)).await;
    store::watch_pass(&pool, TZ, at(30)).await.unwrap();
    store::watch_pass(&pool, TZ, at(60)).await.unwrap();
    assert!(events(&pool, "backups.rpo_breached").await.is_empty());
    // Past the hour: breached, said once however often the watch looks.
    for m in [61, 70, 90] {
        store::watch_pass(&pool, TZ, at(m)).await.unwrap();
    }
    let breached = events(&pool, "backups.rpo_breached").await;
    assert_eq!(breached.len(), 1);
    assert_eq!(breached[0]["age_minutes"], 61);
    assert_eq!(breached[0]["rpo_minutes"], 60);
    // A differential on the full restores to 03:35: back within the RPO, said once.
    report(&pool, differential("d1", "f1", at(95)), at(98)).await;
    for m in [100, 110] {
        store::watch_pass(&pool, TZ, at(m)).await.unwrap();
    }
    assert_eq!(events(&pool, "backups.rpo_recovered").await.len(), 1);
    assert_eq!(events(&pool, "backups.rpo_breached").await.len(), 1);
    // A log rolls the full forward: it counts as a restorable point.
    let log = json!({"target": "database", "kind": "log", "run_id": "wal-1",
                     "started_at": rfc(at(140)), "finished_at": rfc(at(150)), "outcome": "ok"});
    report(&pool, log, at(151)).await;
    store::watch_pass(&pool, TZ, at(200)).await.unwrap();
    assert_eq!(events(&pool, "backups.rpo_breached").await.len(), 1);
    // Nothing new for long: a second breach, a second message.
    store::watch_pass(&pool, TZ, at(300)).await.unwrap();
    assert_eq!(events(&pool, "backups.rpo_breached").await.len(), 2);
    let state: (bool, i32) = sqlx::query_as("SELECT breached, episode FROM backup_rpo_state")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(state, (true, 2));
    // The overview card shows the open breach and the point's age.
    let card = store::card(&pool, TZ, at(300)).await.unwrap();
    assert_eq!(card.rpo.len(), 1);
    assert_eq!(card.rpo[0].0, "database");
    assert!(card.rpo[0].3.breached);
    assert_eq!(card.rpo[0].3.status.age_seconds, Some(150 * 60));
    assert!(!card.rpo[0].3.status.ok);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE action LIKE 'backup_rpo.%'"
        )
        .await,
        3
    );
}

/// This test's own database on the local server, as a URL.
async fn own_database_url(pool: &PgPool, password: Option<&str>) -> String {
    let db: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(pool)
        .await
        .unwrap();
    let base = std::env::var("DATABASE_URL").unwrap();
    let base = base.split('?').next().unwrap();
    let (server, _) = base.rsplit_once('/').unwrap();
    let server = match password {
        // The local server trusts 127.0.0.1: the password is carried, not checked.
        Some(pw) => server.replacen(
            "postgres://postgres@",
            &format!("postgres://postgres:{pw}@"),
            1,
        ),
        None => server.to_string(),
    };
    format!("{server}/{db}")
}

async fn set_runner(pool: &PgPool, command: &str, url: &str, dir: &std::path::Path, timeout: i32) {
    let mut tx = pool.begin().await.unwrap();
    let saved = store::save_runner(
        &mut tx,
        &Actor::system(),
        database_id(pool).await,
        &store::RunnerConfig {
            enabled: true,
            command: command.into(),
            database_url: url.into(),
            directory: dir.to_string_lossy().into_owned(),
            timeout_seconds: timeout,
            drill_timeout_seconds: 600,
        },
    )
    .await
    .unwrap();
    assert!(saved);
    tx.commit().await.unwrap();
}

fn sha256_of(path: &str) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    format!("sha256:{}", text.split_whitespace().next().unwrap())
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_built_in_runner_dumps_and_a_drill_restores_it_r_bak_1_r_bak_3(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "olga", &[Role::Operator]).await;
    create_user(&pool, "vic", &[Role::Viewer]).await;
    let olga = app.signed_in("olga").await;
    let vic = app.signed_in("vic").await;
    let db = database_id(&pool).await;
    let db_s = db.to_string();
    let dir = tempdir(&pool).await;
    let secret = "pw-secret-4711";
    let url = own_database_url(&pool, Some(secret)).await;
    set_runner(
        &pool,
        "pg_dump --format=custom --file {file} {database_url}",
        &url,
        &dir,
        600,
    )
    .await;

    // A viewer may not run anything.
    let res = app
        .rpc(&vic, "/rpc/backups/run_now", &[("target_id", &db_s)])
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .rpc(&olga, "/rpc/backups/run_now", &[("target_id", &db_s)])
        .await;
    assert_eq!(res.status(), 200);
    let run: Value = res.json().await.unwrap();
    assert_eq!(run["outcome"], "ok", "{run}");
    assert_eq!(run["kind"], "full");
    assert_eq!(run["built_in"], true);
    let location = run["location"].as_str().unwrap().to_string();
    assert!(location.starts_with(dir.to_str().unwrap()));
    let size = std::fs::metadata(&location).unwrap().len();
    assert!(size > 1000, "{size}");
    assert_eq!(run["size_bytes"].as_u64(), Some(size));
    assert_eq!(
        run["checksum"].as_str(),
        Some(sha256_of(&location).as_str())
    );
    assert!(run["duration_seconds"].as_i64().unwrap() >= 0);
    // The catalogue lists it with its size and checksum.
    let res = app
        .rpc(&vic, "/rpc/backups/page", &[("target_id", &db_s)])
        .await;
    let page: Value = res.json().await.unwrap();
    assert_eq!(page["runs"]["rows"][0]["id"], run["id"]);
    assert_eq!(page["runs"]["rows"][0]["checksum"], run["checksum"]);
    // The runner's URL is shown redacted.
    let runner = &page["targets"][0]["runner"];
    assert!(runner["database_url"]
        .as_str()
        .unwrap()
        .contains("[REDACTED]"));

    // A drill restores it into a scratch database, checks it and drops it.
    let res = app
        .rpc(&olga, "/rpc/backups/run_drill", &[("target_id", &db_s)])
        .await;
    assert_eq!(res.status(), 200);
    let drill: Value = res.json().await.unwrap();
    assert_eq!(drill["outcome"], "ok", "{drill}");
    assert_eq!(drill["run_id"], run["id"]);
    assert_eq!(drill["performed_by"], "olga");
    assert!(drill["measured_seconds"].as_i64().is_some());
    assert_eq!(drill["rto"]["ok"], true);
    assert_eq!(drill["rto"]["rto_seconds"], 240 * 60);
    assert!(
        drill["output"]
            .as_str()
            .unwrap()
            .contains("tables restored"),
        "{drill}"
    );
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname LIKE 'opsdeck_drill_%'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(left, 0, "the scratch database is dropped");

    // The password never shows: not in outputs, the audit log or the views.
    let leaks = count(
        &pool,
        &format!(
            "SELECT (SELECT count(*) FROM backup_runs WHERE output LIKE '%{secret}%') \
             + (SELECT count(*) FROM backup_drills WHERE output LIKE '%{secret}%') \
             + (SELECT count(*) FROM audit_log WHERE before::text LIKE '%{secret}%' OR after::text LIKE '%{secret}%')"
        ),
    )
    .await;
    assert_eq!(leaks, 0);
    assert!(!page.to_string().contains(secret));
    assert!(!drill.to_string().contains(secret));

    // A command that hangs is killed at its timeout and recorded as failed.
    // `sh` waits for its `sleep`: the whole process group is killed.
    set_runner(&pool, "sh -c 'sleep 30; true' {file}", "", &dir, 1).await;
    let started = std::time::Instant::now();
    let res = app
        .rpc(&olga, "/rpc/backups/run_now", &[("target_id", &db_s)])
        .await;
    let hung: Value = res.json().await.unwrap();
    assert_eq!(hung["outcome"], "failed", "{hung}");
    assert!(
        hung["output"].as_str().unwrap().contains("timed out"),
        "{hung}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    assert!(hung["location"].is_null());
    // A command that fails is recorded as failed with its output.
    set_runner(
        &pool,
        "pg_dump --file {file} postgres://127.0.0.1:1/nothing",
        "",
        &dir,
        60,
    )
    .await;
    let res = app
        .rpc(&olga, "/rpc/backups/run_now", &[("target_id", &db_s)])
        .await;
    let failed: Value = res.json().await.unwrap();
    assert_eq!(failed["outcome"], "failed", "{failed}");
    assert!(
        failed["output"].as_str().unwrap().contains("pg_dump"),
        "{failed}"
    );
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM backup_runs WHERE outcome = 'running'"
        )
        .await,
        0
    );
    let _ = std::fs::remove_dir_all(&dir);
}

async fn tempdir(pool: &PgPool) -> std::path::PathBuf {
    let db: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(pool)
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("opsdeck-it-backups-{}-{db}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn pruning_deletes_only_what_retention_lets_go_r_bak_2(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "olga", &[Role::Operator]).await;
    let olga = app.signed_in("olga").await;
    let db = database_id(&pool).await;
    let db_s = db.to_string();
    let dir = tempdir(&pool).await;
    let today = Utc::now().with_timezone(&TZ).date_naive();
    let three_days_ago = today - chrono::Days::new(3);
    let at = |h: u32| {
        TZ.from_local_datetime(&three_days_ago.and_hms_opt(h, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    // Built-in fulls at 01:00 (A) and 03:00 (B) of one day, an agent's
    // differential on A at 04:00 (D), and a built-in full an hour ago (C).
    let mut files = Vec::new();
    let mut built_in = |name: &str, t: DateTime<Utc>| {
        let path = dir.join(format!("{name}.dump"));
        std::fs::write(&path, name).unwrap();
        files.push(path.clone());
        (name.to_string(), t, path.to_string_lossy().into_owned())
    };
    let runs = [
        built_in("a", at(1)),
        built_in("b", at(3)),
        built_in("c", Utc::now() - TimeDelta::hours(1)),
    ];
    let mut ids = std::collections::HashMap::new();
    for (name, t, path) in &runs {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO backup_runs (target_id, kind, agent_run_id, started_at, finished_at, size_bytes, \
             checksum, location, outcome, reported_by, built_in) \
             VALUES ($1, 'full', $2, $3, $3, 1, 'sha256:x', $4, 'ok', 'olga', TRUE) RETURNING id",
        )
        .bind(db)
        .bind(name)
        .bind(t)
        .bind(path)
        .fetch_one(&pool)
        .await
        .unwrap();
        ids.insert(name.clone(), id);
    }
    report(&pool, differential("d", "a", at(4)), Utc::now()).await;
    let (a, b) = (ids["a"].to_string(), ids["b"].to_string());

    let res = app
        .rpc(&olga, "/rpc/backups/prune_preview", &[("target_id", &db_s)])
        .await;
    assert_eq!(res.status(), 200);
    let preview: Value = res.json().await.unwrap();
    let deletable: Vec<i64> = preview["deletable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(deletable, vec![ids["b"]], "{preview}");
    // A is kept by the differential that depends on it: refused, nothing changed.
    let res = app
        .rpc(
            &olga,
            "/rpc/backups/prune",
            &[("target_id", &db_s), ("ids", &format!("{b},{a}"))],
        )
        .await;
    let (status, err) = app_error(res).await;
    assert_eq!(status, 422);
    assert_eq!(
        err.for_field("ids"),
        Some(opsdeck_app::i18n::Msg::ErrBackupStillKept)
    );
    assert!(files.iter().all(|f| f.exists()));
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM backup_runs WHERE pruned_at IS NOT NULL"
        )
        .await,
        0
    );
    // B goes: its file deleted, the run kept as history, audited.
    let res = app
        .rpc(
            &olga,
            "/rpc/backups/prune",
            &[("target_id", &db_s), ("ids", &b)],
        )
        .await;
    assert_eq!(res.status(), 200);
    let out: Value = res.json().await.unwrap();
    assert_eq!(out["pruned"], json!([ids["b"]]));
    assert!(!files[1].exists());
    assert!(files[0].exists() && files[2].exists());
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE action = 'backup_run.prune' AND actor = 'olga'"
        )
        .await,
        1
    );
    // Pruned once is pruned: a second confirm is refused.
    let res = app
        .rpc(
            &olga,
            "/rpc/backups/prune",
            &[("target_id", &db_s), ("ids", &b)],
        )
        .await;
    assert_eq!(res.status(), 422);
    // The retention report shows why each is kept.
    let res = app
        .rpc(&olga, "/rpc/backups/retention", &[("target_id", &db_s)])
        .await;
    let r: Value = res.json().await.unwrap();
    let decision = r["decisions"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == a)
        .unwrap()
        .clone();
    assert_eq!(decision["keep"], true);
    assert_eq!(decision["reasons"][0]["reason"], "depended_on_by");
    let _ = std::fs::remove_dir_all(&dir);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn operators_edit_schedule_retention_objectives_and_record_drills_audited(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    create_user(&pool, "olga", &[Role::Operator]).await;
    create_user(&pool, "vic", &[Role::Viewer]).await;
    let olga = app.signed_in("olga").await;
    let vic = app.signed_in("vic").await;
    let db_s = database_id(&pool).await.to_string();
    // The policy's schedule is seeded.
    let res = app.rpc(&vic, "/rpc/backups/page", &[]).await;
    let page: Value = res.json().await.unwrap();
    let schedule: Vec<(String, String, String, Value)> = page["targets"][0]["schedules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().to_string(),
                s["cadence"].as_str().unwrap().to_string(),
                s["at_local"].as_str().unwrap().to_string(),
                s["every_minutes"].clone(),
            )
        })
        .collect();
    assert_eq!(
        schedule,
        vec![
            ("full".into(), "daily".into(), "02:00".into(), Value::Null),
            (
                "differential".into(),
                "every".into(),
                "02:00".into(),
                json!(360)
            ),
            ("log".into(), "continuous".into(), "00:00".into(), json!(15)),
        ]
    );
    assert_eq!(page["targets"][0]["retention"]["mode"], "within");
    assert_eq!(page["settings"]["rpo_minutes"], 60);
    assert_eq!(page["settings"]["rto_minutes"], 240);

    let schedule_form = [
        ("target_id", db_s.as_str()),
        ("kind", "differential"),
        ("cadence", "every"),
        ("at_local", "03:00"),
        ("every_minutes", "240"),
        ("enabled", "true"),
        ("note", "every 4 h"),
    ];
    let res = app
        .rpc(&vic, "/rpc/backups/save_schedule", &schedule_form)
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .rpc(&olga, "/rpc/backups/save_schedule", &schedule_form)
        .await;
    assert_eq!(res.status(), 200);
    let id: i64 = res.json().await.unwrap();
    // An interval is required for `every`.
    let mut bad = schedule_form.to_vec();
    bad[4] = ("every_minutes", "");
    let (status, err) = app_error(app.rpc(&olga, "/rpc/backups/save_schedule", &bad).await).await;
    assert_eq!(status, 422);
    assert!(err.for_field("every_minutes").is_some());
    let res = app
        .rpc(
            &olga,
            "/rpc/backups/delete_schedule",
            &[("id", &id.to_string())],
        )
        .await;
    assert_eq!(res.status(), 200);

    let retention = |mode: &'static str, daily: &'static str| {
        vec![
            ("target_id", db_s.clone()),
            ("mode", mode.into()),
            ("within_daily", daily.into()),
            ("within_weekly", "4w".into()),
            ("within_monthly", "12m".into()),
            ("within_yearly", "5y".into()),
            ("keep_daily", "7".into()),
            ("keep_weekly", "4".into()),
            ("keep_monthly", "12".into()),
            ("keep_yearly", "5".into()),
        ]
    };
    let bad = retention("within", "7 days");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, err) = app_error(app.rpc(&olga, "/rpc/backups/save_retention", &bad).await).await;
    assert_eq!(status, 422);
    assert_eq!(
        err.for_field("within_daily"),
        Some(opsdeck_app::i18n::Msg::ErrSpan)
    );
    let good = retention("count", "14d");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = app.rpc(&olga, "/rpc/backups/save_retention", &good).await;
    assert_eq!(res.status(), 200);
    let res = app
        .rpc(&olga, "/rpc/backups/retention", &[("target_id", &db_s)])
        .await;
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["mode"], "count");
    assert_eq!(
        r["policy"]["within"]["daily"],
        json!({"amount": 14, "unit": "days"})
    );

    let res = app
        .rpc(
            &olga,
            "/rpc/backups/save_settings",
            &[
                ("rpo_minutes", "30"),
                ("rto_minutes", "120"),
                ("missed_grace_minutes", "15"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    // A drill done by hand: 3 h 10 min against the new RTO of 2 h.
    let res = app
        .rpc(
            &olga,
            "/rpc/backups/record_drill",
            &[
                ("target_id", &db_s),
                ("started", "2026-11-20T10:00"),
                ("finished", "2026-11-20T13:10"),
                ("outcome", "ok"),
                ("notes", "restored into staging"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let drill: Value = res.json().await.unwrap();
    assert_eq!(drill["measured_seconds"], 190 * 60);
    assert_eq!(drill["rto"]["ok"], false);
    let (status, err) = app_error(
        app.rpc(
            &olga,
            "/rpc/backups/record_drill",
            &[
                ("target_id", &db_s),
                ("started", "2026-11-20T10:00"),
                ("finished", "2026-11-20T09:00"),
                ("outcome", "ok"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert!(err.for_field("finished").is_some());
    // The timeline answers for every entry of the target.
    let res = app
        .rpc(
            &vic,
            "/rpc/backups/timeline",
            &[("target_id", &db_s), ("days", "1")],
        )
        .await;
    let lines: Value = res.json().await.unwrap();
    assert_eq!(lines.as_array().unwrap().len(), 3);

    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE actor = 'olga' AND action LIKE 'backup%' ORDER BY id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        vec![
            "backup_schedule.create",
            "backup_schedule.delete",
            "backup_retention.update",
            "backup_settings.update",
            "backup_drill.record",
        ]
    );
}

// ------------------------------------------------ scheduled built-in runs

/// Every schedule entry holds from `since` (seeded ones would hold from now).
async fn schedule_since(pool: &PgPool, since: DateTime<Utc>) {
    sqlx::query("UPDATE backup_schedules SET active_since = $1")
        .bind(since)
        .execute(pool)
        .await
        .unwrap();
}

async fn schedule_id(pool: &PgPool, target: &str, kind: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT s.id FROM backup_schedules s JOIN backup_targets t ON t.id = s.target_id \
         WHERE t.key = $1 AND s.kind = $2 ORDER BY s.id LIMIT 1",
    )
    .bind(target)
    .bind(kind)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn claim(pool: &PgPool, now: DateTime<Utc>) -> Vec<(i64, i64, DateTime<Utc>)> {
    store::runner::claim_due_runs(pool, TZ, now).await.unwrap()
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_due_full_slot_is_claimed_once_even_from_two_processes_r_bak_1(pool: PgPool) {
    let day = |h, m| jst(2030, 3, 10, h, m);
    let next = |h, m| jst(2030, 3, 11, h, m);
    schedule_since(&pool, jst(2030, 3, 9, 0, 0)).await;
    let db = database_id(&pool).await;
    let entry = schedule_id(&pool, "database", "full").await;
    // The seeded database target has the built-in runner; only its daily
    // 02:00 full counts (the differentials, log and git entries do not).
    assert!(claim(&pool, day(1, 59)).await.is_empty(), "not due yet");
    assert_eq!(claim(&pool, day(2, 1)).await, vec![(entry, db, day(2, 0))]);
    for minute in [1, 2, 15, 29] {
        assert!(claim(&pool, day(2, minute)).await.is_empty(), "{minute}");
    }
    // Two processes on one database at once: one claim between them.
    let other = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_with(pool.connect_options().as_ref().clone())
        .await
        .unwrap();
    let mut claimed = Vec::new();
    for minute in [0, 0, 1, 5] {
        let a = tokio::spawn({
            let pool = pool.clone();
            async move { claim(&pool, next(2, minute)).await }
        });
        let b = tokio::spawn({
            let other = other.clone();
            async move { claim(&other, next(2, minute)).await }
        });
        claimed.extend(a.await.unwrap());
        claimed.extend(b.await.unwrap());
    }
    assert_eq!(claimed, vec![(entry, db, next(2, 0))]);
    let rows: Vec<(i64, DateTime<Utc>, Option<i64>)> = sqlx::query_as(
        "SELECT schedule_id, expected_at, run_id FROM backup_scheduled_starts ORDER BY expected_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        rows,
        vec![(entry, day(2, 0), None), (entry, next(2, 0), None)]
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn stale_slots_and_slots_already_run_are_not_claimed_r_bak_1(pool: PgPool) {
    let on = |d, h, m| jst(2030, 3, d, h, m);
    // A year of schedule behind it (as the demo seeds): no catch-up.
    schedule_since(&pool, jst(2029, 3, 10, 0, 0)).await;
    let db = database_id(&pool).await;
    let entry = schedule_id(&pool, "database", "full").await;
    // The grace (30 minutes) has run out: the slot is the watch's, missed.
    assert!(claim(&pool, on(10, 2, 30)).await.is_empty());
    assert!(claim(&pool, on(10, 12, 0)).await.is_empty());
    // A full started after the slot (an agent's, or "Run now") stands for it.
    report(&pool, full("f-0201", on(11, 2, 1)), on(11, 2, 6)).await;
    assert!(claim(&pool, on(11, 2, 10)).await.is_empty());
    // A log segment does not stand for a full.
    let log = json!({"target": "database", "kind": "log", "run_id": "wal-0200",
                     "started_at": rfc(on(12, 2, 0)), "finished_at": rfc(on(12, 2, 15)), "outcome": "ok"});
    report(&pool, log, on(12, 2, 15)).await;
    assert_eq!(
        claim(&pool, on(12, 2, 16)).await,
        vec![(entry, db, on(12, 2, 0))]
    );
    // Not before the entry's active_since, and not while it is switched off.
    sqlx::query("UPDATE backup_schedules SET active_since = $2 WHERE id = $1")
        .bind(entry)
        .bind(on(13, 2, 5))
        .execute(&pool)
        .await
        .unwrap();
    assert!(claim(&pool, on(13, 2, 10)).await.is_empty());
    sqlx::query("UPDATE backup_schedules SET enabled = FALSE WHERE id = $1")
        .bind(entry)
        .execute(&pool)
        .await
        .unwrap();
    assert!(claim(&pool, on(14, 2, 10)).await.is_empty());
    assert_eq!(
        count(&pool, "SELECT count(*) FROM backup_scheduled_starts").await,
        1
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn a_target_without_an_enabled_runner_is_not_claimed_r_bak_1(pool: PgPool) {
    let day = |h, m| jst(2030, 3, 10, h, m);
    schedule_since(&pool, jst(2030, 3, 9, 0, 0)).await;
    sqlx::query("UPDATE backup_runners SET enabled = FALSE")
        .execute(&pool)
        .await
        .unwrap();
    // A full every 6 hours from 02:00 for the uploads, which have no runner.
    let uploads = count(&pool, "SELECT id FROM backup_targets WHERE key = 'uploads'").await;
    let every: i64 = sqlx::query_scalar(
        "INSERT INTO backup_schedules (target_id, kind, cadence, at_local, every_minutes, active_since) \
         VALUES ($1, 'full', 'every', '02:00', 360, $2) RETURNING id",
    )
    .bind(uploads)
    .bind(jst(2030, 3, 9, 0, 0))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(claim(&pool, day(2, 5)).await.is_empty());
    // A runner that is switched off runs nothing either.
    sqlx::query("INSERT INTO backup_runners (target_id, enabled) VALUES ($1, FALSE)")
        .bind(uploads)
        .execute(&pool)
        .await
        .unwrap();
    assert!(claim(&pool, day(2, 6)).await.is_empty());
    assert_eq!(
        count(&pool, "SELECT count(*) FROM backup_scheduled_starts").await,
        0
    );
    // Switched on: the uploads' entry is claimed, the database's still not.
    sqlx::query("UPDATE backup_runners SET enabled = TRUE WHERE target_id = $1")
        .bind(uploads)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(
        claim(&pool, day(2, 7)).await,
        vec![(every, uploads, day(2, 0))]
    );
    // The next of its every-6-hours slots.
    assert_eq!(
        claim(&pool, day(8, 3)).await,
        vec![(every, uploads, day(8, 0))]
    );
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_worker_runs_the_scheduled_full_backup_with_pg_dump_r_bak_1(pool: PgPool) {
    use opsdeck_server::workers::backups::start_scheduled;
    let day = |h, m| jst(2030, 3, 10, h, m);
    let next = |h, m| jst(2030, 3, 11, h, m);
    schedule_since(&pool, jst(2030, 3, 9, 0, 0)).await;
    let db = database_id(&pool).await;
    let entry = schedule_id(&pool, "database", "full").await;
    let dir = tempdir(&pool).await;
    // The runner's URL is empty: the worker's environment names the
    // database, as the server's DATABASE_URL does.
    set_runner(
        &pool,
        "pg_dump --format=custom --file {file} {database_url}",
        "",
        &dir,
        600,
    )
    .await;
    let env = store::runner::RunnerEnv {
        database_url: own_database_url(&pool, None).await,
        data_dir: dir.clone(),
    };

    assert!(start_scheduled(&pool, &env, TZ, day(1, 59))
        .await
        .unwrap()
        .is_empty());
    let started = start_scheduled(&pool, &env, TZ, day(2, 0)).await.unwrap();
    assert_eq!(started.len(), 1);
    let s = started.into_iter().next().unwrap();
    assert_eq!((s.schedule_id, s.target_id, s.slot), (entry, db, day(2, 0)));
    s.task.await.unwrap();
    let run = store::run(&pool, s.run_id).await.unwrap().unwrap();
    assert_eq!(run.outcome.as_str(), "ok", "{}", run.output);
    assert!(run.built_in);
    assert_eq!(run.kind, opsdeck::backup_retention::BackupKind::Full);
    assert_eq!(run.reported_by, "system");
    assert_eq!(run.started_at, day(2, 0));
    let location = run.location.clone().unwrap();
    assert!(location.starts_with(dir.to_str().unwrap()), "{location}");
    let on_disk = std::fs::metadata(&location).unwrap().len();
    assert!(on_disk > 1000, "{on_disk}");
    assert_eq!(run.size_bytes, Some(i64::try_from(on_disk).unwrap()));
    assert_eq!(run.checksum, Some(sha256_of(&location)));
    // The slot's claim names its run, and the run was audited as the system's.
    assert_eq!(
        count(
            &pool,
            &format!(
                "SELECT count(*) FROM backup_scheduled_starts WHERE schedule_id = {entry} AND run_id = {}",
                s.run_id
            )
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &pool,
            &format!(
                "SELECT count(*) FROM audit_log WHERE actor = 'system' AND action IN ('backup_run.start', 'backup_run.finish') \
                 AND target = 'backup_run:{}'",
                s.run_id
            )
        )
        .await,
        2
    );
    // The timeline counts it for the slot.
    let mut conn = pool.acquire().await.unwrap();
    let lines = store::timeline(&mut conn, db, TZ, day(0, 0), next(0, 0), day(2, 10))
        .await
        .unwrap();
    let line = lines.iter().find(|l| l.schedule.id == entry).unwrap();
    assert_eq!(line.slots.len(), 1);
    assert_eq!(line.slots[0].run_id, Some(s.run_id));
    drop(conn);
    // Later in the grace, nothing more starts.
    assert!(start_scheduled(&pool, &env, TZ, day(2, 1))
        .await
        .unwrap()
        .is_empty());

    // A refused start (a run still under way) keeps its claim: no retry
    // every minute, and nothing recorded.
    sqlx::query(
        "INSERT INTO backup_runs (target_id, kind, agent_run_id, started_at, outcome, reported_by, built_in) \
         VALUES ($1, 'full', 'opsdeck-stuck', $2, 'running', 'olga', TRUE)",
    )
    .bind(db)
    .bind(next(1, 0))
    .execute(&pool)
    .await
    .unwrap();
    for minute in [0, 1, 2] {
        assert!(start_scheduled(&pool, &env, TZ, next(2, minute))
            .await
            .unwrap()
            .is_empty());
    }
    let claims: Vec<(DateTime<Utc>, Option<i64>)> = sqlx::query_as(
        "SELECT expected_at, run_id FROM backup_scheduled_starts ORDER BY expected_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        claims,
        vec![(day(2, 0), Some(s.run_id)), (next(2, 0), None)]
    );
    assert_eq!(
        count(&pool, "SELECT count(*) FROM backup_runs").await,
        2,
        "the scheduled run and the stuck one"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_demo_year_of_schedule_claims_at_most_the_newest_slot_r_bak_1(pool: PgPool) {
    opsdeck_server::demo::seed(&pool).await.unwrap();
    // A year of slots behind every entry: no pg_dump storm, at most the one
    // slot still within its grace.
    let now = Utc::now();
    assert!(claim(&pool, now).await.len() <= 1);
    assert!(claim(&pool, now).await.is_empty());
    assert!(count(&pool, "SELECT count(*) FROM backup_scheduled_starts").await <= 1);
}

/// The newest restorable point is found from the runs since the newest
/// full and what their chains reach (not a year of runs), and must answer
/// as the whole catalogue would: a differential after the newest full that
/// still stands on an older full is the newest; once that older full is
/// pruned it is not, and the newest full is (R-BAK-3, the overview's card).
#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn the_newest_restorable_point_follows_chains_behind_the_newest_full_r_bak_3(pool: PgPool) {
    let t0 = jst(2030, 3, 10, 2, 0);
    watch_only(&pool, &[], t0).await;
    let at = |hours: i64| t0 + TimeDelta::hours(hours);
    report(&pool, full("f1", at(0)), at(1)).await;
    report(&pool, differential("d1", "f1", at(2)), at(3)).await;
    report(&pool, full("f2", at(24)), at(25)).await;
    report(&pool, differential("d2", "f1", at(26)), at(27)).await;
    let target = database_id(&pool).await;
    let points = |now| {
        let pool = pool.clone();
        async move {
            let mut conn = pool.acquire().await.unwrap();
            store::restorable_points(&mut conn, target, TZ, now)
                .await
                .unwrap()
        }
    };
    assert_eq!(points(at(30)).await, vec![at(26)]);

    sqlx::query("UPDATE backup_runs SET pruned_at = $1 WHERE agent_run_id = 'f1'")
        .bind(at(31))
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(points(at(32)).await, vec![at(24)]);

    // A log since the oldest full still standing rolls it forward.
    let log = json!({"target": "database", "kind": "log", "run_id": "wal-1",
                     "started_at": rfc(at(28)), "finished_at": rfc(at(29)), "outcome": "ok"});
    report(&pool, log, at(29)).await;
    assert_eq!(points(at(32)).await, vec![at(24), at(29)]);
}
