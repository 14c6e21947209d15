//! Image augmentation: every op keeps the image's size and pixel range and is deterministic per
//! seed; a fixed grid's digest matches the committed fixture (the browser test checks the same
//! fixture on wasm); bad files and absurd strengths are refused, huge photos downscaled.
//!
//! Regenerate the fixture after an intended change to the ops with
//! `UPDATE_FIXTURES=1 cargo test -p lab-core --test suite augment`, then check the browser test too
//! (`cargo xtask test --only wasm`).
//!
//! The sample photos are not committed: `cargo xtask setup` (run first by `cargo xtask test`)
//! unpacks them into www/assets/samples/, which `include_bytes!` reads here.

use crate::common::{self, augment_fixture as fixture};

use image::RgbImage;
use lab_core::augment::{self, AugmentSpec, MAX_SIDE, MAX_VARIANTS, Op, Setting};
use lab_core::photo::{self, Shrink};

fn photo() -> RgbImage {
    fixture::photo()
}

/// A strength in the upper part of the op's range, so that its effect shows.
fn strong(op: Op) -> f32 {
    let (low, high) = op.range();
    low + 0.8 * (high - low)
}

#[test]
fn the_sample_photo_loads_at_its_size() {
    let photo = photo();
    assert_eq!(photo.dimensions(), (451, 300));
    let jpeg = photo::decode(
        include_bytes!("../../../../www/assets/samples/rocket.jpg"),
        Shrink::LongerSideTo(MAX_SIDE),
    )
    .expect("the JPEG sample decodes");
    assert_eq!(
        jpeg.width(),
        MAX_SIDE,
        "640×427 is downscaled to fit {MAX_SIDE}"
    );
    assert!(
        (341..=342).contains(&jpeg.height()),
        "aspect ratio kept: {:?}",
        jpeg.dimensions()
    );
}

#[test]
fn every_op_keeps_size_and_range_changes_the_photo_and_repeats_per_seed() {
    let photo = photo();
    for op in Op::ALL {
        let spec = AugmentSpec::only(op, strong(op));
        let grid = augment::augment_grid(&photo, &spec, 11, 8);
        assert_eq!(grid.len(), 8);
        for variant in &grid {
            // RgbImage holds u8, so the range is the type's; the buffer must match the size.
            assert_eq!(variant.dimensions(), photo.dimensions(), "{}", op.id());
            assert_eq!(variant.as_raw().len(), photo.as_raw().len(), "{}", op.id());
        }
        assert!(
            grid.iter().any(|v| v != &photo),
            "{} at {} never changed the photo",
            op.id(),
            strong(op)
        );
        assert!(
            grid.windows(2).any(|pair| pair[0] != pair[1]),
            "{}: all 8 variants are equal",
            op.id()
        );
        assert!(
            grid == augment::augment_grid(&photo, &spec, 11, 8),
            "{}: the same seed gave other bytes",
            op.id()
        );
        assert!(
            grid != augment::augment_grid(&photo, &spec, 12, 8),
            "{}: another seed gave the same grid",
            op.id()
        );
    }
}

