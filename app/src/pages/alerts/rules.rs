//! The firing and pending alerts (with acknowledgement) and the rules
//! (with their state per environment, the create/edit form and the switch).

use super::msg::AlertMsg as M;
use super::{env_label, field_msg, general_msg, severity_badge, state_badge, AlertsCtx, Params};
use crate::api::alerts::{acknowledge, create_rule, set_rule_enabled, update_rule};
use crate::components::confirm::confirm;
use crate::i18n::{fill, Lang};
use crate::model::alerts::{
    condition_problem, value_text, AlertsView, MetricView, RuleStateView, RuleView, StateKind,
};
use crate::use_lang;
use chrono_tz::Tz;
use leptos::prelude::*;

/// The firing and pending alerts, firing first.
#[component]
pub fn ActiveSection(v: AlertsView, tz: Tz, operator: bool) -> impl IntoView {
    let lang = use_lang();
    let mut active: Vec<(RuleView, RuleStateView)> = v
        .rules
        .iter()
        .flat_map(|r| {
            r.states
                .iter()
                .filter(|s| matches!(s.state, StateKind::Firing | StateKind::Pending))
                .map(move |s| (r.clone(), s.clone()))
        })
        .collect();
    active.sort_by_key(|(_, s)| (s.state != StateKind::Firing, s.since));
    let body = if active.is_empty() {
        view! { <p class="empty-state" data-testid="active-empty">{M::NoneActive.text(lang)}</p> }
            .into_any()
    } else {
        let rows = active
            .into_iter()
            .map(|(r, s)| active_row(r, s, tz, lang, operator))
            .collect_view();
        view! {
            <div class="table-wrap">
                <table data-testid="active-alerts">
                    <thead><tr>
                        <th scope="col">{M::ColRule.text(lang)}</th>
                        <th scope="col">{M::ColEnvironment.text(lang)}</th>
                        <th scope="col">{M::ColState.text(lang)}</th>
                        <th scope="col">{M::ColSince.text(lang)}</th>
                        <th scope="col">{M::ColValue.text(lang)}</th>
                        <th scope="col">{M::Acknowledge.text(lang)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="card" id="active" data-testid="active-section">
            <h2>{M::SectionActive.text(lang)}</h2>
            {body}
        </section>
    }
}

fn active_row(r: RuleView, s: RuleStateView, tz: Tz, lang: Lang, operator: bool) -> impl IntoView {
    let since = s
        .since
        .map(|t| crate::time::format(t, tz))
        .unwrap_or_default();
    let value = s
        .last_value
        .map(|v| value_text(v, r.unit))
        .unwrap_or_else(|| "—".into());
    let acked = s.acknowledged_at.map(|when| {
        fill(
            M::Acked.text(lang),
            &[
                ("who", s.acknowledged_by.as_deref().unwrap_or("")),
                ("when", &crate::time::format(when, tz)),
                ("comment", s.ack_comment.as_deref().unwrap_or("")),
            ],
        )
    });
    let can_ack = operator && s.state == StateKind::Firing;
    let env = s.environment.clone();
    view! {
        <tr data-testid="active-row" data-rule=r.name.clone() data-environment=s.environment.clone()>
            <td><a href=Params::history_href(r.id, 1)>{r.name.clone()}</a> " " {severity_badge(&r.severity, lang)}
                <div class="muted mono">{r.condition.clone()} " · " {r.duration.clone()}</div></td>
            <td>{env_label(&s.environment, lang)}</td>
            <td>{state_badge(s.state, lang)}
                {s.silenced.then(|| view! { " " <span class="badge unknown" data-testid="silenced">{M::Silenced.text(lang)}</span> })}</td>
            <td>{since}</td>
            <td>{value}</td>
            <td>
                {acked.map(|a| view! { <p class="muted" data-testid="ack-note">{a}</p> })}
                {can_ack.then(|| view! { <AckForm rule_id=r.id rule=r.name.clone() environment=env/> })}
            </td>
        </tr>
    }
}

/// Acknowledge one firing alert with a comment.
#[component]
fn AckForm(rule_id: i64, rule: String, environment: String) -> impl IntoView {
    let lang = use_lang();
    let ctx = expect_context::<AlertsCtx>();
    let comment = RwSignal::new(String::new());
    let env = environment.clone();
    let ack = Action::new(move |c: &String| {
        let (c, env) = (c.clone(), env.clone());
        async move { acknowledge(rule_id, env, c).await }
    });
    let result = ack.value();
    Effect::new(move |_| {
        if let Some(Ok(())) = result.get() {
            ctx.reload();
        }
    });
    let id = format!("ack-{rule_id}-{environment}");
    let label = fill(
        M::AckSubmit.text(lang),
        &[("rule", &rule), ("env", &env_label(&environment, lang))],
    );
    view! {
        <form class="row ack-form" data-testid="ack-form" novalidate
            on:submit=move |ev| { ev.prevent_default(); ack.dispatch(comment.get_untracked()); }>
            <label class="visually-hidden" for=id.clone()>{M::AckComment.text(lang)}</label>
            <input id=id type="text" maxlength="1000" data-testid="ack-comment" placeholder=M::AckComment.text(lang)
                prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))/>
            <button type="submit" class="button small" data-testid="ack-submit" aria-label=label
                disabled=move || ack.pending().get()>{M::Acknowledge.text(lang)}</button>
            <span class="field-error" data-testid="ack-error">
                {move || field_msg(&result.get(), "comment").map(str::to_string)
                    .or_else(|| general_msg(&result.get(), &["comment"]))}
            </span>
        </form>
    }
}

