//! What the DR runbook shows (issue 13 item 5, R-BAK-4): incidents, their
//! live checklist, the time to recovery against the RTO, and the
//! post-incident report as Markdown. Plain views; the report is rendered by
//! pure functions here so the server and the tests share one text.

use crate::i18n::Lang;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How bad an incident is, as the declaring operator judged it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentSeverity {
    Critical,
    Major,
    Minor,
}

impl IncidentSeverity {
    pub const ALL: [IncidentSeverity; 3] = [
        IncidentSeverity::Critical,
        IncidentSeverity::Major,
        IncidentSeverity::Minor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentSeverity::Critical => "critical",
            IncidentSeverity::Major => "major",
            IncidentSeverity::Minor => "minor",
        }
    }

    pub fn parse(s: &str) -> Option<IncidentSeverity> {
        IncidentSeverity::ALL
            .into_iter()
            .find(|x| x.as_str() == s.trim())
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (IncidentSeverity::Critical, Lang::En) => "critical",
            (IncidentSeverity::Major, Lang::En) => "major",
            (IncidentSeverity::Minor, Lang::En) => "minor",
            (IncidentSeverity::Critical, Lang::Ja) => "重大",
            (IncidentSeverity::Major, Lang::Ja) => "高",
            (IncidentSeverity::Minor, Lang::Ja) => "低",
        }
    }
}

/// Open until an operator resolves it; a resolved incident is read-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Open,
    Resolved,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Open => "open",
            IncidentStatus::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<IncidentStatus> {
        match s.trim() {
            "open" => Some(IncidentStatus::Open),
            "resolved" => Some(IncidentStatus::Resolved),
            _ => None,
        }
    }
}

/// What an operator does to a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepAction {
    /// Sets the owner and the notes.
    Save,
    /// Records the start (now), once; the owner defaults to whoever starts it.
    Start,
    /// Ticks it: done now (and started now if it was not), once.
    Done,
    /// Unticks it (ticked by mistake); the start stays.
    Undone,
}

impl StepAction {
    pub fn as_str(self) -> &'static str {
        match self {
            StepAction::Save => "save",
            StepAction::Start => "start",
            StepAction::Done => "done",
            StepAction::Undone => "undone",
        }
    }

    pub fn parse(s: &str) -> Option<StepAction> {
        [
            StepAction::Save,
            StepAction::Start,
            StepAction::Done,
            StepAction::Undone,
        ]
        .into_iter()
        .find(|a| a.as_str() == s.trim())
    }
}

/// Longest title, owner and notes (the tables' checks say the same).
pub const MAX_TITLE: usize = 200;
pub const MAX_OWNER: usize = 100;
pub const MAX_STEP_NOTES: usize = 4000;
/// Notes given when declaring, and again when resolving (appended): both
/// together stay inside the table's 10 000 characters.
pub const MAX_INCIDENT_NOTES: usize = 4000;

/// One item of an incident's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    /// 1…7 the procedure (復旧手順), 8…11 the recovery order (復旧優先順位).
    pub position: i32,
    /// `procedure` or `recovery`.
    pub section: String,
    pub key: String,
    pub label_en: String,
    pub label_ja: String,
    pub owner: String,
    pub started_at: Option<DateTime<Utc>>,
    pub started_by: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    /// Who ticked it.
    pub done_by: Option<String>,
    pub notes: String,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<String>,
}

impl StepView {
    pub fn label(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.label_ja,
            Lang::En => &self.label_en,
        }
    }

    pub fn is_recovery(&self) -> bool {
        self.section == "recovery"
    }
}

/// An incident as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentRow {
    pub id: i64,
    pub title: String,
    pub severity: IncidentSeverity,
    pub status: IncidentStatus,
    pub declared_by: String,
    pub declared_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolved_by: Option<String>,
    pub notes: String,
    /// The RTO in force when it was declared.
    pub rto_minutes: i32,
    pub steps_done: i64,
    pub steps_total: i64,
    /// When service was back: the "resume service" step's tick, else the resolution.
    pub recovered_at: Option<DateTime<Utc>>,
}

/// The list page: every incident, open ones first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentsView {
    /// The server's clock (the browser has none of its own to read).
    pub now: DateTime<Utc>,
    pub incidents: Vec<IncidentRow>,
    /// The RTO a new incident is judged against (backup settings).
    pub rto_minutes: i32,
}

