//! `/deploys`: the environment board (R-DEP-1) in pipeline order, the
//! deploys waiting for the signed-in approver (R-DEP-5), a form to request
//! a deploy by hand, and an environment's history (`?env=production`),
//! 20 a page.

use super::msg::DepMsg as M;
use super::{colour_text, dt, env_label, short_commit, DeployLine};
use crate::api::deploys::{load_deploy_board, load_deploy_history, RequestDeploy};
use crate::components::error_box::{error_text, ErrorBox};
use crate::components::layout::{urlencode, use_shell};
use crate::i18n::{fill, Msg};
use crate::model::deploys::{BoardEnvironment, BoardView, DeployHistory, DeployStatus};
use crate::role::{Access, Role};
use crate::{tr, use_lang};
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use opsdeck::deploy_gate::Environment;

/// Who may request a deploy by hand (the server checks the same).
const REQUESTERS: Access = Access::AnyOf(&[Role::Approver, Role::Operator, Role::ReleaseManager]);

#[component]
pub fn DeploysPage() -> impl IntoView {
    let query = use_query_map();
    let history_query = Memo::new(move |_| {
        query.with(|q| {
            let env = q.get("env").and_then(|e| e.parse::<Environment>().ok())?;
            let text = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
            let id = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
            Some(HistoryQuery {
                env,
                status: text("status"),
                version: text("version"),
                requester: text("requester"),
                before: id("before"),
                after: id("after"),
            })
        })
    });
    let version = RwSignal::new(0u32);
    let board = Resource::new(move || version.get(), |_| load_deploy_board());
    let history = Resource::new(
        move || (history_query.get(), version.get()),
        |(h, _)| async move {
            match h {
                Some(h) => load_deploy_history(
                    h.env.key().to_string(),
                    h.status.clone(),
                    h.version.clone(),
                    h.requester.clone(),
                    h.before,
                    h.after,
                )
                .await
                .map(|p| Some((h, p))),
                None => Ok(None),
            }
        },
    );
    let request = ServerAction::<RequestDeploy>::new();
    Effect::new(move |_| {
        if matches!(request.value().get(), Some(Ok(_))) {
            version.update(|v| *v += 1);
        }
    });
    let shell = use_shell();
    view! {
        <Title text=dt(M::Title)/>
        <div class="deploys">
            <h1>{dt(M::Title)}</h1>
            <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    let state = match shell { Some(s) => s.await.ok(), None => None };
                    let tz = crate::time::zone(&state.as_ref().map(|s| s.time_zone.clone()).unwrap_or_default());
                    let user = state.as_ref().and_then(|s| s.user.clone());
                    let approver = user.as_ref().is_some_and(|u| u.can(Access::AnyOf(&[Role::Approver])));
                    let admin = user.as_ref().is_some_and(|u| u.can(Access::ADMIN));
                    let requester = user.as_ref().is_some_and(|u| u.can(REQUESTERS));
                    match board.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(b) => view! {
                            {admin.then(|| view! { <p><a href="/deploys/settings" data-testid="deploy-settings-link">{dt(M::SettingsTitle)} " →"</a></p> })}
                            <Board b=b tz=tz approver=approver requester=requester/>
                        }.into_any(),
                    }
                })}
            </Transition>
            <RequestForm request=request/>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let state = match shell { Some(s) => s.await.ok(), None => None };
                    let tz = crate::time::zone(&state.as_ref().map(|s| s.time_zone.clone()).unwrap_or_default());
                    match history.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(None) => ().into_any(),
                        Ok(Some((h, page))) => view! { <History h=h page=page tz=tz/> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn Board(b: BoardView, tz: Tz, approver: bool, requester: bool) -> impl IntoView {
    let lang = use_lang();
    let waiting = approver.then(|| {
        let body = if b.waiting_for_you.is_empty() {
            view! { <p class="muted" data-testid="nothing-waiting">{M::NothingWaiting.text(lang)}</p> }.into_any()
        } else {
            let items = b
                .waiting_for_you
                .iter()
                .cloned()
                .map(|row| {
                    let env = env_label(row.environment, lang);
                    view! { <li><strong>{env}</strong> " " <DeployLine row=row tz=tz/></li> }
                })
                .collect_view();
            view! { <ul class="plain" data-testid="waiting-list">{items}</ul> }.into_any()
        };
        view! {
            <section class="card" data-testid="waiting-for-you">
                <h2>{M::WaitingForYou.text(lang)}</h2>
                {body}
            </section>
        }
    });
    let envs = b
        .environments
        .into_iter()
        .map(|e| view! { <EnvironmentCard e=e tz=tz/> })
        .collect_view();
    view! {
        {(!requester).then(|| view! { <p class="muted" data-testid="read-only">{M::ReadOnly.text(lang)}</p> })}
        {waiting}
        <h2>{M::Board.text(lang)}</h2>
        <div class="grid env-board" data-testid="env-board">{envs}</div>
    }
}

#[component]
fn EnvironmentCard(e: BoardEnvironment, tz: Tz) -> impl IntoView {
    let lang = use_lang();
    let key = e.environment.key();
    let transition = e.live_colour.is_none().then(|| {
        view! { <p class="status-critical" data-testid="in-transition"><span aria-hidden="true">"⚠ "</span>
            {M::TrafficMoving.text(lang)}</p> }
    });
    let colours = e
        .colours
        .iter()
        .map(|c| {
            let (class, icon) = match c.health.as_str() {
                "ok" => ("status-ok", "✓"),
                "warning" => ("status-warning", "▲"),
                "critical" => ("status-critical", "✗"),
                _ => ("status-unknown", "?"),
            };
            let role = if c.live { M::Live } else { M::Idle };
            view! {
                <tr data-testid=format!("colour-{}", colour_text(c.colour, crate::i18n::Lang::En)) data-live=c.live.to_string()>
                    <th scope="row">
                        <span class=format!("colour-dot {}", colour_text(c.colour, crate::i18n::Lang::En)) aria-hidden="true"></span>
                        {colour_text(c.colour, lang)}
                        {c.live.then(|| view! { " " <span class="badge ok">{role.text(lang)}</span> })}
                    </th>
                    <td>{c.version.clone().unwrap_or_else(|| M::NoVersion.text(lang).to_string())}</td>
                    <td><code title=c.commit_sha.clone().unwrap_or_default()>{c.commit_sha.as_deref().map(short_commit).unwrap_or_default()}</code></td>
                    <td><span class=class><span aria-hidden="true">{icon} " "</span>{c.health.clone()}</span></td>
                </tr>
            }
        })
        .collect_view();
    let freeze = e.code_freeze.clone().map(|r| {
        view! { <p class="status-warning" data-testid="env-freeze"><span aria-hidden="true">"❄ "</span>{fill(M::FrozenBy.text(lang), &[("release", &r)])}</p> }
    });
    let active = e.active.clone().map(|row| {
        let word = if row.status.is_running() { M::Running } else { M::Queued };
        view! { <p data-testid="env-active"><strong>{word.text(lang)} ": "</strong><DeployLine row=row tz=tz/></p> }
    });
    let queued = (!e.queued.is_empty()).then(|| {
        let items = e
            .queued
            .iter()
            .cloned()
            .map(|row| view! { <li><DeployLine row=row tz=tz/></li> })
            .collect_view();
        view! {
            <p><strong>{M::Queued.text(lang)}</strong></p>
            <ol class="small" data-testid="env-queue">{items}</ol>
        }
    });
    let last = match e.last.clone() {
        Some(row) => view! { <p data-testid="env-last"><strong>{M::LastDeploy.text(lang)} ": "</strong><DeployLine row=row tz=tz/></p> }.into_any(),
        None => view! { <p class="muted" data-testid="env-last">{M::NoDeployYet.text(lang)}</p> }.into_any(),
    };
    let mut needs = Vec::new();
    if e.checklist_required {
        needs.push(M::NeedsChecklist.text(lang).to_string());
    }
    if e.approvals_required > 0 {
        needs.push(fill(
            M::NeedsApprovals.text(lang),
            &[("n", &e.approvals_required.to_string())],
        ));
    }
    needs.push(format!("{}: {}", M::Driver.text(lang), e.driver));
    view! {
        <section class="card env-card" data-testid=format!("env-{key}") id=format!("env-{key}")>
            <h3>{env_label(e.environment, lang)}</h3>
            {transition}
            {freeze}
            <div class="table-wrap">
                <table class="colours">
                    <thead><tr>
                        <th scope="col">{M::Colour.text(lang)}</th>
                        <th scope="col">{M::Version.text(lang)}</th>
                        <th scope="col">{M::Commit.text(lang)}</th>
                        <th scope="col">{M::Health.text(lang)}</th>
                    </tr></thead>
                    <tbody>{colours}</tbody>
                </table>
            </div>
            {active}
            {queued}
            {last}
            <p class="muted small">{needs.join(" · ")}</p>
            <p><a href=format!("/deploys?env={key}#history") data-testid="env-history-link">{M::History.text(lang)} " →"</a></p>
        </section>
    }
}

/// A hand-made deploy request (approvers, operators, release managers).
#[component]
fn RequestForm(request: ServerAction<RequestDeploy>) -> impl IntoView {
    let lang = use_lang();
    let shell = use_shell();
    let result = request.value();
    let message = move || {
        match result.get() {
        Some(Ok(id)) => Some(view! {
            <p class="alert alert-ok" role="status" data-testid="request-result">
                <a href=format!("/deploys/{id}") data-testid="request-link">{fill(M::Requested.text(lang), &[("id", &id.to_string())])}</a>
            </p>
        }.into_any()),
        Some(Err(e)) => Some(view! { <p class="alert alert-error" role="alert" data-testid="request-result">{error_text(&e)}</p> }.into_any()),
        None => None,
    }
    };
    let field_err = move |f: &'static str| {
        move || match result.get() {
            Some(Err(e)) => e.for_field(f).map(crate::tr),
            _ => None,
        }
    };
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let state = match shell { Some(s) => s.await.ok(), None => None };
                let can = state.and_then(|s| s.user).is_some_and(|u| u.can(REQUESTERS));
                can.then(|| view! {
                    <details class="card" data-testid="request-deploy">
                        <summary>{M::RequestDeploy.text(lang)}</summary>
                        <ActionForm action=request attr:class="stack">
                            <label>{M::Environment.text(lang)}
                                <select name="environment">{Environment::ALL
                                    .into_iter()
                                    .map(|e| view! { <option value=e.key()>{env_label(e, lang)}</option> })
                                    .collect_view()}</select>
                            </label>
                            <label>{M::Version.text(lang)}
                                <input name="version" required maxlength="100" placeholder="1.3.0"/>
                            </label>
                            <p class="field-error" role="alert">{field_err("version")}</p>
                            <label>{M::Commit.text(lang)}
                                <input name="commit_sha" maxlength="64" pattern="[0-9a-fA-F]*" placeholder="4be07d1"/>
                            </label>
                            <p class="field-error" role="alert">{field_err("commit_sha")}</p>
                            <button type="submit" class="button primary" data-testid="request-submit">{M::Request.text(lang)}</button>
                        </ActionForm>
                        {message}
                    </details>
                })
            })}
        </Suspense>
    }
}

