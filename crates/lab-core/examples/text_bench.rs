//! Native text-model latency: each text model of the site (the lab's int8 Chinese BERT and the
//! pretrained multilingual-e5-small with its 4-bit weights, both dequantized at load) classifying
//! one sentence of 16, 64 and 128 tokens, per backend. Median of 20 forward passes after a
//! warm-up, each read back to the host (the classifier's probabilities).
//!
//! `cargo run -p lab-core --example text_bench [MODEL...]` (default: lab-bert-zh e5-small;
//! e5-small exists once `cargo xtask setup` has built it).

use std::path::Path;
use std::time::{Duration, Instant};

use burn::tensor::Device;
use burn::tensor::activation::softmax;
use lab_core::backend::BackendKind;
use lab_core::text::asset::TextManifest;
use lab_core::text::bert::{Bert, BertInput};
use lab_core::text::pipeline::TextModel;
use lab_core::text::tokenizer;

const RUNS: usize = 20;
const LENGTHS: [usize; 3] = [16, 64, 128];
const MODELS: [&str; 2] = ["lab-bert-zh", "e5-small"];

fn main() {
    let asked: Vec<String> = std::env::args().skip(1).collect();
    let models: Vec<&str> = if asked.is_empty() {
        MODELS.to_vec()
    } else {
        asked.iter().map(String::as_str).collect()
    };
    // Each device is opened once: wgpu registers one runtime per device and process.
    let devices: Vec<(BackendKind, Result<Device, String>)> = BackendKind::ALL
        .into_iter()
        .map(|kind| (kind, pollster::block_on(kind.open_inference())))
        .collect();
    for name in models {
        bench(name, &devices);
    }
}

fn bench(name: &str, devices: &[(BackendKind, Result<Device, String>)]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../www/text-models")
        .join(name);
    let read = |file: &str| std::fs::read(dir.join(file));
    let Ok(manifest) = read("manifest.json") else {
        println!("{name}: not built (run `cargo xtask setup`)");
        return;
    };
    let manifest = TextManifest::from_json(&manifest).unwrap();
    let verified = |file: &str| read(file).unwrap_or_else(|e| panic!("{name}/{file}: {e}"));
    let tokenizer = manifest
        .verify_tokenizer(verified(&manifest.tokenizer.file))
        .unwrap();
    let weights = manifest
        .verify(&manifest.default_file, verified(&manifest.default_file))
        .unwrap();
    let neighbours = manifest
        .neighbours
        .as_ref()
        .map(|n| manifest.verify_neighbours(verified(&n.file)).unwrap());
    // A real review, repeated; each length is the first N tokens, then the end token.
    let text = "这家店的服务真周到，菜也好吃，下次还会再来。".repeat(20);
    println!(
        "{name} sentiment, batch 1 ({}), median of {RUNS} after warm-up (dev profile, deps at opt-level 2)",
        manifest.default_file
    );
    for (kind, device) in devices {
        let device = match device {
            Ok(device) => device,
            Err(error) => {
                println!("{:8} unavailable: {error}", kind.id());
                continue;
            }
        };
        let model = TextModel::load(
            manifest.clone(),
            &tokenizer,
            &weights,
            neighbours.as_ref(),
            device,
        )
        .unwrap();
        let figures: Vec<String> = LENGTHS
            .iter()
            .map(|&n| {
                let prefixed = format!("{}{text}", manifest.prefix);
                let encoded = tokenizer::encode(&model.reader.tokenizer, &prefixed, n).unwrap();
                assert_eq!(encoded.ids.len(), n);
                let input = BertInput::from_encoded(&encoded, device);
                format!(
                    "{n} tokens {:.2} ms",
                    median(&model.bert, &input).as_secs_f64() * 1e3
                )
            })
            .collect();
        println!("{:8} {}", kind.id(), figures.join(", "));
    }
}

fn median(model: &Bert, input: &BertInput) -> Duration {
    let run = || {
        let start = Instant::now();
        let hidden = model.forward(input, false).hidden;
        let probabilities = softmax(
            model.classify(&hidden, &input.mask).expect("a classifier"),
            1,
        );
        let _ = probabilities.into_data();
        start.elapsed()
    };
    run();
    let mut times: Vec<Duration> = (0..RUNS).map(|_| run()).collect();
    times.sort();
    times[RUNS / 2]
}
