//! `/releases/calendar` (issue 11, R-REL-3): "what is coming up?" — the
//! month's release milestones, code-freeze bands and planned maintenance
//! windows as a grid (wide screens) and an agenda (narrow screens), both
//! built from the same `CalendarMonth` as the `.ics` feed; and the secret
//! feed URL that calendar apps subscribe to.

use super::calendar_msg::CalMsg as M;
use crate::api::releases::{load_calendar, regenerate_calendar_feed};
use crate::components::confirm::confirm;
use crate::components::error_box::{error_text, ErrorBox};
use crate::error::AppError;
use crate::i18n::{Lang, Msg};
use crate::model::releases::{CalendarItem, CalendarMonth, ReleaseStatus};
use crate::{tr, use_lang};
use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use opsdeck::release_calendar::MilestoneKind;

/// Shorthand: the text of a calendar message in the current language.
fn ct(m: M) -> &'static str {
    m.text(use_lang())
}

const PATH: &str = "/releases/calendar";

const WEEKDAYS: [(M, M); 7] = [
    (M::Mon, M::Monday),
    (M::Tue, M::Tuesday),
    (M::Wed, M::Wednesday),
    (M::Thu, M::Thursday),
    (M::Fri, M::Friday),
    (M::Sat, M::Saturday),
    (M::Sun, M::Sunday),
];

const MONTHS: [M; 12] = [
    M::January,
    M::February,
    M::March,
    M::April,
    M::May,
    M::June,
    M::July,
    M::August,
    M::September,
    M::October,
    M::November,
    M::December,
];

const KINDS: [MilestoneKind; 5] = [
    MilestoneKind::FeatureFreeze,
    MilestoneKind::CodeFreeze,
    MilestoneKind::FinalTest,
    MilestoneKind::ReleaseNotes,
    MilestoneKind::Release,
];

/// The kind as the page's `data-kind` and CSS class name (the model's snake_case).
fn kind_key(k: MilestoneKind) -> &'static str {
    match k {
        MilestoneKind::FeatureFreeze => "feature_freeze",
        MilestoneKind::CodeFreeze => "code_freeze",
        MilestoneKind::FinalTest => "final_test",
        MilestoneKind::ReleaseNotes => "release_notes",
        MilestoneKind::Release => "release",
    }
}

fn kind_label(k: MilestoneKind, lang: Lang) -> &'static str {
    match lang {
        Lang::Ja => k.label_ja(),
        Lang::En => k.label_en(),
    }
}

fn month_word(month: u32, lang: Lang) -> &'static str {
    let i = usize::try_from(month.clamp(1, 12) - 1).unwrap_or(0);
    MONTHS[i].text(lang)
}

/// "2026年12月" / "December 2026".
fn month_name(year: i32, month: u32, lang: Lang) -> String {
    match lang {
        Lang::Ja => format!("{year}年{}", month_word(month, lang)),
        Lang::En => format!("{} {year}", month_word(month, lang)),
    }
}

fn weekday_index(d: NaiveDate) -> usize {
    usize::try_from(d.weekday().num_days_from_monday()).unwrap_or(0)
}

/// "12月6日（日）" / "Sun 6 December".
fn day_name(d: NaiveDate, lang: Lang) -> String {
    let wd = WEEKDAYS[weekday_index(d)].0.text(lang);
    match lang {
        Lang::Ja => format!("{}{}日（{wd}）", month_word(d.month(), lang), d.day()),
        Lang::En => format!("{wd} {} {}", d.day(), month_word(d.month(), lang)),
    }
}

/// The month before and after `year-month`.
fn neighbours(year: i32, month: u32) -> ((i32, u32), (i32, u32)) {
    let prev = if month <= 1 {
        (year - 1, 12)
    } else {
        (year, month - 1)
    };
    let next = if month >= 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    (prev, next)
}

fn month_key(year: i32, month: u32) -> String {
    format!("{year:04}-{month:02}")
}

fn month_href(year: i32, month: u32) -> String {
    format!("{PATH}?month={}", month_key(year, month))
}

