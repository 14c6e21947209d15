//! Kernels that the CPU backend computes slowly, written for the host memory of a tensor on
//! flex. Each runs in place of a chain of burn operations only where it pays, and [`on_host`]
//! says where that is: flex without autodiff (inference), where reading a tensor's values and
//! making a tensor of a vector are moves, not copies. On WebGPU, on ndarray and while training,
//! the models keep burn's operations. (On ndarray a convolution's output is a strided view,
//! which burn-ndarray gathers element by element when read: in headless Chromium the
//! depthwise kernel took EfficientNet-Lite0's depthwise convolutions on ndarray from 59 to
//! 252 ms a photo, 2026-12-06.)
//!
//! The loops are written with `wide`'s four-lane vectors, which compile to wasm's simd128 in
//! the browser and to SSE natively, so the native tests run the same arithmetic the page does.

use burn::backend::DispatchDevice;
use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use wide::f32x4;

mod attention;
mod dense;
mod pointwise;

pub use attention::{AttentionShape, attention_scores, attention_values};
pub use dense::Int8Dense;
pub use pointwise::{Int8Pointwise, PointwiseShape, pointwise_conv2d};

const LANES: usize = 4;
/// Groups of four outputs a depthwise convolution sums at once (eight ran slower in V8).
const BLOCK: usize = 4;

/// Whether a tensor on `device` goes through these kernels: flex, no autodiff.
pub fn on_host(device: &Device) -> bool {
    matches!(device.as_dispatch(), DispatchDevice::Flex(_))
}

/// A tensor's values as f32 on the host, with its shape. Only for tensors [`on_host`].
pub(crate) fn host_values<const D: usize>(tensor: Tensor<D>) -> (Vec<f32>, [usize; D]) {
    let dims = tensor.dims();
    let values = tensor
        .into_data()
        .try_into_vec::<f32>()
        .expect("the lab's float tensors are f32");
    (values, dims)
}

/// A layer's bias on the host, or zeros for each of its `outputs` when it has none.
pub(crate) fn host_bias(bias: &Option<Param<Tensor<1>>>, outputs: usize) -> Vec<f32> {
    match bias {
        Some(bias) => host_values(bias.val()).0,
        None => vec![0.0; outputs],
    }
}

/// Vectors stored one after the other from the start of `out`.
fn store(out: &mut [f32], values: &[f32x4]) {
    for (out, value) in out.as_chunks_mut::<LANES>().0.iter_mut().zip(values) {
        *out = value.to_array();
    }
}

/// Host values back into a tensor on `device`: on flex the vector becomes the tensor's buffer.
pub(crate) fn from_host<const D: usize>(
    values: Vec<f32>,
    dims: [usize; D],
    device: &Device,
) -> Tensor<D> {
    Tensor::from_data(TensorData::new(values, dims), device)
}

/// The shape of a depthwise convolution: one filter per channel, no dilation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepthwiseGeometry {
    pub channels: usize,
    /// Input height and width.
    pub input: [usize; 2],
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    /// Zero rows above and zero columns left of the input. Those below and right are whatever
    /// the output size needs, as in burn's and TensorFlow's asymmetric `SAME` padding.
    pub pad_begin: [usize; 2],
    /// Output height and width.
    pub output: [usize; 2],
}

impl DepthwiseGeometry {
    /// The geometry of a convolution padded by `padding`, (before, after) for height then
    /// width, its output size following as burn's and PyTorch's does.
    pub fn new(
        channels: usize,
        input: [usize; 2],
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [(usize, usize); 2],
    ) -> Self {
        let output = std::array::from_fn(|axis| {
            let (before, after) = padding[axis];
            let span = (input[axis] + before + after)
                .checked_sub(kernel[axis])
                .expect("the padded input is at least as large as the kernel");
            span / stride[axis] + 1
        });
        Self {
            channels,
            input,
            kernel,
            stride,
            pad_begin: padding.map(|(before, _)| before),
            output,
        }
    }
}

