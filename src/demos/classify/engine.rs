//! Where the classifier runs. On the CPU backends, in the lab's models worker
//! (runtime/worker.rs): a pass no longer holds the page's thread, and when the worker dies (an
//! out-of-memory in a large network) one classification is lost and retried in a fresh worker,
//! not the page. On WebGPU, in the page: the work is queued to the GPU rather than computed on
//! the thread, and a lost device is handled as every demo handles it (runtime/backend.rs).
//!
//! Both sides of the two operations are here: [`Engine::Worker`]'s calls on the page, [`load_here`]
//! and [`run_here`] in the worker; runtime/remote_model.rs carries them.

use burn::tensor::Device;
use image::RgbImage;
use js_sys::{Array, Float32Array, Object, Uint8Array};
use lab_core::asset::Verified;
use lab_core::backend::read_host;
use lab_core::profile::{self, Profile};
use lab_core::vision::Classifier;
use lab_core::vision::asset::Manifest;
use lab_core::vision::pipeline::Pass;
use wasm_bindgen::{JsCast, JsValue};

use crate::i18n::Message;
use crate::runtime::backend::{ActiveBackend, Failure};
use crate::runtime::model_asset::{asset_failure, asset_problem};
use crate::runtime::remote_model::{
    self, Handed, RemoteModel, missing, profile_of, refused, set_profile,
};
use crate::runtime::worker::{self, get, set};

/// The worker's names for the two operations.
pub const LOAD_OP: &str = "classifier-load";
pub const RUN_OP: &str = "classifier-run";

/// A classifier, where it runs.
pub enum Engine {
    /// Boxed: a network's modules are large beside the worker's handle.
    Page(Box<Classifier>),
    Worker(RemoteModel),
}

impl Engine {
    /// The classifier for `active`'s backend, from weights checked against `manifest`.
    pub async fn build(
        manifest: &Manifest,
        weights: &Verified,
        active: &ActiveBackend,
    ) -> Result<Engine, Failure> {
        let in_page = || {
            Classifier::from_asset(manifest, weights, &active.device.clone().inner())
                .map(|classifier| Engine::Page(Box::new(classifier)))
                .map_err(|e| asset_failure(&e))
        };
        if active.kind.is_gpu() || !worker::available() {
            return in_page();
        }
        let task = Message::new("运行分类器", "running the classifier");
        match RemoteModel::load(LOAD_OP, task, manifest, &[weights], active.kind).await {
            Ok(remote) => Ok(Engine::Worker(remote)),
            // No worker can start in this browser: the page classifies, as before the workers.
            Err(_) if !worker::available() => in_page(),
            Err(failure) => Err(failure),
        }
    }
}

/// What a pass is given.
#[derive(Clone, Copy)]
pub enum Input<'a> {
    /// A black image, to warm the backend up.
    WarmUp,
    Photo(&'a RgbImage),
}

/// The pass's logits (the photo normalised, then raw; or the warm-up's) from the worker's
/// classifier, with where its time went.
pub async fn remote_logits(
    remote: &RemoteModel,
    input: Input<'_>,
) -> Result<(Vec<f32>, Option<Profile>), Failure> {
    let answer = remote
        .call(RUN_OP, || {
            let request = Object::new();
            let transfer = Array::new();
            if let Input::Photo(image) = input {
                let pixels = Uint8Array::from(image.as_raw().as_slice());
                set(&request, "width", &image.width().into());
                set(&request, "height", &image.height().into());
                set(&request, "pixels", &pixels);
                transfer.push(&pixels.buffer());
            }
            (request, transfer)
        })
        .await?;
    let profile = profile_of(&answer);
    let logits = get(&answer, "logits")
        .dyn_ref::<Float32Array>()
        .map(Float32Array::to_vec)
        .ok_or_else(|| {
            Failure::Shown(Message::new(
                "后台程序没有给出分类结果。",
                "The background program gave no classification.",
            ))
        })?;
    Ok((logits, profile))
}

/// The classifier the models worker holds.
struct Held {
    classifier: Classifier,
    manifest: Manifest,
    device: Device,
}

/// The worker's side of the load: `{loaded: true}`, or the refusal `{zh, en}`.
pub async fn load_here(request: &JsValue) -> (JsValue, Array) {
    let (handed, manifest) = match Handed::read(request, Manifest::from_json).await {
        Ok(read) => read,
        Err(message) => return refused(&message),
    };
    let Some(weights) = handed.files.first() else {
        return refused(&asset_problem("no weights were handed over"));
    };
    let held = Classifier::from_asset(&manifest, weights, &handed.device).map(|classifier| Held {
        classifier,
        manifest,
        device: handed.device.clone(),
    });
    handed.hold(held)
}

/// The worker's side of [`remote_logits`]: `{logits}` (transferred), `{missing: true}` when it
/// holds another model or none, or the refusal `{zh, en}`.
pub async fn run_here(request: &JsValue) -> (JsValue, Array) {
    let Some(held) = remote_model::held::<Held>(request) else {
        return missing();
    };
    let pass = match get(request, "pixels").dyn_into::<Uint8Array>() {
        Err(_) => Pass::warm_up(&held.classifier, &held.manifest, &held.device),
        Ok(pixels) => {
            let side = |name| get(request, name).as_f64().unwrap_or(0.0) as u32;
            let photo = RgbImage::from_raw(side("width"), side("height"), pixels.to_vec());
            let pass = photo
                .ok_or_else(|| "the pixels came back short".to_string())
                .and_then(|photo| {
                    Pass::photo(&held.classifier, &held.manifest, &photo, &held.device)
                        .map_err(|why| format!("{why:?}"))
                });
            match pass {
                Ok(pass) => pass,
                Err(why) => {
                    return refused(&Message::new(
                        format!("无法预处理这张照片：{why}"),
                        format!("The photo could not be preprocessed: {why}"),
                    ));
                }
            }
        }
    };
    // The worker runs on the CPU, where each stage computes as it is called: profiled.
    let (logits, profile) = profile::record(|| pass.logits());
    match read_host(logits.flatten::<1>(0, 1)).await {
        Ok(logits) => {
            let logits = Float32Array::from(logits.as_slice());
            let answer = Object::new();
            set(&answer, "logits", &logits);
            set_profile(&answer, &profile);
            (answer.into(), Array::of1(&logits.buffer()))
        }
        Err(why) => refused(&Message::new(
            format!("推理失败：{why}"),
            format!("Inference failed: {why}"),
        )),
    }
}
