//! The last resort when the wasm program itself dies. The release build aborts on panic, and an
//! abort or an out-of-memory trap leaves wasm unable to go on: without this the page would sit
//! frozen with no word. A panic hook and a listener for WebAssembly traps both put the same
//! bilingual overlay over the page, with the error and a reload link. The link is plain HTML, so
//! it works with the program dead, and the URL keeps the demo and its settings for the reload.

use std::sync::Once;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

/// The overlay's id: shown once, however many errors follow the first.
pub const OVERLAY_ID: &str = "crash-overlay";
/// The overlay heading's id, which names the dialog.
const TITLE_ID: &str = "crash-title";

/// Installs the panic hook and the trap listener; call once, first thing.
pub fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            console_error_panic_hook::hook(info);
            show(&info.to_string());
        }));
        let Some(window) = web_sys::window() else {
            return;
        };
        // An abort after a panic, and an allocation that fails, reach the page as an uncaught
        // WebAssembly.RuntimeError from whichever callback ran.
        let on_error = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(|event: web_sys::ErrorEvent| {
            if event
                .error()
                .is_instance_of::<js_sys::WebAssembly::RuntimeError>()
            {
                show(&event.message());
            }
        });
        let _ = window.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref());
        // The listener lives as long as the page.
        on_error.forget();
    });
}

/// Puts the overlay over the page, unless one is already there.
pub fn show(detail: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.get_element_by_id(OVERLAY_ID).is_some() {
        return;
    }
    let Some(body) = document.body() else {
        return;
    };
    let build = || -> Option<web_sys::Element> {
        let overlay = document.create_element("div").ok()?;
        overlay.set_id(OVERLAY_ID);
        overlay.set_attribute("role", "alertdialog").ok()?;
        // A dialog is named by its heading and, being over a dead page, is all there is to use.
        overlay.set_attribute("aria-modal", "true").ok()?;
        overlay.set_attribute("aria-labelledby", TITLE_ID).ok()?;
        overlay.set_attribute("data-testid", OVERLAY_ID).ok()?;
        let panel = document.create_element("div").ok()?;
        let here = web_sys::window()?.location().href().ok()?;
        for (tag, text) in [
            (
                "h2",
                "页面出错，已停止运行 · The page hit an error and stopped",
            ),
            (
                "p",
                "重新载入即可继续，演示和设置都在网址里。 · Reload to carry on: the demo and its settings are kept in the address.",
            ),
            ("pre", detail),
            ("a", "重新载入 · Reload"),
        ] {
            let part = document.create_element(tag).ok()?;
            part.set_text_content(Some(text));
            if tag == "h2" {
                part.set_id(TITLE_ID);
            }
            if tag == "a" {
                part.set_attribute("href", &here).ok()?;
                part.set_attribute("data-testid", "crash-reload").ok()?;
            }
            panel.append_child(&part).ok()?;
        }
        overlay.append_child(&panel).ok()?;
        Some(overlay)
    };
    if let Some(overlay) = build() {
        let _ = body.append_child(&overlay);
        // The keyboard starts on the one thing left to do, the reload link.
        if let Some(reload) = document
            .query_selector("[data-testid=crash-reload]")
            .ok()
            .flatten()
            .and_then(|link| link.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = reload.focus();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn the_overlay_shows_the_error_once_with_a_reload_link_to_this_address() {
        show("first");
        show("second");
        let document = web_sys::window().unwrap().document().unwrap();
        let overlays = document
            .query_selector_all(&format!("#{OVERLAY_ID}"))
            .unwrap();
        assert_eq!(overlays.length(), 1);
        let overlay = document.get_element_by_id(OVERLAY_ID).unwrap();
        assert!(overlay.text_content().unwrap().contains("first"));
        assert!(!overlay.text_content().unwrap().contains("second"));
        let link = overlay.query_selector("a").unwrap().unwrap();
        let here = web_sys::window().unwrap().location().href().unwrap();
        assert_eq!(link.get_attribute("href").as_deref(), Some(here.as_str()));
        overlay.remove();
    }
}
