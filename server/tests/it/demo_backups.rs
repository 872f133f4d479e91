//! Demo backups (issue 13 item 7): a year of runs on the policy's schedule
//! with a few failures, one missed run and two drills; seeding twice adds
//! nothing, and the watch finds nothing to notify right after seeding.

use chrono::{TimeDelta, Utc};
use opsdeck_app::model::backups::SlotStatus;
use opsdeck_app::store::backups as store;
use sqlx::PgPool;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Tokyo;

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn demo_backups_follow_the_schedule_for_a_year_and_seed_once_r_bak_1(pool: PgPool) {
    let started = std::time::Instant::now();
    // The clock the checks below use: no later than the seeding's own, so a
    // quarter hour (a WAL segment) or a scheduled run falling due while the
    // test runs cannot make "seeding again adds nothing" fail.
    let now = Utc::now();
    opsdeck_server::demo::seed(&pool).await.unwrap();
    eprintln!("demo seed with a year of backups: {:?}", started.elapsed());
    let runs = |key: &'static str, kind: &'static str, outcome: &'static str| {
        let pool = pool.clone();
        async move {
            count(
                &pool,
                &format!(
                    "SELECT count(*) FROM backup_runs r JOIN backup_targets t ON t.id = r.target_id \
                     WHERE t.key = '{key}' AND r.kind = '{kind}' AND r.outcome = '{outcome}'"
                ),
            )
            .await
        }
    };
    // A year of the database's schedule (365 or 366 days, today's runs so far).
    let fulls = runs("database", "full", "ok").await;
    assert!((364..=367).contains(&fulls), "{fulls}");
    assert_eq!(runs("database", "full", "failed").await, 1);
    let differentials = runs("database", "differential", "ok").await;
    assert!(
        (3 * 364 - 1..=3 * 367).contains(&differentials),
        "{differentials}"
    );
    assert_eq!(runs("database", "differential", "failed").await, 1);
    assert!(runs("database", "log", "ok").await >= 365 * 96);
    // Uploads: a full on the 1st of each month (and the first day), incrementals between.
    let uploads_full = runs("uploads", "full", "ok").await;
    assert!((12..=14).contains(&uploads_full), "{uploads_full}");
    assert_eq!(runs("uploads", "incremental", "failed").await, 1);
    assert!(runs("uploads", "incremental", "ok").await >= 365 - 14 - 1);
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM backup_runs WHERE kind IN ('differential', 'incremental') AND depends_on IS NULL"
        )
        .await,
        0,
        "every differential and incremental names its base"
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM backup_missed").await, 1);
    let drills: Vec<i64> =
        sqlx::query_scalar("SELECT measured_seconds FROM backup_drills ORDER BY started_at")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(drills.len(), 2);
    assert!(drills[0] > 4 * 3600, "the older drill is over the RTO");
    assert!(drills[1] <= 4 * 3600, "the recent one is inside it");

    // Seeding again at the same clock adds nothing.
    let total = count(&pool, "SELECT count(*) FROM backup_runs").await;
    opsdeck_server::demo::backups::seed_at(&pool, TZ, now)
        .await
        .unwrap();
    assert_eq!(
        count(&pool, "SELECT count(*) FROM backup_runs").await,
        total
    );
    assert_eq!(count(&pool, "SELECT count(*) FROM backup_drills").await, 2);
    assert_eq!(count(&pool, "SELECT count(*) FROM backup_missed").await, 1);

    // The timeline of the last two days shows the missed differential and
    // the failed uploads run; everything else ran.
    let mut conn = pool.acquire().await.unwrap();
    let mut missed = Vec::new();
    let mut failed = Vec::new();
    for key in ["database", "uploads"] {
        let target = store::target_by_key(&mut *conn, key)
            .await
            .unwrap()
            .unwrap();
        for line in store::timeline(
            &mut conn,
            target.id,
            TZ,
            now - TimeDelta::days(2),
            now + TimeDelta::days(1),
            now,
        )
        .await
        .unwrap()
        {
            for slot in &line.slots {
                match slot.status {
                    SlotStatus::Missed => missed.push((key, line.schedule.kind)),
                    SlotStatus::Failed => failed.push((key, line.schedule.kind)),
                    _ => {}
                }
            }
        }
        // The chains are whole: nothing kept depends on something missing.
        let report = store::retention_report(&mut conn, &target, TZ, now)
            .await
            .unwrap();
        assert!(report.problems.is_empty(), "{key}: {:?}", report.problems);
        assert!(report.newest_restorable.is_some());
    }
    use opsdeck::backup_retention::BackupKind;
    assert_eq!(missed, vec![("database", BackupKind::Differential)]);
    assert_eq!(failed, vec![("uploads", BackupKind::Incremental)]);
    drop(conn);

    // The watch finds the missed run already recorded and the RPO met.
    let summary = store::watch_pass(&pool, TZ, now).await.unwrap().unwrap();
    assert_eq!(summary.missed, 0, "{summary:?}");
    assert_eq!(summary.rpo_breached, 0, "{summary:?}");
}
