//! What the page asks of a text model, as one pipeline per question: a sentence's analysis
//! (tokens, sentiment, every attention map, the asset's sentences nearest to it), the fillers
//! of its `[MASK]`s, and the sentence vectors a fresh head is fine-tuned on.
//!
//! Each step queues the network's work and returns the tensors to read back; reading them is the
//! caller's (on WebGPU it is asynchronous), and the `finish` methods turn the host values into
//! the result the page shows. Natively, read them with `into_data`.

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};

use super::asset::{SpecialIds, TextManifest};
use super::bert::{Bert, BertInput};
use super::neighbours::{Neighbours, Similar};
use super::tokenizer::{self, Encoded, TextError, Tokenizer};
use crate::asset::{AssetError, Verified};
use crate::rank::top_k;

/// Fillers shown per `[MASK]`.
pub const FILLERS: usize = 5;
/// Similar sentences shown.
pub const NEAREST: usize = 5;

/// What a text model is besides its network: the manifest, the tokenizer and the asset's
/// sentences. It encodes texts and turns the network's outputs into answers, so that a page whose
/// network runs elsewhere (a worker) holds only this.
pub struct TextReader {
    pub manifest: TextManifest,
    pub tokenizer: Tokenizer,
    pub special: SpecialIds,
    /// The asset's sentences with precomputed vectors, when it has them.
    pub neighbours: Option<Neighbours>,
}

/// A BERT with what reads its inputs and outputs.
pub struct TextModel {
    pub reader: TextReader,
    pub bert: Bert,
}

/// A sentence's analysis, on the host.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub encoded: Encoded,
    /// Class probabilities, when the model has a classifier.
    pub probabilities: Option<Vec<f32>>,
    /// `[layer][head][query][key]`, flattened.
    pub attentions: Vec<f32>,
    pub layers: usize,
    pub heads: usize,
    /// The asset's sentences nearest to this one, when it has neighbours.
    pub nearest: Vec<Similar>,
}

/// The tensors of an [`Analysis`], queued on the device.
pub struct PendingAnalysis {
    pub encoded: Encoded,
    /// Softmax probabilities `[1, classes]`, when the model has a classifier.
    pub probabilities: Option<Tensor<2>>,
    /// `[layers, heads, seq, seq]`.
    pub attentions: Tensor<4>,
    /// The sentence vector `[1, hidden]`, when the asset has neighbours to compare it with.
    pub vector: Option<Tensor<2>>,
}

impl PendingAnalysis {
    /// The analysis from the tensors read back; `vector` is [`PendingAnalysis::vector`]'s.
    pub fn finish(
        self,
        reader: &TextReader,
        probabilities: Option<Vec<f32>>,
        attentions: Vec<f32>,
        vector: Option<Vec<f32>>,
    ) -> Analysis {
        let [layers, heads, _, _] = self.attentions.dims();
        reader.analysis(
            self.encoded,
            Read {
                probabilities,
                attentions,
                layers,
                heads,
                vector,
            },
        )
    }
}

/// The outputs of an analysis' pass, read back to the host.
#[derive(Clone, Debug, PartialEq)]
pub struct Read {
    pub probabilities: Option<Vec<f32>>,
    /// `[layer][head][query][key]`, flattened.
    pub attentions: Vec<f32>,
    pub layers: usize,
    pub heads: usize,
    pub vector: Option<Vec<f32>>,
}

/// The masked-language-model scores of each `[MASK]`, queued on the device.
pub struct PendingFill {
    /// `[masks, vocabulary]` logits.
    pub scores: Tensor<2>,
}

/// The likeliest tokens for one `[MASK]`, with their probabilities.
pub type Fillers = Vec<(String, f32)>;

impl TextReader {
    /// The reader from its manifest and verified files (the neighbours file when the manifest
    /// lists one).
    pub fn load(
        manifest: TextManifest,
        tokenizer: &Verified,
        neighbours: Option<&Verified>,
    ) -> Result<Self, AssetError> {
        let tokenizer = manifest.tokenizer(tokenizer)?;
        let special = manifest.special_ids(&tokenizer)?;
        let neighbours = match (&manifest.neighbours, neighbours) {
            (Some(listed), Some(file)) if file.file() == listed.file => {
                Some(Neighbours::decode(file)?)
            }
            (Some(listed), _) => return Err(AssetError::UnknownFile(listed.file.clone())),
            (None, _) => None,
        };
        Ok(Self {
            manifest,
            tokenizer,
            special,
            neighbours,
        })
    }

