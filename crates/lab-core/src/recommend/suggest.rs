//! The visitor as a new user: their taste and bias fitted to their own ratings with the movies'
//! side of the trained factorisation held fixed ("folding in"), their top movies, which of their
//! ratings pushed each one up, and a 2-D map of the movies' tastes.
//!
//! The fit is a ridge regression in k + 1 unknowns, solved exactly on the host (nalgebra's
//! Cholesky): with so few unknowns there is nothing to gain from a device, and an exact solution
//! makes each recommendation an exact sum of one share per rated movie.

use nalgebra::{DMatrix, DVector, SymmetricEigen};

use super::data::Rating;
use super::model::Penalty;

/// The trained factorisation's movie side, on the host.
#[derive(Clone, Debug, PartialEq)]
pub struct MovieSide {
    /// μ, the training mean the biases start from.
    pub global: f32,
    /// b_movie, one per movie.
    pub bias: Vec<f32>,
    /// q_movie, `movies × factors`, row-major.
    pub tastes: Vec<f32>,
    pub factors: usize,
    /// The training loss's weights per rating on squared biases and tastes.
    pub penalty: Penalty,
}

/// A movie suggested to the visitor.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub movie: u32,
    /// Predicted stars.
    pub stars: f32,
    /// Each of the visitor's rated movies with its share of the prediction above μ + b_movie
    /// (the shares sum to it exactly), largest push up first.
    pub shares: Vec<(u32, f32)>,
}

/// The visitor, folded in: A = ZᵀZ + λI over their rated movies' z = (q, 1), and the fitted
/// x = (p, b_user) = A⁻¹ Zᵀy.
pub struct Visitor {
    cholesky: nalgebra::Cholesky<f64, nalgebra::Dyn>,
    fitted: DVector<f64>,
    /// (movie, its z, the rating above μ + b_movie).
    rated: Vec<(u32, DVector<f64>, f64)>,
}

impl MovieSide {
    /// z = (q_movie, 1).
    fn features(&self, movie: u32) -> DVector<f64> {
        let row = movie as usize * self.factors;
        DVector::from_iterator(
            self.factors + 1,
            self.tastes[row..row + self.factors]
                .iter()
                .map(|&v| f64::from(v))
                .chain([1.0]),
        )
    }

    /// Fits the visitor's taste and bias to `ratings` (movies must be in range). The penalty is
    /// the training loss's, per rating, so λ grows with n (the "weighted-λ" of ALS-WR). `None`
    /// without ratings.
    pub fn fold_in(&self, ratings: &[Rating]) -> Option<Visitor> {
        if ratings.is_empty() {
            return None;
        }
        let size = self.factors + 1;
        let n = ratings.len() as f64;
        let mut a = DMatrix::<f64>::from_diagonal(&DVector::from_fn(size, |i, _| {
            let weight = if i < self.factors {
                self.penalty.tastes
            } else {
                self.penalty.biases
            };
            f64::from(weight) * n
        }));
        let mut zy = DVector::<f64>::zeros(size);
        let mut rated = Vec::with_capacity(ratings.len());
        for rating in ratings {
            let z = self.features(rating.movie);
            let y = f64::from(rating.stars)
                - f64::from(self.global)
                - f64::from(self.bias[rating.movie as usize]);
            a += &z * z.transpose();
            zy += &z * y;
            rated.push((rating.movie, z, y));
        }
        let cholesky = a.cholesky()?;
        let fitted = cholesky.solve(&zy);
        Some(Visitor {
            cholesky,
            fitted,
            rated,
        })
    }

    /// Predicted stars of `movie` for the visitor.
    pub fn predict(&self, visitor: &Visitor, movie: u32) -> f32 {
        let base = self.global + self.bias[movie as usize];
        base + self.features(movie).dot(&visitor.fitted) as f32
    }

    /// The `count` best of `candidates` for the visitor (their rated movies left out), each with
    /// every rated movie's share of it: the prediction above μ + b_movie is exactly
    /// Σ_j (zᵀA⁻¹z_j) · y_j over the rated movies j.
    pub fn suggest(&self, visitor: &Visitor, candidates: &[u32], count: usize) -> Vec<Suggestion> {
        let mut scored: Vec<(u32, f32)> = candidates
            .iter()
            .filter(|&&m| !visitor.rated.iter().any(|(r, _, _)| *r == m))
            .map(|&m| (m, self.predict(visitor, m)))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
            .into_iter()
            .take(count)
            .map(|(movie, stars)| {
                let weights = visitor.cholesky.solve(&self.features(movie));
                let mut shares: Vec<(u32, f32)> = visitor
                    .rated
                    .iter()
                    .map(|(rated, z, y)| (*rated, (weights.dot(z) * y) as f32))
                    .collect();
                shares.sort_by(|a, b| b.1.total_cmp(&a.1));
                Suggestion {
                    movie,
                    stars,
                    shares,
                }
            })
            .collect()
    }

    /// The two principal components of `movies`' tastes: one point per movie. Each axis's sign
    /// is fixed (its largest loading positive) so that the map does not flip between updates.
    pub fn map(&self, movies: &[u32]) -> Vec<[f32; 2]> {
        let k = self.factors;
        if movies.len() < 2 || k < 2 {
            return vec![[0.0, 0.0]; movies.len()];
        }
        let rows = DMatrix::<f64>::from_fn(movies.len(), k, |i, j| {
            f64::from(self.tastes[movies[i] as usize * k + j])
        });
        let mean = rows.row_mean();
        let centred = DMatrix::from_fn(movies.len(), k, |i, j| rows[(i, j)] - mean[j]);
        let covariance = centred.transpose() * &centred / (movies.len() - 1) as f64;
        let eigen = SymmetricEigen::new(covariance);
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
        let axes: Vec<DVector<f64>> = order[..2]
            .iter()
            .map(|&i| {
                let axis = eigen.eigenvectors.column(i).into_owned();
                let largest = axis
                    .iter()
                    .copied()
                    .fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
                if largest < 0.0 { -axis } else { axis }
            })
            .collect();
        (0..movies.len())
            .map(|i| {
                let row = centred.row(i).transpose();
                [row.dot(&axes[0]) as f32, row.dot(&axes[1]) as f32]
            })
            .collect()
    }
}
