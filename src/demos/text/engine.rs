//! Where the text model's encoder runs. On the CPU backends, in the lab's models worker
//! (runtime/remote_model.rs): the forward pass of a long sentence no longer holds the page's
//! thread, and when the worker dies one analysis is lost and the next one starts a fresh worker,
//! not a dead page. On WebGPU, in the page, where the work is queued to the GPU.
//!
//! Either way the page holds the model's [`TextReader`] (manifest, tokenizer, the asset's
//! sentences): it encodes the text itself and turns what the encoder gives back into the answers
//! it shows, so only tensors cross to and from the worker. Both sides of the four operations
//! are here: [`TextEngine`] on the page, the `*_here` functions in the worker.

use burn::tensor::{Tensor, TensorData};
use js_sys::{Array, Float32Array, Object};
use lab_core::asset::Verified;
use lab_core::backend::read_host;
use lab_core::profile::{self, Profile};
use lab_core::text::asset::TextManifest;
use lab_core::text::pipeline::{Analysis, Fillers, Read, TextModel, TextReader};
use wasm_bindgen::{JsCast, JsValue};

use super::text_problem;
use crate::i18n::Message;
use crate::runtime::backend::{ActiveBackend, Failure, read_back};
use crate::runtime::frame::now_ms;
use crate::runtime::model_asset::{asset_failure, asset_problem};
use crate::runtime::remote_model::{
    self, Handed, RemoteModel, missing, profile_of, refused, set_profile,
};
use crate::runtime::worker::{self, get, set};

/// The worker's names for the four operations.
pub const LOAD_OP: &str = "text-load";
pub const ANALYSE_OP: &str = "text-analyse";
pub const FILL_OP: &str = "text-fill";
pub const VECTORS_OP: &str = "text-vectors";

/// A text model, where its encoder runs.
pub enum TextEngine {
    /// Boxed, as the reader below: both are large beside the worker's handle.
    Page(Box<TextModel>),
    Worker {
        reader: Box<TextReader>,
        remote: RemoteModel,
    },
}

impl TextEngine {
    /// The model for `active`'s backend, from files checked against `manifest`.
    pub async fn build(
        manifest: &TextManifest,
        weights: &Verified,
        tokenizer: &Verified,
        neighbours: Option<&Verified>,
        active: &ActiveBackend,
    ) -> Result<Self, Failure> {
        let in_page = || {
            let device = active.device.clone().inner();
            TextModel::load(manifest.clone(), tokenizer, weights, neighbours, &device)
                .map(|model| TextEngine::Page(Box::new(model)))
                .map_err(|e| asset_failure(&e))
        };
        if active.kind.is_gpu() || !worker::available() {
            return in_page();
        }
        // The page's half is read first: a bad tokenizer is refused before the encoder loads.
        let reader = TextReader::load(manifest.clone(), tokenizer, neighbours)
            .map_err(|e| asset_failure(&e))?;
        let files: Vec<&Verified> = [weights, tokenizer].into_iter().chain(neighbours).collect();
        let task = Message::new("运行文本模型", "running the text model");
        match RemoteModel::load(LOAD_OP, task, manifest, &files, active.kind).await {
            Ok(remote) => Ok(TextEngine::Worker {
                reader: Box::new(reader),
                remote,
            }),
            // No worker can start in this browser: the page runs the encoder, as before.
            Err(_) if !worker::available() => in_page(),
            Err(failure) => Err(failure),
        }
    }

    /// The manifest, tokenizer and sentences the page reads the model's answers with.
    pub fn reader(&self) -> &TextReader {
        match self {
            TextEngine::Page(model) => &model.reader,
            TextEngine::Worker { reader, .. } => reader,
        }
    }

