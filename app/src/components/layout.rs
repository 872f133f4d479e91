//! The frame around every signed-in page: top bar, navigation, maintenance banner.
//!
//! It loads the shell state once; pages read it through `use_shell()`. A page
//! that changes what the frame shows (maintenance mode) bumps `ShellRefresh`.

use crate::api::auth::{load_shell, Logout};
use crate::components::error_box::ErrorBox;
use crate::components::maintenance_banner::MaintenanceBanner;
use crate::error::AppError;
use crate::i18n::{Lang, Msg};
use crate::model::{CurrentUser, HealthLevel, ShellState};
use crate::role::{Access, Role};
use crate::{tr, use_lang};
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;

/// The shell state every page of the frame can await.
pub type ShellResource = Resource<Result<ShellState, AppError>>;

/// Bump to reload the shell state (user, maintenance banner).
#[derive(Clone, Copy)]
pub struct ShellRefresh(pub RwSignal<u32>);

/// The maintenance state the frame shows; the maintenance page sets it when
/// it switches, so the banner changes without reloading the frame.
#[derive(Clone, Copy)]
pub struct MaintenanceNow(pub RwSignal<crate::model::MaintenanceView>);

/// The bell's unread count; the inbox lowers it when messages are read,
/// without reloading the whole frame (which would re-create the page).
#[derive(Clone, Copy)]
pub struct UnreadCount(pub RwSignal<i64>);

pub fn use_shell() -> Option<ShellResource> {
    use_context::<ShellResource>()
}

/// Where the login page sends the user back to.
fn login_href(path: &str) -> String {
    format!("/login?next={}", urlencode(path))
}

/// `s` percent-encoded for a URL (a query value, a `data:` URL's body):
/// every byte except unreserved ASCII (`A–Z a–z 0–9 - _ . ~`) becomes `%XX`,
/// `/` included.
pub(crate) fn urlencode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0x0f)]));
            }
        }
    }
    out
}

