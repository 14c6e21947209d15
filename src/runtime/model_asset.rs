//! Loading a model asset in the page, whatever the model: one hook ([`use_model_asset`]) that
//! every model demo shares. A demo names its kind of model ([`ModelKind`]: folder, manifest, how
//! the verified files become a model, a warm-up) and gets the listing of the models the site holds, the visitor's selection (kept in the URL), the load
//! with progress, checks, retry and timings, the move to the CPU when the GPU is lost, and the
//! loaded model. The picker that goes with it is [`crate::widgets::model_picker::ModelPicker`].

use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;

use burn::tensor::Device;
use lab_core::asset::{AssetError, Verified, WeightsFile};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::backend::{ActiveBackend, Failure, use_backend};
use super::download::{self, DownloadError, Origin, Progress};
use super::frame::{next_frame, now_ms};
use super::job::Job;
use super::url;
use crate::i18n::{Message, Text};

/// A kind of model a demo loads: where the site keeps them and how a manifest and its verified
/// files become a model on a device.
pub trait ModelKind: Sized + 'static {
    type Manifest: PartialEq + Send + Sync + 'static;
    type Model: 'static;
    /// The site folder holding `index.json` and one folder per model.
    const DIR: &'static str;
    /// What the page says when the site holds no model of this kind.
    const NONE: Text;
    /// The model picked when the URL names none, if the site has it (else the index's first).
    const PREFERRED: Option<&'static str> = None;

    fn parse(json: &[u8]) -> Result<Self::Manifest, AssetError>;
    /// The weights files the manifest lists, and the one loaded unless the visitor picks another.
    fn weights(manifest: &Self::Manifest) -> (&[WeightsFile], &str);
    /// The model's name in the picker.
    fn label(manifest: &Self::Manifest) -> String;
    /// Files the model needs besides its weights (a tokenizer), fetched and checked the same way.
    fn companions(_manifest: &Self::Manifest) -> Vec<Listed<'_>> {
        Vec::new()
    }
    /// The model from its checked files, for `active`'s backend: built on its device, or handed
    /// to the lab's worker where the demo runs its CPU inference there (hence async).
    fn build(
        manifest: &Self::Manifest,
        weights: &Verified,
        companions: &[Verified],
        active: &ActiveBackend,
    ) -> impl Future<Output = Result<Self::Model, Failure>>;
    /// One inference on a fixed input, so that kernels are compiled and buffers allocated before
    /// the visitor's first result is timed; paced by `job`, the demo's, which ends on unmount.
    fn warm_up(loaded: &Loaded<Self>, job: Job) -> impl Future<Output = Result<(), Failure>>;
}

/// A model the site offers: its folder and manifest.
pub struct Entry<K: ModelKind> {
    pub id: String,
    pub manifest: Arc<K::Manifest>,
}

impl<K: ModelKind> Clone for Entry<K> {
    fn clone(&self) -> Self {
        Self {
            id: self.id.clone(),
            manifest: self.manifest.clone(),
        }
    }
}

/// By content: a retry lists the models again, and an unchanged manifest must not start a second
/// load beside the retry's own.
impl<K: ModelKind> PartialEq for Entry<K> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && (Arc::ptr_eq(&self.manifest, &other.manifest) || self.manifest == other.manifest)
    }
}

/// A model in memory, on the device it was loaded for.
pub struct Loaded<K: ModelKind> {
    pub manifest: Arc<K::Manifest>,
    pub model: K::Model,
    pub active: ActiveBackend,
}

impl<K: ModelKind> Loaded<K> {
    pub fn device(&self) -> Device {
        self.active.device.clone().inner()
    }
}

/// Where a model's load stands; the [`LoadStatus`] widget shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadState {
    Listing,
    Downloading(Progress),
    Loading,
    WarmingUp,
    Ready(Timings),
    Failed(Message),
}

