//! Browser entry point: hydrates what the server rendered.

// scripts/lib.sh builds both debug and release with `--cfg erase_components`
// (measured: the release WASM is smaller and compiles faster that way). A
// build that keeps each component's concrete view type — a plain
// `cargo leptos build --release` without the scripts — makes rustc compute the
// layout of a hydration future nested through every view: the admin page alone
// went 130 levels deep, past the default limit of 128. The raised limit keeps
// that build compiling too, with room for the area pages to come.
#![recursion_limit = "512"]

/// Called by the generated JS once the WASM module is loaded.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Some pages are lazy-loaded chunks (`lazy_page!` in the app crate): the
    // async hydration waits for the current page's chunk before it hydrates.
    leptos::mount::hydrate_lazy(opsdeck_app::App);
}
