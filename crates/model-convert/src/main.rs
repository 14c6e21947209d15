//! `model-convert`: a checkpoint to a static model asset, or photos to preprocessed inputs.
//! Run with `--help`.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use burn::tensor::Device;
use lab_core::vision::Arch;
use lab_core::vision::asset::{Labels, Source, sha256_hex};
use lab_core::vision::preprocess::{Preprocessing, photo_to_input};
use model_convert::{AssetInfo, import, read_labels, write_asset};

const USAGE: &str = "\
Usage:
  model-convert --arch ARCH --input FILE --out DIR [OPTIONS]
      Reads a PyTorch checkpoint (.pth/.pt/.bin) or a .safetensors file through burn-store,
      maps it onto the lab's ARCH network (efficientnet-lite0, resnet18, resnet50) and writes
      DIR/weights.f32.safetensors, DIR/weights.int8.safetensors and DIR/manifest.json.
    --labels FILE          class names: JSON array, or object {\"0\": name, ...} (default: class N)
    --classes N            number of classes without --labels (default 1000)
    --name NAME            model name in the manifest (default: the architecture)
    --description TEXT     what the weights are
    --origin TEXT          where they come from (package==version and registry)
    --member TEXT          the file inside that package (default: the input's file name)
    --licence TEXT         their licence
    --labels-zh FILE       Chinese class names (same formats), stored as labels.zh
    --labels-source TEXT   where the labels come from
    --labels-licence TEXT  their licence

  model-convert preprocess --out DIR IMAGE...
      Writes DIR/<image stem>.f32: the model input of each photo (3x224x224 little-endian f32,
      ImageNet preprocessing), for scripts/vision_reference.py.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("-h" | "--help") => {
            print!("{USAGE}");
            Ok(())
        }
        Some("preprocess") => preprocess(&args[1..]),
        Some(_) => convert(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("model-convert: {error}");
            ExitCode::FAILURE
        }
    }
}

fn options(args: &[String]) -> Result<(HashMap<String, String>, Vec<String>), String> {
    let mut named = HashMap::new();
    let mut positional = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if let Some(key) = arg.strip_prefix("--") {
            let value = iter.next().ok_or_else(|| format!("--{key} needs a value"))?;
            named.insert(key.to_string(), value.clone());
        } else {
            positional.push(arg.clone());
        }
    }
    Ok((named, positional))
}

fn convert(args: &[String]) -> Result<(), String> {
    let (mut opts, positional) = options(args)?;
    if let Some(extra) = positional.first() {
        return Err(format!("unexpected argument {extra}; see --help"));
    }
    let mut take = |key: &str| opts.remove(key);
    let arch_id = take("arch").ok_or("--arch is required")?;
    let arch = Arch::from_id(&arch_id).ok_or_else(|| format!("unknown architecture {arch_id}"))?;
    let input = PathBuf::from(take("input").ok_or("--input is required")?);
    let out = PathBuf::from(take("out").ok_or("--out is required")?);
    let labels = match take("labels") {
        Some(path) => read_labels(Path::new(&path))?,
        None => {
            let n: usize = take("classes").unwrap_or_else(|| "1000".into()).parse().map_err(|_| "--classes needs a number")?;
            (0..n).map(|i| format!("class {i}")).collect()
        }
    };
    let zh = take("labels-zh").map(|path| read_labels(Path::new(&path))).transpose()?;
    if zh.as_ref().is_some_and(|zh| zh.len() != labels.len()) {
        return Err("--labels-zh must name as many classes as --labels".into());
    }
    let input_bytes = fs::read(&input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let file_name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let info = AssetInfo {
        name: take("name").unwrap_or_else(|| arch.id().into()),
        source: Source {
            description: take("description").unwrap_or_else(|| format!("{} weights", arch.id())),
            origin: take("origin").unwrap_or_else(|| "local file".into()),
            file: take("member").unwrap_or(file_name),
            sha256: sha256_hex(&input_bytes),
            licence: take("licence").unwrap_or_else(|| "unknown".into()),
        },
        labels: Labels {
            en: labels,
            zh,
            source: take("labels-source").unwrap_or_else(|| "none".into()),
            licence: take("labels-licence").unwrap_or_else(|| "n/a".into()),
        },
    };
    if let Some(key) = opts.keys().next() {
        return Err(format!("unknown option --{key}; see --help"));
    }
    drop(input_bytes);
    let device = Device::flex();
    let num_classes = info.labels.en.len();
    let model = import(arch, &input, num_classes, &device)?;
    let manifest = write_asset(&model, info, &out, &device)?;
    if let Some(models_dir) = out.parent() {
        write_index(models_dir)?;
    }
    let f32_size = manifest.files.iter().find(|f| f.precision == "f32").map_or(0, |f| f.bytes);
    for file in &manifest.files {
        println!(
            "model-convert: {}/{} {:.2} MB ({:.3}x f32) sha256 {}",
            out.display(),
            file.file,
            file.bytes as f64 / 1e6,
            file.bytes as f64 / f32_size as f64,
            file.sha256
        );
    }
    Ok(())
}

fn preprocess(args: &[String]) -> Result<(), String> {
    let (opts, images) = options(args)?;
    let out = PathBuf::from(opts.get("out").ok_or("--out is required")?);
    fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let p = Preprocessing::default();
    for image in images {
        let path = Path::new(&image);
        let bytes = fs::read(path).map_err(|e| format!("cannot read {image}: {e}"))?;
        let input = photo_to_input(&bytes, &p).map_err(|e| format!("{image}: {e}"))?;
        let stem = path.file_stem().ok_or("an image path needs a file name")?.to_string_lossy();
        let dest = out.join(format!("{stem}.f32"));
        let raw: Vec<u8> = input.iter().flat_map(|v| v.to_le_bytes()).collect();
        fs::write(&dest, raw).map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
        println!("model-convert: {}", dest.display());
    }
    Ok(())
}

/// Rewrites `index.json` beside the model folders: `{"models": [...]}`, every sibling folder
/// holding a manifest, so that the page offers exactly the models present (the ones setup
/// converts, and any checkpoint a user converted).
fn write_index(models_dir: &Path) -> Result<(), String> {
    let mut models: Vec<String> = fs::read_dir(models_dir)
        .map_err(|e| format!("cannot list {}: {e}", models_dir.display()))?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join(lab_core::vision::asset::MANIFEST_FILE).is_file())
        .filter_map(|entry| entry.file_name().to_str().map(String::from))
        .collect();
    models.sort();
    let path = models_dir.join("index.json");
    let text = serde_json::json!({ "models": models }).to_string() + "\n";
    fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