/// One incident with its checklist, the clock and the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentDetail {
    pub now: DateTime<Utc>,
    pub incident: IncidentRow,
    pub steps: Vec<StepView>,
    pub clock: RecoveryClock,
    /// The post-incident report as it reads now, in the caller's language.
    pub report_markdown: String,
}

/// Where an incident stands against its RTO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockLevel {
    /// Recovered within the RTO, or under three quarters of it gone.
    Ok,
    /// Still recovering with more than three quarters of the RTO gone.
    Warning,
    /// Past the RTO.
    Critical,
}

impl ClockLevel {
    pub fn css(self) -> &'static str {
        match self {
            ClockLevel::Ok => "ok",
            ClockLevel::Warning => "warning",
            ClockLevel::Critical => "critical",
        }
    }
}

/// The time since declaration (or to recovery) against the RTO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryClock {
    /// From declaration to now (open) or to the resolution.
    pub elapsed_seconds: i64,
    /// From declaration to recovery, once service is back.
    pub time_to_recovery_seconds: Option<i64>,
    pub rto_seconds: i64,
    /// RTO minus the time used so far (negative: over).
    pub remaining_seconds: i64,
    pub level: ClockLevel,
}

/// The clock of `row` at `now`: recovery is the tick of "resume service"
/// (サービス再開) or, failing that, the resolution.
pub fn clock(row: &IncidentRow, now: DateTime<Utc>) -> RecoveryClock {
    let end = row.resolved_at.unwrap_or(now).max(row.declared_at);
    let elapsed = (end - row.declared_at).num_seconds().max(0);
    let rto = i64::from(row.rto_minutes) * 60;
    let recovered = row
        .recovered_at
        .map(|t| (t - row.declared_at).num_seconds().max(0));
    let used = recovered.unwrap_or(elapsed);
    let level = if used > rto {
        ClockLevel::Critical
    } else if recovered.is_none() && used * 4 > rto * 3 {
        ClockLevel::Warning
    } else {
        ClockLevel::Ok
    };
    RecoveryClock {
        elapsed_seconds: elapsed,
        time_to_recovery_seconds: recovered,
        rto_seconds: rto,
        remaining_seconds: rto - used,
        level,
    }
}

/// "3 h 12 min", "43 min 12 s", "2 時間 13 分" (UX: durations in words).
pub fn duration_text(seconds: i64, lang: Lang) -> String {
    let neg = seconds < 0;
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let (hu, mu, su) = match lang {
        Lang::En => (" h", " min", " s"),
        Lang::Ja => (" 時間", " 分", " 秒"),
    };
    let text = if h > 0 && m > 0 {
        format!("{h}{hu} {m}{mu}")
    } else if h > 0 {
        format!("{h}{hu}")
    } else if m > 0 && sec > 0 {
        format!("{m}{mu} {sec}{su}")
    } else if m > 0 {
        format!("{m}{mu}")
    } else {
        format!("{sec}{su}")
    };
    if neg {
        format!("−{text}")
    } else {
        text
    }
}

/// "T+1 h 5 min": how long after the declaration something happened.
fn offset(declared: DateTime<Utc>, at: DateTime<Utc>, lang: Lang) -> String {
    format!("T+{}", duration_text((at - declared).num_seconds(), lang))
}

/// Text safe inside one Markdown table cell.
fn cell(s: &str) -> String {
    let s = s.trim();
    if s.is_empty() {
        return "—".into();
    }
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace(['\n', '\r'], "<br>")
}

