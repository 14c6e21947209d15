//! Where the classifier runs. On the CPU backends, in the lab's models worker
//! (runtime/worker.rs): a pass no longer holds the page's thread, and when the worker dies (an
//! out-of-memory in a large network) one classification is lost and retried in a fresh worker,
//! not the page. On WebGPU, in the page: the work is queued to the GPU rather than computed on
//! the thread, and a lost device is handled as every demo handles it (runtime/backend.rs).
//!
//! The page checks the weights once (runtime/download.rs) and hands the checked bytes over; it
//! keeps a copy, so that a fresh worker, after a crash, is handed them again. Both sides of the
//! two operations are here: [`Remote`] on the page, [`load_here`] and [`run_here`] in the worker.

use std::cell::RefCell;
use std::rc::Rc;

use burn::tensor::Device;
use image::RgbImage;
use js_sys::{Array, Float32Array, Object, Uint8Array};
use lab_core::asset::Verified;
use lab_core::backend::{BackendKind, read_host};
use lab_core::vision::Classifier;
use lab_core::vision::asset::Manifest;
use lab_core::vision::pipeline::Pass;
use wasm_bindgen::{JsCast, JsValue};

use crate::i18n::Message;
use crate::runtime::backend::{ActiveBackend, Failure};
use crate::runtime::model_asset::asset_failure;
use crate::runtime::worker::{self, MODELS, Stopped, answer_message, get, set};

/// The worker's names for the two operations.
pub const LOAD_OP: &str = "classifier-load";
pub const RUN_OP: &str = "classifier-run";

