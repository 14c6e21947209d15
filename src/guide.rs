//! The guided start page: the article's sections in order (1.1 → 2.3), each demo's guide text in
//! our own words beside the demo itself. Each demo is this same site in a frame (`&embed=1`): it
//! keeps its own address state and host link, exactly as in an article, and the browser loads a
//! `loading="lazy"` frame only when the reader scrolls near it, so a demo's work and downloads
//! start then and not before. Frames size themselves and follow the page's language through the
//! host API (runtime/frames.rs), also when a frame starts after the reader switched languages.

use leptos::html::Iframe;
use leptos::prelude::*;

use crate::demos::{self, Demo};
use crate::i18n::{Lang, tr, use_lang};
use crate::runtime::frames::{self, FrameEvent};
use crate::runtime::url;

/// A frame's height until its demo reports one: about a demo's controls, so the page does not
/// jump much when it arrives.
const FIRST_HEIGHT: u32 = 640;

#[component]
pub fn GuidePage() -> impl IntoView {
    let states = demos::all()
        .map(|demo| (demo.id, FrameState::default()))
        .collect::<Vec<_>>();
    let listener = frames::listen({
        let states = states.clone();
        move |demo, event| {
            if let Some((_, state)) = states.iter().find(|(id, _)| *id == demo) {
                match event {
                    FrameEvent::Height(height) => state.height.set(height),
                    FrameEvent::Ready(lang) => state.lang.set(Some(lang)),
                }
            }
        }
    });
    let listener = StoredValue::new_local(listener);
    on_cleanup(move || listener.update_value(|l| drop(l.take())));
    view! {
        <main class="guide" data-testid="guide">
            <h1>{tr("动手读懂开源大模型：导览", "Open models, hands on: a guided tour")}</h1>
            <p class="summary">{tr(
                "这份导览按文章的顺序排列：先看一个神经元怎样学习（1.x），再看预训练模型用在哪里（2.x）。每一节用几句话说明可以试什么、该留意什么，旁边就是能动手的演示；演示在你滚动到它附近时才加载。所有计算都在你的浏览器里完成。",
                "This tour follows the article's order: first how a single unit learns (1.x), then what pretrained models are used for (2.x). Each section says in a few sentences what to try and what to look for, with the live demo beside it; a demo loads only when you scroll near it. Everything runs in your browser.",
            )}</p>
            {demos::all().zip(states).map(|(demo, (_, state))| view! { <GuideStep demo=demo state=state /> }).collect_view()}
        </main>
    }
}

/// What the page knows of one frame from its events.
#[derive(Clone, Copy)]
struct FrameState {
    height: RwSignal<u32>,
    /// The language its demo last said it runs in; `None` until the demo has started.
    lang: RwSignal<Option<Lang>>,
}

impl Default for FrameState {
    fn default() -> Self {
        Self {
            height: RwSignal::new(FIRST_HEIGHT),
            lang: RwSignal::new(None),
        }
    }
}

#[component]
fn GuideStep(demo: &'static Demo, state: FrameState) -> impl IntoView {
    let lang = use_lang();
    let frame = NodeRef::<Iframe>::new();
    // The address is fixed once: a language change is sent to the running demo rather than
    // reloading it, so what the reader did there is kept.
    let src = frames::frame_src(demo.id, lang.get_untracked());
    // `loading` is not one of Leptos's iframe attributes: set it before the address, on the
    // element in the page, so the browser defers the load.
    frame.on_load(move |frame| {
        let _ = frame.set_attribute("loading", "lazy");
        frame.set_src(&src);
    });
    // Answer the demo's own word, not the toggle alone: a demo still loading when the reader
    // switched languages misses the message and starts in its address's language.
    Effect::new(move || {
        let page = lang.get();
        if state.lang.get().is_some_and(|running| running != page)
            && let Some(frame) = frame.get_untracked()
        {
            frames::send_language(&frame, page);
        }
    });
    let height = state.height;
    view! {
        <section class="guide-step" data-testid="guide-step" data-demo=demo.id>
            <div class="guide-text">
                <h2><span class="section">{demo.section}</span>" "{move || demo.title.get(lang.get())}</h2>
                <p>{move || demo.guide.get(lang.get())}</p>
                <a href=move || url::href(&[("demo", demo.id), ("lang", lang.get().id())])>
                    {tr("单独打开这个演示", "Open this demo on its own")}
                </a>
            </div>
            <iframe
                node_ref=frame
                class="guide-frame"
                data-testid="guide-frame"
                title=move || demo.title.get(lang.get())
                style:height=move || format!("{}px", height.get())
            ></iframe>
        </section>
    }
}
