//! A BERT encoder as Hugging Face's `BertModel` computes it (post-norm layers, exact erf GELU,
//! long file: the encoder and its three optional heads share the config and the key names the converter maps; one module keeps that mapping in one place.
//! absolute position embeddings), with the optional heads the lab uses: the pooler, the
//! masked-language-model head (tied to the word embeddings) and a sentence classifier.
//!
//! Module paths are this crate's; [`HF_KEY_REMAPPING`] renames a Hugging Face checkpoint's keys
//! onto them, so `BertModel`, `BertForMaskedLM` and `BertForPreTraining` state dicts load.

use std::sync::Arc;

use burn::module::{Module, Param};
use burn::nn::{
    Dropout, DropoutConfig, Embedding, EmbeddingConfig, Initializer, LayerNorm, LayerNormConfig,
    Linear, LinearConfig,
};
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::tokenizer::Encoded;
use crate::asset;
use crate::kernels::{self, F32Dense, HostDense, Int8Dense};
use crate::profile::{OpKind, timed};

/// The sizes of a BERT, read from a Hugging Face `config.json` (unknown fields are ignored).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    #[serde(default = "default_type_vocab_size")]
    pub type_vocab_size: usize,
    #[serde(default = "default_layer_norm_eps")]
    pub layer_norm_eps: f64,
    #[serde(default = "default_hidden_act")]
    pub hidden_act: String,
}

fn default_type_vocab_size() -> usize {
    2
}
fn default_layer_norm_eps() -> f64 {
    1e-12
}
fn default_hidden_act() -> String {
    "gelu".into()
}

impl BertConfig {
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let config: Self =
            serde_json::from_slice(bytes).map_err(|e| format!("invalid BERT config.json: {e}"))?;
        config.check()?;
        Ok(config)
    }

    /// Refuses sizes the encoder cannot run (rather than panicking inside a reshape).
    pub fn check(&self) -> Result<(), String> {
        if self.hidden_act != "gelu" {
            return Err(format!(
                "hidden_act {:?} is not supported (only the exact \"gelu\")",
                self.hidden_act
            ));
        }
        let sizes = [
            self.vocab_size,
            self.hidden_size,
            self.num_attention_heads,
            self.intermediate_size,
        ];
        if sizes.contains(&0) || self.max_position_embeddings == 0 || self.type_vocab_size == 0 {
            return Err("BERT sizes must be positive".into());
        }
        // Each bound is several times the largest model the page can run (XLM-R's 250,002
        // tokens, BERT-large's 1,024 × 24 layers): beyond them a manifest would only ask for
        // gigabytes before any weight is read.
        let bounds = [
            ("vocab_size", self.vocab_size, 300_000),
            ("hidden_size", self.hidden_size, 2_048),
            ("num_hidden_layers", self.num_hidden_layers, 48),
            ("num_attention_heads", self.num_attention_heads, 64),
            ("intermediate_size", self.intermediate_size, 8_192),
            (
                "max_position_embeddings",
                self.max_position_embeddings,
                8_192,
            ),
            ("type_vocab_size", self.type_vocab_size, 16),
        ];
        if let Some((name, value, most)) = bounds.iter().find(|(_, v, most)| v > most) {
            return Err(format!("{name} {value} is over {most}"));
        }
        if !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            return Err(format!(
                "hidden_size {} is not divisible by num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            ));
        }
        Ok(())
    }

    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }
}

