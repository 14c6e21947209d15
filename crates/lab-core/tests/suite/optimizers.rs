//! The optimizers of the race, as `OptimizerSpec::build` configures burn's, against the published
//! long file: each optimizer's test beside its published update rule, written out in f64.
//! update rules written out here in plain f64; the settings they refuse; and the fairness of the
//! race itself (same start, same batches, only the optimizer differs).
//!
//! The rules are PyTorch's documented algorithms (torch.optim.SGD, Adam, AdamW, RMSprop), with
//! weight decay, AMSGrad and `maximize` off except where named. burn 0.22.1 follows each of them,
//! none differs, including these points where implementations often do:
//! - momentum: the first step's velocity is the raw gradient (no dampening on step 1), and
//!   dampening scales the new gradient, `b ← μ·b + (1−τ)·g`;
//! - Nesterov: the step is `g + μ·b` with the updated velocity `b`;
//! - Adam/AdamW: ε is added to the bias-corrected `√v̂`, not to the raw `√v` as in the
//!   "efficient" form of Kingma & Ba's Algorithm 1 (burn scales ε by `√(1−β₂ᵗ)` and divides the
//!   raw moments, which is algebraically PyTorch's placement; a test below tells them apart);
//! - AdamW: weight decay is decoupled and scaled by the learning rate, `θ ← θ·(1 − lr·λ)`,
//!   applied before the Adam step, which uses the moments of the raw gradient;
//! - RMSprop: ε is added after the square root, `g / (√ṽ + ε)`; the momentum buffer starts at 0;
//!   centered RMSprop uses `ṽ = v − ḡ²`.
//!
//! burn computes in f32 throughout, bias corrections included (PyTorch's default paths compute
//! those as Python floats, f64); that rounding is the only gap, and the cases keep it well inside
//! the tolerance. What does differ are burn's *default* hyper-parameters (see lab_core::optim),
//! which the lab does not use: `OptimizerSpec::build` sets every one.

use crate::common;

use burn::module::Param;
use burn::nn::Linear;
use burn::nn::loss::{MseLoss, Reduction};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use lab_core::backend::BackendKind;
use lab_core::data::{DataSpec, DatasetKind};
use lab_core::optim::{OptimizerKind, OptimizerSpec};
use lab_core::train::{TrainSpec, Trainer};

/// The tiny fixed problem: `y ≈ x·w + b` for 4 points in 2-D, mean squared error, so that the
/// gradient is exact on paper: with `r = X·w + b − y`, `∂L/∂w = (2/N)·Xᵀr` and
/// `∂L/∂b = (2/N)·Σr`.
const X: [[f32; 2]; 4] = [[1.0, 2.0], [-1.0, 0.5], [0.5, -1.5], [2.0, 1.0]];
const Y: [f32; 4] = [1.0, -0.5, 0.25, 2.0];
/// Initial parameters `[w₀, w₁, b]`.
const START: [f32; 3] = [0.3, -0.2, 0.1];
const STEPS: usize = 3;
const TOLERANCE: f64 = 1e-6;

fn gradient(theta: &[f64; 3]) -> [f64; 3] {
    let n = X.len() as f64;
    let mut grad = [0.0; 3];
    for (x, &y) in X.iter().zip(&Y) {
        let r = f64::from(x[0]) * theta[0] + f64::from(x[1]) * theta[1] + theta[2] - f64::from(y);
        grad[0] += 2.0 / n * r * f64::from(x[0]);
        grad[1] += 2.0 / n * r * f64::from(x[1]);
        grad[2] += 2.0 / n * r;
    }
    grad
}

/// The published rules, per parameter, in f64. Hyper-parameters are the spec's f32 values
/// widened exactly, so both sides use the same numbers.
struct Reference {
    spec: OptimizerSpec,
    /// Steps taken so far (PyTorch's `t` after the increment).
    t: i32,
    /// Momentum buffer `b` (SGD momentum, RMSprop momentum).
    buf: [f64; 3],
    /// First moment `m` (Adam) or the centered RMSprop gradient average `ḡ`.
    m: [f64; 3],
    /// Second moment `v` (Adam) or RMSprop's square average.
    v: [f64; 3],
}

