//! A 1×1 convolution with its bias, a residual and a clamp in one product, for inference on
//! the host.
//!
//! Why not flex's: its 1×1 path calls the same gemm, but on an output it has zeroed, then adds
//! the bias in a second pass, and the model's ReLU6 or residual sum are further passes over the
//! whole output. Here the output starts as the bias plus the residual, gemm adds the product
//! into it, and one pass clamps it. In a wasm-bindgen-test build in node (2026-12-06),
//! EfficientNet-Lite0's 1×1 convolutions with their ReLU6 took 35–40 ms a pass through burn and
//! 33–35 here; the widest, 16 to 96 channels at 112×112, 4.3–7.1 ms against 3.4. In the page a
//! photo's two passes profiled 86–97 ms against 96–102 before, within the machine's noise.

use wide::{f32x4, i16x8, i32x4};

use super::dense::input_limit;
use super::{LANES, clamp};
use crate::asset;

/// Output channels an int8 1×1 convolution sums at once.
const CHANNELS: usize = 4;
/// Vectors of four positions it sums at once: `CHANNELS × TILE` integer sums in registers.
const TILE: usize = 4;

/// The sizes of a 1×1 convolution over NCHW images.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PointwiseShape {
    pub channels_in: usize,
    pub channels_out: usize,
    /// Height × width, the same before and after.
    pub spatial: usize,
}

