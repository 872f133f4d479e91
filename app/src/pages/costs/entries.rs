//! The month's cost entries: a paged table, and for finance the CSV import,
//! the form for one entry, the one-off switch, delete and the CSV export.

use super::msg::CostsMsg as M;
use super::{ct, Refresh};
use crate::api::costs::view::{money, EntryView};
use crate::api::costs::{add_entry, delete_entry, export_csv, import_csv, set_one_off};
use crate::components::confirm::confirm;
use crate::components::error_box::{error_text, ErrorBox};
use crate::components::layout::urlencode;
use crate::components::pager::Pager;
use crate::error::AppError;
use crate::i18n::Msg;
use crate::tr;
use leptos::prelude::*;

/// The bad lines of a refused import, by number (`csv:<line>` fields), and
/// the file-level message if any.
fn import_errors(e: &AppError) -> Option<Vec<(Option<u64>, &'static str)>> {
    let AppError::Validation(fields) = e else {
        return None;
    };
    let list: Vec<(Option<u64>, &'static str)> = fields
        .iter()
        .filter(|f| f.field == "csv" || f.field.starts_with("csv:"))
        .map(|f| {
            let line = f
                .field
                .strip_prefix("csv:")
                .and_then(|n| n.parse::<u64>().ok());
            (line, tr(f.msg))
        })
        .collect();
    (!list.is_empty()).then_some(list)
}

fn kind_text(e: &EntryView) -> &'static str {
    if e.amount.0 < 0 {
        ct(M::Credit)
    } else if e.one_off {
        ct(M::OneOff)
    } else {
        ct(M::Recurring)
    }
}

#[component]
pub fn EntriesSection(
    month: String,
    can_edit: bool,
    zone: chrono_tz::Tz,
    currency: String,
) -> impl IntoView {
    let refresh = expect_context::<Refresh>();
    // Created by the page, outside any Suspend: a resource created while a
    // Suspend hydrates does not line up with the server's (hydration error).
    let rows = expect_context::<super::CostsResources>().entries;
    let _ = &month;
    let toggle = Action::new(move |(id, on): &(i64, bool)| {
        let (id, on) = (*id, *on);
        async move { set_one_off(id, on).await }
    });
    let delete = Action::new(move |id: &i64| {
        let id = *id;
        async move { delete_entry(id).await }
    });
    Effect::new(move |_| {
        if matches!(toggle.value().get(), Some(Ok(())))
            || matches!(delete.value().get(), Some(Ok(())))
        {
            refresh.bump();
        }
    });
    let row_error = move || {
        toggle
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| delete.value().get().and_then(|r| r.err()))
            .map(|e| error_text(&e))
    };
    let month_for_pager = month.clone();
    view! {
        <section class="card">
            <h2>{ct(M::Entries)}</h2>
            <p class="alert alert-error" role="alert" hidden=move || row_error().is_none()>{row_error}</p>
            <Transition fallback=|| view! { <p class="loading">{tr(Msg::Loading)}</p> }>
                {move || {
                    let currency = currency.clone();
                    let month = month_for_pager.clone();
                    Suspend::new(async move {
                        match rows.await {
                            Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                            Ok(p) if p.rows.is_empty() => view! {
                                <p class="muted" data-testid="entries-empty" data-total="0">{ct(M::EmptyMonthReadOnly)}</p>
                            }.into_any(),
                            Ok(p) => {
                                let page_count = p.page_count();
                                let current = p.page;
                                let total = p.total;
                                let body = p.rows.into_iter().map(|e| {
                                    let id = e.id;
                                    let one_off = e.one_off;
                                    let credit = e.amount.0 < 0;
                                    let label = format!("{} {} {}", e.date, e.service, money(e.amount, &e.currency));
                                    view! {
                                        <tr data-testid="entry-row">
                                            <td>{e.date.to_string()}</td>
                                            <th scope="row">{e.service.clone()}</th>
                                            <td class="num">{money(e.amount, &e.currency)}</td>
                                            <td>{kind_text(&e)}</td>
                                            <td>{e.source.clone()}</td>
                                            <td>{crate::time::format(e.created_at, zone)}</td>
                                            {can_edit.then(|| view! {
                                                <td class="actions">
                                                    {(!credit).then(|| view! {
                                                        <button type="button" class="button" data-testid="toggle-one-off"
                                                            on:click=move |_| { toggle.dispatch((id, !one_off)); }>
                                                            {if one_off { ct(M::MarkRecurring) } else { ct(M::MarkOneOff) }}
                                                        </button>
                                                    })}
                                                    <button type="button" class="button danger" data-testid="delete-entry"
                                                        on:click=move |_| {
                                                            if confirm(&format!("{} {label}", ct(M::ConfirmDelete))) { delete.dispatch(id); }
                                                        }>{ct(M::Delete)}</button>
                                                </td>
                                            })}
                                        </tr>
                                    }
                                }).collect_view();
                                let href_for = move |n: u32| format!("/costs?month={}&page={n}", urlencode(&month));
                                let _ = &currency;
                                view! {
                                    <div class="table-wrap">
                                        <table data-testid="entries" data-total=total.to_string()>
                                            <thead><tr>
                                                <th scope="col">{ct(M::Date)}</th>
                                                <th scope="col">{ct(M::Service)}</th>
                                                <th scope="col">{ct(M::Amount)}</th>
                                                <th scope="col">{ct(M::Kind)}</th>
                                                <th scope="col">{ct(M::Source)}</th>
                                                <th scope="col">{tr(Msg::Created)}</th>
                                                {can_edit.then(|| view! { <th scope="col">{tr(Msg::Actions)}</th> })}
                                            </tr></thead>
                                            <tbody>{body}</tbody>
                                        </table>
                                    </div>
                                    <Pager page=current page_count=page_count href_for=href_for/>
                                }.into_any()
                            }
                        }
                    })
                }}
            </Transition>
            <ExportLink month=month.clone()/>
        </section>
        {can_edit.then(|| view! {
            <div class="grid">
                <ImportForm/>
                <AddEntryForm/>
            </div>
        })}
    }
}

