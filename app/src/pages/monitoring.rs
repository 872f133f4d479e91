//! `/monitoring` (issue 10 items 1, 3 and 4; R-MON-1, R-MON-2): "is the
//! service inside its limits?" — for one environment over 1 h / 24 h / 7 d /
//! 30 d, the system metrics and the request classes as charts with the
//! policy's thresholds drawn, each with its newest value beside its limit;
//! then the health probes (URL, interval, timeout, on/off, last probe, last
//! 24 h) and the retention. Everyone reads; operators change probes and
//! retention (the server refuses everyone else).

pub mod msg;

use crate::api::monitoring::{
    load_metrics, load_monitoring_settings, SaveMonitoringRetention, UpdateProbeTarget,
};
use crate::components::error_box::{error_text, ErrorBox};
use crate::components::layout::use_shell;
use crate::i18n::{fill, Lang, Msg};
use crate::model::monitoring::{
    ChartView, MetricsView, MonitoringSettingsView, Range, TargetRow, Threshold,
};
use crate::role::{Access, Role};
use crate::{tr, use_lang};
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use msg::MonMsg as M;
use opsdeck::deploy_gate::Environment;

/// Shorthand: the text of a monitoring message in the current language.
pub fn mt(m: M) -> &'static str {
    m.text(use_lang())
}

fn env_label(key: &str, lang: Lang) -> String {
    key.parse::<Environment>()
        .map(|e| match lang {
            Lang::En => e.label_en().to_string(),
            Lang::Ja => e.label_ja().to_string(),
        })
        .unwrap_or_else(|_| key.to_string())
}

fn chart_title(metric: &str) -> M {
    match metric {
        "cpu_usage" => M::ChartCpu,
        "memory_usage" => M::ChartMemory,
        "disk_usage" => M::ChartDisk,
        "network_latency_ms" => M::ChartLatency,
        "connections" => M::ChartConnections,
        "requests" => M::ChartRequests,
        "error_rate" => M::ChartErrorRate,
        _ => M::ChartP95,
    }
}

/// A value with its unit ("64 %", "0.42 %", "120 ms", "340").
pub fn with_unit(v: f64, unit: &str) -> String {
    // The precision that matters (UX): 0.42 %, 64.5 %, 70 %, 120 ms.
    let trimmed = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    match unit {
        "%" if v.abs() < 10.0 => format!("{} %", trimmed(format!("{v:.2}"))),
        "%" => format!("{} %", trimmed(format!("{v:.1}"))),
        "ms" => format!("{v:.0} ms"),
        _ => format!("{v:.0}"),
    }
}

/// Whether a chart's newest value is over its limit (`None`: no limit or no value).
fn over(c: &ChartView) -> Option<bool> {
    Some(c.latest? > c.threshold?)
}

