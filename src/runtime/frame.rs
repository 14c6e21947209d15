//! The page's clock and frames, which [`super::job::Job`] paces work by, and whether WebGPU
//! exists.

use wasm_bindgen::prelude::*;

/// Resolves at the browser's next animation frame.
pub async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let window = web_sys::window().expect("a window");
        window
            .request_animation_frame(&resolve)
            .expect("requestAnimationFrame is available");
    });
    // A rejected frame request only means the page is going away; there is nothing to undo.
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Milliseconds since the page loaded, with sub-millisecond precision.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// Whether the browser exposes WebGPU at all (`navigator.gpu`).
pub fn has_webgpu() -> bool {
    web_sys::window()
        .map(|w| js_sys::Reflect::has(&w.navigator(), &JsValue::from_str("gpu")).unwrap_or(false))
        .unwrap_or(false)
}
