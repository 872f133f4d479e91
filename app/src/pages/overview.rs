//! "Are we OK?" at a glance (R-UI-1): environments first — health, SLA month
//! to date, error budget left and firing alerts — then the other areas' answers.

use crate::api::overview::{list_environments, load_overview_summary};
use crate::components::error_box::ErrorBox;
use crate::components::health::HealthBadge;
use crate::components::layout::use_shell;
use crate::i18n::Msg;
use crate::model::sla::millis_minutes;
use crate::model::{EnvironmentRow, HealthLevel};
use crate::{tr, use_lang};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

/// Whether an environment needs someone to look: its health, an alert
/// firing there, or its SLA month to date below target.
fn needs_attention(e: &EnvironmentRow) -> bool {
    matches!(e.health, HealthLevel::Warning | HealthLevel::Critical)
        || !e.firing_alerts.is_empty()
        || e.sla.as_ref().is_some_and(|s| !s.target_met)
}

fn answer(envs: &[EnvironmentRow]) -> Msg {
    if envs.iter().any(needs_attention) {
        Msg::OverviewAnswerWarn
    } else if envs.is_empty() || envs.iter().all(|e| e.health == HealthLevel::Unknown) {
        Msg::OverviewAnswerUnknown
    } else {
        Msg::OverviewAnswerOk
    }
}

/// Availability to three decimals, rounded down like the SLA page's figures
/// (999 876 ppm reads 99.987 %, never 99.988 %).
fn percent3(ppm: u32) -> String {
    format!("{}.{:03} %", ppm / 10_000, (ppm % 10_000) / 10)
}

/// The SLA month to date, linking to the environment's report; "—" without data.
fn sla_cell(e: &EnvironmentRow) -> impl IntoView {
    let href = format!("/sla?environment={}", e.name.to_lowercase());
    let figure = e
        .sla
        .as_ref()
        .and_then(|s| s.availability_ppm.map(|p| (p, s.target_met)));
    view! {
        <td class="num" data-testid="env-sla">{match figure {
            Some((ppm, met)) => Either::Left(view! {
                <a href=href class=if met { "env-figure ok" } else { "env-figure warn" }
                    title=tr(if met { Msg::SlaTargetMet } else { Msg::SlaTargetMissed })
                    data-availability-ppm=ppm.to_string() data-target-met=met.to_string()>
                    <span aria-hidden="true">{if met { "✓ " } else { "⚠ " }}</span>{percent3(ppm)}
                </a>
            }),
            None => Either::Right("—"),
        }}</td>
    }
}

/// The error budget left this month, in minutes; overspent reads "over by".
fn budget_cell(e: &EnvironmentRow) -> impl IntoView {
    let remaining = e.sla.as_ref().map(|s| s.remaining_millis);
    let text = match remaining {
        Some(ms) if ms < 0 => format!(
            "{} {} {}",
            tr(Msg::OverBudget),
            millis_minutes(ms.saturating_abs()),
            tr(Msg::Minutes)
        ),
        Some(ms) => format!("{} {}", millis_minutes(ms), tr(Msg::Minutes)),
        None => "—".into(),
    };
    let class = if remaining.is_some_and(|ms| ms < 0) {
        "num env-figure warn"
    } else {
        "num"
    };
    view! {
        <td class=class data-testid="env-budget" data-remaining-ms=remaining.map(|ms| ms.to_string())>{text}</td>
    }
}

/// The alerts firing in the environment: their count, linking to the alerts
/// page, and the rules' names.
fn alerts_cell(e: &EnvironmentRow) -> impl IntoView {
    let count = e.firing_alerts.len();
    let body = if count == 0 {
        Either::Left(view! { <span class="muted">{tr(Msg::NoFiringAlerts)}</span> })
    } else {
        let names = e
            .firing_alerts
            .iter()
            .map(|a| a.rule.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let class = if e.firing_alerts.iter().any(|a| a.severity == "critical") {
            "badge critical"
        } else {
            "badge warning"
        };
        let list = e
            .firing_alerts
            .iter()
            .map(|a| view! { <li data-severity=a.severity.clone()>{a.rule.clone()}</li> })
            .collect_view();
        Either::Right(view! {
            <a href="/alerts" class=class title=names><span aria-hidden="true">"⚠ "</span>{count}</a>
            <ul class="env-alert-list">{list}</ul>
        })
    };
    view! { <td data-testid="env-alerts" data-count=count.to_string()>{body}</td> }
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
                                {sla_cell(&e)}
                                {budget_cell(&e)}
                                {alerts_cell(&e)}
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
                                        <th scope="col">{tr(Msg::SlaMonthToDate)}</th>
                                        <th scope="col">{tr(Msg::BudgetLeft)}</th>
                                        <th scope="col">{tr(Msg::FiringAlerts)}</th>
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
