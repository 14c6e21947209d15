//! The listening loop: it starts and stops the audio as the visitor asks, turns each frame's new
//! samples into log-mel frames, marks the voiced ones, records the example the visitor asked
//! for, and paints the scrolling spectrogram. The source picker and the spectrogram's view.

use std::collections::HashMap;
use std::rc::Rc;

use lab_core::speech::activity::VoiceActivity;
use lab_core::speech::audio::{self, LogMel, MEL_BANDS, RECORDINGS};
use lab_core::speech::keyword::{CLIP_FRAMES, Clip};
use leptos::prelude::*;
use wasm_bindgen::Clamped;
use web_sys::{HtmlCanvasElement, ImageData};

use super::capture::{Capture, Input};
use super::{Recent, SHOWN_FRAMES, Source, State};
use crate::i18n::{Lang, Message, tr, use_lang};
use crate::runtime::download::fetch_pinned;
use crate::runtime::job::Job;
use crate::widgets::save_png::{Figure, SavePng};
use crate::widgets::value_map::context_2d;

/// Rows of the voice-activity strip under the bands.
const STRIP_ROWS: usize = 4;
/// The spectrogram's colour range: this many dB below the loudest band shown is black.
const SHOWN_RANGE_DB: f32 = 70.0;

pub(super) async fn listening_loop(
    mut job: Job,
    state: State,
    canvas: NodeRef<leptos::html::Canvas>,
    lang: RwSignal<Lang>,
) {
    let mut capture: Option<(Source, Capture)> = None;
    let mut recordings: HashMap<usize, Rc<Vec<f32>>> = HashMap::new();
    let mut analyser = LogMel::new();
    let mut activity = VoiceActivity::default();
    let mut example: Vec<[f32; MEL_BANDS]> = Vec::new();
    while job.frame().await {
        let wanted = state
            .listening
            .get_untracked()
            .then(|| state.source.get_untracked());
        if capture.as_ref().map(|(source, _)| *source) != wanted {
            // Dropping the old capture stops its microphone before another starts. What was
            // heard from it goes too, so that nothing mixes two sources.
            capture = None;
            analyser = LogMel::new();
            activity = VoiceActivity::default();
            example.clear();
            state.recent.set_value(Recent::default());
            state.heard.set((0, 0, f32::NEG_INFINITY));
            state.probabilities.set(None);
            if let Some(source) = wanted {
                match start(source, &mut recordings, state, lang.get_untracked()).await {
                    Ok(started) => capture = Some((source, started)),
                    Err(message) => {
                        state.problem.set(Some(message));
                        state.listening.set(false);
                    }
                }
                state.preparing.set(None);
            }
            continue;
        }
        let Some((_, current)) = &capture else {
            continue;
        };
        let frames = analyser.push(&current.take());
        if frames.is_empty() {
            continue;
        }
        let recording = state.recording.get_untracked();
        state.recent.update_value(|recent| {
            for frame in &frames {
                recent.push(*frame, activity.update(frame));
            }
            state.heard.set((
                recent.total,
                recent.voiced,
                frames[frames.len() - 1].energy_db,
            ));
        });
        match recording {
            Some(label) => {
                example.extend(frames.iter().map(|f| f.mel));
                if example.len() >= CLIP_FRAMES {
                    example.truncate(CLIP_FRAMES);
                    let frames = std::mem::take(&mut example);
                    state
                        .clips
                        .update(|clips| clips.push(Clip { frames, label }));
                    state.recording.set(None);
                }
            }
            None => example.clear(),
        }
        if let Some(canvas) = canvas.get_untracked() {
            state.recent.with_value(|recent| paint(&canvas, recent));
        }
    }
}

/// Opens `source`: a recording is fetched (size and sha256 checked) and decoded once per visit.
async fn start(
    source: Source,
    recordings: &mut HashMap<usize, Rc<Vec<f32>>>,
    state: State,
    lang: Lang,
) -> Result<Capture, Message> {
    state.problem.set(None);
    match source {
        Source::Microphone => {
            state.preparing.set(Some(
                match lang {
                    Lang::Zh => "正在请求麦克风权限…",
                    Lang::En => "Asking for the microphone…",
                }
                .into(),
            ));
            Capture::start(Input::Microphone).await
        }
        Source::Recording(i) => {
            let samples = match recordings.get(&i) {
                Some(samples) => samples.clone(),
                None => {
                    let samples = Rc::new(load_recording(i, lang, state.preparing).await?);
                    recordings.insert(i, samples.clone());
                    samples
                }
            };
            Capture::start(Input::Recording(samples.as_slice())).await
        }
    }
}

async fn load_recording(
    index: usize,
    lang: Lang,
    loading: RwSignal<Option<String>>,
) -> Result<Vec<f32>, Message> {
    let recording = &RECORDINGS[index];
    let url = format!("assets/speech/{}", recording.file);
    let bytes = fetch_pinned(
        &url,
        (recording.file, recording.size, recording.sha256),
        ("示例录音", "The sample recording"),
        lang,
        loading,
    )
    .await?;
    audio::read_wav(bytes.as_ref()).map_err(|e| {
        Message::new(
            format!("示例录音无法解码：{e}"),
            format!("The sample recording could not be decoded: {e}"),
        )
    })
}