/// Depthwise convolution of NCHW `input` (any batch) with `weight` laid out as burn's and
/// PyTorch's `[channels, 1, kh, kw]`, plus `bias`, each result clamped to `[low, high]` (ReLU6
/// is `[0, 6]`; no clamp is `[-inf, inf]`). NaN stays NaN.
///
/// Why not flex's own depthwise path: it accumulates into the output a whole row per kernel
/// tap, so each tap reads and writes the output again, and with stride 2 it reads the input
/// one element at a time. Here each four outputs stay in one register across every tap, and a
/// strided input is first split into one plane per column phase, so every load is four
/// neighbouring values. The padded, split planes are built once per channel.
pub fn depthwise_conv2d(
    input: &[f32],
    weight: &[f32],
    bias: &[f32],
    geometry: &DepthwiseGeometry,
    [low, high]: [f32; 2],
) -> Vec<f32> {
    let DepthwiseGeometry {
        channels,
        input: [in_h, in_w],
        kernel: [kh, kw],
        stride: [sh, sw],
        pad_begin: [pad_top, pad_left],
        output: [out_h, out_w],
    } = *geometry;
    let in_plane = in_h * in_w;
    let out_plane = out_h * out_w;
    assert!(
        channels > 0 && in_plane > 0 && out_plane > 0 && kh > 0 && kw > 0 && sh > 0 && sw > 0,
        "every size of a depthwise convolution is at least 1: {geometry:?}"
    );
    assert_eq!(
        input.len() % (channels * in_plane),
        0,
        "input for {geometry:?}"
    );
    assert_eq!(weight.len(), channels * kh * kw, "weight for {geometry:?}");
    assert_eq!(bias.len(), channels, "bias for {geometry:?}");
    let planes = input.len() / in_plane;

    // Every output row is computed in whole groups of four; the last group's extra lanes read
    // zeros of the padded planes and are not stored.
    let groups = out_w.div_ceil(LANES);
    // Phase p holds columns p, p + sw, p + 2·sw, ... of the zero-padded input, so the tap at
    // column kw of output column ow reads phase kw % sw at ow + kw / sw.
    let phase_w = groups * LANES + (kw - 1) / sw;
    let phase_h = (out_h.max(1) - 1) * sh + kh;
    let phase_len = phase_h * phase_w;
    let mut phases = vec![0.0f32; sw * phase_len];
    // Each tap's weight, and where it reads relative to its output group's first value.
    let mut taps = vec![f32x4::ZERO; kh * kw];
    let offsets: Vec<usize> = (0..kh * kw)
        .map(|tap| {
            let (ky, kx) = (tap / kw, tap % kw);
            (kx % sw) * phase_len + ky * phase_w + kx / sw
        })
        .collect();
    let (low, high) = (f32x4::splat(low), f32x4::splat(high));
    // Outputs in units of four neighbours in a row, a row's units one after another, the same
    // for every plane. Four units are summed at a time, so that four independent sums hide
    // each addition's latency (one running sum waits on the previous tap's add at every tap).
    let units: Vec<Unit> = (0..out_h)
        .flat_map(|oh| {
            (0..groups).map(move |group| Unit {
                read: oh * sh * phase_w + group * LANES,
                write: oh * out_w + group * LANES,
                count: LANES.min(out_w - group * LANES),
            })
        })
        .collect();

    let mut output = vec![0.0f32; planes * out_plane];
    for (plane, (source, target)) in input
        .chunks_exact(in_plane)
        .zip(output.chunks_exact_mut(out_plane))
        .enumerate()
    {
        let channel = plane % channels;
        split_into_phases(
            source,
            [in_h, in_w],
            [pad_top, pad_left],
            sw,
            phase_w,
            phase_h,
            &mut phases,
        );
        for (tap, &w) in taps
            .iter_mut()
            .zip(&weight[channel * kh * kw..(channel + 1) * kh * kw])
        {
            *tap = f32x4::splat(w);
        }
        let start = f32x4::splat(bias[channel]);

        for block in units.chunks(BLOCK) {
            // The last block repeats its last unit, computed and not stored twice.
            let reads: [usize; BLOCK] = std::array::from_fn(|i| block[i.min(block.len() - 1)].read);
            let mut sums = [start; BLOCK];
            for (&offset, &tap) in offsets.iter().zip(&taps) {
                for (sum, read) in sums.iter_mut().zip(reads) {
                    let at = read + offset;
                    let values: [f32; LANES] =
                        phases[at..at + LANES].try_into().expect("four values");
                    *sum = f32x4::from(values).mul_add(tap, *sum);
                }
            }
            for (unit, sum) in block.iter().zip(sums) {
                let result = clamp(sum, low, high).to_array();
                // A fixed-size copy is one store; only a row's last unit may be shorter.
                if unit.count == LANES {
                    target[unit.write..unit.write + LANES].copy_from_slice(&result);
                } else {
                    target[unit.write..unit.write + unit.count]
                        .copy_from_slice(&result[..unit.count]);
                }
            }
        }
    }
    output
}

