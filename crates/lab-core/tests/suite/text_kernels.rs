//! lab-core's own CPU kernels for the text models against the burn operations they stand in
//! for: the int8 dense layer at every count of leftover rows, softmax with masked and
//! non-finite scores, self-attention's scores and context against burn's per-head matmuls.

use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use lab_core::kernels::{
    AttentionShape, F32Dense, HostDense, Int8Dense, attention_scores, attention_values,
    softmax_rows,
};
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::kernels::{random, values, values_of};

/// A `Linear` with weights (and bias) from `rng`.
fn linear(inputs: usize, outputs: usize, bias: bool, rng: &mut StdRng, device: &Device) -> Linear {
    let mut layer = LinearConfig::new(inputs, outputs)
        .with_bias(bias)
        .init(device);
    layer.weight = layer.weight.map(|_| random([inputs, outputs], rng, device));
    layer.bias = layer
        .bias
        .map(|b| b.map(|_| random([outputs], rng, device)));
    layer
}

#[test]
fn softmax_kernel_matches_burns_with_masked_and_non_finite_scores() {
    let device = Device::flex();
    let mut rng = StdRng::seed_from_u64(13);
    for width in [1, 3, 4, 7, 16, 129] {
        let scores = random([2, 3, width], &mut rng, &device) * 4.0;
        // The attention's padding: f32::MIN in the last column of every other row.
        let mut values = values(&scores);
        for row in values.chunks_mut(width).step_by(2) {
            if width > 1 {
                row[width - 1] = f32::MIN;
            }
        }
        let masked =
            Tensor::<3>::from_data(TensorData::new(values.clone(), [2, 3, width]), &device);
        let expected = values_of(softmax(masked, 2));
        softmax_rows(&mut values, width);
        for (a, e) in values.iter().zip(&expected) {
            assert!((a - e).abs() <= 1e-6, "width {width}: {a} against {e}");
        }
        for row in values.chunks(width) {
            let sum: f32 = row.iter().sum();
            assert!(
                (sum - 1.0).abs() < 1e-5,
                "width {width}: a row sums to {sum}"
            );
        }
    }
    // A NaN score makes its row NaN, as burn's does; other rows are untouched; huge scores do
    // not overflow.
    let mut rows = [1.0, f32::NAN, 2.0, 0.0, 1e30, 1e30, 0.0, -1e30];
    softmax_rows(&mut rows, 4);
    assert!(rows[..4].iter().all(|v| v.is_nan()), "{rows:?}");
    assert_eq!(rows[4..], [0.5, 0.5, 0.0, 0.0]);
}

#[test]
fn attention_kernels_match_burns_per_head_matmuls() {
    let device = Device::flex();
    let mut rng = StdRng::seed_from_u64(19);
    // A head width that is not whole vectors; one that is (MiniLM's 32); a lone token.
    for (batch, seq, heads, head_dim) in [(2, 5, 3, 6), (1, 17, 2, 32), (1, 1, 2, 4)] {
        let shape = AttentionShape {
            batch,
            seq,
            heads,
            head_dim,
        };
        let hidden = heads * head_dim;
        let [q, k, v] = [0; 3].map(|_| random([batch, seq, hidden], &mut rng, &device));
        // The second sentence's last two keys are padding.
        let masked: Vec<bool> = (0..batch * seq)
            .map(|i| i / seq == 1 && i % seq >= seq - 2)
            .collect();
        let mask = Tensor::<2, burn::tensor::Bool>::from_data(
            TensorData::new(masked.clone(), [batch, seq]),
            &device,
        )
        .reshape([batch, 1, 1, seq])
        .expand([batch, heads, seq, seq]);
        let split = |t: &Tensor<3>| {
            t.clone()
                .reshape([batch, seq, heads, head_dim])
                .swap_dims(1, 2)
        };
        let scores = (split(&q).matmul(split(&k).swap_dims(2, 3)) / (head_dim as f64).sqrt())
            .mask_fill(mask, f32::MIN);
        let probabilities = softmax(scores.clone(), 3);
        let context = probabilities
            .clone()
            .matmul(split(&v))
            .swap_dims(1, 2)
            .reshape([batch, seq, hidden]);
        let close = |actual: &[f32], expected: &[f32], what: &str| {
            assert_eq!(actual.len(), expected.len(), "{what} of {shape:?}");
            for (a, e) in actual.iter().zip(expected) {
                assert!(
                    (a - e).abs() <= 1e-5 * e.abs().max(1.0),
                    "{what} of {shape:?}: {a} against {e}"
                );
            }
        };
        let mut actual = attention_scores(&values(&q), &values(&k), &masked, shape);
        close(&actual, &values_of(scores), "scores");
        assert_eq!(
            actual.iter().filter(|&&s| s == f32::MIN).count(),
            masked.iter().filter(|&&m| m).count() * heads * seq
        );
        softmax_rows(&mut actual, seq);
        close(&actual, &values(&probabilities), "probabilities");
        let actual = attention_values(&values(&probabilities), &values(&v), shape);
        close(&actual, &values_of(context), "context");
    }
}

