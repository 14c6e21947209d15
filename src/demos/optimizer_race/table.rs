//! The race table: a row per runner with its controls and figures, and the winner below.

use lab_core::optim::{OptimizerKind, OptimizerSpec};
use leptos::prelude::*;

use super::entrants::Entrant;
use super::fields::{HyperParameters, NumberField};
use super::{COLORS, MAX_RUNS, Progress, Race};
use crate::i18n::{Lang, tr, use_lang};

#[component]
pub(super) fn RaceTable(race: Race) -> impl IntoView {
    let lang = use_lang();
    let winner = move || {
        let (progress, entrants) = (race.progress.get(), race.entrants.get());
        winner(&progress, &entrants, race.finish.get())
    };
    view! {
        <section class="panel">
            <table class="runs" data-testid="race-table">
                <thead><tr>
                    <th><span class="visually-hidden">{tr("颜色", "Colour")}</span></th><th>{tr("优化器", "Optimizer")}</th><th>{tr("学习率", "Learning rate")}</th>
                    <th>{tr("超参数", "Hyper-parameters")}</th><th>{tr("步/秒", "steps/s")}</th>
                    <th>{tr("训练损失", "Train loss")}</th><th>{tr("测试损失", "Test loss")}</th><th><span class="visually-hidden">{tr("移除", "Remove")}</span></th>
                </tr></thead>
                <tbody>
                    {move || race.entrants.get().into_iter().enumerate().map(|(index, entrant)| {
                        view! { <RunRow race=race index=index entrant=entrant /> }
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
    }
}

/// The lowest final test loss among the runs that did not diverge, once the race is over.
fn winner(
    progress: &[Progress],
    entrants: &[Entrant],
    finish: usize,
) -> Option<(f32, &'static str)> {
    let finished = progress
        .first()
        .and_then(|p| p.curve.last())
        .is_some_and(|&(x, _, _)| x as usize >= finish);
    if !finished {
        return None;
    }
    progress
        .iter()
        .zip(entrants)
        .filter(|(p, _)| !p.diverged)
        .filter_map(|(p, e)| {
            p.curve
                .last()
                .map(|&(_, _, test)| (test, e.optimizer.kind().label()))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))
}

/// One runner: its optimizer and hyper-parameters, speed, losses, and removal. `data-steps` is
/// its step count, for the tests.
#[component]
fn RunRow(race: Race, index: usize, entrant: Entrant) -> impl IntoView {
    let (entrants, problem, lang) = (race.entrants, race.problem, use_lang());
    let run = move || race.progress.get().get(index).cloned().unwrap_or_default();
    let edit = move |f: &dyn Fn(&mut Entrant)| entrants.update(|list| f(&mut list[index]));
    // A row's controls sit in table cells, not labels: each says which runner it belongs to.
    let named = move |zh: &str, en: &str| match lang.get() {
        Lang::Zh => format!("第 {} 组的{zh}", index + 1),
        Lang::En => format!("{en} of runner {}", index + 1),
    };
    let test_loss = move || match (run().diverged, lang.get()) {
        (true, Lang::Zh) => "发散".to_string(),
        (true, Lang::En) => "diverged".to_string(),
        (false, _) => run()
            .curve
            .last()
            .map_or("–".into(), |c| format!("{:.4}", c.2)),
    };
    view! {
        <tr data-testid="race-run" data-steps=move || run().curve.last().map_or(0, |c| c.0 as usize)>
            <td><span class="swatch" style=format!("background:{}", COLORS[index % MAX_RUNS])></span></td>
            <td>
                <select data-testid=format!("race-kind-{index}") aria-label=move || named("优化器", "Optimizer")
                    on:change=move |ev| {
                    if let Some(kind) = OptimizerKind::from_id(&event_target_value(&ev)) {
                        edit(&|e| e.optimizer = OptimizerSpec::defaults(kind));
                    }
                }>
                    {OptimizerKind::ALL.iter().map(|&kind| view! {
                        <option value=kind.id() selected=entrant.optimizer.kind() == kind>{kind.label()}</option>
                    }).collect_view()}
                </select>
            </td>
            <td><NumberField value=entrant.learning_rate testid=format!("race-lr-{index}") problem=problem
                name=Signal::derive(move || named("学习率", "Learning rate"))
                on_valid=Callback::new(move |lr: f64| if lr > 0.0 { edit(&|e| e.learning_rate = lr) }) /></td>
            <td><HyperParameters index=index entrant=entrant.clone() entrants=entrants problem=problem /></td>
            <td data-testid=format!("race-speed-{index}")>{move || format!("{:.0}", run().steps_per_second)}</td>
            <td>{move || run().curve.last().map_or("–".into(), |c| format!("{:.4}", c.1))}</td>
            <td data-testid=format!("race-test-loss-{index}")>{test_loss}</td>
            <td><button data-testid=format!("race-remove-{index}") aria-label=move || named("移除", "Remove")
                disabled={move || entrants.get().len() <= 1}
                on:click=move |_| entrants.update(|list| { list.remove(index); })>"×"</button></td>
        </tr>
    }
}
