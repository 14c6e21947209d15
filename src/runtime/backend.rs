//! Which backend runs the demos: the visitor's choice, what "auto" resolves to, and the fallback
//! to the CPU when WebGPU is missing or its device is lost.

use burn::tensor::{Device, Tensor};
use lab_core::backend::BackendKind;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{Lang, Message, Text};
use crate::runtime::{frame, modules, url};

/// The CPU backend "auto" falls back to. Chosen by measurement: `cargo xtask bench` prints
/// training steps per second for both CPU backends in headless Chromium (see ARCHITECTURE.md).
pub const PREFERRED_CPU: BackendKind = BackendKind::Flex;

/// What the visitor picked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    /// WebGPU when an adapter exists, else [`PREFERRED_CPU`].
    Auto,
    Fixed(BackendKind),
}

impl BackendChoice {
    pub fn id(self) -> &'static str {
        match self {
            BackendChoice::Auto => "auto",
            BackendChoice::Fixed(kind) => kind.id(),
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        if id == "auto" {
            Some(BackendChoice::Auto)
        } else {
            BackendKind::from_id(id).map(BackendChoice::Fixed)
        }
    }
}

/// Why the running backend is the one it is: shown beside the picker.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    Picked,
    AutoFoundGpu,
    /// Auto found no usable WebGPU; the detail says what was missing.
    AutoNoWebGpu(String),
    GpuUnavailable(String),
    GpuLost(String),
    /// This page runs the first module, which has flex alone (runtime/modules.rs).
    FirstModule,
}

/// The backend that runs now, with its device (autodiff enabled).
#[derive(Clone, Debug)]
pub struct ActiveBackend {
    pub kind: BackendKind,
    pub device: Device,
    pub reason: Reason,
    /// Bumped on every switch, so demos know to move their work to the new device.
    pub generation: u32,
}

impl ActiveBackend {
    pub fn describe(&self, lang: Lang) -> String {
        let name = display_name(self.kind);
        let (zh, en) = match &self.reason {
            Reason::Picked => (
                format!("运行于 {name}（手动选择）"),
                format!("Running on {name} (your choice)"),
            ),
            Reason::AutoFoundGpu => (
                format!("运行于 {name}（自动：找到 WebGPU 适配器）"),
                format!("Running on {name} (auto: a WebGPU adapter was found)"),
            ),
            Reason::AutoNoWebGpu(why) => (
                format!(
                    "运行于 {name}（自动：此浏览器没有可用的 WebGPU（{why}），改用更快的 CPU 后端）"
                ),
                format!(
                    "Running on {name} (auto: no WebGPU here ({why}), so the faster CPU backend)"
                ),
            ),
            Reason::GpuUnavailable(why) => (
                format!("运行于 {name}：WebGPU 不可用（{why}），已改用 CPU"),
                format!("Running on {name}: WebGPU is unavailable ({why}), fell back to the CPU"),
            ),
            Reason::GpuLost(why) => (
                format!("运行于 {name}：GPU 设备丢失（{why}），已在 CPU 上继续"),
                format!(
                    "Running on {name}: the GPU device was lost ({why}); continuing on the CPU"
                ),
            ),
            Reason::FirstModule => (
                format!(
                    "运行于 {name}（这一页加载的是 1.x 演示的精简模块，只含 {name}；选 WebGPU 或 ndarray 会加载完整模块）"
                ),
                format!(
                    "Running on {name} (this page loaded the 1.x demos' small module, which has {name} only; picking WebGPU or ndarray loads the full module)"
                ),
            ),
        };
        match lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

pub fn display_name(kind: BackendKind) -> &'static str {
    match kind {
        BackendKind::WebGpu => "WebGPU",
        BackendKind::Flex => "CPU (flex)",
        BackendKind::NdArray => "CPU (ndarray)",
    }
}

/// The shell's backend state, provided as context to every demo.
#[derive(Clone, Copy)]
pub struct Backend {
    pub choice: RwSignal<BackendChoice>,
    /// `None` while a device is being opened.
    pub active: RwSignal<Option<ActiveBackend>>,
    /// The generation whose lost GPU is being replaced by the CPU, so that several demos (or
    /// several pieces of one) failing on the same device move everyone once.
    replacing: StoredValue<Option<u32>>,
}

impl Backend {
    /// Reads `?backend=` and opens its device; re-opens whenever the choice changes.
    pub fn provide() -> Self {
        let initial = url::query("backend")
            .and_then(|id| BackendChoice::from_id(&id))
            .unwrap_or(BackendChoice::Auto);
        let backend = Backend {
            choice: RwSignal::new(initial),
            active: RwSignal::new(None),
            replacing: StoredValue::new(None),
        };
        Effect::new(move |previous: Option<()>| {
            let choice = backend.choice.get();
            url::set_query(&[("backend", choice.id().to_string())]);
            // The first module has flex alone: picking another backend reloads the page, whose
            // address now names it, into the full module.
            if previous.is_some()
                && let BackendChoice::Fixed(kind) = choice
                && !kind.is_built()
            {
                modules::reload();
                return;
            }
            spawn_local(async move {
                let (kind, device, reason) = open(choice).await;
                backend.switch_to(kind, device, reason);
            });
        });
        provide_context(backend);
        backend
    }

