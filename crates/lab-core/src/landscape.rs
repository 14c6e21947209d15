//! Article 1.2's loss landscapes: classic 2-D test functions, and the path an optimizer takes
//! across one from a start point. Values and gradients come from burn tensors and autodiff; no
//! derivative is written by hand.

use burn::module::{Module, Param};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};

use crate::backend::read_host;
use crate::optim::OptimizerSpec;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    /// (1 − x)² + 100(y − x²)²: a curved, flat-bottomed valley; minimum at (1, 1).
    Rosenbrock,
    /// Beale's function: steep walls and flat plateaus; minimum at (3, 0.5).
    Beale,
    /// x² − y²: a saddle point at the origin, unbounded below along y.
    Saddle,
    /// ½(x² + 25y²): a bowl 25 times steeper across than along; minimum at (0, 0).
    IllConditioned,
}

impl Surface {
    pub const ALL: [Surface; 4] = [
        Surface::Rosenbrock,
        Surface::Beale,
        Surface::Saddle,
        Surface::IllConditioned,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Surface::Rosenbrock => "rosenbrock",
            Surface::Beale => "beale",
            Surface::Saddle => "saddle",
            Surface::IllConditioned => "bowl",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.id() == id)
    }

    /// The drawn region: (x range, y range).
    pub fn domain(self) -> ([f32; 2], [f32; 2]) {
        match self {
            Surface::Rosenbrock => ([-2.0, 2.0], [-1.0, 3.0]),
            Surface::Beale => ([-4.5, 4.5], [-4.5, 4.5]),
            Surface::Saddle => ([-2.0, 2.0], [-2.0, 2.0]),
            Surface::IllConditioned => ([-3.0, 3.0], [-3.0, 3.0]),
        }
    }

    pub fn minimum(self) -> Option<[f32; 2]> {
        match self {
            Surface::Rosenbrock => Some([1.0, 1.0]),
            Surface::Beale => Some([3.0, 0.5]),
            Surface::Saddle => None,
            Surface::IllConditioned => Some([0.0, 0.0]),
        }
    }

    /// A start point that shows the surface's character.
    pub fn default_start(self) -> [f32; 2] {
        match self {
            Surface::Rosenbrock => [-1.5, 2.5],
            Surface::Beale => [-1.0, 3.5],
            Surface::Saddle => [-1.8, 0.05],
            Surface::IllConditioned => [-2.8, 2.0],
        }
    }

    /// The function's value at each row `[x, y]` of `points` (`[n, 2]` → `[n]`).
    pub fn value(self, points: Tensor<2>) -> Tensor<1> {
        let n = points.dims()[0];
        let x = points.clone().slice([0..n, 0..1]).reshape([n]);
        let y = points.slice([0..n, 1..2]).reshape([n]);
        match self {
            Surface::Rosenbrock => {
                let a = x.clone().neg() + 1.0;
                let b = y - x.powi_scalar(2);
                a.powi_scalar(2) + b.powi_scalar(2) * 100.0
            }
            Surface::Beale => {
                let term = |c: f32, power: i32| {
                    (x.clone() * (y.clone().powi_scalar(power) - 1.0))
                        .add_scalar(c)
                        .powi_scalar(2)
                };
                term(1.5, 1) + term(2.25, 2) + term(2.625, 3)
            }
            Surface::Saddle => x.powi_scalar(2) - y.powi_scalar(2),
            Surface::IllConditioned => (x.powi_scalar(2) + y.powi_scalar(2) * 25.0) * 0.5,
        }
    }

    /// Values on a `resolution`² grid over the domain, rows from the top (largest y) down.
    pub async fn grid(self, resolution: usize, device: &Device) -> Result<Vec<f32>, String> {
        let ([x0, x1], [y0, y1]) = self.domain();
        let step =
            |lo: f32, hi: f32, i: usize| lo + (hi - lo) * (i as f32 + 0.5) / resolution as f32;
        let points: Vec<f32> = (0..resolution)
            .flat_map(|row| {
                (0..resolution).flat_map(move |col| [step(x0, x1, col), step(y1, y0, row)])
            })
            .collect();
        let points = Tensor::<2>::from_data(
            TensorData::new(points, [resolution * resolution, 2]),
            device,
        );
        read_host(self.value(points)).await
    }
}

/// The one trainable point an optimizer moves across a surface.
#[derive(Module, Debug)]
struct Position {
    xy: Param<Tensor<1>>,
}

/// The points an optimizer visits from `start`, `start` first, over `steps` steps (fewer if the
/// value stops being finite). `device` must have autodiff enabled.
pub async fn trace(
    surface: Surface,
    optimizer: &OptimizerSpec,
    learning_rate: f64,
    start: [f32; 2],
    steps: usize,
    device: &Device,
) -> Result<Vec<[f32; 2]>, String> {
    let mut tracer = Tracer::new(surface, optimizer, learning_rate, start, device)?;
    let mut points = vec![start];
    points.extend(tracer.advance(steps).await?);
    Ok(points.into_iter().take_while(|p| finite(*p)).collect())
}

/// An optimizer's walk across a surface, a few steps at a time: a page shows the path as it
/// grows, and when the device fails it starts a new tracer elsewhere at the last point read
/// back. Like [`crate::train::Trainer::resume`], that new tracer's optimizer starts afresh.
pub struct Tracer {
    surface: Surface,
    learning_rate: f64,
    optim: ModuleOptimizer,
    position: Position,
}

impl Tracer {
    /// A walk from `start` (not itself returned by [`Tracer::advance`]). `device` must have
    /// autodiff enabled.
    pub fn new(
        surface: Surface,
        optimizer: &OptimizerSpec,
        learning_rate: f64,
        start: [f32; 2],
        device: &Device,
    ) -> Result<Self, String> {
        optimizer.check()?;
        if !(learning_rate.is_finite() && learning_rate > 0.0) {
            return Err(format!(
                "learning rate must be a positive number, not {learning_rate}"
            ));
        }
        let xy = Tensor::from_data(TensorData::new(start.to_vec(), [2]), device);
        Ok(Self {
            surface,
            learning_rate,
            optim: optimizer.build(),
            position: Position {
                xy: Param::from_tensor(xy),
            },
        })
    }

    /// Takes `steps` more steps and reads back the points they reach, in order, up to the first
    /// whose coordinates are not finite (fewer than `steps` means the walk is over).
    pub async fn advance(&mut self, steps: usize) -> Result<Vec<[f32; 2]>, String> {
        let mut visited = Vec::with_capacity(steps);
        for _ in 0..steps {
            let value = self
                .surface
                .value(self.position.xy.val().reshape([1, 2]))
                .sum();
            let grads = GradientsParams::from_grads(value.backward(), &self.position);
            let position = self.position.clone();
            self.position = self.optim.step(self.learning_rate, position, grads);
            visited.push(self.position.xy.val().detach());
        }
        if visited.is_empty() {
            return Ok(Vec::new());
        }
        let flat = read_host(Tensor::cat(visited, 0)).await?;
        Ok(flat
            .chunks(2)
            .map(|p| [p[0], p[1]])
            .take_while(|p| finite(*p))
            .collect())
    }
}

fn finite(point: [f32; 2]) -> bool {
    point.iter().all(|v| v.is_finite())
}
