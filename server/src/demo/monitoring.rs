//! Demo monitoring history (issue 10 item 9): 13 months of what the prober
//! and the monitored service would have recorded for Development, Staging
//! and Production, so the SLA page, the metrics view and the overview show
//! something true from the first start.
//!
//! - **Probes**: a public probe target per environment (`managed_by =
//!   'demo'`; the prober points it at the live colour's demo service at
//!   start) and its per-minute rollup `probe_minutes` for 13 months (six
//!   probes a minute), bulk-inserted with `generate_series` — ~570 000 rows
//!   an environment; the SLA's hourly summary follows by its trigger.
//! - **Outages**: Production goes down for 25 minutes (a bad release, ~200
//!   days back), for 40 minutes inside the monthly planned maintenance
//!   window ~4 months back (excluded from the SLA automatically: the past
//!   windows are recorded, their tasks ticked), for 35 minutes ~75 days back
//!   — a data-centre power failure the demo operator classifies as force
//!   majeure (`sla_exclusions`, audited) — and for 7 minutes 5 days back;
//!   Staging for 12 minutes 3 days back, Development for 90 minutes a month
//!   back. During an outage the requests of that time time out.
//! - **Requests** (two sources, three classes): `request_hours` for 13
//!   months and `request_minutes` for the last 2 days (whose hours are
//!   summed from them, as the ingest keeps them).
//! - **System samples**: `metric_sample_hours` for 13 months (disk use
//!   creeping from 55 % towards its 80 % limit) and `metric_samples` per
//!   minute for the last 2 days.
//!
//! Deterministic (a hash of the series and the time, no random generator),
//! anchored on the first seeding: the outages keep their times, and seeding
//! again adds only the minutes and hours since then (`ON CONFLICT DO
//! NOTHING`), never a second copy.

use chrono::{DateTime, Datelike, Duration, DurationRound, Months, Timelike, Utc};
use chrono_tz::Tz;
use opsdeck::deploy_gate::Environment;
use opsdeck_app::model::metrics::{RequestClass, LATENCY_BUCKETS};
use opsdeck_app::model::sla::ExclusionKind;
use opsdeck_app::store::audit::Actor;
use sqlx::{PgConnection, PgPool};

/// How far back the history reaches.
pub const HISTORY_MONTHS: u32 = 13;
/// The span with per-minute requests and samples (the 1 h and 24 h charts).
pub const RECENT_DAYS: i64 = 2;
const SOURCES: [&str; 2] = ["web-1", "web-2"];
/// The placeholder a new demo public target starts with, until the prober
/// points it at the live colour.
const PLACEHOLDER_URL: &str = "http://127.0.0.1:9/health";
const FORCE_MAJEURE_NOTE: &str =
    "Power failure at the data centre (utility outage, generator transfer failed); \
     the provider's incident report is filed with the contract. Force majeure under the SLA.";

/// The demo's environments with their traffic (Production = 1).
const ENVIRONMENTS: [(Environment, f64); 3] = [
    (Environment::Development, 0.05),
    (Environment::Staging, 0.2),
    (Environment::Production, 1.0),
];

/// Requests a minute at Production's busiest hour, and the latency
/// histogram's shape (share of answered requests per bucket of
/// `LATENCY_BOUNDS_MS`, +Inf last) with its largest bucket.
fn class_shape(c: RequestClass) -> (f64, [f64; LATENCY_BUCKETS], usize) {
    match c {
        // p95 ≈ 185 ms (target 200 ms).
        RequestClass::Api => (
            1200.0,
            [0.12, 0.38, 0.34, 0.13, 0.02, 0.008, 0.002, 0.0, 0.0, 0.0],
            1,
        ),
        // p95 ≈ 1 s (target 2 s).
        RequestClass::Page => (
            300.0,
            [0.0, 0.02, 0.08, 0.20, 0.25, 0.25, 0.15, 0.04, 0.01, 0.0],
            4,
        ),
        // p95 ≈ 480 ms (target 500 ms).
        RequestClass::Search => (
            80.0,
            [0.03, 0.09, 0.26, 0.35, 0.14, 0.09, 0.03, 0.01, 0.0, 0.0],
            3,
        ),
    }
}