/// Four neighbouring outputs of a depthwise convolution: where their window starts in the
/// phase planes, where they go in the output plane, and how many of the four are in the row.
#[derive(Clone, Copy)]
struct Unit {
    read: usize,
    write: usize,
    count: usize,
}

/// Writes the zero-padded `source` plane into `phases`, split by column phase (see
/// [`depthwise_conv2d`]). Rows and columns past the input are zeros.
fn split_into_phases(
    source: &[f32],
    [in_h, in_w]: [usize; 2],
    [pad_top, pad_left]: [usize; 2],
    stride: usize,
    phase_w: usize,
    phase_h: usize,
    phases: &mut [f32],
) {
    for (phase, target) in phases.chunks_exact_mut(phase_h * phase_w).enumerate() {
        // Phase column j holds input column j·stride + phase − pad_left: the first j whose
        // column is not left of the input, then every input column from there on that fits.
        let first = pad_left.saturating_sub(phase).div_ceil(stride).min(phase_w);
        let first_x = (first * stride + phase).saturating_sub(pad_left);
        let count = if first_x < in_w {
            (in_w - first_x).div_ceil(stride).min(phase_w - first)
        } else {
            0
        };
        for (r, row) in target.chunks_exact_mut(phase_w).enumerate() {
            let Some(y) = r.checked_sub(pad_top).filter(|&y| y < in_h) else {
                row.fill(0.0);
                continue;
            };
            let source_row = &source[y * in_w + first_x.min(in_w)..(y + 1) * in_w];
            row[..first].fill(0.0);
            let (inside, right) = row[first..].split_at_mut(count);
            if stride == 1 {
                inside.copy_from_slice(&source_row[..count]);
            } else {
                for (value, &x) in inside.iter_mut().zip(source_row.iter().step_by(stride)) {
                    *value = x;
                }
            }
            right.fill(0.0);
        }
    }
}

/// Each lane clamped to `[low, high]`, NaN kept: `wide`'s `max` and `min` drop a NaN, and its
/// `fast_` forms keep it on one target and drop it on another.
#[inline(always)]
fn clamp(x: f32x4, low: f32x4, high: f32x4) -> f32x4 {
    let x = x.simd_lt(low).select(low, x);
    x.simd_gt(high).select(high, x)
}

/// GELU, `x·Φ(x)` with the exact normal CDF, as burn's [`gelu`](burn::tensor::activation::gelu)
/// and PyTorch's default compute it. On the host through [`gelu_in_place`]; elsewhere burn's.
pub fn gelu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let device = x.device();
    if !on_host(&device) {
        return burn::tensor::activation::gelu(x);
    }
    let (mut values, dims) = host_values(x);
    gelu_in_place(&mut values);
    from_host(values, dims, &device)
}

