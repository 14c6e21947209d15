//! The two classifiers of antimicrobial peptides: a small 1-D convolutional network that reads
//! residues in order, and the composition baseline that only counts them.

use burn::module::Module;
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig1d};
use burn::tensor::Tensor;
use burn::tensor::activation::relu;

use super::data::AMINO_ACIDS;

/// Filters per convolution.
pub const FILTERS: usize = 32;
/// Residues one filter sees: a window of 5 spans more than a turn of an α-helix (3.6 residues),
/// the shape most antimicrobial peptides take in a membrane.
pub const KERNEL: usize = 5;
/// Added to padded positions before the max over the sequence, so padding never wins it.
const PAD_PENALTY: f32 = 1.0e4;

/// Two "same"-padded convolutions over the one-hot residues, a max over the sequence (masked,
/// so that a peptide's score does not depend on the batch's padding), and a linear layer to the
/// two classes' logits.
#[derive(Module, Debug)]
pub struct PeptideCnn {
    first: Conv1d,
    second: Conv1d,
    head: Linear,
}

impl PeptideCnn {
    pub fn init(device: &burn::tensor::Device) -> Self {
        let conv = |channels_in| {
            Conv1dConfig::new(channels_in, FILTERS, KERNEL)
                .with_padding(PaddingConfig1d::Explicit(KERNEL / 2, KERNEL / 2))
                .init(device)
        };
        Self {
            first: conv(AMINO_ACIDS.len()),
            second: conv(FILTERS),
            head: LinearConfig::new(FILTERS, 2).init(device),
        }
    }

    /// `one_hot` `[batch, 20, length]`, `mask` `[batch, 1, length]` → logits `[batch, 2]`.
    pub fn forward(&self, one_hot: Tensor<3>, mask: Tensor<3>) -> Tensor<2> {
        // Zeroed past the end, so the second convolution sees the same zeros there whether the
        // batch is padded or not.
        let hidden = relu(self.first.forward(one_hot)) * mask.clone();
        let hidden = relu(self.second.forward(hidden));
        let [batch, filters, _] = hidden.dims();
        let masked = hidden + (mask - 1.0) * PAD_PENALTY;
        let pooled = masked.max_dim(2).reshape([batch, filters]);
        self.head.forward(pooled)
    }
}

/// Logistic regression on the amino-acid composition (the share of each of the 20 residues,
/// times 20 so that an even mix reads 1 and one learning rate suits both models): what a model
/// that ignores the order can do.
#[derive(Module, Debug)]
pub struct CompositionBaseline {
    linear: Linear,
}

impl CompositionBaseline {
    pub fn init(device: &burn::tensor::Device) -> Self {
        Self {
            linear: LinearConfig::new(AMINO_ACIDS.len(), 2).init(device),
        }
    }

    /// Same inputs as [`PeptideCnn::forward`] (padding is all zeros, so it adds nothing).
    pub fn forward(&self, one_hot: Tensor<3>, mask: Tensor<3>) -> Tensor<2> {
        let [batch, channels, _] = one_hot.dims();
        let counts = one_hot.sum_dim(2).reshape([batch, channels]);
        let lengths = mask.sum_dim(2).reshape([batch, 1]);
        self.linear
            .forward(counts / lengths * AMINO_ACIDS.len() as f32)
    }
}
