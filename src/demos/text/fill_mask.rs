//! The masked-language-model head's guesses for each `[MASK]` of a sentence.

use lab_core::text::pipeline::Fillers;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::TextModels;
use crate::i18n::{Message, tr};
use crate::runtime::backend::use_backend;
use crate::runtime::model_asset::ModelAsset;
use crate::widgets::problem::Problem;
use crate::widgets::text_limit::bound_text;

const MASK_EXAMPLE: &str = "今天天气真[MASK]。";

#[component]
pub(super) fn FillMask(asset: ModelAsset<TextModels>) -> impl IntoView {
    let backend = use_backend();
    let sentence = RwSignal::new(MASK_EXAMPLE.to_string());
    let fillers = RwSignal::new(Vec::<Fillers>::new());
    let problem = RwSignal::new(None::<Message>);
    let cut = RwSignal::new(None::<Message>);
    Effect::new(move |_| {
        let text = sentence.get();
        let Some(loaded) = asset.model() else {
            fillers.set(Vec::new());
            return;
        };
        spawn_local(async move {
            match loaded.model.fillers(&text, &loaded.active).await {
                Ok(found) => {
                    problem.set(None);
                    fillers.set(found);
                }
                Err(failure) => backend.handle(failure, |m| {
                    problem.set(Some(m));
                    fillers.set(Vec::new());
                }),
            }
        });
    });
    view! {
        <h2>{tr("完形填空（[MASK]）", "Fill the mask ([MASK])")}</h2>
        <input class="text-input" data-testid="mask-input"
            aria-label=tr("含 [MASK] 的句子", "Sentence with a [MASK]") prop:value=move || sentence.get() on:input=move |ev| {
            let (kept, notice) = bound_text(event_target_value(&ev));
            sentence.set(kept);
            cut.set(notice);
        } />
        <Problem problem=cut testid="mask-cut" />
        <Problem problem=problem testid="mask-problem" />
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
