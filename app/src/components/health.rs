//! Status shown with an icon and a word, never colour alone.

use crate::i18n::Msg;
use crate::model::HealthLevel;
use crate::tr;
use leptos::prelude::*;

/// CSS class, icon and word of a health level: the one place they are chosen.
pub fn health_look(level: HealthLevel) -> (&'static str, &'static str, Msg) {
    match level {
        HealthLevel::Ok => ("ok", "●", Msg::HealthOk),
        HealthLevel::Warning => ("warning", "▲", Msg::HealthWarning),
        HealthLevel::Critical => ("critical", "■", Msg::HealthCritical),
        HealthLevel::Unknown => ("unknown", "○", Msg::HealthUnknown),
    }
}

#[component]
pub fn HealthBadge(level: HealthLevel) -> impl IntoView {
    let (class, icon, msg) = health_look(level);
    view! {
        <span class=format!("badge {class}")>
            <span aria-hidden="true">{icon}" "</span>
            {tr(msg)}
        </span>
    }
}
