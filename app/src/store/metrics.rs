//! Metric ingest (issue 10, R-MON-2): batches from the monitored service,
//! checked as a whole (every bad field named by its JSON path), then stored
//! in one transaction with one statement per table.
//!
//! Idempotency: a sample is keyed (environment, source, at) and a request
//! minute (environment, minute, class, source); sending either again replaces
//! the stored row, so a client may retry a batch whose answer it lost. The
//! hourly rollup `request_hours` is kept by adding each minute's change (new
//! minus replaced); batches of one (environment, source) are serialised by
//! an advisory lock so two retries racing cannot both add the same minute.
//! The samples' hourly rollup `metric_sample_hours` (decision 0020) is
//! recomputed from the stored samples for the hours a batch touched.
//!
//! Not audited: samples are measurements, not changes anyone made; the audit
//! log (R-AUTH-4) would drown in one entry per source per minute.

use crate::model::metrics::{
    IngestFieldProblem, IngestOutcome, IngestProblem, RequestClass, LATENCY_BOUNDS_MS,
    LATENCY_BUCKETS,
};
use chrono::{DateTime, Duration, DurationRound, Utc};
use opsdeck::deploy_gate::Environment;
use serde_json::{Map, Value};
use sqlx::PgConnection;
use std::collections::{BTreeMap, HashSet};

/// Samples may be this far ahead of the server's clock (sources' clocks drift).
pub const CLOCK_SKEW: Duration = Duration::minutes(5);
/// How long raw metrics are kept by default (the seeded
/// `monitoring_settings.raw_retention_days`); older data is refused rather
/// than stored for the purge to delete. The API passes the stored setting
/// to [`parse_batch_within`].
pub const RETENTION: Duration = Duration::days(90);
/// At most this many problems are listed: a batch of 10 000 bad rows needs
/// no answer of 10 000 lines to be fixed.
const MAX_PROBLEMS: usize = 50;
const SOURCE_MAX_CHARS: usize = 100;

/// A sample's metric fields: any other key is refused (an unknown metric
/// name is a typo the sender should learn about, not data to drop).
const SAMPLE_METRICS: [&str; 5] = [
    "cpu_usage",
    "memory_usage",
    "disk_usage",
    "network_latency_ms",
    "connections",
];

/// System metrics of one source at one time; `None` = not measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub at: DateTime<Utc>,
    pub cpu_usage: Option<f64>,
    pub memory_usage: Option<f64>,
    pub disk_usage: Option<f64>,
    pub network_latency_ms: Option<f64>,
    pub connections: Option<i64>,
}

/// Requests of one class in one minute, with the latency histogram over
/// `LATENCY_BOUNDS_MS` (+Inf last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestMinute {
    pub minute: DateTime<Utc>,
    pub class: RequestClass,
    pub ok: i64,
    pub client_errors: i64,
    pub server_errors: i64,
    pub timeouts: i64,
    pub latency_counts: [i64; LATENCY_BUCKETS],
}

/// A checked batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub environment: Environment,
    pub source: String,
    pub samples: Vec<Sample>,
    pub requests: Vec<RequestMinute>,
}

struct Checker {
    problems: Vec<IngestFieldProblem>,
    retention: Duration,
}

