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
//! the browser and to SSE natively, so the native tests run the same arithmetic as the page's
//! simd128 module; the relaxed module differs only in [`mul_add`], fused (the simd128 module is
//! the relaxed one with it lowered again to a multiply and an add: xtask/src/simd128.rs).

use burn::backend::DispatchDevice;
use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use wide::f32x4;

mod attention;
mod dense;
mod depthwise;
mod pointwise;

pub use attention::{AttentionShape, attention_scores, attention_values};
pub use dense::{F32Dense, HostDense, Int8Dense};
pub use depthwise::{DepthwiseGeometry, depthwise_conv2d, depthwise_takes};
pub use pointwise::{Int8Pointwise, PointwiseShape, pointwise_conv2d};

const LANES: usize = 4;

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

/// `a·b + c` in each lane. With the `relaxed-simd` feature in wasm (the site's relaxed module,
/// which browsers that have relaxed SIMD load, xtask/src/modules.rs) one `f32x4.relaxed_madd`,
/// which the browser computes as a fused multiply-add where the CPU has one, with a single
/// rounding: a running sum's step is then one instruction where it was two. Elsewhere a multiply
/// and an add, as `wide`'s `mul_add` also computes on wasm (it fuses only natively with FMA
/// enabled, which the lab's native builds do not enable), so the native tests and the page's
/// simd128 module keep the same arithmetic.
///
/// The intrinsic inlines only into a function compiled for relaxed SIMD, and called out of line
/// it would cost a call per vector: so each kernel whose loops reach this (through
/// `#[inline(always)]` functions) is compiled for it with the feature, `#[cfg_attr(all(target_arch
/// = "wasm32", feature = "relaxed-simd"), target_feature(enable = "relaxed-simd"))]`.
#[inline(always)]
fn mul_add(a: f32x4, b: f32x4, c: f32x4) -> f32x4 {
    #[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
    {
        use bytemuck::cast;
        cast(core::arch::wasm32::f32x4_relaxed_madd(
            cast(a),
            cast(b),
            cast(c),
        ))
    }
    #[cfg(not(all(target_arch = "wasm32", feature = "relaxed-simd")))]
    {
        a * b + c
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
