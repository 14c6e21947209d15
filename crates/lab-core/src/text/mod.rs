//! Text: a BERT encoder as burn modules, BERT's WordPiece and SentencePiece's Unigram
//! tokenization (tokenizers crate), all backend-agnostic and wasm-compatible. Two kinds of
//! model share them: the lab's own Chinese BERT (`[CLS]` sentence vector, fill-mask) and the
//! pretrained multilingual-e5-small (a BERT with XLM-R's SentencePiece vocabulary, sentence
//! vector = the normalised mean of its tokens).
//!
//! The flow: [`tokenizer::encode`] a sentence, turn it into a [`bert::BertInput`] with
//! [`bert::BertInput::from_encoded`], run [`bert::Bert::forward`], then a head
//! ([`bert::Bert::classify`], [`bert::Bert::mlm_logits`]) or the attentions.
//!
//! [`training`] holds the losses the native pretraining command minimises and the page's live
//! head fine-tuning; [`corpus`] reads the real Chinese text it learns from; [`asset`] is the
//! static asset the page fetches.
//!
//! The native converter (`crates/model-convert`) loads Hugging Face checkpoints into [`bert::Bert`]
//! through burn-store, renaming keys with [`bert::HF_KEY_REMAPPING`].

pub mod asset;
pub mod bert;
pub mod corpus;
pub mod neighbours;
pub mod pipeline;
pub mod sentencepiece;
pub mod tokenizer;
pub mod training;