impl Checker {
    fn add(&mut self, field: impl Into<String>, problem: IngestProblem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(IngestFieldProblem {
                field: field.into(),
                problem,
            });
        }
    }

    /// Refuses keys outside `known`.
    fn only(&mut self, obj: &Map<String, Value>, known: &[&str], prefix: &str) {
        for key in obj.keys() {
            if !known.contains(&key.as_str()) {
                self.add(format!("{prefix}{key}"), IngestProblem::UnknownField);
            }
        }
    }

    fn time(
        &mut self,
        v: Option<&Value>,
        field: &str,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let Some(v) = v.filter(|v| !v.is_null()) else {
            self.add(field, IngestProblem::Missing);
            return None;
        };
        let Some(t) = v
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
            .map(|t| t.with_timezone(&Utc))
        else {
            self.add(field, IngestProblem::NotATime);
            return None;
        };
        if t > now + CLOCK_SKEW {
            self.add(field, IngestProblem::InTheFuture);
            return None;
        }
        if t < now - self.retention {
            self.add(field, IngestProblem::TooOld);
            return None;
        }
        Some(t)
    }

    /// A non-negative integer; `Err(())` after recording why not.
    fn count(&mut self, v: Option<&Value>, field: &str) -> Result<i64, ()> {
        match v {
            None | Some(Value::Null) => {
                self.add(field, IngestProblem::Missing);
                Err(())
            }
            Some(v) => self.count_value(v, field),
        }
    }

    fn count_value(&mut self, v: &Value, field: &str) -> Result<i64, ()> {
        let problem = match v.as_i64() {
            Some(n) if n >= 0 => return Ok(n),
            Some(_) => IngestProblem::Negative,
            None if v.as_f64().is_some_and(|f| f < 0.0) => IngestProblem::Negative,
            None => IngestProblem::NotAnInteger,
        };
        self.add(field, problem);
        Err(())
    }

    /// An optional finite number within `range` (`NotAPercentage` or `Negative` outside).
    fn measure(
        &mut self,
        v: Option<&Value>,
        field: &str,
        percent: bool,
    ) -> Result<Option<f64>, ()> {
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        let Some(f) = v.as_f64().filter(|f| f.is_finite()) else {
            self.add(field, IngestProblem::NotANumber);
            return Err(());
        };
        if percent && !(0.0..=100.0).contains(&f) {
            self.add(field, IngestProblem::NotAPercentage);
            return Err(());
        }
        if f < 0.0 {
            self.add(field, IngestProblem::Negative);
            return Err(());
        }
        Ok(Some(f))
    }
}

/// Checks a batch as the API received it, on the server's clock `now`.
/// Every bad field is named (`samples[0].cpu_usage`,
/// `requests[3].latency_buckets_ms`), up to 50 of them.
pub fn parse_batch(body: &Value, now: DateTime<Utc>) -> Result<Batch, Vec<IngestFieldProblem>> {
    parse_batch_within(body, now, RETENTION)
}

