//! The augmentation grid whose digest is committed in `tests/fixtures/augment-grid.sha256`,
//! shared by the native test (`tests/augment.rs`) and the browser test (the app's
//! `tests/browser.rs`, through `#[path]`): the same digest on both proves the same bytes.
//!
//! The photo is `www/assets/samples/chelsea.png`, which is not committed: `cargo xtask setup`
//! unpacks it from a pinned, sha256-checked package, and `cargo xtask test` runs setup first.

use image::RgbImage;
use lab_core::augment::{self, AugmentSpec, MAX_SIDE, Op, Setting};
use lab_core::photo::{self, Shrink};
use sha2::{Digest, Sha256};

/// Chelsea the cat, 451×300 RGB (CC0; see www/assets/NOTICE.txt).
pub const PHOTO: &[u8] = include_bytes!("../../../../../www/assets/samples/chelsea.png");
pub const SEED: u64 = 2026;
pub const VARIANTS: usize = 6;
/// The committed digest: sha256 of the variants' bytes, concatenated, as lowercase hex.
pub const DIGEST: &str = include_str!("../../fixtures/augment-grid.sha256");

/// Every op on, each at its default strength except vertical flips at 0.3.
pub fn spec() -> AugmentSpec {
    let mut spec = AugmentSpec::default();
    for op in Op::ALL {
        let strength = if op == Op::FlipVertical {
            0.3
        } else {
            spec.get(op).strength
        };
        spec.set(op, Setting { on: true, strength });
    }
    spec
}

/// The photo as the augmentation demo decodes it.
pub fn photo() -> RgbImage {
    photo::decode(PHOTO, Shrink::LongerSideTo(MAX_SIDE)).expect("the sample photo decodes")
}

/// The digest of the fixture grid computed here, as lowercase hex.
pub fn grid_digest() -> String {
    let photo = photo();
    let mut hasher = Sha256::new();
    for variant in augment::augment_grid(&photo, &spec(), SEED, VARIANTS) {
        hasher.update(variant.as_raw());
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