#[component]
fn ExportLink(month: String) -> impl IntoView {
    let m = month.clone();
    let export = Action::new(move |_: &()| {
        let m = m.clone();
        async move { export_csv(m).await }
    });
    let name = if month.is_empty() {
        "costs.csv".to_string()
    } else {
        format!("costs-{month}.csv")
    };
    view! {
        <div class="row">
            <button type="button" class="button" data-testid="export" on:click=move |_| { export.dispatch(()); }>
                {ct(M::Export)}
            </button>
            {move || export.value().get().map(|r| match r {
                Ok(text) => view! {
                    <a class="button link" data-testid="export-link" download=name.clone()
                        href=format!("data:text/csv;charset=utf-8,{}", urlencode(&text))>
                        {ct(M::Download)} " " {name.clone()}
                    </a>
                }.into_any(),
                Err(e) => view! { <ErrorBox error=e/> }.into_any(),
            })}
        </div>
    }
}

/// The largest file the import reads (the server's limit too).
const IMPORT_MAX_BYTES: f64 = 512.0 * 1024.0;

/// Reads the chosen file into the import text, where the person sees it
/// before importing; a file over the limit is refused here already.
fn read_chosen_file(ev: &leptos::ev::Event, text: RwSignal<String>, too_large: RwSignal<bool>) {
    use leptos::wasm_bindgen::JsCast;
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return;
    };
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        return;
    };
    too_large.set(file.size() > IMPORT_MAX_BYTES);
    if file.size() > IMPORT_MAX_BYTES {
        return;
    }
    let reading = wasm_bindgen_futures::JsFuture::from(file.text());
    leptos::task::spawn_local(async move {
        if let Some(content) = reading.await.ok().and_then(|v| v.as_string()) {
            text.set(content);
        }
    });
}

#[component]
fn ImportForm() -> impl IntoView {
    let refresh = expect_context::<Refresh>();
    let text = RwSignal::new(String::new());
    let file_problem = RwSignal::new(false);
    let import = Action::new(move |_: &()| {
        let t = text.get_untracked();
        async move { import_csv(t).await }
    });
    let last = expect_context::<super::LastImport>().0;
    Effect::new(move |_| {
        if let Some(r) = import.value().get() {
            let ok = r.is_ok();
            last.set(Some(r));
            if ok {
                refresh.bump();
            }
        }
    });
    let result = move || {
        last.get().map(|r| match r {
            Ok(rep) => view! {
                <p class="alert alert-ok" role="status" data-testid="import-result"
                    data-inserted=rep.inserted.to_string() data-duplicates=rep.duplicates.to_string()>
                    {ct(M::Imported)} ": " {rep.inserted}
                    {(rep.duplicates > 0).then(|| format!(" · {} {}", rep.duplicates, ct(M::Duplicates)))}
                </p>
            }
            .into_any(),
            Err(e) => match import_errors(&e) {
                Some(list) => {
                    let items = list
                        .into_iter()
                        .map(|(line, msg)| match line {
                            Some(n) => view! {
                                <li data-testid=format!("import-error-{n}")>{ct(M::Line)} " " {n} ": " {msg}</li>
                            }
                            .into_any(),
                            None => view! { <li data-testid="import-error-file">{msg}</li> }.into_any(),
                        })
                        .collect_view();
                    view! {
                        <div class="alert alert-error" role="alert" data-testid="import-errors">
                            <p>{ct(M::NothingImported)}</p>
                            <ul>{items}</ul>
                        </div>
                    }
                    .into_any()
                }
                None => view! { <ErrorBox error=e/> }.into_any(),
            },
        })
    };
    view! {
        <section class="card">
            <h2>{ct(M::Import)}</h2>
            <p class="muted small">{ct(M::ImportHelp)}</p>
            <form class="stack" data-testid="import-form" on:submit=move |ev| { ev.prevent_default(); import.dispatch(()); }>
                <div class="field">
                    <label for="import-file">{ct(M::ImportChooseFile)}</label>
                    <input id="import-file" type="file" accept=".csv,text/csv" data-testid="import-file"
                        on:change=move |ev| read_chosen_file(&ev, text, file_problem)/>
                    {move || file_problem.get().then(|| view! {
                        <p class="field-error" role="alert" data-testid="import-file-error">{ct(M::ImportFileTooLarge)}</p>
                    })}
                </div>
                <div class="field">
                    <label for="import-csv">{ct(M::ImportText)}</label>
                    <textarea id="import-csv" name="csv" rows="8" spellcheck="false" data-testid="import-csv"
                        placeholder="date,service,amount,currency,kind"
                        prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                </div>
                <button type="submit" class="button primary" data-testid="import-submit"
                    disabled=move || import.pending().get()>{ct(M::ImportButton)}</button>
            </form>
            {result}
        </section>
    }
}

