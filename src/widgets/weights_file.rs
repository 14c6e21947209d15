//! "Download weights" and "Load weights" for a demo that trains a model: the file format is
//! `lab_core::saved`'s. The widget reads and checks the file (size, magic, version, length,
//! checksum, demo); the demo, which owns its model, answers through a [`WeightsPort`]: it
//! saves when asked and takes a checked file, putting it in place or saying why it does not fit,
//! so a refused file never changes the model.

use lab_core::saved::{self, EXTENSION, Saved, SavedError};
use leptos::ev;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::HtmlInputElement;

use crate::i18n::{Message, tr, use_lang};
use crate::runtime::blob_bytes;
use crate::runtime::save_file;

#[derive(Clone, Debug, PartialEq)]
enum Status {
    Saved(String),
    Loaded { file: String, steps: u64 },
    Refused(Message),
}

/// What passes between the widget and the demo that owns the model.
#[derive(Clone, Copy)]
pub struct WeightsPort {
    demo: &'static str,
    /// Set by "Download weights"; the demo answers with [`WeightsPort::offer`].
    save_requested: RwSignal<bool>,
    /// A checked file and its name, waiting for the demo.
    pending: RwSignal<Option<(String, Saved)>>,
    /// The name of the file the demo took last, for the status line once it is in place.
    taken: RwSignal<String>,
    status: RwSignal<Option<Status>>,
}

impl WeightsPort {
    pub fn new(demo: &'static str) -> Self {
        Self {
            demo,
            save_requested: RwSignal::new(false),
            pending: RwSignal::new(None),
            taken: RwSignal::new(String::new()),
            status: RwSignal::new(None),
        }
    }

    /// Whether the visitor asked for a download since the last call; tracked, for an effect.
    pub fn save_requested(&self) -> bool {
        let asked = self.save_requested.get();
        if asked {
            self.save_requested.set(false);
        }
        asked
    }

    /// As [`WeightsPort::save_requested`], untracked, for a loop polled every frame.
    pub fn take_save_request(&self) -> bool {
        let asked = self.save_requested.get_untracked();
        if asked {
            self.save_requested.set(false);
        }
        asked
    }

    /// The checked file waiting, if any; tracked, for an effect.
    pub fn loaded_file(&self) -> Option<Saved> {
        self.pending.track();
        self.take_file()
    }

    /// The checked file waiting, if any, untracked; the demo answers with
    /// [`WeightsPort::accept`] or [`WeightsPort::refuse`].
    pub fn take_file(&self) -> Option<Saved> {
        // Only a waiting file is taken: an update with nothing to take would still notify, and
        // an effect that tracks `pending` would then wake itself for ever.
        if self.pending.with_untracked(Option::is_none) {
            return None;
        }
        let (name, file) = self.pending.try_update(Option::take).flatten()?;
        self.taken.set(name);
        Some(file)
    }

    /// The file taken is now the demo's model.
    pub fn accept(&self, file: &Saved) {
        self.status.set(Some(Status::Loaded {
            file: self.taken.get_untracked(),
            steps: file.steps,
        }));
    }

    /// Offers the demo's model as a file named after the demo, the model, the steps and the day.
    pub fn offer(&self, file: Result<Saved, String>) {
        let bytes = file.and_then(|file| Ok((file.encode()?, file)));
        let status = match bytes {
            Ok((bytes, file)) => {
                let name = file_name(&file);
                match save_file::offer(&bytes, &name, "application/octet-stream") {
                    Ok(()) => Status::Saved(name),
                    Err(why) => Status::Refused(Message::new(
                        format!("无法保存权重文件：{why}"),
                        format!("Could not save the weights file: {why}"),
                    )),
                }
            }
            Err(why) => Status::Refused(Message::new(
                format!("无法读出权重：{why}"),
                format!("Could not read the weights: {why}"),
            )),
        };
        self.status.set(Some(status));
    }

    /// The file taken does not fit the demo's model, which stays as it was.
    pub fn refuse(&self, why: SavedError) {
        self.status.set(Some(Status::Refused(refusal(&why))));
    }
}

/// E.g. `peptides-peptide-cnn-and-composition-v1-step120-2026-12-04.omlw`.
fn file_name(file: &Saved) -> String {
    let date: String = String::from(js_sys::Date::new_0().to_iso_string())
        .chars()
        .take(10)
        .collect();
    format!(
        "{}-{}-step{}-{date}.{EXTENSION}",
        file.demo, file.model, file.steps
    )
}

