//! Notification pages: channels, recipient groups and deliveries (admins)
//! and every user's inbox (issue 8).

pub mod channels;
pub mod deliveries;
pub mod groups;
pub mod inbox;
pub mod msg;

use crate::use_lang;
use msg::NotifyMsg;

/// Shorthand: the text of an area message in the current language.
pub fn nt(m: NotifyMsg) -> &'static str {
    m.text(use_lang())
}

/// The admin sub-navigation shared by the notification admin pages.
#[leptos::component]
pub fn NotifyTabs() -> impl leptos::IntoView {
    use leptos::prelude::*;
    use leptos_router::components::A;
    view! {
        <nav class="tabs" aria-label=nt(NotifyMsg::AdminNotifications)>
            <A href="/admin" exact=true>{crate::tr(crate::i18n::Msg::NavAdmin)}</A>
            <A href="/admin/channels" attr:data-testid="tab-channels">{nt(NotifyMsg::ChannelsTitle)}</A>
            <A href="/admin/groups" attr:data-testid="tab-groups">{nt(NotifyMsg::GroupsTitle)}</A>
            <A href="/admin/deliveries" attr:data-testid="tab-deliveries">{nt(NotifyMsg::DeliveriesTitle)}</A>
        </nav>
    }
}
