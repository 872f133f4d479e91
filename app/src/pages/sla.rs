//! `/sla` (issue 10 item 5, R-SLA-1..5): "are we inside the SLA?" — for an
//! environment and a month: availability against the target with allowed,
//! used and remaining downtime (one set of minutes, decision 0110), the
//! exclusions ledger line by line, the outages (operators classify them),
//! latency and error ratios against their targets, the four charts, the
//! daily table and the last 12 months; a CSV download and a print layout.
//! Everyone reads; operators classify (the server refuses everyone else).

pub mod msg;

use crate::api::sla::{
    classify_outage, load_sla_month, load_sla_months, remove_classification, save_sla_settings,
};
use crate::components::confirm::confirm;
use crate::components::error_box::{error_text, ErrorBox};
use crate::components::layout::{urlencode, use_shell};
use crate::i18n::{Lang, Msg};
use crate::model::incidents::duration_text;
use crate::model::sla::{
    burn_rate_text, latency_ms, millis_minutes, month_key, parse_month_key, ppm_percent,
    ratio_percent, DayRow, ErrorRow, ExclusionKind, ExclusionLine, LatencyRow, MonthSummary,
    OutageView, SlaMonthView, SlaSettingsView,
};
use crate::role::{Access, Role};
use crate::{tr, use_lang};
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use msg::{fill, SlaMsg as M};
use opsdeck::deploy_gate::Environment;

/// Shorthand: the text of an SLA message in the current language.
pub fn st(m: M) -> &'static str {
    m.text(use_lang())
}

/// Bumped after a classification changes, so the report loads again.
#[derive(Clone, Copy)]
struct Refresh(RwSignal<u32>);

fn env_label(key: &str, lang: Lang) -> String {
    key.parse::<Environment>()
        .map(|e| match lang {
            Lang::En => e.label_en().to_string(),
            Lang::Ja => e.label_ja().to_string(),
        })
        .unwrap_or_else(|_| key.to_string())
}

fn kind_label(k: ExclusionKind, lang: Lang) -> &'static str {
    match k {
        ExclusionKind::PlannedMaintenance => M::KindPlannedMaintenance.text(lang),
        ExclusionKind::ForceMajeure => M::KindForceMajeure.text(lang),
        ExclusionKind::ExternalService => M::KindExternalService.text(lang),
    }
}

fn class_label(class: &str, lang: Lang) -> &'static str {
    match class {
        "api" => M::ClassApi.text(lang),
        "page" => M::ClassPage.text(lang),
        _ => M::ClassSearch.text(lang),
    }
}

fn error_label(kind: &str, lang: Lang) -> &'static str {
    match kind {
        "5xx" => M::Kind5xx.text(lang),
        "4xx" => M::Kind4xx.text(lang),
        _ => M::KindTimeout.text(lang),
    }
}

/// "43 min 12 s" from milliseconds (whole seconds, toward zero).
fn millis_text(ms: i64, lang: Lang) -> String {
    duration_text(ms / 1000, lang)
}

fn percent_text(ppm: Option<u32>) -> String {
    ppm.map(|p| format!("{} %", ppm_percent(u64::from(p))))
        .unwrap_or_else(|| "—".into())
}

/// A verdict as icon + word + colour (never colour alone).
fn verdict(met: Option<bool>, lang: Lang) -> impl IntoView {
    let (class, icon, word) = match met {
        Some(true) => ("badge ok", "✓ ", M::Met.text(lang)),
        Some(false) => ("badge critical", "✖ ", M::Missed.text(lang)),
        None => ("badge unknown", "– ", M::NoRequests.text(lang)),
    };
    view! {
        <span class=class data-verdict=match met { Some(true) => "met", Some(false) => "missed", None => "none" }>
            <span aria-hidden="true">{icon}</span>{word}
        </span>
    }
}

/// Whether any elapsed minute was judged up or down. In a month in progress
/// the minutes still to come count as up, so with no data at all the
/// figures would read "100 % available · target met": a projection, not an
/// answer a stakeholder should see in green.
fn judged(f: &crate::model::sla::SlaFigures) -> bool {
    f.up_minutes + f.down_minutes > 0
}

