//! Text: a BERT encoder as burn modules and BERT's WordPiece tokenization (tokenizers crate),
//! both backend-agnostic and wasm-compatible.
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
pub mod pipeline;
pub mod tokenizer;
pub mod training;
