//! Article 1.2, the optimizer race: the same network, the same initial weights and the same
//! batches, trained side by side by up to five optimizers; loss curves overlaid, steps per
//! second per run, and a winner by test loss at the finish line.

use std::sync::atomic::Ordering;

use lab_core::data::{DataSpec, DatasetKind};
use lab_core::mlp::{ActivationKind, MlpSpec};
use lab_core::optim::{OptimizerKind, OptimizerSpec};
use lab_core::train::{TrainError, TrainSpec, Trainer};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::demos::Demo;
use crate::i18n::{Lang, Text, tr, use_lang};
use crate::runtime::backend::use_backend;
use crate::runtime::frame::{mounted_flag, next_frame, now_ms};
use crate::runtime::url;
use crate::widgets::line_chart::{LineChart, Series};

pub const DEMO: Demo = Demo {
    id: "optimizers",
    section: "1.2",
    title: Text::new("优化器赛跑", "The optimizer race"),
    summary: Text::new(
        "同一个网络、同一组初始权重、同一串小批量数据，交给不同的优化器同时训练：看谁的损失降得更快、最后谁的测试损失最低。",
        "The same network, the same initial weights and the same batches, trained at once by different optimizers: see whose loss falls fastest and who ends with the lowest test loss.",
    ),
    view: || view! { <OptimizerRace /> }.into_any(),
};

const MAX_RUNS: usize = 5;
const COLORS: [&str; MAX_RUNS] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];
/// Steps every run takes per frame: equal for all, so the race stays in lockstep.
const STEPS_PER_FRAME: usize = 10;

#[derive(Clone, Debug, PartialEq)]
struct Entrant {
    optimizer: OptimizerSpec,
    learning_rate: f64,
}

#[derive(Clone, Debug, PartialEq, Default)]
struct Progress {
    /// (step, train loss, test loss) per snapshot.
    curve: Vec<(f32, f32, f32)>,
    steps_per_second: f32,
    diverged: bool,
}

fn default_entrants() -> Vec<Entrant> {
    [
        (OptimizerKind::Sgd, 0.1),
        (OptimizerKind::Momentum, 0.05),
        (OptimizerKind::Adam, 0.01),
        (OptimizerKind::RmsProp, 0.01),
    ]
    .into_iter()
    .map(|(kind, learning_rate)| Entrant {
        optimizer: OptimizerSpec::defaults(kind),
        learning_rate,
    })
    .collect()
}

/// `runs=sgd:0.1,adam:0.01`: each entrant's optimizer (published defaults) and learning rate.
fn entrants_from_url() -> Vec<Entrant> {
    let parsed: Option<Vec<Entrant>> = url::query("runs").map(|runs| {
        runs.split(',')
            .filter_map(|run| {
                let (kind, lr) = run.split_once(':')?;
                let learning_rate = lr
                    .parse::<f64>()
                    .ok()
                    .filter(|lr| lr.is_finite() && *lr > 0.0)?;
                Some(Entrant {
                    optimizer: OptimizerSpec::defaults(OptimizerKind::from_id(kind)?),
                    learning_rate,
                })
            })
            .take(MAX_RUNS)
            .collect()
    });
    parsed
        .filter(|runs| !runs.is_empty())
        .unwrap_or_else(default_entrants)
}

fn entrants_to_url(entrants: &[Entrant]) {
    let runs: Vec<String> = entrants
        .iter()
        .map(|e| format!("{}:{}", e.optimizer.id(), e.learning_rate))
        .collect();
    url::set_query(&[("runs", runs.join(","))]);
}

fn race_spec(entrant: &Entrant, data: DatasetKind) -> TrainSpec {
    TrainSpec {
        data: DataSpec {
            kind: data,
            samples: 300,
            noise: 0.15,
            train_ratio: 0.5,
            seed: 7,
        },
        mlp: MlpSpec {
            hidden: vec![8, 8],
            activation: ActivationKind::Tanh,
        },
        learning_rate: entrant.learning_rate,
        batch_size: 16,
        seed: 7,
        optimizer: entrant.optimizer.clone(),
        ..Default::default()
    }
}

