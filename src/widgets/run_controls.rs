//! The controls of a demo that trains a model live: the optimizer picker, Train/Pause and Reset,
//! and the epoch and steps-per-second readouts. Each demo's test ids are its prefix and
//! `-optimizer`, `-train`, `-epochs`, `-rate`.

use lab_core::optim::OptimizerKind;
use leptos::prelude::*;

use crate::i18n::tr;
use crate::runtime::host::{self, Input, InputKind, Progress};

/// What a training demo shows and steers; the demo owns every signal.
#[derive(Clone, Copy)]
pub struct RunState {
    pub running: RwSignal<bool>,
    /// Whether there is something to train (the data has arrived).
    pub ready: Signal<bool>,
    pub optimizer: Signal<OptimizerKind>,
    /// Epochs done, once the first evaluation is in.
    pub epochs: Signal<Option<f32>>,
    pub total_epochs: f32,
    pub steps_per_second: Signal<f32>,
}

#[component]
pub fn RunControls(
    prefix: &'static str,
    run: RunState,
    /// A new optimizer picked; the demo restarts training with it.
    #[prop(into)]
    on_optimizer: Callback<OptimizerKind>,
    #[prop(into)] on_reset: Callback<()>,
) -> impl IntoView {
    let link = host::link();
    host::accept(InputKind::Run, move |input| {
        if let Input::Run(start) = input {
            if start && !run.ready.get_untracked() {
                return link.reject(
                    "start",
                    "there is nothing to train yet: the data is still loading",
                );
            }
            run.running.set(start);
        }
    });
    host::report_training(
        move || run.running.get(),
        move || Progress {
            epoch: run.epochs.get(),
            ..Progress::default()
        },
    );
    view! {
        <label>{tr(" 优化器 ", " Optimizer ")}
            <select data-testid=format!("{prefix}-optimizer") on:change=move |ev| {
                if let Some(kind) = OptimizerKind::from_id(&event_target_value(&ev)) {
                    on_optimizer.run(kind);
                }
            }>
                {OptimizerKind::ALL.iter().map(|&kind| view! {
                    <option value=kind.id() selected=move || run.optimizer.get() == kind>{kind.label()}</option>
                }).collect_view()}
            </select>
        </label>
        <button data-testid=format!("{prefix}-train") disabled=move || !run.ready.get()
            on:click=move |_| run.running.update(|r| *r = !*r)>
            {move || if run.running.get() { tr("暂停", "Pause")() } else { tr("训练", "Train")() }}
        </button>
        <button on:click=move |_| on_reset.run(())>{tr("重置", "Reset")}</button>
        <span class="value" data-testid=format!("{prefix}-epochs")>{move || run.epochs.get().map(|epochs| {
            format!("{} {epochs:.1} / {:.0}", tr("轮次", "epoch")(), run.total_epochs)
        })}</span>
        <span class="value" data-testid=format!("{prefix}-rate")>{move || {
            let rate = run.steps_per_second.get();
            (rate > 0.0).then(|| format!(" · {rate:.0} {}", tr("步/秒", "steps/s")()))
        }}</span>
    }
}