/// A number in `[0, 1)` from a key (splitmix64): the same series and time
/// always get the same value.
fn noise(key: u64) -> f64 {
    let mut z = key.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn key(parts: &[u64]) -> u64 {
    parts.iter().fold(0xcbf2_9ce4_8422_2325, |h, p| {
        (h ^ p).wrapping_mul(0x100_0000_01b3)
    })
}

fn text_key(s: &str) -> u64 {
    key(&s.bytes().map(u64::from).collect::<Vec<_>>())
}

/// Traffic over the local day: busiest at 21:00, quietest at 09:00.
fn daily(at: DateTime<Utc>, tz: Tz) -> f64 {
    let local = at.with_timezone(&tz);
    let h = f64::from(local.hour()) + f64::from(local.minute()) / 60.0;
    0.6 + 0.4 * ((h - 21.0) / 24.0 * std::f64::consts::TAU).cos()
}

/// One environment's series: its zone, traffic and where its history starts.
#[derive(Debug, Clone, Copy)]
struct Series {
    tz: Tz,
    env: Environment,
    /// Traffic relative to Production.
    scale: f64,
    /// The first hour of the history (disk use grows from there).
    start: DateTime<Utc>,
}

/// One outage: environment, start, end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outage {
    pub environment: Environment,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Recorded as force majeure by the demo operator.
    pub force_majeure: bool,
}

fn minute(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::minutes(1)).unwrap_or(t)
}

fn day(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::days(1)).unwrap_or(t)
}

/// The outages of the history that ends at `anchor`, one of them inside
/// the planned window `maintenance` (start, end) when there is one.
pub fn outages(
    anchor: DateTime<Utc>,
    maintenance: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Vec<Outage> {
    let at = |env, days: i64, hm: (i64, i64), minutes: i64, fm: bool| {
        let start =
            minute(day(anchor) - Duration::days(days) + Duration::minutes(hm.0 * 60 + hm.1));
        Outage {
            environment: env,
            start,
            end: start + Duration::minutes(minutes),
            force_majeure: fm,
        }
    };
    let mut v = vec![
        at(Environment::Production, 200, (5, 13), 25, false),
        at(Environment::Production, 75, (3, 41), 35, true),
        at(Environment::Production, 5, (9, 2), 7, false),
        at(Environment::Staging, 3, (2, 30), 12, false),
        at(Environment::Development, 30, (1, 0), 90, false),
    ];
    if let Some((start, end)) = maintenance {
        let s = minute(start + Duration::minutes(20));
        v.push(Outage {
            environment: Environment::Production,
            start: s,
            end: (s + Duration::minutes(40)).min(end),
            force_majeure: false,
        });
    }
    v.sort_by_key(|o| o.start);
    v
}

/// Minutes of `[from, to)` inside the outages of `env`.
fn down_minutes(
    outages: &[Outage],
    env: Environment,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> i64 {
    outages
        .iter()
        .filter(|o| o.environment == env)
        .map(|o| (o.end.min(to) - o.start.max(from)).num_minutes().max(0))
        .sum()
}

/// The display zone, as the server reads it (default Asia/Tokyo).
fn zone() -> Tz {
    std::env::var("OPSDECK_TIME_ZONE")
        .ok()
        .and_then(|z| z.trim().parse().ok())
        .unwrap_or(chrono_tz::Asia::Tokyo)
}

/// Inserts what is missing.
pub async fn seed(pool: &PgPool) -> Result<(), sqlx::Error> {
    seed_at(pool, zone(), Utc::now()).await
}

/// The public probe target of `env`: the existing one, or a new demo one.
async fn public_target(conn: &mut PgConnection, env: Environment) -> Result<i64, sqlx::Error> {
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM probe_targets WHERE environment = $1 AND colour IS NULL",
    )
    .bind(env.key())
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO probe_targets (environment, url, managed_by) VALUES ($1, $2, 'demo') RETURNING id",
    )
    .bind(env.key())
    .bind(PLACEHOLDER_URL)
    .fetch_one(&mut *conn)
    .await?;
    opsdeck_app::store::audit::append(
        conn,
        &Actor::system(),
        "probe_target.create",
        &format!("probe_target:{}:public", env.key()),
        None,
        Some(serde_json::json!({"environment": env.key(), "colour": null,
            "url": PLACEHOLDER_URL, "managed_by": "demo"})),
    )
    .await?;
    Ok(id)
}

