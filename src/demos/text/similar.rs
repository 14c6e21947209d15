//! "Similar sentences": the asset's held-out reviews nearest to the typed sentence by the
//! cosine of their sentence vectors (theirs computed when the asset was built, the typed one's
//! by the same encoder pass as its sentiment). Shown for models whose asset carries them.

use lab_core::text::corpus::{SENTIMENT_LABELS_EN, SENTIMENT_LABELS_ZH};
use lab_core::text::pipeline::NEAREST;
use leptos::prelude::*;

use super::TextModels;
use super::analysis::Shown;
use crate::i18n::{Lang, Message, tr, use_lang};
use crate::runtime::model_asset::ModelAsset;

/// One neighbour as shown: the sentence, its label and its cosine to the typed one.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    text: String,
    label: usize,
    cosine: f32,
}

#[component]
pub(super) fn Similar(
    asset: ModelAsset<TextModels>,
    shown: RwSignal<Option<Shown>>,
) -> impl IntoView {
    let rows = move || {
        let (Some(shown), Some(loaded)) = (shown.get(), asset.model()) else {
            return Vec::new();
        };
        let Some(neighbours) = &loaded.model.reader().neighbours else {
            return Vec::new();
        };
        shown
            .analysis()
            .nearest
            .iter()
            .map(|s| Row {
                text: neighbours.texts[s.index].clone(),
                label: neighbours.labels[s.index],
                cosine: s.cosine,
            })
            .collect::<Vec<_>>()
    };
    let about = move || {
        asset
            .entry
            .get()
            .and_then(|m| m.manifest.neighbours.clone())
    };
    let lang = use_lang();
    let label = move |class: usize| {
        match lang.get() {
            Lang::Zh => SENTIMENT_LABELS_ZH.get(class),
            Lang::En => SENTIMENT_LABELS_EN.get(class),
        }
        .copied()
        .unwrap_or("?")
    };
    view! {
        {move || about().map(|listed| {
            let hint = Message::new(
                format!("与输入最接近的 {NEAREST} 条评论，取自 {} 条留出评论（按句向量的余弦相似度；它们的向量在构建时算好，你的句子的向量在本页计算）。", listed.count),
                format!("The {NEAREST} nearest of {} held-out reviews to your sentence, by the cosine of sentence vectors (theirs were computed when the asset was built, yours here).", listed.count),
            );
            view! {
                <h2>{tr("相似的句子", "Similar sentences")}</h2>
                <p class="hint">{move || hint.get(lang.get()).to_string()}</p>
            }
        })}
        <ol class="similar" data-testid="similar">
            {move || rows().into_iter().map(|row| view! {
                <li data-cosine=row.cosine data-label=row.label>
                    <span class="cosine">{format!("{:.3}", row.cosine)}</span>
                    <span class="label">{move || label(row.label)}</span>
                    <span class="text">{row.text}</span>
                </li>
            }).collect_view()}
        </ol>
    }
}
