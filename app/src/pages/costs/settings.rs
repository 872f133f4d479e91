//! The budget, its thresholds (R-COST-1) and the savings measures (R-COST-4):
//! read by everyone, edited by finance.

use super::msg::CostsMsg as M;
use super::{ct, Refresh};
use crate::api::costs::view::{money, percent, BudgetView, MeasureView, MEASURE_STATUSES};
use crate::api::costs::{delete_threshold, save_budget, save_measure, save_threshold};
use crate::components::confirm::confirm;
use crate::components::error_box::{error_text, ErrorBox};
use crate::i18n::{Lang, Msg};
use crate::{tr, use_lang};
use leptos::prelude::*;
use opsdeck::costs::Cents;

/// Cents as the plain number a form field holds: `500.00`.
fn plain(c: Cents) -> String {
    let abs = c.0.unsigned_abs();
    format!(
        "{}{}.{:02}",
        if c.0 < 0 { "-" } else { "" },
        abs / 100,
        abs % 100
    )
}

fn status_text(s: &str) -> &'static str {
    match s {
        "in_progress" => ct(M::StatusInProgress),
        "done" => ct(M::StatusDone),
        "dropped" => ct(M::StatusDropped),
        _ => ct(M::StatusPlanned),
    }
}

#[component]
pub fn BudgetSection(budget: BudgetView, can_edit: bool) -> impl IntoView {
    let refresh = expect_context::<Refresh>();
    let cur = budget.currency.clone();
    let amount = RwSignal::new(plain(budget.amount));
    let currency = RwSignal::new(budget.currency.clone());
    let min_days = RwSignal::new(budget.forecast_min_days.to_string());
    let save = Action::new(move |_: &()| {
        let args = (
            amount.get_untracked(),
            currency.get_untracked(),
            min_days.get_untracked(),
        );
        async move { save_budget(args.0, args.1, args.2).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            refresh.bump();
        }
    });
    let err = move |field: &'static str| {
        move || {
            save.value()
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.for_field(field).map(tr))
        }
    };
    // Thresholds.
    let t_replaces = RwSignal::new(0u32);
    let t_percent = RwSignal::new(String::new());
    let t_groups = RwSignal::new(String::new());
    let t_action = RwSignal::new(String::new());
    let save_t = Action::new(move |_: &()| {
        let args = (
            t_percent.get_untracked(),
            t_groups.get_untracked(),
            t_action.get_untracked(),
            t_replaces.get_untracked(),
        );
        async move { save_threshold(args.0, args.1, args.2, args.3).await }
    });
    let delete_t = Action::new(move |p: &u32| {
        let p = *p;
        async move { delete_threshold(p).await }
    });
    Effect::new(move |_| {
        if matches!(save_t.value().get(), Some(Ok(())))
            || matches!(delete_t.value().get(), Some(Ok(())))
        {
            refresh.bump();
        }
    });
    let t_err = move || {
        save_t
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| delete_t.value().get().and_then(|r| r.err()))
            .map(|e| error_text(&e))
    };
    let rows = budget
        .thresholds
        .iter()
        .map(|t| {
            let p = t.percent;
            let groups = t.groups.join(", ");
            let action = t.action.clone();
            let (g2, a2) = (groups.clone(), action.clone());
            view! {
                <tr data-testid=format!("threshold-{p}")>
                    <th scope="row">{format!("{p} %")}</th>
                    <td class="num">{money(Cents(budget.amount.0.saturating_mul(i64::from(p)) / 100), &cur)}</td>
                    <td>{groups.clone()}</td>
                    <td>{if action.is_empty() { "—".to_string() } else { action.clone() }}</td>
                    {can_edit.then(|| view! {
                        <td class="actions">
                            <button type="button" class="button" on:click=move |_| {
                                t_replaces.set(p);
                                t_percent.set(p.to_string());
                                t_groups.set(g2.clone());
                                t_action.set(a2.clone());
                            }>{ct(M::Edit)}</button>
                            <button type="button" class="button danger" on:click=move |_| {
                                if confirm(&format!("{} {p} %", ct(M::ConfirmDeleteThreshold))) { delete_t.dispatch(p); }
                            }>{ct(M::Delete)}</button>
                        </td>
                    })}
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" data-testid="budget-section">
            <h2>{ct(M::Budget)}</h2>
            <p class="stat-small" data-testid="budget-amount">
                {money(budget.amount, &cur)} " · " {ct(M::MinDays)} " " {budget.forecast_min_days}
            </p>
            {can_edit.then(|| view! {
                <form class="stack" data-testid="budget-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
                    <div class="field">
                        <label for="b-amount">{ct(M::BudgetAmount)}</label>
                        <input id="b-amount" inputmode="decimal" prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev))/>
                        <span class="field-error" data-testid="err-budget-amount">{err("amount")}</span>
                    </div>
                    <div class="field">
                        <label for="b-currency">{ct(M::Currency)}</label>
                        <input id="b-currency" maxlength="3" prop:value=move || currency.get() on:input=move |ev| currency.set(event_target_value(&ev))/>
                        <span class="field-error">{err("currency")}</span>
                    </div>
                    <div class="field">
                        <label for="b-min-days">{ct(M::MinDays)}</label>
                        <input id="b-min-days" type="number" min="1" max="31" prop:value=move || min_days.get() on:input=move |ev| min_days.set(event_target_value(&ev))/>
                        <span class="field-error">{err("forecast_min_days")}</span>
                    </div>
                    <button type="submit" class="button primary" data-testid="save-budget" disabled=move || save.pending().get()>{ct(M::SaveBudget)}</button>
                </form>
            })}
            <h3>{ct(M::Thresholds)}</h3>
            <p class="alert alert-error" role="alert" hidden=move || t_err().is_none()>{t_err}</p>
            <div class="table-wrap">
                <table data-testid="thresholds">
                    <thead><tr>
                        <th scope="col">{ct(M::Threshold)}</th>
                        <th scope="col">{ct(M::Amount)}</th>
                        <th scope="col">{ct(M::Recipients)}</th>
                        <th scope="col">{ct(M::Action)}</th>
                        {can_edit.then(|| view! { <th scope="col">{tr(Msg::Actions)}</th> })}
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {can_edit.then(|| view! {
                <form class="stack" data-testid="threshold-form" on:submit=move |ev| { ev.prevent_default(); save_t.dispatch(()); }>
                    <div class="field">
                        <label for="t-percent">{ct(M::Percent)}</label>
                        <input id="t-percent" type="number" min="1" max="1000" prop:value=move || t_percent.get() on:input=move |ev| t_percent.set(event_target_value(&ev))/>
                    </div>
                    <div class="field">
                        <label for="t-groups">{ct(M::Groups)}</label>
                        <input id="t-groups" prop:value=move || t_groups.get() on:input=move |ev| t_groups.set(event_target_value(&ev))/>
                    </div>
                    <div class="field">
                        <label for="t-action">{ct(M::Action)}</label>
                        <input id="t-action" prop:value=move || t_action.get() on:input=move |ev| t_action.set(event_target_value(&ev))/>
                    </div>
                    <button type="submit" class="button primary" data-testid="save-threshold" disabled=move || save_t.pending().get()>{ct(M::SaveThreshold)}</button>
                </form>
            })}
        </section>
    }
}