/// The monthly maintenance windows of the history (the scheduler keeps
/// them from a month back on), with their tasks done and their
/// announcement sent, as they would have been. Returns the window nearest
/// to 120 days before `anchor`.
async fn past_windows(
    conn: &mut PgConnection,
    tz: Tz,
    from: DateTime<Utc>,
    anchor: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, sqlx::Error> {
    use opsdeck::maintenance_window as mw;
    let s = opsdeck_app::store::maintenance_windows::settings(&mut *conn, tz).await?;
    let windows = mw::windows_between(&s.policy, from, now);
    for w in &windows {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO maintenance_windows (kind, local_date, starts_at, ends_at, quarterly, created_at) \
             VALUES ('monthly', $1, $2, $3, $4, $2 - interval '60 days') \
             ON CONFLICT (local_date) WHERE kind = 'monthly' DO NOTHING RETURNING id",
        )
        .bind(w.local_date)
        .bind(w.interval.start)
        .bind(w.interval.end)
        .bind(w.quarterly)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(id) = id else { continue };
        for (i, t) in mw::tasks_for(w).iter().enumerate() {
            let done = w.interval.end <= now;
            sqlx::query(
                "INSERT INTO maintenance_window_tasks (window_id, key, label_ja, label_en, done_by, done_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(&t.key)
            .bind(&t.label_ja)
            .bind(&t.label_en)
            .bind(done.then_some("operator"))
            .bind(done.then(|| w.interval.start + Duration::minutes(10 * (i as i64 + 1))))
            .execute(&mut *conn)
            .await?;
        }
        if w.interval.start <= now {
            sqlx::query(
                "INSERT INTO maintenance_announcements (window_id, revision, what, announced_at) \
                 VALUES ($1, 1, 'announced', $2) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(w.interval.start - Duration::days(i64::from(s.policy.announce_days_before)))
            .execute(&mut *conn)
            .await?;
        }
    }
    let aim = anchor - Duration::days(120);
    Ok(windows
        .iter()
        .min_by_key(|w| (w.interval.start - aim).num_minutes().abs())
        .map(|w| (w.interval.start, w.interval.end)))
}

/// `seed` on a given clock and zone.
pub async fn seed_at(pool: &PgPool, tz: Tz, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let now = minute(now);
    let mut tx = pool.begin().await?;
    let mut targets = Vec::new();
    for (env, _) in ENVIRONMENTS {
        targets.push((env, public_target(&mut tx, env).await?));
    }
    // The anchor is the first seeding: where Production's history begins
    // plus 13 months; a first seeding starts it now.
    let production = targets
        .iter()
        .find(|(e, _)| *e == Environment::Production)
        .map(|t| t.1)
        .unwrap_or_default();
    let first: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT min(minute) FROM probe_minutes WHERE target_id = $1")
            .bind(production)
            .fetch_one(&mut *tx)
            .await?;
    let start = day(now
        .checked_sub_months(Months::new(HISTORY_MONTHS))
        .unwrap_or(now));
    let start = first.map_or(start, |f| f.min(start));
    let anchor = start
        .checked_add_months(Months::new(HISTORY_MONTHS))
        .unwrap_or(now)
        .min(now);
    let window = past_windows(&mut tx, tz, start, anchor, now).await?;
    let outages = outages(anchor, window);
    tx.commit().await?;

    let started = std::time::Instant::now();
    let recent = day(now) - Duration::days(RECENT_DAYS);
    // Each environment on its own connection: the bulk inserts are the
    // database's work, which then runs on every core.
    let mut tasks = tokio::task::JoinSet::new();
    for (env, target) in targets {
        let (pool, outages) = (pool.clone(), outages.clone());
        let scale = ENVIRONMENTS
            .iter()
            .find(|(e, _)| *e == env)
            .map_or(1.0, |e| e.1);
        tasks.spawn(async move {
            seed_probes(&pool, env, target, start, now, &outages).await?;
            let s = Series {
                tz,
                env,
                scale,
                start,
            };
            seed_request_hours(&pool, s, recent, &outages).await?;
            seed_sample_hours(&pool, s, recent, &outages).await?;
            seed_recent(&pool, s, recent, now, &outages).await
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| sqlx::Error::Protocol(format!("demo monitoring task: {e}")))??;
    }
    classify_force_majeure(pool, tz, &outages, now).await?;
    tracing::info!(
        took_ms = started.elapsed().as_millis() as u64,
        "demo monitoring history seeded"
    );
    Ok(())
}

/// Six probes a minute; an outage minute has none answered (each timed out
/// after 5 s); about one minute in 5 000 has one failed probe (not down by
/// the SLA's rule). Only minutes after the target's newest are added.
async fn seed_probes(
    pool: &PgPool,
    env: Environment,
    target: i64,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    outages: &[Outage],
) -> Result<(), sqlx::Error> {
    let (first, last): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT min(minute), max(minute) FROM probe_minutes WHERE target_id = $1")
            .bind(target)
            .fetch_one(pool)
            .await?;
    // What is missing: before the first stored minute (a prober that ran
    // before the first seeding) and after the last.
    let spans = match (first, last) {
        (Some(f), Some(l)) => vec![(start, f), (l + Duration::minutes(1), now)],
        _ => vec![(start, now)],
    };
    let mine: Vec<&Outage> = outages.iter().filter(|o| o.environment == env).collect();
    let starts: Vec<DateTime<Utc>> = mine.iter().map(|o| o.start).collect();
    let ends: Vec<DateTime<Utc>> = mine.iter().map(|o| o.end).collect();
    for (from, to) in spans {
        insert_probe_minutes(pool, target, from, to, &starts, &ends).await?;
    }
    Ok(())
}

async fn insert_probe_minutes(
    pool: &PgPool,
    target: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    starts: &[DateTime<Utc>],
    ends: &[DateTime<Utc>],
) -> Result<(), sqlx::Error> {
    // A month a statement keeps each transaction (and its trigger's
    // transition table) moderate.
    let mut lo = from;
    while lo < to {
        let hi = lo.checked_add_months(Months::new(1)).unwrap_or(to).min(to);
        sqlx::query(
            "INSERT INTO probe_minutes (target_id, minute, probes, ok, latency_sum_ms, latency_max_ms) \
             SELECT $1, x.m, 6, \
                    CASE WHEN x.down THEN 0 WHEN x.h % 5000 = 0 THEN 5 ELSE 6 END, \
                    CASE WHEN x.down THEN 30000 ELSE 6 * (18 + x.h % 35) END, \
                    CASE WHEN x.down THEN 5000 ELSE 30 + x.h % 60 END \
             FROM (SELECT m, abs(hashint8(extract(epoch FROM m)::int8 * 31 + $1)) AS h, \
                          EXISTS (SELECT 1 FROM unnest($4::timestamptz[], $5::timestamptz[]) o(s, e) \
                                  WHERE m >= o.s AND m < o.e) AS down \
                   FROM generate_series($2::timestamptz, $3::timestamptz - interval '1 minute', \
                                        interval '1 minute') m) x \
             ON CONFLICT (target_id, minute) DO NOTHING",
        )
        .bind(target)
        .bind(lo)
        .bind(hi)
        .bind(starts)
        .bind(ends)
        .execute(pool)
        .await?;
        lo = hi;
    }
    Ok(())
}

/// Requests of one class from one source over `minutes` minutes at `at`.
struct Requests {
    ok: i64,
    client_errors: i64,
    server_errors: i64,
    timeouts: i64,
    counts: [i64; LATENCY_BUCKETS],
}

fn requests(
    s: Series,
    source: &str,
    class: RequestClass,
    at: DateTime<Utc>,
    minutes: i64,
    down: i64,
) -> Requests {
    let (rate, shape, usual) = class_shape(class);
    let k = key(&[
        text_key(s.env.key()),
        text_key(source),
        text_key(class.as_str()),
        at.timestamp() as u64,
    ]);
    let r = noise(k);
    let total = (rate * s.scale * minutes as f64 * daily(at, s.tz) * (0.9 + 0.2 * r)
        / SOURCES.len() as f64)
        .round() as i64;
    // Requests that arrived while the service was down timed out.
    let lost = (total as f64 * down as f64 / minutes.max(1) as f64).round() as i64;
    let answered = (total - lost).max(0);
    let server_errors = (answered as f64 * 0.0003 * (0.5 + noise(k ^ 1))).round() as i64;
    let client_errors = (answered as f64 * 0.015 * (0.8 + 0.4 * noise(k ^ 2))).round() as i64;
    let slow = i64::from(noise(k ^ 3) < 0.02 * minutes as f64 / 60.0);
    let timeouts = lost + slow;
    let ok = (answered - server_errors - client_errors).max(0);
    let answered = ok + client_errors + server_errors;
    let mut counts = [0i64; LATENCY_BUCKETS];
    for (i, f) in shape.iter().enumerate() {
        if i != usual {
            counts[i] = (answered as f64 * f).floor() as i64;
        }
    }
    counts[usual] = answered - counts.iter().sum::<i64>();
    counts[LATENCY_BUCKETS - 1] += timeouts;
    Requests {
        ok,
        client_errors,
        server_errors,
        timeouts,
        counts,
    }
}

/// Rows of a request table, column by column, for `UNNEST`.
#[derive(Default)]
struct RequestRows {
    source: Vec<&'static str>,
    at: Vec<DateTime<Utc>>,
    class: Vec<&'static str>,
    ok: Vec<i64>,
    client_errors: Vec<i64>,
    server_errors: Vec<i64>,
    timeouts: Vec<i64>,
    counts: Vec<i64>,
}

impl RequestRows {
    fn push(&mut self, source: &'static str, at: DateTime<Utc>, class: RequestClass, r: &Requests) {
        self.source.push(source);
        self.at.push(at);
        self.class.push(class.as_str());
        self.ok.push(r.ok);
        self.client_errors.push(r.client_errors);
        self.server_errors.push(r.server_errors);
        self.timeouts.push(r.timeouts);
        self.counts.extend(r.counts);
    }

    fn len(&self) -> usize {
        self.at.len()
    }

    async fn insert(
        &mut self,
        pool: &PgPool,
        table: &str,
        column: &str,
        env: Environment,
    ) -> Result<(), sqlx::Error> {
        if self.at.is_empty() {
            return Ok(());
        }
        // Table and column names are this module's constants.
        sqlx::query(&format!(
            "INSERT INTO {table} (environment, source, {column}, class, ok, client_errors, \
             server_errors, timeouts, latency_counts) \
             SELECT $1, t.source, t.at, t.class, t.ok, t.ce, t.se, t.tout, \
                    ($9::int8[])[((t.n - 1) * $10 + 1)::int : (t.n * $10)::int] \
             FROM UNNEST($2::text[], $3::timestamptz[], $4::text[], $5::int8[], $6::int8[], \
                         $7::int8[], $8::int8[]) WITH ORDINALITY \
                  AS t(source, at, class, ok, ce, se, tout, n) \
             ON CONFLICT DO NOTHING"
        ))
        .bind(env.key())
        .bind(&self.source)
        .bind(&self.at)
        .bind(&self.class)
        .bind(&self.ok)
        .bind(&self.client_errors)
        .bind(&self.server_errors)
        .bind(&self.timeouts)
        .bind(&self.counts)
        .bind(LATENCY_BUCKETS as i64)
        .execute(pool)
        .await?;
        *self = RequestRows::default();
        Ok(())
    }
}

const CHUNK: usize = 6_000;

/// The parts of `[from, to)` an environment's `table` has no rows in yet:
/// before its first and after its last (steps of `step`). Seeding again
/// then generates only what is missing instead of everything again.
async fn missing(
    pool: &PgPool,
    table: &str,
    column: &str,
    env: Environment,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    step: Duration,
) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>)>, sqlx::Error> {
    // Table and column names are this module's constants.
    let (first, last): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = sqlx::query_as(&format!(
        "SELECT min({column}), max({column}) FROM {table} \
         WHERE environment = $1 AND {column} >= $2 AND {column} < $3"
    ))
    .bind(env.key())
    .bind(from)
    .bind(to)
    .fetch_one(pool)
    .await?;
    Ok(match (first, last) {
        (Some(f), Some(l)) => [(from, f), (l + step, to)]
            .into_iter()
            .filter(|(a, b)| a < b)
            .collect(),
        _ => vec![(from, to)],
    })
}

/// `request_hours` of `[from, to)` from the model (the hours before the
/// per-minute span).
async fn seed_request_hours(
    pool: &PgPool,
    s: Series,
    to: DateTime<Utc>,
    outages: &[Outage],
) -> Result<(), sqlx::Error> {
    let mut rows = RequestRows::default();
    let step = Duration::hours(1);
    for (from, to) in missing(pool, "request_hours", "hour", s.env, s.start, to, step).await? {
        let mut hour = from;
        while hour < to {
            let down = down_minutes(outages, s.env, hour, hour + step);
            for source in SOURCES {
                for class in RequestClass::ALL {
                    let r = requests(s, source, class, hour, 60, down);
                    rows.push(source, hour, class, &r);
                }
            }
            if rows.len() >= CHUNK {
                rows.insert(pool, "request_hours", "hour", s.env).await?;
            }
            hour += step;
        }
    }
    rows.insert(pool, "request_hours", "hour", s.env).await
}

/// A system sample's values at `at` (cpu, memory, disk, latency, connections).
fn sample(s: Series, source: &str, at: DateTime<Utc>, down: bool) -> [f64; 5] {
    let (tz, scale) = (s.tz, s.scale);
    let k = key(&[
        text_key(s.env.key()),
        text_key(source),
        at.timestamp() as u64,
    ]);
    let d = daily(at, tz);
    let cpu = (12.0 + 45.0 * d * scale.sqrt() + 10.0 * noise(k)).min(100.0);
    // Memory climbs through each week and drops at the Sunday restart.
    let week = f64::from(at.with_timezone(&tz).weekday().num_days_from_monday()) / 7.0;
    let memory = 48.0 + 14.0 * week + 4.0 * noise(k ^ 1);
    // Disk creeps up over the months (logs, uploads) towards its limit.
    let months = (at - s.start).num_hours() as f64 / (24.0 * 30.0);
    let disk = (55.0 + 1.25 * months + 0.5 * noise(k ^ 2)).min(99.0);
    let latency = if down {
        180.0
    } else {
        8.0 + 18.0 * d + 6.0 * noise(k ^ 3)
    };
    let connections = (800.0 * scale * d * (0.85 + 0.3 * noise(k ^ 4))).round();
    [cpu, memory, disk, latency, connections]
}

/// Hourly system sample rows, column by column, for `UNNEST`: a sample a
/// minute, so 60 samples per metric with the given average and peak.
#[derive(Default)]
struct SampleHourRows {
    source: Vec<&'static str>,
    hour: Vec<DateTime<Utc>>,
    avg: [Vec<f64>; 5],
    max: [Vec<f64>; 5],
}

impl SampleHourRows {
    async fn insert(&mut self, pool: &PgPool, env: Environment) -> Result<(), sqlx::Error> {
        if self.hour.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(self);
        let mut q = sqlx::query(
            "INSERT INTO metric_sample_hours (environment, source, hour, samples, \
               cpu_n, cpu_sum, cpu_max, memory_n, memory_sum, memory_max, disk_n, disk_sum, disk_max, \
               latency_n, latency_sum, latency_max, connections_n, connections_sum, connections_max) \
             SELECT $1, t.source, t.hour, 60, 60, 60 * t.c, t.cm, 60, 60 * t.m, t.mm, 60, 60 * t.d, t.dm, \
                    60, 60 * t.l, t.lm, 60, 60 * t.n, t.nm::int8 \
             FROM UNNEST($2::text[], $3::timestamptz[], $4::float8[], $5::float8[], $6::float8[], \
                         $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::float8[], \
                         $12::float8[], $13::float8[]) \
                  AS t(source, hour, c, cm, m, mm, d, dm, l, lm, n, nm) \
             ON CONFLICT DO NOTHING",
        )
        .bind(env.key())
        .bind(rows.source)
        .bind(rows.hour);
        for (avg, max) in rows.avg.into_iter().zip(rows.max) {
            q = q.bind(avg).bind(max);
        }
        q.execute(pool).await?;
        Ok(())
    }
}

/// `metric_sample_hours` of `[from, to)` from the model: a sample a minute,
/// summed as the ingest sums them.
async fn seed_sample_hours(
    pool: &PgPool,
    s: Series,
    to: DateTime<Utc>,
    outages: &[Outage],
) -> Result<(), sqlx::Error> {
    let env = s.env;
    let mut rows = SampleHourRows::default();
    let step = Duration::hours(1);
    for (from, to) in missing(pool, "metric_sample_hours", "hour", env, s.start, to, step).await? {
        let mut hour = from;
        while hour < to {
            let down = down_minutes(outages, env, hour, hour + step) > 0;
            for source in SOURCES {
                let v = sample(s, source, hour, down);
                let k = key(&[text_key(source), hour.timestamp() as u64, 7]);
                rows.source.push(source);
                rows.hour.push(hour);
                for (i, value) in v.iter().enumerate() {
                    rows.avg[i].push(*value);
                    // The hour's peak above its average: CPU and latency
                    // spike, memory and connections less, disk hardly.
                    let spread = [0.35, 0.04, 0.003, 0.9, 0.2][i];
                    let peak = value * (1.0 + spread * (0.3 + 0.7 * noise(k ^ i as u64)));
                    rows.max[i].push(if i < 3 { peak.min(100.0) } else { peak.round() });
                }
            }
            if rows.hour.len() >= CHUNK {
                rows.insert(pool, env).await?;
            }
            hour += step;
        }
    }
    rows.insert(pool, env).await?;
    Ok(())
}

/// The last days per minute: `request_minutes` and `metric_samples`, and
/// their hours summed from them (as the ingest keeps them), so the 1 h and
/// 24 h charts and the 7 d / 30 d ones agree.
async fn seed_recent(
    pool: &PgPool,
    s: Series,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
    outages: &[Outage],
) -> Result<(), sqlx::Error> {
    let env = s.env;
    let mut rows = RequestRows::default();
    let mut samples: (Vec<&str>, Vec<DateTime<Utc>>, [Vec<f64>; 5]) = Default::default();
    let step = Duration::minutes(1);
    for (from, to) in missing(pool, "request_minutes", "minute", env, from, now, step).await? {
        let mut m = from;
        while m < to {
            let down = down_minutes(outages, env, m, m + Duration::minutes(1));
            for source in SOURCES {
                for class in RequestClass::ALL {
                    let r = requests(s, source, class, m, 1, down);
                    rows.push(source, m, class, &r);
                }
                let v = sample(s, source, m, down > 0);
                samples.0.push(source);
                samples.1.push(m);
                for (i, x) in v.iter().enumerate() {
                    samples.2[i].push(*x);
                }
            }
            if rows.len() >= CHUNK {
                rows.insert(pool, "request_minutes", "minute", env).await?;
            }
            m += step;
        }
    }
    rows.insert(pool, "request_minutes", "minute", env).await?;
    let [cpu, memory, disk, latency, connections] = samples.2;
    sqlx::query(
        "INSERT INTO metric_samples (environment, source, at, cpu_usage, memory_usage, disk_usage, \
           network_latency_ms, connections) \
         SELECT $1, t.* FROM UNNEST($2::text[], $3::timestamptz[], $4::float8[], $5::float8[], \
           $6::float8[], $7::float8[], $8::int8[]) AS t(source, at, c, m, d, l, n) \
         ON CONFLICT DO NOTHING",
    )
    .bind(env.key())
    .bind(samples.0)
    .bind(samples.1)
    .bind(cpu)
    .bind(memory)
    .bind(disk)
    .bind(latency)
    .bind(connections.iter().map(|c| c.round() as i64).collect::<Vec<i64>>())
    .execute(pool)
    .await?;
    // The hours of the span, recomputed from its minutes and samples (exact
    // after a later seeding added minutes to an hour).
    let merged: Vec<String> = (1..=LATENCY_BUCKETS)
        .map(|i| format!("sum(latency_counts[{i}])"))
        .collect();
    sqlx::query(&format!(
        "INSERT INTO request_hours (environment, source, hour, class, ok, client_errors, \
           server_errors, timeouts, latency_counts) \
         SELECT environment, source, date_bin('1 hour', minute, TIMESTAMPTZ '2000-01-01 00:00:00+00'), \
                class, sum(ok), sum(client_errors), sum(server_errors), sum(timeouts), ARRAY[{}]::int8[] \
         FROM request_minutes WHERE environment = $1 AND minute >= $2 GROUP BY 1, 2, 3, 4 \
         ON CONFLICT (environment, hour, class, source) DO UPDATE SET ok = EXCLUDED.ok, \
           client_errors = EXCLUDED.client_errors, server_errors = EXCLUDED.server_errors, \
           timeouts = EXCLUDED.timeouts, latency_counts = EXCLUDED.latency_counts",
        merged.join(", ")
    ))
    .bind(env.key())
    .bind(from)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO metric_sample_hours (environment, source, hour, samples, \
           cpu_n, cpu_sum, cpu_max, memory_n, memory_sum, memory_max, disk_n, disk_sum, disk_max, \
           latency_n, latency_sum, latency_max, connections_n, connections_sum, connections_max) \
         SELECT environment, source, date_bin('1 hour', at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), count(*), \
           count(cpu_usage), coalesce(sum(cpu_usage), 0), max(cpu_usage), \
           count(memory_usage), coalesce(sum(memory_usage), 0), max(memory_usage), \
           count(disk_usage), coalesce(sum(disk_usage), 0), max(disk_usage), \
           count(network_latency_ms), coalesce(sum(network_latency_ms), 0), max(network_latency_ms), \
           count(connections), coalesce(sum(connections), 0), max(connections) \
         FROM metric_samples WHERE environment = $1 AND at >= $2 GROUP BY 1, 2, 3 \
         ON CONFLICT (environment, hour, source) DO UPDATE SET samples = EXCLUDED.samples, \
           cpu_n = EXCLUDED.cpu_n, cpu_sum = EXCLUDED.cpu_sum, cpu_max = EXCLUDED.cpu_max, \
           memory_n = EXCLUDED.memory_n, memory_sum = EXCLUDED.memory_sum, memory_max = EXCLUDED.memory_max, \
           disk_n = EXCLUDED.disk_n, disk_sum = EXCLUDED.disk_sum, disk_max = EXCLUDED.disk_max, \
           latency_n = EXCLUDED.latency_n, latency_sum = EXCLUDED.latency_sum, latency_max = EXCLUDED.latency_max, \
           connections_n = EXCLUDED.connections_n, connections_sum = EXCLUDED.connections_sum, \
           connections_max = EXCLUDED.connections_max",
    )
    .bind(env.key())
    .bind(from)
    .execute(pool)
    .await?;
    Ok(())
}

/// The demo operator classifies the power failure as force majeure
/// (R-SLA-2) through the SLA's own store, which checks that it is one of
/// the month's outages and audits it. Once.
async fn classify_force_majeure(
    pool: &PgPool,
    tz: Tz,
    outages: &[Outage],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    use opsdeck_app::store::sla::{classify, ClassifyError};
    for o in outages.iter().filter(|o| o.force_majeure && o.end <= now) {
        let mut tx = pool.begin().await?;
        let done: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sla_exclusions WHERE environment = $1 \
             AND starts_at < $3 AND ends_at > $2)",
        )
        .bind(o.environment.key())
        .bind(o.start)
        .bind(o.end)
        .fetch_one(&mut *tx)
        .await?;
        if done {
            continue;
        }
        let operator = Actor {
            id: sqlx::query_scalar("SELECT id FROM users WHERE username = 'operator'")
                .fetch_optional(&mut *tx)
                .await?,
            name: "operator".into(),
        };
        match classify(
            &mut tx,
            &operator,
            tz,
            o.environment,
            o.start,
            o.end,
            ExclusionKind::ForceMajeure,
            FORCE_MAJEURE_NOTE,
            o.end + Duration::hours(20),
        )
        .await
        {
            Ok(_) => tx.commit().await?,
            Err(ClassifyError::Db(e)) => return Err(e),
            Err(e) => tracing::warn!(error = %e, "demo force majeure not classified"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_model_keeps_every_request_in_the_histogram() {
        let at: DateTime<Utc> = "2026-11-29T12:00:00Z".parse().unwrap();
        for class in RequestClass::ALL {
            for down in [0, 7, 60] {
                let s = Series {
                    tz: chrono_tz::Asia::Tokyo,
                    env: Environment::Production,
                    scale: 1.0,
                    start: at,
                };
                let r = requests(s, "web-1", class, at, 60, down);
                let total = r.ok + r.client_errors + r.server_errors + r.timeouts;
                assert_eq!(r.counts.iter().sum::<i64>(), total);
                assert!(r.counts.iter().all(|c| *c >= 0));
                if down == 60 {
                    assert_eq!(r.ok, 0);
                }
            }
        }
    }

    #[test]
    fn outages_sit_where_the_story_says() {
        let anchor: DateTime<Utc> = "2026-11-29T12:00:00Z".parse().unwrap();
        let w = (
            "2026-08-01T17:00:00Z".parse().unwrap(),
            "2026-08-01T19:00:00Z".parse().unwrap(),
        );
        let v = outages(anchor, Some(w));
        assert_eq!(v.len(), 6);
        let planned = v.iter().find(|o| o.start >= w.0 && o.end <= w.1).unwrap();
        assert_eq!((planned.end - planned.start).num_minutes(), 40);
        assert_eq!(v.iter().filter(|o| o.force_majeure).count(), 1);
    }
}
