//! The playground's setup as URL query keys, so that a link reproduces a run exactly.

use lab_core::data::DatasetKind;
use lab_core::mlp::{ActivationKind, MlpSpec};
use lab_core::optim::OptimizerSpec;
use lab_core::train::TrainSpec;

use crate::runtime::url;

/// The learning rates offered, as in TensorFlow Playground (10 is there to show divergence).
pub const LEARNING_RATES: [f64; 12] = [
    0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0,
];
pub const BATCH_SIZES: [usize; 7] = [1, 4, 8, 16, 32, 64, 128];
/// L1 and L2 penalty strengths offered: 1e-2 already flattens the over-fitting scene's network.
pub const PENALTIES: [f32; 6] = [0.0, 0.0001, 0.0003, 0.001, 0.003, 0.01];
pub const DROPOUTS: [f32; 5] = [0.0, 0.1, 0.2, 0.3, 0.5];
/// Input jitter σ offered (the points lie in [-1, 1]²).
pub const JITTERS: [f32; 5] = [0.0, 0.05, 0.1, 0.2, 0.3];
/// Early-stopping patience, in evaluations (one per frame while training).
pub const PATIENCES: [usize; 4] = [10, 30, 100, 300];

/// The spec the URL describes, and a message per key that had to be ignored.
pub fn from_url() -> (TrainSpec, Vec<String>) {
    parse(url::query)
}

/// The spec that `lookup` (a query key's value) describes, and a message per key that had to be
/// ignored; a key without a value keeps its default.
pub fn parse(lookup: impl Fn(&str) -> Option<String>) -> (TrainSpec, Vec<String>) {
    let mut spec = TrainSpec::default();
    let mut problems = Vec::new();
    let mut read = |key: &str, apply: &mut dyn FnMut(&str) -> bool| {
        if let Some(value) = lookup(key)
            && !apply(&value)
        {
            problems.push(format!("{key}={value}"));
        }
    };
    read("data", &mut |v| {
        DatasetKind::from_id(v)
            .map(|k| spec.data.kind = k)
            .is_some()
    });
    read("noise", &mut |v| {
        parse_in(v, 0.0, 0.5)
            .map(|x| spec.data.noise = x as f32)
            .is_some()
    });
    read("ratio", &mut |v| {
        parse_in(v, 0.05, 0.95)
            .map(|x| spec.data.train_ratio = x as f32)
            .is_some()
    });
    read("n", &mut |v| {
        parse_in(v, 4.0, 2000.0)
            .map(|x| spec.data.samples = x as usize)
            .is_some()
    });
    read("batch", &mut |v| {
        parse_in(v, 1.0, 512.0)
            .map(|x| spec.batch_size = x as usize)
            .is_some()
    });
    read("lr", &mut |v| {
        parse_in(v, 1e-7, 100.0)
            .map(|x| spec.learning_rate = x)
            .is_some()
    });
    read("opt", &mut |v| {
        OptimizerSpec::from_id(v)
            .map(|o| spec.optimizer = o)
            .is_some()
    });
    read("seed", &mut |v| {
        v.parse::<u64>()
            .ok()
            .map(|s| {
                spec.seed = s;
                spec.data.seed = s
            })
            .is_some()
    });
    read("act", &mut |v| {
        ActivationKind::from_id(v)
            .map(|a| spec.mlp.activation = a)
            .is_some()
    });
    read("layers", &mut |v| {
        parse_layers(v)
            .map(|hidden| spec.mlp.hidden = hidden)
            .is_some()
    });
    read("l1", &mut |v| {
        parse_in(v, 0.0, 1.0)
            .map(|x| spec.regularization.l1 = x as f32)
            .is_some()
    });
    read("l2", &mut |v| {
        parse_in(v, 0.0, 1.0)
            .map(|x| spec.regularization.l2 = x as f32)
            .is_some()
    });
    read("dropout", &mut |v| {
        parse_in(v, 0.0, 0.9)
            .map(|x| spec.regularization.dropout = x as f32)
            .is_some()
    });
    read("jitter", &mut |v| {
        parse_in(v, 0.0, 1.0)
            .map(|x| spec.regularization.jitter = x as f32)
            .is_some()
    });
    read("patience", &mut |v| match v {
        "off" => {
            spec.regularization.early_stopping = None;
            true
        }
        _ => parse_in(v, 1.0, 10000.0)
            .map(|x| spec.regularization.early_stopping = Some(x as usize))
            .is_some(),
    });
    (spec, problems)
}

