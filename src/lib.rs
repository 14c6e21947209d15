//! Open Model Lab: the in-browser companion of the article. See ARCHITECTURE.md for the map.
//!
//! - [`app`]: the shell (layout, language, backend picker, demo routing).
//! - [`demos`]: one module per article section, registered in [`demos::all`].
//! - [`guide`]: the guided start page, every demo in the article's order.
//! - [`widgets`]: charts and maps every demo shares.
//! - [`runtime`]: what the browser adds to lab-core: device choice, frames, the URL.
//! - [`worker_program`]: the lab's Web Worker, which runs the page's heavy requests.

pub mod app;
pub mod demos;
pub mod guide;
pub mod i18n;
pub mod runtime;
pub mod widgets;
pub mod worker_program;

// The crate's own unit tests run where the crate runs, in headless Chromium (the wasm stage of
// `cargo xtask test`): built natively, the web crate would compile its whole dependency tree a
// second time with other features only for them.
#[cfg(all(test, target_arch = "wasm32"))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// Mounts the app on the page's body.
pub fn mount() {
    runtime::crash::install();
    runtime::offline::register_worker();
    if let Some(placeholder) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("loading"))
    {
        placeholder.remove();
    }
    leptos::mount::mount_to_body(app::App);
}
