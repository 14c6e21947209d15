//! Article 2.1: pretrained text models in the page. Type a sentence and see its sentiment, its
//! tokens, the attention of any layer and head, the held-out reviews nearest to it, and (for the
//! lab's own BERT) the masked-language-model head's fillers for `[MASK]`; then label a few
//! sentences of your own and fine-tune a fresh classifier head on them live, with the loss
//! curve, on the chosen backend. The text never leaves the page. Two models: the pretrained
//! multilingual-e5-small (the default) and the lab's own small Chinese BERT.
//!
//! The model (manifest, weights, tokenizer, neighbours) comes from `text-models/` through the
//! shared model hook ([`crate::runtime::model_asset`]); every answer is lab-core's text
//! pipeline ([`lab_core::text::pipeline`]), read back here. The analyses run once the visitor
//! pauses typing ([`crate::runtime::debounce`]).

use std::sync::Arc;

use lab_core::asset::{AssetError, Verified, WeightsFile};
use lab_core::text::asset::TextManifest;
use lab_core::text::tokenizer::TextError;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::demos::Demo;
use crate::i18n::{Lang, Message, Text, tr, use_lang};
use crate::runtime::backend::{ActiveBackend, Failure, use_backend};
use crate::runtime::debounce::{Timeout, debounced};
use crate::runtime::host::{self, Event, Input, InputKind};
use crate::runtime::job::Job;
use crate::runtime::model_asset::{
    Listed, Loaded, ModelAsset, ModelKind, asset_failure, use_model_asset,
};
use crate::runtime::url;
use crate::widgets::model_picker::ModelPicker;
use crate::widgets::problem::Problem;
use crate::widgets::text_limit::{bound_text, link_text};

mod analysis;
mod engine;
mod fill_mask;
mod fine_tune;
mod link;
mod similar;

use analysis::{AnalysisView, Shown, analyse, verdict};
use engine::TextEngine;
pub use engine::{
    ANALYSE_OP, FILL_OP, LOAD_OP, VECTORS_OP, analyse_here, fill_here, load_here, vectors_here,
};
use fill_mask::FillMask;
use fine_tune::FineTune;
use similar::Similar;

pub const DEMO: Demo = Demo {
    id: "text",
    section: "2.1",
    title: Text::new(
        "预训练文本模型：情感分类、词元、注意力、相似句与微调",
        "Pretrained text models: sentiment, tokens, attention, similar sentences and fine-tuning",
    ),
    summary: Text::new(
        "真正预训练过的多语言编码器 multilingual-e5-small（12 层 BERT 架构，4 比特权重）和本实验室自己训练的小型中文 BERT 都在本页运行：输入句子，看情感判断、词元、任意一层一头的注意力、最相似的评论，以及 [MASK] 的补全（实验室 BERT）；再标注几句自己的话，现场微调分类头。文字不会离开你的设备。",
        "A really pretrained multilingual encoder, multilingual-e5-small (12-layer BERT architecture, 4-bit weights), and the lab's own small Chinese BERT run in this page: type a sentence and see its sentiment, tokens, any layer's and head's attention, the most similar reviews, and the fillers for [MASK] (lab BERT); then label a few sentences of your own and fine-tune a classifier head live. The text never leaves your device.",
    ),
    guide: Text::new(
        "预训练让模型先从大量文本里学会语言的结构，再用少量标注数据适配具体任务。输入一句话，看它被切成哪些词元、注意力落在哪里；再用几句自己的话微调情感判断，体会“预训练 + 微调”的分工。",
        "Pretraining lets a model learn the structure of language from a great deal of text first, then adapt to a task from a few labelled examples. Type a sentence to see its tokens and where attention goes; then fine-tune the sentiment head on a few sentences of your own.",
    ),
    view: || view! { <TextDemo /> }.into_any(),
};

const FIRST_EXAMPLE: &str = "今天天气真好";
const EXAMPLES: [&str; 4] = [
    FIRST_EXAMPLE,
    "质量太差了，用了两天就坏，再也不买了。",
    "物流很快，包装也很好，推荐！",
    "这本书 so boring，浪费时间 😒",
];
/// Milliseconds of work per animation frame for the demo's jobs (warm-up, fine-tuning).
const FRAME_BUDGET_MS: f64 = 12.0;
/// How long typing must pause before the sentence is analysed.
const TYPING_PAUSE_MS: u64 = 400;
/// How long an analysis runs before the page says it is analysing.
const BUSY_HINT_AFTER_MS: u64 = 300;

/// The BERTs the site holds under `text-models/`.
pub struct TextModels;

impl ModelKind for TextModels {
    type Manifest = TextManifest;
    type Model = TextEngine;
    const DIR: &'static str = "text-models";
    const NONE: Text = Text::new(
        "站点里没有文本模型。请先运行 cargo xtask setup。",
        "The site has no text models. Run `cargo xtask setup` first.",
    );
    /// The pretrained encoder: better at sentiment than the lab's own BERT.
    const PREFERRED: Option<&'static str> = Some("e5-small");

