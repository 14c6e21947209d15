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
