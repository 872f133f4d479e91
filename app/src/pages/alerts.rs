//! `/alerts` (issue 10 item 7, R-MON-3, R-MON-4): "is anything firing, and
//! who is on it?" — the firing and pending alerts first (with their
//! acknowledgements), then the rules with a state badge per environment,
//! the selected rule's history, the silences, YAML import and export, and
//! the table of metrics with their units. Everyone reads; operators create,
//! edit and switch off rules, acknowledge, silence and import (the server
//! refuses everyone else anyway).

pub mod history;
pub mod msg;
pub mod rules;
pub mod silences;
pub mod yaml;

use crate::api::alerts::{load_alerts, load_history};
use crate::components::error_box::ErrorBox;
use crate::components::layout::use_shell;
use crate::error::AppError;
use crate::i18n::{fill, Lang, Msg};
use crate::model::alerts::{AlertsView, HistoryView, RuleView, StateKind};
use crate::role::{Access, Role};
use crate::{tr, use_lang};
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use msg::AlertMsg as M;
use opsdeck::deploy_gate::Environment;

/// Shorthand: the text of an alerts message in the current language.
pub fn at(m: M) -> &'static str {
    m.text(use_lang())
}

/// An environment's name in `lang` (the key when it is not one of the four).
pub fn env_label(key: &str, lang: Lang) -> String {
    match key.parse::<Environment>() {
        Ok(e) if lang == Lang::Ja => e.label_ja().to_string(),
        Ok(e) => e.label_en().to_string(),
        Err(_) => key.to_string(),
    }
}

/// Class, icon and word of a state (never colour alone).
pub fn state_look(s: StateKind) -> (&'static str, &'static str, M) {
    match s {
        StateKind::Firing => ("badge critical", "▲ ", M::StateFiring),
        StateKind::Pending => ("badge warning", "◷ ", M::StatePending),
        StateKind::Resolved => ("badge ok", "✓ ", M::StateResolved),
        StateKind::Inactive => ("badge ok", "✓ ", M::StateInactive),
    }
}

/// A state as a badge.
pub fn state_badge(s: StateKind, lang: Lang) -> impl IntoView {
    let (class, icon, word) = state_look(s);
    view! {
        <span class=class data-testid="alert-state" data-state=s.as_str()>
            <span aria-hidden="true">{icon}</span>{word.text(lang)}
        </span>
    }
}

/// A severity as a badge.
pub fn severity_badge(s: &str, lang: Lang) -> impl IntoView {
    let (class, icon, word) = match s {
        "critical" => ("badge critical", "▲ ", M::SevCritical),
        "warning" => ("badge warning", "△ ", M::SevWarning),
        _ => ("badge unknown", "ℹ ", M::SevInfo),
    };
    view! {
        <span class=class data-testid="alert-severity">
            <span aria-hidden="true">{icon}</span>{word.text(lang)}
        </span>
    }
}

/// The page's URL state: whose history is shown, and which page of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Params {
    pub rule: Option<i64>,
    pub page: u32,
}

impl Params {
    fn read(q: &leptos_router::params::ParamsMap) -> Params {
        Params {
            rule: q.get("rule").and_then(|v| v.parse().ok()),
            page: q.get("hp").and_then(|v| v.parse().ok()).unwrap_or(1).max(1),
        }
    }

    /// The link to a rule's history page `page`.
    pub fn history_href(rule: i64, page: u32) -> String {
        if page > 1 {
            format!("/alerts?rule={rule}&hp={page}#history")
        } else {
            format!("/alerts?rule={rule}#history")
        }
    }
}

/// What the sections share: the reload counter, the rule being edited and
/// the outcome line of the last change (a reload re-creates the sections,
/// so it lives here).
#[derive(Clone, Copy)]
pub struct AlertsCtx {
    pub version: RwSignal<u32>,
    pub editing: RwSignal<Option<RuleView>>,
    pub flash: RwSignal<Option<(&'static str, String)>>,
}

impl AlertsCtx {
    pub fn reload(self) {
        self.version.update(|v| *v += 1);
    }

