//! The other end of host.rs: this page embedding the lab's own demos in frames (the guided page).
//! It reads their `height` events, so each frame is exactly as tall as its demo, and sends them
//! `set-language`, so they follow the page. The frames allow commands from this origin through
//! their `hosts=` (frame_src).

use std::rc::Rc;

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

/// Calls `on_height(demo, height)` for every `height` event a frame of this origin sends, until
/// the returned listener is dropped.
pub fn listen_heights(on_height: impl Fn(&str, u32) + 'static) -> Option<HeightListener> {
    let window = web_sys::window()?;
    let origin = own_origin()?;
    let on_height = Rc::new(on_height);
    let callback =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if ev.origin() != origin {
                return;
            }
            let data = ev.data();
            let ours = is_ours(&data)
                && field(&data, "version").as_f64() == Some(f64::from(VERSION))
                && field(&data, "type").as_string().as_deref() == Some("height");
            if let (true, Some(demo), Some(height)) = (
                ours,
                field(&data, "demo").as_string(),
                field(&data, "height").as_f64(),
            ) {
                on_height(&demo, height as u32);
            }
        });
    window
        .add_event_listener_with_callback("message", callback.as_ref().unchecked_ref())
        .ok()?;
    Some(HeightListener { callback })
}

/// A registered height listener; dropping it removes it from the window.
pub struct HeightListener {
    callback: Closure<dyn Fn(web_sys::MessageEvent)>,
}

impl Drop for HeightListener {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            let _ = window.remove_event_listener_with_callback(
                "message",
                self.callback.as_ref().unchecked_ref(),
            );
        }
    }
}

/// Asks the demo in `frame` to switch to `lang` (a frame not loaded yet gets it from its address).
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