/// The three costs of a model's first use, shown apart.
#[derive(Clone, Debug, PartialEq)]
pub struct Timings {
    pub download_ms: f64,
    pub origin: Origin,
    pub bytes: u64,
    pub load_ms: f64,
    pub first_inference_ms: f64,
}

/// A file a manifest lists: name, size and sha256.
#[derive(Clone, Copy, Debug)]
pub struct Listed<'a> {
    pub file: &'a str,
    pub bytes: u64,
    pub sha256: &'a str,
}

impl<'a> From<&'a WeightsFile> for Listed<'a> {
    fn from(entry: &'a WeightsFile) -> Self {
        Self {
            file: &entry.file,
            bytes: entry.bytes,
            sha256: &entry.sha256,
        }
    }
}

/// One model demo's model: what the site offers, the visitor's pick, the load and its result.
/// Every field is a signal or stored value, so the whole is `Copy` into closures.
pub struct ModelAsset<K: ModelKind> {
    pub models: RwSignal<Vec<Entry<K>>>,
    pub selected: RwSignal<String>,
    pub weights_file: RwSignal<String>,
    /// The selected model's entry, once the listing has it.
    pub entry: Memo<Option<Entry<K>>>,
    pub state: RwSignal<LoadState>,
    /// Why the models the index names but the listing left out were left out.
    pub unlisted: RwSignal<Vec<Message>>,
    pub retry: RwSignal<u32>,
    /// The model, once loaded; `None` while another loads.
    pub loaded: StoredValue<Option<Rc<Loaded<K>>>, LocalStorage>,
    /// Bumped when a model is dropped for another and when one becomes ready, so that a demo's
    /// results follow the model they came from.
    pub version: RwSignal<u32>,
}

impl<K: ModelKind> Clone for ModelAsset<K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K: ModelKind> Copy for ModelAsset<K> {}

impl<K: ModelKind> ModelAsset<K> {
    /// The model, if one is loaded (tracks [`ModelAsset::version`]).
    pub fn model(&self) -> Option<Rc<Loaded<K>>> {
        self.version.track();
        self.loaded.get_value()
    }
}

/// The model hook of a demo: lists the models under `K::DIR`, keeps the pick in the URL
/// (`model`, `weights`), and (re)loads whenever the pick or the device changes, or on retry;
/// the warm-up runs under `job`.
pub fn use_model_asset<K: ModelKind>(job: Job) -> ModelAsset<K> {
    let models = RwSignal::new(Vec::<Entry<K>>::new());
    let selected = RwSignal::new(url::query("model").unwrap_or_default());
    let asset = ModelAsset {
        models,
        selected,
        weights_file: RwSignal::new(url::query("weights").unwrap_or_default()),
        entry: Memo::new(move |_| models.get().into_iter().find(|m| m.id == selected.get())),
        state: RwSignal::new(LoadState::Listing),
        unlisted: RwSignal::new(Vec::new()),
        retry: RwSignal::new(0),
        loaded: StoredValue::new_local(None),
        version: RwSignal::new(0),
    };
    Effect::new(move |_| {
        asset.retry.track();
        spawn_local(super::model_list::list(asset));
    });
    Effect::new(move |_| {
        let Some(entry) = asset.entry.get() else {
            return;
        };
        let (files, default_file) = K::weights(&entry.manifest);
        if !files.iter().any(|f| f.file == asset.weights_file.get()) {
            asset.weights_file.set(default_file.to_string());
        }
        url::set_query(&[
            ("model", entry.id.clone()),
            ("weights", asset.weights_file.get_untracked()),
        ]);
    });
    let backend = use_backend();
    let load_token = StoredValue::new(0u32);
    Effect::new(move |_| {
        let (Some(entry), file, Some(active), _) = (
            asset.entry.get(),
            asset.weights_file.get(),
            backend.active.get(),
            asset.retry.get(),
        ) else {
            return;
        };
        if !K::weights(&entry.manifest).0.iter().any(|f| f.file == file) {
            return;
        }
        let token = load_token.get_value() + 1;
        load_token.set_value(token);
        let current = move || load_token.get_value() == token;
        asset.loaded.set_value(None);
        asset.version.update(|v| *v += 1);
        let job = job.clone();
        spawn_local(async move {
            let report = move |state| {
                if current() {
                    asset.state.set(state);
                }
            };
            let outcome = load::<K>(entry, &file, active, job, report).await;
            if !current() {
                return;
            }
            match outcome {
                Ok((loaded, timings)) => {
                    asset.loaded.set_value(Some(Rc::new(loaded)));
                    asset.state.set(LoadState::Ready(timings));
                    asset.version.update(|v| *v += 1);
                }
                Err(failure) => backend.handle(failure, |m| asset.state.set(LoadState::Failed(m))),
            }
        });
    });
    asset
}

