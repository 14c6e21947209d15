//! `photo::decode`, the visitor's photo for every demo, and the classifier's preprocessing of
//! what it returns.

use lab_core::photo::{self, MAX_DIMENSION, MAX_PIXELS, Shrink};
use lab_core::vision::pipeline::DECODE_SHRINK;
use lab_core::vision::preprocess::{self, Preprocessing};
use proptest::prelude::*;

use crate::harness::{Target, fuzz};
use crate::photo_files::crc32;

pub struct Photo;

impl Target for Photo {
    const NAME: &'static str = "photo";
    const DICTIONARY: &'static [&'static [u8]] = &[
        b"\x89PNG\r\n\x1a\n",
        b"IHDR",
        b"IDAT",
        b"IEND",
        b"PLTE",
        b"tRNS",
        b"iCCP",
        b"eXIf",
        b"acTL",
        b"fcTL",
        b"\xff\xd8",
        b"\xff\xd9",
        b"\xff\xda",
        b"\xff\xc0",
        b"\xff\xc2",
        b"\xff\xc4",
        b"\xff\xdb",
        b"\xff\xdd",
        b"\xff\xe1",
        b"Exif\0\0",
        b"II*\0",
        b"MM\0*",
    ];
    /// How the photo is shrunk, and whether the PNG chunks' CRCs are repaired after mutating.
    type Param = (Shrink, bool);

    fn param() -> BoxedStrategy<Self::Param> {
        // Small targets, so that the corpus' small photos are shrunk too; 0 as a caller could
        // pass it.
        let shrink = prop_oneof![
            Just(Shrink::Keep),
            Just(DECODE_SHRINK),
            (0u32..=96).prop_map(Shrink::LongerSideTo),
            (0u32..=32).prop_map(Shrink::ShorterSideNear),
        ];
        (shrink, any::<bool>()).boxed()
    }

    fn replay_params() -> Vec<Self::Param> {
        // Zero targets: a regression (ShorterSideNear(0) divided by zero).
        [
            Shrink::Keep,
            DECODE_SHRINK,
            Shrink::LongerSideTo(16),
            Shrink::ShorterSideNear(4),
            Shrink::LongerSideTo(0),
            Shrink::ShorterSideNear(0),
        ]
        .map(|shrink| (shrink, false))
        .to_vec()
    }

    fn finish(bytes: &mut Vec<u8>, &(_, repair): &Self::Param) {
        if repair {
            repair_png_crcs(bytes);
        }
    }

    fn check(bytes: &[u8], &(shrink, _): &Self::Param) -> bool {
        let Ok(image) = photo::decode(bytes, shrink) else {
            return false;
        };
        let (w, h) = image.dimensions();
        assert!(w > 0 && h > 0, "an image without pixels was accepted");
        assert!(
            w <= MAX_DIMENSION && h <= MAX_DIMENSION && u64::from(w) * u64::from(h) <= MAX_PIXELS,
            "{w}×{h} is over the limits"
        );
        match shrink {
            Shrink::Keep => {}
            Shrink::LongerSideTo(side) => {
                assert!(w.max(h) <= side.max(1), "{w}×{h} for {shrink:?}")
            }
            // Unchanged when the shorter side is at most 4× the target, else brought within 2×–4×.
            Shrink::ShorterSideNear(target) => {
                assert!(w.min(h) <= 4 * target.max(1), "{w}×{h} for {shrink:?}")
            }
        }
        if shrink == DECODE_SHRINK {
            classifier_input(&image);
        }
        true
    }
}

/// The most pixels the classifier's resize may produce: a 256-pixel shorter side and a 16:1
/// longer one is 1 megapixel; beyond that an odd strip of a photo costs more memory than the
/// page has.
const RESIZE_PIXELS: u64 = 1 << 20;

/// What the classification demo does with the decoded photo.
fn classifier_input(image: &image::RgbImage) {
    let p = Preprocessing::default();
    let (w, h) = image.dimensions();
    let (rw, rh) = preprocess::resized_size(w, h, p.resize_shorter);
    assert!(
        u64::from(rw) * u64::from(rh) <= RESIZE_PIXELS,
        "a {w}×{h} photo is resized to {rw}×{rh} before its centre crop"
    );
    let input = preprocess::preprocess(image, &p).expect("a decoded photo preprocesses");
    assert_eq!(input.len(), 3 * (p.crop * p.crop) as usize);
    assert!(input.iter().all(|v| v.is_finite()), "a non-finite input");
}

/// Rewrites every whole chunk's CRC-32 in a PNG, so that mutations inside chunks reach the
/// decoder instead of stopping at the checksum.
fn repair_png_crcs(bytes: &mut [u8]) {
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return;
    }
    let mut at = 8;
    while at + 12 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let Some(end) = (at + 8)
            .checked_add(len)
            .filter(|end| end + 4 <= bytes.len())
        else {
            return;
        };
        let crc = crc32(&bytes[at + 4..end]);
        bytes[end..end + 4].copy_from_slice(&crc.to_be_bytes());
        at = end + 4;
    }
}

#[test]
fn photo() {
    fuzz::<Photo>();
}
