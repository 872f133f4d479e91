//! `/admin/channels`: the channels, their health at a glance, Send test, and
//! the create / edit form. Secrets are write-only: the form never shows one.

use super::msg::NotifyMsg as M;
use super::{nt, NotifyTabs};
use crate::api::notifications::{delete_channel, list_channels, save_channel, test_channel};
use crate::components::confirm::confirm;
use crate::components::error_box::{error_text, ErrorBox};
use crate::error::AppError;
use crate::i18n::Msg;
use crate::notify::view::{ChannelView, TestOutcome};
use crate::tr;
use leptos::prelude::*;
use leptos_meta::Title;

/// The form's state: one signal per input.
#[derive(Clone, Copy)]
struct ChannelForm {
    id: RwSignal<i64>,
    name: RwSignal<String>,
    kind: RwSignal<String>,
    enabled: RwSignal<bool>,
    lang: RwSignal<String>,
    min_interval_ms: RwSignal<String>,
    url: RwSignal<String>,
    smtp_host: RwSignal<String>,
    smtp_port: RwSignal<String>,
    smtp_security: RwSignal<String>,
    smtp_username: RwSignal<String>,
    email_from: RwSignal<String>,
    email_to: RwSignal<String>,
    secret: RwSignal<String>,
    secret_set: RwSignal<bool>,
    clear_secret: RwSignal<bool>,
}

impl ChannelForm {
    fn new() -> Self {
        ChannelForm {
            id: RwSignal::new(0),
            name: RwSignal::new(String::new()),
            kind: RwSignal::new("webhook".into()),
            enabled: RwSignal::new(true),
            lang: RwSignal::new("ja".into()),
            min_interval_ms: RwSignal::new("0".into()),
            url: RwSignal::new(String::new()),
            smtp_host: RwSignal::new(String::new()),
            smtp_port: RwSignal::new("587".into()),
            smtp_security: RwSignal::new("starttls".into()),
            smtp_username: RwSignal::new(String::new()),
            email_from: RwSignal::new(String::new()),
            email_to: RwSignal::new(String::new()),
            secret: RwSignal::new(String::new()),
            secret_set: RwSignal::new(false),
            clear_secret: RwSignal::new(false),
        }
    }

    fn reset(&self) {
        self.load(None);
    }

    /// Fills the form from a channel (`None`: empty, for a new one).
    fn load(&self, c: Option<&ChannelView>) {
        let blank = ChannelForm::new();
        let get = |s: RwSignal<String>| s.get_untracked();
        match c {
            None => {
                self.id.set(0);
                self.name.set(String::new());
                self.kind.set(get(blank.kind));
                self.enabled.set(true);
                self.lang.set(get(blank.lang));
                self.min_interval_ms.set("0".into());
                self.url.set(String::new());
                self.smtp_host.set(String::new());
                self.smtp_port.set("587".into());
                self.smtp_security.set("starttls".into());
                self.smtp_username.set(String::new());
                self.email_from.set(String::new());
                self.email_to.set(String::new());
                self.secret_set.set(false);
            }
            Some(c) => {
                self.id.set(c.id);
                self.name.set(c.name.clone());
                self.kind.set(c.kind.clone());
                self.enabled.set(c.enabled);
                self.lang.set(c.lang.clone());
                self.min_interval_ms.set(c.min_interval_ms.to_string());
                self.url.set(c.url.clone());
                self.smtp_host.set(c.smtp_host.clone());
                self.smtp_port.set(
                    c.smtp_port
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "587".into()),
                );
                self.smtp_security.set(if c.smtp_security.is_empty() {
                    "starttls".into()
                } else {
                    c.smtp_security.clone()
                });
                self.smtp_username.set(c.smtp_username.clone());
                self.email_from.set(c.email_from.clone());
                self.email_to.set(c.email_to.join(", "));
                self.secret_set.set(c.secret_set);
            }
        }
        self.secret.set(String::new());
        self.clear_secret.set(false);
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "slack" => "Slack",
        "pagerduty" => "PagerDuty",
        "email" => "E-mail (SMTP)",
        "webhook" => "Webhook",
        _ => "?",
    }
}

