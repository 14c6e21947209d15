//! BERT assets: a folder `text-models/<name>/` holding `manifest.json` (a [`TextManifest`]: the
//! BERT config, which heads the weights carry, the tokenizer file, labels, origin and licence,
//! figures measured when it was built, and each weights file's size, sha256 and precision),
//! the tokenizer file (`vocab.txt` or `tokenizer.json`) and the weights files that
//! [`crate::asset`] describes.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

use super::bert::{Bert, BertConfig, Heads};
use super::tokenizer;
use crate::asset::{
    self, AssetError, Labels, Source, Verified, WeightsFile, check_applied, decode_weights,
    sha256_hex,
};

/// The manifest format this code reads and writes.
pub const FORMAT_VERSION: u32 = 1;
pub const ARCH: &str = "bert";

/// The tokenizer of the model: a `tokenizer.json` (when the name ends in `.json`) or BERT's
/// `vocab.txt`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenizerFile {
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
    /// For `vocab.txt`: whether the vocabulary is uncased (lower-case and strip accents).
    pub lowercase: bool,
}

/// The tokens the encoder adds or the page looks for, by name in the tokenizer's vocabulary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpecialTokens {
    pub start: String,
    pub end: String,
    pub pad: String,
    /// What fill-mask looks for, when the model has a masked-language-model head.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask: Option<String>,
}

impl Default for SpecialTokens {
    /// BERT's.
    fn default() -> Self {
        Self {
            start: tokenizer::CLS.into(),
            end: tokenizer::SEP.into(),
            pad: tokenizer::PAD.into(),
            mask: Some(tokenizer::MASK.into()),
        }
    }
}

/// The ids of a model's [`SpecialTokens`] in its tokenizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpecialIds {
    pub pad: u32,
    pub mask: Option<u32>,
}

/// What a model is, in the page's two languages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct About {
    pub zh: String,
    pub en: String,
}

/// Sentences with their precomputed sentence vectors, for "similar sentences"
/// ([`super::neighbours`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeighboursFile {
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
    pub count: usize,
    /// What the sentences are.
    pub about: String,
}

/// A figure measured when the asset was built, shown beside the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub what: String,
    /// The same in Chinese, for the page's model card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub what_zh: Option<String>,
    pub value: f64,
}

