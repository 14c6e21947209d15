//! The site's two builds of this crate (ARCHITECTURE.md, "The first module"). A page of the 1.x
//! demos, or the tour, loads the first module: CPU (flex) only, without the 2.x demos' code. A
//! page that names a 2.x demo, WebGPU or ndarray loads the full module. The page's loader
//! (www/module-loader.js, which `cargo xtask finish-site` writes into index.html) picks one from
//! the address before anything downloads; this side says which one runs, and moves the page to
//! the full module when the reader asks for something only it has. The full module is built with
//! relaxed SIMD (ARCHITECTURE.md, "Relaxed SIMD"), whose CPU kernels fuse their multiply-adds,
//! for a browser that has it; the loader gives the others that build with its relaxed
//! instructions lowered to simd128 (xtask/src/simd128.rs).

use leptos::prelude::*;

use crate::i18n::tr;
use crate::runtime::url;

/// Whether this is the full module (the web crate's `full` feature).
pub const IS_FULL: bool = cfg!(feature = "full");

/// The address parameter that sends any page to the full module (the loader reads it too).
const MODULE_KEY: &str = "module";
const FULL: &str = "full";

/// Reloads this address: the loader then picks the module that it names (the caller has just set
/// what needs the full module, e.g. `backend=webgpu`, in the address).
pub fn reload() {
    if let Some(window) = web_sys::window() {
        // Fails only where the page may not navigate itself (a sandboxed frame), which the lab's
        // own pages are not.
        let _ = window.location().reload();
    }
}

/// What the first module shows in place of a demo whose code only the full module has. The
/// loader sends such an address to the full module, so this appears only if the loader's list
/// and the registry disagree (a test keeps them equal); the link still gets the reader there.
pub fn elsewhere() -> AnyView {
    let lang = crate::i18n::use_lang();
    let href = move || {
        let demo = url::query("demo").unwrap_or_default();
        url::href(&[
            ("demo", &demo),
            (MODULE_KEY, FULL),
            ("lang", lang.get().id()),
        ])
    };
    view! {
        <p class="notice" role="alert" data-testid="full-module-needed">
            {tr(
                "这个演示的代码在实验室的完整模块里（模型、分词器和 WebGPU），这一页加载的是 1.x 演示的精简模块。",
                "This demo's code is in the lab's full module (the models, the tokenizer and WebGPU); this page loaded the 1.x demos' small module.",
            )}" "
            <a href=href>{tr("加载完整模块", "Load the full module")}</a>
        </p>
    }
    .into_any()
}