/// Renames from a Hugging Face BERT checkpoint's keys to this module's paths, in order. Keys
/// that match nothing here and no parameter (`position_ids`, the next-sentence head, the tied
/// MLM decoder weight) are left over and ignored by the loader.
pub const HF_KEY_REMAPPING: &[(&str, &str)] = &[
    (r"^bert\.", ""),
    (r"^embeddings\.word_embeddings\.", "embeddings.word."),
    (
        r"^embeddings\.position_embeddings\.",
        "embeddings.position.",
    ),
    (
        r"^embeddings\.token_type_embeddings\.",
        "embeddings.token_type.",
    ),
    (r"^embeddings\.LayerNorm\.", "embeddings.norm."),
    (
        r"^encoder\.layer\.(\d+)\.attention\.self\.(query|key|value)\.",
        "layers.$1.$2.",
    ),
    (
        r"^encoder\.layer\.(\d+)\.attention\.output\.dense\.",
        "layers.$1.attention_output.",
    ),
    (
        r"^encoder\.layer\.(\d+)\.attention\.output\.LayerNorm\.",
        "layers.$1.attention_norm.",
    ),
    (
        r"^encoder\.layer\.(\d+)\.intermediate\.dense\.",
        "layers.$1.intermediate.",
    ),
    (
        r"^encoder\.layer\.(\d+)\.output\.dense\.",
        "layers.$1.output.",
    ),
    (
        r"^encoder\.layer\.(\d+)\.output\.LayerNorm\.",
        "layers.$1.output_norm.",
    ),
    (r"^pooler\.dense\.", "pooler."),
    (r"^cls\.predictions\.transform\.dense\.", "mlm.transform."),
    (r"^cls\.predictions\.transform\.LayerNorm\.", "mlm.norm."),
    (r"^cls\.predictions\.bias$", "mlm.bias"),
    // Checkpoints from TensorFlow-era conversions name layer-norm parameters gamma/beta.
    (r"\.gamma$", ".weight"),
    (r"\.beta$", ".bias"),
];

/// Which optional parts a [`Bert`] has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Heads {
    pub pooler: bool,
    pub mlm: bool,
    /// Number of classes of the sentence classifier on the sentence vector, if any.
    pub classes: Option<usize>,
    /// The width of a hidden layer (GELU) between the sentence vector and the classifier, if
    /// the classifier has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifier_hidden: Option<usize>,
    /// How the sentence vector is made.
    #[serde(default)]
    pub sentence: SentenceVector,
}

/// How a [`Bert`] turns its last hidden states into one vector per sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SentenceVector {
    /// BERT's: the pooler's output on `[CLS]`, or `[CLS]` itself without a pooler.
    #[default]
    Cls,
    /// multilingual-e5's: the mean of every attended token's state (the start and end tokens
    /// included), scaled to unit length.
    NormalizedMean,
}

#[derive(Module, Debug)]
pub struct Embeddings {
    pub word: Embedding,
    pub position: Embedding,
    pub token_type: Embedding,
    pub norm: LayerNorm,
}

/// One post-norm encoder layer: self-attention, add & norm, feed-forward, add & norm.
#[derive(Module, Debug)]
pub struct Layer {
    pub query: Linear,
    pub key: Linear,
    pub value: Linear,
    pub attention_output: Linear,
    pub attention_norm: LayerNorm,
    pub intermediate: Linear,
    pub output: Linear,
    pub output_norm: LayerNorm,
    heads: usize,
    /// The dense layers packed for the host ([`Bert::compute_on_host`]), read instead of the
    /// `Linear`s on flex without autodiff. Only a model whose weights no longer change has
    /// them: a training step would not reach this copy.
    #[module(skip)]
    packed: Option<Arc<PackedLayer>>,
}

/// [`Layer`]'s dense layers packed for the host: in integers where an int8 file stores the
/// layer in int8, else in f32; `None` for a layer whose width the kernels do not take.
#[derive(Debug)]
struct PackedLayer {
    query: Option<HostDense>,
    key: Option<HostDense>,
    value: Option<HostDense>,
    attention_output: Option<HostDense>,
    intermediate: Option<HostDense>,
    output: Option<HostDense>,
}

impl PackedLayer {
    /// Packs `layer`'s dense layers and leaves each packed one's `Linear` an empty weight, so
    /// the model holds those weights once. `int8`: the weights come from an int8 file, which
    /// stores in int8 the layers of [`asset::MIN_QUANTIZED_VALUES`] or more weights (smaller
    /// ones it keeps in f16).
    fn take(layer: &mut Layer, int8: bool) -> Self {
        let pack = |linear: &mut Linear| {
            let quantized = int8 && asset::quantizes_shape(&linear.weight.dims());
            let dense = match quantized.then(|| Int8Dense::new(linear)).flatten() {
                Some(dense) => Some(HostDense::Int8(dense)),
                None => F32Dense::new(linear).map(HostDense::F32),
            };
            if dense.is_some() {
                let device = linear.weight.device();
                linear.weight = Param::from_tensor(Tensor::zeros([0, 0], &device));
                linear.bias = None;
            }
            dense
        };
        Self {
            query: pack(&mut layer.query),
            key: pack(&mut layer.key),
            value: pack(&mut layer.value),
            attention_output: pack(&mut layer.attention_output),
            intermediate: pack(&mut layer.intermediate),
            output: pack(&mut layer.output),
        }
    }

