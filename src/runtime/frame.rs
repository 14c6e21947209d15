//! Pacing work by animation frames, so heavy loops yield to the page between chunks.

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

/// A flag that turns false when the calling component is unmounted, so that a frame loop it
/// spawned can end instead of running on for a view nobody sees.
pub fn mounted_flag() -> std::sync::Arc<std::sync::atomic::AtomicBool> {
    let mounted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let flag = mounted.clone();
    leptos::prelude::on_cleanup(move || flag.store(false, std::sync::atomic::Ordering::Relaxed));
    mounted
}

/// Hands the thread back to the page once the work since the last hand-back has outlasted a
/// budget. Long synchronous work cut into pieces (a CPU forward pass, stage by stage) then keeps
/// the page drawing and answering input, without paying a whole frame for every piece.
pub struct FrameBudget {
    budget_ms: f64,
    since: f64,
}

impl FrameBudget {
    pub fn new(budget_ms: f64) -> Self {
        Self {
            budget_ms,
            since: now_ms(),
        }
    }

    /// Waits for the next frame if the budget is spent.
    pub async fn checkpoint(&mut self) {
        if now_ms() - self.since >= self.budget_ms {
            next_frame().await;
            self.since = now_ms();
        }
    }
}
