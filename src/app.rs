//! The app shell: header, language switch, backend picker, navigation, the current demo (or, with
//! none named, the guided tour) and what the device keeps.
//! It knows demos only through [`crate::demos::all`].

use lab_core::backend::BackendKind;
use leptos::prelude::*;

use crate::demos::{self, Demo};
use crate::guide::GuidePage;
use crate::i18n::{Lang, tr};
use crate::runtime::backend::{Backend, BackendChoice, display_name};
use crate::runtime::{host, url};
use crate::widgets::kept_panel::KeptPanel;
use crate::widgets::save_png::CurrentDemo;
use crate::widgets::share::CopyLink;

#[component]
pub fn App() -> impl IntoView {
    let lang = RwSignal::new(Lang::from_id(url::query("lang").as_deref()));
    provide_context(lang);
    Effect::new(move |_| url::set_query(&[("lang", lang.get().id().to_string())]));
    // Screen readers pick their voice and browsers their fonts from the root's lang.
    Effect::new(move |_| {
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            // Fails only for an invalid attribute name, which "lang" is not.
            let _ = root.set_attribute("lang", lang.get().id());
        }
    });
    Backend::provide();

    let requested = url::query("demo");
    let demo = requested.as_deref().and_then(demos::find);
    let embed = url::query("embed").as_deref() == Some("1");
    let unknown = requested.filter(|_| demo.is_none());
    if let Some(demo) = demo {
        host::provide(demo.id, lang);
    }

    view! {
        <div class="app" class:embed=embed>
            <header class="shell-header">
                <Show when=move || !embed>
                    <a class="brand" href=move || url::href(&[("lang", lang.get().id())])>
                        {tr("开源大模型 · 互动实验室", "Open Model Lab")}
                    </a>
                </Show>
                <BackendPicker />
                <button class="lang-toggle" data-testid="lang-toggle" on:click=move |_| {
                    lang.update(|l| *l = if *l == Lang::Zh { Lang::En } else { Lang::Zh })
                }>{move || if lang.get() == Lang::Zh { "English" } else { "中文" }}</button>
            </header>
            <Show when=move || !embed>
                <Nav current=demo.map(|d| d.id) />
            </Show>
            {unknown.map(|id| view! {
                <p class="notice" role="alert">{move || match lang.get() {
                    Lang::Zh => format!("没有名为 “{id}” 的演示，这里是全部演示的导览。"),
                    Lang::En => format!("There is no demo called “{id}”; here is the tour of them all."),
                }}</p>
            })}
            {match demo {
                Some(demo) => view! { <DemoView demo=demo embed=embed /> }.into_any(),
                None => view! { <GuidePage /> }.into_any(),
            }}
            <Show when=move || !embed>
                <footer class="shell-footer">
                    <KeptPanel />
                </footer>
            </Show>
        </div>
    }
}

/// Every demo, and the tour; `current` is the open demo (None: the tour).
#[component]
fn Nav(current: Option<&'static str>) -> impl IntoView {
    let lang = crate::i18n::use_lang();
    view! {
        <nav class="demo-nav" aria-label=tr("演示", "Demos")>
            <a
                class:current=current.is_none()
                aria-current=current.is_none().then_some("page")
                data-testid="nav-guide"
                href=move || url::href(&[("lang", lang.get().id())])
            >
                {tr("导览", "Tour")}
            </a>
            {demos::all().map(|demo| view! {
                <a
                    class:current=Some(demo.id) == current
                    aria-current=(Some(demo.id) == current).then_some("page")
                    data-testid=format!("nav-{}", demo.id)
                    href=move || url::href(&[("demo", demo.id), ("lang", lang.get().id())])
                >
                    <span class="section">{demo.section}</span>
                    {move || demo.title.get(lang.get())}
                </a>
            }).collect_view()}
        </nav>
    }
}

#[component]
fn DemoView(demo: &'static Demo, embed: bool) -> impl IntoView {
    let lang = crate::i18n::use_lang();
    Effect::new(move |_| {
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&format!(
                "{} {} · Open Model Lab",
                demo.section,
                demo.title.get(lang.get())
            ));
        }
    });
    provide_context(CurrentDemo(demo.id));
    view! {
        <main class="demo" data-demo=demo.id>
            <h1>{demo.section}" "{move || demo.title.get(lang.get())}</h1>
            <p class="summary">{move || demo.summary.get(lang.get())}</p>
            // An embedded demo's address is the bare view with the article's `hosts=`: the
            // article is what a reader shares, so the link is offered only on the lab's pages.
            <Show when=move || !embed>
                <CopyLink />
            </Show>
            {(demo.view)()}
        </main>
    }
}

#[component]
fn BackendPicker() -> impl IntoView {
    let backend = expect_context::<Backend>();
    let lang = crate::i18n::use_lang();
    let auto = tr("自动", "Auto");
    let opening = tr("正在打开设备…", "Opening the device…");
    let choices = [BackendChoice::Auto]
        .into_iter()
        .chain(BackendKind::ALL.map(BackendChoice::Fixed))
        .collect::<Vec<_>>();
    view! {
        <div class="backend">
            <label>
                {tr("计算后端", "Backend")}" "
                <select data-testid="backend-select" on:change=move |ev| {
                    if let Some(choice) = BackendChoice::from_id(&event_target_value(&ev)) {
                        backend.choice.set(choice);
                    }
                }>
                    {choices.into_iter().map(|choice| {
                        let label = move || match choice {
                            BackendChoice::Auto => auto().to_string(),
                            BackendChoice::Fixed(kind) => display_name(kind).to_string(),
                        };
                        view! {
                            <option value=choice.id() selected=move || backend.choice.get() == choice>{label}</option>
                        }
                    }).collect_view()}
                </select>
            </label>
            <span class="backend-status" data-testid="backend-status"
                data-backend=move || backend.active.get().map(|a| a.kind.id()).unwrap_or("")>
                {move || match backend.active.get() {
                    Some(active) => active.describe(lang.get()),
                    None => opening().to_string(),
                }}
            </span>
        </div>
    }
}
