//! Browser entry point: hydrates what the server rendered.

// Release builds keep each component's concrete view type (debug builds erase
// them with `--cfg erase_components`), and rustc computes the layout of the
// hydration future over the whole nested type — the admin page's sections
// alone go 130 levels deep, past the default limit of 128. 512 leaves room for
// the area pages to come; the choice against erasing types in release is
// measured in README ("Production build") and docs/decisions/0010.
#![recursion_limit = "512"]

/// Called by the generated JS once the WASM module is loaded.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(opsdeck_app::App);
}