    fn parse(json: &[u8]) -> Result<TextManifest, AssetError> {
        TextManifest::from_json(json)
    }

    fn weights(manifest: &TextManifest) -> (&[WeightsFile], &str) {
        (&manifest.files, &manifest.default_file)
    }

    fn label(manifest: &TextManifest) -> String {
        format!(
            "{} · {:.1} M",
            manifest.name,
            manifest.parameters as f64 / 1e6
        )
    }

    fn companions(manifest: &TextManifest) -> Vec<Listed<'_>> {
        let t = &manifest.tokenizer;
        let tokenizer = Listed {
            file: &t.file,
            bytes: t.bytes,
            sha256: &t.sha256,
        };
        let neighbours = manifest.neighbours.as_ref().map(|n| Listed {
            file: &n.file,
            bytes: n.bytes,
            sha256: &n.sha256,
        });
        std::iter::once(tokenizer).chain(neighbours).collect()
    }

    async fn build(
        manifest: &TextManifest,
        weights: &Verified,
        companions: &[Verified],
        active: &ActiveBackend,
    ) -> Result<TextEngine, Failure> {
        let tokenizer = companions
            .first()
            .ok_or_else(|| AssetError::UnknownFile(manifest.tokenizer.file.clone()))
            .map_err(|e| asset_failure(&e))?;
        TextEngine::build(manifest, weights, tokenizer, companions.get(1), active).await
    }

    async fn warm_up(loaded: &Loaded<Self>, _: Job) -> Result<(), Failure> {
        analyse(loaded, FIRST_EXAMPLE).await.map(drop)
    }
}

/// What the page says when a text cannot be handled.
fn text_problem(error: TextError) -> Message {
    match error {
        TextError::Empty => Message::new(
            "请输入文字：只有空白或控制字符的文本没有可分析的内容。",
            "Please type some text: whitespace and control characters alone leave nothing to analyse.",
        ),
        TextError::Tokenizer(detail) => Message::new(
            format!("分词失败：{detail}"),
            format!("Tokenization failed: {detail}"),
        ),
        TextError::NoMask => Message::new(
            "句子里没有 [MASK]：把要猜的字换成 [MASK]。",
            "The sentence has no [MASK]: replace the word to guess with [MASK].",
        ),
        TextError::NoMlmHead => Message::new(
            "这个模型没有完形填空（MLM）头。",
            "This model has no masked-language-model head.",
        ),
    }
}

/// The sentence into the page's address, once typing pauses and after its analysis, not as the
/// analysis starts: on two cores the browser's work for an address change (a history entry)
/// and the hint's layout and paint ran beside the worker's pass and took its core. MiniLM-L6 at
/// 16 tokens took 25 ms a pass in the page with both, 16 ms with neither (2026-12-06).
fn link(sentence: &str) {
    url::set_query(&[("text", link_text(sentence).0.to_string())]);
}

#[component]
fn TextDemo() -> impl IntoView {
    let job = Job::new(FRAME_BUDGET_MS);
    let asset = use_model_asset::<TextModels>(job.clone());
    let linked = url::query("text")
        .filter(|t| !t.trim().is_empty())
        .map(|t| bound_text(t).0);
    let text = RwSignal::new(linked.unwrap_or_else(|| FIRST_EXAMPLE.to_string()));
    let settled = debounced(text, TYPING_PAUSE_MS);
    // The last analysis: the sentiment panel makes it, the similar-sentences panel reads it.
    let shown = RwSignal::new(None::<Shown>);
    let has_mlm = move || asset.entry.get().is_some_and(|m| m.manifest.heads.mlm);
    view! {
        <section class="demo text-demo">
            <ModelPicker asset=asset />
            {move || asset.entry.get().map(|m| view! { <ModelCard manifest=m.manifest /> })}
            <Sentiment asset=asset text=text settled=settled shown=shown />
            <Similar asset=asset shown=shown />
            {move || has_mlm().then(|| view! { <FillMask asset=asset /> })}
            <FineTune asset=asset text=text job=job.clone() />
        </section>
    }
}

