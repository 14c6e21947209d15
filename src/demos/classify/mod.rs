//! Article 2.2: classify the visitor's own photo with a pretrained ImageNet network, entirely in
//! the browser. The model (manifest + int8 or f32 weights) comes through the shared model hook
//! ([`crate::runtime::model_asset`]); the photo through [`PhotoInput`]; the classification is
//! lab-core's pipeline ([`lab_core::vision::pipeline`]), run in the lab's worker on the CPU
//! backends and paced by frames in the page on WebGPU ([`engine`]). The photo never leaves the
//! device.

mod engine;

pub use engine::{LOAD_OP, RUN_OP, load_here, run_here};

use std::sync::Arc;

use lab_core::asset::{AssetError, Verified, WeightsFile};
use lab_core::profile::Profile;
use lab_core::rank::Prediction;
use lab_core::vision::asset::Manifest;
use lab_core::vision::pipeline::{Classification, DECODE_SHRINK, Pass};
use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::demos::Demo;
use crate::i18n::{Lang, Message, Text, tr, use_lang};
use crate::runtime::backend::{ActiveBackend, Failure, read_back, use_backend};
use crate::runtime::frame::{next_frame, now_ms};
use crate::runtime::host::{self, Event};
use crate::runtime::job::Job;
use crate::runtime::model_asset::{Loaded, ModelKind, use_model_asset};
use crate::widgets::model_picker::ModelPicker;
use crate::widgets::op_profile::OpProfileView;
use crate::widgets::photo_input::{Photo, PhotoInput};
use crate::widgets::problem::Problem;
use crate::widgets::value_map::draw_rgb;
use engine::{Engine, Input, remote_logits};

pub const DEMO: Demo = Demo {
    id: "classify",
    section: "2.2",
    title: Text::new(
        "图像分类：在浏览器里识别你的照片",
        "Image classification, privately in your browser",
    ),
    summary: Text::new(
        "用 ImageNet 上预训练的卷积网络（int8 量化）给你的照片分类，给出前五个类别。照片只在本页解码和计算，不会离开你的设备。",
        "A convolutional network pretrained on ImageNet (int8-quantized) names what is in your photo, top 5. The photo is decoded and classified in this page and never leaves your device.",
    ),
    guide: Text::new(
        "同样的思路用在图像上：在 ImageNet 上预训练过的卷积网络能认出上千类物体。用你自己的照片试试，留意它在哪些照片上犹豫；量化成 int8 的权重小了四倍，答案却几乎不变。",
        "The same idea applied to images: a convolutional network pretrained on ImageNet names a thousand kinds of things. Try your own photos and notice where it hesitates; its int8 weights are four times smaller and give nearly the same answers.",
    ),
    view: || view! { <ClassifyDemo /> }.into_any(),
};

/// Milliseconds of CPU work between two frames while a network runs stage by stage: a
/// ResNet-50 takes seconds on the CPU backends, and the page must keep drawing meanwhile.
const STAGE_BUDGET_MS: f64 = 40.0;

/// The ImageNet classifiers the site holds under `assets/models/`.
struct ImageModels;

impl ModelKind for ImageModels {
    type Manifest = Manifest;
    type Model = Engine;
    const DIR: &'static str = "assets/models";
    const NONE: Text = Text::new(
        "站点里没有模型。请先运行 cargo xtask setup。",
        "The site has no models. Run `cargo xtask setup` first.",
    );

    fn parse(json: &[u8]) -> Result<Manifest, AssetError> {
        Manifest::from_json(json)
    }

    fn weights(manifest: &Manifest) -> (&[WeightsFile], &str) {
        (&manifest.files, &manifest.default_file)
    }

    fn label(manifest: &Manifest) -> String {
        format!("{} · {}", manifest.name, manifest.arch)
    }

    async fn build(
        manifest: &Manifest,
        weights: &Verified,
        _: &[Verified],
        active: &ActiveBackend,
    ) -> Result<Engine, Failure> {
        Engine::build(manifest, weights, active).await
    }

    async fn warm_up(loaded: &Loaded<Self>, job: Job) -> Result<(), Failure> {
        match &loaded.model {
            Engine::Page(classifier) => {
                let pass = Pass::warm_up(classifier, &loaded.manifest, &loaded.device());
                run_pass(pass, &loaded.active, job, |_, _| ())
                    .await
                    .map(drop)
            }
            Engine::Worker(remote) => remote_logits(remote, Input::WarmUp).await.map(drop),
        }
    }
}

