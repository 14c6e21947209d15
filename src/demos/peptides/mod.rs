//! Article 2.3, bioinformatics: is a peptide antimicrobial? A small 1-D convolutional network and
//! an amino-acid-composition baseline are trained live, on the same batches with the visitor's
//! optimizer, on modlamp's labelled sets; the visitor's own sequence gets P(antimicrobial) and a
//! per-residue saliency from burn's autodiff (`lab_core::peptides`).
//!
//! The data is fetched once per set, its size and sha256 checked before it is read or cached.
//! One task owns the trainer (training.rs); the controls only write signals.

mod sequence;
mod training;

use std::rc::Rc;

use lab_core::optim::OptimizerKind;
use lab_core::peptides::data::{self, DATASETS, DatasetFile, Peptide};
use lab_core::peptides::trainer::{EPOCHS, Evaluation, Reading};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::demos::Demo;
use crate::i18n::{Lang, Message, Text, tr, use_lang};
use crate::runtime::backend::use_backend;
use crate::runtime::download::fetch_pinned;
use crate::runtime::job::Job;
use crate::runtime::url;
use crate::widgets::line_chart::{LineChart, Series};
use crate::widgets::problem::Problem;
use crate::widgets::run_controls::{RunControls, RunState};
use crate::widgets::slow_backend::SlowOnNdArray;
use crate::widgets::weights_file::{WeightsFile, WeightsPort};
use sequence::SequencePanel;

pub const DEMO: Demo = Demo {
    id: "peptides",
    section: "2.3",
    title: Text::new(
        "生物信息学：抗菌肽",
        "Bioinformatics: antimicrobial peptides",
    ),
    summary: Text::new(
        "在真实的多肽数据上现场训练一个一维卷积网络，判断一段氨基酸序列是不是抗菌肽，并和只看氨基酸组成的基线比较；输入你自己的序列，看每个残基把判断推向哪一边。",
        "Train a 1-D convolutional network live on real peptide data to tell antimicrobial peptides from others, beside a baseline that only counts amino acids; type your own sequence and see which way each residue pushes the call.",
    ),
    guide: Text::new(
        "神经网络不只懂文字和图片。一段多肽也是一串符号，卷积网络能从中学到局部的模式。把它和只数氨基酸的基线比一比，再看看改动一个残基会怎样改变判断。",
        "Neural networks are not only for words and pictures. A peptide is a string of symbols too, and a convolutional network can learn local patterns in it. Compare it with a baseline that only counts amino acids, then see how changing one residue moves the verdict.",
    ),
    view: || view! { <Peptides /> }.into_any(),
};

/// burn-ndarray's 1-D convolution is an order of magnitude slower than flex's here (measured in
/// Chromium: 2–6 against 46–52 steps/s), which the visitor who picked it should know.
const NDARRAY_NOTE: Text = Text::new(
    "提示：burn-ndarray 的一维卷积在这里比 flex 慢约十倍（实测每秒 2–6 步对 46–52 步）；这个演示建议选 CPU (flex)。",
    "Note: burn-ndarray's 1-D convolution is about ten times slower than flex's here (measured: 2–6 against 46–52 steps/s); pick CPU (flex) for this demo.",
);

/// Training and read-back per frame, to leave the page room to draw.
const FRAME_BUDGET_MS: f64 = 12.0;

/// A set's peptides, split, tagged with the set they came from.
struct Split {
    set: &'static DatasetFile,
    train: Vec<Peptide>,
    test: Vec<Peptide>,
    too_long: usize,
}

/// What the visitor chose; a change starts training afresh.
#[derive(Clone, Copy, PartialEq)]
struct Settings {
    set: &'static DatasetFile,
    optimizer: OptimizerKind,
    /// Bumped by "reset".
    resets: u32,
}

#[derive(Clone, Copy)]
struct State {
    settings: RwSignal<Settings>,
    data: RwSignal<Option<Rc<Split>>, LocalStorage>,
    running: RwSignal<bool>,
    /// Training steps (of both models) per second of wall time, over the last half second.
    steps_per_second: RwSignal<f32>,
    history: RwSignal<Vec<Evaluation>>,
    /// The visitor's sequence and the network's current reading of it.
    sequence: RwSignal<String>,
    reading: RwSignal<Option<Reading>>,
    problem: RwSignal<Option<Message>>,
    /// Both models saved and loaded as one file.
    weights: WeightsPort,
}

