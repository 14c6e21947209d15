//! Helpers shared by the native tests.

pub mod augment_fixture;
pub mod backend_agreement;
pub mod logmel_reference;
pub mod photo_files;
pub mod tokenizer_parity;

use burn::tensor::Device;
use lab_core::backend::BackendKind;
use lab_core::train::{Snapshot, Trainer};

pub use backend_agreement::max_abs_diff;

/// Opens a backend's autodiff device natively (wgpu only with lab-core's `wgpu` feature, on a
/// Vulkan driver such as Mesa's lavapipe).
pub fn device(kind: BackendKind) -> Device {
    pollster::block_on(kind.open())
        .unwrap_or_else(|error| panic!("{} backend unavailable: {error}", kind.id()))
}

pub fn snapshot(trainer: &Trainer) -> Snapshot {
    pollster::block_on(trainer.snapshot()).expect("a finite snapshot")
}

/// Compares a digest with the committed fixture `tests/fixtures/<file>`, or rewrites the fixture
/// when `UPDATE_FIXTURES` is set (after an intended change; the browser test checks it too).
pub fn check_digest(digest: &str, file: &str, committed: &str) {
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
        std::fs::write(&path, format!("{digest}\n")).expect("writing the fixture");
        eprintln!("wrote {path}: {digest}");
        return;
    }
    assert_eq!(
        digest,
        committed.trim(),
        "{file} changed; if intended, regenerate with UPDATE_FIXTURES=1"
    );
}
