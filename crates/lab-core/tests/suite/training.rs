//! The playground's trainer learns the datasets it offers, and stops cleanly when it diverges.

use crate::common;

use lab_core::backend::BackendKind;
use lab_core::data::{DataSpec, DatasetKind};
use lab_core::mlp::{ActivationKind, MlpSpec};
use lab_core::train::{TrainError, TrainSpec, Trainer};

fn trained(kind: DatasetKind, steps: usize) -> lab_core::train::Snapshot {
    let spec = TrainSpec {
        data: DataSpec {
            kind,
            samples: 400,
            noise: 0.05,
            train_ratio: 0.5,
            seed: 3,
        },
        mlp: MlpSpec {
            hidden: vec![8, 8],
            activation: ActivationKind::Tanh,
        },
        learning_rate: 0.3,
        batch_size: 16,
        seed: 3,
        ..Default::default()
    };
    spec.check().expect("a valid spec");
    let mut trainer = Trainer::new(spec, common::device(BackendKind::Flex), 8);
    let before = common::snapshot(&trainer);
    for _ in 0..steps {
        trainer.step();
    }
    let after = common::snapshot(&trainer);
    assert!(
        after.train_loss < before.train_loss / 2.0,
        "{kind:?}: loss {} -> {}",
        before.train_loss,
        after.train_loss
    );
    after
}

#[test]
fn xor_reaches_95_percent_test_accuracy() {
    let accuracy = trained(DatasetKind::Xor, 3000).test_accuracy.unwrap();
    assert!(accuracy >= 0.95, "XOR test accuracy {accuracy}");
}

#[test]
fn circle_reaches_95_percent_test_accuracy() {
    let accuracy = trained(DatasetKind::Circle, 3000).test_accuracy.unwrap();
    assert!(accuracy >= 0.95, "circle test accuracy {accuracy}");
}

#[test]
fn regression_fits_its_target() {
    let snapshot = trained(DatasetKind::Regression, 3000);
    assert!(snapshot.test_accuracy.is_none());
    assert!(
        snapshot.test_loss < 0.02,
        "regression test MSE {}",
        snapshot.test_loss
    );
}

#[test]
fn a_huge_learning_rate_is_reported_as_divergence() {
    let spec = TrainSpec {
        mlp: MlpSpec {
            hidden: vec![8, 8],
            activation: ActivationKind::Relu,
        },
        data: DataSpec {
            kind: DatasetKind::Regression,
            ..Default::default()
        },
        learning_rate: 30.0,
        ..Default::default()
    };
    let mut trainer = Trainer::new(spec, common::device(BackendKind::Flex), 4);
    let outcome = (0..200).find_map(|_| {
        trainer.step();
        pollster::block_on(trainer.snapshot()).err()
    });
    assert!(
        matches!(outcome, Some(TrainError::Diverged { .. })),
        "got {outcome:?}"
    );
}

#[test]
fn absurd_settings_are_refused() {
    for spec in [
        TrainSpec {
            learning_rate: f64::NAN,
            ..Default::default()
        },
        TrainSpec {
            learning_rate: -0.1,
            ..Default::default()
        },
        TrainSpec {
            batch_size: 0,
            ..Default::default()
        },
        TrainSpec {
            mlp: MlpSpec {
                hidden: vec![8; 7],
                activation: ActivationKind::Relu,
            },
            ..Default::default()
        },
        TrainSpec {
            mlp: MlpSpec {
                hidden: vec![33],
                activation: ActivationKind::Relu,
            },
            ..Default::default()
        },
    ] {
        assert!(spec.check().is_err(), "{spec:?} was accepted");
    }
}
