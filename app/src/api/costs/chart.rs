//! The budget chart (R-COST-2, UX "Charts"): cumulative daily spend against
//! the budget, its threshold lines and the forecast, drawn by plotters as SVG
//! on the server. Every label is a number or a currency code checked to be
//! three capital letters; no user text (service names) goes into the SVG.

use opsdeck::costs::Cents;
use plotters::prelude::*;

/// What the chart shows.
#[derive(Debug, Clone)]
pub struct ChartInput<'a> {
    pub days_in_month: u32,
    /// Cumulative spend at the end of each day, day 1 first, up to the day the figures are as of.
    pub cumulative: &'a [Cents],
    pub budget: Cents,
    /// Threshold percents.
    pub thresholds: &'a [u32],
    /// The forecast at the month end, drawn from the last actual day (current month only).
    pub forecast: Option<Cents>,
    /// Three capital letters (checked by the database and again here).
    pub currency: &'a str,
}

const WIDTH: u32 = 640;
const HEIGHT: u32 = 300;

fn units(c: Cents) -> f64 {
    c.0 as f64 / 100.0
}

/// The chart as an SVG document, or an empty string if it could not be drawn (logged).
pub fn render(input: &ChartInput<'_>) -> String {
    match draw(input) {
        Ok(svg) => svg,
        Err(e) => {
            tracing::error!(error = %e, "budget chart not drawn");
            String::new()
        }
    }
}

fn draw(input: &ChartInput<'_>) -> Result<String, String> {
    let days = f64::from(input.days_in_month.max(1));
    let budget = units(input.budget);
    let top_threshold = input
        .thresholds
        .iter()
        .copied()
        .max()
        .unwrap_or(100)
        .max(100);
    let highest = input
        .cumulative
        .iter()
        .map(|c| units(*c))
        .chain(input.forecast.map(units))
        .fold(budget * f64::from(top_threshold) / 100.0, f64::max);
    let y_max = (highest * 1.1).max(1.0);
    let y_min = input
        .cumulative
        .iter()
        .map(|c| units(*c))
        .fold(0.0, f64::min);
    let currency =
        if input.currency.len() == 3 && input.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            input.currency
        } else {
            ""
        };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..days, y_min..y_max)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_labels(8)
            .y_labels(6)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .y_desc(currency)
            .draw()
            .map_err(|e| e.to_string())?;
        let font = ("sans-serif", 12).into_font();
        // Thresholds: dashed, labelled with their percent at the right.
        for &p in input.thresholds {
            let y = budget * f64::from(p) / 100.0;
            let colour = if p >= 100 {
                RGBColor(190, 30, 45)
            } else {
                RGBColor(200, 120, 0)
            };
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(0.0, y), (days, y)],
                    6,
                    4,
                    colour.stroke_width(1),
                ))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{p} %"),
                    (days * 0.93, y),
                    font.clone().color(&colour),
                )))
                .map_err(|e| e.to_string())?;
        }
        // The budget itself: a solid line.
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, budget), (days, budget)],
                RGBColor(190, 30, 45).stroke_width(2),
            ))
            .map_err(|e| e.to_string())?;
        // Actual cumulative spend, from zero before day 1.
        let actual: Vec<(f64, f64)> = std::iter::once((0.0, 0.0))
            .chain(
                input
                    .cumulative
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (i as f64 + 1.0, units(*c))),
            )
            .collect();
        chart
            .draw_series(LineSeries::new(
                actual.clone(),
                RGBColor(31, 111, 235).stroke_width(3),
            ))
            .map_err(|e| e.to_string())?;
        if let (Some(forecast), Some(&last)) = (input.forecast, actual.last()) {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![last, (days, units(forecast))],
                    8,
                    5,
                    RGBColor(87, 96, 106).stroke_width(2),
                ))
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_budget_thresholds_and_forecast_with_numbers_only() {
        let cumulative: Vec<Cents> = (1..=10).map(|d| Cents(d * 1_500)).collect();
        let svg = render(&ChartInput {
            days_in_month: 30,
            cumulative: &cumulative,
            budget: Cents(50_000),
            thresholds: &[80, 90, 100],
            forecast: Some(Cents(45_000)),
            currency: "USD",
        });
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("80 %") && svg.contains("100 %"));
        assert!(svg.contains("USD"));
        assert!(!svg.contains("<script"));
    }

    #[test]
    fn a_bad_currency_never_reaches_the_svg() {
        let svg = render(&ChartInput {
            days_in_month: 31,
            cumulative: &[],
            budget: Cents(50_000),
            thresholds: &[],
            forecast: None,
            currency: "<b>",
        });
        assert!(svg.starts_with("<svg"));
        assert!(!svg.contains("<b>"));
    }
}