pub fn to_url(spec: &TrainSpec) {
    url::set_query(&query(spec));
}

/// The query keys and values that [`parse`] reads back into `spec`.
pub fn query(spec: &TrainSpec) -> [(&'static str, String); 15] {
    [
        ("data", spec.data.kind.id().to_string()),
        ("noise", spec.data.noise.to_string()),
        ("ratio", spec.data.train_ratio.to_string()),
        ("n", spec.data.samples.to_string()),
        ("batch", spec.batch_size.to_string()),
        ("lr", spec.learning_rate.to_string()),
        ("opt", spec.optimizer.id().to_string()),
        ("seed", spec.seed.to_string()),
        ("act", spec.mlp.activation.id().to_string()),
        (
            "layers",
            spec.mlp
                .hidden
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(","),
        ),
        ("l1", spec.regularization.l1.to_string()),
        ("l2", spec.regularization.l2.to_string()),
        ("dropout", spec.regularization.dropout.to_string()),
        ("jitter", spec.regularization.jitter.to_string()),
        (
            "patience",
            spec.regularization
                .early_stopping
                .map_or("off".to_string(), |p| p.to_string()),
        ),
    ]
}

fn parse_in(value: &str, low: f64, high: f64) -> Option<f64> {
    value
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && (low..=high).contains(x))
}

/// "8,8" → [8, 8]; "" → no hidden layer; anything outside the limits is refused.
fn parse_layers(value: &str) -> Option<Vec<usize>> {
    let hidden: Option<Vec<usize>> = value
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().parse().ok())
        .collect();
    let hidden = hidden?;
    MlpSpec {
        hidden: hidden.clone(),
        activation: ActivationKind::Relu,
    }
    .check()
    .ok()
    .map(|_| hidden)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab_core::train::overfitting_scene;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn no_keys_give_the_default_spec() {
        assert_eq!(parse(|_| None), (TrainSpec::default(), Vec::new()));
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_link_reproduces_the_spec_it_was_made_from() {
        let mut spec = overfitting_scene();
        spec.seed = 42;
        spec.data.seed = 42;
        spec.regularization.early_stopping = Some(30);
        spec.optimizer = OptimizerSpec::from_id("adam").unwrap();
        let pairs = query(&spec);
        let (parsed, problems) = parse(|key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.clone())
        });
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(parsed, spec);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn each_bad_value_is_named_and_keeps_its_default() {
        let (spec, problems) = parse(lookup(&[
            ("data", "spiral"),
            ("noise", "0.9"),
            ("lr", "NaN"),
            ("layers", "8,x"),
            ("batch", "16"),
            ("opt", "lbfgs"),
            ("patience", "off"),
        ]));
        assert_eq!(problems, ["noise=0.9", "lr=NaN", "opt=lbfgs", "layers=8,x"]);
        assert_eq!(spec.optimizer, OptimizerSpec::Sgd);
        assert_eq!(spec.data.kind, DatasetKind::Spiral);
        assert_eq!(spec.batch_size, 16);
        let default = TrainSpec::default();
        assert_eq!(spec.data.noise, default.data.noise);
        assert_eq!(spec.learning_rate, default.learning_rate);
        assert_eq!(spec.mlp.hidden, default.mlp.hidden);
        assert_eq!(spec.regularization.early_stopping, None);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn layers_parse_within_the_limits() {
        assert_eq!(parse_layers("8,8"), Some(vec![8, 8]));
        assert_eq!(parse_layers(""), Some(vec![]));
        assert_eq!(parse_layers(" 3 ,5"), Some(vec![3, 5]));
        assert_eq!(parse_layers("0"), None);
        assert_eq!(parse_layers("1000"), None);
        assert_eq!(parse_layers("1,1,1,1,1,1,1,1,1,1,1"), None);
    }
}
