//! Article 2.3, speech recognition: the visitor's microphone (or a sample recording) as a live
//! log-mel spectrogram with the voiced frames marked, and a keyword trainer in the style of
//! Teachable Machine's audio project: record a few one-second examples of two to four words and
//! the background, train a small convolutional network live, and watch it recognise the words
//! from the microphone (`lab_core::speech`).
//!
//! Two tasks own the work: the listening loop (listening.rs) owns the audio and the spectrogram,
//! the training loop (keywords.rs) owns the network; they share the recent frames. Nothing heard
//! leaves the page: the audio is analysed in this tab and kept only as the examples recorded.

mod capture;
mod keywords;
mod listening;

use std::collections::VecDeque;

use lab_core::optim::OptimizerKind;
use lab_core::speech::audio::{Frame, MEL_BANDS, RECORDINGS};
use lab_core::speech::keyword::{Clip, Score};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::demos::Demo;
use crate::i18n::{Lang, Message, Text, tr, use_lang};
use crate::runtime::backend::use_backend;
use crate::runtime::job::Job;
use crate::runtime::url;
use crate::widgets::problem::Problem;
use crate::widgets::slow_backend::SlowOnNdArray;
use crate::widgets::weights_file::WeightsPort;

pub const DEMO: Demo = Demo {
    id: "speech",
    section: "2.3",
    title: Text::new("语音识别：听懂几个词", "Speech recognition: a few words"),
    summary: Text::new(
        "把麦克风里的声音实时画成对数梅尔频谱，再像 Teachable Machine 那样录几段一秒钟的词，在页面里现场训练一个小卷积网络，让它从麦克风里认出这些词。声音不离开你的设备。",
        "See your microphone as a live log-mel spectrogram, then, as in Teachable Machine, record a few one-second examples of some words, train a small convolutional network live in the page and let it recognise them from the microphone. The sound never leaves your device.",
    ),
    guide: Text::new(
        "声音先被变成一张频率随时间变化的图，认词就变成了看图。录几段你自己的词，训练只要几十秒；留意它在安静和嘈杂时表现的差别。录音只在本页处理。",
        "Sound is first turned into a picture of frequencies over time, and recognising a word becomes reading that picture. Record a few examples of your own words and training takes seconds; notice how it copes with quiet and with noise. The recording stays in this page.",
    ),
    view: || view! { <Speech /> }.into_any(),
};

/// burn-ndarray's 2-D convolutions are far slower than flex's (measured natively on 2 cores,
/// `speech_bench`: 0.2 against 8 training steps/s, 5.6 against 1.2 ms a classification).
const NDARRAY_NOTE: Text = Text::new(
    "提示：burn-ndarray 的二维卷积比 flex 慢得多（本机实测训练每秒 0.2 步对 8 步）；这个演示建议选 CPU (flex)。",
    "Note: burn-ndarray's 2-D convolutions are far slower than flex's (measured natively: 0.2 against 8 training steps/s); pick CPU (flex) for this demo.",
);

/// Work per frame for training and recognition, leaving the page room to draw.
const FRAME_BUDGET_MS: f64 = 10.0;
/// Frames the spectrogram shows: three seconds.
const SHOWN_FRAMES: usize = 300;

/// Where the sound comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Microphone,
    /// An index into [`RECORDINGS`].
    Recording(usize),
}

impl Source {
    fn id(self) -> &'static str {
        match self {
            Source::Microphone => "mic",
            Source::Recording(i) => RECORDINGS[i].id,
        }
    }

    fn from_id(id: &str) -> Option<Self> {
        if id == "mic" {
            return Some(Source::Microphone);
        }
        RECORDINGS
            .iter()
            .position(|r| r.id == id)
            .map(Source::Recording)
    }
}

/// The last [`SHOWN_FRAMES`] frames and whether each was voiced, with the count of all frames
/// heard (the training loop classifies when it has moved on).
#[derive(Default)]
struct Recent {
    frames: VecDeque<(Frame, bool)>,
    total: usize,
    voiced: usize,
}

impl Recent {
    fn push(&mut self, frame: Frame, voiced: bool) {
        if self.frames.len() == SHOWN_FRAMES {
            self.frames.pop_front();
        }
        self.frames.push_back((frame, voiced));
        self.total += 1;
        self.voiced += usize::from(voiced);
    }

    /// The latest `n` frames' log-mel values (fewer at the start).
    fn latest(&self, n: usize) -> Vec<[f32; MEL_BANDS]> {
        let skip = self.frames.len().saturating_sub(n);
        self.frames.iter().skip(skip).map(|(f, _)| f.mel).collect()
    }
}

