//! A dense layer, `x·W + b`, packed once for inference on the host: f32 weights in panels read
//! in order, and int8 weights computed in integers.
//!
//! - **f32** ([`F32Dense`]): two rows at a time against a panel of 16 output columns keep eight
//!   running sums in registers, as onnxruntime's MLAS kernel for wasm does. flex's matmul (gemm)
//!   packs the weights again on every call, and below 24 rows reads them unpacked, one cache
//!   line per input. In node (2026-12-06, MiniLM-L6's six dense layers × 6, random weights) this
//!   took 8.5, 32 and 64 ms at 16, 64 and 128 rows against gemm's 12.6, 42 and 86; four rows at
//!   a time (16 sums, more than V8 keeps in x64's 16 vector registers) was no faster than gemm,
//!   which is why an earlier packing of f32 weights was dropped.
//! - **int8** ([`Int8Dense`]): the int8 weights (one scale per output column, as the int8
//!   weights file stores them) meet the row's values rounded to 16-bit integers with one scale
//!   per row; `i32x4.dot_i16x8_s` (`wide`'s `i16x8::dot`) sums two products per lane where f32
//!   needs a multiply and an add per product, and the weights are read as 2 bytes instead of 4.
//!   Before, an int8 file was dequantized at load and computed as fast as the f32 one.

use burn::nn::Linear;
use burn::tensor::Tensor;
use wide::{f32x4, i16x8, i32x4};

use super::{LANES, from_host, host_bias, host_values, mul_add, store};
use crate::asset;

/// Output columns a panel holds: four vectors.
const PANEL: usize = 4 * LANES;
/// Input rows summed against an int8 panel at once.
const ROWS: usize = 4;
/// Input rows summed against an f32 panel at once: 8 sums, 4 weight vectors and the input stay
/// in registers (4 rows, 16 sums, spill in V8 and ran 1.5× slower in node; 4 rows against 8
/// columns was as fast).
const F32_ROWS: usize = 2;

/// A dense layer packed for the host: [`F32Dense`] or [`Int8Dense`].
#[derive(Clone, Debug)]
pub enum HostDense {
    F32(F32Dense),
    Int8(Int8Dense),
}

impl HostDense {
    /// The layer on a tensor on the host (see [`super::on_host`]), `[..., inputs]` to
    /// `[..., outputs]`, as `Linear::forward`.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let (inputs, outputs) = match self {
            HostDense::F32(dense) => (dense.inputs, dense.outputs),
            HostDense::Int8(dense) => (dense.inputs, dense.outputs),
        };
        let device = x.device();
        let (values, mut dims) = host_values(x);
        assert_eq!(
            dims[D - 1],
            inputs,
            "the input's last axis is the layer's inputs"
        );
        dims[D - 1] = outputs;
        let values = match self {
            HostDense::F32(dense) => dense.apply(&values),
            HostDense::Int8(dense) => dense.apply(&values),
        };
        from_host(values, dims, &device)
    }

    pub fn is_int8(&self) -> bool {
        matches!(self, HostDense::Int8(_))
    }
}

/// A dense layer's f32 weights in panels of [`PANEL`] output columns, each panel's rows of
/// weights one input after the other (`[outputs / PANEL][inputs][PANEL]`).
#[derive(Clone, Debug)]
pub struct F32Dense {
    inputs: usize,
    outputs: usize,
    panels: Vec<f32>,
    bias: Vec<f32>,
}

impl F32Dense {
    /// The layer's weights packed; `None` when its outputs are not a whole number of panels (a
    /// classifier's few classes: burn's `Linear` stays).
    pub fn new(linear: &Linear) -> Option<Self> {
        // `[inputs, outputs]`: each input's weights for a panel's columns are one run.
        let (weight, [inputs, outputs]) = host_values(linear.weight.val());
        if outputs % PANEL != 0 || inputs == 0 {
            return None;
        }
        let mut panels = Vec::with_capacity(inputs * outputs);
        for first in (0..outputs).step_by(PANEL) {
            for row in weight.chunks_exact(outputs) {
                panels.extend_from_slice(&row[first..first + PANEL]);
            }
        }
        Some(Self {
            inputs,
            outputs,
            bias: host_bias(&linear.bias, outputs),
            panels,
        })
    }