#[test]
fn ops_do_what_they_say() {
    let photo = photo();
    let variant =
        |op, strength| augment::augment_variant(&photo, &AugmentSpec::only(op, strength), 5, 0);
    // (assert! rather than assert_eq!: a failure would print every pixel.)
    assert!(variant(Op::FlipHorizontal, 1.0) == image::imageops::flip_horizontal(&photo));
    assert!(variant(Op::FlipVertical, 1.0) == image::imageops::flip_vertical(&photo));
    for op in Op::ALL {
        assert!(
            variant(op, 0.0) == photo,
            "{} at strength 0 changed the photo",
            op.id()
        );
    }
    // The smallest crop strength keeps almost the whole photo: nearly the same pixels.
    let mild = variant(Op::Crop, 0.01);
    let moved = mild
        .as_raw()
        .iter()
        .zip(photo.as_raw())
        .map(|(a, b)| u64::from(a.abs_diff(*b)))
        .sum::<u64>() as f64
        / photo.as_raw().len() as f64;
    assert!(moved < 10.0, "mean change {moved} for a 1% crop");
    // Cutout blacks out a square of the expected side somewhere.
    let cut = variant(Op::Cutout, 0.5);
    let black = cut.pixels().filter(|p| p.0 == [0, 0, 0]).count();
    assert!(
        (75 * 75 / 4..=150 * 150 + 200).contains(&black),
        "{black} black pixels for a 150-pixel square"
    );
    // Noise of σ = 20 moves the mean channel by about 20·√(2/π) ≈ 16 where nothing clamps.
    let noisy = variant(Op::Noise, 20.0);
    let moved: f64 = noisy
        .as_raw()
        .iter()
        .zip(photo.as_raw())
        .map(|(a, b)| f64::from(a.abs_diff(*b)))
        .sum::<f64>()
        / photo.as_raw().len() as f64;
    assert!(
        (11.0..18.0).contains(&moved),
        "mean absolute change {moved}"
    );
}

/// Each op draws from its own stream: on a flat grey image, where flips and crops change
/// nothing, switching them on leaves the brightness each variant draws unchanged.
#[test]
fn switching_an_op_on_leaves_the_others_draws_alone() {
    let grey = RgbImage::from_pixel(40, 30, image::Rgb([128, 128, 128]));
    let brightness = AugmentSpec::only(Op::Brightness, 0.4);
    let mut with_geometry = brightness.clone();
    for op in [Op::FlipHorizontal, Op::FlipVertical, Op::Crop] {
        with_geometry.set(
            op,
            Setting {
                on: true,
                strength: strong(op),
            },
        );
    }
    let plain = augment::augment_grid(&grey, &brightness, 3, 8);
    assert!(
        plain.windows(2).any(|pair| pair[0] != pair[1]),
        "brightness drew the same shift 8 times"
    );
    assert!(plain == augment::augment_grid(&grey, &with_geometry, 3, 8));
}

#[test]
fn no_op_on_gives_the_photo_back_and_grids_are_capped() {
    let photo = photo();
    assert!(
        augment::augment_grid(&photo, &AugmentSpec::none(), 1, 3)
            .iter()
            .all(|v| v == &photo)
    );
    let tiny = RgbImage::new(2, 2);
    assert_eq!(
        augment::augment_grid(&tiny, &fixture::spec(), 1, MAX_VARIANTS + 10).len(),
        MAX_VARIANTS
    );
    // A 1×1 image survives every op.
    let dot = RgbImage::from_pixel(1, 1, image::Rgb([200, 100, 50]));
    for variant in augment::augment_grid(&dot, &fixture::spec(), 9, 16) {
        assert_eq!(variant.dimensions(), (1, 1));
    }
}

#[test]
fn the_grid_matches_the_committed_fixture() {
    common::check_digest(
        &fixture::grid_digest(),
        "augment-grid.sha256",
        fixture::DIGEST,
    );
}

#[test]
fn absurd_strengths_are_refused_and_never_panic() {
    assert_eq!(AugmentSpec::default().check(), Ok(()));
    assert_eq!(fixture::spec().check(), Ok(()));
    let photo = RgbImage::from_pixel(16, 12, image::Rgb([90, 120, 200]));
    for op in Op::ALL {
        let (low, high) = op.range();
        for bad in [
            f32::NAN,
            -1.0,
            low - 0.01,
            high + 1.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ] {
            assert!(!op.accepts(bad), "{} accepted {bad}", op.id());
            let spec = AugmentSpec::only(op, bad);
            let error = spec
                .check()
                .expect_err(&format!("{} strength {bad} was accepted", op.id()));
            assert!(error.contains(op.id()), "{error}");
            // Past the check, out-of-range strengths are clamped rather than panicking.
            assert_eq!(
                augment::augment_variant(&photo, &spec, 1, 0).dimensions(),
                (16, 12)
            );
        }
        assert!(op.accepts(low) && op.accepts(high));
    }
}
