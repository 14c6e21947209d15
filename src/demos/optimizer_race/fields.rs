//! The entrant's controls: its hyper-parameters, each a checked number field.

use leptos::prelude::*;

use super::entrants::{Entrant, hyper_parameters, set_hyper_parameter};
use crate::i18n::tr;

/// The hyper-parameters that matter for this entrant's optimizer, each a checked control.
#[component]
pub(super) fn HyperParameters(
    index: usize,
    entrant: Entrant,
    entrants: RwSignal<Vec<Entrant>>,
    problem: RwSignal<Option<String>>,
) -> impl IntoView {
    hyper_parameters(&entrant.optimizer)
        .into_iter()
        .enumerate()
        .map(|(field, (name, value))| {
            let apply = Callback::new(move |v: f64| {
                let mut candidate = entrants.get_untracked()[index].optimizer.clone();
                set_hyper_parameter(&mut candidate, field, v as f32);
                match candidate.check() {
                    Ok(()) => {
                        problem.set(None);
                        entrants.update(|list| list[index].optimizer = candidate);
                    }
                    Err(why) => problem.set(Some(why)),
                }
            });
            view! {
                <label class="inline">{name}
                    <NumberField value=value as f64 testid=format!("race-{index}-{field}") problem=problem on_valid=apply />
                </label>
            }
        })
        .collect_view()
}

/// A number input that passes on only finite numbers; anything else is refused with a message.
/// `name` is its accessible name where no `<label>` wraps it (a table cell).
#[component]
pub(super) fn NumberField(
    value: f64,
    testid: String,
    problem: RwSignal<Option<String>>,
    on_valid: Callback<f64>,
    #[prop(optional, into)] name: Option<Signal<String>>,
) -> impl IntoView {
    let refused = tr(
        "不是有限的非负数，已忽略",
        "not a finite non-negative number, ignored",
    );
    let changed = move |ev: &leptos::ev::Event| match event_target_value(ev).parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => on_valid.run(v),
        _ => problem.set(Some(refused().to_string())),
    };
    view! {
        // Shown at f32 precision, the precision burn trains with: 0.9, not 0.8999999761581421.
        <input type="number" step="any" class="small" data-testid=testid value=(value as f32).to_string()
            aria-label=move || name.map(|name| name.get()) on:change=move |ev| changed(&ev) />
    }
}
