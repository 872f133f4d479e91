//! Silences (R-MON-4): the ones that have not ended, whether each holds
//! now, delete with a confirmation naming it; for operators the form (end
//! time required; once, monthly at a local time, or during planned
//! maintenance windows).

use super::msg::AlertMsg as M;
use super::{env_label, field_msg, general_msg, AlertsCtx};
use crate::api::alerts::{create_silence, delete_silence};
use crate::components::confirm::confirm;
use crate::i18n::{fill, Lang};
use crate::model::alerts::{AlertsView, SilenceView};
use crate::use_lang;
use chrono_tz::Tz;
use leptos::prelude::*;
use opsdeck::deploy_gate::Environment;

const WEEKS: [(&str, M); 5] = [
    ("first", M::WeekFirst),
    ("second", M::WeekSecond),
    ("third", M::WeekThird),
    ("fourth", M::WeekFourth),
    ("last", M::WeekLast),
];

/// 0 = Monday … 6 = Sunday.
const WEEKDAYS: [M; 7] = [M::Mon, M::Tue, M::Wed, M::Thu, M::Fri, M::Sat, M::Sun];

/// "HighErrorRate · Production", "every rule · every environment".
pub fn scope_text(s: &SilenceView, lang: Lang) -> String {
    let rule = s
        .rule_name
        .clone()
        .unwrap_or_else(|| M::AllRules.text(lang).to_string());
    let env = s
        .environment
        .as_deref()
        .map(|e| env_label(e, lang))
        .unwrap_or_else(|| M::AllEnvironments.text(lang).to_string());
    format!("{rule} · {env}")
}

/// When within its validity a silence holds.
pub fn recurrence_text(s: &SilenceView, lang: Lang) -> String {
    match s.recurrence.as_str() {
        "monthly" => {
            let week = WEEKS
                .iter()
                .find(|(k, _)| Some(*k) == s.monthly_week.as_deref())
                .map(|(_, m)| m.text(lang))
                .unwrap_or("");
            let weekday = s
                .monthly_weekday
                .and_then(|d| usize::try_from(d).ok())
                .and_then(|d| WEEKDAYS.get(d))
                .map(|m| m.text(lang))
                .unwrap_or("");
            fill(
                M::RecMonthly.text(lang),
                &[
                    ("week", week),
                    ("weekday", weekday),
                    ("start", s.monthly_start.as_deref().unwrap_or("")),
                    ("minutes", &s.monthly_minutes.unwrap_or(0).to_string()),
                ],
            )
        }
        "maintenance" => M::RecMaintenance.text(lang).to_string(),
        _ => M::RecOnce.text(lang).to_string(),
    }
}

