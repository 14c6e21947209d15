//! Article 1.1, "Playground": a dense network trained live on 2-D data, TensorFlow Playground
//! style, with burn's autodiff on the chosen backend.
//!
//! One task owns the [`Trainer`] and runs once per animation frame: it applies what the controls
//! asked for, trains as many steps as fit in the frame, and reads one [`Snapshot`] back. The
//! controls only write signals, so nothing else ever touches the trainer mid-step.

mod network_view;
mod settings;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use lab_core::data::{DatasetKind, Point, Task};
use lab_core::mlp::{ActivationKind, MAX_HIDDEN_LAYERS, MAX_WIDTH};
use lab_core::regularize::{overfitting_scene, weight_histogram};
use lab_core::train::{Snapshot, TrainError, TrainSpec, Trainer};
use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::demos::Demo;
use crate::i18n::{Lang, Text, tr, use_lang};
use crate::runtime::backend::{Backend, use_backend};
use crate::runtime::frame::{mounted_flag, next_frame, now_ms};
use crate::widgets::line_chart::{LineChart, Series};
use crate::widgets::value_map::{MapPainter, context_2d, css};

pub const DEMO: Demo = Demo {
    id: "playground",
    section: "1.1",
    title: Text::new("神经网络游乐场", "Neural network playground"),
    summary: Text::new(
        "在浏览器里实时训练一个多层全连接网络：选数据集、改网络结构和学习率，看损失曲线、决策边界和每个神经元学到的图案。",
        "Train a multi-layer dense network live in the page: pick a dataset, change the architecture and learning rate, and watch the loss curves, the decision boundary and what each neuron learns.",
    ),
    view: || view! { <Playground /> }.into_any(),
};

/// Cells per side of the maps: the boundary, and every neuron's small map.
const GRID: usize = 32;
/// Time the loop aims to spend per frame, training and read-back together, to leave the page room for 60 fps.
const FRAME_BUDGET_MS: f64 = 10.0;
/// Loss-curve points kept; older ones are thinned by half when full.
const HISTORY_LIMIT: usize = 2000;

#[derive(Clone, Debug, PartialEq)]
enum Status {
    Ok,
    Diverged(usize),
    /// Early stopping ended the run: no new best test loss within the patience.
    StoppedEarly {
        best_test_loss: f32,
        steps: usize,
    },
    Failed(String),
}

#[derive(Clone, Copy)]
struct Controls {
    spec: RwSignal<TrainSpec>,
    running: RwSignal<bool>,
    /// Single steps asked for while paused.
    pending_steps: RwSignal<u32>,
    /// Bumped by "reset": the loop rebuilds the trainer from the spec.
    resets: RwSignal<u32>,
}

#[derive(Clone, Copy)]
struct View {
    snapshot: RwSignal<Option<Snapshot>>,
    history: RwSignal<Vec<(f32, f32, f32)>>,
    steps_per_second: RwSignal<f32>,
    status: RwSignal<Status>,
}

#[component]
fn Playground() -> impl IntoView {
    let (spec, problems) = settings::from_url();
    let controls = Controls {
        spec: RwSignal::new(spec),
        running: RwSignal::new(false),
        pending_steps: RwSignal::new(0),
        resets: RwSignal::new(0),
    };
    let view_state = View {
        snapshot: RwSignal::new(None),
        history: RwSignal::new(Vec::new()),
        steps_per_second: RwSignal::new(0.0),
        status: RwSignal::new(Status::Ok),
    };
    Effect::new(move |_| settings::to_url(&controls.spec.get()));

    spawn_local(training_loop(
        controls,
        view_state,
        use_backend(),
        mounted_flag(),
    ));

    let lang = use_lang();
    view! {
        {(!problems.is_empty()).then(|| view! {
            <p class="notice" role="alert">{move || match lang.get() {
                Lang::Zh => format!("链接里的这些设置无效，已用默认值：{}", problems.join(", ")),
                Lang::En => format!("These settings in the link were invalid and replaced by defaults: {}", problems.join(", ")),
            }}</p>
        })}
        <TopBar controls=controls view_state=view_state />
        <StatusLine controls=controls status=view_state.status />
        <div class="playground">
            <div class="left-column">
                <DataPanel controls=controls />
                <RegularizationPanel controls=controls />
            </div>
            <NetworkPanel controls=controls snapshot=view_state.snapshot />
            <OutputPanel controls=controls view_state=view_state />
        </div>
    }
}