/// Every rule with its state per environment; for operators the actions and the form.
#[component]
pub fn RulesSection(v: AlertsView, tz: Tz, operator: bool) -> impl IntoView {
    let lang = use_lang();
    let ctx = expect_context::<AlertsCtx>();
    let body = if v.rules.is_empty() {
        view! { <p class="empty-state" data-testid="rules-empty">{M::NoRules.text(lang)}</p> }
            .into_any()
    } else {
        let rows = v
            .rules
            .iter()
            .cloned()
            .map(|r| rule_row(r, tz, lang, operator))
            .collect_view();
        view! {
            <div class="table-wrap">
                <table data-testid="alert-rules">
                    <thead><tr>
                        <th scope="col">{M::ColRule.text(lang)}</th>
                        <th scope="col">{M::ColCondition.text(lang)}</th>
                        <th scope="col">{M::ColDuration.text(lang)}</th>
                        <th scope="col">{M::ColSeverity.text(lang)}</th>
                        <th scope="col">{M::ColState.text(lang)}</th>
                        <th scope="col">{M::ColNotify.text(lang)}</th>
                        <th scope="col">{M::ColActions.text(lang)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    let metrics = v.metrics.clone();
    let channels = v.channels.clone();
    let groups = v.groups.clone();
    view! {
        <section class="card" id="rules" data-testid="rules-section">
            <h2>{M::SectionRules.text(lang)}</h2>
            {move || ctx.said("rules").map(|t| view! { <p class="alert alert-ok" role="status" data-testid="rules-flash">{t}</p> })}
            {body}
        </section>
        {operator.then(|| view! {
            <RuleForm metrics=metrics channels=channels groups=groups/>
        })}
    }
}

fn rule_row(r: RuleView, tz: Tz, lang: Lang, operator: bool) -> impl IntoView {
    let ctx = expect_context::<AlertsCtx>();
    let states = if r.states.is_empty() {
        view! { <span class="muted">{M::NoData.text(lang)}</span> }.into_any()
    } else {
        r.states
            .iter()
            .map(|s| {
                let title = s
                    .last_observed_at
                    .map(|t| crate::time::format(t, tz))
                    .unwrap_or_default();
                view! {
                    <div class="alert-env-state" title=title>
                        {env_label(&s.environment, lang)} " " {state_badge(s.state, lang)}
                    </div>
                }
            })
            .collect_view()
            .into_any()
    };
    let notify = if r.channels.is_empty() {
        String::new()
    } else {
        format!("{} · ", r.channels.join(", "))
    };
    let group = fill(M::GroupLabel.text(lang), &[("g", &r.recipient_group)]);
    let actions = operator.then(|| {
        let (id, enabled, name) = (r.id, r.enabled, r.name.clone());
        let edit_rule = r.clone();
        let toggle = Action::new(move |on: &bool| {
            let on = *on;
            async move { set_rule_enabled(id, on).await }
        });
        Effect::new(move |_| {
            if let Some(Ok(())) = toggle.value().get() {
                ctx.reload();
            }
        });
        let question = fill(M::ConfirmDisable.text(lang), &[("name", &name)]);
        view! {
            <button type="button" class="button small" data-testid="rule-edit"
                on:click=move |_| ctx.editing.set(Some(edit_rule.clone()))>{M::Edit.text(lang)}</button>
            {if enabled {
                view! {
                    <button type="button" class="button small danger" data-testid="rule-disable"
                        on:click=move |_| if confirm(&question) { toggle.dispatch(false); }>{M::Disable.text(lang)}</button>
                }.into_any()
            } else {
                view! {
                    <button type="button" class="button small" data-testid="rule-enable"
                        on:click=move |_| { toggle.dispatch(true); }>{M::Enable.text(lang)}</button>
                }.into_any()
            }}
            <span class="field-error">{move || general_msg(&toggle.value().get(), &[])}</span>
        }
    });
    view! {
        <tr data-testid="rule-row" data-rule=r.name.clone() data-enabled=r.enabled.to_string()
            data-state=r.worst().as_str()>
            <th scope="row">
                {r.name.clone()}
                {r.builtin.then(|| view! { <div class="muted small">{M::BuiltIn.text(lang)}</div> })}
                {(!r.enabled).then(|| view! { <div><span class="badge unknown" data-testid="rule-disabled">{M::Disabled.text(lang)}</span></div> })}
            </th>
            <td class="mono">{r.condition.clone()}</td>
            <td>{r.duration.clone()}</td>
            <td>{severity_badge(&r.severity, lang)}</td>
            <td>{states}</td>
            <td class="small">{notify}{group}</td>
            <td class="actions">
                <a class="button small" href=Params::history_href(r.id, 1) data-testid="rule-history">{M::History.text(lang)}</a>
                {actions}
            </td>
        </tr>
    }
}

/// Create a rule, or edit the one chosen with "Edit". The condition is
/// judged as you type against the metric's unit; the server judges again.
#[component]
fn RuleForm(metrics: Vec<MetricView>, channels: Vec<String>, groups: Vec<String>) -> impl IntoView {
    let lang = use_lang();
    let ctx = expect_context::<AlertsCtx>();
    let name = RwSignal::new(String::new());
    let condition = RwSignal::new(String::new());
    let duration = RwSignal::new("5m".to_string());
    let severity = RwSignal::new("warning".to_string());
    let chans = RwSignal::new(String::new());
    let group = RwSignal::new("alerts".to_string());
    // Fill the fields when a rule is chosen for editing (or cleared).
    Effect::new(move |_| match ctx.editing.get() {
        Some(r) => {
            name.set(r.name);
            condition.set(r.condition);
            duration.set(r.duration);
            severity.set(r.severity);
            chans.set(r.channels.join(", "));
            group.set(r.recipient_group);
        }
        None => {
            name.set(String::new());
            condition.set(String::new());
            duration.set("5m".into());
            severity.set("warning".into());
            chans.set(String::new());
            group.set("alerts".into());
        }
    });
    type Form = (Option<i64>, String, String, String, String, String, String);
    let save = Action::new(move |f: &Form| {
        let f = f.clone();
        async move {
            match f.0 {
                Some(id) => update_rule(id, f.1, f.2, f.3, f.4, f.5, f.6)
                    .await
                    .map(|_| id),
                None => create_rule(f.1, f.2, f.3, f.4, f.5, f.6).await,
            }
        }
    });
    let result = save.value();
    Effect::new(move |_| {
        if let Some(Ok(_)) = result.get() {
            let text = if ctx.editing.get_untracked().is_some() {
                M::RuleSaved
            } else {
                M::RuleCreated
            };
            ctx.editing.set(None);
            ctx.say("rules", text.text(lang).to_string());
            ctx.reload();
        }
    });
    let units = metrics.clone();
    // Validate as you type (once something was typed); the server's answer wins after a submit.
    let live = move || {
        let text = condition.get();
        (!text.trim().is_empty())
            .then(|| {
                condition_problem(&text, |m| {
                    units.iter().find(|x| x.name == m).map(|x| x.unit)
                })
            })
            .flatten()
            .map(|m| crate::tr(m).to_string())
    };
    let err = move |f: &'static str| move || field_msg(&result.get(), f).map(str::to_string);
    let condition_err = move || err("condition")().or_else(live.clone());
    let metric_options = metrics
        .iter()
        .map(|m| view! { <option value=format!("{} > ", m.name)>{m.label(lang).to_string()}</option> })
        .collect_view();
    let group_options = groups
        .into_iter()
        .map(|g| view! { <option value=g.clone()>{g.clone()}</option> })
        .collect_view();
    let channels_help = fill(
        M::ChannelsHelp.text(lang),
        &[("list", &channels.join(", "))],
    );
    let heading = move || match ctx.editing.get() {
        Some(r) => fill(M::EditRule.text(lang), &[("name", &r.name)]),
        None => M::NewRule.text(lang).to_string(),
    };
    let submit_label = move || match ctx.editing.get() {
        Some(r) => fill(M::SaveRule.text(lang), &[("name", &r.name)]),
        None => M::CreateRule.text(lang).to_string(),
    };
    view! {
        <section class="card alert-form" id="rule-form-section">
            <h2>{heading}</h2>
            <form class="stack" data-testid="rule-form" novalidate
                on:submit=move |ev| {
                    ev.prevent_default();
                    save.dispatch((
                        ctx.editing.get_untracked().map(|r| r.id),
                        name.get_untracked(),
                        condition.get_untracked(),
                        duration.get_untracked(),
                        severity.get_untracked(),
                        chans.get_untracked(),
                        group.get_untracked(),
                    ));
                }>
                <div class="field">
                    <label for="rule-name">{M::FieldName.text(lang)}</label>
                    <input id="rule-name" type="text" maxlength="100" data-testid="rule-name"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                    <span class="field-error" data-testid="err-name">{err("name")}</span>
                </div>
                <div class="field">
                    <label for="rule-condition">{M::FieldCondition.text(lang)}</label>
                    <input id="rule-condition" type="text" maxlength="200" list="alert-metric-names" data-testid="rule-condition"
                        placeholder="error_rate > 5%" spellcheck="false"
                        prop:value=move || condition.get() on:input=move |ev| condition.set(event_target_value(&ev))/>
                    <datalist id="alert-metric-names">{metric_options}</datalist>
                    <span class="muted small">{M::ConditionHelp.text(lang)}</span>
                    <span class="field-error" data-testid="err-condition">{condition_err}</span>
                </div>
                <div class="row">
                    <div class="field">
                        <label for="rule-duration">{M::FieldDuration.text(lang)}</label>
                        <input id="rule-duration" type="text" maxlength="14" size="6" data-testid="rule-duration"
                            prop:value=move || duration.get() on:input=move |ev| duration.set(event_target_value(&ev))/>
                        <span class="muted small">{M::DurationHelp.text(lang)}</span>
                        <span class="field-error" data-testid="err-duration">{err("duration")}</span>
                    </div>
                    <div class="field">
                        <label for="rule-severity">{M::FieldSeverity.text(lang)}</label>
                        <select id="rule-severity" data-testid="rule-severity"
                            prop:value=move || severity.get() on:change=move |ev| severity.set(event_target_value(&ev))>
                            <option value="critical">{M::SevCritical.text(lang)}</option>
                            <option value="warning">{M::SevWarning.text(lang)}</option>
                            <option value="info">{M::SevInfo.text(lang)}</option>
                        </select>
                        <span class="field-error">{err("severity")}</span>
                    </div>
                </div>
                <div class="field">
                    <label for="rule-channels">{M::FieldChannels.text(lang)}</label>
                    <input id="rule-channels" type="text" data-testid="rule-channels" placeholder="pagerduty, slack-critical"
                        prop:value=move || chans.get() on:input=move |ev| chans.set(event_target_value(&ev))/>
                    <span class="muted small">{channels_help}</span>
                    <span class="field-error" data-testid="err-channels">{err("channels")}</span>
                </div>
                <div class="field">
                    <label for="rule-group">{M::FieldGroup.text(lang)}</label>
                    <select id="rule-group" data-testid="rule-group"
                        prop:value=move || group.get() on:change=move |ev| group.set(event_target_value(&ev))>
                        {group_options}
                    </select>
                    <span class="field-error">{err("recipient_group")}</span>
                </div>
                <div class="row">
                    <button type="submit" class="button primary" data-testid="rule-submit"
                        disabled=move || save.pending().get()>{submit_label}</button>
                    {move || ctx.editing.get().is_some().then(|| view! {
                        <button type="button" class="button" data-testid="rule-cancel"
                            on:click=move |_| ctx.editing.set(None)>{M::CancelEdit.text(lang)}</button>
                    })}
                </div>
                <p class="field-error" role="alert">
                    {move || general_msg(&result.get(), &["name", "condition", "duration", "severity", "channels", "recipient_group"])}
                </p>
            </form>
        </section>
    }
}
