//! What planning a release and editing a plan share (R-REL-1..3): the
//! inputs, the live check shown while the person types, and a debounce.

use super::msg::{kind_text, milestone_label, RelMsg as M};
use crate::components::error_box::error_text;
use crate::error::AppError;
use crate::i18n::{fill, Lang};
use crate::model::releases::PlanCheck;
use crate::{tr, use_lang};
use leptos::prelude::*;
use std::time::Duration;

/// How long the person must stop typing before a live check or preview runs.
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// Runs a closure once calls stop for [`DEBOUNCE`]: each call restarts the
/// wait. Browser only (called from effects and event handlers); once the
/// owner is gone the pending call is dropped.
#[derive(Clone, Copy)]
pub struct Debounce(StoredValue<u64>);

impl Default for Debounce {
    fn default() -> Self {
        Self::new()
    }
}

impl Debounce {
    pub fn new() -> Self {
        Debounce(StoredValue::new(0))
    }

    pub fn call(self, f: impl FnOnce() + 'static) {
        let Some(n) = self.0.try_update_value(|v| {
            *v += 1;
            *v
        }) else {
            return;
        };
        set_timeout(
            move || {
                if self.0.try_get_value() == Some(n) {
                    f();
                }
            },
            DEBOUNCE,
        );
    }
}

/// The plan form's inputs.
#[derive(Clone, Copy)]
pub struct PlanInputs {
    pub version: RwSignal<String>,
    pub date: RwSignal<String>,
    pub breaking: RwSignal<bool>,
    pub features: RwSignal<bool>,
    pub fixes: RwSignal<bool>,
    pub summary: RwSignal<String>,
}

/// What the live check sends: version, date, breaking, features, fixes.
pub type CheckArgs = (String, String, bool, bool, bool);

/// What a save sends: version, date, breaking, summary.
pub type SaveArgs = (String, String, bool, String);

impl PlanInputs {
    pub fn new(version: String, date: String, breaking: bool, summary: String) -> Self {
        PlanInputs {
            version: RwSignal::new(version),
            date: RwSignal::new(date),
            breaking: RwSignal::new(breaking),
            features: RwSignal::new(false),
            fixes: RwSignal::new(false),
            summary: RwSignal::new(summary),
        }
    }

    /// The check's arguments, read reactively (an effect re-runs on each change).
    pub fn check_args(self) -> CheckArgs {
        (
            self.version.get(),
            self.date.get(),
            self.breaking.get(),
            self.features.get(),
            self.fixes.get(),
        )
    }

    pub fn save_args(self) -> SaveArgs {
        (
            self.version.get_untracked(),
            self.date.get_untracked(),
            self.breaking.get_untracked(),
            self.summary.get_untracked(),
        )
    }
}

/// Runs `check` (debounced) whenever an input changes, never on the first
/// run (nothing typed yet) nor for an untouched, empty form.
pub fn live_check(inputs: PlanInputs, check: Action<CheckArgs, Result<PlanCheck, AppError>>) {
    let debounce = Debounce::new();
    Effect::new(move |prev: Option<()>| {
        let args = inputs.check_args();
        let blank =
            args.0.trim().is_empty() && args.1.trim().is_empty() && !args.2 && !args.3 && !args.4;
        if prev.is_some() && !blank {
            debounce.call(move || {
                check.dispatch(args);
            });
        }
    });
}

