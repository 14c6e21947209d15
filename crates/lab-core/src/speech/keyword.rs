//! Keyword spotting in the style of Teachable Machine's audio project: a small 2-D convolutional
//! network reads one second of log-mel frames and says which of the visitor's words (or the
//! background) it hears. It trains live on the visitor's handful of recordings, each shifted in
//! time at random per step so that the network learns the word and not where it fell.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::activation::{relu, softmax};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};

use super::audio::{Frame, MEL_BANDS};
use crate::backend::read_host;
use crate::epochs::EpochClock;
use crate::optim::{OptimizerKind, OptimizerSpec};
use crate::saved::{self, Saved, SavedError};

/// The demo's id and the network's name in a saved file; bump the version when the architecture
/// changes.
pub const SAVED_DEMO: &str = "speech";
pub const SAVED_MODEL: &str = "keyword-cnn-v1";
/// The settings that give the number of classes and each one's name (`word.0`, `word.1`...).
const SAVED_CLASSES: &str = "classes";
const SAVED_WORD: &str = "word";

/// Frames in one example: 0.96 s of hops, about a second of sound.
pub const CLIP_FRAMES: usize = 96;
/// Classes the page offers: up to four words and the background.
pub const MAX_CLASSES: usize = 5;
/// Examples per training step (all of them while there are fewer).
pub const BATCH_SIZE: usize = 32;
/// The random time shift of a training example, up to this many frames either way (±0.12 s).
const MAX_SHIFT: usize = 12;
/// Log-mel values are centred on the clip's mean and divided by this, so that the network sees
/// values of order one whatever the loudness.
const LEVEL_SCALE_DB: f32 = 20.0;
/// The longest class name: the page's name fields take this many characters, and a saved
/// file's longer names are cut to it.
pub const MAX_WORD_CHARS: usize = 20;
/// Channels of the three convolutions.
const CHANNELS: [usize; 3] = [8, 16, 32];

/// One recorded example: [`CLIP_FRAMES`] log-mel frames and its class.
#[derive(Clone, Debug, PartialEq)]
pub struct Clip {
    pub frames: Vec<[f32; MEL_BANDS]>,
    pub label: usize,
}

/// One-second examples cut from a recording's frames every `every` frames (the tests and the
/// bench train on the sample recordings this way).
pub fn examples(frames: &[Frame], every: usize, label: usize) -> Vec<Clip> {
    (0..=frames.len().saturating_sub(CLIP_FRAMES))
        .step_by(every.max(1))
        .filter(|start| start + CLIP_FRAMES <= frames.len())
        .map(|start| Clip {
            frames: frames[start..start + CLIP_FRAMES]
                .iter()
                .map(|f| f.mel)
                .collect(),
            label,
        })
        .collect()
}

/// The network's input for `frames` (the last [`CLIP_FRAMES`] of them, zero-padded in front when
/// fewer), rolled `shift` frames later in time (wrapping round), centred and scaled.
fn features(frames: &[[f32; MEL_BANDS]], shift: usize) -> Vec<f32> {
    let frames = &frames[frames.len().saturating_sub(CLIP_FRAMES)..];
    let count = (frames.len() * MEL_BANDS).max(1) as f32;
    let mean = frames.iter().flatten().sum::<f32>() / count;
    let mut out = vec![0.0; CLIP_FRAMES * MEL_BANDS];
    let offset = CLIP_FRAMES - frames.len();
    for (i, frame) in frames.iter().enumerate() {
        let row = (offset + i + shift) % CLIP_FRAMES;
        for (slot, value) in out[row * MEL_BANDS..(row + 1) * MEL_BANDS]
            .iter_mut()
            .zip(frame)
        {
            *slot = (value - mean) / LEVEL_SCALE_DB;
        }
    }
    out
}

/// `[n, 1, CLIP_FRAMES, MEL_BANDS]` from `n` feature vectors.
fn batch(features: Vec<Vec<f32>>, device: &Device) -> Tensor<4> {
    let n = features.len();
    let values: Vec<f32> = features.into_iter().flatten().collect();
    Tensor::from_data(
        TensorData::new(values, [n, 1, CLIP_FRAMES, MEL_BANDS]),
        device,
    )
}

/// Three 3×3 convolutions (max-pooled 2×2 after the first two) and a mean over time and
/// frequency before the linear layer: the mean makes the answer depend on what is heard, not
/// where in the second it is.
#[derive(Module, Debug)]
pub struct KeywordCnn {
    first: Conv2d,
    second: Conv2d,
    third: Conv2d,
    pool: MaxPool2d,
    head: Linear,
}