/// The one-line answer (UX: title + answer).
fn answer(v: &SlaMonthView, lang: Lang) -> String {
    let f = &v.figures;
    let env = env_label(&v.environment, lang);
    let month = v.key();
    let target = ppm_percent(u64::from(v.settings.target_ppm));
    match f.availability_ppm.filter(|_| judged(f)) {
        None => fill(
            M::AnswerNoMinutes.text(lang),
            &[("env", &env), ("month", &month)],
        ),
        Some(p) if f.target_met => fill(
            M::AnswerMet.text(lang),
            &[
                ("env", &env),
                ("month", &month),
                ("availability", &ppm_percent(u64::from(p))),
                ("target", &target),
                ("remaining", &millis_text(f.remaining_millis, lang)),
            ],
        ),
        Some(p) => fill(
            M::AnswerMissed.text(lang),
            &[
                ("env", &env),
                ("month", &month),
                ("availability", &ppm_percent(u64::from(p))),
                ("target", &target),
                ("over", &millis_text(-f.remaining_millis, lang)),
            ],
        ),
    }
}

#[component]
pub fn SlaPage() -> impl IntoView {
    let query = use_query_map();
    let environment = Memo::new(move |_| {
        query.with(|q| q.get("environment").unwrap_or_else(|| "production".into()))
    });
    let month = Memo::new(move |_| query.with(|q| q.get("month").unwrap_or_default()));
    let refresh = Refresh(RwSignal::new(0));
    provide_context(refresh);
    // Created here, at the page's top level, each one server call started at
    // once: a resource created inside a `Suspend` does not hydrate.
    let data = Resource::new(
        move || (environment.get(), month.get(), refresh.0.get()),
        |(e, m, _)| {
            let (y, mo) = if m.trim().is_empty() {
                (0, 0)
            } else {
                // A malformed month reaches the server, which names the field.
                parse_month_key(&m).unwrap_or((-1, 0))
            };
            load_sla_month(e, y, mo)
        },
    );
    let months = Resource::new(move || environment.get(), load_sla_months);
    let shell = use_shell();
    let lang = use_lang();
    let env_options = move || {
        Environment::ALL
            .into_iter()
            .map(|e| {
                let key = e.key();
                view! {
                    <option value=key selected=move || environment.get() == key>
                        {env_label(key, lang)}
                    </option>
                }
            })
            .collect_view()
    };
    view! {
        <Title text=st(M::Title)/>
        <div class="sla">
            <h1>{st(M::Title)}</h1>
            <Form method="GET" action="" attr:class="filters no-print" attr:data-testid="sla-picker">
                <div class="field">
                    <label for="sla-environment">{st(M::Environment)}</label>
                    <select id="sla-environment" name="environment" data-testid="sla-environment">
                        {env_options}
                    </select>
                </div>
                <div class="field">
                    <label for="sla-month">{st(M::Month)}</label>
                    <Transition fallback=move || view! {
                        <input id="sla-month" name="month" type="month" prop:value=move || month.get()/>
                    }>
                        {move || Suspend::new(async move {
                            match months.await {
                                Ok(list) => {
                                    let chosen = month.get_untracked();
                                    let options = list
                                        .into_iter()
                                        .enumerate()
                                        .map(|(i, m)| {
                                            let selected = if chosen.is_empty() { i == 0 } else { m == chosen };
                                            view! { <option value=m.clone() selected=selected>{m.clone()}</option> }
                                        })
                                        .collect_view();
                                    view! {
                                        <select id="sla-month" name="month" data-testid="sla-month">{options}</select>
                                    }
                                    .into_any()
                                }
                                Err(_) => view! {
                                    <input id="sla-month" name="month" type="month" prop:value=month.get_untracked()/>
                                }
                                .into_any(),
                            }
                        })}
                    </Transition>
                </div>
                <button type="submit" class="button">{st(M::Show)}</button>
            </Form>
            <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    let state = match shell {
                        Some(s) => s.await.ok(),
                        None => None,
                    };
                    let user = state.and_then(|s| s.user);
                    let operator = user
                        .as_ref()
                        .is_some_and(|u| u.can(Access::AnyOf(&[Role::Operator])));
                    let admin = user.as_ref().is_some_and(|u| u.can(Access::ADMIN));
                    match data.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(v) => view! { <SlaBody v=v operator=operator admin=admin/> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn SlaBody(v: SlaMonthView, operator: bool, admin: bool) -> impl IntoView {
    let lang = use_lang();
    let tz = crate::time::zone(&v.time_zone);
    let f = v.figures.clone();
    let level = if f.availability_ppm.is_none() || !judged(&f) {
        "unknown"
    } else if f.target_met {
        "ok"
    } else {
        "critical"
    };
    let icon = match level {
        "ok" => "✓ ",
        "critical" => "✖ ",
        _ => "– ",
    };
    let csv_href = format!(
        "/sla/report.csv?environment={}&month={}",
        urlencode(&v.environment),
        urlencode(&v.key())
    );
    let notes = view! {
        {(!v.has_target).then(|| view! { <p class="card empty-state" data-testid="sla-no-target">{M::NoTarget.text(lang)}</p> })}
        {(!v.has_data).then(|| view! { <p class="card empty-state" data-testid="sla-empty">{M::NoData.text(lang)}</p> })}
        {(!v.complete).then(|| view! {
            <p class="muted" data-testid="sla-in-progress">
                {fill(M::InProgress.text(lang), &[("at", &crate::time::format(v.as_of, tz))])}
            </p>
        })}
        {(judged(&f) && f.target_met && !f.target_met_if_no_data_down).then(|| view! {
            <p class="alert alert-warning" data-testid="sla-gaps-decide">
                {fill(M::GapsDecide.text(lang), &[("n", &f.no_data_minutes.to_string())])}
            </p>
        })}
    };
    let remaining_label = if f.remaining_millis < 0 {
        M::Overspent.text(lang)
    } else {
        M::Remaining.text(lang)
    };
    let target_text = format!("{} %", ppm_percent(u64::from(v.settings.target_ppm)));
    view! {
        <p class=format!("answer status-{level}") data-testid="sla-answer"
            data-month=v.key() data-environment=v.environment.clone()
            data-availability-ppm=f.availability_ppm.map(|p| p.to_string()).unwrap_or_default()
            data-allowed-ms=f.allowed_downtime_millis.to_string()
            data-used-ms=f.used_millis.to_string()
            data-remaining-ms=f.remaining_millis.to_string()
            data-excluded-minutes=f.excluded_minutes.to_string()
            data-target-met=f.target_met.to_string()>
            <span aria-hidden="true">{icon}</span>{answer(&v, lang)}
        </p>
        <div class="row no-print sla-actions">
            <a class="button" href=csv_href download="" rel="external" data-testid="sla-csv">{M::DownloadCsv.text(lang)}</a>
            <button type="button" class="button" data-testid="sla-print"
                on:click=move |_| {
                    #[cfg(feature = "hydrate")]
                    {
                        let _ = window().print();
                    }
                }>{M::Print.text(lang)}</button>
        </div>
        {notes}
        <div class="grid">
            <section class="card" data-testid="sla-availability">
                <h2>{M::Availability.text(lang)}</h2>
                <p class="stat" data-testid="sla-availability-value">{percent_text(f.availability_ppm)}</p>
                <p class="muted">{M::Target.text(lang)} " " {target_text.clone()} " · " {verdict(Some(f.target_met), lang)}</p>
            </section>
            <section class="card" data-testid="sla-budget">
                <h2>{M::Allowed.text(lang)}</h2>
                <p class="stat" data-testid="sla-allowed">{millis_text(i64::try_from(f.allowed_downtime_millis).unwrap_or(i64::MAX), lang)}</p>
                <dl class="facts">
                    <dt>{M::Used.text(lang)}</dt>
                    <dd data-testid="sla-used">{millis_text(i64::try_from(f.used_millis).unwrap_or(i64::MAX), lang)}</dd>
                    <dt>{remaining_label}</dt>
                    <dd data-testid="sla-remaining">{millis_text(f.remaining_millis.abs(), lang)}</dd>
                    <dt>{M::BurnRate.text(lang)}</dt>
                    <dd data-testid="sla-burn-rate" title=M::BurnRateHint.text(lang)>
                        {v.burn_rate.map(|b| format!("{}×", burn_rate_text(b))).unwrap_or_else(|| "—".into())}
                    </dd>
                </dl>
            </section>
            <section class="card" data-testid="sla-minutes">
                <h2>{M::Counted.text(lang)}</h2>
                <p class="stat">{f.eligible_minutes.to_string()} " " {M::Minutes.text(lang)}</p>
                <dl class="facts">
                    <dt>{M::ExcludedMinutes.text(lang)}</dt><dd>{f.excluded_minutes.to_string()}</dd>
                    <dt>{M::NoDataMinutes.text(lang)}</dt><dd>{f.no_data_minutes.to_string()}</dd>
                    <dt>{M::DownMinutes.text(lang)}</dt><dd>{f.down_minutes.to_string()}</dd>
                </dl>
            </section>
        </div>
        <Ledger lines=v.exclusions.clone() excluded=f.excluded_minutes operator=operator tz=tz/>
        <Outages outages=v.outages.clone() environment=v.environment.clone() operator=operator tz=tz/>
        <div class="grid">
            <section class="card" data-testid="sla-latency">
                <h2>{M::LatencyTitle.text(lang)}</h2>
                {latency_table(&v.latency, v.settings.latency_quantile, lang)}
            </section>
            <section class="card" data-testid="sla-errors">
                <h2>{M::ErrorsTitle.text(lang)}</h2>
                {error_table(&v.errors, lang)}
            </section>
        </div>
        <section class="card sla-charts" data-testid="sla-charts">
            <h2>{M::ChartsTitle.text(lang)}</h2>
            {chart(M::ChartAvailability, "chart-availability", v.charts.availability.clone(), lang)}
            {chart(M::ChartLatency, "chart-latency", v.charts.latency.clone(), lang)}
            {chart(M::ChartErrors, "chart-errors", v.charts.errors.clone(), lang)}
            {chart(M::ChartBurnDown, "chart-burn-down", v.charts.burn_down.clone(), lang)}
        </section>
        <section class="card" data-testid="sla-daily">
            <h2>{M::DailyTitle.text(lang)}</h2>
            {daily_table(&v.days, lang)}
        </section>
        <section class="card" data-testid="sla-history">
            <h2>{M::HistoryTitle.text(lang)}</h2>
            {history_table(&v.history, &v.environment, lang)}
        </section>
        {admin.then(|| view! { <SettingsForm current=v.settings.clone()/> })}
    }
}

/// The targets (admins).
#[component]
fn SettingsForm(current: SlaSettingsView) -> impl IntoView {
    let lang = use_lang();
    let refresh = use_context::<Refresh>();
    let pct = |ppm: u32| ppm_percent(u64::from(ppm));
    let target = RwSignal::new(pct(current.target_ppm));
    let no_data = RwSignal::new(current.no_data.clone());
    let api = RwSignal::new(latency_ms(current.api_ms));
    let page = RwSignal::new(latency_ms(current.page_ms));
    let search = RwSignal::new(latency_ms(current.search_ms));
    let r5 = RwSignal::new(pct(current.max_5xx_ppm));
    let r4 = RwSignal::new(pct(current.max_4xx_ppm));
    let rt = RwSignal::new(pct(current.max_timeout_ppm));
    let save = Action::new(|a: &[String; 8]| {
        let [t, n, ap, pg, se, e5, e4, et] = a.clone();
        async move { save_sla_settings(t, n, ap, pg, se, e5, e4, et).await }
    });
    let result = save.value();
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(r)) = (result.get(), refresh) {
            r.0.update(|n| *n += 1);
        }
    });
    let err = move |field: &'static str| {
        move || {
            result
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.for_field(field))
                .map(tr)
        }
    };
    let general = move || {
        result
            .get()
            .and_then(|r| r.err())
            .filter(|e| !matches!(e, crate::error::AppError::Validation(_)))
            .map(|e| error_text(&e))
    };
    let field = move |label: M, name: &'static str, value: RwSignal<String>| {
        let id = format!("sla-{name}");
        view! {
            <div class="field">
                <label for=id.clone()>{label.text(lang)}</label>
                <input id=id type="text" inputmode="decimal" name=name data-testid=format!("sla-{name}")
                    prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
                <span class="field-error" data-testid=format!("err-{name}")>{err(name)}</span>
            </div>
        }
    };
    let options = [
        ("exclude", M::NoDataExclude),
        ("count_as_down", M::NoDataDown),
        ("count_as_up", M::NoDataUp),
    ]
    .into_iter()
    .map(|(value, label)| view! { <option value=value>{label.text(lang)}</option> })
    .collect_view();
    view! {
        <details class="card no-print" data-testid="sla-settings">
            <summary><h2 class="inline">{M::SettingsTitle.text(lang)}</h2></summary>
            <p class="muted small">{M::SettingsHint.text(lang)}</p>
            <form class="stack" novalidate data-testid="sla-settings-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    save.dispatch([
                        target.get_untracked(),
                        no_data.get_untracked(),
                        api.get_untracked(),
                        page.get_untracked(),
                        search.get_untracked(),
                        r5.get_untracked(),
                        r4.get_untracked(),
                        rt.get_untracked(),
                    ]);
                }>
                <div class="sla-fields">
                    {field(M::FieldTarget, "target_percent", target)}
                    <div class="field">
                        <label for="sla-no_data">{M::FieldNoData.text(lang)}</label>
                        <select id="sla-no_data" name="no_data" data-testid="sla-no_data"
                            prop:value=move || no_data.get() on:change=move |ev| no_data.set(event_target_value(&ev))>
                            {options}
                        </select>
                        <span class="field-error">{err("no_data")}</span>
                    </div>
                    {field(M::FieldApi, "api_ms", api)}
                    {field(M::FieldPage, "page_ms", page)}
                    {field(M::FieldSearch, "search_ms", search)}
                    {field(M::Field5xx, "max_5xx_percent", r5)}
                    {field(M::Field4xx, "max_4xx_percent", r4)}
                    {field(M::FieldTimeout, "max_timeout_percent", rt)}
                </div>
                <p class="alert alert-error" role="alert" hidden=move || general().is_none()>{general}</p>
                <p class="alert alert-ok" role="status" hidden=move || !matches!(result.get(), Some(Ok(_)))>
                    {M::Saved.text(lang)}
                </p>
                <button type="submit" class="button primary" data-testid="sla-settings-save"
                    disabled=move || save.pending().get()>{M::SaveSettings.text(lang)}</button>
            </form>
        </details>
    }
}

