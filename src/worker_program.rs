//! The lab's Web Worker: the page's own program, whose `main` (src/main.rs) runs [`serve`] when it
//! finds no window, answering the page's requests (runtime/worker.rs) off the page's thread. Each
//! operation belongs to the module that also holds its page side; this file only reads the
//! envelope and dispatches.

use js_sys::{Array, Object};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[cfg(feature = "full")]
use crate::demos::{classify, text};
use crate::runtime::photo;
use crate::runtime::worker::{get, set};

#[wasm_bindgen]
extern "C" {
    /// The worker's own `postMessage`, to the page that started it.
    #[wasm_bindgen(js_name = postMessage)]
    fn post_to_page(message: &JsValue, transfer: &Array);
}

/// Answers the page's requests for as long as the worker lives, and tells the page it is ready.
pub fn serve() {
    // A panic's message reaches the console before the abort that stops this worker; the page
    // sees the abort as the worker's error event.
    std::panic::set_hook(Box::new(console_error_panic_hook::hook));
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(|event: web_sys::MessageEvent| {
            wasm_bindgen_futures::spawn_local(answer(event.data()));
        });
    let scope: web_sys::EventTarget = js_sys::global().unchecked_into();
    let _ = scope.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
    // The listener lives as long as the worker.
    on_message.forget();
    let ready = Object::new();
    set(&ready, "ready", &JsValue::TRUE);
    post_to_page(&ready, &Array::new());
}

async fn answer(request: JsValue) {
    let op = get(&request, "op").as_string().unwrap_or_default();
    let answer = match op.as_str() {
        photo::DECODE_OP => Some(photo::decode_here(&request).await),
        _ => model_op(&op, &request).await,
    };
    let (value, transfer) = answer.unwrap_or_else(|| {
        // Only the page's own runtime/worker.rs writes here, so this is a mismatch of builds.
        web_sys::console::warn_1(&format!("the lab's worker has no operation {op:?}").into());
        (JsValue::UNDEFINED, Array::new())
    });
    let reply = Object::new();
    set(&reply, "id", &get(&request, "id"));
    set(&reply, "value", &value);
    let memory = wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length();
    set(&reply, "memory", &f64::from(memory).into());
    post_to_page(&reply, &transfer);
}

/// The 2.x demos' operations, `None` for an unknown one. Only the full module has their code
/// (runtime/modules.rs): the first module's pages start a worker for photos alone (1.3).
#[cfg(feature = "full")]
async fn model_op(op: &str, request: &JsValue) -> Option<(JsValue, Array)> {
    Some(match op {
        classify::LOAD_OP => classify::load_here(request).await,
        classify::RUN_OP => classify::run_here(request).await,
        text::LOAD_OP => text::load_here(request).await,
        text::ANALYSE_OP => text::analyse_here(request).await,
        text::FILL_OP => text::fill_here(request).await,
        text::VECTORS_OP => text::vectors_here(request).await,
        _ => return None,
    })
}

#[cfg(not(feature = "full"))]
async fn model_op(_op: &str, _request: &JsValue) -> Option<(JsValue, Array)> {
    None
}
