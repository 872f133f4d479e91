//! `/backups` (issue 13, R-BAK-1..3): "can we restore, how fresh, how
//! fast?" — the newest restorable backup against the RPO first, the last
//! drill against the RTO, then per target the schedule with its timeline
//! of expected vs actual runs, the built-in runner, the catalogue of runs,
//! the retention report with pruning, the restore drills and the settings.
//! Everyone reads; operators run, edit and prune; admins change runners.

pub mod card;
pub mod drills;
pub mod msg;
pub mod retention;
pub mod runner;
pub mod runs;
pub mod settings;
pub mod targets;

use crate::api::backups::{load_backups, load_retentions, load_timelines};
use crate::components::error_box::ErrorBox;
use crate::components::layout::{urlencode, use_shell};
use crate::error::AppError;
use crate::i18n::{fill, Lang, Msg};
use crate::model::backups::{
    BackupsView, Cadence, Outcome, RetentionView, RpoView, ScheduleView, SlotStatus, TargetView,
    TimelineView,
};
use crate::role::{Access, Role};
use crate::{tr, use_lang};
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use msg::BakMsg as M;
use opsdeck::backup_retention::{BackupKind, RtoStatus};
use std::collections::HashMap;

/// Shorthand: the text of a backups message in the current language.
pub fn bt(m: M) -> &'static str {
    m.text(use_lang())
}

// ---------------------------------------------------------------- formatting

/// A size in decimal units: `847 B`, `12.3 MB`; `—` when unknown.
pub fn human_size(bytes: Option<i64>) -> String {
    let Some(b) = bytes else {
        return "—".into();
    };
    if b < 1000 {
        return format!("{b} B");
    }
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    let mut unit = 0;
    let mut scale: i64 = 1000;
    while unit + 1 < UNITS.len() && b / scale >= 1000 {
        scale *= 1000;
        unit += 1;
    }
    // One decimal, rounded half up.
    let tenths = (i128::from(b) * 10 + i128::from(scale) / 2) / i128::from(scale);
    format!("{}.{} {}", tenths / 10, tenths % 10, UNITS[unit])
}

/// A duration as "43 min 12 s", "2 h 5 min", "3 days 4 h" in `lang`.
pub fn duration_text(secs: i64, lang: Lang) -> String {
    let secs = secs.max(0);
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    let unit = |n: i64, u: Msg| format!("{n} {}", u.text(lang));
    let parts: Vec<String> = if d > 0 {
        [(d, Msg::Days), (h, Msg::Hours)]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, u)| unit(n, u))
            .collect()
    } else if h > 0 {
        [(h, Msg::Hours), (m, Msg::Minutes)]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, u)| unit(n, u))
            .collect()
    } else if m > 0 {
        [(m, Msg::Minutes), (s, Msg::Seconds)]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, u)| unit(n, u))
            .collect()
    } else {
        vec![unit(s, Msg::Seconds)]
    };
    parts.join(" ")
}

/// An objective given in minutes, as a duration: `1 h`, `4 h`, `90 min` → `1 h 30 min`.
pub fn minutes_text(minutes: i64, lang: Lang) -> String {
    duration_text(minutes * 60, lang)
}

/// "35 min ago" / "35 分前".
pub fn ago(secs: i64, lang: Lang) -> String {
    fill(M::Ago.text(lang), &[("d", &duration_text(secs, lang))])
}

/// `sha256:0123456789…` — the full value goes in a `title`.
pub fn short_checksum(c: &str) -> String {
    let (prefix, hex) = match c.split_once(':') {
        Some((algo, rest)) => (format!("{algo}:"), rest),
        None => (String::new(), c),
    };
    if hex.chars().count() <= 12 {
        return c.to_string();
    }
    format!("{prefix}{}…", hex.chars().take(12).collect::<String>())
}

pub fn kind_text(k: BackupKind, lang: Lang) -> &'static str {
    match k {
        BackupKind::Full => M::KindFull,
        BackupKind::Differential => M::KindDifferential,
        BackupKind::Incremental => M::KindIncremental,
        BackupKind::Log => M::KindLog,
    }
    .text(lang)
}

