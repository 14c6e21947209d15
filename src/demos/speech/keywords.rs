//! The keyword trainer: the classes and their recorded examples, the loop that owns the network
//! (it trains on the examples while the visitor lets it, classifies the latest second heard ten
//! times a second once trained or loaded from a file, and writes the file asked for), its loss
//! curve and the live probabilities.

use lab_core::speech::keyword::{
    self, CLIP_FRAMES, KeywordSpec, KeywordTrainer, MAX_CLASSES, MAX_WORD_CHARS, Score,
};
use leptos::prelude::*;

use super::{Settings, State};
use crate::i18n::{Lang, tr, use_lang};
use crate::runtime::backend::Backend;
use crate::runtime::job::{EpochPace, Job, Place, Placement};
use crate::widgets::line_chart::{LineChart, Series};
use crate::widgets::run_controls::{RunControls, RunState};
use crate::widgets::weights_file::WeightsFile;

/// Examples each class needs before training can start.
pub const MIN_EXAMPLES: usize = 3;
/// How long a run trains: passes over the examples.
const EPOCHS: f32 = 60.0;
/// Passes between two evaluations.
const EVALUATE_EVERY: f32 = 2.0;
/// More steps a frame would make the curve jump.
const MAX_STEPS_PER_FRAME: usize = 20;
/// Frames (10 ms each) between two classifications of the live sound.
const CLASSIFY_EVERY: usize = 10;

pub(super) async fn training_loop(mut job: Job, state: State, backend: Backend) {
    let mut trainer: Option<KeywordTrainer> = None;
    let mut placement = Placement::<(Settings, usize, usize)>::new();
    let mut pace = EpochPace::new(MAX_STEPS_PER_FRAME, EVALUATE_EVERY, EPOCHS);
    let mut classified_at = 0;
    // A loaded network, waiting for the trainer built next for its classes.
    let mut waiting = None;
    while job.frame().await {
        let Some(active) = backend.active.get_untracked() else {
            continue;
        };
        // A loaded file brings its classes: their names replace the page's, and the examples of
        // classes it does not have go.
        if let Some(file) = state.weights.take_file() {
            match keyword::restore(&file, &active.device) {
                Ok(saved) => {
                    state.running.set(false);
                    let classes = saved.words.len();
                    state
                        .clips
                        .update(|clips| clips.retain(|c| c.label < classes));
                    state.words.set(saved.words.clone());
                    state.recording.set(None);
                    state.weights.accept(&file);
                    waiting = Some(saved);
                }
                Err(why) => state.weights.refuse(why),
            }
        }
        let key = (
            state.settings.get_untracked(),
            state.clips.with_untracked(Vec::len),
            state.words.with_untracked(Vec::len),
        );
        let Some(place) = placement.place(key, active.generation) else {
            continue;
        };
        // A trainer exists even before there are examples enough to train: it is what a loaded
        // network classifies with.
        if place != Place::Stay || trainer.is_none() || waiting.is_some() {
            let spec = KeywordSpec {
                seed: 1 + u64::from(key.0.resets),
                ..KeywordSpec::for_optimizer(key.0.optimizer)
            };
            let mut fresh =
                KeywordTrainer::new(&spec, state.clips.get_untracked(), key.2, &active.device);
            if let Some(saved) = waiting.take() {
                fresh.resume(saved);
            }
            state.network_steps.set(fresh.steps());
            trainer = Some(fresh);
            state.scores.set(Vec::new());
            state.probabilities.set(None);
            pace.restart();
        }
        let Some(current) = trainer.as_mut() else {
            continue;
        };
        if state.weights.take_save_request() {
            let words = state.words.get_untracked();
            state.weights.offer(current.save(&words).await);
        }
        let running = state.running.get_untracked();
        let clock = current.clock();
        if ready(state)
            && pace.train(
                &job,
                running,
                clock,
                || current.step(),
                state.steps_per_second,
            )
        {
            match current.evaluate().await {
                Ok(score) => state.scores.update(|s| s.push(score)),
                Err(why) => {
                    placement.fail_run(backend, &active, why, state.running, state.problem);
                    continue;
                }
            }
            state.network_steps.set(current.steps());
            if pace.evaluated(current.clock()) {
                state.running.set(false);
            }
        }
        let (heard, latest) = state
            .recent
            .with_value(|r| (r.total, r.latest(CLIP_FRAMES)));
        // The frames start again from zero when the source changes.
        if heard < classified_at {
            classified_at = 0;
        }
        if current.steps() > 0
            && state.listening.get_untracked()
            && latest.len() == CLIP_FRAMES
            && heard >= classified_at + CLASSIFY_EVERY
        {
            classified_at = heard;
            match keyword::classify(current.model(), &latest, &active.device).await {
                Ok(probabilities) => state.probabilities.set(Some(probabilities)),
                Err(why) => placement.fail_run(backend, &active, why, state.running, state.problem),
            }
        }
    }
}

