//! lab-core's own CPU kernels against the burn operations they stand in for, on shapes that
//! cover each code path: strides 1 and 2, kernels 3 and 5, the asymmetric `SAME` padding,
//! widths that are not a multiple of four lanes, more than one image, NaN.

use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Distribution, Tensor};
use lab_core::kernels::{DepthwiseGeometry, depthwise_conv2d};

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

fn values<const D: usize>(tensor: &Tensor<D>) -> Vec<f32> {
    tensor.clone().into_data().try_into_vec::<f32>().unwrap()
}

/// (batch, channels, input, kernel, stride, pad_begin, pad_end), the output size following.
type Case = (usize, usize, [usize; 2], usize, usize, [usize; 2], [usize; 2]);

#[test]
fn depthwise_kernel_matches_burns_grouped_convolution() {
    let device = Device::flex();
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
        let output = [
            (in_h + pad_begin[0] + pad_end[0] - kernel) / stride + 1,
            (in_w + pad_begin[1] + pad_end[1] - kernel) / stride + 1,
        ];
        let geometry = DepthwiseGeometry {
            channels,
            input: [in_h, in_w],
            kernel: [kernel, kernel],
            stride: [stride, stride],
            pad_begin,
            output,
        };
        let normal = Distribution::Normal(0.0, 2.0);
        let input = Tensor::<4>::random([batch, channels, in_h, in_w], normal, &device);
        let weight = Tensor::<4>::random([channels, 1, kernel, kernel], normal, &device);
        let bias = Tensor::<1>::random([channels], normal, &device);
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
            assert!(worst < 1e-4, "{geometry:?} {clamp:?}: max difference {worst}");
            if clamp[0] == 0.0 {
                assert!(actual.iter().all(|v| (0.0..=6.0).contains(v)));
            } else {
                assert!(actual.iter().any(|v| !(0.0..=6.0).contains(v)));
            }
        }
    }
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
