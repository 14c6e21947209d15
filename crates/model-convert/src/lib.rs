//! The native half of the model-asset pipeline: read a PyTorch checkpoint (`.pth`/`.pt`/`.bin`,
//! zip or legacy format) or a safetensors file through burn-store, map its keys onto
//! `lab_core::vision`'s or `lab_core::text`'s modules, and write the static asset folder
//! (`lab_core::vision::asset`, `lab_core::text::asset`). Native only: the PyTorch pickle reader
//! never reaches the wasm app. [`lab_bert`] builds the lab's own Chinese BERT.

pub mod e5;
pub mod e5_asset;
pub mod lab_bert;
pub mod movielens;
pub mod seeded;
pub mod sentiment_head;

use std::fs;
use std::path::Path;

use burn::store::{
    ApplyResult, ModuleSnapshot, PyTorchToBurnAdapter, PytorchStore, SafetensorsStore,
};
use burn::tensor::Device;
use lab_core::asset::PackedTensor;
use lab_core::asset::{self, INT8_FILE, Labels, MANIFEST_FILE, Source, check_applied};
use lab_core::photo::{self, Shrink};
use lab_core::text::asset::{
    self as text_asset, About, Measurement, NeighboursFile, SpecialTokens, TextManifest,
    TokenizerFile,
};
use lab_core::text::bert::{Bert, BertConfig, HF_KEY_REMAPPING, Heads};
use lab_core::vision::asset::{FORMAT_VERSION, Manifest};
use lab_core::vision::preprocess::{Preprocessing, preprocess, views};
use lab_core::vision::{Arch, Classifier, bias_correction};

/// Regex renames from a checkpoint's keys to this project's module paths.
pub fn key_remapping(arch: Arch) -> &'static [(&'static str, &'static str)] {
    match arch {
        // `_blocks.3._expand_conv.weight` -> `blocks.3.expand_conv.weight`
        Arch::EfficientNetLite0 => &[(r"(^|\.)_", "${1}")],
        // torchvision's `downsample` is a Sequential(conv, bn)
        Arch::ResNet18 | Arch::ResNet50 => &[
            (r"\.downsample\.0\.", ".downsample.conv."),
            (r"\.downsample\.1\.", ".downsample.bn."),
        ],
    }
}

/// Loads a checkpoint into a fresh network of `arch` through burn-store: [`PytorchStore`] for
/// PyTorch files, [`SafetensorsStore`] (with the PyTorch-to-burn adapter) for `.safetensors`.
/// Every parameter and running statistic must be present, and nothing else but batch-norm
/// counters.
pub fn import(
    arch: Arch,
    path: &Path,
    num_classes: usize,
    device: &Device,
) -> Result<Classifier, String> {
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
fn load_checkpoint<M: ModuleSnapshot>(
    module: &mut M,
    path: &Path,
    remapping: &[(&str, &str)],
) -> Result<ApplyResult, String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    if path.extension().is_some_and(|ext| ext == "safetensors") {
        let mut store = SafetensorsStore::from_file(path)
            .with_from_adapter(PyTorchToBurnAdapter)
            .allow_partial(true);
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
pub fn import_bert(
    path: &Path,
    config: &BertConfig,
    heads: Heads,
    device: &Device,
) -> Result<Bert, String> {
    let mut model = Bert::new(config, heads, device);
    let result = load_checkpoint(&mut model, path, HF_KEY_REMAPPING)?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        let missing: Vec<&str> = result
            .missing
            .iter()
            .map(|(path, _)| path.as_str())
            .take(8)
            .collect();
        return Err(format!(
            "{}: the checkpoint does not fit the BERT config: {result} (missing e.g. {missing:?})",
            path.display()
        ));
    }
    Ok(model)
}

/// Loads a Hugging Face BERT checkpoint with the heads it carries: the pooler and the MLM head
/// when present (bert-base-chinese has both; a sentence-embedding checkpoint may have neither).
pub fn import_bert_detecting_heads(
    path: &Path,
    config: &BertConfig,
    device: &Device,
) -> Result<Bert, String> {
    let candidates = [(true, true), (true, false), (false, true), (false, false)];
    let mut first_error = None;
    for (pooler, mlm) in candidates {
        match import_bert(
            path,
            config,
            Heads {
                pooler,
                mlm,
                classes: None,
                ..Heads::default()
            },
            device,
        ) {
            Ok(model) => return Ok(model),
            Err(e) => first_error = first_error.or(Some(e)),
        }
    }
    Err(first_error.expect("at least one candidate was tried"))
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
    let value: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    match value {
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| "labels must be strings".to_string())
            })
            .collect(),
        serde_json::Value::Object(map) => {
            let mut labels = vec![None; map.len()];
            for (key, value) in map {
                let index: usize = key
                    .parse()
                    .map_err(|_| format!("label key {key} is not a class number"))?;
                let name = value.as_str().ok_or("labels must be strings")?.to_string();
                *labels
                    .get_mut(index)
                    .ok_or_else(|| format!("class {index} out of range"))? = Some(name);
            }
            labels
                .into_iter()
                .enumerate()
                .map(|(i, l)| l.ok_or_else(|| format!("no label for class {i}")))
                .collect()
        }
        _ => Err(format!(
            "{}: expected a JSON array or object",
            path.display()
        )),
    }
}

