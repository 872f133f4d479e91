//! Retention (R-BAK-2): per target the grandfather-father-son rules (kept
//! for a span by default, or counting periods), for every backup which
//! rules keep it and until when, and which are due for deletion; operators
//! change the rules and prune built-in backups — a dry run first, then a
//! confirmation that names what goes.

use super::msg::BakMsg as M;
use super::{bt, general_msg, human_size, kind_text, target_name, BackupsCtx, Params};
use crate::api::backups::{preview_prune, prune_backups, save_retention};
use crate::components::confirm::confirm;
use crate::components::error_box::{error_text, ErrorBox};
use crate::components::pager::Pager;
use crate::i18n::{fill, Lang, Msg};
use crate::model::backups::{RetentionView, TargetView};
use crate::{tr, use_lang};
use chrono_tz::Tz;
use leptos::prelude::*;
use opsdeck::backup_retention::{
    BackupKind, ChainProblem, KeepReason, KeptUntil, RetentionDecision, RetentionMode,
    RetentionPolicy, RetentionRule,
};

fn rule_text(r: RetentionRule, lang: Lang) -> &'static str {
    match r {
        RetentionRule::Daily => M::RuleDaily,
        RetentionRule::Weekly => M::RuleWeekly,
        RetentionRule::Monthly => M::RuleMonthly,
        RetentionRule::Yearly => M::RuleYearly,
    }
    .text(lang)
}

fn until_text(u: KeptUntil, tz: Tz, lang: Lang) -> String {
    match u {
        KeptUntil::At(t) => crate::time::format(t, tz),
        KeptUntil::Indefinitely => M::UntilDisplaced.text(lang).to_string(),
    }
}

/// Why a backup is kept, in words.
fn reason_text(r: &KeepReason, tz: Tz, lang: Lang) -> String {
    match r {
        KeepReason::Within {
            rule,
            span,
            period,
            until,
        } => fill(
            M::ReasonWithin.text(lang),
            &[
                ("rule", rule_text(*rule, lang)),
                ("period", period),
                ("span", &span.to_string()),
                ("until", &until_text(*until, tz, lang)),
            ],
        ),
        KeepReason::Count {
            rule,
            slot,
            of,
            period,
            oldest,
        } => {
            let mut s = fill(
                M::ReasonCount.text(lang),
                &[
                    ("rule", rule_text(*rule, lang)),
                    ("period", period),
                    ("slot", &slot.to_string()),
                    ("of", &of.to_string()),
                ],
            );
            if *oldest {
                s.push_str(M::ReasonOldest.text(lang));
            }
            s
        }
        KeepReason::NewestRestorable => M::ReasonNewestRestorable.text(lang).to_string(),
        KeepReason::NewestBackup => M::ReasonNewestBackup.text(lang).to_string(),
        KeepReason::DependedOnBy { id, until } => fill(
            M::ReasonDependedOn.text(lang),
            &[("id", id), ("until", &until_text(*until, tz, lang))],
        ),
        KeepReason::PointInTimeRecovery { full, until } => fill(
            M::ReasonPitr.text(lang),
            &[("id", full), ("until", &until_text(*until, tz, lang))],
        ),
        KeepReason::NoKeptFull => M::ReasonNoKeptFull.text(lang).to_string(),
        KeepReason::EmptyPolicy => M::ReasonEmptyPolicy.text(lang).to_string(),
    }
}

fn problem_text(p: &ChainProblem, lang: Lang) -> String {
    match p {
        ChainProblem::MissingDependency { id, depends_on } => fill(
            M::ProblemMissing.text(lang),
            &[("id", id), ("dep", depends_on)],
        ),
        ChainProblem::DuplicateId { id } => fill(M::ProblemDuplicate.text(lang), &[("id", id)]),
        ChainProblem::DependencyCycle { id } => fill(M::ProblemCycle.text(lang), &[("id", id)]),
    }
}

fn mode_text(m: RetentionMode, lang: Lang) -> &'static str {
    match m {
        RetentionMode::Within => M::ModeWithin,
        RetentionMode::Count => M::ModeCount,
    }
    .text(lang)
}

