//! Areas that later issues fill: each says what is coming instead of a blank page.

use crate::i18n::Msg;
use crate::tr;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
fn Coming(title: Msg, body: Msg) -> impl IntoView {
    view! {
        <Title text=tr(title)/>
        <h1>{tr(title)}</h1>
        <section class="card empty-state" data-testid="coming">
            <h2>{tr(Msg::ComingTitle)}</h2>
            <p>{tr(body)}</p>
        </section>
    }
}

#[component]
pub fn SlaPage() -> impl IntoView {
    view! { <Coming title=Msg::NavSla body=Msg::ComingSla/> }
}

#[component]
pub fn AlertsPage() -> impl IntoView {
    view! { <Coming title=Msg::NavAlerts body=Msg::ComingAlerts/> }
}