impl Measurement {
    pub fn new(en: impl Into<String>, zh: impl Into<String>, value: f64) -> Self {
        Self {
            what: en.into(),
            what_zh: Some(zh.into()),
            value,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextManifest {
    pub format_version: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<About>,
    /// Always [`ARCH`].
    pub arch: String,
    pub config: BertConfig,
    pub heads: Heads,
    /// The longest input, `[CLS]` and `[SEP]` included.
    pub max_length: usize,
    /// The classifier's class names, when the weights have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
    pub tokenizer: TokenizerFile,
    #[serde(default)]
    pub special: SpecialTokens,
    /// What the encoder puts before every text (multilingual-e5 was trained with `query: `).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prefix: String,
    /// When the vocabulary was cut out of a larger one: each token's id in the original
    /// (index = this model's id), so that ids can be compared with the original's. Written as
    /// one string of space-separated numbers: tens of thousands of them, one per line in the
    /// pretty-printed manifest, would double its size.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "spaced_ids")]
    pub source_ids: Option<Vec<u32>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neighbours: Option<NeighboursFile>,
    pub parameters: u64,
    pub source: Source,
    pub files: Vec<WeightsFile>,
    /// The file the app loads by default.
    pub default_file: String,
    #[serde(default)]
    pub measurements: Vec<Measurement>,
}

mod spaced_ids {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ids: &Option<Vec<u32>>, s: S) -> Result<S::Ok, S::Error> {
        let ids = ids.as_ref().expect("skipped when None");
        let text: Vec<String> = ids.iter().map(u32::to_string).collect();
        s.serialize_str(&text.join(" "))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u32>>, D::Error> {
        let text = String::deserialize(d)?;
        text.split_ascii_whitespace()
            .map(|id| id.parse().map_err(serde::de::Error::custom))
            .collect::<Result<Vec<u32>, _>>()
            .map(Some)
    }
}

impl TextManifest {
    pub fn from_json(bytes: &[u8]) -> Result<Self, AssetError> {
        let manifest: Self =
            serde_json::from_slice(bytes).map_err(|e| AssetError::Manifest(e.to_string()))?;
        let fail = |msg: String| Err(AssetError::Manifest(msg));
        if manifest.format_version != FORMAT_VERSION {
            return fail(format!(
                "format version {} (this build reads {FORMAT_VERSION})",
                manifest.format_version
            ));
        }
        if manifest.arch != ARCH {
            return fail(format!("architecture {} is not {ARCH}", manifest.arch));
        }
        manifest.config.check().map_err(AssetError::Manifest)?;
        if manifest.max_length < 3 || manifest.max_length > manifest.config.max_position_embeddings
        {
            return fail(format!(
                "max_length {} must be within 3..={}",
                manifest.max_length, manifest.config.max_position_embeddings
            ));
        }
        let classes = manifest.labels.as_ref().map(|labels| labels.en.len());
        if classes != manifest.heads.classes {
            return fail(format!(
                "{classes:?} labels for {:?} classifier classes",
                manifest.heads.classes
            ));
        }
        if let Some(labels) = &manifest.labels
            && labels
                .zh
                .as_ref()
                .is_some_and(|zh| zh.len() != labels.en.len())
        {
            return fail("the Chinese labels do not cover every class".into());
        }
        let t = &manifest.tokenizer;
        asset::check_listed(&t.file, t.bytes, &t.sha256)?;
        if let Some(n) = &manifest.neighbours {
            asset::check_listed(&n.file, n.bytes, &n.sha256)?;
        }
        if let Some(ids) = &manifest.source_ids
            && ids.len() != manifest.config.vocab_size
        {
            return fail(format!(
                "{} original ids for a vocabulary of {}",
                ids.len(),
                manifest.config.vocab_size
            ));
        }
        asset::check_files(&manifest.files)?;
        manifest.file(&manifest.default_file)?;
        Ok(manifest)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a manifest always serializes") + "\n"
    }

    pub fn file(&self, name: &str) -> Result<&WeightsFile, AssetError> {
        asset::find_file(&self.files, name)
    }

    /// Checks that `bytes` are exactly the weights file `name` the manifest lists.
    pub fn verify(&self, name: &str, bytes: Vec<u8>) -> Result<Verified, AssetError> {
        asset::verify_file(&self.files, name, bytes)
    }

    /// Checks the neighbours file's bytes against the manifest (size, then sha256).
    pub fn verify_neighbours(&self, bytes: Vec<u8>) -> Result<Verified, AssetError> {
        let entry = self
            .neighbours
            .as_ref()
            .ok_or_else(|| AssetError::UnknownFile("neighbours".into()))?;
        Verified::check(&entry.file, entry.bytes, &entry.sha256, bytes)
    }

    /// Checks the tokenizer file's bytes against the manifest (size, then sha256).
    pub fn verify_tokenizer(&self, bytes: Vec<u8>) -> Result<Verified, AssetError> {
        let entry = &self.tokenizer;
        Verified::check(&entry.file, entry.bytes, &entry.sha256, bytes)
    }

    /// Builds the tokenizer from its verified file ([`TextManifest::verify_tokenizer`]).
    pub fn tokenizer(&self, verified: &Verified) -> Result<Tokenizer, AssetError> {
        let entry = &self.tokenizer;
        let file = entry.file.clone();
        if verified.file() != file {
            return Err(AssetError::UnknownFile(verified.file().into()));
        }
        let bytes = verified.bytes();
        let built = if entry.file.ends_with(".json") {
            tokenizer::from_json(bytes)
        } else {
            let text = std::str::from_utf8(bytes)
                .map_err(|e| AssetError::Weights(format!("{file}: {e}")))?;
            tokenizer::from_vocab(text, entry.lowercase)
        };
        let tokenizer = built.map_err(|e| AssetError::Weights(format!("{file}: {e}")))?;
        let size = tokenizer.get_vocab_size(true);
        if size > self.config.vocab_size {
            return Err(AssetError::Manifest(format!(
                "the tokenizer has {size} tokens, the model {}",
                self.config.vocab_size
            )));
        }
        if let Some(ids) = &self.source_ids
            && ids.len() != size
        {
            return Err(AssetError::Manifest(format!(
                "{} source ids for {size} tokens",
                ids.len()
            )));
        }
        self.special_ids(&tokenizer)?;
        Ok(tokenizer)
    }

    /// The ids of the special tokens in `tokenizer`; an error names a missing one.
    pub fn special_ids(&self, tokenizer: &Tokenizer) -> Result<SpecialIds, AssetError> {
        let id = |token: &str| {
            tokenizer.token_to_id(token).ok_or_else(|| {
                AssetError::Manifest(format!("the tokenizer lacks the special token {token}"))
            })
        };
        let special = &self.special;
        id(&special.start)?;
        id(&special.end)?;
        Ok(SpecialIds {
            pad: id(&special.pad)?,
            mask: special.mask.as_deref().map(id).transpose()?,
        })
    }

    /// The English label of a class, or its number.
    pub fn label(&self, class: usize) -> String {
        self.labels
            .as_ref()
            .and_then(|l| l.en.get(class).cloned())
            .unwrap_or_else(|| format!("class {class}"))
    }
}

impl TokenizerFile {
    pub fn describe(file: &str, bytes: &[u8], lowercase: bool) -> Self {
        Self {
            file: file.into(),
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
            lowercase,
        }
    }
}

impl Bert {
    /// Builds the network from weights verified against this manifest ([`TextManifest::verify`]); every
    /// tensor of the network must be in the file and nothing else. A loaded model is for use, not
    /// training: on the host its dense layers are packed, and those an int8 file stores in int8
    /// compute in integers ([`Bert::compute_on_host`]).
    pub fn from_asset(
        manifest: &TextManifest,
        weights: &Verified,
        device: &Device,
    ) -> Result<Self, AssetError> {
        let int8 = asset::verified_entry(&manifest.files, weights)?.precision == "int8";
        let tensors = decode_weights(weights.bytes())?;
        let mut model = Bert::new(&manifest.config, manifest.heads, device);
        check_applied(&asset::apply_host_tensors(&mut model, tensors))
            .map_err(AssetError::Weights)?;
        model.compute_on_host(int8);
        Ok(model)
    }
}