/// Class, icon and word of an outcome (never colour alone).
pub fn outcome_look(o: Outcome) -> (&'static str, &'static str, M) {
    match o {
        Outcome::Ok => ("status-ok", "✓", M::OutcomeOk),
        Outcome::Failed => ("status-critical", "✗", M::OutcomeFailed),
        Outcome::Running => ("status-warning", "⏳", M::OutcomeRunning),
    }
}

/// Class, icon and word of a timeline slot.
pub fn slot_look(s: SlotStatus) -> (&'static str, &'static str, M) {
    match s {
        SlotStatus::Ok => ("ok", "✓", M::SlotOk),
        SlotStatus::Failed => ("critical", "✗", M::SlotFailed),
        SlotStatus::Running => ("warning", "⏳", M::SlotRunning),
        SlotStatus::Missed => ("critical", "⚠", M::SlotMissed),
        SlotStatus::Pending => ("warning", "◷", M::SlotPending),
        SlotStatus::Upcoming => ("unknown", "○", M::SlotUpcoming),
    }
}

/// "daily at 02:00", "every 6 h from 02:00", "continuous, at least every 15 min", "kept in Git".
pub fn cadence_text(s: &ScheduleView, lang: Lang) -> String {
    let every = s
        .every_minutes
        .map(|m| minutes_text(i64::from(m), lang))
        .unwrap_or_default();
    match s.cadence {
        Cadence::Daily => fill(M::CadenceDailyAt.text(lang), &[("t", &s.at_local)]),
        Cadence::Every => fill(
            M::CadenceEveryFrom.text(lang),
            &[("n", &every), ("t", &s.at_local)],
        ),
        Cadence::Continuous => fill(M::CadenceContinuousEvery.text(lang), &[("n", &every)]),
        Cadence::Git => M::CadenceGitText.text(lang).to_string(),
    }
}

/// A drill's measured time against the RTO: "12 s — inside the RTO of 4 h".
pub fn rto_text(r: &RtoStatus, lang: Lang) -> String {
    fill(
        if r.ok {
            M::RtoInside.text(lang)
        } else {
            M::RtoOver.text(lang)
        },
        &[
            ("d", &duration_text(r.duration_seconds, lang)),
            ("rto", &duration_text(r.rto_seconds, lang)),
        ],
    )
}

/// The one-line RPO answer of a target: "Newest restorable backup 35 min
/// ago — inside the RPO of 1 h", or the breach.
pub fn rpo_text(r: &RpoView, lang: Lang) -> String {
    let rpo = duration_text(r.status.rpo_seconds, lang);
    match r.status.age_seconds {
        None => fill(M::RpoNone.text(lang), &[("rpo", &rpo)]),
        Some(age) => fill(
            if r.status.ok {
                M::RpoInside.text(lang)
            } else {
                M::RpoOver.text(lang)
            },
            &[("age", &ago(age, lang)), ("rpo", &rpo)],
        ),
    }
}

pub fn target_name(t: &TargetView, lang: Lang) -> String {
    if lang == Lang::Ja {
        t.name_ja.clone()
    } else {
        t.name_en.clone()
    }
}

/// "MM-DD HH:MM" in the zone (timeline chips).
pub fn short_time(at: chrono::DateTime<chrono::Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%m-%d %H:%M").to_string()
}

// ---------------------------------------------------------------- page state

/// The page's URL state: the runs' filters and page, and which target's
/// retention report is paged to which page. Links carry all of it, so a
/// view can be shared and works without JavaScript.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pub target: String,
    pub kind: String,
    pub outcome: String,
    pub page: u32,
    pub rt: Option<i64>,
    pub rp: u32,
}

impl Params {
    fn read(q: &leptos_router::params::ParamsMap) -> Params {
        let num = |k: &str| {
            q.get(k)
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(1)
                .max(1)
        };
        Params {
            target: q.get("target").unwrap_or_default(),
            kind: q.get("kind").unwrap_or_default(),
            outcome: q.get("outcome").unwrap_or_default(),
            page: num("page"),
            rt: q.get("rt").and_then(|v| v.parse().ok()),
            rp: num("rp"),
        }
    }

