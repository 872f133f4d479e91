//! Demo backups (issue 13 item 7): a year of runs on the policy's schedule
//! as a pgBackRest agent (the database: full daily 02:00, differential at
//! 08:00, 14:00 and 20:00, a WAL segment every 15 minutes) and a restic
//! agent (uploads: incremental daily 03:00, a full on the 1st of each month)
//! would have reported them, in the configured zone. A few runs failed, the
//! 20:00 differential of the day before seeding never ran (the backups
//! timeline shows it missed), and two restore drills were recorded — the
//! older one over the 4 h RTO, the recent one inside it.
//!
//! Bulk-inserted with `generate_series` (about 37 000 rows in a handful of
//! statements). Every run is keyed by its agent run id, and the year is
//! anchored on the first seeding, so seeding again adds nothing (or, on a
//! later day, only the days in between).

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sqlx::{PgConnection, PgPool};

const DB_AGENT: &str = "token:pgbackrest";
const UPLOADS_AGENT: &str = "token:restic";

/// Days after the first day on which something went wrong.
const FULL_FAILED: i32 = 151;
const DIFF_FAILED: i32 = 233;
/// The day before the first seeding: its uploads run failed and its 20:00
/// differential never ran (both inside the timeline's default two days).
const YESTERDAY: i32 = 364;

const FULL_ERROR: &str = "P00  ERROR: [082]: WAL segment 00000001000000A3000000F1 was not archived before the 60000ms timeout\n\
HINT: check the archive_command to ensure that all options are correct (especially --stanza).\n\
P00   INFO: backup command end: aborted with exception [082]";
const DIFF_ERROR: &str =
    "P01  ERROR: [041]: unable to write 's3://mythologia-backups/pgbackrest/main/backup': \
[104] Connection reset by peer\nP00   INFO: backup command end: aborted with exception [041]";
const UPLOADS_ERROR: &str = "Fatal: unable to save snapshot: client.PutObject: \
RequestTimeout: Your socket connection to the server was not read from or written to within the timeout period.";

/// The display zone, as the server reads it (default Asia/Tokyo).
fn zone() -> Tz {
    std::env::var("OPSDECK_TIME_ZONE")
        .ok()
        .and_then(|z| z.trim().parse().ok())
        .unwrap_or(chrono_tz::Asia::Tokyo)
}

/// The uploads failure: yesterday, unless yesterday was the 1st (a full,
/// whose failure would leave the month's chain without a base).
fn uploads_failed(first: NaiveDate) -> i32 {
    let day = first + Duration::days(i64::from(YESTERDAY));
    if day.day() == 1 {
        YESTERDAY - 1
    } else {
        YESTERDAY
    }
}

/// The year starts a year before the first seeding, and stays there.
async fn first_day(
    conn: &mut PgConnection,
    database: i64,
    tz: &str,
    today: NaiveDate,
) -> Result<NaiveDate, sqlx::Error> {
    let earliest: Option<NaiveDate> = sqlx::query_scalar(
        "SELECT min((started_at AT TIME ZONE $3)::date) FROM backup_runs \
         WHERE target_id = $1 AND kind = 'full' AND reported_by = $2",
    )
    .bind(database)
    .bind(DB_AGENT)
    .bind(tz)
    .fetch_one(&mut *conn)
    .await?;
    Ok(earliest.unwrap_or(today - Duration::days(i64::from(YESTERDAY) + 1)))
}

async fn target(conn: &mut PgConnection, key: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM backup_targets WHERE key = $1")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await
}

/// Inserts what is missing.
pub async fn seed(pool: &PgPool) -> Result<(), sqlx::Error> {
    seed_at(pool, zone(), Utc::now()).await
}

