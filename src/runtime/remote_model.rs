//! A model that runs in the lab's models worker (runtime/worker.rs), both sides: [`RemoteModel`]
//! on the page, the held model and its load in the worker. The image classifier (2.2) and the
//! text models (2.1) run there on the CPU backends, so that a pass never holds the page's thread
//! and an out-of-memory in a large network loses one request, not the page.
//!
//! The page checks the model's files once (runtime/download.rs) and hands the checked bytes over;
//! it keeps the load request, so that a fresh worker, after a crash, is handed them again: an
//! operation answered `{missing}` (the worker holds another model, or none) loads and asks again.
//! The worker holds one model at a time; a new load replaces it.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use burn::tensor::Device;
use js_sys::{Array, Float32Array, Object, Uint8Array};
use lab_core::asset::{AssetError, Verified};
use lab_core::backend::BackendKind;
use lab_core::profile::Profile;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

use crate::i18n::Message;
use crate::runtime::backend::Failure;
use crate::runtime::model_asset::asset_problem;
use crate::runtime::worker::{self, MODELS, Stopped, answer_message, get, set};

/// A model in the models worker, and the request that loads it into a fresh one.
pub struct RemoteModel {
    /// Which load this is: a worker that holds another model (or none) answers `{missing}`.
    key: u32,
    load_op: &'static str,
    /// `{key, manifest, files: [{file, sha256, bytes}], backend}`; the bytes are copied when
    /// posted, not transferred, so the page keeps them for a fresh worker.
    load: Object,
    /// What the model does, for the message when the worker stops ("运行分类器" / "running the
    /// classifier").
    task: Message,
}

impl RemoteModel {
    /// Loads the model described by `manifest` from `files` (checked, the weights first) into the
    /// models worker with `load_op`, for `backend` (a CPU backend).
    pub async fn load(
        load_op: &'static str,
        task: Message,
        manifest: &impl Serialize,
        files: &[&Verified],
        backend: BackendKind,
    ) -> Result<Self, Failure> {
        let manifest = serde_json::to_string(manifest).map_err(|e| {
            Failure::Shown(Message::new(
                format!("模型说明无法传给后台程序：{e}"),
                format!("The manifest could not be handed to the background program: {e}"),
            ))
        })?;
        let key = next_key();
        let load = Object::new();
        set(&load, "key", &key.into());
        set(&load, "manifest", &manifest.into());
        set(&load, "backend", &backend.id().into());
        let listed = Array::new();
        for verified in files {
            let file = Object::new();
            set(&file, "file", &verified.file().into());
            set(&file, "sha256", &verified.sha256().into());
            set(&file, "bytes", &Uint8Array::from(verified.bytes()));
            listed.push(&file);
        }
        set(&load, "files", &listed);
        let remote = Self {
            key,
            load_op,
            load,
            task,
        };
        remote.send_load().await?;
        Ok(remote)
    }

    async fn send_load(&self) -> Result<(), Failure> {
        let answer = worker::call(MODELS, self.load_op, self.load.clone(), Array::new())
            .await
            .map_err(|stopped| self.stopped(&stopped))?;
        if get(&answer, "loaded").is_truthy() {
            return Ok(());
        }
        Err(refusal(&answer))
    }

    /// The worker's answer to `op` on the request `make` builds (with what it transfers), loading
    /// the model again first where the worker is a fresh one; a refusal `{zh, en}` as the failure
    /// it names.
    pub async fn call(
        &self,
        op: &str,
        make: impl Fn() -> (Object, Array),
    ) -> Result<JsValue, Failure> {
        let ask = || async {
            let (request, transfer) = make();
            set(&request, "key", &self.key.into());
            worker::call(MODELS, op, request, transfer)
                .await
                .map_err(|stopped| self.stopped(&stopped))
        };
        let mut answer = ask().await?;
        if get(&answer, "missing").is_truthy() {
            self.send_load().await?;
            answer = ask().await?;
        }
        match worker::message(&answer) {
            Some(message) => Err(Failure::Shown(message)),
            None => Ok(answer),
        }
    }

    fn stopped(&self, stopped: &Stopped) -> Failure {
        Failure::Shown(stopped.message(&self.task))
    }
}

fn next_key() -> u32 {
    thread_local!(static NEXT: Cell<u32> = const { Cell::new(0) });
    NEXT.with(|next| {
        next.set(next.get().wrapping_add(1));
        next.get()
    })
}