/// The loop that owns the trainer; see the module comment.
async fn training_loop(controls: Controls, view: View, backend: Backend, alive: Arc<AtomicBool>) {
    let mut trainer: Option<Trainer> = None;
    let mut built: Option<(TrainSpec, u32, u32)> = None;
    let mut steps_per_frame = 1.0f64;
    let mut rate_window = (now_ms(), 0usize);
    // A device that failed is not stepped again while the switch to the CPU is under way.
    let mut failed_generation = None;
    while alive.load(Ordering::Relaxed) {
        next_frame().await;
        let Some(active) = backend.active.get_untracked() else {
            continue;
        };
        if failed_generation == Some(active.generation) {
            continue;
        }
        let spec = controls.spec.get_untracked();
        let resets = controls.resets.get_untracked();
        let key = (spec.clone(), resets, active.generation);

        let mut changed = false;
        if built.as_ref() != Some(&key) {
            let same_run = built
                .as_ref()
                .is_some_and(|(s, r, _)| *s == spec && *r == resets);
            let resumed = match (&trainer, view.snapshot.get_untracked()) {
                // Only the device changed: carry the weights over instead of starting again.
                (Some(_), Some(last)) if same_run => Some(Trainer::resume(
                    spec.clone(),
                    active.device.clone(),
                    GRID,
                    &last.weights,
                    last.steps,
                )),
                _ => None,
            };
            if resumed.is_none() {
                view.history.set(Vec::new());
                view.status.set(Status::Ok);
            }
            trainer = Some(
                resumed.unwrap_or_else(|| Trainer::new(spec.clone(), active.device.clone(), GRID)),
            );
            built = Some(key);
            changed = true;
        }
        let Some(current) = trainer.as_mut() else {
            continue;
        };

        let started = now_ms();
        let running = controls.running.get_untracked() && view.status.get_untracked() == Status::Ok;
        let steps = if running {
            steps_per_frame.round().max(1.0) as usize
        } else {
            let pending = controls.pending_steps.get_untracked() as usize;
            if pending > 0 {
                controls.pending_steps.set(0);
            }
            pending
        };
        for _ in 0..steps {
            current.step();
        }
        if steps == 0 && !changed {
            rate_window = (now_ms(), 0);
            view.steps_per_second.set(0.0);
            continue;
        }

        match current.snapshot().await {
            Ok(snapshot) => {
                view.history.update(|history| {
                    if history.len() >= HISTORY_LIMIT {
                        *history = history.iter().step_by(2).copied().collect();
                    }
                    history.push((
                        snapshot.steps as f32,
                        snapshot.train_loss,
                        snapshot.test_loss,
                    ));
                });
                if snapshot.stop_early && view.status.get_untracked() == Status::Ok {
                    controls.running.set(false);
                    view.status.set(Status::StoppedEarly {
                        best_test_loss: snapshot.best_test_loss,
                        steps: snapshot.steps,
                    });
                }
                view.snapshot.set(Some(snapshot));
            }
            Err(TrainError::Diverged { step }) => {
                controls.running.set(false);
                view.status.set(Status::Diverged(step));
            }
            Err(TrainError::Device(why)) if active.kind.is_gpu() => {
                failed_generation = Some(active.generation);
                backend.report_gpu_lost(why);
            }
            Err(TrainError::Device(why)) => {
                controls.running.set(false);
                view.status.set(Status::Failed(why));
            }
        }

        // Steer the steps per frame towards the frame budget.
        let elapsed = now_ms() - started;
        if running {
            let scale = (FRAME_BUDGET_MS / elapsed.max(0.5)).clamp(0.5, 1.5);
            steps_per_frame = (steps_per_frame * scale).clamp(1.0, 500.0);
        }
        rate_window.1 += steps;
        let window_ms = now_ms() - rate_window.0;
        if window_ms > 500.0 {
            view.steps_per_second
                .set((rate_window.1 as f64 * 1000.0 / window_ms) as f32);
            rate_window = (now_ms(), 0);
        }
    }
}

