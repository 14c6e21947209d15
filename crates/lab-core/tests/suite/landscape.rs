//! Loss landscapes: burn's autodiff gradients equal the analytic ones, and optimizers' paths
//! behave as the article says they do.

use crate::common;

use burn::tensor::{Tensor, TensorData};
use lab_core::backend::BackendKind;
use lab_core::landscape::{Surface, Tracer, trace};
use lab_core::optim::{OptimizerKind, OptimizerSpec};

/// The analytic gradients, written out here only as the reference.
fn analytic_gradient(surface: Surface, [x, y]: [f64; 2]) -> [f64; 2] {
    match surface {
        Surface::Rosenbrock => [
            -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
            200.0 * (y - x * x),
        ],
        Surface::Beale => {
            let terms = [(1.5, 1), (2.25, 2), (2.625, 3)];
            let mut g = [0.0, 0.0];
            for (c, k) in terms {
                let r = c - x + x * y.powi(k);
                g[0] += 2.0 * r * (y.powi(k) - 1.0);
                g[1] += 2.0 * r * x * k as f64 * y.powi(k - 1);
            }
            g
        }
        Surface::Saddle => [2.0 * x, -2.0 * y],
        Surface::IllConditioned => [x, 25.0 * y],
    }
}

#[test]
fn autodiff_gradients_equal_the_analytic_ones() {
    let device = common::device(BackendKind::Flex);
    for surface in Surface::ALL {
        for point in [[0.3f32, -0.7], [-1.2, 0.9], [0.8, 1.1]] {
            let xy = Tensor::<1>::from_data(TensorData::new(point.to_vec(), [2]), &device)
                .require_grad();
            let grads = surface.value(xy.clone().reshape([1, 2])).sum().backward();
            let g: Vec<f32> = xy.grad(&grads).unwrap().into_data().try_into_vec().unwrap();
            let expected = analytic_gradient(surface, [point[0] as f64, point[1] as f64]);
            for i in 0..2 {
                let tolerance = 1e-4 * expected[i].abs().max(1.0);
                assert!(
                    (g[i] as f64 - expected[i]).abs() < tolerance,
                    "{surface:?} at {point:?}: {g:?} vs {expected:?}"
                );
            }
        }
    }
}

#[test]
fn grid_values_follow_the_function() {
    let device = common::device(BackendKind::Flex).inner();
    let values = pollster::block_on(Surface::IllConditioned.grid(2, &device)).unwrap();
    // Cell centres of a 2×2 grid over [-3, 3]²: (±1.5, ±1.5), top row first.
    let expected = 0.5 * (1.5f32 * 1.5 + 25.0 * 1.5 * 1.5);
    assert_eq!(values.len(), 4);
    assert!(
        values.iter().all(|v| (v - expected).abs() < 1e-4),
        "{values:?}"
    );
}

fn path(surface: Surface, kind: OptimizerKind, lr: f64, steps: usize) -> Vec<[f32; 2]> {
    let device = common::device(BackendKind::Flex);
    pollster::block_on(trace(
        surface,
        &OptimizerSpec::defaults(kind),
        lr,
        surface.default_start(),
        steps,
        &device,
    ))
    .unwrap()
}

fn distance(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

#[test]
fn sgd_descends_the_bowl_to_its_minimum() {
    let visited = path(Surface::IllConditioned, OptimizerKind::Sgd, 0.03, 400);
    assert_eq!(visited.len(), 401);
    assert_eq!(visited[0], Surface::IllConditioned.default_start());
    assert!(
        distance(*visited.last().unwrap(), [0.0, 0.0]) < 1e-2,
        "ended at {:?}",
        visited.last()
    );
}

#[test]
fn adam_makes_headway_along_the_rosenbrock_valley() {
    let visited = path(Surface::Rosenbrock, OptimizerKind::Adam, 0.05, 1500);
    let start = distance(visited[0], [1.0, 1.0]);
    let end = distance(*visited.last().unwrap(), [1.0, 1.0]);
    assert!(
        end < start / 4.0,
        "Adam went from {start} to {end} away from the minimum"
    );
}

#[test]
fn sgd_slides_off_the_saddle() {
    let visited = path(Surface::Saddle, OptimizerKind::Sgd, 0.05, 60);
    let last = visited.last().unwrap();
    assert!(last[0].abs() < 0.1, "x is pulled to 0: {last:?}");
    assert!(
        last[1].abs() > 1.0,
        "y escapes along the unbounded direction: {last:?}"
    );
}

#[test]
fn a_bad_learning_rate_is_refused() {
    let device = common::device(BackendKind::Flex);
    for lr in [0.0, -1.0, f64::NAN] {
        let outcome = pollster::block_on(trace(
            Surface::Beale,
            &OptimizerSpec::Sgd,
            lr,
            [0.0, 0.0],
            5,
            &device,
        ));
        assert!(outcome.is_err(), "learning rate {lr} was accepted");
    }
}

#[test]
fn a_walk_taken_in_pieces_is_the_walk_taken_at_once() {
    let device = common::device(BackendKind::Flex);
    // Adam carries state from step to step: the pieces must share it.
    let spec = OptimizerSpec::defaults(OptimizerKind::Adam);
    let start = [-1.0, 1.5];
    let whole =
        pollster::block_on(trace(Surface::Rosenbrock, &spec, 0.05, start, 30, &device)).unwrap();
    let mut tracer = Tracer::new(Surface::Rosenbrock, &spec, 0.05, start, &device).unwrap();
    let mut pieces = vec![start];
    for steps in [7, 0, 13, 10] {
        pieces.extend(pollster::block_on(tracer.advance(steps)).unwrap());
    }
    assert_eq!(pieces, whole);
}
