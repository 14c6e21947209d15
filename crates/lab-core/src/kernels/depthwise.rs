//! A depthwise convolution with its bias and clamp in one pass, for inference on the host.

use wide::f32x4;

use super::{LANES, clamp, mul_add};

/// Groups of four outputs a depthwise convolution sums at once (eight ran slower in V8).
const BLOCK: usize = 4;

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

impl DepthwiseGeometry {
    /// The geometry of a convolution padded by `padding`, (before, after) for height then
    /// width, its output size following as burn's and PyTorch's does.
    pub fn new(
        channels: usize,
        input: [usize; 2],
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [(usize, usize); 2],
    ) -> Self {
        let output = std::array::from_fn(|axis| {
            let (before, after) = padding[axis];
            let span = (input[axis] + before + after)
                .checked_sub(kernel[axis])
                .expect("the padded input is at least as large as the kernel");
            span / stride[axis] + 1
        });
        Self {
            channels,
            input,
            kernel,
            stride,
            pad_begin: padding.map(|(before, _)| before),
            output,
        }
    }
}

/// Whether [`depthwise_conv2d`] takes a kernel and a stride: EfficientNet's, square kernels of
/// 3 or 5 with the same stride of 1 or 2 both ways.
pub fn depthwise_takes(kernel: [usize; 2], stride: [usize; 2]) -> bool {
    let square = kernel[0] == kernel[1] && stride[0] == stride[1];
    square && matches!(kernel[0], 3 | 5) && matches!(stride[0], 1 | 2)
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
        channels > 0 && in_plane > 0 && out_plane > 0 && kh > 0 && kw > 0 && sh > 0 && sw > 0,
        "every size of a depthwise convolution is at least 1: {geometry:?}"
    );
    assert_eq!(
        input.len() % (channels * in_plane),
        0,
        "input for {geometry:?}"
    );
    assert!(
        depthwise_takes([kh, kw], [sh, sw]),
        "a depthwise kernel and stride the kernel takes: {geometry:?}"
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
    // Each tap's weight.
    let mut taps = vec![f32x4::ZERO; kh * kw];
    let (low, high) = (f32x4::splat(low), f32x4::splat(high));
    // Outputs in units of four neighbours in a row, a row's units one after another, the same
    // for every plane. Four units are summed at a time, so that four independent sums hide
    // each addition's latency (one running sum waits on the previous tap's add at every tap).
    let units: Vec<Unit> = (0..out_h)
        .flat_map(|oh| {
            (0..groups).map(move |group| Unit {
                read: oh * sh * phase_w + group * LANES,
                write: oh * out_w + group * LANES,
                count: LANES.min(out_w - group * LANES),
            })
        })
        .collect();

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
        let planes = Phases {
            values: &phases,
            len: phase_len,
            width: phase_w,
        };
        let convolve = match (kh, sh) {
            (3, 1) => convolve_plane::<3, 1>,
            (3, 2) => convolve_plane::<3, 2>,
            (5, 1) => convolve_plane::<5, 1>,
            (5, 2) => convolve_plane::<5, 2>,
            _ => unreachable!("checked by depthwise_takes"),
        };
        convolve(&planes, &units, &taps, start, [low, high], target);
    }
    output
}

/// The zero-padded planes of one input channel, split by column phase: `values` holds the
/// phases one after another, each `len` values in rows of `width`.
struct Phases<'a> {
    values: &'a [f32],
    len: usize,
    width: usize,
}

/// One plane of a depthwise convolution with a `K × K` kernel and stride `S`, its `units` written
/// to `target`. With both known when compiling, a block's tap loop unrolls into fixed offsets
/// into row slices of a known length, so no read is bounds-checked on its own: EfficientNet-Lite0's
/// sixteen depthwise convolutions took 11.1 ms in node's test build (2026-12-06), against 18.7
/// when each tap's read was a checked slice at an offset computed at run time.
// With relaxed SIMD it is compiled for it (kernels.rs, `mul_add`), and then not
// `#[inline(always)]`, which Rust does not allow beside `target_feature`.
#[cfg_attr(
    all(target_arch = "wasm32", feature = "relaxed-simd"),
    target_feature(enable = "relaxed-simd")
)]
#[cfg_attr(
    not(all(target_arch = "wasm32", feature = "relaxed-simd")),
    inline(always)
)]
fn convolve_plane<const K: usize, const S: usize>(
    phases: &Phases,
    units: &[Unit],
    taps: &[f32x4],
    start: f32x4,
    [low, high]: [f32x4; 2],
    target: &mut [f32],
) {
    let taps = &taps[..K * K];
    // The values one window row reads from one phase: its taps' columns, then a vector's width.
    let span = (K - 1) / S + LANES;
    for block in units.chunks(BLOCK) {
        // The last block repeats its last unit, computed and not stored twice.
        let reads: [usize; BLOCK] = std::array::from_fn(|i| block[i.min(block.len() - 1)].read);
        // Four running sums, so that their additions' latencies overlap.
        let mut sums = [start; BLOCK];
        for ky in 0..K {
            let rows: [[&[f32]; S]; BLOCK] = std::array::from_fn(|b| {
                std::array::from_fn(|phase| {
                    let begin = phase * phases.len + ky * phases.width + reads[b];
                    &phases.values[begin..begin + span]
                })
            });
            for kx in 0..K {
                let tap = taps[ky * K + kx];
                for (sum, rows) in sums.iter_mut().zip(&rows) {
                    let row = rows[kx % S];
                    let values: [f32; LANES] =
                        row[kx / S..kx / S + LANES].try_into().expect("four values");
                    *sum = mul_add(f32x4::from(values), tap, *sum);
                }
            }
        }
        for (unit, sum) in block.iter().zip(sums) {
            let result = clamp(sum, low, high).to_array();
            // A fixed-size copy is one store; only a row's last unit may be shorter.
            if unit.count == LANES {
                target[unit.write..unit.write + LANES].copy_from_slice(&result);
            } else {
                target[unit.write..unit.write + unit.count].copy_from_slice(&result[..unit.count]);
            }
        }
    }
}

/// Four neighbouring outputs of a depthwise convolution: where their window starts in the
/// phase planes, where they go in the output plane, and how many of the four are in the row.
#[derive(Clone, Copy)]
struct Unit {
    read: usize,
    write: usize,
    count: usize,
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
        // Phase column j holds input column j·stride + phase − pad_left: the first j whose
        // column is not left of the input, then every input column from there on that fits.
        let first = pad_left.saturating_sub(phase).div_ceil(stride).min(phase_w);
        let first_x = (first * stride + phase).saturating_sub(pad_left);
        let count = if first_x < in_w {
            (in_w - first_x).div_ceil(stride).min(phase_w - first)
        } else {
            0
        };
        for (r, row) in target.chunks_exact_mut(phase_w).enumerate() {
            let Some(y) = r.checked_sub(pad_top).filter(|&y| y < in_h) else {
                row.fill(0.0);
                continue;
            };
            let source_row = &source[y * in_w + first_x.min(in_w)..(y + 1) * in_w];
            row[..first].fill(0.0);
            let (inside, right) = row[first..].split_at_mut(count);
            if stride == 1 {
                inside.copy_from_slice(&source_row[..count]);
            } else {
                for (value, &x) in inside.iter_mut().zip(source_row.iter().step_by(stride)) {
                    *value = x;
                }
            }
            right.fill(0.0);
        }
    }
}