/// Whether another class fits.
fn can_add_class(classes: usize) -> bool {
    classes < MAX_CLASSES
}

/// Every class has enough examples.
fn ready(state: State) -> bool {
    let classes = state.words.with_untracked(Vec::len);
    state.clips.with_untracked(|clips| {
        (0..classes).all(|c| clips.iter().filter(|x| x.label == c).count() >= MIN_EXAMPLES)
    })
}

fn run_state(state: State) -> RunState {
    RunState {
        running: state.running,
        ready: Signal::derive(move || {
            state.clips.track();
            state.words.track();
            ready(state)
        }),
        optimizer: Signal::derive(move || state.settings.get().optimizer),
        epochs: Signal::derive(move || state.scores.with(|s| s.last().map(|s| s.epochs))),
        total_epochs: EPOCHS,
        steps_per_second: state.steps_per_second.into(),
    }
}

#[component]
pub(super) fn KeywordPanel(state: State) -> impl IntoView {
    let lang = use_lang();
    let update = move |f: &dyn Fn(&mut Settings)| {
        state.running.set(false);
        state.settings.update(|s| f(s));
    };
    let add_class = move |_| {
        let classes = state.words.get_untracked().len();
        if !can_add_class(classes) {
            return;
        }
        let letter = char::from(b'A' + (classes - 1) as u8);
        let name = match lang.get_untracked() {
            Lang::Zh => format!("词 {letter}"),
            Lang::En => format!("Word {letter}"),
        };
        state.words.update(|w| w.push(name));
    };
    // The last class goes with its examples; two classes always stay.
    let remove_class = move |_| {
        let classes = state.words.get_untracked().len();
        if classes <= 2 {
            return;
        }
        state.words.update(|w| {
            w.pop();
        });
        state
            .clips
            .update(|clips| clips.retain(|c| c.label < classes - 1));
        state.recording.set(None);
    };
    view! {
        <h2>{tr("关键词训练器", "Keyword trainer")}</h2>
        <p class="hint">{move || match lang.get() {
            Lang::Zh => format!("先点“开始听”，再为每一类录至少 {MIN_EXAMPLES} 段一秒钟的示例（说一遍词；“背景”类录安静或环境声），然后训练。录下的示例只留在这个页面里。"),
            Lang::En => format!("Press Listen, record at least {MIN_EXAMPLES} one-second examples for each class (say the word once; for the background, record silence or room noise), then train. The examples stay in this page."),
        }}</p>
        <table class="keyword-classes">
            <For each=move || 0..state.words.with(Vec::len) key=|i| *i let:class>
                <tr>
                    <td><input type="text" maxlength=MAX_WORD_CHARS.to_string() data-testid=format!("speech-word-{class}")
                        aria-label=move || match lang.get() {
                            Lang::Zh => format!("第 {} 类的名称", class + 1),
                            Lang::En => format!("Name of class {}", class + 1),
                        }
                        prop:value=move || state.words.with(|w| w.get(class).cloned().unwrap_or_default())
                        on:input=move |ev| {
                            let name = event_target_value(&ev);
                            state.words.update(|w| if let Some(slot) = w.get_mut(class) { *slot = name; });
                        } /></td>
                    {move || {
                        let n = state.clips.with(|c| c.iter().filter(|x| x.label == class).count());
                        let text = match (lang.get(), n) {
                            (Lang::Zh, n) => format!("{n} 段"),
                            (Lang::En, 1) => "1 example".to_string(),
                            (Lang::En, n) => format!("{n} examples"),
                        };
                        view! { <td data-testid=format!("speech-examples-{class}") data-count=n.to_string()>{text}</td> }
                    }}
                    <td><button data-testid=format!("speech-record-{class}")
                        disabled=move || !state.listening.get() || state.recording.get().is_some()
                        on:click=move |_| state.recording.set(Some(class))>
                        {move || if state.recording.get() == Some(class) { tr("录音中…", "Recording…")() } else { tr("录 1 秒", "Record 1 s")() }}
                    </button></td>
                    <td><Probability state=state class=class /></td>
                </tr>
            </For>
        </table>
        <div class="controls">
            <button data-testid="speech-add-class" disabled=move || !can_add_class(state.words.with(Vec::len)) on:click=add_class>
                {tr("加一类", "Add a class")}
            </button>
            <button data-testid="speech-remove-class" disabled=move || state.words.with(Vec::len) <= 2 on:click=remove_class>
                {tr("去掉最后一类", "Remove the last class")}
            </button>
            <button data-testid="speech-clear" on:click=move |_| { state.running.set(false); state.clips.set(Vec::new()); }>
                {tr("清除所有示例", "Clear all examples")}
            </button>
        </div>
        <div class="controls">
            <RunControls prefix="speech" run=run_state(state)
                on_optimizer=move |kind| update(&|s: &mut Settings| s.optimizer = kind)
                on_reset=move |()| update(&|s: &mut Settings| s.resets += 1) />
        </div>
        <WeightsFile port=state.weights prefix="speech"
            ready=Signal::derive(move || state.network_steps.get() > 0) />
        <Curve state=state />
        <p class="hint">{move || match lang.get() {
            Lang::Zh => format!("网络：三层 3×3 卷积（8、16、32 个通道，前两层后 2×2 最大池化），对时间和频率取平均，再接一个线性层；输入是最近 {CLIP_FRAMES} 帧（约 1 秒）的对数梅尔频谱。训练时每段示例随机前后平移最多 0.12 秒。最多 {MAX_CLASSES} 类。"),
            Lang::En => format!("Network: three 3×3 convolutions (8, 16, 32 channels, 2×2 max-pooling after the first two), a mean over time and frequency, one linear layer; its input is the latest {CLIP_FRAMES} frames (about a second) of log-mel. In training each example is shifted by up to 0.12 s either way at random. Up to {MAX_CLASSES} classes."),
        }}</p>
    }
}