    /// One sentence's analysis, with the milliseconds until its sentiment was known and, on
    /// the CPU, where the encoder's time went.
    pub async fn analyse(
        &self,
        text: &str,
        active: &ActiveBackend,
    ) -> Result<(Analysis, f64, Option<Profile>), Failure> {
        let started = now_ms();
        match self {
            TextEngine::Page(model) => {
                let device = active.device.clone().inner();
                let (pending, profile) = if active.kind.is_gpu() {
                    (model.analyse(text, &device), None)
                } else {
                    let (pending, profile) = profile::record(|| model.analyse(text, &device));
                    (pending, Some(profile))
                };
                let pending = pending.map_err(failure)?;
                let probabilities = match pending.probabilities.clone() {
                    Some(p) => Some(read_back(p, active).await?),
                    None => None,
                };
                let ms = now_ms() - started;
                let attentions = read_back(pending.attentions.clone(), active).await?;
                let vector = match pending.vector.clone() {
                    Some(v) => Some(read_back(v, active).await?),
                    None => None,
                };
                let analysis = pending.finish(&model.reader, probabilities, attentions, vector);
                Ok((analysis, ms, profile))
            }
            TextEngine::Worker { reader, remote } => {
                let encoded = reader.encode(text).map_err(failure)?;
                let answer = remote.call(ANALYSE_OP, || with_text(text)).await?;
                let ms = now_ms() - started;
                let count = |name| get(&answer, name).as_f64().unwrap_or(0.0) as usize;
                let read = Read {
                    probabilities: floats(&answer, "probabilities"),
                    attentions: floats(&answer, "attentions").ok_or_else(unreadable)?,
                    layers: count("layers"),
                    heads: count("heads"),
                    vector: floats(&answer, "vector"),
                };
                Ok((reader.analysis(encoded, read), ms, profile_of(&answer)))
            }
        }
    }

    /// The likeliest tokens for each `[MASK]` of the sentence.
    pub async fn fillers(
        &self,
        text: &str,
        active: &ActiveBackend,
    ) -> Result<Vec<Fillers>, Failure> {
        let scores = match self {
            TextEngine::Page(model) => {
                let pending = model
                    .fill_mask(text, &active.device.clone().inner())
                    .map_err(failure)?;
                read_back(pending.scores, active).await?
            }
            TextEngine::Worker { remote, .. } => {
                let answer = remote.call(FILL_OP, || with_text(text)).await?;
                floats(&answer, "scores").ok_or_else(unreadable)?
            }
        };
        Ok(self.reader().fillers(&scores))
    }

    /// The frozen encoder's sentence vectors `[texts, hidden]`, on `active`'s device.
    pub async fn sentence_vectors(
        &self,
        texts: &[&str],
        active: &ActiveBackend,
    ) -> Result<Tensor<2>, Failure> {
        let device = active.device.clone().inner();
        match self {
            TextEngine::Page(model) => model.sentence_vectors(texts, &device).map_err(failure),
            TextEngine::Worker { reader, remote } => {
                let answer = remote
                    .call(VECTORS_OP, || {
                        let request = Object::new();
                        let listed: Array = texts.iter().map(|t| JsValue::from(*t)).collect();
                        set(&request, "texts", &listed);
                        (request, Array::new())
                    })
                    .await?;
                let vectors = floats(&answer, "vectors").ok_or_else(unreadable)?;
                let size = reader.manifest.config.hidden_size;
                if vectors.len() != texts.len() * size {
                    return Err(unreadable());
                }
                Ok(Tensor::from_data(
                    TensorData::new(vectors, [texts.len(), size]),
                    &device,
                ))
            }
        }
    }
}

fn failure(error: lab_core::text::tokenizer::TextError) -> Failure {
    Failure::Shown(text_problem(error))
}

fn unreadable() -> Failure {
    Failure::Shown(Message::new(
        "后台程序的回答缺少模型的输出。",
        "The background program's answer lacks the model's output.",
    ))
}

fn with_text(text: &str) -> (Object, Array) {
    let request = Object::new();
    set(&request, "text", &text.into());
    (request, Array::new())
}

fn floats(answer: &JsValue, name: &str) -> Option<Vec<f32>> {
    get(answer, name)
        .dyn_ref::<Float32Array>()
        .map(Float32Array::to_vec)
}

/// The text model the models worker holds, with the device it runs on.
struct Held {
    model: TextModel,
    device: burn::tensor::Device,
}