fn chart(title: M, testid: &'static str, svg: String, lang: Lang) -> impl IntoView {
    view! {
        <figure class="chart" data-testid=testid>
            <figcaption>{title.text(lang)}</figcaption>
            // Drawn by the server from numbers and message texts only (api::sla::charts).
            <div role="img" aria-label=title.text(lang) inner_html=svg></div>
        </figure>
    }
}

#[component]
fn Ledger(lines: Vec<ExclusionLine>, excluded: u64, operator: bool, tz: Tz) -> impl IntoView {
    let lang = use_lang();
    let body = if lines.is_empty() {
        view! { <p class="muted" data-testid="sla-exclusions-empty">{M::LedgerEmpty.text(lang)}</p> }
            .into_any()
    } else {
        let rows = lines
            .into_iter()
            .map(|l| view! { <LedgerRow line=l operator=operator tz=tz/> })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table data-testid="sla-exclusions-table">
                    <thead><tr>
                        <th scope="col">{M::ColKind.text(lang)}</th>
                        <th scope="col">{M::ColFrom.text(lang)}</th>
                        <th scope="col">{M::ColTo.text(lang)}</th>
                        <th scope="col">{M::ColMinutes.text(lang)}</th>
                        <th scope="col">{M::ColReason.text(lang)}</th>
                        <th scope="col">{M::ColBy.text(lang)}</th>
                        <th scope="col" class="no-print">{M::ColActions.text(lang)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <p class="muted" data-testid="sla-exclusions-total">
                {fill(M::LedgerTotal.text(lang), &[("n", &excluded.to_string())])}
            </p>
        }
        .into_any()
    };
    view! {
        <section class="card" data-testid="sla-exclusions">
            <h2>{M::LedgerTitle.text(lang)}</h2>
            <p class="muted small">{M::LedgerHint.text(lang)}</p>
            {body}
        </section>
    }
}

