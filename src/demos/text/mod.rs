//! Article 2.1: a Chinese BERT in the page. Type a sentence and see its sentiment, its WordPiece
//! tokens, the attention of any layer and head, and the masked-language-model head's fillers
//! for `[MASK]`; then label a few sentences of your own and fine-tune a fresh classifier head on
//! them live, with the loss curve, on the chosen backend. The text never leaves the page.
//!
//! The model (manifest, int8 or f32 weights, `vocab.txt` or `tokenizer.json`) comes from
//! `text-models/` through the shared model hook ([`crate::runtime::model_asset`]); every answer
//! is lab-core's text pipeline ([`lab_core::text::pipeline`]), read back here.

use std::sync::Arc;

use burn::tensor::Device;
use lab_core::asset::{AssetError, Verified, WeightsFile};
use lab_core::text::asset::TextManifest;
use lab_core::text::pipeline::TextModel;
use lab_core::text::tokenizer::TextError;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::demos::Demo;
use crate::i18n::{Message, Text, tr};
use crate::runtime::backend::{Failure, use_backend};
use crate::runtime::job::Job;
use crate::runtime::model_asset::{Listed, Loaded, ModelAsset, ModelKind, use_model_asset};
use crate::widgets::model_picker::ModelPicker;
use crate::widgets::problem::Problem;

mod analysis;
mod fill_mask;
mod fine_tune;

use analysis::{AnalysisView, Shown, analyse};
use fill_mask::FillMask;
use fine_tune::FineTune;

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

const FIRST_EXAMPLE: &str = "今天天气真好";
const EXAMPLES: [&str; 4] = [
    FIRST_EXAMPLE,
    "质量太差了，用了两天就坏，再也不买了。",
    "物流很快，包装也很好，推荐！",
    "这本书 so boring，浪费时间 😒",
];
/// Milliseconds of work per animation frame for the demo's jobs (warm-up, fine-tuning).
const FRAME_BUDGET_MS: f64 = 12.0;

/// The BERTs the site holds under `text-models/`.
pub struct TextModels;

impl ModelKind for TextModels {
    type Manifest = TextManifest;
    type Model = TextModel;
    const DIR: &'static str = "text-models";
    const NONE: Text = Text::new(
        "站点里没有文本模型。请先运行 cargo xtask setup。",
        "The site has no text models. Run `cargo xtask setup` first.",
    );

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
        vec![Listed {
            file: &t.file,
            bytes: t.bytes,
            sha256: &t.sha256,
        }]
    }

    fn build(
        manifest: &TextManifest,
        weights: &Verified,
        companions: &[Verified],
        device: &Device,
    ) -> Result<TextModel, AssetError> {
        let tokenizer = companions
            .first()
            .ok_or_else(|| AssetError::UnknownFile(manifest.tokenizer.file.clone()))?;
        TextModel::load(manifest.clone(), tokenizer, weights, device)
    }

    async fn warm_up(loaded: &Loaded<Self>, _: Job) -> Result<(), Failure> {
        analyse(loaded, FIRST_EXAMPLE).await.map(drop)
    }
}

/// What the page says when a text cannot be handled.
fn text_failure(error: TextError) -> Failure {
    Failure::Shown(match error {
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
    })
}

#[component]
fn TextDemo() -> impl IntoView {
    let job = Job::new(FRAME_BUDGET_MS);
    let asset = use_model_asset::<TextModels>(job.clone());
    let text = RwSignal::new(FIRST_EXAMPLE.to_string());
    let has_mlm = move || asset.entry.get().is_some_and(|m| m.manifest.heads.mlm);
    view! {
        <section class="demo text-demo">
            <ModelPicker asset=asset />
            {move || asset.entry.get().map(|m| view! { <ModelCard manifest=m.manifest /> })}
            <Sentiment asset=asset text=text />
            {move || has_mlm().then(|| view! { <FillMask asset=asset /> })}
            <FineTune asset=asset text=text job=job.clone() />
        </section>
    }
}

/// The typed sentence and its analysis, redone whenever either the sentence or the model
/// changes; a newer request supersedes an older one.
#[component]
fn Sentiment(asset: ModelAsset<TextModels>, text: RwSignal<String>) -> impl IntoView {
    let backend = use_backend();
    let shown = RwSignal::new(None::<Shown>);
    let problem = RwSignal::new(None::<Message>);
    // The attention map's layer (None: the last) and head, kept across sentences.
    let layer = RwSignal::new(None::<usize>);
    let head = RwSignal::new(0usize);
    let token = StoredValue::new(0u32);
    Effect::new(move |_| {
        let sentence = text.get();
        let Some(loaded) = asset.model() else {
            shown.set(None);
            return;
        };
        let current = token.get_value() + 1;
        token.set_value(current);
        spawn_local(async move {
            let outcome = analyse(&loaded, &sentence).await;
            if token.get_value() != current {
                return;
            }
            match outcome {
                Ok(result) => {
                    problem.set(None);
                    shown.set(Some(result));
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
        <h3>{tr("情感分类", "Sentiment")}</h3>
        <textarea class="text-input" data-testid="text-input" rows="3" maxlength="20000"
            prop:value=move || text.get()
            on:input=move |ev| text.set(event_target_value(&ev))></textarea>
        <div class="examples">
            {EXAMPLES.map(|example| view! {
                <button class="example" on:click=move |_| text.set(example.to_string())>{example}</button>
            }).collect_view()}
        </div>
        <Problem problem=problem testid="text-problem" />
        {move || shown.get().map(|s| view! { <AnalysisView shown=s manifest=manifest() layer=layer head=head /> })}
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
