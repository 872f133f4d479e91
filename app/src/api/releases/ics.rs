//! The release calendar from one source (R-REL-3, R-MNT-1): the month grid
//! of `/releases/calendar` and the iCalendar feed of `/calendar.ics` are
//! both built here from the releases' milestones and the maintenance
//! windows (`store::maintenance_windows::list`, the same windows the SLA
//! excludes).

use crate::model::maintenance::WindowView;
use crate::model::releases::{CalendarItem, CalendarMonth, ReleaseRow, ReleaseStatus};
use crate::store::releases as store;
use chrono::{DateTime, Datelike, Days, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use icalendar::{Component, EventLike, EventStatus};
use opsdeck::release_calendar::MilestoneKind;
use sqlx::PgPool;

/// The first and last day of the grid showing `year-month`: whole weeks, Monday first.
pub fn grid_bounds(year: i32, month: u32) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let last = next.pred_opt()?;
    let start =
        first.checked_sub_days(Days::new(u64::from(first.weekday().num_days_from_monday())))?;
    let end = last.checked_add_days(Days::new(u64::from(
        6 - last.weekday().num_days_from_monday(),
    )))?;
    Some((start, end))
}

fn midnight(tz: Tz, d: NaiveDate) -> DateTime<Utc> {
    opsdeck::local_time::to_utc(tz, d.and_time(chrono::NaiveTime::MIN))
        .unwrap_or_else(|| d.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// Windows (planned or cancelled) starting in `[from, to)`.
async fn windows(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<WindowView>, sqlx::Error> {
    crate::store::maintenance_windows::list(pool, from, to, 7).await
}

/// The month grid with its items.
pub async fn month(
    pool: &PgPool,
    tz: Tz,
    now: DateTime<Utc>,
    year: i32,
    month: u32,
) -> Result<CalendarMonth, crate::error::AppError> {
    let (start, end) = grid_bounds(year, month).ok_or(crate::error::AppError::field(
        "month",
        crate::i18n::Msg::ErrMonth,
    ))?;
    let s = store::settings(pool).await?;
    // Milestones reach back up to the feature freeze before release day.
    let reach = u64::from(
        s.calendar
            .feature_freeze_days
            .max(s.calendar.code_freeze_days),
    );
    let releases = store::between(
        pool,
        tz,
        &s.calendar,
        now,
        start,
        end.checked_add_days(Days::new(reach)).unwrap_or(end),
    )
    .await?;
    let mws = windows(
        pool,
        midnight(tz, start),
        midnight(tz, end.succ_opt().unwrap_or(end)),
    )
    .await?;
    let mut days: Vec<(NaiveDate, Vec<CalendarItem>)> = start
        .iter_days()
        .take_while(|d| *d <= end)
        .map(|d| (d, Vec::new()))
        .collect();
    for (day, items) in days.iter_mut() {
        for r in releases
            .iter()
            .filter(|r| r.status != ReleaseStatus::Cancelled)
        {
            // The freeze band: from the code-freeze day up to (not including) release day.
            let freeze_day = r
                .milestones
                .iter()
                .find(|m| m.kind == MilestoneKind::CodeFreeze)
                .map(|m| m.date);
            if freeze_day.is_some_and(|f| *day >= f && *day < r.planned_date) {
                items.push(CalendarItem::Freeze {
                    release_id: r.id,
                    version: r.version.clone(),
                });
            }
            for m in r.milestones.iter().filter(|m| m.date == *day) {
                items.push(CalendarItem::Milestone {
                    release_id: r.id,
                    version: r.version.clone(),
                    kind: m.kind,
                    status: r.status,
                });
            }
        }
        for w in mws.iter().filter(|w| w.status == "planned") {
            if w.starts_at.with_timezone(&tz).date_naive() == *day {
                items.push(CalendarItem::Maintenance {
                    window_id: w.id,
                    starts_at: w.starts_at,
                    ends_at: w.ends_at,
                    reason: w.reason.clone(),
                });
            }
        }
    }
    Ok(CalendarMonth {
        year,
        month,
        today: now.with_timezone(&tz).date_naive(),
        time_zone: tz.name().to_string(),
        days,
        feed_created_at: None,
    })
}

/// A UID that stays the same across fetches, so calendar apps update the
/// event instead of adding a copy.
fn uid(what: &str, id: i64, host: &str) -> String {
    format!("{what}-{id}@{host}")
}

fn milestone_key(kind: MilestoneKind) -> &'static str {
    match kind {
        MilestoneKind::FeatureFreeze => "feature-freeze",
        MilestoneKind::CodeFreeze => "code-freeze",
        MilestoneKind::FinalTest => "final-test",
        MilestoneKind::ReleaseNotes => "release-notes",
        MilestoneKind::Release => "release",
    }
}

fn release_events(r: &ReleaseRow, host: &str, cal: &mut icalendar::Calendar) {
    let status = match r.status {
        ReleaseStatus::Cancelled => EventStatus::Cancelled,
        _ => EventStatus::Confirmed,
    };
    for m in &r.milestones {
        let summary = if m.kind == MilestoneKind::Release {
            format!("v{} リリース / release", r.version)
        } else {
            format!(
                "v{} {} / {}",
                r.version,
                m.kind.label_ja(),
                m.kind.label_en()
            )
        };
        let event = icalendar::Event::new()
            .uid(&format!(
                "release-{}-{}@{host}",
                r.id,
                milestone_key(m.kind)
            ))
            .summary(&summary)
            .all_day(m.date)
            .status(status)
            .done();
        cal.push(event);
    }
}

/// The whole feed: every release's milestones (a year back and onwards) and
/// the maintenance windows from 90 days back to the generation horizon.
pub async fn feed(
    pool: &PgPool,
    tz: Tz,
    now: DateTime<Utc>,
    host: &str,
) -> Result<String, sqlx::Error> {
    let s = store::settings(pool).await?;
    let today = now.with_timezone(&tz).date_naive();
    let releases = store::between(
        pool,
        tz,
        &s.calendar,
        now,
        today - TimeDelta::days(366),
        today + TimeDelta::days(366 * 5),
    )
    .await?;
    let mws = windows(
        pool,
        now - TimeDelta::days(90),
        now + TimeDelta::days(31 * 37),
    )
    .await?;
    let mut cal = icalendar::Calendar::new();
    cal.name("opsdeck releases and maintenance")
        .timezone(tz.name());
    for r in &releases {
        release_events(r, host, &mut cal);
    }
    for w in &mws {
        let summary = if w.reason.is_empty() {
            "計画メンテナンス / planned maintenance".to_string()
        } else {
            format!("計画メンテナンス / planned maintenance: {}", w.reason)
        };
        let event = icalendar::Event::new()
            .uid(&uid("maintenance", w.id, host))
            .summary(&summary)
            .starts(w.starts_at)
            .ends(w.ends_at)
            .sequence(u32::try_from(w.revision).unwrap_or(0))
            .status(if w.status == "cancelled" {
                EventStatus::Cancelled
            } else {
                EventStatus::Confirmed
            })
            .done();
        cal.push(event);
    }
    Ok(cal.done().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_rel_3_grid_is_whole_weeks_monday_first() {
        let (s, e) = grid_bounds(2026, 11).expect("valid month");
        assert_eq!(s, NaiveDate::from_ymd_opt(2026, 10, 26).expect("date"));
        assert_eq!(e, NaiveDate::from_ymd_opt(2026, 12, 6).expect("date"));
        assert_eq!(s.weekday(), chrono::Weekday::Mon);
        assert_eq!(e.weekday(), chrono::Weekday::Sun);
        let (s, e) = grid_bounds(2026, 12).expect("valid month");
        assert_eq!(s, NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"));
        assert_eq!(e, NaiveDate::from_ymd_opt(2027, 1, 3).expect("date"));
        assert!(grid_bounds(2026, 13).is_none());
    }
}