impl Reference {
    fn new(spec: &OptimizerSpec) -> Self {
        Self {
            spec: spec.clone(),
            t: 0,
            buf: [0.0; 3],
            m: [0.0; 3],
            v: [0.0; 3],
        }
    }

    fn step(&mut self, theta: &mut [f64; 3], lr: f64) {
        let g = gradient(theta);
        self.t += 1;
        let t = self.t;
        for i in 0..3 {
            match self.spec {
                // θ ← θ − lr·g
                OptimizerSpec::Sgd => theta[i] -= lr * g[i],
                // b ← g at t = 1, else b ← μ·b + (1−τ)·g;  step = g + μ·b (Nesterov) or b;
                // θ ← θ − lr·step
                OptimizerSpec::Momentum {
                    momentum,
                    dampening,
                    nesterov,
                } => {
                    let (mu, tau) = (f64::from(momentum), f64::from(dampening));
                    self.buf[i] = if t == 1 {
                        g[i]
                    } else {
                        mu * self.buf[i] + (1.0 - tau) * g[i]
                    };
                    let step = if nesterov {
                        g[i] + mu * self.buf[i]
                    } else {
                        self.buf[i]
                    };
                    theta[i] -= lr * step;
                }
                // m ← β₁·m + (1−β₁)·g;  v ← β₂·v + (1−β₂)·g²;  m̂ = m/(1−β₁ᵗ);  v̂ = v/(1−β₂ᵗ);
                // θ ← θ − lr·m̂/(√v̂ + ε).  AdamW first decays θ ← θ − lr·λ·θ.
                OptimizerSpec::Adam {
                    beta_1,
                    beta_2,
                    epsilon,
                }
                | OptimizerSpec::AdamW {
                    beta_1,
                    beta_2,
                    epsilon,
                    ..
                } => {
                    if let OptimizerSpec::AdamW { weight_decay, .. } = self.spec {
                        theta[i] -= lr * f64::from(weight_decay) * theta[i];
                    }
                    let (b1, b2, eps) = (f64::from(beta_1), f64::from(beta_2), f64::from(epsilon));
                    self.m[i] = b1 * self.m[i] + (1.0 - b1) * g[i];
                    self.v[i] = b2 * self.v[i] + (1.0 - b2) * g[i] * g[i];
                    let m_hat = self.m[i] / (1.0 - b1.powi(t));
                    let v_hat = self.v[i] / (1.0 - b2.powi(t));
                    theta[i] -= lr * m_hat / (v_hat.sqrt() + eps);
                }
                // v ← α·v + (1−α)·g²;  ṽ = v, or centered: ḡ ← α·ḡ + (1−α)·g, ṽ = v − ḡ²;
                // with momentum μ > 0: b ← μ·b + g/(√ṽ + ε), θ ← θ − lr·b;
                // without: θ ← θ − lr·g/(√ṽ + ε)
                OptimizerSpec::RmsProp {
                    alpha,
                    epsilon,
                    momentum,
                    centered,
                } => {
                    let (a, eps, mu) = (f64::from(alpha), f64::from(epsilon), f64::from(momentum));
                    self.v[i] = a * self.v[i] + (1.0 - a) * g[i] * g[i];
                    let mut v_tilde = self.v[i];
                    if centered {
                        self.m[i] = a * self.m[i] + (1.0 - a) * g[i];
                        v_tilde -= self.m[i] * self.m[i];
                    }
                    let scaled = g[i] / (v_tilde.sqrt() + eps);
                    if mu > 0.0 {
                        self.buf[i] = mu * self.buf[i] + scaled;
                        theta[i] -= lr * self.buf[i];
                    } else {
                        theta[i] -= lr * scaled;
                    }
                }
            }
        }
    }
}

