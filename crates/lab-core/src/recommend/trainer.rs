//! Live training of both rating models on the same batches with the same optimizer, and their
//! held-out RMSE beside the global mean's.

use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::data::{Batch, Triple};
use super::model::{self, Biases, Factorization, Parts, Penalty, squared_error};
use super::suggest::MovieSide;
use crate::backend::read_host;
use crate::epochs::EpochClock;
use crate::optim::{OptimizerKind, OptimizerSpec};
use crate::saved::{self, Saved, SavedError};

/// The demo's id and its two models' name in a saved file; bump the version when either
/// architecture changes.
pub const SAVED_DEMO: &str = "recommend";
pub const SAVED_MODEL: &str = "biases-and-factorization-v1";
/// The setting that gives k, the length of the tastes.
const SAVED_FACTORS: &str = "factors";

/// Ratings per training step.
pub const BATCH_SIZE: usize = 1024;
/// How long the page trains: the held-out RMSE is lowest around here (measured on flex), and
/// rises slowly after it as the biases learn the training ratings by heart.
pub const EPOCHS: f32 = 14.0;
/// The longest tastes a saved file may hold: bounds the tables a file can make the page build.
const MAX_FACTORS: usize = 256;
/// Ratings per evaluation pass.
const EVAL_CHUNK: usize = 16_384;

/// What a training run is.
#[derive(Clone, Debug, PartialEq)]
pub struct RecommendSpec {
    pub optimizer: OptimizerSpec,
    pub learning_rate: f64,
    /// k, the length of each user's and movie's taste vector.
    pub factors: usize,
    pub penalty: Penalty,
    pub seed: u64,
}

impl RecommendSpec {
    /// `kind` with its published defaults and a learning rate that trains within the page's
    /// epochs (measured on flex). The loss is a mean over the batch, so a movie's row gets only
    /// its share of each step's gradient: plain SGD needs a rate of 10 for the biases to learn
    /// (60 diverges), momentum a fifth of it (its velocity adds up about ten steps), while the
    /// adaptive methods rescale each parameter's steps by its own gradients and take 0.005.
    /// With SGD and momentum the tastes hardly move in 14 epochs, and the page shows that.
    pub fn for_optimizer(kind: OptimizerKind) -> Self {
        let learning_rate = match kind {
            OptimizerKind::Adam | OptimizerKind::AdamW | OptimizerKind::RmsProp => 0.005,
            OptimizerKind::Momentum | OptimizerKind::Nesterov => 2.0,
            OptimizerKind::Sgd => 10.0,
        };
        Self {
            optimizer: OptimizerSpec::defaults(kind),
            learning_rate,
            factors: 32,
            penalty: Penalty {
                biases: 0.01,
                tastes: 0.15,
            },
            seed: 1,
        }
    }
}

impl Default for RecommendSpec {
    fn default() -> Self {
        Self::for_optimizer(OptimizerKind::Adam)
    }
}

/// Root mean squared errors, in stars, after some epochs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    pub epochs: f32,
    pub factorization_train: f32,
    pub factorization_test: f32,
    pub biases_test: f32,
    /// Predicting the training mean for everything: what any model must beat.
    pub mean_test: f32,
}

pub struct RecommendTrainer {
    factorization: Factorization,
    biases: Biases,
    factorization_optimizer: ModuleOptimizer,
    biases_optimizer: ModuleOptimizer,
    spec: RecommendSpec,
    /// Users × movies of the data set, which a saved file's tables must have.
    shape: (usize, usize),
    train: Vec<Triple>,
    test: Vec<Triple>,
    mean_test_rmse: f32,
    order: Vec<usize>,
    cursor: usize,
    rng: StdRng,
    steps: usize,
    device: Device,
}

impl RecommendTrainer {
    /// Fresh models for `users` × `movies` on `device` (autodiff enabled).
    pub fn new(
        spec: &RecommendSpec,
        (users, movies): (usize, usize),
        train: Vec<Triple>,
        test: Vec<Triple>,
        device: &Device,
    ) -> Self {
        let mean = mean_stars(&train);
        let mean_test_rmse = (test.iter().map(|r| (r.stars - mean).powi(2)).sum::<f32>()
            / test.len().max(1) as f32)
            .sqrt();
        let mut rng = StdRng::seed_from_u64(spec.seed);
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut rng);
        Self {
            factorization: Factorization::init(
                users,
                movies,
                spec.factors,
                mean,
                spec.seed,
                device,
            ),
            biases: Biases::init(users, movies, mean, device),
            factorization_optimizer: spec.optimizer.build(),
            biases_optimizer: spec.optimizer.build(),
            spec: spec.clone(),
            shape: (users, movies),
            train,
            test,
            mean_test_rmse,
            order,
            cursor: 0,
            rng,
            steps: 0,
            device: device.clone(),
        }
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
        let ratings: Vec<Triple> = self.order[self.cursor..end]
            .iter()
            .map(|&i| self.train[i])
            .collect();
        self.cursor = end;
        let batch = Batch::new(&ratings, &self.device);
        let rate = self.spec.learning_rate;

