//! The tokenizers on whatever the visitor types or pastes (any UTF-8; invalid bytes become
//! U+FFFD, as the browser's text fields never hold them): the lab's BERT WordPiece over its
//! committed vocabulary, and a SentencePiece Unigram built as multilingual-e5's is (its own
//! vocabulary is not committed; this one has a normalisation table and unknown characters).

use std::sync::LazyLock;

use lab_core::text::sentencepiece::{self, Vocabulary};
use lab_core::text::tokenizer::{self, TextError, Tokenizer};
use proptest::prelude::*;

use crate::harness::{Target, fuzz};

/// The lab's Chinese BERT's vocabulary (uncased, as its manifest says).
const VOCAB: &str = include_str!("../../../../www/text-models/lab-bert-zh/vocab.txt");

static WORDPIECE: LazyLock<Tokenizer> =
    LazyLock::new(|| tokenizer::from_vocab(VOCAB, true).expect("the lab's vocabulary loads"));

static UNIGRAM: LazyLock<Tokenizer> = LazyLock::new(|| {
    let pieces = [
        "<s>", "<pad>", "</s>", "<unk>", "▁", "好", "天气", "天", "气", "▁A", "▁the", "s", "▁a",
        "b", "c", "1", "2", "。",
    ];
    let pieces = pieces
        .iter()
        .enumerate()
        .map(|(i, p)| (p.to_string(), -(i as f64) / 2.0))
        .collect();
    let table = [
        ('Ａ', "A".to_string()),
        ('\u{7}', String::new()),
        ('①', "1".to_string()),
        ('\u{3000}', " ".to_string()),
    ];
    sentencepiece::tokenizer(Vocabulary {
        pieces,
        normalisation: &table,
        start: "<s>",
        end: "</s>",
        unknown: "<unk>",
    })
    .expect("the Unigram vocabulary builds")
});

pub struct Tokenizers;

impl Target for Tokenizers {
    const NAME: &'static str = "tokenizer";
    const DICTIONARY: &'static [&'static [u8]] = &[
        b"[MASK]",
        b"[CLS]",
        b"[SEP]",
        b"[UNK]",
        b"##",
        b"<s>",
        b"</s>",
        "▁".as_bytes(),
        "\u{3000}".as_bytes(),
        "Ａ".as_bytes(),
        "\u{200d}".as_bytes(),
        "\u{301}".as_bytes(),
        "\u{202e}".as_bytes(),
        "\u{feff}".as_bytes(),
        "😀".as_bytes(),
        "ß".as_bytes(),
        "İ".as_bytes(),
        b"\0",
        b"\x07",
        b"\r\n",
        b"  ",
        b"\xff",
    ];
    /// Which tokenizer (true: WordPiece), and the model's length limit.
    type Param = (bool, usize);

    fn param() -> BoxedStrategy<Self::Param> {
        (any::<bool>(), 0usize..=40).boxed()
    }

    fn replay_params() -> Vec<Self::Param> {
        vec![(true, 128), (false, 128), (true, 4)]
    }

    fn check(bytes: &[u8], &(wordpiece, max_len): &Self::Param) -> bool {
        let text = String::from_utf8_lossy(bytes);
        let tokenizer: &Tokenizer = if wordpiece { &WORDPIECE } else { &UNIGRAM };
        let encoded = match tokenizer::encode(tokenizer, &text, max_len) {
            Ok(encoded) => encoded,
            Err(TextError::Empty) => return false,
            Err(other) => panic!("{text:?} was refused: {other}"),
        };
        let n = encoded.ids.len();
        assert!(n == encoded.tokens.len() && n == encoded.type_ids.len());
        // Start and end tokens around at least one token, within the limit (3 at least).
        let limit = max_len.max(3);
        assert!(
            (3..=limit).contains(&n),
            "{n} tokens for a limit of {max_len}"
        );
        if let Some(total) = encoded.truncated_from {
            assert!(total > limit, "truncated from {total} to {n}");
        }
        let vocabulary = tokenizer.get_vocab_size(true) as u32;
        assert!(
            encoded.ids.iter().all(|&id| id < vocabulary),
            "an id outside the vocabulary of {vocabulary}: {:?}",
            encoded.ids
        );
        let (start, end) = if wordpiece {
            (tokenizer::CLS, tokenizer::SEP)
        } else {
            ("<s>", "</s>")
        };
        assert_eq!(encoded.ids[0], tokenizer.token_to_id(start).unwrap());
        assert_eq!(encoded.ids[n - 1], tokenizer.token_to_id(end).unwrap());
        true
    }
}

#[test]
fn tokenizer() {
    fuzz::<Tokenizers>();
}
