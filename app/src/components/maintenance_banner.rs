//! The banner every page shows while maintenance mode is on (R-MNT-3).

use crate::i18n::Msg;
use crate::model::MaintenanceView;
use crate::tr;
use leptos::prelude::*;

/// `state` is live in the frame (the maintenance page switches it without
/// reloading the frame) and fixed on the login page.
#[component]
pub fn MaintenanceBanner(
    #[prop(into)] state: Signal<MaintenanceView>,
    time_zone: String,
) -> impl IntoView {
    let tz = crate::time::zone(&time_zone);
    move || {
        let state = state.get();
        state.active.then(|| {
            let end = state.estimated_end.map(|t| {
            view! { " · " {tr(Msg::EstimatedEnd)} ": " <time>{crate::time::format(t, tz)}</time> }
        });
            view! {
                <div class="maintenance-banner" role="status" data-testid="maintenance-banner">
                    <strong>"🛠 " {tr(Msg::MaintenanceBanner)}</strong>
                    " — " {state.message.clone()} {end}
                </div>
            }
        })
    }
}