#[component]
fn AddEntryForm() -> impl IntoView {
    let refresh = expect_context::<Refresh>();
    let date = RwSignal::new(String::new());
    let service = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let one_off = RwSignal::new(false);
    let credit = RwSignal::new(false);
    let note = RwSignal::new(String::new());
    let add = Action::new(move |_: &()| {
        let args = (
            date.get_untracked(),
            service.get_untracked(),
            amount.get_untracked(),
            one_off.get_untracked(),
            credit.get_untracked(),
            note.get_untracked(),
        );
        async move {
            add_entry(
                args.0,
                args.1,
                args.2,
                String::new(),
                args.3,
                args.4,
                args.5,
            )
            .await
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            service.set(String::new());
            amount.set(String::new());
            note.set(String::new());
            one_off.set(false);
            credit.set(false);
            refresh.bump();
        }
    });
    let err = move |field: &'static str| {
        move || {
            add.value()
                .get()
                .and_then(|r| r.err())
                .and_then(|e| e.for_field(field).map(tr))
        }
    };
    let general = move || {
        add.value()
            .get()
            .and_then(|r| r.err())
            .filter(|e| {
                ["date", "service", "amount", "currency", "note"]
                    .iter()
                    .all(|f| e.for_field(f).is_none())
            })
            .map(|e| error_text(&e))
    };
    view! {
        <section class="card">
            <h2>{ct(M::AddEntry)}</h2>
            <form class="stack" data-testid="entry-form" on:submit=move |ev| { ev.prevent_default(); add.dispatch(()); }>
                <div class="field">
                    <label for="e-date">{ct(M::Date)}</label>
                    <input id="e-date" type="date" prop:value=move || date.get() on:input=move |ev| date.set(event_target_value(&ev))/>
                    <span class="field-error" data-testid="err-date">{err("date")}</span>
                </div>
                <div class="field">
                    <label for="e-service">{ct(M::Service)}</label>
                    <input id="e-service" prop:value=move || service.get() on:input=move |ev| service.set(event_target_value(&ev))/>
                    <span class="field-error" data-testid="err-service">{err("service")}</span>
                </div>
                <div class="field">
                    <label for="e-amount">{ct(M::Amount)}</label>
                    <input id="e-amount" inputmode="decimal" prop:value=move || amount.get() on:input=move |ev| amount.set(event_target_value(&ev))/>
                    <span class="field-error" data-testid="err-amount">{err("amount")}</span>
                </div>
                <label class="check">
                    <input type="checkbox" prop:checked=move || one_off.get() on:change=move |ev| one_off.set(event_target_checked(&ev))/>
                    " " {ct(M::OneOffHint)}
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=move || credit.get() on:change=move |ev| credit.set(event_target_checked(&ev))/>
                    " " {ct(M::CreditHint)}
                </label>
                <div class="field">
                    <label for="e-note">{ct(M::Note)}</label>
                    <input id="e-note" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))/>
                    <span class="field-error">{err("note")}</span>
                </div>
                <p class="alert alert-error" role="alert" hidden=move || general().is_none()>{general}</p>
                <button type="submit" class="button primary" data-testid="add-entry" disabled=move || add.pending().get()>
                    {ct(M::AddEntryButton)}
                </button>
            </form>
        </section>
    }
}