/// `seed` on a given clock and zone.
pub async fn seed_at(pool: &PgPool, tz: Tz, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let (Some(database), Some(uploads)) = (
        target(&mut tx, "database").await?,
        target(&mut tx, "uploads").await?,
    ) else {
        // The policy's targets were removed: nothing to fill.
        return Ok(());
    };
    let tz_name = tz.name();
    let today = now.with_timezone(&tz).date_naive();
    let first = first_day(&mut tx, database, tz_name, today).await?;
    let days = i32::try_from((today - first).num_days())
        .unwrap_or(0)
        .max(0);

    // Database fulls, daily 02:00 (pgBackRest labels: 20261130-020000F).
    sqlx::query(
        "INSERT INTO backup_runs (target_id, kind, agent_run_id, started_at, finished_at, size_bytes, checksum, \
         location, outcome, output, reported_by) \
         SELECT $4, 'full', x.run_id, x.started, LEAST(x.started + x.took, $3), \
                CASE WHEN x.failed THEN NULL ELSE 2100000000::bigint + x.d * 3100000::bigint + (x.d * 7919) % 40000000 END, \
                CASE WHEN x.failed THEN NULL ELSE 'sha256:' || encode(sha256(convert_to(x.run_id, 'UTF8')), 'hex') END, \
                CASE WHEN x.failed THEN NULL ELSE 's3://mythologia-backups/pgbackrest/main/backup/' || x.run_id END, \
                CASE WHEN x.failed THEN 'failed' ELSE 'ok' END, \
                CASE WHEN x.failed THEN $6 ELSE '' END, $7 \
         FROM (SELECT d, to_char($1::date + d, 'YYYYMMDD') || '-020000F' AS run_id, \
                      (($1::date + d) + time '02:00') AT TIME ZONE $2 + make_interval(secs => (d * 37) % 150) AS started, \
                      make_interval(secs => 1680 + (d * 53) % 720) AS took, \
                      d = $5 AS failed \
               FROM generate_series(0, $8) AS d) x \
         WHERE x.started <= $3 \
         ON CONFLICT (target_id, agent_run_id) DO NOTHING",
    )
    .bind(first)
    .bind(tz_name)
    .bind(now)
    .bind(database)
    .bind(FULL_FAILED)
    .bind(FULL_ERROR)
    .bind(DB_AGENT)
    .bind(days)
    .execute(&mut *tx)
    .await?;

    // Differentials at 08:00, 14:00 and 20:00 on the newest full that
    // succeeded (the 02:00 full stands for the 02:00 differential).
    sqlx::query(
        "INSERT INTO backup_runs (target_id, kind, depends_on, agent_run_id, started_at, finished_at, size_bytes, \
         checksum, location, outcome, output, reported_by) \
         SELECT $4, 'differential', dep.id, dep.agent_run_id || '_' || x.label, x.started, LEAST(x.started + x.took, $3), \
                CASE WHEN x.failed THEN NULL ELSE 35000000::bigint + x.h * 2500000 + (x.d * 104729) % 30000000 END, \
                CASE WHEN x.failed THEN NULL ELSE 'sha256:' || encode(sha256(convert_to(dep.agent_run_id || '_' || x.label, 'UTF8')), 'hex') END, \
                CASE WHEN x.failed THEN NULL ELSE 's3://mythologia-backups/pgbackrest/main/backup/' || dep.agent_run_id || '_' || x.label END, \
                CASE WHEN x.failed THEN 'failed' ELSE 'ok' END, \
                CASE WHEN x.failed THEN $7 ELSE '' END, $8 \
         FROM (SELECT d, h, to_char($1::date + d, 'YYYYMMDD') || '-' || lpad(h::text, 2, '0') || '0000D' AS label, \
                      (($1::date + d) + make_time(h, 0, 0)) AT TIME ZONE $2 + make_interval(secs => (d * 13 + h) % 90) AS started, \
                      make_interval(secs => 180 + (d * 29 + h * 7) % 300) AS took, \
                      (d = $5 AND h = 14) AS failed, \
                      (d = $6 AND h = 20) AS missed \
               FROM generate_series(0, $9) AS d CROSS JOIN (VALUES (8), (14), (20)) AS hh(h)) x \
         CROSS JOIN LATERAL (SELECT f.id, f.agent_run_id FROM backup_runs f \
                             WHERE f.target_id = $4 AND f.kind = 'full' AND f.outcome = 'ok' AND f.started_at < x.started \
                             ORDER BY f.started_at DESC LIMIT 1) dep \
         WHERE x.started <= $3 AND NOT x.missed \
         ON CONFLICT (target_id, agent_run_id) DO NOTHING",
    )
    .bind(first)
    .bind(tz_name)
    .bind(now)
    .bind(database)
    .bind(DIFF_FAILED)
    .bind(YESTERDAY)
    .bind(DIFF_ERROR)
    .bind(DB_AGENT)
    .bind(days)
    .execute(&mut *tx)
    .await?;

    // The transaction log: one archived WAL segment per 15 minutes, each
    // covering the quarter hour it names.
    let first_midnight =
        sqlx::query_scalar::<_, DateTime<Utc>>("SELECT ($1::date + time '00:00') AT TIME ZONE $2")
            .bind(first)
            .bind(tz_name)
            .fetch_one(&mut *tx)
            .await?;
    let segments = i32::try_from((now - first_midnight).num_minutes() / 15).unwrap_or(0);
    sqlx::query(
        "INSERT INTO backup_runs (target_id, kind, agent_run_id, started_at, finished_at, size_bytes, checksum, \
         location, outcome, reported_by) \
         SELECT $3, 'log', x.seg, x.s, x.s + interval '15 minutes', 3500000 + (x.i * 7919) % 2500000, \
                'sha256:' || encode(sha256(convert_to(x.seg, 'UTF8')), 'hex'), \
                's3://mythologia-backups/pgbackrest/main/archive/' || x.seg, 'ok', $5 \
         FROM (SELECT i, $1::timestamptz + make_interval(mins => i * 15) AS s, \
                      '00000001' || lpad(upper(to_hex(i / 256)), 8, '0') || lpad(upper(to_hex(i % 256)), 8, '0') AS seg \
               FROM generate_series(0, $4) AS i) x \
         WHERE x.s + interval '15 minutes' <= $2 \
         ON CONFLICT (target_id, agent_run_id) DO NOTHING",
    )
    .bind(first_midnight)
    .bind(now)
    .bind(database)
    .bind(segments)
    .bind(DB_AGENT)
    .execute(&mut *tx)
    .await?;

    // Uploads, daily 03:00: restic snapshots, a full on the 1st of each
    // month and incrementals on the previous successful one.
    let failed = uploads_failed(first);
    let snapshot = |day: &str| {
        format!("encode(sha256(convert_to('uploads-' || ({day})::text, 'UTF8')), 'hex')")
    };
    sqlx::query(&format!(
        "INSERT INTO backup_runs (target_id, kind, agent_run_id, started_at, finished_at, size_bytes, checksum, \
         location, outcome, output, reported_by) \
         SELECT $4, CASE WHEN x.is_full THEN 'full' ELSE 'incremental' END, x.run_id, x.started, \
                LEAST(x.started + x.took, $3), \
                CASE WHEN x.failed THEN NULL WHEN x.is_full THEN 48000000000::bigint + x.d * 45000000::bigint \
                     ELSE 180000000::bigint + (x.d * 7919) % 600000000 END, \
                CASE WHEN x.failed THEN NULL ELSE 'sha256:' || x.run_id END, \
                CASE WHEN x.failed THEN NULL ELSE 's3://mythologia-backups/restic/uploads/snapshots/' || x.run_id END, \
                CASE WHEN x.failed THEN 'failed' ELSE 'ok' END, \
                CASE WHEN x.failed THEN $6 ELSE '' END, $7 \
         FROM (SELECT d, {id} AS run_id, \
                      (($1::date + d) + time '03:00') AT TIME ZONE $2 + make_interval(secs => (d * 41) % 240) AS started, \
                      make_interval(secs => 420 + (d * 31) % 900) AS took, \
                      (d = 0 OR extract(day FROM $1::date + d) = 1) AS is_full, \
                      d = $5 AS failed \
               FROM generate_series(0, $8) AS d) x \
         WHERE x.started <= $3 \
         ON CONFLICT (target_id, agent_run_id) DO NOTHING",
        id = snapshot("$1::date + d"),
    ))
    .bind(first)
    .bind(tz_name)
    .bind(now)
    .bind(uploads)
    .bind(failed)
    .bind(UPLOADS_ERROR)
    .bind(UPLOADS_AGENT)
    .bind(days)
    .execute(&mut *tx)
    .await?;
    // Each incremental's predecessor: the day before, or the one before
    // that when the day before failed.
    sqlx::query(&format!(
        "UPDATE backup_runs r SET depends_on = p.id \
         FROM (SELECT {id} AS run_id, {prev} AS prev_id FROM generate_series(1, $3) AS d) x \
         JOIN backup_runs p ON p.target_id = $4 AND p.agent_run_id = x.prev_id \
         WHERE r.target_id = $4 AND r.agent_run_id = x.run_id AND r.kind = 'incremental' AND r.depends_on IS NULL",
        id = snapshot("$1::date + d"),
        prev = snapshot("$1::date + CASE WHEN d - 1 = $2 THEN d - 2 ELSE d - 1 END"),
    ))
    .bind(first)
    .bind(failed)
    .bind(days)
    .bind(uploads)
    .execute(&mut *tx)
    .await?;

    // The schedule has held all year (so the timeline judges the past), and
    // the watch recorded yesterday's missing 20:00 differential.
    sqlx::query(
        "UPDATE backup_schedules SET active_since = $1 WHERE target_id IN ($2, $3) AND active_since > $1",
    )
    .bind(first_midnight)
    .bind(database)
    .bind(uploads)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO backup_missed (schedule_id, expected_at, target_id, kind, detected_at, notified) \
         SELECT s.id, x.at, $3, 'differential', x.at + make_interval(mins => g.missed_grace_minutes), TRUE \
         FROM (SELECT (($1::date + $4) + time '20:00') AT TIME ZONE $2 AS at) x \
         CROSS JOIN (SELECT missed_grace_minutes FROM backup_settings WHERE singleton) g \
         JOIN backup_schedules s ON s.target_id = $3 AND s.kind = 'differential' AND s.cadence = 'every' \
         WHERE x.at + make_interval(mins => g.missed_grace_minutes) <= $5 \
         ON CONFLICT DO NOTHING",
    )
    .bind(first)
    .bind(tz_name)
    .bind(database)
    .bind(YESTERDAY)
    .bind(now)
    .execute(&mut *tx)
    .await?;

    // Two restore drills of a full into the standby region, by the operator.
    let drills: [(i32, i64, &str); 2] = [
        (
            121,
            4 * 3600 + 52 * 60,
            "Quarterly restore drill (demo): pg_restore of the full into the standby region took 4 h 52 min, \
             over the 4 h RTO — the restore ran single-threaded. Follow-up: process-max=8, restore the card \
             database first.",
        ),
        (
            351,
            2 * 3600 + 18 * 60,
            "Quarterly restore drill (demo): with process-max=8 and the recovery order of the runbook the \
             restore and its checks took 2 h 18 min, inside the 4 h RTO.",
        ),
    ];
    for (d, seconds, notes) in drills {
        let full = format!(
            "{}-020000F",
            (first + Duration::days(i64::from(d) - 1)).format("%Y%m%d")
        );
        sqlx::query(
            "INSERT INTO backup_drills (target_id, run_id, started_at, finished_at, outcome, performed_by, \
             measured_seconds, built_in, notes) \
             SELECT $1, (SELECT id FROM backup_runs WHERE target_id = $1 AND agent_run_id = $2), x.at, \
                    x.at + make_interval(secs => $6 + 240), 'ok', 'operator', $6, FALSE, $7 \
             FROM (SELECT (($3::date + $4) + time '10:00') AT TIME ZONE $5 AS at) x \
             WHERE x.at + make_interval(secs => $6 + 240) <= $8 \
               AND NOT EXISTS (SELECT 1 FROM backup_drills WHERE target_id = $1 AND notes = $7)",
        )
        .bind(database)
        .bind(&full)
        .bind(first)
        .bind(d)
        .bind(tz_name)
        .bind(seconds)
        .bind(notes)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_uploads_failure_never_hits_a_monthly_full() {
        // 2025-12-01 + 364 days = 2026-11-30; 2025-12-03 + 364 = 2026-12-02.
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(uploads_failed(d("2025-12-01")), YESTERDAY);
        // 2025-12-02 + 364 days is 2026-12-01, a full: the day before instead.
        assert_eq!(uploads_failed(d("2025-12-02")), YESTERDAY - 1);
    }
}
