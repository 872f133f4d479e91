//! The area's settings: the objectives (RPO, RTO) and the grace before a
//! scheduled run counts as missed (operators), and each target's built-in
//! runner (admins: it runs a program on the server). The runner's database
//! URL is shown with its password redacted; sent back unchanged, the
//! stored one is kept.

use super::msg::BakMsg as M;
use super::{bt, general_msg, minutes_text, target_name, BackupsCtx};
use crate::api::backups::{save_backup_settings, save_runner};
use crate::i18n::fill;
use crate::model::backups::{BackupSettingsView, TargetView};
use crate::use_lang;
use leptos::prelude::*;

/// The runner a target without one starts from (the migration's defaults).
const DEFAULT_COMMAND: &str = "pg_dump --format=custom --file {file} {database_url}";

#[component]
pub fn SettingsSection(
    settings: BackupSettingsView,
    targets: Vec<TargetView>,
    operator: bool,
    admin: bool,
) -> impl IntoView {
    let lang = use_lang();
    let runners = targets
        .into_iter()
        .map(|t| view! { <RunnerForm t=t/> })
        .collect_view();
    view! {
        <section class="card" id="settings" data-testid="backup-settings">
            <h2>{bt(M::SettingsTitle)}</h2>
            <dl class="bak-facts">
                <dt>{bt(M::RpoTitle)}</dt><dd data-testid="setting-rpo">{minutes_text(i64::from(settings.rpo_minutes), lang)}</dd>
                <dt>{bt(M::RtoTitle)}</dt><dd data-testid="setting-rto">{minutes_text(i64::from(settings.rto_minutes), lang)}</dd>
                <dt>{bt(M::MissedGrace)}</dt><dd>{minutes_text(i64::from(settings.missed_grace_minutes), lang)}</dd>
            </dl>
            {operator.then(|| view! { <ObjectivesForm settings=settings.clone()/> })}
            {if admin {
                view! {
                    <h3>{bt(M::RunnersTitle)}</h3>
                    <p class="muted small">{bt(M::RunnerHelp)}</p>
                    {runners}
                }.into_any()
            } else if operator {
                view! { <p class="muted">{bt(M::RunnersAdminOnly)}</p> }.into_any()
            } else {
                ().into_any()
            }}
        </section>
    }
}

#[component]
fn ObjectivesForm(settings: BackupSettingsView) -> impl IntoView {
    let ctx = expect_context::<BackupsCtx>();
    let rpo = RwSignal::new(settings.rpo_minutes.to_string());
    let rto = RwSignal::new(settings.rto_minutes.to_string());
    let grace = RwSignal::new(settings.missed_grace_minutes.to_string());
    let key = "objectives";
    let save = Action::new(move |_: &()| {
        let a = (
            rpo.get_untracked(),
            rto.get_untracked(),
            grace.get_untracked(),
        );
        async move { save_backup_settings(a.0, a.1, a.2).await }
    });
    let result = save.value();
    Effect::new(move |_| {
        if let Some(Ok(())) = result.get() {
            ctx.say(key, bt(M::SettingsSaved).to_string());
            ctx.reload();
        }
    });
    let field = move |id: &'static str, label: M, value: RwSignal<String>, max: &'static str| {
        let err = move || super::field_msg(&result.get(), id);
        view! {
            <div class="field">
                <label for=format!("set-{id}")>{bt(label)}</label>
                <input id=format!("set-{id}") type="number" min="1" max=max prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                    aria-invalid=move || err().is_some().to_string()/>
                <span class="field-error" data-testid=format!("err-{id}")>{err}</span>
            </div>
        }
    };
    let general = move || {
        general_msg(
            &result.get(),
            &["rpo_minutes", "rto_minutes", "missed_grace_minutes"],
        )
    };
    view! {
        <details class="bak-form">
            <summary>{bt(M::ChangeObjectives)}</summary>
            <form class="stack" data-testid="objectives-form" on:submit=move |ev| {
                ev.prevent_default();
                ctx.hush(key);
                save.dispatch(());
            }>
                {field("rpo_minutes", M::RpoMinutes, rpo, "10080")}
                {field("rto_minutes", M::RtoMinutes, rto, "10080")}
                {field("missed_grace_minutes", M::GraceMinutes, grace, "1440")}
                <p class="alert alert-error" role="alert" hidden=move || general().is_none()>{general}</p>
                <button type="submit" class="button primary" data-testid="save-objectives"
                    disabled=move || save.pending().get()>{bt(M::SaveSettings)}</button>
            </form>
        </details>
        <p class="alert alert-ok" role="status" data-testid="objectives-saved"
            hidden=move || ctx.said(key).is_none()>{move || ctx.said(key)}</p>
    }
}

