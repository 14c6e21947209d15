//! Ranking a model's scores: what every classifier-like output (image classes, sentiment,
//! fill-mask tokens) turns into before it is shown.

/// One ranked class.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    pub class: usize,
    pub logit: f32,
    /// Softmax probability over all classes.
    pub probability: f32,
}

/// The `k` most likely classes of one row of logits, best first.
pub fn top_k(logits: &[f32], k: usize) -> Vec<Prediction> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = logits.iter().map(|l| (l - max).exp()).sum();
    let mut order: Vec<usize> = (0..logits.len()).collect();
    order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
    order
        .into_iter()
        .take(k)
        .map(|class| Prediction {
            class,
            logit: logits[class],
            probability: (logits[class] - max).exp() / sum,
        })
        .collect()
}