    /// The page's URL with these parameters, scrolled to `anchor`.
    pub fn href(&self, anchor: &str) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("target", &self.target),
            ("kind", &self.kind),
            ("outcome", &self.outcome),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", urlencode(v)));
            }
        }
        if self.page > 1 {
            parts.push(format!("page={}", self.page));
        }
        if let Some(rt) = self.rt {
            parts.push(format!("rt={rt}&rp={}", self.rp));
        }
        let q = if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        };
        format!("/backups{q}#{anchor}")
    }
}

/// Each target's timeline: (target id, entries).
pub type Timelines = Vec<(i64, Vec<TimelineView>)>;

/// What the sections share: the reload counter, the runner's jobs, the
/// outcome messages of the last changes, and the resources below the
/// page's main view. The resources are created here, at the page's top
/// level: one created inside a `Suspend` does not hydrate.
#[derive(Clone, Copy)]
pub struct BackupsCtx {
    pub version: RwSignal<u32>,
    pub jobs: runner::Jobs,
    /// Outcome messages by section key (a reload re-creates the sections,
    /// so the message of a change lives here).
    pub flash: RwSignal<HashMap<String, String>>,
    pub timelines: Resource<Result<Timelines, AppError>>,
    pub retention: Resource<Result<Vec<RetentionView>, AppError>>,
}

impl BackupsCtx {
    /// Loads every part of the page again.
    pub fn reload(self) {
        self.version.update(|v| *v += 1);
    }

    /// Shows `text` in the section `key` (after the reload a change causes).
    pub fn say(self, key: &str, text: String) {
        self.flash.update(|m| {
            m.insert(key.to_string(), text);
        });
    }

    /// Forgets the section's message (a new attempt begins).
    pub fn hush(self, key: &str) {
        if self.flash.with_untracked(|m| m.contains_key(key)) {
            self.flash.update(|m| {
                m.remove(key);
            });
        }
    }

    /// The section's message, if any.
    pub fn said(self, key: &str) -> Option<String> {
        self.flash.with(|m| m.get(key).cloned())
    }
}

/// A field's error from an action's last result (`AppError::Validation`
/// or a conflict naming the field).
pub fn field_msg<T>(r: &Option<Result<T, AppError>>, field: &str) -> Option<&'static str> {
    match r {
        Some(Err(e)) => e.for_field(field).map(tr),
        _ => None,
    }
}

/// The error of an action's last result that no field of `fields` shows.
pub fn general_msg<T>(r: &Option<Result<T, AppError>>, fields: &[&str]) -> Option<String> {
    match r {
        Some(Err(e)) if fields.iter().all(|f| e.for_field(f).is_none()) => {
            Some(crate::components::error_box::error_text(e))
        }
        _ => None,
    }
}

#[component]
pub fn BackupsPage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| query.with(Params::read));
    let version = RwSignal::new(0u32);
    let runs_key = Memo::new(move |_| {
        let p = params.get();
        (p.target, p.kind, p.outcome, p.page)
    });
    let data = Resource::new(
        move || (runs_key.get(), version.get()),
        |((target, kind, outcome, page), _)| load_backups(target, kind, outcome, page),
    );
    // Each resource is one server call started at once: see `load_timelines`.
    let timelines = Resource::new(move || version.get(), |_| load_timelines(2));
    let ret_key = Memo::new(move |_| {
        let p = params.get();
        (p.rt, p.rp)
    });
    let retention = Resource::new(
        move || (ret_key.get(), version.get()),
        |((rt, rp), _)| load_retentions(rt.unwrap_or(0), rp),
    );
    let ctx = BackupsCtx {
        version,
        jobs: runner::Jobs::new(version),
        flash: RwSignal::new(HashMap::new()),
        timelines,
        retention,
    };
    provide_context(ctx);
    let shell = use_shell();
    view! {
        <Title text=bt(M::Title)/>
        <div class="backups">
        <h1>{bt(M::Title)}</h1>
        <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
            {move || Suspend::new(async move {
                let state = match shell { Some(s) => s.await.ok(), None => None };
                let tz = crate::time::zone(&state.as_ref().map(|s| s.time_zone.clone()).unwrap_or_default());
                let user = state.as_ref().and_then(|s| s.user.clone());
                let operator = user.as_ref().is_some_and(|u| u.can(Access::AnyOf(&[Role::Operator])));
                let admin = user.as_ref().is_some_and(|u| u.can(Access::ADMIN));
                match data.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(v) => view! {
                        <Body v=v tz=tz operator=operator admin=admin params=params.get_untracked()/>
                    }.into_any(),
                }
            })}
        </Transition>
        </div>
    }
}

