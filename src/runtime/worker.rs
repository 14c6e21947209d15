//! The page's side of the lab's Web Worker: work that could hold the page's thread for seconds,
//! or kill the program, runs in a second instance of the page's own program instead. The worker
//! (www/lab-worker.js) starts the same JavaScript glue and wasm that trunk built and the page has
//! already downloaded, and its `main` finds no window and serves requests
//! (src/worker_program.rs): no second build, no second download. The page stays responsive while
//! it works, and when it dies (a panic aborts, an allocation fails) only the worker is lost: the
//! page keeps its state, the request in flight fails with [`Stopped`], and the next request
//! starts a fresh worker.
//!
//! Each [`Role`] has its own worker, started on its first request, so that a crash or a recycle
//! of one leaves the other's state (a loaded model) alone. A request is a plain object
//! `{id, op, ...}` whose large parts are transferred, not copied; the worker posts `{ready}` once
//! its program runs (requests wait for it) and answers each request with `{id, value, memory}`.
//! A wasm program's memory only grows, so the photo worker, once grown past 256 MiB (a
//! 100-megapixel photo takes about 400 MB to decode), is closed when idle, which gives the memory
//! back; the next request starts a small one.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::i18n::Message;
use crate::runtime::js_error_text;

/// The worker's starter (www/lab-worker.js), whose first message names the program's two files.
const STARTER: &str = "lab-worker.js";
/// What a worker is for, and when it is closed to give its memory back.
#[derive(Clone, Copy, Debug)]
pub struct Role {
    name: &'static str,
    /// Memory past which the idle worker is closed rather than kept.
    recycle_past: Option<f64>,
}

/// Photo decoding: memory grows with the largest photo, and nothing is kept between requests.
pub const PHOTOS: Role = Role {
    name: "photos",
    recycle_past: Some(256.0 * 1024.0 * 1024.0),
};
/// Models run on the CPU: the worker keeps the model between requests, so it is never recycled.
pub const MODELS: Role = Role {
    name: "models",
    recycle_past: None,
};

// web-sys has `Worker` behind a feature, and a changed web-sys feature set rebuilds everything
// that depends on web-sys (wgpu, Leptos): these three calls are all the page needs of it.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(extends = web_sys::EventTarget)]
    type Worker;
    #[wasm_bindgen(constructor, catch)]
    fn new(url: &str, options: &JsValue) -> Result<Worker, JsValue>;
    #[wasm_bindgen(method, js_name = postMessage, catch)]
    fn post_message(this: &Worker, message: &JsValue, transfer: &Array) -> Result<(), JsValue>;
    #[wasm_bindgen(method)]
    fn terminate(this: &Worker);
}

/// The worker stopped (or could not start) before it answered: its error, as the browser gave it.
#[derive(Clone, Debug, PartialEq)]
pub struct Stopped(pub String);

impl Stopped {
    /// What the page says: the worker doing `task` ("解码照片" / "decoding the photo") stopped, and
    /// the page is unharmed.
    pub fn message(&self, task: &Message) -> Message {
        let why = &self.0;
        Message::new(
            format!(
                "{}的后台程序意外停止（{why}）。页面和设置都还在，可以重试。",
                task.zh
            ),
            format!(
                "The background program {} stopped unexpectedly ({why}). The page and its settings are unharmed; you can try again.",
                task.en
            ),
        )
    }
}

/// A refusal `{zh, en}` in a worker's answer, if that is what it is.
pub fn message(answer: &JsValue) -> Option<Message> {
    let text = |key| get(answer, key).as_string();
    Some(Message::new(text("zh")?, text("en")?))
}

/// `message` as an answer's refusal `{zh, en}`.
pub fn answer_message(message: &Message) -> JsValue {
    let answer = Object::new();
    set(&answer, "zh", &message.zh.as_str().into());
    set(&answer, "en", &message.en.as_str().into());
    answer.into()
}

/// A started worker and what is waiting on it.
struct Running {
    role: Role,
    worker: Worker,
    /// Which start this is: the listeners of a closed worker see a newer one and do nothing.
    generation: u32,
    ready: bool,
    /// Requests made before the worker's program ran, posted when it says it is ready.
    waiting: Vec<(Object, Array)>,
    /// Each request's promise functions (resolve, reject), by id.
    pending: HashMap<u32, (Function, Function)>,
}

