//! `/releases` (issue 11, R-REL-1..3): "what ships next, and can I deploy?" —
//! the active code freeze, every release with its milestones, and for
//! release managers the plan form with its live check.

use super::msg::{kind_text, milestones_compact, relative_day, rt, status_badge, RelMsg as M};
use super::plan::{live_check, CheckArgs, PlanCheckView, PlanFields, PlanInputs, SaveArgs};
use crate::api::releases::{check_plan, load_releases, plan_release, save_release_settings};
use crate::components::error_box::{error_text, ErrorBox};
use crate::components::layout::use_shell;
use crate::error::AppError;
use crate::i18n::{fill, Lang, Msg};
use crate::model::releases::{ReleaseRow, ReleaseStatus, ReleasesView};
use crate::role::{Access, Role};
use crate::{tr, use_lang};
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ReleasesPage() -> impl IntoView {
    // Created here, at the page's top level: a resource created inside a
    // `Suspend` does not hydrate.
    let reload = RwSignal::new(0u32);
    let data = Resource::new(move || reload.get(), |_| load_releases());
    let shell = use_shell();
    view! {
        <Title text=rt(M::Title)/>
        <div class="releases">
            <h1>{rt(M::Title)}</h1>
            <p><a href="/releases/calendar" data-testid="calendar-link">{rt(M::CalendarLink)} " →"</a></p>
            <Suspense fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    let state = match shell {
                        Some(s) => s.await.ok(),
                        None => None,
                    };
                    let tz = crate::time::zone(&state.as_ref().map(|s| s.time_zone.clone()).unwrap_or_default());
                    let user = state.and_then(|s| s.user);
                    let manager = user.as_ref().is_some_and(|u| u.can(Access::AnyOf(&[Role::ReleaseManager])));
                    let admin = user.as_ref().is_some_and(|u| u.can(Access::ADMIN));
                    view! {
                        <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
                            {move || Suspend::new(async move {
                                match data.await {
                                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                                    Ok(v) => view! { <ReleasesBody v=v tz=tz manager=manager admin=admin/> }.into_any(),
                                }
                            })}
                        </Transition>
                        // Outside the reloading list, so a reload cannot replace the form under the person.
                        {manager.then(|| view! { <PlanForm reload=reload/> })}
                    }
                })}
            </Suspense>
        </div>
    }
}

/// "Last released: v1.2.0 · next: v1.3.0 on 2026-12-06 (in 8 days)".
fn answer(v: &ReleasesView, lang: Lang) -> String {
    let last = match &v.last_released {
        Some(l) => fill(M::LastReleased.text(lang), &[("version", l)]),
        None => M::NothingReleased.text(lang).to_string(),
    };
    let next = v
        .releases
        .iter()
        .filter(|r| matches!(r.status, ReleaseStatus::Planned | ReleaseStatus::Frozen))
        .filter(|r| r.planned_date >= v.today)
        .min_by_key(|r| r.planned_date);
    let next = match next {
        Some(r) => fill(
            M::NextRelease.text(lang),
            &[
                ("version", &r.version),
                ("date", &r.planned_date.to_string()),
                ("when", &relative_day(v.today, r.planned_date, lang)),
            ],
        ),
        None => M::NoNextRelease.text(lang).to_string(),
    };
    format!("{last} · {next}")
}

fn freeze_banner(r: &ReleaseRow, tz: Tz, lang: Lang) -> impl IntoView {
    let text = fill(
        M::FreezeBanner.text(lang),
        &[
            ("version", &r.version),
            ("until", &crate::time::format(r.freeze_end, tz)),
        ],
    );
    view! {
        <p class="freeze-banner" role="status" data-testid="freeze-banner" data-version=r.version.clone()>
            <span aria-hidden="true">"❄ "</span>
            <a href=format!("/releases/{}", r.id)>{text}</a>
        </p>
    }
}

