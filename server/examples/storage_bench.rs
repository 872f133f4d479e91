//! Storage layout benchmark (issue 10 item 3, decision 0020): the per-minute
//! rollups `probe_minutes` and `request_minutes` as one plain table with a
//! BRIN index on the time column (the layout of migrations
//! 20261129900001/2) against declarative partitioning by month, each filled
//! with `years` of data, read the way the SLA page and the metrics view read
//! them, and purged the way retention purges them. Hourly rollups
//! (`probe_hours`, `request_hours`) are timed beside them as the third option.
//!
//! `cargo run -p opsdeck-server --example storage_bench -- [years] [targets] [reps]`
//! (defaults 5, 3, 30). Uses a throw-away database on the server
//! `DATABASE_URL` points at, dropped at the end.
//!
//! Both variants get the same rows in the same order (minute by minute,
//! targets interleaved, as the prober writes them) and are read at the same
//! random months, alternating variants so neither has the warmer cache.
//! Reads aggregate in SQL (what crosses the wire is a few rows), except
//! "month rows", which fetches the month's 43 200 minute rows of one target
//! as a page that builds a minute series would.

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgPool};
use std::time::Instant;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn month_start(year: i32, month: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

fn add_months(t: DateTime<Utc>, n: i32) -> DateTime<Utc> {
    let total = t.year() * 12 + t.month0() as i32 + n;
    month_start(total.div_euclid(12), total.rem_euclid(12) as u32 + 1)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

struct Timing {
    samples: Vec<f64>,
}

impl Timing {
    fn new() -> Self {
        Self {
            samples: Vec::new(),
        }
    }
    fn add(&mut self, started: Instant) {
        self.samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    fn p(&self, q: f64) -> f64 {
        let mut s = self.samples.clone();
        s.sort_by(f64::total_cmp);
        percentile(&s, q)
    }
}

/// The latency histograms of a group merged bucket by bucket.
const MERGED: &str = "sum(latency_counts[1]), sum(latency_counts[2]), sum(latency_counts[3]), \
     sum(latency_counts[4]), sum(latency_counts[5]), sum(latency_counts[6]), sum(latency_counts[7]), \
     sum(latency_counts[8]), sum(latency_counts[9]), sum(latency_counts[10])";

const PROBE_COLUMNS: &str = "target_id BIGINT NOT NULL, minute TIMESTAMPTZ NOT NULL, \
     probes INT NOT NULL, ok INT NOT NULL, latency_sum_ms BIGINT NOT NULL, latency_max_ms INT NOT NULL";
const REQUEST_COLUMNS: &str = "environment TEXT NOT NULL, source TEXT NOT NULL, \
     minute TIMESTAMPTZ NOT NULL, class TEXT NOT NULL, ok BIGINT NOT NULL, \
     client_errors BIGINT NOT NULL, server_errors BIGINT NOT NULL, timeouts BIGINT NOT NULL, \
     latency_counts BIGINT[] NOT NULL";

async fn create(pool: &PgPool, first: DateTime<Utc>, months: i32) -> Res<()> {
    for sql in [
        format!("CREATE TABLE pm_plain ({PROBE_COLUMNS}, PRIMARY KEY (target_id, minute))"),
        "CREATE INDEX ON pm_plain USING BRIN (minute)".into(),
        format!(
            "CREATE TABLE pm_part ({PROBE_COLUMNS}, PRIMARY KEY (target_id, minute)) \
             PARTITION BY RANGE (minute)"
        ),
        format!(
            "CREATE TABLE rm_plain ({REQUEST_COLUMNS}, PRIMARY KEY (environment, minute, class, source))"
        ),
        "CREATE INDEX ON rm_plain USING BRIN (minute)".into(),
        format!(
            "CREATE TABLE rm_part ({REQUEST_COLUMNS}, PRIMARY KEY (environment, minute, class, source)) \
             PARTITION BY RANGE (minute)"
        ),
    ] {
        sqlx::query(&sql).execute(pool).await?;
    }
    for i in 0..=months {
        let from = add_months(first, i);
        let to = add_months(first, i + 1);
        for base in ["pm_part", "rm_part"] {
            sqlx::query(&format!(
                "CREATE TABLE {base}_{} PARTITION OF {base} FOR VALUES FROM ('{}') TO ('{}')",
                from.format("%Y%m"),
                from.to_rfc3339(),
                to.to_rfc3339()
            ))
            .execute(pool)
            .await?;
        }
    }
    Ok(())
}

/// One month of rows into both variants, in the prober's order.
async fn fill_month(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    targets: i64,
) -> Res<()> {
    // ~1 minute in 2 000 has a failed probe; latency 20–80 ms.
    let probe_rows = "SELECT t, m, 6, CASE WHEN hashint8(extract(epoch FROM m)::int8 * 7 + t) % 2000 = 0 \
         THEN 3 ELSE 6 END, 6 * (20 + abs(hashint8(extract(epoch FROM m)::int8 + t)) % 60), 80 \
         FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 minute', interval '1 minute') m, \
         generate_series(1::int8, $3) t ORDER BY m, t";
    let request_rows = "SELECT 'production', 'web-1', m, c, 1200, 12, 1, 0, \
         ARRAY[100, 300, 500, 200, 60, 30, 15, 5, 3, 0]::int8[] \
         FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 minute', interval '1 minute') m, \
         unnest(ARRAY['api', 'page', 'search']) c ORDER BY m, c";
    for table in ["pm_plain", "pm_part"] {
        sqlx::query(&format!("INSERT INTO {table} {probe_rows}"))
            .bind(from)
            .bind(to)
            .bind(targets)
            .execute(pool)
            .await?;
    }
    for table in ["rm_plain", "rm_part"] {
        sqlx::query(&format!("INSERT INTO {table} {request_rows}"))
            .bind(from)
            .bind(to)
            .execute(pool)
            .await?;
    }
    Ok(())
}

async fn size(pool: &PgPool, table: &str) -> Res<i64> {
    // A partitioned table's own size is 0: add its partitions.
    Ok(sqlx::query_scalar(
        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::int8 FROM pg_class c \
         WHERE c.relname = $1 OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = $1::regclass)",
    )
    .bind(table)
    .fetch_one(pool)
    .await?)
}

fn mb(bytes: i64) -> f64 {
    bytes as f64 / 1_048_576.0
}

#[tokio::main]
async fn main() -> Res<()> {
    let mut args = std::env::args().skip(1);
    let years: i32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let targets: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let reps: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let base = server.rsplit_once('/').map_or(server.as_str(), |(s, _)| s);
    let admin_url = format!("{base}/postgres");
    let db = format!("opsdeck_storage_bench_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&mut admin)
        .await?;
    let result = run(&format!("{base}/{db}"), years, targets, reps).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    result
}

async fn run(url: &str, years: i32, targets: i64, reps: usize) -> Res<()> {
    let pool = PgPoolOptions::new().max_connections(4).connect(url).await?;
    let now = Utc::now();
    let this_month = month_start(now.year(), now.month());
    let months = years * 12;
    let first = add_months(this_month, -months);
    create(&pool, first, months).await?;

    let started = Instant::now();
    for i in 0..months {
        fill_month(
            &pool,
            add_months(first, i),
            add_months(first, i + 1),
            targets,
        )
        .await?;
    }
    // The hourly rollups, as the prober and the ingest keep them.
    sqlx::query(
        "CREATE TABLE ph AS SELECT target_id, date_trunc('hour', minute) AS hour, \
         count(*)::int AS minutes, count(*) FILTER (WHERE ok < probes)::int AS down_minutes, \
         sum(probes)::int AS probes, sum(ok)::int AS ok, sum(latency_sum_ms)::int8 AS latency_sum_ms, \
         max(latency_max_ms) AS latency_max_ms FROM pm_plain GROUP BY 1, 2",
    )
    .execute(&pool)
    .await?;
    sqlx::query("ALTER TABLE ph ADD PRIMARY KEY (target_id, hour)")
        .execute(&pool)
        .await?;
    sqlx::query(
        &"CREATE TABLE rh AS SELECT environment, source, date_trunc('hour', minute) AS hour, class, \
         sum(ok)::int8 AS ok, sum(client_errors)::int8 AS client_errors, \
         sum(server_errors)::int8 AS server_errors, sum(timeouts)::int8 AS timeouts, \
         ARRAY[{MERGED}]::int8[] AS latency_counts \
         FROM rm_plain GROUP BY 1, 2, 3, 4".replace("{MERGED}", MERGED),
    )
    .execute(&pool)
    .await?;
    sqlx::query("ALTER TABLE rh ADD PRIMARY KEY (environment, hour, class, source)")
        .execute(&pool)
        .await?;
    sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
    let loaded = started.elapsed().as_secs_f64();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM pm_plain")
        .fetch_one(&pool)
        .await?;
    let request_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM rm_plain")
        .fetch_one(&pool)
        .await?;
    println!(
        "storage benchmark: {years} years, {targets} probe targets, {rows} probe minute rows and \
         {request_rows} request minute rows per variant, loaded in {loaded:.0} s; {reps} reads each",
    );
    println!(
        "  size MB: probe_minutes plain {:.0}, partitioned {:.0}; request_minutes plain {:.0}, \
         partitioned {:.0}; probe_hours {:.1}; request_hours {:.1}",
        mb(size(&pool, "pm_plain").await?),
        mb(size(&pool, "pm_part").await?),
        mb(size(&pool, "rm_plain").await?),
        mb(size(&pool, "rm_part").await?),
        mb(size(&pool, "ph").await?),
        mb(size(&pool, "rh").await?),
    );

    // The same random months for every variant: not the oldest (the purge
    // drops it), and with 12 months of data after them.
    let mut rng = StdRng::seed_from_u64(20_261_129);
    let picks: Vec<(i64, DateTime<Utc>)> = (0..reps)
        .map(|_| {
            (
                rng.random_range(1..=targets),
                add_months(first, rng.random_range(1..=(months - 12).max(1))),
            )
        })
        .collect();

    let probe_rows = "SELECT minute, probes, ok FROM {t} \
         WHERE target_id = $1 AND minute >= $2 AND minute < $3 ORDER BY minute";
    let probe_agg = "SELECT count(*)::int8, count(*) FILTER (WHERE ok < probes)::int8, \
         coalesce(sum(latency_sum_ms), 0)::int8 FROM {t} \
         WHERE target_id = $1 AND minute >= $2 AND minute < $3";
    let hour_agg = "SELECT sum(minutes)::int8, sum(down_minutes)::int8, sum(latency_sum_ms)::int8 \
         FROM ph WHERE target_id = $1 AND hour >= $2 AND hour < $3";
    let request_agg = "SELECT class, sum(ok)::int8, sum(server_errors)::int8, \
         ARRAY[{MERGED}]::int8[] FROM {t} \
         WHERE environment = 'production' AND minute >= $1 AND minute < $2 GROUP BY class";
    let request_hour_agg = "SELECT class, sum(ok)::int8, sum(server_errors)::int8, \
         ARRAY[{MERGED}]::int8[] FROM rh \
         WHERE environment = 'production' AND hour >= $1 AND hour < $2 GROUP BY class";

    struct Case {
        name: &'static str,
        sql: &'static str,
        tables: &'static [&'static str],
        months: i32,
        by_target: bool,
        fetch_rows: bool,
    }
    let cases = [
        Case {
            name: "probe month, rows",
            sql: probe_rows,
            tables: &["pm_plain", "pm_part"],
            months: 1,
            by_target: true,
            fetch_rows: true,
        },
        Case {
            name: "probe month, aggregate",
            sql: probe_agg,
            tables: &["pm_plain", "pm_part"],
            months: 1,
            by_target: true,
            fetch_rows: false,
        },
        Case {
            name: "probe 12 months, aggregate",
            sql: probe_agg,
            tables: &["pm_plain", "pm_part"],
            months: 12,
            by_target: true,
            fetch_rows: false,
        },
        Case {
            name: "probe 12 months, probe_hours",
            sql: hour_agg,
            tables: &["ph"],
            months: 12,
            by_target: true,
            fetch_rows: false,
        },
        Case {
            name: "requests month, histogram merge",
            sql: request_agg,
            tables: &["rm_plain", "rm_part"],
            months: 1,
            by_target: false,
            fetch_rows: false,
        },
        Case {
            name: "requests month, request_hours",
            sql: request_hour_agg,
            tables: &["rh"],
            months: 1,
            by_target: false,
            fetch_rows: false,
        },
        Case {
            name: "requests 12 months, histogram merge",
            sql: request_agg,
            tables: &["rm_plain", "rm_part"],
            months: 12,
            by_target: false,
            fetch_rows: false,
        },
        Case {
            name: "requests 12 months, request_hours",
            sql: request_hour_agg,
            tables: &["rh"],
            months: 12,
            by_target: false,
            fetch_rows: false,
        },
    ];
    println!(
        "  {:<38} {:>14} {:>14} {:>14} {:>14}",
        "read (ms)", "plain p50", "plain p95", "partit. p50", "partit. p95"
    );
    for case in &cases {
        let mut timings: Vec<Timing> = case.tables.iter().map(|_| Timing::new()).collect();
        for (target, from) in &picks {
            let to = add_months(*from, case.months);
            for (k, table) in case.tables.iter().enumerate() {
                let sql = case.sql.replace("{t}", table).replace("{MERGED}", MERGED);
                let started = Instant::now();
                if case.fetch_rows {
                    let rows: Vec<(DateTime<Utc>, i32, i32)> = sqlx::query_as(&sql)
                        .bind(target)
                        .bind(from)
                        .bind(to)
                        .fetch_all(&pool)
                        .await?;
                    assert!(rows.len() >= 40_000, "a month of rows");
                } else if case.by_target {
                    let _: (Option<i64>, Option<i64>, Option<i64>) = sqlx::query_as(&sql)
                        .bind(target)
                        .bind(from)
                        .bind(to)
                        .fetch_one(&pool)
                        .await?;
                } else {
                    let rows: Vec<(String, i64, i64, Vec<i64>)> = sqlx::query_as(&sql)
                        .bind(from)
                        .bind(to)
                        .fetch_all(&pool)
                        .await?;
                    assert_eq!(rows.len(), 3, "three classes");
                }
                timings[k].add(started);
            }
        }
        if timings.len() == 2 {
            println!(
                "  {:<38} {:>14.2} {:>14.2} {:>14.2} {:>14.2}",
                case.name,
                timings[0].p(0.5),
                timings[0].p(0.95),
                timings[1].p(0.5),
                timings[1].p(0.95)
            );
        } else {
            println!(
                "  {:<38} {:>14.2} {:>14.2} {:>14} {:>14}   (hourly rollup, plain table)",
                case.name,
                timings[0].p(0.5),
                timings[0].p(0.95),
                "",
                ""
            );
        }
    }

    // Writes: the prober's upsert of one minute row, 2 000 times into the current month.
    let upsert = "INSERT INTO {t} (target_id, minute, probes, ok, latency_sum_ms, latency_max_ms) \
         VALUES ($1, $2, 1, 1, 20, 20) ON CONFLICT (target_id, minute) DO UPDATE SET \
         probes = {t}.probes + 1, ok = {t}.ok + EXCLUDED.ok, \
         latency_sum_ms = {t}.latency_sum_ms + EXCLUDED.latency_sum_ms, \
         latency_max_ms = GREATEST({t}.latency_max_ms, EXCLUDED.latency_max_ms)";
    let mut upserts = Vec::new();
    for table in ["pm_plain", "pm_part"] {
        let sql = upsert.replace("{t}", table);
        let started = Instant::now();
        for i in 0..2_000i64 {
            sqlx::query(&sql)
                .bind(i % targets + 1)
                .bind(this_month + Duration::minutes(i / targets))
                .execute(&pool)
                .await?;
        }
        upserts.push(started.elapsed().as_secs_f64() * 1000.0 / 2_000.0);
    }
    println!(
        "  prober upsert, ms each                 plain {:.3}   partitioned {:.3}",
        upserts[0], upserts[1]
    );

    // Retention: the oldest month goes. Plain: batched DELETE (5 000 rows a
    // statement, as the retention worker does) then VACUUM so the space is
    // reusable; partitioned: DETACH + DROP of the month's partition.
    let oldest_to = add_months(first, 1);
    let mut purge = Vec::new();
    for table in ["pm_plain", "rm_plain"] {
        let started = Instant::now();
        let mut deleted = 0u64;
        loop {
            // The retention worker's statement (store::monitoring::retention).
            let n = sqlx::query(&format!(
                "DELETE FROM {table} WHERE ctid = ANY(ARRAY( \
                 SELECT ctid FROM {table} WHERE minute < $1 LIMIT 5000 FOR UPDATE SKIP LOCKED))"
            ))
            .bind(oldest_to)
            .execute(&pool)
            .await?
            .rows_affected();
            deleted += n;
            if n == 0 {
                break;
            }
        }
        sqlx::query(&format!("VACUUM {table}"))
            .execute(&pool)
            .await?;
        purge.push((table, deleted, started.elapsed().as_secs_f64() * 1000.0));
    }
    for table in ["pm_part", "rm_part"] {
        let started = Instant::now();
        let part = format!("{table}_{}", first.format("%Y%m"));
        sqlx::query(&format!("ALTER TABLE {table} DETACH PARTITION {part}"))
            .execute(&pool)
            .await?;
        sqlx::query(&format!("DROP TABLE {part}"))
            .execute(&pool)
            .await?;
        purge.push((table, 0, started.elapsed().as_secs_f64() * 1000.0));
    }
    for (table, deleted, ms) in purge {
        if deleted > 0 {
            println!("  purge oldest month {table:<10} batched DELETE of {deleted} rows + VACUUM: {ms:.0} ms");
        } else {
            println!("  purge oldest month {table:<10} DETACH + DROP PARTITION: {ms:.0} ms");
        }
    }
    Ok(())
}