    /// The model's prefix and the text between its start and end tokens, truncated to the
    /// model's length (and saying so).
    pub fn encode(&self, text: &str) -> Result<Encoded, TextError> {
        if text.trim().is_empty() {
            return Err(TextError::Empty);
        }
        let prefixed = format!("{}{text}", self.manifest.prefix);
        tokenizer::encode(&self.tokenizer, &prefixed, self.manifest.max_length)
    }

    /// The analysis of `encoded` from its pass's outputs.
    pub fn analysis(&self, encoded: Encoded, read: Read) -> Analysis {
        let nearest = match (&self.neighbours, read.vector) {
            (Some(neighbours), Some(vector)) => neighbours.nearest(&vector, NEAREST),
            _ => Vec::new(),
        };
        Analysis {
            encoded,
            probabilities: read.probabilities,
            attentions: read.attentions,
            layers: read.layers,
            heads: read.heads,
            nearest,
        }
    }

    /// The [`FILLERS`] likeliest tokens of each `[MASK]`, from [`PendingFill::scores`] read back.
    pub fn fillers(&self, scores: &[f32]) -> Vec<Fillers> {
        let vocabulary = self.manifest.config.vocab_size;
        scores
            .chunks(vocabulary)
            .map(|row| {
                top_k(row, FILLERS)
                    .into_iter()
                    .map(|p| {
                        let token = self.tokenizer.id_to_token(p.class as u32);
                        (token.unwrap_or_default(), p.probability)
                    })
                    .collect()
            })
            .collect()
    }
}

impl TextModel {
    /// The model from its manifest and verified files (the neighbours file when the manifest
    /// lists one).
    pub fn load(
        manifest: TextManifest,
        tokenizer: &Verified,
        weights: &Verified,
        neighbours: Option<&Verified>,
        device: &Device,
    ) -> Result<Self, AssetError> {
        let reader = TextReader::load(manifest, tokenizer, neighbours)?;
        let bert = Bert::from_asset(&reader.manifest, weights, device)?;
        Ok(Self { reader, bert })
    }

    /// Tokens, sentiment, every attention map and (with neighbours) the sentence vector of one
    /// sentence, from one pass of the encoder.
    pub fn analyse(&self, text: &str, device: &Device) -> Result<PendingAnalysis, TextError> {
        let encoded = self.reader.encode(text)?;
        let input = BertInput::from_encoded(&encoded, device);
        let output = self.bert.forward(&input, true);
        let vector = self.bert.sentence_vectors(&output.hidden, &input.mask);
        let probabilities = self
            .bert
            .classify_sentences(vector.clone())
            .map(|logits| softmax(logits, 1));
        Ok(PendingAnalysis {
            encoded,
            probabilities,
            attentions: Tensor::cat(output.attentions, 0),
            vector: self.reader.neighbours.is_some().then_some(vector),
        })
    }

    /// The scores of every `[MASK]` of the sentence; an error when it has none or the model has
    /// no masked-language-model head.
    pub fn fill_mask(&self, text: &str, device: &Device) -> Result<PendingFill, TextError> {
        let mask = self.reader.special.mask.ok_or(TextError::NoMlmHead)?;
        let encoded = self.reader.encode(text)?;
        let positions: Vec<i64> = encoded
            .ids
            .iter()
            .enumerate()
            .filter(|&(_, &id)| id == mask)
            .map(|(i, _)| i as i64)
            .collect();
        if positions.is_empty() {
            return Err(TextError::NoMask);
        }
        let hidden = self
            .bert
            .forward(&BertInput::from_encoded(&encoded, device), false)
            .hidden;
        let [_, seq, size] = hidden.dims();
        let index = Tensor::from_data(
            TensorData::new(positions.clone(), [positions.len()]),
            device,
        );
        let rows = hidden.reshape([seq, size]).select(0, index);
        let scores = self.bert.mlm_scores(rows).ok_or(TextError::NoMlmHead)?;
        Ok(PendingFill { scores })
    }

    /// Sentence vectors `[texts, hidden]` of the frozen encoder, as the model makes them
    /// ([`super::bert::SentenceVector`]).
    pub fn sentence_vectors(
        &self,
        texts: &[&str],
        device: &Device,
    ) -> Result<Tensor<2>, TextError> {
        let encoded = texts
            .iter()
            .map(|text| self.reader.encode(text))
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&Encoded> = encoded.iter().collect();
        let input = BertInput::batch(&refs, self.reader.special.pad, device);
        let hidden = self.bert.forward(&input, false).hidden;
        Ok(self.bert.sentence_vectors(&hidden, &input.mask))
    }
}
