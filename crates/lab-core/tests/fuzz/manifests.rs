//! The model manifests the pages fetch before anything else: the image classifiers'
//! (`vision::asset::Manifest`) and the text models' (`text::asset::TextManifest`). An accepted
//! manifest must be one the page can use: written back it reads the same, and what it
//! describes can be built.

use lab_core::text::asset::TextManifest;
use lab_core::vision::asset::Manifest;
use lab_core::vision::preprocess::{self, MAX_INPUT_SIDE};
use proptest::prelude::*;

use crate::harness::{Target, fuzz};
use crate::json::{self, JsonEdit};

const JSON_TOKENS: &[&[u8]] = &[
    b"\"",
    b"\\u0000",
    b"\\ud800",
    b",",
    b":",
    b"{}",
    b"[]",
    b"null",
    b"true",
    b"-",
    b"e999",
    b"\"format_version\": 1,",
    b"\"labels\": {\"en\": []},",
];

/// A photo from the photo corpus, for the classifier input an accepted manifest describes.
const PHOTO: &[u8] = include_bytes!("../fuzz-corpus/photo/chelsea.png");

pub struct VisionManifest;

impl Target for VisionManifest {
    const NAME: &'static str = "vision_manifest";
    const DICTIONARY: &'static [&'static [u8]] = JSON_TOKENS;
    type Param = Vec<JsonEdit>;

    fn param() -> BoxedStrategy<Self::Param> {
        json::edits()
    }

    fn replay_params() -> Vec<Self::Param> {
        vec![Vec::new()]
    }

    fn prepare(seed: &[u8], edits: &Self::Param) -> Vec<u8> {
        json::apply(seed, edits)
    }

    fn check(bytes: &[u8], _: &Self::Param) -> bool {
        let Ok(manifest) = Manifest::from_json(bytes) else {
            return false;
        };
        let again = Manifest::from_json(manifest.to_json().as_bytes())
            .expect("an accepted manifest, written back, is accepted");
        assert_eq!(
            again, manifest,
            "written back, the manifest reads differently"
        );
        assert!(manifest.arch().is_ok());
        assert_eq!(manifest.labels.en.len(), manifest.num_classes);
        assert!(manifest.file(&manifest.default_file).is_ok());
        // The classification demo's input, as its manifest describes it: no larger than the
        // page can hold, and finite.
        let p = &manifest.preprocessing;
        assert!(
            p.crop <= MAX_INPUT_SIDE && p.resize_shorter <= MAX_INPUT_SIDE,
            "an input of {} (resized to {}) is accepted",
            p.crop,
            p.resize_shorter
        );
        let input = preprocess::photo_to_input(PHOTO, p).expect("the photo preprocesses");
        assert_eq!(input.len(), 3 * (p.crop * p.crop) as usize);
        assert!(
            input.iter().all(|v| v.is_finite()),
            "{p:?} gives non-finite inputs"
        );
        true
    }
}

pub struct TextModelManifest;

impl Target for TextModelManifest {
    const NAME: &'static str = "text_manifest";
    const DICTIONARY: &'static [&'static [u8]] = JSON_TOKENS;
    type Param = Vec<JsonEdit>;

    fn param() -> BoxedStrategy<Self::Param> {
        json::edits()
    }

    fn replay_params() -> Vec<Self::Param> {
        vec![Vec::new()]
    }

    fn prepare(seed: &[u8], edits: &Self::Param) -> Vec<u8> {
        json::apply(seed, edits)
    }

    fn check(bytes: &[u8], _: &Self::Param) -> bool {
        let Ok(manifest) = TextManifest::from_json(bytes) else {
            return false;
        };
        let mut again = TextManifest::from_json(manifest.to_json().as_bytes())
            .expect("an accepted manifest, written back, is accepted");
        same_floats(&mut again, &manifest);
        assert_eq!(
            again, manifest,
            "written back, the manifest reads differently"
        );
        assert!(manifest.config.check().is_ok());
        assert!((3..=manifest.config.max_position_embeddings).contains(&manifest.max_length));
        let classes = manifest.labels.as_ref().map(|l| l.en.len());
        assert_eq!(classes, manifest.heads.classes);
        assert!(manifest.file(&manifest.default_file).is_ok());
        true
    }
}

/// Checks that `again`'s f64 values are `original`'s, to the last bit or one next to it, then
/// makes them equal. serde_json's default float parsing lands within a bit of the nearest
/// double, not always on it (its `float_roundtrip` feature makes it exact at twice the cost), so
/// a value written back can read one bit apart: harmless for an epsilon or a shown figure.
fn same_floats(again: &mut TextManifest, original: &TextManifest) {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs());
    let eps = original.config.layer_norm_eps;
    assert!(
        close(again.config.layer_norm_eps, eps),
        "layer_norm_eps {eps}"
    );
    again.config.layer_norm_eps = eps;
    for (a, b) in again.measurements.iter_mut().zip(&original.measurements) {
        assert!(
            close(a.value, b.value),
            "{} read back as {}",
            b.value,
            a.value
        );
        a.value = b.value;
    }
}

#[test]
fn vision_manifest() {
    fuzz::<VisionManifest>();
}

#[test]
fn text_manifest() {
    fuzz::<TextModelManifest>();
}
