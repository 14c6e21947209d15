//! Training a [`Bert`]: BERT's masked-language-model pretraining and sentence-classification
//! fine-tuning as losses on a batch (the native pretraining command drives them), and the
//! page's live fine-tuning of a classifier head on a frozen encoder's sentence features.
//!
//! Everything is a function of the batch and the weights; the loops (learning-rate schedule,
//! batching, logging) belong to the caller.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::{Rng, RngExt};

use super::bert::{Bert, BertInput};
use crate::optim::{OptimizerKind, OptimizerSpec};
use crate::saved::{self, Saved, SavedError};

/// Share of the real tokens BERT masks.
pub const MASK_RATE: f64 = 0.15;

/// Token ids the masking must know: the special ones, and the range random replacements come
/// from (every id from `first_regular` up to `vocab_size`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vocabulary {
    pub cls: u32,
    pub sep: u32,
    pub pad: u32,
    pub mask: u32,
    pub first_regular: u32,
    pub vocab_size: u32,
}

/// A masked-language-model batch on the host: the sentences with some tokens replaced, and
/// which tokens must be predicted.
#[derive(Clone, Debug, PartialEq)]
pub struct MaskedBatch {
    /// The corrupted sentences, each `[CLS] … [SEP]`.
    pub ids: Vec<Vec<u32>>,
    /// Flat positions `sentence * longest + token` of the tokens to predict.
    pub positions: Vec<usize>,
    /// Their original ids.
    pub targets: Vec<u32>,
}

/// BERT's masking: [`MASK_RATE`] of each sentence's real tokens (at least one) are chosen; of
/// those, 80% become `[MASK]`, 10% a random token and 10% stay as they are; all are predicted.
pub fn mask_tokens(
    sentences: &[&[u32]],
    vocabulary: &Vocabulary,
    rng: &mut impl Rng,
) -> MaskedBatch {
    let longest = sentences.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut batch = MaskedBatch {
        ids: Vec::with_capacity(sentences.len()),
        positions: Vec::new(),
        targets: Vec::new(),
    };
    for (row, sentence) in sentences.iter().enumerate() {
        let mut ids = sentence.to_vec();
        let candidates: Vec<usize> = (0..ids.len())
            .filter(|&i| ![vocabulary.cls, vocabulary.sep, vocabulary.pad].contains(&ids[i]))
            .collect();
        let mut chosen: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|_| rng.random_bool(MASK_RATE))
            .collect();
        if chosen.is_empty() && !candidates.is_empty() {
            chosen.push(candidates[rng.random_range(0..candidates.len())]);
        }
        for i in chosen {
            batch.positions.push(row * longest + i);
            batch.targets.push(ids[i]);
            let roll: f64 = rng.random();
            if roll < 0.8 {
                ids[i] = vocabulary.mask;
            } else if roll < 0.9 {
                ids[i] = rng.random_range(vocabulary.first_regular..vocabulary.vocab_size);
            }
        }
        batch.ids.push(ids);
    }
    batch
}

/// The masked-language-model loss (mean cross-entropy over the chosen tokens) and the
/// predicted id at each of them.
pub fn mlm_loss(
    model: &Bert,
    batch: &MaskedBatch,
    vocabulary: &Vocabulary,
    device: &Device,
) -> (Tensor<1>, Tensor<1, Int>) {
    let hidden = model
        .forward(&masked_input(batch, vocabulary, device), false)
        .hidden;
    mlm_loss_of(model, hidden, batch, device)
}

/// Sentiment fine-tuning that keeps the masked-language-model head working: one forward pass
/// on the masked sentences, the classification loss on their `[CLS]` (the masking doubles as
/// augmentation) plus the MLM loss on the masked tokens. Returns the sum and the
/// classification loss alone.
pub fn finetune_loss(
    model: &Bert,
    batch: &MaskedBatch,
    labels: &[usize],
    vocabulary: &Vocabulary,
    device: &Device,
) -> (Tensor<1>, Tensor<1>) {
    let input = masked_input(batch, vocabulary, device);
    let hidden = model.forward(&input, false).hidden;
    let logits = model
        .classify(&hidden, &input.mask)
        .expect("fine-tuning needs a model with a classifier");
    let targets = int_tensor(labels.iter().map(|&l| l as i64).collect(), device);
    let classification = CrossEntropyLossConfig::new()
        .init(device)
        .forward(logits, targets);
    let (mlm, _) = mlm_loss_of(model, hidden, batch, device);
    (classification.clone() + mlm, classification)
}

fn masked_input(batch: &MaskedBatch, vocabulary: &Vocabulary, device: &Device) -> BertInput {
    let rows: Vec<&[u32]> = batch.ids.iter().map(Vec::as_slice).collect();
    BertInput::from_ids(&rows, vocabulary.pad, device)
}