thread_local! {
    /// False once a worker failed before its program ran (no module workers in this browser,
    /// the starter or the program not served): callers then do the work in the page.
    static AVAILABLE: Cell<bool> = const { Cell::new(true) };
    /// The started workers, by role name.
    static RUNNING: RefCell<HashMap<&'static str, Running>> = RefCell::new(HashMap::new());
    static GENERATION: Cell<u32> = const { Cell::new(0) };
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
}

/// Whether the lab's workers can run here: true until one failed before its program ran. A
/// caller that gets [`Stopped`] while this turns false does the work in the page instead, as
/// the lab did before it had workers.
pub fn available() -> bool {
    AVAILABLE.with(Cell::get)
}

/// Asks `role`'s worker to run `op` on `request` (its other fields), transferring `transfer`; the
/// worker's answer, or [`Stopped`] if it died or could not start first.
pub async fn call(
    role: Role,
    op: &str,
    request: Object,
    transfer: Array,
) -> Result<JsValue, Stopped> {
    let id = NEXT_ID.with(|next| {
        let id = next.get();
        next.set(id.wrapping_add(1));
        id
    });
    set(&request, "id", &id.into());
    set(&request, "op", &op.into());
    let mut started = Ok(());
    let answer = Promise::new(&mut |resolve, reject| {
        started = RUNNING.with(|running| {
            let mut all = running.borrow_mut();
            let running = match all.remove(role.name) {
                Some(running) => all.entry(role.name).or_insert(running),
                None => all.entry(role.name).or_insert(start(role)?),
            };
            running.pending.insert(id, (resolve, reject));
            if running.ready {
                post(&running.worker, &request, &transfer)?;
            } else {
                running.waiting.push((request.clone(), transfer.clone()));
            }
            Ok(())
        });
    });
    if let Err(stopped) = started {
        AVAILABLE.with(|available| available.set(false));
        stop_running(role, &stopped);
        return Err(stopped);
    }
    JsFuture::from(answer)
        .await
        .map_err(|why| Stopped(js_error_text(&why)))
}

fn post(worker: &Worker, request: &Object, transfer: &Array) -> Result<(), Stopped> {
    worker
        .post_message(request, transfer)
        .map_err(|why| Stopped(js_error_text(&why)))
}

fn start(role: Role) -> Result<Running, Stopped> {
    let options = Object::new();
    // The glue trunk writes for the page is an ES module.
    set(&options, "type", &"module".into());
    // The role, as the worker's name: what a browser's task manager and debugger show.
    set(&options, "name", &role.name.into());
    let start = program_files()?;
    let worker = Worker::new(STARTER, &options).map_err(|why| Stopped(js_error_text(&why)))?;
    post(&worker, &start, &Array::new())?;
    let generation = GENERATION.with(|g| {
        g.set(g.get().wrapping_add(1));
        g.get()
    });
    // The listeners are left to live with the page: a worker is started only on first use, after
    // a crash or after a recycle, and a closed worker's listeners find a newer generation.
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            answered(role, generation, &event.data());
        });
    // An ErrorEvent when the program died; a plain Event when the starter could not be loaded.
    let on_error = Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
        // The worker's program is dead (an abort is an uncaught WebAssembly.RuntimeError); the
        // page is not, so the error is not reported as the page's own.
        event.prevent_default();
        if is_current(role, generation) {
            let why = match get(&event, "message").as_string() {
                Some(message) if !message.is_empty() => message,
                _ => "the worker could not start".to_string(),
            };
            web_sys::console::error_1(&format!("the lab's worker stopped: {why}").into());
            stop_running(role, &Stopped(why));
        }
    });
    let on_message_error = Closure::<dyn Fn(JsValue)>::new(move |_| {
        if is_current(role, generation) {
            stop_running(role, &Stopped("a message could not be read".into()));
        }
    });
    for (kind, listener) in [
        ("message", on_message.as_ref()),
        ("error", on_error.as_ref()),
        ("messageerror", on_message_error.as_ref()),
    ] {
        let _ = worker.add_event_listener_with_callback(kind, listener.unchecked_ref());
    }
    on_message.forget();
    on_error.forget();
    on_message_error.forget();
    Ok(Running {
        role,
        worker,
        generation,
        ready: false,
        waiting: Vec::new(),
        pending: HashMap::new(),
    })
}

