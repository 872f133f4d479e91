//! The overview's budget card (R-UI-1): this month's spend against the budget.

use super::ct;
use super::msg::CostsMsg as M;
use crate::api::costs::view::{money, percent};
use crate::api::overview::load_budget_card;
use leptos::prelude::*;

#[component]
pub fn BudgetCard() -> impl IntoView {
    let card = Resource::new(|| (), |_| load_budget_card());
    view! {
        <section class="card" data-testid="budget-card">
            <h2><a href="/costs">{ct(M::BudgetCardTitle)}</a></h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    card.await.ok().map(|c| {
                        let level = if c.mtd_basis_points >= 10_000 { "critical" } else if c.mtd_basis_points >= 8_000 { "warning" } else { "ok" };
                        view! {
                            <p class=format!("stat status-{level}")>
                                {money(c.mtd, &c.currency)} " / " {money(c.budget, &c.currency)}
                                " (" {percent(c.mtd_basis_points)} ")"
                            </p>
                            <p class="muted">{ct(M::Forecast)} " " {money(c.forecast, &c.currency)}
                                {c.highest_actual.map(|p| format!(" · ▲ {p} %"))}
                                " · " {c.alerts} " " {ct(M::BudgetCardAlerts)}
                            </p>
                        }
                    })
                })}
            </Suspense>
        </section>
    }
}