/// "02:00–04:00", with the end's date when it ends on another day.
fn clock_span(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> String {
    let (s, e) = (start.with_timezone(&tz), end.with_timezone(&tz));
    if s.date_naive() == e.date_naive() {
        format!("{}–{}", s.format("%H:%M"), e.format("%H:%M"))
    } else {
        format!("{}–{}", s.format("%H:%M"), e.format("%m-%d %H:%M"))
    }
}

/// "2026-12-06 02:00 JST – 04:00" for titles and the agenda.
fn full_span(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> String {
    let (s, e) = (start.with_timezone(&tz), end.with_timezone(&tz));
    let end_text = if s.date_naive() == e.date_naive() {
        e.format("%H:%M").to_string()
    } else {
        crate::time::format(end, tz)
    };
    format!("{} – {end_text}", crate::time::format(start, tz))
}

fn in_month(cal: &CalendarMonth, d: NaiveDate) -> bool {
    d.year() == cal.year && d.month() == cal.month
}

/// What the month holds, for the one-line answer.
struct Counts {
    releases: usize,
    milestones: usize,
    maintenance: usize,
}

fn counts(cal: &CalendarMonth) -> Counts {
    let mut c = Counts {
        releases: 0,
        milestones: 0,
        maintenance: 0,
    };
    for (_, items) in cal.days.iter().filter(|(d, _)| in_month(cal, *d)) {
        for item in items {
            match item {
                CalendarItem::Milestone {
                    kind: MilestoneKind::Release,
                    ..
                } => c.releases += 1,
                CalendarItem::Milestone { .. } => c.milestones += 1,
                CalendarItem::Maintenance { .. } => c.maintenance += 1,
                CalendarItem::Freeze { .. } => {}
            }
        }
    }
    c
}

/// The subscription URL shown once, and the action that makes it; kept by
/// the page so that reloading the month does not lose the URL.
#[derive(Clone, Copy)]
struct Feed {
    url: RwSignal<Option<String>>,
    regenerate: Action<(), Result<(), AppError>>,
    /// Set once the page runs in the browser: the button needs it.
    hydrated: RwSignal<bool>,
}

/// `https://opsdeck.example` — only ever asked in the browser, after a click.
fn origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        window().location().origin().unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let query = use_query_map();
    let month = Memo::new(move |_| query.with(|q| q.get("month").unwrap_or_default()));
    let refresh = RwSignal::new(0u32);
    // Created here, at the page's top level: a resource created inside a
    // `Suspend` while the page hydrates does not match the server's.
    let data = Resource::new(
        move || (month.get(), refresh.get()),
        |(m, _)| load_calendar(m),
    );
    let url = RwSignal::new(None::<String>);
    let regenerate = Action::new(move |_: &()| async move {
        let path = regenerate_calendar_feed().await?;
        url.set(Some(format!("{}{path}", origin())));
        // Reload the month so "created at" shows the new secret's time.
        refresh.update(|v| *v += 1);
        Ok(())
    });
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let feed = Feed {
        url,
        regenerate,
        hydrated,
    };
    view! {
        <Title text=ct(M::Title)/>
        <p class="cal-back"><a href="/releases" data-testid="cal-back">{ct(M::BackToReleases)}</a></p>
        <h1>{ct(M::Title)}</h1>
        <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! {
                        <ErrorBox error=e/>
                        <p><a href=PATH data-testid="cal-today">{ct(M::ShowThisMonth)}</a></p>
                    }
                    .into_any(),
                    Ok(cal) => view! { <MonthView cal=cal feed=feed/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn MonthView(cal: CalendarMonth, feed: Feed) -> impl IntoView {
    let lang = use_lang();
    let tz = crate::time::zone(&cal.time_zone);
    let ((py, pm), (ny, nm)) = neighbours(cal.year, cal.month);
    let key = month_key(cal.year, cal.month);
    let (key_attr, key_value) = (key.clone(), key.clone());
    let title = month_name(cal.year, cal.month, lang);
    let c = counts(&cal);
    let summary = ct(M::Summary)
        .replace("{r}", &c.releases.to_string())
        .replace("{m}", &c.milestones.to_string())
        .replace("{w}", &c.maintenance.to_string());
    let empty = cal
        .days
        .iter()
        .filter(|(d, _)| in_month(&cal, *d))
        .all(|(_, items)| items.is_empty());
    let frozen_today: Vec<String> = cal
        .days
        .iter()
        .filter(|(d, _)| *d == cal.today)
        .flat_map(|(_, items)| items.iter())
        .filter_map(|i| match i {
            CalendarItem::Freeze { version, .. } => Some(format!("v{version}")),
            _ => None,
        })
        .collect();
    let frozen = (!frozen_today.is_empty()).then(|| {
        view! {
            <p class="status-warning" data-testid="cal-frozen-today">
                <span aria-hidden="true">"❄ "</span>
                {ct(M::FrozenToday)} " " {frozen_today.join(", ")}
            </p>
        }
    });
    view! {
        <div class="cal-head">
            <h2 data-testid="cal-month" data-month=key_attr>{title.clone()}</h2>
            <nav class="cal-nav" aria-label=ct(M::MonthNav)>
                <a class="button" href=month_href(py, pm) data-testid="cal-prev" rel="prev">
                    <span aria-hidden="true">"← "</span>{month_name(py, pm, lang)}
                </a>
                <a class="button" href=PATH data-testid="cal-today">{ct(M::TodayLink)}</a>
                <a class="button" href=month_href(ny, nm) data-testid="cal-next" rel="next">
                    {month_name(ny, nm, lang)}<span aria-hidden="true">" →"</span>
                </a>
            </nav>
            <Form method="GET" action="" attr:class="cal-picker" attr:data-testid="cal-month-picker">
                <label for="cal-month-input" class="visually-hidden">{ct(M::Month)}</label>
                <input id="cal-month-input" name="month" type="month" value=key_value prop:value=key/>
                <button type="submit" class="button">{ct(M::Show)}</button>
            </Form>
        </div>
        <p class="answer" data-testid="calendar-answer">{summary}</p>
        {frozen}
        <p class="muted small">{ct(M::TimesIn)} " " {cal.time_zone.clone()}</p>
        {empty.then(|| view! { <p class="card empty-state" data-testid="calendar-empty">{ct(M::MonthEmpty)}</p> })}
        <Grid cal=cal.clone() tz=tz title=title.clone()/>
        <Agenda cal=cal.clone() tz=tz/>
        <Legend/>
        <FeedSection created_at=cal.feed_created_at tz=tz feed=feed/>
    }
}

/// One day's items, as list entries; `prefix` keeps the grid's and the
/// agenda's test ids apart (`cal-…` / `agenda-…`).
fn day_items(items: &[CalendarItem], tz: Tz, lang: Lang, prefix: &'static str) -> AnyView {
    let freezes = items
        .iter()
        .filter_map(|i| match i {
            CalendarItem::Freeze {
                release_id,
                version,
            } => {
                let label = M::FreezeOf.text(lang).replace("{v}", version);
                let title = label.clone();
                Some(view! {
                    <li class="freeze" data-testid=format!("{prefix}-freeze")
                        data-release=release_id.to_string() title=title>
                        <span aria-hidden="true">"❄ "</span>{M::Freeze.text(lang)}
                        <span class="visually-hidden">" — " {label}</span>
                    </li>
                })
            }
            _ => None,
        })
        .collect_view();
    let milestones = items
        .iter()
        .filter_map(|i| match i {
            CalendarItem::Milestone {
                release_id,
                version,
                kind,
                status,
            } => {
                let released = *status == ReleaseStatus::Released;
                let text = format!("v{version} {}", kind_label(*kind, lang));
                Some(view! {
                    <li>
                        <a class=format!("cal-chip kind-{}{}", kind_key(*kind), if released { " released" } else { "" })
                            href=format!("/releases/{release_id}")
                            data-testid=format!("{prefix}-milestone") data-kind=kind_key(*kind)
                            data-status=status.as_str()>
                            {released.then(|| view! {
                                <span aria-hidden="true">"✓ "</span>
                            })}
                            {text}
                            {released.then(|| view! {
                                <span class="visually-hidden">" (" {M::Released.text(lang)} ")"</span>
                            })}
                        </a>
                    </li>
                })
            }
            _ => None,
        })
        .collect_view();
    let maintenance = items
        .iter()
        .filter_map(|i| match i {
            CalendarItem::Maintenance {
                window_id,
                starts_at,
                ends_at,
                reason,
            } => {
                let reason = if reason.trim().is_empty() {
                    M::MaintenanceDefault.text(lang).to_string()
                } else {
                    reason.clone()
                };
                let when = if prefix == "agenda" {
                    full_span(*starts_at, *ends_at, tz)
                } else {
                    clock_span(*starts_at, *ends_at, tz)
                };
                let title = format!(
                    "{}: {} · {reason}",
                    M::Maintenance.text(lang),
                    full_span(*starts_at, *ends_at, tz)
                );
                Some(view! {
                    <li>
                        <a class="cal-chip maintenance" href="/maintenance" title=title
                            data-testid=format!("{prefix}-maintenance") data-window=window_id.to_string()>
                            <span aria-hidden="true">"🛠 "</span>
                            <span class="visually-hidden">{M::Maintenance.text(lang)} " "</span>
                            <time datetime=starts_at.to_rfc3339()>{when}</time>
                            " " {reason}
                        </a>
                    </li>
                })
            }
            _ => None,
        })
        .collect_view();
    view! { <ul class="cal-items">{freezes}{milestones}{maintenance}</ul> }.into_any()
}

#[component]
fn Grid(cal: CalendarMonth, tz: Tz, title: String) -> impl IntoView {
    let lang = use_lang();
    let head = WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, (short, long))| {
            let class = (i > 4).then_some("weekend");
            view! {
                <th scope="col" class=class>
                    <abbr title=long.text(lang)>{short.text(lang)}</abbr>
                </th>
            }
        })
        .collect_view();
    let weeks = cal
        .days
        .chunks(7)
        .map(|week| {
            let cells = week
                .iter()
                .map(|(d, items)| {
                    let outside = !in_month(&cal, *d);
                    let is_today = *d == cal.today;
                    let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
                    let frozen = items.iter().any(|i| matches!(i, CalendarItem::Freeze { .. }));
                    let mut class = String::from("cal-day");
                    for (on, name) in [
                        (outside, " outside"),
                        (is_today, " today"),
                        (weekend, " weekend"),
                        (frozen, " in-freeze"),
                    ] {
                        if on {
                            class.push_str(name);
                        }
                    }
                    let number = if outside || d.day() == 1 {
                        format!("{}/{}", d.month(), d.day())
                    } else {
                        d.day().to_string()
                    };
                    let date = d.format("%Y-%m-%d").to_string();
                    let data_date = date.clone();
                    view! {
                        <td class=class data-testid="cal-day" data-date=data_date
                            aria-current=is_today.then_some("date")>
                            <div class="cal-date">
                                <time class="cal-num" datetime=date>{number}</time>
                                {is_today.then(|| view! { <span class="cal-today-word">{M::Today.text(lang)}</span> })}
                            </div>
                            {(!items.is_empty()).then(|| day_items(items, tz, lang, "cal"))}
                        </td>
                    }
                })
                .collect_view();
            view! { <tr>{cells}</tr> }
        })
        .collect_view();
    view! {
        <div class="cal-grid-wrap">
            <table class="calendar" data-testid="calendar-grid">
                <caption class="visually-hidden">{title}</caption>
                <thead><tr>{head}</tr></thead>
                <tbody>{weeks}</tbody>
            </table>
        </div>
    }
}

#[component]
fn Agenda(cal: CalendarMonth, tz: Tz) -> impl IntoView {
    let lang = use_lang();
    let days = cal
        .days
        .iter()
        .filter(|(d, items)| in_month(&cal, *d) && !items.is_empty())
        .map(|(d, items)| {
            let is_today = *d == cal.today;
            let date = d.format("%Y-%m-%d").to_string();
            let data_date = date.clone();
            view! {
                <li class=if is_today { "cal-agenda-day today" } else { "cal-agenda-day" }
                    data-testid="agenda-day" data-date=data_date>
                    <h4>
                        <time datetime=date>{day_name(*d, lang)}</time>
                        {is_today.then(|| view! { " " <span class="badge ok">{M::Today.text(lang)}</span> })}
                    </h4>
                    {day_items(items, tz, lang, "agenda")}
                </li>
            }
        })
        .collect::<Vec<_>>();
    let body = if days.is_empty() {
        view! { <p class="empty-state" data-testid="agenda-empty">{ct(M::MonthEmpty)}</p> }
            .into_any()
    } else {
        view! { <ol class="plain">{days}</ol> }.into_any()
    };
    view! {
        <section class="cal-agenda" data-testid="calendar-agenda" aria-labelledby="cal-agenda-title">
            <h3 id="cal-agenda-title">{ct(M::Agenda)}</h3>
            {body}
        </section>
    }
}

#[component]
fn Legend() -> impl IntoView {
    let lang = use_lang();
    let kinds = KINDS
        .iter()
        .map(|k| {
            view! {
                <li><span class=format!("cal-chip kind-{}", kind_key(*k))>{kind_label(*k, lang)}</span></li>
            }
        })
        .collect_view();
    view! {
        <section class="cal-legend" data-testid="calendar-legend" aria-labelledby="cal-legend-title">
            <h3 id="cal-legend-title">{ct(M::Legend)}</h3>
            <ul class="plain">
                <li class="cal-legend-row">
                    <ul class="cal-items cal-legend-kinds">{kinds}</ul>
                    <span>{ct(M::LegendMilestones)}</span>
                </li>
                <li class="cal-legend-row">
                    <span class="freeze"><span aria-hidden="true">"❄ "</span>{ct(M::Freeze)}</span>
                    <span>{ct(M::LegendFreeze)}</span>
                </li>
                <li class="cal-legend-row">
                    <span class="cal-chip maintenance"><span aria-hidden="true">"🛠 "</span>"02:00–04:00"</span>
                    <span>{ct(M::LegendMaintenance)}</span>
                </li>
                <li class="cal-legend-row">
                    <span class="cal-legend-swatch today"><span class="cal-num">"6"</span></span>
                    <span>{ct(M::LegendToday)}</span>
                </li>
                <li class="cal-legend-row">
                    <span class="cal-legend-swatch outside"><span class="cal-num">"30"</span></span>
                    <span>{ct(M::LegendOutside)}</span>
                </li>
            </ul>
        </section>
    }
}

/// Selects the whole URL when the field gets focus, ready to copy.
fn select_all(ev: leptos::ev::FocusEvent) {
    event_target::<leptos::web_sys::HtmlInputElement>(&ev).select();
}

#[component]
fn FeedSection(created_at: Option<DateTime<Utc>>, tz: Tz, feed: Feed) -> impl IntoView {
    let Feed {
        url,
        regenerate,
        hydrated,
    } = feed;
    let state = match created_at {
        Some(at) => view! {
            <p data-testid="feed-state" data-feed="yes">
                {ct(M::FeedCreatedAt)} " " <time datetime=at.to_rfc3339()>{crate::time::format(at, tz)}</time>
            </p>
        }
        .into_any(),
        None => view! { <p class="muted" data-testid="feed-state" data-feed="no">{ct(M::FeedNone)}</p> }
            .into_any(),
    };
    let exists = move || created_at.is_some() || url.with(|u| u.is_some());
    let confirm_text = ct(M::FeedConfirm);
    let (create_label, regenerate_label, working) =
        (ct(M::FeedCreate), ct(M::FeedRegenerate), ct(M::FeedWorking));
    let pending = regenerate.pending();
    let label = move || {
        if pending.get() {
            working
        } else if exists() {
            regenerate_label
        } else {
            create_label
        }
    };
    let on_click = move |_| {
        if !exists() || confirm(confirm_text) {
            regenerate.dispatch(());
        }
    };
    let error = move || {
        regenerate
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_text(&e))
    };
    let shown = move || {
        url.get().map(|u| {
            let value = u.clone();
            view! {
                <div class="alert alert-ok cal-feed-url" role="status">
                    <label for="feed-url">{ct(M::FeedUrl)}</label>
                    <input id="feed-url" type="text" readonly data-testid="feed-url" value=value prop:value=u
                        on:focus=select_all/>
                    <p><strong>{ct(M::FeedShownOnce)}</strong></p>
                </div>
            }
        })
    };
    view! {
        <section class="card cal-feed" data-testid="calendar-feed" aria-labelledby="cal-feed-title">
            <h2 id="cal-feed-title">{ct(M::FeedTitle)}</h2>
            <p>{ct(M::FeedExplain)}</p>
            <p class="muted small">{ct(M::FeedHowTo)}</p>
            {state}
            <div class="row">
                <button type="button" class="button primary" data-testid="feed-regenerate"
                    disabled=move || !hydrated.get() || pending.get()
                    on:click=on_click>{label}</button>
                <span class="muted small" hidden=move || !exists()>{ct(M::FeedRegenerateNote)}</span>
                <span class="muted small" hidden=move || hydrated.get()>{ct(M::FeedNeedsScript)}</span>
            </div>
            <p class="alert alert-error" role="alert" data-testid="feed-error" hidden=move || error().is_none()>{error}</p>
            {shown}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn r_rel_3_month_names_and_neighbours() {
        assert_eq!(month_name(2026, 12, Lang::Ja), "2026年12月");
        assert_eq!(month_name(2026, 12, Lang::En), "December 2026");
        assert_eq!(neighbours(2026, 12), ((2026, 11), (2027, 1)));
        assert_eq!(neighbours(2027, 1), ((2026, 12), (2027, 2)));
        assert_eq!(month_href(2027, 1), "/releases/calendar?month=2027-01");
    }

    #[test]
    fn r_rel_3_day_names_in_both_languages() {
        assert_eq!(day_name(day(2026, 12, 6), Lang::Ja), "12月6日（日）");
        assert_eq!(day_name(day(2026, 12, 6), Lang::En), "Sun 6 December");
    }

    #[test]
    fn r_rel_3_maintenance_spans_in_the_zone() {
        let tz = chrono_tz::Asia::Tokyo;
        let s = crate::time::parse_local("2026-12-06T02:00", tz)
            .expect("time")
            .expect("some");
        let e = crate::time::parse_local("2026-12-06T04:00", tz)
            .expect("time")
            .expect("some");
        assert_eq!(clock_span(s, e, tz), "02:00–04:00");
        assert_eq!(full_span(s, e, tz), "2026-12-06 02:00 JST – 04:00");
        let late = crate::time::parse_local("2026-12-07T01:00", tz)
            .expect("time")
            .expect("some");
        assert_eq!(clock_span(s, late, tz), "02:00–12-07 01:00");
    }

    #[test]
    fn r_rel_3_kind_keys_match_the_model() {
        for k in KINDS {
            let json = serde_json::to_string(&k).expect("serialise");
            assert_eq!(json, format!("\"{}\"", kind_key(k)));
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod render_tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn december() -> CalendarMonth {
        let tz = chrono_tz::Asia::Tokyo;
        let at = |s: &str| {
            crate::time::parse_local(s, tz)
                .expect("time")
                .expect("some")
        };
        let days = day(2026, 11, 30)
            .iter_days()
            .take(35)
            .map(|d| {
                let mut items = Vec::new();
                if d >= day(2026, 12, 1) && d < day(2026, 12, 8) {
                    items.push(CalendarItem::Freeze {
                        release_id: 7,
                        version: "1.3.0".into(),
                    });
                }
                if d == day(2026, 12, 1) {
                    items.push(CalendarItem::Milestone {
                        release_id: 7,
                        version: "1.3.0".into(),
                        kind: MilestoneKind::CodeFreeze,
                        status: ReleaseStatus::Frozen,
                    });
                }
                if d == day(2026, 12, 6) {
                    items.push(CalendarItem::Maintenance {
                        window_id: 3,
                        starts_at: at("2026-12-06T02:00"),
                        ends_at: at("2026-12-06T04:00"),
                        reason: "DB upgrade".into(),
                    });
                }
                (d, items)
            })
            .collect();
        CalendarMonth {
            year: 2026,
            month: 12,
            today: day(2026, 12, 3),
            time_zone: "Asia/Tokyo".into(),
            days,
            feed_created_at: None,
        }
    }

    fn render(lang: Lang, f: impl FnOnce() -> AnyView) -> String {
        let owner = Owner::new();
        owner.with(|| {
            provide_context(lang);
            f().to_html()
        })
    }

    #[test]
    fn r_rel_3_grid_marks_today_freeze_milestones_and_maintenance() {
        let cal = december();
        let tz = crate::time::zone(&cal.time_zone);
        let html = render(Lang::Ja, move || {
            view! { <Grid cal=cal tz=tz title="2026年12月".to_string()/> }.into_any()
        });
        assert_eq!(html.matches("data-testid=\"cal-day\"").count(), 35);
        assert!(html.contains("data-date=\"2026-12-03\""), "{html}");
        assert_eq!(html.matches("aria-current=\"date\"").count(), 1);
        assert_eq!(html.matches("data-testid=\"cal-freeze\"").count(), 7);
        assert!(html.contains("v1.3.0 のコードフリーズ期間"));
        assert!(html.contains("data-kind=\"code_freeze\""));
        assert!(html.contains("v1.3.0 コードフリーズ"));
        assert!(html.contains("href=\"/releases/7\""));
        assert!(html.contains("02:00–04:00"));
        assert!(html.contains("href=\"/maintenance\""));
        assert!(html.contains("title=\"月曜日\">月"), "{html}");
    }

    #[test]
    fn r_rel_3_agenda_lists_only_the_months_days_with_items() {
        let cal = december();
        let tz = crate::time::zone(&cal.time_zone);
        let html = render(Lang::En, move || {
            view! { <Agenda cal=cal tz=tz/> }.into_any()
        });
        // Seven freeze days (one with the code-freeze milestone, one with maintenance).
        assert_eq!(html.matches("data-testid=\"agenda-day\"").count(), 7);
        assert!(html.contains("v1.3.0 Code freeze"));
        assert!(html.contains("2026-12-06 02:00 JST – 04:00"));
        assert!(!html.contains("data-testid=\"cal-milestone\""));
    }

    #[test]
    fn r_rel_3_feed_section_offers_create_or_regenerate() {
        let feed = || Feed {
            url: RwSignal::new(None),
            regenerate: Action::new(|_: &()| async { Ok(()) }),
            hydrated: RwSignal::new(false),
        };
        let tz = chrono_tz::Asia::Tokyo;
        let none = render(Lang::En, move || {
            view! { <FeedSection created_at=None tz=tz feed=feed()/> }.into_any()
        });
        assert!(none.contains("data-feed=\"no\""), "{none}");
        assert!(none.contains("Create subscription URL"));
        assert!(!none.contains("data-testid=\"feed-url\""));
        let at = crate::time::parse_local("2026-11-20T09:30", tz)
            .expect("time")
            .expect("some");
        let some = render(Lang::Ja, move || {
            view! { <FeedSection created_at=Some(at) tz=tz feed=feed()/> }.into_any()
        });
        assert!(some.contains("data-feed=\"yes\""), "{some}");
        assert!(some.contains("2026-11-20 09:30 JST"));
        assert!(some.contains("URL を再発行"));
    }
}
