//! Native image-classification latency: the default EfficientNet-Lite0 asset (int8 weights,
//! dequantized at load) on one 224×224 photo, per backend. Median of 20 forward passes after a
//! warm-up, each read back to the host, and the GFLOP/s that makes (2 × the model's MACs).
//!
//! `cargo run -p lab-core --example vision_bench` (after `cargo xtask setup`); add `resnet18` or
//! `resnet50` to time those architectures too, with placeholder weights (same cost).

use std::path::Path;
use std::time::{Duration, Instant};

use burn::tensor::Device;
use lab_core::asset;
use lab_core::backend::BackendKind;
use lab_core::vision::asset::Manifest;
use lab_core::vision::preprocess::{Preprocessing, photo_to_input, to_input};
use lab_core::vision::{Arch, Classifier};

const RUNS: usize = 20;
/// A backend whose warm-up pass takes longer than this is reported and skipped.
const TOO_SLOW: Duration = Duration::from_secs(20);

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = root.join("www/assets/models/efficientnet-lite0");
    let manifest_bytes =
        std::fs::read(dir.join(asset::MANIFEST_FILE)).expect("run `cargo xtask setup` first");
    let manifest = Manifest::from_json(&manifest_bytes).unwrap();
    let weights = manifest
        .verify(
            &manifest.default_file,
            std::fs::read(dir.join(&manifest.default_file)).unwrap(),
        )
        .unwrap();
    let photo = std::fs::read(root.join("www/assets/samples/chelsea.png")).unwrap();
    let input = photo_to_input(&photo, &Preprocessing::default()).unwrap();
    let extra: Vec<Arch> = std::env::args()
        .skip(1)
        .filter_map(|a| Arch::from_id(&a))
        .collect();

    println!(
        "image classification, batch 1, 224×224, median of {RUNS} after warm-up (dev profile, deps at opt-level 2)"
    );
    for kind in BackendKind::ALL {
        let device = match pollster::block_on(kind.open_inference()) {
            Ok(device) => device,
            Err(error) => {
                println!("{:8} unavailable: {error}", kind.id());
                continue;
            }
        };
        let start = Instant::now();
        let model = Classifier::from_asset(&manifest, &weights, &device).unwrap();
        let load = start.elapsed();
        let mut models = vec![(
            format!("{} ({})", manifest.name, manifest.default_file),
            model,
            Some(load),
        )];
        for &arch in &extra {
            models.push((
                arch.id().to_string(),
                Classifier::init(arch, 1000, &device),
                None,
            ));
        }
        for (name, model, load) in models {
            time(kind, &name, &model, &input, &device, load);
        }
    }
}

fn time(
    kind: BackendKind,
    name: &str,
    model: &Classifier,
    input: &[f32],
    device: &Device,
    load: Option<Duration>,
) {
    let run = || {
        let start = Instant::now();
        let logits = model.forward(to_input(&[input.to_vec()], 224, device));
        let _ = logits.into_data();
        start.elapsed()
    };
    let warm = run();
    if warm > TOO_SLOW {
        println!(
            "{:8} {name}: skipped, the warm-up pass took {:.1} s (software adapter?)",
            kind.id(),
            warm.as_secs_f64()
        );
        return;
    }
    let _ = run();
    let mut times: Vec<Duration> = (0..RUNS).map(|_| run()).collect();
    times.sort();
    let median = times[RUNS / 2];
    let gflop = 2.0 * model.macs() as f64 / 1e9;
    let load = load
        .map(|l| format!(", load {:.0} ms", l.as_secs_f64() * 1e3))
        .unwrap_or_default();
    println!(
        "{:8} {name}: {:.1} ms/image (min {:.1}, max {:.1}), {:.2} GFLOP/image, {:.1} GFLOP/s{load}",
        kind.id(),
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[RUNS - 1].as_secs_f64() * 1e3,
        gflop,
        gflop / median.as_secs_f64()
    );
}