        let loss = model::loss(&self.factorization.parts(), &batch, self.spec.penalty);
        let grads = GradientsParams::from_grads(loss.backward(), &self.factorization);
        self.factorization =
            self.factorization_optimizer
                .step(rate, self.factorization.clone(), grads);

        let loss = model::loss(&self.biases.parts(), &batch, self.spec.penalty);
        let grads = GradientsParams::from_grads(loss.backward(), &self.biases);
        self.biases = self.biases_optimizer.step(rate, self.biases.clone(), grads);
        self.steps += 1;
    }

    /// Train and test RMSE of the factorisation and test RMSE of the biases, in one read-back.
    pub async fn evaluate(&self) -> Result<Evaluation, String> {
        let factorization = self.factorization.valid().parts();
        let biases = self.biases.valid().parts();
        let device = self.device.clone().inner();
        let sums = vec![
            mean_squared_error(&self.train, &factorization, &device),
            mean_squared_error(&self.test, &factorization, &device),
            mean_squared_error(&self.test, &biases, &device),
        ];
        let values = read_host(Tensor::cat(sums, 0).sqrt()).await?;
        Ok(Evaluation {
            epochs: self.epochs(),
            factorization_train: values[0],
            factorization_test: values[1],
            biases_test: values[2],
            mean_test: self.mean_test_rmse,
        })
    }

    /// Both models on the host with the steps behind them, for a saved file.
    pub async fn save(&self) -> Result<Saved, String> {
        let mut tensors = saved::prefixed(
            "factorization",
            saved::read_module(&self.factorization).await?,
        );
        tensors.extend(saved::prefixed(
            "biases",
            saved::read_module(&self.biases).await?,
        ));
        Ok(Saved {
            demo: SAVED_DEMO.into(),
            model: SAVED_MODEL.into(),
            steps: self.steps as u64,
            settings: [(SAVED_FACTORS.to_string(), self.spec.factors.to_string())].into(),
            tensors,
        })
    }

    /// Continues from `file`'s models and step count (the optimizers start afresh: the restored
    /// parameters are new to them); a file that does not fit this data set leaves the trainer as
    /// it was. The file's k may differ from the spec's: the tastes' length is read from it.
    pub fn restore(&mut self, file: &Saved) -> Result<(), SavedError> {
        file.expect_model(SAVED_MODEL)?;
        let factors = file.count_setting(SAVED_FACTORS, 1..=MAX_FACTORS)?;
        let (users, movies) = self.shape;
        // The fresh modules' values are all replaced; the mean and seed only fill them.
        let factorization = saved::restore_module(
            Factorization::init(users, movies, factors, 0.0, self.spec.seed, &self.device),
            file.part("factorization"),
        )?;
        let biases = saved::restore_module(
            Biases::init(users, movies, 0.0, &self.device),
            file.part("biases"),
        )?;
        self.factorization = factorization;
        self.biases = biases;
        self.spec.factors = factors;
        self.steps = usize::try_from(file.steps).unwrap_or(usize::MAX);
        self.cursor = self.order.len();
        Ok(())
    }

    /// The factorisation's movie side, read back for folding in the visitor and for the map.
    pub async fn movie_side(&self) -> Result<MovieSide, String> {
        let parts = self.factorization.valid().parts();
        let tastes = parts
            .tastes
            .map(|(_, q)| q)
            .expect("the factorisation has tastes");
        let [movies, factors] = tastes.dims();
        let values = read_host(Tensor::cat(
            vec![
                parts.global,
                parts.movie_bias,
                tastes.reshape([movies * factors]),
            ],
            0,
        ))
        .await?;
        Ok(MovieSide {
            global: values[0],
            bias: values[1..=movies].to_vec(),
            tastes: values[movies + 1..].to_vec(),
            factors,
            penalty: self.spec.penalty,
        })
    }
}

/// The training ratings' mean, where both models start.
fn mean_stars(ratings: &[Triple]) -> f32 {
    ratings.iter().map(|r| r.stars).sum::<f32>() / ratings.len().max(1) as f32
}

/// A model's mean squared error on `set` (`[1]`, not read back), in chunks.
fn mean_squared_error(set: &[Triple], model: &Parts, device: &Device) -> Tensor<1> {
    let mut sum = Tensor::<1>::zeros([1], device);
    for chunk in set.chunks(EVAL_CHUNK) {
        let batch = Batch::new(chunk, device);
        let predicted = model.predict(batch.users.clone(), batch.movies.clone());
        sum = sum + squared_error(predicted, &batch) * chunk.len() as f32;
    }
    sum / set.len().max(1) as f32
}
