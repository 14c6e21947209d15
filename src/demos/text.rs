//! Article 2.1: a Chinese BERT in the page. Type a sentence and see its sentiment, its WordPiece
//! tokens, the attention of any layer and head, and the masked-language-model head's fillers
//! for `[MASK]`; then label a few sentences of your own and fine-tune a fresh classifier head on
//! them live, with the loss curve, on the chosen backend. The text never leaves the page.
//!
//! The model asset (manifest, int8 or f32 weights, `vocab.txt` or `tokenizer.json`) comes from
//! `text-models/`, fetched with progress, checked against its manifest and cached like every
//! model asset ([`crate::runtime::model_asset`]).

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use burn::tensor::activation::softmax;
use burn::tensor::{Tensor, TensorData};
use lab_core::text::asset::TextManifest;
use lab_core::text::bert::{Bert, BertInput};
use lab_core::text::tokenizer::{self, Encoded, TextError, Tokenizer};
use lab_core::text::training::HeadTrainer;
use lab_core::vision::{Prediction, top_k};
use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::demos::Demo;
use crate::i18n::{Lang, Message, Text, tr, use_lang};
use crate::runtime::backend::{ActiveBackend, use_backend};
use crate::runtime::frame::{mounted_flag, next_frame, now_ms};
use crate::runtime::model_asset::{self, Listed, LoadError, LoadState, Timings, asset_problem};
use crate::runtime::url;
use crate::widgets::line_chart::{LineChart, Series};
use crate::widgets::load_status::LoadStatus;
use crate::widgets::value_map::{context_2d, diverging};

pub const DEMO: Demo = Demo {
    id: "text",
    section: "2.1",
    title: Text::new(
        "中文 BERT：情感分类、词元、注意力与微调",
        "A Chinese BERT: sentiment, tokens, attention and fine-tuning",
    ),
    summary: Text::new(
        "一个 int8 量化的中文 BERT 在本页运行：输入句子，看情感判断、WordPiece 词元、任意一层一头的注意力、[MASK] 的补全；再标注几句自己的话，现场微调分类头。文字不会离开你的设备。",
        "An int8-quantized Chinese BERT runs in this page: type a sentence and see its sentiment, WordPiece tokens, any layer's and head's attention and the fillers for [MASK]; then label a few sentences of your own and fine-tune a classifier head live. The text never leaves your device.",
    ),
    view: || view! { <TextDemo /> }.into_any(),
};

const MODELS_DIR: &str = "text-models";
const FIRST_EXAMPLE: &str = "今天天气真好";
const EXAMPLES: [&str; 4] = [
    FIRST_EXAMPLE,
    "质量太差了，用了两天就坏，再也不买了。",
    "物流很快，包装也很好，推荐！",
    "这本书 so boring，浪费时间 😒",
];
const MASK_EXAMPLE: &str = "今天天气真[MASK]。";
/// The visitor's sentences to start the fine-tuning with: 1 positive, 0 negative.
const TRAINING_EXAMPLES: [(&str, usize); 6] = [
    ("这家店的服务真周到", 1),
    ("味道好极了，下次还来", 1),
    ("屏幕清晰，电池也耐用", 1),
    ("等了一个小时还没上菜", 0),
    ("客服态度恶劣，不推荐", 0),
    ("衣服洗一次就褪色了", 0),
];
const FINETUNE_STEPS: usize = 150;
const FINETUNE_LEARNING_RATE: f64 = 0.05;
/// Fine-tuning steps run in one animation frame for at most about this long.
const FRAME_BUDGET_MS: f64 = 12.0;

/// A model the site offers: its folder and manifest.
#[derive(Clone, Debug, PartialEq)]
struct ModelEntry {
    id: String,
    manifest: Arc<TextManifest>,
}

/// The network and its tokenizer in memory, on the device they were loaded for.
struct LoadedBert {
    manifest: Arc<TextManifest>,
    bert: Bert,
    tokenizer: Tokenizer,
    active: ActiveBackend,
}

