//! The playground's synthetic 2-D datasets, generated from a seed so that a URL reproduces them.
//!
//! Points live in the square [-1, 1]²; classification labels are 0 or 1, regression targets are
//! real numbers in about [-1, 1].

use std::f32::consts::PI;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};

/// What the network is asked to predict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// Two classes, labels 0 and 1; the network outputs one logit.
    Classification,
    /// One real target; the network outputs it directly.
    Regression,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatasetKind {
    Circle,
    Xor,
    Gaussians,
    Spiral,
    Regression,
}

impl DatasetKind {
    pub const ALL: [DatasetKind; 5] = [
        DatasetKind::Circle,
        DatasetKind::Xor,
        DatasetKind::Gaussians,
        DatasetKind::Spiral,
        DatasetKind::Regression,
    ];

    pub fn id(self) -> &'static str {
        match self {
            DatasetKind::Circle => "circle",
            DatasetKind::Xor => "xor",
            DatasetKind::Gaussians => "gauss",
            DatasetKind::Spiral => "spiral",
            DatasetKind::Regression => "regression",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.id() == id)
    }

    pub fn task(self) -> Task {
        match self {
            DatasetKind::Regression => Task::Regression,
            _ => Task::Classification,
        }
    }
}

/// One labelled point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub x: [f32; 2],
    pub y: f32,
}

/// Everything that determines a dataset; equal specs give equal points on every platform.
#[derive(Clone, Debug, PartialEq)]
pub struct DataSpec {
    pub kind: DatasetKind,
    pub samples: usize,
    /// Noise level in [0, 0.5]: how far points stray from the clean pattern.
    pub noise: f32,
    /// Fraction of the points used for training, in (0, 1); the rest is the test set.
    pub train_ratio: f32,
    pub seed: u64,
}

impl Default for DataSpec {
    fn default() -> Self {
        Self {
            kind: DatasetKind::Circle,
            samples: 400,
            noise: 0.1,
            train_ratio: 0.5,
            seed: 1,
        }
    }
}

/// A dataset split into training and test points.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    pub train: Vec<Point>,
    pub test: Vec<Point>,
}

impl DataSpec {
    pub fn generate(&self) -> Split {
        let mut rng = StdRng::seed_from_u64(self.seed);
        let mut points = generate_points(self.kind, self.samples, self.noise, &mut rng);
        points.shuffle(&mut rng);
        let train_len = ((points.len() as f32) * self.train_ratio).round() as usize;
        let train_len = train_len.clamp(1, points.len().saturating_sub(1).max(1));
        let test = points.split_off(train_len);
        Split {
            train: points,
            test,
        }
    }
}

