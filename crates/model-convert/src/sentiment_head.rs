//! The sentiment head of a frozen encoder's sentence vectors, for `model-convert e5`: a few
//! shapes compared by cross-validation on the training reviews, the best trained on all of them.
//! What was compared and what it scored is printed, so the README can say what helped.

use burn::module::{Module, Param};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{Linear, LinearConfig};
use burn::optim::GradientsParams;
use burn::tensor::activation::gelu;
use burn::tensor::{Device, Int, Tensor, TensorData};
use lab_core::asset::{HostTensor, PackedTensor};
use lab_core::optim::{OptimizerKind, OptimizerSpec};

/// A sentiment head tried on the frozen encoder's sentence vectors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeadShape {
    /// The width of a GELU hidden layer; none for logistic regression.
    pub hidden: Option<usize>,
    /// Whether the vectors are standardised first (e5's vectors sit in a narrow cone:
    /// standardising them makes Adam's steps the same size in every direction).
    pub standardise: bool,
    pub learning_rate: f64,
}

impl std::fmt::Display for HeadShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.hidden {
            None => write!(f, "logistic regression")?,
            Some(width) => write!(f, "MLP with a {width}-wide GELU layer")?,
        }
        let input = if self.standardise {
            "standardised"
        } else {
            "raw"
        };
        write!(
            f,
            " on the {input} vectors (Adam, lr {})",
            self.learning_rate
        )
    }
}

/// The heads compared by cross-validation on the training reviews.
const HEAD_SHAPES: [HeadShape; 3] = [
    HeadShape {
        hidden: None,
        standardise: false,
        learning_rate: 0.02,
    },
    HeadShape {
        hidden: None,
        standardise: true,
        learning_rate: 0.003,
    },
    HeadShape {
        hidden: Some(256),
        standardise: true,
        learning_rate: 0.003,
    },
];
/// Folds of the cross-validation that picks the head.
const FOLDS: usize = 5;

/// The shape with the best cross-validated accuracy on `vectors`.
pub fn choose_shape(
    vectors: &[Vec<f32>],
    labels: &[usize],
    steps: usize,
    device: &Device,
) -> HeadShape {
    let mut best: Option<(HeadShape, f64)> = None;
    for shape in HEAD_SHAPES {
        let mut right = 0.0;
        for fold in 0..FOLDS {
            let (fit, check): (Vec<usize>, Vec<usize>) =
                (0..vectors.len()).partition(|i| i % FOLDS != fold);
            let pick = |idx: &[usize]| -> (Vec<Vec<f32>>, Vec<usize>) {
                idx.iter().map(|&i| (vectors[i].clone(), labels[i])).unzip()
            };
            let ((fit_x, fit_y), (check_x, check_y)) = (pick(&fit), pick(&check));
            let head = train_head(shape, &fit_x, &fit_y, steps, device);
            right += head.accuracy(&check_x, &check_y, device) * check.len() as f64;
        }
        let accuracy = right / vectors.len() as f64;
        println!(
            "e5: head {shape}: cross-validated accuracy {:.2}%",
            accuracy * 100.0
        );
        if best.is_none_or(|(_, a)| accuracy > a) {
            best = Some((shape, accuracy));
        }
    }
    best.expect("head shapes").0
}

/// A trained head, its inputs' standardisation folded into its first layer.
pub struct Head {
    pub hidden: Option<Linear>,
    pub output: Linear,
}

#[derive(Module, Debug)]
struct HeadNet {
    hidden: Option<Linear>,
    output: Linear,
}

impl HeadNet {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        match &self.hidden {
            Some(layer) => self.output.forward(gelu(layer.forward(x))),
            None => self.output.forward(x),
        }
    }
}