    /// The layer on rows of `inputs` values laid end to end.
    #[cfg_attr(
        all(target_arch = "wasm32", feature = "relaxed-simd"),
        target_feature(enable = "relaxed-simd")
    )]
    pub fn apply(&self, input: &[f32]) -> Vec<f32> {
        let mut output = output_for(input, self.inputs, self.outputs);
        let panels = self.panels.chunks_exact(self.inputs * PANEL);
        for (panel, column) in panels.zip((0..self.outputs).step_by(PANEL)) {
            let bias = vectors(&self.bias[column..column + PANEL]);
            let mut groups = input.chunks_exact(F32_ROWS * self.inputs);
            let mut row = 0;
            for group in &mut groups {
                let rows: [&[f32]; F32_ROWS] =
                    std::array::from_fn(|r| &group[r * self.inputs..(r + 1) * self.inputs]);
                let sums = rows_against_f32_panel(rows, panel, bias);
                self.store_rows(&sums, row, column, &mut output);
                row += F32_ROWS;
            }
            for last in groups.remainder().chunks_exact(self.inputs) {
                let sums = rows_against_f32_panel([last], panel, bias);
                self.store_rows(&sums, row, column, &mut output);
                row += 1;
            }
        }
        output
    }

    fn store_rows(
        &self,
        sums: &[[f32x4; PANEL / LANES]],
        first: usize,
        column: usize,
        output: &mut [f32],
    ) {
        for (r, sums) in sums.iter().enumerate() {
            let start = (first + r) * self.outputs + column;
            store(&mut output[start..start + PANEL], sums);
        }
    }
}

/// `R` rows against one f32 panel, starting from the bias: `R × 4` sums in registers, each step
/// one input (its value in every lane) times that input's weights for the panel's columns.
#[inline(always)]
fn rows_against_f32_panel<const R: usize>(
    rows: [&[f32]; R],
    panel: &[f32],
    bias: [f32x4; PANEL / LANES],
) -> [[f32x4; PANEL / LANES]; R] {
    let inputs = panel.len() / PANEL;
    for row in rows {
        // Lets the compiler drop the bounds check on `row[i]` below.
        assert_eq!(row.len(), inputs, "a row is the layer's inputs");
    }
    let mut sums = [bias; R];
    for (i, weights) in panel.chunks_exact(PANEL).enumerate() {
        let weights = vectors(weights);
        for (sum, row) in sums.iter_mut().zip(rows) {
            let x = f32x4::splat(row[i]);
            for (sum, weight) in sum.iter_mut().zip(weights) {
                *sum = mul_add(x, weight, *sum);
            }
        }
    }
    sums
}

/// A dense layer's int8 weights in panels of [`PANEL`] output columns, each panel's values
/// for two inputs in one run of memory (`[outputs / PANEL][inputs / 2][PANEL][2]`, an odd last
/// input paired with 0), each value an int8 one widened to i16.
#[derive(Clone, Debug)]
pub struct Int8Dense {
    inputs: usize,
    outputs: usize,
    panels: Vec<i16>,
    /// One per output column.
    scales: Vec<f32>,
    /// The largest integer a row's values are rounded to: a sum of `inputs` products of it and
    /// 127 stays within an i32.
    limit: f32,
    bias: Vec<f32>,
}

impl Int8Dense {
    /// The layer's weights rounded to int8 with one scale per output column by the int8 weights
    /// file's own quantizer ([`asset::quantize_per_channel`]), so a layer loaded from that file
    /// gets back its int8 values; `None` when its outputs are not a whole number of panels (a classifier's few
    /// classes: burn's `Linear` stays).
    pub fn new(linear: &Linear) -> Option<Self> {
        // `[outputs, inputs]`, PyTorch's layout, which the int8 file quantizes row by row.
        let (weight, [outputs, inputs]) = host_values(linear.weight.val().transpose());
        if outputs % PANEL != 0 || inputs == 0 {
            return None;
        }
        let bias = host_bias(&linear.bias, outputs);
        let (int8, scales) = asset::quantize_per_channel(&weight, outputs);
        let quantized = |input: usize, column: usize| -> i16 {
            if input < inputs {
                i16::from(int8[column * inputs + input])
            } else {
                0
            }
        };
        let pairs = inputs.div_ceil(2);
        let mut panels = Vec::with_capacity(outputs * pairs * 2);
        for first in (0..outputs).step_by(PANEL) {
            for pair in 0..pairs {
                for column in first..first + PANEL {
                    panels.push(quantized(2 * pair, column));
                    panels.push(quantized(2 * pair + 1, column));
                }
            }
        }
        Some(Self {
            inputs,
            outputs,
            panels,
            scales,
            limit: input_limit(pairs),
            bias,
        })
    }

    /// The layer on rows of `inputs` values laid end to end. A row with a value that is not
    /// finite gives NaN throughout, as its f32 products would.
    pub fn apply(&self, input: &[f32]) -> Vec<f32> {
        let rows = input.len() / self.inputs;
        let mut output = output_for(input, self.inputs, self.outputs);
        let pairs = self.inputs.div_ceil(2);
        let (quantized, row_scales) = quantize_rows(input, self.inputs, self.limit);
        let int8 = Int8Rows {
            pairs: &quantized,
            row_scales: &row_scales,
        };
        let panels = self.panels.chunks_exact(pairs * 2 * PANEL);
        for (panel, column) in panels.zip((0..self.outputs).step_by(PANEL)) {
            let mut row = 0;
            while row + ROWS <= rows {
                self.rows_against_panel::<ROWS>(&int8, row, panel, &mut output, column);
                row += ROWS;
            }
            for row in row..rows {
                self.rows_against_panel::<1>(&int8, row, panel, &mut output, column);
            }
        }
        for (row, scale) in output.chunks_exact_mut(self.outputs).zip(&row_scales) {
            if scale.is_nan() {
                row.fill(f32::NAN);
            }
        }
        output
    }

