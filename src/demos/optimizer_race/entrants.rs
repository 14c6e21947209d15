//! The race's setup as plain values: who runs (each optimizer with its learning rate and
//! hyper-parameters), on what data, to which finish line, and how each reads from and writes to
//! the link. No browser code here, so the parsers are tested natively.

use lab_core::data::{DataSpec, DatasetKind};
use lab_core::mlp::{ActivationKind, MlpSpec};
use lab_core::optim::{OptimizerKind, OptimizerSpec};
use lab_core::train::TrainSpec;

pub const MAX_RUNS: usize = 5;
/// The finish lines a link or the control may set, in steps.
pub const FINISH_RANGE: std::ops::RangeInclusive<usize> = 10..=20000;
const DEFAULT_FINISH: usize = 1500;
/// The seed of the data and of every runner's initial weights on a first visit.
const DEFAULT_SEED: u64 = 7;

#[derive(Clone, Debug, PartialEq)]
pub struct Entrant {
    pub optimizer: OptimizerSpec,
    pub learning_rate: f64,
}

pub fn default_entrants() -> Vec<Entrant> {
    [
        (OptimizerKind::Sgd, 0.1),
        (OptimizerKind::Momentum, 0.05),
        (OptimizerKind::Adam, 0.01),
        (OptimizerKind::RmsProp, 0.01),
    ]
    .into_iter()
    .map(|(kind, learning_rate)| Entrant {
        optimizer: OptimizerSpec::defaults(kind),
        learning_rate,
    })
    .collect()
}

/// `sgd:0.1,adam:0.01:0.9:0.999:1e-8`: each entrant's optimizer, learning rate and then, in the
/// order [`hyper_parameters`] lists them, any of its hyper-parameters (the rest keep their
/// published defaults). Runs that do not parse are skipped, and so are hyper-parameters that
/// are too many, not numbers, or that [`OptimizerSpec::check`] refuses; with no run left (or no
/// value) the default field runs.
pub fn parse_entrants(runs: Option<&str>) -> Vec<Entrant> {
    let parsed: Option<Vec<Entrant>> = runs.map(|runs| {
        runs.split(',')
            .filter_map(parse_entrant)
            .take(MAX_RUNS)
            .collect()
    });
    parsed
        .filter(|runs| !runs.is_empty())
        .unwrap_or_else(default_entrants)
}

fn parse_entrant(run: &str) -> Option<Entrant> {
    let mut parts = run.split(':');
    let kind = OptimizerKind::from_id(parts.next()?)?;
    let learning_rate = parts
        .next()?
        .parse::<f64>()
        .ok()
        .filter(|lr| lr.is_finite() && *lr > 0.0)?;
    let defaults = OptimizerSpec::defaults(kind);
    let values: Option<Vec<f32>> = parts.map(|v| v.parse::<f32>().ok()).collect();
    let mut optimizer = defaults.clone();
    match values {
        Some(values) if values.len() <= hyper_parameters(&defaults).len() => {
            for (field, value) in values.into_iter().enumerate() {
                set_hyper_parameter(&mut optimizer, field, value);
            }
        }
        _ => {}
    }
    if optimizer.check().is_err() {
        optimizer = defaults;
    }
    Some(Entrant {
        optimizer,
        learning_rate,
    })
}

/// The inverse of [`parse_entrants`]: every hyper-parameter is written, so that a link keeps
/// meaning the same race if a default ever changes.
pub fn entrants_query(entrants: &[Entrant]) -> String {
    let runs: Vec<String> = entrants
        .iter()
        .map(|e| {
            let mut run = format!("{}:{}", e.optimizer.id(), e.learning_rate);
            for (_, value) in hyper_parameters(&e.optimizer) {
                run.push_str(&format!(":{value}"));
            }
            run
        })
        .collect();
    runs.join(",")
}

/// The hyper-parameters that matter for `spec`, named as the race's controls show them, in the
/// order its link writes them.
pub fn hyper_parameters(spec: &OptimizerSpec) -> Vec<(&'static str, f32)> {
    match spec {
        OptimizerSpec::Sgd => vec![],
        OptimizerSpec::Momentum {
            momentum,
            dampening,
            ..
        } => vec![("momentum", *momentum), ("dampening", *dampening)],
        OptimizerSpec::Adam {
            beta_1,
            beta_2,
            epsilon,
        } => vec![("β₁", *beta_1), ("β₂", *beta_2), ("ε", *epsilon)],
        OptimizerSpec::AdamW {
            beta_1,
            beta_2,
            epsilon,
            weight_decay,
        } => {
            vec![
                ("β₁", *beta_1),
                ("β₂", *beta_2),
                ("ε", *epsilon),
                ("decay", *weight_decay),
            ]
        }
        OptimizerSpec::RmsProp {
            alpha,
            epsilon,
            momentum,
            ..
        } => vec![("α", *alpha), ("ε", *epsilon), ("momentum", *momentum)],
    }
}