/// Writes `out_dir/{weights.f32.safetensors, weights.int8.safetensors, manifest.json}` for a
/// loaded network, the manifest last, and reads every file back through the app's loader. With
/// `calibration` photos (see [`read_calibration`]) the int8 file's biases are corrected for its
/// rounding (`lab_core::vision::bias_correction`).
pub fn write_asset(
    model: &Classifier,
    info: AssetInfo,
    out_dir: &Path,
    calibration: &[Vec<f32>],
    device: &Device,
) -> Result<Manifest, String> {
    let tensors = model.host_tensors()?;
    let int8_tensors = if calibration.is_empty() {
        tensors.clone()
    } else {
        let corrected = bias_correction::correct_biases(model, &tensors, calibration, device)?;
        println!(
            "bias correction: int8 biases corrected on {} calibration images",
            calibration.len()
        );
        corrected
    };
    let files = write_weights(&int8_tensors, Some(&tensors), out_dir)?;
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
        let weights = reread
            .verify(&entry.file, bytes)
            .map_err(|e| e.to_string())?;
        Classifier::from_asset(&reread, &weights, device).map_err(|e| e.to_string())?;
    }
    write_file(&out_dir.join(MANIFEST_FILE), json.as_bytes())?;
    Ok(manifest)
}

/// Writes the int8 weights file of `int8` into `out_dir`, and the f32 one of `f32` when given;
/// returns their manifest entries.
fn write_weights(
    int8: &[asset::HostTensor],
    f32: Option<&[asset::HostTensor]>,
    out_dir: &Path,
) -> Result<Vec<asset::WeightsFile>, String> {
    fs::create_dir_all(out_dir).map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let mut files = Vec::new();
    for (tensors, int8) in f32.map(|t| (t, false)).into_iter().chain([(int8, true)]) {
        let (entry, bytes) = asset::encode_file(tensors, int8)?;
        write_file(&out_dir.join(&entry.file), &bytes)?;
        files.push(entry);
    }
    Ok(files)
}

/// The calibration inputs for bias correction: every PNG and JPEG in `dir`, in name order, in
/// its eight [`views`] and preprocessed as the classifiers are.
pub fn read_calibration(dir: &Path) -> Result<Vec<Vec<f32>>, String> {
    let mut paths: Vec<_> = fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| {
                ["png", "jpg", "jpeg"].contains(&x.to_string_lossy().to_lowercase().as_str())
            })
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(format!("{} holds no PNG or JPEG photos", dir.display()));
    }
    let p = Preprocessing::default();
    let mut inputs = Vec::new();
    for path in paths {
        let bytes = fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let image = photo::decode(&bytes, Shrink::ShorterSideNear(p.resize_shorter))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        for (_, view) in views(&image) {
            inputs.push(preprocess(&view, &p).map_err(|e| format!("{}: {e}", path.display()))?);
        }
    }
    Ok(inputs)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// What a BERT asset's manifest says besides the network itself.
