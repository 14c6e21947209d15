//! Loading a model asset in the page, whatever the model: the states a load goes through, the
//! listing of the models a site holds, fetching a weights file with progress and its check,
//! reading results back from the device, and the messages for each failure.

use burn::tensor::Tensor;
use lab_core::asset::WeightsFile;
use lab_core::backend::BackendKind;
use serde::Deserialize;

use super::backend::ActiveBackend;
use super::download::{self, DownloadError, Origin, Progress};
use super::frame::now_ms;
use crate::i18n::Message;

/// Where a model's load stands; the [`crate::widgets::load_status::LoadStatus`] widget shows it.
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
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timings {
    pub download_ms: f64,
    pub origin: Origin,
    pub bytes: u64,
    pub load_ms: f64,
    pub first_inference_ms: f64,
}

pub enum LoadError {
    /// The WebGPU device failed: the shell moves to the CPU and this demo reloads there.
    GpuLost(String),
    Failed(Message),
}

/// `index.json` beside the model folders (written by the converter and by setup): the folders
/// present.
#[derive(Deserialize)]
struct ModelIndex {
    models: Vec<String>,
}

/// Each model folder under `dir` with its manifest's text, in the index's order.
pub async fn list_models(dir: &str) -> Result<Vec<(String, String)>, Message> {
    let (text, _) = download::fetch_text_fresh(&format!("{dir}/index.json"))
        .await
        .map_err(|e| unavailable(&e))?;
    let index: ModelIndex = serde_json::from_str(&text).map_err(|e| unavailable(&e))?;
    let mut manifests = Vec::new();
    for id in index.models {
        let (text, _) = download::fetch_text_fresh(&format!("{dir}/{id}/manifest.json"))
            .await
            .map_err(|e| unavailable(&e))?;
        manifests.push((id, text));
    }
    Ok(manifests)
}

/// The message for a model list or manifest that cannot be read.
pub fn unavailable(why: &dyn std::fmt::Display) -> Message {
    Message::new(
        format!("无法读取模型列表：{why}"),
        format!("Could not read the list of models: {why}"),
    )
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

/// Fetches the file `listed` of the model folder `dir/id` (cache first, progress reported),
/// checked by `check`; returns its bytes, where they came from and the milliseconds it took.
pub async fn fetch_listed(
    dir: &str,
    id: &str,
    listed: Listed<'_>,
    check: impl Fn(&[u8]) -> Result<(), String>,
    report: impl Fn(LoadState),
) -> Result<(Vec<u8>, Origin, f64), LoadError> {
    // The checksum in the URL makes a changed asset a new cache entry.
    let url = format!("{dir}/{id}/{}?sha256={}", listed.file, listed.sha256);
    let started = now_ms();
    let (bytes, origin) = download::fetch_checked(&url, Some(listed.bytes), check, |progress| {
        report(LoadState::Downloading(progress))
    })
    .await
    .map_err(|e| LoadError::Failed(download_problem(&e)))?;
    Ok((bytes, origin, now_ms() - started))
}

/// Reads a result back from `active`'s device; a failure on WebGPU is a lost GPU.
pub async fn read_back<const D: usize>(
    tensor: Tensor<D>,
    active: &ActiveBackend,
) -> Result<Vec<f32>, LoadError> {
    let data = tensor.into_data_async().await.map_err(|e| {
        if active.kind == BackendKind::WebGpu {
            LoadError::GpuLost(e.to_string())
        } else {
            LoadError::Failed(Message::new(
                format!("推理失败：{e}"),
                format!("Inference failed: {e}"),
            ))
        }
    })?;
    data.convert::<f32>().try_into_vec::<f32>().map_err(|e| {
        LoadError::Failed(Message::new(
            format!("推理结果无法读取：{e:?}"),
            format!("Could not read the result: {e:?}"),
        ))
    })
}

pub fn download_problem(why: &DownloadError) -> Message {
    match why {
        DownloadError::Check(detail) => asset_problem(detail),
        other => Message::new(
            format!("模型下载失败：{other}。"),
            format!("The model download failed: {other}."),
        ),
    }
}

pub fn asset_problem(detail: &str) -> Message {
    Message::new(
        format!("模型文件校验失败，已丢弃：{detail}。请重试。"),
        format!("The model file failed its check and was discarded: {detail}. Please retry."),
    )
}
