//! `/costs` (issue 12, R-COST-1..4): "are we inside the budget?" — the
//! month's spend against the budget with its forecast, the chart, spend by
//! service, alerts, entries (import, add, export), the budget's settings and
//! the savings measures. Everyone reads; finance edits (the server refuses
//! everyone else anyway).

pub mod card;
pub mod entries;
pub mod msg;
pub mod settings;

use crate::api::costs::load_month;
use crate::api::costs::view::{money, percent, AlertView, MonthView};
use crate::components::error_box::ErrorBox;
use crate::components::layout::use_shell;
use crate::i18n::Msg;
use crate::role::{Access, Role};
use crate::{tr, use_lang};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use msg::CostsMsg as M;

/// Shorthand: the text of a costs message in the current language.
pub fn ct(m: M) -> &'static str {
    m.text(use_lang())
}

/// Bumped after every change, so every part of the page loads again.
#[derive(Clone, Copy)]
pub struct Refresh(pub RwSignal<u32>);

/// The last CSV import's outcome, kept by the page: the import reloads the
/// month, which re-creates the section that shows it.
#[derive(Clone, Copy)]
pub struct LastImport(
    pub RwSignal<Option<Result<crate::api::costs::view::ImportReport, crate::error::AppError>>>,
);

impl Refresh {
    pub fn bump(self) {
        self.0.update(|v| *v += 1);
    }
}

/// The month in the URL (`?month=2026-11`), empty for the current one.
pub fn month_param() -> Memo<String> {
    let query = use_query_map();
    Memo::new(move |_| query.with(|q| q.get("month").unwrap_or_default()))
}

fn groups_text(groups: &[String]) -> String {
    if groups.is_empty() {
        "—".into()
    } else {
        groups.join(", ")
    }
}

/// The one-line answer: "$412.00 of $500.00 this month (82 %) · forecast
/// $530.00 · 80 % alert sent to finance-team".
fn answer(v: &MonthView) -> String {
    let cur = &v.budget.currency;
    let mut s = if v.is_current {
        format!(
            "{} {} {} {} ({}) · {} {}",
            money(v.mtd, cur),
            ct(M::Of),
            money(v.budget.amount, cur),
            ct(M::ThisMonth),
            percent(v.mtd_basis_points),
            ct(M::Forecast),
            money(v.forecast, cur)
        )
    } else {
        format!(
            "{} {} {} {} {} ({})",
            money(v.mtd, cur),
            ct(M::Of),
            money(v.budget.amount, cur),
            ct(M::In),
            v.month.format("%Y-%m"),
            percent(v.mtd_basis_points)
        )
    };
    if let Some(a) = v
        .alerts
        .iter()
        .filter(|a| a.basis == "actual")
        .max_by_key(|a| a.percent)
    {
        s.push_str(&format!(
            " · {} % {} {}",
            a.percent,
            ct(M::AlertSentTo),
            groups_text(&a.groups)
        ));
    }
    s
}

/// The resources of the sections below the month's summary. They are
/// created here, at the page's top level: a resource created inside a
/// `Suspend` while the page hydrates does not match the server's.
#[derive(Clone, Copy)]
pub struct CostsResources {
    pub entries: Resource<
        Result<crate::model::Page<crate::api::costs::view::EntryView>, crate::error::AppError>,
    >,
    pub measures:
        Resource<Result<Vec<crate::api::costs::view::MeasureView>, crate::error::AppError>>,
}