async fn load<K: ModelKind>(
    entry: Entry<K>,
    file: &str,
    active: ActiveBackend,
    job: Job,
    report: impl Fn(LoadState),
) -> Result<(Loaded<K>, Timings), Failure> {
    let manifest = entry.manifest;
    let failed = |e: AssetError| Failure::Shown(asset_problem(&e.to_string()));
    let (files, _) = K::weights(&manifest);
    let listed = lab_core::asset::find_file(files, file).map_err(failed)?;
    let started = now_ms();
    let mut companions = Vec::new();
    for companion in K::companions(&manifest) {
        let (verified, _) = fetch_verified::<K>(&entry.id, companion, &report).await?;
        companions.push(verified);
    }
    let (weights, origin) = fetch_verified::<K>(&entry.id, listed.into(), &report).await?;
    let download_ms = now_ms() - started;
    let bytes = companions
        .iter()
        .chain([&weights])
        .map(|v| v.bytes().len() as u64)
        .sum();

    report(LoadState::Loading);
    next_frame().await;
    let started = now_ms();
    let model = K::build(&manifest, &weights, &companions, &active).await?;
    let load_ms = now_ms() - started;

    report(LoadState::WarmingUp);
    next_frame().await;
    let started = now_ms();
    let loaded = Loaded {
        manifest,
        model,
        active,
    };
    K::warm_up(&loaded, job).await?;
    let timings = Timings {
        download_ms,
        origin,
        bytes,
        load_ms,
        first_inference_ms: now_ms() - started,
    };
    Ok((loaded, timings))
}

/// Fetches a listed file of the model folder `K::DIR/id` (cache first, progress reported) and
/// checks it against its size and sha256, once.
async fn fetch_verified<K: ModelKind>(
    id: &str,
    listed: Listed<'_>,
    report: &impl Fn(LoadState),
) -> Result<(Verified, Origin), Failure> {
    // The checksum in the URL makes a changed asset a new cache entry.
    let url = format!("{}/{id}/{}?sha256={}", K::DIR, listed.file, listed.sha256);
    let check = |bytes| {
        Verified::check(listed.file, listed.bytes, listed.sha256, bytes).map_err(|e| e.to_string())
    };
    download::fetch_checked(&url, Some(listed.bytes), check, |progress| {
        report(LoadState::Downloading(progress))
    })
    .await
    .map_err(|e| Failure::Shown(download_problem(&e)))
}

fn download_problem(why: &DownloadError) -> Message {
    match why {
        DownloadError::Check(detail) => asset_problem(detail),
        other => Message::new(
            format!("模型下载失败：{other}。"),
            format!("The model download failed: {other}."),
        ),
    }
}

/// The message for a model file that failed its check or could not be built.
/// A model's files that checked but did not make a model: the message, as a failure.
pub fn asset_failure(error: &AssetError) -> Failure {
    Failure::Shown(asset_problem(&error.to_string()))
}

pub fn asset_problem(detail: &str) -> Message {
    Message::new(
        format!("模型文件校验失败，已丢弃：{detail}。请重试。"),
        format!("The model file failed its check and was discarded: {detail}. Please retry."),
    )
}
