//! In the browser (wasm-bindgen-test in headless Chromium): one training step on each of the
//! three backends, WebGPU included through Chromium's software adapter (tiny shapes only: the
//! software adapter is correct but slow); the augmentation grid, byte for byte as natively; and
//! the token ids of 1,000 real Chinese lines, as natively.
#![cfg(target_arch = "wasm32")]

use lab_core::backend::BackendKind;
use lab_core::data::{DataSpec, DatasetKind};
use lab_core::mlp::{ActivationKind, MlpSpec};
use lab_core::train::{TrainSpec, Trainer};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

// The same photo, spec and seed as lab-core's native test; the photo is unpacked by
// `cargo xtask setup`, which `cargo xtask test` runs first.
#[path = "../crates/lab-core/tests/suite/common/augment_fixture.rs"]
mod augment_fixture;

/// Decoding and augmenting on wasm gives the digest committed from the native run: the same
/// bytes on both.
#[wasm_bindgen_test]
fn augmentation_grid_matches_the_native_fixture() {
    assert_eq!(
        augment_fixture::grid_digest(),
        augment_fixture::DIGEST.trim()
    );
}

// The same lines and tokenizer as lab-core's native test, unpacked by `cargo xtask setup`.
#[path = "../crates/lab-core/tests/suite/common/tokenizer_parity.rs"]
mod tokenizer_parity;

/// The tokenizers crate on wasm gives the ids committed from the native run on 1,000 real lines.
#[wasm_bindgen_test]
fn token_ids_match_the_native_fixture() {
    assert_eq!(tokenizer_parity::digest(), tokenizer_parity::DIGEST.trim());
}

async fn a_training_step_changes_the_weights(kind: BackendKind) {
    let device = kind
        .open()
        .await
        .unwrap_or_else(|error| panic!("{} unavailable in the browser: {error}", kind.id()));
    let spec = TrainSpec {
        data: DataSpec {
            kind: DatasetKind::Xor,
            samples: 32,
            noise: 0.0,
            train_ratio: 0.5,
            seed: 5,
        },
        mlp: MlpSpec {
            hidden: vec![4],
            activation: ActivationKind::Tanh,
        },
        learning_rate: 0.5,
        batch_size: 8,
        seed: 5,
        ..Default::default()
    };
    let mut trainer = Trainer::new(spec, device, 4);
    let before = trainer
        .snapshot()
        .await
        .expect("a snapshot before training");
    trainer.step();
    let after = trainer.snapshot().await.expect("a snapshot after one step");
    assert_eq!(after.steps, 1);
    assert!(after.train_loss.is_finite());
    assert_ne!(
        before.weights,
        after.weights,
        "{}: one step left the weights unchanged",
        kind.id()
    );
    for _ in 0..20 {
        trainer.step();
    }
    let later = trainer.snapshot().await.expect("a snapshot after 21 steps");
    assert!(
        later.train_loss < before.train_loss,
        "{}: loss {} -> {}",
        kind.id(),
        before.train_loss,
        later.train_loss
    );
}

#[wasm_bindgen_test]
async fn training_step_on_flex() {
    a_training_step_changes_the_weights(BackendKind::Flex).await;
}

#[wasm_bindgen_test]
async fn training_step_on_ndarray() {
    a_training_step_changes_the_weights(BackendKind::NdArray).await;
}

#[wasm_bindgen_test]
async fn training_step_on_webgpu() {
    a_training_step_changes_the_weights(BackendKind::WebGpu).await;
}