/// The worker's side of the load: `{loaded: true}`, or the refusal `{zh, en}`.
pub async fn load_here(request: &JsValue) -> (JsValue, Array) {
    let (handed, manifest) = match Handed::read(request, TextManifest::from_json).await {
        Ok(read) => read,
        Err(message) => return refused(&message),
    };
    let [weights, tokenizer, rest @ ..] = handed.files.as_slice() else {
        return refused(&asset_problem("the model's files were not all handed over"));
    };
    let device = handed.device.clone();
    let held = TextModel::load(manifest, tokenizer, weights, rest.first(), &device)
        .map(|model| Held { model, device });
    handed.hold(held)
}

/// What a pass gives back: tensors, read back and transferred as Float32Arrays, and counts.
#[derive(Default)]
struct Outputs {
    tensors: Vec<(&'static str, Tensor<1>)>,
    counts: Vec<(&'static str, usize)>,
    /// Where the pass's time went, answered as `profile` (remote_model::set_profile).
    profile: Option<Profile>,
}

/// Runs `work` on the worker's model for `request` (its `text`), answering with the outputs;
/// `{missing}` or a refusal otherwise.
async fn answer_with(
    request: &JsValue,
    work: impl FnOnce(&TextModel, &burn::tensor::Device, &str) -> Result<Outputs, Message>,
) -> (JsValue, Array) {
    let Some(held) = remote_model::held::<Held>(request) else {
        return missing();
    };
    let text = get(request, "text").as_string().unwrap_or_default();
    let outputs = match work(&held.model, &held.device, &text) {
        Ok(outputs) => outputs,
        Err(message) => return refused(&message),
    };
    let answer = Object::new();
    let transfer = Array::new();
    for (name, count) in outputs.counts {
        set(&answer, name, &count.into());
    }
    if let Some(profile) = &outputs.profile {
        set_profile(&answer, profile);
    }
    for (name, tensor) in outputs.tensors {
        match read_host(tensor).await {
            Ok(values) => {
                let values = Float32Array::from(values.as_slice());
                set(&answer, name, &values);
                transfer.push(&values.buffer());
            }
            Err(why) => {
                return refused(&Message::new(
                    format!("推理失败：{why}"),
                    format!("Inference failed: {why}"),
                ));
            }
        }
    }
    (answer.into(), transfer)
}

/// The worker's side of [`TextEngine::analyse`]; the worker runs on the CPU, so the pass is
/// profiled.
pub async fn analyse_here(request: &JsValue) -> (JsValue, Array) {
    answer_with(request, |model, device, text| {
        let (pending, profile) = profile::record(|| model.analyse(text, device));
        let pending = pending.map_err(text_problem)?;
        let [layers, heads, _, _] = pending.attentions.dims();
        let tensors = [
            (
                "probabilities",
                pending.probabilities.map(|p| p.flatten(0, 1)),
            ),
            ("attentions", Some(pending.attentions.flatten(0, 3))),
            ("vector", pending.vector.map(|v| v.flatten(0, 1))),
        ];
        let tensors = tensors
            .into_iter()
            .filter_map(|(name, tensor)| Some((name, tensor?)))
            .collect();
        Ok(Outputs {
            tensors,
            counts: vec![("layers", layers), ("heads", heads)],
            profile: Some(profile),
        })
    })
    .await
}

/// The worker's side of [`TextEngine::fillers`].
pub async fn fill_here(request: &JsValue) -> (JsValue, Array) {
    answer_with(request, |model, device, text| {
        let pending = model.fill_mask(text, device).map_err(text_problem)?;
        Ok(Outputs {
            tensors: vec![("scores", pending.scores.flatten(0, 1))],
            ..Outputs::default()
        })
    })
    .await
}

/// The worker's side of [`TextEngine::sentence_vectors`].
pub async fn vectors_here(request: &JsValue) -> (JsValue, Array) {
    let texts: Vec<String> = Array::from(&get(request, "texts"))
        .iter()
        .filter_map(|t| t.as_string())
        .collect();
    answer_with(request, |model, device, _| {
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = model
            .sentence_vectors(&texts, device)
            .map_err(text_problem)?;
        Ok(Outputs {
            tensors: vec![("vectors", vectors.flatten(0, 1))],
            ..Outputs::default()
        })
    })
    .await
}
