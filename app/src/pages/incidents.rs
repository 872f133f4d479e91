//! The DR runbook (issue 13 item 5, R-BAK-4): `/incidents` lists incidents
//! and lets operators declare one; `/incidents/{id}` is the live checklist
//! (the policy's seven steps and recovery order) with the time against the
//! RTO and the post-incident report. Everyone reads; operators act (the
//! server refuses everyone else anyway).

pub mod detail;
pub mod list;
pub mod msg;

pub use detail::IncidentPage;
pub use list::IncidentsPage;

use crate::i18n::{fill, Lang};
use crate::model::incidents::{
    duration_text, ClockLevel, IncidentSeverity, IncidentStatus, RecoveryClock,
};
use crate::use_lang;
use leptos::prelude::*;
use msg::IncMsg as M;

/// Shorthand: the text of an incident message in the current language.
pub fn it(m: M) -> &'static str {
    m.text(use_lang())
}

/// The severity as a badge: word and colour.
pub fn severity_badge(s: IncidentSeverity, lang: Lang) -> impl IntoView {
    let (class, icon) = match s {
        IncidentSeverity::Critical => ("badge critical", "▲ "),
        IncidentSeverity::Major => ("badge warning", "▲ "),
        IncidentSeverity::Minor => ("badge unknown", "△ "),
    };
    view! {
        <span class=class data-testid="incident-severity">
            <span aria-hidden="true">{icon}</span>{s.label(lang)}
        </span>
    }
}

/// Open or resolved, as a badge.
pub fn status_badge(s: IncidentStatus, lang: Lang) -> impl IntoView {
    let (class, icon, word) = match s {
        IncidentStatus::Open => ("badge critical", "● ", M::StatusOpen.text(lang)),
        IncidentStatus::Resolved => ("badge ok", "✓ ", M::StatusResolved.text(lang)),
    };
    view! {
        <span class=class data-testid="incident-status">
            <span aria-hidden="true">{icon}</span>{word}
        </span>
    }
}

/// The time against the RTO in words, with its level's class:
/// "2 h 13 min since declaration · RTO 4 h · 1 h 47 min left", or
/// "Recovered in 3 h 12 min · within the RTO of 4 h".
pub fn clock_text(c: &RecoveryClock, lang: Lang) -> (&'static str, &'static str, String) {
    let rto = duration_text(c.rto_seconds, lang);
    let text = match c.time_to_recovery_seconds {
        Some(ttr) => {
            let judged = if c.level == ClockLevel::Critical {
                M::OverRto
            } else {
                M::WithinRto
            };
            format!(
                "{} · {}",
                fill(
                    M::RecoveredIn.text(lang),
                    &[("t", &duration_text(ttr, lang))]
                ),
                fill(judged.text(lang), &[("rto", &rto)])
            )
        }
        None => {
            let since = fill(
                M::Since.text(lang),
                &[("t", &duration_text(c.elapsed_seconds, lang))],
            );
            let against = if c.remaining_seconds < 0 {
                fill(
                    M::Over.text(lang),
                    &[
                        ("rto", &rto),
                        ("over", &duration_text(-c.remaining_seconds, lang)),
                    ],
                )
            } else {
                fill(
                    M::Left.text(lang),
                    &[
                        ("rto", &rto),
                        ("left", &duration_text(c.remaining_seconds, lang)),
                    ],
                )
            };
            format!("{since} · {against}")
        }
    };
    let (class, icon) = match c.level {
        ClockLevel::Ok => ("status-ok", "✓"),
        ClockLevel::Warning => ("status-warning", "⚠"),
        ClockLevel::Critical => ("status-critical", "✖"),
    };
    (class, icon, text)
}
