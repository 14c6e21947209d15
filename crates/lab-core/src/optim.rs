//! The optimizers the lab races against each other, as plain data.
//!
//! An [`OptimizerSpec`] names one optimizer and its hyper-parameters; [`OptimizerSpec::build`]
//! turns it into burn-optim's own optimizer, so every update rule is burn's, none is written
//! here. The learning rate is not part of the spec: it is passed at each step (see
//! [`TrainSpec::learning_rate`](crate::train::TrainSpec::learning_rate)).
//!
//! The defaults are the published ones, as PyTorch documents them, which differ from several
//! of burn's config defaults: burn's `MomentumConfig` dampens by 0.1 (PyTorch: 0), its Adam,
//! AdamW and RMSprop use epsilon 1e-5 (PyTorch: 1e-8), its AdamW decays weights by 1e-4
//! (PyTorch: 1e-2) and its RMSprop has momentum 0.9 (PyTorch: 0). [`OptimizerSpec::build`]
//! therefore sets every field of burn's configs explicitly and relies on none of its defaults.

use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, AdamWConfig, ModuleOptimizer, RmsPropConfig, SgdConfig};

/// Which optimizer, without its settings: what a picker lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OptimizerKind {
    Sgd,
    Momentum,
    Nesterov,
    Adam,
    AdamW,
    RmsProp,
}

impl OptimizerKind {
    pub const ALL: [OptimizerKind; 6] = [
        OptimizerKind::Sgd,
        OptimizerKind::Momentum,
        OptimizerKind::Nesterov,
        OptimizerKind::Adam,
        OptimizerKind::AdamW,
        OptimizerKind::RmsProp,
    ];

    /// Whether the method rescales each parameter's steps by its own gradient statistics (Adam,
    /// AdamW, RMSprop): such methods share one learning rate across demos' models, while the
    /// SGD family needs a larger one of its own.
    pub fn is_adaptive(self) -> bool {
        matches!(
            self,
            OptimizerKind::Adam | OptimizerKind::AdamW | OptimizerKind::RmsProp
        )
    }

    /// Stable identifier used in URLs.
    pub fn id(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Momentum => "momentum",
            OptimizerKind::Nesterov => "nesterov",
            OptimizerKind::Adam => "adam",
            OptimizerKind::AdamW => "adamw",
            OptimizerKind::RmsProp => "rmsprop",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.id() == id)
    }

    /// The name the literature gives it.
    pub fn label(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "SGD",
            OptimizerKind::Momentum => "Momentum",
            OptimizerKind::Nesterov => "Nesterov",
            OptimizerKind::Adam => "Adam",
            OptimizerKind::AdamW => "AdamW",
            OptimizerKind::RmsProp => "RMSprop",
        }
    }
}

/// One optimizer and its hyper-parameters, named as burn's configs name them.
#[derive(Clone, Debug, PartialEq)]
pub enum OptimizerSpec {
    /// Plain stochastic gradient descent: `θ ← θ − lr·g`.
    Sgd,
    /// SGD with (heavy-ball or Nesterov) momentum, burn's `SgdConfig` with a `MomentumConfig`.
    Momentum {
        /// How much of the previous velocity is kept, in `[0, 1)`.
        momentum: f32,
        /// How much of each new gradient is left out of the velocity, in `[0, 1)`; must be 0
        /// with Nesterov, as PyTorch requires.
        dampening: f32,
        nesterov: bool,
    },
    Adam {
        beta_1: f32,
        beta_2: f32,
        epsilon: f32,
    },
    /// Adam with decoupled weight decay: `θ ← θ·(1 − lr·weight_decay)` before the Adam step.
    AdamW {
        beta_1: f32,
        beta_2: f32,
        epsilon: f32,
        weight_decay: f32,
    },
    RmsProp {
        /// Smoothing constant of the squared-gradient average, in `[0, 1)`.
        alpha: f32,
        epsilon: f32,
        momentum: f32,
        /// Whether to divide by an estimate of the gradient's variance instead of its second
        /// moment.
        centered: bool,
    },
}

impl Default for OptimizerSpec {
    /// Plain SGD, what the playground has always trained with.
    fn default() -> Self {
        OptimizerSpec::Sgd
    }
}

impl OptimizerSpec {
    /// `kind` with its published default hyper-parameters (PyTorch's, and 0.9 momentum with no
    /// dampening for the momentum methods, whose PyTorch default of 0 would be plain SGD).
    pub fn defaults(kind: OptimizerKind) -> Self {
        match kind {
            OptimizerKind::Sgd => OptimizerSpec::Sgd,
            OptimizerKind::Momentum => OptimizerSpec::Momentum {
                momentum: 0.9,
                dampening: 0.0,
                nesterov: false,
            },
            OptimizerKind::Nesterov => OptimizerSpec::Momentum {
                momentum: 0.9,
                dampening: 0.0,
                nesterov: true,
            },
            OptimizerKind::Adam => OptimizerSpec::Adam {
                beta_1: 0.9,
                beta_2: 0.999,
                epsilon: 1e-8,
            },
            OptimizerKind::AdamW => OptimizerSpec::AdamW {
                beta_1: 0.9,
                beta_2: 0.999,
                epsilon: 1e-8,
                weight_decay: 1e-2,
            },
            OptimizerKind::RmsProp => OptimizerSpec::RmsProp {
                alpha: 0.99,
                epsilon: 1e-8,
                momentum: 0.0,
                centered: false,
            },
        }
    }

