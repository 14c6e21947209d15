//! Image-classifier assets: a folder `models/<name>/` holding `manifest.json` (a [`Manifest`]:
//! model name, architecture, where the weights come from and on what licence, preprocessing,
//! labels, and each weights file's size, sha256 and precision) and the weights files that
//! [`crate::asset`] describes.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::preprocess::Preprocessing;
use super::{Arch, Classifier};
use crate::asset::{
    self, AssetError, HostTensor, Labels, Source, Verified, WeightsFile, check_applied,
    decode_weights,
};

/// The manifest format this code reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// The most classes a manifest may declare (ImageNet-21k has 21,841).
pub const MAX_CLASSES: usize = 50_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub name: String,
    /// An [`Arch`] id.
    pub arch: String,
    pub num_classes: usize,
    pub parameters: u64,
    /// Multiply-accumulates of one forward pass at the input size (FLOPs ≈ 2×).
    pub macs: u64,
    pub source: Source,
    pub files: Vec<WeightsFile>,
    /// The file the app loads by default.
    pub default_file: String,
    pub preprocessing: Preprocessing,
    pub labels: Labels,
}

impl Manifest {
    pub fn from_json(bytes: &[u8]) -> Result<Self, AssetError> {
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| AssetError::Manifest(e.to_string()))?;
        if manifest.format_version != FORMAT_VERSION {
            return Err(AssetError::Manifest(format!(
                "format version {} (this build reads {FORMAT_VERSION})",
                manifest.format_version
            )));
        }
        manifest.arch()?;
        // A class count out of these bounds would only ask for a huge allocation: no
        // ImageNet-style classifier has more classes.
        if !(1..=MAX_CLASSES).contains(&manifest.num_classes) {
            return Err(AssetError::Manifest(format!(
                "{} classes (1 to {MAX_CLASSES})",
                manifest.num_classes
            )));
        }
        manifest
            .preprocessing
            .check()
            .map_err(AssetError::Manifest)?;
        if manifest.labels.en.len() != manifest.num_classes {
            return Err(AssetError::Manifest(format!(
                "{} labels for {} classes",
                manifest.labels.en.len(),
                manifest.num_classes
            )));
        }
        if manifest
            .labels
            .zh
            .as_ref()
            .is_some_and(|zh| zh.len() != manifest.num_classes)
        {
            return Err(AssetError::Manifest(
                "the Chinese labels do not cover every class".into(),
            ));
        }
        asset::check_files(&manifest.files)?;
        manifest.file(&manifest.default_file)?;
        Ok(manifest)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a manifest always serializes") + "\n"
    }

    pub fn arch(&self) -> Result<Arch, AssetError> {
        Arch::from_id(&self.arch)
            .ok_or_else(|| AssetError::Manifest(format!("unknown architecture {}", self.arch)))
    }

    pub fn file(&self, name: &str) -> Result<&WeightsFile, AssetError> {
        asset::find_file(&self.files, name)
    }

    /// Checks that `bytes` are exactly the file `name` the manifest lists (size, then sha256).
    pub fn verify(&self, name: &str, bytes: Vec<u8>) -> Result<Verified, AssetError> {
        asset::verify_file(&self.files, name, bytes)
    }

    /// The English label of a class, or its number.
    pub fn label(&self, class: usize) -> String {
        self.labels
            .en
            .get(class)
            .cloned()
            .unwrap_or_else(|| format!("class {class}"))
    }
}

impl Classifier {
    /// Builds the network from weights verified against this manifest ([`Manifest::verify`]),
    /// its batch norms folded. A loaded network is for use, not training: on the host, one from
    /// an int8 file computes in integers where it can ([`Classifier::compute_int8_on_host`]).
    pub fn from_asset(
        manifest: &Manifest,
        weights: &Verified,
        device: &Device,
    ) -> Result<Self, AssetError> {
        let int8 = asset::verified_entry(&manifest.files, weights)?.precision == "int8";
        let tensors = decode_weights(weights.bytes())?;
        let mut model = Classifier::init(manifest.arch()?, manifest.num_classes, device);
        model
            .load_host_tensors(tensors)
            .map_err(AssetError::Weights)?;
        model.fold_batch_norms();
        if int8 {
            model.compute_int8_on_host();
        }
        Ok(model)
    }

    /// Loads f32 host tensors (PyTorch conventions, this crate's paths) into the network. Every
    /// parameter and running statistic must be given; extra tensors are an error too, except
    /// PyTorch's `num_batches_tracked` counters.
    pub fn load_host_tensors(&mut self, tensors: Vec<HostTensor>) -> Result<(), String> {
        let result = match self {
            Classifier::EfficientNet(net) => asset::apply_host_tensors(net, tensors),
            Classifier::ResNet(net) => asset::apply_host_tensors(net, tensors),
        };
        check_applied(&result)
    }

    /// Every tensor of the network on the host, f32, PyTorch conventions.
    pub fn host_tensors(&self) -> Result<Vec<HostTensor>, String> {
        match self {
            Classifier::EfficientNet(net) => asset::host_tensors(net),
            Classifier::ResNet(net) => asset::host_tensors(net),
        }
    }
}