/// A classification as the page shows it.
#[derive(Clone, Debug, PartialEq)]
struct Classified {
    classification: Classification,
    ms: f64,
    /// Where the time went, when the worker computed it on the CPU.
    profile: Option<Profile>,
}

/// The classification of the current photo: its result, its progress and its failure.
#[derive(Clone, Copy)]
struct Run {
    result: RwSignal<Option<Classified>>,
    /// Stages done and in all while a classification runs.
    stage: RwSignal<Option<(usize, usize)>>,
    /// Classifications finished, so that a reader can tell a new result from the last one.
    finished: RwSignal<u32>,
    problem: RwSignal<Option<Message>>,
    /// Bumped by "Try again" after a failed classification, which runs it again.
    again: RwSignal<u32>,
}

#[component]
fn ClassifyDemo() -> impl IntoView {
    let job = Job::new(STAGE_BUDGET_MS);
    let asset = use_model_asset::<ImageModels>(job.clone());
    let backend = use_backend();
    let photo = RwSignal::new(None::<Photo>);
    let run = Run {
        result: RwSignal::new(None),
        stage: RwSignal::new(None),
        finished: RwSignal::new(0),
        problem: RwSignal::new(None),
        again: RwSignal::new(0),
    };
    // Classify whenever a photo arrives or a model becomes ready; a newer request supersedes.
    let token = StoredValue::new(0u32);
    let host = host::link();
    Effect::new(move |_| {
        run.again.track();
        let (Some(loaded), Some(photo)) = (asset.model(), photo.get()) else {
            run.result.set(None);
            return;
        };
        let current = token.get_value() + 1;
        token.set_value(current);
        let current = move || token.get_value() == current;
        run.stage.set(Some((0, 0)));
        let job = job.clone();
        spawn_local(async move {
            // Let "classifying…" paint before the CPU backends take the thread.
            next_frame().await;
            let stage = |done, all| run.stage.set(current().then_some((done, all)));
            let outcome = classify(&loaded, &photo.image, job, stage).await;
            if !current() {
                return;
            }
            run.stage.set(None);
            match outcome {
                Ok(classified) => {
                    run.problem.set(None);
                    if let (Some(best), Some(m)) = (
                        classified.classification.normalised.first(),
                        asset.entry.get_untracked(),
                    ) {
                        host.emit(Event::Prediction {
                            label: m.manifest.label(best.class),
                            probability: best.probability,
                        });
                    }
                    run.result.set(Some(classified));
                    run.finished.update(|n| *n += 1);
                }
                Err(failure) => backend.handle(failure, |m| run.problem.set(Some(m))),
            }
        });
    });
    let manifest = Signal::derive(move || asset.entry.get().map(|m| m.manifest));
    view! {
        <section class="demo classify">
            <ModelPicker asset=asset />
            {move || manifest.get().map(|m| view! { <ModelCard manifest=m /> })}
            <PhotoInput on_photo=move |given| photo.set(Some(given)) shrink=DECODE_SHRINK />
            <Problem problem=run.problem testid="classify-problem" />
            <Show when=move || run.problem.with(Option::is_some) && photo.with(Option::is_some)>
                <button data-testid="classify-retry" on:click=move |_| run.again.update(|n| *n += 1)>
                    {tr("重试", "Try again")}
                </button>
            </Show>
            <div class="classify-result">
                <PhotoPreview photo=photo />
                <ClassificationView run=run manifest=manifest />
            </div>
        </section>
    }
}

#[component]
fn PhotoPreview(photo: RwSignal<Option<Photo>>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let (shown, waiting) = (
        tr("分类的照片：", "Photo classified: "),
        tr("还没有照片", "No photo yet"),
    );
    Effect::new(move |_| {
        if let (Some(canvas), Some(photo)) = (canvas.get(), photo.get()) {
            draw_rgb(&canvas, &photo.image);
        }
    });
    view! {
        <figure>
            <canvas node_ref=canvas class="photo-preview" width="224" height="224" data-testid="photo-preview"
                role="img" aria-label=move || match photo.get() {
                    Some(photo) => format!("{}{}", shown(), photo.name),
                    None => waiting().to_string(),
                }></canvas>
            <figcaption>{move || photo.get().map(|p| p.name)}</figcaption>
        </figure>
    }
}