    pub fn kind(&self) -> OptimizerKind {
        match self {
            OptimizerSpec::Sgd => OptimizerKind::Sgd,
            OptimizerSpec::Momentum {
                nesterov: false, ..
            } => OptimizerKind::Momentum,
            OptimizerSpec::Momentum { nesterov: true, .. } => OptimizerKind::Nesterov,
            OptimizerSpec::Adam { .. } => OptimizerKind::Adam,
            OptimizerSpec::AdamW { .. } => OptimizerKind::AdamW,
            OptimizerSpec::RmsProp { .. } => OptimizerKind::RmsProp,
        }
    }

    /// Stable identifier of the kind: "sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop".
    pub fn id(&self) -> &'static str {
        self.kind().id()
    }

    /// The optimizer an id names, with its default hyper-parameters.
    pub fn from_id(id: &str) -> Option<Self> {
        OptimizerKind::from_id(id).map(Self::defaults)
    }

    /// Refuses hyper-parameters no run can use, with a message for the visitor.
    pub fn check(&self) -> Result<(), String> {
        let name = self.kind().label();
        // `contains` is false for NaN, so every range check below also refuses NaN.
        let below_one = |what: &str, value: f32| {
            if (0.0..1.0).contains(&value) {
                Ok(())
            } else {
                Err(format!(
                    "{name}: {what} must be at least 0 and below 1, not {value}"
                ))
            }
        };
        let epsilon_ok = |value: f32| {
            if value.is_finite() && value > 0.0 {
                Ok(())
            } else {
                Err(format!(
                    "{name}: epsilon must be a positive number, not {value}"
                ))
            }
        };
        match *self {
            OptimizerSpec::Sgd => Ok(()),
            OptimizerSpec::Momentum {
                momentum,
                dampening,
                nesterov,
            } => {
                below_one("momentum", momentum)?;
                below_one("dampening", dampening)?;
                if nesterov && !(momentum > 0.0 && dampening == 0.0) {
                    return Err(format!(
                        "{name}: Nesterov momentum needs a momentum above 0 and no dampening, not momentum {momentum} \
                         and dampening {dampening}"
                    ));
                }
                Ok(())
            }
            OptimizerSpec::Adam {
                beta_1,
                beta_2,
                epsilon,
            } => {
                below_one("beta 1", beta_1)?;
                below_one("beta 2", beta_2)?;
                epsilon_ok(epsilon)
            }
            OptimizerSpec::AdamW {
                beta_1,
                beta_2,
                epsilon,
                weight_decay,
            } => {
                below_one("beta 1", beta_1)?;
                below_one("beta 2", beta_2)?;
                epsilon_ok(epsilon)?;
                if !(weight_decay.is_finite() && weight_decay >= 0.0) {
                    return Err(format!(
                        "{name}: weight decay must be a number of at least 0, not {weight_decay}"
                    ));
                }
                Ok(())
            }
            OptimizerSpec::RmsProp {
                alpha,
                epsilon,
                momentum,
                centered: _,
            } => {
                below_one("alpha", alpha)?;
                epsilon_ok(epsilon)?;
                below_one("momentum", momentum)
            }
        }
    }

    /// burn-optim's optimizer for this spec, every config field set from the spec (no weight
    /// decay, gradient clipping or AMSGrad unless named here).
    pub fn build(&self) -> ModuleOptimizer {
        match *self {
            OptimizerSpec::Sgd => SgdConfig::new().init(),
            OptimizerSpec::Momentum {
                momentum,
                dampening,
                nesterov,
            } => SgdConfig::new()
                .with_momentum(Some(MomentumConfig {
                    momentum: f64::from(momentum),
                    dampening: f64::from(dampening),
                    nesterov,
                }))
                .init(),
            OptimizerSpec::Adam {
                beta_1,
                beta_2,
                epsilon,
            } => AdamConfig::new()
                .with_beta_1(beta_1)
                .with_beta_2(beta_2)
                .with_epsilon(epsilon)
                .with_amsgrad(false)
                .init(),
            OptimizerSpec::AdamW {
                beta_1,
                beta_2,
                epsilon,
                weight_decay,
            } => AdamWConfig::new()
                .with_beta_1(beta_1)
                .with_beta_2(beta_2)
                .with_epsilon(epsilon)
                .with_weight_decay(weight_decay)
                .with_cautious_weight_decay(false)
                .with_amsgrad(false)
                .init(),
            OptimizerSpec::RmsProp {
                alpha,
                epsilon,
                momentum,
                centered,
            } => RmsPropConfig::new()
                .with_alpha(alpha)
                .with_epsilon(epsilon)
                .with_momentum(momentum)
                .with_centered(centered)
                .init(),
        }
    }
}
