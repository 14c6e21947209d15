//! "Similar sentences": the asset's held-out reviews nearest to the typed sentence by the
//! cosine of their sentence vectors (theirs computed when the asset was built, the typed one's
//! here). Shown for models whose asset carries them.

use lab_core::text::corpus::{SENTIMENT_LABELS_EN, SENTIMENT_LABELS_ZH};
use lab_core::text::pipeline::NEAREST;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{TextModels, text_failure};
use crate::i18n::{Lang, Message, tr, use_lang};
use crate::runtime::backend::{Failure, read_back, use_backend};
use crate::runtime::model_asset::{Loaded, ModelAsset};
use crate::widgets::problem::Problem;

/// One neighbour as shown: the sentence, its label and its cosine to the typed one.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    text: String,
    label: usize,
    cosine: f32,
}

async fn nearest(loaded: &Loaded<TextModels>, text: &str) -> Result<Vec<Row>, Failure> {
    let model = &loaded.model;
    let Some(vector) = model
        .similar(text, &loaded.device())
        .map_err(text_failure)?
    else {
        return Ok(Vec::new());
    };
    let vector = read_back(vector, &loaded.active).await?;
    let neighbours = model.neighbours.as_ref().expect("similar() had neighbours");
    Ok(model
        .nearest(&vector)
        .into_iter()
        .map(|s| Row {
            text: neighbours.texts[s.index].clone(),
            label: neighbours.labels[s.index],
            cosine: s.cosine,
        })
        .collect())
}

#[component]
pub(super) fn Similar(asset: ModelAsset<TextModels>, text: ReadSignal<String>) -> impl IntoView {
    let backend = use_backend();
    let rows = RwSignal::new(Vec::<Row>::new());
    let problem = RwSignal::new(None::<Message>);
    let token = StoredValue::new(0u32);
    Effect::new(move |_| {
        let sentence = text.get();
        let Some(loaded) = asset.model() else {
            rows.set(Vec::new());
            return;
        };
        let current = token.get_value() + 1;
        token.set_value(current);
        spawn_local(async move {
            let outcome = nearest(&loaded, &sentence).await;
            if token.get_value() != current {
                return;
            }
            match outcome {
                Ok(found) => {
                    problem.set(None);
                    rows.set(found);
                }
                // The sentiment panel above says what is wrong with the text.
                Err(Failure::Shown(_)) => rows.set(Vec::new()),
                Err(failure) => backend.handle(failure, |m| problem.set(Some(m))),
            }
        });
    });
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
                <h3>{tr("相似的句子", "Similar sentences")}</h3>
                <p class="hint">{move || hint.get(lang.get()).to_string()}</p>
            }
        })}
        <Problem problem=problem testid="similar-problem" />
        <ol class="similar" data-testid="similar">
            {move || rows.get().into_iter().map(|row| view! {
                <li data-cosine=row.cosine data-label=row.label>
                    <span class="cosine">{format!("{:.3}", row.cosine)}</span>
                    <span class="label">{move || label(row.label)}</span>
                    <span class="text">{row.text}</span>
                </li>
            }).collect_view()}
        </ol>
    }
}
