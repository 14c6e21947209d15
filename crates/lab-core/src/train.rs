//! The playground's trainer: minibatch training of a dense network by one of burn's optimizers,
//! long file: the trainer, its snapshot and the scenes it is set up for change together.
//! with a snapshot of everything the page draws read back from the device in one transfer.

use std::cell::Cell;

use burn::module::Module;
use burn::nn::loss::{BinaryCrossEntropyLossConfig, MseLoss, Reduction};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, Normal};

use crate::backend::read_host;
use crate::data::{self, DataSpec, DatasetKind, Point, Split, Task};
use crate::mlp::{ActivationKind, LayerWeights, Mlp, MlpSpec};
use crate::optim::OptimizerSpec;
use crate::regularize::{EarlyStopping, Regularization};

/// Everything that determines a training run; equal specs train identically on a backend,
/// except with dropout, whose masks come from the backend's random generator (see
/// [`Trainer::new`]).
#[derive(Clone, Debug, PartialEq)]
pub struct TrainSpec {
    pub data: DataSpec,
    pub mlp: MlpSpec,
    pub learning_rate: f64,
    pub batch_size: usize,
    /// The optimizer and its hyper-parameters; the learning rate above is passed to it at
    /// every step.
    pub optimizer: OptimizerSpec,
    /// Seed of the initial weights and of the batch order.
    pub seed: u64,
    /// Penalties, dropout and early stopping; all off by default.
    pub regularization: Regularization,
}

impl Default for TrainSpec {
    fn default() -> Self {
        Self {
            data: DataSpec::default(),
            mlp: MlpSpec {
                hidden: vec![8, 8],
                activation: ActivationKind::Tanh,
            },
            learning_rate: 0.1,
            batch_size: 16,
            optimizer: OptimizerSpec::Sgd,
            seed: 1,
            regularization: Regularization::default(),
        }
    }
}

impl TrainSpec {
    /// Refuses settings no run can use, with a message for the visitor.
    pub fn check(&self) -> Result<(), String> {
        self.mlp.check()?;
        self.optimizer.check()?;
        self.regularization.check()?;
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(format!(
                "learning rate must be a positive number, not {}",
                self.learning_rate
            ));
        }
        if self.batch_size == 0 {
            return Err("batch size must be at least 1".into());
        }
        if !(0.0..=0.5).contains(&self.data.noise) {
            return Err(format!(
                "noise must be within 0..=0.5, not {}",
                self.data.noise
            ));
        }
        if !(0.05..=0.95).contains(&self.data.train_ratio) {
            return Err(format!(
                "train ratio must be within 5%..=95%, not {}",
                self.data.train_ratio
            ));
        }
        if self.data.samples < 4 {
            return Err("at least 4 samples".into());
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum TrainError {
    /// The loss or a weight became NaN or infinite.
    Diverged { step: usize },
    /// The device failed, e.g. a lost GPU.
    Device(String),
}

impl std::fmt::Display for TrainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrainError::Diverged { step } => write!(
                f,
                "training diverged at step {step}: the loss is no longer a finite number"
            ),
            TrainError::Device(message) => write!(f, "the compute device failed: {message}"),
        }
    }
}

/// What the page shows after some steps, all on the host.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub steps: usize,
    pub epochs: f32,
    pub train_loss: f32,
    pub test_loss: f32,
    /// Share of points classified right; `None` for regression.
    pub train_accuracy: Option<f32>,
    pub test_accuracy: Option<f32>,
    pub grid_resolution: usize,
    /// The network's prediction on each grid cell (see [`data::grid`]): a probability for
    /// classification, the value itself for regression.
    pub output_grid: Vec<f32>,
    /// Each hidden neuron's activation on the grid: `[layer][neuron][cell]`.
    pub neuron_grids: Vec<Vec<Vec<f32>>>,
    pub weights: Vec<LayerWeights>,
    /// The lowest test loss of this and the trainer's earlier snapshots.
    pub best_test_loss: f32,
    /// Whether early stopping's patience ran out: that many snapshots in a row (counting only
    /// snapshots at different step counts) brought no new best test loss. Once true it stays
    /// true; always false without early stopping. The trainer still steps when asked: pausing
    /// is the page's call. The best weights are not kept; the page can keep the snapshot whose
    /// `test_loss` equals `best_test_loss` and [`Trainer::resume`] from its weights.
    pub stop_early: bool,
}

