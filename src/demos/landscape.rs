//! Article 1.2, the landscape: a 2-D loss surface drawn as a banded map, and each optimizer's
//! path across it from the point the visitor clicks, animated. Paths come from burn's autodiff
//! and burn-optim (lab_core::landscape), not hand-written derivatives.

use std::sync::atomic::Ordering;

use lab_core::landscape::{Surface, trace};
use lab_core::optim::{OptimizerKind, OptimizerSpec};
use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::demos::Demo;
use crate::i18n::{Lang, Text, tr, use_lang};
use crate::runtime::backend::use_backend;
use crate::runtime::frame::{mounted_flag, next_frame};
use crate::runtime::url;
use crate::widgets::value_map::{MapPainter, context_2d};

pub const DEMO: Demo = Demo {
    id: "landscape",
    section: "1.2",
    title: Text::new("损失地形上的优化器", "Optimizers on a loss landscape"),
    summary: Text::new(
        "在经典的二维测试函数上点一个起点，看 SGD、动量、Nesterov、Adam 和 RMSprop 各自走出的路径：弯曲的山谷、鞍点和病态的碗。",
        "Click a start point on a classic 2-D test function and watch the paths SGD, momentum, Nesterov, Adam and RMSprop take: a curved valley, a saddle, an ill-conditioned bowl.",
    ),
    view: || view! { <LandscapeDemo /> }.into_any(),
};

const RACERS: [(OptimizerKind, &str); 5] = [
    (OptimizerKind::Sgd, "#222222"),
    (OptimizerKind::Momentum, "#d62728"),
    (OptimizerKind::Nesterov, "#9467bd"),
    (OptimizerKind::Adam, "#2ca02c"),
    (OptimizerKind::RmsProp, "#ff7f0e"),
];
const STEPS: usize = 300;
const RESOLUTION: usize = 96;
const SIZE: f64 = 420.0;
/// Path points revealed per animation frame.
const REVEAL_PER_FRAME: usize = 4;

/// A learning rate that shows each optimizer's character on each surface.
fn default_learning_rate(surface: Surface, kind: OptimizerKind) -> f64 {
    let adaptive = matches!(
        kind,
        OptimizerKind::Adam | OptimizerKind::AdamW | OptimizerKind::RmsProp
    );
    match (surface, adaptive) {
        (Surface::Rosenbrock, false) => 0.0008,
        (Surface::Rosenbrock, true) => 0.05,
        (Surface::Beale, false) => 0.002,
        (Surface::Beale, true) => 0.05,
        (Surface::Saddle, false) => 0.02,
        (Surface::Saddle, true) => 0.02,
        (Surface::IllConditioned, false) => 0.03,
        (Surface::IllConditioned, true) => 0.1,
    }
}