#[component]
fn ClassificationView(run: Run, manifest: Signal<Option<Arc<Manifest>>>) -> impl IntoView {
    let busy = move || run.stage.get().is_some();
    view! {
        <div data-testid="classification" data-busy=move || busy().to_string() data-finished=move || run.finished.get().to_string()>
            {move || run.stage.get().map(|(done, all)| view! {
                <p data-testid="classify-progress">
                    {tr("正在识别…", "Classifying…")}
                    {(all > 0).then(|| view! {
                        " " <progress max=all.to_string() value=done.to_string()></progress>
                        {format!(" {done}/{all} ")}{tr("个阶段", "stages")}
                    })}
                </p>
            })}
            {move || run.result.get().map(|c| {
                let manifest = manifest.get();
                view! {
                    <h3>{tr("前五个类别", "Top 5")} <small data-testid="classify-ms">{format!(" {:.0} ms", c.ms)}</small></h3>
                    <TopClasses predictions=c.classification.normalised manifest=manifest.clone() testid="top5" />
                    {c.profile.map(|profile| view! { <OpProfileView profile /> })}
                    <details class="normalisation">
                        <summary>{tr("不做均值/方差归一化会怎样？", "What if the pixels are not normalised?")}</summary>
                        <p>{tr(
                            "文章的示例代码只把像素缩放到 [0, 1]，忘了用 ImageNet 的均值和标准差归一化。同一张照片、同一个网络，这样输入得到的结果：",
                            "The article's snippet scales pixels to [0, 1] but forgets ImageNet's mean/std normalisation. The same photo and network, fed that way:",
                        )}</p>
                        <TopClasses predictions=c.classification.unnormalised manifest=manifest testid="top5-unnormalised" />
                    </details>
                }
            })}
        </div>
    }
}

#[component]
fn ModelCard(manifest: Arc<Manifest>) -> impl IntoView {
    let params = manifest.parameters as f64 / 1e6;
    let gflop = 2.0 * manifest.macs as f64 / 1e9;
    let source = format!(
        "{} — {} ({})",
        manifest.source.description, manifest.source.origin, manifest.source.licence
    );
    view! {
        <p class="model-card">
            {format!("{} · {params:.1} M ", manifest.name)}{tr("参数", "parameters")}
            {format!(" · {gflop:.2} GFLOP · ")}{tr("来源：", "source: ")}{source}
        </p>
    }
}

#[component]
fn TopClasses(
    predictions: Vec<Prediction>,
    manifest: Option<Arc<Manifest>>,
    testid: &'static str,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <ol class="top-classes" data-testid=testid>
            {predictions.into_iter().map(|p| {
                let en = manifest.as_ref().map_or_else(|| format!("class {}", p.class), |m| m.label(p.class));
                let zh = manifest.as_ref().and_then(|m| m.labels.zh.as_ref()?.get(p.class).cloned());
                let percent = p.probability * 100.0;
                view! {
                    <li data-class=p.class data-probability=p.probability>
                        <span class="label">{move || match (lang.get(), &zh) {
                            (Lang::Zh, Some(zh)) => format!("{zh}（{en}）"),
                            _ => en.clone(),
                        }}</span>
                        <span class="bar"><span style=format!("width: {percent:.1}%")></span></span>
                        <span class="value">{format!("{percent:.1}%")}</span>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

async fn classify(
    loaded: &Loaded<ImageModels>,
    image: &image::RgbImage,
    job: Job,
    on_stage: impl Fn(usize, usize),
) -> Result<Classified, Failure> {
    let started = now_ms();
    let (logits, profile) = match &loaded.model {
        Engine::Page(classifier) => {
            let pass = Pass::photo(classifier, &loaded.manifest, image, &loaded.device()).map_err(
                |why| {
                    Failure::Shown(Message::new(
                        format!("无法预处理这张照片：{why:?}"),
                        format!("The photo could not be preprocessed: {why:?}"),
                    ))
                },
            )?;
            (run_pass(pass, &loaded.active, job, on_stage).await?, None)
        }
        Engine::Worker(remote) => remote_logits(remote, Input::Photo(image)).await?,
    };
    Ok(Classified {
        classification: Classification::from_logits(&logits),
        ms: now_ms() - started,
        profile,
    })
}

/// Runs a pass stage by stage, handing the thread back to the page whenever the job's budget
/// ([`STAGE_BUDGET_MS`]) is spent (on the CPU backends each stage computes at once; on WebGPU it is
/// only queued), telling `on_stage(done, all)` how far it is; then reads the logits back.
async fn run_pass(
    mut pass: Pass<'_>,
    active: &ActiveBackend,
    mut job: Job,
    on_stage: impl Fn(usize, usize),
) -> Result<Vec<f32>, Failure> {
    while pass.run_stage() {
        on_stage(pass.done(), pass.stages());
        if !job.checkpoint().await {
            return Err(Failure::Cancelled);
        }
    }
    read_back(pass.logits(), active).await
}
