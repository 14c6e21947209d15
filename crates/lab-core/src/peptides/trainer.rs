//! Live training of both peptide classifiers on the same batches with the same optimizer, their
//! held-out evaluation, and the trained network's reading of one sequence with saliency.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::data::{Batch, Peptide};
use super::model::{CompositionBaseline, PeptideCnn};
use crate::backend::read_host;
use crate::epochs::EpochClock;
use crate::optim::{OptimizerKind, OptimizerSpec};
use crate::saved::{self, Saved, SavedError};

/// The demo's id and its two models' name in a saved file; bump the version when either
/// architecture changes.
pub const SAVED_DEMO: &str = "peptides";
pub const SAVED_MODEL: &str = "peptide-cnn-and-composition-v1";
/// The setting that names the data set both models were trained on.
pub const SAVED_SET: &str = "set";

/// Peptides per training step.
pub const BATCH_SIZE: usize = 32;
/// How long the page trains: the held-out curves have flattened by then on both sets.
pub const EPOCHS: f32 = 30.0;
/// Peptides per evaluation pass: bounds the padded one-hot tensor of a long test set.
const EVAL_CHUNK: usize = 256;

/// What a training run is: the optimizer, its learning rate and the seed of the initial weights
/// and of the batch order.
#[derive(Clone, Debug, PartialEq)]
pub struct PeptideSpec {
    pub optimizer: OptimizerSpec,
    pub learning_rate: f64,
    pub seed: u64,
}

impl PeptideSpec {
    /// `kind` with its published defaults and a learning rate that trains both models within
    /// the page's 30 epochs: 0.005 for the adaptive methods, 0.1 for the SGD family, whose
    /// steps are not rescaled by gradient statistics.
    pub fn for_optimizer(kind: OptimizerKind) -> Self {
        Self {
            optimizer: OptimizerSpec::defaults(kind),
            learning_rate: if kind.is_adaptive() { 0.005 } else { 0.1 },
            seed: 1,
        }
    }
}

impl Default for PeptideSpec {
    fn default() -> Self {
        Self::for_optimizer(OptimizerKind::Adam)
    }
}

/// Loss and accuracy of one model on one set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score {
    pub loss: f32,
    pub accuracy: f32,
}

/// Both models on the train and test sets, after some epochs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    pub epochs: f32,
    pub cnn_train: Score,
    pub cnn_test: Score,
    pub baseline_test: Score,
}

/// The trained network's reading of one peptide.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    /// P(antimicrobial).
    pub probability: f32,
    /// Gradient × input of the antimicrobial log-odds, one value per residue: how much each
    /// residue, as it is, pushes the network towards "antimicrobial" (negative: away).
    pub saliency: Vec<f32>,
}

pub struct PeptideTrainer {
    cnn: PeptideCnn,
    baseline: CompositionBaseline,
    cnn_optimizer: ModuleOptimizer,
    baseline_optimizer: ModuleOptimizer,
    learning_rate: f64,
    train: Vec<Peptide>,
    test: Vec<Peptide>,
    order: Vec<usize>,
    cursor: usize,
    rng: StdRng,
    steps: usize,
    device: Device,
}

