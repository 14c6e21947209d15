//! The race's setup as plain values: who runs, on what data, to which finish line, and how each
//! reads from and writes to the link. No browser code here, so the parsers are tested natively.

use lab_core::data::{DataSpec, DatasetKind};
use lab_core::mlp::{ActivationKind, MlpSpec};
use lab_core::optim::{OptimizerKind, OptimizerSpec};
use lab_core::train::TrainSpec;

pub const MAX_RUNS: usize = 5;
/// The finish lines a link or the control may set, in steps.
pub const FINISH_RANGE: std::ops::RangeInclusive<usize> = 10..=20000;
const DEFAULT_FINISH: usize = 1500;

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

/// `sgd:0.1,adam:0.01`: each entrant's optimizer (published defaults) and learning rate. Runs
/// that do not parse are skipped; with none left (or no value) the default field runs.
pub fn parse_entrants(runs: Option<&str>) -> Vec<Entrant> {
    let parsed: Option<Vec<Entrant>> = runs.map(|runs| {
        runs.split(',')
            .filter_map(|run| {
                let (kind, lr) = run.split_once(':')?;
                let learning_rate = lr
                    .parse::<f64>()
                    .ok()
                    .filter(|lr| lr.is_finite() && *lr > 0.0)?;
                Some(Entrant {
                    optimizer: OptimizerSpec::defaults(OptimizerKind::from_id(kind)?),
                    learning_rate,
                })
            })
            .take(MAX_RUNS)
            .collect()
    });
    parsed
        .filter(|runs| !runs.is_empty())
        .unwrap_or_else(default_entrants)
}

/// The inverse of [`parse_entrants`] (hyper-parameters other than the learning rate stay out of
/// the link).
pub fn entrants_query(entrants: &[Entrant]) -> String {
    let runs: Vec<String> = entrants
        .iter()
        .map(|e| format!("{}:{}", e.optimizer.id(), e.learning_rate))
        .collect();
    runs.join(",")
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

/// The one network and data every entrant trains: only the optimizer differs.
pub fn race_spec(entrant: &Entrant, data: DatasetKind) -> TrainSpec {
    TrainSpec {
        data: DataSpec {
            kind: data,
            samples: 300,
            noise: 0.15,
            train_ratio: 0.5,
            seed: 7,
        },
        mlp: MlpSpec {
            hidden: vec![8, 8],
            activation: ActivationKind::Tanh,
        },
        learning_rate: entrant.learning_rate,
        batch_size: 16,
        seed: 7,
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
        assert_eq!(entrants_query(&entrants), "adam:0.01,sgd:0.5");
        assert_eq!(parse_entrants(Some(&entrants_query(&entrants))), entrants);
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
}
