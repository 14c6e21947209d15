//! Handing the visitor a file the page made (a chart as PNG, trained weights): an `<a download>`
//! on a `blob:` address, clicked once. Nothing leaves the page; the browser saves the bytes.

use std::time::Duration;

use leptos::prelude::set_timeout;
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

use super::js_error_text;

/// What to save: bytes made in wasm, or a blob the browser already holds (`canvas.toBlob`).
pub enum Contents<'a> {
    Bytes(&'a [u8]),
    Blob(Blob),
}

impl<'a> From<&'a [u8]> for Contents<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Contents::Bytes(bytes)
    }
}

impl<'a> From<&'a Vec<u8>> for Contents<'a> {
    fn from(bytes: &'a Vec<u8>) -> Self {
        Contents::Bytes(bytes)
    }
}

impl From<Blob> for Contents<'_> {
    fn from(blob: Blob) -> Self {
        Contents::Blob(blob)
    }
}

/// Offers `contents` as a download named `file_name`; `mime` types bytes (a blob keeps its own
/// type). The error is the browser's, for the caller to show.
pub fn offer<'a>(
    contents: impl Into<Contents<'a>>,
    file_name: &str,
    mime: &str,
) -> Result<(), String> {
    let blob = match contents.into() {
        Contents::Blob(blob) => blob,
        Contents::Bytes(bytes) => {
            let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
            let options = BlobPropertyBag::new();
            options.set_type(mime);
            Blob::new_with_u8_array_sequence_and_options(&parts, &options)
                .map_err(|e| js_error_text(&e))?
        }
    };
    let address = Url::create_object_url_with_blob(&blob).map_err(|e| js_error_text(&e))?;
    let link: HtmlAnchorElement = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?
        .create_element("a")
        .map_err(|e| js_error_text(&e))?
        .dyn_into()
        .map_err(|_| "not an anchor".to_string())?;
    link.set_href(&address);
    link.set_download(file_name);
    link.click();
    // Revoked once the browser has started reading it; revoking at once can cancel the save.
    set_timeout(
        move || {
            let _ = Url::revoke_object_url(&address);
        },
        Duration::from_secs(10),
    );
    Ok(())
}
