//! Emergency maintenance mode (R-MNT-3): operators switch it; everyone sees
//! the state. Below it, planned maintenance (`windows`).

pub mod msg;
pub mod windows;

use crate::api::maintenance::set_maintenance;
use crate::components::confirm::confirm;
use crate::components::error_box::{error_text, ErrorBox};
use crate::components::field::{field_error, Field};
use crate::components::layout::{use_shell, MaintenanceNow};
use crate::error::AppError;
use crate::i18n::Msg;
use crate::model::{MaintenanceView, ShellState};
use crate::role::{Access, Role};
use crate::tr;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn MaintenancePage() -> impl IntoView {
    let shell = use_shell();
    let planning = windows::PlanningData::new();
    view! {
        <Title text=tr(Msg::MaintenanceTitle)/>
        <h1>{tr(Msg::MaintenanceTitle)}</h1>
        <Suspense fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
            {move || Suspend::new(async move {
                match shell {
                    Some(s) => match s.await {
                        Ok(state) => view! {
                            <MaintenanceControls state=state.clone()/>
                            <windows::PlannedWindows state=state planning=planning/>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    },
                    None => ().into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn MaintenanceControls(state: ShellState) -> impl IntoView {
    let ShellState {
        user,
        maintenance,
        time_zone,
        ..
    } = state;
    let tz = crate::time::zone(&time_zone);
    let can_switch = user
        .as_ref()
        .is_some_and(|u| u.can(Access::AnyOf(&[Role::Operator])));
    // Live in the frame: switching sets it, so banner and page change together
    // without reloading the frame (which would re-create this page).
    let current = use_context::<MaintenanceNow>()
        .map(|m| m.0)
        .unwrap_or_else(|| RwSignal::new(maintenance.clone()));
    let MaintenanceView {
        message,
        estimated_end,
        ..
    } = maintenance;
    let active = move || current.with(|m| m.active);
    let message = RwSignal::new(if message.is_empty() {
        tr(Msg::MaintenanceDefaultMessage).to_string()
    } else {
        message
    });
    let end = RwSignal::new(
        estimated_end
            .map(|t| crate::time::to_input(t, tz))
            .unwrap_or_default(),
    );
    let switch = Action::new(move |on: &bool| {
        let on = *on;
        let (m, e) = (message.get_untracked(), end.get_untracked());
        async move { set_maintenance(on, m, e).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(view)) = switch.value().get() {
            current.set(view);
        }
    });
    let result = switch.value();
    let general_error = move || match result.get() {
        Some(Err(AppError::Validation(_))) => None,
        Some(Err(e)) => Some(error_text(&e)),
        _ => None,
    };
    let answer = move || {
        tr(if active() {
            Msg::MaintenanceOnAnswer
        } else {
            Msg::MaintenanceOffAnswer
        })
    };
    let since = move || {
        let m = current.get();
        m.started_at.map(|t| {
            view! {
                <p>{tr(Msg::MaintenanceSince)} ": " {crate::time::format(t, tz)} " " {tr(Msg::MaintenanceBy)} " " {m.started_by.clone().unwrap_or_default()}</p>
            }
        })
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (on, question) = if active() {
            (false, Msg::MaintenanceConfirmOff)
        } else {
            (true, Msg::MaintenanceConfirmOn)
        };
        if confirm(tr(question)) {
            switch.dispatch(on);
        }
    };
    view! {
        <p class="answer" data-testid="maintenance-state">{answer}</p>
        {since}
        <section class="card">
            {if can_switch {
                view! {
                    <form on:submit=on_submit class="stack">
                        <Field label=Msg::MaintenanceMessage name="message" value=message error=field_error(result, "message")/>
                        <Field label=Msg::MaintenanceEnd name="estimated_end" kind="datetime-local" value=end error=field_error(result, "estimated_end")/>
                        <p class="muted">{time_zone.clone()}</p>
                        <p class="alert alert-error" role="alert" hidden=move || general_error().is_none()>{general_error}</p>
                        <button type="submit" class=move || if active() { "button" } else { "button danger" } data-testid="maintenance-toggle" disabled=move || switch.pending().get()>
                            {move || tr(if active() { Msg::MaintenanceSwitchOff } else { Msg::MaintenanceSwitchOn })}
                        </button>
                    </form>
                }.into_any()
            } else {
                view! { <p class="muted" data-testid="operator-only">{tr(Msg::OperatorOnly)}</p> }.into_any()
            }}
        </section>
    }
}
