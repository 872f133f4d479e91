//! The SLA page's four charts (R-SLA-5), drawn with the shared
//! [`crate::charts`] module: availability per day against the target,
//! p50/p95/p99 per request class against its target, the error ratios
//! against theirs, and the error budget's burn-down over the month. Every
//! label is a message-table text or a number.

use crate::charts::{
    palette, render, render_stack, Chart, Mark, Series, Threshold, TimeAxis, ValueAxis,
};
use crate::i18n::Lang;
use crate::model::sla::{ppm_percent, SlaCharts, SlaMonthView};
use crate::pages::sla::msg::{fill, SlaMsg as M};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

const WIDTH: u32 = 720;

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn pct2(v: f64) -> String {
    trim(format!("{v:.2}"))
}

fn pct4(v: f64) -> String {
    trim(format!("{v:.4}"))
}

fn whole(v: f64) -> String {
    format!("{v:.0}")
}

fn one_decimal(v: f64) -> String {
    trim(format!("{v:.1}"))
}

fn class_label(class: &str, lang: Lang) -> &'static str {
    match class {
        "api" => M::ClassApi.text(lang),
        "page" => M::ClassPage.text(lang),
        _ => M::ClassSearch.text(lang),
    }
}

fn error_label(kind: &str, lang: Lang) -> &'static str {
    match kind {
        "5xx" => M::Kind5xx.text(lang),
        "4xx" => M::Kind4xx.text(lang),
        _ => M::KindTimeout.text(lang),
    }
}

fn target_label(value: &str, lang: Lang) -> String {
    fill(M::TargetLine.text(lang), &[("v", value)])
}

/// Where a day's value is drawn on a line: the middle of the day, above its number.
fn midday(d: &crate::model::sla::DayRow) -> DateTime<Utc> {
    d.starts_at + TimeDelta::hours(12)
}

fn days_axis(v: &SlaMonthView, tz: Tz, lang: Lang) -> TimeAxis {
    TimeAxis::days(v.period_start, v.period_end, tz).labelled(M::AxisDay.text(lang))
}

/// Draws the four charts of a report in `lang`.
pub fn draw(v: &SlaMonthView, tz: Tz, lang: Lang) -> SlaCharts {
    SlaCharts {
        availability: render(&availability(v, tz, lang)),
        latency: render_stack(&latency(v, tz, lang)),
        errors: render_stack(&errors(v, tz, lang)),
        burn_down: render(&burn_down(v, tz, lang)),
    }
}

fn availability(v: &SlaMonthView, tz: Tz, lang: Lang) -> Chart {
    let target = f64::from(v.settings.target_ppm) / 10_000.0;
    let points: Vec<(DateTime<Utc>, Option<f64>)> = v
        .days
        .iter()
        .map(|d| {
            (
                d.starts_at,
                d.availability_ppm.map(|p| f64::from(p) / 10_000.0),
            )
        })
        .collect();
    // Zoom on the part that matters: from a little below the lowest day (or
    // the target) up to 100 %.
    let lowest = points.iter().filter_map(|p| p.1).fold(target, f64::min);
    let span = (100.0 - lowest).max(0.05);
    let y_min = (lowest - span * 0.5).max(0.0);
    Chart {
        x: days_axis(v, tz, lang),
        y: ValueAxis::new(M::AxisPercent.text(lang), pct2).range(y_min, 100.0 + span * 0.05),
        series: vec![Series::bars(
            M::SeriesAvailability.text(lang),
            palette::BLUE,
            points,
            TimeDelta::days(1),
        )],
        thresholds: vec![Threshold::new(
            target_label(
                &format!("{} %", ppm_percent(u64::from(v.settings.target_ppm))),
                lang,
            ),
            target,
            palette::RED,
        )],
        size: (WIDTH, 260),
        ..Chart::default()
    }
}

