//! Prints the recommender's training steps per second (both models per step) on each backend
//! and, after the page's 14 epochs with Adam, the held-out RMSE of the global mean, the biases
//! and the factorisation. Figures only: nothing is asserted (the native tests hold the order).
//!
//! `cargo run -p lab-core --example recommend_bench` (part of `cargo xtask bench`); the asset
//! comes from `cargo xtask setup` (www/assets/recommend/).

mod common;

use std::path::PathBuf;
use std::time::Instant;

use lab_core::recommend::data::{ASSET, MovieLens};
use lab_core::recommend::trainer::{BATCH_SIZE, EPOCHS, RecommendSpec, RecommendTrainer};

const TIMED_STEPS: usize = 100;

/// The 14-epoch run is skipped where it would take longer than this.
const MAX_RMSE_RUN_S: f64 = 120.0;

fn main() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../www/assets/recommend")
        .join(ASSET.file);
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask setup`", path.display()));
    let data = MovieLens::from_asset(&bytes).expect("the asset reads");
    let (train, test) = data.split();
    let shape = (data.users.len(), data.movies.len());
    println!("recommend: batch {BATCH_SIZE}, Adam lr 0.005, both models per step");
    common::on_each_backend(|kind, device| {
        let spec = RecommendSpec::default();
        let mut trainer = RecommendTrainer::new(&spec, shape, train.clone(), test.clone(), device);
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
        let outcome = if steps_left / per_second > MAX_RMSE_RUN_S {
            format!(
                "{EPOCHS} epochs skipped (about {:.0} min at this rate)",
                steps_left / per_second / 60.0
            )
        } else {
            for _ in 0..trainer.clock().steps_until(EPOCHS) {
                trainer.step();
            }
            let e = pollster::block_on(trainer.evaluate()).expect("a finite run");
            format!(
                "held-out RMSE after {EPOCHS} epochs: mean {:.4}, biases {:.4}, factorisation {:.4} (ratio to biases {:.3})",
                e.mean_test,
                e.biases_test,
                e.factorization_test,
                e.factorization_test / e.biases_test
            )
        };
        println!(
            "  native {:<8} {per_second:>7.1} steps/s; {outcome}",
            kind.id()
        );
    });
}
