//! lab-core's own CPU kernels for the vision models and GELU against the burn operations they
//! stand in for, on shapes that cover each code path: strides 1 and 2, kernels 3 and 5, the
//! asymmetric `SAME` padding, widths that are not a multiple of four lanes, more than one image,
//! NaN; GELU over the whole range of its curve; the 1×1 convolution with and without a residual
//! and a clamp, in f32 and from int8 weights. The text models' kernels are in `text_kernels`.

use burn::tensor::activation::gelu;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor, TensorData};
use lab_core::asset;
use lab_core::kernels::{
    DepthwiseGeometry, Int8Pointwise, PointwiseShape, depthwise_conv2d, depthwise_takes,
    gelu_in_place, on_host, pointwise_conv2d,
};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};

/// burn's grouped convolution on flex, then the clamp, as the models computed it before.
fn burn_depthwise(
    input: &Tensor<4>,
    weight: &Tensor<4>,
    bias: &Tensor<1>,
    geometry: &DepthwiseGeometry,
    pad_end: [usize; 2],
    [low, high]: [f32; 2],
) -> Vec<f32> {
    let options = ConvOptions::new_with_padding(
        geometry.stride,
        [
            (geometry.pad_begin[0], pad_end[0]),
            (geometry.pad_begin[1], pad_end[1]),
        ],
        [1, 1],
        geometry.channels,
    );
    conv2d(input.clone(), weight.clone(), Some(bias.clone()), options)
        .clamp_min(low)
        .clamp_max(high)
        .into_data()
        .try_into_vec::<f32>()
        .unwrap()
}

pub(crate) fn values<const D: usize>(tensor: &Tensor<D>) -> Vec<f32> {
    values_of(tensor.clone())
}

pub(crate) fn values_of<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.into_data().try_into_vec::<f32>().unwrap()
}

/// Normal values from `rng`: burn's own random tensors draw from flex's one global generator,
/// which the seeded training tests running beside these rely on.
pub(crate) fn random<const D: usize>(
    dims: [usize; D],
    rng: &mut StdRng,
    device: &Device,
) -> Tensor<D> {
    let normal = Normal::new(0.0f32, 2.0).unwrap();
    let count = dims.iter().product();
    let values: Vec<f32> = (0..count).map(|_| normal.sample(rng)).collect();
    Tensor::from_data(TensorData::new(values, dims), device)
}

/// (batch, channels, input, kernel, stride, pad_begin, pad_end).
type Case = (
    usize,
    usize,
    [usize; 2],
    usize,
    usize,
    [usize; 2],
    [usize; 2],
);

#[test]
fn depthwise_kernel_matches_burns_grouped_convolution() {
    let device = Device::flex();
    let mut rng = StdRng::seed_from_u64(7);
    let cases: [Case; 7] = [
        // EfficientNet-Lite0's shapes, `SAME` padded as TensorFlow does.
        (1, 8, [16, 16], 3, 1, [1, 1], [1, 1]),
        (1, 6, [112, 112], 3, 2, [0, 0], [1, 1]),
        (1, 5, [56, 56], 5, 2, [1, 1], [2, 2]),
        (1, 7, [7, 7], 5, 1, [2, 2], [2, 2]),
        // Odd and unequal sizes, two images, no padding at all.
        (2, 3, [15, 9], 3, 2, [1, 1], [1, 1]),
        (2, 4, [13, 6], 3, 1, [0, 0], [0, 0]),
        // More padding than the kernel reaches: the border rows see only zeros.
        (1, 2, [5, 5], 3, 1, [2, 3], [2, 1]),
    ];
    for (batch, channels, [in_h, in_w], kernel, stride, pad_begin, pad_end) in cases {
        let geometry = DepthwiseGeometry::new(
            channels,
            [in_h, in_w],
            [kernel, kernel],
            [stride, stride],
            [(pad_begin[0], pad_end[0]), (pad_begin[1], pad_end[1])],
        );
        let input = random([batch, channels, in_h, in_w], &mut rng, &device);
        let weight = random([channels, 1, kernel, kernel], &mut rng, &device);
        let bias = random([channels], &mut rng, &device);
        for clamp in [[0.0, 6.0], [f32::NEG_INFINITY, f32::INFINITY]] {
            let expected = burn_depthwise(&input, &weight, &bias, &geometry, pad_end, clamp);
            let actual = depthwise_conv2d(
                &values(&input),
                &values(&weight),
                &values(&bias),
                &geometry,
                clamp,
            );
            assert_eq!(actual.len(), expected.len(), "{geometry:?}");
            let worst = actual
                .iter()
                .zip(&expected)
                .map(|(a, e)| (a - e).abs())
                .fold(0.0f32, f32::max);
            assert!(
                worst < 1e-4,
                "{geometry:?} {clamp:?}: max difference {worst}"
            );
            if clamp[0] == 0.0 {
                assert!(actual.iter().all(|v| (0.0..=6.0).contains(v)));
            } else {
                assert!(actual.iter().any(|v| !(0.0..=6.0).contains(v)));
            }
        }
    }
}