impl KeywordCnn {
    pub fn init(classes: usize, device: &Device) -> Self {
        let conv = |channels: [usize; 2]| {
            Conv2dConfig::new(channels, [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(device)
        };
        Self {
            first: conv([1, CHANNELS[0]]),
            second: conv([CHANNELS[0], CHANNELS[1]]),
            third: conv([CHANNELS[1], CHANNELS[2]]),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            head: LinearConfig::new(CHANNELS[2], classes).init(device),
        }
    }

    /// `[batch, 1, CLIP_FRAMES, MEL_BANDS]` → logits `[batch, classes]`.
    pub fn forward(&self, input: Tensor<4>) -> Tensor<2> {
        let hidden = self.pool.forward(relu(self.first.forward(input)));
        let hidden = self.pool.forward(relu(self.second.forward(hidden)));
        let hidden = relu(self.third.forward(hidden));
        let [batch, channels, _, _] = hidden.dims();
        let pooled = hidden.mean_dim(3).mean_dim(2).reshape([batch, channels]);
        self.head.forward(pooled)
    }
}

/// What a training run is: the optimizer, its learning rate, and the seed of the initial weights,
/// the batch order and the shifts.
#[derive(Clone, Debug, PartialEq)]
pub struct KeywordSpec {
    pub optimizer: OptimizerSpec,
    pub learning_rate: f64,
    pub seed: u64,
}

impl KeywordSpec {
    /// `kind` with its published defaults; 0.003 for the adaptive methods, 0.2 for the SGD
    /// family (measured on the two sample voices in tests/suite/speech.rs, 60 epochs: Adam's
    /// loss 0.693 → 0.050, momentum's → 0.32 at 0.2, → 0.40 at 0.05, → 0.48 at 0.5).
    pub fn for_optimizer(kind: OptimizerKind) -> Self {
        Self {
            optimizer: OptimizerSpec::defaults(kind),
            learning_rate: if kind.is_adaptive() { 0.003 } else { 0.2 },
            seed: 1,
        }
    }
}

/// Loss and accuracy on a set of clips.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score {
    /// Passes over the examples so far.
    pub epochs: f32,
    pub loss: f32,
    pub accuracy: f32,
}

pub struct KeywordTrainer {
    model: KeywordCnn,
    optimizer: ModuleOptimizer,
    learning_rate: f64,
    clips: Vec<Clip>,
    order: Vec<usize>,
    cursor: usize,
    rng: StdRng,
    steps: usize,
    device: Device,
}

impl KeywordTrainer {
    /// A fresh network with `classes` outputs on `device` (autodiff enabled) for `clips`.
    pub fn new(spec: &KeywordSpec, clips: Vec<Clip>, classes: usize, device: &Device) -> Self {
        device.seed(spec.seed);
        let mut rng = StdRng::seed_from_u64(spec.seed);
        let mut order: Vec<usize> = (0..clips.len()).collect();
        order.shuffle(&mut rng);
        Self {
            model: KeywordCnn::init(classes, device),
            optimizer: spec.optimizer.build(),
            learning_rate: spec.learning_rate,
            clips,
            order,
            cursor: 0,
            rng,
            steps: 0,
            device: device.clone(),
        }
    }

    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Each step takes [`BATCH_SIZE`] of the examples, or all when fewer.
    pub fn clock(&self) -> EpochClock {
        EpochClock {
            steps: self.steps,
            batch: BATCH_SIZE.min(self.clips.len()),
            examples: self.clips.len(),
        }
    }

    pub fn epochs(&self) -> f32 {
        self.clock().epochs()
    }

    /// One step on the next [`BATCH_SIZE`] clips, each shifted at random; reshuffles after each
    /// pass over the clips.
    pub fn step(&mut self) {
        if self.clips.is_empty() {
            return;
        }
        let mut chosen = Vec::with_capacity(BATCH_SIZE);
        while chosen.len() < BATCH_SIZE.min(self.clips.len()) {
            if self.cursor >= self.order.len() {
                self.order.shuffle(&mut self.rng);
                self.cursor = 0;
            }
            chosen.push(self.order[self.cursor]);
            self.cursor += 1;
        }
        let inputs = chosen
            .iter()
            .map(|&i| {
                let shift = self.rng.random_range(0..=2 * MAX_SHIFT);
                features(&self.clips[i].frames, CLIP_FRAMES + shift - MAX_SHIFT)
            })
            .collect();
        let labels: Vec<i64> = chosen.iter().map(|&i| self.clips[i].label as i64).collect();
        let labels =
            Tensor::<1, Int>::from_data(TensorData::new(labels, [chosen.len()]), &self.device);
        let logits = self.model.forward(batch(inputs, &self.device));
        let loss = CrossEntropyLossConfig::new()
            .init(&self.device)
            .forward(logits, labels);
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        self.model = self
            .optimizer
            .step(self.learning_rate, self.model.clone(), grads);
        self.steps += 1;
    }

