//! Article 1.1, "Playground": a dense network trained live on 2-D data, TensorFlow Playground
//! style, with burn's autodiff on the chosen backend.
//!
//! One task owns the [`Trainer`] and runs once per animation frame: it applies what the controls
//! asked for, trains as many steps as fit in the frame, and reads one [`Snapshot`] back. The
//! controls only write signals, so nothing else ever touches the trainer mid-step.

mod controls;
mod network_panel;
mod network_view;
mod output;
mod settings;
mod tight_loop;
mod training;

use lab_core::mlp::LayerWeights;
use lab_core::saved::{self, Saved, SavedError};
use lab_core::train::{Snapshot, TrainSpec};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::demos::Demo;
use crate::i18n::{Lang, Message, Text, use_lang};
use crate::runtime::backend::use_backend;
use crate::runtime::host::{self, Input, InputKind, Progress};
use crate::runtime::job::Job;
use crate::widgets::weights_file::{WeightsFile, WeightsPort};
use controls::{DataPanel, RegularizationPanel, StatusLine, TopBar};
use network_panel::NetworkPanel;
use output::OutputPanel;

pub const DEMO: Demo = Demo {
    id: "playground",
    section: "1.1",
    title: Text::new("神经网络游乐场", "Neural network playground"),
    summary: Text::new(
        "在浏览器里实时训练一个多层全连接网络：选数据集、改网络结构和学习率，看损失曲线、决策边界和每个神经元学到的图案。",
        "Train a multi-layer dense network live in the page: pick a dataset, change the architecture and learning rate, and watch the loss curves, the decision boundary and what each neuron learns.",
    ),
    guide: Text::new(
        "把许多这样的单元叠成几层，网络就能画出弯曲的边界。试试：用一个隐藏层学会“圆形”数据，再去掉所有隐藏层，看它为什么学不会；然后调大学习率，看损失怎样开始来回震荡。",
        "Stack many such units in layers and a network can draw curved boundaries. Try it: learn the circle data with one hidden layer, then remove every hidden layer and see why it cannot; then raise the learning rate and watch the loss start to swing.",
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
    /// The computation failed on the CPU (a lost GPU moves training to the CPU instead).
    Failed(Message),
}

#[derive(Clone, Copy)]
struct Controls {
    spec: RwSignal<TrainSpec>,
    running: RwSignal<bool>,
    /// Single steps asked for while paused.
    pending_steps: RwSignal<u32>,
    /// Bumped by "reset": the loop rebuilds the trainer from the spec.
    resets: RwSignal<u32>,
    /// Weights and steps of a loaded file, for the trainer the loop builds next.
    restore: RwSignal<Option<(Vec<LayerWeights>, usize)>>,
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
        restore: RwSignal::new(None),
    };
    let view_state = View {
        snapshot: RwSignal::new(None),
        history: RwSignal::new(Vec::new()),
        steps_per_second: RwSignal::new(0.0),
        status: RwSignal::new(Status::Ok),
    };
    Effect::new(move |_| settings::to_url(&controls.spec.get()));
    follow_host(controls, view_state);
    let weights = WeightsPort::new(DEMO.id);
    follow_weights_file(controls, view_state, weights);

    spawn_local(training::training_loop(
        Job::new(FRAME_BUDGET_MS),
        controls,
        view_state,
        use_backend(),
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
        <WeightsFile port=weights prefix="playground"
            ready=Signal::derive(move || view_state.snapshot.with(Option::is_some)) />
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

/// The model's name in a saved file; the settings carry the layer sizes and activation.
const SAVED_MODEL: &str = "mlp-v1";

/// Saves the last snapshot's weights with the whole setup (the link's keys), and loads a file
/// as a link would set the playground up, continuing from its weights and steps.
fn follow_weights_file(controls: Controls, view_state: View, port: WeightsPort) {
    Effect::new(move |_| {
        if !port.save_requested() {
            return;
        }
        let file = view_state.snapshot.with_untracked(|snapshot| {
            let snapshot = snapshot.as_ref().ok_or("nothing trained yet")?;
            let spec = controls.spec.get_untracked();
            Ok(Saved {
                demo: DEMO.id.into(),
                model: SAVED_MODEL.into(),
                steps: snapshot.steps as u64,
                settings: settings::query(&spec)
                    .into_iter()
                    .map(|(key, value)| (key.to_string(), value))
                    .collect(),
                tensors: saved::mlp_tensors(&snapshot.weights),
            })
        });
        port.offer(file);
    });
    Effect::new(move |_| {
        let Some(file) = port.loaded_file() else {
            return;
        };
        match restore(&file) {
            Ok((spec, weights)) => {
                controls.running.set(false);
                controls.spec.set(spec);
                controls.restore.set(Some((weights, file.steps as usize)));
                controls.resets.update(|n| *n += 1);
                port.accept(&file);
            }
            Err(why) => port.refuse(why),
        }
    });
}

/// The setup and weights a file holds, every setting and shape checked.
fn restore(file: &Saved) -> Result<(TrainSpec, Vec<LayerWeights>), SavedError> {
    file.expect_model(SAVED_MODEL)?;
    for (key, _) in settings::query(&TrainSpec::default()) {
        file.setting(key)?;
    }
    let (spec, problems) = settings::parse(|key| file.settings.get(key).cloned());
    if !problems.is_empty() {
        return Err(SavedError::Settings(format!(
            "invalid values {}",
            problems.join(", ")
        )));
    }
    let weights = saved::mlp_weights(&spec.mlp, &file.tensors)?;
    Ok((spec, weights))
}

/// What the embedding article may steer: the setup (the same keys as a link, applied as a new
/// run) and Train/Pause; what it hears: the run's progress.
fn follow_host(controls: Controls, view_state: View) {
    let link = host::link();
    host::accept(InputKind::Setup, move |input| {
        let Input::Setup(pairs) = input else { return };
        let known = settings::query(&TrainSpec::default()).map(|(key, _)| key);
        let unknown: Vec<&str> = pairs
            .iter()
            .map(|(key, _)| key.as_str())
            .filter(|key| !known.contains(key))
            .collect();
        let (spec, problems) =
            settings::parse(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()));
        if !unknown.is_empty() || !problems.is_empty() {
            let mut why = Vec::new();
            if !unknown.is_empty() {
                why.push(format!("unknown keys {}", unknown.join(", ")));
            }
            if !problems.is_empty() {
                why.push(format!(
                    "invalid values {} (defaults used)",
                    problems.join(", ")
                ));
            }
            link.reject("set-input setup", why.join("; "));
        }
        controls.running.set(false);
        controls.spec.set(spec);
        controls.resets.update(|n| *n += 1);
    });
    host::accept(InputKind::Run, move |input| {
        if let Input::Run(start) = input {
            controls.running.set(start);
        }
    });
    host::report_training(
        move || controls.running.get(),
        move || {
            view_state.snapshot.with(|s| {
                s.as_ref().map_or_else(Progress::default, |s| Progress {
                    epoch: Some(s.epochs),
                    step: Some(s.steps),
                    loss: Some(s.train_loss),
                    test_loss: Some(s.test_loss),
                })
            })
        },
    );
}
