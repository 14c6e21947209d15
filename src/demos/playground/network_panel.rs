//! The network panel: layer and width controls over the canvas that [`super::network_view`]
//! draws.

use lab_core::data::Task;
use lab_core::mlp::{MAX_HIDDEN_LAYERS, MAX_WIDTH};
use lab_core::train::Snapshot;
use leptos::html::Canvas;
use leptos::prelude::*;

use super::{Controls, GRID, network_view};
use crate::i18n::{Lang, tr, use_lang};
use crate::widgets::save_png::{Figure, SavePng};
use crate::widgets::value_map::MapPainter;

#[component]
pub(super) fn NetworkPanel(
    controls: Controls,
    snapshot: RwSignal<Option<Snapshot>>,
) -> impl IntoView {
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
    let lang = use_lang();
    let layer_text = move |layer: usize, zh: &str, en: &str| match lang.get() {
        Lang::Zh => format!("第 {} 隐藏层{zh}", layer + 1),
        Lang::En => format!("{en} {}", layer + 1),
    };
    view! {
        <section class="panel network-panel">
            <h2>
                {move || spec.get().mlp.hidden.len()}{tr(" 个隐藏层", " hidden layers")}" "
                <button data-testid="add-layer" disabled={move || spec.get().mlp.hidden.len() >= MAX_HIDDEN_LAYERS}
                    aria-label=tr("添加隐藏层", "Add a hidden layer") on:click=move |_| edit_layers(&|h| h.push(4))>"+"</button>
                <button data-testid="remove-layer" disabled=move || spec.get().mlp.hidden.is_empty()
                    aria-label=tr("移除隐藏层", "Remove a hidden layer") on:click=move |_| edit_layers(&|h| { h.pop(); })>"−"</button>
            </h2>
            <div class="layer-widths">
                <span class="layer-label">{tr("输入 2", "2 inputs")}</span>
                {move || (0..spec.get().mlp.hidden.len()).map(|layer| view! {
                    <span class="layer-width">
                        <button data-testid=format!("layer-{layer}-plus") aria-label=move || layer_text(layer, "增加一个神经元", "Add a neuron to layer")
                            on:click=move |_| edit_layers(&|h| h[layer] = (h[layer] + 1).min(MAX_WIDTH))>"+"</button>
                        <b data-testid=format!("layer-{layer}-width")>{move || spec.get().mlp.hidden.get(layer).copied().unwrap_or(0)}</b>
                        <button data-testid=format!("layer-{layer}-minus") aria-label=move || layer_text(layer, "减少一个神经元", "Remove a neuron from layer")
                            on:click=move |_| edit_layers(&|h| h[layer] = h[layer].saturating_sub(1).max(1))>"−"</button>
                    </span>
                }).collect_view()}
                <span class="layer-label">{tr("输出 1", "1 output")}</span>
            </div>
            <canvas node_ref=canvas data-testid="network-canvas" width=network_view::WIDTH height="200" role="img"
                aria-label=tr("网络图：每个神经元在输入平面上的输出，连线是权重（说明见下）", "The network: each neuron's output over the input plane, links are weights (explained below)")></canvas>
            <SavePng figure=Figure::Canvas(canvas) name="network" />
            <p class="hint">{tr(
                "每个方块是一个神经元在整个输入平面上的输出；连线颜色表示权重：蓝正、橙负，越粗越大。",
                "Each square is one neuron's output over the whole input plane; links show weights: blue positive, orange negative, thicker when larger.",
            )}</p>
        </section>
    }
}
