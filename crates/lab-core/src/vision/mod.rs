//! Image classification: ImageNet convolutional networks as burn modules, the preprocessing
//! they were trained with, and the static model assets the app fetches (manifest, checksums,
//! int8 weights).
//!
//! Everything here is backend-agnostic and wasm-compatible. The flow in the app:
//!
//! 1. fetch `models/<name>/manifest.json`, parse it with [`asset::Manifest::from_json`];
//! 2. fetch the weights file it names ([`asset::Manifest::default_file`]), then
//!    [`Classifier::from_asset`] checks its size and sha256 and loads it (int8 weights are
//!    dequantized here; on flex, EfficientNet's 1×1 convolutions then compute in integers);
//! 3. decode a photo with [`crate::photo::decode`] and turn it into the model's input with
//!    [`preprocess::to_input`];
//! 4. [`Classifier::forward`] (or its stages one by one, [`Classifier::stage`], yielding in
//!    between), read the logits back (`into_data_async` on WebGPU) and rank them with
//!    [`crate::rank::top_k`] (or run it all through [`pipeline`]).
//!
//! The native converter (`crates/model-convert`) writes the assets from PyTorch checkpoints.

pub mod asset;
pub mod bias_correction;
pub mod efficientnet;
pub mod pipeline;
pub mod preprocess;
pub mod resnet;

use burn::module::Param;
use burn::nn::BatchNorm;
use burn::nn::conv::Conv2d;
use burn::tensor::{Device, Tensor};

use crate::profile::{OpKind, timed};

pub use efficientnet::EfficientNetLite;
pub use resnet::ResNet;

/// The architectures the lab can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    EfficientNetLite0,
    ResNet18,
    ResNet50,
}

impl Arch {
    pub const ALL: [Arch; 3] = [Arch::EfficientNetLite0, Arch::ResNet18, Arch::ResNet50];

    /// Stable identifier, as in manifests and on the converter's command line.
    pub fn id(self) -> &'static str {
        match self {
            Arch::EfficientNetLite0 => "efficientnet-lite0",
            Arch::ResNet18 => "resnet18",
            Arch::ResNet50 => "resnet50",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|arch| arch.id() == id)
    }
}

/// A classifier network of any [`Arch`], with its weights. The variants' sizes differ, but a
/// page holds one or two classifiers, so boxing would buy nothing.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Classifier {
    EfficientNet(EfficientNetLite),
    ResNet(ResNet),
}

impl Classifier {
    /// A network of this architecture with placeholder weights (zeros and unit batch norms), to
    /// be filled by [`Classifier::load_host_tensors`].
    pub fn init(arch: Arch, num_classes: usize, device: &Device) -> Self {
        match arch {
            Arch::EfficientNetLite0 => {
                Classifier::EfficientNet(EfficientNetLite::lite0(num_classes, device))
            }
            Arch::ResNet18 => Classifier::ResNet(ResNet::resnet18(num_classes, device)),
            Arch::ResNet50 => Classifier::ResNet(ResNet::resnet50(num_classes, device)),
        }
    }

    /// Folds every batch norm into the convolution before it: for inference only (the page
    /// never trains a classifier), where a pass then runs one operation for each pair. The
    /// logits agree with the unfolded network's to float rounding.
    pub fn fold_batch_norms(&mut self) {
        match self {
            Classifier::EfficientNet(net) => net.fold_batch_norms(),
            Classifier::ResNet(net) => net.fold_batch_norms(),
        }
    }

    /// For a network loaded from an int8 weights file: on the host, the convolutions the file
    /// quantized compute in integers from then on (EfficientNet's 1×1 convolutions, see
    /// [`EfficientNetLite::compute_int8_on_host`]; a ResNet stays in f32).
    pub fn compute_int8_on_host(&mut self) {
        if let Classifier::EfficientNet(net) = self {
            net.compute_int8_on_host();
        }
    }

    /// Whether some convolution computes in integers ([`Classifier::compute_int8_on_host`]).
    pub fn computes_in_int8(&self) -> bool {
        match self {
            Classifier::EfficientNet(net) => net.computes_in_int8(),
            Classifier::ResNet(_) => false,
        }
    }

    pub fn arch(&self) -> Arch {
        match self {
            Classifier::EfficientNet(_) => Arch::EfficientNetLite0,
            Classifier::ResNet(net) => net.arch(),
        }
    }

