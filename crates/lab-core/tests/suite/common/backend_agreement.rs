//! What "two backends agree" means for the playground's training: the same network from the same
//! seed, trained the same number of steps, gives the same losses, parameters and predictions
//! within a tolerance. Shared by the native test (flex against ndarray; wgpu on a Vulkan driver
//! with lab-core's `wgpu` feature) and the browser test (flex against the page's WebGPU).

use lab_core::data::{DataSpec, DatasetKind};
use lab_core::mlp::{ActivationKind, MlpSpec};
use lab_core::train::{Snapshot, TrainSpec};

/// Steps each backend trains before the comparison.
pub const STEPS: usize = 50;
/// The prediction grid's resolution (`Trainer::new`'s third argument).
pub const GRID: usize = 8;

pub fn spec() -> TrainSpec {
    TrainSpec {
        data: DataSpec {
            kind: DatasetKind::Spiral,
            samples: 200,
            noise: 0.1,
            train_ratio: 0.5,
            seed: 11,
        },
        mlp: MlpSpec {
            hidden: vec![16, 16],
            activation: ActivationKind::Tanh,
        },
        learning_rate: 0.1,
        batch_size: 32,
        seed: 11,
        ..Default::default()
    }
}

pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

pub fn assert_agree(a: &Snapshot, b: &Snapshot, tolerance: f32, what: &str) {
    assert_eq!(a.steps, b.steps);
    assert!(
        (a.train_loss - b.train_loss).abs() < tolerance,
        "{what}: train loss {} vs {}",
        a.train_loss,
        b.train_loss
    );
    assert!(
        (a.test_loss - b.test_loss).abs() < tolerance,
        "{what}: test loss {} vs {}",
        a.test_loss,
        b.test_loss
    );
    for (layer, (x, y)) in a.weights.iter().zip(&b.weights).enumerate() {
        let diff = max_abs_diff(&x.weight, &y.weight).max(max_abs_diff(&x.bias, &y.bias));
        assert!(
            diff < tolerance,
            "{what}: layer {layer} parameters differ by {diff}"
        );
    }
    let diff = max_abs_diff(&a.output_grid, &b.output_grid);
    assert!(diff < tolerance, "{what}: predictions differ by {diff}");
}