    fn layers(&self) -> [&Option<HostDense>; 6] {
        [
            &self.query,
            &self.key,
            &self.value,
            &self.attention_output,
            &self.intermediate,
            &self.output,
        ]
    }
}

/// The masked-language-model head: transform, then scores against every word embedding.
#[derive(Module, Debug)]
pub struct MlmHead {
    pub transform: Linear,
    pub norm: LayerNorm,
    pub bias: Param<Tensor<1>>,
}

#[derive(Module, Debug)]
pub struct Bert {
    pub embeddings: Embeddings,
    pub layers: Vec<Layer>,
    pub pooler: Option<Linear>,
    pub mlm: Option<MlmHead>,
    pub classifier: Option<Linear>,
    /// The classifier's hidden layer ([`Heads::classifier_hidden`]).
    pub classifier_hidden: Option<Linear>,
    #[module(skip)]
    sentence: SentenceVector,
    /// BERT's dropout (embeddings, attention probabilities, each sublayer's output, the pooled
    /// sentence), active only while training on an autodiff device; 0 unless
    /// [`Bert::set_dropout`] says otherwise, so loading and inference never depend on it.
    dropout: Dropout,
}

/// A batch of token ids `[batch, seq]` with their segment ids and attention mask (1 for a
/// real token, 0 for padding).
#[derive(Clone, Debug)]
pub struct BertInput {
    pub ids: Tensor<2, Int>,
    pub type_ids: Tensor<2, Int>,
    pub mask: Tensor<2, Int>,
}

/// What a forward pass produced.
#[derive(Clone, Debug)]
pub struct BertOutput {
    /// The last layer's hidden states `[batch, seq, hidden]`.
    pub hidden: Tensor<3>,
    /// Attention probabilities `[batch, heads, seq, seq]` per layer, when asked for.
    pub attentions: Vec<Tensor<4>>,
}

fn linear(d_in: usize, d_out: usize, device: &Device) -> Linear {
    LinearConfig::new(d_in, d_out)
        .with_initializer(Initializer::Normal {
            mean: 0.0,
            std: 0.02,
        })
        .init(device)
}

fn norm(config: &BertConfig, device: &Device) -> LayerNorm {
    LayerNormConfig::new(config.hidden_size)
        .with_epsilon(config.layer_norm_eps)
        .init(device)
}

fn embedding(n: usize, config: &BertConfig, device: &Device) -> Embedding {
    EmbeddingConfig::new(n, config.hidden_size)
        .with_initializer(Initializer::Normal {
            mean: 0.0,
            std: 0.02,
        })
        .init(device)
}

impl Bert {
    /// A freshly initialised BERT (normal(0, 0.02) weights, as BERT is initialised for
    /// pretraining); a checkpoint's weights replace them when loaded.
    pub fn new(config: &BertConfig, heads: Heads, device: &Device) -> Self {
        let h = config.hidden_size;
        let layers = (0..config.num_hidden_layers)
            .map(|_| Layer {
                query: linear(h, h, device),
                key: linear(h, h, device),
                value: linear(h, h, device),
                attention_output: linear(h, h, device),
                attention_norm: norm(config, device),
                intermediate: linear(h, config.intermediate_size, device),
                output: linear(config.intermediate_size, h, device),
                output_norm: norm(config, device),
                heads: config.num_attention_heads,
                packed: None,
            })
            .collect();
        Self {
            embeddings: Embeddings {
                word: embedding(config.vocab_size, config, device),
                position: embedding(config.max_position_embeddings, config, device),
                token_type: embedding(config.type_vocab_size, config, device),
                norm: norm(config, device),
            },
            layers,
            pooler: heads.pooler.then(|| linear(h, h, device)),
            mlm: heads.mlm.then(|| MlmHead {
                transform: linear(h, h, device),
                norm: norm(config, device),
                bias: Initializer::Zeros.init([config.vocab_size], device),
            }),
            classifier: heads
                .classes
                .map(|classes| linear(heads.classifier_hidden.unwrap_or(h), classes, device)),
            classifier_hidden: heads
                .classes
                .and(heads.classifier_hidden)
                .map(|width| linear(h, width, device)),
            sentence: heads.sentence,
            dropout: DropoutConfig::new(0.0).init(),
        }
    }

