//! Scaled dot-product self-attention on the host, reading the heads where the dense layers
//! wrote them.
//!
//! Why not flex's: a model's burn path splits each of query, key and value into heads (a
//! copy each), transposes the keys (another), runs one small matmul per head for the scores,
//! divides and masks them in two more passes, and gathers the context back from the heads. In a
//! wasm-bindgen-test build in node (2026-12-06), MiniLM-L6's scores and context took 8.4 and 5.7
//! ms of a pass at 128 tokens. Here each head's scores and context are weighted sums of rows
//! (keys transposed once per head, values where they are), summed in registers.

use wide::f32x4;

use super::{LANES, mul_add, store};

/// The sizes of a multi-head self-attention over `[batch, seq, heads × head_dim]` rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttentionShape {
    pub batch: usize,
    pub seq: usize,
    pub heads: usize,
    pub head_dim: usize,
}

impl AttentionShape {
    fn width(&self) -> usize {
        self.heads * self.head_dim
    }

    /// Where head `head`'s values for position `position` of sentence `sentence` start in a
    /// `[batch, seq, heads × head_dim]` row-major input.
    fn row(&self, sentence: usize, position: usize, head: usize) -> usize {
        (sentence * self.seq + position) * self.width() + head * self.head_dim
    }

    fn scores(&self) -> usize {
        self.batch * self.heads * self.seq * self.seq
    }

    fn check(&self, rows: &[f32]) {
        assert_eq!(
            rows.len(),
            self.batch * self.seq * self.width(),
            "rows of {self:?}"
        );
    }
}

/// The scores `q·k / √head_dim`, `[batch, heads, seq, seq]`, of `query` and `key` (each
/// `[batch, seq, heads × head_dim]`), with `f32::MIN` for each key that `masked` (`[batch,
/// seq]`) marks, as the models' burn path fills padding: the softmax then gives it 0.
pub fn attention_scores(
    query: &[f32],
    key: &[f32],
    masked: &[bool],
    shape: AttentionShape,
) -> Vec<f32> {
    shape.check(query);
    shape.check(key);
    assert_eq!(masked.len(), shape.batch * shape.seq, "one mask per key");
    let AttentionShape {
        batch,
        seq,
        heads,
        head_dim,
    } = shape;
    let scale = (head_dim as f32).sqrt().recip();
    let mut scores = vec![0.0; shape.scores()];
    if scores.is_empty() {
        return scores;
    }
    // One head's keys transposed, `[head_dim, seq]`: a score row is then a weighted sum of
    // key rows.
    let mut keys = vec![0.0; head_dim * seq];
    let mut scaled = vec![0.0; head_dim];
    let mut rows = scores.chunks_exact_mut(seq * seq);
    for sentence in 0..batch {
        let masked = &masked[sentence * seq..(sentence + 1) * seq];
        for head in 0..heads {
            for position in 0..seq {
                let start = shape.row(sentence, position, head);
                for (d, &value) in key[start..start + head_dim].iter().enumerate() {
                    keys[d * seq + position] = value;
                }
            }
            let head_scores = rows
                .next()
                .expect("a block of scores per sentence and head");
            for (position, row) in head_scores.chunks_exact_mut(seq).enumerate() {
                let start = shape.row(sentence, position, head);
                for (scaled, &q) in scaled.iter_mut().zip(&query[start..start + head_dim]) {
                    *scaled = q * scale;
                }
                weighted_sum(row, &scaled, &keys, 0, seq);
                for (score, &masked) in row.iter_mut().zip(masked) {
                    if masked {
                        *score = f32::MIN;
                    }
                }
            }
        }
    }
    scores
}

/// The context `[batch, seq, heads × head_dim]`: each head's `value` rows weighted by its
/// `probabilities` (`[batch, heads, seq, seq]`, each row summing to 1).
pub fn attention_values(probabilities: &[f32], value: &[f32], shape: AttentionShape) -> Vec<f32> {
    shape.check(value);
    assert_eq!(
        probabilities.len(),
        shape.scores(),
        "probabilities of {shape:?}"
    );
    let (seq, head_dim) = (shape.seq, shape.head_dim);
    let mut context = vec![0.0; value.len()];
    if context.is_empty() {
        return context;
    }
    let mut rows = probabilities.chunks_exact(seq);
    for sentence in 0..shape.batch {
        for head in 0..shape.heads {
            for position in 0..seq {
                let weights = rows.next().expect("a row per sentence, head and position");
                let out = shape.row(sentence, position, head);
                let first = shape.row(sentence, 0, head);
                let out = &mut context[out..out + head_dim];
                weighted_sum(out, weights, value, first, shape.width());
            }
        }
    }
    context
}

/// `out = Σ_t weights[t] · source[start + t·stride ..][..out.len()]`, the running sums held in
/// registers across all `t`: blocks of eight vectors, then single vectors, then single lanes.
/// (A first version added each scaled row into `out` in memory, and took MiniLM's context at
/// 128 tokens from 5.7 ms on flex to 10.8.)
#[cfg_attr(
    all(target_arch = "wasm32", feature = "relaxed-simd"),
    target_feature(enable = "relaxed-simd")
)]
fn weighted_sum(out: &mut [f32], weights: &[f32], source: &[f32], start: usize, stride: usize) {
    const WIDE: usize = 8;
    let mut column = 0;
    while column + WIDE * LANES <= out.len() {
        let sums = weighted_block::<WIDE>(weights, source, start + column, stride);
        store(&mut out[column..column + WIDE * LANES], &sums);
        column += WIDE * LANES;
    }
    while column + LANES <= out.len() {
        let sums = weighted_block::<1>(weights, source, start + column, stride);
        store(&mut out[column..column + LANES], &sums);
        column += LANES;
    }
    for (column, out) in out.iter_mut().enumerate().skip(column) {
        *out = (weights.iter().enumerate())
            .map(|(t, weight)| weight * source[start + t * stride + column])
            .sum();
    }
}

/// `Σ_t weights[t] · source[start + t·stride ..][..4·V]` as `V` vectors.
#[inline(always)]
fn weighted_block<const V: usize>(
    weights: &[f32],
    source: &[f32],
    start: usize,
    stride: usize,
) -> [f32x4; V] {
    let mut sums = [f32x4::ZERO; V];
    for (t, &weight) in weights.iter().enumerate() {
        let weight = f32x4::splat(weight);
        let row = &source[start + t * stride..start + t * stride + V * LANES];
        for (sum, lanes) in sums.iter_mut().zip(row.as_chunks::<LANES>().0) {
            *sum = mul_add(f32x4::from(*lanes), weight, *sum);
        }
    }
    sums
}