/// GELU of every value, four at a time. Why not flex's: it calls libm's scalar `erff` per
/// value, which took 6–24% of a MiniLM pass in the browser. Here erf is the rational
/// approximation Eigen and XLA use for f32 (odd degree-13 over even degree-8 polynomial on
/// [−4, 4], ±1 outside, within a few ulp), which wasm computes without a branch or a call.
pub fn gelu_in_place(values: &mut [f32]) {
    let mut chunks = values.chunks_exact_mut(LANES);
    for chunk in &mut chunks {
        let x: [f32; LANES] = (&*chunk).try_into().expect("four values");
        chunk.copy_from_slice(&gelu_x4(f32x4::from(x)).to_array());
    }
    let rest = chunks.into_remainder();
    let mut x = [0.0; LANES];
    x[..rest.len()].copy_from_slice(rest);
    let len = rest.len();
    rest.copy_from_slice(&gelu_x4(f32x4::from(x)).to_array()[..len]);
}

#[inline(always)]
fn gelu_x4(v: f32x4) -> f32x4 {
    let half = f32x4::splat(0.5);
    v * half * (f32x4::ONE + erf_x4(v * f32x4::splat(std::f32::consts::FRAC_1_SQRT_2)))
}

#[inline(always)]
fn erf_x4(x: f32x4) -> f32x4 {
    let x = clamp(x, f32x4::splat(-4.0), f32x4::splat(4.0));
    let x2 = x * x;
    let horner = |coefficients: &[f32]| {
        coefficients
            .iter()
            .fold(f32x4::ZERO, |acc, &c| acc.mul_add(x2, f32x4::splat(c)))
    };
    let numerator = x * horner(&[
        -2.726_142e-10,
        2.770_681_4e-8,
        -2.101_024e-6,
        -5.692_506_4e-5,
        -7.349_906_3e-4,
        -2.954_6e-3,
        -1.609_603_3e-2,
    ]);
    let denominator = horner(&[
        -1.456_607_2e-5,
        -2.133_740_6e-4,
        -1.682_827e-3,
        -7.373_329_2e-3,
        -1.426_473_9e-2,
    ]);
    numerator / denominator
}

/// Softmax of each row of `width` values, in place, four at a time, as burn's
/// [`softmax`](burn::tensor::activation::softmax) computes it. Why not flex's: it calls
/// libm's scalar `expf` per value, and at 128 tokens MiniLM's attention softmax took 14 ms of a
/// 180 ms pass in a wasm-bindgen-test build in node (2026-12-06). Here exp is `wide`'s
/// (a degree-7 polynomial after range reduction, 0 below e^-103.6, NaN kept).
pub fn softmax_rows(values: &mut [f32], width: usize) {
    if width == 0 {
        return;
    }
    for row in values.chunks_exact_mut(width) {
        let (chunks, rest) = row.as_chunks_mut::<LANES>();
        let largest = chunks
            .iter()
            .fold(f32x4::splat(f32::NEG_INFINITY), |m, &c| {
                m.max(f32x4::from(c))
            })
            .to_array()
            .into_iter()
            .chain(rest.iter().copied())
            .fold(f32::NEG_INFINITY, f32::max);
        let shift = f32x4::splat(largest);
        let mut sums = f32x4::ZERO;
        for chunk in chunks.iter_mut() {
            let exp = (f32x4::from(*chunk) - shift).exp();
            sums += exp;
            *chunk = exp.to_array();
        }
        let mut sum = sums.reduce_add();
        for value in rest.iter_mut() {
            *value = (*value - largest).exp();
            sum += *value;
        }
        let inverse = sum.recip();
        let scale = f32x4::splat(inverse);
        for chunk in chunks.iter_mut() {
            *chunk = (f32x4::from(*chunk) * scale).to_array();
        }
        for value in rest.iter_mut() {
            *value *= inverse;
        }
    }
}
