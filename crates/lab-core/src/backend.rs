//! The three compute backends the visitor can pick, and how each one's device is opened.

use burn::tensor::{Device, Tensor};

/// A compute backend, as the visitor names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BackendKind {
    /// burn's wgpu backend: WebGPU in the browser, Vulkan/Metal/DX12 natively.
    WebGpu,
    /// burn-flex, the pure-Rust CPU backend that burn 0.22 recommends.
    Flex,
    /// burn-ndarray, the CPU backend the user named (deprecated upstream in favour of flex).
    NdArray,
}

impl BackendKind {
    pub const ALL: [BackendKind; 3] =
        [BackendKind::WebGpu, BackendKind::Flex, BackendKind::NdArray];
    pub const CPU: [BackendKind; 2] = [BackendKind::Flex, BackendKind::NdArray];

    /// Stable identifier used in URLs and benchmark output.
    pub fn id(self) -> &'static str {
        match self {
            BackendKind::WebGpu => "webgpu",
            BackendKind::Flex => "flex",
            BackendKind::NdArray => "ndarray",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.id() == id)
    }

    pub fn is_gpu(self) -> bool {
        self == BackendKind::WebGpu
    }

    /// Opens this backend's device with autodiff enabled, ready for training.
    ///
    /// Async because asking for a GPU adapter is async in the browser; the CPU backends resolve
    /// at once. An error means the backend is unavailable here (no adapter, no WebGPU).
    pub async fn open(self) -> Result<Device, String> {
        Ok(self.open_inference().await?.autodiff())
    }

    /// Opens this backend's device without autodiff, for inference: batch norms then use their
    /// running statistics and no graph is recorded.
    pub async fn open_inference(self) -> Result<Device, String> {
        match self {
            BackendKind::WebGpu => open_wgpu().await,
            BackendKind::Flex => Ok(Device::flex()),
            BackendKind::NdArray => open_ndarray(),
        }
    }

    /// Whether this build has the backend: the site's first module has flex alone (the web
    /// crate's `full` feature brings the other two).
    pub fn is_built(self) -> bool {
        match self {
            BackendKind::WebGpu => cfg!(feature = "wgpu"),
            BackendKind::Flex => true,
            BackendKind::NdArray => cfg!(feature = "ndarray"),
        }
    }
}

/// A result's values on the host: waits for the device (on WebGPU, the queued work) and reads
/// the tensor back as f32. An error is the device's, as text.
pub async fn read_host(tensor: Tensor<1>) -> Result<Vec<f32>, String> {
    tensor
        .into_data_async()
        .await
        .map_err(|e| e.to_string())?
        .try_into_vec::<f32>()
        .map_err(|e| format!("{e:?}"))
}

#[cfg(feature = "wgpu")]
async fn open_wgpu() -> Result<Device, String> {
    Device::wgpu_options()
        .init_async()
        .await
        .map_err(|error| error.to_string())
}

/// A build without the `wgpu` feature (the native converter, the site's first module) has only
/// the CPU backends.
#[cfg(not(feature = "wgpu"))]
async fn open_wgpu() -> Result<Device, String> {
    Err("this build has no wgpu backend (lab-core's `wgpu` feature is off)".into())
}

#[cfg(feature = "ndarray")]
fn open_ndarray() -> Result<Device, String> {
    // The user asked for ndarray by name; burn keeps it working while it is deprecated.
    #[allow(deprecated)]
    Ok(Device::ndarray())
}

#[cfg(not(feature = "ndarray"))]
fn open_ndarray() -> Result<Device, String> {
    Err("this build has no ndarray backend (lab-core's `ndarray` feature is off)".into())
}
