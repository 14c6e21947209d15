//! A dense network (multi-layer perceptron) with a choice of activation, as the playground and
//! later demos train it.

use burn::module::{Module, Param};
use burn::nn::activation::{Activation, ActivationConfig};
use burn::nn::{Dropout, DropoutConfig, Linear};
use burn::tensor::{Device, Gradients, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

pub const MAX_HIDDEN_LAYERS: usize = 6;
pub const MAX_WIDTH: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivationKind {
    Relu,
    Tanh,
    Sigmoid,
    Linear,
    Gelu,
}

impl ActivationKind {
    pub const ALL: [ActivationKind; 5] = [
        ActivationKind::Relu,
        ActivationKind::Tanh,
        ActivationKind::Sigmoid,
        ActivationKind::Linear,
        ActivationKind::Gelu,
    ];

    pub fn id(self) -> &'static str {
        match self {
            ActivationKind::Relu => "relu",
            ActivationKind::Tanh => "tanh",
            ActivationKind::Sigmoid => "sigmoid",
            ActivationKind::Linear => "linear",
            ActivationKind::Gelu => "gelu",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.id() == id)
    }

    fn config(self) -> ActivationConfig {
        match self {
            ActivationKind::Relu => ActivationConfig::Relu,
            ActivationKind::Tanh => ActivationConfig::Tanh,
            ActivationKind::Sigmoid => ActivationConfig::Sigmoid,
            ActivationKind::Linear => ActivationConfig::Identity,
            ActivationKind::Gelu => ActivationConfig::Gelu,
        }
    }
}

/// The shape of a network: 2 inputs, the hidden widths, 1 output.
#[derive(Clone, Debug, PartialEq)]
pub struct MlpSpec {
    pub hidden: Vec<usize>,
    pub activation: ActivationKind,
}

impl MlpSpec {
    pub const INPUTS: usize = 2;
    pub const OUTPUTS: usize = 1;

    /// Widths of every layer, input and output included: e.g. [2, 8, 8, 1].
    pub fn widths(&self) -> Vec<usize> {
        let mut widths = vec![Self::INPUTS];
        widths.extend(&self.hidden);
        widths.push(Self::OUTPUTS);
        widths
    }

    /// Whether the spec is within the playground's limits.
    pub fn check(&self) -> Result<(), String> {
        if self.hidden.len() > MAX_HIDDEN_LAYERS {
            return Err(format!("at most {MAX_HIDDEN_LAYERS} hidden layers"));
        }
        match self.hidden.iter().find(|&&w| w == 0 || w > MAX_WIDTH) {
            Some(width) => Err(format!("layer width {width} is outside 1..={MAX_WIDTH}")),
            None => Ok(()),
        }
    }
}

/// One layer's parameters on the host, row-major `[inputs][outputs]` as burn's `Linear` holds
/// them (`y = x W + b`).
#[derive(Clone, Debug, PartialEq)]
pub struct LayerWeights {
    pub inputs: usize,
    pub outputs: usize,
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

impl LayerWeights {
    /// The weight of the link from input neuron `from` to output neuron `to`.
    pub fn link(&self, from: usize, to: usize) -> f32 {
        self.weight[from * self.outputs + to]
    }

    /// Glorot-uniform weights and zero biases drawn on the host from `rng`, so that every
    /// backend starts from bit-identical parameters for the same seed.
    fn glorot(inputs: usize, outputs: usize, rng: &mut StdRng) -> Self {
        let limit = (6.0 / (inputs + outputs) as f32).sqrt();
        let weight = (0..inputs * outputs)
            .map(|_| rng.random_range(-limit..limit))
            .collect();
        Self {
            inputs,
            outputs,
            weight,
            bias: vec![0.0; outputs],
        }
    }
}

#[derive(Module, Debug)]
pub struct Mlp {
    layers: Vec<Linear>,
    activation: Activation,
    /// Applied after every hidden activation; off (probability 0) unless [`Mlp::with_dropout`]
    /// sets it, and inactive off the autodiff device, e.g. in [`Module::valid`]'s copy.
    dropout: Dropout,
}

impl Mlp {
    /// A freshly initialised network without dropout; equal seeds give equal weights on every
    /// backend.
    pub fn init(spec: &MlpSpec, seed: u64, device: &Device) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let widths = spec.widths();
        let weights: Vec<_> = widths
            .windows(2)
            .map(|pair| LayerWeights::glorot(pair[0], pair[1], &mut rng))
            .collect();
        Self::from_weights(spec, &weights, device)
    }

    /// A network holding exactly these parameters, without dropout, e.g. to resume on another
    /// device.
    pub fn from_weights(spec: &MlpSpec, weights: &[LayerWeights], device: &Device) -> Self {
        let layers = weights
            .iter()
            .map(|layer| Linear {
                weight: Param::from_tensor(Tensor::from_data(
                    TensorData::new(layer.weight.clone(), [layer.inputs, layer.outputs]),
                    device,
                )),
                bias: Some(Param::from_tensor(Tensor::from_data(
                    TensorData::new(layer.bias.clone(), [layer.outputs]),
                    device,
                ))),
            })
            .collect();
        Self {
            layers,
            activation: spec.activation.config().init(device),
            dropout: DropoutConfig::new(0.0).init(),
        }
    }

    /// The same network with dropout of probability `prob` after every hidden activation, in
    /// forward passes on an autodiff device (training steps) only.
    ///
    /// # Panics
    ///
    /// If `prob` is not within `[0, 1)` (see [`Regularization::check`](crate::regularize::Regularization::check)).
    pub fn with_dropout(self, prob: f32) -> Self {
        Self {
            dropout: DropoutConfig::new(f64::from(prob)).init(),
            ..self
        }
    }

    /// The dropout probability after every hidden activation.
    pub fn dropout(&self) -> f32 {
        self.dropout.prob as f32
    }

    /// The output (a logit for classification), shape `[batch, 1]`.
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        self.forward_with_hidden(input).0
    }

    /// The output and every hidden layer's activations, `[batch, width]` each, taken before
    /// dropout (which is inactive anyway where the page reads them, off the autodiff device).
    pub fn forward_with_hidden(&self, input: Tensor<2>) -> (Tensor<2>, Vec<Tensor<2>>) {
        let (last, hidden_layers) = self
            .layers
            .split_last()
            .expect("an MLP has an output layer");
        let mut hidden = Vec::with_capacity(hidden_layers.len());
        let mut x = input;
        for layer in hidden_layers {
            x = self.activation.forward(layer.forward(x));
            hidden.push(x.clone());
            x = self.dropout.forward(x);
        }
        (last.forward(x), hidden)
    }

    /// Every layer's weight and bias gradients from a backward pass, in layer order.
    pub fn gradients(&self, grads: &Gradients) -> Vec<(Tensor<2>, Tensor<1>)> {
        self.parameter_tensors()
            .into_iter()
            .map(|(weight, bias)| {
                let missing = "every parameter takes part in the forward pass";
                (
                    weight.grad(grads).expect(missing),
                    bias.grad(grads).expect(missing),
                )
            })
            .collect()
    }

    /// Every layer's weight and bias tensors, in order, for a batched read-back.
    pub fn parameter_tensors(&self) -> Vec<(Tensor<2>, Tensor<1>)> {
        self.layers
            .iter()
            .map(|layer| {
                let bias = layer.bias.as_ref().expect("the lab's layers have biases");
                (layer.weight.val(), bias.val())
            })
            .collect()
    }
}
