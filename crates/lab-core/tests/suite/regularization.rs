//! Regularization on the over-fitting scene: L2 and L1 shrink the generalisation gap and the
//! long file: one over-fitting scene shared by every regularizer's test.
//! weights, dropout is random in training steps only, early stopping fires when the test loss
//! stops improving; and the helpers (penalty, histogram, checks) do what they say.

use crate::common;

use std::sync::OnceLock;

use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use lab_core::backend::BackendKind;
use lab_core::data::Task;
use lab_core::mlp::{LayerWeights, Mlp};
use lab_core::regularize::{Regularization, weight_histogram};
use lab_core::train::overfitting_scene;
use lab_core::train::{self, Snapshot, TrainSpec, Trainer};

/// Steps of every comparison on the over-fitting scene, and steps between snapshots.
const STEPS: usize = 3000;
const EVERY: usize = 100;

/// The scene trained `STEPS` steps with `regularization`, one snapshot every `EVERY` steps (the
/// first before any step).
fn run(regularization: Regularization) -> Vec<Snapshot> {
    let spec = TrainSpec {
        regularization,
        ..overfitting_scene()
    };
    spec.check().expect("a valid spec");
    let mut trainer = Trainer::new(spec, common::device(BackendKind::Flex), 2);
    let mut snapshots = vec![common::snapshot(&trainer)];
    for _ in 0..STEPS / EVERY {
        for _ in 0..EVERY {
            trainer.step();
        }
        snapshots.push(common::snapshot(&trainer));
    }
    snapshots
}

/// The unregularized run, shared by the tests that compare against it.
fn plain() -> &'static [Snapshot] {
    static PLAIN: OnceLock<Vec<Snapshot>> = OnceLock::new();
    PLAIN.get_or_init(|| run(Regularization::default()))
}

fn gap(snapshot: &Snapshot) -> f32 {
    snapshot.test_loss - snapshot.train_loss
}

fn weights(snapshot: &Snapshot) -> impl Iterator<Item = f32> + '_ {
    snapshot
        .weights
        .iter()
        .flat_map(|layer| layer.weight.iter().copied())
}

fn l2_norm(snapshot: &Snapshot) -> f32 {
    weights(snapshot).map(|w| w * w).sum::<f32>().sqrt()
}

fn near_zero(snapshot: &Snapshot) -> usize {
    weights(snapshot).filter(|w| w.abs() < 1e-2).count()
}

fn value(tensor: Tensor<1>) -> f32 {
    pollster::block_on(tensor.into_data_async())
        .expect("a read-back")
        .try_into_vec::<f32>()
        .expect("f32 values")[0]
}

#[test]
fn the_scene_over_fits_without_regularization() {
    let snapshots = plain();
    let last = snapshots.last().unwrap();
    let best = snapshots
        .iter()
        .map(|s| s.test_loss)
        .fold(f32::INFINITY, f32::min);
    eprintln!(
        "plain: train {:.4} test {:.4} (best {best:.4}) gap {:.4} |w| {:.2}",
        last.train_loss,
        last.test_loss,
        gap(last),
        l2_norm(last)
    );
    assert!(last.train_loss < 0.05, "training loss {}", last.train_loss);
    assert_eq!(last.train_accuracy, Some(1.0));
    assert!(
        last.test_loss > 2.0 * best,
        "test loss {} against its best {best}",
        last.test_loss
    );
}

#[test]
fn l2_narrows_the_gap_and_shrinks_the_weights() {
    let plain = plain();
    let l2 = run(Regularization {
        l2: 3e-3,
        ..Default::default()
    });
    let (plain, l2) = (plain.last().unwrap(), l2.last().unwrap());
    eprintln!(
        "L2 3e-3: gap {:.4} vs {:.4} without, |w| {:.2} vs {:.2}, test loss {:.4} vs {:.4}",
        gap(l2),
        gap(plain),
        l2_norm(l2),
        l2_norm(plain),
        l2.test_loss,
        plain.test_loss
    );
    assert!(
        gap(l2) < 0.6 * gap(plain),
        "gap {} with L2, {} without",
        gap(l2),
        gap(plain)
    );
    assert!(
        l2_norm(l2) < 0.7 * l2_norm(plain),
        "weight norm {} with L2, {} without",
        l2_norm(l2),
        l2_norm(plain)
    );
    assert!(l2.test_loss < plain.test_loss);
}