fn answer(v: &MetricsView, lang: Lang) -> String {
    let judged: Vec<bool> = v.charts.iter().filter_map(over).collect();
    let inside = judged.iter().filter(|o| !**o).count();
    fill(
        M::Answer.text(lang),
        &[
            ("env", &env_label(&v.environment, lang)),
            ("n", &inside.to_string()),
            ("m", &judged.len().to_string()),
            ("range", v.range.key()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::with_unit;

    #[test]
    fn values_show_the_precision_that_matters() {
        assert_eq!(with_unit(70.0, "%"), "70 %");
        assert_eq!(with_unit(64.5, "%"), "64.5 %");
        assert_eq!(with_unit(0.42, "%"), "0.42 %");
        assert_eq!(with_unit(1.0, "%"), "1 %");
        assert_eq!(with_unit(120.4, "ms"), "120 ms");
        assert_eq!(with_unit(1000.0, "count"), "1000");
    }
}

/// Bumped after a save, so the settings load again.
#[derive(Clone, Copy)]
struct Refresh(RwSignal<u32>);

#[component]
pub fn MonitoringPage() -> impl IntoView {
    let query = use_query_map();
    let environment = Memo::new(move |_| {
        query.with(|q| q.get("environment").unwrap_or_else(|| "production".into()))
    });
    let range = Memo::new(move |_| query.with(|q| q.get("range").unwrap_or_else(|| "24h".into())));
    let update = ServerAction::<UpdateProbeTarget>::new();
    let retention = ServerAction::<SaveMonitoringRetention>::new();
    let refresh = Refresh(RwSignal::new(0));
    provide_context(refresh);
    // Each resource is one server call started at once, at the page's top
    // level (a lazy route renders twice on the server).
    let data = Resource::new(
        move || (environment.get(), range.get()),
        |(e, r)| load_metrics(e, r),
    );
    let settings = Resource::new(
        move || {
            (
                update.version().get(),
                retention.version().get(),
                refresh.0.get(),
            )
        },
        |_| load_monitoring_settings(),
    );
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
    let range_options = move || {
        Range::ALL
            .into_iter()
            .map(|r| {
                let key = r.key();
                view! { <option value=key selected=move || range.get() == key>{key}</option> }
            })
            .collect_view()
    };
    view! {
        <Title text=mt(M::Title)/>
        <div class="monitoring">
            <h1>{mt(M::Title)}</h1>
            <Form method="GET" action="" attr:class="filters" attr:data-testid="monitoring-picker">
                <div class="field">
                    <label for="mon-environment">{mt(M::Environment)}</label>
                    <select id="mon-environment" name="environment" data-testid="monitoring-environment">
                        {env_options}
                    </select>
                </div>
                <div class="field">
                    <label for="mon-range">{mt(M::Range)}</label>
                    <select id="mon-range" name="range" data-testid="monitoring-range">{range_options}</select>
                </div>
                <button type="submit" class="button">{mt(M::Show)}</button>
            </Form>
            <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(v) => view! { <Charts v=v/> }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let state = match shell {
                        Some(s) => s.await.ok(),
                        None => None,
                    };
                    let tz = crate::time::zone(&state.as_ref().map(|s| s.time_zone.clone()).unwrap_or_default());
                    let operator = state
                        .and_then(|s| s.user)
                        .is_some_and(|u| u.can(Access::AnyOf(&[Role::Operator])));
                    match settings.await {
                        Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                        Ok(s) => view! {
                            <Settings s=s operator=operator tz=tz update=update retention=retention/>
                        }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn Charts(v: MetricsView) -> impl IntoView {
    let lang = use_lang();
    let has_data = !v.sources.is_empty() || v.charts.iter().any(|c| c.latest.is_some());
    let source_line = (!v.sources.is_empty())
        .then(|| format!("{}: {}", M::Sources.text(lang), v.sources.join(", ")));
    let read_from = if v.hourly {
        M::FromRollups
    } else {
        M::FromMinutes
    };
    let figures = v
        .charts
        .iter()
        .cloned()
        .map(|c| view! { <ChartFigure c=c/> })
        .collect_view();
    view! {
        <p class="answer" data-testid="monitoring-answer">{answer(&v, lang)}</p>
        <p class="muted small">{read_from.text(lang)} " " {source_line}</p>
        {(!has_data).then(|| view! { <p class="card empty-state" data-testid="monitoring-empty">{M::NoData.text(lang)}</p> })}
        <div class="chart-grid" data-testid="monitoring-charts">{figures}</div>
    }
}

#[component]
fn ChartFigure(c: ChartView) -> impl IntoView {
    let lang = use_lang();
    let (class, icon, word) = match over(&c) {
        Some(true) => ("badge critical", "✖ ", M::OverLimit.text(lang)),
        Some(false) => ("badge ok", "✓ ", M::WithinLimit.text(lang)),
        None => ("badge unknown", "– ", ""),
    };
    let value = c
        .latest
        .map(|v| with_unit(v, &c.unit))
        .unwrap_or_else(|| M::NoValue.text(lang).to_string());
    let caption = match c.threshold {
        Some(t) => fill(
            M::Latest.text(lang),
            &[("value", &value), ("limit", &with_unit(t, &c.unit))],
        ),
        None => fill(M::LatestNoLimit.text(lang), &[("value", &value)]),
    };
    view! {
        <figure class="card chart" data-testid=format!("chart-{}", c.metric)>
            <figcaption>
                <strong>{chart_title(&c.metric).text(lang)}</strong>
                " · " {caption} " "
                {(!word.is_empty()).then(|| view! {
                    <span class=class><span aria-hidden="true">{icon}</span>{word}</span>
                })}
            </figcaption>
            <div class="chart-svg" inner_html=c.svg.clone()></div>
        </figure>
    }
}

/// "Saved." or the error of the last save.
fn outcome<T: Clone + Send + Sync + 'static>(
    result: impl Fn() -> Option<Result<T, crate::error::AppError>> + Send + Sync + 'static,
    testid: &'static str,
) -> impl IntoView {
    let lang = use_lang();
    move || {
        match result() {
        Some(Ok(_)) => Some(
            view! { <p class="alert alert-ok" role="status" data-testid=testid>{M::Saved.text(lang)}</p> }
                .into_any(),
        ),
        Some(Err(e)) => Some(
            view! { <p class="alert alert-error" role="alert" data-testid=testid>{error_text(&e)}</p> }
                .into_any(),
        ),
        None => None,
    }
    }
}

#[component]
fn Settings(
    s: MonitoringSettingsView,
    operator: bool,
    tz: Tz,
    update: ServerAction<UpdateProbeTarget>,
    retention: ServerAction<SaveMonitoringRetention>,
) -> impl IntoView {
    let lang = use_lang();
    let rows = s
        .targets
        .into_iter()
        .map(|t| view! { <TargetRowView t=t operator=operator tz=tz update=update/> })
        .collect_view();
    let r = s.retention;
    let thresholds = s
        .thresholds
        .into_iter()
        .map(|t: Threshold| {
            view! { <li><code>{t.metric.clone()}</code> " < " {with_unit(t.threshold, &t.unit)}</li> }
        })
        .collect_view();
    view! {
        <section class="card" data-testid="probe-targets">
            <h2>{M::TargetsTitle.text(lang)}</h2>
            <p class="muted small">{M::TargetsHint.text(lang)}</p>
            {(!operator).then(|| view! { <p class="muted">{M::OperatorsEdit.text(lang)}</p> })}
            {outcome(move || update.value().get(), "target-result")}
            <div class="table-wrap">
            <table class="table">
                <thead><tr>
                    <th scope="col">{M::ColTarget.text(lang)}</th>
                    <th scope="col">{M::ColUrl.text(lang)}</th>
                    <th scope="col">{M::ColInterval.text(lang)}</th>
                    <th scope="col">{M::ColTimeout.text(lang)}</th>
                    <th scope="col">{M::ColEnabled.text(lang)}</th>
                    <th scope="col">{M::ColLast.text(lang)}</th>
                    <th scope="col">{M::ColDay.text(lang)}</th>
                    {operator.then(|| view! { <th scope="col"><span class="visually-hidden">{M::Save.text(lang)}</span></th> })}
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
            </div>
        </section>
        <section class="card" data-testid="monitoring-retention">
            <h2>{M::RetentionTitle.text(lang)}</h2>
            <p class="muted small">{M::RetentionHint.text(lang)}</p>
            {if operator {
                view! {
                    <ActionForm action=retention attr:class="stack">
                        <label>{M::RawDays.text(lang)}
                            <input name="raw_retention_days" type="number" min="7" max="3650" required
                                value=r.raw_retention_days.to_string() data-testid="raw-retention-days"/>
                        </label>
                        <label>{M::RollupMonths.text(lang)}
                            <input name="rollup_retention_months" type="number" min="1" max="240" required
                                value=r.rollup_retention_months.to_string() data-testid="rollup-retention-months"/>
                        </label>
                        <button type="submit" class="button primary">{M::Save.text(lang)}</button>
                    </ActionForm>
                }.into_any()
            } else {
                view! {
                    <p data-testid="retention-values">
                        {M::RawDays.text(lang)} ": " {r.raw_retention_days} " · "
                        {M::RollupMonths.text(lang)} ": " {r.rollup_retention_months}
                    </p>
                }.into_any()
            }}
            {outcome(move || retention.value().get(), "retention-result")}
        </section>
        <section class="card" data-testid="monitoring-thresholds">
            <h2>{M::ThresholdsTitle.text(lang)}</h2>
            <ul>{thresholds}</ul>
        </section>
    }
}

#[component]
fn TargetRowView(
    t: TargetRow,
    operator: bool,
    tz: Tz,
    update: ServerAction<UpdateProbeTarget>,
) -> impl IntoView {
    let lang = use_lang();
    let name = format!(
        "{} · {}",
        env_label(&t.environment, lang),
        t.colour
            .clone()
            .unwrap_or_else(|| M::Public.text(lang).to_string())
    );
    let demo = t.managed_by == "demo";
    let last = match (t.last_at, t.last_ok) {
        (Some(at), Some(ok)) => {
            let (class, icon, word) = if ok {
                ("badge ok", "✓ ", M::Up.text(lang))
            } else {
                ("badge critical", "✖ ", M::Down.text(lang))
            };
            let detail = match (&t.last_error, t.last_latency_ms) {
                (Some(e), _) => e.clone(),
                (None, Some(ms)) => format!("{ms} ms"),
                (None, None) => String::new(),
            };
            view! {
                <span class=class><span aria-hidden="true">{icon}</span>{word}</span>
                <br/><span class="muted small">{crate::time::format(at, tz)} " · " {detail}</span>
            }
            .into_any()
        }
        _ => view! { <span class="muted">{M::Never.text(lang)}</span> }.into_any(),
    };
    let day = match t.availability_24h() {
        Some(a) => fill(
            M::DayAvailability.text(lang),
            &[
                ("pct", &format!("{:.2} %", a * 100.0)),
                ("down", &t.down_minutes_24h.to_string()),
            ],
        ),
        None => M::DayNoData.text(lang).to_string(),
    };
    let testid = format!(
        "target-{}-{}",
        t.environment,
        t.colour.as_deref().unwrap_or("public")
    );
    let demo_note = demo.then(|| {
        view! { <p class="muted small" data-testid="demo-managed">{M::DemoManaged.text(lang)}</p> }
    });
    if operator {
        let form_id = format!("target-form-{}", t.id);
        view! {
            <tr data-testid=testid>
                <th scope="row">{name}</th>
                <td>
                    <ActionForm action=update attr:id=form_id.clone()>
                        <input type="hidden" name="id" value=t.id.to_string()/>
                        <input name="url" type="url" required maxlength="2000" value=t.url.clone()
                            aria-label=M::ColUrl.text(lang) data-testid="target-url"/>
                    </ActionForm>
                    {demo_note}
                </td>
                <td><input form=form_id.clone() name="interval_ms" type="number" min="1000" max="3600000" required
                    value=t.interval_ms.to_string() aria-label=M::ColInterval.text(lang) data-testid="target-interval"/></td>
                <td><input form=form_id.clone() name="timeout_ms" type="number" min="100" max="60000" required
                    value=t.timeout_ms.to_string() aria-label=M::ColTimeout.text(lang) data-testid="target-timeout"/></td>
                <td><input form=form_id.clone() name="enabled" type="checkbox" value="true" checked=t.enabled
                    aria-label=M::ColEnabled.text(lang) data-testid="target-enabled"/></td>
                <td>{last}</td>
                <td>{day}</td>
                <td><button form=form_id type="submit" class="button">{M::Save.text(lang)}</button></td>
            </tr>
        }
        .into_any()
    } else {
        view! {
            <tr data-testid=testid>
                <th scope="row">{name}</th>
                <td><code class="url">{t.url.clone()}</code>{demo_note}</td>
                <td>{t.interval_ms}</td>
                <td>{t.timeout_ms}</td>
                <td>{if t.enabled { "✓" } else { M::Off.text(lang) }}</td>
                <td>{last}</td>
                <td>{day}</td>
            </tr>
        }
        .into_any()
    }
}
