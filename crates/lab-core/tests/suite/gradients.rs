//! Autodiff gradients of the dense network against central finite differences.

use crate::common;

use burn::tensor::{Tensor, TensorData};
use lab_core::backend::BackendKind;
use lab_core::data::{DataSpec, DatasetKind, Task};
use lab_core::mlp::{ActivationKind, LayerWeights, Mlp, MlpSpec};
use lab_core::train::loss;

fn loss_value(
    spec: &MlpSpec,
    weights: &[LayerWeights],
    task: Task,
    points: &[lab_core::data::Point],
) -> f64 {
    let device = common::device(BackendKind::Flex).inner();
    let model = Mlp::from_weights(spec, weights, &device);
    let inputs: Vec<f32> = points.iter().flat_map(|p| p.x).collect();
    let output = model.forward(Tensor::from_data(
        TensorData::new(inputs, [points.len(), 2]),
        &device,
    ));
    loss(task, output, points).into_scalar::<f32>() as f64
}

fn check(kind: DatasetKind, activation: ActivationKind) {
    let spec = MlpSpec {
        hidden: vec![4, 3],
        activation,
    };
    let task = kind.task();
    let points = DataSpec {
        kind,
        samples: 12,
        ..Default::default()
    }
    .generate()
    .train;
    let device = common::device(BackendKind::Flex);
    let model = Mlp::init(&spec, 7, &device);

    let inputs: Vec<f32> = points.iter().flat_map(|p| p.x).collect();
    let output = model.forward(Tensor::from_data(
        TensorData::new(inputs, [points.len(), 2]),
        &device,
    ));
    let grads = loss(task, output, &points).backward();
    let analytic: Vec<(Vec<f32>, Vec<f32>)> = model
        .gradients(&grads)
        .into_iter()
        .map(|(w, b)| {
            (
                w.into_data().try_into_vec().unwrap(),
                b.into_data().try_into_vec().unwrap(),
            )
        })
        .collect();
    let weights: Vec<LayerWeights> = model
        .parameter_tensors()
        .into_iter()
        .zip(spec.widths().windows(2))
        .map(|((w, b), pair)| LayerWeights {
            inputs: pair[0],
            outputs: pair[1],
            weight: w.into_data().try_into_vec().unwrap(),
            bias: b.into_data().try_into_vec().unwrap(),
        })
        .collect();

    let eps = 1e-2f32;
    let mut checked = 0;
    for layer in 0..weights.len() {
        for is_bias in [false, true] {
            let len = if is_bias {
                weights[layer].bias.len()
            } else {
                weights[layer].weight.len()
            };
            for i in 0..len {
                let shifted = |delta: f32| {
                    let mut w = weights.clone();
                    let slot = if is_bias {
                        &mut w[layer].bias[i]
                    } else {
                        &mut w[layer].weight[i]
                    };
                    *slot += delta;
                    loss_value(&spec, &w, task, &points)
                };
                let numeric = (shifted(eps) - shifted(-eps)) / (2.0 * eps as f64);
                let exact = if is_bias {
                    analytic[layer].1[i]
                } else {
                    analytic[layer].0[i]
                } as f64;
                let tolerance = 2e-3 + 2e-2 * numeric.abs();
                assert!(
                    (numeric - exact).abs() < tolerance,
                    "{kind:?}/{activation:?} layer {layer} {} {i}: autodiff {exact} vs finite difference {numeric}",
                    if is_bias { "bias" } else { "weight" },
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, (2 * 4 + 4) + (4 * 3 + 3) + (3 + 1));
}

#[test]
fn classification_gradients_match_finite_differences() {
    check(DatasetKind::Circle, ActivationKind::Tanh);
    check(DatasetKind::Xor, ActivationKind::Sigmoid);
    check(DatasetKind::Spiral, ActivationKind::Gelu);
}

#[test]
fn regression_gradients_match_finite_differences() {
    check(DatasetKind::Regression, ActivationKind::Tanh);
    check(DatasetKind::Regression, ActivationKind::Linear);
}
