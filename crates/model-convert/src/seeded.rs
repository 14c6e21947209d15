//! The deterministic parameter generator shared with `scripts/vision_reference.py`, which
//! documents it: a seeded torchvision ResNet is rebuilt here bit for bit, so its reference
//! logits can be checked without committing a 45-100 MB checkpoint. [`checkpoint`] writes it
//! out under torchvision's key names (`model-convert seeded-checkpoint`), a stand-in for a
//! visitor's own ResNet file that converts with the same command.

use burn::tensor::Device;
use lab_core::asset::HostTensor;
use lab_core::vision::{Arch, Classifier};

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

pub fn fnv1a64(text: &str) -> u64 {
    text.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// `v_i` in [-1, 1) for `i < n`, from the splitmix64 stream seeded by `key`.
pub fn uniform_pm1(key: &str, n: usize) -> Vec<f64> {
    let seed = fnv1a64(key);
    (1..=n as u64)
        .map(|i| {
            let s = seed.wrapping_add(i.wrapping_mul(GOLDEN));
            let mut z = (s ^ (s >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 40) as f64 / f64::from(1u32 << 23) - 1.0
        })
        .collect()
}

/// `(c0, c1)` of a state-dict entry: conv/linear weights `(0, sqrt(3 / fan_in))`, batch-norm
/// weight `(1, 0.25)`, biases and running means `(0, 0.1)`, running variances `(1, 0.5)`.
pub fn coefficients(key: &str, shape: &[usize]) -> (f64, f64) {
    let numel: usize = shape.iter().product();
    if shape.len() >= 2 {
        (0.0, (3.0 / (numel / shape[0]) as f64).sqrt())
    } else if key.ends_with("running_var") {
        (1.0, 0.5)
    } else if key.ends_with("running_mean") || key.ends_with("bias") {
        (0.0, 0.1)
    } else {
        (1.0, 0.25)
    }
}

/// The values of state-dict entry `key` (a torchvision name) of this shape.
pub fn tensor(key: &str, shape: &[usize]) -> Vec<f32> {
    let (c0, c1) = coefficients(key, shape);
    uniform_pm1(key, shape.iter().product())
        .into_iter()
        .map(|v| (c0 + c1 * v) as f32)
        .collect()
}

/// torchvision's name of one of [`lab_core::vision::ResNet`]'s tensors: its `downsample` is a
/// `Sequential(conv, bn)`.
pub fn torchvision_key(name: &str) -> String {
    name.replace(".downsample.conv.", ".downsample.0.")
        .replace(".downsample.bn.", ".downsample.1.")
}

/// The seeded checkpoint of a ResNet (1000 classes) under torchvision's key names, every
/// parameter and running statistic from [`tensor`]: the state dict the script builds.
pub fn checkpoint(arch: Arch) -> Result<Vec<HostTensor>, String> {
    if arch == Arch::EfficientNetLite0 {
        return Err("the seeded checkpoints are torchvision ResNets (resnet18, resnet50)".into());
    }
    let template = Classifier::init(arch, 1000, &Device::flex());
    Ok(template
        .host_tensors()?
        .into_iter()
        .map(|t| {
            let name = torchvision_key(&t.name);
            let data = tensor(&name, &t.shape);
            HostTensor {
                name,
                shape: t.shape,
                data,
            }
        })
        .collect())
}
