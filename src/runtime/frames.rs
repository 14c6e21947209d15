//! The other end of host.rs: this page embedding the lab's own demos in frames (the guided page).
//! It reads their `height` events, so each frame is exactly as tall as its demo, and their `ready`
//! events, answering `set-language` to a frame running in another language than the page's. The frames allow commands from this origin through
//! their `hosts=` (frame_src).

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use super::host::{PROTOCOL, VERSION, field, is_ours};
use super::url;
use crate::i18n::Lang;

/// This page's origin: the frames' `hosts=`, and the only origin whose events are read.
fn own_origin() -> Option<String> {
    web_sys::window()?.location().origin().ok()
}

/// The address of `demo` alone, in `lang`, for a frame of this page.
pub fn frame_src(demo: &str, lang: Lang) -> String {
    let hosts = own_origin().unwrap_or_default();
    url::href(&[
        ("demo", demo),
        ("embed", "1"),
        ("lang", lang.id()),
        ("hosts", &hosts),
    ])
}

/// What a frame of this page reported.
pub enum FrameEvent {
    /// The demo's content is this many pixels tall.
    Height(u32),
    /// The demo is running, in this language (sent once it mounts and after each switch).
    Ready(Lang),
}

/// Calls `on_event(demo, event)` for every `height` and `ready` event a frame of this origin
/// sends, until the returned listener is dropped.
pub fn listen(on_event: impl Fn(&str, FrameEvent) + 'static) -> Option<FrameListener> {
    let window = web_sys::window()?;
    let origin = own_origin()?;
    let callback =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if ev.origin() != origin {
                return;
            }
            let data = ev.data();
            let ours =
                is_ours(&data) && field(&data, "version").as_f64() == Some(f64::from(VERSION));
            let Some(demo) = field(&data, "demo").as_string().filter(|_| ours) else {
                return;
            };
            let event = match field(&data, "type").as_string().as_deref() {
                Some("height") => field(&data, "height")
                    .as_f64()
                    .map(|h| FrameEvent::Height(h as u32)),
                Some("ready") => field(&data, "lang")
                    .as_string()
                    .map(|id| FrameEvent::Ready(Lang::from_id(Some(&id)))),
                _ => None,
            };
            if let Some(event) = event {
                on_event(&demo, event);
            }
        });
    window
        .add_event_listener_with_callback("message", callback.as_ref().unchecked_ref())
        .ok()?;
    Some(FrameListener { callback })
}

/// A registered frame listener; dropping it removes it from the window.
pub struct FrameListener {
    callback: Closure<dyn Fn(web_sys::MessageEvent)>,
}

impl Drop for FrameListener {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            let _ = window.remove_event_listener_with_callback(
                "message",
                self.callback.as_ref().unchecked_ref(),
            );
        }
    }
}

/// Asks the demo in `frame` to switch to `lang`. A frame whose demo has not started yet misses
/// it; its `ready` event then says which language it started in.
pub fn send_language(frame: &web_sys::HtmlIFrameElement, lang: Lang) {
    let (Some(target), Some(origin)) = (frame.content_window(), own_origin()) else {
        return;
    };
    let message = js_sys::Object::new();
    for (key, value) in [
        ("protocol", wasm_bindgen::JsValue::from_str(PROTOCOL)),
        ("version", VERSION.into()),
        ("type", "set-language".into()),
        ("lang", lang.id().into()),
    ] {
        let _ = js_sys::Reflect::set(&message, &key.into(), &value);
    }
    let _ = target.post_message(&message, &origin);
}
