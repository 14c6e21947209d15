//! The article's first example: a linear network with two inputs and one output, trained by
//! gradient descent on a single sample.
//!
//! ŷ = x·w,  e = ŷ − y,  L = ½e²,  ∂L/∂wᵢ = e·xᵢ,  wᵢ ← wᵢ − η·∂L/∂wᵢ.
//! The gradient here comes from burn's autodiff, so the page can set it beside the formula.

use burn::tensor::{Device, Tensor, TensorData};

use crate::backend::read_host;

/// The example's sample, learning rate and starting weights.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearExample {
    pub x: [f32; 2],
    pub y: f32,
    pub learning_rate: f32,
    pub initial_weights: [f32; 2],
}

impl Default for LinearExample {
    /// The article's sample x = [1, 2], y = 1.
    fn default() -> Self {
        Self {
            x: [1.0, 2.0],
            y: 1.0,
            learning_rate: 0.1,
            initial_weights: [0.5, -0.3],
        }
    }
}

/// One gradient-descent step, every intermediate value kept for display.
#[derive(Clone, Debug, PartialEq)]
pub struct ExampleStep {
    pub weights: [f32; 2],
    pub output: f32,
    pub error: f32,
    pub loss: f32,
    pub gradient: [f32; 2],
    pub next_weights: [f32; 2],
}

/// The shape rule the article's numpy snippet breaks: `a @ b` needs a's columns to equal b's rows.
pub fn matmul_shape(a: [usize; 2], b: [usize; 2]) -> Result<[usize; 2], String> {
    if a[1] == b[0] {
        Ok([a[0], b[1]])
    } else {
        Err(format!(
            "shapes ({},{}) and ({},{}) not aligned: {} (dim 1) != {} (dim 0)",
            a[0], a[1], b[0], b[1], a[1], b[0]
        ))
    }
}

impl LinearExample {
    /// Runs `steps` steps of gradient descent on `device` (which must have autodiff enabled).
    pub async fn run(&self, steps: usize, device: &Device) -> Result<Vec<ExampleStep>, String> {
        let mut weights = self.initial_weights;
        let mut history = Vec::with_capacity(steps);
        for _ in 0..steps {
            let step = self.step(weights, device).await?;
            weights = step.next_weights;
            history.push(step);
        }
        Ok(history)
    }

    async fn step(&self, weights: [f32; 2], device: &Device) -> Result<ExampleStep, String> {
        // The corrected shapes: x is a 1×2 row, w a 2×1 column, so x·w is 1×1.
        let x = Tensor::<2>::from_data(TensorData::new(self.x.to_vec(), [1, 2]), device);
        let w = Tensor::<2>::from_data(TensorData::new(weights.to_vec(), [2, 1]), device)
            .require_grad();
        let output = x.matmul(w.clone());
        let error = output.clone() - self.y;
        let loss = error.clone().powi_scalar(2) * 0.5;
        let grads = loss.backward();
        let gradient = w.grad(&grads).ok_or("autodiff gave no gradient for w")?;
        let next = w.clone().detach() - gradient.clone() * self.learning_rate;
        let values = read_host(Tensor::<1>::cat(
            vec![
                output.flatten(0, 1),
                error.flatten(0, 1),
                loss.flatten(0, 1),
                gradient.flatten(0, 1),
                next.flatten(0, 1),
            ],
            0,
        ))
        .await?;
        Ok(ExampleStep {
            weights,
            output: values[0],
            error: values[1],
            loss: values[2],
            gradient: [values[3], values[4]],
            next_weights: [values[5], values[6]],
        })
    }
}
