//! What the metrics view reads (issue 10 item 4, R-MON-2): system samples
//! per source and request statistics per class, in buckets. Ranges up to a
//! day read the raw samples and the request minutes (60 or 288 buckets);
//! 7 and 30 days read the hourly rollups (`metric_sample_hours`,
//! `request_hours`: 168 / 720 rows a source), never the minutes.

use crate::model::metrics::LATENCY_BUCKETS;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Row};

/// A bucket of one source's system samples: averages over the samples that
/// measured each metric, and the highest value.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplePoint {
    pub at: DateTime<Utc>,
    pub source: String,
    /// cpu, memory, disk, network latency, connections: (average, max).
    pub values: [(Option<f64>, Option<f64>); 5],
}

/// A bucket of one class's requests, all sources summed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPoint {
    pub at: DateTime<Utc>,
    pub class: String,
    pub ok: i64,
    pub client_errors: i64,
    pub server_errors: i64,
    pub timeouts: i64,
    pub latency_counts: Vec<i64>,
}

impl RequestPoint {
    pub fn total(&self) -> i64 {
        self.ok + self.client_errors + self.server_errors + self.timeouts
    }
}

const EPOCH: &str = "TIMESTAMPTZ '2000-01-01 00:00:00+00'";

fn sample_row(r: &PgRow) -> Result<SamplePoint, sqlx::Error> {
    let pair = |m: &str| -> Result<(Option<f64>, Option<f64>), sqlx::Error> {
        Ok((
            r.try_get(format!("{m}_avg").as_str())?,
            r.try_get(format!("{m}_max").as_str())?,
        ))
    };
    Ok(SamplePoint {
        at: r.try_get("t")?,
        source: r.try_get("source")?,
        values: [
            pair("cpu")?,
            pair("memory")?,
            pair("disk")?,
            pair("latency")?,
            pair("connections")?,
        ],
    })
}

/// System samples of `environment` in `[from, to)`, per source and bucket
/// of `bucket_secs` (from the raw samples), oldest first.
pub async fn samples<'e>(
    db: impl PgExecutor<'e>,
    environment: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket_secs: i64,
) -> Result<Vec<SamplePoint>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT date_bin(make_interval(secs => $4), at, {EPOCH}) AS t, source, \
                avg(cpu_usage) AS cpu_avg, max(cpu_usage) AS cpu_max, \
                avg(memory_usage) AS memory_avg, max(memory_usage) AS memory_max, \
                avg(disk_usage) AS disk_avg, max(disk_usage) AS disk_max, \
                avg(network_latency_ms) AS latency_avg, max(network_latency_ms) AS latency_max, \
                avg(connections)::float8 AS connections_avg, max(connections)::float8 AS connections_max \
         FROM metric_samples WHERE environment = $1 AND at >= $2 AND at < $3 \
         GROUP BY 1, 2 ORDER BY 1, 2"
    ))
    .bind(environment)
    .bind(from)
    .bind(to)
    .bind(bucket_secs.max(1) as f64)
    .fetch_all(db)
    .await?;
    rows.iter().map(sample_row).collect()
}

/// System samples of `environment` in `[from, to)` from the hourly rollup.
pub async fn sample_hours<'e>(
    db: impl PgExecutor<'e>,
    environment: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<SamplePoint>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT hour AS t, source, \
                cpu_sum / NULLIF(cpu_n, 0) AS cpu_avg, cpu_max, \
                memory_sum / NULLIF(memory_n, 0) AS memory_avg, memory_max, \
                disk_sum / NULLIF(disk_n, 0) AS disk_avg, disk_max, \
                latency_sum / NULLIF(latency_n, 0) AS latency_avg, latency_max, \
                connections_sum / NULLIF(connections_n, 0) AS connections_avg, \
                connections_max::float8 AS connections_max \
         FROM metric_sample_hours WHERE environment = $1 AND hour >= $2 AND hour < $3 \
         ORDER BY hour, source",
    )
    .bind(environment)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await?;
    rows.iter().map(sample_row).collect()
}

fn merged_counts(column: &str) -> String {
    let terms: Vec<String> = (1..=LATENCY_BUCKETS)
        .map(|i| format!("sum({column}[{i}])"))
        .collect();
    format!("ARRAY[{}]::int8[]", terms.join(", "))
}

fn request_row(r: &PgRow) -> Result<RequestPoint, sqlx::Error> {
    Ok(RequestPoint {
        at: r.try_get("t")?,
        class: r.try_get("class")?,
        ok: r.try_get("ok")?,
        client_errors: r.try_get("client_errors")?,
        server_errors: r.try_get("server_errors")?,
        timeouts: r.try_get("timeouts")?,
        latency_counts: r.try_get("latency_counts")?,
    })
}

/// Request statistics of `environment` in `[from, to)` per class and bucket
/// of `bucket_secs`, all sources summed: from `request_minutes` when
/// `hourly` is false, else from `request_hours` (buckets of whole hours).
pub async fn requests<'e>(
    db: impl PgExecutor<'e>,
    environment: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket_secs: i64,
    hourly: bool,
) -> Result<Vec<RequestPoint>, sqlx::Error> {
    let (table, column) = if hourly {
        ("request_hours", "hour")
    } else {
        ("request_minutes", "minute")
    };
    let rows = sqlx::query(&format!(
        "SELECT date_bin(make_interval(secs => $4), {column}, {EPOCH}) AS t, class, \
                sum(ok)::int8 AS ok, sum(client_errors)::int8 AS client_errors, \
                sum(server_errors)::int8 AS server_errors, sum(timeouts)::int8 AS timeouts, \
                {} AS latency_counts \
         FROM {table} WHERE environment = $1 AND {column} >= $2 AND {column} < $3 \
         GROUP BY 1, 2 ORDER BY 1, 2",
        merged_counts("latency_counts")
    ))
    .bind(environment)
    .bind(from)
    .bind(to)
    .bind(bucket_secs.max(1) as f64)
    .fetch_all(db)
    .await?;
    rows.iter().map(request_row).collect()
}