#[component]
fn ReleasesBody(v: ReleasesView, tz: Tz, manager: bool, admin: bool) -> impl IntoView {
    let lang = use_lang();
    let banner = v.active_freeze.as_ref().map(|r| freeze_banner(r, tz, lang));
    let answer_text = answer(&v, lang);
    let body = if v.releases.is_empty() {
        let text = if manager {
            M::EmptyManager
        } else {
            M::EmptyViewer
        };
        view! { <p class="card empty-state" data-testid="releases-empty">{text.text(lang)}</p> }
            .into_any()
    } else {
        let rows = v
            .releases
            .iter()
            .map(|r| release_row(r, tz, lang))
            .collect_view();
        view! {
            <div class="table-wrap">
                <table data-testid="releases-table">
                    <thead><tr>
                        <th scope="col">{M::Version.text(lang)}</th>
                        <th scope="col">{M::Kind.text(lang)}</th>
                        <th scope="col">{M::PlannedDate.text(lang)}</th>
                        <th scope="col">{M::Status.text(lang)}</th>
                        <th scope="col">{M::Milestones.text(lang)}</th>
                        <th scope="col">{M::Released.text(lang)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        {banner}
        <p class="answer" data-testid="releases-answer">{answer_text}</p>
        {(!manager).then(|| view! { <p class="muted" data-testid="read-only">{M::ReadOnly.text(lang)}</p> })}
        {body}
        {admin.then(|| view! { <SettingsForm template=v.settings.issue_url_template.clone()/> })}
    }
}

fn release_row(r: &ReleaseRow, tz: Tz, lang: Lang) -> impl IntoView {
    let released = match (&r.released_by, r.released_at) {
        (Some(by), Some(at)) => format!(
            "{} · {} {by}",
            crate::time::format(at, tz),
            M::By.text(lang)
        ),
        (None, Some(at)) => crate::time::format(at, tz),
        _ => "—".to_string(),
    };
    view! {
        <tr data-testid="release-row" data-version=r.version.clone() data-status=r.status.as_str()>
            <th scope="row">
                <a href=format!("/releases/{}", r.id) data-testid="release-link">{format!("v{}", r.version)}</a>
                {(!r.summary.is_empty()).then(|| view! { <div class="muted small">{r.summary.clone()}</div> })}
            </th>
            <td>
                {kind_text(r.kind, lang)}
                {r.breaking.then(|| view! {
                    <div class="status-warning small"><span aria-hidden="true">"⚠ "</span>{M::Breaking.text(lang)}</div>
                })}
            </td>
            <td><time datetime=r.planned_date.to_string()>{r.planned_date.to_string()}</time></td>
            <td>{status_badge(r.status, lang)}</td>
            <td>{milestones_compact(&r.milestones, lang)}</td>
            <td data-testid="released-by">{released}</td>
        </tr>
    }
}

/// The plan form (release managers): live check as the person types, save,
/// then the new release's page (or the warnings the save came back with).
#[component]
fn PlanForm(reload: RwSignal<u32>) -> impl IntoView {
    let lang = use_lang();
    let inputs = PlanInputs::new(String::new(), String::new(), false, String::new());
    let check = Action::new(|a: &CheckArgs| {
        let (version, date, breaking, features, fixes) = a.clone();
        async move { check_plan(None, version, date, breaking, features, fixes).await }
    });
    live_check(inputs, check);
    let plan = Action::new(|a: &SaveArgs| {
        let (version, date, breaking, summary) = a.clone();
        async move { plan_release(version, date, breaking, summary).await }
    });
    let result = plan.value();
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = result.get() {
            if saved.warnings.is_empty() {
                navigate(&format!("/releases/{}", saved.id), Default::default());
            } else {
                reload.update(|n| *n += 1);
            }
        }
    });
    let error = Signal::derive(move || result.get().and_then(|r| r.err()));
    let general = move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Validation(_)) && e.for_field("version").is_none())
            .map(|e| error_text(&e))
    };
    let warned = move || {
        result.get().and_then(|r| r.ok()).filter(|s| !s.warnings.is_empty()).map(|s| {
            let version = inputs.version.get_untracked();
            let items = s.warnings.iter().map(|w| view! { <li>{w.clone()}</li> }).collect_view();
            view! {
                <div class="alert rel-warning" role="status" data-testid="plan-saved">
                    {fill(M::PlannedWithWarnings.text(lang), &[("version", version.trim())])}
                    <ul>{items}</ul>
                    <a href=format!("/releases/{}", s.id) data-testid="plan-saved-link">{M::OpenRelease.text(lang)} " →"</a>
                </div>
            }
        })
    };
    view! {
        <section class="card" data-testid="plan-section">
            <h2>{M::PlanTitle.text(lang)}</h2>
            <div class="plan-layout">
                <form class="stack" data-testid="plan-form" novalidate
                    on:submit=move |ev| { ev.prevent_default(); plan.dispatch(inputs.save_args()); }>
                    <PlanFields prefix="plan" inputs=inputs error=error/>
                    <p class="alert alert-error" role="alert" hidden=move || general().is_none()>{general}</p>
                    {warned}
                    <div class="row">
                        <button type="submit" class="button primary" data-testid="plan-submit"
                            disabled=move || plan.pending().get()>{M::PlanSubmit.text(lang)}</button>
                    </div>
                </form>
                <PlanCheckView check=check version=inputs.version/>
            </div>
        </section>
    }
}