/// `clamp(weight · input + bias + residual)` for each image: `input` is `[images,
/// channels_in, spatial]`, `weight` `[channels_out, channels_in]`, `bias` `[channels_out]` and
/// `residual`, when given, `[images, channels_out, spatial]`; `clamp` is `[low, high]` (NaN
/// stays NaN).
pub fn pointwise_conv2d(
    input: &[f32],
    weight: &[f32],
    bias: &[f32],
    residual: Option<&[f32]>,
    shape: PointwiseShape,
    clamp_to: Option<[f32; 2]>,
) -> Vec<f32> {
    let PointwiseShape {
        channels_in,
        channels_out,
        spatial,
    } = shape;
    let image_in = channels_in * spatial;
    let image_out = channels_out * spatial;
    assert!(
        image_in > 0 && image_out > 0,
        "a 1×1 convolution of {shape:?} has no values"
    );
    assert_eq!(input.len() % image_in, 0, "whole input images of {shape:?}");
    let images = input.len() / image_in;
    assert_eq!(
        weight.len(),
        channels_out * channels_in,
        "weights of {shape:?}"
    );
    let mut output = biased_output(bias, residual, shape, images);
    for (image, out) in input
        .chunks_exact(image_in)
        .zip(output.chunks_exact_mut(image_out))
    {
        // SAFETY: gemm reads `channels_out × channels_in` weights with row stride
        // `channels_in`, `channels_in × spatial` inputs with row stride `spatial`, and reads and
        // writes `channels_out × spatial` outputs with row stride `spatial`: the asserts above
        // and the chunk sizes make each slice exactly that long, and the output is borrowed
        // mutably alone.
        unsafe {
            gemm::gemm(
                channels_out,
                spatial,
                channels_in,
                out.as_mut_ptr(),
                1,
                spatial as isize,
                true,
                weight.as_ptr(),
                1,
                channels_in as isize,
                image.as_ptr(),
                1,
                spatial as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    }
    clamp_values(&mut output, clamp_to);
    output
}

/// A 1×1 convolution over NCHW images computed in integers from int8 weights, for inference
/// on the host: the int8 counterpart of [`pointwise_conv2d`], as [`super::Int8Dense`] is of a
/// dense layer. The weights keep the int8 file's values (one scale per output channel); each
/// position's input channels are rounded to 16-bit integers with one scale per position, and
/// `i32x4.dot_i16x8_s` sums two channels' products per lane, four positions to a vector, so
/// the images stay in the NCHW layout the rest of the network uses.
#[derive(Clone, Debug)]
pub struct Int8Pointwise {
    channels_in: usize,
    channels_out: usize,
    /// `[channels_out / CHANNELS][pairs][CHANNELS]`: each output channel's weights for two
    /// input channels as one pair of i16 (the lower channel in the lower half), an odd last
    /// channel paired with 0.
    weights: Vec<i32>,
    /// One per output channel.
    scales: Vec<f32>,
    bias: Vec<f32>,
    limit: f32,
}

impl Int8Pointwise {
    /// The convolution with `weight` (`[channels_out, channels_in]`) rounded to int8 by the
    /// int8 weights file's own quantizer ([`asset::quantize_per_channel`]), so a convolution
    /// loaded from that file gets back its int8 values, and `bias` (one per output channel);
    /// `None` when the output channels are not a whole number of groups of [`CHANNELS`].
    pub fn new(weight: &[f32], bias: Vec<f32>) -> Option<Self> {
        let channels_out = bias.len();
        let whole_groups = channels_out > 0 && channels_out.is_multiple_of(CHANNELS);
        if !whole_groups || weight.is_empty() || !weight.len().is_multiple_of(channels_out) {
            return None;
        }
        let channels_in = weight.len() / channels_out;
        let (int8, scales) = asset::quantize_per_channel(weight, channels_out);
        let pairs = channels_in.div_ceil(2);
        let half = |output: usize, input: usize| -> u32 {
            if input < channels_in {
                u32::from(int8[output * channels_in + input] as i16 as u16)
            } else {
                0
            }
        };
        let mut packed = Vec::with_capacity(channels_out * pairs);
        for first in (0..channels_out).step_by(CHANNELS) {
            for pair in 0..pairs {
                packed.extend(
                    (first..first + CHANNELS)
                        .map(|out| (half(out, 2 * pair) | half(out, 2 * pair + 1) << 16) as i32),
                );
            }
        }
        Some(Self {
            channels_in,
            channels_out,
            weights: packed,
            scales,
            bias,
            limit: input_limit(pairs),
        })
    }

    /// `clamp(weight · input + bias + residual)` for each image of `input` (`[images,
    /// channels_in, spatial]`), as [`pointwise_conv2d`]. A position with a value that is not
    /// finite in some input channel gives NaN in every output channel there, as f32 would.
    pub fn apply(
        &self,
        input: &[f32],
        spatial: usize,
        residual: Option<&[f32]>,
        clamp_to: Option<[f32; 2]>,
    ) -> Vec<f32> {
        let shape = PointwiseShape {
            channels_in: self.channels_in,
            channels_out: self.channels_out,
            spatial,
        };
        let image_in = self.channels_in * spatial;
        assert!(spatial > 0, "a 1×1 convolution of {shape:?} has no values");
        assert_eq!(input.len() % image_in, 0, "whole input images of {shape:?}");
        let images = input.len() / image_in;
        let mut output = biased_output(&self.bias, residual, shape, images);
        for (image, out) in input
            .chunks_exact(image_in)
            .zip(output.chunks_exact_mut(self.channels_out * spatial))
        {
            let positions = Int8Positions::new(image, spatial, self.limit);
            let vectors = positions.width / LANES;
            let mut first = 0;
            while first + TILE <= vectors {
                self.add_tile::<TILE>(&positions, first, out);
                first += TILE;
            }
            for first in first..vectors {
                self.add_tile::<1>(&positions, first, out);
            }
        }
        clamp_values(&mut output, clamp_to);
        output
    }

    /// Adds the products of `V` vectors of positions from vector `first` into every output
    /// channel of `out`, [`CHANNELS`] channels at a time with their sums in registers.
    #[inline(always)]
    fn add_tile<const V: usize>(&self, positions: &Int8Positions, first: usize, out: &mut [f32]) {
        let spatial = out.len() / self.channels_out;
        let start = first * LANES;
        let pairs = positions.pairs.len() / positions.width;
        let position_scales: [f32x4; V] =
            std::array::from_fn(|v| vector(&positions.scales, start + v * LANES));
        let groups = self.weights.chunks_exact(pairs * CHANNELS);
        for (group, weights) in groups.enumerate() {
            let mut sums = [[i32x4::ZERO; V]; CHANNELS];
            for (pair, weights) in weights.as_chunks::<CHANNELS>().0.iter().enumerate() {
                let row = &positions.pairs[pair * positions.width + start..];
                let inputs: [i16x8; V] = std::array::from_fn(|v| {
                    let lanes: [i32; LANES] = row[v * LANES..(v + 1) * LANES]
                        .try_into()
                        .expect("a whole vector");
                    bytemuck::cast(i32x4::from(lanes))
                });
                for (sums, &weight) in sums.iter_mut().zip(weights) {
                    // The channel's two weights in every lane: lane j of the product sums both
                    // input channels' products at position j.
                    let weight: i16x8 = bytemuck::cast(i32x4::splat(weight));
                    for (sum, input) in sums.iter_mut().zip(inputs) {
                        *sum += input.dot(weight);
                    }
                }
            }
            for (c, sums) in sums.iter().enumerate() {
                let channel = group * CHANNELS + c;
                let scale = f32x4::splat(self.scales[channel]);
                let row = &mut out[channel * spatial..(channel + 1) * spatial];
                for (v, sum) in sums.iter().enumerate() {
                    let at = start + v * LANES;
                    let product = f32x4::from_i32x4(*sum) * (scale * position_scales[v]);
                    let end = (at + LANES).min(spatial);
                    for (value, add) in row[at..end].iter_mut().zip(product.to_array()) {
                        *value += add;
                    }
                }
            }
        }
    }
}

/// An image's input channels at each position rounded to integers within `±limit`, with one
/// scale per position (`max |x| / limit` over its channels; NaN where a channel's value is not
/// finite): `[pairs][width]` pairs of i16 in an i32 (channel `2p` in the lower half), `width`
/// the positions rounded up to whole vectors, the extra ones zero.
struct Int8Positions {
    pairs: Vec<i32>,
    scales: Vec<f32>,
    width: usize,
}

impl Int8Positions {
    fn new(image: &[f32], spatial: usize, limit: f32) -> Self {
        let width = spatial.next_multiple_of(LANES);
        let mut largest = vec![f32x4::ZERO; width / LANES];
        // 0 where every channel is finite, NaN where one is not (x · 0 is NaN for both).
        let mut finite = vec![f32x4::ZERO; width / LANES];
        for row in image.chunks_exact(spatial) {
            for (v, (largest, finite)) in largest.iter_mut().zip(&mut finite).enumerate() {
                let x = vector(row, v * LANES);
                *largest = largest.fast_max(x.abs());
                *finite += x * f32x4::ZERO;
            }
        }
        let mut scales = Vec::with_capacity(width);
        let mut inverses = Vec::with_capacity(width);
        for (largest, finite) in largest.iter().zip(&finite) {
            for (largest, finite) in largest.to_array().into_iter().zip(finite.to_array()) {
                let scale = largest / limit + finite;
                scales.push(scale);
                inverses.push(if scale > 0.0 { scale.recip() } else { 0.0 });
            }
        }
        let channels = image.len() / spatial;
        let mask = i32x4::splat(0xFFFF);
        let mut pairs = Vec::with_capacity(channels.div_ceil(2) * width);
        for pair in image.chunks(2 * spatial) {
            let (low, high) = pair.split_at(spatial);
            for v in 0..width / LANES {
                let inverse = vector(&inverses, v * LANES);
                let low = (vector(low, v * LANES) * inverse).round_int();
                let high = (vector(high, v * LANES) * inverse).round_int();
                pairs.extend(((low & mask) | (high << 16_u32)).to_array());
            }
        }
        Self {
            pairs,
            scales,
            width,
        }
    }
}

/// The four values from `at`, zeros past the end of `values`.
fn vector(values: &[f32], at: usize) -> f32x4 {
    match values.get(at..at + LANES) {
        Some(lanes) => f32x4::from(<[f32; LANES]>::try_from(lanes).expect("four values")),
        None => {
            let mut lanes = [0.0; LANES];
            for (lane, value) in lanes.iter_mut().zip(values.iter().skip(at)) {
                *lane = *value;
            }
            f32x4::from(lanes)
        }
    }
}

/// The output of a 1×1 convolution before its product: each channel's bias, plus the
/// residual when given (`[images, channels_out, spatial]`).
fn biased_output(
    bias: &[f32],
    residual: Option<&[f32]>,
    shape: PointwiseShape,
    images: usize,
) -> Vec<f32> {
    let PointwiseShape {
        channels_out,
        spatial,
        ..
    } = shape;
    assert_eq!(bias.len(), channels_out, "one bias per output channel");
    let mut output = Vec::with_capacity(images * channels_out * spatial);
    match residual {
        Some(residual) => {
            assert_eq!(
                residual.len(),
                images * channels_out * spatial,
                "a residual of the output's size"
            );
            for (row, &bias) in residual.chunks_exact(spatial).zip(bias.iter().cycle()) {
                output.extend(row.iter().map(|value| value + bias));
            }
        }
        None => {
            for _ in 0..images {
                for &bias in bias {
                    output.extend(std::iter::repeat_n(bias, spatial));
                }
            }
        }
    }
    output
}

/// Each value clamped to `[low, high]` when a clamp is given; NaN stays NaN.
fn clamp_values(output: &mut [f32], clamp_to: Option<[f32; 2]>) {
    let Some([low, high]) = clamp_to else {
        return;
    };
    let (chunks, rest) = output.as_chunks_mut::<LANES>();
    let lanes = (f32x4::splat(low), f32x4::splat(high));
    for chunk in chunks {
        *chunk = clamp(f32x4::from(*chunk), lanes.0, lanes.1).to_array();
    }
    for value in rest {
        // Comparisons with NaN are false: it stays.
        if *value < low {
            *value = low;
        } else if *value > high {
            *value = high;
        }
    }
}
