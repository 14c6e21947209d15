//! Where a forward pass's time goes, by kind of operation. The models mark their steps with
//! [`timed`]; a caller that wants the figures runs the pass inside [`record`]. Outside a
//! recording a mark costs one thread-local read, so training and the tests pay nothing more.
//!
//! The figures are wall time on the calling thread. They mean something on the CPU backends,
//! which compute each operation when it is called; on WebGPU a mark would time only the
//! queueing, so the demos record on the CPU only.

use std::cell::RefCell;

use web_time::Instant;

/// What kind of work a marked step of a forward pass is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OpKind {
    /// Token, position and type embeddings summed and normalised.
    Embeddings,
    /// Products with a layer's weight matrix (BERT's query, key, value, output and feed-forward
    /// layers), bias included.
    Dense,
    /// Queries times keys, scaled, padding masked.
    AttentionScores,
    Softmax,
    /// Attention probabilities times the values, the heads joined again.
    AttentionValues,
    Gelu,
    /// The residual sum and layer normalisation.
    LayerNorm,
    /// Convolutions over every input channel: stems, 1×1 expansions and projections.
    Conv,
    /// One filter per channel: EfficientNet's depthwise convolutions, with their ReLU6 where
    /// one kernel computes both (inference on the CPU, `lab_core::kernels`).
    DepthwiseConv,
    BatchNorm,
    /// Activations (EfficientNet's ReLU6, ResNet's ReLU and its stem's max pooling) and
    /// residual sums.
    Activation,
    /// The classifier: pooling and its last dense layer.
    Head,
}

impl OpKind {
    /// Every kind, in the order a profile lists them.
    pub const ALL: [OpKind; 12] = [
        OpKind::Embeddings,
        OpKind::Dense,
        OpKind::AttentionScores,
        OpKind::Softmax,
        OpKind::AttentionValues,
        OpKind::Gelu,
        OpKind::LayerNorm,
        OpKind::Conv,
        OpKind::DepthwiseConv,
        OpKind::BatchNorm,
        OpKind::Activation,
        OpKind::Head,
    ];

    /// A stable name, for benchmarks' output and the page's markup.
    pub fn id(self) -> &'static str {
        match self {
            OpKind::Embeddings => "embeddings",
            OpKind::Dense => "dense",
            OpKind::AttentionScores => "attention-scores",
            OpKind::Softmax => "softmax",
            OpKind::AttentionValues => "attention-values",
            OpKind::Gelu => "gelu",
            OpKind::LayerNorm => "layer-norm",
            OpKind::Conv => "conv",
            OpKind::DepthwiseConv => "depthwise-conv",
            OpKind::BatchNorm => "batch-norm",
            OpKind::Activation => "activation",
            OpKind::Head => "head",
        }
    }
}

/// One kind's share of a pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpTime {
    pub kind: OpKind,
    pub ms: f64,
    /// How many marked steps of this kind ran.
    pub calls: u32,
}

/// A recorded pass: the kinds that ran, in [`OpKind::ALL`]'s order, and the whole pass's time;
/// what no mark covers (reshapes, reading inputs, the caller's own work) is the difference.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    pub ops: Vec<OpTime>,
    pub total_ms: f64,
}

impl Profile {
    /// Time outside every mark.
    pub fn unmarked_ms(&self) -> f64 {
        (self.total_ms - self.ops.iter().map(|op| op.ms).sum::<f64>()).max(0.0)
    }

    /// As numbers, for a worker's answer: `[ms, calls]` per kind of [`OpKind::ALL`], then the
    /// total.
    pub fn to_floats(&self) -> Vec<f32> {
        let mut floats = Vec::with_capacity(2 * OpKind::ALL.len() + 1);
        for kind in OpKind::ALL {
            let op = self.ops.iter().find(|op| op.kind == kind);
            floats.push(op.map_or(0.0, |op| op.ms as f32));
            floats.push(op.map_or(0.0, |op| op.calls as f32));
        }
        floats.push(self.total_ms as f32);
        floats
    }