    /// For a loaded model on flex without autodiff: the dense layers are packed for the host
    /// ([`HostDense`]) and compute there from then on, in integers where `int8` (the weights came
    /// from an int8 file) and the file stores the layer in int8. For a model whose weights no
    /// longer change: each packed layer's `Linear` keeps an empty weight, so the model holds its
    /// weights once (burn's copy and the packed one would be 2 × 87 MB for MiniLM-L6's f32 file).
    pub fn compute_on_host(&mut self, int8: bool) {
        if !kernels::on_host(&self.embeddings.word.weight.device()) {
            return;
        }
        for layer in self.layers.iter_mut().filter(|l| l.packed.is_none()) {
            layer.packed = Some(Arc::new(PackedLayer::take(layer, int8)));
        }
    }

    /// Whether some dense layer computes in integers ([`Bert::compute_on_host`]).
    pub fn computes_in_int8(&self) -> bool {
        self.packed_layers()
            .any(|dense| dense.is_some_and(HostDense::is_int8))
    }

    /// Whether the dense layers compute in the host's packed kernels ([`Bert::compute_on_host`]).
    pub fn computes_on_host(&self) -> bool {
        self.packed_layers().next().is_some() && self.packed_layers().all(|dense| dense.is_some())
    }

    fn packed_layers(&self) -> impl Iterator<Item = Option<&HostDense>> {
        self.layers
            .iter()
            .filter_map(|layer| layer.packed.as_deref())
            .flat_map(|packed| packed.layers().map(Option::as_ref))
    }

    /// Sets the dropout probability used while training (BERT's recipe uses 0.1).
    pub fn set_dropout(&mut self, prob: f64) {
        self.dropout = DropoutConfig::new(prob).init();
    }

    pub fn sentence(&self) -> SentenceVector {
        self.sentence
    }

    pub fn max_positions(&self) -> usize {
        self.embeddings.position.weight.dims()[0]
    }

    /// Runs the encoder; `with_attentions` also returns every layer's attention probabilities.
    pub fn forward(&self, input: &BertInput, with_attentions: bool) -> BertOutput {
        let [batch, seq] = input.ids.dims();
        let device = input.ids.device();
        let positions = Tensor::<1, Int>::arange(0..seq as i64, &device)
            .unsqueeze::<2>()
            .repeat_dim(0, batch);
        let e = &self.embeddings;
        let mut hidden = timed(OpKind::Embeddings, || {
            self.dropout.forward(e.norm.forward(
                e.word.forward(input.ids.clone())
                    + e.position.forward(positions)
                    + e.token_type.forward(input.type_ids.clone()),
            ))
        });
        // Padding gets -inf-like scores before the softmax: `[batch, 1, 1, seq]`.
        let padding: Tensor<4, Bool> = input.mask.clone().equal_elem(0).unsqueeze_dims(&[1, 2]);
        let mut attentions = Vec::new();
        for layer in &self.layers {
            let (next, attention) = layer.forward(hidden, padding.clone(), &self.dropout);
            hidden = next;
            if with_attentions {
                attentions.push(attention);
            }
        }
        BertOutput { hidden, attentions }
    }

    /// The pooler's output: `tanh(dense([CLS]))`, `[batch, hidden]`.
    pub fn pooled(&self, hidden: &Tensor<3>) -> Option<Tensor<2>> {
        let pooler = self.pooler.as_ref()?;
        Some(pooler.forward(cls(hidden)).tanh())
    }

    /// One vector per sentence, `[batch, hidden]`, as [`Heads::sentence`] says; `mask` is the
    /// input's (1 for a real token).
    pub fn sentence_vectors(&self, hidden: &Tensor<3>, mask: &Tensor<2, Int>) -> Tensor<2> {
        match self.sentence {
            SentenceVector::Cls => self.pooled(hidden).unwrap_or_else(|| cls(hidden)),
            SentenceVector::NormalizedMean => {
                let [batch, seq, size] = hidden.dims();
                let weights = mask.clone().float().reshape([batch, seq, 1]);
                let sums = (hidden.clone() * weights.clone())
                    .sum_dim(1)
                    .reshape([batch, size]);
                let mean = sums / weights.sum_dim(1).reshape([batch, 1]);
                let norm = mean
                    .clone()
                    .powi_scalar(2)
                    .sum_dim(1)
                    .sqrt()
                    .clamp_min(1e-12);
                mean / norm
            }
        }
    }