/// Trains `shape` with AdamW, full batch; a standardisation is folded into the first layer
/// afterwards, so the page feeds the head raw sentence vectors.
pub fn train_head(
    shape: HeadShape,
    rows: &[Vec<f32>],
    labels: &[usize],
    steps: usize,
    device: &Device,
) -> Head {
    let dim = rows[0].len();
    let n = rows.len() as f32;
    let (mean, std): (Vec<f32>, Vec<f32>) = if shape.standardise {
        let mean: Vec<f32> = (0..dim)
            .map(|j| rows.iter().map(|r| r[j]).sum::<f32>() / n)
            .collect();
        let std = (0..dim)
            .map(|j| {
                (rows.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f32>() / n)
                    .sqrt()
                    .max(1e-6)
            })
            .collect();
        (mean, std)
    } else {
        (vec![0.0; dim], vec![1.0; dim])
    };
    let standardised: Vec<Vec<f32>> = rows
        .iter()
        .map(|r| (0..dim).map(|j| (r[j] - mean[j]) / std[j]).collect())
        .collect();
    let autodiff = Device::flex().autodiff();
    autodiff.seed(7);
    let layer = |i: usize, o: usize| LinearConfig::new(i, o).init(&autodiff);
    let mut net = match shape.hidden {
        None => HeadNet {
            hidden: None,
            output: layer(dim, 2),
        },
        Some(width) => HeadNet {
            hidden: Some(layer(dim, width)),
            output: layer(width, 2),
        },
    };
    let x = tensor(&standardised, &autodiff);
    let y = Tensor::<1, Int>::from_data(
        TensorData::new(labels.iter().map(|&l| l as i64).collect(), [labels.len()]),
        &autodiff,
    );
    let mut optimizer = OptimizerSpec::defaults(OptimizerKind::AdamW).build();
    for _ in 0..steps {
        let loss = CrossEntropyLossConfig::new()
            .init(&autodiff)
            .forward(net.forward(x.clone()), y.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        net = optimizer.step(shape.learning_rate, net, grads);
    }
    let net = net.valid().to_device(device);
    // z = (x - mean) / std feeds the first layer: W' = W / std (per input), b' = b - (mean / std) W.
    let first = net.hidden.clone().unwrap_or_else(|| net.output.clone());
    let inv_std = Tensor::<1>::from_data(
        TensorData::new(std.iter().map(|s| 1.0 / s).collect(), [dim]),
        device,
    );
    let shift = Tensor::<1>::from_data(
        TensorData::new(mean.iter().zip(&std).map(|(m, s)| m / s).collect(), [dim]),
        device,
    );
    let weight = first.weight.val() * inv_std.clone().unsqueeze_dim(1);
    let bias = first.bias.as_ref().expect("a bias").val()
        - shift
            .unsqueeze::<2>()
            .matmul(first.weight.val())
            .squeeze_dim(0);
    let folded = Linear {
        weight: Param::from_tensor(weight),
        bias: Some(Param::from_tensor(bias)),
    };
    match net.hidden {
        Some(_) => Head {
            hidden: Some(folded),
            output: net.output,
        },
        None => Head {
            hidden: None,
            output: folded,
        },
    }
}

impl Head {
    fn logits(&self, x: Tensor<2>) -> Tensor<2> {
        match &self.hidden {
            Some(layer) => self.output.forward(gelu(layer.forward(x))),
            None => self.output.forward(x),
        }
    }

    pub fn accuracy(&self, rows: &[Vec<f32>], labels: &[usize], device: &Device) -> f64 {
        let predicted = argmax_rows(self.logits(tensor(rows, device)));
        let right = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
        right as f64 / labels.len() as f64
    }

    /// The head as the asset's `classifier` (and `classifier_hidden`) tensors, PyTorch
    /// conventions (a linear weight is `[out, in]`; burn's is `[in, out]`).
    pub fn tensors(&self) -> Vec<PackedTensor> {
        let host = |name: &str, t: Tensor<2>| {
            let shape = t.dims().to_vec();
            PackedTensor::F32(HostTensor {
                name: name.into(),
                shape,
                data: t.into_data().convert::<f32>().try_to_vec().expect("f32"),
            })
        };
        let bias = |name: &str, layer: &Linear| {
            let b = layer.bias.as_ref().expect("a bias").val();
            let size = b.dims()[0];
            PackedTensor::F32(HostTensor {
                name: name.into(),
                shape: vec![size],
                data: b.into_data().convert::<f32>().try_to_vec().expect("f32"),
            })
        };
        let mut out = vec![
            host("classifier.weight", self.output.weight.val().transpose()),
            bias("classifier.bias", &self.output),
        ];
        if let Some(layer) = &self.hidden {
            out.push(host(
                "classifier_hidden.weight",
                layer.weight.val().transpose(),
            ));
            out.push(bias("classifier_hidden.bias", layer));
        }
        out
    }
}

pub fn tensor(rows: &[Vec<f32>], device: &Device) -> Tensor<2> {
    let size = rows.first().map_or(0, Vec::len);
    let flat: Vec<f32> = rows.iter().flatten().copied().collect();
    Tensor::from_data(
        burn::tensor::TensorData::new(flat, [rows.len(), size]),
        device,
    )
}

pub fn argmax_rows(logits: Tensor<2>) -> Vec<usize> {
    logits
        .argmax(1)
        .into_data()
        .convert::<i64>()
        .try_to_vec::<i64>()
        .expect("ints")
        .into_iter()
        .map(|c| c as usize)
        .collect()
}