/// The kernel is compiled for EfficientNet's kernels and strides; a model asks before calling
/// it and keeps burn's grouped convolution for any other.
#[test]
fn depthwise_kernel_takes_square_kernels_of_three_and_five_with_strides_one_and_two() {
    for kernel in [3, 5] {
        for stride in [1, 2] {
            assert!(depthwise_takes([kernel, kernel], [stride, stride]));
        }
    }
    assert!(!depthwise_takes([3, 5], [1, 1]));
    assert!(!depthwise_takes([3, 3], [1, 2]));
    assert!(!depthwise_takes([7, 7], [1, 1]));
    assert!(!depthwise_takes([3, 3], [3, 3]));
}

#[test]
fn depthwise_kernel_keeps_nan_where_the_window_reads_it() {
    // One channel, 4×4, 3×3 box filter, padded by one: a NaN at (0, 0) reaches the outputs at
    // (0..2, 0..2) and no other.
    let mut input = vec![1.0f32; 16];
    input[0] = f32::NAN;
    let geometry = DepthwiseGeometry {
        channels: 1,
        input: [4, 4],
        kernel: [3, 3],
        stride: [1, 1],
        pad_begin: [1, 1],
        output: [4, 4],
    };
    let output = depthwise_conv2d(&input, &[1.0; 9], &[0.0], &geometry, [0.0, 6.0]);
    for (i, value) in output.iter().enumerate() {
        let (y, x) = (i / 4, i % 4);
        assert_eq!(value.is_nan(), y < 2 && x < 2, "({y}, {x}) = {value}");
    }
    // Elsewhere the 3×3 window of ones, clamped to 6: the corner (3, 3) sums 4 ones.
    assert_eq!(output[15], 4.0);
    assert_eq!(output[10], 6.0);
}

#[test]
fn gelu_kernel_matches_burns_exact_gelu() {
    // Dense over the range where erf bends, out to where GELU is x or 0, every tail length.
    let mut values: Vec<f32> = (-12_000..=12_000).map(|i| i as f32 / 1000.0).collect();
    values.extend([0.0, -0.0, 1e-30, -1e-30, 80.0, -80.0, f32::MAX, f32::MIN]);
    for len in [
        values.len(),
        values.len() - 1,
        values.len() - 2,
        values.len() - 3,
    ] {
        let values = &values[..len];
        let device = Device::flex();
        let tensor = Tensor::<1>::from_floats(values, &device);
        let expected = values_of(gelu(tensor));
        let mut actual = values.to_vec();
        gelu_in_place(&mut actual);
        for ((x, a), e) in values.iter().zip(&actual).zip(&expected) {
            let tolerance = 1e-6 * x.abs().max(1.0);
            assert!((a - e).abs() <= tolerance, "gelu({x}) = {a}, burn {e}");
        }
    }
    let mut nan = [f32::NAN, 1.0, f32::NAN];
    gelu_in_place(&mut nan);
    assert!(nan[0].is_nan() && nan[2].is_nan() && (nan[1] - 0.841_344_7).abs() < 1e-6);
}

