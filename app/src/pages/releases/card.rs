//! The overview's releases card (R-UI-1): what ships next, whether a code
//! freeze holds now, and what shipped last.

use crate::api::releases::load_releases_card;
use crate::components::layout::use_shell;
use crate::i18n::{Lang, Msg};
use crate::{tr, use_lang};
use leptos::prelude::*;

#[component]
pub fn ReleasesCard() -> impl IntoView {
    let card = Resource::new(|| (), |_| load_releases_card());
    let shell = use_shell();
    let lang = use_lang();
    view! {
        <section class="card" data-testid="releases-card">
            <h2><a href="/releases">{tr(Msg::NavReleases)}</a></h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let zone = match shell { Some(s) => s.await.map(|s| s.time_zone).unwrap_or_default(), None => String::new() };
                    let zone = crate::time::zone(&zone);
                    card.await.ok().map(|c| {
                        let ja = lang == Lang::Ja;
                        let next = c.next.map(|r| view! {
                            <p class="stat">
                                <a href=format!("/releases/{}", r.id)>{format!("v{}", r.version)}</a>
                                " " {r.planned_date.format("%Y-%m-%d").to_string()}
                            </p>
                        });
                        let freeze = c.active_freeze.map(|r| view! {
                            <p class="status-warning" data-testid="card-freeze">
                                <span aria-hidden="true">"❄ "</span>
                                {if ja {
                                    format!("v{} のコードフリーズ中（{} まで）: 本番デプロイは停止中", r.version, crate::time::format(r.freeze_end, zone))
                                } else {
                                    format!("Code freeze for v{} until {}: Production deploys are blocked", r.version, crate::time::format(r.freeze_end, zone))
                                }}
                            </p>
                        });
                        let last = c.last_released.map(|r| view! {
                            <p class="muted">
                                {if ja { "前回のリリース: " } else { "Last release: " }}
                                {format!("v{}", r.version)} " "
                                {r.released_at.map(|t| crate::time::format(t, zone)).unwrap_or_default()}
                            </p>
                        });
                        view! { {next} {freeze} {last} <p><a href="/releases/calendar">{if ja { "カレンダー" } else { "Calendar" }}</a></p> }
                    })
                })}
            </Suspense>
        </section>
    }
}
