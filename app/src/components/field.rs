//! A labelled form input with its field-level error.

use crate::error::AppError;
use crate::i18n::Msg;
use crate::tr;
use leptos::prelude::*;

/// The message for `field` in the last result of an action, if it failed on that field.
pub fn field_error<T, S>(value: S, field: &'static str) -> Signal<Option<&'static str>>
where
    S: With<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static,
{
    Signal::derive(move || {
        value.with(|v| match v {
            Some(Err(e)) => e.for_field(field).map(tr),
            _ => None,
        })
    })
}

/// `<label>` + `<input>` + error line, bound to a signal.
#[component]
pub fn Field(
    label: Msg,
    name: &'static str,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(into, optional)] error: Signal<Option<&'static str>>,
    #[prop(optional)] autocomplete: &'static str,
) -> impl IntoView {
    let id = format!("f-{name}");
    let err_id = format!("{id}-err");
    view! {
        <div class="field">
            <label for=id.clone()>{tr(label)}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby=err_id.clone()
            />
            <span class="field-error" id=err_id data-testid=format!("err-{name}")>
                {move || error.get()}
            </span>
        </div>
    }
}