#[component]
fn LedgerRow(line: ExclusionLine, operator: bool, tz: Tz) -> impl IntoView {
    let lang = use_lang();
    let refresh = use_context::<Refresh>();
    let remove = Action::new(|id: &i64| {
        let id = *id;
        async move { remove_classification(id).await }
    });
    let result = remove.value();
    Effect::new(move |_| {
        if let (Some(Ok(())), Some(r)) = (result.get(), refresh) {
            r.0.update(|n| *n += 1);
        }
    });
    let failed = move || result.get().and_then(|r| r.err()).map(|e| error_text(&e));
    let from = crate::time::format(line.starts_at, tz);
    let to = crate::time::format(line.ends_at, tz);
    let question = fill(
        M::RemoveConfirm.text(lang),
        &[
            ("kind", kind_label(line.kind, lang)),
            ("from", &from),
            ("to", &to),
        ],
    );
    let button = match (line.id, operator) {
        (Some(id), true) => Some(view! {
            <button type="button" class="button danger small" data-testid="sla-unclassify"
                disabled=move || remove.pending().get()
                on:click=move |_| {
                    if confirm(&question) {
                        remove.dispatch(id);
                    }
                }>{M::Remove.text(lang)}</button>
            <span class="field-error" role="alert">{failed}</span>
        }),
        _ => None,
    };
    view! {
        <tr data-testid="exclusion-row" data-kind=line.kind.as_str()
            data-id=line.id.map(|i| i.to_string()).unwrap_or_default()>
            <td>{kind_label(line.kind, lang)}</td>
            <td><time>{from.clone()}</time></td>
            <td><time>{to.clone()}</time></td>
            <td class="num">{line.minutes_in_month.to_string()}</td>
            <td>{line.note.clone()}</td>
            <td>{line.by.clone()}{line.at.map(|t| format!(" · {}", crate::time::format(t, tz)))}</td>
            <td class="no-print">{button}</td>
        </tr>
    }
}