/// What the page shows for the typed sentence.
#[derive(Clone, Debug, PartialEq)]
struct Analysis {
    encoded: Encoded,
    /// Class probabilities, when the model has a classifier.
    probabilities: Option<Vec<f32>>,
    /// `[layer][head][query][key]`, flattened.
    attentions: Arc<Vec<f32>>,
    layers: usize,
    heads: usize,
    ms: f64,
}

#[component]
fn TextDemo() -> impl IntoView {
    let backend = use_backend();
    let lang = use_lang();
    let models = RwSignal::new(Vec::<ModelEntry>::new());
    let selected = RwSignal::new(url::query("model").unwrap_or_default());
    let weights_file = RwSignal::new(url::query("weights").unwrap_or_default());
    let state = RwSignal::new(LoadState::Listing);
    let retry = RwSignal::new(0u32);
    let loaded = StoredValue::new_local(None::<Rc<LoadedBert>>);
    let model_version = RwSignal::new(0u32);
    let text = RwSignal::new(FIRST_EXAMPLE.to_string());
    let analysis = RwSignal::new(None::<Analysis>);
    let problem = RwSignal::new(None::<Message>);
    // The attention map's layer (None: the last) and head, kept across sentences.
    let layer = RwSignal::new(None::<usize>);
    let head = RwSignal::new(0usize);

    Effect::new(move |_| {
        let _ = retry.get();
        spawn_local(async move {
            match list_models().await {
                Ok(list) if list.is_empty() => state.set(LoadState::Failed(
                    Text::new(
                        "站点里没有文本模型。请先运行 cargo xtask setup。",
                        "The site has no text models. Run `cargo xtask setup` first.",
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
            if entry.manifest.file(&weights_file.get()).is_err() {
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
        analysis.set(None);
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

    // Analyse the sentence whenever it or the model changes; a newer request supersedes.
    let analysis_token = StoredValue::new(0u32);
    Effect::new(move |_| {
        let (sentence, _) = (text.get(), model_version.get());
        let Some(model) = loaded.get_value() else {
            return;
        };
        let token = analysis_token.get_value() + 1;
        analysis_token.set_value(token);
        spawn_local(async move {
            let outcome = analyse(&model, &sentence).await;
            if analysis_token.get_value() != token {
                return;
            }
            match outcome {
                Ok(result) => {
                    problem.set(None);
                    analysis.set(Some(result));
                }
                Err(LoadError::GpuLost(why)) => backend.report_gpu_lost(why),
                Err(LoadError::Failed(message)) => {
                    problem.set(Some(message));
                    analysis.set(None);
                }
            }
        });
    });

    view! {
        <section class="demo text-demo">
            <div class="controls">
                <label>
                    {tr("模型", "Model")}
                    <select data-testid="model" on:change=move |ev| selected.set(event_target_value(&ev)) prop:value=move || selected.get()>
                        {move || models.get().into_iter().map(|m| {
                            let label = format!("{} · {:.1} M", m.manifest.name, m.manifest.parameters as f64 / 1e6);
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

            <h3>{tr("情感分类", "Sentiment")}</h3>
            <textarea class="text-input" data-testid="text-input" rows="3" maxlength="20000"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <div class="examples">
                {EXAMPLES.map(|example| view! {
                    <button class="example" on:click=move |_| text.set(example.to_string())>{example}</button>
                }).collect_view()}
            </div>
            {move || problem.get().map(|message| view! {
                <p class="notice" role="alert" data-testid="text-problem">{message.get(lang.get()).to_string()}</p>
            })}
            {move || analysis.get().map(|a| view! { <AnalysisView analysis=a manifest=entry.get_untracked().map(|m| m.manifest) layer=layer head=head /> })}

            {move || entry.get().filter(|m| m.manifest.heads.mlm).map(|_| view! { <FillMask loaded=loaded model_version=model_version /> })}
            <FineTune loaded=loaded model_version=model_version text=text />
        </section>
    }
}

#[component]
fn ModelCard(manifest: Arc<TextManifest>) -> impl IntoView {
    let c = &manifest.config;
    let sizes = format!(
        "{} · {:.2} M · {} × {} · {} heads · vocab {} · max {} · ",
        manifest.name,
        manifest.parameters as f64 / 1e6,
        c.num_hidden_layers,
        c.hidden_size,
        c.num_attention_heads,
        c.vocab_size,
        manifest.max_length
    );
    let measured = manifest
        .measurements
        .iter()
        .map(|m| {
            if m.value <= 1.0 {
                format!("{}: {:.1}%", m.what, m.value * 100.0)
            } else {
                format!("{}: {}", m.what, m.value)
            }
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let source = format!(
        "{} — {} ({})",
        manifest.source.description, manifest.source.origin, manifest.source.licence
    );
    view! {
        <p class="model-card">{sizes}{tr("来源：", "source: ")}{source}</p>
        {(!measured.is_empty()).then(|| view! { <p class="model-card" data-testid="model-measurements">{measured}</p> })}
    }
}

#[component]
fn AnalysisView(
    analysis: Analysis,
    manifest: Option<Arc<TextManifest>>,
    layer: RwSignal<Option<usize>>,
    head: RwSignal<usize>,
) -> impl IntoView {
    let lang = use_lang();
    let last_layer = analysis.layers.saturating_sub(1);
    let shown_layer = move || layer.get().unwrap_or(last_layer).min(last_layer);
    let shown_head = move || head.get().min(analysis.heads.saturating_sub(1));
    let canvas = NodeRef::<Canvas>::new();
    let tokens = analysis.encoded.tokens.clone();
    let seq = tokens.len();
    let (layers, heads) = (analysis.layers, analysis.heads);
    let attentions = analysis.attentions.clone();
    {
        let tokens = tokens.clone();
        Effect::new(move |_| {
            let (l, h) = (shown_layer(), shown_head());
            let Some(canvas) = canvas.get() else { return };
            let start = ((l * heads + h) * seq) * seq;
            if let Some(map) = attentions.get(start..start + seq * seq) {
                draw_attention(&canvas, map, &tokens);
            }
        });
    }
    let truncated = analysis.encoded.truncated_from.map(|total| {
        let kept = seq;
        Message::new(
            format!("输入有 {total} 个词元，超过模型上限 {kept}：只分析了前 {} 个词元和 [SEP]。", kept - 1),
            format!("The input has {total} tokens, more than the model's limit of {kept}: only the first {} tokens and [SEP] were used.", kept - 1),
        )
    });
    let labels = manifest.as_ref().and_then(|m| m.labels.clone());
    let sentiment = analysis.probabilities.clone().map(|probabilities| {
        let best = (0..probabilities.len()).max_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b])).unwrap_or(0);
        let en = labels.as_ref().and_then(|l| l.en.get(best).cloned()).unwrap_or_else(|| format!("class {best}"));
        let zh = labels.as_ref().and_then(|l| l.zh.as_ref()?.get(best).cloned());
        let percent = probabilities[best] * 100.0;
        let positive = probabilities.get(1).copied().unwrap_or(0.0);
        let label_id = en.clone();
        view! {
            <div class="sentiment" data-testid="sentiment" data-label=label_id data-probability=probabilities[best]>
                <span class="label">{move || match (lang.get(), &zh) {
                    (Lang::Zh, Some(zh)) => format!("{zh}（{en}）"),
                    _ => en.clone(),
                }}</span>
                <span class="bar" title="P(positive)"><span style=format!("width: {:.1}%", positive * 100.0)></span></span>
                <span class="value">{format!("{percent:.1}%")}</span>
                <small data-testid="text-ms">{format!(" {:.1} ms", analysis.ms)}</small>
            </div>
        }
        .into_any()
    });
    view! {
        {sentiment.unwrap_or_else(|| view! {
            <div class="sentiment" data-testid="sentiment" data-label="">
                <span>{tr("这个模型没有分类头；可以在下面现场微调一个。", "This model has no classifier head; fine-tune one below.")}</span>
                <span></span><span></span><small data-testid="text-ms">{format!(" {:.1} ms", analysis.ms)}</small>
            </div>
        }.into_any())}
        {truncated.map(|m| view! { <p class="notice" data-testid="truncated">{move || m.get(lang.get()).to_string()}</p> })}
        <h3>{tr("词元", "Tokens")} <small>{format!(" {seq}")}</small></h3>
        <ol class="tokens" data-testid="tokens">
            {analysis.encoded.tokens.iter().zip(&analysis.encoded.ids).map(|(token, id)| {
                let special = token.starts_with('[') && token.ends_with(']');
                view! {
                    <li class:special=special data-id=*id><span class="token">{token.clone()}</span><span class="id">{*id}</span></li>
                }
            }).collect_view()}
        </ol>
        <h3>{tr("注意力", "Attention")}</h3>
        <div class="controls">
            <label>{tr("层", "Layer")}
                <select data-testid="attention-layer" on:change=move |ev| layer.set(event_target_value(&ev).parse().ok()) prop:value=move || shown_layer().to_string()>
                    {(0..layers).map(|l| view! { <option value=l.to_string()>{l + 1}</option> }).collect_view()}
                </select>
            </label>
            <label>{tr("头", "Head")}
                <select data-testid="attention-head" on:change=move |ev| head.set(event_target_value(&ev).parse().unwrap_or(0)) prop:value=move || shown_head().to_string()>
                    {(0..heads).map(|h| view! { <option value=h.to_string()>{h + 1}</option> }).collect_view()}
                </select>
            </label>
        </div>
        <p class="hint">{tr("每一行是一个词元（查询）把注意力分给各个词元（键）的比例，每行之和为 1。", "Each row is how one token (the query) spreads its attention over the tokens (the keys); every row sums to 1.")}</p>
        <canvas node_ref=canvas class="attention" data-testid="attention" data-seq=seq data-layer=shown_layer data-head=shown_head></canvas>
    }
}

/// Draws one head's attention `[query][key]` as a heat map with the tokens along both axes.
fn draw_attention(canvas: &web_sys::HtmlCanvasElement, map: &[f32], tokens: &[String]) {
    let seq = tokens.len().max(1);
    let margin = 64.0;
    let cell = (360.0 / seq as f64).clamp(2.0, 28.0);
    let side = margin + cell * seq as f64;
    canvas.set_width(side.ceil() as u32);
    canvas.set_height(side.ceil() as u32);
    let Some(ctx) = context_2d(canvas) else {
        return;
    };
    ctx.set_fill_style_str("#fff");
    ctx.fill_rect(0.0, 0.0, side, side);
    for (i, row) in map.chunks(seq).enumerate() {
        for (j, &weight) in row.iter().enumerate() {
            let [r, g, b] = diverging(weight.sqrt());
            ctx.set_fill_style_str(&format!("rgb({r},{g},{b})"));
            ctx.fill_rect(
                margin + j as f64 * cell,
                margin + i as f64 * cell,
                cell,
                cell,
            );
        }
    }
    // Labels only where they can be read.
    if cell >= 8.0 {
        ctx.set_fill_style_str("#333");
        ctx.set_font(&format!("{}px sans-serif", (cell * 0.7).min(13.0).floor()));
        ctx.set_text_align("right");
        ctx.set_text_baseline("middle");
        for (i, token) in tokens.iter().enumerate() {
            let _ = ctx.fill_text(token, margin - 4.0, margin + (i as f64 + 0.5) * cell);
            ctx.save();
            let _ = ctx.translate(margin + (i as f64 + 0.5) * cell, margin - 4.0);
            let _ = ctx.rotate(-std::f64::consts::FRAC_PI_2);
            ctx.set_text_align("left");
            let _ = ctx.fill_text(token, 0.0, 0.0);
            ctx.restore();
        }
    }
}

#[component]
fn FillMask(
    loaded: StoredValue<Option<Rc<LoadedBert>>, LocalStorage>,
    model_version: RwSignal<u32>,
) -> impl IntoView {
    let backend = use_backend();
    let lang = use_lang();
    let sentence = RwSignal::new(MASK_EXAMPLE.to_string());
    let fillers = RwSignal::new(Vec::<Vec<(String, f32)>>::new());
    let problem = RwSignal::new(None::<Message>);
    Effect::new(move |_| {
        let (text, _) = (sentence.get(), model_version.get());
        let Some(model) = loaded.get_value() else {
            return;
        };
        spawn_local(async move {
            match fill_mask(&model, &text).await {
                Ok(found) => {
                    problem.set(None);
                    fillers.set(found);
                }
                Err(LoadError::GpuLost(why)) => backend.report_gpu_lost(why),
                Err(LoadError::Failed(message)) => {
                    problem.set(Some(message));
                    fillers.set(Vec::new());
                }
            }
        });
    });
    view! {
        <h3>{tr("完形填空（[MASK]）", "Fill the mask ([MASK])")}</h3>
        <input class="text-input" data-testid="mask-input" prop:value=move || sentence.get() on:input=move |ev| sentence.set(event_target_value(&ev)) />
        {move || problem.get().map(|m| view! { <p class="notice" role="alert" data-testid="mask-problem">{m.get(lang.get()).to_string()}</p> })}
        <div data-testid="fillers">
            {move || fillers.get().into_iter().enumerate().map(|(i, top)| view! {
                <ol class="top-classes" data-mask=i>
                    {top.into_iter().map(|(token, p)| view! {
                        <li data-token=token.clone()>
                            <span class="label">{token.clone()}</span>
                            <span class="bar"><span style=format!("width: {:.1}%", p * 100.0)></span></span>
                            <span class="value">{format!("{:.1}%", p * 100.0)}</span>
                        </li>
                    }).collect_view()}
                </ol>
            }).collect_view()}
        </div>
    }
}

/// The visitor's labelled sentences and the head trained on them.
#[component]
fn FineTune(
    loaded: StoredValue<Option<Rc<LoadedBert>>, LocalStorage>,
    model_version: RwSignal<u32>,
    text: RwSignal<String>,
) -> impl IntoView {
    let backend = use_backend();
    let lang = use_lang();
    let examples = RwSignal::new(TRAINING_EXAMPLES.map(|(t, l)| (t.to_string(), l)).to_vec());
    let curve = RwSignal::new(Vec::<(f32, f32)>::new());
    // P(positive) of each example, then of the sentence above, under the trained head.
    let predictions = RwSignal::new(Vec::<f32>::new());
    let running = RwSignal::new(false);
    let problem = RwSignal::new(None::<Message>);
    let mounted = mounted_flag();
    let run_token = StoredValue::new(0u32);
    // A new model or device invalidates the trained head.
    Effect::new(move |_| {
        let _ = model_version.get();
        run_token.update_value(|t| *t += 1);
        curve.set(Vec::new());
        predictions.set(Vec::new());
        running.set(false);
    });
    let start = move |_| {
        let Some(model) = loaded.get_value() else {
            return;
        };
        let labelled: Vec<(String, usize)> = examples
            .get_untracked()
            .into_iter()
            .filter(|(t, _)| !t.trim().is_empty())
            .collect();
        if !labelled.iter().any(|(_, l)| *l == 0) || !labelled.iter().any(|(_, l)| *l == 1) {
            problem.set(Some(Message::new(
                "至少要有一句正面和一句负面的句子。",
                "Label at least one positive and one negative sentence.",
            )));
            return;
        }
        problem.set(None);
        let token = run_token.get_value() + 1;
        run_token.set_value(token);
        let mounted = mounted.clone();
        running.set(true);
        curve.set(Vec::new());
        spawn_local(async move {
            let current = move || run_token.get_value() == token && mounted.load(Ordering::Relaxed);
            let outcome = fine_tune(
                &model,
                &labelled,
                &text.get_untracked(),
                current,
                |losses, probabilities| {
                    curve.set(losses.to_vec());
                    predictions.set(probabilities.to_vec());
                },
            )
            .await;
            if run_token.get_value() == token {
                running.set(false);
            }
            match outcome {
                Ok(()) => {}
                Err(LoadError::GpuLost(why)) => backend.report_gpu_lost(why),
                Err(LoadError::Failed(message)) => problem.set(Some(message)),
            }
        });
    };
    let series = Signal::derive(move || {
        vec![Series {
            name: "loss".into(),
            color: "#d62728",
            points: curve.get(),
        }]
    });
    view! {
        <h3>{tr("现场微调：你来标注", "Fine-tune live: your labels")}</h3>
        <p class="hint">{tr(
            "文章里的 labels=[1] 这一步：BERT 本身不动，只在它的句向量上训练一个全新的分类头。改写句子、切换标签，再训练，看预测怎么变。",
            "The article's labels=[1] step: BERT itself stays frozen and a brand-new classifier head is trained on its sentence vectors. Edit the sentences, flip the labels, train again and watch the predictions change.",
        )}</p>
        <ul class="finetune-examples" data-testid="finetune-examples">
            {move || examples.get().into_iter().enumerate().map(|(i, (sentence, label))| {
                let p = predictions.get().get(i).copied();
                view! {
                    <li>
                        <input class="text-input" prop:value=sentence.clone()
                            on:change=move |ev| examples.update(|e| e[i].0 = event_target_value(&ev)) />
                        <button class="label-toggle" data-label=label
                            on:click=move |_| examples.update(|e| e[i].1 = 1 - e[i].1)>
                            {move || if label == 1 { tr("正面", "positive")() } else { tr("负面", "negative")() }}
                        </button>
                        <span class="value" data-testid="finetune-prediction">{p.map(|p| format!("P(+) {:.0}%", p * 100.0))}</span>
                        <button on:click=move |_| examples.update(|e| { e.remove(i); })>"×"</button>
                    </li>
                }
            }).collect_view()}
        </ul>
        <button on:click=move |_| examples.update(|e| e.push((String::new(), 1)))>{tr("加一句", "Add a sentence")}</button>
        <button data-testid="finetune-start" disabled=move || running.get() on:click=start>
            {move || if running.get() { tr("训练中…", "Training…")() } else { tr("训练分类头", "Train the head")() }}
        </button>
        {move || problem.get().map(|m| view! { <p class="notice" role="alert" data-testid="finetune-problem">{m.get(lang.get()).to_string()}</p> })}
        <div data-testid="finetune-loss" data-losses=move || serde_json::to_string(&curve.get().iter().map(|p| p.1).collect::<Vec<_>>()).unwrap_or_default()>
            <LineChart series=series x_label=Signal::derive(move || tr("步", "step")().to_string()) />
        </div>
        {move || {
            let all = predictions.get();
            let n = examples.get().len();
            all.get(n).map(|p| view! {
                <p data-testid="finetune-sentence">{tr("上面那句话在新分类头下：", "The sentence above, under the new head: ")}{format!("P(+) {:.1}%", p * 100.0)}</p>
            })
        }}
    }
}

async fn list_models() -> Result<Vec<ModelEntry>, Message> {
    model_asset::list_models(MODELS_DIR)
        .await?
        .into_iter()
        .map(|(id, text)| {
            let manifest = TextManifest::from_json(text.as_bytes())
                .map_err(|e| model_asset::unavailable(&e))?;
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
) -> Result<(LoadedBert, Timings), LoadError> {
    let manifest = entry.manifest;
    let failed = |e: &dyn std::fmt::Display| LoadError::Failed(asset_problem(&e.to_string()));
    let listed = manifest.file(file).map_err(|e| failed(&e))?;
    let t = &manifest.tokenizer;
    let tokenizer_listed = Listed {
        file: &t.file,
        bytes: t.bytes,
        sha256: &t.sha256,
    };
    let (vocab, _, _) =
        model_asset::fetch_listed(MODELS_DIR, &entry.id, tokenizer_listed, |_| Ok(()), &report)
            .await?;
    let (bytes, origin, download_ms) = model_asset::fetch_listed(
        MODELS_DIR,
        &entry.id,
        listed.into(),
        |b| manifest.verify(file, b).map_err(|e| e.to_string()),
        &report,
    )
    .await?;

    report(LoadState::Loading);
    next_frame().await;
    let started = now_ms();
    let tokenizer = manifest.tokenizer(&vocab).map_err(|e| failed(&e))?;
    let device = active.device.clone().inner();
    let bert = Bert::from_asset(&manifest, file, &bytes, &device).map_err(|e| failed(&e))?;
    let load_ms = now_ms() - started;

    report(LoadState::WarmingUp);
    next_frame().await;
    let started = now_ms();
    let model = LoadedBert {
        manifest,
        bert,
        tokenizer,
        active,
    };
    analyse(&model, FIRST_EXAMPLE).await?;
    let first_inference_ms = now_ms() - started;
    let bytes = (bytes.len() + vocab.len()) as u64;
    Ok((
        model,
        Timings {
            download_ms,
            origin,
            bytes,
            load_ms,
            first_inference_ms,
        },
    ))
}

fn encode(model: &LoadedBert, text: &str) -> Result<Encoded, LoadError> {
    tokenizer::encode(&model.tokenizer, text, model.manifest.max_length).map_err(|e| {
        LoadError::Failed(match e {
            TextError::Empty => Message::new(
                "请输入文字：只有空白或控制字符的文本没有可分析的内容。",
                "Please type some text: whitespace and control characters alone leave nothing to analyse.",
            ),
            TextError::Tokenizer(detail) => Message::new(format!("分词失败：{detail}"), format!("Tokenization failed: {detail}")),
        })
    })
}

/// Sentiment, tokens and every attention map of one sentence.
async fn analyse(model: &LoadedBert, text: &str) -> Result<Analysis, LoadError> {
    let started = now_ms();
    let encoded = encode(model, text)?;
    let device = model.active.device.clone().inner();
    let output = model
        .bert
        .forward(&BertInput::from_encoded(&encoded, &device), true);
    let layers = output.attentions.len();
    let heads = model.manifest.config.num_attention_heads;
    let probabilities = match model.bert.classify(&output.hidden) {
        Some(logits) => Some(model_asset::read_back(softmax(logits, 1), &model.active).await?),
        None => None,
    };
    let ms = now_ms() - started;
    let attentions =
        model_asset::read_back(Tensor::cat(output.attentions, 0), &model.active).await?;
    Ok(Analysis {
        encoded,
        probabilities,
        attentions: Arc::new(attentions),
        layers,
        heads,
        ms,
    })
}

/// The five likeliest tokens for each `[MASK]` of the sentence.
async fn fill_mask(model: &LoadedBert, text: &str) -> Result<Vec<Vec<(String, f32)>>, LoadError> {
    let encoded = encode(model, text)?;
    let [_, _, _, mask] = tokenizer::special_ids(&model.tokenizer)
        .map_err(|e| LoadError::Failed(asset_problem(&e.to_string())))?;
    let positions: Vec<i64> = encoded
        .ids
        .iter()
        .enumerate()
        .filter(|&(_, &id)| id == mask)
        .map(|(i, _)| i as i64)
        .collect();
    if positions.is_empty() {
        return Err(LoadError::Failed(Message::new(
            "句子里没有 [MASK]：把要猜的字换成 [MASK]。",
            "The sentence has no [MASK]: replace the word to guess with [MASK].",
        )));
    }
    let device = model.active.device.clone().inner();
    let hidden = model
        .bert
        .forward(&BertInput::from_encoded(&encoded, &device), false)
        .hidden;
    let [_, seq, size] = hidden.dims();
    let index = Tensor::from_data(
        TensorData::new(positions.clone(), [positions.len()]),
        &device,
    );
    let rows = hidden.reshape([seq, size]).select(0, index);
    let Some(scores) = model.bert.mlm_scores(rows) else {
        return Ok(Vec::new());
    };
    let scores = model_asset::read_back(scores, &model.active).await?;
    let vocab = scores.len() / positions.len();
    Ok(scores
        .chunks(vocab)
        .map(|row| {
            top_k(row, 5)
                .into_iter()
                .map(
                    |Prediction {
                         class, probability, ..
                     }| {
                        (
                            model
                                .tokenizer
                                .id_to_token(class as u32)
                                .unwrap_or_default(),
                            probability,
                        )
                    },
                )
                .collect()
        })
        .collect())
}

/// Trains a fresh head on the frozen encoder's sentence vectors of `labelled`, reporting the
/// (step, loss) points so far and P(positive) of every example and of `sentence` after each frame.
async fn fine_tune(
    model: &LoadedBert,
    labelled: &[(String, usize)],
    sentence: &str,
    current: impl Fn() -> bool,
    report: impl Fn(&[(f32, f32)], &[f32]),
) -> Result<(), LoadError> {
    let inference = model.active.device.clone().inner();
    let mut encoded = labelled
        .iter()
        .map(|(t, _)| encode(model, t))
        .collect::<Result<Vec<_>, _>>()?;
    // The sentence above is scored too, but never trained on; if it is empty it is left out.
    if let Ok(extra) = encode(model, sentence) {
        encoded.push(extra);
    }
    let [_, _, pad, _] = tokenizer::special_ids(&model.tokenizer)
        .map_err(|e| LoadError::Failed(asset_problem(&e.to_string())))?;
    let refs: Vec<&Encoded> = encoded.iter().collect();
    let hidden = model
        .bert
        .forward(&BertInput::batch(&refs, pad, &inference), false)
        .hidden;
    let features = model.bert.pooled(&hidden).unwrap_or_else(|| {
        let [n, _, size] = hidden.dims();
        hidden
            .clone()
            .slice([0..n, 0..1, 0..size])
            .reshape([n, size])
    });
    let [n, size] = features.dims();
    let host = model_asset::read_back(features.clone(), &model.active).await?;
    let train_rows = labelled.len();
    let train = Tensor::<2>::from_data(
        TensorData::new(host[..train_rows * size].to_vec(), [train_rows, size]),
        &model.active.device,
    );
    let labels: Vec<usize> = labelled.iter().map(|(_, l)| *l).collect();
    let mut trainer = HeadTrainer::new(
        train,
        &labels,
        2,
        FINETUNE_LEARNING_RATE,
        7,
        &model.active.device,
    );
    let mut losses = Vec::new();
    while trainer.steps() < FINETUNE_STEPS && current() {
        let started = now_ms();
        let mut last = None;
        while trainer.steps() < FINETUNE_STEPS
            && (last.is_none() || now_ms() - started < FRAME_BUDGET_MS)
        {
            last = Some(trainer.step());
            // CPU steps finish at once; on WebGPU they are queued, so the budget counts one.
            if model.active.kind.is_gpu() {
                break;
            }
        }
        let loss = model_asset::read_back(last.expect("at least one step"), &model.active).await?;
        losses.push((trainer.steps() as f32, loss[0]));
        let probabilities = model_asset::read_back(
            softmax(trainer.head().forward(features.clone()), 1),
            &model.active,
        )
        .await?;
        let positive: Vec<f32> = probabilities.chunks(2).map(|p| p[1]).collect();
        debug_assert_eq!(positive.len(), n);
        report(&losses, &positive);
        next_frame().await;
    }
    Ok(())
}
