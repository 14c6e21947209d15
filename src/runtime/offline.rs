//! What this device keeps of the lab: the service worker's offline copy of the app shell
//! (www/sw.js) and the models and data the page kept in its own cache (download.rs), listed by
//! folder so the visitor can see their size and delete them.

use js_sys::{Array, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, CacheStorage, Request, Response};

use super::download::{ASSET_CACHE, cache_storage};
use super::js_error_text;

/// The shell caches' common prefix, as www/sw.js names them (`PREFIX` there).
const SHELL_CACHE_PREFIX: &str = "open-model-lab-shell-";

/// Registers the offline copy's worker. Where there is none to register (plain http on a LAN
/// address, `file://`, a browser or test that blocks them) the lab works as before, online only.
pub fn register_worker() {
    if !workers_available() {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let registering = window.navigator().service_worker().register("sw.js");
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(why) = JsFuture::from(registering).await {
            web_sys::console::warn_1(
                &format!("the offline copy is not available: {}", js_error_text(&why)).into(),
            );
        }
    });
}

fn workers_available() -> bool {
    web_sys::window().is_some_and(|w| {
        Reflect::get(&w.navigator(), &"serviceWorker".into()).is_ok_and(|v| v.is_object())
    })
}

/// The offline copy of the app itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ShellCopy {
    /// This page cannot have one (no service workers here).
    Unavailable,
    /// The worker is registered but has not filled its cache yet (the first visit).
    Preparing,
    /// Kept, this many bytes.
    Kept(u64),
}

/// One folder of kept files (a model, a dataset), by its path on the site.
#[derive(Clone, Debug, PartialEq)]
pub struct KeptFolder {
    pub folder: String,
    pub files: usize,
    pub bytes: u64,
}

/// Everything kept: the offline copy of the app and the folders of models and data, largest
/// first.
#[derive(Clone, Debug, PartialEq)]
pub struct Kept {
    pub shell: ShellCopy,
    pub folders: Vec<KeptFolder>,
}

pub async fn kept() -> Result<Kept, String> {
    let Some(storage) = cache_storage() else {
        return Ok(Kept {
            shell: ShellCopy::Unavailable,
            folders: Vec::new(),
        });
    };
    let mut shell = if workers_available() {
        ShellCopy::Preparing
    } else {
        ShellCopy::Unavailable
    };
    for name in js_strings(&await_js(storage.keys()).await?) {
        if name.starts_with(SHELL_CACHE_PREFIX) {
            let cache = open(&storage, &name).await?;
            let bytes = entries(&cache).await?.iter().map(|(_, b)| b).sum::<u64>();
            shell = ShellCopy::Kept(bytes);
        }
    }
    let mut folders: Vec<KeptFolder> = Vec::new();
    for (url, bytes) in entries(&open(&storage, ASSET_CACHE).await?).await? {
        let folder = folder_of(&url, &site_base());
        match folders.iter_mut().find(|f| f.folder == folder) {
            Some(kept) => {
                kept.files += 1;
                kept.bytes += bytes;
            }
            None => folders.push(KeptFolder {
                folder,
                files: 1,
                bytes,
            }),
        }
    }
    folders.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.folder.cmp(&b.folder)));
    Ok(Kept { shell, folders })
}

/// Deletes every kept file of `folder`: the next visit that needs them downloads them again.
pub async fn forget(folder: &str) -> Result<(), String> {
    let Some(storage) = cache_storage() else {
        return Ok(());
    };
    let cache = open(&storage, ASSET_CACHE).await?;
    let base = site_base();
    for request in requests(&cache).await? {
        if folder_of(&request.url(), &base) == folder {
            await_js(cache.delete_with_request(&request)).await?;
        }
    }
    Ok(())
}

/// The site's own address, ending in `/` (the folder of index.html): kept files are named
/// relative to it.
fn site_base() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.base_uri().ok().flatten())
        .map(|uri| match uri.rfind('/') {
            Some(slash) => uri[..=slash].to_string(),
            None => uri,
        })
        .unwrap_or_default()
}

/// `assets/models/efficientnet-lite0` for `<base>assets/models/efficientnet-lite0/weights.bin`;
/// a file outside the site's folder keeps its whole folder address.
fn folder_of(url: &str, base: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let path = path.strip_prefix(base).unwrap_or(path);
    match path.rsplit_once('/') {
        Some((folder, _)) => folder.to_string(),
        None => ".".to_string(),
    }
}

async fn open(storage: &CacheStorage, name: &str) -> Result<Cache, String> {
    await_js(storage.open(name))
        .await?
        .dyn_into()
        .map_err(|_| format!("{name} is not a cache"))
}

async fn requests(cache: &Cache) -> Result<Vec<Request>, String> {
    let keys: Array = await_js(cache.keys()).await?.unchecked_into();
    Ok(keys.iter().filter_map(|k| k.dyn_into().ok()).collect())
}

/// Each entry's URL and size. The size is the stored body's, read as a blob: the browser keeps
/// it on disk, so nothing of it is copied into the page.
async fn entries(cache: &Cache) -> Result<Vec<(String, u64)>, String> {
    let mut out = Vec::new();
    for request in requests(cache).await? {
        let found = await_js(cache.match_with_request(&request)).await?;
        let Ok(response) = found.dyn_into::<Response>() else {
            continue;
        };
        let blob: web_sys::Blob = await_js(response.blob().map_err(|e| js_error_text(&e))?)
            .await?
            .unchecked_into();
        out.push((request.url(), blob.size() as u64));
    }
    Ok(out)
}

fn js_strings(array: &JsValue) -> Vec<String> {
    Array::from(array)
        .iter()
        .filter_map(|v| v.as_string())
        .collect()
}

async fn await_js(promise: js_sys::Promise) -> Result<JsValue, String> {
    JsFuture::from(promise).await.map_err(|e| js_error_text(&e))
}

#[cfg(test)]
mod tests {
    use super::folder_of;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn names_a_kept_file_by_its_folder_on_the_site() {
        let base = "https://lab.example/articles/";
        let weights = "https://lab.example/articles/assets/models/efficientnet-lite0/weights.bin";
        assert_eq!(folder_of(weights, base), "assets/models/efficientnet-lite0");
        assert_eq!(
            folder_of(
                "https://lab.example/articles/text-models/index.json?v=2",
                base
            ),
            "text-models"
        );
        assert_eq!(
            folder_of("https://cdn.example/m/w.bin", base),
            "https://cdn.example/m"
        );
    }
}