/// The issue-tracker link for `#123` in notes (admins).
#[component]
fn SettingsForm(template: String) -> impl IntoView {
    let lang = use_lang();
    let value = RwSignal::new(template);
    let save = Action::new(|t: &String| {
        let t = t.clone();
        async move { save_release_settings(t).await }
    });
    let result = save.value();
    let err = move || {
        result
            .get()
            .and_then(|r| r.err())
            .map(|e| match e.for_field("issue_url_template") {
                Some(m) => tr(m).to_string(),
                None => error_text(&e),
            })
    };
    let saved = move || matches!(result.get(), Some(Ok(())));
    view! {
        <details class="card" data-testid="release-settings">
            <summary>{M::SettingsTitle.text(lang)}</summary>
            <form class="stack" on:submit=move |ev| { ev.prevent_default(); save.dispatch(value.get_untracked()); }>
                <div class="field">
                    <label for="rel-issue-url">{M::IssueUrlTemplate.text(lang)}</label>
                    <input id="rel-issue-url" type="text" name="issue_url_template" data-testid="issue-url-template"
                        placeholder="https://github.com/org/repo/issues/{n}"
                        prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))
                        aria-invalid=move || err().is_some().to_string()/>
                    <span class="field-error" data-testid="err-issue_url_template">{err}</span>
                </div>
                <p class="alert alert-ok" role="status" hidden=move || !saved()>{M::SettingsSaved.text(lang)}</p>
                <div class="row">
                    <button type="submit" class="button" data-testid="save-release-settings"
                        disabled=move || save.pending().get()>{M::SaveSettings.text(lang)}</button>
                </div>
            </form>
        </details>
    }
}

#[cfg(all(test, feature = "ssr"))]
pub(super) mod render_tests {
    use super::*;
    use crate::model::releases::ReleaseSettingsView;
    use chrono::{DateTime, NaiveDate, Utc};
    use opsdeck::release_calendar::{Milestone, MilestoneKind};
    use opsdeck::versions::ReleaseKind;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn at(s: &str) -> DateTime<Utc> {
        crate::time::parse_local(s, chrono_tz::Asia::Tokyo)
            .expect("time")
            .expect("some")
    }

    pub(crate) fn row(id: i64, version: &str, date: &str, status: ReleaseStatus) -> ReleaseRow {
        let d = day(date);
        let kinds = [
            (MilestoneKind::FeatureFreeze, 14),
            (MilestoneKind::CodeFreeze, 7),
            (MilestoneKind::FinalTest, 3),
            (MilestoneKind::ReleaseNotes, 1),
            (MilestoneKind::Release, 0),
        ];
        ReleaseRow {
            id,
            version: version.into(),
            kind: ReleaseKind::Minor,
            planned_date: d,
            status,
            breaking: false,
            summary: String::new(),
            milestones: kinds
                .iter()
                .map(|(kind, n)| Milestone {
                    kind: *kind,
                    date: d - chrono::Duration::days(*n),
                })
                .collect(),
            freeze_start: at(&format!("{}T00:00", d - chrono::Duration::days(7))),
            freeze_end: at(&format!("{d}T00:00")),
            notes_revision: 0,
            released_at: (status == ReleaseStatus::Released).then(|| at(&format!("{d}T12:00"))),
            released_by: (status == ReleaseStatus::Released).then(|| "alice".to_string()),
            created_by: "alice".into(),
        }
    }

