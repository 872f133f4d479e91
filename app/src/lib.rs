//! opsdeck's UI: pages, components and server functions.
//!
//! Built twice: with `ssr` for the server (rendering and server-function
//! bodies, which reach Postgres through `store`) and with `hydrate` for the
//! browser. See docs/decisions/0002-store-behind-ssr-feature.md.

pub mod api;
pub mod components;
pub mod error;
pub mod i18n;
pub mod model;
pub mod notify;
pub mod pages;
pub mod role;
pub mod time;
pub mod validate;

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod charts;
#[cfg(feature = "ssr")]
pub mod context;
#[cfg(feature = "ssr")]
pub mod store;

use i18n::Lang;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let lang = request_lang();
    #[cfg(feature = "ssr")]
    set_page_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // No icon yet: an empty one spares every page a 404 for /favicon.ico.
                <link rel="icon" href="data:,"/>
                <AutoReload options=options.clone()/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <leptos_meta::MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The page's Content-Security-Policy (R-AUTH-5): scripts only from this
/// site or carrying this response's nonce (Leptos puts it on the hydration
/// script and on the streamed resource scripts), WebAssembly allowed, no
/// plugins, no framing, no foreign form targets.
#[cfg(feature = "ssr")]
fn set_page_security_policy() {
    let Some(opts) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let nonce = leptos::nonce::use_nonce()
        .map(|n| format!(" 'nonce-{n}'"))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        opts.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The language of this request: the cookie on the server, else the
/// browser's `Accept-Language` (first visit); in the browser, the
/// `<html lang>` the server wrote.
pub(crate) fn request_lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .map(|p| {
                let header = |name| p.headers.get(name).and_then(|v| v.to_str().ok());
                Lang::of_request(
                    header(http::header::COOKIE),
                    header(http::header::ACCEPT_LANGUAGE),
                )
            })
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        document()
            .document_element()
            .and_then(|e| e.get_attribute("lang"))
            .and_then(|code| Lang::from_code(&code))
            .unwrap_or_default()
    }
}

/// The current UI language.
pub fn use_lang() -> Lang {
    use_context::<Lang>().unwrap_or_default()
}

/// Shorthand: the text of `msg` in the current language.
pub fn tr(msg: i18n::Msg) -> &'static str {
    msg.text(use_lang())
}

/// A route whose page is loaded on demand: with `cargo leptos build --split`
/// its code goes into a separate WASM chunk fetched when the route is first
/// shown, so the first load (login, overview) carries only what it needs
/// (decision 0010, first-load budget).
macro_rules! lazy_page {
    ($route:ident, $page:path) => {
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <crate::LazyReady/> {$page()} }.into_any()
            }
        }
    };
}

/// A hidden marker at the top of every lazy page, marked `data-ready` once
/// that page has hydrated. The body's `data-hydrated` comes from the App,
/// which hydrates before a lazy page's chunk has arrived; browser tests wait
/// for both before they click (`end2end/tests/helpers.ts`).
#[component]
pub fn LazyReady() -> impl IntoView {
    let marker = NodeRef::<leptos::html::Span>::new();
    Effect::new(move |_| {
        if let Some(el) = marker.get() {
            let _ = el.set_attribute("data-ready", "true");
        }
    });
    view! { <span hidden data-lazy-page="" node_ref=marker></span> }
}

