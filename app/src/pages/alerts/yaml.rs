//! YAML export (everyone: a download in the policy's layout) and import
//! (operators: a file or pasted text; every problem listed by rule and
//! field; nothing stored when anything is wrong).

use super::msg::AlertMsg as M;
use super::AlertsCtx;
use crate::api::alerts::{export_rules, import_rules};
use crate::components::error_box::ErrorBox;
use crate::components::layout::urlencode;
use crate::error::AppError;
use crate::i18n::fill;
use crate::{tr, use_lang};
use leptos::prelude::*;

/// The largest file the import reads (the server's limit too).
const IMPORT_MAX_BYTES: f64 = 256.0 * 1024.0;

/// Reads the chosen file into the text area, where the person sees it
/// before importing; a file over the limit is refused here already.
fn read_chosen_file(ev: &leptos::ev::Event, text: RwSignal<String>, too_large: RwSignal<bool>) {
    use leptos::wasm_bindgen::JsCast;
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return;
    };
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        return;
    };
    too_large.set(file.size() > IMPORT_MAX_BYTES);
    if file.size() > IMPORT_MAX_BYTES {
        return;
    }
    let reading = wasm_bindgen_futures::JsFuture::from(file.text());
    leptos::task::spawn_local(async move {
        if let Some(content) = reading.await.ok().and_then(|v| v.as_string()) {
            text.set(content);
        }
    });
}

#[component]
pub fn YamlSection(operator: bool) -> impl IntoView {
    let lang = use_lang();
    let export = Action::new(|_: &()| async move { export_rules().await });
    view! {
        <section class="card" id="yaml" data-testid="yaml-section">
            <h2>{M::SectionYaml.text(lang)}</h2>
            <div class="row">
                <button type="button" class="button" data-testid="export-yaml"
                    on:click=move |_| { export.dispatch(()); }>{M::ExportButton.text(lang)}</button>
                {move || export.value().get().map(|r| match r {
                    Ok(e) => {
                        let label = fill(M::Download.text(lang), &[("name", &e.filename)]);
                        view! {
                            <a class="button link" data-testid="export-link" download=e.filename.clone()
                                href=format!("data:application/yaml;charset=utf-8,{}", urlencode(&e.yaml))>{label}</a>
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                })}
            </div>
            {operator.then(|| view! { <ImportForm/> })}
        </section>
    }
}

#[component]
fn ImportForm() -> impl IntoView {
    let lang = use_lang();
    let ctx = expect_context::<AlertsCtx>();
    let text = RwSignal::new(String::new());
    let too_large = RwSignal::new(false);
    let import = Action::new(move |_: &()| {
        let t = text.get_untracked();
        async move { import_rules(t).await }
    });
    let result = import.value();
    Effect::new(move |_| {
        if let Some(Ok(o)) = result.get() {
            ctx.say(
                "rules",
                fill(
                    M::Imported.text(lang),
                    &[
                        ("c", &o.created.len().to_string()),
                        ("u", &o.updated.len().to_string()),
                    ],
                ),
            );
            ctx.reload();
        }
    });
    let problems = move || {
        result.get().and_then(|r| r.err()).map(|e| match e {
            AppError::Validation(list) => {
                let items = list
                    .into_iter()
                    .map(|f| {
                        view! { <li data-testid="import-error"><code>{f.field}</code> ": " {tr(f.msg)}</li> }
                    })
                    .collect_view();
                view! {
                    <div class="alert alert-error" role="alert" data-testid="import-errors">
                        <p>{M::NothingImported.text(lang)}</p>
                        <ul>{items}</ul>
                    </div>
                }
                .into_any()
            }
            other => view! { <ErrorBox error=other/> }.into_any(),
        })
    };
    view! {
        <form class="stack alert-form" data-testid="import-form" novalidate
            on:submit=move |ev| { ev.prevent_default(); import.dispatch(()); }>
            <h3>{M::ImportTitle.text(lang)}</h3>
            <p class="muted small">{M::ImportHelp.text(lang)}</p>
            <div class="field">
                <label for="alerts-import-file">{M::ImportFile.text(lang)}</label>
                <input id="alerts-import-file" type="file" accept=".yaml,.yml,application/yaml,text/yaml"
                    data-testid="import-file" on:change=move |ev| read_chosen_file(&ev, text, too_large)/>
                {move || too_large.get().then(|| view! {
                    <p class="field-error" role="alert">{M::FileTooLarge.text(lang)}</p>
                })}
            </div>
            <div class="field">
                <label for="alerts-import-text">{M::ImportText.text(lang)}</label>
                <textarea id="alerts-import-text" rows="10" spellcheck="false" data-testid="import-yaml"
                    placeholder="alerts:\n  - name: HighErrorRate\n    condition: error_rate > 5%\n    duration: 5m\n    severity: critical\n    notify: [pagerduty]"
                    prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            </div>
            <button type="submit" class="button primary" data-testid="import-submit"
                disabled=move || import.pending().get()>{M::ImportSubmit.text(lang)}</button>
            {problems}
        </form>
    }
}