/// The starter's first message: the page's program's glue and wasm, as trunk linked them
/// (preloads in index.html, named by their content's hash).
fn program_files() -> Result<Object, Stopped> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| Stopped("the worker is started from a page".into()))?;
    let href = |selector| {
        document
            .query_selector(selector)
            .ok()
            .flatten()
            .and_then(|link| link.get_attribute("href"))
    };
    let (Some(glue), Some(wasm)) = (
        href("link[rel=modulepreload]"),
        href("link[rel=preload][type='application/wasm']"),
    ) else {
        return Err(Stopped("the page does not link its program's files".into()));
    };
    let files = Object::new();
    set(&files, "glue", &glue.into());
    set(&files, "wasm", &wasm.into());
    let start = Object::new();
    set(&start, "start", &files);
    Ok(start)
}

fn is_current(role: Role, generation: u32) -> bool {
    RUNNING.with(|running| {
        running
            .borrow()
            .get(role.name)
            .is_some_and(|r| r.generation == generation)
    })
}

/// A message from `role`'s worker of `generation`: its ready signal or an answer.
fn answered(role: Role, generation: u32, data: &JsValue) {
    let mut resolve = None;
    let mut failed = None;
    RUNNING.with(|running| {
        let mut all = running.borrow_mut();
        let Some(running) = all
            .get_mut(role.name)
            .filter(|r| r.generation == generation)
        else {
            return;
        };
        if get(data, "ready").is_truthy() {
            running.ready = true;
            for (request, transfer) in std::mem::take(&mut running.waiting) {
                if let Err(stopped) = post(&running.worker, &request, &transfer) {
                    failed = Some(stopped);
                }
            }
            return;
        }
        let Some(id) = get(data, "id").as_f64() else {
            return;
        };
        resolve = running
            .pending
            .remove(&(id as u32))
            .map(|(resolve, _)| resolve);
        let memory = get(data, "memory").as_f64().unwrap_or(0.0);
        let grown = running.role.recycle_past.is_some_and(|most| memory > most);
        if grown && running.pending.is_empty() {
            running.worker.terminate();
            all.remove(role.name);
        }
    });
    if let Some(stopped) = failed {
        stop_running(role, &stopped);
    }
    if let Some(resolve) = resolve {
        let _ = resolve.call1(&JsValue::NULL, &get(data, "value"));
    }
}

/// Closes `role`'s worker and fails everything waiting on it with `why`.
fn stop_running(role: Role, why: &Stopped) {
    let Some(running) = RUNNING.with(|running| running.borrow_mut().remove(role.name)) else {
        return;
    };
    if !running.ready {
        AVAILABLE.with(|available| available.set(false));
    }
    running.worker.terminate();
    let error = js_sys::Error::new(&why.0);
    for (_, reject) in running.pending.into_values() {
        let _ = reject.call1(&JsValue::NULL, &error);
    }
}

/// `object[key]`, undefined where absent.
pub fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// `object[key] = value` on an object this module or its callers made.
pub fn set(object: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &key.into(), value);
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    #[wasm_bindgen_test]
    fn a_refusal_reads_back_as_the_message_it_was() {
        let message = Message::new("“猫.png”不是图片。", "“猫.png” is not an image.");
        assert_eq!(super::message(&answer_message(&message)), Some(message));
    }

    #[wasm_bindgen_test]
    fn an_answer_without_both_languages_is_no_refusal() {
        let answer = Object::new();
        set(&answer, "zh", &"只有中文".into());
        assert_eq!(super::message(&answer), None);
        assert_eq!(super::message(&JsValue::UNDEFINED), None);
    }

    #[wasm_bindgen_test]
    fn the_stopped_message_names_the_task_and_the_error_in_both_languages() {
        let message = Stopped("RuntimeError: unreachable".into())
            .message(&Message::new("运行分类器", "running the classifier"));
        assert!(
            message
                .zh
                .starts_with("运行分类器的后台程序意外停止（RuntimeError: unreachable）")
        );
        assert!(
            message.en.contains(
                "running the classifier stopped unexpectedly (RuntimeError: unreachable)"
            )
        );
    }
}