/// Why a file was refused, in both languages; the model stays as it was.
fn refusal(why: &SavedError) -> Message {
    let detail = why.to_string();
    let (zh, en) = match why {
        SavedError::NotWeights => (
            "这不是本实验室的权重文件（.omlw）。".to_string(),
            "This is not a weights file of this lab (.omlw).".to_string(),
        ),
        SavedError::Version(v) => (
            format!(
                "这个权重文件是第 {v} 版格式，本页只读第 {} 版。",
                saved::VERSION
            ),
            format!(
                "This weights file is format version {v}; this page reads version {}.",
                saved::VERSION
            ),
        ),
        SavedError::TooLarge(_) => (
            format!("文件太大，不是权重文件：{detail}。"),
            format!("The file is too large for a weights file: {detail}."),
        ),
        SavedError::Truncated { expected, actual } => (
            format!("权重文件不完整：只有 {actual} 字节，应有 {expected} 字节。请重新下载。"),
            format!(
                "The weights file is incomplete: {actual} of {expected} bytes. Download it again."
            ),
        ),
        SavedError::Corrupted(what) => (
            format!("权重文件已损坏或被改动（{what}）。"),
            format!("The weights file is damaged or altered ({what})."),
        ),
        SavedError::OtherDemo(demo) => (
            format!("这是演示“{demo}”的权重，不能载入这个演示。"),
            format!(
                "These are weights of the demo \"{demo}\"; they cannot be loaded into this one."
            ),
        ),
        SavedError::Shape(what) => (
            format!("这些权重和本演示的网络形状不符：{what}。"),
            format!("These weights do not fit this demo's network: {what}."),
        ),
        SavedError::OtherModel { .. } | SavedError::Settings(_) => (
            format!("这些权重和本演示的网络不符：{detail}。"),
            format!("These weights do not fit this demo's network: {detail}."),
        ),
    };
    Message::new(
        format!("{zh} 原来的模型保持不变。"),
        format!("{en} The model is unchanged."),
    )
}

/// The two buttons and the status line. `ready`: whether there is a model to save.
#[component]
pub fn WeightsFile(port: WeightsPort, ready: Signal<bool>, prefix: &'static str) -> impl IntoView {
    let lang = use_lang();
    let on_pick = move |event: ev::Event| {
        let input: HtmlInputElement = event_target(&event);
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        // Picking the same file again must fire `change` again.
        input.set_value("");
        if let Err(why) = saved::check_size(file.size() as u64) {
            port.refuse(why);
            return;
        }
        spawn_local(async move {
            let checked = blob_bytes(&file)
                .await
                .map_err(|why| {
                    SavedError::Corrupted(format!("the browser could not read it: {why}"))
                })
                .and_then(|bytes| Saved::decode(&bytes, port.demo));
            match checked {
                Ok(saved) => port.pending.set(Some((file.name(), saved))),
                Err(why) => port.refuse(why),
            }
        });
    };
    let status = move || {
        port.status.get().map(|status| match status {
            Status::Saved(name) => view! {
                <p class="status" data-testid=format!("{prefix}-weights-status")>
                    {move || format!("{}{name}", tr("已保存：", "Saved: ")())}
                </p>
            }
            .into_any(),
            Status::Loaded { file, steps } => view! {
                <p class="status" data-testid=format!("{prefix}-weights-status")>
                    {move || format!("{}{file}{}{steps}{}", tr("已载入 ", "Loaded ")(), tr("：训练了 ", ": trained for ")(), tr(" 步的权重。", " steps.")())}
                </p>
            }
            .into_any(),
            Status::Refused(message) => view! {
                <p class="notice" role="alert" data-testid=format!("{prefix}-weights-problem")>
                    {move || message.get(lang.get()).to_string()}
                </p>
            }
            .into_any(),
        })
    };
    view! {
        <div class="controls weights-file">
            <button data-testid=format!("{prefix}-weights-save") disabled=move || !ready.get()
                on:click=move |_| port.save_requested.set(true)>
                {tr("下载权重", "Download weights")}
            </button>
            <label class="file-button">{tr("载入权重 ", "Load weights ")}
                <input type="file" accept=format!(".{EXTENSION}") data-testid=format!("{prefix}-weights-load") on:change=on_pick />
            </label>
        </div>
        {status}
    }
}