#[component]
pub fn CostsPage() -> impl IntoView {
    let refresh = Refresh(RwSignal::new(0));
    provide_context(refresh);
    provide_context(LastImport(RwSignal::new(None)));
    let month = month_param();
    let query = leptos_router::hooks::use_query_map();
    let page = Memo::new(move |_| {
        query.with(|q| {
            q.get("page")
                .and_then(|p| p.parse::<u32>().ok())
                .unwrap_or(1)
                .max(1)
        })
    });
    provide_context(CostsResources {
        entries: Resource::new(
            move || (month.get(), page.get(), refresh.0.get()),
            |(m, p, _)| crate::api::costs::list_entries(m, p),
        ),
        measures: Resource::new(
            move || refresh.0.get(),
            |_| crate::api::costs::list_measures(),
        ),
    });
    let data = Resource::new(
        move || (month.get(), refresh.0.get()),
        |(m, _)| load_month(m),
    );
    let shell = use_shell();
    view! {
        <Title text=ct(M::Title)/>
        <h1>{ct(M::Title)}</h1>
        <Form method="GET" action="" attr:class="filters" attr:data-testid="month-picker">
            <div class="field">
                <label for="month">{ct(M::Month)}</label>
                <input id="month" name="month" type="month" prop:value=move || month.get()/>
            </div>
            <button type="submit" class="button">{ct(M::Show)}</button>
        </Form>
        <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
            {move || Suspend::new(async move {
                let state = match shell { Some(s) => s.await.ok(), None => None };
                let zone = crate::time::zone(&state.as_ref().map(|s| s.time_zone.clone()).unwrap_or_default());
                let can_edit = state
                    .as_ref()
                    .and_then(|s| s.user.as_ref())
                    .is_some_and(|u| u.can(Access::AnyOf(&[Role::Finance])));
                match data.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(v) => view! { <MonthBody view=v can_edit=can_edit zone=zone/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn MonthBody(view: MonthView, can_edit: bool, zone: chrono_tz::Tz) -> impl IntoView {
    let v = view;
    let cur = v.budget.currency.clone();
    let month_key = v.month.format("%Y-%m").to_string();
    let empty = v.entry_count == 0;
    let level = if v.mtd_basis_points >= 10_000 {
        "critical"
    } else if v.mtd_basis_points >= 8_000 {
        "warning"
    } else {
        "ok"
    };
    let icon = match level {
        "critical" => "✖ ",
        "warning" => "▲ ",
        _ => "● ",
    };
    let held = v.forecast_alerts_held.then(|| {
        view! {
            <p class="muted" data-testid="forecast-held">
                {ct(M::ForecastHeld)} " " {v.budget.forecast_min_days}
            </p>
        }
    });
    let data_age = match (v.last_recorded_at, v.latest_entry_date) {
        (Some(at), Some(day)) => view! {
            <p class="stat-small" data-testid="data-age">
                {ct(M::LastRecorded)} ": " {crate::time::format(at, zone)}
                <br/>
                {ct(M::LatestDay)} ": " {day.to_string()}
            </p>
        }
        .into_any(),
        _ => view! { <p class="muted">{ct(M::NoData)}</p> }.into_any(),
    };
    let total = v.mtd.0.max(1);
    let services = v
        .by_service
        .iter()
        .map(|s| {
            let share =
                i64::try_from(i128::from(s.amount.0) * 10_000 / i128::from(total)).unwrap_or(0);
            view! {
                <tr>
                    <th scope="row">{s.service.clone()}</th>
                    <td class="num">{money(s.amount, &cur)}</td>
                    <td class="num">{percent(share)}</td>
                </tr>
            }
        })
        .collect_view();
    let alerts = alert_rows(&v.alerts, &cur, zone);
    let answer_text = answer(&v);
    let empty_text = if can_edit {
        ct(M::EmptyMonth)
    } else {
        ct(M::EmptyMonthReadOnly)
    };
    view! {
        <p class=format!("answer status-{level}") data-testid="costs-answer"
            data-mtd=v.mtd.0.to_string() data-budget=v.budget.amount.0.to_string()
            data-as-of=v.as_of.to_string() data-month=month_key.clone()>
            <span aria-hidden="true">{icon}</span>{answer_text}
        </p>
        {(!can_edit).then(|| view! { <p class="muted" data-testid="read-only">{ct(M::FinanceOnly)}</p> })}
        {empty.then(|| view! { <p class="card empty-state" data-testid="costs-empty">{empty_text}</p> })}
        <div class="grid">
            <section class="card">
                <h2>{ct(M::MonthToDate)}</h2>
                <p class="stat" data-testid="mtd">{money(v.mtd, &cur)}</p>
                <p class="muted">{percent(v.mtd_basis_points)} " · " {ct(M::Budget)} " " {money(v.budget.amount, &cur)}</p>
                <p class="muted">{ct(M::OneOffPart)} ": " {money(v.one_off, &cur)}</p>
            </section>
            <section class="card">
                <h2>{ct(M::ForecastTitle)}</h2>
                <p class="stat" data-testid="forecast">{money(v.forecast, &cur)}</p>
                <p class="muted">{percent(v.forecast_basis_points)} " · " {v.elapsed_days} " / " {v.days_in_month} " " {tr(Msg::Days)}</p>
                {held}
                <p class="muted small">{ct(M::ForecastRule)}</p>
            </section>
            <section class="card">
                <h2>{ct(M::DataAge)}</h2>
                {data_age}
            </section>
        </div>
        <section class="card">
            <h2>{ct(M::Chart)}</h2>
            <figure class="chart" data-testid="cost-chart" role="img" aria-label=answer(&v)
                inner_html=v.chart_svg.clone()></figure>
            <p class="muted small">{ct(M::ChartLegend)}</p>
        </section>
        <div class="grid">
            <section class="card">
                <h2>{ct(M::ByService)}</h2>
                <div class="table-wrap">
                    <table data-testid="by-service">
                        <thead><tr>
                            <th scope="col">{ct(M::Service)}</th>
                            <th scope="col">{ct(M::Amount)}</th>
                            <th scope="col">{ct(M::Share)}</th>
                        </tr></thead>
                        <tbody>{services}</tbody>
                    </table>
                </div>
            </section>
            <section class="card">
                <h2>{ct(M::Alerts)}</h2>
                {alerts}
            </section>
        </div>
        <entries::EntriesSection month=month_key can_edit=can_edit zone=zone currency=cur.clone()/>
        <settings::BudgetSection budget=v.budget.clone() can_edit=can_edit/>
        <settings::SavingsSection can_edit=can_edit budget=v.budget.amount currency=cur total=v.savings_total/>
    }
}

fn alert_rows(alerts: &[AlertView], cur: &str, zone: chrono_tz::Tz) -> AnyView {
    if alerts.is_empty() {
        return view! { <p class="muted" data-testid="alerts-empty">{ct(M::AlertsEmpty)}</p> }
            .into_any();
    }
    let rows = alerts
        .iter()
        .map(|a| {
            let basis = if a.basis == "actual" {
                ct(M::Actual)
            } else {
                ct(M::ForecastBasis)
            };
            view! {
                <tr data-testid=format!("alert-{}-{}", a.basis, a.percent)>
                    <th scope="row">{format!("{} %", a.percent)}</th>
                    <td>{basis}</td>
                    <td class="num">{money(a.spend, cur)}</td>
                    <td>{groups_text(&a.groups)}</td>
                    <td><time>{crate::time::format(a.notified_at, zone)}</time></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table data-testid="alerts">
                <thead><tr>
                    <th scope="col">{ct(M::Threshold)}</th>
                    <th scope="col">{ct(M::Basis)}</th>
                    <th scope="col">{ct(M::Spend)}</th>
                    <th scope="col">{ct(M::Recipients)}</th>
                    <th scope="col">{ct(M::NotifiedAt)}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}