#[component]
fn RunnerForm(t: TargetView) -> impl IntoView {
    let ctx = expect_context::<BackupsCtx>();
    let lang = use_lang();
    let target_id = t.id;
    let existing = t.runner.clone();
    let has_runner = existing.is_some();
    let r = existing.unwrap_or(crate::model::backups::RunnerView {
        enabled: true,
        command: DEFAULT_COMMAND.to_string(),
        database_url: String::new(),
        directory: String::new(),
        timeout_seconds: 3600,
        drill_timeout_seconds: 14_400,
    });
    let enabled = RwSignal::new(r.enabled);
    let command = RwSignal::new(r.command.clone());
    let url = RwSignal::new(r.database_url.clone());
    let dir = RwSignal::new(r.directory.clone());
    let timeout = RwSignal::new(r.timeout_seconds.to_string());
    let drill_timeout = RwSignal::new(r.drill_timeout_seconds.to_string());
    let key = format!("runner-{target_id}");
    let save = Action::new(move |_: &()| {
        let a = (
            enabled.get_untracked(),
            command.get_untracked(),
            url.get_untracked(),
            dir.get_untracked(),
            timeout.get_untracked(),
            drill_timeout.get_untracked(),
        );
        async move { save_runner(target_id, a.0, a.1, a.2, a.3, a.4, a.5).await }
    });
    let result = save.value();
    let saved_key = key.clone();
    Effect::new(move |_| {
        if let Some(Ok(())) = result.get() {
            ctx.say(&saved_key, bt(M::RunnerSaved).to_string());
            ctx.reload();
        }
    });
    let p = format!("runner{target_id}");
    let field = {
        let p = p.clone();
        move |id: &'static str, label: M, kind: &'static str, value: RwSignal<String>| {
            let err = move || super::field_msg(&result.get(), id);
            let input_id = format!("{p}-{id}");
            view! {
                <div class="field">
                    <label for=input_id.clone()>{bt(label)}</label>
                    <input id=input_id type=kind spellcheck="false" prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))
                        aria-invalid=move || err().is_some().to_string()/>
                    <span class="field-error" data-testid=format!("err-{id}")>{err}</span>
                </div>
            }
        }
    };
    let general = move || {
        general_msg(
            &result.get(),
            &[
                "command",
                "database_url",
                "directory",
                "timeout_seconds",
                "drill_timeout_seconds",
            ],
        )
    };
    let title = if has_runner {
        fill(bt(M::RunnerOf), &[("target", &target_name(&t, lang))])
    } else {
        fill(bt(M::AddRunnerTo), &[("target", &target_name(&t, lang))])
    };
    let flash_key = key.clone();
    let flash_key2 = key.clone();
    view! {
        <details class="bak-form" data-testid=format!("runner-settings-{}", t.key)>
            <summary>{title}</summary>
            <form class="stack bak-wide" data-testid="runner-form" on:submit=move |ev| {
                ev.prevent_default();
                ctx.hush(&key);
                save.dispatch(());
            }>
                <label class="check">
                    <input type="checkbox" prop:checked=move || enabled.get()
                        on:change=move |ev| enabled.set(event_target_checked(&ev))/>
                    " " {bt(M::RunnerEnabled)}
                </label>
                {field("command", M::Command, "text", command)}
                {field("database_url", M::DatabaseUrl, "text", url)}
                <p class="muted small">{bt(M::DatabaseUrlHelp)}</p>
                {field("directory", M::Directory, "text", dir)}
                <p class="muted small">{bt(M::DirectoryHelp)}</p>
                {field("timeout_seconds", M::TimeoutSeconds, "number", timeout)}
                {field("drill_timeout_seconds", M::DrillTimeoutSeconds, "number", drill_timeout)}
                <p class="alert alert-error" role="alert" hidden=move || general().is_none()>{general}</p>
                <button type="submit" class="button primary" data-testid="save-runner"
                    disabled=move || save.pending().get()>{bt(M::SaveRunner)}</button>
            </form>
        </details>
        <p class="alert alert-ok" role="status" data-testid="runner-saved"
            hidden=move || ctx.said(&flash_key).is_none()>{move || ctx.said(&flash_key2)}</p>
    }
}