    /// The inverse of [`Profile::to_floats`]; `None` for numbers of another length.
    pub fn from_floats(floats: &[f32]) -> Option<Self> {
        if floats.len() != 2 * OpKind::ALL.len() + 1 {
            return None;
        }
        let ops = OpKind::ALL
            .iter()
            .zip(floats.chunks_exact(2))
            .filter(|(_, pair)| pair[1] > 0.0)
            .map(|(&kind, pair)| OpTime {
                kind,
                ms: f64::from(pair[0]),
                calls: pair[1] as u32,
            })
            .collect();
        Some(Self {
            ops,
            total_ms: f64::from(floats[floats.len() - 1]),
        })
    }
}

/// The recording in progress on this thread: totals per kind, and whether a mark is running
/// (a mark inside another is part of the outer one's time, not counted twice).
struct Recording {
    totals: [(f64, u32); OpKind::ALL.len()],
    inside: bool,
}

thread_local! {
    static RECORDING: RefCell<Option<Recording>> = const { RefCell::new(None) };
}

/// Runs `pass`, recording the marked steps it runs on this thread.
pub fn record<T>(pass: impl FnOnce() -> T) -> (T, Profile) {
    let outer = RECORDING.replace(Some(Recording {
        totals: [(0.0, 0); OpKind::ALL.len()],
        inside: false,
    }));
    let started = Instant::now();
    let value = pass();
    let total_ms = started.elapsed().as_secs_f64() * 1e3;
    let recording = RECORDING
        .replace(outer)
        .expect("the recording started above");
    let ops = OpKind::ALL
        .iter()
        .zip(recording.totals)
        .filter(|(_, (_, calls))| *calls > 0)
        .map(|(&kind, (ms, calls))| OpTime { kind, ms, calls })
        .collect();
    (value, Profile { ops, total_ms })
}

/// Runs one step of a forward pass, timed as `kind` when a recording is in progress.
pub fn timed<T>(kind: OpKind, step: impl FnOnce() -> T) -> T {
    let counted = RECORDING.with_borrow_mut(|recording| match recording {
        Some(recording) if !recording.inside => {
            recording.inside = true;
            true
        }
        _ => false,
    });
    if !counted {
        return step();
    }
    let started = Instant::now();
    let value = step();
    let ms = started.elapsed().as_secs_f64() * 1e3;
    RECORDING.with_borrow_mut(|recording| {
        if let Some(recording) = recording {
            recording.inside = false;
            let index = OpKind::ALL
                .iter()
                .position(|k| *k == kind)
                .expect("every kind is listed");
            recording.totals[index].0 += ms;
            recording.totals[index].1 += 1;
        }
    });
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy(ms: u64) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }

    #[test]
    fn marks_count_only_inside_a_recording_and_nested_marks_once() {
        assert_eq!(timed(OpKind::Dense, || 7), 7);
        let (value, profile) = record(|| {
            timed(OpKind::Dense, || busy(5));
            timed(OpKind::Dense, || timed(OpKind::Softmax, || busy(5)));
            timed(OpKind::Gelu, || busy(5));
            busy(5);
            42
        });
        assert_eq!(value, 42);
        let kinds: Vec<(OpKind, u32)> = profile.ops.iter().map(|op| (op.kind, op.calls)).collect();
        assert_eq!(kinds, [(OpKind::Dense, 2), (OpKind::Gelu, 1)]);
        assert!(profile.ops[0].ms >= 10.0 && profile.ops[1].ms >= 5.0);
        assert!(profile.unmarked_ms() >= 5.0);
        assert!(profile.total_ms >= 20.0);
        // A recording leaves nothing behind: a later mark is not counted anywhere.
        assert_eq!(timed(OpKind::Gelu, || 1), 1);
        assert_eq!(
            Profile::from_floats(&profile.to_floats()).map(|p| p.ops.len()),
            Some(2)
        );
        assert_eq!(Profile::from_floats(&[1.0]), None);
    }
}