    fn switch_to(self, kind: BackendKind, device: Device, reason: Reason) {
        let generation = self.active.get_untracked().map_or(0, |a| a.generation + 1);
        self.active.set(Some(ActiveBackend {
            kind,
            device,
            reason,
            generation,
        }));
    }

    /// The GPU of `generation` failed under a demo: move everyone to the CPU and say why. A
    /// report about a device already replaced, or being replaced, changes nothing.
    fn report_gpu_lost(self, generation: u32, why: String) {
        let current = self.active.get_untracked().map(|a| a.generation);
        if current != Some(generation) || self.replacing.get_value() == Some(generation) {
            return;
        }
        self.replacing.set_value(Some(generation));
        spawn_local(async move {
            let (kind, device, _) = open(BackendChoice::Fixed(PREFERRED_CPU)).await;
            self.switch_to(kind, device, Reason::GpuLost(why));
        });
    }
}

/// Why a demo's work stopped: the one failure path every demo hands to [`Backend::handle`].
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// The WebGPU device of backend `generation` failed: every demo moves to the CPU and carries
    /// on there.
    GpuLost { generation: u32, why: String },
    /// The component that asked for the work is gone: there is nobody to tell.
    Cancelled,
    /// Anything else: said to the visitor in both languages.
    Shown(Message),
}

impl Failure {
    /// An error of the device `active`: a lost GPU on WebGPU, else a failure of `what`.
    pub fn device(active: &ActiveBackend, what: Text, why: impl std::fmt::Display) -> Self {
        if active.kind.is_gpu() {
            Failure::GpuLost {
                generation: active.generation,
                why: why.to_string(),
            }
        } else {
            Failure::Shown(Message::new(
                format!("{}：{why}", what.zh),
                format!("{}: {why}", what.en),
            ))
        }
    }
}

impl Backend {
    /// The one way a failure ends: a lost GPU moves everyone to the CPU (each demo resumes
    /// there with its state), anything else goes to `show`.
    pub fn handle(self, failure: Failure, show: impl FnOnce(Message)) {
        match failure {
            Failure::GpuLost { generation, why } => self.report_gpu_lost(generation, why),
            Failure::Shown(message) => show(message),
            Failure::Cancelled => {}
        }
    }
}

/// Reads a result back from `active`'s device; a failure on WebGPU is a lost GPU.
pub async fn read_back<const D: usize>(
    tensor: Tensor<D>,
    active: &ActiveBackend,
) -> Result<Vec<f32>, Failure> {
    let data = tensor
        .into_data_async()
        .await
        .map_err(|e| Failure::device(active, Text::new("推理失败", "Inference failed"), e))?;
    data.convert::<f32>().try_into_vec::<f32>().map_err(|e| {
        Failure::Shown(Message::new(
            format!("推理结果无法读取：{e:?}"),
            format!("Could not read the result: {e:?}"),
        ))
    })
}

pub fn use_backend() -> Backend {
    expect_context::<Backend>()
}

async fn open(choice: BackendChoice) -> (BackendKind, Device, Reason) {
    let gpu = match choice {
        BackendChoice::Fixed(kind) if !kind.is_gpu() && kind.is_built() => {
            let device = kind.open().await.expect("CPU backends always open");
            return (kind, device, Reason::Picked);
        }
        // The first module: the loader sends an address that names another backend to the full
        // module, so only auto reaches here.
        _ if !modules::IS_FULL => {
            let device = PREFERRED_CPU
                .open()
                .await
                .expect("CPU backends always open");
            return (PREFERRED_CPU, device, Reason::FirstModule);
        }
        _ if !frame::has_webgpu() => Err("navigator.gpu is missing".to_string()),
        _ => BackendKind::WebGpu.open().await,
    };
    match gpu {
        Ok(device) => {
            let reason = if choice == BackendChoice::Auto {
                Reason::AutoFoundGpu
            } else {
                Reason::Picked
            };
            (BackendKind::WebGpu, device, reason)
        }
        Err(why) => {
            let reason = if choice == BackendChoice::Auto {
                Reason::AutoNoWebGpu(why)
            } else {
                Reason::GpuUnavailable(why)
            };
            let device = PREFERRED_CPU
                .open()
                .await
                .expect("CPU backends always open");
            (PREFERRED_CPU, device, reason)
        }
    }
}
