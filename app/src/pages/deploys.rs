//! Deploys (issue 9, R-DEP-1..8): `/deploys` is the environment board —
//! "what runs where, and what is moving?" — with each environment's live
//! colour, both colours' versions and health, the running or queued deploy,
//! the last one with who approved it, the history and the deploys waiting
//! for the signed-in approver; `/deploys/{id}` is one deploy: CI stages,
//! checklist, approvals, freeze, the gate, the Deploy and Roll back buttons
//! and the blue-green steps with their output, updated live.

pub mod board;
pub mod detail;
pub mod msg;
pub mod settings;

pub use board::DeploysPage;
pub use detail::DeployPage;

use crate::i18n::Lang;
use crate::model::deploys::{DeployRow, DeployStatus, StageStatus};
use crate::use_lang;
use leptos::prelude::*;
use msg::DepMsg as M;
use opsdeck::deploy_gate::{Colour, Environment};

/// Shorthand: the text of a deploys message in the current language.
pub fn dt(m: M) -> &'static str {
    m.text(use_lang())
}

pub fn env_label(e: Environment, lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => e.label_ja(),
        Lang::En => e.label_en(),
    }
}

pub fn colour_text(c: Colour, lang: Lang) -> &'static str {
    match c {
        Colour::Blue => M::Blue.text(lang),
        Colour::Green => M::Green.text(lang),
    }
}

/// Class, icon and word of a deploy's status (never colour alone).
pub fn status_look(s: DeployStatus) -> (&'static str, &'static str, M) {
    match s {
        DeployStatus::Requested => ("unknown", "○", M::StRequested),
        DeployStatus::Ready => ("unknown", "◷", M::StReady),
        DeployStatus::DeployingIdle => ("warning", "⏳", M::StDeployingIdle),
        DeployStatus::HealthChecking => ("warning", "⏳", M::StHealthChecking),
        DeployStatus::Switching => ("warning", "⇄", M::StSwitching),
        DeployStatus::Observing => ("warning", "👁", M::StObserving),
        DeployStatus::Done => ("ok", "✓", M::StDone),
        DeployStatus::Failed => ("critical", "✗", M::StFailed),
        DeployStatus::RollingBack => ("warning", "↩", M::StRollingBack),
        DeployStatus::RolledBack => ("warning", "↩", M::StRolledBack),
        DeployStatus::Interrupted => ("critical", "⚠", M::StInterrupted),
    }
}

/// A status badge.
pub fn status_badge(s: DeployStatus, lang: Lang) -> impl IntoView {
    let (class, icon, word) = status_look(s);
    view! {
        <span class=format!("badge {class}") data-testid="deploy-status" data-status=s.as_str()>
            <span aria-hidden="true">{icon} " "</span>{word.text(lang)}
        </span>
    }
}

pub fn stage_label(stage: &str, lang: Lang) -> &'static str {
    match stage {
        "checkout" => M::StageCheckout,
        "install" => M::StageInstall,
        "test" => M::StageTest,
        "build" => M::StageBuild,
        _ => M::StageDeploy,
    }
    .text(lang)
}

/// Class, icon and word of a CI stage's status.
pub fn stage_look(s: StageStatus) -> (&'static str, &'static str, M) {
    match s {
        StageStatus::Pending => ("status-unknown", "○", M::StagePending),
        StageStatus::Running => ("status-warning", "⏳", M::StageRunning),
        StageStatus::Success => ("status-ok", "✓", M::StageSuccess),
        StageStatus::Failed => ("status-critical", "✗", M::StageFailed),
        StageStatus::Skipped => ("status-unknown", "–", M::StageSkipped),
    }
}

pub fn step_label(step: &str, lang: Lang) -> &'static str {
    match step {
        "provision" => M::StepProvision,
        "health_check" => M::StepHealth,
        "switch" => M::StepSwitch,
        "observe" => M::StepObserve,
        _ => M::StepRollback,
    }
    .text(lang)
}

/// The first 7 characters of a commit, the whole one in the title.
pub fn short_commit(c: &str) -> String {
    c.chars().take(7).collect()
}

/// A deploy in one line: "#12 v1.3.0 · Done · requested by ann".
#[component]
pub fn DeployLine(row: DeployRow, tz: chrono_tz::Tz) -> impl IntoView {
    let lang = use_lang();
    let approvers = (!row.approvers.is_empty()).then(|| {
        view! {
            <span class="muted">" · " {crate::i18n::fill(M::ApprovedBy.text(lang), &[("by", &row.approvers.join(", "))])}</span>
        }
    });
    view! {
        <span class="deploy-line" data-testid="deploy-line" data-deploy-id=row.id.to_string()>
            <a href=format!("/deploys/{}", row.id)>{format!("#{} {}", row.id, row.version)}</a>
            " " {status_badge(row.status, lang)}
            <span class="muted">" · " {crate::i18n::fill(M::RequestedBy.text(lang), &[("by", &row.requested_by)])}
                " · " {crate::time::format(row.requested_at, tz)}</span>
            {approvers}
        </span>
    }
}