fn mlm_loss_of(
    model: &Bert,
    hidden: Tensor<3>,
    batch: &MaskedBatch,
    device: &Device,
) -> (Tensor<1>, Tensor<1, Int>) {
    let [sentences, longest, size] = hidden.dims();
    let positions = int_tensor(batch.positions.iter().map(|&p| p as i64).collect(), device);
    let chosen = hidden
        .reshape([sentences * longest, size])
        .select(0, positions);
    let scores = model
        .mlm_scores(chosen)
        .expect("pretraining needs a model with an MLM head");
    let targets = int_tensor(
        batch.targets.iter().map(|&t| i64::from(t)).collect(),
        device,
    );
    let predicted = scores.clone().argmax(1).flatten::<1>(0, 1);
    let loss = CrossEntropyLossConfig::new()
        .init(device)
        .forward(scores, targets);
    (loss, predicted)
}

fn int_tensor(values: Vec<i64>, device: &Device) -> Tensor<1, Int> {
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

/// The page's fine-tuning: a fresh linear classifier on sentence features (the frozen
/// encoder's pooled `[CLS]`, computed once), trained by Adam on the visitor's labelled
/// sentences. This is the article's `labels=[1]` step, small enough to run live on any backend.
pub struct HeadTrainer {
    head: Linear,
    optimizer: ModuleOptimizer,
    features: Tensor<2>,
    labels: Tensor<1, Int>,
    learning_rate: f64,
    steps: usize,
}

impl HeadTrainer {
    /// `features` `[sentences, hidden]` and their `labels`, on `device` (autodiff enabled).
    /// The head's initial weights come from `seed`.
    pub fn new(
        features: Tensor<2>,
        labels: &[usize],
        classes: usize,
        learning_rate: f64,
        seed: u64,
        device: &Device,
    ) -> Self {
        device.seed(seed);
        let hidden = features.dims()[1];
        let head = LinearConfig::new(hidden, classes)
            .with_initializer(Initializer::Normal {
                mean: 0.0,
                std: 0.02,
            })
            .init(device);
        Self {
            head,
            optimizer: OptimizerSpec::defaults(OptimizerKind::Adam).build(),
            features: features.to_device(device),
            labels: int_tensor(labels.iter().map(|&l| l as i64).collect(), device),
            learning_rate,
            steps: 0,
        }
    }

    /// One full-batch Adam step; returns the loss before it (`[1]`, not read back).
    pub fn step(&mut self) -> Tensor<1> {
        let logits = self.head.forward(self.features.clone());
        let loss = CrossEntropyLossConfig::new()
            .init(&self.features.device())
            .forward(logits, self.labels.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &self.head);
        self.head = self
            .optimizer
            .step(self.learning_rate, self.head.clone(), grads);
        self.steps += 1;
        loss.detach()
    }

    pub fn steps(&self) -> usize {
        self.steps
    }

    /// The trained head, off the autodiff graph, for inference on `features` of new sentences.
    pub fn head(&self) -> Linear {
        self.head.valid()
    }
}

/// The demo's id and the head's name in a saved file.
pub const SAVED_DEMO: &str = "text";
pub const SAVED_HEAD: &str = "sentiment-head-v1";
/// The settings that say which sentence vectors the head reads.
const SAVED_ENCODER: &str = "encoder";
const SAVED_HIDDEN: &str = "hidden";

/// A trained head (any backend) as a saved file, with the encoder (`encoder`: the model's id)
/// whose sentence vectors it was trained on.
pub async fn save_head(head: &Linear, encoder: &str, steps: usize) -> Result<Saved, String> {
    let hidden = head.weight.dims()[0];
    Ok(Saved {
        demo: SAVED_DEMO.into(),
        model: SAVED_HEAD.into(),
        steps: steps as u64,
        settings: [
            (SAVED_ENCODER.to_string(), encoder.to_string()),
            (SAVED_HIDDEN.to_string(), hidden.to_string()),
        ]
        .into(),
        tensors: saved::read_module(head).await?,
    })
}

/// The saved head, on `device`, if it was trained on the vectors of `encoder` (of size
/// `hidden`): a head reads one encoder's vectors and means nothing on another's.
pub fn restore_head(
    file: &Saved,
    encoder: &str,
    hidden: usize,
    device: &Device,
) -> Result<Linear, SavedError> {
    file.expect_model(SAVED_HEAD)?;
    let trained_on = file.setting(SAVED_ENCODER)?;
    if trained_on != encoder {
        return Err(SavedError::Settings(format!(
            "the head was trained on {trained_on}'s sentence vectors, the page has {encoder} loaded"
        )));
    }
    if file.setting(SAVED_HIDDEN)? != hidden.to_string() {
        return Err(SavedError::Shape(format!(
            "vectors of {} values, {encoder} gives {hidden}",
            file.setting(SAVED_HIDDEN)?
        )));
    }
    saved::restore_module(
        LinearConfig::new(hidden, 2).init(device),
        file.tensors.clone(),
    )
}