fn refusal(answer: &JsValue) -> Failure {
    Failure::Shown(worker::message(answer).unwrap_or_else(|| {
        Message::new(
            "后台程序的回答无法读取。",
            "The background program's answer could not be read.",
        )
    }))
}

/// A load request, read in the worker: the files in the page's order and the opened backend.
pub struct Handed {
    key: u32,
    pub files: Vec<Verified>,
    pub device: Device,
}

thread_local! {
    /// The worker's one model, with its load's key. Shared, so that a request in flight keeps
    /// its model while a load arrives.
    static HELD: RefCell<Option<(u32, Rc<dyn Any>)>> = const { RefCell::new(None) };
}

impl Handed {
    /// The request of [`RemoteModel::load`] with its manifest read by `parse` and its backend
    /// opened; the previous model is let go first, so that two large networks need not fit side
    /// by side.
    pub async fn read<M>(
        request: &JsValue,
        parse: impl FnOnce(&[u8]) -> Result<M, AssetError>,
    ) -> Result<(Self, M), Message> {
        HELD.with(|held| held.borrow_mut().take());
        let text = |name| get(request, name).as_string().unwrap_or_default();
        let manifest =
            parse(text("manifest").as_bytes()).map_err(|e| asset_problem(&e.to_string()))?;
        let Some(backend) = BackendKind::from_id(&text("backend")).filter(|b| !b.is_gpu()) else {
            return Err(Message::new(
                "后台程序只在 CPU 上运行模型。",
                "The background program runs models on the CPU only.",
            ));
        };
        let device = backend.open_inference().await.map_err(|why| {
            Message::new(
                format!("无法打开后端：{why}"),
                format!("The backend could not be opened: {why}"),
            )
        })?;
        let files = Array::from(&get(request, "files"))
            .iter()
            .map(|file| {
                let text = |name| get(&file, name).as_string().unwrap_or_default();
                let bytes = get(&file, "bytes")
                    .dyn_into::<Uint8Array>()
                    .map(|b| b.to_vec())
                    .unwrap_or_default();
                Verified::handed_over(text("file"), text("sha256"), bytes)
            })
            .collect();
        let handed = Self {
            key: get(request, "key").as_f64().unwrap_or(-1.0) as u32,
            files,
            device,
        };
        Ok((handed, manifest))
    }

    /// Keeps `model` as the worker's model and answers `{loaded}`, or answers the refusal.
    pub fn hold<T: 'static, E: std::fmt::Display>(&self, model: Result<T, E>) -> (JsValue, Array) {
        match model {
            Ok(model) => {
                HELD.with(|held| *held.borrow_mut() = Some((self.key, Rc::new(model))));
                let answer = Object::new();
                set(&answer, "loaded", &JsValue::TRUE);
                (answer.into(), Array::new())
            }
            Err(e) => refused(&asset_problem(&e.to_string())),
        }
    }
}

/// The worker's model of type `T`, when it holds the one `request` names.
pub fn held<T: 'static>(request: &JsValue) -> Option<Rc<T>> {
    let key = get(request, "key").as_f64().unwrap_or(-1.0) as u32;
    HELD.with(|held| match &*held.borrow() {
        Some((k, model)) if *k == key => model.clone().downcast::<T>().ok(),
        _ => None,
    })
}

/// The answer when the worker does not hold the model a request names: the page loads it again.
pub fn missing() -> (JsValue, Array) {
    let answer = Object::new();
    set(&answer, "missing", &JsValue::TRUE);
    (answer.into(), Array::new())
}

/// The answer that refuses a request with `message`.
pub fn refused(message: &Message) -> (JsValue, Array) {
    (answer_message(message), Array::new())
}

/// Puts where a pass's time went into a worker's answer, as `profile`
/// ([`Profile::to_floats`]).
pub fn set_profile(answer: &Object, profile: &Profile) {
    set(
        answer,
        "profile",
        &Float32Array::from(profile.to_floats().as_slice()),
    );
}

/// The profile a worker's answer carries ([`set_profile`]), if any.
pub fn profile_of(answer: &JsValue) -> Option<Profile> {
    get(answer, "profile")
        .dyn_ref::<Float32Array>()
        .and_then(|floats| Profile::from_floats(&floats.to_vec()))
}