#[component]
pub fn RetentionSection(
    targets: Vec<TargetView>,
    params: Params,
    tz: Tz,
    operator: bool,
) -> impl IntoView {
    let list = targets
        .into_iter()
        .map(|t| view! { <RetentionTarget t=t params=params.clone() tz=tz operator=operator/> })
        .collect_view();
    view! {
        <section class="card" id="retention" data-testid="retention-section">
            <h2>{bt(M::RetentionTitle)}</h2>
            <p class="muted small">{bt(M::RetentionHelp)}</p>
            {list}
        </section>
    }
}

#[component]
fn RetentionTarget(t: TargetView, params: Params, tz: Tz, operator: bool) -> impl IntoView {
    let ctx = expect_context::<BackupsCtx>();
    let lang = use_lang();
    let target_id = t.id;
    let key = t.key.clone();
    let name = target_name(&t, lang);
    let policy = t.retention.clone();
    let flash_key = format!("retention-{target_id}");
    let flash_view = {
        let k = flash_key.clone();
        let k2 = flash_key.clone();
        view! {
            <p class="alert alert-ok" role="status" data-testid="retention-saved"
                hidden=move || ctx.said(&k).is_none()>{move || ctx.said(&k2)}</p>
        }
    };
    let anchor = format!("retention-{key}");
    let report = move || {
        let params = params.clone();
        let anchor = anchor.clone();
        Suspend::new(async move {
            match ctx.retention.await {
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                Ok(all) => match all.into_iter().find(|r| r.target_id == target_id) {
                    None => ().into_any(),
                    Some(r) => view! { <Report r=r params=params tz=tz anchor=anchor/> }.into_any(),
                },
            }
        })
    };
    view! {
        <div class="bak-retention" id=format!("retention-{key}") data-testid=format!("retention-{key}")>
            <h3>{name.clone()}</h3>
            <PolicyTable policy=policy.clone()/>
            {flash_view}
            {operator.then(|| view! { <RetentionForm target_id=target_id policy=policy/> })}
            <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
                {report}
            </Transition>
            {operator.then(|| view! { <PruneBox target_id=target_id name=name tz=tz/> })}
        </div>
    }
}

