//! Prints the speech demo's native figures: the log-mel analyser's speed against real time, and
//! per backend the keyword network's training steps per second and the latency of one live
//! classification, on examples cut from the two sample recordings. Figures only: nothing is
//! asserted (the native test holds the accuracy bar).
//!
//! `cargo run -p lab-core --example speech_bench` (part of `cargo xtask bench`); the recordings
//! come from `cargo xtask setup` (www/assets/speech/).

mod common;

use std::path::PathBuf;
use std::time::Instant;

use lab_core::optim::OptimizerKind;
use lab_core::speech::audio::{self, LogMel, RECORDINGS, SAMPLE_RATE};
use lab_core::speech::keyword::{self, BATCH_SIZE, KeywordSpec, KeywordTrainer};

const TIMED_STEPS: usize = 50;
const TIMED_CLASSIFICATIONS: usize = 50;

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../www/assets/speech");
    let recordings: Vec<Vec<f32>> = RECORDINGS
        .iter()
        .map(|r| {
            let bytes = std::fs::read(dir.join(r.file))
                .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask setup`", r.file));
            audio::read_wav(&bytes).expect("a 16 kHz mono WAV")
        })
        .collect();
    let seconds: f64 =
        recordings.iter().map(|s| s.len() as f64).sum::<f64>() / f64::from(SAMPLE_RATE);
    let start = Instant::now();
    let frames: Vec<_> = recordings.iter().map(|s| LogMel::frames(s)).collect();
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "speech: log-mel of {seconds:.1} s of audio in {:.1} ms natively ({:.0}× real time)",
        elapsed * 1e3,
        seconds / elapsed
    );
    let clips: Vec<_> = frames
        .iter()
        .enumerate()
        .flat_map(|(label, f)| keyword::examples(f, 25, label))
        .collect();
    println!(
        "keyword network: {} examples, batch {BATCH_SIZE}, Adam lr 0.003",
        clips.len()
    );
    common::on_each_backend(|kind, device| {
        let spec = KeywordSpec::for_optimizer(OptimizerKind::Adam);
        let mut trainer = KeywordTrainer::new(&spec, clips.clone(), RECORDINGS.len(), device);
        trainer.step();
        pollster::block_on(trainer.evaluate()).expect("warm-up");
        let start = Instant::now();
        for _ in 0..TIMED_STEPS {
            trainer.step();
        }
        // The read-back waits for queued GPU work, so the time covers all steps.
        let score = pollster::block_on(trainer.evaluate()).expect("a finite run");
        let per_second = TIMED_STEPS as f64 / start.elapsed().as_secs_f64();
        let latest = &clips[0].frames;
        let start = Instant::now();
        for _ in 0..TIMED_CLASSIFICATIONS {
            pollster::block_on(keyword::classify(trainer.model(), latest, device))
                .expect("a classification");
        }
        let latency = start.elapsed().as_secs_f64() * 1e3 / TIMED_CLASSIFICATIONS as f64;
        println!(
            "  native {:<8} {per_second:>6.1} steps/s   classify {latency:>5.1} ms   after {} steps: loss {:.3}, accuracy {:.1}% on the examples",
            kind.id(),
            trainer.steps(),
            score.loss,
            score.accuracy * 100.0
        );
    });
}
