//! "Are we OK?" at a glance (R-UI-1): environments first; the other answers arrive with their areas.

use crate::api::overview::{list_environments, load_overview_summary};
use crate::components::error_box::ErrorBox;
use crate::components::health::HealthBadge;
use crate::components::layout::use_shell;
use crate::i18n::Msg;
use crate::model::{EnvironmentRow, HealthLevel};
use crate::{tr, use_lang};
use leptos::prelude::*;
use leptos_meta::Title;

fn answer(envs: &[EnvironmentRow]) -> Msg {
    if envs.is_empty() || envs.iter().all(|e| e.health == HealthLevel::Unknown) {
        Msg::OverviewAnswerUnknown
    } else if envs
        .iter()
        .all(|e| matches!(e.health, HealthLevel::Ok | HealthLevel::Unknown))
    {
        Msg::OverviewAnswerOk
    } else {
        Msg::OverviewAnswerWarn
    }
}

#[component]
pub fn OverviewPage() -> impl IntoView {
    let envs = Resource::new(|| (), |_| list_environments());
    let summary = Resource::new(|| (), |_| load_overview_summary());
    let lang = use_lang();
    let tz = use_shell();
    view! {
        <Title text=tr(Msg::OverviewTitle)/>
        <h1>{tr(Msg::OverviewTitle)}</h1>
        <Suspense fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
            {move || Suspend::new(async move {
                let zone = match tz { Some(s) => s.await.map(|s| s.time_zone).unwrap_or_default(), None => String::new() };
                let zone = crate::time::zone(&zone);
                match envs.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! {
                        <p class="answer">{tr(answer(&rows))}</p>
                        <p class="card empty-state">{tr(Msg::NoEnvironments)}</p>
                    }.into_any(),
                    Ok(rows) => {
                        let summary = tr(answer(&rows));
                        let body = rows.into_iter().map(|e| view! {
                            <tr data-testid=format!("env-{}", e.name.to_lowercase())>
                                <th scope="row"><a href=format!("/deploys#env-{}", e.name.to_lowercase()) data-testid="env-link">{e.name.clone()}</a>
                                    {e.code_freeze.clone().map(|v| view! {
                                        <a class="freeze-tag" href="/releases/calendar" data-testid="env-freeze">
                                            <span aria-hidden="true">"❄ "</span>{format!("{} v{v}", tr(Msg::CodeFreeze))}
                                        </a>
                                    })}
                                </th>
                                <td><HealthBadge level=e.health/></td>
                                <td>{e.deployed_version.clone().unwrap_or_else(|| "—".into())}</td>
                                <td><code>{e.deployed_commit.clone().map(|c| c.chars().take(8).collect::<String>()).unwrap_or_else(|| "—".into())}</code></td>
                                <td>{e.live_colour.clone().map(|c| view! { <span class=format!("colour {c}")>{c.clone()}</span> })}</td>
                                <td>{e.last_deploy_at.map(|t| crate::time::format(t, zone)).unwrap_or_else(|| "—".into())}</td>
                                <td>{e.approved_by.clone().unwrap_or_else(|| "—".into())}</td>
                            </tr>
                        }).collect_view();
                        view! {
                            <p class="answer" data-testid="overview-answer">{summary}</p>
                            <section class="card">
                                <h2>{tr(Msg::Environments)}</h2>
                                <div class="table-wrap">
                                <table>
                                    <thead><tr>
                                        <th scope="col">{tr(Msg::Environment)}</th>
                                        <th scope="col">{tr(Msg::Health)}</th>
                                        <th scope="col">{tr(Msg::Version)}</th>
                                        <th scope="col">{tr(Msg::Commit)}</th>
                                        <th scope="col">{tr(Msg::LiveColour)}</th>
                                        <th scope="col">{tr(Msg::LastDeploy)}</th>
                                        <th scope="col">{tr(Msg::ApprovedBy)}</th>
                                    </tr></thead>
                                    <tbody>{body}</tbody>
                                </table>
                                </div>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let zone = match tz { Some(s) => s.await.map(|s| s.time_zone).unwrap_or_default(), None => String::new() };
                let zone = crate::time::zone(&zone);
                summary.await.ok().map(|s| {
                    let window = s.next_maintenance.map(|(start, end)| view! {
                        <p class="stat" data-testid="next-maintenance">
                            {crate::time::format(start, zone)} " – " {end.with_timezone(&zone).format("%H:%M").to_string()}
                            " · " {crate::time::until(s.now, start, lang)}
                        </p>
                        <p class="muted" data-testid="announcement-state">{match s.announced_at {
                            Some(at) => format!("✓ {}: {}", tr(Msg::Announced), crate::time::format(at, zone)),
                            None => format!("{}: {}", tr(Msg::AnnounceFrom), s.announce_at.map(|a| crate::time::format(a, zone)).unwrap_or_default()),
                        }}</p>
                    });
                    view! {
                        <div class="grid">
                            <section class="card">
                                <h2>{tr(Msg::NextMaintenance)}</h2>
                                {window}
                            </section>
                            <section class="card">
                                <h2>{tr(Msg::SlaTarget)}</h2>
                                <p class="stat">{format!("{}%", s.sla_target_percent)}</p>
                                <p class="muted">{tr(Msg::AllowedDowntime)} ": "
                                    {s.allowed_downtime_minutes.map(|m| format!("{m:.2} {}", tr(Msg::Minutes)))}</p>
                            </section>
                        </div>
                    }
                })
            })}
        </Suspense>
        <div class="grid">
            <section class="card"><h2><a href="/sla">{tr(Msg::NavSla)} " →"</a></h2></section>
            <section class="card"><h2><a href="/alerts">{tr(Msg::NavAlerts)} " →"</a></h2></section>
            <crate::pages::costs::card::BudgetCard/>
            <crate::pages::backups::card::BackupCard/>
            <crate::pages::releases::card::ReleasesCard/>
        </div>
    }
}