#[component]
fn PolicyTable(policy: RetentionPolicy) -> impl IntoView {
    let lang = use_lang();
    let within = policy.mode == RetentionMode::Within;
    let rows = RetentionRule::ALL
        .into_iter()
        .map(|r| {
            view! {
                <tr>
                    <th scope="row">{rule_text(r, lang)}</th>
                    <td class=if within { "bak-active" } else { "" }>{policy.within.get(r).to_string()}</td>
                    <td class=if within { "" } else { "bak-active" }>{policy.counts.get(r)}</td>
                </tr>
            }
        })
        .collect_view();
    let in_use = |active: bool| active.then(|| format!(" ({})", bt(M::InUse)));
    view! {
        <p data-testid="retention-mode">{bt(M::Mode)} ": " <strong>{mode_text(policy.mode, lang)}</strong></p>
        <div class="table-wrap">
            <table class="bak-policy" data-testid="retention-policy">
                <thead><tr>
                    <th scope="col">{bt(M::Rule)}</th>
                    <th scope="col">{bt(M::KeptFor)}{in_use(within)}</th>
                    <th scope="col">{bt(M::PeriodsKept)}{in_use(!within)}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn RetentionForm(target_id: i64, policy: RetentionPolicy) -> impl IntoView {
    let ctx = expect_context::<BackupsCtx>();
    let mode = RwSignal::new(match policy.mode {
        RetentionMode::Within => "within".to_string(),
        RetentionMode::Count => "count".to_string(),
    });
    let spans = RetentionRule::ALL.map(|r| RwSignal::new(policy.within.get(r).to_string()));
    let counts = RetentionRule::ALL.map(|r| RwSignal::new(policy.counts.get(r).to_string()));
    let key = format!("retention-{target_id}");
    let save = Action::new(move |_: &()| {
        let m = mode.get_untracked();
        let s = spans.map(|v| v.get_untracked());
        let c = counts.map(|v| v.get_untracked());
        let [wd, ww, wm, wy] = s;
        let [kd, kw, km, ky] = c;
        async move { save_retention(target_id, m, wd, ww, wm, wy, kd, kw, km, ky).await }
    });
    let result = save.value();
    let saved_key = key.clone();
    Effect::new(move |_| {
        if let Some(Ok(())) = result.get() {
            ctx.say(&saved_key, bt(M::RetentionSaved).to_string());
            ctx.reload();
        }
    });
    const SPAN_FIELDS: [&str; 4] = [
        "within_daily",
        "within_weekly",
        "within_monthly",
        "within_yearly",
    ];
    const COUNT_FIELDS: [&str; 4] = ["keep_daily", "keep_weekly", "keep_monthly", "keep_yearly"];
    let lang = use_lang();
    let field = move |field: &'static str, label: String, value: RwSignal<String>| {
        let id = format!("r{target_id}-{field}");
        let err = move || super::field_msg(&result.get(), field);
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <input id=id size="6" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))
                    aria-invalid=move || err().is_some().to_string()/>
                <span class="field-error" data-testid=format!("err-{field}")>{err}</span>
            </div>
        }
    };
    let span_fields = RetentionRule::ALL
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            field(
                SPAN_FIELDS[i],
                format!("{} — {}", rule_text(r, lang), bt(M::KeptFor)),
                spans[i],
            )
        })
        .collect_view();
    let count_fields = RetentionRule::ALL
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            field(
                COUNT_FIELDS[i],
                format!("{} — {}", rule_text(r, lang), bt(M::PeriodsKept)),
                counts[i],
            )
        })
        .collect_view();
    const ALL_FIELDS: [&str; 9] = [
        "mode",
        "within_daily",
        "within_weekly",
        "within_monthly",
        "within_yearly",
        "keep_daily",
        "keep_weekly",
        "keep_monthly",
        "keep_yearly",
    ];
    let general = move || general_msg(&result.get(), &ALL_FIELDS);
    let mode_id = format!("r{target_id}-mode");
    view! {
        <details class="bak-form">
            <summary>{bt(M::ChangeRetention)}</summary>
            <form class="stack" data-testid="retention-form" on:submit=move |ev| {
                ev.prevent_default();
                ctx.hush(&key);
                save.dispatch(());
            }>
                <div class="field">
                    <label for=mode_id.clone()>{bt(M::Mode)}</label>
                    <select id=mode_id prop:value=move || mode.get() on:change=move |ev| mode.set(event_target_value(&ev))>
                        <option value="within" selected=move || mode.get() == "within">{bt(M::ModeWithin)}</option>
                        <option value="count" selected=move || mode.get() == "count">{bt(M::ModeCount)}</option>
                    </select>
                    <span class="field-error">{move || super::field_msg(&result.get(), "mode")}</span>
                </div>
                <p class="muted small">{bt(M::SpanHelp)}</p>
                <div class="bak-fields">{span_fields}</div>
                <div class="bak-fields">{count_fields}</div>
                <p class="alert alert-error" role="alert" hidden=move || general().is_none()>{general}</p>
                <button type="submit" class="button primary" data-testid="save-retention"
                    disabled=move || save.pending().get()>{bt(M::SaveRetention)}</button>
            </form>
        </details>
    }
}

