//! ResNet-18 and ResNet-50 as torchvision builds them (v1.5: a bottleneck's stride sits on its
//! 3×3 convolution), so torchvision state dicts load after renaming `downsample.0`/`.1` to
//! `downsample.conv`/`.bn` (the converter does this).

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use super::{Arch, conv_bn, conv_macs, fold_batch_norm};
use crate::profile::{OpKind, timed};

/// torchvision's batch-norm epsilon.
const BN_EPS: f64 = 1e-5;

fn conv(cin: usize, cout: usize, kernel: usize, stride: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([cin, cout], [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(
            kernel / 2,
            kernel / 2,
            kernel / 2,
            kernel / 2,
        ))
        .with_bias(false)
        .with_initializer(Initializer::Zeros)
        .init(device)
}

fn bn(channels: usize, device: &Device) -> BatchNorm {
    BatchNormConfig::new(channels)
        .with_epsilon(BN_EPS)
        .init(device)
}

/// The 1×1 strided projection of a block's input when its shape changes.
#[derive(Module, Debug)]
pub struct Downsample {
    pub conv: Conv2d,
    pub bn: Option<BatchNorm>,
}

/// A basic block (two 3×3 convolutions, ResNet-18/34) or, when `conv3` is present, a bottleneck
/// (1×1, 3×3, 1×1 with 4× expansion, ResNet-50 and up).
#[derive(Module, Debug)]
pub struct Block {
    pub conv1: Conv2d,
    pub bn1: Option<BatchNorm>,
    pub conv2: Conv2d,
    pub bn2: Option<BatchNorm>,
    pub conv3: Option<Conv2d>,
    pub bn3: Option<BatchNorm>,
    pub downsample: Option<Downsample>,
}

impl Block {
    fn basic(cin: usize, cout: usize, stride: usize, device: &Device) -> Self {
        Self {
            conv1: conv(cin, cout, 3, stride, device),
            bn1: Some(bn(cout, device)),
            conv2: conv(cout, cout, 3, 1, device),
            bn2: Some(bn(cout, device)),
            conv3: None,
            bn3: None,
            downsample: downsample(cin, cout, stride, device),
        }
    }

    fn bottleneck(cin: usize, width: usize, stride: usize, device: &Device) -> Self {
        let cout = width * 4;
        Self {
            conv1: conv(cin, width, 1, 1, device),
            bn1: Some(bn(width, device)),
            conv2: conv(width, width, 3, stride, device),
            bn2: Some(bn(width, device)),
            conv3: Some(conv(width, cout, 1, 1, device)),
            bn3: Some(bn(cout, device)),
            downsample: downsample(cin, cout, stride, device),
        }
    }

    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let activate = |x| timed(OpKind::Activation, || relu(x));
        let mut x = activate(conv_bn(OpKind::Conv, &self.conv1, &self.bn1, input.clone()));
        x = conv_bn(OpKind::Conv, &self.conv2, &self.bn2, x);
        if let Some(conv3) = &self.conv3 {
            x = conv_bn(OpKind::Conv, conv3, &self.bn3, activate(x));
        }
        let identity = match &self.downsample {
            Some(down) => conv_bn(OpKind::Conv, &down.conv, &down.bn, input),
            None => input,
        };
        timed(OpKind::Activation, || relu(x + identity))
    }

    fn macs(&self, size: usize) -> (u64, usize) {
        let out = size / self.conv1.stride[0].max(self.conv2.stride[0]);
        let mut macs =
            conv_macs(&self.conv1, size / self.conv1.stride[0]) + conv_macs(&self.conv2, out);
        if let Some(conv3) = &self.conv3 {
            macs += conv_macs(conv3, out);
        }
        if let Some(down) = &self.downsample {
            macs += conv_macs(&down.conv, out);
        }
        (macs, out)
    }
}

fn downsample(cin: usize, cout: usize, stride: usize, device: &Device) -> Option<Downsample> {
    (stride != 1 || cin != cout).then(|| Downsample {
        conv: Conv2dConfig::new([cin, cout], [1, 1])
            .with_stride([stride, stride])
            .with_bias(false)
            .with_initializer(Initializer::Zeros)
            .init(device),
        bn: Some(bn(cout, device)),
    })
}