    /// `R` rows from `first` against one panel: `R × 4` integer sums that stay in registers,
    /// each step two inputs, scaled back to f32 with the row's and the columns' scales at the
    /// end.
    #[inline(always)]
    fn rows_against_panel<const R: usize>(
        &self,
        int8: &Int8Rows,
        first: usize,
        panel: &[i16],
        output: &mut [f32],
        column: usize,
    ) {
        let pairs = self.inputs.div_ceil(2);
        let mut sums = [[i32x4::ZERO; PANEL / LANES]; R];
        let rows: [&[i32]; R] =
            std::array::from_fn(|r| &int8.pairs[(first + r) * pairs..(first + r + 1) * pairs]);
        for (i, weights) in panel.chunks_exact(2 * PANEL).enumerate() {
            let weights: [i16x8; PANEL / LANES] = std::array::from_fn(|v| {
                let lanes: [i16; 2 * LANES] = weights[v * 2 * LANES..(v + 1) * 2 * LANES]
                    .try_into()
                    .expect("a whole vector");
                i16x8::from(lanes)
            });
            for (sum, row) in sums.iter_mut().zip(rows) {
                // Both inputs of the pair in every lane: lane j of the product sums input
                // 2i's and 2i + 1's products with column j's weights.
                let x: i16x8 = bytemuck::cast(i32x4::splat(row[i]));
                for (sum, weight) in sum.iter_mut().zip(weights) {
                    *sum += weight.dot(x);
                }
            }
        }
        let columns = vectors(&self.scales[column..column + PANEL]);
        let bias = vectors(&self.bias[column..column + PANEL]);
        for (r, sums) in sums.iter().enumerate() {
            let row_scale = f32x4::splat(int8.row_scales[first + r]);
            let values: [f32x4; PANEL / LANES] = std::array::from_fn(|v| {
                f32x4::from_i32x4(sums[v]) * (columns[v] * row_scale) + bias[v]
            });
            let start = (first + r) * self.outputs + column;
            store(&mut output[start..start + PANEL], &values);
        }
    }
}

/// A layer's zeroed output for `input`, which must be whole rows of `inputs` values.
fn output_for(input: &[f32], inputs: usize, outputs: usize) -> Vec<f32> {
    assert_eq!(
        input.len() % inputs,
        0,
        "the input is whole rows of the layer's inputs"
    );
    vec![0.0; input.len() / inputs * outputs]
}

/// The largest integer an int8 layer's input values are rounded to, for sums over `pairs`
/// pairs of inputs: `2 · pairs` products of it and 127 stay within an i32, and it fits an i16.
pub(super) fn input_limit(pairs: usize) -> f32 {
    (i32::MAX as f32 / (127.0 * 2.0 * pairs as f32))
        .min(f32::from(i16::MAX))
        .floor()
}

/// An int8 layer's input: each row's values as integer pairs (two i16 in one i32, the
/// lower input in the lower half) and the row's scale.
struct Int8Rows<'a> {
    pairs: &'a [i32],
    row_scales: &'a [f32],
}

fn vectors(values: &[f32]) -> [f32x4; PANEL / LANES] {
    std::array::from_fn(|v| {
        let lanes: [f32; LANES] = values[v * LANES..(v + 1) * LANES]
            .try_into()
            .expect("a whole vector");
        f32x4::from(lanes)
    })
}

/// Each row of `inputs` values rounded to integers within `±limit`, with one scale per row
/// (`max |x| / limit`; NaN for a row with a value that is not finite), as integer pairs.
fn quantize_rows(input: &[f32], inputs: usize, limit: f32) -> (Vec<i32>, Vec<f32>) {
    let pairs = inputs.div_ceil(2);
    let rows = input.len() / inputs;
    let mut quantized = Vec::with_capacity(rows * pairs);
    let mut scales = Vec::with_capacity(rows);
    for row in input.chunks_exact(inputs) {
        let finite = row.iter().all(|x| x.is_finite());
        let largest = row.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let scale = if finite { largest / limit } else { f32::NAN };
        scales.push(scale);
        let inverse = if finite && largest > 0.0 {
            scale.recip()
        } else {
            0.0
        };
        let integer = |x: Option<&f32>| x.map_or(0, |x| (x * inverse).round() as i16);
        quantized.extend(row.chunks(2).map(|pair| {
            let low = integer(pair.first()) as u16 as u32;
            let high = integer(pair.get(1)) as u16 as u32;
            (low | high << 16) as i32
        }));
    }
    debug_assert_eq!(quantized.len(), rows * pairs);
    (quantized, scales)
}
