//! The page an article embeds: a versioned postMessage protocol between the lab in an iframe and
//! the article around it (the host). README.md's "Embedding" section is the message table.
//! long file: reading, dispatching and reporting are one protocol, kept in one place.
//!
//! - Events go to the parent window with any target origin, as the article should be able to
//!   read them without configuration: `ready` (the demo and what it accepts), `height` (the
//!   content's height on every change, so the frame never needs a scrollbar), `prediction`,
//!   `training`, `rejected` (a command that was understood but could not be applied).
//! - Commands are acted on only from the parent window and only from an origin the embed URL
//!   lists in `hosts=` (comma separated): setting inputs is the visitor's page steering the
//!   demo, which an unknown page must not do. Anything else with the protocol's name is ignored
//!   with a console warning; messages without it belong to someone else and are left alone.
//!
//! The shell owns the listener ([`provide`]); a demo only says what it accepts ([`accept`]) and
//! what it found ([`HostLink::emit`]), so neither knows the other's inside.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

use crate::i18n::Lang;
use crate::runtime::{blob_bytes, url};

/// The `protocol` field of every message in both directions.
pub const PROTOCOL: &str = "open-model-lab";
/// The `version` field: a host speaking another version gets a warning, not a guess.
pub const VERSION: u32 = 1;

/// What a demo can be handed from the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A sentence (2.1).
    Text,
    /// A photo's bytes (2.2 and augmentation).
    Image,
    /// Settings as the demo's URL keys (the playground's `data`, `lr`, …).
    Setup,
    /// Start or pause training.
    Run,
}

impl InputKind {
    pub fn id(self) -> &'static str {
        match self {
            InputKind::Text => "text",
            InputKind::Image => "image",
            InputKind::Setup => "setup",
            InputKind::Run => "run",
        }
    }
}

/// One input from the host, already checked for shape.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    Text(String),
    Image { name: String, bytes: Vec<u8> },
    Setup(Vec<(String, String)>),
    Run(bool),
}

impl Input {
    pub fn kind(&self) -> InputKind {
        match self {
            Input::Text(_) => InputKind::Text,
            Input::Image { .. } => InputKind::Image,
            Input::Setup(_) => InputKind::Setup,
            Input::Run(_) => InputKind::Run,
        }
    }
}

/// What the lab tells the host. Field names are camelCase on the wire.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(
    tag = "type",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
pub enum Event {
    Ready {
        lang: &'static str,
        accepts: Vec<&'static str>,
    },
    Height {
        height: u32,
    },
    /// The demo's best answer for the current input.
    Prediction {
        label: String,
        probability: f32,
    },
    /// Training progress, at most a few times a second, and whenever it starts or stops.
    Training {
        running: bool,
        #[serde(flatten)]
        progress: Progress,
    },
    /// A command from an allowed host that could not be applied, and why (in English).
    Rejected {
        command: String,
        reason: String,
    },
}

#[derive(Serialize)]
struct Envelope<'a> {
    protocol: &'static str,
    version: u32,
    demo: &'static str,
    #[serde(flatten)]
    event: &'a Event,
}

/// A command as read from a message, before any asynchronous part (a Blob's bytes) is read.
enum Command {
    Language(Lang),
    Input(Input),
    ImageBlob {
        name: String,
        blob: web_sys::Blob,
    },
    /// Ask for `ready` and `height` again (a host that attached its listener late).
    Ping,
}

type Handler = Rc<dyn Fn(Input)>;

/// The shell's link to its host; demos reach it through [`accept`] and [`HostLink::emit`].
#[derive(Clone, Copy)]
struct Host {
    demo: &'static str,
    handlers: StoredValue<Vec<(u32, InputKind, Handler)>, LocalStorage>,
    next_id: StoredValue<u32>,
    last_height: StoredValue<u32>,
}

/// The window the lab is embedded in, if it is.
fn parent() -> Option<web_sys::Window> {
    let window = web_sys::window()?;
    let parent = window.parent().ok()??;
    (JsValue::from(&parent) != JsValue::from(&window)).then_some(parent)
}

/// The page's `<html>` element, whose height is everything the page shows.
fn root_element() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}

fn warn(text: &str) {
    web_sys::console::warn_1(&format!("Open Model Lab host message ignored: {text}").into());
}