    /// Sentence-classifier logits `[batch, classes]` on the sentence vectors.
    pub fn classify(&self, hidden: &Tensor<3>, mask: &Tensor<2, Int>) -> Option<Tensor<2>> {
        self.classify_sentences(self.sentence_vectors(hidden, mask))
    }

    /// Sentence-classifier logits `[batch, classes]` of sentence vectors `[batch, hidden]`.
    pub fn classify_sentences(&self, vectors: Tensor<2>) -> Option<Tensor<2>> {
        let classifier = self.classifier.as_ref()?;
        let mut features = self.dropout.forward(vectors);
        if let Some(layer) = &self.classifier_hidden {
            features = self.dropout.forward(gelu(layer.forward(features)));
        }
        Some(classifier.forward(features))
    }

    /// Masked-language-model scores over the vocabulary, `[batch, seq, vocab]`.
    pub fn mlm_logits(&self, hidden: Tensor<3>) -> Option<Tensor<3>> {
        let [batch, seq, size] = hidden.dims();
        let scores = self.mlm_scores(hidden.reshape([batch * seq, size]))?;
        let vocab = scores.dims()[1];
        Some(scores.reshape([batch, seq, vocab]))
    }

    /// Masked-language-model scores `[rows, vocab]` for chosen positions' hidden states
    /// `[rows, hidden]`: pretraining scores only the masked positions.
    pub fn mlm_scores(&self, hidden: Tensor<2>) -> Option<Tensor<2>> {
        let head = self.mlm.as_ref()?;
        let x = head.norm.forward(gelu(head.transform.forward(hidden)));
        let words = self.embeddings.word.weight.val(); // [vocab, hidden]: the tied decoder
        Some(x.matmul(words.transpose()) + head.bias.val().unsqueeze::<2>())
    }
}

/// The `[CLS]` position's hidden state, `[batch, hidden]`.
fn cls(hidden: &Tensor<3>) -> Tensor<2> {
    let [batch, _, size] = hidden.dims();
    hidden
        .clone()
        .slice([0..batch, 0..1, 0..size])
        .reshape([batch, size])
}

impl Layer {
    fn forward(
        &self,
        x: Tensor<3>,
        padding: Tensor<4, Bool>,
        dropout: &Dropout,
    ) -> (Tensor<3>, Tensor<4>) {
        let [batch, seq, hidden] = x.dims();
        let head_dim = hidden / self.heads;
        let split = |t: Tensor<3>| {
            t.reshape([batch, seq, self.heads, head_dim])
                .swap_dims(1, 2)
        };
        let on_host = kernels::on_host(&x.device());
        let packed = self.packed.as_deref().filter(|_| on_host);
        let dense = |layer: &Linear, pick: fn(&PackedLayer) -> &Option<HostDense>, x: Tensor<3>| {
            timed(OpKind::Dense, || {
                match packed.and_then(|p| pick(p).as_ref()) {
                    Some(host) => host.forward(x),
                    None => layer.forward(x),
                }
            })
        };
        let q = dense(&self.query, |p| &p.query, x.clone());
        let k = dense(&self.key, |p| &p.key, x.clone());
        let v = dense(&self.value, |p| &p.value, x.clone());
        let (context, attention) = if on_host {
            // No autodiff, so no dropout to apply.
            self.host_attention(q, k, v, padding)
        } else {
            let (q, k, v) = (split(q), split(k), split(v));
            let scores = timed(OpKind::AttentionScores, || {
                let scores = q.matmul(k.swap_dims(2, 3)) / (head_dim as f64).sqrt();
                scores.mask_fill(padding.expand([batch, self.heads, seq, seq]), f32::MIN)
            });
            let attention = timed(OpKind::Softmax, || softmax(scores, 3));
            let context = timed(OpKind::AttentionValues, || {
                dropout
                    .forward(attention.clone())
                    .matmul(v)
                    .swap_dims(1, 2)
                    .reshape([batch, seq, hidden])
            });
            (context, attention)
        };
        let attended = dropout.forward(dense(
            &self.attention_output,
            |p| &p.attention_output,
            context,
        ));
        let x = timed(OpKind::LayerNorm, || {
            self.attention_norm.forward(attended + x)
        });
        let intermediate = dense(&self.intermediate, |p| &p.intermediate, x.clone());
        let expanded = timed(OpKind::Gelu, || kernels::gelu(intermediate));
        let y = dropout.forward(dense(&self.output, |p| &p.output, expanded));
        let out = timed(OpKind::LayerNorm, || self.output_norm.forward(y + x));
        (out, attention)
    }

