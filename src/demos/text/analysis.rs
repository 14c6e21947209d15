//! A sentence's analysis: its sentiment, its tokens and every attention map.

use std::sync::Arc;

use lab_core::profile::Profile;
use lab_core::text::asset::TextManifest;
use lab_core::text::pipeline::Analysis;
use leptos::html::Canvas;
use leptos::prelude::*;

use super::TextModels;
use crate::i18n::{Lang, Message, tr, use_lang};
use crate::runtime::backend::Failure;
use crate::runtime::model_asset::Loaded;
use crate::widgets::op_profile::OpProfileView;
use crate::widgets::value_map::{context_2d, diverging};

/// An analysis as the page shows it, with the milliseconds to the sentiment.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Shown {
    /// Shared: the attention maps of a long sentence are megabytes, and views clone this.
    analysis: Arc<Analysis>,
    ms: f64,
    /// Where the encoder's time went, on the CPU.
    profile: Option<Profile>,
    /// Which request of the page this answers (`data-request`), for scripts that wait for it.
    seq: u32,
}

impl Shown {
    pub(super) fn analysis(&self) -> &Analysis {
        &self.analysis
    }

    /// This answer as the page's request `seq`.
    pub(super) fn numbered(self, seq: u32) -> Self {
        Self { seq, ..self }
    }
}

/// Sentiment, tokens and every attention map of one sentence, read back.
pub(super) async fn analyse(loaded: &Loaded<TextModels>, text: &str) -> Result<Shown, Failure> {
    let (analysis, ms, profile) = loaded.model.analyse(text, &loaded.active).await?;
    Ok(Shown {
        analysis: Arc::new(analysis),
        ms,
        profile,
        seq: 0,
    })
}

/// The classifier's answer: the most likely class, named in both languages where the model can.
pub(super) struct Verdict {
    pub(super) en: String,
    pub(super) zh: Option<String>,
    pub(super) probability: f32,
}

/// The analysis' best class, when the model has a classifier.
pub(super) fn verdict(analysis: &Analysis, manifest: Option<&TextManifest>) -> Option<Verdict> {
    let probabilities = analysis.probabilities.as_ref()?;
    let best =
        (0..probabilities.len()).max_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b]))?;
    let labels = manifest.and_then(|m| m.labels.as_ref());
    Some(Verdict {
        en: labels
            .and_then(|l| l.en.get(best).cloned())
            .unwrap_or_else(|| format!("class {best}")),
        zh: labels.and_then(|l| l.zh.as_ref()?.get(best).cloned()),
        probability: probabilities[best],
    })
}

#[component]
pub(super) fn AnalysisView(
    shown: Shown,
    manifest: Option<Arc<TextManifest>>,
    layer: RwSignal<Option<usize>>,
    head: RwSignal<usize>,
) -> impl IntoView {
    let lang = use_lang();
    let Shown {
        analysis,
        ms,
        profile,
        seq: request,
    } = shown;
    let last_layer = analysis.layers.saturating_sub(1);
    let last_head = analysis.heads.saturating_sub(1);
    let shown_layer = move || layer.get().unwrap_or(last_layer).min(last_layer);
    let shown_head = move || head.get().min(last_head);
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
            format!("输入有 {total} 个词元，超过模型上限 {kept}：只分析了前 {} 个词元和结束标记。", kept - 1),
            format!("The input has {total} tokens, more than the model's limit of {kept}: only the first {} tokens and the end token were used.", kept - 1),
        )
    });
    let sentiment = verdict(&analysis, manifest.as_deref()).map(|Verdict { en, zh, probability }| {
        let percent = probability * 100.0;
        let positive = analysis.probabilities.as_ref().and_then(|p| p.get(1).copied()).unwrap_or(0.0);
        let label_id = en.clone();
        view! {
            <div class="sentiment" data-testid="sentiment" data-label=label_id data-probability=probability data-request=request>
                <span class="label">{move || match (lang.get(), &zh) {
                    (Lang::Zh, Some(zh)) => format!("{zh}（{en}）"),
                    _ => en.clone(),
                }}</span>
                <span class="bar" title="P(positive)"><span style=format!("width: {:.1}%", positive * 100.0)></span></span>
                <span class="value">{format!("{percent:.1}%")}</span>
                <small data-testid="text-ms">{format!(" {:.1} ms", ms)}</small>
            </div>
        }
        .into_any()
    });
    view! {
        {sentiment.unwrap_or_else(|| view! {
            <div class="sentiment" data-testid="sentiment" data-label="" data-request=request>
                <span>{tr("这个模型没有分类头；可以在下面现场微调一个。", "This model has no classifier head; fine-tune one below.")}</span>
                <span></span><span></span><small data-testid="text-ms">{format!(" {:.1} ms", ms)}</small>
            </div>
        }.into_any())}
        {profile.map(|profile| view! { <OpProfileView profile /> })}
        {truncated.map(|m| view! { <p class="notice" data-testid="truncated">{move || m.get(lang.get()).to_string()}</p> })}
        <h2>{tr("词元", "Tokens")} <small>{format!(" {seq}")}</small></h2>
        <ol class="tokens" data-testid="tokens">
            {analysis.encoded.tokens.iter().zip(&analysis.encoded.ids).map(|(token, id)| {
                // `[CLS]`/`[SEP]` (BERT) and `<s>`/`</s>` (SentencePiece).
                let special = (token.starts_with('[') && token.ends_with(']'))
                    || (token.starts_with('<') && token.ends_with('>'));
                view! {
                    <li class:special=special data-id=*id><span class="token">{token.clone()}</span><span class="id">{*id}</span></li>
                }
            }).collect_view()}
        </ol>
        <h2>{tr("注意力", "Attention")}</h2>
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
        <canvas node_ref=canvas class="attention" data-testid="attention" data-seq=seq data-layer=shown_layer data-head=shown_head
            role="img" aria-label=move || {
                let (l, h) = (shown_layer() + 1, shown_head() + 1);
                match lang.get() {
                    Lang::Zh => format!("第 {l} 层第 {h} 个头的注意力热图，{seq} 个词元，每行一个查询"),
                    Lang::En => format!("Attention heat map of layer {l}, head {h}, over {seq} tokens, one row per query"),
                }
            }></canvas>
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
