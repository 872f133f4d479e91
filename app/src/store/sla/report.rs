//! The month and 12-month SLA reports (R-SLA-1..4; decision 0019), read
//! from rollups only and computed by the core's `month_report`.
//!
//! Reading: one REPEATABLE READ, read-only transaction (every figure from one
//! snapshot) of a handful of queries —
//! * `sla_probe_hours` (kept by triggers on `probe_minutes`) for the range,
//!   as runs of consecutive hours whose 60 minutes are all up (or all down),
//!   found in SQL — a quiet year is a handful of rows, filled into the series
//!   a word at a time; and, for the other hours (gaps, partial outages, the
//!   current hour), the hour's minute rows folded into two 60-bit masks
//!   (minutes with data, minutes down) in SQL. Never 525 600 minute rows.
//! * the planned maintenance windows (`maintenance_windows::intervals`, the
//!   rows the calendar shows and the cap counts) and the classifications;
//! * `request_hours` summed per local day and class in SQL, for the month.
//!
//! The minutes become a [`MinuteSeries`] over the range, and every month is
//! judged by [`opsdeck::sla::month_report`] on it, so the page, the CSV and
//! the overview share one definition (decision 0110). The days, the outages
//! and the ledger are derived from the same series and exclusion mask.

use super::{classifications, public_target, settings, Classification, SlaSettings};
use crate::model::metrics::{RequestClass, LATENCY_BOUNDS_MS, LATENCY_BUCKETS};
use crate::model::sla::{
    DayRow, ErrorRow, ExclusionKind, ExclusionLine, LatencyRow, MonthSummary, OutageView,
    SlaCharts, SlaFigures, SlaMonthView,
};
use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use opsdeck::deploy_gate::Environment;
use opsdeck::interval::UtcInterval;
use opsdeck::sla::{
    check_error_rates, check_latency, local_month, month_report, Exclusion, ExclusionReason,
    Histogram, LatencyKind, MinuteSeries, MinuteState, MonthReport, NoDataPolicy, RequestCounts,
    SlaPolicy,
};
use sqlx::{PgConnection, PgPool, Row};
use std::collections::BTreeMap;

/// How far back a report may go: the rollups are kept five years.
pub const MONTHS_KEPT: u32 = 60;
/// Months in the history beside a month.
pub const HISTORY_MONTHS: u32 = 12;

const MINUTE_SECS: i64 = 60;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No such month, or one outside the kept five years or in the future.
    #[error("month out of range")]
    MonthOutOfRange,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A planned maintenance window as the ledger shows it.
#[derive(Debug, Clone)]
struct Window {
    interval: UtcInterval,
    reason: String,
    by: String,
}

/// One local day's requests of one class.
#[derive(Debug, Clone)]
struct RequestDay {
    date: NaiveDate,
    class: RequestClass,
    ok: u64,
    client_errors: u64,
    server_errors: u64,
    timeouts: u64,
    buckets: Vec<u64>,
}

/// What the queries returned for a range of months.
struct Loaded {
    has_target: bool,
    series: MinuteSeries,
    windows: Vec<Window>,
    classifications: Vec<Classification>,
    requests: Vec<RequestDay>,
}

/// The local month `(year, month)` moved by `delta` months.
fn shift_month(year: i32, month: u32, delta: i32) -> Option<(i32, u32)> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let moved = if delta >= 0 {
        first.checked_add_months(Months::new(delta.unsigned_abs()))?
    } else {
        first.checked_sub_months(Months::new(delta.unsigned_abs()))?
    };
    Some((moved.year(), moved.month()))
}

/// Whether a report of `(year, month)` may be asked for at `now`: not in
/// the future, and within the five years the rollups are kept.
pub fn month_in_range(tz: Tz, year: i32, month: u32, now: DateTime<Utc>) -> bool {
    let local = now.with_timezone(&tz);
    let current = (local.year(), local.month());
    let Some(oldest) = shift_month(current.0, current.1, -(MONTHS_KEPT as i32 - 1)) else {
        return false;
    };
    local_month(tz, year, month).is_some() && (year, month) <= current && (year, month) >= oldest
}

/// The current local month.
pub fn current_month(tz: Tz, now: DateTime<Utc>) -> (i32, u32) {
    let local = now.with_timezone(&tz);
    (local.year(), local.month())
}

fn floor_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp().div_euclid(MINUTE_SECS) * MINUTE_SECS, 0).unwrap_or(t)
}

fn ceil_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    let f = floor_minute(t);
    if f == t {
        t
    } else {
        f + TimeDelta::minutes(1)
    }
}

fn floor_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp().div_euclid(3600) * 3600, 0).unwrap_or(t)
}

/// Index of the minute starting at `t` in a series starting at `start`.
fn minute_index(start: DateTime<Utc>, t: DateTime<Utc>) -> i64 {
    (t - start).num_seconds().div_euclid(MINUTE_SECS)
}

/// Opens the report's snapshot: repeatable read (all figures from one
/// moment), read only, and no JIT (the queries are small; compiling them
/// would cost more than running them).
async fn snapshot(
    pool: &PgPool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    sqlx::query("SET LOCAL jit = off").execute(&mut *tx).await?;
    Ok(tx)
}

