//! Article 2.2: classify the visitor's own photo with a pretrained ImageNet network, entirely in
//! the page. The model asset (manifest + int8 or f32 weights) is downloaded with progress,
//! checked against its manifest's sha256, cached by the browser's Cache API, and run on the
//! backend the shell picked. The photo is decoded and classified here and never sent anywhere.

use std::rc::Rc;
use std::sync::Arc;

use lab_core::photo::{self, Shrink};
use lab_core::vision::asset::Manifest;
use lab_core::vision::preprocess::{self, Preprocessing};
use lab_core::vision::{Classifier, Prediction, top_k};
use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::demos::Demo;
use crate::i18n::{Lang, Message, Text, tr, use_lang};
use crate::runtime::backend::{ActiveBackend, use_backend};
use crate::runtime::frame::{FrameBudget, next_frame, now_ms};
use crate::runtime::model_asset::{self, LoadError, LoadState, Timings, asset_problem};
use crate::runtime::url;
use crate::widgets::load_status::LoadStatus;
use crate::widgets::photo_input::{Photo, PhotoInput, photo_problem};
use crate::widgets::value_map::draw_rgb;

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
    view: || view! { <ClassifyDemo /> }.into_any(),
};

const MODELS_DIR: &str = "assets/models";
const TOP: usize = 5;
/// Photos are shrunk right after decoding to between two and four times this shorter side
/// (see `lab_core::photo::Shrink`), which bounds memory for huge photos.
const DECODE_SHORTER: u32 = 256;
/// Milliseconds of CPU work between two frames while a network runs stage by stage: a
/// ResNet-50 takes seconds on the CPU backends, and the page must keep drawing meanwhile.
const STAGE_BUDGET_MS: f64 = 40.0;

/// A model the site offers: its folder and manifest.
#[derive(Clone, Debug, PartialEq)]
struct ModelEntry {
    id: String,
    manifest: Arc<Manifest>,
}

/// The network in memory, on the device it was loaded for.
struct LoadedModel {
    manifest: Arc<Manifest>,
    classifier: Classifier,
    active: ActiveBackend,
}

#[derive(Clone, Debug, PartialEq)]
struct Classification {
    normalised: Vec<Prediction>,
    /// The article's snippet feeds raw [0, 1] pixels: what the same network says then.
    unnormalised: Vec<Prediction>,
    ms: f64,
}

