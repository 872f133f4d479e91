//! Previous / next links for paginated lists; plain links, so they work without JavaScript.

use crate::i18n::Msg;
use crate::tr;
use leptos::prelude::*;

/// `href_for(page)` builds the link of a page number.
#[component]
pub fn Pager(
    page: u32,
    page_count: u32,
    href_for: impl Fn(u32) -> String + 'static,
) -> impl IntoView {
    let prev = (page > 1)
        .then(|| view! { <a class="button" href=href_for(page - 1)>"← " {tr(Msg::Previous)}</a> });
    let next = (page < page_count)
        .then(|| view! { <a class="button" href=href_for(page + 1)>{tr(Msg::Next)} " →"</a> });
    view! {
        <nav class="pager" aria-label="pagination">
            {prev}
            <span>{tr(Msg::PageOf)} " " {page} " / " {page_count}</span>
            {next}
        </nav>
    }
}