#[component]
pub fn SavingsSection(
    can_edit: bool,
    budget: Cents,
    currency: String,
    total: Cents,
) -> impl IntoView {
    // Created by the page, outside any Suspend (see `CostsResources`).
    let measures = expect_context::<super::CostsResources>().measures;
    let share =
        i64::try_from(i128::from(total.0) * 10_000 / i128::from(budget.0.max(1))).unwrap_or(0);
    let cur = currency.clone();
    view! {
        <section class="card" data-testid="savings">
            <h2>{ct(M::Savings)}</h2>
            <p class="stat-small" data-testid="savings-total">
                {ct(M::SavingsTotal)} ": " {money(total, &cur)} " (" {percent(share)} " " {ct(M::OfBudget)} ")"
            </p>
            <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
                {move || {
                    let currency = currency.clone();
                    Suspend::new(async move {
                        match measures.await {
                            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                            Ok(list) => {
                                let rows = list
                                    .into_iter()
                                    .map(|m| view! { <MeasureRow m=m can_edit=can_edit currency=currency.clone()/> })
                                    .collect_view();
                                view! {
                                    <div class="table-wrap">
                                        <table data-testid="measures">
                                            <thead><tr>
                                                <th scope="col">{ct(M::Measure)}</th>
                                                <th scope="col">{ct(M::Owner)}</th>
                                                <th scope="col">{tr(Msg::Status)}</th>
                                                <th scope="col">{ct(M::EstimatedSaving)}</th>
                                                <th scope="col">{ct(M::Notes)}</th>
                                                {can_edit.then(|| view! { <th scope="col">{tr(Msg::Actions)}</th> })}
                                            </tr></thead>
                                            <tbody>{rows}</tbody>
                                        </table>
                                    </div>
                                }.into_any()
                            }
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn MeasureRow(m: MeasureView, can_edit: bool, currency: String) -> impl IntoView {
    let refresh = expect_context::<Refresh>();
    let title = if use_lang() == Lang::Ja {
        m.title_ja.clone()
    } else {
        m.title_en.clone()
    };
    let testid = format!("measure-{}", m.key);
    if !can_edit {
        return view! {
            <tr data-testid=testid>
                <th scope="row">{title}</th>
                <td>{if m.owner.is_empty() { "—".to_string() } else { m.owner.clone() }}</td>
                <td>{status_text(&m.status)}</td>
                <td class="num">{money(m.estimated_saving, &currency)}</td>
                <td>{m.notes.clone()}</td>
            </tr>
        }
        .into_any();
    }
    let id = m.id;
    let owner = RwSignal::new(m.owner.clone());
    let status = RwSignal::new(m.status.clone());
    let saving = RwSignal::new(plain(m.estimated_saving));
    let notes = RwSignal::new(m.notes.clone());
    let save = Action::new(move |_: &()| {
        let args = (
            owner.get_untracked(),
            status.get_untracked(),
            saving.get_untracked(),
            notes.get_untracked(),
        );
        async move { save_measure(id, args.0, args.1, args.2, args.3).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            refresh.bump();
        }
    });
    let err = move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_text(&e))
    };
    let options = MEASURE_STATUSES
        .iter()
        .map(|s| view! { <option value=*s selected=move || status.get() == *s>{status_text(s)}</option> })
        .collect_view();
    view! {
        <tr data-testid=testid>
            <th scope="row">{title}</th>
            <td><input aria-label=ct(M::Owner) prop:value=move || owner.get() on:input=move |ev| owner.set(event_target_value(&ev))/></td>
            <td><select aria-label=tr(Msg::Status) on:change=move |ev| status.set(event_target_value(&ev))>{options}</select></td>
            <td><input aria-label=ct(M::EstimatedSaving) inputmode="decimal" size="8" prop:value=move || saving.get() on:input=move |ev| saving.set(event_target_value(&ev))/></td>
            <td><input aria-label=ct(M::Notes) prop:value=move || notes.get() on:input=move |ev| notes.set(event_target_value(&ev))/></td>
            <td class="actions">
                <button type="button" class="button" data-testid="save-measure" disabled=move || save.pending().get()
                    on:click=move |_| { save.dispatch(()); }>{tr(Msg::Save)}</button>
                <span class="field-error">{err}</span>
            </td>
        </tr>
    }
    .into_any()
}
