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

use wide::f32x4;

use super::{LANES, clamp};

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
    assert_eq!(bias.len(), channels_out, "one bias per output channel");
    let mut output = Vec::with_capacity(images * image_out);
    match residual {
        Some(residual) => {
            assert_eq!(
                residual.len(),
                images * image_out,
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
    if let Some([low, high]) = clamp_to {
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
    output
}