pub struct TextAssetInfo {
    pub name: String,
    pub about: Option<About>,
    pub source: Source,
    pub labels: Option<Labels>,
    /// `vocab.txt` or `tokenizer.json`, and its bytes (copied into the asset).
    pub tokenizer_file: String,
    pub tokenizer_bytes: Vec<u8>,
    pub lowercase: bool,
    pub special: SpecialTokens,
    pub prefix: String,
    pub source_ids: Option<Vec<u32>>,
    pub neighbours: Option<NeighboursFile>,
    pub max_length: usize,
    pub measurements: Vec<Measurement>,
}

/// How a text asset stores its weights.
pub enum TextWeights<'a> {
    /// Quantized to int8 here, with an f32 file too when `with_f32`.
    Int8 { with_f32: bool },
    /// Kept as the checkpoint quantized them ([`asset::Q4_FILE`]).
    Q4(&'a [PackedTensor]),
}

/// Writes a BERT asset folder: the weights, the tokenizer file and `manifest.json`, the
/// manifest last, then loads every file back through the app's loader.
pub fn write_text_asset(
    model: &Bert,
    config: &BertConfig,
    info: TextAssetInfo,
    out_dir: &Path,
    weights: TextWeights,
    device: &Device,
) -> Result<TextManifest, String> {
    let files = match weights {
        TextWeights::Int8 { with_f32 } => {
            let tensors = asset::host_tensors(model)?;
            write_weights(&tensors, with_f32.then_some(tensors.as_slice()), out_dir)?
        }
        TextWeights::Q4(packed) => {
            fs::create_dir_all(out_dir)
                .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
            let (entry, bytes) = asset::encode_q4_file(packed)?;
            write_file(&out_dir.join(&entry.file), &bytes)?;
            vec![entry]
        }
    };
    let default_file = files
        .last()
        .expect("one weights file at least")
        .file
        .clone();
    write_file(&out_dir.join(&info.tokenizer_file), &info.tokenizer_bytes)?;
    let manifest = TextManifest {
        format_version: text_asset::FORMAT_VERSION,
        name: info.name,
        about: info.about,
        arch: text_asset::ARCH.into(),
        config: config.clone(),
        heads: Heads {
            pooler: model.pooler.is_some(),
            mlm: model.mlm.is_some(),
            classes: model.classifier.as_ref().map(|c| c.weight.dims()[1]),
            classifier_hidden: model.classifier_hidden.as_ref().map(|c| c.weight.dims()[1]),
            sentence: model.sentence(),
        },
        max_length: info.max_length,
        labels: info.labels,
        tokenizer: TokenizerFile::describe(
            &info.tokenizer_file,
            &info.tokenizer_bytes,
            info.lowercase,
        ),
        special: info.special,
        prefix: info.prefix,
        source_ids: info.source_ids,
        neighbours: info.neighbours,
        parameters: burn::module::Module::num_params(model) as u64,
        source: info.source,
        files,
        default_file,
        measurements: info.measurements,
    };
    let json = manifest.to_json();
    let reread = TextManifest::from_json(json.as_bytes()).map_err(|e| e.to_string())?;
    let tokenizer = reread
        .verify_tokenizer(info.tokenizer_bytes.clone())
        .map_err(|e| e.to_string())?;
    reread.tokenizer(&tokenizer).map_err(|e| e.to_string())?;
    for entry in &reread.files {
        let bytes = fs::read(out_dir.join(&entry.file)).map_err(|e| e.to_string())?;
        let weights = reread
            .verify(&entry.file, bytes)
            .map_err(|e| e.to_string())?;
        Bert::from_asset(&reread, &weights, device).map_err(|e| e.to_string())?;
    }
    write_file(&out_dir.join(MANIFEST_FILE), json.as_bytes())?;
    Ok(manifest)
}
