//! Fetching large static assets (model weights): streamed with progress, checked before use, and
//! kept in the browser's Cache API so that a second or offline visit loads from disk.
//!
//! The check is the caller's (a model asset checks size and sha256 against its manifest), so this
//! module knows nothing of any format. A cached copy that fails the check is deleted and fetched
//! again; a fresh download that fails it is reported and never cached.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, ReadableStreamDefaultReader, Response};

use lab_core::asset::Verified;
use leptos::prelude::{RwSignal, Set};

use super::frame::now_ms;
use super::js_error_text;
use crate::i18n::{Lang, Message};

/// One Cache API bucket for every asset; bump the suffix when the layout of cached entries changes.
pub(super) const ASSET_CACHE: &str = "open-model-lab-assets-v1";

/// How far a download has come.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Progress {
    pub loaded: u64,
    /// From the manifest, else the Content-Length header; None when neither says.
    pub total: Option<u64>,
    pub elapsed_ms: f64,
}

impl Progress {
    pub fn fraction(&self) -> Option<f64> {
        self.total
            .filter(|&t| t > 0)
            .map(|t| (self.loaded as f64 / t as f64).min(1.0))
    }

    pub fn bytes_per_second(&self) -> f64 {
        if self.elapsed_ms <= 0.0 {
            0.0
        } else {
            self.loaded as f64 * 1000.0 / self.elapsed_ms
        }
    }
}

/// Where the bytes came from, and whether they were kept for the next visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Downloaded and kept in the Cache API.
    Network,
    /// Downloaded, used from memory for this visit only.
    NotKept(NotKept),
    Cache,
}

/// Why a download was not kept: the page goes on from memory, and says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotKept {
    /// This page has no Cache API: plain http on a LAN address, `file://`, some private modes.
    NoStorage,
    /// The browser refused to store it (a full quota, `QuotaExceededError`): its words.
    Refused(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum DownloadError {
    /// The request could not be made or broke off (offline, connection lost).
    Network(String),
    /// The server answered with an error status.
    Status(u16),
    /// The bytes arrived but are not the expected ones (corrupt or truncated).
    Check(String),
}

impl std::fmt::Display for DownloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DownloadError::Network(why) => write!(f, "network error: {why}"),
            // A missing model most often means a site still being prepared: `cargo xtask serve`
            // serves the page while the models convert, and adds them when they are done.
            DownloadError::Status(404) => write!(
                f,
                "the server answered HTTP 404: the file is not on the server (a site that `cargo xtask serve` is still preparing gets its models when their conversion ends: reload then)"
            ),
            DownloadError::Status(code) => write!(f, "the server answered HTTP {code}"),
            DownloadError::Check(why) => write!(f, "{why}"),
        }
    }
}

/// The checked bytes of `url`, from the cache when a copy there passes `check`, else from the
/// network (streamed, reporting progress), checked, then cached. `check` takes the bytes and
/// returns them checked (a model asset's [`lab_core::asset::Verified`]), so they are checked once
/// per load. `expected_size` drives the progress bar when known.
pub async fn fetch_checked<T: AsRef<[u8]>>(
    url: &str,
    expected_size: Option<u64>,
    check: impl Fn(Vec<u8>) -> Result<T, String>,
    mut on_progress: impl FnMut(Progress),
) -> Result<(T, Origin), DownloadError> {
    let cache = open_cache().await;
    if let Some(cache) = &cache
        && let Some(bytes) = cached_bytes(cache, url).await
    {
        let size = bytes.len() as u64;
        if let Ok(checked) = check(bytes) {
            on_progress(Progress {
                loaded: size,
                total: Some(size),
                elapsed_ms: 0.0,
            });
            return Ok((checked, Origin::Cache));
        }
        // A damaged cached copy must not shadow a good download.
        let _ = JsFuture::from(cache.delete_with_str(url)).await;
    }
    let response = fetch_response(url).await?;
    let bytes = read_body(&response, expected_size, &mut on_progress).await?;
    let checked = check(bytes).map_err(DownloadError::Check)?;
    // Caching is a bonus: a full disk or a private window must not fail the load.
    let origin = match &cache {
        Some(cache) => match put(cache, url, checked.as_ref()).await {
            Ok(()) => Origin::Network,
            Err(why) => Origin::NotKept(NotKept::Refused(js_error_name(&why))),
        },
        None => Origin::NotKept(NotKept::NoStorage),
    };
    Ok((checked, origin))
}

/// A data file the site serves, pinned by size and sha256 (a demo's dataset): fetched with
/// [`fetch_checked`], its progress shown in `loading` by file name, a failure turned into a
/// message that names `what` (zh, en; the English capitalised, it starts the sentence).
pub async fn fetch_pinned(
    url: &str,
    (file, size, sha256): (&str, u64, &str),
    what: (&str, &str),
    lang: Lang,
    loading: RwSignal<Option<String>>,
) -> Result<Verified, Message> {
    let (bytes, _) = fetch_checked(
        url,
        Some(size),
        |bytes| Verified::check(file, size, sha256, bytes).map_err(|e| e.to_string()),
        |progress| {
            let percent = progress.fraction().map_or(0.0, |f| f * 100.0);
            loading.set(Some(match lang {
                Lang::Zh => format!("正在下载 {file}：{percent:.0}%"),
                Lang::En => format!("Downloading {file}: {percent:.0}%"),
            }));
        },
    )
    .await
    .map_err(|e| {
        Message::new(
            format!("{}无法载入：{e}", what.0),
            format!("{} could not be loaded: {e}", what.1),
        )
    })?;
    Ok(bytes)
}

