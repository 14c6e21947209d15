//! Article 1.2, the landscape: a 2-D loss surface drawn as a banded map, and each optimizer's
//! path across it from the point the visitor clicks, animated. Paths come from burn's autodiff
//! and burn-optim (lab_core::landscape), not hand-written derivatives.

mod draw;
mod link;
mod paths;

use lab_core::landscape::Surface;
use lab_core::optim::OptimizerKind;
use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::demos::Demo;
use crate::i18n::{Lang, Text, tr, use_lang};
use crate::runtime::backend::{Failure, use_backend};
use crate::runtime::job::Job;
use crate::runtime::url;
use crate::widgets::palette;
use crate::widgets::save_png::{Figure, SavePng};
use crate::widgets::value_map::MapPainter;

pub const DEMO: Demo = Demo {
    id: "landscape",
    section: "1.2",
    title: Text::new("损失地形上的优化器", "Optimizers on a loss landscape"),
    summary: Text::new(
        "在经典的二维测试函数上点一个起点，看 SGD、动量、Nesterov、Adam 和 RMSprop 各自走出的路径：弯曲的山谷、鞍点和病态的碗。",
        "Click a start point on a classic 2-D test function and watch the paths SGD, momentum, Nesterov, Adam and RMSprop take: a curved valley, a saddle, an ill-conditioned bowl.",
    ),
    guide: Text::new(
        "把损失想成一片地形，优化器就是下山的人。在狭长弯曲的山谷里，带动量的方法会冲过头再拐回来；在鞍点附近，自适应学习率的方法往往更早脱身。换几个起点，比较它们的路径。",
        "Think of the loss as terrain and of an optimizer as a walker heading downhill. In a long curved valley, momentum overshoots and swings back; near a saddle, the adaptive methods tend to get away sooner. Try several start points and compare the paths.",
    ),
    view: || view! { <LandscapeDemo /> }.into_any(),
};

const RACERS: [(OptimizerKind, &str); 5] = [
    (OptimizerKind::Sgd, palette::BLACK),
    (OptimizerKind::Momentum, palette::VERMILLION),
    (OptimizerKind::Nesterov, palette::REDDISH_PURPLE),
    (OptimizerKind::Adam, palette::BLUISH_GREEN),
    (OptimizerKind::RmsProp, palette::ORANGE),
];
const STEPS: usize = 300;
const RESOLUTION: usize = 96;
const SIZE: f64 = 420.0;
/// The walks' budget per frame: leaves the page room for 60 fps.
const FRAME_BUDGET_MS: f64 = 8.0;

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

/// The landscape's state: what the controls write and what the path loop reports.
#[derive(Clone, Copy)]
struct Landscape {
    surface: RwSignal<Surface>,
    start: RwSignal<[f32; 2]>,
    enabled: RwSignal<link::Walkers>,
    /// Each enabled optimizer's index in [`RACERS`] and the points of its path so far.
    paths: RwSignal<Vec<(usize, Vec<[f32; 2]>)>>,
    /// Points of each path drawn so far.
    shown: RwSignal<usize>,
    problem: RwSignal<Option<String>>,
}