/// Sets `spec`'s hyper-parameter number `field` (in [`hyper_parameters`]' order); a field the
/// optimizer does not have is ignored.
pub fn set_hyper_parameter(spec: &mut OptimizerSpec, field: usize, value: f32) {
    let slot = match spec {
        OptimizerSpec::Sgd => return,
        OptimizerSpec::Momentum {
            momentum,
            dampening,
            ..
        } => [momentum, dampening].into_iter().nth(field),
        OptimizerSpec::Adam {
            beta_1,
            beta_2,
            epsilon,
        } => [beta_1, beta_2, epsilon].into_iter().nth(field),
        OptimizerSpec::AdamW {
            beta_1,
            beta_2,
            epsilon,
            weight_decay,
        } => [beta_1, beta_2, epsilon, weight_decay]
            .into_iter()
            .nth(field),
        OptimizerSpec::RmsProp {
            alpha,
            epsilon,
            momentum,
            ..
        } => [alpha, epsilon, momentum].into_iter().nth(field),
    };
    if let Some(slot) = slot {
        *slot = value;
    }
}

pub fn parse_dataset(value: Option<&str>) -> DatasetKind {
    value
        .and_then(DatasetKind::from_id)
        .unwrap_or(DatasetKind::Circle)
}

pub fn parse_finish(value: Option<&str>) -> usize {
    value
        .and_then(|f| f.parse::<usize>().ok())
        .filter(|f| FINISH_RANGE.contains(f))
        .unwrap_or(DEFAULT_FINISH)
}

pub fn parse_seed(value: Option<&str>) -> u64 {
    value
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(DEFAULT_SEED)
}

/// The one network and data every entrant trains, drawn from `seed`: only the optimizer differs.
pub fn race_spec(entrant: &Entrant, data: DatasetKind, seed: u64) -> TrainSpec {
    TrainSpec {
        data: DataSpec {
            kind: data,
            samples: 300,
            noise: 0.15,
            train_ratio: 0.5,
            seed,
        },
        mlp: MlpSpec {
            hidden: vec![8, 8],
            activation: ActivationKind::Tanh,
        },
        learning_rate: entrant.learning_rate,
        batch_size: 16,
        seed,
        optimizer: entrant.optimizer.clone(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn a_link_names_each_runner_and_round_trips() {
        let entrants = parse_entrants(Some("adam:0.01,sgd:0.5"));
        assert_eq!(entrants.len(), 2);
        assert_eq!(entrants[0].optimizer.kind(), OptimizerKind::Adam);
        assert_eq!(entrants[1].learning_rate, 0.5);
        assert_eq!(
            entrants_query(&entrants),
            "adam:0.01:0.9:0.999:0.00000001,sgd:0.5"
        );
        assert_eq!(parse_entrants(Some(&entrants_query(&entrants))), entrants);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_link_carries_each_runners_hyper_parameters() {
        let entrants = parse_entrants(Some("momentum:0.05:0.5,rmsprop:0.01:0.9:0.001:0.3"));
        let momentum = OptimizerSpec::Momentum {
            momentum: 0.5,
            dampening: 0.0,
            nesterov: false,
        };
        assert_eq!(entrants[0].optimizer, momentum);
        assert_eq!(
            hyper_parameters(&entrants[1].optimizer),
            vec![("α", 0.9), ("ε", 0.001), ("momentum", 0.3)]
        );
        assert_eq!(parse_entrants(Some(&entrants_query(&entrants))), entrants);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn refused_hyper_parameters_keep_the_published_defaults() {
        let adam = OptimizerSpec::defaults(OptimizerKind::Adam);
        for bad in [
            "adam:0.01:1.5",
            "adam:0.01:x",
            "adam:0.01:0.9:0.9:1e-8:7",
            "adam:0.01:NaN",
        ] {
            let entrants = parse_entrants(Some(bad));
            assert_eq!(entrants.len(), 1, "{bad}");
            assert_eq!(entrants[0].optimizer, adam, "{bad}");
            assert_eq!(entrants[0].learning_rate, 0.01, "{bad}");
        }
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn bad_runs_are_skipped_and_an_empty_field_gets_the_default_one() {
        let entrants = parse_entrants(Some("adam:0.01,nope:1,sgd:-1,sgd:NaN,rmsprop,sgd:inf"));
        assert_eq!(entrants.len(), 1);
        assert_eq!(entrants[0].optimizer.kind(), OptimizerKind::Adam);
        assert_eq!(parse_entrants(Some("nope:1")), default_entrants());
        assert_eq!(parse_entrants(Some("")), default_entrants());
        assert_eq!(parse_entrants(None), default_entrants());
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn at_most_five_run() {
        let six = ["sgd:0.1"; 6].join(",");
        assert_eq!(parse_entrants(Some(&six)).len(), MAX_RUNS);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_finish_line_and_the_data_fall_back_to_their_defaults() {
        assert_eq!(parse_finish(Some("300")), 300);
        for bad in ["9", "20001", "-5", "x", ""] {
            assert_eq!(parse_finish(Some(bad)), DEFAULT_FINISH, "{bad}");
        }
        assert_eq!(parse_finish(None), DEFAULT_FINISH);
        assert_eq!(parse_dataset(Some("xor")), DatasetKind::Xor);
        assert_eq!(parse_dataset(Some("nope")), DatasetKind::Circle);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_seed_draws_the_data_and_the_weights_and_falls_back_to_its_default() {
        assert_eq!(parse_seed(Some("12")), 12);
        for bad in ["-1", "x", "", "1.5"] {
            assert_eq!(parse_seed(Some(bad)), DEFAULT_SEED, "{bad}");
        }
        assert_eq!(parse_seed(None), DEFAULT_SEED);
        let spec = race_spec(&default_entrants()[0], DatasetKind::Xor, 12);
        assert_eq!((spec.seed, spec.data.seed), (12, 12));
    }
}
