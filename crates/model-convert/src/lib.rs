//! The native half of the model-asset pipeline: read a PyTorch checkpoint (`.pth`/`.pt`/`.bin`,
//! zip or legacy format) or a safetensors file through burn-store, map its keys onto
//! `lab_core::vision`'s modules, and write the static asset folder (`lab_core::vision::asset`
//! describes it). Native only: the PyTorch pickle reader never reaches the wasm app.

pub mod seeded;

use std::fs;
use std::path::Path;

use burn::store::{ModuleSnapshot, PytorchStore, SafetensorsStore, ApplyResult, PyTorchToBurnAdapter};
use burn::tensor::Device;
use lab_core::vision::asset::{
    self, F32_FILE, FORMAT_VERSION, INT8_FILE, INT8_SCHEME, Labels, MANIFEST_FILE, Manifest, Source, WeightsFile,
};
use lab_core::vision::preprocess::Preprocessing;
use lab_core::text::bert::{Bert, BertConfig, HF_KEY_REMAPPING, Heads};
use lab_core::vision::{Arch, Classifier, check_applied};

/// Regex renames from a checkpoint's keys to this project's module paths.
pub fn key_remapping(arch: Arch) -> &'static [(&'static str, &'static str)] {
    match arch {
        // `_blocks.3._expand_conv.weight` -> `blocks.3.expand_conv.weight`
        Arch::EfficientNetLite0 => &[(r"(^|\.)_", "${1}")],
        // torchvision's `downsample` is a Sequential(conv, bn)
        Arch::ResNet18 | Arch::ResNet50 => &[(r"\.downsample\.0\.", ".downsample.conv."), (r"\.downsample\.1\.", ".downsample.bn.")],
    }
}

/// Loads a checkpoint into a fresh network of `arch` through burn-store: [`PytorchStore`] for
/// PyTorch files, [`SafetensorsStore`] (with the PyTorch-to-burn adapter) for `.safetensors`.
/// Every parameter and running statistic must be present, and nothing else but batch-norm
/// counters.
pub fn import(arch: Arch, path: &Path, num_classes: usize, device: &Device) -> Result<Classifier, String> {
    let mut model = Classifier::init(arch, num_classes, device);
    let result = match &mut model {
        Classifier::EfficientNet(net) => load_checkpoint(net, path, key_remapping(arch))?,
        Classifier::ResNet(net) => load_checkpoint(net, path, key_remapping(arch))?,
    };
    check_applied(&result).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(model)
}

/// Reads `path` into `module` through burn-store, PyTorch conventions and `remapping` applied:
/// [`PytorchStore`] for PyTorch files, [`SafetensorsStore`] (with the PyTorch-to-burn adapter)
/// for `.safetensors`. Partial: the caller judges what is missing or left over.
fn load_checkpoint<M: ModuleSnapshot>(module: &mut M, path: &Path, remapping: &[(&str, &str)]) -> Result<ApplyResult, String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    if path.extension().is_some_and(|ext| ext == "safetensors") {
        let mut store = SafetensorsStore::from_file(path).with_from_adapter(PyTorchToBurnAdapter).allow_partial(true);
        for (from, to) in remapping {
            store = store.with_key_remapping(*from, *to);
        }
        module.load_from(&mut store).map_err(|e| fail(&e))
    } else {
        let mut store = PytorchStore::from_file(path).allow_partial(true);
        for (from, to) in remapping {
            store = store.with_key_remapping(*from, *to);
        }
        module.load_from(&mut store).map_err(|e| fail(&e))
    }
}

/// Loads a Hugging Face BERT checkpoint (`BertModel`, `BertForMaskedLM`, `BertForPreTraining`;
/// safetensors or PyTorch) into a [`Bert`] with `heads`, renaming keys with
/// [`HF_KEY_REMAPPING`]. Every tensor of the network must be present; the checkpoint may hold
/// more (position ids, the next-sentence head, the tied decoder).
pub fn import_bert(path: &Path, config: &BertConfig, heads: Heads, device: &Device) -> Result<Bert, String> {
    let mut model = Bert::new(config, heads, device);
    let result = load_checkpoint(&mut model, path, HF_KEY_REMAPPING)?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        let missing: Vec<&str> = result.missing.iter().map(|(path, _)| path.as_str()).take(8).collect();
        return Err(format!("{}: the checkpoint does not fit the BERT config: {result} (missing e.g. {missing:?})", path.display()));
    }
    Ok(model)
}

/// What the manifest says about the weights' origin and the labels.
pub struct AssetInfo {
    pub name: String,
    pub source: Source,
    pub labels: Labels,
}

/// Reads ImageNet class names: a JSON array of strings, or an object from class number to name
/// (`imagenet1k_label_to_names.json`).
pub fn read_labels(path: &Path) -> Result<Vec<String>, String> {
    let text = fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value: serde_json::Value = serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    match value {
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(|| "labels must be strings".to_string()))
            .collect(),
        serde_json::Value::Object(map) => {
            let mut labels = vec![None; map.len()];
            for (key, value) in map {
                let index: usize = key.parse().map_err(|_| format!("label key {key} is not a class number"))?;
                let name = value.as_str().ok_or("labels must be strings")?.to_string();
                *labels.get_mut(index).ok_or_else(|| format!("class {index} out of range"))? = Some(name);
            }
            labels.into_iter().enumerate().map(|(i, l)| l.ok_or_else(|| format!("no label for class {i}"))).collect()
        }
        _ => Err(format!("{}: expected a JSON array or object", path.display())),
    }
}

/// Writes `out_dir/{weights.f32.safetensors, weights.int8.safetensors, manifest.json}` for a
/// loaded network, the manifest last, and reads every file back through the app's loader.
pub fn write_asset(model: &Classifier, info: AssetInfo, out_dir: &Path, device: &Device) -> Result<Manifest, String> {
    fs::create_dir_all(out_dir).map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let host = model.host_tensors()?;
    let mut files = Vec::new();
    for (file, int8) in [(F32_FILE, false), (INT8_FILE, true)] {
        let bytes = asset::encode_weights(&host, int8)?;
        let path = out_dir.join(file);
        fs::write(&path, &bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        files.push(WeightsFile {
            file: file.into(),
            bytes: bytes.len() as u64,
            sha256: asset::sha256_hex(&bytes),
            precision: if int8 { "int8" } else { "f32" }.into(),
            quantization: int8.then(|| INT8_SCHEME.to_string()),
        });
    }
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        name: info.name,
        arch: model.arch().id().into(),
        num_classes: info.labels.en.len(),
        parameters: model.num_params() as u64,
        macs: model.macs(),
        source: info.source,
        files,
        default_file: INT8_FILE.into(),
        preprocessing: Preprocessing::default(),
        labels: info.labels,
    };
    // Round trip: the files must load through the same code the app runs.
    let json = manifest.to_json();
    let reread = Manifest::from_json(json.as_bytes()).map_err(|e| e.to_string())?;
    for entry in &reread.files {
        let bytes = fs::read(out_dir.join(&entry.file)).map_err(|e| e.to_string())?;
        Classifier::from_asset(&reread, &entry.file, &bytes, device).map_err(|e| e.to_string())?;
    }
    let path = out_dir.join(MANIFEST_FILE);
    fs::write(&path, json).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(manifest)
}
