//! Status shown with an icon and a word, never colour alone.

use crate::i18n::Msg;
use crate::model::HealthLevel;
use crate::tr;
use leptos::prelude::*;

#[component]
pub fn HealthBadge(level: HealthLevel) -> impl IntoView {
    let (class, icon, msg) = match level {
        HealthLevel::Ok => ("badge ok", "●", Msg::HealthOk),
        HealthLevel::Warning => ("badge warning", "▲", Msg::HealthWarning),
        HealthLevel::Critical => ("badge critical", "■", Msg::HealthCritical),
        HealthLevel::Unknown => ("badge unknown", "○", Msg::HealthUnknown),
    };
    view! {
        <span class=class>
            <span aria-hidden="true">{icon}" "</span>
            {tr(msg)}
        </span>
    }
}
