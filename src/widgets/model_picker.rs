//! The model and weights pickers of a model demo, with its load's status and retry: the view of
//! [`crate::runtime::model_asset::use_model_asset`].

use leptos::prelude::*;

use crate::i18n::{tr, use_lang};
use crate::runtime::model_asset::{ModelAsset, ModelKind};
use crate::widgets::load_status::LoadStatus;

/// The model and weights pickers with the load's status and retry.
#[component]
pub fn ModelPicker<K: ModelKind>(asset: ModelAsset<K>) -> impl IntoView {
    let ModelAsset {
        models,
        selected,
        weights_file,
        entry,
        unlisted,
        ..
    } = asset;
    let lang = use_lang();
    view! {
        <div class="controls">
            <label>
                {tr("模型", "Model")}
                // Each option says whether it is the one: the listing arrives after the pick
                // (from the URL), and a select's value set before its options shows the first.
                <select data-testid="model" on:change=move |ev| selected.set(event_target_value(&ev))>
                    {move || models.get().into_iter().map(|m| {
                        let id = m.id.clone();
                        let chosen = move || selected.with(|s| *s == id);
                        view! { <option value=m.id.clone() prop:selected=chosen>{K::label(&m.manifest)}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>
                {tr("权重", "Weights")}
                <select data-testid="weights"
                    on:change=move |ev| weights_file.set(event_target_value(&ev))>
                    {move || entry.get().map(|m| K::weights(&m.manifest).0.iter().map(|f| {
                        let label = format!("{} · {:.1} MB", f.precision, f.bytes as f64 / 1e6);
                        let file = f.file.clone();
                        let chosen = move || weights_file.with(|w| *w == file);
                        view! { <option value=f.file.clone() prop:selected=chosen>{label}</option> }
                    }).collect_view())}
                </select>
            </label>
        </div>
        <LoadStatus state=asset.state on_retry=move || asset.retry.update(|r| *r += 1) />
        <ul class="hint" data-testid="model-unlisted" hidden=move || unlisted.with(Vec::is_empty)>
            {move || unlisted.get().into_iter().map(|m| view! { <li>{m.get(lang.get()).to_string()}</li> }).collect_view()}
        </ul>
    }
}