#[component]
fn Outages(outages: Vec<OutageView>, environment: String, operator: bool, tz: Tz) -> impl IntoView {
    let lang = use_lang();
    let body = if outages.is_empty() {
        view! { <p class="muted" data-testid="sla-outages-empty">{M::OutagesEmpty.text(lang)}</p> }
            .into_any()
    } else {
        let rows = outages
            .into_iter()
            .map(|o| view! { <OutageRow outage=o environment=environment.clone() operator=operator tz=tz/> })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table data-testid="sla-outages-table">
                    <thead><tr>
                        <th scope="col">{M::ColFrom.text(lang)}</th>
                        <th scope="col">{M::ColTo.text(lang)}</th>
                        <th scope="col">{M::ColMinutes.text(lang)}</th>
                        <th scope="col">{M::ColState.text(lang)}</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="card" data-testid="sla-outages">
            <h2>{M::OutagesTitle.text(lang)}</h2>
            <p class="muted small">{M::OutagesHint.text(lang)}</p>
            {(!operator).then(|| view! { <p class="muted small no-print" data-testid="sla-read-only">{M::OperatorOnly.text(lang)}</p> })}
            {body}
        </section>
    }
}

#[component]
fn OutageRow(outage: OutageView, environment: String, operator: bool, tz: Tz) -> impl IntoView {
    let lang = use_lang();
    let o = outage;
    let state = match o.excluded_as {
        Some(k) => view! {
            <span class="badge maintenance">{fill(M::ExcludedAs.text(lang), &[("kind", kind_label(k, lang))])}</span>
        }
        .into_any(),
        None => view! {
            <span class="badge critical"><span aria-hidden="true">"▲ "</span>{M::CountsAgainst.text(lang)}</span>
        }
        .into_any(),
    };
    let form = (operator && o.excluded_as.is_none()).then(|| {
        view! {
            <ClassifyForm environment=environment.clone()
                starts_at=o.starts_at.to_rfc3339() ends_at=o.ends_at.to_rfc3339()/>
        }
    });
    view! {
        <tr data-testid="outage-row" data-start=o.starts_at.to_rfc3339() data-end=o.ends_at.to_rfc3339()
            data-minutes=o.minutes.to_string() data-counted=o.counted_minutes.to_string()
            data-excluded-as=o.excluded_as.map(|k| k.as_str()).unwrap_or_default()>
            <td><time>{crate::time::format(o.starts_at, tz)}</time></td>
            <td><time>{crate::time::format(o.ends_at, tz)}</time></td>
            <td class="num">{o.minutes.to_string()}</td>
            <td>{state}{form}</td>
        </tr>
    }
}