    /// Self-attention through [`kernels::attention_scores`], [`kernels::softmax_rows`] and
    /// [`kernels::attention_values`], on the dense layers' outputs `[batch, seq, hidden]` as
    /// they are: the context and the attention probabilities `[batch, heads, seq, seq]`.
    fn host_attention(
        &self,
        q: Tensor<3>,
        k: Tensor<3>,
        v: Tensor<3>,
        padding: Tensor<4, Bool>,
    ) -> (Tensor<3>, Tensor<4>) {
        let device = q.device();
        let [batch, seq, hidden] = q.dims();
        let shape = kernels::AttentionShape {
            batch,
            seq,
            heads: self.heads,
            head_dim: hidden / self.heads,
        };
        let masked = padding
            .into_data()
            .try_into_vec::<bool>()
            .expect("a bool mask");
        let mut probabilities = timed(OpKind::AttentionScores, || {
            let (query, key) = (kernels::host_values(q).0, kernels::host_values(k).0);
            kernels::attention_scores(&query, &key, &masked, shape)
        });
        timed(OpKind::Softmax, || {
            kernels::softmax_rows(&mut probabilities, seq)
        });
        let context = timed(OpKind::AttentionValues, || {
            kernels::attention_values(&probabilities, &kernels::host_values(v).0, shape)
        });
        (
            kernels::from_host(context, [batch, seq, hidden], &device),
            kernels::from_host(probabilities, [batch, self.heads, seq, seq], &device),
        )
    }
}

impl BertInput {
    /// One tokenized sentence as a batch of one, every token attended.
    pub fn from_encoded(encoded: &Encoded, device: &Device) -> Self {
        Self::batch(&[encoded], 0, device)
    }

    /// Sentences padded with `pad_id` to the longest one; padding is masked out.
    pub fn batch(sentences: &[&Encoded], pad_id: u32, device: &Device) -> Self {
        let rows: Vec<(&[u32], &[u32])> = sentences
            .iter()
            .map(|s| (s.ids.as_slice(), s.type_ids.as_slice()))
            .collect();
        Self::padded(&rows, pad_id, device)
    }

    /// Single-segment sentences of token ids, padded with `pad_id` to the longest one.
    pub fn from_ids(sentences: &[&[u32]], pad_id: u32, device: &Device) -> Self {
        let zeros = vec![0u32; sentences.iter().map(|s| s.len()).max().unwrap_or(0)];
        let rows: Vec<(&[u32], &[u32])> =
            sentences.iter().map(|s| (*s, &zeros[..s.len()])).collect();
        Self::padded(&rows, pad_id, device)
    }

    fn padded(sentences: &[(&[u32], &[u32])], pad_id: u32, device: &Device) -> Self {
        let seq = sentences
            .iter()
            .map(|(ids, _)| ids.len())
            .max()
            .unwrap_or(0);
        let mut ids = Vec::with_capacity(sentences.len() * seq);
        let mut type_ids = Vec::with_capacity(ids.capacity());
        let mut mask = Vec::with_capacity(ids.capacity());
        for (sentence, types) in sentences {
            let pad = seq - sentence.len();
            ids.extend(
                sentence
                    .iter()
                    .map(|&id| id as i64)
                    .chain(std::iter::repeat_n(pad_id as i64, pad)),
            );
            type_ids.extend(
                types
                    .iter()
                    .map(|&id| id as i64)
                    .chain(std::iter::repeat_n(0, pad)),
            );
            mask.extend(
                std::iter::repeat_n(1i64, sentence.len()).chain(std::iter::repeat_n(0, pad)),
            );
        }
        let shape = [sentences.len(), seq];
        let tensor =
            |data: Vec<i64>| Tensor::<2, Int>::from_data(TensorData::new(data, shape), device);
        Self {
            ids: tensor(ids),
            type_ids: tensor(type_ids),
            mask: tensor(mask),
        }
    }
}