#[component]
fn TopBar(controls: Controls, view_state: View) -> impl IntoView {
    let spec = controls.spec;
    let edit = move |f: &dyn Fn(&mut TrainSpec)| spec.update(|s| f(s));
    view! {
        <div class="top-bar">
            <button class="play" data-testid="play"
                aria-label=move || if controls.running.get() { "pause" } else { "play" }
                on:click=move |_| controls.running.update(|r| *r = !*r)>
                {move || if controls.running.get() { "⏸" } else { "▶" }}
            </button>
            <button data-testid="step" title=tr("单步", "one step") on:click=move |_| controls.pending_steps.update(|n| *n += 1)>"+1"</button>
            <button data-testid="reset" title=tr("重置", "reset") on:click=move |_| {
                controls.running.set(false);
                controls.resets.update(|n| *n += 1);
            }>"↺"</button>
            <span class="counter">
                {tr("步数", "Step")}" "
                <b data-testid="step-count">{move || view_state.snapshot.get().map_or(0, |s| s.steps)}</b>
                " · "{tr("轮次", "Epoch")}" "
                {move || format!("{:.1}", view_state.snapshot.get().map_or(0.0, |s| s.epochs))}
                " · "<b data-testid="steps-per-second">{move || format!("{:.0}", view_state.steps_per_second.get())}</b>
                {tr(" 步/秒", " steps/s")}
            </span>
            <label>{tr("学习率", "Learning rate")}
                <select data-testid="lr" on:change=move |ev| {
                    if let Ok(lr) = event_target_value(&ev).parse::<f64>() { edit(&|s| s.learning_rate = lr) }
                }>
                    {settings::LEARNING_RATES.iter().map(|&lr| view! {
                        <option value=lr.to_string() selected=move || spec.get().learning_rate == lr>{lr.to_string()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>{tr("激活函数", "Activation")}
                <select data-testid="activation" on:change=move |ev| {
                    if let Some(a) = ActivationKind::from_id(&event_target_value(&ev)) { edit(&|s| s.mlp.activation = a) }
                }>
                    {ActivationKind::ALL.iter().map(|&a| view! {
                        <option value=a.id() selected=move || spec.get().mlp.activation == a>{a.id()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>{tr("批大小", "Batch size")}
                <select data-testid="batch" on:change=move |ev| {
                    if let Ok(b) = event_target_value(&ev).parse::<usize>() { edit(&|s| s.batch_size = b) }
                }>
                    {settings::BATCH_SIZES.iter().map(|&b| view! {
                        <option value=b.to_string() selected=move || spec.get().batch_size == b>{b}</option>
                    }).collect_view()}
                </select>
            </label>
        </div>
    }
}

#[component]
fn StatusLine(controls: Controls, status: RwSignal<Status>) -> impl IntoView {
    let lang = use_lang();
    let message = move || match (status.get(), lang.get()) {
        (Status::Ok, _) => None,
        (Status::Diverged(step), Lang::Zh) => Some(format!(
            "训练在第 {step} 步发散：损失变成了 NaN 或无穷大，通常是学习率太大。已暂停；请调低学习率后重置。"
        )),
        (Status::Diverged(step), Lang::En) => Some(format!(
            "Training diverged at step {step}: the loss became NaN or infinite, usually from too large a learning rate. Paused; lower the learning rate and reset."
        )),
        (
            Status::StoppedEarly {
                best_test_loss,
                steps,
            },
            Lang::Zh,
        ) => Some(format!(
            "提前停止：到第 {steps} 步，测试损失已连续多次没有刷新最好成绩（最好 {best_test_loss:.4}）。重置后可再训练，或关闭提前停止。"
        )),
        (
            Status::StoppedEarly {
                best_test_loss,
                steps,
            },
            Lang::En,
        ) => Some(format!(
            "Early stopping: by step {steps} the test loss had not beaten its best ({best_test_loss:.4}) within the patience. Reset to train again, or turn early stopping off."
        )),
        (Status::Failed(why), Lang::Zh) => Some(format!("计算出错：{why}")),
        (Status::Failed(why), Lang::En) => Some(format!("Computation failed: {why}")),
    };
    view! {
        {move || message().map(|text| view! {
            <div class="notice" role="alert" data-testid="status">
                {text}" "
                <button data-testid="status-reset" on:click=move |_| controls.resets.update(|n| *n += 1)>
                    {tr("重置", "Reset")}
                </button>
            </div>
        })}
    }
}

#[component]
fn DataPanel(controls: Controls) -> impl IntoView {
    let spec = controls.spec;
    let lang = use_lang();
    let dataset_name = |kind: DatasetKind| match kind {
        DatasetKind::Circle => Text::new("圆形", "Circle"),
        DatasetKind::Xor => Text::new("异或", "XOR"),
        DatasetKind::Gaussians => Text::new("两团高斯", "Two gaussians"),
        DatasetKind::Spiral => Text::new("螺旋", "Spiral"),
        DatasetKind::Regression => Text::new("回归", "Regression"),
    };
    let percent = |value: f32| format!("{:.0}%", value * 100.0);
    view! {
        <section class="panel data-panel">
            <h2>{tr("数据", "Data")}</h2>
            <div class="datasets">
                {DatasetKind::ALL.iter().map(|&kind| view! {
                    <button data-testid=format!("dataset-{}", kind.id())
                        class:selected=move || spec.get().data.kind == kind
                        on:click=move |_| spec.update(|s| s.data.kind = kind)>
                        {move || dataset_name(kind).get(lang.get())}
                    </button>
                }).collect_view()}
            </div>
            <label>{tr("训练集比例 ", "Training share ")}{move || percent(spec.get().data.train_ratio)}
                <input type="range" min="10" max="90" step="10" data-testid="ratio"
                    prop:value=move || (spec.get().data.train_ratio * 100.0).round().to_string()
                    on:change=move |ev| if let Some(v) = percent_value(&ev) { spec.update(|s| s.data.train_ratio = v) } />
            </label>
            <label>{tr("噪声 ", "Noise ")}{move || percent(spec.get().data.noise)}
                <input type="range" min="0" max="50" step="5" data-testid="noise"
                    prop:value=move || (spec.get().data.noise * 100.0).round().to_string()
                    on:change=move |ev| if let Some(v) = percent_value(&ev) { spec.update(|s| s.data.noise = v) } />
            </label>
            <button data-testid="regenerate" on:click=move |_| spec.update(|s| {
                s.seed += 1;
                s.data.seed = s.seed;
            })>{tr("换一批数据和初始权重", "New data and initial weights")}</button>
            <p class="hint">{tr("种子 ", "Seed ")}{move || spec.get().seed}</p>
        </section>
    }
}

#[component]
fn RegularizationPanel(controls: Controls) -> impl IntoView {
    let spec = controls.spec;
    // A select over fixed choices of one f32 setting.
    let choice_select = move |testid: &'static str,
                              choices: &'static [f32],
                              get: fn(&TrainSpec) -> f32,
                              set: fn(&mut TrainSpec, f32)| {
        view! {
            <select data-testid=testid on:change=move |ev| {
                if let Ok(v) = event_target_value(&ev).parse::<f32>() { spec.update(|s| set(s, v)) }
            }>
                {choices.iter().map(|&v| view! {
                    <option value=v.to_string() selected=move || spec.with(|s| get(s)) == v>{v.to_string()}</option>
                }).collect_view()}
            </select>
        }
    };
    view! {
        <section class="panel regularization-panel">
            <h2>{tr("正则化", "Regularization")}</h2>
            <label>"L1"{choice_select("l1", &settings::PENALTIES, |s| s.regularization.l1, |s, v| s.regularization.l1 = v)}</label>
            <label>"L2"{choice_select("l2", &settings::PENALTIES, |s| s.regularization.l2, |s, v| s.regularization.l2 = v)}</label>
            <label>"Dropout"{choice_select("dropout", &settings::DROPOUTS, |s| s.regularization.dropout, |s, v| s.regularization.dropout = v)}</label>
            <label title=tr("每个训练批次的输入点都加上新的高斯噪声（数据增强），测试点不变", "Fresh gaussian noise on every training batch's input points (data augmentation); test points unchanged")>
                {tr("输入抖动 σ", "Input jitter σ")}
                {choice_select("jitter", &settings::JITTERS, |s| s.regularization.jitter, |s, v| s.regularization.jitter = v)}
            </label>
            <label>{tr("提前停止（耐心，次评估）", "Early stopping (patience, evaluations)")}
                <select data-testid="patience" on:change=move |ev| {
                    let patience = event_target_value(&ev).parse::<usize>().ok();
                    spec.update(|s| s.regularization.early_stopping = patience);
                }>
                    <option value="off" selected=move || spec.get().regularization.early_stopping.is_none()>{tr("关闭", "off")}</option>
                    {settings::PATIENCES.iter().map(|&p| view! {
                        <option value=p.to_string() selected=move || spec.get().regularization.early_stopping == Some(p)>{p}</option>
                    }).collect_view()}
                </select>
            </label>
            <button data-testid="overfitting-scene" on:click=move |_| {
                controls.running.set(false);
                spec.set(overfitting_scene());
            }>{tr("过拟合场景：少量噪声点 + 大网络", "Over-fitting scene: few noisy points, a large network")}</button>
        </section>
    }
}

#[component]
fn NetworkPanel(controls: Controls, snapshot: RwSignal<Option<Snapshot>>) -> impl IntoView {
    let spec = controls.spec;
    let canvas = NodeRef::<Canvas>::new();
    let painter = StoredValue::new_local(MapPainter::new(GRID));
    let inputs = StoredValue::new(network_view::input_maps(GRID));
    Effect::new(move |_| {
        let (Some(canvas), Some(snapshot)) = (canvas.get(), snapshot.get()) else {
            return;
        };
        let classification = spec.with_untracked(|s| s.data.kind.task() == Task::Classification);
        painter.with_value(|painter| {
            if let Some(painter) = painter {
                inputs.with_value(|inputs| {
                    network_view::draw(&canvas, painter, &snapshot, inputs, classification)
                });
            }
        });
    });
    let edit_layers = move |f: &dyn Fn(&mut Vec<usize>)| spec.update(|s| f(&mut s.mlp.hidden));
    view! {
        <section class="panel network-panel">
            <h2>
                {move || spec.get().mlp.hidden.len()}{tr(" 个隐藏层", " hidden layers")}" "
                <button data-testid="add-layer" disabled={move || spec.get().mlp.hidden.len() >= MAX_HIDDEN_LAYERS}
                    on:click=move |_| edit_layers(&|h| h.push(4))>"+"</button>
                <button data-testid="remove-layer" disabled=move || spec.get().mlp.hidden.is_empty()
                    on:click=move |_| edit_layers(&|h| { h.pop(); })>"−"</button>
            </h2>
            <div class="layer-widths">
                <span class="layer-label">{tr("输入 2", "2 inputs")}</span>
                {move || (0..spec.get().mlp.hidden.len()).map(|layer| view! {
                    <span class="layer-width">
                        <button data-testid=format!("layer-{layer}-plus")
                            on:click=move |_| edit_layers(&|h| h[layer] = (h[layer] + 1).min(MAX_WIDTH))>"+"</button>
                        <b data-testid=format!("layer-{layer}-width")>{move || spec.get().mlp.hidden.get(layer).copied().unwrap_or(0)}</b>
                        <button data-testid=format!("layer-{layer}-minus")
                            on:click=move |_| edit_layers(&|h| h[layer] = h[layer].saturating_sub(1).max(1))>"−"</button>
                    </span>
                }).collect_view()}
                <span class="layer-label">{tr("输出 1", "1 output")}</span>
            </div>
            <canvas node_ref=canvas data-testid="network-canvas" width=network_view::WIDTH height="200"></canvas>
            <p class="hint">{tr(
                "每个方块是一个神经元在整个输入平面上的输出；连线颜色表示权重：蓝正、橙负，越粗越大。",
                "Each square is one neuron's output over the whole input plane; links show weights: blue positive, orange negative, thicker when larger.",
            )}</p>
        </section>
    }
}

#[component]
fn OutputPanel(controls: Controls, view_state: View) -> impl IntoView {
    let spec = controls.spec;
    let show_test = RwSignal::new(false);
    let canvas = NodeRef::<Canvas>::new();
    let painter = StoredValue::new_local(MapPainter::new(GRID));
    // The trainer generates the same points from the same spec; the page keeps its own copy.
    let split = Memo::new(move |_| spec.with(|s| s.data.generate()));
    Effect::new(move |_| {
        let (Some(canvas), Some(snapshot)) = (canvas.get(), view_state.snapshot.get()) else {
            return;
        };
        let task = spec.with_untracked(|s| s.data.kind.task());
        let split = split.get();
        let test = show_test.get();
        painter.with_value(|painter| {
            if let Some(painter) = painter {
                draw_boundary(
                    &canvas,
                    painter,
                    &snapshot,
                    task,
                    &split.train,
                    test.then_some(&split.test[..]),
                );
            }
        });
    });
    let metric =
        |value: Option<f32>| value.map_or("–".to_string(), |v| format!("{:.1}%", v * 100.0));
    let lang = use_lang();
    let step_label = tr("步", "step");
    let series = Signal::derive(move || {
        let history = view_state.history.get();
        let lang = lang.get();
        vec![
            Series {
                name: Text::new("训练损失", "train loss").get(lang).into(),
                color: "#1f77b4",
                points: history.iter().map(|&(x, train, _)| (x, train)).collect(),
            },
            Series {
                name: Text::new("测试损失", "test loss").get(lang).into(),
                color: "#d62728",
                points: history.iter().map(|&(x, _, test)| (x, test)).collect(),
            },
        ]
    });
    let snapshot = view_state.snapshot;
    view! {
        <section class="panel output-panel">
            <h2>{tr("输出", "Output")}</h2>
            <dl class="metrics">
                <dt>{tr("训练损失", "Train loss")}</dt>
                <dd data-testid="train-loss" data-value=move || snapshot.get().map(|s| s.train_loss)>
                    {move || snapshot.get().map_or("–".into(), |s| format!("{:.4}", s.train_loss))}</dd>
                <dt>{tr("测试损失", "Test loss")}</dt>
                <dd data-testid="test-loss" data-value=move || snapshot.get().map(|s| s.test_loss)>
                    {move || snapshot.get().map_or("–".into(), |s| format!("{:.4}", s.test_loss))}</dd>
                <dt>{tr("训练准确率", "Train accuracy")}</dt>
                <dd data-testid="train-accuracy" data-value=move || snapshot.get().and_then(|s| s.train_accuracy)>
                    {move || metric(snapshot.get().and_then(|s| s.train_accuracy))}</dd>
                <dt>{tr("测试准确率", "Test accuracy")}</dt>
                <dd data-testid="test-accuracy" data-value=move || snapshot.get().and_then(|s| s.test_accuracy)>
                    {move || metric(snapshot.get().and_then(|s| s.test_accuracy))}</dd>
            </dl>
            <canvas node_ref=canvas data-testid="boundary-canvas" width="300" height="300"></canvas>
            <label class="check">
                <input type="checkbox" data-testid="show-test" prop:checked=move || show_test.get()
                    on:change=move |ev| show_test.set(event_target_checked(&ev)) />
                {tr("显示测试数据", "Show test data")}
            </label>
            <LineChart series=series x_label=Signal::derive(move || step_label().to_string()) />
            <WeightHistogram snapshot=snapshot />
        </section>
    }
}

/// Bins of the weight histogram, over [-HISTOGRAM_RANGE, HISTOGRAM_RANGE].
const HISTOGRAM_BINS: usize = 24;
const HISTOGRAM_RANGE: f32 = 2.0;

/// How the weights are spread: L1 piles them at zero, L2 pulls them in.
#[component]
fn WeightHistogram(snapshot: RwSignal<Option<Snapshot>>) -> impl IntoView {
    let counts = move || {
        snapshot.with(|s| {
            s.as_ref()
                .map(|s| weight_histogram(&s.weights, HISTOGRAM_BINS, HISTOGRAM_RANGE))
                .unwrap_or_default()
        })
    };
    let width = 300.0 / HISTOGRAM_BINS as f64;
    view! {
        <div class="histogram">
            <p class="hint">{tr("权重分布（−2 到 2）", "Weights, −2 to 2")}</p>
            <svg viewBox="0 0 300 60" data-testid="weight-histogram">
                {move || {
                    let counts = counts();
                    let peak = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
                    counts.iter().enumerate().map(|(i, &count)| {
                        let height = 58.0 * count as f64 / peak;
                        view! { <rect x=i as f64 * width y=60.0 - height width=width - 1.0 height=height data-count=count /> }
                    }).collect_view()
                }}
            </svg>
        </div>
    }
}

/// A range input's percentage as a fraction.
fn percent_value(ev: &leptos::ev::Event) -> Option<f32> {
    event_target_value(ev)
        .parse::<f32>()
        .ok()
        .filter(|v| v.is_finite())
        .map(|v| v / 100.0)
}

/// The network's prediction over the input square, with the data points on top: filled by
/// label, outlined white for training points and black for test points.
fn draw_boundary(
    canvas: &web_sys::HtmlCanvasElement,
    painter: &MapPainter,
    snapshot: &Snapshot,
    task: Task,
    train: &[Point],
    test: Option<&[Point]>,
) {
    let Some(context) = context_2d(canvas) else {
        return;
    };
    let size = canvas.width() as f64;
    let map: Vec<f32> = match task {
        Task::Classification => snapshot.output_grid.iter().map(|p| 2.0 * p - 1.0).collect(),
        Task::Regression => snapshot.output_grid.clone(),
    };
    painter.paint(&context, &map, 0.0, 0.0, size, size);
    let label_value = |y: f32| match task {
        Task::Classification => 2.0 * y - 1.0,
        Task::Regression => y,
    };
    let sets = std::iter::once((train, "#fff")).chain(test.map(|t| (t, "#000")));
    for (points, outline) in sets {
        for point in points {
            let x = (point.x[0] as f64 + 1.0) / 2.0 * size;
            let y = (1.0 - point.x[1] as f64) / 2.0 * size;
            context.begin_path();
            // Failing to add an arc only drops one dot from the picture.
            let _ = context.arc(x, y, 3.5, 0.0, std::f64::consts::TAU);
            context.set_fill_style_str(&css(label_value(point.y)));
            context.fill();
            context.set_stroke_style_str(outline);
            context.set_line_width(1.0);
            context.stroke();
        }
    }
}
