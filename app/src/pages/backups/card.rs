//! The overview's backup card (R-UI-1, R-BAK-3): the newest restorable
//! backup's age against the RPO, the last drill against the RTO.

use super::msg::BakMsg as M;
use super::{ago, bt, minutes_text, rto_text};
use crate::api::backups::load_backup_card;
use crate::i18n::{fill, Lang, Msg};
use crate::model::backups::Outcome;
use crate::{tr, use_lang};
use leptos::prelude::*;

#[component]
pub fn BackupCard() -> impl IntoView {
    let card = Resource::new(|| (), |_| load_backup_card());
    let lang = use_lang();
    view! {
        <section class="card" data-testid="backup-card">
            <h2><a href="/backups">{tr(Msg::NavBackups)}</a></h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    card.await.ok().map(|c| {
                        let many = c.rpo.len() > 1;
                        let rpo = c.rpo.iter().map(|(_, en, ja, r)| {
                            let (class, icon) = if r.status.ok { ("status-ok", "✓ ") } else { ("status-critical", "✖ ") };
                            let age = r.status.age_seconds.map(|a| ago(a, lang)).unwrap_or_else(|| bt(M::NoneYet).to_string());
                            let name = if lang == Lang::Ja { ja.clone() } else { en.clone() };
                            view! {
                                <p class=format!("stat {class}") data-testid="card-rpo" data-ok=r.status.ok.to_string()>
                                    <span aria-hidden="true">{icon}</span>
                                    {many.then(|| format!("{name}: "))}
                                    {bt(M::CardNewest)} " " {age}
                                </p>
                            }
                        }).collect_view();
                        let rpo_line = if c.rpo.is_empty() {
                            bt(M::NoWatchedTarget).to_string()
                        } else {
                            format!("{} {}", bt(M::RpoShort), minutes_text(i64::from(c.settings.rpo_minutes), lang))
                        };
                        let drill = match c.last_drill {
                            None => view! {
                                <p class="status-warning" data-testid="card-drill"><span aria-hidden="true">"▲ "</span>{bt(M::NoDrillYet)}</p>
                            }.into_any(),
                            Some(d) => {
                                let text = match (&d.rto, d.outcome) {
                                    (_, Outcome::Running) => ("status-warning", "⏳ ", bt(M::DrillRunning).to_string()),
                                    (Some(r), Outcome::Ok) => (if r.ok { "status-ok" } else { "status-critical" }, if r.ok { "✓ " } else { "✖ " }, rto_text(r, lang)),
                                    _ => ("status-critical", "✗ ", bt(M::OutcomeFailed).to_string()),
                                };
                                view! {
                                    <p class=text.0 data-testid="card-drill">
                                        <span aria-hidden="true">{text.1}</span>{bt(M::LastDrill)} ": " {text.2}
                                    </p>
                                    <p class="muted small">{ago((c.now - d.started_at).num_seconds(), lang)}</p>
                                }.into_any()
                            }
                        };
                        let incident = c.open_incident.map(|(id, title, at)| {
                            let text = fill(bt(M::CardIncident), &[("title", &title), ("ago", &ago((c.now - at).num_seconds(), lang))]);
                            view! {
                                <p class="status-critical" data-testid="card-incident">
                                    <span aria-hidden="true">"⚠ "</span>
                                    <a href=format!("/incidents/{id}")>{text}</a>
                                </p>
                            }
                        });
                        view! {
                            {incident}
                            {rpo}
                            <p class="muted">{rpo_line}</p>
                            {drill}
                        }
                    })
                })}
            </Suspense>
        </section>
    }
}