    /// Shows `text` in section `key` after the reload a change causes.
    pub fn say(self, key: &'static str, text: String) {
        self.flash.set(Some((key, text)));
    }

    pub fn said(self, key: &str) -> Option<String> {
        self.flash.with(|f| {
            f.as_ref()
                .filter(|(k, _)| *k == key)
                .map(|(_, t)| t.clone())
        })
    }
}

/// A field's error from an action's last result.
pub fn field_msg<T>(r: &Option<Result<T, AppError>>, field: &str) -> Option<&'static str> {
    match r {
        Some(Err(e)) => e.for_field(field).map(tr),
        _ => None,
    }
}

/// The error of an action's last result that no field of `fields` shows.
pub fn general_msg<T>(r: &Option<Result<T, AppError>>, fields: &[&str]) -> Option<String> {
    match r {
        Some(Err(e)) if fields.iter().all(|f| e.for_field(f).is_none()) => {
            Some(crate::components::error_box::error_text(e))
        }
        _ => None,
    }
}

#[component]
pub fn AlertsPage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| query.with(Params::read));
    let version = RwSignal::new(0u32);
    // Both resources are created here, at the page's top level, each one
    // server call started at once (a resource created inside a `Suspend`
    // does not hydrate; a lazy page is rendered twice on the server).
    let data = Resource::new(move || version.get(), |_| load_alerts());
    let history = Resource::new(
        move || (params.get(), version.get()),
        |(p, _)| async move {
            match p.rule {
                Some(id) => load_history(id, p.page).await.map(Some),
                None => Ok::<Option<HistoryView>, AppError>(None),
            }
        },
    );
    let ctx = AlertsCtx {
        version,
        editing: RwSignal::new(None),
        flash: RwSignal::new(None),
    };
    provide_context(ctx);
    let shell = use_shell();
    view! {
        <Title text=at(M::Title)/>
        <div class="alerts-page">
            <h1>{at(M::Title)}</h1>
            <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    let state = match shell { Some(s) => s.await.ok(), None => None };
                    let tz = crate::time::zone(&state.as_ref().map(|s| s.time_zone.clone()).unwrap_or_default());
                    let operator = state
                        .and_then(|s| s.user)
                        .is_some_and(|u| u.can(Access::AnyOf(&[Role::Operator])));
                    match data.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(v) => view! { <Body v=v tz=tz operator=operator history=history/> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// "2 firing · 1 pending", or "No alert is firing · 6 rules watching".
pub fn answer(v: &AlertsView, lang: Lang) -> (StateKind, String) {
    let count = |k: StateKind| {
        v.rules
            .iter()
            .flat_map(|r| r.states.iter())
            .filter(|s| s.state == k)
            .count()
    };
    let (firing, pending) = (count(StateKind::Firing), count(StateKind::Pending));
    let watching = v.rules.iter().filter(|r| r.enabled).count();
    if firing > 0 {
        (
            StateKind::Firing,
            fill(
                M::FiringNow.text(lang),
                &[("n", &firing.to_string()), ("p", &pending.to_string())],
            ),
        )
    } else if pending > 0 {
        (
            StateKind::Pending,
            fill(M::PendingOnly.text(lang), &[("p", &pending.to_string())]),
        )
    } else {
        (
            StateKind::Inactive,
            fill(M::AllClear.text(lang), &[("n", &watching.to_string())]),
        )
    }
}

#[component]
fn Body(
    v: AlertsView,
    tz: Tz,
    operator: bool,
    history: Resource<Result<Option<HistoryView>, AppError>>,
) -> impl IntoView {
    let lang = use_lang();
    let (level, text) = answer(&v, lang);
    let (class, icon) = match level {
        StateKind::Firing => ("answer status-critical", "✖ "),
        StateKind::Pending => ("answer status-warning", "⚠ "),
        _ => ("answer status-ok", "✓ "),
    };
    let metrics = v
        .metrics
        .iter()
        .map(|m| {
            let unit = match m.unit.symbol() {
                "" => "—".to_string(),
                s => s.to_string(),
            };
            view! {
                <tr>
                    <td class="mono">{m.name.clone()}</td>
                    <td>{unit}</td>
                    <td>{m.label(lang).to_string()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class=class data-testid="alerts-answer" data-level=level.as_str()>
            <span aria-hidden="true">{icon}</span>{text}
        </p>
        {(!operator).then(|| view! { <p class="muted" data-testid="read-only">{M::ReadOnly.text(lang)}</p> })}
        <nav class="tabs" aria-label=M::Sections.text(lang)>
            <a href="#active">{M::SectionActive.text(lang)}</a>
            <a href="#rules">{M::SectionRules.text(lang)}</a>
            <a href="#silences">{M::SectionSilences.text(lang)}</a>
            <a href="#yaml">{M::SectionYaml.text(lang)}</a>
            <a href="#metrics">{M::SectionMetrics.text(lang)}</a>
        </nav>
        <rules::ActiveSection v=v.clone() tz=tz operator=operator/>
        <rules::RulesSection v=v.clone() tz=tz operator=operator/>
        <history::HistorySection history=history tz=tz/>
        <silences::SilencesSection v=v.clone() tz=tz operator=operator/>
        <yaml::YamlSection operator=operator/>
        <section class="card" id="metrics" data-testid="alert-metrics">
            <h2>{M::SectionMetrics.text(lang)}</h2>
            <div class="table-wrap">
                <table>
                    <thead><tr>
                        <th scope="col">{M::ColMetric.text(lang)}</th>
                        <th scope="col">{M::ColUnit.text(lang)}</th>
                        <th scope="col">{M::ColMeaning.text(lang)}</th>
                    </tr></thead>
                    <tbody>{metrics}</tbody>
                </table>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::alerts::RuleStateView;

    fn rule(states: &[StateKind]) -> RuleView {
        RuleView {
            id: 1,
            name: "R".into(),
            condition: "cpu_usage > 1".into(),
            metric: "cpu_usage".into(),
            unit: opsdeck::alert_rule::MetricUnit::Percent,
            duration: "5m".into(),
            severity: "critical".into(),
            channels: vec![],
            recipient_group: "alerts".into(),
            enabled: true,
            builtin: false,
            updated_at: chrono::Utc::now(),
            updated_by: "system".into(),
            states: states
                .iter()
                .map(|s| RuleStateView {
                    environment: "production".into(),
                    state: *s,
                    since: None,
                    fired_at: None,
                    resolved_at: None,
                    last_value: None,
                    last_observed_at: None,
                    acknowledged_at: None,
                    acknowledged_by: None,
                    ack_comment: None,
                    silenced: false,
                })
                .collect(),
        }
    }

    fn view_of(rules: Vec<RuleView>) -> AlertsView {
        AlertsView {
            now: chrono::Utc::now(),
            rules,
            metrics: vec![],
            silences: vec![],
            channels: vec![],
            groups: vec![],
            stale_after_seconds: 180,
        }
    }

    #[test]
    fn the_answer_counts_firing_then_pending_r_mon_4() {
        let v = view_of(vec![
            rule(&[StateKind::Firing]),
            rule(&[StateKind::Pending, StateKind::Firing]),
        ]);
        assert_eq!(
            answer(&v, Lang::En),
            (StateKind::Firing, "2 firing · 1 pending".to_string())
        );
        let v = view_of(vec![rule(&[StateKind::Resolved]), rule(&[])]);
        assert_eq!(
            answer(&v, Lang::En),
            (
                StateKind::Inactive,
                "No alert is firing · 2 rules watching".to_string()
            )
        );
        assert_eq!(v.rules[0].worst(), StateKind::Resolved);
    }

    #[test]
    fn history_links_carry_the_rule_and_page() {
        assert_eq!(Params::history_href(3, 1), "/alerts?rule=3#history");
        assert_eq!(Params::history_href(3, 2), "/alerts?rule=3&hp=2#history");
    }
}
