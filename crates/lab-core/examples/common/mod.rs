//! What the 2.3 benches share (`mod common;` in each): running one bench per backend.

use burn::tensor::Device;
use lab_core::backend::BackendKind;

/// Runs `bench` on each backend's device (autodiff on), opened once for the whole run since
/// wgpu's runtime registers once per process; a backend that does not open is named as
/// unavailable and skipped.
pub fn on_each_backend(mut bench: impl FnMut(BackendKind, &Device)) {
    for kind in BackendKind::ALL {
        match pollster::block_on(kind.open()) {
            Ok(device) => bench(kind, &device),
            Err(error) => println!("  native {:<8} unavailable: {error}", kind.id()),
        }
    }
}
