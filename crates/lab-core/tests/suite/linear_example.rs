//! The article's example computed by burn's autodiff equals the closed-form formulas.

use crate::common;

use lab_core::backend::BackendKind;
use lab_core::linear_example::{LinearExample, matmul_shape};

#[test]
fn autodiff_steps_equal_the_formulas_on_every_cpu_backend() {
    let example = LinearExample::default();
    for kind in BackendKind::CPU {
        let steps = pollster::block_on(example.run(4, &common::device(kind))).unwrap();
        let mut w = example.initial_weights;
        for step in &steps {
            let output = example.x[0] * w[0] + example.x[1] * w[1];
            let error = output - example.y;
            let gradient = [error * example.x[0], error * example.x[1]];
            let next = [
                w[0] - example.learning_rate * gradient[0],
                w[1] - example.learning_rate * gradient[1],
            ];
            assert_eq!(step.weights, w);
            assert!((step.output - output).abs() < 1e-6);
            assert!((step.loss - 0.5 * error * error).abs() < 1e-6);
            assert!(
                (step.gradient[0] - gradient[0]).abs() < 1e-6
                    && (step.gradient[1] - gradient[1]).abs() < 1e-6
            );
            assert!(
                (step.next_weights[0] - next[0]).abs() < 1e-6
                    && (step.next_weights[1] - next[1]).abs() < 1e-6
            );
            w = step.next_weights;
        }
        // Gradient descent on this convex loss brings the error down every step.
        assert!(
            steps.windows(2).all(|p| p[1].loss < p[0].loss),
            "{}: {steps:?}",
            kind.id()
        );
    }
}

#[test]
fn the_article_shapes_do_not_multiply_and_the_fix_does() {
    assert!(
        matmul_shape([2, 1], [2, 1])
            .unwrap_err()
            .contains("not aligned")
    );
    assert_eq!(matmul_shape([1, 2], [2, 1]), Ok([1, 1]));
}