#[component]
fn OptimizerRace() -> impl IntoView {
    let backend = use_backend();
    let lang = use_lang();
    let entrants = RwSignal::new(entrants_from_url());
    let dataset = RwSignal::new(
        url::query("data")
            .and_then(|d| DatasetKind::from_id(&d))
            .unwrap_or(DatasetKind::Circle),
    );
    let finish = RwSignal::new(
        url::query("finish")
            .and_then(|f| f.parse::<usize>().ok())
            .filter(|f| (10..=20000).contains(f))
            .unwrap_or(1500),
    );
    let running = RwSignal::new(false);
    let resets = RwSignal::new(0u32);
    let progress = RwSignal::new(Vec::<Progress>::new());
    let problem = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        entrants_to_url(&entrants.get());
        url::set_query(&[
            ("data", dataset.get().id().to_string()),
            ("finish", finish.get().to_string()),
        ]);
    });

    // The race loop owns the trainers; controls only write signals (as in the playground).
    let alive = mounted_flag();
    spawn_local(async move {
        let mut trainers: Vec<Trainer> = Vec::new();
        let mut built = None;
        while alive.load(Ordering::Relaxed) {
            next_frame().await;
            let Some(active) = backend.active.get_untracked() else {
                continue;
            };
            let key = (
                entrants.get_untracked(),
                dataset.get_untracked(),
                resets.get_untracked(),
                active.generation,
            );
            if built.as_ref() != Some(&key) {
                running.set(false);
                trainers = key
                    .0
                    .iter()
                    .map(|e| Trainer::new(race_spec(e, key.1), active.device.clone(), 4))
                    .collect();
                progress.set(vec![Progress::default(); trainers.len()]);
                built = Some(key);
            }
            let done = trainers
                .first()
                .is_some_and(|t| t.steps() >= finish.get_untracked());
            if !running.get_untracked() || done {
                if done {
                    running.set(false);
                }
                continue;
            }
            let mut updates = progress.get_untracked();
            for (trainer, update) in trainers.iter_mut().zip(updates.iter_mut()) {
                if update.diverged {
                    // A diverged run sits out but keeps its step count in line with the others.
                    continue;
                }
                let started = now_ms();
                for _ in 0..STEPS_PER_FRAME {
                    trainer.step();
                }
                match trainer.snapshot().await {
                    Ok(snapshot) => update.curve.push((
                        snapshot.steps as f32,
                        snapshot.train_loss,
                        snapshot.test_loss,
                    )),
                    Err(TrainError::Diverged { .. }) => update.diverged = true,
                    Err(TrainError::Device(why)) => {
                        running.set(false);
                        problem.set(Some(why));
                    }
                }
                let elapsed = (now_ms() - started).max(0.01);
                update.steps_per_second = (STEPS_PER_FRAME as f64 * 1000.0 / elapsed) as f32;
            }
            progress.set(updates);
        }
    });

    let series = Signal::derive(move || {
        let names = entrants.get();
        progress
            .get()
            .iter()
            .zip(&names)
            .enumerate()
            .map(|(i, (run, entrant))| Series {
                name: entrant.optimizer.kind().label().to_string(),
                color: COLORS[i % MAX_RUNS],
                points: run.curve.iter().map(|&(x, _, test)| (x, test)).collect(),
            })
            .collect::<Vec<_>>()
    });
    let finished = move || {
        progress
            .get()
            .first()
            .and_then(|p| p.curve.last())
            .is_some_and(|&(x, _, _)| x as usize >= finish.get())
    };
    let winner = move || {
        if !finished() {
            return None;
        }
        let names = entrants.get();
        progress
            .get()
            .iter()
            .zip(&names)
            .filter(|(p, _)| !p.diverged)
            .filter_map(|(p, e)| {
                p.curve
                    .last()
                    .map(|&(_, _, test)| (test, e.optimizer.kind().label()))
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
    };
    let finish_range = tr(
        "终点须在 10 到 20000 步之间",
        "the finish line must be 10 to 20000 steps",
    );
    let set_finish = move |ev: &leptos::ev::Event| match event_target_value(ev).parse::<usize>() {
        Ok(steps) if (10..=20000).contains(&steps) => {
            problem.set(None);
            finish.set(steps);
        }
        _ => problem.set(Some(finish_range().to_string())),
    };
    let edit =
        move |index: usize, f: &dyn Fn(&mut Entrant)| entrants.update(|list| f(&mut list[index]));

    view! {
        <div class="top-bar">
            <button class="play" data-testid="race-play" aria-label=move || if running.get() { "pause" } else { "play" }
                on:click=move |_| running.update(|r| *r = !*r)>
                {move || if running.get() { "⏸" } else { "▶" }}
            </button>
            <button data-testid="race-reset" on:click=move |_| resets.update(|n| *n += 1)>{tr("重新开始", "Restart")}</button>
            <label>{tr("数据集", "Dataset")}
                <select data-testid="race-data" on:change=move |ev| {
                    if let Some(kind) = DatasetKind::from_id(&event_target_value(&ev)) { dataset.set(kind) }
                }>
                    {DatasetKind::ALL.iter().map(|&kind| view! {
                        <option value=kind.id() selected=move || dataset.get() == kind>{kind.id()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>{tr("终点（步）", "Finish line (steps)")}
                <input type="number" min="10" max="20000" step="10" data-testid="race-finish" prop:value=move || finish.get().to_string()
                    on:change=move |ev| set_finish(&ev) />
            </label>
            <button data-testid="race-add" disabled={move || entrants.get().len() >= MAX_RUNS}
                on:click=move |_| entrants.update(|list| list.push(Entrant { optimizer: OptimizerSpec::defaults(OptimizerKind::AdamW), learning_rate: 0.01 }))>
                {tr("加一个选手", "Add a runner")}
            </button>
        </div>
        {move || problem.get().map(|p| view! { <p class="notice" role="alert">{p}</p> })}
        <div class="race">
            <section class="panel">
                <table class="runs" data-testid="race-table">
                    <thead><tr>
                        <th></th><th>{tr("优化器", "Optimizer")}</th><th>{tr("学习率", "Learning rate")}</th>
                        <th>{tr("超参数", "Hyper-parameters")}</th><th>{tr("步/秒", "steps/s")}</th>
                        <th>{tr("训练损失", "Train loss")}</th><th>{tr("测试损失", "Test loss")}</th><th></th>
                    </tr></thead>
                    <tbody>
                        {move || entrants.get().into_iter().enumerate().map(|(i, entrant)| {
                            let run = move || progress.get().get(i).cloned().unwrap_or_default();
                            view! {
                                <tr data-testid="race-run">
                                    <td><span class="swatch" style=format!("background:{}", COLORS[i % MAX_RUNS])></span></td>
                                    <td>
                                        <select data-testid=format!("race-kind-{i}") on:change=move |ev| {
                                            if let Some(kind) = OptimizerKind::from_id(&event_target_value(&ev)) {
                                                edit(i, &|e| e.optimizer = OptimizerSpec::defaults(kind));
                                            }
                                        }>
                                            {OptimizerKind::ALL.iter().map(|&kind| view! {
                                                <option value=kind.id() selected=entrant.optimizer.kind() == kind>{kind.label()}</option>
                                            }).collect_view()}
                                        </select>
                                    </td>
                                    <td><NumberField value=entrant.learning_rate testid=format!("race-lr-{i}") problem=problem
                                        on_valid=Callback::new(move |lr: f64| if lr > 0.0 { edit(i, &|e| e.learning_rate = lr) }) /></td>
                                    <td><HyperParameters index=i entrant=entrant.clone() entrants=entrants problem=problem /></td>
                                    <td data-testid=format!("race-speed-{i}")>{move || format!("{:.0}", run().steps_per_second)}</td>
                                    <td>{move || run().curve.last().map_or("–".into(), |c| format!("{:.4}", c.1))}</td>
                                    <td data-testid=format!("race-test-loss-{i}")>{move || if run().diverged {
                                        match lang.get() { Lang::Zh => "发散".to_string(), Lang::En => "diverged".to_string() }
                                    } else { run().curve.last().map_or("–".into(), |c| format!("{:.4}", c.2)) }}</td>
                                    <td><button data-testid=format!("race-remove-{i}") disabled={move || entrants.get().len() <= 1}
                                        on:click=move |_| entrants.update(|list| { list.remove(i); })>"×"</button></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <p class="winner" data-testid="race-winner">{move || winner().map(|(loss, name)| match lang.get() {
                    Lang::Zh => format!("冠军：{name}（测试损失 {loss:.4}）"),
                    Lang::En => format!("Winner: {name} (test loss {loss:.4})"),
                })}</p>
                <p class="hint">{tr(
                    "公平起见：所有选手从完全相同的初始权重出发，按相同顺序看到相同的小批量数据，每帧各走相同的步数。",
                    "Fair by construction: every runner starts from identical weights, sees identical batches in the same order, and takes the same number of steps per frame.",
                )}</p>
            </section>
            <section class="panel">
                <h2>{tr("测试损失", "Test loss")}</h2>
                <LineChart series=series x_label=Signal::derive(move || tr("步", "step")().to_string()) />
            </section>
        </div>
    }
}

/// The hyper-parameters that matter for this entrant's optimizer, each a checked control.
#[component]
fn HyperParameters(
    index: usize,
    entrant: Entrant,
    entrants: RwSignal<Vec<Entrant>>,
    problem: RwSignal<Option<String>>,
) -> impl IntoView {
    let fields: Vec<(&'static str, f32)> = match &entrant.optimizer {
        OptimizerSpec::Sgd => vec![],
        OptimizerSpec::Momentum {
            momentum,
            dampening,
            ..
        } => vec![("momentum", *momentum), ("dampening", *dampening)],
        OptimizerSpec::Adam {
            beta_1,
            beta_2,
            epsilon,
        } => vec![("β₁", *beta_1), ("β₂", *beta_2), ("ε", *epsilon)],
        OptimizerSpec::AdamW {
            beta_1,
            beta_2,
            epsilon,
            weight_decay,
        } => {
            vec![
                ("β₁", *beta_1),
                ("β₂", *beta_2),
                ("ε", *epsilon),
                ("decay", *weight_decay),
            ]
        }
        OptimizerSpec::RmsProp {
            alpha,
            epsilon,
            momentum,
            ..
        } => vec![("α", *alpha), ("ε", *epsilon), ("momentum", *momentum)],
    };
    fields
        .into_iter()
        .enumerate()
        .map(|(field, (name, value))| {
            let apply = Callback::new(move |v: f64| {
                let mut candidate = entrants.get_untracked()[index].optimizer.clone();
                set_field(&mut candidate, field, v as f32);
                match candidate.check() {
                    Ok(()) => {
                        problem.set(None);
                        entrants.update(|list| list[index].optimizer = candidate);
                    }
                    Err(why) => problem.set(Some(why)),
                }
            });
            view! {
                <label class="inline">{name}
                    <NumberField value=value as f64 testid=format!("race-{index}-{field}") problem=problem on_valid=apply />
                </label>
            }
        })
        .collect_view()
}

fn set_field(spec: &mut OptimizerSpec, field: usize, value: f32) {
    let slot = match spec {
        OptimizerSpec::Sgd => return,
        OptimizerSpec::Momentum {
            momentum,
            dampening,
            ..
        } => [momentum, dampening].into_iter().nth(field),
        OptimizerSpec::Adam {
            beta_1,
            beta_2,
            epsilon,
        } => [beta_1, beta_2, epsilon].into_iter().nth(field),
        OptimizerSpec::AdamW {
            beta_1,
            beta_2,
            epsilon,
            weight_decay,
        } => [beta_1, beta_2, epsilon, weight_decay]
            .into_iter()
            .nth(field),
        OptimizerSpec::RmsProp {
            alpha,
            epsilon,
            momentum,
            ..
        } => [alpha, epsilon, momentum].into_iter().nth(field),
    };
    if let Some(slot) = slot {
        *slot = value;
    }
}

/// A number input that passes on only finite numbers; anything else is refused with a message.
#[component]
fn NumberField(
    value: f64,
    testid: String,
    problem: RwSignal<Option<String>>,
    on_valid: Callback<f64>,
) -> impl IntoView {
    let refused = tr(
        "不是有限的非负数，已忽略",
        "not a finite non-negative number, ignored",
    );
    let changed = move |ev: &leptos::ev::Event| match event_target_value(ev).parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => on_valid.run(v),
        _ => problem.set(Some(refused().to_string())),
    };
    view! {
        // Shown at f32 precision, the precision burn trains with: 0.9, not 0.8999999761581421.
        <input type="number" step="any" class="small" data-testid=testid value=(value as f32).to_string()
            on:change=move |ev| changed(&ev) />
    }
}