/// The typed sentence and its analysis, redone whenever either the sentence or the model
/// changes; a newer request supersedes an older one.
#[component]
fn Sentiment(
    asset: ModelAsset<TextModels>,
    text: RwSignal<String>,
    settled: ReadSignal<String>,
    shown: RwSignal<Option<Shown>>,
) -> impl IntoView {
    let backend = use_backend();
    let problem = RwSignal::new(None::<Message>);
    let cut = RwSignal::new(None::<Message>);
    let link_cut = Memo::new(move |_| link_text(&settled.get()).1);
    let lang = use_lang();
    let busy = RwSignal::new(false);
    let busy_hint = Timeout::owned();
    // The attention map's layer (None: the last) and head, kept across sentences.
    let layer = RwSignal::new(None::<usize>);
    let head = RwSignal::new(0usize);
    let token = StoredValue::new(0u32);
    let host = host::link();
    // A sentence from the article goes through the same bound as a typed one.
    host::accept(InputKind::Text, move |input| {
        if let Input::Text(given) = input {
            let (kept, notice) = bound_text(given);
            text.set(kept);
            cut.set(notice);
        }
    });
    Effect::new(move |_| {
        let sentence = settled.get();
        let Some(loaded) = asset.model() else {
            shown.set(None);
            link(&sentence);
            return;
        };
        let current = token.get_value() + 1;
        token.set_value(current);
        // The hint only for a pass that runs long: shown and hidden around a short one, its
        // layout and paint ran beside the pass (see `link`). A newer request or this one's
        // answer cancels it.
        busy_hint.start(move || busy.set(true), BUSY_HINT_AFTER_MS);
        spawn_local(async move {
            let outcome = analyse(&loaded, &sentence).await;
            if token.get_value() != current {
                return;
            }
            busy_hint.clear();
            busy.set(false);
            link(&sentence);
            match outcome {
                Ok(result) => {
                    problem.set(None);
                    let manifest = asset.entry.get_untracked().map(|m| m.manifest);
                    if let Some(v) = verdict(result.analysis(), manifest.as_deref()) {
                        host.emit(Event::Prediction {
                            label: v.en,
                            probability: v.probability,
                        });
                    }
                    shown.set(Some(result.numbered(current)));
                }
                Err(failure) => backend.handle(failure, |m| {
                    problem.set(Some(m));
                    shown.set(None);
                }),
            }
        });
    });
    let manifest = move || asset.entry.get_untracked().map(|m| m.manifest);
    view! {
        <h2>{tr("情感分类", "Sentiment")}</h2>
        <textarea class="text-input" data-testid="text-input" rows="3"
            aria-label=tr("要分析的句子", "Sentence to analyse")
            prop:value=move || text.get()
            on:input=move |ev| {
                let (kept, notice) = bound_text(event_target_value(&ev));
                text.set(kept);
                cut.set(notice);
            }></textarea>
        <Problem problem=cut testid="text-cut" />
        {move || link_cut.get().map(|m| view! {
            <p class="hint" data-testid="text-link-cut">{move || m.get(lang.get()).to_string()}</p>
        })}
        <div class="examples">
            {EXAMPLES.map(|example| view! {
                <button class="example" on:click=move |_| text.set(example.to_string())>{example}</button>
            }).collect_view()}
        </div>
        <Problem problem=problem testid="text-problem" />
        <p class="hint" data-testid="text-busy" class:hidden=move || !busy.get()>
            {tr("正在分析…（在这台设备上运行整个编码器）", "Analysing… (the whole encoder runs on this device)")}
        </p>
        {move || shown.get().map(|s| view! { <AnalysisView shown=s manifest=manifest() layer=layer head=head /> })}
    }
}

#[component]
fn ModelCard(manifest: Arc<TextManifest>) -> impl IntoView {
    let lang = use_lang();
    let c = &manifest.config;
    let weights_mb = manifest
        .file(&manifest.default_file)
        .map(|f| f.bytes as f64 / 1e6)
        .unwrap_or_default();
    let (name, millions) = (&manifest.name, manifest.parameters as f64 / 1e6);
    let (layers, hidden, heads) = (c.num_hidden_layers, c.hidden_size, c.num_attention_heads);
    let (vocabulary, longest) = (c.vocab_size, manifest.max_length);
    let sizes = Message::new(
        format!(
            "{name} · {millions:.1} M 参数 · {layers} 层 × {hidden} 维 · {heads} 个注意力头 · 词表 {vocabulary} · 最长 {longest} 个词元 · 权重 {weights_mb:.1} MB"
        ),
        format!(
            "{name} · {millions:.1} M parameters · {layers} layers × {hidden} · {heads} heads · vocabulary {vocabulary} · up to {longest} tokens · weights {weights_mb:.1} MB"
        ),
    );
    let measurements = manifest.measurements.clone();
    let has_measurements = !measurements.is_empty();
    let measured = move |lang: Lang| {
        measurements
            .iter()
            .map(|m| {
                let what = match (lang, &m.what_zh) {
                    (Lang::Zh, Some(zh)) => zh.as_str(),
                    _ => m.what.as_str(),
                };
                if m.value <= 1.0 {
                    format!("{what}: {:.2}%", m.value * 100.0)
                } else {
                    format!("{what}: {}", m.value)
                }
            })
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let source = format!("{} ({})", manifest.source.origin, manifest.source.licence);
    let about = manifest
        .about
        .clone()
        .map(|a| Message::new(a.zh, a.en))
        .unwrap_or_else(|| {
            let d = manifest.source.description.clone();
            Message::new(d.clone(), d)
        });
    view! {
        <p class="model-card" data-testid="model-about">{move || about.get(lang.get()).to_string()}</p>
        <p class="model-card">{move || sizes.get(lang.get()).to_string()}" · "{tr("来源：", "source: ")}{source}</p>
        {has_measurements.then(|| view! {
            <p class="model-card" data-testid="model-measurements">{tr("构建时实测：", "Measured when built: ")}{move || measured(lang.get())}</p>
        })}
    }
}
