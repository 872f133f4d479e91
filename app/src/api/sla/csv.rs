//! The monthly SLA report as CSV (R-SLA-5): the same [`SlaMonthView`] the
//! page shows, written with the same number formats (`model::sla`), in four
//! blocks separated by an empty line — the summary (`field,value,target,verdict`),
//! the daily table, the exclusions ledger and the outages. Column names are
//! English and stable, for spreadsheets and scripts.

use crate::model::sla::{
    burn_rate_text, latency_ms, millis_minutes, ppm_percent, ratio_percent, ErrorRow,
    ExclusionKind, LatencyRow, SlaMonthView,
};

/// A cell of user-written text that a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@`, tab, carriage return first) is prefixed with `'`.
fn text_cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "missed",
        None => "",
    }
}

fn opt(v: Option<String>) -> String {
    v.unwrap_or_default()
}

fn kind(k: ExclusionKind) -> &'static str {
    k.as_str()
}

fn latency_cells(r: Option<&LatencyRow>) -> String {
    opt(r.and_then(|r| r.p95_ms).map(latency_ms))
}

fn ratio_cell(r: Option<&ErrorRow>) -> String {
    opt(r.and_then(|r| ratio_percent(r.count, r.total)))
}

/// The report as CSV text.
pub fn write(v: &SlaMonthView) -> Result<String, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let f = &v.figures;
    let target = ppm_percent(u64::from(v.settings.target_ppm));
    w.write_record(["field", "value", "target", "verdict"])?;
    let month = v.key();
    let as_of = v.as_of.to_rfc3339();
    let summary: Vec<[String; 4]> = vec![
        [
            "environment".into(),
            v.environment.clone(),
            String::new(),
            String::new(),
        ],
        ["month".into(), month, String::new(), String::new()],
        [
            "time_zone".into(),
            v.time_zone.clone(),
            String::new(),
            String::new(),
        ],
        ["as_of".into(), as_of, String::new(), String::new()],
        [
            "complete".into(),
            v.complete.to_string(),
            String::new(),
            String::new(),
        ],
        [
            "availability_percent".into(),
            opt(f.availability_ppm.map(|p| ppm_percent(u64::from(p)))),
            target.clone(),
            verdict(Some(f.target_met)).into(),
        ],
        [
            "allowed_downtime_minutes".into(),
            millis_minutes(i64::try_from(f.allowed_downtime_millis).unwrap_or(i64::MAX)),
            String::new(),
            String::new(),
        ],
        [
            "used_downtime_minutes".into(),
            millis_minutes(i64::try_from(f.used_millis).unwrap_or(i64::MAX)),
            String::new(),
            String::new(),
        ],
        [
            "remaining_downtime_minutes".into(),
            millis_minutes(f.remaining_millis),
            String::new(),
            String::new(),
        ],
        [
            "burn_rate".into(),
            opt(v.burn_rate.map(burn_rate_text)),
            String::new(),
            String::new(),
        ],
        [
            "month_minutes".into(),
            f.month_minutes.to_string(),
            String::new(),
            String::new(),
        ],
        [
            "excluded_minutes".into(),
            f.excluded_minutes.to_string(),
            String::new(),
            String::new(),
        ],
        [
            "no_data_minutes".into(),
            f.no_data_minutes.to_string(),
            String::new(),
            String::new(),
        ],
        [
            "pending_minutes".into(),
            f.pending_minutes.to_string(),
            String::new(),
            String::new(),
        ],
        [
            "down_minutes".into(),
            f.down_minutes.to_string(),
            String::new(),
            String::new(),
        ],
        [
            "eligible_minutes".into(),
            f.eligible_minutes.to_string(),
            String::new(),
            String::new(),
        ],
        [
            "used_minutes".into(),
            f.used_minutes.to_string(),
            String::new(),
            String::new(),
        ],
        [
            "target_met_if_no_data_down".into(),
            f.target_met_if_no_data_down.to_string(),
            String::new(),
            String::new(),
        ],
    ];
    for r in &summary {
        w.write_record(r)?;
    }
    let q = (v.settings.latency_quantile * 100.0).round();
    for r in &v.latency {
        w.write_record([
            format!("{}_p{q}_ms", r.class),
            opt(r.actual_ms.map(latency_ms)),
            latency_ms(r.target_ms),
            verdict(r.met).to_string(),
        ])?;
        w.write_record([
            format!("{}_requests", r.class),
            r.requests.to_string(),
            String::new(),
            String::new(),
        ])?;
    }
    for r in &v.errors {
        w.write_record([
            format!("{}_percent", r.kind),
            opt(ratio_percent(r.count, r.total)),
            ppm_percent(u64::from(r.target_ppm)),
            verdict(r.met).to_string(),
        ])?;
    }

    w.write_record([""])?;
    w.write_record([
        "date",
        "minutes",
        "excluded_minutes",
        "no_data_minutes",
        "pending_minutes",
        "down_minutes",
        "eligible_minutes",
        "used_minutes",
        "availability_percent",
        "availability_verdict",
        "api_p95_ms",
        "page_p95_ms",
        "search_p95_ms",
        "requests",
        "5xx_percent",
        "4xx_percent",
        "timeout_percent",
    ])?;
    for d in &v.days {
        let requests: u64 = d.latency.iter().map(|r| r.requests).sum();
        w.write_record([
            d.date.to_string(),
            d.minutes.to_string(),
            d.excluded_minutes.to_string(),
            d.no_data_minutes.to_string(),
            d.pending_minutes.to_string(),
            d.down_minutes.to_string(),
            d.eligible_minutes.to_string(),
            d.used_minutes.to_string(),
            opt(d.availability_ppm.map(|p| ppm_percent(u64::from(p)))),
            verdict(d.target_met).to_string(),
            latency_cells(d.latency.first()),
            latency_cells(d.latency.get(1)),
            latency_cells(d.latency.get(2)),
            requests.to_string(),
            ratio_cell(d.errors.first()),
            ratio_cell(d.errors.get(1)),
            ratio_cell(d.errors.get(2)),
        ])?;
    }

    w.write_record([""])?;
    w.write_record([
        "exclusion",
        "from",
        "to",
        "minutes_in_month",
        "reason",
        "by",
        "classified_at",
    ])?;
    for e in &v.exclusions {
        w.write_record([
            kind(e.kind).to_string(),
            e.starts_at.to_rfc3339(),
            e.ends_at.to_rfc3339(),
            e.minutes_in_month.to_string(),
            text_cell(&e.note),
            text_cell(&e.by),
            e.at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        ])?;
    }

    w.write_record([""])?;
    w.write_record([
        "outage_from",
        "outage_to",
        "minutes",
        "counted_minutes",
        "excluded_as",
    ])?;
    for o in &v.outages {
        w.write_record([
            o.starts_at.to_rfc3339(),
            o.ends_at.to_rfc3339(),
            o.minutes.to_string(),
            o.counted_minutes.to_string(),
            o.excluded_as.map(kind).unwrap_or_default().to_string(),
        ])?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The download's file name: `sla-production-2026-04.csv`.
pub fn file_name(v: &SlaMonthView) -> String {
    format!("sla-{}-{}.csv", v.environment, v.key())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_in_user_text_are_defused() {
        assert_eq!(text_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text_cell("-1"), "'-1");
        assert_eq!(text_cell("quake"), "quake");
    }
}