#[component]
fn Report(r: RetentionView, params: Params, tz: Tz, anchor: String) -> impl IntoView {
    let lang = use_lang();
    let target_id = r.target_id;
    let summary = fill(
        bt(M::RetentionSummary),
        &[("kept", &r.kept.to_string()), ("due", &r.due.to_string())],
    );
    let newest = r
        .newest_restorable
        .clone()
        .map(|id| format!(" · {} #{id}", bt(M::NewestRestorable)));
    let oldest = r
        .oldest_kept_full
        .clone()
        .map(|id| format!(" · {} #{id}", bt(M::OldestKeptFull)));
    let problems = (!r.problems.is_empty()).then(|| {
        let items = r
            .problems
            .iter()
            .map(|p| view! { <li>{problem_text(p, lang)}</li> })
            .collect_view();
        view! {
            <div class="alert alert-error" role="alert" data-testid="chain-problems">
                <p><span aria-hidden="true">"⚠ "</span>{bt(M::ChainProblems)}</p>
                <ul>{items}</ul>
            </div>
        }
    });
    let (current, page_count) = (r.decisions.page, r.decisions.page_count());
    let total = r.decisions.total;
    let rows = r
        .decisions
        .rows
        .into_iter()
        .map(|d| view! { <DecisionRow d=d tz=tz/> })
        .collect_view();
    let href_for = move |n: u32| {
        let mut p = params.clone();
        p.rt = Some(target_id);
        p.rp = n;
        p.href(&anchor)
    };
    let body = if total == 0 {
        view! { <p class="muted" data-testid="retention-empty">{bt(M::RetentionEmpty)}</p> }
            .into_any()
    } else {
        view! {
            <details class="bak-decisions" open={current > 1}>
                <summary>{fill(bt(M::DecisionsSummary), &[("n", &total.to_string())])}</summary>
                <div class="table-wrap">
                    <table data-testid="retention-decisions">
                        <thead><tr>
                            <th scope="col">{bt(M::Backup)}</th>
                            <th scope="col">{bt(M::Kind)}</th>
                            <th scope="col">{bt(M::Decision)}</th>
                            <th scope="col">{bt(M::KeptBy)}</th>
                            <th scope="col">{bt(M::Until)}</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                {(page_count > 1).then(|| view! { <Pager page=current page_count=page_count href_for=href_for/> })}
            </details>
        }
        .into_any()
    };
    view! {
        <p data-testid="retention-summary" data-kept=r.kept.to_string() data-due=r.due.to_string()>
            {summary}{newest}{oldest}
        </p>
        {problems}
        {body}
    }
}

#[component]
fn DecisionRow(d: RetentionDecision, tz: Tz) -> impl IntoView {
    let lang = use_lang();
    let decision = if d.keep {
        view! { <span class="status-ok"><span aria-hidden="true">"✓ "</span>{bt(M::Kept)}</span> }
            .into_any()
    } else {
        view! { <span class="status-warning"><span aria-hidden="true">"🗑 "</span>{bt(M::DueForDeletion)}</span> }
            .into_any()
    };
    let rules = d
        .kept_by
        .iter()
        .map(|r| view! { <span class="badge ok">{rule_text(*r, lang)}</span> " " })
        .collect_view();
    let reasons = d
        .reasons
        .iter()
        .map(|r| view! { <li>{reason_text(r, tz, lang)}</li> })
        .collect_view();
    let until = match d.kept_until {
        None => view! { <span class="status-warning">{bt(M::DueNow)}</span> }.into_any(),
        Some(KeptUntil::At(t)) => view! {
            <span>{bt(M::DueFrom)} " " <time>{crate::time::format(t, tz)}</time></span>
        }
        .into_any(),
        Some(KeptUntil::Indefinitely) => {
            view! { <span class="muted">{bt(M::UntilDisplaced)}</span> }.into_any()
        }
    };
    let unrestorable = (d.kind != BackupKind::Log && !d.restorable).then(|| {
        view! { <div class="status-critical small"><span aria-hidden="true">"⚠ "</span>{bt(M::NotRestorable)}</div> }
    });
    view! {
        <tr data-testid="retention-row" data-run-id=d.id.clone() data-keep=d.keep.to_string()>
            <td>"#" {d.id.clone()} " " <time class="muted">{crate::time::format(d.taken_at, tz)}</time>{unrestorable}</td>
            <td>{kind_text(d.kind, lang)}
                {d.depends_on.clone().map(|x| view! { <div class="muted small">{bt(M::DependsOn)} " #" {x}</div> })}
            </td>
            <td>{decision}</td>
            <td>{rules}<ul class="plain small">{reasons}</ul></td>
            <td>{until}</td>
        </tr>
    }
}

/// How many backups a prune preview lists (the rest are counted).
const LISTED: usize = 50;

/// "… and 12 more" after a shortened list.
fn more(total: usize) -> Option<impl IntoView> {
    (total > LISTED).then(|| {
        view! { <li class="muted">{fill(bt(M::AndMore), &[("n", &(total - LISTED).to_string())])}</li> }
    })
}

