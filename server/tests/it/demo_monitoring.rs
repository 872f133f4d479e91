//! Demo monitoring history (issue 10 item 9): 13 months of probe rollups,
//! request statistics and system samples for the demo environments, with
//! outages — one inside a planned maintenance window, one recorded as
//! force majeure — loaded in seconds; seeding again adds nothing.

use chrono::{DateTime, Months, Utc};
use sqlx::PgPool;

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// Runs of consecutive down minutes (the SLA's rule) of an environment's
/// public target: (start, minutes).
async fn outages(pool: &PgPool, env: &str) -> Vec<(DateTime<Utc>, i64)> {
    sqlx::query_as(
        "WITH d AS (SELECT m.minute, m.minute - make_interval(mins => \
                      (row_number() OVER (ORDER BY m.minute))::int) AS grp \
                    FROM probe_minutes m JOIN probe_targets t ON t.id = m.target_id \
                    WHERE t.environment = $1 AND t.colour IS NULL AND sla_minute_down(m.probes, m.ok)) \
         SELECT min(minute), count(*) FROM d GROUP BY grp ORDER BY 1",
    )
    .bind(env)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "opsdeck_server::bootstrap::MIGRATOR")]
async fn demo_has_13_months_of_rollups_with_outages_issue_10_item_9(pool: PgPool) {
    let started = std::time::Instant::now();
    opsdeck_server::demo::seed(&pool).await.unwrap();
    eprintln!("whole demo seeded in {:?}", started.elapsed());
    let now = Utc::now();
    let thirteen_months = now.checked_sub_months(Months::new(13)).unwrap();

    for env in ["development", "staging", "production"] {
        let (first, last, minutes, hours): (DateTime<Utc>, DateTime<Utc>, i64, i64) = sqlx::query_as(
            "SELECT min(m.minute), max(m.minute), count(*), \
                    (SELECT sum(data_minutes)::int8 FROM sla_probe_hours h WHERE h.target_id = t.id) \
             FROM probe_minutes m JOIN probe_targets t ON t.id = m.target_id \
             WHERE t.environment = $1 AND t.colour IS NULL GROUP BY t.id",
        )
        .bind(env)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(
            first <= thirteen_months + chrono::Duration::days(1),
            "{env}: {first}"
        );
        assert!(now - last < chrono::Duration::minutes(3), "{env}: {last}");
        // Every minute of the span, once; the SLA's hourly summary agrees.
        assert_eq!(minutes, (last - first).num_minutes() + 1, "{env}");
        assert_eq!(hours, minutes, "{env}: sla_probe_hours follows");
        let hours_of_requests = count(
            &pool,
            &format!("SELECT count(DISTINCT hour) FROM request_hours WHERE environment = '{env}'"),
        )
        .await;
        assert!(
            hours_of_requests >= 13 * 28 * 24,
            "{env}: {hours_of_requests}"
        );
        let recent_minutes = count(
            &pool,
            &format!(
                "SELECT count(DISTINCT minute) FROM request_minutes WHERE environment = '{env}' \
                 AND minute >= now() - interval '2 days'"
            ),
        )
        .await;
        assert!(recent_minutes >= 2 * 1440 - 5, "{env}: {recent_minutes}");
        let sample_hours = count(
            &pool,
            &format!(
                "SELECT count(DISTINCT hour) FROM metric_sample_hours WHERE environment = '{env}'"
            ),
        )
        .await;
        assert!(sample_hours >= 13 * 28 * 24, "{env}: {sample_hours}");
    }

    // Request hours of the last days are the sum of their minutes (as the ingest keeps them).
    let disagreeing = count(
        &pool,
        "WITH m AS (SELECT environment, source, date_bin('1 hour', minute, TIMESTAMPTZ '2000-01-01') AS hour, \
                    class, sum(ok + client_errors + server_errors + timeouts) AS n \
                    FROM request_minutes GROUP BY 1, 2, 3, 4) \
         SELECT count(*) FROM m JOIN request_hours h USING (environment, source, hour, class) \
         WHERE h.ok + h.client_errors + h.server_errors + h.timeouts <> m.n",
    )
    .await;
    assert_eq!(disagreeing, 0);
    let bad_histograms = count(
        &pool,
        "SELECT count(*) FROM request_hours WHERE \
         (SELECT sum(c) FROM unnest(latency_counts) c) <> ok + client_errors + server_errors + timeouts",
    )
    .await;
    assert_eq!(bad_histograms, 0, "every request is in its histogram");

    // Outages: Production four (one in a planned window, one force majeure), Staging and Development one each.
    let production = outages(&pool, "production").await;
    let lengths: Vec<i64> = production.iter().map(|o| o.1).collect();
    assert_eq!(lengths.len(), 4, "{production:?}");
    for want in [25, 35, 40, 7] {
        assert!(lengths.contains(&want), "{want} in {lengths:?}");
    }
    assert_eq!(
        outages(&pool, "staging")
            .await
            .iter()
            .map(|o| o.1)
            .collect::<Vec<_>>(),
        vec![12]
    );
    assert_eq!(
        outages(&pool, "development")
            .await
            .iter()
            .map(|o| o.1)
            .collect::<Vec<_>>(),
        vec![90]
    );
    let in_window = count(
        &pool,
        "SELECT count(*) FROM probe_minutes m JOIN probe_targets t ON t.id = m.target_id \
         JOIN maintenance_windows w ON m.minute >= w.starts_at AND m.minute < w.ends_at \
         WHERE t.environment = 'production' AND t.colour IS NULL AND w.status = 'planned' \
           AND sla_minute_down(m.probes, m.ok)",
    )
    .await;
    assert_eq!(
        in_window, 40,
        "the 40-minute outage is inside a planned window"
    );
    let past_windows = count(
        &pool,
        "SELECT count(*) FROM maintenance_windows WHERE kind = 'monthly' AND ends_at < now()",
    )
    .await;
    assert!(past_windows >= 12, "{past_windows}");
    let (fm_minutes, by): (i64, String) = sqlx::query_as(
        "SELECT (extract(epoch FROM ends_at - starts_at) / 60)::int8, classified_by \
         FROM sla_exclusions WHERE environment = 'production' AND reason = 'force_majeure'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((fm_minutes, by.as_str()), (35, "operator"));
    assert_eq!(
        count(
            &pool,
            "SELECT count(*) FROM audit_log WHERE action = 'sla.classify'"
        )
        .await,
        1
    );

    // Seeding again adds nothing (beyond the minutes that passed meanwhile).
    let before = count(&pool, "SELECT count(*) FROM request_hours").await;
    let exclusions = count(&pool, "SELECT count(*) FROM sla_exclusions").await;
    let started = std::time::Instant::now();
    opsdeck_server::demo::monitoring::seed(&pool).await.unwrap();
    eprintln!("demo monitoring seeded again in {:?}", started.elapsed());
    assert!(count(&pool, "SELECT count(*) FROM request_hours").await - before <= 18);
    assert_eq!(
        count(&pool, "SELECT count(*) FROM sla_exclusions").await,
        exclusions
    );
    assert_eq!(outages(&pool, "production").await, production);
}
