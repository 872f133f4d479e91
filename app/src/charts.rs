//! Time charts drawn by plotters as SVG on the server (UX "Charts"; R-SLA-5,
//! R-MON-2's metrics view): lines, dashed lines, steps or bars over a time
//! axis, with labelled horizontal target / threshold lines and axis units.
//! One chart, or several stacked in one SVG (one panel per class, say).
//!
//! The SVG goes into the page with `inner_html`, so every text in it is
//! cleaned here (control characters dropped, length capped) and plotters
//! escapes `<`, `>`, `&` and quotes in text and attributes; still, callers
//! should put only their own words (message tables, numbers) into labels.
//!
//! ```text
//! let svg = charts::render(&Chart {
//!     x: TimeAxis::days(month_start, month_end, tz),
//!     y: ValueAxis::new("%", percent).range(99.0, 100.0),
//!     series: vec![Series::bars("availability", palette::BLUE, points, TimeDelta::days(1))],
//!     thresholds: vec![Threshold::new("target 99.9 %", 99.9, palette::RED)],
//!     ..Chart::default()
//! });
//! ```

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use plotters::coord::Shift;
use plotters::prelude::*;

/// A colour as red, green, blue.
pub type Rgb = (u8, u8, u8);

/// Colours that read apart for colour-blind people and in grey print
/// (Okabe–Ito), plus the status red used for limits.
pub mod palette {
    use super::Rgb;
    pub const BLUE: Rgb = (0, 114, 178);
    pub const ORANGE: Rgb = (213, 94, 0);
    pub const GREEN: Rgb = (0, 158, 115);
    pub const PURPLE: Rgb = (204, 121, 167);
    pub const SKY: Rgb = (86, 180, 233);
    pub const YELLOW: Rgb = (230, 159, 0);
    pub const GREY: Rgb = (87, 96, 106);
    pub const RED: Rgb = (190, 30, 45);
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mark {
    /// A solid line through the points; a `None` value breaks it.
    Line,
    /// A dashed line (forecasts, ideal paths).
    Dashed,
    /// A step line: each value holds until the next point.
    Step,
    /// One bar per point, from the point's time for `width`, up from the
    /// axis minimum (or zero, when the axis includes it).
    Bars { width: TimeDelta },
}

/// One series of (time, value) points; `None` is a gap.
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub colour: Rgb,
    pub mark: Mark,
    pub points: Vec<(DateTime<Utc>, Option<f64>)>,
}

impl Series {
    pub fn line(
        label: impl Into<String>,
        colour: Rgb,
        points: Vec<(DateTime<Utc>, Option<f64>)>,
    ) -> Self {
        Self {
            label: label.into(),
            colour,
            mark: Mark::Line,
            points,
        }
    }

    pub fn with_mark(mut self, mark: Mark) -> Self {
        self.mark = mark;
        self
    }

    pub fn bars(
        label: impl Into<String>,
        colour: Rgb,
        points: Vec<(DateTime<Utc>, Option<f64>)>,
        width: TimeDelta,
    ) -> Self {
        Self::line(label, colour, points).with_mark(Mark::Bars { width })
    }
}

/// A horizontal line at a target or threshold, labelled at its right end.
#[derive(Debug, Clone)]
pub struct Threshold {
    pub label: String,
    pub value: f64,
    pub colour: Rgb,
}

impl Threshold {
    pub fn new(label: impl Into<String>, value: f64, colour: Rgb) -> Self {
        Self {
            label: label.into(),
            value,
            colour,
        }
    }
}

/// The time axis: `[start, end)`, ticks written in `tz` with a chrono format.
#[derive(Debug, Clone)]
pub struct TimeAxis {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub tz: Tz,
    /// chrono format of a tick ("%-d" for days of a month, "%H:%M" for hours).
    pub tick_format: &'static str,
    /// About how many ticks.
    pub ticks: usize,
    /// The axis' description (unit or "day of month"); may be empty.
    pub label: String,
    /// The unit ticks are counted in (a day, an hour), so they fall on
    /// whole units.
    pub unit: TimeDelta,
    /// The axis value at `start` (½ for the days of a month, so that day 1
    /// is centred on 1).
    pub origin: f64,
}