/// The inputs of a plan, with their field errors from the last save.
#[component]
pub fn PlanFields(
    /// Prefix of the inputs' ids (two forms can be on one page).
    prefix: &'static str,
    inputs: PlanInputs,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let err =
        move |field: &'static str| move || error.get().and_then(|e| e.for_field(field)).map(tr);
    let invalid = move |field: &'static str| {
        move || {
            error
                .get()
                .and_then(|e| e.for_field(field))
                .is_some()
                .to_string()
        }
    };
    let id = move |name: &str| format!("{prefix}-{name}");
    let PlanInputs {
        version,
        date,
        breaking,
        features,
        fixes,
        summary,
    } = inputs;
    let lang = use_lang();
    view! {
        <div class="field">
            <label for=id("version")>{M::PlanVersion.text(lang)}</label>
            <input id=id("version") name="version" type="text" inputmode="decimal" autocomplete="off" placeholder="1.3.0"
                value=version.get_untracked() prop:value=move || version.get() on:input=move |ev| version.set(event_target_value(&ev))
                aria-invalid=invalid("version") data-testid=id("version")/>
            <span class="field-error" data-testid="err-version">{err("version")}</span>
        </div>
        <div class="field">
            <label for=id("planned_date")>{M::PlanDate.text(lang)}</label>
            <input id=id("planned_date") name="planned_date" type="date"
                value=date.get_untracked() prop:value=move || date.get() on:input=move |ev| date.set(event_target_value(&ev))
                on:change=move |ev| date.set(event_target_value(&ev))
                aria-invalid=invalid("planned_date") data-testid=id("planned_date")/>
            <span class="field-error" data-testid="err-planned_date">{err("planned_date")}</span>
        </div>
        <fieldset class="checks">
            <legend>{M::ChangesLegend.text(lang)}</legend>
            <label class="check">
                <input type="checkbox" name="breaking" data-testid=id("breaking") checked=breaking.get_untracked() prop:checked=move || breaking.get()
                    on:change=move |ev| breaking.set(event_target_checked(&ev))/>
                " " {M::ChangeBreaking.text(lang)}
            </label>
            <label class="check">
                <input type="checkbox" name="features" data-testid=id("features") prop:checked=move || features.get()
                    on:change=move |ev| features.set(event_target_checked(&ev))/>
                " " {M::ChangeFeatures.text(lang)}
            </label>
            <label class="check">
                <input type="checkbox" name="fixes" data-testid=id("fixes") prop:checked=move || fixes.get()
                    on:change=move |ev| fixes.set(event_target_checked(&ev))/>
                " " {M::ChangeFixes.text(lang)}
            </label>
        </fieldset>
        <p class="muted small">{M::BreakingSavedHint.text(lang)}</p>
        <div class="field">
            <label for=id("summary")>{M::Summary.text(lang)}</label>
            <input id=id("summary") name="summary" type="text" maxlength="500"
                value=summary.get_untracked() prop:value=move || summary.get() on:input=move |ev| summary.set(event_target_value(&ev))
                aria-invalid=invalid("summary") data-testid=id("summary")/>
            <span class="field-error" data-testid="err-summary">{err("summary")}</span>
        </div>
    }
}

/// The live check's answer: proposal (with "use it"), problems, cadence
/// warnings, overlapping freezes and the milestones, each flagged when past.
#[component]
pub fn PlanCheckView(
    check: Action<CheckArgs, Result<PlanCheck, AppError>>,
    /// Set by "use it".
    version: RwSignal<String>,
) -> impl IntoView {
    let lang = use_lang();
    let result = check.value();
    let pending = check.pending();
    view! {
        <div class="plan-check" aria-live="polite" data-testid="plan-check">
            <p class="muted small" hidden=move || !pending.get()>{M::Checking.text(lang)}</p>
            {move || result.get().map(|r| match r {
                Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e)}</p> }.into_any(),
                Ok(c) => check_body(c, version, lang).into_any(),
            })}
        </div>
    }
}