#[component]
fn ClassifyDemo() -> impl IntoView {
    let backend = use_backend();
    let lang = use_lang();
    let models = RwSignal::new(Vec::<ModelEntry>::new());
    let selected = RwSignal::new(url::query("model").unwrap_or_default());
    let weights_file = RwSignal::new(url::query("weights").unwrap_or_default());
    let state = RwSignal::new(LoadState::Listing);
    let retry = RwSignal::new(0u32);
    let loaded = StoredValue::new_local(None::<Rc<LoadedModel>>);
    let model_version = RwSignal::new(0u32);
    let photo = StoredValue::new_local(None::<Rc<image::RgbImage>>);
    let photo_name = RwSignal::new(None::<String>);
    let photo_version = RwSignal::new(0u32);
    let problem = RwSignal::new(None::<Message>);
    let result = RwSignal::new(None::<Classification>);
    let busy = RwSignal::new(false);
    // How far the running classification is: stages done and in all.
    let stage = RwSignal::new(None::<(usize, usize)>);
    // Classifications finished, so that a reader can tell a new result from the last one.
    let finished = RwSignal::new(0u32);
    let preview = NodeRef::<Canvas>::new();

    // The models present, each with its manifest.
    Effect::new(move |_| {
        let _ = retry.get();
        spawn_local(async move {
            match list_models().await {
                Ok(list) if list.is_empty() => state.set(LoadState::Failed(
                    Text::new(
                        "站点里没有模型。请先运行 cargo xtask setup。",
                        "The site has no models. Run `cargo xtask setup` first.",
                    )
                    .into(),
                )),
                Ok(list) => {
                    if !list.iter().any(|m| m.id == selected.get_untracked()) {
                        selected.set(list[0].id.clone());
                    }
                    models.set(list);
                }
                Err(why) => state.set(LoadState::Failed(why)),
            }
        });
    });

    let entry = Memo::new(move |_| models.get().into_iter().find(|m| m.id == selected.get()));
    Effect::new(move |_| {
        if let Some(entry) = entry.get() {
            let file = weights_file.get();
            if !entry.manifest.files.iter().any(|f| f.file == file) {
                weights_file.set(entry.manifest.default_file.clone());
            }
            url::set_query(&[
                ("model", entry.id.clone()),
                ("weights", weights_file.get_untracked()),
            ]);
        }
    });

    // (Re)load whenever the model, its weights file or the device changes, or on retry.
    let load_token = StoredValue::new(0u32);
    Effect::new(move |_| {
        let (Some(entry), file, Some(active), _) = (
            entry.get(),
            weights_file.get(),
            backend.active.get(),
            retry.get(),
        ) else {
            return;
        };
        if entry.manifest.file(&file).is_err() {
            return;
        }
        let token = load_token.get_value() + 1;
        load_token.set_value(token);
        let current = move || load_token.get_value() == token;
        loaded.set_value(None);
        result.set(None);
        spawn_local(async move {
            let outcome = load_model(entry, &file, active, move |progress| {
                if current() {
                    state.set(progress);
                }
            })
            .await;
            if !current() {
                return;
            }
            match outcome {
                Ok((model, timings)) => {
                    loaded.set_value(Some(Rc::new(model)));
                    state.set(LoadState::Ready(timings));
                    model_version.update(|v| *v += 1);
                }
                Err(LoadError::GpuLost(why)) => backend.report_gpu_lost(why),
                Err(LoadError::Failed(message)) => state.set(LoadState::Failed(message)),
            }
        });
    });

    // Classify whenever a photo arrives or a model becomes ready.
    Effect::new(move |_| {
        let (_, _) = (photo_version.get(), model_version.get());
        let (Some(model), Some(image)) = (loaded.get_value(), photo.get_value()) else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            // Let "classifying…" paint before the CPU backends take the thread.
            next_frame().await;
            match classify(&model, &image, |done, all| stage.set(Some((done, all)))).await {
                Ok(classification) => {
                    result.set(Some(classification));
                    finished.update(|n| *n += 1);
                }
                Err(LoadError::GpuLost(why)) => backend.report_gpu_lost(why),
                Err(LoadError::Failed(message)) => problem.set(Some(message)),
            }
            busy.set(false);
            stage.set(None);
        });
    });

    let on_photo = move |given: Photo| match photo::decode(
        &given.bytes,
        Shrink::ShorterSideNear(DECODE_SHORTER),
    ) {
        Ok(image) => {
            problem.set(None);
            if let Some(canvas) = preview.get_untracked() {
                draw_rgb(&canvas, &image);
            }
            photo.set_value(Some(Rc::new(image)));
            photo_name.set(Some(given.name));
            photo_version.update(|v| *v += 1);
        }
        Err(why) => problem.set(Some(photo_problem(&given.name, &why))),
    };

    view! {
        <section class="demo classify">
            <div class="controls">
                <label>
                    {tr("模型", "Model")}
                    <select data-testid="model" on:change=move |ev| selected.set(event_target_value(&ev)) prop:value=move || selected.get()>
                        {move || models.get().into_iter().map(|m| {
                            let label = format!("{} · {}", m.manifest.name, m.manifest.arch);
                            view! { <option value=m.id.clone()>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>
                    {tr("权重", "Weights")}
                    <select data-testid="weights" on:change=move |ev| weights_file.set(event_target_value(&ev)) prop:value=move || weights_file.get()>
                        {move || entry.get().map(|m| m.manifest.files.iter().map(|f| {
                            let label = format!("{} · {:.1} MB", f.precision, f.bytes as f64 / 1e6);
                            view! { <option value=f.file.clone()>{label}</option> }
                        }).collect_view())}
                    </select>
                </label>
            </div>
            <LoadStatus state=state on_retry=move || retry.update(|r| *r += 1) />
            {move || entry.get().map(|m| view! { <ModelCard manifest=m.manifest /> })}
            <PhotoInput on_photo=on_photo on_error=move |message| problem.set(Some(message)) />
            {move || problem.get().map(|message| view! {
                <p class="notice" role="alert" data-testid="photo-problem">{message.get(lang.get()).to_string()}</p>
            })}
            <div class="classify-result">
                <figure>
                    <canvas node_ref=preview class="photo-preview" width="224" height="224" data-testid="photo-preview"></canvas>
                    <figcaption>{move || photo_name.get()}</figcaption>
                </figure>
                <div data-testid="classification" data-busy=move || busy.get().to_string() data-finished=move || finished.get().to_string()>
                    {move || busy.get().then(|| view! {
                        <p data-testid="classify-progress">
                            {tr("正在识别…", "Classifying…")}
                            {move || stage.get().map(|(done, all)| view! {
                                " " <progress max=all.to_string() value=done.to_string()></progress>
                                {format!(" {done}/{all} ")}{tr("个阶段", "stages")}
                            })}
                        </p>
                    })}
                    {move || result.get().map(|c| {
                        let manifest = entry.get().map(|m| m.manifest);
                        view! {
                            <h3>{tr("前五个类别", "Top 5")} <small data-testid="classify-ms">{format!(" {:.0} ms", c.ms)}</small></h3>
                            <TopClasses predictions=c.normalised.clone() manifest=manifest.clone() testid="top5" />
                            <details class="normalisation">
                                <summary>{tr("不做均值/方差归一化会怎样？", "What if the pixels are not normalised?")}</summary>
                                <p>{tr(
                                    "文章的示例代码只把像素缩放到 [0, 1]，忘了用 ImageNet 的均值和标准差归一化。同一张照片、同一个网络，这样输入得到的结果：",
                                    "The article's snippet scales pixels to [0, 1] but forgets ImageNet's mean/std normalisation. The same photo and network, fed that way:",
                                )}</p>
                                <TopClasses predictions=c.unnormalised.clone() manifest=manifest testid="top5-unnormalised" />
                            </details>
                        }
                    })}
                </div>
            </div>
        </section>
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

async fn list_models() -> Result<Vec<ModelEntry>, Message> {
    model_asset::list_models(MODELS_DIR)
        .await?
        .into_iter()
        .map(|(id, text)| {
            let manifest =
                Manifest::from_json(text.as_bytes()).map_err(|e| model_asset::unavailable(&e))?;
            Ok(ModelEntry {
                id,
                manifest: Arc::new(manifest),
            })
        })
        .collect()
}

async fn load_model(
    entry: ModelEntry,
    file: &str,
    active: ActiveBackend,
    report: impl Fn(LoadState),
) -> Result<(LoadedModel, Timings), LoadError> {
    let manifest = entry.manifest;
    let listed = manifest
        .file(file)
        .map_err(|e| LoadError::Failed(asset_problem(&e.to_string())))?;
    let (bytes, origin, download_ms) = model_asset::fetch_listed(
        MODELS_DIR,
        &entry.id,
        listed.into(),
        |bytes| manifest.verify(file, bytes).map_err(|e| e.to_string()),
        &report,
    )
    .await?;

    report(LoadState::Loading);
    next_frame().await;
    let started = now_ms();
    let device = active.device.clone().inner();
    let classifier = Classifier::from_asset(&manifest, file, &bytes, &device)
        .map_err(|e| LoadError::Failed(asset_problem(&e.to_string())))?;
    let load_ms = now_ms() - started;

    report(LoadState::WarmingUp);
    next_frame().await;
    let started = now_ms();
    let crop = manifest.preprocessing.crop as usize;
    let warm_up = vec![0.0f32; 3 * crop * crop];
    let model = LoadedModel {
        manifest: manifest.clone(),
        classifier,
        active,
    };
    logits(&model, &[warm_up], |_, _| ()).await?;
    let first_inference_ms = now_ms() - started;
    Ok((
        model,
        Timings {
            download_ms,
            origin,
            bytes: bytes.len() as u64,
            load_ms,
            first_inference_ms,
        },
    ))
}

async fn classify(
    model: &LoadedModel,
    image: &image::RgbImage,
    on_stage: impl Fn(usize, usize),
) -> Result<Classification, LoadError> {
    let started = now_ms();
    let normalised = &model.manifest.preprocessing;
    let raw = Preprocessing {
        mean: [0.0; 3],
        std: [1.0; 3],
        ..normalised.clone()
    };
    let inputs = [normalised, &raw].map(|p| {
        preprocess::preprocess(image, p).map_err(|e| LoadError::Failed(photo_problem("", &e)))
    });
    let [normalised_input, raw_input] = inputs;
    let all = logits(model, &[normalised_input?, raw_input?], on_stage).await?;
    let classes = all.len() / 2;
    Ok(Classification {
        normalised: top_k(&all[..classes], TOP),
        unnormalised: top_k(&all[classes..], TOP),
        ms: now_ms() - started,
    })
}

/// Logits of a batch of preprocessed images, read back from the device. The network runs one
/// stage at a time, handing the thread back to the page whenever [`STAGE_BUDGET_MS`] is spent
/// (on the CPU backends each stage computes at once; on WebGPU it is only queued), and
/// `on_stage(done, all)` hears how far it is.
async fn logits(
    model: &LoadedModel,
    images: &[Vec<f32>],
    on_stage: impl Fn(usize, usize),
) -> Result<Vec<f32>, LoadError> {
    let crop = model.manifest.preprocessing.crop as usize;
    let device = model.active.device.clone().inner();
    let classifier = &model.classifier;
    let stages = classifier.stage_count();
    let mut budget = FrameBudget::new(STAGE_BUDGET_MS);
    let mut features = preprocess::to_input(images, crop, &device);
    for index in 0..stages {
        features = classifier.stage(index, features);
        on_stage(index + 1, stages);
        budget.checkpoint().await;
    }
    model_asset::read_back(classifier.head(features), &model.active).await
}