/// Classifies one outage (operators): the kind and the written reason.
#[component]
fn ClassifyForm(environment: String, starts_at: String, ends_at: String) -> impl IntoView {
    let lang = use_lang();
    let refresh = use_context::<Refresh>();
    let reason = RwSignal::new(ExclusionKind::ForceMajeure.as_str().to_string());
    let note = RwSignal::new(String::new());
    let classify = Action::new(|a: &(String, String, String, String, String)| {
        let (e, s, en, r, n) = a.clone();
        async move { classify_outage(e, s, en, r, n).await }
    });
    let result = classify.value();
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(r)) = (result.get(), refresh) {
            r.0.update(|n| *n += 1);
        }
    });
    let field_err = move |field: &'static str| {
        move || {
            result
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.for_field(field))
                .map(tr)
        }
    };
    let general = move || {
        result
            .get()
            .and_then(|r| r.err())
            .filter(|e| e.for_field("note").is_none() && e.for_field("reason").is_none())
            .map(|e| error_text(&e))
    };
    let options = ExclusionKind::CLASSIFIABLE
        .into_iter()
        .map(|k| view! { <option value=k.as_str()>{kind_label(k, lang)}</option> })
        .collect_view();
    let id = format!("classify-{}", starts_at.replace([':', '+', '.'], "-"));
    let reason_id = format!("{id}-reason");
    let note_id = format!("{id}-note");
    view! {
        <details class="classify no-print" data-testid="sla-classify">
            <summary data-testid="sla-classify-open">{M::Classify.text(lang)}</summary>
            <form class="stack" novalidate data-testid="sla-classify-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    classify.dispatch((
                        environment.clone(),
                        starts_at.clone(),
                        ends_at.clone(),
                        reason.get_untracked(),
                        note.get_untracked(),
                    ));
                }>
                <div class="field">
                    <label for=reason_id.clone()>{M::ClassifyAs.text(lang)}</label>
                    <select id=reason_id name="reason" data-testid="sla-classify-kind"
                        prop:value=move || reason.get() on:change=move |ev| reason.set(event_target_value(&ev))>
                        {options}
                    </select>
                    <span class="field-error">{field_err("reason")}</span>
                </div>
                <div class="field">
                    <label for=note_id.clone()>{M::Reason.text(lang)}</label>
                    <textarea id=note_id name="note" rows="2" maxlength="2000" data-testid="sla-classify-note"
                        prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))
                        aria-invalid=move || field_err("note")().is_some().to_string()></textarea>
                    <span class="field-error" data-testid="err-note">{field_err("note")}</span>
                </div>
                <p class="alert alert-error" role="alert" hidden=move || general().is_none()>{general}</p>
                <button type="submit" class="button primary" data-testid="sla-classify-submit"
                    disabled=move || classify.pending().get()>{M::ClassifySubmit.text(lang)}</button>
            </form>
        </details>
    }
}

