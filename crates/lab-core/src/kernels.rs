//! Kernels that the CPU backends compute slowly, written for the host memory of a tensor on
//! flex or ndarray. Each runs in place of a chain of burn operations only where it pays, and
//! [`on_host`] says where that is: a CPU device without autodiff (inference), where reading a
//! tensor's values is a move on flex and a copy on ndarray, never a wait. On WebGPU and while
//! training, the models keep burn's operations.
//!
//! The loops are written with `wide`'s four-lane vectors, which compile to wasm's simd128 in
//! the browser and to SSE natively, so the native tests run the same arithmetic the page does.

use burn::backend::DispatchDevice;
use burn::tensor::{Device, Tensor, TensorData};
use wide::f32x4;

const LANES: usize = 4;

/// Whether a tensor on `device` can go through these kernels: a CPU backend, no autodiff.
pub fn on_host(device: &Device) -> bool {
    matches!(
        device.as_dispatch(),
        DispatchDevice::Flex(_) | DispatchDevice::NdArray(_)
    )
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
        channels > 0 && in_plane > 0 && sh > 0 && sw > 0,
        "{geometry:?}"
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
    let mut taps = vec![f32x4::ZERO; kh * kw];
    let (low, high) = (f32x4::splat(low), f32x4::splat(high));

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

        for (oh, row) in target.chunks_exact_mut(out_w).enumerate() {
            for group in 0..groups {
                let mut acc = start;
                for ky in 0..kh {
                    let line = (oh * sh + ky) * phase_w + group * LANES;
                    for kx in 0..kw {
                        let at = (kx % sw) * phase_len + line + kx / sw;
                        let values: [f32; LANES] =
                            phases[at..at + LANES].try_into().expect("four values");
                        acc = f32x4::from(values).mul_add(taps[ky * kw + kx], acc);
                    }
                }
                let result = clamp(acc, low, high).to_array();
                let first = group * LANES;
                let count = LANES.min(out_w - first);
                row[first..first + count].copy_from_slice(&result[..count]);
            }
        }
    }
    output
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
        for (r, row) in target.chunks_exact_mut(phase_w).enumerate() {
            let Some(source_row) = r
                .checked_sub(pad_top)
                .filter(|&y| y < in_h)
                .map(|y| &source[y * in_w..(y + 1) * in_w])
            else {
                row.fill(0.0);
                continue;
            };
            for (j, value) in row.iter_mut().enumerate() {
                // Padded column j·stride + phase is input column j·stride + phase − pad_left.
                *value = (j * stride + phase)
                    .checked_sub(pad_left)
                    .and_then(|x| source_row.get(x))
                    .copied()
                    .unwrap_or(0.0);
            }
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