/// The live probability of one class, as a bar.
#[component]
fn Probability(state: State, class: usize) -> impl IntoView {
    let p = move || {
        state
            .probabilities
            .with(|p| p.as_ref().and_then(|p| p.get(class).copied()))
    };
    move || {
        p().map(|p| {
            let top = state
                .probabilities
                .with(|all| all.as_ref().is_some_and(|all| all.iter().all(|&q| q <= p)));
            view! {
                <span class="probability" class:top=top data-testid=format!("speech-probability-{class}") data-p=p.to_string()>
                    <span class="bar" style=format!("width:{:.0}px", p * 120.0)></span>
                    {format!(" {:.0}%", p * 100.0)}
                </span>
            }
        })
    }
}

#[component]
fn Curve(state: State) -> impl IntoView {
    let points = move |f: fn(&Score) -> f32| {
        state
            .scores
            .with(|s| s.iter().map(|e| (e.epochs, f(e))).collect::<Vec<_>>())
    };
    let series = Signal::derive(move || {
        vec![
            Series {
                name: "loss".into(),
                color: "#1f77b4",
                points: points(|s| s.loss),
            },
            Series {
                name: "accuracy".into(),
                color: "#2ca02c",
                points: points(|s| s.accuracy),
            },
        ]
    });
    view! {
        <div class="charts"><div data-testid="speech-loss" data-losses=move || serde_json::to_string(&points(|s| s.loss).iter().map(|p| p.1).collect::<Vec<_>>()).unwrap_or_default()>
            <h3>{tr("示例上的损失（蓝）和准确率（绿）", "Loss (blue) and accuracy (green) on the examples")}</h3>
            <LineChart name="keyword-training" series=series x_label=Signal::derive(move || tr("轮", "epoch")().to_string()) />
        </div></div>
    }
}
