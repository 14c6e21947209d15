//! Article 1.3, "Data augmentation": a grid of randomly augmented variants of a real photo (a
//! sample, or the visitor's own, which never leaves the page), reseedable; the same seed draws
//! the same grid on every machine (see `lab_core::augment`).
//!
//! A frame loop owns the drawing: whenever the photo, the ops, the seed or the count change, it
//! starts over and computes one variant per animation frame, so the page stays responsive.
//! Controls only write signals; values outside an op's range are refused at the control. The
//! link keeps the sample photo, the seed, the count and the ops ([`link`]), never the visitor's
//! own photo.

use std::sync::Arc;

use image::RgbImage;
use lab_core::augment::{self, AugmentSpec, MAX_SIDE, Op, Setting};
use lab_core::photo::Shrink;
use leptos::html::{Canvas, Div};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

mod link;

use crate::demos::Demo;
use crate::i18n::{Lang, Message, Text, tr, use_lang};
use crate::runtime::frame::now_ms;
use crate::runtime::job::Job;
use crate::runtime::url;
use crate::widgets::photo_input::{Photo, PhotoInput};
use crate::widgets::problem::Problem;
use crate::widgets::value_map::draw_rgb;

pub const DEMO: Demo = Demo {
    id: "augment",
    section: "1.3",
    title: Text::new("数据增强", "Data augmentation"),
    summary: Text::new(
        "把一张真实照片随机翻转、裁剪、旋转、调色、加噪声、遮挡，一次生成一组变体；同一个种子在任何设备上都得到同样的一组。可以换成你自己的照片，它不会离开本页。",
        "Flip, crop, rotate, recolour, add noise to and cut out parts of a real photo at random, a grid of variants at a time; the same seed gives the same grid on any device. Use your own photo too: it never leaves the page.",
    ),
    guide: Text::new(
        "模型只见过有限的照片，却要应付没见过的角度、光线和遮挡。数据增强在训练时随机改动照片，但不改变照片里是什么，让模型学到真正要紧的特征。换一个种子，或者换成你自己的照片看看。",
        "A model sees a limited set of photos, yet must cope with angles, light and occlusions it never saw. Augmentation changes each training photo at random without changing what it shows, so the model learns the features that matter. Try another seed, or a photo of your own.",
    ),
    view: || view! { <Augmentation /> }.into_any(),
};

/// Grid sizes offered.
const COUNTS: [usize; 4] = [4, 8, 12, 16];
/// One variant a frame whatever its cost (the page says so); the budget is not consulted.
const FRAME_BUDGET_MS: f64 = 10.0;
/// The photo shown before the visitor picks one.
const FIRST_SAMPLE: &str = "chelsea.png";

/// The decoded photo; `version` tells the loop that a new one arrived.
#[derive(Clone)]
struct Source {
    name: String,
    image: Arc<RgbImage>,
    /// The sample it is, for the link; `None` for the visitor's own photo.
    sample: Option<&'static str>,
    version: u32,
}

#[derive(Clone, Copy)]
struct State {
    source: RwSignal<Option<Source>>,
    spec: RwSignal<AugmentSpec>,
    seed: RwSignal<u64>,
    count: RwSignal<usize>,
    /// Variants drawn of the current grid.
    drawn: RwSignal<usize>,
    /// `version:seed:count` of the grid once every variant is drawn; empty while drawing.
    done: RwSignal<String>,
    ms_per_variant: RwSignal<f64>,
    /// Why the last value typed into a control was refused (the previous one is kept).
    control_problem: RwSignal<Option<Message>>,
}

