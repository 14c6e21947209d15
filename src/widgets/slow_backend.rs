//! A note shown while the visitor's backend is burn-ndarray in a demo whose convolutions it runs
//! an order of magnitude slower than flex (each demo states its own measured figures), so that
//! the visitor knows which CPU backend to pick.

use lab_core::backend::BackendKind;
use leptos::prelude::*;

use crate::i18n::{Text, use_lang};
use crate::runtime::backend::use_backend;

#[component]
pub fn SlowOnNdArray(testid: &'static str, note: Text) -> impl IntoView {
    let backend = use_backend();
    let lang = use_lang();
    move || {
        let on_ndarray = backend
            .active
            .with(|a| a.as_ref().is_some_and(|a| a.kind == BackendKind::NdArray));
        on_ndarray.then(
            || view! { <p class="notice" data-testid=testid>{move || note.get(lang.get())}</p> },
        )
    }
}