#[component]
fn LandscapeDemo() -> impl IntoView {
    let backend = use_backend();
    let lang = use_lang();
    let surface = link::parse_surface(url::query("surface").as_deref());
    let state = Landscape {
        surface: RwSignal::new(surface),
        start: RwSignal::new(link::parse_start(url::query("start").as_deref(), surface)),
        enabled: RwSignal::new(link::parse_walkers(url::query("paths").as_deref())),
        paths: RwSignal::new(Vec::new()),
        shown: RwSignal::new(0),
        problem: RwSignal::new(None),
    };
    let grid = RwSignal::new(None::<Vec<f32>>);
    let canvas = NodeRef::<Canvas>::new();
    let painter = StoredValue::new_local(MapPainter::new(RESOLUTION));

    Effect::new(move |_| {
        url::set_query(&[
            ("surface", state.surface.get().id().to_string()),
            ("start", link::start_query(state.start.get())),
            ("paths", link::walkers_query(&state.enabled.get())),
        ])
    });
    Effect::new(move |_| {
        let surface = state.surface.get();
        let Some(active) = backend.active.get() else {
            return;
        };
        spawn_local(async move {
            match surface
                .grid(RESOLUTION, &active.device.clone().inner())
                .await
            {
                Ok(values) => grid.set(Some(values)),
                Err(why) => {
                    let what = Text::new("地形计算出错", "The surface failed");
                    backend.handle(Failure::device(&active, what, why), |message| {
                        state
                            .problem
                            .set(Some(message.get(lang.get_untracked()).to_string()))
                    });
                }
            }
        });
    });
    spawn_local(paths::path_loop(
        Job::new(FRAME_BUDGET_MS),
        state,
        backend,
        lang,
    ));
    Effect::new(move |_| {
        let (Some(canvas), Some(values)) = (canvas.get(), grid.get()) else {
            return;
        };
        let surface = state.surface.get_untracked();
        let (shown, start, paths) = (state.shown.get(), state.start.get(), state.paths.get());
        painter.with_value(|painter| {
            if let Some(painter) = painter {
                draw::draw(&canvas, painter, surface, &values, start, &paths, shown);
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
        let ([x0, x1], [y0, y1]) = state.surface.get_untracked().domain();
        state.start.set([x0 + u * (x1 - x0), y1 - v * (y1 - y0)]);
    };
    // The keyboard's way to move the start: arrows step it by a fortieth of the map, inside it.
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let (dx, dy) = match ev.key().as_str() {
            "ArrowLeft" => (-1.0, 0.0),
            "ArrowRight" => (1.0, 0.0),
            "ArrowUp" => (0.0, 1.0),
            "ArrowDown" => (0.0, -1.0),
            _ => return,
        };
        ev.prevent_default();
        let ([x0, x1], [y0, y1]) = state.surface.get_untracked().domain();
        state.start.update(|[x, y]| {
            *x = (*x + dx * (x1 - x0) / 40.0).clamp(x0, x1);
            *y = (*y + dy * (y1 - y0) / 40.0).clamp(y0, y1);
        });
    };
    let lang = use_lang();
    let map_text = move || {
        let [x, y] = state.start.get();
        match lang.get() {
            Lang::Zh => {
                format!("损失地形图与各优化器的路径，起点 ({x:.2}, {y:.2})；方向键移动起点")
            }
            Lang::En => format!(
                "Loss landscape with each optimizer's path, start ({x:.2}, {y:.2}); arrow keys move the start"
            ),
        }
    };

    view! {
        <LandscapeBar state=state />
        {move || state.problem.get().map(|p| view! { <p class="notice" role="alert">{p}</p> })}
        <div class="landscape">
            <div>
                <canvas node_ref=canvas data-testid="landscape-canvas" width=SIZE height=SIZE on:click=on_click
                    tabindex="0" role="img" aria-label=map_text on:keydown=on_key></canvas>
                <SavePng figure=Figure::Canvas(canvas) name="paths" />
            </div>
            <PathList state=state />
        </div>
    }
}

/// The surface picker and a checkbox per optimizer.
#[component]
fn LandscapeBar(state: Landscape) -> impl IntoView {
    let (surface, enabled, lang) = (state.surface, state.enabled, use_lang());
    view! {
        <div class="top-bar">
            <label>{tr("地形", "Surface")}
                <select data-testid="landscape-surface" on:change=move |ev| {
                    if let Some(s) = Surface::from_id(&event_target_value(&ev)) {
                        surface.set(s);
                        state.start.set(s.default_start());
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
                    <span class="swatch" style=format!("background:{color}")></span>
                    <b>{kind.label()}</b>
                    <span class="hint">{move || format!(" η={}", default_learning_rate(surface.get(), kind))}</span>
                </label>
            }).collect_view()}
        </div>
    }
}

/// The start point and where each path ends. `data-points` counts the points walked and
/// `data-shown` those drawn, for the tests.
#[component]
fn PathList(state: Landscape) -> impl IntoView {
    let (paths, lang) = (state.paths, use_lang());
    view! {
        <div>
            <p data-testid="landscape-start">{move || {
                let [x, y] = state.start.get();
                match lang.get() { Lang::Zh => format!("起点 ({x:.2}, {y:.2})：点击地图（或用方向键）换一个"), Lang::En => format!("Start ({x:.2}, {y:.2}): click the map (or use the arrow keys on it) to move it") }
            }}</p>
            <ul class="path-ends" data-testid="landscape-paths" data-shown=move || state.shown.get()
                data-points={move || paths.get().iter().map(|(_, p)| p.len()).sum::<usize>()}>
                {move || paths.get().into_iter().map(|(index, points)| {
                    let (kind, color) = RACERS[index];
                    let end = points.last().copied().unwrap_or([f32::NAN; 2]);
                    view! {
                        <li>
                            <span class="swatch" style=format!("background:{color}")></span>" "
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