/// The ids a confirmation names: `#1, #2, #3` (the first ten, then "…").
fn named_ids(ids: &[String]) -> String {
    let mut s = ids
        .iter()
        .take(10)
        .map(|i| format!("#{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    if ids.len() > 10 {
        s.push_str(", …");
    }
    s
}

/// "Prune": a dry run lists what would go; a second, confirmed click deletes it.
#[component]
fn PruneBox(target_id: i64, name: String, tz: Tz) -> impl IntoView {
    let ctx = expect_context::<BackupsCtx>();
    let lang = use_lang();
    let key = format!("prune-{target_id}");
    let preview = Action::new(move |_: &()| preview_prune(target_id));
    let prune = Action::new(move |ids: &String| {
        let ids = ids.clone();
        async move { prune_backups(target_id, ids).await }
    });
    let done_key = key.clone();
    Effect::new(move |_| {
        if let Some(Ok(o)) = prune.value().get() {
            let mut text = fill(bt(M::PrunedCount), &[("n", &o.pruned.len().to_string())]);
            if !o.files_missing.is_empty() {
                text.push_str(&fill(
                    bt(M::FilesMissing),
                    &[("n", &o.files_missing.len().to_string())],
                ));
            }
            if !o.files_failed.is_empty() {
                text.push_str(&fill(
                    bt(M::FilesFailed),
                    &[("n", &o.files_failed.len().to_string())],
                ));
            }
            ctx.say(&done_key, text);
            ctx.reload();
        }
    });
    let prune_error = move || {
        prune.value().with(|v| match v {
            Some(Err(e)) => Some(error_text(e)),
            _ => None,
        })
    };
    let flash_key = key.clone();
    let flash_key2 = key.clone();
    let result = move || {
        let name = name.clone();
        preview.value().get().map(|r| match r {
            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
            Ok(p) => {
                let ids: Vec<String> = p.deletable.iter().map(|r| r.id.to_string()).collect();
                let joined = ids.join(",");
                let question = fill(
                    bt(M::ConfirmPrune),
                    &[
                        ("n", &ids.len().to_string()),
                        ("target", &name),
                        ("ids", &named_ids(&ids)),
                    ],
                );
                let item = move |r: &crate::model::backups::RunView| {
                    view! {
                        <li data-testid="prune-item" data-run-id=r.id.to_string()>
                            "#" {r.id} " · " {crate::time::format(r.started_at, tz)} " · "
                            {kind_text(r.kind, lang)} " · " {human_size(r.size_bytes)}
                            " · " <span class="mono">{r.location.clone().unwrap_or_default()}</span>
                        </li>
                    }
                };
                let deletable = p.deletable.iter().take(LISTED).map(item).collect_view();
                let more_deletable = more(p.deletable.len());
                let external = p.external_due.iter().take(LISTED).map(item).collect_view();
                let more_external = more(p.external_due.len());
                let n = ids.len();
                view! {
                    <div class="bak-prune" data-testid="prune-result" data-deletable=n.to_string()>
                        {if n == 0 {
                            view! { <p class="muted" data-testid="prune-nothing">{bt(M::PruneNothing)}</p> }.into_any()
                        } else {
                            view! {
                                <p>{fill(bt(M::PruneWould), &[("n", &n.to_string())])}</p>
                                <ul class="small" data-testid="prune-list">{deletable}{more_deletable}</ul>
                                <button type="button" class="button danger" data-testid="prune-confirm"
                                    disabled=move || prune.pending().get()
                                    on:click=move |_| if confirm(&question) { prune.dispatch(joined.clone()); }>
                                    {fill(bt(M::PruneConfirm), &[("n", &n.to_string())])}
                                </button>
                            }.into_any()
                        }}
                        {(!p.external_due.is_empty()).then(|| view! {
                            <p class="muted">{fill(bt(M::PruneExternal), &[("n", &p.external_due.len().to_string())])}</p>
                            <ul class="small">{external}{more_external}</ul>
                        })}
                    </div>
                }
                .into_any()
            }
        })
    };
    view! {
        <div class="bak-prune-box">
            <div class="row">
                <button type="button" class="button" data-testid="prune-preview"
                    disabled=move || preview.pending().get()
                    on:click=move |_| { ctx.hush(&key); preview.dispatch(()); }>{bt(M::PrunePreview)}</button>
                <span class="muted small">{bt(M::PruneHelp)}</span>
            </div>
            {result}
            <p class="alert alert-error" role="alert" hidden=move || prune_error().is_none()>{prune_error}</p>
            <p class="alert alert-ok" role="status" data-testid="prune-done"
                hidden=move || ctx.said(&flash_key).is_none()>{move || ctx.said(&flash_key2)}</p>
        </div>
    }
}
