//! A failure shown where it happened, in the page's language; the demo around it keeps working.

use leptos::prelude::*;

use crate::i18n::{Message, use_lang};

/// The message in `problem`, if any, as an alert under the control it concerns.
#[component]
pub fn Problem(problem: RwSignal<Option<Message>>, testid: &'static str) -> impl IntoView {
    let lang = use_lang();
    move || {
        problem.get().map(|message| {
            view! {
                <p class="notice" role="alert" data-testid=testid>
                    {message.get(lang.get()).to_string()}
                </p>
            }
        })
    }
}