#[test]
fn gelu_goes_through_the_kernel_on_the_host_and_through_burn_elsewhere() {
    let device = Device::flex();
    assert!(on_host(&device));
    assert!(!on_host(&device.clone().autodiff()));
    // ndarray reads a convolution's strided output element by element: not worth it there.
    #[allow(deprecated)]
    let ndarray = Device::ndarray();
    assert!(!on_host(&ndarray));
    let x = Tensor::<2>::from_floats([[-3.0, -0.5, 0.0], [0.5, 2.0, 7.0]], &device);
    let host = values_of(lab_core::kernels::gelu(x.clone()));
    let burn = values_of(gelu(x.clone()));
    assert!(host.iter().zip(&burn).all(|(h, b)| (h - b).abs() < 1e-6));
    // With autodiff the tensor keeps its graph: the gradient of GELU at 0 is 1/2.
    let device = device.autodiff();
    let x = Tensor::<1>::from_floats([0.0], &device).require_grad();
    let grads = lab_core::kernels::gelu(x.clone()).sum().backward();
    let slope = values_of(x.grad(&grads).unwrap());
    assert!((slope[0] - 0.5).abs() < 1e-6, "{slope:?}");
}

#[test]
fn pointwise_kernel_matches_burns_convolution_residual_and_clamp() {
    let device = Device::flex();
    let mut rng = StdRng::seed_from_u64(17);
    // Odd sizes (13 positions: not whole vectors), two images; Lite0's widest layer's shape.
    for (images, channels_in, channels_out, [height, width]) in
        [(2, 5, 7, [13, 1]), (1, 16, 96, [12, 12]), (2, 3, 1, [3, 3])]
    {
        let shape = PointwiseShape {
            channels_in,
            channels_out,
            spatial: height * width,
        };
        let input = random([images, channels_in, height, width], &mut rng, &device);
        let weight = random([channels_out, channels_in, 1, 1], &mut rng, &device);
        let bias = random([channels_out], &mut rng, &device);
        let residual = random([images, channels_out, height, width], &mut rng, &device);
        let options = ConvOptions::new([1, 1], [0, 0], [1, 1], 1);
        let convolved = conv2d(input.clone(), weight.clone(), Some(bias.clone()), options);
        for (with_residual, clamp) in [(false, None), (true, None), (false, Some([0.0, 6.0]))] {
            let mut expected = convolved.clone();
            if with_residual {
                expected = expected + residual.clone();
            }
            if let Some([low, high]) = clamp {
                expected = expected.clamp(low, high);
            }
            let expected = values_of(expected);
            let residual_values = with_residual.then(|| values(&residual));
            let actual = pointwise_conv2d(
                &values(&input),
                &values(&weight),
                &values(&bias),
                residual_values.as_deref(),
                shape,
                clamp,
            );
            assert_eq!(actual.len(), expected.len(), "{shape:?}");
            for (a, e) in actual.iter().zip(&expected) {
                assert!(
                    (a - e).abs() <= 1e-5 * e.abs().max(1.0) * channels_in as f32,
                    "{shape:?} residual {with_residual} clamp {clamp:?}: {a} against {e}"
                );
            }
        }
    }
    // A NaN input reaches every output channel at its position and nowhere else; ReLU6 keeps it.
    let shape = PointwiseShape {
        channels_in: 2,
        channels_out: 3,
        spatial: 5,
    };
    let mut input = vec![1.0f32; 10];
    input[6] = f32::NAN; // channel 1, position 1
    let output = pointwise_conv2d(&input, &[1.0; 6], &[0.0; 3], None, shape, Some([0.0, 6.0]));
    for (i, value) in output.iter().enumerate() {
        assert_eq!(value.is_nan(), i % 5 == 1, "output {i} = {value}");
    }
}