#[test]
fn l1_narrows_the_gap_and_zeroes_weights() {
    let plain = plain();
    let l1 = run(Regularization {
        l1: 1e-3,
        ..Default::default()
    });
    let (plain, l1) = (plain.last().unwrap(), l1.last().unwrap());
    let total = weights(plain).count();
    eprintln!(
        "L1 1e-3: gap {:.4} vs {:.4} without, |w| < 1e-2: {} vs {} of {total}, |w| {:.2} vs {:.2}",
        gap(l1),
        gap(plain),
        near_zero(l1),
        near_zero(plain),
        l2_norm(l1),
        l2_norm(plain)
    );
    assert!(
        gap(l1) < 0.8 * gap(plain),
        "gap {} with L1, {} without",
        gap(l1),
        gap(plain)
    );
    assert!(
        near_zero(l1) > total / 2,
        "{} of {total} weights near 0 with L1",
        near_zero(l1)
    );
    assert!(
        near_zero(l1) > 5 * near_zero(plain),
        "{} weights near 0 with L1, {} without",
        near_zero(l1),
        near_zero(plain)
    );
}

#[test]
fn jitter_lowers_the_test_loss_and_narrows_the_gap() {
    let plain = plain();
    let jitter = run(Regularization {
        jitter: 0.2,
        ..Default::default()
    });
    let (plain, jitter) = (plain.last().unwrap(), jitter.last().unwrap());
    eprintln!(
        "jitter 0.2: test loss {:.4} vs {:.4} without, train loss {:.4} vs {:.4}, gap {:.4} vs {:.4}",
        jitter.test_loss,
        plain.test_loss,
        jitter.train_loss,
        plain.train_loss,
        gap(jitter),
        gap(plain)
    );
    assert!(
        jitter.test_loss < 0.7 * plain.test_loss,
        "test loss {} with jitter, {} without",
        jitter.test_loss,
        plain.test_loss
    );
    assert!(
        gap(jitter) < 0.6 * gap(plain),
        "gap {} with jitter, {} without",
        gap(jitter),
        gap(plain)
    );
}

/// Jitter moves the training inputs only: the batches hold the same points in the same order,
/// each a little off, with the same labels.
#[test]
fn jitter_perturbs_the_same_batches() {
    let device = common::device(BackendKind::Flex);
    let mut dealer = Trainer::new(overfitting_scene(), device.clone(), 2);
    let spec = TrainSpec {
        regularization: Regularization {
            jitter: 0.1,
            ..Default::default()
        },
        batch_size: 5,
        ..overfitting_scene()
    };
    let mut jittered = Trainer::new(spec.clone(), device.clone(), 2);
    let mut twin = Trainer::new(spec, device, 2);
    let mut plain = std::iter::from_fn(|| Some(dealer.next_batch())).flatten();
    for _ in 0..20 {
        let (batch, again) = (jittered.next_batch(), twin.next_batch());
        assert_eq!(batch, again, "the same seed jitters the same way");
        for point in batch {
            let original = plain.next().unwrap();
            assert_eq!(point.y, original.y);
            let moved = (point.x[0] - original.x[0]).hypot(point.x[1] - original.x[1]);
            assert!(moved > 0.0 && moved < 1.0, "moved by {moved}");
        }
    }
}

/// The first snapshot at which `patience` snapshots in a row brought no new best test loss,
/// worked out here from the losses alone.
fn expected_stop(snapshots: &[Snapshot], patience: usize) -> Option<usize> {
    let mut best = f32::INFINITY;
    let mut since = 0;
    snapshots.iter().position(|s| {
        if s.test_loss < best {
            best = s.test_loss;
            since = 0;
        } else {
            since += 1;
        }
        since >= patience
    })
}

#[test]
fn early_stopping_fires_after_its_patience_only() {
    let patience = 5;
    let eager = run(Regularization {
        early_stopping: Some(patience),
        ..Default::default()
    });
    let stop = eager
        .iter()
        .position(|s| s.stop_early)
        .expect("early stopping fired");
    eprintln!(
        "early stopping (patience {patience} × {EVERY} steps) at step {}, best test loss {:.4}",
        eager[stop].steps, eager[stop].best_test_loss
    );
    assert_eq!(Some(stop), expected_stop(&eager, patience));
    assert!(
        eager[stop..].iter().all(|s| s.stop_early),
        "it stays on once fired"
    );
    let mut best = f32::INFINITY;
    for s in &eager {
        best = best.min(s.test_loss);
        assert_eq!(s.best_test_loss, best, "best test loss at step {}", s.steps);
    }
    assert!(
        eager[stop].steps < STEPS / 2,
        "it fired only at step {}",
        eager[stop].steps
    );

    let patient = run(Regularization {
        early_stopping: Some(1000),
        ..Default::default()
    });
    assert!(
        patient.iter().all(|s| !s.stop_early),
        "a patience of 1000 snapshots ran out within {STEPS} steps"
    );
    let off = plain();
    assert!(off.iter().all(|s| !s.stop_early));
    // Early stopping only watches: the runs trained alike.
    assert_eq!(eager.last().unwrap().weights, off.last().unwrap().weights);

    // Only snapshots at new step counts count: repeating one does not use up the patience.
    let spec = TrainSpec {
        regularization: Regularization {
            early_stopping: Some(1),
            ..Default::default()
        },
        ..overfitting_scene()
    };
    let mut trainer = Trainer::new(spec, common::device(BackendKind::Flex), 2);
    for _ in 0..3 {
        assert!(
            !common::snapshot(&trainer).stop_early,
            "a repeated snapshot counted as one without a new best"
        );
    }
    for _ in 0..2000 {
        trainer.step();
    }
    // By now the test loss is above the initial one, the best these snapshots saw.
    let later = common::snapshot(&trainer);
    assert!(later.test_loss > later.best_test_loss && later.best_test_loss == eager[0].test_loss);
    assert!(
        later.stop_early,
        "one snapshot without a new best, patience 1"
    );
}