/// [`parse_batch`] with the raw retention as stored (decision 0020): times
/// older than `now - retention` are refused (`too_old`).
pub fn parse_batch_within(
    body: &Value,
    now: DateTime<Utc>,
    retention: Duration,
) -> Result<Batch, Vec<IngestFieldProblem>> {
    let mut c = Checker {
        problems: Vec::new(),
        retention,
    };
    let Some(obj) = body.as_object() else {
        c.add("body", IngestProblem::NotAnObject);
        return Err(c.problems);
    };
    c.only(obj, &["environment", "source", "samples", "requests"], "");

    let environment = match obj.get("environment") {
        None | Some(Value::Null) => {
            c.add("environment", IngestProblem::Missing);
            None
        }
        // Only the exact keys: the core's aliases (`prod`) would make two
        // spellings of one series in the data a chart reads.
        Some(Value::String(s)) => match s.parse::<Environment>() {
            Ok(e) if e.key() == s => Some(e),
            _ => {
                c.add("environment", IngestProblem::UnknownEnvironment);
                None
            }
        },
        Some(_) => {
            c.add("environment", IngestProblem::NotAString);
            None
        }
    };

    let source = match obj.get("source") {
        None | Some(Value::Null) => {
            c.add("source", IngestProblem::Missing);
            None
        }
        Some(Value::String(s))
            if !s.is_empty()
                && s.len() <= SOURCE_MAX_CHARS
                && s.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Some(s.clone())
        }
        Some(Value::String(_)) => {
            c.add("source", IngestProblem::BadSource);
            None
        }
        Some(_) => {
            c.add("source", IngestProblem::NotAString);
            None
        }
    };

    let empty = Vec::new();
    let list = |c: &mut Checker, key: &str| -> Option<&Vec<Value>> {
        match obj.get(key) {
            None | Some(Value::Null) => Some(&empty),
            Some(Value::Array(a)) => Some(a),
            Some(_) => {
                c.add(key, IngestProblem::NotAnArray);
                None
            }
        }
    };

    let mut samples = Vec::new();
    let mut seen_at = HashSet::new();
    for (i, item) in list(&mut c, "samples").into_iter().flatten().enumerate() {
        let p = format!("samples[{i}]");
        let Some(o) = item.as_object() else {
            c.add(p, IngestProblem::NotAnObject);
            continue;
        };
        let mut known = vec!["at"];
        known.extend(SAMPLE_METRICS);
        c.only(o, &known, &format!("{p}."));
        let at = c.time(o.get("at"), &format!("{p}.at"), now);
        let cpu = c.measure(o.get("cpu_usage"), &format!("{p}.cpu_usage"), true);
        let mem = c.measure(o.get("memory_usage"), &format!("{p}.memory_usage"), true);
        let disk = c.measure(o.get("disk_usage"), &format!("{p}.disk_usage"), true);
        let net = c.measure(
            o.get("network_latency_ms"),
            &format!("{p}.network_latency_ms"),
            false,
        );
        let conns = match o.get("connections").filter(|v| !v.is_null()) {
            None => Ok(None),
            Some(v) => c.count_value(v, &format!("{p}.connections")).map(Some),
        };
        let Some(at) = at else { continue };
        if !seen_at.insert(at) {
            c.add(format!("{p}.at"), IngestProblem::Duplicate);
            continue;
        }
        if let (
            Ok(cpu_usage),
            Ok(memory_usage),
            Ok(disk_usage),
            Ok(network_latency_ms),
            Ok(connections),
        ) = (cpu, mem, disk, net, conns)
        {
            samples.push(Sample {
                at,
                cpu_usage,
                memory_usage,
                disk_usage,
                network_latency_ms,
                connections,
            });
        }
    }

    let mut requests = Vec::new();
    let mut seen_minute = HashSet::new();
    for (i, item) in list(&mut c, "requests").into_iter().flatten().enumerate() {
        let p = format!("requests[{i}]");
        let Some(o) = item.as_object() else {
            c.add(p, IngestProblem::NotAnObject);
            continue;
        };
        c.only(
            o,
            &[
                "minute",
                "class",
                "ok",
                "client_errors",
                "server_errors",
                "timeouts",
                "latency_buckets_ms",
                "latency_counts",
            ],
            &format!("{p}."),
        );
        let minute = c
            .time(o.get("minute"), &format!("{p}.minute"), now)
            .and_then(|m| {
                if m.duration_trunc(Duration::minutes(1)).ok() == Some(m) {
                    Some(m)
                } else {
                    c.add(format!("{p}.minute"), IngestProblem::NotAMinute);
                    None
                }
            });
        let class = match o.get("class") {
            None | Some(Value::Null) => {
                c.add(format!("{p}.class"), IngestProblem::Missing);
                None
            }
            Some(v) => {
                let class = v.as_str().and_then(RequestClass::parse);
                if class.is_none() {
                    c.add(format!("{p}.class"), IngestProblem::UnknownClass);
                }
                class
            }
        };
        let ok = c.count(o.get("ok"), &format!("{p}.ok"));
        let client_errors = c.count(o.get("client_errors"), &format!("{p}.client_errors"));
        let server_errors = c.count(o.get("server_errors"), &format!("{p}.server_errors"));
        let timeouts = c.count(o.get("timeouts"), &format!("{p}.timeouts"));
        let bounds_ok = match o.get("latency_buckets_ms") {
            None | Some(Value::Null) => {
                c.add(format!("{p}.latency_buckets_ms"), IngestProblem::Missing);
                false
            }
            Some(v) => {
                let same = v.as_array().is_some_and(|a| {
                    a.len() == LATENCY_BOUNDS_MS.len()
                        && a.iter()
                            .zip(LATENCY_BOUNDS_MS)
                            .all(|(x, b)| x.as_f64() == Some(b as f64))
                });
                if !same {
                    c.add(
                        format!("{p}.latency_buckets_ms"),
                        IngestProblem::WrongBuckets,
                    );
                }
                same
            }
        };
        let counts_field = format!("{p}.latency_counts");
        let counts: Option<[i64; LATENCY_BUCKETS]> = match o.get("latency_counts") {
            None | Some(Value::Null) => {
                c.add(&counts_field, IngestProblem::Missing);
                None
            }
            Some(Value::Array(a)) if a.len() == LATENCY_BUCKETS => {
                let mut out = [0i64; LATENCY_BUCKETS];
                let mut good = true;
                for (j, x) in a.iter().enumerate() {
                    match c.count_value(x, &format!("{counts_field}[{j}]")) {
                        Ok(n) => out[j] = n,
                        Err(()) => good = false,
                    }
                }
                good.then_some(out)
            }
            Some(Value::Array(_)) => {
                c.add(&counts_field, IngestProblem::WrongBucketCount);
                None
            }
            Some(_) => {
                c.add(&counts_field, IngestProblem::NotAnArray);
                None
            }
        };
        let (
            Some(minute),
            Some(class),
            Ok(ok),
            Ok(client_errors),
            Ok(server_errors),
            Ok(timeouts),
            true,
            Some(latency_counts),
        ) = (
            minute,
            class,
            ok,
            client_errors,
            server_errors,
            timeouts,
            bounds_ok,
            counts,
        )
        else {
            continue;
        };
        // Every request is in the histogram once, timeouts included (in the
        // bucket of their time-out): a p95 that left out the slowest
        // requests would flatter the service.
        let total = [ok, client_errors, server_errors, timeouts]
            .iter()
            .try_fold(0i64, |a, b| a.checked_add(*b));
        let histogram = latency_counts
            .iter()
            .try_fold(0i64, |a, b| a.checked_add(*b));
        if total.is_none() || total != histogram {
            c.add(counts_field, IngestProblem::CountsDisagree);
            continue;
        }
        if !seen_minute.insert((minute, class)) {
            c.add(format!("{p}.minute"), IngestProblem::Duplicate);
            continue;
        }
        requests.push(RequestMinute {
            minute,
            class,
            ok,
            client_errors,
            server_errors,
            timeouts,
            latency_counts,
        });
    }

    match (environment, source) {
        (Some(environment), Some(source)) if c.problems.is_empty() => Ok(Batch {
            environment,
            source,
            samples,
            requests,
        }),
        _ => Err(c.problems),
    }
}

