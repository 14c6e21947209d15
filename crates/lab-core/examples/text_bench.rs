//! Native BERT latency: the lab's committed int8 Chinese BERT (dequantized at load) classifying
//! one sentence of 16, 64 and 128 tokens, per backend. Median of 20 forward passes after a
//! warm-up, each read back to the host (the classifier's probabilities).
//!
//! `cargo run -p lab-core --example text_bench`.

use std::path::Path;
use std::time::{Duration, Instant};

use burn::tensor::activation::softmax;
use lab_core::backend::BackendKind;
use lab_core::text::asset::TextManifest;
use lab_core::text::bert::{Bert, BertInput};
use lab_core::text::tokenizer;

const RUNS: usize = 20;
const LENGTHS: [usize; 3] = [16, 64, 128];

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../www/text-models/lab-bert-zh");
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let manifest = TextManifest::from_json(&read("manifest.json")).unwrap();
    let tokenizer_file = manifest
        .verify_tokenizer(read(&manifest.tokenizer.file))
        .unwrap();
    let tokenizer = manifest.tokenizer(&tokenizer_file).unwrap();
    let weights = manifest
        .verify(&manifest.default_file, read(&manifest.default_file))
        .unwrap();
    // A real review, repeated; each length is the first N tokens ([CLS] … [SEP]).
    let text = "这家店的服务真周到，菜也好吃，下次还会再来。".repeat(20);

    println!(
        "BERT sentiment, batch 1, {} ({}), median of {RUNS} after warm-up (dev profile, deps at opt-level 2)",
        manifest.name, manifest.default_file
    );
    for kind in BackendKind::ALL {
        let device = match pollster::block_on(kind.open_inference()) {
            Ok(device) => device,
            Err(error) => {
                println!("{:8} unavailable: {error}", kind.id());
                continue;
            }
        };
        let model = Bert::from_asset(&manifest, &weights, &device).unwrap();
        let figures: Vec<String> = LENGTHS
            .iter()
            .map(|&n| {
                let encoded = tokenizer::encode(&tokenizer, &text, n).unwrap();
                assert_eq!(encoded.ids.len(), n);
                format!(
                    "{n} tokens {:.2} ms",
                    median(&model, &BertInput::from_encoded(&encoded, &device)).as_secs_f64() * 1e3
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
