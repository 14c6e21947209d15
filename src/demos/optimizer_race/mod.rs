//! Article 1.2, the optimizer race: the same network, the same initial weights and the same
//! batches, trained side by side by up to five optimizers; loss curves overlaid, steps per
//! second per run, and a winner by test loss at the finish line.

mod entrants;
mod fields;
mod race_loop;
mod table;

use lab_core::data::DatasetKind;
use lab_core::optim::{OptimizerKind, OptimizerSpec};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::demos::Demo;
use crate::i18n::{Text, tr, use_lang};
use crate::runtime::backend::use_backend;
use crate::runtime::job::Job;
use crate::runtime::url;
use crate::widgets::line_chart::{LineChart, Series};
use crate::widgets::palette;
use entrants::{Entrant, FINISH_RANGE, MAX_RUNS};

pub const DEMO: Demo = Demo {
    id: "optimizers",
    section: "1.2",
    title: Text::new("优化器赛跑", "The optimizer race"),
    summary: Text::new(
        "同一个网络、同一组初始权重、同一串小批量数据，交给不同的优化器同时训练：看谁的损失降得更快、最后谁的测试损失最低。",
        "The same network, the same initial weights and the same batches, trained at once by different optimizers: see whose loss falls fastest and who ends with the lowest test loss.",
    ),
    guide: Text::new(
        "怎样下山和从哪里出发一样重要。所有选手从同一组权重出发、看到同样的数据，差别只在更新规则：留意谁起步快、谁后程稳，以及测试损失是否跟着训练损失一起下降。",
        "How a network walks downhill matters as much as where it starts. Every entrant starts from the same weights and sees the same batches; only the update rule differs. Watch who starts fast, who finishes steady, and whether the test loss follows the training loss.",
    ),
    view: || view! { <OptimizerRace /> }.into_any(),
};

const COLORS: [&str; MAX_RUNS] = [
    palette::BLUE,
    palette::VERMILLION,
    palette::BLUISH_GREEN,
    palette::REDDISH_PURPLE,
    palette::ORANGE,
];
/// The race loop spends no more than this per frame on its fixed steps, on a fast machine.
const FRAME_BUDGET_MS: f64 = 10.0;

#[derive(Clone, Debug, PartialEq, Default)]
struct Progress {
    /// (step, train loss, test loss) per snapshot.
    curve: Vec<(f32, f32, f32)>,
    steps_per_second: f32,
    diverged: bool,
}

/// The race's state: what the controls write and what the loop reports.
#[derive(Clone, Copy)]
struct Race {
    entrants: RwSignal<Vec<Entrant>>,
    dataset: RwSignal<DatasetKind>,
    finish: RwSignal<usize>,
    /// Draws the data and every runner's initial weights.
    seed: RwSignal<u64>,
    running: RwSignal<bool>,
    resets: RwSignal<u32>,
    progress: RwSignal<Vec<Progress>>,
    problem: RwSignal<Option<String>>,
}

#[component]
fn OptimizerRace() -> impl IntoView {
    let race = Race {
        entrants: RwSignal::new(entrants::parse_entrants(url::query("runs").as_deref())),
        dataset: RwSignal::new(entrants::parse_dataset(url::query("data").as_deref())),
        finish: RwSignal::new(entrants::parse_finish(url::query("finish").as_deref())),
        seed: RwSignal::new(entrants::parse_seed(url::query("seed").as_deref())),
        running: RwSignal::new(false),
        resets: RwSignal::new(0),
        progress: RwSignal::new(Vec::new()),
        problem: RwSignal::new(None),
    };
    Effect::new(move |_| {
        url::set_query(&[
            ("runs", entrants::entrants_query(&race.entrants.get())),
            ("data", race.dataset.get().id().to_string()),
            ("finish", race.finish.get().to_string()),
            ("seed", race.seed.get().to_string()),
        ])
    });
    let job = Job::new(FRAME_BUDGET_MS);
    spawn_local(race_loop::race_loop(job, race, use_backend(), use_lang()));

    let series = Signal::derive(move || {
        let names = race.entrants.get();
        race.progress
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
    view! {
        <RaceBar race=race />
        {move || race.problem.get().map(|p| view! { <p class="notice" role="alert">{p}</p> })}
        <div class="race">
            <table::RaceTable race=race />
            <section class="panel">
                <h2>{tr("测试损失", "Test loss")}</h2>
                <LineChart name="test-loss" series=series x_label=Signal::derive(move || tr("步", "step")().to_string()) />
            </section>
        </div>
    }
}

/// Play, restart, the data, the finish line, the seed, and a new runner.
#[component]
fn RaceBar(race: Race) -> impl IntoView {
    let Race {
        entrants,
        dataset,
        finish,
        seed,
        running,
        resets,
        problem,
        ..
    } = race;
    let finish_range = tr(
        "终点须在 10 到 20000 步之间",
        "the finish line must be 10 to 20000 steps",
    );
    let set_finish = move |ev: &leptos::ev::Event| match event_target_value(ev).parse::<usize>() {
        Ok(steps) if FINISH_RANGE.contains(&steps) => {
            problem.set(None);
            finish.set(steps);
        }
        _ => problem.set(Some(finish_range().to_string())),
    };
    let add = move |_| {
        entrants.update(|list| {
            list.push(Entrant {
                optimizer: OptimizerSpec::defaults(OptimizerKind::AdamW),
                learning_rate: 0.01,
            })
        })
    };
    view! {
        <div class="top-bar">
            <button class="play" data-testid="race-play" aria-label=move || if running.get() { tr("暂停", "Pause")() } else { tr("训练", "Train")() }
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
            <button data-testid="race-reseed" on:click=move |_| seed.update(|s| *s = s.wrapping_add(1))>
                {tr("换一批数据和初始权重", "New data and initial weights")}
            </button>
            <span class="hint" data-testid="race-seed">{tr("种子 ", "Seed ")}{move || seed.get()}</span>
            <button data-testid="race-add" disabled={move || entrants.get().len() >= MAX_RUNS} on:click=add>
                {tr("加一个选手", "Add a runner")}
            </button>
        </div>
    }
}
