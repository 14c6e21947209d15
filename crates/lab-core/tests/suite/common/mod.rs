//! Helpers shared by the native tests.

pub mod augment_fixture;
pub mod logmel_reference;
pub mod photo_files;
pub mod tokenizer_parity;

use burn::tensor::Device;
use lab_core::backend::BackendKind;
use lab_core::train::{Snapshot, Trainer};

/// Opens a backend's autodiff device natively (the wgpu one on Mesa's lavapipe in CI).
pub fn device(kind: BackendKind) -> Device {
    pollster::block_on(kind.open())
        .unwrap_or_else(|error| panic!("{} backend unavailable: {error}", kind.id()))
}

pub fn snapshot(trainer: &Trainer) -> Snapshot {
    pollster::block_on(trainer.snapshot()).expect("a finite snapshot")
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
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
