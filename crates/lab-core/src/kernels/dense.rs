//! A dense layer, `x·W + b`, for inference on the host with its weights packed once.
//!
//! Why not flex's: its matmul calls gemm, which at a text model's few rows either reads the
//! weight matrix with a stride of a whole row per step (up to 24 rows) or packs it into panels
//! at every call (beyond). In a wasm-bindgen-test build in node (2026-12-06), MiniLM-L6's 36
//! dense layers, each with its own weights as in a pass, took 32, 82 and 163 ms at 16, 64 and 128
//! rows through burn's `Linear`, and 19, 60 and 114 ms here. ONNX Runtime's MLAS packs each
//! weight matrix once too, when its session is created.

use burn::nn::Linear;
use burn::tensor::Tensor;
use wide::f32x4;

use super::{LANES, from_host, host_values};

/// Output columns a panel holds: four vectors. With four rows at a time that is 16 running
/// sums; panels of 8 or 12 columns and 2, 3, 6 or 8 rows at a time were slower in V8 at 16 rows
/// and no faster at 128.
const PANEL: usize = 4 * LANES;
/// Input rows summed against a panel at once.
const ROWS: usize = 4;

/// A dense layer's weights in panels of [`PANEL`] output columns, each panel's values for one
/// input in one run of memory (`[outputs / PANEL][inputs][PANEL]`), so a pass reads the weights
/// once and in order.
#[derive(Clone, Debug)]
pub struct PackedDense {
    inputs: usize,
    outputs: usize,
    panels: Vec<f32>,
    bias: Vec<f32>,
}

impl PackedDense {
    /// The layer's weights packed, or `None` when its outputs are not a whole number of panels
    /// (a classifier's few classes: burn's `Linear` is as fast there).
    pub fn new(linear: &Linear) -> Option<Self> {
        let (weight, [inputs, outputs]) = host_values(linear.weight.val());
        if outputs % PANEL != 0 || inputs == 0 {
            return None;
        }
        let bias = match &linear.bias {
            Some(bias) => host_values(bias.val()).0,
            None => vec![0.0; outputs],
        };
        let mut panels = Vec::with_capacity(weight.len());
        for column in (0..outputs).step_by(PANEL) {
            for row in weight.chunks_exact(outputs) {
                panels.extend_from_slice(&row[column..column + PANEL]);
            }
        }
        Some(Self {
            inputs,
            outputs,
            panels,
            bias,
        })
    }

    /// The layer on a tensor on the host (see [`super::on_host`]), `[..., inputs]` to
    /// `[..., outputs]`, as `Linear::forward`.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let device = x.device();
        let (values, mut dims) = host_values(x);
        assert_eq!(
            dims[D - 1],
            self.inputs,
            "the input's last axis is the layer's inputs"
        );
        dims[D - 1] = self.outputs;
        from_host(self.apply(&values), dims, &device)
    }

    /// The layer on rows of `inputs` values laid end to end.
    pub fn apply(&self, input: &[f32]) -> Vec<f32> {
        assert_eq!(
            input.len() % self.inputs,
            0,
            "the input is whole rows of the layer's inputs"
        );
        let rows = input.len() / self.inputs;
        let mut output = vec![0.0; rows * self.outputs];
        let panels = self.panels.chunks_exact(self.inputs * PANEL);
        for (panel, column) in panels.zip((0..self.outputs).step_by(PANEL)) {
            let bias = &self.bias[column..column + PANEL];
            let mut row = 0;
            while row + ROWS <= rows {
                self.rows_against_panel::<ROWS>(input, row, panel, bias, &mut output, column);
                row += ROWS;
            }
            for row in row..rows {
                self.rows_against_panel::<1>(input, row, panel, bias, &mut output, column);
            }
        }
        output
    }

    /// `R` rows from `first` against one panel: `R × 4` running sums, started at the bias,
    /// that stay in registers over all the inputs.
    #[inline(always)]
    fn rows_against_panel<const R: usize>(
        &self,
        input: &[f32],
        first: usize,
        panel: &[f32],
        bias: &[f32],
        output: &mut [f32],
        column: usize,
    ) {
        let vectors = |values: &[f32]| -> [f32x4; PANEL / LANES] {
            std::array::from_fn(|v| {
                let lanes: [f32; LANES] = values[v * LANES..(v + 1) * LANES]
                    .try_into()
                    .expect("a whole vector");
                f32x4::from(lanes)
            })
        };
        let mut sums = [vectors(bias); R];
        let rows: [&[f32]; R] = std::array::from_fn(|r| {
            let start = (first + r) * self.inputs;
            &input[start..start + self.inputs]
        });
        for (i, weights) in panel.chunks_exact(PANEL).enumerate() {
            let weights = vectors(weights);
            for (sum, row) in sums.iter_mut().zip(rows) {
                let x = f32x4::splat(row[i]);
                for (sum, weight) in sum.iter_mut().zip(weights) {
                    *sum += weight * x;
                }
            }
        }
        for (r, sum) in sums.iter().enumerate() {
            let start = (first + r) * self.outputs + column;
            for (v, sum) in sum.iter().enumerate() {
                output[start + v * LANES..start + (v + 1) * LANES].copy_from_slice(&sum.to_array());
            }
        }
    }
}