    fn view_with(releases: Vec<ReleaseRow>, frozen: bool) -> ReleasesView {
        ReleasesView {
            now: at("2026-12-01T10:00"),
            today: day("2026-12-01"),
            active_freeze: frozen
                .then(|| {
                    releases
                        .iter()
                        .find(|r| r.status == ReleaseStatus::Frozen)
                        .cloned()
                })
                .flatten(),
            last_released: Some("1.2.0".into()),
            releases,
            settings: ReleaseSettingsView {
                feature_freeze_days: 14,
                code_freeze_days: 7,
                final_test_days: 3,
                release_notes_days: 1,
                issue_url_template: "https://example.com/issues/{n}".into(),
            },
        }
    }

    fn render(lang: Lang, f: impl FnOnce() -> AnyView) -> String {
        let owner = Owner::new();
        owner.with(|| {
            provide_context(lang);
            without_markers(&f().to_html())
        })
    }

    /// The HTML without the hydration markers (`<!>`, `<!--…-->`) between text nodes.
    pub(crate) fn without_markers(html: &str) -> String {
        let mut out = String::with_capacity(html.len());
        let mut rest = html;
        while let Some(i) = rest.find("<!") {
            out.push_str(&rest[..i]);
            let after = &rest[i..];
            let end = if after.starts_with("<!--") {
                after.find("-->").map(|e| e + 3)
            } else {
                after.find('>').map(|e| e + 1)
            };
            match end {
                Some(e) => rest = &after[e..],
                None => {
                    rest = after;
                    break;
                }
            }
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn r_rel_3_list_shows_the_freeze_banner_statuses_and_milestones() {
        let v = view_with(
            vec![
                row(7, "1.3.0", "2026-12-06", ReleaseStatus::Frozen),
                row(6, "1.2.0", "2026-11-01", ReleaseStatus::Released),
                row(5, "1.1.9", "2026-10-01", ReleaseStatus::Cancelled),
            ],
            true,
        );
        let tz = chrono_tz::Asia::Tokyo;
        let html = render(Lang::En, move || {
            view! { <ReleasesBody v=v tz=tz manager=false admin=false/> }.into_any()
        });
        assert!(html.contains("data-testid=\"freeze-banner\""), "{html}");
        assert!(html.contains(
            "Code freeze for v1.3.0 until 2026-12-06 00:00 JST: Production deploys are blocked."
        ));
        assert_eq!(html.matches("data-testid=\"release-row\"").count(), 3);
        assert!(html.contains("href=\"/releases/7\""));
        assert!(html.contains(">v1.3.0</a>"));
        // Status by word and icon, not colour alone.
        assert!(
            html.contains("code freeze") && html.contains("released") && html.contains("cancelled")
        );
        assert!(html.contains("Feature freeze"));
        assert!(html.contains("11-22"));
        assert!(html.contains("2026-11-01 12:00 JST · by alice"));
        assert!(html.contains("Last released: v1.2.0 · next: v1.3.0 on 2026-12-06 (in 5 days)"));
        // A viewer reads only.
        assert!(html.contains("data-testid=\"read-only\""));
        assert!(!html.contains("release-settings"));
    }

    #[test]
    fn r_rel_3_empty_list_and_admin_settings_in_japanese() {
        let v = view_with(Vec::new(), false);
        let tz = chrono_tz::Asia::Tokyo;
        let html = render(Lang::Ja, move || {
            view! { <ReleasesBody v=v tz=tz manager=true admin=true/> }.into_any()
        });
        assert!(html.contains("data-testid=\"releases-empty\""));
        assert!(html.contains("下のフォームから最初のリリースを計画してください"));
        assert!(!html.contains("freeze-banner"));
        assert!(html.contains("data-testid=\"release-settings\""));
        assert!(!html.contains("data-testid=\"read-only\""));
    }
}