fn latency_table(rows: &[LatencyRow], quantile: f64, lang: Lang) -> impl IntoView {
    let q = format!("p{}", (quantile * 100.0).round());
    let body = rows
        .iter()
        .map(|r| {
            view! {
                <tr data-testid=format!("latency-{}", r.class)>
                    <th scope="row">{class_label(&r.class, lang)}</th>
                    <td class="num">{r.p50_ms.map(latency_ms).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{r.p95_ms.map(latency_ms).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{r.p99_ms.map(latency_ms).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{format!("{q} < {} ms", latency_ms(r.target_ms))}</td>
                    <td>{verdict(r.met, lang)}</td>
                    <td class="num">{r.requests.to_string()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table>
                <thead><tr>
                    <th scope="col">{M::ColClass.text(lang)}</th>
                    <th scope="col">"p50 (ms)"</th>
                    <th scope="col">"p95 (ms)"</th>
                    <th scope="col">"p99 (ms)"</th>
                    <th scope="col">{M::Target.text(lang)}</th>
                    <th scope="col">{M::ColVerdict.text(lang)}</th>
                    <th scope="col">{M::ColRequests.text(lang)}</th>
                </tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}

fn error_table(rows: &[ErrorRow], lang: Lang) -> impl IntoView {
    let body = rows
        .iter()
        .map(|r| {
            view! {
                <tr data-testid=format!("errors-{}", r.kind)>
                    <th scope="row">{error_label(&r.kind, lang)}</th>
                    <td class="num">{ratio_percent(r.count, r.total).map(|p| format!("{p} %")).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{format!("< {} %", ppm_percent(u64::from(r.target_ppm)))}</td>
                    <td>{verdict(r.met, lang)}</td>
                    <td class="num">{format!("{} / {}", r.count, r.total)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table>
                <thead><tr>
                    <th scope="col">{M::ColClass.text(lang)}</th>
                    <th scope="col">{M::ColRatio.text(lang)}</th>
                    <th scope="col">{M::Target.text(lang)}</th>
                    <th scope="col">{M::ColVerdict.text(lang)}</th>
                    <th scope="col">{M::ColCount.text(lang)}</th>
                </tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}

fn p95_cell(r: Option<&LatencyRow>) -> String {
    r.and_then(|r| r.p95_ms)
        .map(latency_ms)
        .unwrap_or_else(|| "—".into())
}

fn ratio_cell(r: Option<&ErrorRow>) -> String {
    r.and_then(|r| ratio_percent(r.count, r.total))
        .unwrap_or_else(|| "—".into())
}

fn daily_table(days: &[DayRow], lang: Lang) -> impl IntoView {
    let body = days
        .iter()
        .map(|d| {
            view! {
                <tr data-testid="day-row" data-date=d.date.to_string()
                    data-availability-ppm=d.availability_ppm.map(|p| p.to_string()).unwrap_or_default()>
                    <th scope="row">{d.date.format("%m-%d").to_string()}</th>
                    <td class="num">{percent_text(d.availability_ppm)}</td>
                    <td>{d.target_met.map(|m| view! { {verdict(Some(m), lang)} })}</td>
                    <td class="num">{d.down_minutes.to_string()}</td>
                    <td class="num">{d.excluded_minutes.to_string()}</td>
                    <td class="num">{d.no_data_minutes.to_string()}</td>
                    <td class="num">{p95_cell(d.latency.first())}</td>
                    <td class="num">{p95_cell(d.latency.get(1))}</td>
                    <td class="num">{p95_cell(d.latency.get(2))}</td>
                    <td class="num">{ratio_cell(d.errors.first())}</td>
                    <td class="num">{ratio_cell(d.errors.get(1))}</td>
                    <td class="num">{ratio_cell(d.errors.get(2))}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="dense" data-testid="sla-daily-table">
                <thead><tr>
                    <th scope="col">{M::ColDate.text(lang)}</th>
                    <th scope="col">{M::Availability.text(lang)}</th>
                    <th scope="col">{M::ColVerdict.text(lang)}</th>
                    <th scope="col">{M::DownMinutes.text(lang)}</th>
                    <th scope="col">{M::ExcludedMinutes.text(lang)}</th>
                    <th scope="col">{M::NoDataMinutes.text(lang)}</th>
                    <th scope="col">{format!("{} p95 (ms)", M::ClassApi.text(lang))}</th>
                    <th scope="col">{format!("{} p95 (ms)", M::ClassPage.text(lang))}</th>
                    <th scope="col">{format!("{} p95 (ms)", M::ClassSearch.text(lang))}</th>
                    <th scope="col">"5xx %"</th>
                    <th scope="col">"4xx %"</th>
                    <th scope="col">{format!("{} %", M::KindTimeout.text(lang))}</th>
                </tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}

fn history_table(months: &[MonthSummary], environment: &str, lang: Lang) -> impl IntoView {
    let body = months
        .iter()
        .rev()
        .map(|m| {
            let href = format!(
                "/sla?environment={}&month={}",
                urlencode(environment),
                month_key(m.year, m.month)
            );
            let budget = if m.has_data {
                format!("{} {}", millis_minutes(m.remaining_millis), M::Minutes.text(lang))
            } else {
                "—".into()
            };
            view! {
                <tr data-testid="history-row" data-month=m.key()>
                    <th scope="row"><a href=href>{m.key()}</a></th>
                    <td class="num">{if m.has_data { percent_text(m.availability_ppm) } else { "—".into() }}</td>
                    <td>{m.has_data.then(|| view! { {verdict(Some(m.target_met), lang)} })}</td>
                    <td class="num">{budget}</td>
                    <td class="num">{m.excluded_minutes.to_string()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="dense">
                <thead><tr>
                    <th scope="col">{M::Month.text(lang)}</th>
                    <th scope="col">{M::Availability.text(lang)}</th>
                    <th scope="col">{M::ColVerdict.text(lang)}</th>
                    <th scope="col">{M::Remaining.text(lang)}</th>
                    <th scope="col">{M::ExcludedMinutes.text(lang)}</th>
                </tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sla_text_has_both_languages_r_ui_3() {
        for m in M::ALL {
            assert!(!m.text(Lang::Ja).is_empty() || matches!(m, M::ColActions));
            assert!(!m.text(Lang::En).is_empty() || matches!(m, M::ColActions));
        }
    }
}