/// The pages loaded on demand (see `lazy_page!`).
pub mod lazy {
    use leptos::prelude::*;
    lazy_page!(AdminRoute, crate::pages::admin::AdminPage);
    lazy_page!(
        ChannelsRoute,
        crate::pages::notifications::channels::ChannelsPage
    );
    lazy_page!(GroupsRoute, crate::pages::notifications::groups::GroupsPage);
    lazy_page!(
        DeliveriesRoute,
        crate::pages::notifications::deliveries::DeliveriesPage
    );
    lazy_page!(InboxRoute, crate::pages::notifications::inbox::InboxPage);
    lazy_page!(AuditRoute, crate::pages::audit::AuditPage);
    lazy_page!(AccountRoute, crate::pages::account::AccountPage);
    lazy_page!(CostsRoute, crate::pages::costs::CostsPage);
    lazy_page!(MaintenanceRoute, crate::pages::maintenance::MaintenancePage);
    lazy_page!(ReleasesRoute, crate::pages::releases::list::ReleasesPage);
    lazy_page!(ReleaseRoute, crate::pages::releases::detail::ReleasePage);
    lazy_page!(
        CalendarRoute,
        crate::pages::releases::calendar::CalendarPage
    );
    lazy_page!(BackupsRoute, crate::pages::backups::BackupsPage);
    lazy_page!(AlertsRoute, crate::pages::alerts::AlertsPage);
    lazy_page!(DeploysRoute, crate::pages::deploys::DeploysPage);
    lazy_page!(DeployRoute, crate::pages::deploys::DeployPage);
    lazy_page!(
        DeploySettingsRoute,
        crate::pages::deploys::settings::DeploySettingsPage
    );
    lazy_page!(IncidentsRoute, crate::pages::incidents::IncidentsPage);
    lazy_page!(IncidentRoute, crate::pages::incidents::IncidentPage);
    lazy_page!(MonitoringRoute, crate::pages::monitoring::MonitoringPage);
    lazy_page!(SlaRoute, crate::pages::sla::SlaPage);
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let lang = request_lang();
    provide_context(lang);
    // Effects run only in the browser: this marks the page as hydrated, which
    // browser tests wait for before they click.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Title text="opsdeck"/>
        <Router>
            <Routes fallback=pages::not_found::NotFound>
                <Route path=path!("/login") view=pages::login::LoginPage/>
                <ParentRoute path=path!("") view=components::layout::Layout>
                    <Route path=path!("") view=pages::overview::OverviewPage/>
                    <Route path=path!("deploys") view={leptos_router::Lazy::<lazy::DeploysRoute>::new()}/>
                    <Route path=path!("deploys/settings") view={leptos_router::Lazy::<lazy::DeploySettingsRoute>::new()}/>
                    <Route path=path!("deploys/:id") view={leptos_router::Lazy::<lazy::DeployRoute>::new()}/>
                    <Route path=path!("releases") view={leptos_router::Lazy::<lazy::ReleasesRoute>::new()}/>
                    <Route path=path!("releases/calendar") view={leptos_router::Lazy::<lazy::CalendarRoute>::new()}/>
                    <Route path=path!("releases/:id") view={leptos_router::Lazy::<lazy::ReleaseRoute>::new()}/>
                    <Route path=path!("monitoring") view={leptos_router::Lazy::<lazy::MonitoringRoute>::new()}/>
                    <Route path=path!("sla") view={leptos_router::Lazy::<lazy::SlaRoute>::new()}/>
                    <Route path=path!("alerts") view={leptos_router::Lazy::<lazy::AlertsRoute>::new()}/>
                    <Route path=path!("backups") view={leptos_router::Lazy::<lazy::BackupsRoute>::new()}/>
                    <Route path=path!("incidents") view={leptos_router::Lazy::<lazy::IncidentsRoute>::new()}/>
                    <Route path=path!("incidents/:id") view={leptos_router::Lazy::<lazy::IncidentRoute>::new()}/>
                    <Route path=path!("costs") view={leptos_router::Lazy::<lazy::CostsRoute>::new()}/>
                    <Route path=path!("maintenance") view={leptos_router::Lazy::<lazy::MaintenanceRoute>::new()}/>
                    <Route path=path!("audit") view={leptos_router::Lazy::<lazy::AuditRoute>::new()}/>
                    <Route path=path!("inbox") view={leptos_router::Lazy::<lazy::InboxRoute>::new()}/>
                    <Route path=path!("admin/channels") view={leptos_router::Lazy::<lazy::ChannelsRoute>::new()}/>
                    <Route path=path!("admin/groups") view={leptos_router::Lazy::<lazy::GroupsRoute>::new()}/>
                    <Route path=path!("admin/deliveries") view={leptos_router::Lazy::<lazy::DeliveriesRoute>::new()}/>
                    <Route path=path!("admin") view={leptos_router::Lazy::<lazy::AdminRoute>::new()}/>
                    <Route path=path!("account") view={leptos_router::Lazy::<lazy::AccountRoute>::new()}/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