/// The int8 1×1 convolution against the f32 one on the same int8-rounded weights: they differ
/// only by the rounding of each position's inputs to integers, at most half a step
/// (`max |x| / limit` over the position's channels) times the sum of the weights' magnitudes.
#[test]
fn int8_pointwise_kernel_matches_the_f32_one_on_its_int8_weights() {
    let device = Device::flex();
    let mut rng = StdRng::seed_from_u64(29);
    // Positions that are not whole vectors or tiles, an odd channel count, two images.
    for (images, channels_in, channels_out, spatial) in [
        (2, 5, 8, 13),
        (1, 40, 240, 28 * 28),
        (1, 131, 12, 49),
        (2, 1, 4, 3),
    ] {
        let shape = PointwiseShape {
            channels_in,
            channels_out,
            spatial,
        };
        let input = values_of(random([images, channels_in, spatial], &mut rng, &device));
        let weight = values_of(random([channels_out, channels_in], &mut rng, &device));
        let bias = values_of(random([channels_out], &mut rng, &device));
        let residual = values_of(random([images, channels_out, spatial], &mut rng, &device));
        let (int8, scales) = asset::quantize_per_channel(&weight, channels_out);
        let rounded: Vec<f32> = int8
            .iter()
            .enumerate()
            .map(|(i, &q)| f32::from(q) * scales[i / channels_in])
            .collect();
        let kernel = Int8Pointwise::new(&weight, bias.clone()).expect("whole groups of channels");
        let pairs = channels_in.div_ceil(2) as f32;
        let limit = (i32::MAX as f32 / (127.0 * 2.0 * pairs))
            .min(32767.0)
            .floor();
        for (with_residual, clamp) in [(false, None), (true, None), (true, Some([0.0, 6.0]))] {
            let residual = with_residual.then_some(residual.as_slice());
            let expected = pointwise_conv2d(&input, &rounded, &bias, residual, shape, clamp);
            let actual = kernel.apply(&input, spatial, residual, clamp);
            assert_eq!(actual.len(), expected.len(), "{shape:?}");
            let mut worst = 0.0f32;
            for (i, (a, e)) in actual.iter().zip(&expected).enumerate() {
                let (image, channel, position) = (
                    i / (channels_out * spatial),
                    i / spatial % channels_out,
                    i % spatial,
                );
                let largest = (0..channels_in)
                    .map(|c| input[(image * channels_in + c) * spatial + position].abs())
                    .fold(0.0f32, f32::max);
                let weights = &rounded[channel * channels_in..(channel + 1) * channels_in];
                let magnitude: f32 = weights.iter().map(|w| w.abs()).sum();
                let bound = 0.5 * largest / limit * magnitude + 1e-5 * e.abs().max(1.0);
                assert!(
                    (a - e).abs() <= bound,
                    "{shape:?} residual {with_residual} clamp {clamp:?}: output {i} {a} against {e}, bound {bound}"
                );
                worst = worst.max((a - e).abs());
            }
            assert!(worst > 0.0, "{shape:?}: the inputs were not rounded");
        }
    }
    // Output channels that are not whole groups of four stay with the f32 kernel.
    assert!(Int8Pointwise::new(&[1.0; 6], vec![0.0; 3]).is_none());
}

#[test]
fn int8_pointwise_kernel_gives_nan_at_a_position_with_a_value_that_is_not_finite() {
    let (channels_in, channels_out, spatial) = (3, 4, 6);
    let mut input: Vec<f32> = (0..channels_in * spatial)
        .map(|i| i as f32 * 0.25)
        .collect();
    input[spatial + 1] = f32::NAN; // channel 1, position 1
    input[2 * spatial + 4] = f32::INFINITY; // channel 2, position 4
    let kernel = Int8Pointwise::new(&[0.5; 12], vec![0.0; channels_out]).unwrap();
    let output = kernel.apply(&input, spatial, None, Some([0.0, 6.0]));
    for (i, value) in output.iter().enumerate() {
        let position = i % spatial;
        assert_eq!(
            value.is_nan(),
            position == 1 || position == 4,
            "output {i} = {value}"
        );
    }
}