/// A small text file (a manifest) that must be current when online: the network first, the cache
/// when offline. Returns where it came from.
pub async fn fetch_text_fresh(url: &str) -> Result<(String, Origin), DownloadError> {
    let cache = open_cache().await;
    let network = match fetch_bytes(url).await {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| DownloadError::Check(format!("{url} is not UTF-8 text"))),
        Err(err) => Err(err),
    };
    match network {
        Ok(text) => {
            if let Some(cache) = &cache {
                let _ = put(cache, url, text.as_bytes()).await;
            }
            Ok((text, Origin::Network))
        }
        Err(err @ DownloadError::Network(_)) => {
            let cached = match &cache {
                Some(cache) => cached_bytes(cache, url).await,
                None => None,
            };
            match cached.and_then(|bytes| String::from_utf8(bytes).ok()) {
                Some(text) => Ok((text, Origin::Cache)),
                None => Err(err),
            }
        }
        Err(err) => Err(err),
    }
}

/// A small same-origin file, straight from the network (no cache, no progress).
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, DownloadError> {
    let response = fetch_response(url).await?;
    read_body(&response, None, &mut |_| {}).await
}

async fn open_cache() -> Option<Cache> {
    let opened = cache_storage()?.open(ASSET_CACHE);
    JsFuture::from(opened).await.ok()?.dyn_into().ok()
}

/// The page's Cache API, when it has one. It is absent outside secure contexts and in some
/// private modes, where `window.caches` is undefined rather than an error; calling `open` on it
/// would throw out of a loader, which would then wait for ever.
pub(super) fn cache_storage() -> Option<web_sys::CacheStorage> {
    web_sys::window()?.caches().ok().filter(|c| c.is_object())
}

/// The name of a DOMException (`QuotaExceededError`), else the error's message.
fn js_error_name(value: &JsValue) -> String {
    value
        .dyn_ref::<web_sys::DomException>()
        .map(|e| e.name())
        .unwrap_or_else(|| js_error_text(value))
}

async fn cached_bytes(cache: &Cache, url: &str) -> Option<Vec<u8>> {
    let found = JsFuture::from(cache.match_with_str(url)).await.ok()?;
    let response: Response = found.dyn_into().ok()?;
    let buffer = JsFuture::from(response.array_buffer().ok()?).await.ok()?;
    Some(Uint8Array::new(&buffer).to_vec())
}

async fn put(cache: &Cache, url: &str, bytes: &[u8]) -> Result<(), JsValue> {
    let body = Uint8Array::from(bytes);
    let response = Response::new_with_opt_buffer_source(Some(&body))?;
    JsFuture::from(cache.put_with_str(url, &response))
        .await
        .map(|_| ())
}

async fn fetch_response(url: &str) -> Result<Response, DownloadError> {
    let window = web_sys::window().ok_or_else(|| DownloadError::Network("no window".into()))?;
    let response: Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| DownloadError::Network(js_error_text(&e)))?
        .dyn_into()
        .map_err(|_| DownloadError::Network("fetch did not return a Response".into()))?;
    if !response.ok() {
        return Err(DownloadError::Status(response.status()));
    }
    Ok(response)
}

/// Reads the body chunk by chunk so that progress can be shown; each chunk is an await, so the
/// page stays responsive however large the file.
async fn read_body(
    response: &Response,
    expected_size: Option<u64>,
    on_progress: &mut impl FnMut(Progress),
) -> Result<Vec<u8>, DownloadError> {
    let total = expected_size.or_else(|| {
        response
            .headers()
            .get("content-length")
            .ok()
            .flatten()
            .and_then(|v| v.parse().ok())
    });
    let started = now_ms();
    let Some(body) = response.body() else {
        return Ok(Vec::new());
    };
    let reader: ReadableStreamDefaultReader = body
        .get_reader()
        .dyn_into()
        .map_err(|_| DownloadError::Network("the body has no default reader".into()))?;
    let mut bytes = Vec::with_capacity(total.unwrap_or(0).min(1 << 30) as usize);
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| DownloadError::Network(js_error_text(&e)))?;
        let done = Reflect::get(&chunk, &"done".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        if done {
            break;
        }
        if let Ok(value) = Reflect::get(&chunk, &"value".into()) {
            bytes.extend_from_slice(&Uint8Array::new(&value).to_vec());
        }
        on_progress(Progress {
            loaded: bytes.len() as u64,
            total,
            elapsed_ms: now_ms() - started,
        });
    }
    Ok(bytes)
}