/// What the visitor chose for training; a change starts training afresh.
#[derive(Clone, Copy, PartialEq)]
struct Settings {
    optimizer: OptimizerKind,
    /// Bumped by "reset".
    resets: u32,
}

#[derive(Clone, Copy)]
struct State {
    source: RwSignal<Source>,
    /// The visitor wants to listen (the listening loop starts and stops the audio to match).
    listening: RwSignal<bool>,
    /// What is being prepared: a download, the permission prompt.
    preparing: RwSignal<Option<String>>,
    problem: RwSignal<Option<Message>>,
    recent: StoredValue<Recent, LocalStorage>,
    /// Frames heard, voiced frames, and the latest frame's energy (dB): the readout and the
    /// end-to-end test's view of the stream.
    heard: RwSignal<(usize, usize, f32)>,
    /// The class names (two words and the background at first).
    words: RwSignal<Vec<String>>,
    clips: RwSignal<Vec<Clip>>,
    /// The class whose next second is being recorded.
    recording: RwSignal<Option<usize>>,
    settings: RwSignal<Settings>,
    running: RwSignal<bool>,
    steps_per_second: RwSignal<f32>,
    scores: RwSignal<Vec<Score>>,
    /// Each class's probability for the latest second, once a network is trained.
    probabilities: RwSignal<Option<Vec<f32>>>,
    /// Training steps behind the network (a loaded one's too): one with none is not saved.
    network_steps: RwSignal<usize>,
    /// The network saved and loaded as a file, with the classes' names.
    weights: WeightsPort,
}

fn default_words(lang: Lang) -> Vec<String> {
    let names: [(&str, &str); 3] = [
        ("词 A", "Word A"),
        ("词 B", "Word B"),
        ("背景", "Background"),
    ];
    names
        .iter()
        .map(|(zh, en)| match lang {
            Lang::Zh => zh.to_string(),
            Lang::En => en.to_string(),
        })
        .collect()
}

#[component]
fn Speech() -> impl IntoView {
    let lang = use_lang();
    let source = url::query("source")
        .and_then(|id| Source::from_id(&id))
        .unwrap_or(Source::Microphone);
    let optimizer = url::query("opt")
        .and_then(|id| OptimizerKind::from_id(&id))
        .unwrap_or(OptimizerKind::Adam);
    let state = State {
        source: RwSignal::new(source),
        listening: RwSignal::new(false),
        preparing: RwSignal::new(None),
        problem: RwSignal::new(None),
        recent: StoredValue::new_local(Recent::default()),
        heard: RwSignal::new((0, 0, f32::NEG_INFINITY)),
        words: RwSignal::new(default_words(lang.get_untracked())),
        clips: RwSignal::new(Vec::new()),
        recording: RwSignal::new(None),
        settings: RwSignal::new(Settings {
            optimizer,
            resets: 0,
        }),
        running: RwSignal::new(false),
        steps_per_second: RwSignal::new(0.0),
        scores: RwSignal::new(Vec::new()),
        probabilities: RwSignal::new(None),
        network_steps: RwSignal::new(0),
        weights: WeightsPort::new(DEMO.id),
    };
    Effect::new(move |_| {
        let (source, optimizer) = (state.source.get(), state.settings.get().optimizer);
        url::set_query(&[
            ("source", source.id().into()),
            ("opt", optimizer.id().into()),
        ]);
    });
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let job = Job::new(FRAME_BUDGET_MS);
    spawn_local(listening::listening_loop(job.clone(), state, canvas, lang));
    spawn_local(keywords::training_loop(job, state, use_backend()));
    view! {
        <p class="hint">{tr(
            "声音按 16 kHz 采样，每 10 毫秒取 32 毫秒的窗口做傅里叶变换，再按人耳的梅尔刻度合成 40 个频带、取对数：这就是语音模型的输入。示例录音：CMU ARCTIC 朗读句子（卡内基梅隆大学，注明出处即可自由使用）和肯尼迪就职演说（公有领域）。",
            "Sound is sampled at 16 kHz; every 10 ms a 32 ms window goes through a Fourier transform, its power is pooled into 40 bands on the ear's mel scale and put on a log scale: the input of speech models. Sample recordings: a CMU ARCTIC read sentence (Carnegie Mellon University, free use with notice) and JFK's inaugural address (public domain).",
        )}</p>
        <listening::SourceControls state=state />
        <SlowOnNdArray testid="speech-ndarray-note" note=NDARRAY_NOTE />
        {move || state.preparing.get().map(|what| view! { <p class="status" data-testid="speech-preparing">{what}</p> })}
        <Problem problem=state.problem testid="speech-problem" />
        <listening::Spectrogram state=state canvas=canvas />
        <keywords::KeywordPanel state=state />
    }
}