fn latency(v: &SlaMonthView, tz: Tz, lang: Lang) -> Vec<Chart> {
    let q = (v.settings.latency_quantile * 100.0).round();
    ["api", "page", "search"]
        .into_iter()
        .enumerate()
        .map(|(i, class)| {
            let per_day = |pick: fn(&crate::model::sla::LatencyRow) -> Option<f64>| {
                v.days
                    .iter()
                    .map(|d| (midday(d), d.latency.get(i).and_then(pick)))
                    .collect::<Vec<_>>()
            };
            let target = v
                .latency
                .get(i)
                .map(|r| r.target_ms)
                .unwrap_or(match class {
                    "api" => v.settings.api_ms,
                    "page" => v.settings.page_ms,
                    _ => v.settings.search_ms,
                });
            Chart {
                title: class_label(class, lang).to_string(),
                x: days_axis(v, tz, lang),
                y: ValueAxis::new(M::AxisMs.text(lang), whole).from_zero(),
                series: vec![
                    Series::line("p50", palette::SKY, per_day(|r| r.p50_ms)),
                    Series::line("p95", palette::BLUE, per_day(|r| r.p95_ms)),
                    Series::line("p99", palette::PURPLE, per_day(|r| r.p99_ms)),
                ],
                thresholds: vec![Threshold::new(
                    target_label(&format!("p{q} < {} ms", whole(target)), lang),
                    target,
                    palette::RED,
                )],
                size: (WIDTH, 220),
            }
        })
        .collect()
}

fn errors(v: &SlaMonthView, tz: Tz, lang: Lang) -> Vec<Chart> {
    let targets = [
        ("5xx", v.settings.max_5xx_ppm, palette::ORANGE),
        ("4xx", v.settings.max_4xx_ppm, palette::YELLOW),
        ("timeout", v.settings.max_timeout_ppm, palette::PURPLE),
    ];
    targets
        .into_iter()
        .enumerate()
        .map(|(i, (kind, target_ppm, colour))| {
            let points = v
                .days
                .iter()
                .map(|d| {
                    let ratio = d
                        .errors
                        .get(i)
                        .filter(|e| e.total > 0)
                        .map(|e| e.count as f64 / e.total as f64 * 100.0);
                    (midday(d), ratio)
                })
                .collect();
            Chart {
                title: error_label(kind, lang).to_string(),
                x: days_axis(v, tz, lang),
                y: ValueAxis::new(M::AxisPercent.text(lang), pct4).from_zero(),
                series: vec![Series::line(error_label(kind, lang), colour, points)],
                thresholds: vec![Threshold::new(
                    target_label(&format!("< {} %", ppm_percent(u64::from(target_ppm))), lang),
                    f64::from(target_ppm) / 10_000.0,
                    palette::RED,
                )],
                size: (WIDTH, 200),
            }
        })
        .collect()
}

fn burn_down(v: &SlaMonthView, tz: Tz, lang: Lang) -> Chart {
    let allowed = v.figures.allowed_downtime_millis as f64 / 60_000.0;
    let mut points = vec![(v.period_start, Some(allowed))];
    let mut used = 0u64;
    for (i, d) in v.days.iter().enumerate() {
        if d.starts_at >= v.as_of {
            break;
        }
        used += d.used_minutes;
        let end = v.days.get(i + 1).map_or(v.period_end, |n| n.starts_at);
        let end = if d.pending_minutes > 0 {
            v.as_of.min(end)
        } else {
            end
        };
        points.push((end, Some(allowed - used as f64)));
    }
    Chart {
        x: days_axis(v, tz, lang),
        y: ValueAxis::new(M::AxisMinutes.text(lang), one_decimal),
        series: vec![
            Series::line(
                M::SeriesEvenBurn.text(lang),
                palette::GREY,
                vec![(v.period_start, Some(allowed)), (v.period_end, Some(0.0))],
            )
            .with_mark(Mark::Dashed),
            Series::line(M::SeriesRemaining.text(lang), palette::BLUE, points),
        ],
        thresholds: vec![Threshold::new(
            M::BudgetExhausted.text(lang),
            0.0,
            palette::RED,
        )],
        size: (WIDTH, 260),
        ..Chart::default()
    }
}
