//! The playground's controls: the top bar (play, step, reset, learning rate, activation, batch),
//! the status line, and the data and regularization panels. They only write signals.

use lab_core::data::DatasetKind;
use lab_core::mlp::ActivationKind;
use lab_core::optim::{OptimizerKind, OptimizerSpec};
use lab_core::train::{TrainSpec, overfitting_scene};
use leptos::prelude::*;

use super::{Controls, Status, View, settings};
use crate::i18n::{Lang, Text, tr, use_lang};

#[component]
pub(super) fn TopBar(controls: Controls, view_state: View) -> impl IntoView {
    let spec = controls.spec;
    let edit = move |f: &dyn Fn(&mut TrainSpec)| spec.update(|s| f(s));
    view! {
        <div class="top-bar">
            <button class="play" data-testid="play"
                aria-label=move || if controls.running.get() { tr("暂停", "Pause")() } else { tr("训练", "Train")() }
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
            <label>{tr("优化器", "Optimizer")}
                <select data-testid="optimizer" on:change=move |ev| {
                    if let Some(o) = OptimizerSpec::from_id(&event_target_value(&ev)) { edit(&|s| s.optimizer = o.clone()) }
                }>
                    {OptimizerKind::ALL.iter().map(|&kind| view! {
                        <option value=kind.id() selected=move || spec.get().optimizer.kind() == kind>{kind.label()}</option>
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
pub(super) fn StatusLine(controls: Controls, status: RwSignal<Status>) -> impl IntoView {
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
        (Status::Failed(message), lang) => Some(message.get(lang).to_string()),
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
pub(super) fn DataPanel(controls: Controls) -> impl IntoView {
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
pub(super) fn RegularizationPanel(controls: Controls) -> impl IntoView {
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
                    <option value=v.to_string() selected=move || spec.with(get) == v>{v.to_string()}</option>
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

/// A range input's percentage as a fraction.
fn percent_value(ev: &leptos::ev::Event) -> Option<f32> {
    event_target_value(ev)
        .parse::<f32>()
        .ok()
        .filter(|v| v.is_finite())
        .map(|v| v / 100.0)
}
