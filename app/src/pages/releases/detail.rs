//! `/releases/{id}` (issue 11, R-REL-1..5): one release — its plan and
//! milestones, the rendered notes with their Markdown export, the history
//! with a diff, and for release managers publish / cancel / edit plan and
//! the notes editor with its live preview.

use super::msg::{kind_text, milestone_label, relative_day, rt, status_badge, RelMsg as M};
use super::notes::{Editor, NotesEditor};
use super::plan::{live_check, CheckArgs, PlanCheckView, PlanFields, PlanInputs, SaveArgs};
use crate::api::releases::{
    cancel_release, check_plan, diff_release_notes, load_release, publish_release, update_release,
};
use crate::components::confirm::confirm;
use crate::components::error_box::{error_text, ErrorBox};
use crate::components::layout::{urlencode, use_shell};
use crate::error::AppError;
use crate::i18n::{fill, Lang, Msg};
use crate::model::releases::{DiffLine, PlanSaved, ReleaseDetail, ReleaseRow, ReleaseStatus};
use crate::role::{Access, Role};
use crate::{tr, use_lang};
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The page's actions on the release itself, created by the page (their
/// outcome survives the detail reloading).
#[derive(Clone, Copy)]
struct ReleaseActions {
    publish: Action<i64, Result<(), AppError>>,
    cancel: Action<i64, Result<(), AppError>>,
    update: Action<(i64, SaveArgs), Result<PlanSaved, AppError>>,
    diff: Action<(i64, i32, i32), Result<Vec<DiffLine>, AppError>>,
}

impl ReleaseActions {
    fn new(reload: RwSignal<u32>) -> Self {
        let publish = Action::new(|id: &i64| publish_release(*id));
        let cancel = Action::new(|id: &i64| cancel_release(*id));
        let update = Action::new(|(id, a): &(i64, SaveArgs)| {
            let (id, (version, date, breaking, summary)) = (*id, a.clone());
            async move { update_release(id, version, date, breaking, summary).await }
        });
        let diff =
            Action::new(|(id, from, to): &(i64, i32, i32)| diff_release_notes(*id, *from, *to));
        // One effect each: an old success must not reload again on a later failure.
        Effect::new(move |_| {
            if matches!(publish.value().get(), Some(Ok(()))) {
                reload.update(|n| *n += 1);
            }
        });
        Effect::new(move |_| {
            if matches!(cancel.value().get(), Some(Ok(()))) {
                reload.update(|n| *n += 1);
            }
        });
        Effect::new(move |_| {
            if matches!(update.value().get(), Some(Ok(_))) {
                reload.update(|n| *n += 1);
            }
        });
        ReleaseActions {
            publish,
            cancel,
            update,
            diff,
        }
    }

    /// Forgets the outcomes (another release was opened).
    fn clear(self) {
        self.publish.value().set(None);
        self.cancel.value().set(None);
        self.update.value().set(None);
        self.diff.value().set(None);
    }
}

