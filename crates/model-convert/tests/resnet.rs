//! ResNet-18 and ResNet-50 through the converter, against PyTorch.
//!
//! `scripts/vision_reference.py` builds both with torchvision, overwrites every parameter and
//! buffer with the deterministic generator of `model_convert::seeded` (defined identically in
//! the script), and stores their float64 logits on the sample photos in the committed fixture.
//! Here the same tensors are regenerated under torchvision's key names, written as a
//! `.safetensors` checkpoint, and imported through the converter's burn-store path
//! ([`model_convert::import`], key remapping included); the burn model's logits must then match
//! PyTorch's within 1e-3. When the script's own `.pth` files are present
//! (`.cache/vision-reference/`), they are imported through `PytorchStore` and must give the
//! very same tensors.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use burn::tensor::Device;
use lab_core::asset::{self, HostTensor};
use lab_core::vision::preprocess::{Preprocessing, photo_to_input, to_input};
use lab_core::vision::{Arch, Classifier};
use model_convert::{import, seeded};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture() -> serde_json::Value {
    let path = root().join("crates/lab-core/tests/fixtures/vision_reference.json");
    serde_json::from_slice(&std::fs::read(&path).expect("the committed fixture")).unwrap()
}

/// The sample photos' model inputs, checked against the ones the fixture was computed from.
fn inputs(fixture: &serde_json::Value) -> (Vec<String>, Vec<Vec<f32>>) {
    let names: Vec<String> = fixture["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    let mut out = Vec::new();
    for name in &names {
        let dir = root().join("www/assets/samples");
        let path = ["png", "jpg"]
            .iter()
            .map(|ext| dir.join(format!("{name}.{ext}")))
            .find(|p| p.exists());
        let path =
            path.unwrap_or_else(|| panic!("sample photo {name} missing: run `cargo xtask setup`"));
        let input =
            photo_to_input(&std::fs::read(path).unwrap(), &Preprocessing::default()).unwrap();
        let sum: f64 = input.iter().map(|&v| f64::from(v)).sum();
        let sum_sq: f64 = input.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
        let expected = &fixture["inputs"][name.as_str()];
        let (es, eq) = (
            expected["sum"].as_f64().unwrap(),
            expected["sum_sq"].as_f64().unwrap(),
        );
        assert!(
            (sum - es).abs() < 1e-3 * es.abs().max(1.0),
            "{name}: input sum {sum} vs fixture {es}"
        );
        assert!(
            (sum_sq - eq).abs() < 1e-3 * eq,
            "{name}: input sum of squares {sum_sq} vs fixture {eq}"
        );
        out.push(input);
    }
    (names, out)
}

fn write_safetensors(tensors: &[HostTensor], path: &Path) {
    std::fs::write(path, asset::encode_weights(tensors, false).unwrap()).unwrap();
}

fn logits(model: &Classifier, inputs: &[Vec<f32>], device: &Device) -> Vec<Vec<f32>> {
    let out = model.forward(to_input(inputs, 224, device));
    let [n, classes] = out.dims();
    let data: Vec<f32> = out.into_data().convert::<f32>().try_into_vec().unwrap();
    (0..n)
        .map(|i| data[i * classes..(i + 1) * classes].to_vec())
        .collect()
}

fn max_diff_to_fixture(
    fixture: &serde_json::Value,
    arch: Arch,
    names: &[String],
    got: &[Vec<f32>],
) -> f32 {
    let mut worst = 0.0f32;
    for (name, row) in names.iter().zip(got) {
        let expected = fixture["models"][arch.id()]["logits"][name.as_str()]
            .as_array()
            .unwrap();
        assert_eq!(expected.len(), row.len());
        for (e, g) in expected.iter().zip(row) {
            worst = worst.max((e.as_f64().unwrap() as f32 - g).abs());
        }
    }
    worst
}

fn check(arch: Arch, asset_round_trip: bool) {
    let device = Device::flex();
    let fixture = fixture();
    let (names, inputs) = inputs(&fixture);
    let dir = std::env::temp_dir().join(format!(
        "model-convert-test-{}-{}",
        arch.id(),
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let checkpoint = seeded::checkpoint(arch).unwrap();
    let path = dir.join(format!("{}-seeded.safetensors", arch.id()));
    write_safetensors(&checkpoint, &path);

    let model = import(arch, &path, 1000, &device).unwrap();
    // The import put every generated value where torchvision has it.
    let by_name: HashMap<String, &HostTensor> =
        checkpoint.iter().map(|t| (t.name.clone(), t)).collect();
    for t in model.host_tensors().unwrap() {
        let source = by_name[&seeded::torchvision_key(&t.name)];
        assert_eq!(t.shape, source.shape, "{}", t.name);
        assert!(
            t.data == source.data,
            "{} was not imported bit for bit",
            t.name
        );
    }

    let got = logits(&model, &inputs, &device);
    let diff = max_diff_to_fixture(&fixture, arch, &names, &got);
    println!(
        "{}: max |logit - PyTorch float64| = {diff:.2e} over {} photos",
        arch.id(),
        names.len()
    );
    assert!(
        diff < 1e-3,
        "{}: logits differ from PyTorch by {diff}",
        arch.id()
    );

    // The script's own torch.save checkpoint, when it is around, imports to the same tensors.
    let pth = root().join(format!(".cache/vision-reference/{}-seeded.pth", arch.id()));
    if pth.exists() {
        let from_pth = import(arch, &pth, 1000, &device).unwrap();
        let a = from_pth.host_tensors().unwrap();
        let b = model.host_tensors().unwrap();
        assert!(
            a == b,
            "{}: the PyTorch checkpoint and the regenerated tensors differ",
            arch.id()
        );
        println!(
            "{}: {} imported through PytorchStore: identical tensors",
            arch.id(),
            pth.display()
        );
    } else {
        println!(
            "{}: {} absent (written by scripts/vision_reference.py); pth import not compared",
            arch.id(),
            pth.display()
        );
    }

    if asset_round_trip {
        let info = model_convert::AssetInfo {
            name: arch.id().into(),
            source: asset::Source {
                description: "seeded test weights".into(),
                origin: "tests".into(),
                file: "seeded".into(),
                sha256: String::new(),
                licence: "n/a".into(),
            },
            labels: asset::Labels {
                en: (0..1000).map(|i| format!("class {i}")).collect(),
                zh: None,
                source: "none".into(),
                licence: "n/a".into(),
            },
        };
        let out = dir.join("asset");
        let manifest = model_convert::write_asset(&model, info, &out, &[], &device).unwrap();
        let f32_bytes = std::fs::read(out.join(asset::F32_FILE)).unwrap();
        let loaded = Classifier::from_asset(
            &manifest,
            &manifest.verify(asset::F32_FILE, f32_bytes.clone()).unwrap(),
            &device,
        )
        .unwrap();
        let again = logits(&loaded, &inputs, &device);
        // Loading folds the batch norms into the convolutions: equal to float rounding.
        let scale = got.iter().flatten().fold(0.0f32, |m, v| m.max(v.abs()));
        let diff = again
            .iter()
            .flatten()
            .zip(got.iter().flatten())
            .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(
            diff <= 1e-5 * scale.max(1.0),
            "the f32 asset must reproduce the imported model: logits up to {scale} differ by {diff}"
        );
        let int8_bytes = std::fs::read(out.join(asset::INT8_FILE)).unwrap();
        let ratio = int8_bytes.len() as f64 / f32_bytes.len() as f64;
        println!(
            "{}: asset f32 {} bytes, int8 {} bytes ({ratio:.3}x)",
            arch.id(),
            f32_bytes.len(),
            int8_bytes.len()
        );
        assert!(ratio <= 0.27, "int8 asset is {ratio:.3}x the f32 one");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn resnet18_matches_pytorch_through_the_converter() {
    check(Arch::ResNet18, true);
}

#[test]
fn resnet50_matches_pytorch_through_the_converter() {
    check(Arch::ResNet50, false);
}