    /// Logits `[batch, classes]` for normalised images `[batch, 3, 224, 224]`
    /// (see [`preprocess::to_input`]). Run it on a device without autodiff (e.g. from
    /// [`crate::backend::BackendKind::open_inference`]) so that batch norms use their running
    /// statistics.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let features = (0..self.stage_count()).fold(images, |x, index| self.stage(index, x));
        self.head(features)
    }

    /// How many stages [`Classifier::forward`] runs before its head: the stem, then each block.
    /// A page without threads runs them one by one and hands the thread back in between, since
    /// a ResNet-50 takes seconds on a CPU backend.
    pub fn stage_count(&self) -> usize {
        match self {
            Classifier::EfficientNet(net) => net.stage_count(),
            Classifier::ResNet(net) => net.stage_count(),
        }
    }

    /// Stage `index` (below [`Classifier::stage_count`]) on the output of the one before it;
    /// stage 0 takes the images.
    pub fn stage(&self, index: usize, x: Tensor<4>) -> Tensor<4> {
        match self {
            Classifier::EfficientNet(net) => net.stage(index, x),
            Classifier::ResNet(net) => net.stage(index, x),
        }
    }

    /// The host-tensor name of the bias that stage `index` ends with, when the stage's output is
    /// that bias plus terms it does not touch (an EfficientNet block: project, batch norm, the
    /// optional skip). A ResNet block ends in a ReLU after its sum, so it has none.
    pub fn stage_output_bias(&self, index: usize) -> Option<String> {
        match self {
            Classifier::EfficientNet(_) if index > 0 && index < self.stage_count() => {
                Some(format!("blocks.{}.bn2.bias", index - 1))
            }
            Classifier::EfficientNet(_) | Classifier::ResNet(_) => None,
        }
    }

    pub fn num_classes(&self) -> usize {
        match self {
            Classifier::EfficientNet(net) => net.fc.weight.dims()[1],
            Classifier::ResNet(net) => net.fc.weight.dims()[1],
        }
    }

    /// Logits `[batch, classes]` from the last stage's features.
    pub fn head(&self, features: Tensor<4>) -> Tensor<2> {
        match self {
            Classifier::EfficientNet(net) => net.head(features),
            Classifier::ResNet(net) => net.head(features),
        }
    }

    /// Multiply-accumulate operations of one forward pass on a 224×224 image; FLOPs are twice
    /// this.
    pub fn macs(&self) -> u64 {
        match self {
            Classifier::EfficientNet(net) => net.macs(224),
            Classifier::ResNet(net) => net.macs(224),
        }
    }

    pub fn num_params(&self) -> usize {
        match self {
            Classifier::EfficientNet(net) => burn::module::Module::num_params(net),
            Classifier::ResNet(net) => burn::module::Module::num_params(net),
        }
    }
}

/// A convolution timed as `kind` (lab_core::profile), then its batch norm as its own step
/// unless the norm was folded into it.
pub(crate) fn conv_bn(
    kind: OpKind,
    conv: &Conv2d,
    bn: &Option<BatchNorm>,
    x: Tensor<4>,
) -> Tensor<4> {
    let x = timed(kind, || conv.forward(x));
    match bn {
        Some(bn) => timed(OpKind::BatchNorm, || bn.forward(x)),
        None => x,
    }
}

/// Folds an inference batch norm (running statistics) into the convolution before it and
/// takes it out: per output channel, with s = γ/√(σ² + ε), the weights become w·s and the bias
/// (b − μ)·s + β. One operation then does what took the convolution and the norm's four
/// full-size passes (subtract, divide, scale, shift).
pub(crate) fn fold_batch_norm(conv: &mut Conv2d, bn: &mut Option<BatchNorm>) {
    let Some(bn) = bn.take() else { return };
    let [out, ..] = conv.weight.dims();
    let scale = bn.gamma.val() / (bn.running_var.value() + bn.epsilon).sqrt();
    let bias = match &conv.bias {
        Some(bias) => bias.val(),
        None => Tensor::zeros([out], &scale.device()),
    };
    let weight = conv.weight.val() * scale.clone().reshape([out, 1, 1, 1]);
    conv.weight = Param::from_tensor(weight);
    conv.bias = Some(Param::from_tensor(
        (bias - bn.running_mean.value()) * scale + bn.beta.val(),
    ));
}

/// MACs of a convolution producing `out × out` pixels.
pub(crate) fn conv_macs(conv: &burn::nn::conv::Conv2d, out: usize) -> u64 {
    let [cout, cin_per_group, kh, kw] = conv.weight.dims();
    (cout * cin_per_group * kh * kw * out * out) as u64
}
