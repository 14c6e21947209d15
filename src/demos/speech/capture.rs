//! Sound into the page: the microphone or a sample recording played through Web Audio at 16 kHz
//! into a small AudioWorklet tap (www/static/audio-tap.js), whose blocks of samples wait here
//! until the listening loop takes them. Web Audio resamples the microphone to the context's rate.
//! Dropping a [`Capture`] stops the microphone and closes the context.

use std::cell::RefCell;
use std::rc::Rc;

use lab_core::speech::audio::SAMPLE_RATE;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AudioContext, AudioContextOptions, AudioNode, AudioWorkletNode, AudioWorkletNodeOptions,
    ChannelCountMode, DomException, MediaStream, MediaStreamConstraints, MessageEvent, MessagePort,
};

use crate::i18n::Message;
use crate::runtime::js_error_text;

/// Where the worklet module is served (trunk copies www/static/).
const TAP_MODULE: &str = "static/audio-tap.js";
/// Samples kept while nobody takes them (a hidden tab pauses animation frames, not audio): two
/// seconds, the rest dropped from the front.
const MAX_WAITING: usize = 2 * SAMPLE_RATE as usize;

/// What to listen to.
pub enum Input<'a> {
    Microphone,
    /// A decoded recording, played in a loop (and heard through the speakers).
    Recording(&'a [f32]),
}

pub struct Capture {
    context: AudioContext,
    stream: Option<MediaStream>,
    samples: Rc<RefCell<Vec<f32>>>,
    /// The tap's port: its handler is cleared before the closure goes.
    port: MessagePort,
    _on_block: Closure<dyn FnMut(MessageEvent)>,
}

impl Capture {
    /// Starts listening to `input`, or says why it cannot (permission denied, no microphone, an
    /// insecure page, a browser without AudioWorklet).
    pub async fn start(input: Input<'_>) -> Result<Self, Message> {
        let context = context()?;
        let stream = match input {
            Input::Microphone => Some(microphone().await?),
            Input::Recording(_) => None,
        };
        let samples = Rc::new(RefCell::new(Vec::new()));
        let tap = tap(&context).await.map_err(|e| unavailable(&e))?;
        let waiting = samples.clone();
        let on_block = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let block = js_sys::Float32Array::new(&event.data()).to_vec();
            let mut waiting = waiting.borrow_mut();
            waiting.extend_from_slice(&block);
            let excess = waiting.len().saturating_sub(MAX_WAITING);
            waiting.drain(..excess);
        });
        let port = tap.port().map_err(|e| unavailable(&e))?;
        port.set_onmessage(Some(on_block.as_ref().unchecked_ref()));
        let capture = Self {
            context,
            stream,
            samples,
            port,
            _on_block: on_block,
        };
        capture.connect(&tap, input).map_err(|e| unavailable(&e))?;
        // A context made after a click may still start suspended (autoplay policy).
        if let Ok(promise) = capture.context.resume() {
            let _ = JsFuture::from(promise).await;
        }
        Ok(capture)
    }

    /// The samples that arrived since the last call.
    pub fn take(&self) -> Vec<f32> {
        std::mem::take(&mut *self.samples.borrow_mut())
    }

    fn connect(&self, tap: &AudioWorkletNode, input: Input<'_>) -> Result<(), JsValue> {
        let source: AudioNode = match (input, &self.stream) {
            (Input::Microphone, Some(stream)) => {
                self.context.create_media_stream_source(stream)?.into()
            }
            (Input::Recording(samples), _) => {
                let buffer = self.context.create_buffer(
                    1,
                    samples.len().max(1) as u32,
                    SAMPLE_RATE as f32,
                )?;
                buffer.copy_to_channel(samples, 0)?;
                let player = self.context.create_buffer_source()?;
                player.set_buffer(Some(&buffer));
                player.set_loop(true);
                player.connect_with_audio_node(&self.context.destination())?;
                player.start()?;
                player.into()
            }
            (Input::Microphone, None) => return Err(JsValue::from_str("no microphone stream")),
        };
        source.connect_with_audio_node(tap)?;
        // The tap outputs silence; connected to the output, it is kept running.
        tap.connect_with_audio_node(&self.context.destination())?;
        Ok(())
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if let Some(stream) = &self.stream {
            for track in stream.get_tracks() {
                if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
                    track.stop();
                }
            }
        }
        // A block the tap posted before the close still arrives: it must find no handler, not
        // the closure dropped with this capture.
        self.port.set_onmessage(None);
        self.port.close();
        let _ = self.context.close();
    }
}

fn context() -> Result<AudioContext, Message> {
    let options = AudioContextOptions::new();
    options.set_sample_rate(SAMPLE_RATE as f32);
    AudioContext::new_with_context_options(&options).map_err(|e| unavailable(&e))
}

async fn tap(context: &AudioContext) -> Result<AudioWorkletNode, JsValue> {
    let worklet = context.audio_worklet()?;
    JsFuture::from(worklet.add_module(TAP_MODULE)?).await?;
    let options = AudioWorkletNodeOptions::new();
    options.set_number_of_inputs(1);
    options.set_number_of_outputs(1);
    // Web Audio mixes a stereo microphone down to mono before the tap.
    options.set_channel_count(1);
    options.set_channel_count_mode(ChannelCountMode::Explicit);
    AudioWorkletNode::new_with_options(context, "lab-tap", &options)
}

async fn microphone() -> Result<MediaStream, Message> {
    let devices = web_sys::window()
        .and_then(|w| w.navigator().media_devices().ok())
        .ok_or_else(|| {
            Message::new(
                "这个页面拿不到麦克风：浏览器只在 https 或本机地址上开放麦克风。可以改用下面的示例录音。",
                "This page cannot reach a microphone: browsers offer it only on https or localhost. Use a sample recording below instead.",
            )
        })?;
    let constraints = MediaStreamConstraints::new();
    constraints.set_audio(&JsValue::TRUE);
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| unavailable(&e))?;
    let stream = JsFuture::from(promise).await.map_err(|e| refused(&e))?;
    stream.dyn_into().map_err(|_| {
        Message::new(
            "浏览器没有给出音频流。",
            "The browser gave no audio stream.",
        )
    })
}

/// Why getUserMedia failed, in the visitor's terms.
fn refused(error: &JsValue) -> Message {
    let name = error
        .dyn_ref::<DomException>()
        .map(|e| e.name())
        .unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "SecurityError" => Message::new(
            "麦克风权限被拒绝。要用麦克风，请在地址栏的权限设置里允许本页使用麦克风后再试；也可以改用示例录音。",
            "Microphone permission was denied. To use it, allow this page to use the microphone in the address bar's site settings and try again, or use a sample recording.",
        ),
        "NotFoundError" | "OverconstrainedError" => Message::new(
            "没有找到麦克风。请接上麦克风后再试，或改用示例录音。",
            "No microphone was found. Connect one and try again, or use a sample recording.",
        ),
        "NotReadableError" | "AbortError" => Message::new(
            "麦克风正被别的程序占用，或者系统不让浏览器使用它。",
            "The microphone is in use by another program, or the system does not let the browser use it.",
        ),
        _ => unavailable(error),
    }
}

fn unavailable(error: &JsValue) -> Message {
    let why = js_error_text(error);
    Message::new(
        format!("无法打开音频：{why}"),
        format!("Audio could not be started: {why}"),
    )
}
