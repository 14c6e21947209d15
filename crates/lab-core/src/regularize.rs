//! Regularization as article 1.3 shows it: weight penalties (L1, L2), dropout, early stopping
//! and input jitter (data augmentation of the 2-D points), as plain data in [`TrainSpec`], plus
//! the helpers its
//! pictures need (a weight histogram, a scene that over-fits on purpose).
//!
//! # Conventions
//!
//! - **Penalties** apply to the weight matrices only, never to the biases, and are added to the
//!   mean data loss of every training step: `loss = data + l1·Σ|w| + l2·Σw²`. There is no ½ in
//!   front of the L2 term, so its gradient is `2·l2·w`. The penalty is part of the loss the
//!   optimizer sees, so its gradient goes through the optimizer like any other: with plain SGD,
//!   L2 equals weight decay of `λ = 2·l2`, but with Adam or RMSprop the penalty's gradient is
//!   rescaled per weight by the adaptive denominator. That is *coupled* L2, which differs from
//!   the *decoupled* weight decay of AdamW (`θ ← θ·(1 − lr·λ)`, outside the gradient; see
//!   [`crate::optim::OptimizerSpec::AdamW`]).
//! - The losses a [`Snapshot`](crate::train::Snapshot) reports are the data losses alone,
//!   without the penalty, so that train and test losses compare; [`Regularization::penalty`]
//!   gives the penalty from the snapshot's weights.
//! - **Dropout** is burn's [`Dropout`](burn::nn::Dropout) after every hidden activation, active
//!   in training steps only; snapshots evaluate the network without it (kept activations are
//!   scaled by `1/(1 − p)` in training, so nothing is rescaled at evaluation).
//! - **Early stopping** is counted in snapshots: after `patience` snapshots in a row without a
//!   new best test loss, [`Snapshot::stop_early`](crate::train::Snapshot::stop_early) turns true.
//! - **Jitter** is data augmentation for the playground's points: every training batch's inputs
//!   get fresh gaussian noise of standard deviation `jitter` (labels unchanged), drawn from a
//!   generator of its own seeded from the spec's seed, so the batch order and the initial
//!   weights are those of the same run without jitter. Test points and snapshots never jitter.

use burn::tensor::Tensor;

use crate::mlp::LayerWeights;

/// How a run is regularized; the default is everything off, training as without it.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Regularization {
    /// Strength of the L1 penalty `l1·Σ|w|` on the weight matrices (not the biases); at least 0.
    pub l1: f32,
    /// Strength of the L2 penalty `l2·Σw²` on the weight matrices (not the biases); at least 0.
    /// Coupled to the gradient, unlike AdamW's decoupled weight decay (see the module docs).
    pub l2: f32,
    /// Probability of dropping each hidden activation in a training step, in `[0, 1)`.
    pub dropout: f32,
    /// Patience: how many snapshots in a row without a new best test loss make
    /// [`Snapshot::stop_early`](crate::train::Snapshot::stop_early) true; `None` never stops.
    /// At least 1.
    pub early_stopping: Option<usize>,
    /// Standard deviation of the gaussian noise added afresh to each training batch's inputs
    /// (the points lie in `[-1, 1]²`); 0 is off. Within `[0, 1]`.
    pub jitter: f32,
}

impl Regularization {
    /// Refuses settings no run can use, with a message for the visitor.
    pub fn check(&self) -> Result<(), String> {
        for (name, value) in [("L1", self.l1), ("L2", self.l2)] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(format!(
                    "{name} strength must be a number of at least 0, not {value}"
                ));
            }
        }
        // `contains` is false for NaN.
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!(
                "dropout must be at least 0 and below 1, not {}",
                self.dropout
            ));
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err(format!("jitter must be within 0..=1, not {}", self.jitter));
        }
        if self.early_stopping == Some(0) {
            return Err("early-stopping patience must be at least 1 snapshot".into());
        }
        Ok(())
    }

    /// Whether the loss has a penalty term at all.
    pub fn penalizes(&self) -> bool {
        self.l1 != 0.0 || self.l2 != 0.0
    }

    /// The penalty `l1·Σ|w| + l2·Σw²` of these weights (biases excluded), computed on the host,
    /// e.g. from a [`Snapshot`](crate::train::Snapshot)'s weights.
    pub fn penalty(&self, weights: &[LayerWeights]) -> f32 {
        let (abs, squares) = weights
            .iter()
            .flat_map(|layer| &layer.weight)
            .fold((0.0f64, 0.0f64), |(a, s), &w| {
                (a + f64::from(w.abs()), s + f64::from(w) * f64::from(w))
            });
        (f64::from(self.l1) * abs + f64::from(self.l2) * squares) as f32
    }

    /// The penalty on the device as part of the autodiff graph, shape `[1]`; `None` when both
    /// strengths are 0, so that an unregularized step computes exactly what it always has.
    pub(crate) fn penalty_tensor(
        &self,
        weights: impl IntoIterator<Item = Tensor<2>>,
    ) -> Option<Tensor<1>> {
        if !self.penalizes() {
            return None;
        }
        weights
            .into_iter()
            .map(|weight| {
                let mut term: Option<Tensor<1>> = None;
                if self.l1 != 0.0 {
                    term = Some(weight.clone().abs().sum().mul_scalar(self.l1));
                }
                if self.l2 != 0.0 {
                    let l2 = weight.square().sum().mul_scalar(self.l2);
                    term = Some(match term {
                        Some(l1) => l1 + l2,
                        None => l2,
                    });
                }
                term.expect("one strength is not 0")
            })
            .reduce(|a, b| a + b)
    }
}

/// Early stopping's bookkeeping across snapshots, kept by the trainer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct EarlyStopping {
    pub best_test_loss: f32,
    /// Snapshots since the last new best.
    since_best: usize,
    /// The step of the last snapshot counted: a second snapshot at the same step counts nothing.
    last_step: Option<usize>,
    pub stopped: bool,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        Self {
            best_test_loss: f32::INFINITY,
            since_best: 0,
            last_step: None,
            stopped: false,
        }
    }
}

impl EarlyStopping {
    /// Counts the snapshot at `step`; once `stopped`, it stays so.
    pub fn observe(&mut self, step: usize, test_loss: f32, patience: Option<usize>) {
        if self.last_step == Some(step) {
            return;
        }
        self.last_step = Some(step);
        if test_loss < self.best_test_loss {
            self.best_test_loss = test_loss;
            self.since_best = 0;
        } else {
            self.since_best += 1;
        }
        if patience.is_some_and(|patience| self.since_best >= patience) {
            self.stopped = true;
        }
    }
}

/// How many weight-matrix entries (biases excluded) of all layers fall into each of `bins`
/// equal bins over `[-range, range]`, from the most negative bin up. Values outside the range
/// are counted in the end bins (NaN in the first), so the counts add up to the number of
/// weights. No bins give an empty histogram; `range` should be positive (with 0, negative
/// weights land in the first bin and the rest in the last).
pub fn weight_histogram(weights: &[LayerWeights], bins: usize, range: f32) -> Vec<usize> {
    let mut counts = vec![0; bins];
    let Some(last) = bins.checked_sub(1) else {
        return counts;
    };
    for &w in weights.iter().flat_map(|layer| &layer.weight) {
        let position = (w + range) / (2.0 * range) * bins as f32;
        // `as usize` saturates: negative and NaN give 0, +∞ the largest value.
        counts[(position as usize).min(last)] += 1;
    }
    counts
}