#[component]
pub fn ReleasePage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok())));
    // Created here, at the page's top level: a resource created inside a
    // `Suspend` does not hydrate.
    let reload = RwSignal::new(0u32);
    let detail = Resource::new(
        move || (id.get(), reload.get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_release(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let shell = use_shell();
    // The editor's texts live here, outside the reloading view: reloading
    // the release (after a save, a publish, a conflict) never loses an edit.
    let editor = Editor::new(reload);
    let actions = ReleaseActions::new(reload);
    let shown = StoredValue::new(None::<i64>);
    view! {
        <Title text=rt(M::ReleaseTitle)/>
        <div class="releases">
            <p><a href="/releases" data-testid="back-to-releases">"← " {rt(M::BackToList)}</a></p>
            <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    let state = match shell {
                        Some(s) => s.await.ok(),
                        None => None,
                    };
                    let tz = crate::time::zone(&state.as_ref().map(|s| s.time_zone.clone()).unwrap_or_default());
                    let manager = state
                        .and_then(|s| s.user)
                        .is_some_and(|u| u.can(Access::AnyOf(&[Role::ReleaseManager])));
                    match detail.await {
                        Err(e) => view! {
                            <h1>{rt(M::ReleaseTitle)}</h1>
                            <ErrorBox error=e/>
                        }.into_any(),
                        Ok(d) => {
                            if shown.get_value() != Some(d.release.id) {
                                if shown.get_value().is_some() {
                                    actions.clear();
                                }
                                shown.set_value(Some(d.release.id));
                            }
                            editor.init(&d);
                            view! { <ReleaseBody d=d tz=tz manager=manager editor=editor actions=actions/> }.into_any()
                        }
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn ReleaseBody(
    d: ReleaseDetail,
    tz: Tz,
    manager: bool,
    editor: Editor,
    actions: ReleaseActions,
) -> impl IntoView {
    let lang = use_lang();
    let today = d.now.with_timezone(&tz).date_naive();
    let r = d.release.clone();
    let open = matches!(r.status, ReleaseStatus::Planned | ReleaseStatus::Frozen);
    let can_edit_notes = manager && r.status != ReleaseStatus::Cancelled;
    let export_name = format!("v{}-release-notes.md", r.version);
    let export_href = format!(
        "data:text/markdown;charset=utf-8,{}",
        urlencode(&d.markdown)
    );
    let has_notes = d.release.notes_revision > 0;
    let html = d.html.clone();
    view! {
        <Header r=r.clone() today=today tz=tz lang=lang/>
        {(manager && open).then(|| view! { <ManagerActions r=r.clone() actions=actions/> })}
        {(!manager).then(|| view! { <p class="muted" data-testid="read-only">{M::ReadOnly.text(lang)}</p> })}
        <section class="card" data-testid="notes-section">
            <div class="row spread">
                <h2>{M::NotesTitle.text(lang)}</h2>
                {has_notes.then(|| view! {
                    <a class="button small" download=export_name href=export_href data-testid="export-md">
                        <span aria-hidden="true">"⤓ "</span>{M::Export.text(lang)}
                    </a>
                })}
            </div>
            {if has_notes {
                view! { <div class="notes" data-testid="notes-html" inner_html=html></div> }.into_any()
            } else {
                view! {
                    <p class="empty-state" data-testid="notes-empty">{M::NotesEmpty.text(lang)}</p>
                    <div class="notes" data-testid="notes-html"></div>
                }.into_any()
            }}
        </section>
        {can_edit_notes.then(|| view! {
            <NotesEditor editor=editor release=r.clone() stored_html=d.html.clone() tz=tz/>
        })}
        <History d=d tz=tz diff=actions.diff/>
    }
}

#[component]
fn Header(r: ReleaseRow, today: chrono::NaiveDate, tz: Tz, lang: Lang) -> impl IntoView {
    let released = match (&r.released_by, r.released_at) {
        (by, Some(at)) => fill(
            M::ReleasedByAt.text(lang),
            &[
                ("by", by.as_deref().unwrap_or("—")),
                ("at", &crate::time::format(at, tz)),
            ],
        ),
        _ => M::NotReleasedYet.text(lang).to_string(),
    };
    let milestones = r
        .milestones
        .iter()
        .map(|m| {
            let past = m.date < today;
            view! {
                <li class:past=past data-kind=format!("{:?}", m.kind)>
                    <span class="ms-label">{milestone_label(m.kind, lang)}</span>
                    " "
                    <time datetime=m.date.to_string()>{m.date.to_string()}</time>
                    <span class="muted">" · " {relative_day(today, m.date, lang)}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card release-header" data-testid="release-header">
            <h1 data-testid="release-version">{format!("v{}", r.version)} " " {status_badge(r.status, lang)}</h1>
            <p class="answer" data-testid="release-answer">
                {M::PlannedDate.text(lang)} ": "
                <time datetime=r.planned_date.to_string()>{r.planned_date.to_string()}</time>
                " (" {relative_day(today, r.planned_date, lang)} ") · "
                {kind_text(r.kind, lang)}
                {r.breaking.then(|| view! {
                    " · " <span class="status-warning"><span aria-hidden="true">"⚠ "</span>{M::Breaking.text(lang)}</span>
                })}
            </p>
            {(!r.summary.is_empty()).then(|| view! { <p data-testid="release-summary">{r.summary.clone()}</p> })}
            <h3 class="small-heading">{M::Milestones.text(lang)}</h3>
            <ul class="plain release-milestones" data-testid="release-milestones">{milestones}</ul>
            <p data-testid="released-by">{released}</p>
            <p class="muted" data-testid="linked-deploys">{M::LinkedDeploys.text(lang)}</p>
            <p class="muted small">{M::PlannedBy.text(lang)} " " {r.created_by.clone()}</p>
        </section>
    }
}

/// Publish, cancel and the plan's edit form (release managers, while planned).
#[component]
fn ManagerActions(r: ReleaseRow, actions: ReleaseActions) -> impl IntoView {
    let lang = use_lang();
    let ReleaseActions {
        publish,
        cancel,
        update,
        ..
    } = actions;
    let id = r.id;
    let v = r.version.clone();
    let confirm_publish = fill(M::ConfirmPublish.text(lang), &[("version", &v)]);
    let confirm_cancel = fill(M::ConfirmCancel.text(lang), &[("version", &v)]);
    let action_error = move || {
        publish
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| cancel.value().get().and_then(|r| r.err()))
            .map(|e| error_text(&e))
    };
    let busy = move || publish.pending().get() || cancel.pending().get();
    view! {
        <section class="card" data-testid="release-actions">
            <div class="row">
                <button type="button" class="button primary" data-testid="publish-release" disabled=busy
                    on:click=move |_| if confirm(&confirm_publish) { publish.dispatch(id); }>
                    {fill(M::Publish.text(lang), &[("version", &v)])}
                </button>
                <button type="button" class="button danger" data-testid="cancel-release" disabled=busy
                    on:click=move |_| if confirm(&confirm_cancel) { cancel.dispatch(id); }>
                    {fill(M::CancelRelease.text(lang), &[("version", &v)])}
                </button>
            </div>
            <p class="alert alert-error" role="alert" data-testid="release-action-error" hidden=move || action_error().is_none()>
                {action_error}
            </p>
            <details data-testid="edit-plan">
                <summary>{M::EditPlan.text(lang)}</summary>
                <EditPlan r=r.clone() update=update/>
            </details>
        </section>
    }
}

#[component]
fn EditPlan(
    r: ReleaseRow,
    update: Action<(i64, SaveArgs), Result<PlanSaved, AppError>>,
) -> impl IntoView {
    let lang = use_lang();
    let id = r.id;
    let inputs = PlanInputs::new(
        r.version.clone(),
        r.planned_date.to_string(),
        r.breaking,
        r.summary.clone(),
    );
    let check = Action::new(move |a: &CheckArgs| {
        let (version, date, breaking, features, fixes) = a.clone();
        async move { check_plan(Some(id), version, date, breaking, features, fixes).await }
    });
    live_check(inputs, check);
    let result = update.value();
    let error = Signal::derive(move || result.get().and_then(|r| r.err()));
    let general = move || {
        error
            .get()
            .filter(|e| !matches!(e, AppError::Validation(_)) && e.for_field("version").is_none())
            .map(|e| error_text(&e))
    };
    let saved = move || {
        result.get().and_then(|r| r.ok()).map(|s| {
            let items = s
                .warnings
                .iter()
                .map(|w| view! { <li>{w.clone()}</li> })
                .collect_view();
            let class = if s.warnings.is_empty() {
                "alert alert-ok"
            } else {
                "alert rel-warning"
            };
            view! {
                <div class=class role="status" data-testid="edit-plan-saved">
                    {M::PlanSaved.text(lang)}
                    {(!s.warnings.is_empty()).then(|| view! { <ul>{items}</ul> })}
                </div>
            }
        })
    };
    view! {
        <div class="plan-layout">
            <form class="stack" data-testid="edit-plan-form" novalidate
                on:submit=move |ev| { ev.prevent_default(); update.dispatch((id, inputs.save_args())); }>
                <PlanFields prefix="edit" inputs=inputs error=error/>
                <p class="alert alert-error" role="alert" hidden=move || general().is_none()>{general}</p>
                {saved}
                <div class="row">
                    <button type="submit" class="button primary" data-testid="edit-plan-submit"
                        disabled=move || update.pending().get()>{M::SavePlan.text(lang)}</button>
                </div>
            </form>
            <PlanCheckView check=check version=inputs.version/>
        </div>
    }
}

/// Every revision of the notes, and a diff between any two of them.
#[component]
fn History(
    d: ReleaseDetail,
    tz: Tz,
    diff: Action<(i64, i32, i32), Result<Vec<DiffLine>, AppError>>,
) -> impl IntoView {
    let lang = use_lang();
    let id = d.release.id;
    let head = d.release.notes_revision;
    let from = RwSignal::new((head - 1).max(0));
    let to = RwSignal::new(head);
    let rows = d
        .revisions
        .iter()
        .map(|rev| {
            view! {
                <tr data-testid="revision-row" data-revision=rev.revision.to_string()>
                    <th scope="row">{rev.revision}</th>
                    <td>{rev.author.clone()}</td>
                    <td><time datetime=rev.created_at.to_rfc3339()>{crate::time::format(rev.created_at, tz)}</time></td>
                    <td class="num">{rev.bytes} " " {M::Bytes.text(lang)}</td>
                </tr>
            }
        })
        .collect_view();
    let mut numbers: Vec<i32> = d.revisions.iter().map(|r| r.revision).collect();
    numbers.push(0);
    numbers.sort_unstable_by(|a, b| b.cmp(a));
    numbers.dedup();
    let options = move |selected: i32| {
        numbers
            .iter()
            .map(|n| {
                let n = *n;
                let label = if n == 0 {
                    M::EmptyRevision.text(lang).to_string()
                } else {
                    n.to_string()
                };
                view! { <option value=n.to_string() selected=n == selected>{label}</option> }
            })
            .collect_view()
    };
    let from_options = options(from.get_untracked());
    let to_options = options(to.get_untracked());
    let result = diff.value();
    let output = move || {
        result.get().map(|r| match r {
            Err(e) => view! { <p class="alert alert-error" role="alert">{error_text(&e)}</p> }.into_any(),
            Ok(lines) => {
                let changed = lines.iter().any(|l| l.tag != ' ');
                let lines = lines
                    .into_iter()
                    .map(|l| {
                        let class = match l.tag {
                            '+' => "diff-line diff-add",
                            '-' => "diff-line diff-del",
                            _ => "diff-line diff-same",
                        };
                        view! { <div class=class>{format!("{}{}", l.tag, l.text)}</div> }
                    })
                    .collect_view();
                view! {
                    {(!changed).then(|| view! { <p class="muted">{M::NoDifferences.text(lang)}</p> })}
                    <div class="diff" data-testid="notes-diff">{lines}</div>
                }
                .into_any()
            }
        })
    };
    let empty = d.revisions.is_empty();
    view! {
        <section class="card" data-testid="notes-history">
            <h2>{M::HistoryTitle.text(lang)}</h2>
            {if empty {
                view! { <p class="empty-state">{M::NoRevisions.text(lang)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table data-testid="revisions-table">
                            <thead><tr>
                                <th scope="col">{M::Revision.text(lang)}</th>
                                <th scope="col">{M::Author.text(lang)}</th>
                                <th scope="col">{M::When.text(lang)}</th>
                                <th scope="col">{M::Size.text(lang)}</th>
                            </tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                    <form class="filters diff-form" data-testid="diff-form"
                        on:submit=move |ev| { ev.prevent_default(); diff.dispatch((id, from.get_untracked(), to.get_untracked())); }>
                        <div class="field">
                            <label for="diff-from">{M::CompareFrom.text(lang)}</label>
                            <select id="diff-from" data-testid="diff-from"
                                on:change=move |ev| from.set(event_target_value(&ev).parse().unwrap_or(0))>{from_options}</select>
                        </div>
                        <div class="field">
                            <label for="diff-to">{M::CompareTo.text(lang)}</label>
                            <select id="diff-to" data-testid="diff-to"
                                on:change=move |ev| to.set(event_target_value(&ev).parse().unwrap_or(0))>{to_options}</select>
                        </div>
                        <button type="submit" class="button" data-testid="diff-compare"
                            disabled=move || diff.pending().get()>{M::Compare.text(lang)}</button>
                    </form>
                    {output}
                }.into_any()
            }}
        </section>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod render_tests {
    use super::*;
    use crate::model::releases::{NotesForm, RevisionMeta};
    use crate::pages::releases::list::render_tests::{row, without_markers};
    use opsdeck::release_notes::Section;

    fn detail(status: ReleaseStatus) -> ReleaseDetail {
        let mut release = row(7, "1.3.0", "2026-12-06", status);
        release.notes_revision = 2;
        let notes = NotesForm {
            new_features: "Deck sharing (#123)".into(),
            upgrade_steps: "Clear the cache".into(),
            ..NotesForm::default()
        }
        .to_notes(opsdeck::versions::Version::new(1, 3, 0), false);
        let markdown = notes.render_markdown();
        let now = crate::time::parse_local("2026-12-01T10:00", chrono_tz::Asia::Tokyo)
            .expect("time")
            .expect("some");
        ReleaseDetail {
            now,
            release,
            notes,
            markdown,
            html: "<h1>v1.3.0 リリースノート</h1>".into(),
            revisions: vec![
                RevisionMeta {
                    revision: 2,
                    author: "bob".into(),
                    created_at: now,
                    bytes: 120,
                },
                RevisionMeta {
                    revision: 1,
                    author: "alice".into(),
                    created_at: now,
                    bytes: 80,
                },
            ],
            issue_url_template: "https://example.com/issues/{n}".into(),
        }
    }

    fn render(status: ReleaseStatus, manager: bool) -> String {
        let owner = Owner::new();
        let html = owner.with(|| {
            provide_context(Lang::En);
            let reload = RwSignal::new(0u32);
            let editor = Editor::new(reload);
            let actions = ReleaseActions::new(reload);
            let d = detail(status);
            editor.init(&d);
            let tz = chrono_tz::Asia::Tokyo;
            view! { <ReleaseBody d=d tz=tz manager=manager editor=editor actions=actions/> }
                .into_any()
                .to_html()
        });
        without_markers(&html)
    }

    #[test]
    fn r_rel_4_manager_sees_actions_editor_export_and_history() {
        let html = render(ReleaseStatus::Frozen, true);
        assert!(html.contains("data-testid=\"publish-release\""), "{html}");
        assert!(html.contains("Publish v1.3.0"));
        assert!(html.contains("data-testid=\"cancel-release\""));
        assert!(html.contains("data-testid=\"edit-plan\""));
        assert!(html.contains("data-testid=\"notes-html\""));
        assert!(html.contains("<h1>v1.3.0 リリースノート</h1>"));
        assert!(html.contains("download=\"v1.3.0-release-notes.md\""));
        assert!(html.contains("href=\"data:text/markdown;charset=utf-8,%23%20v1.3.0"));
        // One textarea per section, filled from the head revision.
        for s in Section::ALL {
            assert!(
                html.contains(&format!("data-testid=\"notes-{}\"", s.key())),
                "{s:?}"
            );
        }
        assert!(html.contains("新機能 / New features"));
        assert!(html.contains(">Deck sharing (#123)</textarea>"));
        assert!(html.contains("Editing on top of revision 2."));
        assert!(html.contains("data-testid=\"notes-preview\""));
        assert!(html.contains("linked-deploys"));
        assert_eq!(html.matches("data-testid=\"revision-row\"").count(), 2);
        assert!(html.contains("data-testid=\"diff-compare\""));
        assert!(
            !html.contains("disabled>"),
            "nothing is locked before publishing"
        );
    }

    #[test]
    fn r_rel_5_published_release_locks_all_but_known_issues() {
        let html = render(ReleaseStatus::Released, true);
        assert!(!html.contains("publish-release"));
        assert!(html.contains("data-testid=\"notes-locked\""));
        assert!(html.contains("Released by alice at 2026-12-06 12:00 JST"));
        let known = &html[html
            .find("data-testid=\"notes-known_issues\"")
            .expect("known")..];
        assert!(!known[..known.find('>').expect("tag end")].contains("disabled"));
        let features = &html[html
            .find("data-testid=\"notes-new_features\"")
            .expect("features")..];
        assert!(features[..features.find('>').expect("tag end")].contains("disabled"));
    }

    #[test]
    fn r_rel_4_viewer_reads_only() {
        let html = render(ReleaseStatus::Planned, false);
        assert!(html.contains("data-testid=\"read-only\""));
        assert!(html.contains("data-testid=\"notes-html\""));
        assert!(html.contains("data-testid=\"export-md\""));
        for absent in [
            "publish-release",
            "cancel-release",
            "edit-plan",
            "notes-editor",
            "<textarea",
        ] {
            assert!(!html.contains(absent), "{absent}");
        }
    }
}