    /// Loss and accuracy on the unshifted clips, read back in one transfer.
    pub async fn evaluate(&self) -> Result<Score, String> {
        let (loss, accuracy) = score(&self.model, &self.clips, &self.device).await?;
        Ok(Score {
            epochs: self.epochs(),
            loss,
            accuracy,
        })
    }

    /// The network being trained, for [`classify`].
    pub fn model(&self) -> &KeywordCnn {
        &self.model
    }

    /// The network on the host with the steps behind it and the classes' names, for a saved
    /// file.
    pub async fn save(&self, words: &[String]) -> Result<Saved, String> {
        let mut settings: std::collections::BTreeMap<String, String> = words
            .iter()
            .enumerate()
            .map(|(i, word)| (format!("{SAVED_WORD}.{i}"), word.clone()))
            .collect();
        settings.insert(SAVED_CLASSES.into(), words.len().to_string());
        Ok(Saved {
            demo: SAVED_DEMO.into(),
            model: SAVED_MODEL.into(),
            steps: self.steps as u64,
            settings,
            tensors: saved::read_module(&self.model).await?,
        })
    }

    /// Continues from `saved`'s network and steps (the optimizer starts afresh: the restored
    /// parameters are new to it). The page builds this trainer for the file's classes first, so
    /// the shapes agree.
    pub fn resume(&mut self, saved: SavedKeywords) {
        self.model = saved.network;
        self.steps = saved.steps;
        self.cursor = self.order.len();
    }
}

/// A saved keyword network, read whole: the weights in a network of the file's classes, the
/// classes' names and the steps behind them.
pub struct SavedKeywords {
    pub network: KeywordCnn,
    pub words: Vec<String>,
    pub steps: usize,
}

/// Reads `file` into a network on `device`; a file that does not fit is refused before anything
/// of the page's changes.
pub fn restore(file: &Saved, device: &Device) -> Result<SavedKeywords, SavedError> {
    file.expect_model(SAVED_MODEL)?;
    let classes = file.count_setting(SAVED_CLASSES, 2..=MAX_CLASSES)?;
    let words = (0..classes)
        .map(|i| {
            file.setting(&format!("{SAVED_WORD}.{i}"))
                .map(|word| word.chars().take(MAX_WORD_CHARS).collect())
        })
        .collect::<Result<Vec<String>, _>>()?;
    let network = saved::restore_module(KeywordCnn::init(classes, device), file.tensors.clone())?;
    Ok(SavedKeywords {
        network,
        words,
        steps: usize::try_from(file.steps).unwrap_or(usize::MAX),
    })
}

/// Mean cross-entropy and accuracy of `model` on `clips`, unshifted (`device` is the model's).
pub async fn score(
    model: &KeywordCnn,
    clips: &[Clip],
    device: &Device,
) -> Result<(f32, f32), String> {
    let model = model.valid();
    let device = device.clone().inner();
    let inputs = clips.iter().map(|c| features(&c.frames, 0)).collect();
    let labels: Vec<i64> = clips.iter().map(|c| c.label as i64).collect();
    let labels = Tensor::<1, Int>::from_data(TensorData::new(labels, [clips.len()]), &device);
    let logits = model.forward(batch(inputs, &device));
    let loss = CrossEntropyLossConfig::new()
        .init(&device)
        .forward(logits.clone(), labels.clone());
    let correct = logits
        .argmax(1)
        .reshape([clips.len()])
        .equal(labels)
        .float()
        .mean();
    let values = read_host(Tensor::cat(vec![loss.reshape([1]), correct], 0)).await?;
    Ok((values[0], values[1]))
}

/// Each class's probability for the latest second of `frames` (fewer frames are padded in front
/// at the clip's mean level); `device` is the model's.
pub async fn classify(
    model: &KeywordCnn,
    frames: &[[f32; MEL_BANDS]],
    device: &Device,
) -> Result<Vec<f32>, String> {
    let model = model.valid();
    let device = device.clone().inner();
    let logits = model.forward(batch(vec![features(frames, 0)], &device));
    read_host(softmax(logits, 1).flatten::<1>(0, 1)).await
}
