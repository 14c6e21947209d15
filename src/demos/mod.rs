//! The article's demos. Each is a self-contained module exposing one [`Demo`]; [`DEMOS`] is the
//! only list the shell reads. Adding a demo is adding a module and a line here.

use leptos::prelude::*;

use crate::i18n::Text;

pub mod augmentation;
pub mod classify;
pub mod landscape;
pub mod linear_example;
pub mod optimizer_race;
pub mod peptides;
pub mod playground;
pub mod recommend;
pub mod speech;
pub mod text;

/// One demo: its URL id, where it sits in the article, and its view.
pub struct Demo {
    /// `?demo=<id>` opens it; `&embed=1` shows it alone, for an iframe.
    pub id: &'static str,
    /// The article section it accompanies, e.g. "1.1".
    pub section: &'static str,
    pub title: Text,
    pub summary: Text,
    /// The guided page's words beside the demo: what idea it lets the reader try, and what to
    /// look for. Our own words, never the article's.
    pub guide: Text,
    pub view: fn() -> AnyView,
}

pub static DEMOS: &[Demo] = &[
    linear_example::DEMO,
    playground::DEMO,
    optimizer_race::DEMO,
    landscape::DEMO,
    augmentation::DEMO,
    text::DEMO,
    classify::DEMO,
    peptides::DEMO,
    recommend::DEMO,
    speech::DEMO,
];

pub fn find(id: &str) -> Option<&'static Demo> {
    DEMOS.iter().find(|demo| demo.id == id)
}