fn target_summary(c: &ChannelView) -> String {
    match c.kind.as_str() {
        "email" if !c.smtp_host.is_empty() => format!(
            "{}:{} → {}",
            c.smtp_host,
            c.smtp_port.unwrap_or(25),
            c.email_to.join(", ")
        ),
        "slack" if c.secret_set => "hooks URL (secret)".into(),
        _ if !c.url.is_empty() => c.url.clone(),
        _ => "—".into(),
    }
}

/// A labelled input bound to a signal, with the server's message for `name`.
#[component]
fn Input(
    #[prop(into)] label: Signal<&'static str>,
    name: &'static str,
    value: RwSignal<String>,
    errors: Signal<Option<AppError>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] placeholder: Signal<String>,
) -> impl IntoView {
    let id = format!("ch-{name}");
    let err = move || errors.get().and_then(|e| e.for_field(name)).map(tr);
    view! {
        <div class="field">
            <label for=id.clone()>{move || label.get()}</label>
            <input id=id name=name type=kind autocomplete="off"
                placeholder=move || placeholder.get()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || err().is_some().to_string()/>
            <span class="field-error" data-testid=format!("err-{name}")>{err}</span>
        </div>
    }
}

#[component]
pub fn ChannelsPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let channels = Resource::new(move || version.get(), |_| list_channels());
    let form = ChannelForm::new();
    let editing = RwSignal::new(false);
    let save = Action::new(move |_: &()| {
        let f = form;
        let args = (
            f.id.get_untracked(),
            f.name.get_untracked(),
            f.kind.get_untracked(),
            f.enabled.get_untracked(),
            f.lang.get_untracked(),
            f.min_interval_ms.get_untracked(),
            f.url.get_untracked(),
            f.smtp_host.get_untracked(),
            f.smtp_port.get_untracked(),
            f.smtp_security.get_untracked(),
            f.smtp_username.get_untracked(),
            f.email_from.get_untracked(),
            f.email_to.get_untracked(),
            f.secret.get_untracked(),
            f.clear_secret.get_untracked(),
        );
        async move {
            save_channel(
                args.0, args.1, args.2, args.3, args.4, args.5, args.6, args.7, args.8, args.9,
                args.10, args.11, args.12, args.13, args.14,
            )
            .await
        }
    });
    let saved = save.value();
    Effect::new(move |_| {
        if let Some(Ok(_)) = saved.get() {
            form.reset();
            editing.set(false);
            version.update(|v| *v += 1);
        }
    });
    let errors = Signal::derive(move || saved.get().and_then(|r| r.err()));
    let general = move || {
        errors.get().and_then(|e| match e {
            AppError::Validation(_) | AppError::Conflict(_) => None,
            e => Some(error_text(&e)),
        })
    };
    let delete = Action::new(move |id: &i64| {
        let id = *id;
        async move { delete_channel(id).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            version.update(|v| *v += 1);
        }
    });
    // The last test outcome per channel id.
    let tests = RwSignal::new(Vec::<(i64, Result<TestOutcome, AppError>)>::new());
    let testing = RwSignal::new(None::<i64>);
    let run_test = Action::new(move |id: &i64| {
        let id = *id;
        testing.set(Some(id));
        async move {
            let r = test_channel(id).await;
            tests.update(|t| {
                t.retain(|(i, _)| *i != id);
                t.push((id, r));
            });
            testing.set(None);
            version.update(|v| *v += 1);
        }
    });
    let secret_label = move || match form.kind.get().as_str() {
        "slack" => nt(M::SecretSlack),
        "pagerduty" => nt(M::SecretPagerduty),
        "email" => nt(M::SecretEmail),
        _ => nt(M::SecretWebhook),
    };
    let kind_is = move |k: &'static str| move || form.kind.get() == k;
    view! {
        <Title text=nt(M::ChannelsTitle)/>
        <NotifyTabs/>
        <h1>{nt(M::ChannelsTitle)}</h1>
        <p class="answer">{nt(M::ChannelsAnswer)}</p>
        <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
            {move || Suspend::new(async move {
                match channels.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="card empty-state">{nt(M::ChannelsEmpty)}</p> }.into_any(),
                    Ok(list) => {
                        let rows = list.into_iter().map(|c| {
                            let id = c.id;
                            let name = c.name.clone();
                            let status = if !c.enabled { ("status-unknown", "○", nt(M::SwitchedOff)) }
                                else if c.configured { ("status-ok", "✓", nt(M::Configured)) }
                                else { ("status-warning", "!", nt(M::NotConfigured)) };
                            let edit_copy = c.clone();
                            let outcome = move || tests.with(|t| t.iter().find(|(i, _)| *i == id).map(|(_, r)| r.clone()));
                            view! {
                                <tr data-testid=format!("channel-{name}")>
                                    <th scope="row">{name.clone()}</th>
                                    <td>{kind_label(&c.kind)}</td>
                                    <td><span class=status.0><span aria-hidden="true">{status.1}</span>" "{status.2}</span></td>
                                    <td class="mono">{target_summary(&c)}</td>
                                    <td>{c.pending}</td>
                                    <td>{c.failed_24h}</td>
                                    <td class="actions">
                                        <button type="button" class="button" data-testid=format!("edit-{name}")
                                            on:click=move |_| { form.load(Some(&edit_copy)); editing.set(true); }>{nt(M::Edit)}</button>
                                        <button type="button" class="button" data-testid=format!("test-{name}")
                                            disabled=move || testing.get().is_some()
                                            on:click=move |_| { run_test.dispatch(id); }>
                                            {move || if testing.get() == Some(id) { nt(M::Sending) } else { nt(M::SendTest) }}
                                        </button>
                                        <button type="button" class="button danger" data-testid=format!("delete-{name}")
                                            on:click={
                                                let name = name.clone();
                                                move |_| if confirm(&format!("{} {name}?", nt(M::ConfirmDeleteChannel))) { delete.dispatch(id); }
                                            }>{nt(M::Delete)}</button>
                                        <div role="status" data-testid=format!("test-result-{name}")>
                                            {move || outcome().map(|r| match r {
                                                Ok(o) if o.ok => view! { <span class="status-ok">"✓ " {nt(M::TestOk)} {o.status_code.map(|c| format!(" · {c}")).unwrap_or_default()} " · " {o.latency_ms} " ms"</span> }.into_any(),
                                                Ok(o) => view! { <span class="status-critical">"✗ " {nt(M::TestFailed)} ": " {o.error.unwrap_or_default()}</span> }.into_any(),
                                                Err(e) => view! { <span class="status-critical">"✗ " {error_text(&e)}</span> }.into_any(),
                                            })}
                                        </div>
                                    </td>
                                </tr>
                            }
                        }).collect_view();
                        view! {
                            <div class="table-wrap card">
                                <table data-testid="channels-table">
                                    <thead><tr>
                                        <th scope="col">{nt(M::Name)}</th>
                                        <th scope="col">{nt(M::Kind)}</th>
                                        <th scope="col">{nt(M::Status)}</th>
                                        <th scope="col">{nt(M::Target)}</th>
                                        <th scope="col">{nt(M::Pending)}</th>
                                        <th scope="col">{nt(M::Failed24h)}</th>
                                        <th scope="col">{nt(M::Actions)}</th>
                                    </tr></thead>
                                    <tbody>{rows}</tbody>
                                </table>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <section class="card">
            <h2>{move || if editing.get() { nt(M::EditChannel) } else { nt(M::NewChannel) }}</h2>
            <form class="stack" data-testid="channel-form" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
                <Input label=nt(M::Name) name="name" value=form.name errors=errors/>
                <div class="field">
                    <label for="ch-kind">{nt(M::Kind)}</label>
                    <select id="ch-kind" name="kind" data-testid="channel-kind"
                        prop:value=move || form.kind.get()
                        on:change=move |ev| form.kind.set(event_target_value(&ev))>
                        <option value="webhook">"Webhook"</option>
                        <option value="slack">"Slack"</option>
                        <option value="pagerduty">"PagerDuty"</option>
                        <option value="email">"E-mail (SMTP)"</option>
                    </select>
                </div>
                <div hidden=move || !(kind_is("webhook")() || kind_is("pagerduty")())>
                    <Input label=nt(M::Url) name="url" value=form.url errors=errors
                        placeholder=Signal::derive(move || if form.kind.get() == "pagerduty" { crate::notify::PAGERDUTY_EVENTS_URL.to_string() } else { "https://".to_string() })/>
                </div>
                <div hidden=move || !kind_is("email")()>
                    <Input label=nt(M::SmtpHost) name="smtp_host" value=form.smtp_host errors=errors/>
                    <Input label=nt(M::SmtpPort) name="smtp_port" value=form.smtp_port errors=errors kind="number"/>
                    <div class="field">
                        <label for="ch-smtp_security">{nt(M::SmtpSecurity)}</label>
                        <select id="ch-smtp_security" prop:value=move || form.smtp_security.get()
                            on:change=move |ev| form.smtp_security.set(event_target_value(&ev))>
                            <option value="starttls">"STARTTLS"</option>
                            <option value="tls">"TLS"</option>
                            <option value="none">"none"</option>
                        </select>
                    </div>
                    <Input label=nt(M::SmtpUsername) name="smtp_username" value=form.smtp_username errors=errors/>
                    <Input label=nt(M::EmailFrom) name="email_from" value=form.email_from errors=errors/>
                    <Input label=nt(M::EmailTo) name="email_to" value=form.email_to errors=errors/>
                </div>
                <Input label=Signal::derive(secret_label) name="secret" value=form.secret errors=errors kind="password"
                    placeholder=Signal::derive(move || if form.secret_set.get() { nt(M::SecretKept).to_string() } else { String::new() })/>
                <label class="check" hidden=move || !form.secret_set.get()>
                    <input type="checkbox" prop:checked=move || form.clear_secret.get()
                        on:change=move |ev| form.clear_secret.set(event_target_checked(&ev))/>
                    " " {nt(M::ClearSecret)}
                </label>
                <div class="field">
                    <label for="ch-lang">{nt(M::Language)}</label>
                    <select id="ch-lang" prop:value=move || form.lang.get()
                        on:change=move |ev| form.lang.set(event_target_value(&ev))>
                        <option value="ja">"日本語"</option>
                        <option value="en">"English"</option>
                    </select>
                </div>
                <Input label=nt(M::MinInterval) name="min_interval_ms" value=form.min_interval_ms errors=errors kind="number"/>
                <label class="check">
                    <input type="checkbox" prop:checked=move || form.enabled.get()
                        on:change=move |ev| form.enabled.set(event_target_checked(&ev))/>
                    " " {nt(M::Enabled)}
                </label>
                <p class="alert alert-error" role="alert" hidden=move || general().is_none()>{general}</p>
                <div class="row">
                    <button type="submit" class="button primary" data-testid="save-channel" disabled=move || save.pending().get()>{nt(M::Save)}</button>
                    <button type="button" class="button link" hidden=move || !editing.get()
                        on:click=move |_| { form.reset(); editing.set(false); }>{nt(M::Cancel)}</button>
                </div>
            </form>
        </section>
    }
}