#[component]
pub fn Layout() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    provide_context(ShellRefresh(refresh));
    let shell: ShellResource = Resource::new(move || refresh.get(), |_| load_shell());
    provide_context(shell);
    let location = use_location();
    view! {
        // A Transition keeps the page on screen while the shell reloads (e.g. after
        // switching maintenance mode) instead of flashing the fallback.
        <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
            {move || Suspend::new(async move {
                match shell.await {
                    Ok(ShellState { user: Some(user), maintenance, time_zone, environments, unread }) => {
                        let maintenance = RwSignal::new(maintenance);
                        provide_context(MaintenanceNow(maintenance));
                        view! {
                        <Frame user=user environments=environments unread=unread>
                            <MaintenanceBanner state=maintenance time_zone=time_zone/>
                            <Outlet/>
                        </Frame>
                    }
                    .into_any()
                    }
                    Ok(_) | Err(AppError::Unauthenticated) => {
                        let search = location.search.get_untracked();
                        let wanted = if search.is_empty() {
                            location.pathname.get_untracked()
                        } else {
                            format!("{}?{search}", location.pathname.get_untracked())
                        };
                        view! { <Redirect path=login_href(&wanted)/> }.into_any()
                    }
                    Err(e) => view! { <main class="content"><ErrorBox error=e/></main> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Navigation entries: path, label, test id.
const NAV: [(&str, Msg, &str); 12] = [
    ("/", Msg::NavOverview, "nav-overview"),
    ("/deploys", Msg::NavDeploys, "nav-deploys"),
    ("/releases", Msg::NavReleases, "nav-releases"),
    ("/monitoring", Msg::NavMonitoring, "nav-monitoring"),
    ("/sla", Msg::NavSla, "nav-sla"),
    ("/alerts", Msg::NavAlerts, "nav-alerts"),
    ("/backups", Msg::NavBackups, "nav-backups"),
    ("/incidents", Msg::NavIncidents, "nav-incidents"),
    ("/maintenance", Msg::NavMaintenance, "nav-maintenance"),
    ("/costs", Msg::NavCosts, "nav-costs"),
    ("/audit", Msg::NavAudit, "nav-audit"),
    ("/admin", Msg::NavAdmin, "nav-admin"),
];

#[component]
fn Frame(
    user: CurrentUser,
    environments: Vec<(String, HealthLevel)>,
    unread: i64,
    children: Children,
) -> impl IntoView {
    // The bell: unread count as a number and in words, never colour alone.
    let unread = RwSignal::new(unread);
    provide_context(UnreadCount(unread));
    let bell_class = move || {
        if unread.get() > 0 {
            "bell has-unread"
        } else {
            "bell"
        }
    };
    let bell_label = move || format!("{}: {}", tr(Msg::InboxUnread), unread.get());
    let is_admin = user.can(Access::AnyOf(&[Role::Admin]));
    let location = use_location();
    let lang = use_lang();
    let switch_to = match lang {
        Lang::En => (Lang::Ja, "日本語"),
        Lang::Ja => (Lang::En, "English"),
    };
    let lang_href = move || {
        format!(
            "/lang/{}?next={}",
            switch_to.0.code(),
            urlencode(&location.pathname.get())
        )
    };
    let roles = user
        .roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let logout = ServerAction::<Logout>::new();
    // Status by icon + word (in the tooltip and for screen readers) + colour.
    let env_dots = environments
        .into_iter()
        .map(|(name, level)| {
            let (class, icon, msg) = crate::components::health::health_look(level);
            let label = format!("{name}: {}", tr(msg));
            view! {
                <li class=format!("env-dot {class}") title=label.clone() aria-label=label data-testid="env-dot">
                    <span aria-hidden="true">{icon}</span> " " {name}
                </li>
            }
        })
        .collect_view();
    let nav = NAV
        .into_iter()
        .filter(|(path, _, _)| *path != "/admin" || is_admin)
        .map(|(path, msg, testid)| {
            view! { <li><A href=path attr:data-testid=testid>{tr(msg)}</A></li> }
        })
        .collect_view();
    view! {
        <div class="app">
            <header class="topbar">
                <a class="brand" href="/">
                    <span class="logo" aria-hidden="true">"◆"</span>
                    " opsdeck · " {tr(Msg::ServiceName)}
                </a>
                <details class="menu-toggle">
                    <summary>{tr(Msg::Menu)}</summary>
                </details>
                <ul class="env-dots" aria-label=tr(Msg::Environments)>{env_dots}</ul>
                <div class="topbar-right">
                    <A href="/inbox" attr:class=bell_class attr:data-testid="bell" attr:aria-label=bell_label attr:title=bell_label>
                        // A drawn bell, not the emoji: a desktop without an emoji font showed an empty box.
                        <svg class="bell-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
                            <path fill="currentColor" d="M8 1.5c.55 0 1 .45 1 1v.6a4.5 4.5 0 0 1 3.5 4.4v3l1.5 2H2l1.5-2v-3A4.5 4.5 0 0 1 7 3.1v-.6c0-.55.45-1 1-1zM6.3 13.5h3.4a1.7 1.7 0 0 1-3.4 0z"/>
                        </svg>
                        <span class="bell-count" data-testid="bell-count">{move || unread.get()}</span>
                    </A>
                    <a class="lang-switch" href=lang_href rel="external" data-testid="lang-switch">{switch_to.1}</a>
                    <A href="/account" attr:class="user" attr:data-testid="current-user">
                        {user.display_name.clone()}
                        <span class="roles">" (" {roles} ")"</span>
                    </A>
                    <ActionForm action=logout attr:class="inline">
                        <button type="submit" class="button link" data-testid="logout">{tr(Msg::Logout)}</button>
                    </ActionForm>
                </div>
            </header>
            <nav class="sidenav" aria-label="main">
                <ul>{nav}</ul>
            </nav>
            <main class="content" id="main">{children()}</main>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::{login_href, urlencode};

    #[test]
    fn percent_encoding_keeps_only_unreserved_ascii_r_rel_4_r_bak_4() {
        assert_eq!(urlencode("aZ09-_.~"), "aZ09-_.~");
        assert_eq!(
            urlencode("# v1.3.0\n- a (#1)"),
            "%23%20v1.3.0%0A-%20a%20%28%231%29"
        );
        assert_eq!(urlencode("新"), "%E6%96%B0");
        assert_eq!(urlencode("%&+/ =?"), "%25%26%2B%2F%20%3D%3F");
    }

    #[test]
    fn login_link_carries_the_whole_wanted_path_r_auth_1() {
        assert_eq!(
            login_href("/audit?page=2&actor=a b"),
            "/login?next=%2Faudit%3Fpage%3D2%26actor%3Da%20b"
        );
    }
}