fn tensor<const D: usize>(values: Vec<f32>, shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

fn read(layer: &Linear) -> [f64; 3] {
    let weight: Vec<f32> = layer.weight.val().into_data().try_into_vec().unwrap();
    let bias: Vec<f32> = layer
        .bias
        .as_ref()
        .unwrap()
        .val()
        .into_data()
        .try_into_vec()
        .unwrap();
    [weight[0], weight[1], bias[0]].map(f64::from)
}

/// burn's parameters after each of `STEPS` steps of `spec.build()` on the fixed problem.
fn burn_trajectory(spec: &OptimizerSpec, lr: f64, device: &Device) -> Vec<[f64; 3]> {
    let mut layer = Linear {
        weight: Param::from_tensor(tensor(START[..2].to_vec(), [2, 1], device)),
        bias: Some(Param::from_tensor(tensor(vec![START[2]], [1], device))),
    };
    let inputs = tensor(X.iter().flatten().copied().collect(), [X.len(), 2], device);
    let targets = tensor(Y.to_vec(), [Y.len(), 1], device);
    let mut optimizer = spec.build();
    (0..STEPS)
        .map(|_| {
            let loss = MseLoss::new().forward(
                layer.forward(inputs.clone()),
                targets.clone(),
                Reduction::Mean,
            );
            let grads = GradientsParams::from_grads(loss.backward(), &layer);
            layer = optimizer.step(lr, layer.clone(), grads);
            read(&layer)
        })
        .collect()
}

fn reference_trajectory(spec: &OptimizerSpec, lr: f64) -> Vec<[f64; 3]> {
    let mut reference = Reference::new(spec);
    let mut theta = START.map(f64::from);
    (0..STEPS)
        .map(|_| {
            reference.step(&mut theta, lr);
            theta
        })
        .collect()
}

/// Each optimizer at its defaults and at settings that exercise its other branches, with a
/// learning rate that moves the parameters visibly but keeps the gradients far from 0.
fn cases() -> Vec<(&'static str, OptimizerSpec, f64)> {
    vec![
        ("SGD", OptimizerSpec::Sgd, 0.1),
        (
            "momentum",
            OptimizerSpec::defaults(OptimizerKind::Momentum),
            0.05,
        ),
        (
            "dampened momentum",
            OptimizerSpec::Momentum {
                momentum: 0.8,
                dampening: 0.25,
                nesterov: false,
            },
            0.05,
        ),
        (
            "Nesterov",
            OptimizerSpec::defaults(OptimizerKind::Nesterov),
            0.05,
        ),
        // burn computes the bias corrections in f32, where 1 − 0.999ᵗ keeps only about 5 digits
        // (β₂ᵗ rounds at 6e-8 against a difference of 2e-3 at t = 2): Adam's step is off by some
        // 3e-6 of itself. A smaller learning rate keeps that well inside the tolerance.
        ("Adam", OptimizerSpec::defaults(OptimizerKind::Adam), 0.02),
        // A large ε, so that where it is added shows in the result.
        (
            "Adam, large epsilon",
            OptimizerSpec::Adam {
                beta_1: 0.8,
                beta_2: 0.95,
                epsilon: 0.05,
            },
            0.05,
        ),
        ("AdamW", OptimizerSpec::defaults(OptimizerKind::AdamW), 0.02),
        (
            "AdamW, strong decay",
            OptimizerSpec::AdamW {
                beta_1: 0.85,
                beta_2: 0.99,
                epsilon: 1e-3,
                weight_decay: 0.5,
            },
            0.05,
        ),
        (
            "RMSprop",
            OptimizerSpec::defaults(OptimizerKind::RmsProp),
            0.01,
        ),
        (
            "centered RMSprop with momentum",
            OptimizerSpec::RmsProp {
                alpha: 0.9,
                epsilon: 1e-4,
                momentum: 0.9,
                centered: true,
            },
            0.01,
        ),
        (
            "RMSprop with momentum",
            OptimizerSpec::RmsProp {
                alpha: 0.9,
                epsilon: 1e-6,
                momentum: 0.5,
                centered: false,
            },
            0.01,
        ),
    ]
}

#[test]
fn every_optimizer_follows_its_published_update_rule() {
    // The gradients stay well away from 0 over the run, so the normalising optimizers (Adam,
    // RMSprop) do not amplify f32 rounding beyond the tolerance.
    assert!(
        gradient(&START.map(f64::from))
            .iter()
            .all(|g| g.abs() > 0.3),
        "{:?}",
        gradient(&START.map(f64::from))
    );
    let kinds: Vec<OptimizerKind> = cases().iter().map(|(_, spec, _)| spec.kind()).collect();
    assert!(
        OptimizerKind::ALL.iter().all(|kind| kinds.contains(kind)),
        "a kind is left untested"
    );

    for backend in BackendKind::CPU {
        let device = common::device(backend);
        for (name, spec, lr) in cases() {
            spec.check()
                .unwrap_or_else(|error| panic!("{name}: {error}"));
            let expected = reference_trajectory(&spec, lr);
            let actual = burn_trajectory(&spec, lr, &device);
            let mut previous = START.map(f64::from);
            for (step, (expected, actual)) in expected.iter().zip(&actual).enumerate() {
                for i in 0..3 {
                    let diff = (expected[i] - actual[i]).abs();
                    assert!(
                        diff < TOLERANCE,
                        "{} {name}, step {}, parameter {i}: burn {} vs rule {} (off by {diff:e})",
                        backend.id(),
                        step + 1,
                        actual[i],
                        expected[i],
                    );
                    // Every parameter moves by far more than the tolerance at every step, so
                    // the comparison is meaningful.
                    assert!(
                        (expected[i] - previous[i]).abs() > 100.0 * TOLERANCE,
                        "{name}: step {} barely moves",
                        step + 1
                    );
                }
                previous = *expected;
            }
        }
    }
}

/// The "efficient" form of Kingma & Ba's Algorithm 1 adds ε to the raw `√v`:
/// `θ ← θ − lr·(√(1−β₂ᵗ)/(1−β₁ᵗ))·m/(√v + ε)`. burn, like PyTorch, does not: on the large-ε case
/// the two forms part by far more than the tolerance, so the rule test above tells them apart.
#[test]
fn adam_adds_epsilon_after_the_bias_correction() {
    let (beta_1, beta_2, epsilon, lr) = (0.8f32, 0.95f32, 0.05f32, 0.05);
    let spec = OptimizerSpec::Adam {
        beta_1,
        beta_2,
        epsilon,
    };
    let (b1, b2, eps) = (f64::from(beta_1), f64::from(beta_2), f64::from(epsilon));
    let g = gradient(&START.map(f64::from));
    let efficient_form: Vec<f64> = (0..3)
        .map(|i| {
            let (m, v) = ((1.0 - b1) * g[i], (1.0 - b2) * g[i] * g[i]);
            f64::from(START[i]) - lr * (1.0 - b2).sqrt() / (1.0 - b1) * m / (v.sqrt() + eps)
        })
        .collect();
    let actual = burn_trajectory(&spec, lr, &common::device(BackendKind::Flex))[0];
    let expected = reference_trajectory(&spec, lr)[0];
    for i in 0..3 {
        assert!(
            (actual[i] - expected[i]).abs() < TOLERANCE,
            "parameter {i}: burn {} vs PyTorch's rule {}",
            actual[i],
            expected[i]
        );
        assert!(
            (actual[i] - efficient_form[i]).abs() > 1e3 * TOLERANCE,
            "parameter {i}: the two epsilon placements agree, so the rule test cannot tell them apart"
        );
    }
}

/// Every f32 hyper-parameter of `spec`, each in turn set to `value`.
fn each_field_set_to(spec: &OptimizerSpec, value: f32) -> Vec<OptimizerSpec> {
    match spec.clone() {
        OptimizerSpec::Sgd => vec![],
        OptimizerSpec::Momentum {
            momentum,
            dampening,
            nesterov,
        } => vec![
            OptimizerSpec::Momentum {
                momentum: value,
                dampening,
                nesterov,
            },
            OptimizerSpec::Momentum {
                momentum,
                dampening: value,
                nesterov,
            },
        ],
        OptimizerSpec::Adam {
            beta_1,
            beta_2,
            epsilon,
        } => vec![
            OptimizerSpec::Adam {
                beta_1: value,
                beta_2,
                epsilon,
            },
            OptimizerSpec::Adam {
                beta_1,
                beta_2: value,
                epsilon,
            },
            OptimizerSpec::Adam {
                beta_1,
                beta_2,
                epsilon: value,
            },
        ],
        OptimizerSpec::AdamW {
            beta_1,
            beta_2,
            epsilon,
            weight_decay,
        } => vec![
            OptimizerSpec::AdamW {
                beta_1: value,
                beta_2,
                epsilon,
                weight_decay,
            },
            OptimizerSpec::AdamW {
                beta_1,
                beta_2: value,
                epsilon,
                weight_decay,
            },
            OptimizerSpec::AdamW {
                beta_1,
                beta_2,
                epsilon: value,
                weight_decay,
            },
            OptimizerSpec::AdamW {
                beta_1,
                beta_2,
                epsilon,
                weight_decay: value,
            },
        ],
        OptimizerSpec::RmsProp {
            alpha,
            epsilon,
            momentum,
            centered,
        } => vec![
            OptimizerSpec::RmsProp {
                alpha: value,
                epsilon,
                momentum,
                centered,
            },
            OptimizerSpec::RmsProp {
                alpha,
                epsilon: value,
                momentum,
                centered,
            },
            OptimizerSpec::RmsProp {
                alpha,
                epsilon,
                momentum: value,
                centered,
            },
        ],
    }
}

#[test]
fn absurd_hyper_parameters_are_refused() {
    for kind in OptimizerKind::ALL {
        let defaults = OptimizerSpec::defaults(kind);
        assert_eq!(defaults.check(), Ok(()), "{kind:?} defaults");
        for value in [f32::NAN, -0.1, -1e-9, f32::INFINITY, f32::NEG_INFINITY] {
            for spec in each_field_set_to(&defaults, value) {
                let error = spec.check().expect_err(&format!("{spec:?} was accepted"));
                assert!(
                    error.starts_with(kind.label()),
                    "the message names the optimizer: {error}"
                );
                let train = TrainSpec {
                    optimizer: spec.clone(),
                    ..Default::default()
                };
                assert_eq!(
                    train.check(),
                    Err(error),
                    "TrainSpec::check passes the optimizer's refusal on"
                );
            }
        }
        // SGD's only setting is the learning rate, which TrainSpec::check refuses for every kind.
        for learning_rate in [f64::NAN, -0.1, 0.0, f64::INFINITY] {
            let train = TrainSpec {
                optimizer: defaults.clone(),
                learning_rate,
                ..Default::default()
            };
            assert!(
                train.check().is_err(),
                "{kind:?} accepted learning rate {learning_rate}"
            );
        }
    }

    // Out of range though positive: decay rates and momenta of 1 or more, ε of 0.
    for spec in [
        OptimizerSpec::Momentum {
            momentum: 1.0,
            dampening: 0.0,
            nesterov: false,
        },
        OptimizerSpec::Momentum {
            momentum: 0.9,
            dampening: 1.0,
            nesterov: false,
        },
        OptimizerSpec::Adam {
            beta_1: 1.0,
            beta_2: 0.999,
            epsilon: 1e-8,
        },
        OptimizerSpec::Adam {
            beta_1: 0.9,
            beta_2: 1.5,
            epsilon: 1e-8,
        },
        OptimizerSpec::Adam {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 0.0,
        },
        OptimizerSpec::AdamW {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 0.0,
            weight_decay: 0.01,
        },
        OptimizerSpec::RmsProp {
            alpha: 1.0,
            epsilon: 1e-8,
            momentum: 0.0,
            centered: false,
        },
        OptimizerSpec::RmsProp {
            alpha: 0.99,
            epsilon: 1e-8,
            momentum: 1.0,
            centered: true,
        },
        // Nesterov needs momentum and no dampening, as PyTorch requires.
        OptimizerSpec::Momentum {
            momentum: 0.9,
            dampening: 0.1,
            nesterov: true,
        },
        OptimizerSpec::Momentum {
            momentum: 0.0,
            dampening: 0.0,
            nesterov: true,
        },
    ] {
        assert!(spec.check().is_err(), "{spec:?} was accepted");
    }

    // The edges that are fine: no momentum, no decay, zero betas.
    for spec in [
        OptimizerSpec::Momentum {
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
        },
        OptimizerSpec::Adam {
            beta_1: 0.0,
            beta_2: 0.0,
            epsilon: 1e-8,
        },
        OptimizerSpec::AdamW {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-8,
            weight_decay: 0.0,
        },
        OptimizerSpec::RmsProp {
            alpha: 0.0,
            epsilon: 1e-8,
            momentum: 0.0,
            centered: true,
        },
    ] {
        assert_eq!(spec.check(), Ok(()), "{spec:?}");
    }
}

#[test]
fn ids_round_trip() {
    for kind in OptimizerKind::ALL {
        assert_eq!(OptimizerKind::from_id(kind.id()), Some(kind));
        let spec = OptimizerSpec::from_id(kind.id()).expect("a known id");
        assert_eq!(spec, OptimizerSpec::defaults(kind));
        assert_eq!((spec.kind(), spec.id()), (kind, kind.id()));
    }
    assert_eq!(OptimizerSpec::from_id("lbfgs"), None);
    let nesterov = OptimizerSpec::Momentum {
        momentum: 0.5,
        dampening: 0.0,
        nesterov: true,
    };
    assert_eq!(nesterov.id(), "nesterov");
    // The trainer's default is plain SGD, as before optimizers could be chosen.
    assert_eq!(TrainSpec::default().optimizer, OptimizerSpec::Sgd);
    assert_eq!(OptimizerSpec::default(), OptimizerSpec::Sgd);
}

/// The race is fair: trainers whose specs differ only in the optimizer start from bit-identical
/// weights and see the same batches in the same order, and the optimizer they were given is the
/// one that steps.
#[test]
fn racers_share_their_start_and_their_batches() {
    let base = TrainSpec {
        data: DataSpec {
            kind: DatasetKind::Spiral,
            samples: 60,
            noise: 0.1,
            train_ratio: 0.5,
            seed: 9,
        },
        batch_size: 8,
        seed: 9,
        ..Default::default()
    };
    let device = common::device(BackendKind::Flex);
    let mut racers: Vec<Trainer> = OptimizerKind::ALL
        .into_iter()
        .map(|kind| {
            Trainer::new(
                TrainSpec {
                    optimizer: OptimizerSpec::defaults(kind),
                    ..base.clone()
                },
                device.clone(),
                4,
            )
        })
        .collect();

    let bits = |trainer: &Trainer| -> Vec<u32> {
        common::snapshot(trainer)
            .weights
            .iter()
            .flat_map(|l| l.weight.iter().chain(&l.bias))
            .map(|v| v.to_bits())
            .collect()
    };
    let start = bits(&racers[0]);
    for racer in &racers[1..] {
        assert_eq!(
            bits(racer),
            start,
            "{}: different initial weights",
            racer.spec().optimizer.id()
        );
        assert_eq!(
            racer.split(),
            racers[0].split(),
            "{}: different data",
            racer.spec().optimizer.id()
        );
    }

    // Three epochs and a bit, through the reshuffles.
    let batches_per_epoch = racers[0].split().train.len().div_ceil(base.batch_size);
    for batch in 0..3 * batches_per_epoch + 2 {
        let first = racers[0].next_batch();
        for racer in &mut racers[1..] {
            assert_eq!(
                racer.next_batch(),
                first,
                "{}: batch {batch} differs",
                racer.spec().optimizer.id()
            );
        }
    }

    // The same batches, different optimizers: the weights part. Two steps, since momentum's
    // first step is plain SGD's (its velocity starts as the first gradient).
    for racer in &mut racers {
        racer.step();
        racer.step();
    }
    let after: Vec<Vec<u32>> = racers.iter().map(bits).collect();
    for (i, racer) in racers.iter().enumerate() {
        assert_ne!(
            after[i],
            start,
            "{}: two steps left the weights unchanged",
            racer.spec().optimizer.id()
        );
        for j in 0..i {
            assert_ne!(
                after[i],
                after[j],
                "{} and {} took the same step",
                racer.spec().optimizer.id(),
                racers[j].spec().optimizer.id()
            );
        }
    }
}