fn generate_points(kind: DatasetKind, samples: usize, noise: f32, rng: &mut StdRng) -> Vec<Point> {
    let half = samples / 2;
    let jitter = Normal::new(0.0f32, noise.max(0.0) * 0.5).expect("finite standard deviation");
    let jittered = |x: f32, rng: &mut StdRng| (x + jitter.sample(rng)).clamp(-1.0, 1.0);
    match kind {
        DatasetKind::Circle => (0..samples)
            .map(|i| {
                let inside = i < half;
                let radius = if inside {
                    rng.random_range(0.0..0.45)
                } else {
                    rng.random_range(0.65..0.95)
                };
                let angle = rng.random_range(0.0..2.0 * PI);
                let x = [
                    jittered(radius * angle.cos(), rng),
                    jittered(radius * angle.sin(), rng),
                ];
                Point {
                    x,
                    y: if inside { 1.0 } else { 0.0 },
                }
            })
            .collect(),
        DatasetKind::Xor => (0..samples)
            .map(|_| {
                // Keep a small margin off the axes so the clean pattern is separable.
                let coordinate = |rng: &mut StdRng| {
                    let magnitude = rng.random_range(0.05..1.0f32);
                    if rng.random_bool(0.5) {
                        magnitude
                    } else {
                        -magnitude
                    }
                };
                let clean = [coordinate(rng), coordinate(rng)];
                let y = if clean[0] * clean[1] > 0.0 { 1.0 } else { 0.0 };
                Point {
                    x: [jittered(clean[0], rng), jittered(clean[1], rng)],
                    y,
                }
            })
            .collect(),
        DatasetKind::Gaussians => {
            let spread =
                Normal::new(0.0f32, 0.12 + noise * 0.5).expect("finite standard deviation");
            (0..samples)
                .map(|i| {
                    let (centre, y) = if i < half { (0.45, 1.0) } else { (-0.45, 0.0) };
                    let x = [
                        (centre + spread.sample(rng)).clamp(-1.0, 1.0),
                        (centre + spread.sample(rng)).clamp(-1.0, 1.0),
                    ];
                    Point { x, y }
                })
                .collect()
        }
        DatasetKind::Spiral => (0..samples)
            .map(|i| {
                let second = i >= half;
                let t = (i % half.max(1)) as f32 / half.max(1) as f32;
                let radius = 0.9 * t;
                let angle = 1.75 * t * 2.0 * PI + if second { PI } else { 0.0 };
                let x = [
                    jittered(radius * angle.sin(), rng),
                    jittered(radius * angle.cos(), rng),
                ];
                Point {
                    x,
                    y: if second { 0.0 } else { 1.0 },
                }
            })
            .collect(),
        DatasetKind::Regression => (0..samples)
            .map(|_| {
                let x = [
                    rng.random_range(-1.0..1.0f32),
                    rng.random_range(-1.0..1.0f32),
                ];
                let clean = 0.8 * (PI * x[0]).sin() * (0.5 * PI * x[1]).cos();
                Point {
                    x,
                    y: clean + jitter.sample(rng),
                }
            })
            .collect(),
    }
}

/// The centres of a `resolution`² grid of cells covering [-1, 1]², row by row from the top
/// (y = +1) down, as the heat maps draw them.
pub fn grid(resolution: usize) -> Vec<[f32; 2]> {
    let cell = 2.0 / resolution as f32;
    (0..resolution)
        .flat_map(|row| {
            (0..resolution).map(move |column| {
                [
                    -1.0 + cell * (column as f32 + 0.5),
                    1.0 - cell * (row as f32 + 0.5),
                ]
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_spec_same_points_and_split_sizes() {
        let spec = DataSpec {
            kind: DatasetKind::Spiral,
            samples: 300,
            train_ratio: 0.7,
            ..Default::default()
        };
        let split = spec.generate();
        assert_eq!(split, spec.generate());
        assert_eq!(split.train.len(), 210);
        assert_eq!(split.test.len(), 90);
        let other = DataSpec { seed: 2, ..spec }.generate();
        assert_ne!(split, other);
    }

    #[test]
    fn classification_sets_are_balanced_and_in_range() {
        for kind in DatasetKind::ALL
            .into_iter()
            .filter(|k| k.task() == Task::Classification)
        {
            let split = DataSpec {
                kind,
                noise: 0.5,
                ..Default::default()
            }
            .generate();
            let all: Vec<_> = split.train.iter().chain(&split.test).collect();
            let positives = all.iter().filter(|p| p.y == 1.0).count();
            assert!(all.iter().all(|p| p.y == 0.0 || p.y == 1.0), "{kind:?}");
            assert!(
                (150..=250).contains(&positives),
                "{kind:?} has {positives} positives of 400"
            );
            assert!(
                all.iter()
                    .all(|p| p.x.iter().all(|c| (-1.0..=1.0).contains(c))),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn grid_covers_the_square_top_row_first() {
        let cells = grid(4);
        assert_eq!(cells.len(), 16);
        assert_eq!(cells[0], [-0.75, 0.75]);
        assert_eq!(cells[15], [0.75, -0.75]);
    }
}
