//! Prints, for each of modlamp's sets, the peptide network's training steps per second on each
//! backend and, after the page's 30 epochs with Adam, both models' held-out accuracy. Figures
//! only: nothing is asserted (the native test holds the accuracy bar).
//!
//! `cargo run -p lab-core --example peptides_bench` (part of `cargo xtask bench`); the sets come
//! from `cargo xtask setup` (www/assets/peptides/).

use std::path::PathBuf;
use std::time::Instant;

use lab_core::backend::BackendKind;
use lab_core::peptides::data::{self, DATASETS};
use lab_core::peptides::trainer::{EPOCHS, PeptideSpec, PeptideTrainer};

const TIMED_STEPS: usize = 200;

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../www/assets/peptides");
    for set in DATASETS {
        let text = std::fs::read_to_string(dir.join(set.file))
            .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask setup`", set.file));
        let parsed = data::parse_modlamp_csv(&text).expect("modlamp's set parses");
        let (train, test) = data::split(&parsed.peptides);
        println!(
            "peptides {} ({} train, {} test), batch 32, Adam lr 0.005:",
            set.file,
            train.len(),
            test.len()
        );
        for kind in BackendKind::ALL {
            let device = match pollster::block_on(kind.open()) {
                Ok(device) => device,
                Err(error) => {
                    println!("  native {:<8} unavailable: {error}", kind.id());
                    continue;
                }
            };
            let spec = PeptideSpec::default();
            let mut trainer = PeptideTrainer::new(&spec, train.clone(), test.clone(), &device);
            trainer.step();
            pollster::block_on(trainer.evaluate()).expect("warm-up");
            let start = Instant::now();
            for _ in 0..TIMED_STEPS {
                trainer.step();
            }
            // The read-back waits for queued GPU work, so the time covers all steps.
            pollster::block_on(trainer.evaluate()).expect("a finite run");
            let per_second = TIMED_STEPS as f64 / start.elapsed().as_secs_f64();
            while trainer.epochs() < EPOCHS {
                trainer.step();
            }
            let last = pollster::block_on(trainer.evaluate()).expect("a finite run");
            println!(
                "  native {:<8} {per_second:>6.0} steps/s (both models)   after {EPOCHS:.0} epochs: network {:.1}%, composition baseline {:.1}% held out",
                kind.id(),
                last.cnn_test.accuracy * 100.0,
                last.baseline_test.accuracy * 100.0
            );
        }
    }
}