#[derive(Module, Debug)]
pub struct ResNet {
    pub conv1: Conv2d,
    pub bn1: Option<BatchNorm>,
    pub maxpool: MaxPool2d,
    pub layer1: Vec<Block>,
    pub layer2: Vec<Block>,
    pub layer3: Vec<Block>,
    pub layer4: Vec<Block>,
    pub fc: Linear,
}

impl ResNet {
    pub fn resnet18(num_classes: usize, device: &Device) -> Self {
        Self::build([2, 2, 2, 2], false, num_classes, device)
    }

    pub fn resnet50(num_classes: usize, device: &Device) -> Self {
        Self::build([3, 4, 6, 3], true, num_classes, device)
    }

    fn build(repeats: [usize; 4], bottleneck: bool, num_classes: usize, device: &Device) -> Self {
        let expansion = if bottleneck { 4 } else { 1 };
        let mut cin = 64;
        let mut layers = Vec::new();
        for (stage, &count) in repeats.iter().enumerate() {
            let width = 64 << stage;
            let blocks: Vec<Block> = (0..count)
                .map(|i| {
                    let stride = if stage > 0 && i == 0 { 2 } else { 1 };
                    let block = if bottleneck {
                        Block::bottleneck(cin, width, stride, device)
                    } else {
                        Block::basic(cin, width, stride, device)
                    };
                    cin = width * expansion;
                    block
                })
                .collect();
            layers.push(blocks);
        }
        let mut layers = layers.into_iter();
        Self {
            conv1: conv(3, 64, 7, 2, device),
            bn1: Some(bn(64, device)),
            maxpool: MaxPool2dConfig::new([3, 3])
                .with_strides([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(),
            layer1: layers.next().unwrap(),
            layer2: layers.next().unwrap(),
            layer3: layers.next().unwrap(),
            layer4: layers.next().unwrap(),
            fc: LinearConfig::new(512 * expansion, num_classes)
                .with_initializer(Initializer::Zeros)
                .init(device),
        }
    }

    pub fn arch(&self) -> Arch {
        if self.layer1[0].conv3.is_some() {
            Arch::ResNet50
        } else {
            Arch::ResNet18
        }
    }

    fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.layer1
            .iter()
            .chain(&self.layer2)
            .chain(&self.layer3)
            .chain(&self.layer4)
    }

    /// The stem, then one stage per block (see [`super::Classifier::stage`]).
    pub fn stage_count(&self) -> usize {
        1 + self.blocks().count()
    }

    /// Every batch norm folded into the convolution before it (see [`fold_batch_norm`]).
    pub fn fold_batch_norms(&mut self) {
        fold_batch_norm(&mut self.conv1, &mut self.bn1);
        let layers = [
            &mut self.layer1,
            &mut self.layer2,
            &mut self.layer3,
            &mut self.layer4,
        ];
        for block in layers.into_iter().flatten() {
            fold_batch_norm(&mut block.conv1, &mut block.bn1);
            fold_batch_norm(&mut block.conv2, &mut block.bn2);
            if let Some(conv3) = &mut block.conv3 {
                fold_batch_norm(conv3, &mut block.bn3);
            }
            if let Some(down) = &mut block.downsample {
                fold_batch_norm(&mut down.conv, &mut down.bn);
            }
        }
    }

    pub fn stage(&self, index: usize, x: Tensor<4>) -> Tensor<4> {
        match index {
            0 => {
                let x = conv_bn(OpKind::Conv, &self.conv1, &self.bn1, x);
                timed(OpKind::Activation, || self.maxpool.forward(relu(x)))
            }
            i => self
                .blocks()
                .nth(i - 1)
                .expect("a stage index below stage_count")
                .forward(x),
        }
    }

    /// Global average pooling and the classifier.
    pub fn head(&self, features: Tensor<4>) -> Tensor<2> {
        let [batch, channels, _, _] = features.dims();
        timed(OpKind::Head, || {
            self.fc
                .forward(features.mean_dim(3).mean_dim(2).reshape([batch, channels]))
        })
    }

    /// Multiply-accumulates of a forward pass on a `size × size` image.
    pub fn macs(&self, size: usize) -> u64 {
        let mut size = size / 2;
        let mut macs = conv_macs(&self.conv1, size);
        size /= 2;
        for block in self.blocks() {
            let (m, out) = block.macs(size);
            macs += m;
            size = out;
        }
        let [fan_in, classes] = self.fc.weight.dims();
        macs + (fan_in * classes) as u64
    }
}