#[component]
fn Peptides() -> impl IntoView {
    let set = url::query("set")
        .and_then(|id| DATASETS.iter().find(|d| d.id == id))
        .unwrap_or(&DATASETS[0]);
    let optimizer = url::query("opt")
        .and_then(|id| OptimizerKind::from_id(&id))
        .unwrap_or(OptimizerKind::Adam);
    let state = State {
        settings: RwSignal::new(Settings {
            set,
            optimizer,
            resets: 0,
        }),
        data: RwSignal::new_local(None),
        running: RwSignal::new(false),
        steps_per_second: RwSignal::new(0.0),
        history: RwSignal::new(Vec::new()),
        sequence: RwSignal::new(
            url::query("seq").unwrap_or_else(|| sequence::EXAMPLES[0].1.into()),
        ),
        reading: RwSignal::new(None),
        problem: RwSignal::new(None),
        weights: WeightsPort::new(DEMO.id),
    };
    let loading = RwSignal::new(None::<String>);
    let lang = use_lang();
    Effect::new(move |_| {
        let s = state.settings.get();
        url::set_query(&[("set", s.set.id.into()), ("opt", s.optimizer.id().into())]);
    });
    // Loads a set whenever the visitor picks another one.
    Effect::new(move |_| {
        let set = state.settings.with(|s| s.set);
        if state
            .data
            .with_untracked(|d| d.as_ref().is_some_and(|d| d.set == set))
        {
            return;
        }
        state.data.set(None);
        spawn_local(async move {
            match load(set, lang.get_untracked(), loading).await {
                Ok(split) if state.settings.get_untracked().set == set => {
                    state.data.set(Some(Rc::new(split)));
                }
                Ok(_) => {}
                Err(message) => state.problem.set(Some(message)),
            }
            loading.set(None);
        });
    });
    spawn_local(training::training_loop(
        Job::new(FRAME_BUDGET_MS),
        state,
        use_backend(),
    ));
    view! {
        <p class="hint">{tr(
            "数据来自 modlamp（BSD-3 许可）：抗菌肽对跨膜肽段（412 条），或抗菌肽对随机 UniProt 肽段（5,200 条）。每类固定留出五分之一做测试。",
            "Data from modlamp (BSD-3 licence): antimicrobial peptides against transmembrane segments (412), or against random UniProt peptides (5,200). A fixed fifth of each class is held out for testing.",
        )}</p>
        <Controls state=state />
        <SlowOnNdArray testid="peptides-ndarray-note" note=NDARRAY_NOTE />
        {move || loading.get().map(|what| view! { <p class="status" data-testid="peptides-loading">{what}</p> })}
        <Problem problem=state.problem testid="peptides-problem" />
        <WeightsFile port=state.weights prefix="peptides"
            ready=Signal::derive(move || state.history.with(|h| !h.is_empty())) />
        <Curves state=state />
        <SequencePanel state=state />
    }
}

/// Fetches a set (cache first; size and sha256 checked before it is read or cached), then
/// parses and splits it.
async fn load(
    set: &'static DatasetFile,
    lang: Lang,
    loading: RwSignal<Option<String>>,
) -> Result<Split, Message> {
    let url = format!("assets/peptides/{}", set.file);
    let bytes = fetch_pinned(
        &url,
        (set.file, set.size, set.sha256),
        ("数据集", "The data set"),
        lang,
        loading,
    )
    .await?;
    let text = std::str::from_utf8(bytes.bytes())
        .map_err(|_| Message::new("数据集不是 UTF-8 文本。", "The data set is not UTF-8 text."))?;
    let parsed = data::parse_modlamp_csv(text).map_err(|e| {
        Message::new(
            format!("数据集格式不对：{e}"),
            format!("The data set is malformed: {e}"),
        )
    })?;
    let (train, test) = data::split(&parsed.peptides);
    Ok(Split {
        set,
        train,
        test,
        too_long: parsed.too_long,
    })
}