/// A classifier, where it runs.
pub enum Engine {
    /// Boxed: a network's modules are large beside the worker's handle.
    Page(Box<Classifier>),
    Worker(Remote),
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
        let remote = Remote {
            key: next_key(),
            manifest: serde_json::to_string(manifest).map_err(|e| {
                Failure::Shown(Message::new(
                    format!("模型说明无法传给后台程序：{e}"),
                    format!("The manifest could not be handed to the background program: {e}"),
                ))
            })?,
            file: weights.file().to_string(),
            sha256: weights.sha256().to_string(),
            weights: Uint8Array::from(weights.bytes()),
            backend: active.kind,
        };
        match remote.load().await {
            Ok(()) => Ok(Engine::Worker(remote)),
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

/// A classifier in the models worker, and what it takes to load it into a fresh one.
pub struct Remote {
    /// Which load this is: a worker that holds another (or none, being fresh) says so.
    key: u32,
    manifest: String,
    file: String,
    sha256: String,
    weights: Uint8Array,
    backend: BackendKind,
}

impl Remote {
    async fn load(&self) -> Result<(), Failure> {
        let request = Object::new();
        set(&request, "key", &self.key.into());
        set(&request, "manifest", &self.manifest.as_str().into());
        set(&request, "file", &self.file.as_str().into());
        set(&request, "sha256", &self.sha256.as_str().into());
        // Copied, not transferred: the page keeps its copy for a fresh worker.
        set(&request, "weights", &self.weights);
        set(&request, "backend", &self.backend.id().into());
        let answer = worker::call(MODELS, LOAD_OP, request, Array::new())
            .await
            .map_err(|stopped| stopped_failure(&stopped))?;
        if get(&answer, "loaded").is_truthy() {
            return Ok(());
        }
        Err(refusal(&answer))
    }

    /// The pass's logits (the photo normalised, then raw; or the warm-up's), loading the
    /// classifier again first where the worker is a fresh one.
    pub async fn logits(&self, input: Input<'_>) -> Result<Vec<f32>, Failure> {
        let mut answer = self.run(input).await?;
        if get(&answer, "missing").is_truthy() {
            self.load().await?;
            answer = self.run(input).await?;
        }
        match get(&answer, "logits").dyn_ref::<Float32Array>() {
            Some(logits) => Ok(logits.to_vec()),
            None => Err(refusal(&answer)),
        }
    }

    async fn run(&self, input: Input<'_>) -> Result<JsValue, Failure> {
        let request = Object::new();
        let transfer = Array::new();
        set(&request, "key", &self.key.into());
        if let Input::Photo(image) = input {
            let pixels = Uint8Array::from(image.as_raw().as_slice());
            set(&request, "width", &image.width().into());
            set(&request, "height", &image.height().into());
            set(&request, "pixels", &pixels);
            transfer.push(&pixels.buffer());
        }
        worker::call(MODELS, RUN_OP, request, transfer)
            .await
            .map_err(|stopped| stopped_failure(&stopped))
    }
}

fn next_key() -> u32 {
    thread_local!(static NEXT: std::cell::Cell<u32> = const { std::cell::Cell::new(0) });
    NEXT.with(|next| {
        next.set(next.get().wrapping_add(1));
        next.get()
    })
}

fn stopped_failure(stopped: &Stopped) -> Failure {
    Failure::Shown(stopped.message(&Message::new("运行分类器", "running the classifier")))
}

fn refusal(answer: &JsValue) -> Failure {
    Failure::Shown(worker::message(answer).unwrap_or_else(|| {
        Message::new(
            "后台程序的回答无法读取。",
            "The background program's answer could not be read.",
        )
    }))
}

/// The classifier the models worker holds.
struct Held {
    key: u32,
    classifier: Classifier,
    manifest: Manifest,
    device: Device,
}

thread_local! {
    /// One at a time: a new load replaces it. Shared, so that a pass keeps its classifier while
    /// a load arrives.
    static HELD: RefCell<Option<Rc<Held>>> = const { RefCell::new(None) };
}

/// The worker's side of [`Remote::load`]: `{loaded: true}`, or the refusal `{zh, en}`.
pub async fn load_here(request: &JsValue) -> (JsValue, Array) {
    let refused = |message: Message| (answer_message(&message), Array::new());
    let key = get(request, "key").as_f64().unwrap_or(-1.0) as u32;
    let text = |name| get(request, name).as_string().unwrap_or_default();
    let manifest = match Manifest::from_json(text("manifest").as_bytes()) {
        Ok(manifest) => manifest,
        Err(e) => return refused(crate::runtime::model_asset::asset_problem(&e.to_string())),
    };
    let Some(backend) = BackendKind::from_id(&text("backend")).filter(|b| !b.is_gpu()) else {
        return refused(Message::new(
            "后台程序只在 CPU 上运行模型。",
            "The background program runs models on the CPU only.",
        ));
    };
    let device = match backend.open_inference().await {
        Ok(device) => device,
        Err(why) => {
            return refused(Message::new(
                format!("无法打开后端：{why}"),
                format!("The backend could not be opened: {why}"),
            ));
        }
    };
    let bytes = match get(request, "weights").dyn_into::<Uint8Array>() {
        Ok(weights) => weights.to_vec(),
        Err(_) => Vec::new(),
    };
    let weights = Verified::handed_over(text("file"), text("sha256"), bytes);
    // The previous classifier goes first: two large networks need not fit side by side.
    HELD.with(|held| held.borrow_mut().take());
    match Classifier::from_asset(&manifest, &weights, &device) {
        Ok(classifier) => {
            HELD.with(|held| {
                *held.borrow_mut() = Some(Rc::new(Held {
                    key,
                    classifier,
                    manifest,
                    device,
                }))
            });
            let answer = Object::new();
            set(&answer, "loaded", &JsValue::TRUE);
            (answer.into(), Array::new())
        }
        Err(e) => refused(crate::runtime::model_asset::asset_problem(&e.to_string())),
    }
}

/// The worker's side of [`Remote::logits`]: `{logits}` (transferred), `{missing: true}` when it
/// holds another classifier or none, or the refusal `{zh, en}`.
pub async fn run_here(request: &JsValue) -> (JsValue, Array) {
    let answer = Object::new();
    let key = get(request, "key").as_f64().unwrap_or(-1.0) as u32;
    let Some(held) = HELD
        .with(|held| held.borrow().clone())
        .filter(|h| h.key == key)
    else {
        set(&answer, "missing", &JsValue::TRUE);
        return (answer.into(), Array::new());
    };
    let mut pass = match get(request, "pixels").dyn_into::<Uint8Array>() {
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
                    let message = Message::new(
                        format!("无法预处理这张照片：{why}"),
                        format!("The photo could not be preprocessed: {why}"),
                    );
                    return (answer_message(&message), Array::new());
                }
            }
        }
    };
    while pass.run_stage() {}
    match read_host(pass.logits().flatten::<1>(0, 1)).await {
        Ok(logits) => {
            let logits = Float32Array::from(logits.as_slice());
            set(&answer, "logits", &logits);
            (answer.into(), Array::of1(&logits.buffer()))
        }
        Err(why) => {
            let message = Message::new(
                format!("推理失败：{why}"),
                format!("Inference failed: {why}"),
            );
            (answer_message(&message), Array::new())
        }
    }
}
