//! The status line of a model being loaded: download progress (bytes, percent, speed), then
//! loading and warm-up, then the three timings and whether the bytes came from the cache; or the
//! failure with a retry button.

use leptos::prelude::*;

use crate::i18n::{Lang, Message, tr, use_lang};
use crate::runtime::download::{NotKept, Origin};
use crate::runtime::model_asset::LoadState;

#[component]
pub fn LoadStatus(
    state: RwSignal<LoadState>,
    #[prop(into)] on_retry: Callback<()>,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <div class="load-status" data-testid="model-status" data-state=move || match state.get() {
            LoadState::Listing => "listing",
            LoadState::Downloading(_) => "downloading",
            LoadState::Loading => "loading",
            LoadState::WarmingUp => "warming-up",
            LoadState::Ready(_) => "ready",
            LoadState::Failed(_) => "failed",
        }>
            {move || match state.get() {
                LoadState::Listing => view! { <span>{tr("正在查找模型…", "Looking for models…")}</span> }.into_any(),
                LoadState::Downloading(p) => {
                    let percent = p.fraction().map_or(0.0, |f| f * 100.0);
                    let total = p.total.map_or(String::new(), |t| format!(" / {:.1} MB", t as f64 / 1e6));
                    let text = format!("{:.1} MB{total} · {percent:.0}% · {:.1} MB/s", p.loaded as f64 / 1e6, p.bytes_per_second() / 1e6);
                    view! {
                        <span>{tr("下载模型", "Downloading the model")}</span>
                        <progress max="100" value=percent data-testid="download-progress"></progress>
                        <span>{text}</span>
                    }.into_any()
                }
                LoadState::Loading => view! { <span>{tr("正在载入权重…", "Loading the weights…")}</span> }.into_any(),
                LoadState::WarmingUp => view! { <span>{tr("首次推理（编译与预热）…", "First inference (compiling and warming up)…")}</span> }.into_any(),
                LoadState::Ready(t) => {
                    let (zh_from, en_from) = match t.origin {
                        Origin::Network | Origin::NotKept(_) => ("从网络下载", "downloaded"),
                        Origin::Cache => ("来自浏览器缓存", "from the browser cache"),
                    };
                    let mb = t.bytes as f64 / 1e6;
                    let text = match lang.get() {
                        Lang::Zh => format!("模型就绪：{mb:.1} MB {zh_from}，{:.0} ms；载入 {:.0} ms；首次推理 {:.0} ms", t.download_ms, t.load_ms, t.first_inference_ms),
                        Lang::En => format!("Model ready: {mb:.1} MB {en_from} in {:.0} ms; loaded in {:.0} ms; first inference {:.0} ms", t.download_ms, t.load_ms, t.first_inference_ms),
                    };
                    let origin = match t.origin { Origin::Network => "network", Origin::NotKept(_) => "not-kept", Origin::Cache => "cache" };
                    view! {
                        <span data-testid="model-origin" data-origin=origin>{text}</span>
                        {not_kept_note(&t.origin).map(|note| view! { <p class="hint" data-testid="model-not-kept">{note.get(lang.get()).to_string()}</p> })}
                    }.into_any()
                }
                LoadState::Failed(message) => view! {
                    <span role="alert" data-testid="model-error">{message.get(lang.get()).to_string()}</span>
                    <button data-testid="model-retry" on:click=move |_| on_retry.run(())>{tr("重试", "Retry")}</button>
                }.into_any(),
            }}
        </div>
    }
}

/// What the visitor should know when the download could not be kept for the next visit.
fn not_kept_note(origin: &Origin) -> Option<Message> {
    match origin {
        Origin::NotKept(NotKept::NoStorage) => Some(Message::new(
            "此页面无法使用浏览器缓存（例如通过普通 http 打开或处于隐私模式），模型只保存在内存中：下次访问需要重新下载。",
            "This page cannot use the browser's cache (opened over plain http, or in a private mode): the model is kept in memory only, and the next visit downloads it again.",
        )),
        Origin::NotKept(NotKept::Refused(why)) => Some(Message::new(
            format!(
                "浏览器拒绝保存模型（{why}，可能是存储空间已满），模型只保存在内存中：下次访问需要重新下载。"
            ),
            format!(
                "The browser refused to store the model ({why}; its storage may be full): the model is kept in memory only, and the next visit downloads it again."
            ),
        )),
        Origin::Network | Origin::Cache => None,
    }
}