/// A stored minute as read before it is replaced: minute, class, ok,
/// client errors, server errors, timeouts, latency counts.
type StoredMinute = (DateTime<Utc>, String, i64, i64, i64, i64, Vec<i64>);

/// The change one minute makes to its hour.
#[derive(Default)]
struct Delta {
    ok: i64,
    client_errors: i64,
    server_errors: i64,
    timeouts: i64,
    counts: [i64; LATENCY_BUCKETS],
}

/// Recomputes the hourly rollup (`metric_sample_hours`, decision 0020) of
/// the hours `samples` fall in from the stored samples, so a replaced
/// sample is replaced in its hour too. Reads at most the hours' samples.
async fn recompute_sample_hours(
    conn: &mut PgConnection,
    env: &str,
    source: &str,
    samples: &[Sample],
) -> Result<(), sqlx::Error> {
    let mut hours: Vec<DateTime<Utc>> = samples
        .iter()
        .map(|x| x.at.duration_trunc(Duration::hours(1)).unwrap_or(x.at))
        .collect();
    hours.sort();
    hours.dedup();
    sqlx::query(
        "INSERT INTO metric_sample_hours (environment, source, hour, samples, \
           cpu_n, cpu_sum, cpu_max, memory_n, memory_sum, memory_max, disk_n, disk_sum, disk_max, \
           latency_n, latency_sum, latency_max, connections_n, connections_sum, connections_max) \
         SELECT $1, $2, k.hour, count(*), \
           count(cpu_usage), coalesce(sum(cpu_usage), 0), max(cpu_usage), \
           count(memory_usage), coalesce(sum(memory_usage), 0), max(memory_usage), \
           count(disk_usage), coalesce(sum(disk_usage), 0), max(disk_usage), \
           count(network_latency_ms), coalesce(sum(network_latency_ms), 0), max(network_latency_ms), \
           count(connections), coalesce(sum(connections), 0), max(connections) \
         FROM UNNEST($3::timestamptz[]) AS k(hour) \
         JOIN metric_samples m ON m.environment = $1 AND m.source = $2 \
           AND m.at >= k.hour AND m.at < k.hour + interval '1 hour' \
         GROUP BY k.hour \
         ON CONFLICT (environment, hour, source) DO UPDATE SET \
           samples = EXCLUDED.samples, \
           cpu_n = EXCLUDED.cpu_n, cpu_sum = EXCLUDED.cpu_sum, cpu_max = EXCLUDED.cpu_max, \
           memory_n = EXCLUDED.memory_n, memory_sum = EXCLUDED.memory_sum, memory_max = EXCLUDED.memory_max, \
           disk_n = EXCLUDED.disk_n, disk_sum = EXCLUDED.disk_sum, disk_max = EXCLUDED.disk_max, \
           latency_n = EXCLUDED.latency_n, latency_sum = EXCLUDED.latency_sum, latency_max = EXCLUDED.latency_max, \
           connections_n = EXCLUDED.connections_n, connections_sum = EXCLUDED.connections_sum, \
           connections_max = EXCLUDED.connections_max",
    )
    .bind(env)
    .bind(source)
    .bind(&hours)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores a checked batch in the caller's transaction: samples and minutes
/// upserted (a re-sent key replaces), hours adjusted by the minutes' change.
/// Nothing is visible until the caller commits.
pub async fn ingest(conn: &mut PgConnection, batch: &Batch) -> Result<IngestOutcome, sqlx::Error> {
    let env = batch.environment.key();
    let source = batch.source.as_str();

    if batch.samples.is_empty() && batch.requests.is_empty() {
        return Ok(IngestOutcome {
            samples: 0,
            requests: 0,
        });
    }
    // Serialises batches of this (environment, source): between reading
    // the replaced minutes and adding the change to the hours, and between
    // writing samples and recomputing their hours, no other batch may
    // change them.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(format!("metrics:{env}:{source}"))
        .execute(&mut *conn)
        .await?;

    if !batch.samples.is_empty() {
        let s = &batch.samples;
        sqlx::query(
            "INSERT INTO metric_samples (environment, source, at, cpu_usage, memory_usage, \
             disk_usage, network_latency_ms, connections) \
             SELECT $1, $2, t.* FROM UNNEST($3::timestamptz[], $4::float8[], $5::float8[], \
             $6::float8[], $7::float8[], $8::int8[]) AS t \
             ON CONFLICT (environment, source, at) DO UPDATE SET \
             cpu_usage = EXCLUDED.cpu_usage, memory_usage = EXCLUDED.memory_usage, \
             disk_usage = EXCLUDED.disk_usage, network_latency_ms = EXCLUDED.network_latency_ms, \
             connections = EXCLUDED.connections",
        )
        .bind(env)
        .bind(source)
        .bind(s.iter().map(|x| x.at).collect::<Vec<_>>())
        .bind(s.iter().map(|x| x.cpu_usage).collect::<Vec<_>>())
        .bind(s.iter().map(|x| x.memory_usage).collect::<Vec<_>>())
        .bind(s.iter().map(|x| x.disk_usage).collect::<Vec<_>>())
        .bind(s.iter().map(|x| x.network_latency_ms).collect::<Vec<_>>())
        .bind(s.iter().map(|x| x.connections).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
        recompute_sample_hours(conn, env, source, s).await?;
    }

    if !batch.requests.is_empty() {
        let r = &batch.requests;
        let minutes: Vec<DateTime<Utc>> = r.iter().map(|x| x.minute).collect();
        let classes: Vec<&str> = r.iter().map(|x| x.class.as_str()).collect();
        let replaced: Vec<StoredMinute> = sqlx::query_as(
            "SELECT m.minute, m.class, m.ok, m.client_errors, m.server_errors, m.timeouts, \
             m.latency_counts FROM request_minutes m \
             JOIN UNNEST($3::timestamptz[], $4::text[]) AS k(minute, class) \
             ON m.minute = k.minute AND m.class = k.class \
             WHERE m.environment = $1 AND m.source = $2",
        )
        .bind(env)
        .bind(source)
        .bind(&minutes)
        .bind(&classes)
        .fetch_all(&mut *conn)
        .await?;

        let flat: Vec<i64> = r.iter().flat_map(|x| x.latency_counts).collect();
        sqlx::query(
            "INSERT INTO request_minutes (environment, source, minute, class, ok, client_errors, \
             server_errors, timeouts, latency_counts) \
             SELECT $1, $2, t.minute, t.class, t.ok, t.client_errors, t.server_errors, t.timeouts, \
             ($9::int8[])[((t.n - 1) * $10 + 1)::int : (t.n * $10)::int] \
             FROM UNNEST($3::timestamptz[], $4::text[], $5::int8[], $6::int8[], $7::int8[], \
             $8::int8[]) WITH ORDINALITY \
             AS t(minute, class, ok, client_errors, server_errors, timeouts, n) \
             ON CONFLICT (environment, minute, class, source) DO UPDATE SET \
             ok = EXCLUDED.ok, client_errors = EXCLUDED.client_errors, \
             server_errors = EXCLUDED.server_errors, timeouts = EXCLUDED.timeouts, \
             latency_counts = EXCLUDED.latency_counts",
        )
        .bind(env)
        .bind(source)
        .bind(&minutes)
        .bind(&classes)
        .bind(r.iter().map(|x| x.ok).collect::<Vec<_>>())
        .bind(r.iter().map(|x| x.client_errors).collect::<Vec<_>>())
        .bind(r.iter().map(|x| x.server_errors).collect::<Vec<_>>())
        .bind(r.iter().map(|x| x.timeouts).collect::<Vec<_>>())
        .bind(&flat)
        .bind(LATENCY_BUCKETS as i64)
        .execute(&mut *conn)
        .await?;

        // The hours' change: each new minute added, each replaced one taken away.
        let mut deltas: BTreeMap<(DateTime<Utc>, &str), Delta> = BTreeMap::new();
        let hour_of = |m: DateTime<Utc>| m.duration_trunc(Duration::hours(1)).unwrap_or(m);
        for x in r {
            let d = deltas
                .entry((hour_of(x.minute), x.class.as_str()))
                .or_default();
            d.ok += x.ok;
            d.client_errors += x.client_errors;
            d.server_errors += x.server_errors;
            d.timeouts += x.timeouts;
            for (a, b) in d.counts.iter_mut().zip(x.latency_counts) {
                *a += b;
            }
        }
        for (minute, class, ok, ce, se, to, counts) in &replaced {
            let Some(class) = RequestClass::parse(class) else {
                continue;
            };
            let d = deltas
                .entry((hour_of(*minute), class.as_str()))
                .or_default();
            d.ok -= ok;
            d.client_errors -= ce;
            d.server_errors -= se;
            d.timeouts -= to;
            for (a, b) in d.counts.iter_mut().zip(counts) {
                *a -= b;
            }
        }
        let hours: Vec<DateTime<Utc>> = deltas.keys().map(|k| k.0).collect();
        let hour_classes: Vec<&str> = deltas.keys().map(|k| k.1).collect();
        let d: Vec<&Delta> = deltas.values().collect();
        sqlx::query(
            "INSERT INTO request_hours (environment, source, hour, class, ok, client_errors, \
             server_errors, timeouts, latency_counts) \
             SELECT $1, $2, t.hour, t.class, t.ok, t.client_errors, t.server_errors, t.timeouts, \
             ($9::int8[])[((t.n - 1) * $10 + 1)::int : (t.n * $10)::int] \
             FROM UNNEST($3::timestamptz[], $4::text[], $5::int8[], $6::int8[], $7::int8[], \
             $8::int8[]) WITH ORDINALITY \
             AS t(hour, class, ok, client_errors, server_errors, timeouts, n) \
             ON CONFLICT (environment, hour, class, source) DO UPDATE SET \
             ok = request_hours.ok + EXCLUDED.ok, \
             client_errors = request_hours.client_errors + EXCLUDED.client_errors, \
             server_errors = request_hours.server_errors + EXCLUDED.server_errors, \
             timeouts = request_hours.timeouts + EXCLUDED.timeouts, \
             latency_counts = ARRAY(SELECT a + b FROM UNNEST(request_hours.latency_counts, \
             EXCLUDED.latency_counts) WITH ORDINALITY AS u(a, b, i) ORDER BY i)",
        )
        .bind(env)
        .bind(source)
        .bind(&hours)
        .bind(&hour_classes)
        .bind(d.iter().map(|x| x.ok).collect::<Vec<_>>())
        .bind(d.iter().map(|x| x.client_errors).collect::<Vec<_>>())
        .bind(d.iter().map(|x| x.server_errors).collect::<Vec<_>>())
        .bind(d.iter().map(|x| x.timeouts).collect::<Vec<_>>())
        .bind(d.iter().flat_map(|x| x.counts).collect::<Vec<_>>())
        .bind(LATENCY_BUCKETS as i64)
        .execute(&mut *conn)
        .await?;
    }

    Ok(IngestOutcome {
        samples: batch.samples.len(),
        requests: batch.requests.len(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        "2026-11-29T10:02:00Z".parse().unwrap()
    }

    fn good() -> Value {
        json!({
            "environment": "production",
            "source": "web-1",
            "samples": [{"at": "2026-11-29T10:00:00Z", "cpu_usage": 41.5, "memory_usage": 62,
                         "disk_usage": 55, "network_latency_ms": 12, "connections": 340}],
            "requests": [{"minute": "2026-11-29T10:00:00Z", "class": "api", "ok": 1200,
                          "client_errors": 10, "server_errors": 1, "timeouts": 0,
                          "latency_buckets_ms": LATENCY_BOUNDS_MS,
                          "latency_counts": [100, 300, 500, 200, 60, 30, 15, 5, 1, 0]}]
        })
    }

    fn fields(v: Value) -> Vec<(String, IngestProblem)> {
        parse_batch(&v, now())
            .unwrap_err()
            .into_iter()
            .map(|p| (p.field, p.problem))
            .collect()
    }

    #[test]
    fn a_good_batch_parses_r_mon_2() {
        let b = parse_batch(&good(), now()).unwrap();
        assert_eq!(b.environment, Environment::Production);
        assert_eq!(b.samples[0].connections, Some(340));
        assert_eq!(b.requests[0].latency_counts[9], 0);
    }

    #[test]
    fn each_bad_field_is_named_r_mon_2() {
        let mut v = good();
        v["samples"][0]["cpu_usge"] = json!(3);
        v["samples"][0]["disk_usage"] = json!(101);
        v["requests"][0]["latency_buckets_ms"] = json!([50, 100]);
        v["requests"][0]["class"] = json!("rpc");
        assert_eq!(
            fields(v),
            vec![
                ("samples[0].cpu_usge".into(), IngestProblem::UnknownField),
                (
                    "samples[0].disk_usage".into(),
                    IngestProblem::NotAPercentage
                ),
                ("requests[0].class".into(), IngestProblem::UnknownClass),
                (
                    "requests[0].latency_buckets_ms".into(),
                    IngestProblem::WrongBuckets
                ),
            ]
        );
    }

    #[test]
    fn histogram_must_count_every_request_r_mon_2() {
        let mut v = good();
        v["requests"][0]["timeouts"] = json!(1);
        assert_eq!(
            fields(v),
            vec![(
                "requests[0].latency_counts".into(),
                IngestProblem::CountsDisagree
            )]
        );
    }

    #[test]
    fn times_outside_the_window_and_unaligned_minutes_r_mon_2() {
        let mut v = good();
        v["samples"][0]["at"] = json!("2026-11-29T10:07:01Z");
        v["requests"][0]["minute"] = json!("2026-11-29T10:00:30Z");
        let mut old = good();
        old["samples"][0]["at"] = json!("2026-08-30T10:00:00Z");
        assert_eq!(
            fields(v),
            vec![
                ("samples[0].at".into(), IngestProblem::InTheFuture),
                ("requests[0].minute".into(), IngestProblem::NotAMinute),
            ]
        );
        assert_eq!(
            fields(old),
            vec![("samples[0].at".into(), IngestProblem::TooOld)]
        );
    }

    #[test]
    fn repeated_keys_in_one_batch_are_refused_r_mon_2() {
        let mut v = good();
        let s = v["samples"][0].clone();
        v["samples"] = json!([s.clone(), s]);
        assert_eq!(
            fields(v),
            vec![("samples[1].at".into(), IngestProblem::Duplicate)]
        );
    }

    #[test]
    fn environment_must_be_an_exact_key_r_mon_2() {
        let mut v = good();
        v["environment"] = json!("prod");
        assert_eq!(
            fields(v),
            vec![("environment".into(), IngestProblem::UnknownEnvironment)]
        );
    }
}