/// The probe minutes of `target` in `[from, to)` as a series (see the
/// module documentation for the queries).
async fn load_series(
    conn: &mut PgConnection,
    target: Option<i64>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<MinuteSeries, sqlx::Error> {
    let start = floor_minute(from);
    let len = usize::try_from(minute_index(start, ceil_minute(to)).max(0)).unwrap_or(0);
    // The start is a whole minute, so the core cannot refuse it.
    let mut series =
        MinuteSeries::new(start, len).map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let Some(target) = target else {
        return Ok(series);
    };
    // Runs of consecutive hours all up (or all down), found in SQL: a
    // quiet year is a handful of rows.
    let runs: Vec<(String, DateTime<Utc>, i32)> = sqlx::query_as(
        "SELECT kind, min(hour) AS first, count(*)::int AS hours FROM ( \
             SELECT hour, kind, sum(brk) OVER (ORDER BY hour) AS grp FROM ( \
                 SELECT hour, kind, \
                        CASE WHEN kind IS DISTINCT FROM lag(kind) OVER w \
                               OR hour <> lag(hour) OVER w + interval '1 hour' THEN 1 ELSE 0 END AS brk \
                 FROM (SELECT hour, CASE WHEN data_minutes = 60 AND down_minutes = 0 THEN 'up' \
                                         WHEN data_minutes = 60 AND down_minutes = 60 THEN 'down' \
                                         ELSE 'mixed' END AS kind \
                       FROM sla_probe_hours \
                       WHERE target_id = $1 AND hour >= $2 AND hour < $3 AND data_minutes > 0) h \
                 WINDOW w AS (ORDER BY hour)) b) g \
         WHERE kind <> 'mixed' GROUP BY kind, grp ORDER BY first",
    )
    .bind(target)
    .bind(floor_hour(from))
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    for (kind, first, hours) in runs {
        let base = minute_index(start, first);
        // Minutes before the series' start (a zone with a half-hour offset)
        // are skipped; `set_range` clips the end.
        let lo = usize::try_from(base.max(0)).unwrap_or(usize::MAX);
        let hi = usize::try_from((base + 60 * i64::from(hours)).max(0)).unwrap_or(0);
        let state = if kind == "down" {
            MinuteState::Down
        } else {
            MinuteState::Up
        };
        series.set_range(lo, hi, state);
    }
    // The other hours (gaps, partial outages, the current hour): their
    // minutes folded into two 60-bit masks in SQL.
    let mixed: Vec<(DateTime<Utc>, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT h.hour, m.data_mask, m.down_mask FROM sla_probe_hours h CROSS JOIN LATERAL ( \
             SELECT bit_or(1::bigint << (extract(epoch FROM p.minute - h.hour)::int / 60)) AS data_mask, \
                    bit_or(CASE WHEN sla_minute_down(p.probes, p.ok) \
                           THEN 1::bigint << (extract(epoch FROM p.minute - h.hour)::int / 60) \
                           ELSE 0 END) AS down_mask \
             FROM probe_minutes p \
             WHERE p.target_id = $1 AND p.minute >= h.hour \
               AND p.minute < h.hour + interval '1 hour' AND p.probes > 0) m \
         WHERE h.target_id = $1 AND h.hour >= $2 AND h.hour < $3 AND h.data_minutes > 0 \
           AND (h.data_minutes < 60 OR h.down_minutes BETWEEN 1 AND 59)",
    )
    .bind(target)
    .bind(floor_hour(from))
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    for (hour, data_mask, down_mask) in mixed {
        let base = minute_index(start, hour);
        let (data, down) = (data_mask.unwrap_or(0), down_mask.unwrap_or(0));
        for i in 0..60i64 {
            let state = if down >> i & 1 == 1 {
                MinuteState::Down
            } else if data >> i & 1 == 1 {
                MinuteState::Up
            } else {
                continue;
            };
            if let Ok(idx) = usize::try_from(base + i) {
                // Outside the series: not this report's minute.
                let _ = series.set(idx, state);
            }
        }
    }
    Ok(series)
}

/// The planned windows overlapping `[from, to)`: exactly the intervals
/// `maintenance_windows::intervals` gives (what the calendar shows and the
/// cap counts), with their reason and author for the ledger.
async fn load_windows(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Window>, sqlx::Error> {
    let intervals =
        crate::store::maintenance_windows::intervals(&mut *conn, from, to, None).await?;
    let rows: Vec<(DateTime<Utc>, DateTime<Utc>, String, String)> = sqlx::query_as(
        "SELECT starts_at, ends_at, reason, created_by FROM maintenance_windows \
         WHERE status = 'planned' AND starts_at < $2 AND ends_at > $1 ORDER BY starts_at, id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let mut details: Vec<(UtcInterval, String, String)> = rows
        .into_iter()
        .map(|(s, e, reason, by)| (UtcInterval::new(s, e), reason, by))
        .collect();
    Ok(intervals
        .into_iter()
        .map(|interval| {
            let found = details.iter().position(|d| d.0 == interval);
            let (reason, by) = found
                .map(|i| {
                    let d = details.remove(i);
                    (d.1, d.2)
                })
                .unwrap_or_default();
            Window {
                interval,
                reason,
                by,
            }
        })
        .collect())
}

/// Requests of `environment` per local day and class in `[from, to)`,
/// summed in SQL from the hourly rollup. An hour counts on the day it
/// starts in (zones with a half-hour offset round the day to the hour).
async fn load_requests(
    conn: &mut PgConnection,
    tz: Tz,
    environment: Environment,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<RequestDay>, sqlx::Error> {
    let buckets: String = (1..=LATENCY_BUCKETS)
        .map(|i| format!("sum(latency_counts[{i}])::bigint AS b{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(&format!(
        "SELECT (hour AT TIME ZONE $4)::date AS day, class, \
                sum(ok)::bigint AS ok, sum(client_errors)::bigint AS client_errors, \
                sum(server_errors)::bigint AS server_errors, sum(timeouts)::bigint AS timeouts, \
                {buckets} \
         FROM request_hours WHERE environment = $1 AND hour >= $2 AND hour < $3 \
         GROUP BY 1, 2 ORDER BY 1, 2"
    ))
    .bind(environment.key())
    .bind(from)
    .bind(to)
    .bind(tz.name())
    .fetch_all(&mut *conn)
    .await?;
    let count = |r: &sqlx::postgres::PgRow, name: &str| -> Result<u64, sqlx::Error> {
        Ok(u64::try_from(r.try_get::<i64, _>(name)?).unwrap_or(0))
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let class: String = r.try_get("class")?;
        let Some(class) = RequestClass::parse(&class) else {
            continue;
        };
        let mut buckets = Vec::with_capacity(LATENCY_BUCKETS);
        for i in 1..=LATENCY_BUCKETS {
            buckets.push(count(r, &format!("b{i}"))?);
        }
        out.push(RequestDay {
            date: r.try_get("day")?,
            class,
            ok: count(r, "ok")?,
            client_errors: count(r, "client_errors")?,
            server_errors: count(r, "server_errors")?,
            timeouts: count(r, "timeouts")?,
            buckets,
        });
    }
    Ok(out)
}

async fn load(
    conn: &mut PgConnection,
    tz: Tz,
    environment: Environment,
    range: UtcInterval,
    requests_in: Option<UtcInterval>,
) -> Result<Loaded, sqlx::Error> {
    let target = public_target(&mut *conn, environment).await?;
    let series = load_series(&mut *conn, target, range.start, range.end).await?;
    let windows = load_windows(&mut *conn, range.start, range.end).await?;
    let classifications = classifications(&mut *conn, environment, range.start, range.end).await?;
    let requests = match requests_in {
        Some(m) => load_requests(&mut *conn, tz, environment, m.start, m.end).await?,
        None => Vec::new(),
    };
    Ok(Loaded {
        has_target: target.is_some(),
        series,
        windows,
        classifications,
        requests,
    })
}

/// The UTC range of the `count` local months ending with `(year, month)`.
fn months_range(
    tz: Tz,
    year: i32,
    month: u32,
    count: u32,
) -> Option<(Vec<(i32, u32)>, UtcInterval)> {
    let months: Vec<(i32, u32)> = (0..count)
        .rev()
        .map(|back| shift_month(year, month, -(back as i32)))
        .collect::<Option<_>>()?;
    let first = months.first()?;
    let start = local_month(tz, first.0, first.1)?.start;
    let end = local_month(tz, year, month)?.end;
    Some((months, UtcInterval::new(start, end)))
}

fn exclusions_of(loaded: &Loaded) -> Vec<Exclusion> {
    loaded
        .windows
        .iter()
        .map(|w| Exclusion {
            interval: w.interval,
            reason: ExclusionReason::PlannedMaintenance,
        })
        .chain(loaded.classifications.iter().map(|c| Exclusion {
            interval: UtcInterval::new(c.starts_at, c.ends_at),
            reason: match c.kind {
                ExclusionKind::ExternalService => ExclusionReason::ExternalOutage,
                _ => ExclusionReason::ForceMajeure,
            },
        }))
        .collect()
}

fn figures(r: &MonthReport) -> SlaFigures {
    SlaFigures {
        month_minutes: r.month_minutes,
        excluded_minutes: r.excluded_minutes,
        no_data_minutes: r.no_data_minutes,
        pending_minutes: r.pending_minutes,
        up_minutes: r.up_minutes,
        down_minutes: r.down_minutes,
        eligible_minutes: r.eligible_minutes,
        used_minutes: r.used_minutes,
        availability_ppm: r.availability_ppm,
        allowed_downtime_millis: r.allowed_downtime_millis,
        used_millis: r.used_millis,
        remaining_millis: r.remaining_millis,
        target_met: r.target_met,
        target_met_if_no_data_down: r.target_met_if_no_data_down,
    }
}

/// Minutes of `[period)` with probe data in the series.
fn data_minutes(series: &MinuteSeries, period: &UtcInterval) -> u64 {
    let r = series.availability_in(period, &[]);
    r.up + r.down
}

fn summary(series: &MinuteSeries, r: &MonthReport) -> MonthSummary {
    MonthSummary {
        year: r.year,
        month: r.month,
        availability_ppm: r.availability_ppm,
        target_met: r.target_met,
        allowed_downtime_millis: r.allowed_downtime_millis,
        used_millis: r.used_millis,
        remaining_millis: r.remaining_millis,
        excluded_minutes: r.excluded_minutes,
        no_data_minutes: r.no_data_minutes,
        complete: r.complete,
        has_data: data_minutes(series, &r.period) > 0,
    }
}

/// Eligible and used minutes under the policy (decision 0110), for a day.
fn judge(policy: &SlaPolicy, up: u64, down: u64, no_data: u64, pending: u64) -> (u64, u64) {
    match policy.no_data {
        NoDataPolicy::Exclude => (up + down + pending, down),
        NoDataPolicy::CountAsDown => (up + down + no_data + pending, down + no_data),
        NoDataPolicy::CountAsUp => (up + down + no_data + pending, down),
    }
}

fn availability_ppm(eligible: u64, used: u64) -> Option<u32> {
    (eligible > 0).then(|| {
        let good = u128::from(eligible - used.min(eligible));
        u32::try_from(good * 1_000_000 / u128::from(eligible)).unwrap_or(1_000_000)
    })
}

/// Local midnight of `date` in `tz` (resolved as the core resolves local times).
fn day_start(tz: Tz, date: NaiveDate) -> Option<DateTime<Utc>> {
    opsdeck::local_time::to_utc(tz, date.and_time(NaiveTime::MIN))
}

fn latency_kind(c: RequestClass) -> LatencyKind {
    match c {
        RequestClass::Api => LatencyKind::Api,
        RequestClass::Page => LatencyKind::Page,
        RequestClass::Search => LatencyKind::Search,
    }
}

/// Requests of one class (or all) over some period.
#[derive(Debug, Clone, Default)]
struct Tally {
    ok: u64,
    client_errors: u64,
    server_errors: u64,
    timeouts: u64,
    buckets: Vec<u64>,
}

impl Tally {
    fn add(&mut self, d: &RequestDay) {
        self.ok += d.ok;
        self.client_errors += d.client_errors;
        self.server_errors += d.server_errors;
        self.timeouts += d.timeouts;
        if self.buckets.len() < d.buckets.len() {
            self.buckets.resize(d.buckets.len(), 0);
        }
        for (a, b) in self.buckets.iter_mut().zip(&d.buckets) {
            *a = a.saturating_add(*b);
        }
    }

    fn total(&self) -> u64 {
        self.ok + self.client_errors + self.server_errors + self.timeouts
    }

    fn histogram(&self) -> Histogram {
        let bounds: Vec<f64> = LATENCY_BOUNDS_MS.iter().map(|b| *b as f64).collect();
        let mut counts = self.buckets.clone();
        counts.resize(bounds.len() + 1, 0);
        Histogram::from_counts(bounds, counts).unwrap_or_default()
    }
}

fn latency_rows(by_class: &BTreeMap<RequestClass, Tally>, s: &SlaSettings) -> Vec<LatencyRow> {
    RequestClass::ALL
        .into_iter()
        .map(|class| {
            let tally = by_class.get(&class).cloned().unwrap_or_default();
            let h = tally.histogram();
            let check = check_latency(latency_kind(class), &h, &s.performance);
            LatencyRow {
                class: class.as_str().to_string(),
                requests: h.total(),
                p50_ms: h.quantile_opt(0.5),
                p95_ms: h.quantile_opt(0.95),
                p99_ms: h.quantile_opt(0.99),
                actual_ms: check.actual,
                target_ms: check.target,
                met: check.met,
            }
        })
        .collect()
}

fn error_rows(by_class: &BTreeMap<RequestClass, Tally>, s: &SlaSettings) -> Vec<ErrorRow> {
    let mut all = Tally::default();
    for t in by_class.values() {
        all.ok += t.ok;
        all.client_errors += t.client_errors;
        all.server_errors += t.server_errors;
        all.timeouts += t.timeouts;
    }
    let counts = RequestCounts {
        total: all.total(),
        status_5xx: all.server_errors,
        status_4xx: all.client_errors,
        timeouts: all.timeouts,
    };
    let checks = check_error_rates(&counts, &s.error_rates);
    let rows = [
        ("5xx", all.server_errors, s.error_rates.max_5xx_ppm),
        ("4xx", all.client_errors, s.error_rates.max_4xx_ppm),
        ("timeout", all.timeouts, s.error_rates.max_timeout_ppm),
    ];
    rows.into_iter()
        .zip(checks)
        .map(|((kind, count, target_ppm), check)| ErrorRow {
            kind: kind.to_string(),
            count,
            total: counts.total,
            target_ppm,
            met: check.met,
        })
        .collect()
}

/// Whether bit `i` of an exclusion mask is set.
fn masked(mask: &[u64], i: usize) -> bool {
    mask.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
}

fn minutes_overlapping(iv: &UtcInterval, period: &UtcInterval) -> u64 {
    let lo = ceil_minute(period.start).max(floor_minute(iv.start));
    let hi = ceil_minute(period.end).min(ceil_minute(iv.end));
    u64::try_from((hi - lo).num_minutes().max(0)).unwrap_or(0)
}

/// Runs of consecutive down minutes among the elapsed minutes of `period`.
fn outages(
    series: &MinuteSeries,
    mask: &[u64],
    period: &UtcInterval,
    now: DateTime<Utc>,
    loaded: &Loaded,
) -> Vec<OutageView> {
    let start = series.start();
    let lo = usize::try_from(minute_index(start, ceil_minute(period.start)).max(0)).unwrap_or(0);
    let end = floor_minute(now).min(ceil_minute(period.end));
    let hi = usize::try_from(minute_index(start, end).max(0))
        .unwrap_or(0)
        .min(series.len());
    let mut out = Vec::new();
    let mut i = lo;
    while i < hi {
        if series.get(i) != Some(MinuteState::Down) {
            i += 1;
            continue;
        }
        let first = i;
        while i < hi && series.get(i) == Some(MinuteState::Down) {
            i += 1;
        }
        let at = |idx: usize| start + TimeDelta::minutes(i64::try_from(idx).unwrap_or(0));
        let run = UtcInterval::new(at(first), at(i));
        let counted = (first..i).filter(|&m| !masked(mask, m)).count() as u64;
        let classified = loaded
            .classifications
            .iter()
            .find(|c| UtcInterval::new(c.starts_at, c.ends_at).overlaps(&run));
        let in_window = loaded.windows.iter().any(|w| w.interval.overlaps(&run));
        out.push(OutageView {
            starts_at: run.start,
            ends_at: run.end,
            minutes: (i - first) as u64,
            counted_minutes: counted,
            excluded_as: classified
                .map(|c| c.kind)
                .or(in_window.then_some(ExclusionKind::PlannedMaintenance)),
            classification_id: classified.map(|c| c.id),
        });
    }
    out
}

fn ledger(loaded: &Loaded, period: &UtcInterval) -> Vec<ExclusionLine> {
    let mut lines: Vec<ExclusionLine> = loaded
        .windows
        .iter()
        .filter(|w| w.interval.overlaps(period))
        .map(|w| ExclusionLine {
            id: None,
            kind: ExclusionKind::PlannedMaintenance,
            starts_at: w.interval.start,
            ends_at: w.interval.end,
            minutes_in_month: minutes_overlapping(&w.interval, period),
            note: w.reason.clone(),
            by: w.by.clone(),
            at: None,
        })
        .chain(loaded.classifications.iter().filter_map(|c| {
            let iv = UtcInterval::new(c.starts_at, c.ends_at);
            iv.overlaps(period).then(|| ExclusionLine {
                id: Some(c.id),
                kind: c.kind,
                starts_at: c.starts_at,
                ends_at: c.ends_at,
                minutes_in_month: minutes_overlapping(&iv, period),
                note: c.note.clone(),
                by: c.by.clone(),
                at: Some(c.at),
            })
        }))
        .collect();
    lines.sort_by_key(|l| (l.starts_at, l.id));
    lines
}

/// The days of the month, each judged like the month.
fn days(
    s: &SlaSettings,
    tz: Tz,
    series: &MinuteSeries,
    mask: &[u64],
    period: &UtcInterval,
    now: DateTime<Utc>,
    requests: &[RequestDay],
) -> Vec<DayRow> {
    let local_first = period.start.with_timezone(&tz).date_naive();
    let mut out = Vec::new();
    let mut date = local_first;
    let elapsed_to = floor_minute(now);
    while let Some(start) = day_start(tz, date) {
        if start >= period.end {
            break;
        }
        let Some(next) = date.succ_opt() else {
            break;
        };
        let end = day_start(tz, next).unwrap_or(period.end).min(period.end);
        let split = elapsed_to.clamp(start, end);
        let past = series.availability_in_masked(&UtcInterval::new(start, split), mask);
        let future = series.availability_in_masked(&UtcInterval::new(split, end), mask);
        let pending = future.minutes - future.excluded;
        let (eligible, used) = judge(&s.policy, past.up, past.down, past.unknown, pending);
        let started = past.minutes > 0;
        let mut by_class: BTreeMap<RequestClass, Tally> = BTreeMap::new();
        for r in requests.iter().filter(|r| r.date == date) {
            by_class.entry(r.class).or_default().add(r);
        }
        out.push(DayRow {
            date,
            starts_at: start,
            minutes: past.minutes + future.minutes,
            excluded_minutes: past.excluded + future.excluded,
            no_data_minutes: past.unknown,
            pending_minutes: pending,
            down_minutes: past.down,
            eligible_minutes: eligible,
            used_minutes: used,
            availability_ppm: if started {
                availability_ppm(eligible, used)
            } else {
                None
            },
            target_met: (started && eligible > 0).then(|| {
                u128::from(used) * 1_000_000
                    <= u128::from(eligible) * u128::from(s.policy.budget_ppm())
            }),
            latency: latency_rows(&by_class, s),
            errors: error_rows(&by_class, s),
        });
        date = next;
    }
    out
}

/// Builds the view of `(year, month)` from what was loaded for the 12
/// months ending with it (charts are drawn by the caller).
#[allow(clippy::too_many_arguments)]
fn build(
    s: &SlaSettings,
    tz: Tz,
    environment: Environment,
    year: i32,
    month: u32,
    months: &[(i32, u32)],
    now: DateTime<Utc>,
    loaded: &Loaded,
) -> Result<SlaMonthView, ReportError> {
    let exclusions = exclusions_of(loaded);
    let series = &loaded.series;
    let mut history = Vec::with_capacity(months.len());
    let mut selected = None;
    for &(y, m) in months {
        let r = month_report(&s.policy, tz, y, m, series, &exclusions, now)
            .map_err(|_| ReportError::MonthOutOfRange)?;
        history.push(summary(series, &r));
        if (y, m) == (year, month) {
            selected = Some(r);
        }
    }
    let r = selected.ok_or(ReportError::MonthOutOfRange)?;
    let period = r.period;
    let mask = series.exclusion_mask(&exclusions);
    let day_rows = days(s, tz, series, &mask, &period, now, &loaded.requests);
    let mut by_class: BTreeMap<RequestClass, Tally> = BTreeMap::new();
    for d in &loaded.requests {
        by_class.entry(d.class).or_default().add(d);
    }
    let elapsed_eligible = r.eligible_minutes.saturating_sub(r.pending_minutes);
    let burn_rate = (elapsed_eligible > 0)
        .then(|| {
            opsdeck::sla::burn_rate(r.used_minutes as f64 / elapsed_eligible as f64, &s.policy)
        })
        .flatten();
    let has_probe_data = history.last().is_some_and(|h| h.has_data);
    Ok(SlaMonthView {
        environment: environment.key().to_string(),
        year,
        month,
        time_zone: tz.name().to_string(),
        period_start: period.start,
        period_end: period.end,
        as_of: now,
        complete: r.complete,
        has_data: has_probe_data || !loaded.requests.is_empty(),
        has_target: loaded.has_target,
        settings: s.view.clone(),
        figures: figures(&r),
        burn_rate,
        exclusions: ledger(loaded, &period),
        outages: outages(series, &mask, &period, now, loaded),
        latency: latency_rows(&by_class, s),
        errors: error_rows(&by_class, s),
        days: day_rows,
        history,
        charts: SlaCharts::default(),
    })
}

/// The SLA report of `environment` for the local month `(year, month)` at
/// `now`, with the 12 months ending with it (R-SLA-1..4). Charts are empty:
/// the server function draws them in the reader's language.
pub async fn month_view(
    pool: &PgPool,
    tz: Tz,
    environment: Environment,
    year: i32,
    month: u32,
    now: DateTime<Utc>,
) -> Result<SlaMonthView, ReportError> {
    if !month_in_range(tz, year, month, now) {
        return Err(ReportError::MonthOutOfRange);
    }
    let (months, range) =
        months_range(tz, year, month, HISTORY_MONTHS).ok_or(ReportError::MonthOutOfRange)?;
    let period = local_month(tz, year, month).ok_or(ReportError::MonthOutOfRange)?;
    let mut tx = snapshot(pool).await?;
    let s = settings(&mut *tx).await?;
    let loaded = load(&mut tx, tz, environment, range, Some(period)).await?;
    tx.commit().await?;
    build(&s, tz, environment, year, month, &months, now, &loaded)
}

/// The 12 months ending with `(year, month)`, oldest first (the history
/// beside a month, and the yearly view).
pub async fn twelve_months(
    pool: &PgPool,
    tz: Tz,
    environment: Environment,
    year: i32,
    month: u32,
    now: DateTime<Utc>,
) -> Result<Vec<MonthSummary>, ReportError> {
    if !month_in_range(tz, year, month, now) {
        return Err(ReportError::MonthOutOfRange);
    }
    let (months, range) =
        months_range(tz, year, month, HISTORY_MONTHS).ok_or(ReportError::MonthOutOfRange)?;
    let mut tx = snapshot(pool).await?;
    let s = settings(&mut *tx).await?;
    let loaded = load(&mut tx, tz, environment, range, None).await?;
    tx.commit().await?;
    let exclusions = exclusions_of(&loaded);
    months
        .iter()
        .map(|&(y, m)| {
            month_report(&s.policy, tz, y, m, &loaded.series, &exclusions, now)
                .map(|r| summary(&loaded.series, &r))
                .map_err(|_| ReportError::MonthOutOfRange)
        })
        .collect()
}

/// One month's availability figures alone (for the overview's "SLA month to
/// date"): the same `month_report` on the same data as the page, without
/// the days, requests or history.
pub async fn month_figures(
    pool: &PgPool,
    tz: Tz,
    environment: Environment,
    year: i32,
    month: u32,
    now: DateTime<Utc>,
) -> Result<SlaFigures, ReportError> {
    if !month_in_range(tz, year, month, now) {
        return Err(ReportError::MonthOutOfRange);
    }
    let period = local_month(tz, year, month).ok_or(ReportError::MonthOutOfRange)?;
    let mut tx = snapshot(pool).await?;
    let s = settings(&mut *tx).await?;
    let loaded = load(&mut tx, tz, environment, period, None).await?;
    tx.commit().await?;
    let exclusions = exclusions_of(&loaded);
    month_report(&s.policy, tz, year, month, &loaded.series, &exclusions, now)
        .map(|r| figures(&r))
        .map_err(|_| ReportError::MonthOutOfRange)
}

/// The outages of the local month that `at` falls in, as the report lists
/// them (what a classification must match). Runs on the caller's
/// connection (inside the classification's transaction).
pub async fn outages_at(
    conn: &mut PgConnection,
    tz: Tz,
    environment: Environment,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<OutageView>, sqlx::Error> {
    let local = at.with_timezone(&tz);
    let Some(period) = local_month(tz, local.year(), local.month()) else {
        return Ok(Vec::new());
    };
    let loaded = load(conn, tz, environment, period, None).await?;
    let mask = loaded.series.exclusion_mask(&exclusions_of(&loaded));
    Ok(outages(&loaded.series, &mask, &period, now, &loaded))
}

/// The months a report can be asked for, newest first: from the first month
/// with probe or request data of the environment (at most five years back)
/// to the current month.
pub async fn months_available(
    pool: &PgPool,
    tz: Tz,
    environment: Environment,
    now: DateTime<Utc>,
) -> Result<Vec<(i32, u32)>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let target = public_target(&mut *conn, environment).await?;
    let first_probe: Option<DateTime<Utc>> =
        match target {
            Some(t) => sqlx::query_scalar(
                "SELECT min(hour) FROM sla_probe_hours WHERE target_id = $1 AND data_minutes > 0",
            )
            .bind(t)
            .fetch_one(&mut *conn)
            .await?,
            None => None,
        };
    let first_request: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT min(hour) FROM request_hours WHERE environment = $1")
            .bind(environment.key())
            .fetch_one(&mut *conn)
            .await?;
    let current = current_month(tz, now);
    let first = [first_probe, first_request]
        .into_iter()
        .flatten()
        .min()
        .map(|t| {
            let l = t.with_timezone(&tz);
            (l.year(), l.month())
        })
        .unwrap_or(current);
    let mut out = Vec::new();
    let mut m = current;
    while out.len() < MONTHS_KEPT as usize && m >= first {
        out.push(m);
        match shift_month(m.0, m.1, -1) {
            Some(prev) => m = prev,
            None => break,
        }
    }
    if out.is_empty() {
        out.push(current);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Asia::Tokyo;

    fn tokyo(y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Tokyo
            .with_ymd_and_hms(y, m, d, h, mi, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn settings() -> SlaSettings {
        SlaSettings {
            policy: SlaPolicy::default(),
            performance: Default::default(),
            error_rates: Default::default(),
            view: crate::model::sla::SlaSettingsView {
                target_ppm: 999_000,
                no_data: "exclude".into(),
                latency_quantile: 0.95,
                api_ms: 200.0,
                page_ms: 2000.0,
                search_ms: 500.0,
                max_5xx_ppm: 1000,
                max_4xx_ppm: 50_000,
                max_timeout_ppm: 100,
            },
        }
    }

    /// April 2026 (Tokyo) and the 11 months before, all up but for the
    /// given down and no-data minutes of April, counted from April 1st 00:00.
    fn loaded(down: &[usize], no_data: &[usize]) -> (Vec<(i32, u32)>, Loaded) {
        let (months, range) = months_range(Tokyo, 2026, 4, 12).unwrap();
        let april = minute_index(range.start, tokyo(2026, 4, 1, 0, 0)) as usize;
        let len = minute_index(range.start, range.end) as usize;
        let mut states = vec![MinuteState::Up; len];
        for &d in down {
            states[april + d] = MinuteState::Down;
        }
        for &d in no_data {
            states[april + d] = MinuteState::Unknown;
        }
        let series = MinuteSeries::from_states(range.start, states).unwrap();
        (
            months,
            Loaded {
                has_target: true,
                series,
                windows: vec![Window {
                    interval: UtcInterval::new(tokyo(2026, 4, 5, 2, 0), tokyo(2026, 4, 5, 4, 0)),
                    reason: String::new(),
                    by: "system".into(),
                }],
                classifications: Vec::new(),
                requests: Vec::new(),
            },
        )
    }

    #[test]
    fn r_sla_1_days_add_up_to_the_month_and_outages_are_runs() {
        // 10 minutes down on April 2nd 10:00, 5 inside the maintenance window,
        // 60 minutes without data on the 3rd.
        let down: Vec<usize> = (1440 + 600..1440 + 610)
            .chain(4 * 1440 + 150..4 * 1440 + 155)
            .collect();
        let no_data: Vec<usize> = (2 * 1440..2 * 1440 + 60).collect();
        let (months, l) = loaded(&down, &no_data);
        let now = tokyo(2026, 5, 2, 0, 0);
        let v = build(
            &settings(),
            Tokyo,
            Environment::Production,
            2026,
            4,
            &months,
            now,
            &l,
        )
        .unwrap();
        let f = &v.figures;
        assert_eq!(f.month_minutes, 43_200);
        assert_eq!(f.excluded_minutes, 120);
        assert_eq!(f.no_data_minutes, 60);
        assert_eq!(f.down_minutes, 10);
        assert_eq!(f.eligible_minutes, 43_200 - 120 - 60);
        // 43 020 × 0.001 min = 43.02 min.
        assert_eq!(f.allowed_downtime_millis, 2_581_200);
        assert_eq!(f.remaining_millis, 2_581_200 - 600_000);
        assert_eq!(v.days.len(), 30);
        let sum = |g: fn(&DayRow) -> u64| v.days.iter().map(g).sum::<u64>();
        assert_eq!(sum(|d| d.minutes), f.month_minutes);
        assert_eq!(sum(|d| d.excluded_minutes), f.excluded_minutes);
        assert_eq!(sum(|d| d.no_data_minutes), f.no_data_minutes);
        assert_eq!(sum(|d| d.down_minutes), f.down_minutes);
        assert_eq!(sum(|d| d.eligible_minutes), f.eligible_minutes);
        assert_eq!(sum(|d| d.used_minutes), f.used_minutes);
        assert_eq!(v.days[1].down_minutes, 10);
        assert_eq!(v.days[1].availability_ppm, Some(993_055));
        assert_eq!(v.outages.len(), 2);
        assert_eq!(v.outages[0].starts_at, tokyo(2026, 4, 2, 10, 0));
        assert_eq!(v.outages[0].ends_at, tokyo(2026, 4, 2, 10, 10));
        assert_eq!(
            (v.outages[0].minutes, v.outages[0].counted_minutes),
            (10, 10)
        );
        assert_eq!(v.outages[0].excluded_as, None);
        assert_eq!(v.outages[1].counted_minutes, 0);
        assert_eq!(
            v.outages[1].excluded_as,
            Some(ExclusionKind::PlannedMaintenance)
        );
        assert_eq!(v.exclusions.len(), 1);
        assert_eq!(v.exclusions[0].minutes_in_month, 120);
        assert_eq!(v.history.len(), 12);
        assert_eq!(v.history[11].availability_ppm, f.availability_ppm);
        assert!(v.history[..11]
            .iter()
            .all(|h| h.availability_ppm == Some(1_000_000)));
        assert!(v.complete);
    }

    #[test]
    fn r_sla_2_a_classification_moves_availability_and_budget_together() {
        let down: Vec<usize> = (1440 + 600..1440 + 650).collect();
        let (months, mut l) = loaded(&down, &[]);
        let now = tokyo(2026, 5, 2, 0, 0);
        let before = build(
            &settings(),
            Tokyo,
            Environment::Production,
            2026,
            4,
            &months,
            now,
            &l,
        )
        .unwrap();
        assert!(
            !before.figures.target_met,
            "50 min down > 42.96 min allowed"
        );
        assert!(before.figures.remaining_millis < 0);
        l.classifications.push(Classification {
            id: 7,
            environment: "production".into(),
            starts_at: tokyo(2026, 4, 2, 10, 0),
            ends_at: tokyo(2026, 4, 2, 10, 50),
            kind: ExclusionKind::ForceMajeure,
            note: "earthquake".into(),
            by: "operator".into(),
            at: now,
        });
        let after = build(
            &settings(),
            Tokyo,
            Environment::Production,
            2026,
            4,
            &months,
            now,
            &l,
        )
        .unwrap();
        let (b, a) = (&before.figures, &after.figures);
        assert_eq!(a.excluded_minutes, b.excluded_minutes + 50);
        assert_eq!(a.down_minutes, 0);
        assert_eq!(a.availability_ppm, Some(1_000_000));
        assert_eq!(
            a.allowed_downtime_millis,
            b.allowed_downtime_millis - 50 * 60
        );
        assert!(a.target_met && a.remaining_millis > 0);
        assert_eq!(after.outages[0].classification_id, Some(7));
        assert_eq!(after.exclusions.len(), 2);
    }

    #[test]
    fn a_month_in_progress_has_pending_days_and_a_burn_rate() {
        let down: Vec<usize> = (600..612).collect();
        let (months, l) = loaded(&down, &[]);
        // April 3rd 00:00: two days elapsed, 12 minutes down.
        let now = tokyo(2026, 4, 3, 0, 0);
        let v = build(
            &settings(),
            Tokyo,
            Environment::Production,
            2026,
            4,
            &months,
            now,
            &l,
        )
        .unwrap();
        assert!(!v.complete);
        assert_eq!(v.figures.pending_minutes, 28 * 1440 - 120);
        assert_eq!(v.days[2].availability_ppm, None);
        assert_eq!(v.days[2].pending_minutes, 1440);
        // 12 of 2 880 minutes = 0.4167 % against a 0.1 % budget → 4.17×.
        let burn = v.burn_rate.unwrap();
        assert!((burn - 12.0 / 2880.0 / 0.001).abs() < 1e-9, "{burn}");
    }

    #[test]
    fn months_are_in_range_within_five_years_up_to_now() {
        let now = tokyo(2026, 4, 15, 0, 0);
        assert!(month_in_range(Tokyo, 2026, 4, now));
        assert!(!month_in_range(Tokyo, 2026, 5, now));
        assert!(month_in_range(Tokyo, 2021, 5, now));
        assert!(!month_in_range(Tokyo, 2021, 4, now));
        assert!(!month_in_range(Tokyo, 2026, 13, now));
        assert_eq!(shift_month(2026, 1, -1), Some((2025, 12)));
    }
}
