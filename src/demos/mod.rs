//! The article's demos. Each is a self-contained module exposing one [`Demo`]; [`all`] is the
//! only list the shell reads. Adding a demo is adding a module and a line here.

use leptos::prelude::*;

use crate::i18n::Text;
use crate::runtime;

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

/// The article's demos, in its order: those whose code both of the site's modules have (the 1.x
/// demos, which train small networks on the CPU), then those only the full module has
/// (runtime/modules.rs). The page's loader keeps its own copy of the second list's ids
/// (www/module-loader.js; a test below holds the two equal).
pub fn all() -> impl Iterator<Item = &'static Demo> {
    IN_BOTH_MODULES.iter().chain(FULL_MODULE_ONLY)
}

static IN_BOTH_MODULES: &[Demo] = &[
    linear_example::DEMO,
    playground::DEMO,
    optimizer_race::DEMO,
    landscape::DEMO,
    augmentation::DEMO,
];

static FULL_MODULE_ONLY: &[Demo] = &[
    full_module(text::DEMO),
    full_module(classify::DEMO),
    full_module(peptides::DEMO),
    full_module(recommend::DEMO),
    full_module(speech::DEMO),
];

/// `demo` as the first module registers it: its words, for the navigation and the tour, without
/// its view, so that the linker leaves its code (models, tokenizer, audio) out of that module.
const fn full_module(demo: Demo) -> Demo {
    Demo {
        view: if runtime::modules::IS_FULL {
            demo.view
        } else {
            runtime::modules::elsewhere
        },
        ..demo
    }
}

/// Whether only the full module has this demo's code.
pub fn needs_full_module(id: &str) -> bool {
    FULL_MODULE_ONLY.iter().any(|demo| demo.id == id)
}

pub fn find(id: &str) -> Option<&'static Demo> {
    all().find(|demo| demo.id == id)
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    use lab_core::backend::BackendKind;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::*;

    /// The ids a line of the page's loader lists, e.g. `const FULL_DEMOS = ['text', …];`.
    fn loader_list(name: &str) -> Vec<&'static str> {
        let loader = include_str!("../../www/module-loader.js");
        let line = loader
            .lines()
            .find_map(|line| line.strip_prefix(&format!("const {name} = [")))
            .unwrap_or_else(|| panic!("the loader has no {name}"));
        let items = line.split(']').next().unwrap_or_default();
        items
            .split(',')
            .map(|id| id.trim().trim_matches('\''))
            .collect()
    }

    /// The loader picks the module before either downloads, from its own lists: they must say
    /// what the registry and the backends say, or a page would open in the module without its
    /// demo (which then only shows a link) or download the full module for nothing.
    #[wasm_bindgen_test]
    fn the_loader_sends_to_the_full_module_exactly_what_only_it_has() {
        let full_only: Vec<_> = all()
            .filter(|demo| needs_full_module(demo.id))
            .map(|demo| demo.id)
            .collect();
        assert_eq!(loader_list("FULL_DEMOS"), full_only);
        let other_backends: Vec<_> = BackendKind::ALL
            .into_iter()
            .filter(|&kind| kind != runtime::backend::PREFERRED_CPU)
            .map(BackendKind::id)
            .collect();
        assert_eq!(loader_list("FULL_BACKENDS"), other_backends);
    }
}
