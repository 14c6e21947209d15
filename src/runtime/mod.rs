//! What the browser adds to the ML core: picking the device, pacing work by frames, the URL,
//! fetching and caching large assets, the lab's worker.

pub mod backend;
pub mod crash;
pub mod debounce;
pub mod download;
pub mod frame;
pub mod frames;
pub mod host;
pub mod job;
pub mod model_asset;
mod model_list;
pub mod modules;
pub mod offline;
pub mod photo;
pub mod remote_model;
pub mod save_file;
pub mod url;
pub mod worker;

/// The message of a JavaScript error value, for showing to the visitor.
pub fn js_error_text(value: &wasm_bindgen::JsValue) -> String {
    use wasm_bindgen::JsCast;
    value
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| value.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

/// The bytes of a file or blob the visitor (or the embedding article) handed over.
pub async fn blob_bytes(blob: &web_sys::Blob) -> Result<Vec<u8>, String> {
    let buffer = wasm_bindgen_futures::JsFuture::from(blob.array_buffer())
        .await
        .map_err(|e| js_error_text(&e))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// `bytes` as a blob, to hand to the lab's worker as a file would be.
pub fn bytes_blob(bytes: &[u8]) -> Result<web_sys::Blob, String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(|e| js_error_text(&e))
}
