//! `/deploys/settings` (admins): per environment the checklist and approval
//! requirements (R-DEP-4, R-DEP-5), the driver and its configuration
//! (R-DEP-8), the health check and the observation window (R-DEP-7); and
//! the GitHub trigger's secret and mapping (R-DEP-2).

use super::msg::DepMsg as M;
use super::{dt, env_label};
use crate::api::deploy_triggers::{load_trigger_settings, rules_text, SaveTriggerSettings};
use crate::api::deploys::{load_deploy_settings, SaveDeploySettings};
use crate::components::error_box::{error_text, ErrorBox};
use crate::i18n::Msg;
use crate::model::deploys::{DeploySettingsView, TriggerSettingsView};
use crate::{tr, use_lang};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DeploySettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveDeploySettings>::new();
    let save_trigger = ServerAction::<SaveTriggerSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| load_deploy_settings());
    let trigger = Resource::new(
        move || save_trigger.version().get(),
        |_| load_trigger_settings(),
    );
    view! {
        <Title text=dt(M::SettingsTitle)/>
        <div class="deploys">
            <p><a href="/deploys">"← " {dt(M::BackToBoard)}</a></p>
            <h1>{dt(M::SettingsTitle)}</h1>
            {outcome(move || save.value().get(), "settings-result")}
            <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(all) => all
                            .into_iter()
                            .map(|s| view! { <EnvironmentSettings s=s save=save/> })
                            .collect_view()
                            .into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match trigger.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(t) => view! { <TriggerSettings t=t save=save_trigger/> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// "Saved." or the error of the last save.
fn outcome(
    result: impl Fn() -> Option<Result<(), crate::error::AppError>> + Send + Sync + 'static,
    testid: &'static str,
) -> impl IntoView {
    let lang = use_lang();
    move || {
        match result() {
        Some(Ok(())) => Some(view! { <p class="alert alert-ok" role="status" data-testid=testid>{M::Saved.text(lang)}</p> }.into_any()),
        Some(Err(e)) => Some(view! { <p class="alert alert-error" role="alert" data-testid=testid>{error_text(&e)}</p> }.into_any()),
        None => None,
    }
    }
}

#[component]
fn EnvironmentSettings(
    s: DeploySettingsView,
    save: ServerAction<SaveDeploySettings>,
) -> impl IntoView {
    let lang = use_lang();
    let key = s.environment.key();
    let driver_options = ["demo", "command", "webhook"]
        .into_iter()
        .map(|d| view! { <option value=d selected=s.driver == d>{d}</option> })
        .collect_view();
    let number = move |name: &'static str, label: M, value: u32| {
        view! {
            <label>{label.text(lang)}
                <input name=name type="number" min="0" required value=value.to_string()/>
            </label>
        }
    };
    view! {
        <details class="card" data-testid=format!("settings-{key}")>
            <summary><strong>{env_label(s.environment, lang)}</strong>
                <span class="muted">{format!(" · {} · {} ", s.driver, s.approvals_required)} {M::Approvals.text(lang)}</span></summary>
            <ActionForm action=save attr:class="stack">
                <input type="hidden" name="environment" value=key/>
                <label class="inline"><input type="checkbox" name="checklist_required" value="true" checked=s.checklist_required/>
                    " " {M::NeedsChecklistField.text(lang)}</label>
                {number("approvals_required", M::ApprovalsField, s.approvals_required)}
                <label>{M::Driver.text(lang)} <select name="driver">{driver_options}</select></label>
                <label>{M::DriverConfig.text(lang)}
                    <textarea name="driver_config" rows="4" class="mono">{s.driver_config.clone()}</textarea>
                </label>
                <p class="muted small">{M::DriverConfigHint.text(lang)}</p>
                {number("step_timeout_seconds", M::StepTimeout, s.step_timeout_seconds)}
                {number("health_required_consecutive", M::HealthConsecutive, s.health_required_consecutive)}
                {number("health_timeout_seconds", M::HealthTimeout, s.health_timeout_seconds)}
                {number("health_interval_ms", M::HealthInterval, s.health_interval_ms)}
                {number("observe_seconds", M::ObserveSeconds, s.observe_seconds)}
                <label class="inline"><input type="checkbox" name="demo_next_unhealthy" value="true" checked=s.demo_next_unhealthy/>
                    " " {M::DemoNextUnhealthy.text(lang)}</label>
                <button type="submit" class="button primary">{M::Save.text(lang)}</button>
            </ActionForm>
        </details>
    }
}

#[component]
fn TriggerSettings(
    t: TriggerSettingsView,
    save: ServerAction<SaveTriggerSettings>,
) -> impl IntoView {
    let lang = use_lang();
    let rules = rules_text(&t);
    let secret_state = if t.secret_set {
        M::SecretSet
    } else {
        M::SecretNotSet
    };
    view! {
        <section class="card" data-testid="trigger-settings">
            <h2>{M::TriggerTitle.text(lang)}</h2>
            <p class="muted">{M::TriggerHint.text(lang)} " " <code>"/api/v1/webhooks/github"</code></p>
            <p data-testid="secret-state">{secret_state.text(lang)}</p>
            <ActionForm action=save attr:class="stack">
                <label>{M::SecretField.text(lang)}
                    <input type="password" name="secret" autocomplete="new-password" maxlength="256"/>
                </label>
                <label>{M::RulesField.text(lang)}
                    <textarea name="rules" rows="4" class="mono">{rules}</textarea>
                </label>
                <button type="submit" class="button primary">{M::Save.text(lang)}</button>
            </ActionForm>
            {outcome(move || save.value().get(), "trigger-result")}
        </section>
    }
}