#[component]
pub fn SilencesSection(v: AlertsView, tz: Tz, operator: bool) -> impl IntoView {
    let lang = use_lang();
    let ctx = expect_context::<AlertsCtx>();
    let body = if v.silences.is_empty() {
        view! { <p class="empty-state" data-testid="silences-empty">{M::NoSilences.text(lang)}</p> }
            .into_any()
    } else {
        let rows = v
            .silences
            .iter()
            .cloned()
            .map(|s| row(s, tz, lang, operator))
            .collect_view();
        view! {
            <div class="table-wrap">
                <table data-testid="silences">
                    <thead><tr>
                        <th scope="col">{M::ColScope.text(lang)}</th>
                        <th scope="col">{M::ColWhen.text(lang)}</th>
                        <th scope="col">{M::FieldRecurrence.text(lang)}</th>
                        <th scope="col">{M::ColComment.text(lang)}</th>
                        <th scope="col">{M::ColBy.text(lang)}</th>
                        {operator.then(|| view! { <th scope="col">{M::ColActions.text(lang)}</th> })}
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    let rules: Vec<(i64, String)> = v.rules.iter().map(|r| (r.id, r.name.clone())).collect();
    view! {
        <section class="card" id="silences" data-testid="silences-section">
            <h2>{M::SectionSilences.text(lang)}</h2>
            <p class="muted">{M::SilenceHelp.text(lang)}</p>
            {move || ctx.said("silences").map(|t| view! { <p class="alert alert-ok" role="status" data-testid="silences-flash">{t}</p> })}
            {body}
        </section>
        {operator.then(|| view! { <SilenceForm rules=rules tz=tz/> })}
    }
}

fn row(s: SilenceView, tz: Tz, lang: Lang, operator: bool) -> impl IntoView {
    let ctx = expect_context::<AlertsCtx>();
    let scope = scope_text(&s, lang);
    let until = crate::time::format(s.ends_at, tz);
    let when = fill(
        M::FromUntil.text(lang),
        &[
            ("from", &crate::time::format(s.starts_at, tz)),
            ("until", &until),
        ],
    );
    let actions = operator.then(|| {
        let id = s.id;
        let question = fill(
            M::ConfirmDeleteSilence.text(lang),
            &[("scope", &scope), ("until", &until)],
        );
        let delete = Action::new(move |_: &()| async move { delete_silence(id).await });
        Effect::new(move |_| {
            if let Some(Ok(())) = delete.value().get() {
                ctx.reload();
            }
        });
        view! {
            <td>
                <button type="button" class="button small danger" data-testid="silence-delete"
                    on:click=move |_| if confirm(&question) { delete.dispatch(()); }>{M::DeleteSilence.text(lang)}</button>
                <span class="field-error">{move || general_msg(&delete.value().get(), &[])}</span>
            </td>
        }
    });
    view! {
        <tr data-testid="silence-row" data-active=s.active.to_string()>
            <td>{scope.clone()}
                {s.active.then(|| view! { " " <span class="badge warning" data-testid="silence-active">{M::ActiveNow.text(lang)}</span> })}</td>
            <td>{when}</td>
            <td>{recurrence_text(&s, lang)}</td>
            <td class="alert-comment">{s.comment.clone()}</td>
            <td>{s.created_by.clone()}</td>
            {actions}
        </tr>
    }
}

#[component]
fn SilenceForm(rules: Vec<(i64, String)>, tz: Tz) -> impl IntoView {
    let lang = use_lang();
    let ctx = expect_context::<AlertsCtx>();
    let rule = RwSignal::new(String::new());
    let env = RwSignal::new(String::new());
    let starts = RwSignal::new(String::new());
    let ends = RwSignal::new(String::new());
    let recurrence = RwSignal::new("once".to_string());
    let week = RwSignal::new("first".to_string());
    let weekday = RwSignal::new("6".to_string());
    let start = RwSignal::new("02:00".to_string());
    let minutes = RwSignal::new("120".to_string());
    let comment = RwSignal::new(String::new());
    let create = Action::new(move |_: &()| {
        let args = (
            rule.get_untracked(),
            env.get_untracked(),
            starts.get_untracked(),
            ends.get_untracked(),
            recurrence.get_untracked(),
            week.get_untracked(),
            weekday.get_untracked(),
            start.get_untracked(),
            minutes.get_untracked(),
            comment.get_untracked(),
        );
        async move {
            create_silence(
                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7, args.8, args.9,
            )
            .await
        }
    });
    let result = create.value();
    Effect::new(move |_| {
        if let Some(Ok(_)) = result.get() {
            ctx.say("silences", M::SilenceCreated.text(lang).to_string());
            ctx.reload();
        }
    });
    let err = move |f: &'static str| move || field_msg(&result.get(), f).map(str::to_string);
    let rule_options = rules
        .into_iter()
        .map(|(id, name)| view! { <option value=id.to_string()>{name}</option> })
        .collect_view();
    let env_options = Environment::ALL
        .into_iter()
        .map(|e| view! { <option value=e.key()>{env_label(e.key(), lang)}</option> })
        .collect_view();
    let week_options = WEEKS
        .iter()
        .map(|(k, m)| view! { <option value=*k>{m.text(lang)}</option> })
        .collect_view();
    let weekday_options = WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, m)| view! { <option value=i.to_string()>{m.text(lang)}</option> })
        .collect_view();
    let zone = tz.name();
    view! {
        <section class="card alert-form" data-testid="silence-form-section">
            <h2>{M::NewSilence.text(lang)}</h2>
            <form class="stack" data-testid="silence-form" novalidate
                on:submit=move |ev| { ev.prevent_default(); create.dispatch(()); }>
                <div class="row">
                    <div class="field">
                        <label for="silence-rule">{M::FieldRule.text(lang)}</label>
                        <select id="silence-rule" data-testid="silence-rule"
                            prop:value=move || rule.get() on:change=move |ev| rule.set(event_target_value(&ev))>
                            <option value="">{M::AllRules.text(lang)}</option>
                            {rule_options}
                        </select>
                        <span class="field-error">{err("rule_id")}</span>
                    </div>
                    <div class="field">
                        <label for="silence-env">{M::FieldEnvironment.text(lang)}</label>
                        <select id="silence-env" data-testid="silence-env"
                            prop:value=move || env.get() on:change=move |ev| env.set(event_target_value(&ev))>
                            <option value="">{M::AllEnvironments.text(lang)}</option>
                            {env_options}
                        </select>
                        <span class="field-error">{err("environment")}</span>
                    </div>
                </div>
                <div class="row">
                    <div class="field">
                        <label for="silence-starts">{M::FieldStarts.text(lang)} " (" {zone} ")"</label>
                        <input id="silence-starts" type="datetime-local" data-testid="silence-starts"
                            prop:value=move || starts.get() on:input=move |ev| starts.set(event_target_value(&ev))/>
                        <span class="field-error">{err("starts_at")}</span>
                    </div>
                    <div class="field">
                        <label for="silence-ends">{M::FieldEnds.text(lang)} " (" {zone} ")"</label>
                        <input id="silence-ends" type="datetime-local" required data-testid="silence-ends"
                            prop:value=move || ends.get() on:input=move |ev| ends.set(event_target_value(&ev))/>
                        <span class="field-error" data-testid="err-ends">{err("ends_at")}</span>
                    </div>
                </div>
                <div class="field">
                    <label for="silence-recurrence">{M::FieldRecurrence.text(lang)}</label>
                    <select id="silence-recurrence" data-testid="silence-recurrence"
                        prop:value=move || recurrence.get() on:change=move |ev| recurrence.set(event_target_value(&ev))>
                        <option value="once">{M::RecOnce.text(lang)}</option>
                        <option value="monthly">{fill(M::RecMonthly.text(lang), &[("week", "…"), ("weekday", ""), ("start", ""), ("minutes", "…")])}</option>
                        <option value="maintenance">{M::RecMaintenance.text(lang)}</option>
                    </select>
                    <span class="field-error">{err("recurrence")}</span>
                </div>
                <div class="row" data-testid="silence-monthly" hidden=move || recurrence.get() != "monthly">
                    <div class="field">
                        <label for="silence-week">{M::FieldWeek.text(lang)}</label>
                        <select id="silence-week" prop:value=move || week.get() on:change=move |ev| week.set(event_target_value(&ev))>
                            {week_options}
                        </select>
                        <span class="field-error">{err("monthly_week")}</span>
                    </div>
                    <div class="field">
                        <label for="silence-weekday">{M::FieldWeekday.text(lang)}</label>
                        <select id="silence-weekday" prop:value=move || weekday.get() on:change=move |ev| weekday.set(event_target_value(&ev))>
                            {weekday_options}
                        </select>
                        <span class="field-error">{err("monthly_weekday")}</span>
                    </div>
                    <div class="field">
                        <label for="silence-start">{M::FieldStart.text(lang)}</label>
                        <input id="silence-start" type="time" prop:value=move || start.get()
                            on:input=move |ev| start.set(event_target_value(&ev))/>
                        <span class="field-error">{err("monthly_start")}</span>
                    </div>
                    <div class="field">
                        <label for="silence-minutes">{M::FieldMinutes.text(lang)}</label>
                        <input id="silence-minutes" type="number" min="1" max="1440" prop:value=move || minutes.get()
                            on:input=move |ev| minutes.set(event_target_value(&ev))/>
                        <span class="field-error">{err("monthly_minutes")}</span>
                    </div>
                </div>
                <div class="field">
                    <label for="silence-comment">{M::FieldComment.text(lang)}</label>
                    <input id="silence-comment" type="text" maxlength="500" data-testid="silence-comment"
                        prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))/>
                    <span class="field-error">{err("comment")}</span>
                </div>
                <button type="submit" class="button primary" data-testid="silence-submit"
                    disabled=move || create.pending().get()>{M::CreateSilence.text(lang)}</button>
                <p class="field-error" role="alert">
                    {move || general_msg(&result.get(), &["rule_id", "environment", "starts_at", "ends_at", "recurrence",
                        "monthly_week", "monthly_weekday", "monthly_start", "monthly_minutes", "comment"])}
                </p>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn silence(recurrence: &str) -> SilenceView {
        SilenceView {
            id: 1,
            rule_id: None,
            rule_name: None,
            environment: Some("production".into()),
            starts_at: chrono::Utc::now(),
            ends_at: chrono::Utc::now(),
            recurrence: recurrence.into(),
            monthly_week: Some("first".into()),
            monthly_weekday: Some(6),
            monthly_start: Some("02:00".into()),
            monthly_minutes: Some(120),
            comment: String::new(),
            created_by: "olga".into(),
            created_at: chrono::Utc::now(),
            active: false,
        }
    }

    #[test]
    fn silences_read_as_sentences_r_mon_4() {
        let s = silence("monthly");
        assert_eq!(scope_text(&s, Lang::En), "every rule · Production");
        assert_eq!(
            recurrence_text(&s, Lang::En),
            "monthly, first Sunday 02:00 for 120 min"
        );
        assert_eq!(
            recurrence_text(&s, Lang::Ja),
            "毎月 第1日曜日 02:00 から 120 分間"
        );
        assert_eq!(
            recurrence_text(&silence("maintenance"), Lang::En),
            "while a planned maintenance window is open"
        );
    }
}
