//! Prints training steps per second of the benchmark network (2-16-16-1, batch 64, circle data)
//! on each backend, natively. Figures only: nothing is asserted.
//!
//! `cargo run -p lab-core --example bench` (or `cargo xtask bench`, which adds the browser
//! figures). It runs in the dev profile, whose burn and lab-core code is built at opt-level 2
//! (Cargo.toml), so it reuses the test build instead of a separate fat-LTO native build.

use std::time::Instant;

use lab_core::backend::BackendKind;
use lab_core::data::{DataSpec, DatasetKind};
use lab_core::mlp::{ActivationKind, MlpSpec};
use lab_core::train::{TrainSpec, Trainer};

const WARM_UP: usize = 50;
const STEPS: usize = 1000;

fn main() {
    let spec = TrainSpec {
        data: DataSpec {
            kind: DatasetKind::Circle,
            samples: 400,
            noise: 0.1,
            train_ratio: 0.5,
            seed: 1,
        },
        mlp: MlpSpec {
            hidden: vec![16, 16],
            activation: ActivationKind::Tanh,
        },
        learning_rate: 0.03,
        batch_size: 64,
        seed: 1,
        ..Default::default()
    };
    let profile = if cfg!(debug_assertions) {
        "dev profile, opt-level 2"
    } else {
        "release profile"
    };
    println!(
        "native training ({profile}), 2-16-16-1, batch 64, {STEPS} steps after {WARM_UP} warm-up steps"
    );
    for kind in BackendKind::ALL {
        let device = match pollster::block_on(kind.open()) {
            Ok(device) => device,
            Err(error) => {
                println!("native {:<8} unavailable: {error}", kind.id());
                continue;
            }
        };
        let mut trainer = Trainer::new(spec.clone(), device, 8);
        for _ in 0..WARM_UP {
            trainer.step();
        }
        pollster::block_on(trainer.snapshot()).expect("a finite warm-up");
        let start = Instant::now();
        for _ in 0..STEPS {
            trainer.step();
        }
        // The read-back waits for queued GPU work, so the time covers all steps.
        let snapshot = pollster::block_on(trainer.snapshot()).expect("a finite run");
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "native {:<8} {:>8.0} steps/s   (train loss {:.4})",
            kind.id(),
            STEPS as f64 / seconds,
            snapshot.train_loss
        );
    }
}
