//! The two rating models: biases only (a global mean, how a user rates, how a movie is rated),
//! and matrix factorisation, which adds a learned k-dimensional taste per user and per movie.

use burn::module::{Module, Param};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};

use super::data::Batch;

/// Spread of the initial tastes: small, so the first predictions are the biases'.
const INIT_STD: f32 = 0.1;

/// The mean of (r̂ − r)² over the batch.
pub fn squared_error(predicted: Tensor<1>, batch: &Batch) -> Tensor<1> {
    (predicted - batch.stars.clone()).square().mean()
}

/// A model's tensors, as [`loss`] reads them: μ `[1]`, b_user `[users]`, b_movie `[movies]`, and
/// for the factorisation p `[users, k]` and q `[movies, k]`.
#[derive(Clone, Debug)]
pub struct Parts {
    pub global: Tensor<1>,
    pub user_bias: Tensor<1>,
    pub movie_bias: Tensor<1>,
    pub tastes: Option<(Tensor<2>, Tensor<2>)>,
}

impl Parts {
    /// Predicted stars `[batch]`.
    pub fn predict(&self, users: Tensor<1, Int>, movies: Tensor<1, Int>) -> Tensor<1> {
        let biases = self.global.clone()
            + self.user_bias.clone().select(0, users.clone())
            + self.movie_bias.clone().select(0, movies.clone());
        match &self.tastes {
            None => biases,
            Some((p, q)) => {
                let [batch] = users.dims();
                let p = p.clone().select(0, users);
                let q = q.clone().select(0, movies);
                biases + (p * q).sum_dim(1).reshape([batch])
            }
        }
    }
}

/// Weights of the squared parameters in the loss, per rating: the biases need little (they are
/// two numbers per rating), the tastes much more (2k numbers, which otherwise learn each
/// training rating by heart).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Penalty {
    pub biases: f32,
    pub tastes: f32,
}

/// Both models' training loss: the mean squared error plus, averaged over the batch,
/// `penalty.biases` · (b_user² + b_movie²) + `penalty.tastes` · (|p_user|² + |q_movie|²). A free
/// function of the tensors, so that the gradient check can differentiate it and perturb them.
pub fn loss(parts: &Parts, batch: &Batch, penalty: Penalty) -> Tensor<1> {
    let users = batch.users.clone();
    let movies = batch.movies.clone();
    let mut regular = (parts.user_bias.clone().select(0, users.clone()).square()
        + parts.movie_bias.clone().select(0, movies.clone()).square())
        * penalty.biases;
    if let Some((p, q)) = &parts.tastes {
        let tastes = p.clone().select(0, users.clone()).square().sum_dim(1)
            + q.clone().select(0, movies.clone()).square().sum_dim(1);
        regular = regular + tastes.flatten(0, 1) * penalty.tastes;
    }
    squared_error(parts.predict(users, movies), batch) + regular.mean()
}

/// r̂ = μ + b_user + b_movie.
#[derive(Module, Debug)]
pub struct Biases {
    global: Param<Tensor<1>>,
    user: Param<Tensor<1>>,
    movie: Param<Tensor<1>>,
}

impl Biases {
    /// Zero biases around `mean`, the training ratings' mean, which stays fixed.
    pub fn init(users: usize, movies: usize, mean: f32, device: &Device) -> Self {
        let constant = |n, value: f32| {
            Param::from_tensor(Tensor::from_data(
                TensorData::new(vec![value; n], [n]),
                device,
            ))
        };
        Self {
            // μ stays the training mean: only the biases and tastes learn. As a parameter it
            // would get every rating's gradient at once, which the SGD family's large rate
            // (sized for rows that get a few ratings' worth, see `RecommendSpec`) blows up.
            global: constant(1, mean).set_require_grad(false),
            user: constant(users, 0.0),
            movie: constant(movies, 0.0),
        }
    }

    pub fn parts(&self) -> Parts {
        Parts {
            global: self.global.val(),
            user_bias: self.user.val(),
            movie_bias: self.movie.val(),
            tastes: None,
        }
    }
}

/// r̂ = μ + b_user + b_movie + p_user · q_movie.
#[derive(Module, Debug)]
pub struct Factorization {
    biases: Biases,
    users: Param<Tensor<2>>,
    movies: Param<Tensor<2>>,
}

impl Factorization {
    /// Zero biases around `mean` and `factors`-dimensional tastes drawn from N(0, 0.1²) with
    /// `seed`, on the host so that every backend starts from the same numbers.
    pub fn init(
        users: usize,
        movies: usize,
        factors: usize,
        mean: f32,
        seed: u64,
        device: &Device,
    ) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let normal = Normal::new(0.0f32, INIT_STD).expect("a positive spread");
        let mut draw = |rows: usize| {
            let values: Vec<f32> = (0..rows * factors)
                .map(|_| normal.sample(&mut rng))
                .collect();
            Param::from_tensor(Tensor::from_data(
                TensorData::new(values, [rows, factors]),
                device,
            ))
        };
        Self {
            users: draw(users),
            movies: draw(movies),
            biases: Biases::init(users, movies, mean, device),
        }
    }

    pub fn parts(&self) -> Parts {
        Parts {
            tastes: Some((self.users.val(), self.movies.val())),
            ..self.biases.parts()
        }
    }
}