/// One line of Markdown text (titles, list items).
fn line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct Words {
    title: &'static str,
    incident: &'static str,
    severity: &'static str,
    status: &'static str,
    declared: &'static str,
    resolved: &'static str,
    by: &'static str,
    still_open: &'static str,
    ttr: &'static str,
    not_recovered: &'static str,
    elapsed_so_far: &'static str,
    within: &'static str,
    over: &'static str,
    generated: &'static str,
    procedure: &'static str,
    recovery: &'static str,
    head: [&'static str; 8],
    timeline: &'static str,
    ev_declared: &'static str,
    ev_started: &'static str,
    ev_done: &'static str,
    ev_resolved: &'static str,
    notes: &'static str,
    step_notes: &'static str,
    open: &'static str,
    closed: &'static str,
}

fn words(lang: Lang) -> Words {
    match lang {
        Lang::En => Words {
            title: "Post-incident report",
            incident: "Incident",
            severity: "Severity",
            status: "Status",
            declared: "Declared",
            resolved: "Resolved",
            by: "by",
            still_open: "still open",
            ttr: "Time to recovery",
            not_recovered: "not recovered yet",
            elapsed_so_far: "time since declaration",
            within: "within the RTO of",
            over: "over the RTO of",
            generated: "Report generated",
            procedure: "Recovery procedure",
            recovery: "Recovery order",
            head: [
                "#",
                "Step",
                "Owner",
                "Started",
                "Done",
                "Ticked by",
                "Took",
                "Notes",
            ],
            timeline: "Timeline",
            ev_declared: "Incident declared",
            ev_started: "started",
            ev_done: "done",
            ev_resolved: "Incident resolved",
            notes: "Notes",
            step_notes: "Step notes",
            open: "open",
            closed: "resolved",
        },
        Lang::Ja => Words {
            title: "事後レポート",
            incident: "インシデント",
            severity: "重大度",
            status: "状態",
            declared: "宣言",
            resolved: "解決",
            by: "担当:",
            still_open: "未解決",
            ttr: "復旧までの時間",
            not_recovered: "未復旧",
            elapsed_so_far: "宣言からの経過時間",
            within: "RTO 以内:",
            over: "RTO 超過:",
            generated: "レポート作成",
            procedure: "復旧手順",
            recovery: "復旧優先順位",
            head: [
                "#",
                "手順",
                "担当者",
                "開始",
                "完了",
                "完了者",
                "所要",
                "メモ",
            ],
            timeline: "時系列",
            ev_declared: "インシデント宣言",
            ev_started: "開始",
            ev_done: "完了",
            ev_resolved: "インシデント解決",
            notes: "メモ",
            step_notes: "手順のメモ",
            open: "対応中",
            closed: "解決済み",
        },
    }
}

/// The post-incident report (事後レポート) as Markdown: the facts, the time
/// to recovery against the RTO, the checklist with its times, and every
/// event in time order. `now` is when it is generated.
pub fn report_markdown(
    row: &IncidentRow,
    steps: &[StepView],
    tz: Tz,
    lang: Lang,
    now: DateTime<Utc>,
) -> String {
    let w = words(lang);
    let t = |at: DateTime<Utc>| crate::time::format(at, tz);
    let c = clock(row, now);
    let rto = duration_text(c.rto_seconds, lang);
    let mut md = String::new();
    md.push_str(&format!(
        "# {}: {}\n\n",
        w.title,
        line(&row.title).replace('#', "\\#")
    ));
    md.push_str(&format!("- {}: #{}\n", w.incident, row.id));
    md.push_str(&format!("- {}: {}\n", w.severity, row.severity.label(lang)));
    md.push_str(&format!(
        "- {}: {}\n",
        w.status,
        match row.status {
            IncidentStatus::Open => w.open,
            IncidentStatus::Resolved => w.closed,
        }
    ));
    md.push_str(&format!(
        "- {}: {} {} {}\n",
        w.declared,
        t(row.declared_at),
        w.by,
        line(&row.declared_by)
    ));
    match (row.resolved_at, &row.resolved_by) {
        (Some(at), by) => md.push_str(&format!(
            "- {}: {} {} {}\n",
            w.resolved,
            t(at),
            w.by,
            line(by.as_deref().unwrap_or("—"))
        )),
        (None, _) => md.push_str(&format!("- {}: {}\n", w.resolved, w.still_open)),
    }
    match c.time_to_recovery_seconds {
        Some(ttr) => {
            let judged = if c.level == ClockLevel::Critical {
                w.over
            } else {
                w.within
            };
            let at = row.recovered_at.map(t).unwrap_or_default();
            md.push_str(&format!(
                "- {}: **{}** ({}) · {} {}\n",
                w.ttr,
                duration_text(ttr, lang),
                at,
                judged,
                rto
            ));
        }
        None => {
            let judged = if c.level == ClockLevel::Critical {
                w.over
            } else {
                w.within
            };
            md.push_str(&format!(
                "- {}: {} · {} {} · {} {}\n",
                w.ttr,
                w.not_recovered,
                w.elapsed_so_far,
                duration_text(c.elapsed_seconds, lang),
                judged,
                rto
            ));
        }
    }
    md.push_str(&format!("- {}: {}\n", w.generated, t(now)));
    if !row.notes.trim().is_empty() {
        md.push_str(&format!("\n## {}\n\n{}\n", w.notes, row.notes.trim()));
    }
    for (heading, recovery) in [(w.procedure, false), (w.recovery, true)] {
        let items: Vec<&StepView> = steps
            .iter()
            .filter(|s| s.is_recovery() == recovery)
            .collect();
        if items.is_empty() {
            continue;
        }
        md.push_str(&format!("\n## {heading}\n\n"));
        md.push_str(&format!("| {} |\n", w.head.join(" | ")));
        md.push_str(&format!(
            "|{}\n",
            w.head.iter().map(|_| "---|").collect::<String>()
        ));
        for s in items {
            let took = match (s.started_at, s.done_at) {
                (Some(a), Some(b)) => duration_text((b - a).num_seconds(), lang),
                _ => "—".into(),
            };
            let when = |at: Option<DateTime<Utc>>| {
                at.map(|a| format!("{} ({})", t(a), offset(row.declared_at, a, lang)))
                    .unwrap_or_else(|| "—".into())
            };
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
                s.position,
                cell(s.label(lang)),
                cell(&s.owner),
                when(s.started_at),
                when(s.done_at),
                cell(s.done_by.as_deref().unwrap_or("")),
                took,
                cell(&s.notes)
            ));
        }
    }
    // Every event in time order; ties keep the checklist's order.
    let mut events: Vec<(DateTime<Utc>, i32, String)> = vec![(
        row.declared_at,
        0,
        format!("{} ({} {})", w.ev_declared, w.by, line(&row.declared_by)),
    )];
    for s in steps {
        if let Some(at) = s.started_at {
            events.push((
                at,
                s.position * 2,
                format!(
                    "{}. {} — {}{}",
                    s.position,
                    line(s.label(lang)),
                    w.ev_started,
                    s.started_by
                        .as_deref()
                        .map(|b| format!(" ({} {})", w.by, line(b)))
                        .unwrap_or_default()
                ),
            ));
        }
        if let Some(at) = s.done_at {
            events.push((
                at,
                s.position * 2 + 1,
                format!(
                    "{}. {} — {}{}",
                    s.position,
                    line(s.label(lang)),
                    w.ev_done,
                    s.done_by
                        .as_deref()
                        .map(|b| format!(" ({} {})", w.by, line(b)))
                        .unwrap_or_default()
                ),
            ));
        }
    }
    if let Some(at) = row.resolved_at {
        events.push((
            at,
            i32::MAX,
            format!(
                "{} ({} {})",
                w.ev_resolved,
                w.by,
                line(row.resolved_by.as_deref().unwrap_or("—"))
            ),
        ));
    }
    events.sort_by_key(|e| (e.0, e.1));
    md.push_str(&format!("\n## {}\n\n", w.timeline));
    for (at, _, what) in events {
        md.push_str(&format!(
            "- {} ({}) — {}\n",
            t(at),
            offset(row.declared_at, at, lang),
            what
        ));
    }
    let noted: Vec<&StepView> = steps
        .iter()
        .filter(|s| !s.notes.trim().is_empty())
        .collect();
    if !noted.is_empty() {
        md.push_str(&format!("\n## {}\n\n", w.step_notes));
        for s in noted {
            md.push_str(&format!(
                "### {}. {}\n\n{}\n\n",
                s.position,
                line(s.label(lang)),
                s.notes.trim()
            ));
        }
        // One trailing newline, not two.
        md.pop();
    }
    md
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Tokyo
            .with_ymd_and_hms(2026, 12, 6, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn row() -> IncidentRow {
        IncidentRow {
            id: 7,
            title: "Primary database lost | region down".into(),
            severity: IncidentSeverity::Critical,
            status: IncidentStatus::Resolved,
            declared_by: "operator".into(),
            declared_at: at(2, 0),
            resolved_at: Some(at(6, 30)),
            resolved_by: Some("operator".into()),
            notes: String::new(),
            rto_minutes: 240,
            steps_done: 2,
            steps_total: 2,
            recovered_at: Some(at(5, 12)),
        }
    }

    fn step(
        position: i32,
        key: &str,
        start: Option<DateTime<Utc>>,
        done: Option<DateTime<Utc>>,
    ) -> StepView {
        StepView {
            position,
            section: if position > 7 {
                "recovery"
            } else {
                "procedure"
            }
            .into(),
            key: key.into(),
            label_en: key.into(),
            label_ja: key.into(),
            owner: "alice".into(),
            started_at: start,
            started_by: start.map(|_| "alice".into()),
            done_at: done,
            done_by: done.map(|_| "bob".into()),
            notes: String::new(),
            updated_at: None,
            updated_by: None,
        }
    }

    #[test]
    fn recovery_is_the_resume_tick_and_is_judged_against_the_rto_r_bak_4() {
        let r = row();
        let c = clock(&r, at(9, 0));
        assert_eq!(c.time_to_recovery_seconds, Some(3 * 3600 + 12 * 60));
        assert_eq!(c.elapsed_seconds, 4 * 3600 + 30 * 60);
        assert_eq!(c.level, ClockLevel::Ok);
        assert_eq!(c.remaining_seconds, 48 * 60);
        // Still open, 3 h 30 min in: warning; past 4 h: critical.
        let mut open = row();
        open.status = IncidentStatus::Open;
        open.resolved_at = None;
        open.recovered_at = None;
        assert_eq!(clock(&open, at(5, 30)).level, ClockLevel::Warning);
        assert_eq!(clock(&open, at(2, 30)).level, ClockLevel::Ok);
        let late = clock(&open, at(6, 1));
        assert_eq!(late.level, ClockLevel::Critical);
        assert_eq!(late.remaining_seconds, -60);
    }

    #[test]
    fn durations_read_as_words() {
        assert_eq!(
            duration_text(3 * 3600 + 12 * 60 + 5, Lang::En),
            "3 h 12 min"
        );
        assert_eq!(duration_text(43 * 60 + 12, Lang::En), "43 min 12 s");
        assert_eq!(duration_text(2 * 3600 + 13 * 60, Lang::Ja), "2 時間 13 分");
        assert_eq!(duration_text(-60, Lang::En), "−1 min");
        assert_eq!(duration_text(4 * 3600, Lang::En), "4 h");
        assert_eq!(duration_text(0, Lang::Ja), "0 秒");
    }

    #[test]
    fn the_report_has_the_timeline_and_the_time_to_recovery_r_bak_4() {
        let steps = vec![
            step(1, "declare", Some(at(2, 0)), Some(at(2, 5))),
            step(6, "resume_service", Some(at(5, 0)), Some(at(5, 12))),
            step(8, "authentication", Some(at(3, 0)), None),
        ];
        let md = report_markdown(&row(), &steps, chrono_tz::Asia::Tokyo, Lang::En, at(7, 0));
        assert!(md.starts_with("# Post-incident report: Primary database lost | region down\n"));
        assert!(md.contains("- Time to recovery: **3 h 12 min** (2026-12-06 05:12 JST) · within the RTO of 4 h\n"), "{md}");
        assert!(md.contains("| 1 | declare | alice | 2026-12-06 02:00 JST (T+0 s) | 2026-12-06 02:05 JST (T+5 min) | bob | 5 min | — |"), "{md}");
        assert!(md.contains("## Recovery order"));
        assert!(
            md.contains(
                "- 2026-12-06 03:00 JST (T+1 h) — 8. authentication — started (by alice)\n"
            ),
            "{md}"
        );
        // Time order: the recovery order's start comes between steps 1 and 6.
        let a = md.find("1. declare — done").unwrap();
        let b = md.find("8. authentication — started").unwrap();
        let c = md.find("6. resume_service — done").unwrap();
        assert!(a < b && b < c);
        assert!(md.trim_end().ends_with("Incident resolved (by operator)"));
        let ja = report_markdown(&row(), &steps, chrono_tz::Asia::Tokyo, Lang::Ja, at(7, 0));
        assert!(ja.starts_with("# 事後レポート: "));
        assert!(ja.contains("復旧までの時間: **3 時間 12 分**"));
    }

    #[test]
    fn table_cells_keep_their_row() {
        assert_eq!(cell("a|b\nc"), "a\\|b<br>c");
        assert_eq!(cell("  "), "—");
    }
}