#[component]
fn LandscapeDemo() -> impl IntoView {
    let backend = use_backend();
    let lang = use_lang();
    let surface = RwSignal::new(
        url::query("surface")
            .and_then(|s| Surface::from_id(&s))
            .unwrap_or(Surface::Rosenbrock),
    );
    let start = RwSignal::new(surface.get_untracked().default_start());
    let enabled = RwSignal::new([true; RACERS.len()]);
    let grid = RwSignal::new(None::<Vec<f32>>);
    let paths = RwSignal::new(Vec::<(usize, Vec<[f32; 2]>)>::new());
    let shown = RwSignal::new(0usize);
    let problem = RwSignal::new(None::<String>);
    let canvas = NodeRef::<Canvas>::new();
    let painter = StoredValue::new_local(MapPainter::new(RESOLUTION));

    Effect::new(move |_| url::set_query(&[("surface", surface.get().id().to_string())]));
    Effect::new(move |_| {
        let surface = surface.get();
        let Some(active) = backend.active.get() else {
            return;
        };
        spawn_local(async move {
            match surface.grid(RESOLUTION, &active.device.inner()).await {
                Ok(values) => grid.set(Some(values)),
                Err(why) => problem.set(Some(why)),
            }
        });
    });
    Effect::new(move |_| {
        let (surface, start, enabled) = (surface.get(), start.get(), enabled.get());
        let Some(active) = backend.active.get() else {
            return;
        };
        spawn_local(async move {
            let mut traced = Vec::new();
            for (index, &(kind, _)) in RACERS.iter().enumerate().filter(|(i, _)| enabled[*i]) {
                let lr = default_learning_rate(surface, kind);
                match trace(
                    surface,
                    &OptimizerSpec::defaults(kind),
                    lr,
                    start,
                    STEPS,
                    &active.device,
                )
                .await
                {
                    Ok(points) => traced.push((index, points)),
                    Err(why) => problem.set(Some(why)),
                }
            }
            paths.set(traced);
            shown.set(1);
        });
    });
    // Reveal the paths a few points per frame, so the race across the surface is visible.
    let alive = mounted_flag();
    spawn_local(async move {
        while alive.load(Ordering::Relaxed) {
            next_frame().await;
            let longest = paths
                .with_untracked(|p| p.iter().map(|(_, points)| points.len()).max().unwrap_or(0));
            if shown.get_untracked() < longest {
                shown.update(|n| *n = (*n + REVEAL_PER_FRAME).min(longest));
            }
        }
    });
    Effect::new(move |_| {
        let (Some(canvas), Some(values)) = (canvas.get(), grid.get()) else {
            return;
        };
        let surface = surface.get_untracked();
        let (shown, start, paths) = (shown.get(), start.get(), paths.get());
        painter.with_value(|painter| {
            if let Some(painter) = painter {
                draw(&canvas, painter, surface, &values, start, &paths, shown);
            }
        });
    });

    let on_click = move |ev: leptos::ev::MouseEvent| {
        let Some(canvas) = canvas.get() else { return };
        let (width, height) = (
            canvas.client_width().max(1) as f32,
            canvas.client_height().max(1) as f32,
        );
        let (u, v) = (ev.offset_x() as f32 / width, ev.offset_y() as f32 / height);
        let ([x0, x1], [y0, y1]) = surface.get_untracked().domain();
        start.set([x0 + u * (x1 - x0), y1 - v * (y1 - y0)]);
    };

    view! {
        <div class="top-bar">
            <label>{tr("地形", "Surface")}
                <select data-testid="landscape-surface" on:change=move |ev| {
                    if let Some(s) = Surface::from_id(&event_target_value(&ev)) {
                        surface.set(s);
                        start.set(s.default_start());
                    }
                }>
                    {Surface::ALL.iter().map(|&s| view! {
                        <option value=s.id() selected=move || surface.get() == s>{surface_name(s).get(lang.get_untracked())}</option>
                    }).collect_view()}
                </select>
            </label>
            {RACERS.iter().enumerate().map(|(i, &(kind, color))| view! {
                <label class="check">
                    <input type="checkbox" data-testid=format!("landscape-use-{}", kind.id()) prop:checked=move || enabled.get()[i]
                        on:change=move |ev| enabled.update(|e| e[i] = event_target_checked(&ev)) />
                    <span style=format!("color:{color};font-weight:700")>{kind.label()}</span>
                    <span class="hint">{move || format!(" η={}", default_learning_rate(surface.get(), kind))}</span>
                </label>
            }).collect_view()}
        </div>
        {move || problem.get().map(|p| view! { <p class="notice" role="alert">{p}</p> })}
        <div class="landscape">
            <canvas node_ref=canvas data-testid="landscape-canvas" width=SIZE height=SIZE on:click=on_click></canvas>
            <div>
                <p data-testid="landscape-start">{move || {
                    let [x, y] = start.get();
                    match lang.get() { Lang::Zh => format!("起点 ({x:.2}, {y:.2})：点击地图换一个", ), Lang::En => format!("Start ({x:.2}, {y:.2}): click the map to move it") }
                }}</p>
                <ul class="path-ends" data-testid="landscape-paths"
                    data-points={move || paths.get().iter().map(|(_, p)| p.len()).sum::<usize>()}>
                    {move || paths.get().into_iter().map(|(index, points)| {
                        let (kind, color) = RACERS[index];
                        let end = points.last().copied().unwrap_or([f32::NAN; 2]);
                        view! {
                            <li style=format!("color:{color}")>
                                {format!("{}: {} ", kind.label(), points.len() - 1)}{tr("步后到达", "steps, ending at")}
                                {format!(" ({:.3}, {:.3})", end[0], end[1])}
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <p class="hint">{tr(
                    "颜色越蓝，函数值越低（按对数分成等高带）；× 是最小值。路径由 burn 的自动微分和 burn-optim 计算。",
                    "Bluer is lower (log-scaled into contour bands); × marks the minimum. Paths are computed by burn's autodiff and burn-optim.",
                )}</p>
            </div>
        </div>
    }
}

fn surface_name(surface: Surface) -> Text {
    match surface {
        Surface::Rosenbrock => Text::new("Rosenbrock 弯曲山谷", "Rosenbrock valley"),
        Surface::Beale => Text::new("Beale 函数", "Beale function"),
        Surface::Saddle => Text::new("鞍点 x² − y²", "Saddle x² − y²"),
        Surface::IllConditioned => Text::new("病态的碗", "Ill-conditioned bowl"),
    }
}

fn draw(
    canvas: &web_sys::HtmlCanvasElement,
    painter: &MapPainter,
    surface: Surface,
    values: &[f32],
    start: [f32; 2],
    paths: &[(usize, Vec<[f32; 2]>)],
    shown: usize,
) {
    let Some(context) = context_2d(canvas) else {
        return;
    };
    // Log-scale into bands: contour lines without tracing them.
    let (low, high) = values
        .iter()
        .fold((f32::MAX, f32::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let banded: Vec<f32> = values
        .iter()
        .map(|v| {
            let t = ((v - low).ln_1p() / (high - low).ln_1p().max(1e-6)).clamp(0.0, 1.0);
            1.0 - 2.0 * ((t * 14.0).floor() / 14.0)
        })
        .collect();
    painter.paint(&context, &banded, 0.0, 0.0, SIZE, SIZE);
    let ([x0, x1], [y0, y1]) = surface.domain();
    let to_canvas = |[x, y]: [f32; 2]| {
        (
            ((x - x0) / (x1 - x0)) as f64 * SIZE,
            ((y1 - y) / (y1 - y0)) as f64 * SIZE,
        )
    };
    if let Some(minimum) = surface.minimum() {
        let (mx, my) = to_canvas(minimum);
        context.set_font("bold 18px sans-serif");
        context.set_fill_style_str("#000");
        // A failed label only drops the marker.
        let _ = context.fill_text("×", mx - 5.0, my + 6.0);
    }
    for (index, points) in paths {
        context.begin_path();
        context.set_stroke_style_str(RACERS[*index].1);
        context.set_line_width(2.0);
        for (i, &point) in points.iter().take(shown).enumerate() {
            let (px, py) = to_canvas(point);
            if i == 0 {
                context.move_to(px, py)
            } else {
                context.line_to(px, py)
            }
        }
        context.stroke();
    }
    let (sx, sy) = to_canvas(start);
    context.begin_path();
    let _ = context.arc(sx, sy, 5.0, 0.0, std::f64::consts::TAU);
    context.set_fill_style_str("#fff");
    context.fill();
    context.stroke();
}