fn check_body(c: PlanCheck, version: RwSignal<String>, lang: Lang) -> impl IntoView {
    let last = c
        .last_released
        .clone()
        .map(|v| format!("v{v}"))
        .unwrap_or_else(|| M::NoReleaseYet.text(lang).to_string());
    let proposed = c.proposed.clone().map(|p| {
        let use_it = p.clone();
        view! {
            <p data-testid="plan-proposed">
                {M::Proposed.text(lang)} ": " <strong>{format!("v{p}")}</strong>
                " (" {M::After.text(lang)} " " {last.clone()} ") "
                <button type="button" class="button small" data-testid="use-proposed"
                    on:click=move |_| version.set(use_it.clone())>{M::UseIt.text(lang)}</button>
            </p>
        }
    });
    let kind = c.kind.map(|k| {
        view! {
            <p class="muted" data-testid="plan-kind">{fill(M::KindIs.text(lang), &[("kind", kind_text(k, lang))])}</p>
        }
    });
    let version_problem = c.version_problem.clone().map(|t| {
        view! {
            <p class="alert alert-error" role="alert" data-testid="plan-version-problem">
                <span aria-hidden="true">"✖ "</span>{t}
            </p>
        }
    });
    let date_problem = c.date_problem.clone().map(|t| {
        view! {
            <p class="alert alert-error" role="alert" data-testid="plan-date-problem">
                <span aria-hidden="true">"✖ "</span>{t}
            </p>
        }
    });
    let cadence = (!c.cadence_warnings.is_empty()).then(|| {
        let items = c
            .cadence_warnings
            .iter()
            .map(|w| view! { <li>{w.clone()}</li> })
            .collect_view();
        view! {
            <div class="alert rel-warning" data-testid="plan-cadence">
                <strong><span aria-hidden="true">"▲ "</span>{M::CadenceTitle.text(lang)}</strong>
                " (" {M::SavingAllowed.text(lang)} ")"
                <ul>{items}</ul>
            </div>
        }
    });
    let overlaps = (!c.overlapping_freezes.is_empty()).then(|| {
        let list = c
            .overlapping_freezes
            .iter()
            .map(|v| format!("v{v}"))
            .collect::<Vec<_>>()
            .join(", ");
        view! {
            <p class="alert rel-warning" data-testid="plan-overlaps">
                <span aria-hidden="true">"▲ "</span>{M::OverlapsFreeze.text(lang)} " " {list}
                " (" {M::SavingAllowed.text(lang)} ")"
            </p>
        }
    });
    let milestones = (!c.milestones.is_empty()).then(|| {
        let items = c
            .milestones
            .iter()
            .map(|(m, past)| {
                let past = *past;
                view! {
                    <li class:past=past data-past=past.to_string() data-kind=format!("{:?}", m.kind)>
                        <span class="ms-label">{milestone_label(m.kind, lang)}</span>
                        " "
                        <time datetime=m.date.to_string()>{m.date.to_string()}</time>
                        {past.then(|| view! {
                            " " <span class="status-warning"><span aria-hidden="true">"⚠ "</span>{M::AlreadyPast.text(lang)}</span>
                        })}
                    </li>
                }
            })
            .collect_view();
        view! {
            <h3 class="small-heading">{M::Milestones.text(lang)}</h3>
            <ul class="plain plan-milestones" data-testid="plan-milestones">{items}</ul>
        }
    });
    view! {
        {proposed}
        {kind}
        {version_problem}
        {date_problem}
        {cadence}
        {overlaps}
        {milestones}
    }
}

#[cfg(all(test, feature = "ssr"))]
mod render_tests {
    use super::*;
    use chrono::NaiveDate;
    use opsdeck::release_calendar::{Milestone, MilestoneKind};
    use opsdeck::versions::ReleaseKind;

    #[test]
    fn r_rel_1_to_3_check_shows_proposal_problems_warnings_and_past_milestones() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let c = PlanCheck {
            proposed: Some("1.3.0".into()),
            last_released: Some("1.2.0".into()),
            version_problem: Some("1.1.0 must be greater than the last released 1.2.0".into()),
            date_problem: None,
            kind: Some(ReleaseKind::Minor),
            cadence_warnings: vec!["3 minor releases in 2026-12 (at most 2)".into()],
            overlapping_freezes: vec!["1.2.4".into()],
            milestones: vec![
                (
                    Milestone {
                        kind: MilestoneKind::FeatureFreeze,
                        date: d("2026-11-29"),
                    },
                    true,
                ),
                (
                    Milestone {
                        kind: MilestoneKind::CodeFreeze,
                        date: d("2026-12-06"),
                    },
                    false,
                ),
                (
                    Milestone {
                        kind: MilestoneKind::FinalTest,
                        date: d("2026-12-10"),
                    },
                    false,
                ),
                (
                    Milestone {
                        kind: MilestoneKind::ReleaseNotes,
                        date: d("2026-12-12"),
                    },
                    false,
                ),
                (
                    Milestone {
                        kind: MilestoneKind::Release,
                        date: d("2026-12-13"),
                    },
                    false,
                ),
            ],
        };
        let owner = Owner::new();
        let html = owner.with(|| {
            provide_context(Lang::En);
            let version = RwSignal::new(String::new());
            check_body(c, version, Lang::En).to_html()
        });
        assert!(html.contains("data-testid=\"plan-proposed\""), "{html}");
        assert!(html.contains("v1.3.0"));
        assert!(html.contains("data-testid=\"use-proposed\""));
        assert!(html.contains("1.1.0 must be greater than the last released 1.2.0"));
        assert!(html.contains("This is a minor release."));
        assert!(html.contains("saving is still allowed"));
        assert!(html.contains("3 minor releases in 2026-12"));
        assert!(html.contains("v1.2.4"));
        assert!(html.contains("data-testid=\"plan-milestones\""));
        let list = &html[html.find("plan-milestones").expect("list")..];
        assert_eq!(list.matches("<li").count(), 5);
        assert_eq!(html.matches("already past").count(), 1);
        assert!(html.contains("Feature freeze") && html.contains("Release notes"));
    }
}