/// The history's query string: environment, filters and keyset cursor.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct HistoryQuery {
    env: Environment,
    status: String,
    version: String,
    requester: String,
    before: Option<i64>,
    after: Option<i64>,
}

impl HistoryQuery {
    /// The link of the same filters from another cursor.
    fn href(&self, cursor: Option<(&str, i64)>) -> String {
        let mut url = format!("/deploys?env={}", self.env.key());
        for (k, v) in [
            ("status", &self.status),
            ("version", &self.version),
            ("requester", &self.requester),
        ] {
            if !v.is_empty() {
                url.push_str(&format!("&{k}={}", urlencode(v)));
            }
        }
        if let Some((k, id)) = cursor {
            url.push_str(&format!("&{k}={id}"));
        }
        url.push_str("#history");
        url
    }
}

#[component]
fn History(h: HistoryQuery, page: DeployHistory, tz: Tz) -> impl IntoView {
    let lang = use_lang();
    let env = h.env;
    let filtered = !(h.status.is_empty() && h.version.is_empty() && h.requester.is_empty());
    let body = if page.rows.is_empty() {
        let text = if filtered {
            M::NoMatchingDeploys
        } else {
            M::NoDeploys
        };
        view! { <p class="empty-state" data-testid="history-empty">{text.text(lang)}</p> }
            .into_any()
    } else {
        let rows = page
            .rows
            .into_iter()
            .map(|r| {
                view! {
                    <tr data-testid="history-row" data-deploy-id=r.id.to_string()>
                        <td><a href=format!("/deploys/{}", r.id)>{format!("#{}", r.id)}</a></td>
                        <td>{r.version.clone()}</td>
                        <td>{super::status_badge(r.status, lang)}</td>
                        <td>{r.requested_by.clone()} <br/><span class="muted">{crate::time::format(r.requested_at, tz)}</span></td>
                        <td>{if r.approvers.is_empty() { "—".to_string() } else { r.approvers.join(", ") }}</td>
                        <td>{r.finished_at.map(|f| crate::time::format(f, tz)).unwrap_or_else(|| "—".into())}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table data-testid="history">
                    <thead><tr>
                        <th scope="col">{M::ColId.text(lang)}</th>
                        <th scope="col">{M::ColVersion.text(lang)}</th>
                        <th scope="col">{M::ColStatus.text(lang)}</th>
                        <th scope="col">{M::ColRequested.text(lang)}</th>
                        <th scope="col">{M::ColApprovers.text(lang)}</th>
                        <th scope="col">{M::ColFinished.text(lang)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    // Keyset paging: "newer" and "older" rather than page numbers, so a
    // deploy requested meanwhile does not shift the rows (issue 9 item 7).
    let newest = (h.before.is_some() || h.after.is_some())
        .then(|| view! { <a class="button" href=h.href(None) data-testid="history-newest">{M::Newest.text(lang)}</a> });
    let newer = page.newer_than.map(|id| {
        view! { <a class="button" href=h.href(Some(("after", id))) data-testid="history-newer">"← " {M::Newer.text(lang)}</a> }
    });
    let older = page.older_than.map(|id| {
        view! { <a class="button" href=h.href(Some(("before", id))) data-testid="history-older">{M::Older.text(lang)} " →"</a> }
    });
    let statuses = DeployStatus::ALL
        .into_iter()
        .map(|s| {
            let word = super::status_look(s).2;
            view! { <option value=s.as_str() selected=h.status == s.as_str()>{word.text(lang)}</option> }
        })
        .collect_view();
    view! {
        <section class="card" id="history" data-testid="history-section">
            <h2>{fill(M::HistoryOf.text(lang), &[("env", env_label(env, lang))])}</h2>
            // A plain GET form: the filters live in the link, so a filtered
            // history can be bookmarked and shared, and works without wasm.
            <form method="get" action="/deploys" class="filters" data-testid="history-filters">
                <input type="hidden" name="env" value=env.key()/>
                <label>{M::ColStatus.text(lang)}
                    <select name="status" data-testid="filter-status">
                        <option value="">{M::AnyStatus.text(lang)}</option>
                        {statuses}
                    </select>
                </label>
                <label>{M::ColVersion.text(lang)}
                    <input name="version" value=h.version.clone() maxlength="100" placeholder="1.4" data-testid="filter-version"/>
                </label>
                <label>{M::Requester.text(lang)}
                    <input name="requester" value=h.requester.clone() maxlength="100" data-testid="filter-requester"/>
                </label>
                <button type="submit" data-testid="filter-apply">{M::Filter.text(lang)}</button>
            </form>
            {body}
            <nav class="pager" aria-label="pagination">{newest}{newer}{older}</nav>
        </section>
    }
}