impl PeptideTrainer {
    /// Fresh models on `device` (autodiff enabled) for the `train`/`test` split.
    pub fn new(
        spec: &PeptideSpec,
        train: Vec<Peptide>,
        test: Vec<Peptide>,
        device: &Device,
    ) -> Self {
        device.seed(spec.seed);
        let mut rng = StdRng::seed_from_u64(spec.seed);
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut rng);
        Self {
            cnn: PeptideCnn::init(device),
            baseline: CompositionBaseline::init(device),
            cnn_optimizer: spec.optimizer.build(),
            baseline_optimizer: spec.optimizer.build(),
            learning_rate: spec.learning_rate,
            train,
            test,
            order,
            cursor: 0,
            rng,
            steps: 0,
            device: device.clone(),
        }
    }

    pub fn steps(&self) -> usize {
        self.steps
    }

    pub fn clock(&self) -> EpochClock {
        EpochClock {
            steps: self.steps,
            batch: BATCH_SIZE,
            examples: self.train.len(),
        }
    }

    pub fn epochs(&self) -> f32 {
        self.clock().epochs()
    }

    /// One minibatch step of both models on the same batch; reshuffles after each epoch.
    pub fn step(&mut self) {
        if self.cursor >= self.order.len() {
            self.order.shuffle(&mut self.rng);
            self.cursor = 0;
        }
        let end = (self.cursor + BATCH_SIZE).min(self.order.len());
        let peptides: Vec<&Peptide> = self.order[self.cursor..end]
            .iter()
            .map(|&i| &self.train[i])
            .collect();
        self.cursor = end;
        let batch = Batch::new(&peptides, &self.device);
        let loss = CrossEntropyLossConfig::new().init(&self.device);

        let cnn_loss = loss.forward(
            self.cnn.forward(batch.one_hot.clone(), batch.mask.clone()),
            batch.labels.clone(),
        );
        let grads = GradientsParams::from_grads(cnn_loss.backward(), &self.cnn);
        self.cnn = self
            .cnn_optimizer
            .step(self.learning_rate, self.cnn.clone(), grads);

        let baseline_loss = loss.forward(
            self.baseline.forward(batch.one_hot, batch.mask),
            batch.labels,
        );
        let grads = GradientsParams::from_grads(baseline_loss.backward(), &self.baseline);
        self.baseline =
            self.baseline_optimizer
                .step(self.learning_rate, self.baseline.clone(), grads);
        self.steps += 1;
    }

    /// Loss and accuracy of the network on the train and test sets and of the baseline on the
    /// test set, read back in one transfer.
    pub async fn evaluate(&self) -> Result<Evaluation, String> {
        let cnn = self.cnn.valid();
        let baseline = self.baseline.valid();
        let device = self.device.clone().inner();
        let cnn_forward = |one_hot, mask| cnn.forward(one_hot, mask);
        let baseline_forward = |one_hot, mask| baseline.forward(one_hot, mask);
        let mut sums = Vec::new();
        sums.extend(mean_loss_and_accuracy(&self.train, &cnn_forward, &device));
        sums.extend(mean_loss_and_accuracy(&self.test, &cnn_forward, &device));
        sums.extend(mean_loss_and_accuracy(
            &self.test,
            &baseline_forward,
            &device,
        ));
        let values = read_host(Tensor::cat(sums, 0)).await?;
        let score = |i: usize| Score {
            loss: values[2 * i],
            accuracy: values[2 * i + 1],
        };
        Ok(Evaluation {
            epochs: self.epochs(),
            cnn_train: score(0),
            cnn_test: score(1),
            baseline_test: score(2),
        })
    }

    /// Both models on the host, with the steps behind them and the set (`set_id`) they were
    /// trained on, for a saved file.
    pub async fn save(&self, set_id: &str) -> Result<Saved, String> {
        let mut tensors = saved::prefixed("cnn", saved::read_module(&self.cnn).await?);
        tensors.extend(saved::prefixed(
            "baseline",
            saved::read_module(&self.baseline).await?,
        ));
        Ok(Saved {
            demo: SAVED_DEMO.into(),
            model: SAVED_MODEL.into(),
            steps: self.steps as u64,
            settings: [(SAVED_SET.to_string(), set_id.to_string())].into(),
            tensors,
        })
    }

    /// Continues from `file`'s models and step count (the optimizers start afresh); a file that
    /// does not fit leaves the trainer as it was.
    pub fn restore(&mut self, file: &Saved) -> Result<(), SavedError> {
        file.expect_model(SAVED_MODEL)?;
        let cnn = saved::restore_module(PeptideCnn::init(&self.device), file.part("cnn"))?;
        let baseline = saved::restore_module(
            CompositionBaseline::init(&self.device),
            file.part("baseline"),
        )?;
        self.cnn = cnn;
        self.baseline = baseline;
        self.steps = usize::try_from(file.steps).unwrap_or(usize::MAX);
        self.cursor = self.order.len();
        Ok(())
    }

    /// The network being trained (on the autodiff device), for [`read`].
    pub fn network(&self) -> &PeptideCnn {
        &self.cnn
    }
}

/// A model's mean cross-entropy and accuracy on `set` (`[1]` each, not read back), in chunks that
/// bound the padded one-hot tensor of a long set.
fn mean_loss_and_accuracy(
    set: &[Peptide],
    forward: &dyn Fn(Tensor<3>, Tensor<3>) -> Tensor<2>,
    device: &Device,
) -> [Tensor<1>; 2] {
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let mut loss = Tensor::<1>::zeros([1], device);
    let mut correct = Tensor::<1>::zeros([1], device);
    for chunk in set.chunks(EVAL_CHUNK) {
        let refs: Vec<&Peptide> = chunk.iter().collect();
        let batch = Batch::new(&refs, device);
        let logits = forward(batch.one_hot, batch.mask);
        loss = loss + loss_fn.forward(logits.clone(), batch.labels.clone()) * chunk.len() as f32;
        let predicted = logits.argmax(1).reshape([chunk.len()]);
        correct = correct + predicted.equal(batch.labels).float().sum();
    }
    let n = set.len().max(1) as f32;
    [loss / n, correct / n]
}

/// P(antimicrobial) of `residues` under `cnn` and each residue's gradient × input, from burn's
/// autodiff through the network; `device` is `cnn`'s (autodiff enabled).
pub async fn read(cnn: &PeptideCnn, residues: &[u8], device: &Device) -> Result<Reading, String> {
    let peptide = Peptide {
        residues: residues.to_vec(),
        label: 0,
    };
    let batch = Batch::new(&[&peptide], device);
    let one_hot = batch.one_hot.require_grad();
    let logits = cnn.forward(one_hot.clone(), batch.mask);
    let log_odds = logits.clone().narrow(1, 1, 1) - logits.clone().narrow(1, 0, 1);
    let grads = log_odds.sum().backward();
    let gradient = one_hot
        .grad(&grads)
        .ok_or("autodiff gave no gradient for the input")?;
    // The one-hot input selects, at each position, the gradient of the residue that is there.
    let saliency = (gradient * one_hot.detach()).sum_dim(1).flatten::<1>(0, 2);
    let probability = softmax(logits.detach(), 1)
        .narrow(1, 1, 1)
        .flatten::<1>(0, 1);
    let values = read_host(Tensor::cat(vec![probability, saliency], 0)).await?;
    Ok(Reading {
        probability: values[0],
        saliency: values[1..].to_vec(),
    })
}