/// One column per frame, low frequencies at the bottom, the newest on the right; the voiced
/// frames marked in a strip below.
fn paint(canvas: &HtmlCanvasElement, recent: &Recent) {
    let (width, height) = (SHOWN_FRAMES, MEL_BANDS + STRIP_ROWS);
    let Some(context) = context_2d(canvas) else {
        return;
    };
    let loudest = recent
        .frames
        .iter()
        .flat_map(|(f, _)| f.mel)
        .fold(-100.0f32, f32::max);
    let mut pixels = vec![0u8; width * height * 4];
    let offset = width - recent.frames.len();
    for (i, (frame, voiced)) in recent.frames.iter().enumerate() {
        let x = offset + i;
        for (band, &db) in frame.mel.iter().enumerate() {
            let level = 1.0 - ((loudest - db) / SHOWN_RANGE_DB).clamp(0.0, 1.0);
            let y = MEL_BANDS - 1 - band;
            pixels[(y * width + x) * 4..][..4].copy_from_slice(&heat(level));
        }
        let mark = if *voiced {
            [46, 160, 67, 255]
        } else {
            [230, 230, 230, 255]
        };
        for y in MEL_BANDS..height {
            pixels[(y * width + x) * 4..][..4].copy_from_slice(&mark);
        }
    }
    if let Ok(image) =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels), width as u32, height as u32)
    {
        // Drawing fails only for a detached canvas, which nobody sees.
        let _ = context.put_image_data(&image, 0.0, 0.0);
    }
}

/// Black through purple and orange to pale yellow, for `level` in [0, 1].
fn heat(level: f32) -> [u8; 4] {
    const STOPS: [[f32; 3]; 4] = [
        [0.0, 0.0, 4.0],
        [120.0, 28.0, 109.0],
        [237.0, 105.0, 37.0],
        [252.0, 255.0, 164.0],
    ];
    let scaled = level.clamp(0.0, 1.0) * (STOPS.len() - 1) as f32;
    let i = (scaled as usize).min(STOPS.len() - 2);
    let t = scaled - i as f32;
    let channel = |c: usize| (STOPS[i][c] + (STOPS[i + 1][c] - STOPS[i][c]) * t) as u8;
    [channel(0), channel(1), channel(2), 255]
}

#[component]
pub(super) fn SourceControls(state: State) -> impl IntoView {
    let lang = use_lang();
    let choose = move |source: Source| state.source.set(source);
    view! {
        <div class="controls">
            <label>{tr("声音来源 ", "Sound from ")}
                <select data-testid="speech-source" on:change=move |ev| {
                    if let Some(source) = Source::from_id(&event_target_value(&ev)) {
                        choose(source);
                    }
                }>
                    <option value="mic" selected=move || state.source.get() == Source::Microphone>
                        {tr("麦克风", "Microphone")}
                    </option>
                    {RECORDINGS.iter().enumerate().map(|(i, r)| view! {
                        <option value=r.id selected=move || state.source.get() == Source::Recording(i)>
                            {move || format!("{}{}", tr("示例录音：", "Sample: ")(), match lang.get() {
                                Lang::Zh => r.title.0,
                                Lang::En => r.title.1,
                            })}
                        </option>
                    }).collect_view()}
                </select>
            </label>
            <button data-testid="speech-listen" on:click=move |_| state.listening.update(|l| *l = !*l)>
                {move || if state.listening.get() { tr("停止", "Stop")() } else { tr("开始听", "Listen")() }}
            </button>
        </div>
    }
}

#[component]
pub(super) fn Spectrogram(state: State, canvas: NodeRef<leptos::html::Canvas>) -> impl IntoView {
    view! {
        <figure class="spectrogram">
            <canvas node_ref=canvas width=SHOWN_FRAMES.to_string() height=(MEL_BANDS + STRIP_ROWS).to_string()
                data-testid="speech-spectrogram" role="img"
                data-frames=move || state.heard.get().0.to_string()
                data-voiced=move || state.heard.get().1.to_string()
                aria-label=tr("对数梅尔频谱：横轴是最近 3 秒，纵轴是 40 个梅尔频带（低频在下），底部绿色表示检测到人声",
                    "Log-mel spectrogram: the last 3 seconds across, 40 mel bands up (low at the bottom); green below marks detected voice")
            ></canvas>
            <figcaption>
                {tr("最近 3 秒 · 纵轴 20 Hz–8 kHz（梅尔刻度）· 底部绿条：能量检测到的人声", "Last 3 s · 20 Hz–8 kHz up, mel scale · green strip: voice by an energy detector")}
                {move || {
                    let (frames, _, energy) = state.heard.get();
                    (frames > 0).then(|| format!(" · {} {energy:.0} dBFS", tr("音量", "level")()))
                }}
                " "<SavePng figure=Figure::Canvas(canvas) name="spectrogram" />
            </figcaption>
        </figure>
    }
}
