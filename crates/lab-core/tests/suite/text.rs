//! Tokenization on real Chinese text: the parity digest that the browser test checks too.
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
    let has_latin_word = |l: &String| l.as_bytes().windows(3).any(|w| w.iter().all(u8::is_ascii_alphabetic));
    assert!(lines.iter().filter(|l| has_latin_word(l)).count() >= 50, "mixed Chinese/English lines");
    assert!(count(&|c| c.is_ascii_digit()) >= 100, "lines with digits");
    assert!(count(&|c| ('\u{ff01}'..='\u{ff5e}').contains(&c)) >= 500, "lines with full-width punctuation");
    let emoji = |c: char| ('\u{1f300}'..='\u{1faff}').contains(&c) || ('\u{2600}'..='\u{27bf}').contains(&c);
    assert!(count(&emoji) >= 1, "lines with emoji");
    assert!(count(&|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) >= 990, "Chinese lines");
}

#[test]
fn token_ids_match_the_committed_digest() {
    common::check_digest(&parity::digest(), "tokenizer-parity.sha256", parity::DIGEST);
}