#[test]
fn dropout_is_random_in_training_steps_only() {
    let spec = TrainSpec {
        regularization: Regularization {
            dropout: 0.5,
            ..Default::default()
        },
        ..overfitting_scene()
    };
    let device = common::device(BackendKind::Flex);
    let mut trainer = Trainer::new(spec.clone(), device.clone(), 4);
    let batch = trainer.split().train.clone();
    let (a, b) = (
        value(trainer.training_loss(&batch)),
        value(trainer.training_loss(&batch)),
    );
    assert_ne!(
        a, b,
        "two training forward passes on one batch gave the same loss"
    );

    // Snapshots evaluate without dropout: the same as the network without dropout.
    let plain = Trainer::new(overfitting_scene(), device.clone(), 4);
    assert_eq!(common::snapshot(&trainer), common::snapshot(&plain));
    for _ in 0..20 {
        trainer.step();
    }
    let first = common::snapshot(&trainer);
    assert_eq!(
        first,
        common::snapshot(&trainer),
        "two snapshots without a step between differ"
    );
    assert!(first.train_loss.is_finite());

    // Without dropout the training loss is deterministic.
    let plain_loss = (
        value(plain.training_loss(&batch)),
        value(plain.training_loss(&batch)),
    );
    assert_eq!(plain_loss.0, plain_loss.1);
}

/// Training with dropout 0 (and every other regularization off) is the training loop as it was
/// before regularization existed, written out here, bit for bit.
#[test]
fn no_dropout_trains_bit_identically_to_the_plain_loop() {
    let spec = TrainSpec {
        regularization: Regularization {
            dropout: 0.0,
            l1: 0.0,
            l2: 0.0,
            early_stopping: None,
            jitter: 0.0,
        },
        batch_size: 8,
        ..overfitting_scene()
    };
    assert_eq!(spec.regularization, Regularization::default());
    let device = common::device(BackendKind::Flex);
    let mut trainer = Trainer::new(spec.clone(), device.clone(), 2);
    // A twin trainer deals the same batches.
    let mut dealer = Trainer::new(spec.clone(), device.clone(), 2);
    let mut model = Mlp::init(&spec.mlp, spec.seed, &device);
    let mut optimizer = spec.optimizer.build();
    for _ in 0..50 {
        trainer.step();
        let batch = dealer.next_batch();
        let inputs: Vec<f32> = batch.iter().flat_map(|p| p.x).collect();
        let inputs = Tensor::<2>::from_data(
            burn::tensor::TensorData::new(inputs, [batch.len(), 2]),
            &device,
        );
        let loss = train::loss(Task::Classification, model.forward(inputs), &batch);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optimizer.step(spec.learning_rate, model.clone(), grads);
    }
    let trained = common::snapshot(&trainer).weights;
    let reference: Vec<(Vec<f32>, Vec<f32>)> = model
        .parameter_tensors()
        .into_iter()
        .map(|(w, b)| {
            let read = |t: Tensor<1>| {
                pollster::block_on(t.into_data_async())
                    .unwrap()
                    .try_into_vec::<f32>()
                    .unwrap()
            };
            (read(w.flatten(0, 1)), read(b))
        })
        .collect();
    for (layer, (got, (weight, bias))) in trained.iter().zip(&reference).enumerate() {
        assert_eq!(&got.weight, weight, "layer {layer} weights");
        assert_eq!(&got.bias, bias, "layer {layer} biases");
    }
}