/// The answer: each RPO-watched target's newest restorable backup against the RPO.
fn answer(v: &BackupsView, lang: Lang) -> (bool, String) {
    let watched: Vec<(&TargetView, &RpoView)> = v
        .targets
        .iter()
        .filter_map(|t| t.rpo.as_ref().map(|r| (t, r)))
        .collect();
    if watched.is_empty() {
        return (true, M::NoWatchedTarget.text(lang).to_string());
    }
    let many = watched.len() > 1;
    let ok = watched.iter().all(|(_, r)| r.status.ok);
    let text = watched
        .iter()
        .map(|(t, r)| {
            if many {
                format!("{}: {}", target_name(t, lang), rpo_text(r, lang))
            } else {
                rpo_text(r, lang)
            }
        })
        .collect::<Vec<_>>()
        .join(" · ");
    (ok, text)
}

#[component]
fn Body(v: BackupsView, tz: Tz, operator: bool, admin: bool, params: Params) -> impl IntoView {
    let lang = use_lang();
    let (ok, answer_text) = answer(&v, lang);
    let (class, icon) = if ok {
        ("answer status-ok", "✓ ")
    } else {
        ("answer status-critical", "✖ ")
    };
    let rto_minutes = i64::from(v.settings.rto_minutes);
    let rpo_minutes = i64::from(v.settings.rpo_minutes);
    let now = v.now;
    // The newest drill of any target.
    let last_drill = v
        .targets
        .iter()
        .filter_map(|t| t.last_drill.clone())
        .max_by_key(|d| d.started_at)
        .or_else(|| v.drills.first().cloned());
    let drill_stat = match &last_drill {
        None => view! {
            <p class="stat status-warning" data-testid="last-drill"><span aria-hidden="true">"▲ "</span>{bt(M::NoDrillYet)}</p>
        }
        .into_any(),
        Some(d) => {
            let (class, icon, word) = match (&d.rto, d.outcome) {
                (_, Outcome::Running) => ("status-warning", "⏳ ", bt(M::OutcomeRunning).to_string()),
                (Some(r), Outcome::Ok) if r.ok => ("status-ok", "✓ ", rto_text(r, lang)),
                (Some(r), Outcome::Ok) => ("status-critical", "✖ ", rto_text(r, lang)),
                (Some(r), _) => (
                    "status-critical",
                    "✗ ",
                    format!("{} · {}", bt(M::OutcomeFailed), rto_text(r, lang)),
                ),
                (None, _) => ("status-critical", "✗ ", bt(M::OutcomeFailed).to_string()),
            };
            view! {
                <p class=format!("stat {class}") data-testid="last-drill"><span aria-hidden="true">{icon}</span>{word}</p>
                <p class="muted">{crate::time::format(d.started_at, tz)} " · " {ago((now - d.started_at).num_seconds(), lang)}
                    " · " {d.performed_by.clone()}</p>
            }
            .into_any()
        }
    };
    let rpo_stats = v
        .targets
        .iter()
        .filter_map(|t| t.rpo.as_ref().map(|r| (target_name(t, lang), r.clone())))
        .map(|(name, r)| {
            let (class, icon) = if r.status.ok { ("status-ok", "✓ ") } else { ("status-critical", "✖ ") };
            let age = r
                .status
                .age_seconds
                .map(|a| ago(a, lang))
                .unwrap_or_else(|| bt(M::NoneYet).to_string());
            let breach = r.breached.then(|| {
                view! {
                    <p class="status-critical" data-testid="rpo-breach">
                        <span aria-hidden="true">"⚠ "</span>{bt(M::BreachNotified)}
                        {r.since.map(|s| format!(" {} {}", bt(M::Since), crate::time::format(s, tz)))}
                    </p>
                }
            });
            view! {
                <p class=format!("stat {class}")><span aria-hidden="true">{icon}</span>{name} ": " {age}</p>
                {r.status.newest.map(|n| view! { <p class="muted">{crate::time::format(n, tz)}</p> })}
                {breach}
            }
        })
        .collect_view();
    let targets = v
        .targets
        .iter()
        .map(|t| {
            view! { <targets::TargetSection t=t.clone() tz=tz operator=operator now=now/> }
        })
        .collect_view();
    view! {
        <p class=class data-testid="backups-answer" data-ok=ok.to_string()>
            <span aria-hidden="true">{icon}</span>{answer_text}
        </p>
        {(!operator).then(|| view! { <p class="muted" data-testid="read-only">{bt(M::ReadOnly)}</p> })}
        <nav class="tabs" aria-label=bt(M::Sections)>
            <a href="#targets">{bt(M::TargetsTitle)}</a>
            <a href="#runs">{bt(M::RunsTitle)}</a>
            <a href="#retention">{bt(M::RetentionTitle)}</a>
            <a href="#drills">{bt(M::DrillsTitle)}</a>
            <a href="#settings">{bt(M::SettingsTitle)}</a>
        </nav>
        <div class="grid">
            <section class="card" data-testid="rpo-card">
                <h2>{bt(M::RpoTitle)}</h2>
                <p class="muted">{bt(M::Objective)} ": " {minutes_text(rpo_minutes, lang)}</p>
                {rpo_stats}
            </section>
            <section class="card" data-testid="rto-card">
                <h2>{bt(M::RtoTitle)}</h2>
                <p class="muted">{bt(M::Objective)} ": " {minutes_text(rto_minutes, lang)}</p>
                {drill_stat}
            </section>
        </div>
        <h2 id="targets">{bt(M::TargetsTitle)}</h2>
        {targets}
        <runs::RunsSection runs=v.runs.clone() targets=v.targets.clone() params=params.clone() tz=tz/>
        <retention::RetentionSection targets=v.targets.clone() params=params tz=tz operator=operator/>
        <drills::DrillsSection drills=v.drills.clone() targets=v.targets.clone() tz=tz operator=operator rto_minutes=rto_minutes/>
        <settings::SettingsSection settings=v.settings.clone() targets=v.targets.clone() operator=operator admin=admin/>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_decimal_units() {
        assert_eq!(human_size(None), "—");
        assert_eq!(human_size(Some(847)), "847 B");
        assert_eq!(human_size(Some(12_345)), "12.3 kB");
        assert_eq!(human_size(Some(12_345_678)), "12.3 MB");
        assert_eq!(human_size(Some(4_000_000_000)), "4.0 GB");
    }

    #[test]
    fn durations_read_like_the_ux_guide() {
        assert_eq!(duration_text(0, Lang::En), "0 s");
        assert_eq!(duration_text(2_592, Lang::En), "43 min 12 s");
        assert_eq!(duration_text(3_600, Lang::En), "1 h");
        assert_eq!(duration_text(7_500, Lang::En), "2 h 5 min");
        assert_eq!(duration_text(3 * 86_400 + 4 * 3600, Lang::En), "3 days 4 h");
        assert_eq!(minutes_text(240, Lang::Ja), "4 時間");
        assert_eq!(ago(35 * 60, Lang::En), "35 min ago");
        assert_eq!(ago(35 * 60, Lang::Ja), "35 分前");
    }

    #[test]
    fn checksums_are_shortened_with_their_algorithm() {
        let full = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(short_checksum(&full), "sha256:abababababab…");
        assert_eq!(short_checksum("abc"), "abc");
    }

    #[test]
    fn links_keep_the_filters_and_the_retention_page() {
        let p = Params {
            target: "1".into(),
            kind: "full".into(),
            outcome: String::new(),
            page: 2,
            rt: Some(1),
            rp: 3,
        };
        assert_eq!(
            p.href("runs"),
            "/backups?target=1&kind=full&page=2&rt=1&rp=3#runs"
        );
        assert_eq!(Params::default().href("drills"), "/backups#drills");
    }
}