pub struct Trainer {
    spec: TrainSpec,
    task: Task,
    device: Device,
    model: Mlp,
    optimizer: ModuleOptimizer,
    split: Split,
    batch_rng: StdRng,
    /// Draws the jitter noise; separate from `batch_rng` so that jitter leaves the order alone.
    jitter_rng: StdRng,
    order: Vec<usize>,
    cursor: usize,
    steps: usize,
    grid_resolution: usize,
    /// Train points, then test points, then grid cells: uploaded once, evaluated per snapshot.
    eval_inputs: Tensor<2>,
    /// Updated by [`Trainer::snapshot`], which only reads the trainer otherwise.
    early_stopping: Cell<EarlyStopping>,
}

impl Trainer {
    /// A trainer with freshly initialised weights. `device` must have autodiff enabled.
    ///
    /// With dropout, this seeds the backend's random generator from the spec's seed, so that a
    /// single run on its own is reproducible. That generator is shared (per backend, sometimes
    /// per process), so runs side by side draw from one stream and are not.
    ///
    /// # Panics
    ///
    /// If the dropout probability is outside `[0, 1)`; [`TrainSpec::check`] refuses it.
    pub fn new(spec: TrainSpec, device: Device, grid_resolution: usize) -> Self {
        let model = Mlp::init(&spec.mlp, spec.seed, &device);
        Self::with_model(spec, device, grid_resolution, model)
    }

    /// A trainer that continues from `weights`, e.g. on a CPU after the GPU was lost. The
    /// optimizer starts afresh: its state (momentum, moment estimates) is not carried over, nor
    /// is early stopping's (the best test loss and the snapshots since).
    pub fn resume(
        spec: TrainSpec,
        device: Device,
        grid_resolution: usize,
        weights: &[LayerWeights],
        steps: usize,
    ) -> Self {
        let model = Mlp::from_weights(&spec.mlp, weights, &device);
        let mut trainer = Self::with_model(spec, device, grid_resolution, model);
        trainer.steps = steps;
        trainer
    }

    fn with_model(spec: TrainSpec, device: Device, grid_resolution: usize, model: Mlp) -> Self {
        let dropout = spec.regularization.dropout;
        let model = model.with_dropout(dropout);
        if dropout > 0.0 {
            device.seed(spec.seed ^ 0xd409_0b07);
        }
        let split = spec.data.generate();
        let grid = data::grid(grid_resolution);
        let eval_points: Vec<[f32; 2]> = split
            .train
            .iter()
            .chain(&split.test)
            .map(|p| p.x)
            .chain(grid)
            .collect();
        // Evaluation needs no gradients: keep its inputs off the autodiff graph.
        let eval_inputs = inputs_tensor(&eval_points, &device.clone().inner());
        Self {
            task: spec.data.kind.task(),
            optimizer: spec.optimizer.build(),
            batch_rng: StdRng::seed_from_u64(spec.seed ^ 0x5eed_ba7c),
            jitter_rng: StdRng::seed_from_u64(spec.seed ^ 0x0717_7e25),
            order: (0..split.train.len()).collect(),
            cursor: usize::MAX,
            steps: 0,
            spec,
            device,
            model,
            split,
            grid_resolution,
            eval_inputs,
            early_stopping: Cell::new(EarlyStopping::default()),
        }
    }

