//! "Copy link": the page's address, where every demo keeps its state (`runtime::url`), put on
//! the clipboard. Where the clipboard is refused or missing (an insecure origin, a denied
//! permission), the link is shown selected in a read-only field to copy by hand.

use std::time::Duration;

use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::i18n::tr;

/// How long "Link copied" stays: long enough to read, gone before the state changes much.
const CONFIRMATION: Duration = Duration::from_secs(4);

#[derive(Clone, PartialEq)]
enum Sharing {
    Idle,
    Copied,
    /// The clipboard refused; the address to copy by hand.
    ByHand(String),
}

#[component]
pub fn CopyLink() -> impl IntoView {
    let state = RwSignal::new(Sharing::Idle);
    let shown = NodeRef::<Input>::new();
    let copies = StoredValue::new(0u32);
    let copy = move |_| {
        let Some(address) = web_sys::window().and_then(|w| w.location().href().ok()) else {
            return;
        };
        copies.update_value(|n| *n += 1);
        let this = copies.get_value();
        spawn_local(async move {
            match write_clipboard(&address).await {
                Ok(()) => {
                    state.set(Sharing::Copied);
                    set_timeout(
                        move || {
                            // A newer copy keeps its own confirmation.
                            if copies.try_get_value() == Some(this) {
                                state.try_set(Sharing::Idle);
                            }
                        },
                        CONFIRMATION,
                    );
                }
                Err(_) => state.set(Sharing::ByHand(address)),
            }
        });
    };
    let select_all = |ev: leptos::ev::FocusEvent| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        input.select();
    };
    Effect::new(move |_| {
        if let Some(input) = shown.get() {
            // Focused and selected: a visitor's next Ctrl+C (or the phone's copy) takes it all.
            let _ = input.focus();
            input.select();
        }
    });
    view! {
        <div class="share">
            <button data-testid="copy-link" on:click=copy>{tr("复制链接", "Copy link")}</button>
            {move || match state.get() {
                Sharing::Idle => ().into_any(),
                Sharing::Copied => view! {
                    <span class="hint" role="status" data-testid="link-copied">{tr("链接已复制", "Link copied")}</span>
                }.into_any(),
                Sharing::ByHand(address) => view! {
                    <label class="hint" data-testid="link-by-hand">
                        {tr("无法写入剪贴板，请手动复制这个链接：", "The clipboard is not available; copy this link by hand: ")}
                        <input type="text" readonly=true node_ref=shown data-testid="link-field" value=address
                            on:focus=select_all />
                    </label>
                }.into_any(),
            }}
        </div>
    }
}

/// `navigator.clipboard.writeText(text)`, or an error where there is no clipboard.
async fn write_clipboard(text: &str) -> Result<(), JsValue> {
    let navigator = web_sys::window().ok_or(JsValue::NULL)?.navigator();
    let clipboard = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))?;
    if clipboard.is_undefined() || clipboard.is_null() {
        return Err(JsValue::NULL);
    }
    let clipboard: web_sys::Clipboard = clipboard.unchecked_into();
    JsFuture::from(clipboard.write_text(text)).await.map(drop)
}
