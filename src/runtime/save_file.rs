//! Offers bytes made in the page as a file to save: a Blob behind an object URL, clicked through
//! an `<a download>` that never joins the page, the URL revoked once the click has handed it over.

use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

use crate::runtime::js_error_text;

/// Offers `bytes` as `file_name` of type `mime`; the error is the browser's, as text.
pub fn offer(bytes: &[u8], file_name: &str, mime: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|e| js_error_text(&e))?;
    let url = Url::create_object_url_with_blob(&blob).map_err(|e| js_error_text(&e))?;
    let link: HtmlAnchorElement = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?
        .create_element("a")
        .map_err(|e| js_error_text(&e))?
        .unchecked_into();
    link.set_href(&url);
    link.set_download(file_name);
    link.click();
    // The click has started the download with its own reference to the blob.
    Url::revoke_object_url(&url).map_err(|e| js_error_text(&e))
}