#[component]
fn Augmentation() -> impl IntoView {
    let state = State {
        source: RwSignal::new(None),
        spec: RwSignal::new(link::parse_ops(url::query("ops").as_deref())),
        seed: RwSignal::new(link::parse_seed(url::query("seed").as_deref())),
        count: RwSignal::new(link::parse_count(url::query("n").as_deref())),
        drawn: RwSignal::new(0),
        done: RwSignal::new(String::new()),
        ms_per_variant: RwSignal::new(0.0),
        control_problem: RwSignal::new(None),
    };
    let original = NodeRef::<Canvas>::new();
    let grid = NodeRef::<Div>::new();
    spawn_local(draw_loop(Job::new(FRAME_BUDGET_MS), state, original, grid));
    let first = link::parse_sample(url::query("photo").as_deref());
    let own_photo = move || {
        state
            .source
            .with(|s| s.as_ref().is_some_and(|s| s.sample.is_none()))
    };
    Effect::new(move |_| {
        // Until the first photo arrives the link keeps the sample it asked for.
        let photo = state
            .source
            .with(|s| s.as_ref().map_or(Some(first), |s| s.sample));
        url::set_query(&[
            ("photo", photo.unwrap_or_default().to_string()),
            ("seed", state.seed.get().to_string()),
            ("n", state.count.get().to_string()),
            ("ops", link::ops_query(&state.spec.get())),
        ])
    });
    let (original_text, variant_text) = (tr("原图 ", "Original "), tr("变体", "Variant"));

    view! {
        <div class="augment">
            <PhotoInput on_photo=move |photo| use_photo(state, photo) shrink=Shrink::LongerSideTo(MAX_SIDE)
                first=first camera=false />
            <Show when=own_photo>
                <p class="hint" data-testid="own-photo-link">{tr(
                    "你自己的照片不会写进链接（它不会离开本页）：打开链接的人会看到示例照片，以及同样的设置和种子。",
                    "Your own photo is not in the link (it never leaves this page): whoever opens the link sees a sample photo, with the same settings and seed.",
                )}</p>
            </Show>
            <Controls state=state />
            <Problem problem=state.control_problem testid="control-problem" />
            <div class="augment-view">
                <figure>
                    <canvas node_ref=original data-testid="original" role="img"
                        aria-label=move || format!("{}{}", original_text(), state.source.get().map(|s| s.name).unwrap_or_default())></canvas>
                    <figcaption>
                        {tr("原图 ", "Original ")}
                        <span data-testid="photo-name">{move || state.source.get().map(|s| {
                            let (w, h) = s.image.dimensions();
                            format!("{} · {w}×{h}", s.name)
                        })}</span>
                    </figcaption>
                </figure>
                <div>
                    <div class="augment-grid" node_ref=grid data-testid="augment-grid"
                        data-drawn=move || state.drawn.get() data-done=move || state.done.get()>
                        {move || (0..state.count.get()).map(|i| view! { <canvas data-index=i role="img" aria-label=move || format!("{} {}", variant_text(), i + 1)></canvas> }).collect_view()}
                    </div>
                    <p class="hint" data-testid="grid-timing">
                        {move || format!("{} / {} · ", state.drawn.get(), state.count.get())}
                        <b data-testid="ms-per-variant">{move || format!("{:.1}", state.ms_per_variant.get())}</b>
                        {tr(" 毫秒/张（每帧算一张，页面不卡）", " ms per variant (one per frame, so the page stays responsive)")}
                    </p>
                </div>
            </div>
            <p class="hint">{tr(
                "训练时每一轮都给同一张照片换一种随机变化，模型就学到“翻转、变暗、挡住一块的猫仍然是猫”，过拟合也随之减少。",
                "Training shows each photo with a fresh random change every epoch, so the model learns that a flipped, darker or partly hidden cat is still a cat, and over-fits less.",
            )}</p>
        </div>
    }
}

/// A new photo starts a new grid.
fn use_photo(state: State, photo: Photo) {
    let version = state
        .source
        .with_untracked(|s| s.as_ref().map_or(0, |s| s.version))
        + 1;
    state.source.set(Some(Source {
        name: photo.name,
        image: photo.image,
        sample: photo.sample,
        version,
    }));
}

/// Draws the original when it changes, then the grid one variant per frame; starts over when
/// the photo, the ops, the seed or the count change.
async fn draw_loop(mut job: Job, state: State, original: NodeRef<Canvas>, grid: NodeRef<Div>) {
    let mut current: Option<(u32, AugmentSpec, u64, usize)> = None;
    let mut next = 0;
    let mut spent_ms = 0.0;
    while job.frame().await {
        let Some(source) = state.source.get_untracked() else {
            continue;
        };
        let (spec, seed, count) = (
            state.spec.get_untracked(),
            state.seed.get_untracked(),
            state.count.get_untracked(),
        );
        let key = (source.version, spec.clone(), seed, count);
        if current.as_ref() != Some(&key) {
            if current
                .as_ref()
                .is_none_or(|(version, ..)| *version != source.version)
                && let Some(canvas) = original.get_untracked()
            {
                draw_rgb(&canvas, &source.image);
            }
            current = Some(key);
            (next, spent_ms) = (0, 0.0);
            state.drawn.set(0);
            state.done.set(String::new());
        }
        if next >= count {
            continue;
        }
        // The canvases of a new count appear once the view has updated.
        let Some(canvas) = grid
            .get_untracked()
            .and_then(|grid| grid.children().item(next as u32))
            .and_then(|element| element.dyn_into::<web_sys::HtmlCanvasElement>().ok())
        else {
            continue;
        };
        let started = now_ms();
        draw_rgb(
            &canvas,
            &augment::augment_variant(&source.image, &spec, seed, next),
        );
        spent_ms += now_ms() - started;
        next += 1;
        state.drawn.set(next);
        state.ms_per_variant.set(spent_ms / next as f64);
        if next == count {
            state.done.set(format!("{}:{seed}:{count}", source.version));
        }
    }
}