impl TimeAxis {
    /// Days of a month (ticks are day numbers).
    pub fn days(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> Self {
        Self {
            start,
            end,
            tz,
            tick_format: "%-d",
            ticks: 16,
            label: String::new(),
            unit: TimeDelta::days(1),
            // Day d runs from d − ½ to d + ½: its number sits under its middle.
            origin: 0.5,
        }
    }

    /// A span of hours (ticks are local times).
    pub fn hours(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> Self {
        Self {
            start,
            end,
            tz,
            tick_format: "%H:%M",
            ticks: 8,
            label: String::new(),
            unit: TimeDelta::hours(1),
            origin: 0.0,
        }
    }

    pub fn labelled(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    fn unit_ms(&self) -> f64 {
        self.unit.num_milliseconds().max(1) as f64
    }

    /// The axis range.
    fn range(&self) -> (f64, f64) {
        let span = (self.end - self.start).num_milliseconds().max(1) as f64;
        (self.origin, self.origin + span / self.unit_ms())
    }

    fn x(&self, t: DateTime<Utc>) -> f64 {
        self.origin + (t - self.start).num_milliseconds() as f64 / self.unit_ms()
    }

    fn time(&self, x: f64) -> DateTime<Utc> {
        self.start + TimeDelta::milliseconds(((x - self.origin) * self.unit_ms()) as i64)
    }
}

/// The value axis: its unit and how a tick is written; the range follows
/// the data and the thresholds unless set.
#[derive(Debug, Clone)]
pub struct ValueAxis {
    pub label: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub format: fn(f64) -> String,
}

impl ValueAxis {
    pub fn new(label: impl Into<String>, format: fn(f64) -> String) -> Self {
        Self {
            label: label.into(),
            min: None,
            max: None,
            format,
        }
    }

    pub fn range(mut self, min: f64, max: f64) -> Self {
        self.min = Some(min);
        self.max = Some(max);
        self
    }

    pub fn from_zero(mut self) -> Self {
        self.min = Some(0.0);
        self
    }
}

fn plain(v: f64) -> String {
    format!("{v}")
}

impl Default for ValueAxis {
    fn default() -> Self {
        Self::new("", plain)
    }
}

/// One chart (or one panel of a stack).
#[derive(Debug, Clone)]
pub struct Chart {
    /// Drawn above the plot; may be empty (the page's heading names the chart).
    pub title: String,
    pub x: TimeAxis,
    pub y: ValueAxis,
    pub series: Vec<Series>,
    pub thresholds: Vec<Threshold>,
    /// Width and height in SVG units (the page scales the SVG to its box).
    pub size: (u32, u32),
}

impl Default for Chart {
    fn default() -> Self {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        Self {
            title: String::new(),
            x: TimeAxis::days(now, now + TimeDelta::days(1), Tz::UTC),
            y: ValueAxis::default(),
            series: Vec::new(),
            thresholds: Vec::new(),
            size: (720, 280),
        }
    }
}

/// Why a chart was not drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("chart not drawn: {0}")]
pub struct ChartError(String);

fn err<E: std::fmt::Display>(e: E) -> ChartError {
    ChartError(e.to_string())
}

/// The longest label kept; longer ones are cut with "…".
const LABEL_MAX_CHARS: usize = 60;

/// A label fit for the SVG: no control characters, at most 60 characters.
pub fn clean_label(s: &str) -> String {
    let kept: String = s.chars().filter(|c| !c.is_control()).collect();
    if kept.chars().count() <= LABEL_MAX_CHARS {
        kept
    } else {
        let cut: String = kept.chars().take(LABEL_MAX_CHARS - 1).collect();
        format!("{cut}…")
    }
}

/// The chart as an SVG document, or an empty string when it could not be
/// drawn (logged once, here).
pub fn render(chart: &Chart) -> String {
    render_stack(std::slice::from_ref(chart))
}

/// Several charts stacked top to bottom in one SVG (each keeps its own
/// height); an empty string when they could not be drawn (logged).
pub fn render_stack(charts: &[Chart]) -> String {
    match try_render_stack(charts) {
        Ok(svg) => svg,
        Err(e) => {
            tracing::error!(error = %e, "chart not drawn");
            String::new()
        }
    }
}

/// Like [`render_stack`], with the error.
pub fn try_render_stack(charts: &[Chart]) -> Result<String, ChartError> {
    let width = charts.iter().map(|c| c.size.0).max().unwrap_or(720).max(1);
    let height: u32 = charts.iter().map(|c| c.size.1.max(1)).sum::<u32>().max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut rest = root.clone();
        for chart in charts {
            let (area, below) = rest.split_vertically(chart.size.1.max(1));
            draw(&area, chart)?;
            rest = below;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

fn rgb((r, g, b): Rgb) -> RGBColor {
    RGBColor(r, g, b)
}

/// The value range: the axis' own bounds, else the data and thresholds with
/// a tenth of headroom; never empty.
fn value_range(chart: &Chart) -> (f64, f64) {
    let values = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().filter_map(|p| p.1))
        .chain(chart.thresholds.iter().map(|t| t.value))
        .filter(|v| v.is_finite());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.01).max(1e-9);
    let min = chart.y.min.unwrap_or(if lo >= 0.0 && lo - pad < 0.0 {
        0.0
    } else {
        lo - pad
    });
    let max = chart.y.max.unwrap_or(hi + pad);
    if max > min {
        (min, max)
    } else {
        (min, min + 1.0)
    }
}

/// Runs of consecutive `Some` points.
fn segments(points: &[(f64, Option<f64>)]) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    for &(x, v) in points {
        match v.filter(|v| v.is_finite()) {
            Some(v) => current.push((x, v)),
            None if !current.is_empty() => out.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn draw(area: &DrawingArea<SVGBackend<'_>, Shift>, chart: &Chart) -> Result<(), ChartError> {
    let (x_min, x_max) = chart.x.range();
    let (y_min, y_max) = value_range(chart);
    let title = clean_label(&chart.title);
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(10)
        .margin_right(24)
        .x_label_area_size(34)
        .y_label_area_size(64);
    if !title.is_empty() {
        builder.caption(title, ("sans-serif", 15));
    }
    let mut ctx = builder
        .build_cartesian_2d(x_min..x_max, y_min..y_max)
        .map_err(err)?;
    let axis = chart.x.clone();
    let x_fmt = move |v: &f64| {
        axis.time(*v)
            .with_timezone(&axis.tz)
            .format(axis.tick_format)
            .to_string()
    };
    let y_fmt = chart.y.format;
    ctx.configure_mesh()
        .light_line_style(RGBColor(238, 240, 242))
        .bold_line_style(RGBColor(216, 222, 228))
        .x_labels(chart.x.ticks.max(2))
        .y_labels(6)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&|v: &f64| y_fmt(*v))
        .x_desc(clean_label(&chart.x.label))
        .y_desc(clean_label(&chart.y.label))
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(err)?;

    let base = if y_min <= 0.0 && y_max >= 0.0 {
        0.0
    } else {
        y_min
    };
    let mut labelled = 0;
    for s in &chart.series {
        let colour = rgb(s.colour);
        let points: Vec<(f64, Option<f64>)> = s
            .points
            .iter()
            .map(|(t, v)| (chart.x.x(*t), v.map(|v| v.clamp(y_min, y_max))))
            .collect();
        let label = clean_label(&s.label);
        let legend = move |(x, y): (i32, i32)| {
            PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(3))
        };
        let mut first = true;
        match s.mark {
            Mark::Bars { width } => {
                let w = width.num_milliseconds() as f64 / chart.x.unit_ms();
                let bars = points.iter().filter_map(|&(x, v)| {
                    v.map(|v| {
                        Rectangle::new(
                            [(x + w * 0.1, base), ((x + w * 0.9).min(x_max), v)],
                            colour.filled(),
                        )
                    })
                });
                let drawn = ctx.draw_series(bars).map_err(err)?;
                if !label.is_empty() {
                    drawn.label(label.clone()).legend(legend);
                    labelled += 1;
                }
            }
            mark => {
                for seg in segments(&points) {
                    let seg = if mark == Mark::Step {
                        steps(&seg, x_max)
                    } else {
                        seg
                    };
                    let style = colour.stroke_width(2);
                    // A lone point has no line to be part of: a dot shows it.
                    let drawn = if seg.len() == 1 {
                        ctx.draw_series(seg.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                            .map_err(err)?
                    } else if mark == Mark::Dashed {
                        ctx.draw_series(DashedLineSeries::new(seg, 6, 4, style))
                            .map_err(err)?
                    } else {
                        ctx.draw_series(LineSeries::new(seg, style)).map_err(err)?
                    };
                    if first && !label.is_empty() {
                        drawn.label(label.clone()).legend(legend);
                        labelled += 1;
                    }
                    first = false;
                }
            }
        }
    }

    let font = ("sans-serif", 12).into_font();
    for t in &chart.thresholds {
        if !t.value.is_finite() || t.value < y_min || t.value > y_max {
            continue;
        }
        let colour = rgb(t.colour);
        ctx.draw_series(DashedLineSeries::new(
            vec![(x_min, t.value), (x_max, t.value)],
            8,
            4,
            colour.stroke_width(2),
        ))
        .map_err(err)?;
        // Written just above the line at its right end (below it when the
        // line is at the top of the plot). Text is anchored at its top left.
        let text = clean_label(&t.label);
        let (plot_w, plot_h) = ctx.plotting_area().dim_in_pixel();
        let y_per_px = (y_max - y_min) / f64::from(plot_h.max(1));
        let x_per_px = (x_max - x_min) / f64::from(plot_w.max(1));
        let above = t.value + 16.0 * y_per_px;
        let at_y = if above <= y_max {
            above
        } else {
            t.value - 3.0 * y_per_px
        };
        // Wide characters (Japanese) take about twice the width.
        let text_px: f64 = text
            .chars()
            .map(|c| if c.is_ascii() { 7.0 } else { 13.0 })
            .sum::<f64>()
            + 6.0;
        let x_at = (x_max - text_px * x_per_px).max(x_min);
        // On a white ground, so it reads over bars and lines.
        ctx.draw_series(std::iter::once(Rectangle::new(
            [
                (x_at - 2.0 * x_per_px, at_y + 1.0 * y_per_px),
                (x_max, at_y - 14.0 * y_per_px),
            ],
            WHITE.mix(0.85).filled(),
        )))
        .map_err(err)?;
        ctx.draw_series(std::iter::once(Text::new(
            text,
            (x_at, at_y),
            font.clone().color(&colour),
        )))
        .map_err(err)?;
    }

    if labelled >= 2 {
        let position = legend_corner(chart, (x_min, x_max), (y_min, y_max));
        ctx.configure_series_labels()
            .position(position)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(216, 222, 228))
            .label_font(("sans-serif", 12))
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

/// The corner of the plot the legend covers least data in: the left ones
/// first (threshold labels sit at the right end of their lines).
fn legend_corner(chart: &Chart, (x0, x1): (f64, f64), (y0, y1): (f64, f64)) -> SeriesLabelPosition {
    let mut counts = [0usize; 4]; // upper left, lower left, upper right, lower right
    let points = chart.series.iter().flat_map(|s| {
        s.points
            .iter()
            .filter_map(|(t, v)| v.map(|v| (chart.x.x(*t), v)))
    });
    for (x, y) in points {
        let fx = (x - x0) / (x1 - x0).max(f64::MIN_POSITIVE);
        let fy = (y - y0) / (y1 - y0).max(f64::MIN_POSITIVE);
        // The legend box takes about a third of the width and height.
        let left = fx < 0.35;
        let right = fx > 0.65;
        let upper = fy > 0.6;
        let lower = fy < 0.4;
        for (i, hit) in [left && upper, left && lower, right && upper, right && lower]
            .into_iter()
            .enumerate()
        {
            counts[i] += usize::from(hit);
        }
    }
    let upper_right_labels = chart
        .thresholds
        .iter()
        .filter(|t| (t.value - y0) / (y1 - y0).max(f64::MIN_POSITIVE) > 0.5)
        .count();
    counts[2] += upper_right_labels * 1000;
    counts[3] += (chart.thresholds.len() - upper_right_labels) * 1000;
    let best = (0..4).min_by_key(|&i| counts[i]).unwrap_or(1);
    match best {
        0 => SeriesLabelPosition::UpperLeft,
        2 => SeriesLabelPosition::UpperRight,
        3 => SeriesLabelPosition::LowerRight,
        _ => SeriesLabelPosition::LowerLeft,
    }
}

/// A step path through `points`: each value holds until the next point
/// (the last until the axis' end).
fn steps(points: &[(f64, f64)], x_end: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2 + 1);
    for (i, &(x, y)) in points.iter().enumerate() {
        if i > 0 {
            out.push((x, points[i - 1].1));
        }
        out.push((x, y));
    }
    if let Some(&(x, y)) = points.last() {
        if x < x_end {
            out.push((x_end, y));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 4, d, 0, 0, 0).unwrap()
    }

    fn sample() -> Chart {
        Chart {
            x: TimeAxis::days(day(1), day(30) + TimeDelta::days(1), chrono_tz::Asia::Tokyo),
            y: ValueAxis::new("%", |v| format!("{v:.2}")),
            series: vec![
                Series::bars(
                    "availability",
                    palette::BLUE,
                    (1..=10)
                        .map(|d| (day(d), Some(99.5 + f64::from(d) / 20.0)))
                        .collect(),
                    TimeDelta::days(1),
                ),
                Series::line(
                    "p95",
                    palette::ORANGE,
                    vec![(day(1), Some(99.7)), (day(2), None), (day(3), Some(99.8))],
                ),
            ],
            thresholds: vec![Threshold::new("target 99.9 %", 99.9, palette::RED)],
            ..Chart::default()
        }
    }

    #[test]
    fn draws_series_thresholds_and_labels() {
        let svg = render(&sample());
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("viewBox"));
        assert!(svg.contains("target 99.9 %"), "the target line is labelled");
        assert!(
            svg.contains("availability") && svg.contains("p95"),
            "legend"
        );
        assert!(svg.contains("<rect"), "bars");
    }

    #[test]
    fn label_text_is_escaped_and_cleaned() {
        let mut c = sample();
        c.title = "<script>alert(1)</script>".into();
        c.series[0].label = "a\u{0007}&b\"".into();
        c.thresholds[0].label = "<img src=x onerror=alert(1)>".into();
        let svg = render(&c);
        assert!(!svg.contains("<script"), "{svg}");
        assert!(!svg.contains("<img"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("a&amp;b&quot;"));
        assert!(!svg.contains('\u{0007}'));
        assert_eq!(
            clean_label(&"x".repeat(100)).chars().count(),
            LABEL_MAX_CHARS
        );
    }

    #[test]
    fn stacked_panels_share_one_svg_and_empty_data_still_draws() {
        let mut empty = sample();
        empty.series.clear();
        empty.thresholds.clear();
        let svg = render_stack(&[sample(), empty]);
        assert!(
            svg.starts_with("<svg width=\"720\" height=\"560\""),
            "{}",
            &svg[..80]
        );
        assert_eq!(svg.matches("<svg").count(), 1);
    }

    #[test]
    fn gaps_break_lines_and_steps_hold_values() {
        let s = segments(&[
            (0.0, Some(1.0)),
            (1.0, None),
            (2.0, Some(2.0)),
            (3.0, Some(3.0)),
        ]);
        assert_eq!(s, vec![vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]);
        assert_eq!(
            steps(&[(0.0, 1.0), (2.0, 3.0)], 4.0),
            vec![(0.0, 1.0), (2.0, 1.0), (2.0, 3.0), (4.0, 3.0)]
        );
    }

    #[test]
    fn the_range_holds_data_and_thresholds() {
        let (lo, hi) = value_range(&sample());
        assert!(lo <= 99.55 && hi >= 100.0);
        let mut c = sample();
        c.y = c.y.range(0.0, 5.0);
        assert_eq!(value_range(&c), (0.0, 5.0));
    }
}
