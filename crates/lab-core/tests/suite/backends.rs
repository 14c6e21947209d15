//! The three backends train the same network from the same seed to the same numbers.

use crate::common;

use lab_core::backend::BackendKind;
use lab_core::data::{DataSpec, DatasetKind};
use lab_core::mlp::{ActivationKind, MlpSpec};
use lab_core::train::{Snapshot, TrainSpec, Trainer};

fn run(kind: BackendKind) -> Snapshot {
    let spec = TrainSpec {
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
    };
    let mut trainer = Trainer::new(spec, common::device(kind), 8);
    for _ in 0..50 {
        trainer.step();
    }
    common::snapshot(&trainer)
}

fn assert_agree(a: &Snapshot, b: &Snapshot, tolerance: f32, what: &str) {
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
        let diff =
            common::max_abs_diff(&x.weight, &y.weight).max(common::max_abs_diff(&x.bias, &y.bias));
        assert!(
            diff < tolerance,
            "{what}: layer {layer} parameters differ by {diff}"
        );
    }
    let diff = common::max_abs_diff(&a.output_grid, &b.output_grid);
    assert!(diff < tolerance, "{what}: predictions differ by {diff}");
}

#[test]
fn flex_and_ndarray_agree_within_1e_4() {
    let flex = run(BackendKind::Flex);
    let ndarray = run(BackendKind::NdArray);
    assert!(
        flex.train_loss.is_finite()
            && flex
                .weights
                .iter()
                .any(|w| w.weight.iter().any(|v| *v != 0.0))
    );
    assert_agree(&flex, &ndarray, 1e-4, "flex vs ndarray");
}

#[test]
fn wgpu_agrees_with_flex_within_1e_4() {
    let flex = run(BackendKind::Flex);
    let wgpu = run(BackendKind::WebGpu);
    assert_agree(&flex, &wgpu, 1e-4, "flex vs wgpu");
}
