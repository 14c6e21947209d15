//! "Stored on this device": what the lab keeps in this browser (the offline copy of the app and
//! each model or dataset folder, with sizes), each model deletable. Read when opened and after
//! every deletion, so it never shows a stale list.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{Lang, tr, use_lang};
use crate::runtime::offline::{self, Kept, ShellCopy};

#[component]
pub fn KeptPanel() -> impl IntoView {
    let lang = use_lang();
    let kept = RwSignal::new(None::<Result<Kept, String>>);
    let refresh = move || spawn_local(async move { kept.set(Some(offline::kept().await)) });
    let forget = move |folder: String| {
        spawn_local(async move {
            if let Err(why) = offline::forget(&folder).await {
                kept.set(Some(Err(why)));
                return;
            }
            kept.set(Some(offline::kept().await));
        })
    };
    view! {
        <details class="kept-panel" data-testid="kept-panel" on:toggle=move |ev| {
            let open = event_target::<web_sys::HtmlDetailsElement>(&ev).open();
            if open {
                refresh();
            }
        }>
            <summary>{tr("本设备上保存的内容", "Stored on this device")}</summary>
            {move || match kept.get() {
                None => view! { <p>{tr("正在读取…", "Reading…")}</p> }.into_any(),
                Some(Err(why)) => view! {
                    <p role="alert" data-testid="kept-error">{move || match lang.get() {
                        Lang::Zh => format!("无法读取浏览器的存储：{why}"),
                        Lang::En => format!("The browser's storage could not be read: {why}"),
                    }}</p>
                }.into_any(),
                Some(Ok(kept)) => view! {
                    <p data-testid="kept-shell" data-state=shell_state(kept.shell)>{move || shell_line(kept.shell, lang.get())}</p>
                    {if kept.folders.is_empty() {
                        view! { <p data-testid="kept-none">{tr("还没有保存任何模型或数据。", "No model or data is stored yet.")}</p> }.into_any()
                    } else {
                        view! {
                            <table class="kept-list">
                                <thead><tr>
                                    <th scope="col">{tr("文件夹", "Folder")}</th>
                                    <th scope="col">{tr("文件", "Files")}</th>
                                    <th scope="col">{tr("大小", "Size")}</th>
                                    <th scope="col">{tr("操作", "Action")}</th>
                                </tr></thead>
                                <tbody>
                                    {kept.folders.into_iter().map(|f| {
                                        let folder = f.folder.clone();
                                        let label = f.folder.clone();
                                        view! {
                                            <tr data-testid="kept-folder" data-folder=f.folder.clone() data-bytes=f.bytes>
                                                <td><code>{f.folder.clone()}</code></td>
                                                <td>{f.files}</td>
                                                <td>{size_text(f.bytes)}</td>
                                                <td><button
                                                    data-testid="kept-delete"
                                                    aria-label=move || match lang.get() {
                                                        Lang::Zh => format!("删除 {label}"),
                                                        Lang::En => format!("Delete {label}"),
                                                    }
                                                    on:click=move |_| forget(folder.clone())
                                                >{tr("删除", "Delete")}</button></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                }.into_any(),
            }}
        </details>
    }
}

fn shell_state(shell: ShellCopy) -> &'static str {
    match shell {
        ShellCopy::Unavailable => "unavailable",
        ShellCopy::Preparing => "preparing",
        ShellCopy::Kept(_) => "kept",
    }
}

fn shell_line(shell: ShellCopy, lang: Lang) -> String {
    match (shell, lang) {
        (ShellCopy::Kept(bytes), Lang::Zh) => format!(
            "实验室本身的离线副本：{}。断网时，已保存模型的演示仍可使用。",
            size_text(bytes)
        ),
        (ShellCopy::Kept(bytes), Lang::En) => format!(
            "The lab's own offline copy: {}. Without a network, every demo whose model is stored here still works.",
            size_text(bytes)
        ),
        (ShellCopy::Preparing, Lang::Zh) => "正在准备离线副本…".into(),
        (ShellCopy::Preparing, Lang::En) => "The offline copy is being prepared…".into(),
        (ShellCopy::Unavailable, Lang::Zh) => "这里没有离线副本（需要 https 或 localhost），断网时实验室无法打开。".into(),
        (ShellCopy::Unavailable, Lang::En) => "No offline copy here (it needs https or localhost): without a network the lab does not open.".into(),
    }
}

fn size_text(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1e6)
    } else {
        format!("{:.1} kB", bytes as f64 / 1e3)
    }
}