/// The origins the embed URL allows to send commands (`hosts=a,b`); none by default.
fn allowed_origins() -> Vec<String> {
    url::query("hosts")
        .map(|list| {
            list.split(',')
                .map(|origin| origin.trim().trim_end_matches('/').to_string())
                .filter(|origin| !origin.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Starts the link for `demo`: the message listener, the height reports, and `ready` once the
/// demo has mounted. Does nothing visible when the page is not in a frame.
pub fn provide(demo: &'static str, lang: RwSignal<Lang>) {
    let host = Host {
        demo,
        handlers: StoredValue::new_local(Vec::new()),
        next_id: StoredValue::new(0),
        last_height: StoredValue::new(0),
    };
    provide_context(host);
    let Some(parent) = parent() else {
        return;
    };
    let allowed = allowed_origins();
    let listener = window_event_listener(leptos::ev::message, move |event| {
        if !is_ours(&event.data()) {
            return;
        }
        let from_parent = event
            .source()
            .is_some_and(|source| JsValue::from(source) == JsValue::from(&parent));
        let origin = event.origin();
        if !from_parent {
            return warn("it did not come from the embedding page");
        }
        if !allowed.contains(&origin) {
            return warn(&format!(
                "{origin} may read events but not send commands; list it in the embed URL's hosts="
            ));
        }
        match parse(&event.data()) {
            Ok(command) => host.run(command, lang),
            Err(why) => warn(&why),
        }
    });
    on_cleanup(move || listener.remove());
    host.watch_height();
    // Effects run after the demo's view is built, so every `accept` has been registered.
    Effect::new(move |_| host.announce(lang.get_untracked()));
    Effect::new(move |previous: Option<Lang>| {
        let now = lang.get();
        if previous.is_some_and(|p| p != now) {
            host.announce(now);
        }
        now
    });
}

/// Whether a message is meant for the lab at all (either way: frames.rs reads frames' events).
pub(super) fn is_ours(data: &JsValue) -> bool {
    field(data, "protocol").as_string().as_deref() == Some(PROTOCOL)
}

pub(super) fn field(data: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(data, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Reads one command, or says what is wrong with the message.
fn parse(data: &JsValue) -> Result<Command, String> {
    let version = field(data, "version").as_f64();
    if version != Some(f64::from(VERSION)) {
        let given = version.map_or("missing".to_string(), |v| v.to_string());
        return Err(format!(
            "version {given} is not spoken here (this lab speaks version {VERSION})"
        ));
    }
    let kind = field(data, "type")
        .as_string()
        .ok_or("the message has no string `type`")?;
    match kind.as_str() {
        "set-language" => match field(data, "lang").as_string().as_deref() {
            Some("zh") => Ok(Command::Language(Lang::Zh)),
            Some("en") => Ok(Command::Language(Lang::En)),
            other => Err(format!(
                "set-language needs lang \"zh\" or \"en\", not {other:?}"
            )),
        },
        "set-input" => parse_input(data),
        "start" => Ok(Command::Input(Input::Run(true))),
        "pause" => Ok(Command::Input(Input::Run(false))),
        "ping" => Ok(Command::Ping),
        other => Err(format!("unknown type {other:?}")),
    }
}

fn parse_input(data: &JsValue) -> Result<Command, String> {
    if let Some(text) = field(data, "text").as_string() {
        return Ok(Command::Input(Input::Text(text)));
    }
    let image = field(data, "image");
    if !image.is_undefined() {
        let name = field(data, "name")
            .as_string()
            .unwrap_or_else(|| "host image".to_string());
        if let Some(blob) = image.dyn_ref::<web_sys::Blob>() {
            return Ok(Command::ImageBlob {
                name,
                blob: blob.clone(),
            });
        }
        let bytes = if let Some(buffer) = image.dyn_ref::<js_sys::ArrayBuffer>() {
            js_sys::Uint8Array::new(buffer).to_vec()
        } else if js_sys::ArrayBuffer::is_view(&image) {
            let view: js_sys::Uint8Array = image.unchecked_into();
            let (buffer, offset, length) = (view.buffer(), view.byte_offset(), view.byte_length());
            js_sys::Uint8Array::new_with_byte_offset_and_length(&buffer, offset, length).to_vec()
        } else {
            return Err("set-input's image must be a Blob, an ArrayBuffer or a typed array".into());
        };
        return Ok(Command::Input(Input::Image { name, bytes }));
    }
    let setup = field(data, "setup");
    if setup.is_object() {
        let object: &js_sys::Object = setup.unchecked_ref();
        let pairs = js_sys::Object::entries(object)
            .iter()
            .map(|entry| {
                let pair: js_sys::Array = entry.unchecked_into();
                let key = pair.get(0).as_string().unwrap_or_default();
                let value = pair.get(1);
                let value = value
                    .as_string()
                    .or_else(|| value.as_f64().map(|n| n.to_string()))
                    .or_else(|| value.as_bool().map(|b| b.to_string()));
                value.map(|value| (key.clone(), value)).ok_or(format!(
                    "setup key {key:?} needs a string, number or boolean"
                ))
            })
            .collect::<Result<Vec<_>, String>>()?;
        return Ok(Command::Input(Input::Setup(pairs)));
    }
    Err("set-input needs one of text, image or setup".into())
}

impl Host {
    fn run(self, command: Command, lang: RwSignal<Lang>) {
        match command {
            Command::Language(new) => lang.set(new),
            Command::Ping => {
                self.announce(lang.get_untracked());
                self.last_height.set_value(0);
                self.report_height();
            }
            Command::Input(input) => self.dispatch(input),
            Command::ImageBlob { name, blob } => spawn_local(async move {
                match blob_bytes(&blob).await {
                    Ok(bytes) => self.dispatch(Input::Image { name, bytes }),
                    Err(why) => self.reject(
                        "set-input image",
                        format!("the image Blob could not be read: {why}"),
                    ),
                }
            }),
        }
    }

    /// Hands `input` to every handler of its kind, or tells the host nobody takes it.
    fn dispatch(self, input: Input) {
        let kind = input.kind();
        let handlers: Vec<Handler> = self.handlers.with_value(|all| {
            all.iter()
                .filter(|(_, k, _)| *k == kind)
                .map(|(_, _, h)| h.clone())
                .collect()
        });
        if handlers.is_empty() {
            let reason = format!("the {} demo takes no {} input", self.demo, kind.id());
            return self.reject(&format!("set-input {}", kind.id()), reason);
        }
        for handler in handlers {
            handler(input.clone());
        }
    }

    /// Tells the host that a command could not be applied, and why; warns in the console too.
    fn reject(self, command: &str, reason: impl Into<String>) {
        let reason = reason.into();
        warn(&reason);
        self.post(&Event::Rejected {
            command: command.to_string(),
            reason,
        });
    }

    fn announce(self, lang: Lang) {
        let mut accepts: Vec<&'static str> = self
            .handlers
            .with_value(|all| all.iter().map(|(_, kind, _)| kind.id()).collect());
        accepts.sort_unstable();
        accepts.dedup();
        self.post(&Event::Ready {
            lang: lang.id(),
            accepts,
        });
    }

    fn post(self, event: &Event) {
        let Some(parent) = parent() else {
            return;
        };
        let envelope = Envelope {
            protocol: PROTOCOL,
            version: VERSION,
            demo: self.demo,
            event,
        };
        let Ok(json) = serde_json::to_string(&envelope) else {
            return;
        };
        if let Ok(message) = js_sys::JSON::parse(&json) {
            // A parent that went away takes the event with it; nothing to do then.
            let _ = parent.post_message(&message, "*");
        }
    }

    /// The height of everything the page shows, whenever it changes.
    fn report_height(self) {
        let Some(root) = root_element() else {
            return;
        };
        let height = root.get_bounding_client_rect().height().ceil() as u32;
        if height != self.last_height.get_value() {
            self.last_height.set_value(height);
            self.post(&Event::Height { height });
        }
    }

    fn watch_height(self) {
        let Some(root) = root_element() else {
            return;
        };
        let changed = Closure::<dyn Fn()>::new(move || self.report_height());
        if let Ok(observer) = web_sys::ResizeObserver::new(changed.as_ref().unchecked_ref()) {
            observer.observe(&root);
            // The observer lives as long as the page: the shell is never unmounted.
            changed.forget();
        }
    }
}

/// Registers what this demo does with a kind of host input, for as long as the calling
/// component lives. Outside the shell (a test mounting one component) it does nothing.
pub fn accept(kind: InputKind, handler: impl Fn(Input) + 'static) {
    let Some(host) = use_context::<Host>() else {
        return;
    };
    let id = host.next_id.get_value();
    host.next_id.set_value(id + 1);
    host.handlers
        .update_value(|all| all.push((id, kind, Rc::new(handler))));
    on_cleanup(move || {
        host.handlers
            .update_value(|all| all.retain(|(other, _, _)| *other != id))
    });
}

/// A demo's way to tell the host what it found. Taken while the component is built (async
/// work that reports later has no reactive owner to look the host up from).
#[derive(Clone, Copy)]
pub struct HostLink(Option<Host>);

/// The link for the calling component.
pub fn link() -> HostLink {
    HostLink(use_context::<Host>())
}

impl HostLink {
    /// Sends `event`; nothing happens when the page is not embedded.
    pub fn emit(self, event: Event) {
        if let Some(host) = self.0 {
            host.post(&event);
        }
    }

    /// Tells the host that a command it may send could not be applied, and why.
    pub fn reject(self, command: &str, reason: impl Into<String>) {
        if let Some(host) = self.0 {
            host.reject(command, reason);
        }
    }
}

/// Where a training run stands, for [`report_training`]; only the figures a demo has are sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_loss: Option<f32>,
}

/// Training events are sent at most this often while a run goes on: a frame-paced loop changes
/// its figures sixty times a second, more than a host can use.
const TRAINING_REPORT_MS: f64 = 250.0;

/// Reports a demo's training to the host: whenever it starts or stops, and at most every
/// [`TRAINING_REPORT_MS`] in between.
pub fn report_training(
    running: impl Fn() -> bool + Send + Sync + 'static,
    progress: impl Fn() -> Progress + Send + Sync + 'static,
) {
    let link = link();
    if link.0.is_none() || parent().is_none() {
        return;
    }
    let last_sent = StoredValue::new(f64::NEG_INFINITY);
    Effect::new(move |was_running: Option<bool>| {
        let running = running();
        let progress = progress();
        let now = crate::runtime::frame::now_ms();
        let switched = was_running.is_some_and(|was| was != running);
        if switched || now - last_sent.get_value() >= TRAINING_REPORT_MS {
            last_sent.set_value(now);
            link.emit(Event::Training { running, progress });
        }
        running
    });
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    fn message(json: &str) -> JsValue {
        js_sys::JSON::parse(json).unwrap()
    }

    fn input(json: &str) -> Result<Input, String> {
        match parse(&message(json))? {
            Command::Input(input) => Ok(input),
            _ => Err("not an input".into()),
        }
    }

    #[wasm_bindgen_test]
    fn only_messages_naming_the_protocol_are_ours() {
        assert!(is_ours(&message(r#"{"protocol":"open-model-lab"}"#)));
        assert!(!is_ours(&message(r#"{"protocol":"other"}"#)));
        assert!(!is_ours(&JsValue::from_str("open-model-lab")));
        assert!(!is_ours(&JsValue::NULL));
    }

    #[wasm_bindgen_test]
    fn commands_are_read_with_their_fields() {
        let text = input(r#"{"version":1,"type":"set-input","text":"好"}"#);
        assert_eq!(text, Ok(Input::Text("好".into())));
        let setup =
            input(r#"{"version":1,"type":"set-input","setup":{"data":"xor","lr":0.1,"x":true}}"#);
        let pairs = [("data", "xor"), ("lr", "0.1"), ("x", "true")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .to_vec();
        assert_eq!(setup, Ok(Input::Setup(pairs)));
        assert_eq!(
            input(r#"{"version":1,"type":"start"}"#),
            Ok(Input::Run(true))
        );
        assert_eq!(
            input(r#"{"version":1,"type":"pause"}"#),
            Ok(Input::Run(false))
        );
        assert!(matches!(
            parse(&message(
                r#"{"version":1,"type":"set-language","lang":"en"}"#
            )),
            Ok(Command::Language(Lang::En))
        ));
    }

    #[wasm_bindgen_test]
    fn an_image_view_gives_only_its_own_bytes() {
        let buffer = js_sys::Uint8Array::from(&[9u8, 1, 2, 3, 9][..]).buffer();
        let view = js_sys::Uint8Array::new_with_byte_offset_and_length(&buffer, 1, 3);
        let data = message(r#"{"version":1,"type":"set-input","name":"a.png"}"#);
        js_sys::Reflect::set(&data, &"image".into(), &view).unwrap();
        let Ok(Command::Input(image)) = parse(&data) else {
            panic!("an image command")
        };
        assert_eq!(
            image,
            Input::Image {
                name: "a.png".into(),
                bytes: vec![1, 2, 3]
            }
        );
    }

    #[wasm_bindgen_test]
    fn malformed_messages_say_what_is_wrong() {
        let why = |json: &str| parse(&message(json)).err().unwrap_or_default();
        assert!(why(r#"{"version":2,"type":"start"}"#).contains("version"));
        assert!(why(r#"{"type":"start"}"#).contains("version"));
        assert!(why(r#"{"version":1}"#).contains("type"));
        assert!(why(r#"{"version":1,"type":"explode"}"#).contains("unknown type"));
        assert!(why(r#"{"version":1,"type":"set-language","lang":"fr"}"#).contains("zh"));
        assert!(why(r#"{"version":1,"type":"set-input","image":5}"#).contains("Blob"));
        assert!(why(r#"{"version":1,"type":"set-input","setup":{"a":[1]}}"#).contains("\"a\""));
        assert!(why(r#"{"version":1,"type":"set-input"}"#).contains("one of"));
    }

    #[wasm_bindgen_test]
    fn events_carry_the_envelope_and_camel_case_fields() {
        let event = Event::Training {
            running: true,
            progress: Progress {
                step: Some(3),
                test_loss: Some(0.5),
                ..Progress::default()
            },
        };
        let envelope = Envelope {
            protocol: PROTOCOL,
            version: VERSION,
            demo: "playground",
            event: &event,
        };
        assert_eq!(
            serde_json::to_string(&envelope).unwrap(),
            r#"{"protocol":"open-model-lab","version":1,"demo":"playground","type":"training","running":true,"step":3,"testLoss":0.5}"#
        );
    }
}