fn op_name(op: Op) -> (Text, Text) {
    match op {
        Op::FlipHorizontal => (
            Text::new("水平翻转", "Horizontal flip"),
            Text::new("概率", "probability"),
        ),
        Op::FlipVertical => (
            Text::new("垂直翻转", "Vertical flip"),
            Text::new("概率", "probability"),
        ),
        Op::Crop => (
            Text::new("随机缩放裁剪", "Random resized crop"),
            Text::new("最多裁掉的面积比例", "largest share of the area cut"),
        ),
        Op::Rotate => (
            Text::new("旋转", "Rotation"),
            Text::new("± 度", "± degrees"),
        ),
        Op::Brightness => (
            Text::new("亮度", "Brightness"),
            Text::new("± 满量程的比例", "± share of full scale"),
        ),
        Op::Contrast => (
            Text::new("对比度", "Contrast"),
            Text::new("± 倍数", "± factor"),
        ),
        Op::Saturation => (
            Text::new("饱和度", "Saturation"),
            Text::new("± 倍数", "± factor"),
        ),
        Op::Hue => (Text::new("色相", "Hue"), Text::new("± 度", "± degrees")),
        Op::Noise => (
            Text::new("高斯噪声", "Gaussian noise"),
            Text::new("σ（0–255 级）", "σ (levels of 255)"),
        ),
        Op::Cutout => (
            Text::new("遮挡（Cutout）", "Cutout"),
            Text::new("方块边长 ÷ 短边", "square side ÷ shorter side"),
        ),
    }
}

#[component]
fn Controls(state: State) -> impl IntoView {
    let lang = use_lang();
    let spec = state.spec;
    let refuse = move |input: &web_sys::HtmlInputElement, previous: String, message: Message| {
        input.set_value(&previous);
        state.control_problem.set(Some(message));
    };
    let op_row = move |op: Op| {
        let (name, unit) = op_name(op);
        let (low, high) = op.range();
        let setting = move || spec.with(|s| s.get(op));
        view! {
            <div class="augment-op">
                <label class="check">
                    <input type="checkbox" data-testid=format!("op-{}", op.id()) prop:checked=move || setting().on
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            spec.update(|s| s.set(op, Setting { on, ..s.get(op) }));
                        } />
                    {move || name.get(lang.get())}
                </label>
                <input type="number" step="any" min=low max=high data-testid=format!("strength-{}", op.id())
                    aria-label=move || match lang.get() {
                        Lang::Zh => format!("{}的强度（{}）", name.zh, unit.zh),
                        Lang::En => format!("{} strength ({})", name.en, unit.en),
                    }
                    prop:value=move || setting().strength.to_string()
                    on:change=move |ev| {
                        let input: web_sys::HtmlInputElement = event_target(&ev);
                        let typed = input.value();
                        match typed.trim().parse::<f32>() {
                            Ok(strength) if op.accepts(strength) => {
                                state.control_problem.set(None);
                                spec.update(|s| s.set(op, Setting { strength, ..s.get(op) }));
                            }
                            _ => refuse(&input, setting().strength.to_string(), Message::new(
                                format!("{}：“{typed}”无效，强度须是 {low} 到 {high} 之间的数。", name.zh),
                                format!("{}: “{typed}” is refused; the strength must be a number from {low} to {high}.", name.en),
                            )),
                        }
                    } />
                <span class="hint">{move || unit.get(lang.get())}</span>
            </div>
        }
    };
    view! {
        <section class="panel augment-controls">
            <div class="augment-ops">{Op::ALL.map(op_row).collect_view()}</div>
            <div class="augment-seed">
                <label>{tr("变体数 ", "Variants ")}
                    <select data-testid="count" on:change=move |ev| {
                        if let Ok(n) = event_target_value(&ev).parse::<usize>() { state.count.set(n) }
                    }>
                        {COUNTS.iter().map(|&n| view! {
                            <option value=n.to_string() selected=move || state.count.get() == n>{n}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{tr("种子 ", "Seed ")}
                    <input type="text" inputmode="numeric" data-testid="seed" prop:value=move || state.seed.get().to_string()
                        on:change=move |ev| {
                            let input: web_sys::HtmlInputElement = event_target(&ev);
                            let typed = input.value();
                            match typed.trim().parse::<u64>() {
                                Ok(seed) => {
                                    state.control_problem.set(None);
                                    state.seed.set(seed);
                                }
                                Err(_) => refuse(&input, state.seed.get_untracked().to_string(), Message::new(
                                    format!("种子“{typed}”无效：须是 0 到 {} 之间的整数。", u64::MAX),
                                    format!("Seed “{typed}” is refused: it must be a whole number from 0 to {}.", u64::MAX),
                                )),
                            }
                        } />
                </label>
                <button data-testid="reseed" on:click=move |_| {
                    // Any other seed will do; 32 bits keep it short to read and share.
                    let seed = (js_sys::Math::random() * f64::from(u32::MAX)) as u64;
                    state.seed.update(|s| *s = if seed == *s { seed + 1 } else { seed });
                }>{tr("换个种子", "Reseed")}</button>
                <button data-testid="reset-ops" on:click=move |_| spec.set(AugmentSpec::default())>
                    {tr("恢复默认", "Defaults")}
                </button>
            </div>
            <p class="hint">{move || match lang.get() {
                crate::i18n::Lang::Zh => format!("照片先缩小到长边不超过 {MAX_SIDE} 像素。同一个种子、同样的设置，在任何电脑和浏览器上都得到逐字节相同的一组变体。"),
                crate::i18n::Lang::En => format!("Photos are first shrunk to at most {MAX_SIDE} pixels on the longer side. The same seed and settings give byte-identical variants on any computer and browser."),
            }}</p>
        </section>
    }
}