#[test]
fn f32_dense_computes_as_burns_linear() {
    let device = Device::flex();
    let mut rng = StdRng::seed_from_u64(29);
    // One input, MiniLM's widest, one panel and three; with and without a bias; one row to nine
    // (the kernel takes two at a time, an odd last one alone).
    for (inputs, outputs, bias) in [(1, 16, true), (33, 48, false), (1536, 16, true)] {
        let layer = linear(inputs, outputs, bias, &mut rng, &device);
        let packed = HostDense::F32(F32Dense::new(&layer).expect("whole panels pack"));
        let weights = values(&layer.weight.val());
        for rows in 1..=9 {
            let x = random([rows, inputs], &mut rng, &device);
            let x_values = values(&x);
            let expected = values_of(layer.forward(x.clone()));
            let actual = values_of(packed.forward(x));
            assert_eq!(actual.len(), expected.len());
            for (i, (a, e)) in actual.iter().zip(&expected).enumerate() {
                let (row, column) = (i / outputs, i % outputs);
                // Both sum the same products in another order: f32 rounding of the sum of
                // their magnitudes.
                let magnitude: f32 = (0..inputs)
                    .map(|j| (x_values[row * inputs + j] * weights[j * outputs + column]).abs())
                    .sum();
                assert!(
                    (a - e).abs() <= 1e-6 * magnitude + 1e-6,
                    "{inputs}→{outputs}, {rows} rows: {a} against {e}"
                );
            }
        }
    }
    assert!(F32Dense::new(&linear(8, 10, true, &mut rng, &device)).is_none());
}

#[test]
fn int8_dense_computes_the_int8_weights_within_the_rounding_of_its_inputs() {
    let device = Device::flex();
    let mut rng = StdRng::seed_from_u64(23);
    // An odd number of inputs (the last pair half empty), MiniLM's widest, one panel and three.
    for (inputs, outputs) in [(5, 16), (33, 48), (1536, 16)] {
        let mut layer = linear(inputs, outputs, true, &mut rng, &device);
        // The weights as an int8 file gives them back: rounded per output column.
        let weights = values(&layer.weight.val());
        let scales: Vec<f32> = (0..outputs)
            .map(|c| (0..inputs).fold(0.0f32, |m, i| m.max(weights[i * outputs + c].abs())) / 127.0)
            .collect();
        let rounded: Vec<f32> = (weights.iter().enumerate())
            .map(|(i, w)| (w / scales[i % outputs]).round() * scales[i % outputs])
            .collect();
        let rounded = Tensor::<2>::from_data(TensorData::new(rounded, [inputs, outputs]), &device);
        layer.weight = layer.weight.map(|_| rounded.clone());
        let packed = HostDense::Int8(Int8Dense::new(&layer).expect("whole panels pack"));
        let magnitudes = values_of(rounded.abs().sum_dim(0));
        for rows in 1..=9 {
            let x = random([rows, inputs], &mut rng, &device);
            let expected = values_of(layer.forward(x.clone()));
            let x_values = values(&x);
            let actual = values_of(packed.forward(x));
            for (i, (a, e)) in actual.iter().zip(&expected).enumerate() {
                let (row, column) = (i / outputs, i % outputs);
                let largest = x_values[row * inputs..(row + 1) * inputs]
                    .iter()
                    .fold(0.0f32, |m, v| m.max(v.abs()));
                // Each input is off by at most half a step of max|x| / 8000 or finer.
                let bound = magnitudes[column] * largest / 8000.0 * 0.5 + 1e-4;
                assert!(
                    (a - e).abs() <= bound,
                    "{inputs}→{outputs}, row {row}: {a} against {e} (bound {bound})"
                );
            }
        }
    }
    // A classifier's few outputs are not a whole panel: burn's Linear stays.
    assert!(Int8Dense::new(&linear(8, 10, true, &mut rng, &device)).is_none());
    // A row with a value that is not finite is NaN throughout; the others are untouched.
    let layer = linear(6, 16, true, &mut rng, &device);
    let packed = Int8Dense::new(&layer).unwrap();
    let mut x = vec![1.0f32; 18];
    x[7] = f32::INFINITY;
    let output = packed.apply(&x);
    assert!(output[16..32].iter().all(|v| v.is_nan()));
    assert!(
        output[..16]
            .iter()
            .chain(&output[32..])
            .all(|v| v.is_finite())
    );
}
