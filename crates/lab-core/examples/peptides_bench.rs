//! Prints, for each of modlamp's sets, the peptide network's training steps per second on each
//! backend and, after the page's 30 epochs with Adam, both models' held-out accuracy. Figures
//! only: nothing is asserted (the native test holds the accuracy bar).
//!
//! `cargo run -p lab-core --example peptides_bench` (part of `cargo xtask bench`); the sets come
//! from `cargo xtask setup` (www/assets/peptides/).

mod common;

use std::path::PathBuf;
use std::time::Instant;

use lab_core::peptides::data::{self, DATASETS};
use lab_core::peptides::trainer::{EPOCHS, PeptideSpec, PeptideTrainer};

const TIMED_STEPS: usize = 200;

/// The 30-epoch accuracy run is skipped where it would take longer than this.
const MAX_ACCURACY_RUN_S: f64 = 120.0;

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../www/assets/peptides");
    let sets: Vec<_> = DATASETS
        .iter()
        .map(|set| {
            let text = std::fs::read_to_string(dir.join(set.file))
                .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask setup`", set.file));
            let parsed = data::parse_modlamp_csv(&text).expect("modlamp's set parses");
            (set.file, data::split(&parsed.peptides))
        })
        .collect();
    println!("peptides: batch 32, Adam lr 0.005, both models per step");
    common::on_each_backend(|kind, device| {
        for (file, (train, test)) in &sets {
            let spec = PeptideSpec::default();
            let mut trainer = PeptideTrainer::new(&spec, train.clone(), test.clone(), device);
            trainer.step();
            pollster::block_on(trainer.evaluate()).expect("warm-up");
            let start = Instant::now();
            for _ in 0..TIMED_STEPS {
                trainer.step();
            }
            // The read-back waits for queued GPU work, so the time covers all steps.
            pollster::block_on(trainer.evaluate()).expect("a finite run");
            let per_second = TIMED_STEPS as f64 / start.elapsed().as_secs_f64();
            let steps_left = trainer.clock().steps_until(EPOCHS) as f64;
            let outcome = if steps_left / per_second > MAX_ACCURACY_RUN_S {
                format!(
                    "30 epochs skipped (about {:.0} min at this rate)",
                    steps_left / per_second / 60.0
                )
            } else {
                for _ in 0..trainer.clock().steps_until(EPOCHS) {
                    trainer.step();
                }
                let last = pollster::block_on(trainer.evaluate()).expect("a finite run");
                format!(
                    "after {EPOCHS:.0} epochs: network {:.1}%, composition baseline {:.1}% held out",
                    last.cnn_test.accuracy * 100.0,
                    last.baseline_test.accuracy * 100.0
                )
            };
            println!(
                "  native {:<8} {file:<17} ({} train, {} test) {per_second:>6.0} steps/s   {outcome}",
                kind.id(),
                train.len(),
                test.len()
            );
        }
    });
}