    pub fn spec(&self) -> &TrainSpec {
        &self.spec
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn steps(&self) -> usize {
        self.steps
    }

    pub fn split(&self) -> &Split {
        &self.split
    }

    /// The next minibatch: the training set reshuffled every epoch, cut into batches, with
    /// fresh jitter noise on the inputs when [`Regularization::jitter`] is on.
    pub fn next_batch(&mut self) -> Vec<Point> {
        let batch = self.spec.batch_size.min(self.order.len());
        if self.cursor.saturating_add(batch) > self.order.len() {
            self.order.shuffle(&mut self.batch_rng);
            self.cursor = 0;
        }
        let mut points: Vec<Point> = self.order[self.cursor..self.cursor + batch]
            .iter()
            .map(|&i| self.split.train[i])
            .collect();
        self.cursor += batch;
        let jitter = self.spec.regularization.jitter;
        if jitter > 0.0 {
            let noise = Normal::new(0.0f32, jitter).expect("a finite, positive standard deviation");
            for x in points.iter_mut().flat_map(|point| &mut point.x) {
                *x += noise.sample(&mut self.jitter_rng);
            }
        }
        points
    }

    /// The loss a training step minimises on `batch`, on the autodiff device: the mean data
    /// loss plus the weight penalty, with dropout active (so two calls on the same batch differ
    /// when dropout is on). Shape `[1]`.
    pub fn training_loss(&self, batch: &[Point]) -> Tensor<1> {
        let inputs: Vec<[f32; 2]> = batch.iter().map(|p| p.x).collect();
        let output = self.model.forward(inputs_tensor(&inputs, &self.device));
        let data_loss = loss(self.task, output, batch);
        let weights = self
            .model
            .parameter_tensors()
            .into_iter()
            .map(|(weight, _)| weight);
        match self.spec.regularization.penalty_tensor(weights) {
            Some(penalty) => data_loss + penalty,
            None => data_loss,
        }
    }

    /// One optimizer step on the next minibatch. Nothing is read back, so on a GPU the
    /// work is only queued and many steps can be issued within one frame. Returns the
    /// minibatch's loss before the step (as [`Trainer::training_loss`]), for a caller that
    /// reads every step's loss back, as TensorFlow.js's loops in the benchmark do.
    pub fn step(&mut self) -> Tensor<1> {
        let batch = self.next_batch();
        let loss = self.training_loss(&batch);
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        self.model = self
            .optimizer
            .step(self.spec.learning_rate, self.model.clone(), grads);
        self.steps += 1;
        loss.detach()
    }

    /// Reads back losses, accuracies, the prediction maps and the weights in one transfer. The
    /// losses are the data losses without the regularization penalty, and dropout is off.
    ///
    /// Each snapshot at a new step count also counts towards early stopping (see
    /// [`Snapshot::stop_early`]); another snapshot at the same step count changes nothing, so
    /// snapshots without steps in between are equal.
    pub async fn snapshot(&self) -> Result<Snapshot, TrainError> {
        let model = self.model.valid();
        let (train_len, test_len) = (self.split.train.len(), self.split.test.len());
        let points = train_len + test_len;
        let cells = self.grid_resolution * self.grid_resolution;
        let (output, hidden) = model.forward_with_hidden(self.eval_inputs.clone());

        let mut parts: Vec<Tensor<1>> = vec![
            loss(
                self.task,
                output.clone().slice(0..train_len),
                &self.split.train,
            ),
            loss(
                self.task,
                output.clone().slice(train_len..points),
                &self.split.test,
            ),
            output.clone().flatten(0, 1),
        ];
        // Each neuron's map is a row of the transposed grid activations.
        parts.extend(hidden.iter().map(|h| {
            h.clone()
                .slice(points..points + cells)
                .transpose()
                .flatten(0, 1)
        }));
        for (weight, bias) in model.parameter_tensors() {
            parts.push(weight.flatten(0, 1));
            parts.push(bias);
        }
        let values = read_host(Tensor::<1>::cat(parts, 0))
            .await
            .map_err(TrainError::Device)?;

        let mut rest = values.as_slice();
        let mut take = |n: usize| {
            let (head, tail) = rest.split_at(n);
            rest = tail;
            head.to_vec()
        };
        let losses = take(2);
        let outputs = take(points + cells);
        let widths = self.spec.mlp.widths();
        let neuron_grids: Vec<Vec<Vec<f32>>> = self
            .spec
            .mlp
            .hidden
            .iter()
            .map(|&width| {
                take(width * cells)
                    .chunks(cells)
                    .map(<[f32]>::to_vec)
                    .collect()
            })
            .collect();
        let weights: Vec<LayerWeights> = widths
            .windows(2)
            .map(|pair| LayerWeights {
                inputs: pair[0],
                outputs: pair[1],
                weight: take(pair[0] * pair[1]),
                bias: take(pair[1]),
            })
            .collect();

        let finite = losses
            .iter()
            .chain(weights.iter().flat_map(|w| w.weight.iter().chain(&w.bias)))
            .all(|v| v.is_finite());
        if !finite {
            return Err(TrainError::Diverged { step: self.steps });
        }

        let accuracy = |logits: &[f32], points: &[Point]| match self.task {
            Task::Classification => Some(
                logits
                    .iter()
                    .zip(points)
                    .filter(|(z, p)| (**z > 0.0) == (p.y > 0.5))
                    .count() as f32
                    / points.len() as f32,
            ),
            Task::Regression => None,
        };
        let mut early_stopping = self.early_stopping.get();
        early_stopping.observe(
            self.steps,
            losses[1],
            self.spec.regularization.early_stopping,
        );
        self.early_stopping.set(early_stopping);

        let output_grid = outputs[points..].iter().map(|&z| match self.task {
            Task::Classification => 1.0 / (1.0 + (-z).exp()),
            Task::Regression => z,
        });
        Ok(Snapshot {
            steps: self.steps,
            epochs: (self.steps * self.spec.batch_size) as f32 / train_len as f32,
            train_loss: losses[0],
            test_loss: losses[1],
            train_accuracy: accuracy(&outputs[..train_len], &self.split.train),
            test_accuracy: accuracy(&outputs[train_len..points], &self.split.test),
            grid_resolution: self.grid_resolution,
            output_grid: output_grid.collect(),
            neuron_grids,
            weights,
            best_test_loss: early_stopping.best_test_loss,
            stop_early: early_stopping.stopped,
        })
    }
}

/// The mean loss of `output` against the points' targets: binary cross-entropy on logits
/// for classification, mean squared error for regression.
pub fn loss(task: Task, output: Tensor<2>, points: &[Point]) -> Tensor<1> {
    let device = output.device();
    let targets: Vec<f32> = points.iter().map(|p| p.y).collect();
    let shape = [points.len(), 1];
    match task {
        Task::Classification => {
            let labels: Vec<i64> = targets.iter().map(|&y| y as i64).collect();
            let labels = Tensor::<2, Int>::from_data(TensorData::new(labels, shape), &device);
            BinaryCrossEntropyLossConfig::new()
                .with_logits(true)
                .init(&device)
                .forward(output, labels)
        }
        Task::Regression => {
            let targets = Tensor::<2>::from_data(TensorData::new(targets, shape), &device);
            MseLoss::new().forward(output, targets, Reduction::Mean)
        }
    }
}

fn inputs_tensor(points: &[[f32; 2]], device: &Device) -> Tensor<2> {
    let flat: Vec<f32> = points.iter().flatten().copied().collect();
    Tensor::from_data(TensorData::new(flat, [points.len(), 2]), device)
}

/// A scene built to over-fit: 50 noisy circle points, half of them for training, and a network
/// far larger than the pattern needs (3 hidden layers of 24 tanh neurons, 1224 weights) trained
/// by plain SGD on full batches. Without regularization the training loss falls towards 0 (every
/// training point right, noise included) while the test loss bottoms out around step 300 and
/// then climbs, to about 3.5 times its best by step 3000 (on the CPU backends).
pub fn overfitting_scene() -> TrainSpec {
    TrainSpec {
        data: DataSpec {
            kind: DatasetKind::Circle,
            samples: 50,
            noise: 0.4,
            train_ratio: 0.5,
            seed: 7,
        },
        mlp: MlpSpec {
            hidden: vec![24, 24, 24],
            activation: ActivationKind::Tanh,
        },
        learning_rate: 0.3,
        batch_size: 25,
        optimizer: OptimizerSpec::Sgd,
        seed: 7,
        regularization: Regularization::default(),
    }
}