/// The training loss is the data loss plus `l1·Σ|w| + l2·Σw²` over the weights, biases left out.
#[test]
fn the_penalty_counts_weights_not_biases() {
    let scene = overfitting_scene();
    let device = common::device(BackendKind::Flex);
    let start = common::snapshot(&Trainer::new(scene.clone(), device.clone(), 2)).weights;
    // Large biases, which a penalty on them would make obvious.
    let biased: Vec<LayerWeights> = start
        .into_iter()
        .map(|layer| LayerWeights {
            bias: vec![3.0; layer.outputs],
            ..layer
        })
        .collect();
    let regularization = Regularization {
        l1: 0.01,
        l2: 0.02,
        ..Default::default()
    };
    let spec = TrainSpec {
        regularization: regularization.clone(),
        ..scene
    };
    let trainer = Trainer::resume(spec, device, 2, &biased, 0);
    let snapshot = common::snapshot(&trainer);
    let (abs, squares): (f32, f32) =
        weights(&snapshot).fold((0.0, 0.0), |(a, s), w| (a + w.abs(), s + w * w));
    let by_hand = 0.01 * abs + 0.02 * squares;
    assert!((regularization.penalty(&snapshot.weights) - by_hand).abs() < 1e-4 * by_hand);
    let training = value(trainer.training_loss(&trainer.split().train));
    let penalty = training - snapshot.train_loss;
    assert!(
        (penalty - by_hand).abs() < 1e-4 * by_hand,
        "penalty {penalty}, by hand {by_hand}"
    );
}

#[test]
fn the_histogram_counts_every_weight_once_and_clamps_outliers() {
    let layers = [
        LayerWeights {
            inputs: 2,
            outputs: 2,
            weight: vec![-5.0, -1.0, -0.99, 0.0],
            bias: vec![100.0, 100.0],
        },
        LayerWeights {
            inputs: 2,
            outputs: 1,
            weight: vec![0.49, 0.51],
            bias: vec![-100.0],
        },
        LayerWeights {
            inputs: 1,
            outputs: 1,
            weight: vec![1.0],
            bias: vec![0.0],
        },
        LayerWeights {
            inputs: 1,
            outputs: 1,
            weight: vec![7.0],
            bias: vec![0.0],
        },
    ];
    // Bins over [-1, 1]: [-1, -0.5), [-0.5, 0), [0, 0.5), [0.5, 1].
    assert_eq!(weight_histogram(&layers, 4, 1.0), vec![3, 0, 2, 3]);
    assert_eq!(weight_histogram(&layers, 1, 1.0), vec![8]);
    assert_eq!(weight_histogram(&layers, 0, 1.0), Vec::<usize>::new());

    let trained = run_short();
    let histogram = weight_histogram(&trained, 20, 0.5);
    let total: usize = trained.iter().map(|layer| layer.weight.len()).sum();
    assert_eq!(histogram.iter().sum::<usize>(), total);
}

fn run_short() -> Vec<LayerWeights> {
    let mut trainer = Trainer::new(overfitting_scene(), common::device(BackendKind::Flex), 2);
    for _ in 0..20 {
        trainer.step();
    }
    common::snapshot(&trainer).weights
}

#[test]
fn absurd_regularization_is_refused() {
    let refused = [
        Regularization {
            l1: -0.1,
            ..Default::default()
        },
        Regularization {
            l1: f32::NAN,
            ..Default::default()
        },
        Regularization {
            l2: -1e-6,
            ..Default::default()
        },
        Regularization {
            l2: f32::NAN,
            ..Default::default()
        },
        Regularization {
            l2: f32::INFINITY,
            ..Default::default()
        },
        Regularization {
            dropout: 1.0,
            ..Default::default()
        },
        Regularization {
            dropout: 1.5,
            ..Default::default()
        },
        Regularization {
            dropout: -0.1,
            ..Default::default()
        },
        Regularization {
            dropout: f32::NAN,
            ..Default::default()
        },
        Regularization {
            early_stopping: Some(0),
            ..Default::default()
        },
        Regularization {
            jitter: -0.1,
            ..Default::default()
        },
        Regularization {
            jitter: f32::NAN,
            ..Default::default()
        },
        Regularization {
            jitter: 1.5,
            ..Default::default()
        },
    ];
    for regularization in refused {
        let spec = TrainSpec {
            regularization,
            ..Default::default()
        };
        let error = spec
            .check()
            .expect_err(&format!("{:?} was accepted", spec.regularization));
        assert!(!error.is_empty());
    }
    let accepted = Regularization {
        l1: 0.0,
        l2: 1e-3,
        dropout: 0.0,
        early_stopping: Some(1),
        jitter: 0.1,
    };
    assert_eq!(
        TrainSpec {
            regularization: accepted,
            ..Default::default()
        }
        .check(),
        Ok(())
    );
    assert_eq!(
        TrainSpec {
            regularization: Regularization {
                dropout: 0.9,
                l1: 1e-4,
                ..Default::default()
            },
            ..Default::default()
        }
        .check(),
        Ok(())
    );
    assert_eq!(overfitting_scene().check(), Ok(()));
}