#[component]
fn Controls(state: State) -> impl IntoView {
    let lang = use_lang();
    let update = move |f: &dyn Fn(&mut Settings)| {
        state.running.set(false);
        state.settings.update(|s| f(s));
    };
    view! {
        <div class="controls">
            <label>{tr("数据集 ", "Data set ")}
                <select data-testid="peptides-set" on:change=move |ev| {
                    let id = event_target_value(&ev);
                    if let Some(set) = DATASETS.iter().find(|d| d.id == id) {
                        update(&|s| s.set = set);
                    }
                }>
                    {DATASETS.iter().map(|set| view! {
                        <option value=set.id selected=move || state.settings.get().set.id == set.id>
                            {move || format!("{} {}", tr("抗菌肽 vs", "AMP vs")(), match lang.get() {
                                Lang::Zh => set.negatives.0,
                                Lang::En => set.negatives.1,
                            })}
                        </option>
                    }).collect_view()}
                </select>
            </label>
            <RunControls prefix="peptides" run=run_state(state)
                on_optimizer=move |kind| update(&|s: &mut Settings| s.optimizer = kind)
                on_reset=move |()| update(&|s: &mut Settings| s.resets += 1) />
        </div>
        {move || state.data.with(|d| d.as_ref().map(|d| (d.train.len(), d.test.len(), d.too_long))).map(|(train, test, too_long)| {
            let left_out = move |zh: bool| match (too_long, zh) {
                (0, _) => String::new(),
                (n, true) => format!("；{n} 条超过 100 个残基，未使用"),
                (n, false) => format!("; {n} longer than 100 residues left out"),
            };
            view! {
                <p class="hint">{move || match lang.get() {
                    Lang::Zh => format!("训练 {train} 条，测试 {test} 条{}。", left_out(true)),
                    Lang::En => format!("{train} for training, {test} held out{}.", left_out(false)),
                }}</p>
            }
        })}
    }
}

fn run_state(state: State) -> RunState {
    RunState {
        running: state.running,
        ready: Signal::derive(move || state.data.with(Option::is_some)),
        optimizer: Signal::derive(move || state.settings.get().optimizer),
        epochs: Signal::derive(move || state.history.with(|h| h.last().map(|e| e.epochs))),
        total_epochs: EPOCHS,
        steps_per_second: state.steps_per_second.into(),
    }
}

/// Loss and held-out accuracy over the epochs: the network's train and test loss, and both
/// models' test accuracy side by side.
#[component]
fn Curves(state: State) -> impl IntoView {
    let points = move |f: fn(&Evaluation) -> f32| {
        state
            .history
            .with(|h| h.iter().map(|e| (e.epochs, f(e))).collect::<Vec<_>>())
    };
    let series = move |name: &str, color, value: fn(&Evaluation) -> f32| Series {
        name: name.into(),
        color,
        points: points(value),
    };
    let losses = Signal::derive(move || {
        vec![
            series("train", "#1f77b4", |e| e.cnn_train.loss),
            series("test", "#ff7f0e", |e| e.cnn_test.loss),
        ]
    });
    let accuracies = Signal::derive(move || {
        vec![
            series("CNN", "#ff7f0e", |e| e.cnn_test.accuracy),
            series("composition", "#7f7f7f", |e| e.baseline_test.accuracy),
        ]
    });
    let last = move || state.history.with(|h| h.last().copied());
    view! {
        <div class="charts">
            <div data-testid="peptides-loss" data-losses=move || serde_json::to_string(&points(|e| e.cnn_test.loss).iter().map(|p| p.1).collect::<Vec<_>>()).unwrap_or_default()>
                <h2 class="chart-title">{tr("卷积网络的损失（蓝：训练，橙：测试）", "Network loss (blue: train, orange: test)")}</h2>
                <LineChart name="loss" series=losses x_label=Signal::derive(move || tr("轮", "epoch")().to_string()) />
            </div>
            <div>
                <h2 class="chart-title">{tr("测试准确率（橙：卷积网络，灰：组成基线）", "Held-out accuracy (orange: network, grey: composition baseline)")}</h2>
                <LineChart name="accuracy" series=accuracies x_label=Signal::derive(move || tr("轮", "epoch")().to_string()) />
            </div>
        </div>
        {move || last().map(|e| view! {
            <table class="scores" data-testid="peptides-scores"
                data-cnn=e.cnn_test.accuracy.to_string() data-baseline=e.baseline_test.accuracy.to_string()>
                <tr><th>{tr("模型", "model")}</th><th>{tr("测试准确率", "held-out accuracy")}</th><th>{tr("测试损失", "held-out loss")}</th></tr>
                <tr><td>{tr("一维卷积网络", "1-D convolutional network")}</td>
                    <td>{format!("{:.1}%", e.cnn_test.accuracy * 100.0)}</td><td>{format!("{:.3}", e.cnn_test.loss)}</td></tr>
                <tr><td>{tr("氨基酸组成 + 逻辑回归", "amino-acid composition + logistic regression")}</td>
                    <td>{format!("{:.1}%", e.baseline_test.accuracy * 100.0)}</td><td>{format!("{:.3}", e.baseline_test.loss)}</td></tr>
            </table>
        })}
    }
}
